/** A student architecture: its hidden widths (the output layer is as wide as the input). */
export interface Architecture {
  widths: number[];
  /** 'pruned': the teacher's layers with units removed; 'fresh': a new, shallower net. */
  init: 'pruned' | 'fresh';
}

/**
 * Student sizes to try, largest first: the teacher's depth with each layer cut to ¾, ½, ⅜ and ¼ of its
 * units (pruned from the teacher), then shallower fresh nets (two hidden layers, then one), because on a
 * small board each layer costs three tensors and about 380 B of flatbuffer tables before any weight.
 */
export function candidateArchitectures(teacher: number[]): Architecture[] {
  const out: Architecture[] = [];
  const seen = new Set<string>();
  const add = (widths: number[], init: Architecture['init']) => {
    const w = widths.map((x) => Math.max(1, Math.round(x)));
    const key = w.join('-');
    if (seen.has(key) || key === teacher.join('-')) return;
    seen.add(key);
    out.push({ widths: w, init });
  };
  for (const f of [0.75, 0.5, 0.375, 0.25])
    add(
      teacher.map((x) => x * f),
      'pruned',
    );
  const widest = Math.max(...teacher);
  const bottleneck = Math.min(...teacher);
  if (teacher.length > 2) add([widest / 2, bottleneck], 'fresh');
  for (const h of [widest / 2, bottleneck, Math.ceil((2 * bottleneck) / 3), Math.ceil(bottleneck / 2)]) {
    if (teacher.length > 1) add([h], 'fresh');
  }
  return out;
}

export function architectureName(widths: number[]): string {
  return widths.join('-');
}
