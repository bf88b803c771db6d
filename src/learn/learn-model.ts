// One machine's own model from the normal windows the gateway collected on site: a dense autoencoder
// (warm-started from the configured model when it has the same inputs), its threshold from the target
// false-alarm rate, the int8 conversion for the board, and the gate a new model must pass to go live.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoardProfile } from '../boards/index.js';
import { convertModel } from '../convert/index.js';
import { buildAutoencoder, fitAutoencoder, reconstructionErrors } from '../detect/autoencoder.js';
import { Int8AutoencoderScorer, int8Description } from '../detect/int8-scorer.js';
import { renderModelCard } from '../detect/model-card.js';
import {
  loadModelDir,
  MODEL_FILES,
  type ModelSidecar,
  modelHash,
  saveLayersModel,
  writeSidecar,
} from '../detect/model-dir.js';
import { TailEstimator, tailQuantile } from '../detect/online/tail.js';
import { tfReady } from '../detect/tf.js';
import { percentile } from '../detect/threshold.js';
import { fitNormalization, normalize } from '../detect/train.js';
import { TRAIN_DEFAULTS } from '../detect/train-defaults.js';
import { TinygateError } from '../errors/index.js';
import type { ChannelMeta } from '../sensing/channels.js';
import { type FeaturePipeline, featureNames } from '../sensing/features.js';
import { alarmsPerDay } from './gate.js';
import { HELD_BACK, MIN_FIT, MIN_HELD_BACK, minLearnWindows } from './learn-sizes.js';

export interface LearnModelInput {
  board: string;
  /** The board's normal windows' features, in time order (raw, before normalization). */
  features: Float32Array[];
  /** Stream time of the first and last window's end, epoch ms. */
  span: { start: number; end: number };
  pipeline: FeaturePipeline;
  checks: ChannelMeta[];
  /** The configured model folder to start from; its weights are used when its inputs match. */
  warmStart: string | null;
  /** Folder to write the new model to. */
  out: string;
  id: string;
  falseAlarmsPerDay: number;
  debounce: { k: number; n: number };
  /** The board whose int8 budget the model must fit, when it runs on the board. */
  profile: BoardProfile | null;
  epochs?: number;
  seed?: number;
}

export interface LearnedModel {
  dir: string;
  id: string;
  hash: string;
  threshold: number;
  windows: { fit: number; heldBack: number };
  warmStarted: boolean;
  epochs: number;
  bestEpoch: number;
  /** The int8 conversion the gateway (and the board) runs. */
  int8: { bytes: number; arenaBytes: number; rmseOverRange: number };
  gate: LearnGate;
}

/** Whether a new model may go live: its expected false alarms a day on held-back normal windows. */
export interface LearnGate {
  passed: boolean;
  /** Expected machine alarms a day at the debounce, from the held-back windows' int8 scores. */
  expectedAlarmsPerDay: number;
  target: number;
  /** Share of held-back windows the tail puts above the threshold. */
  exceedance: number;
  reason: string;
}

export type LearnProgress =
  | { stage: 'training'; epoch: number; epochs: number; valLoss: number }
  | { stage: 'converting' };

export async function learnModel(
  o: LearnModelInput,
  onProgress: (p: LearnProgress) => void = () => {},
): Promise<LearnedModel> {
  const backend = await tfReady();
  const n = o.features.length;
  const nHeld = Math.floor(n * HELD_BACK);
  const nFit = n - nHeld;
  if (nHeld < MIN_HELD_BACK || nFit < MIN_FIT) {
    throw new TinygateError(
      'LEARN_TOO_FEW_WINDOWS',
      `board ${o.board}: ${n} normal windows learned; a model needs ${MIN_FIT} to fit and ${MIN_HELD_BACK} held back (${minLearnWindows()} in all)`,
      { hint: `Learn for longer: at least ${minLearnWindows()} windows that pass the sensor checks.` },
    );
  }
  // The latest windows are held back: a machine whose normal moved while learning fails the gate.
  const fitRaw = o.features.slice(0, nFit);
  const heldRaw = o.features.slice(nFit);
  const normalization = fitNormalization(fitRaw);
  const fitRows = fitRaw.map((f) => normalize(f, normalization));
  const heldRows = heldRaw.map((f) => normalize(f, normalization));
  // Early stopping watches the last sixth of the fit windows, never the held-back ones.
  const nStop = Math.max(16, Math.floor(nFit / 6));
  const train = fitRows.slice(0, nFit - nStop);
  const stop = fitRows.slice(nFit - nStop);

  const seed = o.seed ?? TRAIN_DEFAULTS.seed;
  const inputs = fitRows[0]!.length;
  const start = o.warmStart ? await warmModel(o.warmStart, inputs) : null;
  const hidden = start?.hidden ?? TRAIN_DEFAULTS.hidden;
  const model = start?.model ?? buildAutoencoder({ inputs, hidden }, seed);
  const epochs = o.epochs ?? TRAIN_DEFAULTS.epochs;
  const fit = await fitAutoencoder(model, train, stop, {
    epochs,
    batchSize: TRAIN_DEFAULTS.batchSize,
    learningRate: TRAIN_DEFAULTS.learningRate,
    patience: TRAIN_DEFAULTS.patience,
    seed,
    onEpoch: (e, _loss, valLoss) => onProgress({ stage: 'training', epoch: e + 1, epochs, valLoss }),
  });

  // The threshold: the score a normal window exceeds at the target rate (no credit taken for the debounce).
  const spacingS = n > 1 ? (o.span.end - o.span.start) / 1000 / (n - 1) : 1;
  const perWindow = Math.min(0.5, (o.falseAlarmsPerDay * spacingS) / 86_400);
  const fitScores = await reconstructionErrors(model, fitRows);
  const heldScoresFloat = await reconstructionErrors(model, heldRows);
  const all = Float64Array.from([...fitScores, ...heldScoresFloat]);
  const threshold = tailQuantile(all, perWindow);
  if (!Number.isFinite(threshold)) {
    throw new TinygateError(
      'TRAIN_NONFINITE_SCORE',
      `board ${o.board}: the learned scores give no threshold`,
      {
        kind: 'internal',
        hint: 'Check the board for gaps in its data; please report it with the board config.',
      },
    );
  }

  const files = await saveLayersModel(model, o.out);
  const parameters = model.countParams();
  model.dispose();
  const hash = modelHash(files.json, files.weights, o.pipeline, normalization);
  const sidecar: ModelSidecar = {
    format: 'tinygate-model',
    version: 1,
    model: { id: o.id, hash, kind: 'dense-autoencoder', inputs, hidden, parameters },
    features: o.pipeline,
    normalization,
    score: 'mse',
    threshold: {
      value: threshold,
      rule: { method: 'false-alarm-rate', perDay: o.falseAlarmsPerDay, perWindow },
      n: all.length,
    },
    checks: o.checks,
    training: {
      data: `normal windows of board ${o.board}, learned on site`,
      source: 'gateway',
      scenario: null,
      rows: n,
      durationS: (o.span.end - o.span.start) / 1000,
      span: { start: new Date(o.span.start).toISOString(), end: new Date(o.span.end).toISOString() },
      windows: { total: n, train: nFit, validation: nHeld, dropped: 0 },
      warmStart: start ? o.warmStart : null,
      epochs: fit.epochs,
      bestEpoch: fit.bestEpoch + 1,
      stoppedEarly: fit.stoppedEarly,
      loss: fit.loss,
      valLoss: fit.valLoss,
      batchSize: TRAIN_DEFAULTS.batchSize,
      learningRate: TRAIN_DEFAULTS.learningRate,
      patience: TRAIN_DEFAULTS.patience,
      seed,
      backend,
      validationScores: summary(heldScoresFloat),
      trainScores: summary(fitScores),
      command: `learned by the gateway (tinygate learn ${o.board})`,
      createdAt: new Date().toISOString(),
    },
  };
  writeSidecar(o.out, sidecar);

  onProgress({ stage: 'converting' });
  const converted = await convertModel({
    model: o.out,
    calib: `board ${o.board}'s learned windows`,
    calibSamples: fitRows,
    // Min/max, not output-mse: ranges clipped to fit normal windows would saturate on the abnormal ones.
    strategy: 'minmax',
    evalSamples: { samples: heldRows, labels: null },
    boards: o.profile ? [o.profile] : [],
    description: int8Description(sidecar),
  });
  const fits = converted.report.boards[0];
  if (fits && !fits.fits) {
    throw new TinygateError(
      'MODEL_DOES_NOT_FIT',
      `board ${o.board} (${o.profile!.id}): the learned model does not fit: ${fits.problems.join('; ')}`,
      { hint: 'Configure a smaller model to start from, or run inference on the gateway.' },
    );
  }
  writeFileSync(join(o.out, MODEL_FILES.int8), converted.bytes);

  // The gate judges the scorer that will run: the int8 model, on windows it never saw.
  const int8 = await Int8AutoencoderScorer.open(o.out);
  const heldScores = int8.scoreBatch(heldRaw);
  int8.dispose();
  const gate = judgeGate(heldScores, threshold, spacingS, o.debounce, o.falseAlarmsPerDay);
  sidecar.training.gate = gate;
  writeSidecar(o.out, sidecar);
  writeFileSync(join(o.out, MODEL_FILES.card), renderModelCard(sidecar, featureNames(o.pipeline)));
  return {
    dir: o.out,
    id: o.id,
    hash,
    threshold,
    windows: { fit: nFit, heldBack: nHeld },
    warmStarted: start !== null,
    epochs: fit.epochs,
    bestEpoch: fit.bestEpoch + 1,
    int8: {
      bytes: converted.bytes.length,
      arenaBytes: converted.report.model.tflm.totalBytes,
      rmseOverRange: converted.report.accuracy.rmseOverRange,
    },
    gate,
  };
}

/** The gate: the held-back windows' tail says how often the threshold is crossed, the debounce how often that alarms. */
export function judgeGate(
  heldScores: ArrayLike<number>,
  threshold: number,
  spacingS: number,
  debounce: { k: number; n: number },
  target: number,
): LearnGate {
  const tail = new TailEstimator({ spanS: Number.POSITIVE_INFINITY, maxValues: heldScores.length });
  for (let i = 0; i < heldScores.length; i++) tail.add(heldScores[i]!, 0);
  const exceedance = tail.pValue(threshold);
  const expected = alarmsPerDay(exceedance, debounce, spacingS);
  const passed = expected <= target;
  const median = percentile(heldScores, 50);
  return {
    passed,
    expectedAlarmsPerDay: expected,
    target,
    exceedance,
    reason: passed
      ? `${fmt(expected)} expected false alarms a day on ${heldScores.length} held-back windows (target ${target})`
      : `${fmt(expected)} expected false alarms a day on ${heldScores.length} held-back windows, over the target ${target} (their median score ${median.toPrecision(3)} against the threshold ${threshold.toPrecision(3)}): the machine's normal moved while learning, or it is not yet steady`,
  };
}

async function warmModel(dir: string, inputs: number) {
  const loaded = await loadModelDir(dir);
  if (loaded.sidecar.model.inputs !== inputs || loaded.sidecar.model.kind !== 'dense-autoencoder') {
    loaded.model.dispose();
    return null;
  }
  return { model: loaded.model, hidden: loaded.sidecar.model.hidden };
}

function fmt(x: number): string {
  return x < 0.01 ? x.toExponential(1) : x.toPrecision(2);
}

function summary(x: Float32Array): Record<string, number> {
  return { p50: percentile(x, 50), p99: percentile(x, 99), max: percentile(x, 100) };
}
