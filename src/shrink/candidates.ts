/** A student architecture: its hidden widths (the output layer is as wide as the input). */
export interface Architecture {
  widths: number[];
  /** 'pruned': the teacher's layers with units removed; 'fresh': a new, shallower net. */
  init: 'pruned' | 'fresh';
  /** How many of the widths are Conv1D filters (the rest are dense units). */
  conv: number;
}

/**
 * Student sizes to try, largest first: the teacher's depth with each layer cut to ¾, ½, ⅜ and ¼ of its
 * units (pruned from the teacher), then shallower fresh nets (two hidden layers, then one), because on a
 * small board each layer costs three tensors and about 380 B of flatbuffer tables before any weight.
 * A convolutional teacher's shallower students keep one Conv1D layer before the dense bottleneck.
 */
export function candidateArchitectures(teacher: number[], conv = 0): Architecture[] {
  const out: Architecture[] = [];
  const seen = new Set<string>();
  const add = (widths: number[], init: Architecture['init'], convs = conv) => {
    const w = widths.map((x) => Math.max(1, Math.round(x)));
    const key = architectureName(w, convs);
    if (seen.has(key) || key === architectureName(teacher, conv)) return;
    seen.add(key);
    out.push({ widths: w, init, conv: convs });
  };
  for (const f of [0.75, 0.5, 0.375, 0.25])
    add(
      teacher.map((x) => x * f),
      'pruned',
    );
  const widest = Math.max(...teacher);
  const bottleneck = Math.min(...teacher);
  if (conv > 0) {
    // Shallower convolutional students: one Conv1D layer, then the dense bottleneck.
    const filters = Math.max(...teacher.slice(0, conv));
    for (const [f, b] of [
      [filters / 2, bottleneck],
      [filters / 4, bottleneck],
      [filters / 4, Math.ceil(bottleneck / 2)],
      [1, Math.ceil(bottleneck / 2)],
    ] as const)
      add([f, b], 'fresh', 1);
    return out;
  }
  if (teacher.length > 2) add([widest / 2, bottleneck], 'fresh');
  for (const h of [widest / 2, bottleneck, Math.ceil((2 * bottleneck) / 3), Math.ceil(bottleneck / 2)]) {
    if (teacher.length > 1) add([h], 'fresh');
  }
  return out;
}

/** "c8-c8-6": Conv1D filters marked with a c, then dense units. */
export function architectureName(widths: number[], conv = 0): string {
  return widths.map((w, i) => (i < conv ? `c${w}` : String(w))).join('-');
}
