import { type TensorData, TfliteInterpreter, writeTflite } from '../tflite/index.js';
import type { Range } from './calibrate.js';
import type { Graph } from './graph.js';
import { activationGroups, type QuantizeOptions, quantizeGraph } from './quantize.js';
import { floatTflite } from './write-float.js';

/** Share of each range kept, tried per group: from the whole range down to its quarter. */
const KEEP = [1, 0.85, 0.7, 0.55, 0.45, 0.35, 0.25];
/**
 * Calibration samples each candidate is scored on (evenly spaced through the set): enough to hold a rare
 * value that matters downstream, which a clipped range would then lose on unseen data.
 */
const SEARCH_SAMPLES = 512;

/**
 * Clip ranges where that lowers the error of the model's *output*: a per-tensor criterion (mse) keeps a
 * layer's rare large values that the layers after it barely use, and pays for them in resolution on every
 * other value. Greedy, one group of tensors sharing int8 parameters at a time in graph order, starting from
 * `start` (usually min/max); each candidate is quantized and run in the TFLite interpreter against the float
 * model's outputs on calibration samples only, so held-back evaluation data plays no part.
 */
export async function searchRanges(
  graph: Graph,
  samples: Float32Array[],
  start: Map<number, Range>,
  o: QuantizeOptions & { onProgress?: (done: number, total: number) => void },
): Promise<Map<number, Range>> {
  const step = Math.max(1, samples.length / SEARCH_SAMPLES);
  const subset = Array.from(
    { length: Math.min(SEARCH_SAMPLES, samples.length) },
    (_, i) => samples[Math.floor(i * step)]!,
  );
  const want = await outputsOf(writeTflite(floatTflite(graph)), subset);
  const outputError = async (ranges: Map<number, Range>) => {
    const got = await outputsOf(writeTflite(quantizeGraph(graph, ranges, o)), subset);
    let se = 0;
    got.forEach((ys, s) => {
      ys.forEach((y, k) => {
        const w = want[s]![k]!;
        for (let i = 0; i < y.length; i++) se += (y[i]! - w[i]!) ** 2;
      });
    });
    return se;
  };
  // The graph's inputs keep their range: clipping what the user feeds in is theirs to decide.
  const groups = activationGroups(graph).filter(
    (g) =>
      !g.pinned && !g.members.some((t) => graph.inputs.includes(t)) && g.members.some((t) => start.has(t)),
  );
  let ranges = new Map(start);
  let best = await outputError(ranges);
  const total = groups.length * (KEEP.length - 1);
  let done = 0;
  for (const { members } of groups) {
    let chosen = ranges;
    for (const keep of KEEP.slice(1)) {
      const trial = new Map(ranges);
      for (const t of members) {
        const r = ranges.get(t);
        if (r) trial.set(t, { min: r.min * keep, max: r.max * keep });
      }
      const err = await outputError(trial);
      if (err < best) {
        best = err;
        chosen = trial;
      }
      o.onProgress?.(++done, total);
    }
    ranges = chosen;
  }
  return ranges;
}

/** Every output of the model, as real values, for each sample (int8 models quantize and dequantize). */
async function outputsOf(bytes: Uint8Array, samples: Float32Array[]): Promise<Float32Array[][]> {
  const it = await TfliteInterpreter.load(bytes);
  try {
    return samples.map((x) => {
      const ys: TensorData[] = it.run(it.quantizeInput(0, x));
      return ys.map((y, k) => it.dequantizeOutput(k, y));
    });
  } finally {
    it.close();
  }
}
