// Sparkplug 3.0 says DATA messages SHOULD NOT repeat a metric's datatype (the birth gave it). The encoding
// library always writes it, so this drops it from the encoded bytes: field 4 of every metric (field 2).

const PAYLOAD_METRICS = 2;
const METRIC_DATATYPE = 4;

/** An encoded Sparkplug B payload without any metric's datatype; everything else byte for byte. */
export function withoutMetricDatatypes(payload: Uint8Array): Uint8Array {
  return rewrite(payload, (field, body) =>
    field === PAYLOAD_METRICS && body ? rewrite(body, dropDatatype) : body,
  );
}

// Drop the datatype (a varint); keep every other field of the metric.
function dropDatatype(field: number, body: Uint8Array | null): Uint8Array | null | undefined {
  return field === METRIC_DATATYPE ? undefined : body;
}

/**
 * Walk a protobuf message: `map` sees each length-delimited field's body (null for other wire types) and
 * returns it (or a new body) to keep it, or undefined to drop the field.
 */
function rewrite(
  msg: Uint8Array,
  map: (field: number, body: Uint8Array | null) => Uint8Array | null | undefined,
): Uint8Array {
  const out: number[] = [];
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (pos >= msg.length) throw new Error('truncated Sparkplug payload');
      const b = msg[pos++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  };
  while (pos < msg.length) {
    const start = pos;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      const body = msg.subarray(pos, pos + len);
      pos += len;
      const kept = map(field, body);
      if (kept === undefined) continue;
      writeVarint(out, tag);
      writeVarint(out, kept!.length);
      for (const b of kept!) out.push(b);
      continue;
    }
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`Sparkplug payload: wire type ${wire} not expected`);
    if (map(field, null) === undefined) continue;
    for (let i = start; i < pos; i++) out.push(msg[i]!);
  }
  return Uint8Array.from(out);
}

function writeVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}
