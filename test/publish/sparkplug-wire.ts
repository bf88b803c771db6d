// A Sparkplug B payload decoder written here from the field numbers of the specification's protobuf schema
// (Payload, Metric, PropertySet, PropertyValue), independent of the library tinygate encodes with: tests
// read what went over the wire with it, so an encoder mistake cannot hide behind the same library's decoder.

export interface WireMetric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  isHistorical?: boolean;
  isNull?: boolean;
  properties?: Record<string, { type?: number; value: unknown }>;
  value?: unknown;
}

export interface WirePayload {
  timestamp?: number;
  seq?: number;
  metrics: WireMetric[];
}

/** Sparkplug datatype numbers (specification, "Data Types"). */
export const DATATYPE = { Int32: 3, Int64: 4, Double: 10, Boolean: 11, String: 12 } as const;

class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.b.length;
  }
  varint(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.b.length) throw new Error('truncated varint');
      const byte = this.b[this.pos++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
      shift += 7n;
    }
  }
  bytes(): Uint8Array {
    const n = Number(this.varint());
    if (this.pos + n > this.b.length) throw new Error('truncated field');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  fixed(n: 4 | 8): DataView {
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, n);
    this.pos += n;
    return v;
  }
  /** Each field as [number, wire type, reader of its value]. */
  *fields(): Generator<[number, number]> {
    while (!this.done) {
      const key = Number(this.varint());
      yield [key >> 3, key & 7];
    }
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`wire type ${wire} not expected`);
  }
}

const text = new TextDecoder('utf-8', { fatal: true });

function propertyValue(b: Uint8Array): { type?: number; value: unknown } {
  const r = new Reader(b);
  const out: { type?: number; value: unknown } = { value: undefined };
  for (const [f, w] of r.fields()) {
    if (f === 1) out.type = Number(r.varint());
    else if (f === 2) {
      if (r.varint()) out.value = null;
    } else if (f === 3 || f === 4) out.value = Number(r.varint());
    else if (f === 5) out.value = r.fixed(4).getFloat32(0, true);
    else if (f === 6) out.value = r.fixed(8).getFloat64(0, true);
    else if (f === 7) out.value = r.varint() !== 0n;
    else if (f === 8) out.value = text.decode(r.bytes());
    else r.skip(w);
  }
  return out;
}

function propertySet(b: Uint8Array): Record<string, { type?: number; value: unknown }> {
  const r = new Reader(b);
  const keys: string[] = [];
  const values: { type?: number; value: unknown }[] = [];
  for (const [f, w] of r.fields()) {
    if (f === 1) keys.push(text.decode(r.bytes()));
    else if (f === 2) values.push(propertyValue(r.bytes()));
    else r.skip(w);
  }
  if (keys.length !== values.length) throw new Error('property keys and values differ in number');
  return Object.fromEntries(keys.map((k, i) => [k, values[i]!]));
}

function metric(b: Uint8Array): WireMetric {
  const r = new Reader(b);
  const m: WireMetric = {};
  for (const [f, w] of r.fields()) {
    if (f === 1) m.name = text.decode(r.bytes());
    else if (f === 2) m.alias = Number(r.varint());
    else if (f === 3) m.timestamp = Number(r.varint());
    else if (f === 4) m.datatype = Number(r.varint());
    else if (f === 5) m.isHistorical = r.varint() !== 0n;
    else if (f === 7) m.isNull = r.varint() !== 0n;
    else if (f === 9) m.properties = propertySet(r.bytes());
    else if (f === 10 || f === 11) m.value = Number(r.varint());
    else if (f === 12) m.value = r.fixed(4).getFloat32(0, true);
    else if (f === 13) m.value = r.fixed(8).getFloat64(0, true);
    else if (f === 14) m.value = r.varint() !== 0n;
    else if (f === 15) m.value = text.decode(r.bytes());
    else r.skip(w);
  }
  return m;
}

/** Decode one Sparkplug B payload; throws on anything malformed. */
export function decodeWire(b: Uint8Array): WirePayload {
  const r = new Reader(b);
  const p: WirePayload = { metrics: [] };
  for (const [f, w] of r.fields()) {
    if (f === 1) p.timestamp = Number(r.varint());
    else if (f === 2) p.metrics.push(metric(r.bytes()));
    else if (f === 3) p.seq = Number(r.varint());
    else r.skip(w);
  }
  return p;
}
