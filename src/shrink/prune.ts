import { type DenseLayer, hiddenActivations } from './dense-layers.js';

/**
 * How much each hidden unit feeds forward: the mean of |activation| over the data times the L2 norm of its
 * outgoing weights, i.e. the typical size of what the next layer loses when the unit goes. It sees both
 * dead units (never active) and live units whose output the next layer ignores, which weight magnitude
 * alone (the incoming weights) does not.
 */
export function unitImportance(layers: DenseLayer[], rows: Float32Array[]): number[][] {
  const acts = hiddenActivations(layers, rows);
  return acts.map((a, l) => {
    const next = layers[l + 1]!;
    const units = layers[l]!.units;
    return Array.from({ length: units }, (_, j) => {
      let mean = 0;
      for (const r of a) mean += Math.abs(r[j]!) / a.length;
      let norm = 0;
      for (let k = 0; k < next.units; k++) norm += next.kernel[j * next.units + k]! ** 2;
      return mean * Math.sqrt(norm);
    });
  });
}

/**
 * Structured pruning to the given hidden widths (same depth): each hidden layer keeps its most important
 * units; a removed unit's mean output is folded into the next layer's bias, so the next layer sees the same
 * input on average (it was a constant plus noise the rest of the net can relearn).
 */
export function pruneUnits(layers: DenseLayer[], widths: number[], rows: Float32Array[]): DenseLayer[] {
  if (widths.length !== layers.length - 1) {
    throw new Error(`pruneUnits: ${widths.length} widths for ${layers.length - 1} hidden layers`);
  }
  const importance = unitImportance(layers, rows);
  const acts = hiddenActivations(layers, rows);
  const keep = importance.map((imp, l) => {
    const order = imp.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    return order
      .slice(0, Math.min(widths[l]!, imp.length))
      .map(([, j]) => j)
      .sort((a, b) => a - b);
  });
  const out: DenseLayer[] = [];
  for (let l = 0; l < layers.length; l++) {
    const src = layers[l]!;
    const rowsKept = l === 0 ? range(src.inputs) : keep[l - 1]!;
    const colsKept = l === layers.length - 1 ? range(src.units) : keep[l]!;
    const kernel = new Float32Array(rowsKept.length * colsKept.length);
    for (let ri = 0; ri < rowsKept.length; ri++) {
      for (let cj = 0; cj < colsKept.length; cj++) {
        kernel[ri * colsKept.length + cj] = src.kernel[rowsKept[ri]! * src.units + colsKept[cj]!]!;
      }
    }
    const bias = Float32Array.from(colsKept, (j) => src.bias[j]!);
    if (l > 0) {
      // Fold each removed input unit's mean activation into this layer's bias.
      const kept = new Set(rowsKept);
      const a = acts[l - 1]!;
      for (let i = 0; i < src.inputs; i++) {
        if (kept.has(i)) continue;
        let mean = 0;
        for (const r of a) mean += r[i]! / a.length;
        colsKept.forEach((j, cj) => {
          bias[cj]! += mean * src.kernel[i * src.units + j]!;
        });
      }
    }
    out.push({ inputs: rowsKept.length, units: colsKept.length, kernel, bias });
  }
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
