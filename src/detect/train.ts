import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinygateError } from '../errors/index.js';
import type { ChannelMeta } from '../sensing/channels.js';
import { type FeatureKind, type FeaturePipeline, featureNames, parsePipeline } from '../sensing/features.js';
import {
  type Recording,
  type RecordingMeta,
  readRecording,
  readRecordingMeta,
} from '../sensing/recording.js';
import {
  buildAutoencoder,
  buildConvAutoencoder,
  type ConvEncoder,
  fitAutoencoder,
  reconstructionErrors,
} from './autoencoder.js';
import { formatRate, formatSpan, inferChecks, type WindowSet, windowRecording } from './dataset.js';
import { renderModelCard } from './model-card.js';
import { defaultModelId, type ModelSidecar, modelHash, saveLayersModel, writeSidecar } from './model-dir.js';
import { type tfl, tfReady } from './tf.js';
import { computeThreshold, percentile, type Threshold, type ThresholdRule } from './threshold.js';
import { TRAIN_DEFAULTS } from './train-defaults.js';

export interface TrainOptions {
  /** Normal data: a CSV from `tinygate sim data` or `tinygate record`, or a recording in memory. */
  data: string | { recording: Recording; meta: RecordingMeta | null };
  /** Model folder to write. */
  out: string;
  /** Model id; defaults to the folder name. */
  id?: string;
  /** Channels to use; default: every channel of the recording's sidecar. */
  channels?: string[];
  /** Features for channels that move within a window; others get their mean. */
  features?: FeatureKind[];
  window?: number;
  hop?: number;
  bands?: number;
  hidden?: number[];
  /** A convolutional autoencoder: these Conv1D layers first, then dense `hidden` (mirrored) and the output. */
  conv?: ConvEncoder;
  epochs?: number;
  patience?: number;
  batchSize?: number;
  learningRate?: number;
  /** Fraction of the windows (the latest in time) held out for validation and the threshold. */
  validation?: number;
  threshold?: ThresholdRule;
  seed?: number;
  /** The command line that made it, for the model card. */
  command?: string;
  onStage?: (stage: 'features' | 'training' | 'threshold', total: number) => void;
  onProgress?: (done: number, info?: Record<string, number>) => void;
}

export { TRAIN_DEFAULTS } from './train-defaults.js';

export interface TrainReport {
  dir: string;
  id: string;
  hash: string;
  windows: { total: number; train: number; validation: number; dropped: number };
  features: string[];
  epochs: number;
  bestEpoch: number;
  valLoss: number;
  threshold: number;
  backend: string;
  /** Settings training picked from the data because none were given, in words. */
  picked: string[];
}

/** Train a dense autoencoder on normal data and write a model folder (tfjs Layers + pipeline.json + card). */
export async function trainModel(o: TrainOptions): Promise<TrainReport> {
  const backend = await tfReady();
  const rec = typeof o.data === 'string' ? readRecording(o.data) : o.data.recording;
  const meta = typeof o.data === 'string' ? readRecordingMeta(o.data) : o.data.meta;
  const dataName = typeof o.data === 'string' ? o.data : rec.file;
  const picked = pickWindow(rec, o);
  const window = o.window ?? picked.window;
  const hop = o.hop ?? picked.hop ?? Math.max(1, window >> 1);
  const channelNames = o.channels ?? meta?.channels.map((c) => c.name) ?? [];
  if (channelNames.length === 0) {
    throw new TinygateError(
      'TRAIN_NO_CHANNELS',
      `${dataName}: no channel list (no sidecar) and no --channels given`,
      {
        hint: `Name the channels to learn from, e.g. --channels ${[...rec.columns.keys()].slice(0, 3).join(',')}.`,
      },
    );
  }
  const known = new Map((meta?.channels ?? []).map((c) => [c.name, c]));
  const inferred = inferChecks(
    rec,
    channelNames.filter((n) => !known.has(n)),
    window,
  );
  const checks: ChannelMeta[] = channelNames.map((n) => known.get(n) ?? inferred.find((c) => c.name === n)!);
  const dynamicFeatures = o.features ?? picked.features ?? TRAIN_DEFAULTS.features;
  const pipeline: FeaturePipeline = parsePipeline(
    {
      // Six significant digits: exact for 1 kHz and for one sample an hour alike (rounding to 0.001 Hz was not).
      sampleRateHz: Number(rec.rateHz.toPrecision(6)),
      window: { size: window, hop },
      channels: checks.map((c) => ({ name: c.name, features: c.dynamic ? dynamicFeatures : ['mean'] })),
      bands: { count: o.bands ?? TRAIN_DEFAULTS.bands, fromHz: 0 },
    },
    'training options',
  );
  o.onStage?.('features', Math.floor((rec.t.length - window) / hop) + 1);
  const set = windowRecording(rec, pipeline, checks, (d) => o.onProgress?.(d));

  const valFraction = o.validation ?? TRAIN_DEFAULTS.validation;
  const split = normalWindowSplit(set, valFraction);
  const nVal = split.validation.length;
  const nTrain = split.train.length;
  const usable = nTrain + nVal;
  if (nTrain < 32 || nVal < 16) {
    const spanS = rec.t[rec.t.length - 1]! - rec.t[0]!;
    throw new TinygateError(
      'TRAIN_TOO_LITTLE_DATA',
      `${dataName}: ${usable} usable normal windows from ${formatSpan(spanS)} of data (${set.features.length} windows of ${window} samples every ${hop}, ${set.features.length - usable} set aside by sensor checks or labels): ${nTrain} to train (need 32) and ${nVal} to validate (need 16, the latest ${valFraction} of them)`,
      {
        hint: `Give more normal data, or a smaller --window / --hop (at ${window}/${hop} this needs at least ${Math.ceil(48 / (1 - Math.min(valFraction, 0.5)) + 1)} windows, about ${formatSpan(((Math.ceil(48 / (1 - Math.min(valFraction, 0.5))) + 1) * hop + window) / rec.rateHz)} of data).`,
      },
    );
  }
  // Validation is the latest stretch in time: overlapping windows would leak across a random split.
  const trainRaw = split.train.map((w) => set.features[w]!);
  const valRaw = split.validation.map((w) => set.features[w]!);
  const normalization = fitNormalization(trainRaw);
  const norm = (f: Float32Array) => normalize(f, normalization);
  const train = trainRaw.map(norm);
  const validation = valRaw.map(norm);

  const hidden = o.hidden ?? TRAIN_DEFAULTS.hidden;
  const seed = o.seed ?? TRAIN_DEFAULTS.seed;
  const inputs = train[0]!.length;
  const dense = [...hidden, ...hidden.slice(0, -1).reverse()];
  const model = o.conv
    ? buildConvAutoencoder(inputs, o.conv, dense, seed)
    : buildAutoencoder({ inputs, hidden }, seed);
  const epochs = o.epochs ?? TRAIN_DEFAULTS.epochs;
  o.onStage?.('training', epochs);
  const fit = await fitAutoencoder(model, train, validation, {
    epochs,
    batchSize: o.batchSize ?? TRAIN_DEFAULTS.batchSize,
    learningRate: o.learningRate ?? TRAIN_DEFAULTS.learningRate,
    patience: o.patience ?? TRAIN_DEFAULTS.patience,
    seed,
    onEpoch: (e, loss, valLoss) => o.onProgress?.(e + 1, { loss, valLoss }),
  });
  o.onStage?.('threshold', 1);
  const rule = o.threshold ?? TRAIN_DEFAULTS.threshold;
  const { threshold, scores: valScores } = await validationThreshold(model, validation, rule);
  const trainScores = await reconstructionErrors(model, train);

  const id = o.id ?? defaultModelId(o.out);
  const files = await saveLayersModel(model, o.out);
  const parameters = model.countParams();
  model.dispose();
  const hash = modelHash(files.json, files.weights, pipeline, normalization);
  const sidecar: ModelSidecar = {
    format: 'tinygate-model',
    version: 1,
    model: o.conv
      ? {
          id,
          hash,
          kind: 'conv-autoencoder',
          inputs,
          hidden,
          layers: [
            ...o.conv.filters.map((width) => ({ type: `conv1d k${o.conv!.taps} s${o.conv!.stride}`, width })),
            ...[...dense, inputs].map((width) => ({ type: 'dense', width })),
          ],
          parameters,
        }
      : { id, hash, kind: 'dense-autoencoder', inputs, hidden, parameters },
    features: pipeline,
    normalization,
    score: 'mse',
    threshold,
    checks,
    training: {
      data: dataName,
      source: meta?.source ?? 'unknown',
      scenario: scenarioSummary(meta?.scenario),
      rows: rec.t.length,
      durationS: rec.t[rec.t.length - 1]! - rec.t[0]!,
      windows: {
        total: set.features.length,
        train: nTrain,
        validation: nVal,
        dropped: set.features.length - usable,
      },
      epochs: fit.epochs,
      bestEpoch: fit.bestEpoch + 1,
      stoppedEarly: fit.stoppedEarly,
      loss: fit.loss,
      valLoss: fit.valLoss,
      batchSize: o.batchSize ?? TRAIN_DEFAULTS.batchSize,
      learningRate: o.learningRate ?? TRAIN_DEFAULTS.learningRate,
      patience: o.patience ?? TRAIN_DEFAULTS.patience,
      seed,
      backend,
      validationScores: scoreSummary(valScores),
      trainScores: scoreSummary(trainScores),
      command: o.command ?? null,
      createdAt: new Date().toISOString(),
    },
  };
  writeSidecar(o.out, sidecar);
  writeFileSync(join(o.out, 'README.md'), renderModelCard(sidecar, featureNames(pipeline)));
  return {
    dir: o.out,
    id,
    hash,
    windows: {
      total: set.features.length,
      train: nTrain,
      validation: nVal,
      dropped: set.features.length - usable,
    },
    features: featureNames(pipeline),
    epochs: fit.epochs,
    bestEpoch: fit.bestEpoch + 1,
    valLoss: fit.valLoss,
    threshold: threshold.value,
    backend,
    picked: picked.said,
  };
}

/**
 * The windows training learns from (normal by label, passing the sensor checks), split in time: the latest
 * `validation` fraction is held out (overlapping windows would leak across a random split).
 */
export function normalWindowSplit(
  set: WindowSet,
  validation: number,
): { train: number[]; validation: number[] } {
  const keep: number[] = [];
  for (let w = 0; w < set.features.length; w++) {
    if (set.severity[w] === 0 && set.sensorFault[w] === 'none' && set.verdicts[w] === null) keep.push(w);
  }
  const nVal = Math.floor(keep.length * validation);
  return { train: keep.slice(0, keep.length - nVal), validation: keep.slice(keep.length - nVal) };
}

/** The alarm threshold from the held-back normal windows' scores (normalized features), by the rule. */
export async function validationThreshold(
  model: tfl.LayersModel,
  validation: Float32Array[],
  rule: ThresholdRule,
): Promise<{ threshold: Threshold; scores: Float32Array }> {
  const scores = await reconstructionErrors(model, validation);
  const bad = scores.findIndex((s) => !Number.isFinite(s));
  if (bad >= 0) {
    throw new TinygateError(
      'TRAIN_NONFINITE_SCORE',
      `validation window ${bad} scores ${scores[bad]}: the model or its features give no finite number, so no threshold can be set`,
      {
        kind: 'internal',
        hint: 'Check the data for gaps (empty cells) and the features for the window size; please report it with the data.',
      },
    );
  }
  return { threshold: computeThreshold(scores, rule), scores };
}

export interface Normalization {
  mean: number[];
  std: number[];
}

/** Per-feature mean and standard deviation (floored so a constant feature cannot divide by ~0). */
export function fitNormalization(rows: Float32Array[]): Normalization {
  const d = rows[0]!.length;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (const r of rows) for (let i = 0; i < d; i++) mean[i]! += r[i]! / rows.length;
  for (const r of rows) for (let i = 0; i < d; i++) std[i]! += (r[i]! - mean[i]!) ** 2 / rows.length;
  for (let i = 0; i < d; i++) std[i] = Math.max(Math.sqrt(std[i]!), 1e-3 * Math.abs(mean[i]!), 1e-6);
  return { mean, std };
}

export function normalize(f: Float32Array, n: Normalization): Float32Array {
  const out = new Float32Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = (f[i]! - n.mean[i]!) / n.std[i]!;
  return out;
}

export function scoreSummary(x: Float32Array): Record<string, number> {
  let mean = 0;
  for (const v of x) mean += v / x.length;
  return {
    mean,
    p50: percentile(x, 50),
    p99: percentile(x, 99),
    p99_5: percentile(x, 99.5),
    max: percentile(x, 100),
  };
}

function scenarioSummary(s: unknown): unknown {
  if (!s || typeof s !== 'object') return null;
  const { name, seed, durationS } = s as Record<string, unknown>;
  return { name, seed, durationS };
}

export type { Recording, WindowSet };

// Window, hop and features from the data's rate and length when the caller gave none, and why.
function pickWindow(
  rec: Recording,
  o: Pick<TrainOptions, 'window' | 'hop' | 'features'>,
): { window: number; hop?: number; features?: FeatureKind[]; said: string[] } {
  if (o.window !== undefined) return { window: o.window, said: [] };
  const rows = rec.t.length;
  if (rec.rateHz < 1) {
    const { slowWindow: window, slowHop: hop, slowFeatures } = TRAIN_DEFAULTS;
    const features = o.features ?? slowFeatures;
    return {
      window,
      hop: o.hop ?? hop,
      features,
      said: [
        `window ${window} rows every ${o.hop ?? hop}${o.features ? '' : ` and slow-signal features ${features.join(',')}`}: the data has ${formatRate(rec.rateHz)}`,
      ],
    };
  }
  let window = TRAIN_DEFAULTS.window;
  while (window > 256 && (rows - window) / (window >> 1) + 1 < 200) window >>= 1;
  return {
    window,
    said:
      window === TRAIN_DEFAULTS.window
        ? []
        : [`window ${window} samples: ${rows} rows give too few windows of ${TRAIN_DEFAULTS.window}`],
  };
}
