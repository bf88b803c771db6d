import { Rng } from '../sim/rng.js';
import { TfliteInterpreter, writeTflite } from '../tflite/index.js';
import type { Graph } from './graph.js';
import { floatTflite } from './write-float.js';

/**
 * minmax: every value seen; percentile: the central share; mse: per tensor, the clipping with the least int8
 * error; output-mse: from min/max, the clipping with the least error at the model's output (calibrate-search.ts).
 */
export type CalibrationStrategy = 'minmax' | 'percentile' | 'mse' | 'output-mse';
export const CALIBRATION_STRATEGIES: readonly CalibrationStrategy[] = [
  'minmax',
  'percentile',
  'mse',
  'output-mse',
];

export interface Range {
  min: number;
  max: number;
}

/** Values kept per tensor for percentile and MSE clipping (a uniform reservoir sample). */
const RESERVOIR = 16_384;

class TensorStats {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  seen = 0;
  readonly sample: number[] = [];

  add(values: ArrayLike<number>, random: () => number): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      this.seen++;
      if (this.sample.length < RESERVOIR) this.sample.push(v);
      else {
        const j = Math.floor(random() * this.seen);
        if (j < RESERVOIR) this.sample[j] = v;
      }
    }
  }
}

/**
 * Run the float model over the calibration samples in the TFLite interpreter, every activation exposed
 * as an output, and choose each activation tensor's float range by the given strategy.
 */
export async function calibrate(
  graph: Graph,
  samples: Float32Array[],
  strategy: CalibrationStrategy,
  o: { percentile?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<Map<number, Range>> {
  const model = floatTflite(graph, { exposeAll: true });
  const exposed = model.subgraphs[0]!.outputs;
  const interpreter = await TfliteInterpreter.load(writeTflite(model));
  const stats = new Map<number, TensorStats>();
  const statsOf = (t: number) => {
    let s = stats.get(t);
    if (!s) {
      s = new TensorStats();
      stats.set(t, s);
    }
    return s;
  };
  // Seeded, so calibration is repeatable.
  const rng = new Rng(1);
  const random = () => rng.next();
  try {
    samples.forEach((x, i) => {
      statsOf(graph.inputs[0]!).add(x, random);
      const outs = interpreter.run(x);
      exposed.forEach((t, j) => {
        statsOf(t).add(outs[j]!, random);
      });
      o.onProgress?.(i + 1, samples.length);
    });
  } finally {
    interpreter.close();
  }
  const ranges = new Map<number, Range>();
  for (const [t, s] of stats) ranges.set(t, chooseRange(s, strategy, o.percentile ?? 99.99));
  return ranges;
}

function chooseRange(s: TensorStats, strategy: CalibrationStrategy, percentile: number): Range {
  if (strategy === 'minmax' || strategy === 'output-mse' || s.sample.length < 16)
    return { min: s.min, max: s.max };
  const sorted = Float64Array.from(s.sample).sort();
  if (strategy === 'percentile') {
    const at = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))]!;
    return { min: at(100 - percentile), max: at(percentile) };
  }
  // MSE-optimal clipping: shrink the min/max range by steps and keep the one with the least int8 error.
  let best = { min: s.min, max: s.max };
  let bestErr = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= 40; k++) {
    const f = 1 - k * 0.02;
    const r = { min: Math.min(0, s.min * f), max: Math.max(0, s.max * f) };
    const err = quantError(sorted, r);
    if (err < bestErr) {
      bestErr = err;
      best = r;
    }
  }
  return best;
}

function quantError(values: Float64Array, r: Range): number {
  const scale = (r.max - r.min) / 255 || 1;
  const zp = Math.round(-128 - r.min / scale);
  let err = 0;
  for (const v of values) {
    const q = Math.max(-128, Math.min(127, Math.round(v / scale) + zp));
    const d = (q - zp) * scale - v;
    err += d * d;
  }
  return err / values.length;
}
