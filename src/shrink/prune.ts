import { forward, type Net, type NetLayer } from './net.js';

/**
 * Mean of each hidden layer's activations and of their magnitudes over the data, per position and unit
 * (position-major), from one forward pass per row.
 */
function activationMeans(net: Net, rows: Float32Array[]): { mean: Float64Array[]; meanAbs: Float64Array[] } {
  const sum: Float64Array[] = [];
  const sumAbs: Float64Array[] = [];
  for (const x of rows) {
    forward(net, x).hidden.forEach((a, l) => {
      sum[l] ??= new Float64Array(a.length);
      sumAbs[l] ??= new Float64Array(a.length);
      const s = sum[l]!;
      const sa = sumAbs[l]!;
      for (let k = 0; k < a.length; k++) {
        s[k]! += a[k]!;
        sa[k]! += Math.abs(a[k]!);
      }
    });
  }
  const n = Math.max(rows.length, 1);
  return { mean: sum.map((s) => s.map((v) => v / n)), meanAbs: sumAbs.map((s) => s.map((v) => v / n)) };
}

/** Per-position means folded to one per unit (the mean over positions). */
function perUnit(means: Float64Array, units: number): number[] {
  const out = new Array<number>(units).fill(0);
  const positions = means.length / units;
  for (let k = 0; k < means.length; k++) out[k % units]! += means[k]! / positions;
  return out;
}

/**
 * How much each hidden unit (or filter) feeds forward: the mean of |activation| over the data (and
 * positions) times the L2 norm of its outgoing weights, i.e. the typical size of what the next layer loses
 * when the unit goes. It sees both dead units (never active) and live units whose output the next layer
 * ignores, which the magnitude of the incoming weights alone does not.
 */
export function unitImportance(net: Net, rows: Float32Array[]): number[][] {
  return importanceFrom(net, activationMeans(net, rows).meanAbs);
}

function importanceFrom(net: Net, meanAbs: Float64Array[]): number[][] {
  return meanAbs.map((means, l) => {
    const next = net.layers[l + 1]!;
    return perUnit(means, net.layers[l]!.units).map((m, j) => {
      let norm = 0;
      for (let t = 0; t < next.taps; t++)
        for (let k = 0; k < next.units; k++)
          norm += next.kernel[(t * next.inputs + j) * next.units + k]! ** 2;
      return m * Math.sqrt(norm);
    });
  });
}

/**
 * Structured pruning to the given hidden widths (same depth): each hidden layer keeps its most important
 * units (dense) or filters (Conv1D); a removed one's mean output is folded into the next layer's bias, so
 * the next layer sees the same input on average: exactly for a constant unit feeding a dense layer, and
 * for a Conv1D away from its zero-padded ends.
 */
export function pruneUnits(net: Net, widths: number[], rows: Float32Array[]): Net {
  const { layers } = net;
  if (widths.length !== layers.length - 1) {
    throw new Error(`pruneUnits: ${widths.length} widths for ${layers.length - 1} hidden layers`);
  }
  const { mean: means, meanAbs } = activationMeans(net, rows);
  const keep = importanceFrom(net, meanAbs).map((imp, l) => {
    const order = imp.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    return order
      .slice(0, Math.min(widths[l]!, imp.length))
      .map(([, j]) => j)
      .sort((a, b) => a - b);
  });
  const out: NetLayer[] = layers.map((src, l) => {
    const ins = l === 0 ? range(src.inputs) : keep[l - 1]!;
    const cols = l === layers.length - 1 ? range(src.units) : keep[l]!;
    const kernel = new Float32Array(src.taps * ins.length * cols.length);
    for (let t = 0; t < src.taps; t++)
      for (let ri = 0; ri < ins.length; ri++)
        for (let cj = 0; cj < cols.length; cj++)
          kernel[(t * ins.length + ri) * cols.length + cj] =
            src.kernel[(t * src.inputs + ins[ri]!) * src.units + cols[cj]!]!;
    const bias = Float32Array.from(cols, (j) => src.bias[j]!);
    if (l > 0) {
      // A convolution slides over positions, so it sees a unit's mean over them; a dense layer after the
      // convolutions reads each position with its own weights, so it gets each position's mean.
      const m = means[l - 1]!;
      const unitMean = perUnit(m, src.inputs);
      const kept = new Set(ins);
      for (let i = 0; i < src.inputs; i++) {
        if (kept.has(i)) continue;
        for (let t = 0; t < src.taps; t++) {
          const v = src.kind === 'conv1d' ? unitMean[i]! : m[t * src.inputs + i]!;
          cols.forEach((j, cj) => {
            bias[cj]! += v * src.kernel[(t * src.inputs + i) * src.units + j]!;
          });
        }
      }
    }
    return { ...src, inputs: ins.length, units: cols.length, kernel, bias };
  });
  return { ...net, layers: out };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
