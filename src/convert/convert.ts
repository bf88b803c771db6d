import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BoardProfile } from '../boards/index.js';
import { readLabelledSamples, readSamples } from '../data/index.js';
import { TinygateError } from '../errors/index.js';
import {
  type BoardFit,
  fitOnBoard,
  TfliteInterpreter as Interpreter,
  inspectModel,
  type ModelReport,
  planArena,
  readTflite,
  type TensorData,
  type TfliteInterpreter,
  type TfliteModel,
  writeTflite,
} from '../tflite/index.js';
import { type AccuracyReport, compareOutputs } from './accuracy.js';
import { type CalibrationStrategy, calibrate } from './calibrate.js';
import { searchRanges } from './calibrate-search.js';
import { type Graph, numel } from './graph.js';
import { importTfjsLayers } from './import-tfjs.js';
import { importFloatTflite } from './import-tflite.js';
import { quantizeGraph } from './quantize.js';
import { floatTflite } from './write-float.js';

export interface ConvertOptions {
  /** A tfjs Layers model (its folder or model.json) or a float .tflite. */
  model: string;
  calib: string;
  /** Labelled or plain eval samples; default: every fifth calibration sample, held back. */
  eval?: string;
  boards?: BoardProfile[];
  io?: 'int8' | 'float';
  strategy?: CalibrationStrategy;
  percentile?: number;
  perChannelDense?: boolean;
  offlinePlan?: boolean;
  /** Refuse when RMSE / output range exceeds this. */
  maxRmse?: number;
  /** Refuse when the autoencoder AUC drops by more than this (default 0.01). */
  maxAucDrop?: number;
  onProgress?: (stage: 'calibrate' | 'search' | 'evaluate', done: number, total: number) => void;
  /** Samples already in hand (e.g. a model's features from a recording) instead of reading `calib`. */
  calibSamples?: Float32Array[];
  /** Evaluation samples (and labels) in hand instead of reading `eval`. */
  evalSamples?: { samples: Float32Array[]; labels: boolean[] | null };
  /** The .tflite description (a model folder's int8 file names its source model here). */
  description?: string;
}

export interface ConvertReport {
  source: { path: string; kind: 'tfjs-layers' | 'tflite-float' };
  input: { shape: number[] };
  io: 'int8' | 'float';
  calibration: { strategy: CalibrationStrategy; percentile?: number; samples: number; file: string };
  evaluation: { samples: number; file: string; heldBack: boolean };
  weights: { conv: 'per-channel'; dense: 'per-tensor' | 'per-channel' };
  offlinePlan: boolean;
  model: ModelReport;
  float: { bytes: number };
  boards: BoardFit[];
  accuracy: AccuracyReport;
  gate: { passed: boolean; failures: string[] };
}

export interface ConvertResult {
  bytes: Uint8Array;
  report: ConvertReport;
}

/** Name of the metadata TFLite Micro reads a precomputed arena plan from. */
export const OFFLINE_PLAN_METADATA = 'OfflineMemoryAllocation';

/**
 * Float model → full-integer int8 .tflite, calibrated on real samples, checked against each board's
 * model budget, and judged beside the float model in the TFLite interpreter. Throws a TinygateError
 * (with the report in `details.report`) when the model does not fit a board or fails the accuracy gate.
 */
export async function convertModel(o: ConvertOptions): Promise<ConvertResult> {
  const { graph, kind } = loadGraph(o.model);
  const inputShape = graph.tensors[graph.inputs[0]!]!.shape;
  const perSample = numel(inputShape);
  const calibAll = o.calibSamples ?? readSamples(o.calib, perSample);
  let calibSamples = calibAll;
  let evalSamples: Float32Array[];
  let labels: boolean[] | null = null;
  if (o.evalSamples || o.eval) {
    const read = o.evalSamples ?? readLabelledSamples(o.eval!, perSample);
    evalSamples = read.samples;
    labels = read.labels;
  } else {
    if (calibAll.length < 5) {
      throw new TinygateError(
        'CONVERT_TOO_FEW_SAMPLES',
        `${o.calib}: ${calibAll.length} samples; at least 5 are needed to hold some back for evaluation`,
        {
          hint: 'Give more calibration samples (a few hundred is typical), or --eval with separate data.',
        },
      );
    }
    // Every fifth sample, not the last fifth: ordered data (a sweep, a recording) keeps its range.
    calibSamples = calibAll.filter((_, i) => i % 5 !== 4);
    evalSamples = calibAll.filter((_, i) => i % 5 === 4);
  }
  // A tinygate detection model (pipeline.json) scores abnormal windows, which ranges clipped to fit the
  // normal calibration windows would saturate: min/max there, output-mse elsewhere.
  const strategy = o.strategy ?? (existsSync(join(o.model, 'pipeline.json')) ? 'minmax' : 'output-mse');
  const io = o.io ?? 'int8';
  const ranges = await calibrate(graph, calibSamples, strategy, {
    ...(o.percentile !== undefined ? { percentile: o.percentile } : {}),
    onProgress: (d, t) => o.onProgress?.('calibrate', d, t),
  });
  const quantizeOptions = { io, perChannelDense: o.perChannelDense ?? false };
  const chosen =
    strategy === 'output-mse'
      ? await searchRanges(graph, calibSamples, ranges, {
          ...quantizeOptions,
          onProgress: (d, t) => o.onProgress?.('search', d, t),
        })
      : ranges;
  const int8Model = quantizeGraph(graph, chosen, quantizeOptions);
  if (o.offlinePlan) addOfflinePlan(int8Model);
  if (o.description) int8Model.description = o.description;
  const bytes = writeTflite(int8Model);
  const floatBytes = writeTflite(floatTflite(graph));

  // The written file is read back exactly as a user would, and the report describes that file.
  const model = inspectModel(readTflite(bytes), bytes.length);
  const boards = (o.boards ?? []).map((b) => fitOnBoard(b, model.needs));
  const accuracy = await judge(floatBytes, bytes, evalSamples, labels, o.onProgress);
  const failures: string[] = [];
  if (o.maxRmse !== undefined && accuracy.rmseOverRange > o.maxRmse) {
    failures.push(
      `RMSE is ${(accuracy.rmseOverRange * 100).toFixed(2)} % of the output range, over --max-rmse ${(o.maxRmse * 100).toFixed(2)} %`,
    );
  }
  const maxDrop = o.maxAucDrop ?? 0.01;
  if (accuracy.auc && accuracy.auc.drop > maxDrop) {
    failures.push(
      `anomaly AUC drops from ${accuracy.auc.float.toFixed(4)} to ${accuracy.auc.int8.toFixed(4)}, more than --max-auc-drop ${maxDrop}`,
    );
  }
  const report: ConvertReport = {
    source: { path: o.model, kind },
    input: { shape: inputShape },
    io,
    calibration: {
      strategy,
      ...(strategy === 'percentile' ? { percentile: o.percentile ?? 99.99 } : {}),
      samples: calibSamples.length,
      file: o.calib,
    },
    evaluation: { samples: evalSamples.length, file: o.eval ?? o.calib, heldBack: !o.eval && !o.evalSamples },
    weights: { conv: 'per-channel', dense: o.perChannelDense ? 'per-channel' : 'per-tensor' },
    offlinePlan: o.offlinePlan ?? false,
    model,
    float: { bytes: floatBytes.length },
    boards,
    accuracy,
    gate: { passed: failures.length === 0, failures },
  };
  const tooBig = boards.filter((b) => !b.fits);
  if (tooBig.length) {
    throw new TinygateError(
      'CONVERT_DOES_NOT_FIT',
      tooBig.map((b) => `${b.board}: ${b.problems.join('; ')}`).join('; '),
      {
        hint: 'Pick a bigger board, or shrink the model (fewer units or layers) and convert again.',
        details: { report },
      },
    );
  }
  if (failures.length) {
    throw new TinygateError(
      'CONVERT_ACCURACY',
      `the int8 model fails the accuracy gate: ${failures.join('; ')}`,
      {
        hint: 'Try --calibration percentile or mse, more representative calibration data, or --per-channel.',
        details: { report },
      },
    );
  }
  return { bytes, report };
}

function loadGraph(path: string): { graph: Graph; kind: ConvertReport['source']['kind'] } {
  if (!existsSync(path)) {
    throw new TinygateError('MODEL_UNREADABLE', `${path}: no such file or folder`, {
      hint: 'Give a tfjs Layers model (its folder or model.json) or a float .tflite.',
    });
  }
  const file = statSync(path).isDirectory() ? join(path, 'model.json') : path;
  if (file.endsWith('.json')) return { graph: importTfjsLayers(file), kind: 'tfjs-layers' };
  return { graph: importFloatTflite(new Uint8Array(readFileSync(file)), file), kind: 'tflite-float' };
}

/** Run float and int8 side by side in the interpreter on the eval samples. */
async function judge(
  floatBytes: Uint8Array,
  int8Bytes: Uint8Array,
  samples: Float32Array[],
  labels: boolean[] | null,
  onProgress: ConvertOptions['onProgress'],
): Promise<AccuracyReport> {
  const f = await Interpreter.load(floatBytes);
  const q = await Interpreter.load(int8Bytes);
  try {
    const floatOut: Float32Array[] = [];
    const int8Out: Float32Array[] = [];
    samples.forEach((x, i) => {
      floatOut.push(f.run(x)[0] as Float32Array);
      int8Out.push(runReal(q, x));
      onProgress?.('evaluate', i + 1, samples.length);
    });
    const sameShape = floatOut[0]?.length === samples[0]?.length;
    return compareOutputs(floatOut, int8Out, labels && sameShape ? { inputs: samples, labels } : null);
  } finally {
    f.close();
    q.close();
  }
}

/** Real-valued output of an int8 or float-I/O model for real-valued input. */
function runReal(it: TfliteInterpreter, x: Float32Array): Float32Array {
  const y: TensorData = it.run(it.quantizeInput(0, x))[0]!;
  return it.dequantizeOutput(0, y);
}

/** Attach TFLite Micro's OfflineMemoryAllocation metadata: version 1, one subgraph, an offset per tensor. */
function addOfflinePlan(model: TfliteModel): void {
  const plan = planArena(model);
  const values = Int32Array.from([1, 1, plan.offsets.length, ...plan.offsets]);
  const buffer = model.buffers.push({ data: new Uint8Array(values.buffer.slice(0)) }) - 1;
  model.metadata.push({ name: OFFLINE_PLAN_METADATA, buffer });
}
