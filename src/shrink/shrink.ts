import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BoardProfile } from '../boards/index.js';
import { convertModel } from '../convert/index.js';
import { fitAutoencoder } from '../detect/autoencoder.js';
import { windowRecording } from '../detect/dataset.js';
import { Int8AutoencoderScorer, int8Description } from '../detect/int8-scorer.js';
import { renderModelCard, type ShrinkFigures, type ShrinkRecord } from '../detect/model-card.js';
import {
  type LoadedModel,
  loadModelDir,
  MODEL_FILES,
  type ModelSidecar,
  modelHash,
  saveLayersModel,
  writeSidecar,
} from '../detect/model-dir.js';
import { type tfl, tfReady } from '../detect/tf.js';
import {
  normalize,
  normalWindowSplit,
  scoreSummary,
  TRAIN_DEFAULTS,
  validationThreshold,
} from '../detect/train.js';
import { TinygateError } from '../errors/index.js';
import { featureNames } from '../sensing/features.js';
import {
  type Recording,
  type RecordingMeta,
  readRecording,
  readRecordingMeta,
} from '../sensing/recording.js';
import { fitOnBoard, inspectModel, type ModelNeeds, readTflite } from '../tflite/index.js';
import { type Architecture, architectureName, candidateArchitectures } from './candidates.js';
import { distill } from './distill.js';
import {
  convLayers,
  freshModel,
  hiddenWidths,
  type Net,
  netMacs,
  netModel,
  netParameters,
  readNet,
} from './net.js';
import { pruneUnits } from './prune.js';
import { type EvalRecording, measureQuality, type Quality } from './quality.js';
import { noneReason } from './shrink-failure.js';
import { renderShrinkSvg } from './shrink-svg.js';

export interface ShrinkOptions {
  /** The teacher: a model folder written by `tinygate train`. */
  model: string;
  board: BoardProfile;
  /** Normal data to learn from (the teacher's training data or more of the same machine's normal running). */
  data: string | { recording: Recording; meta: RecordingMeta | null };
  /** Labelled recordings (machine faults and normal running; CSV paths or windowed) every candidate is judged on. */
  eval?: (string | EvalRecording)[];
  /** Model folder to write the chosen student to. */
  out: string;
  /** A flash budget below the board's model slot. */
  targetBytes?: number;
  /** Largest AUC drop from the teacher allowed on any fault type (default 0.005). */
  maxAucDrop?: number;
  /** Student architectures to try instead of the default ladder. */
  architectures?: Architecture[];
  epochs?: number;
  patience?: number;
  seed?: number;
  /** Weight of the anomaly-score term in the distillation loss (default 1). */
  scoreWeight?: number;
  command?: string;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface CandidateReport {
  name: string;
  widths: number[];
  /** 'teacher', or how the student was made: pruned or fresh, then trained on the data or on the teacher. */
  method: 'teacher' | 'pruned' | 'pruned+distilled' | 'fresh' | 'fresh+distilled';
  parameters: number;
  macs: number;
  int8Bytes: number;
  /** Bytes of weights and biases; the rest of int8Bytes is flatbuffer tables (tensors, ops, quantization). */
  weightsBytes: number;
  tensors: number;
  arenaBytes: number;
  /** What the int8 file asks of a board, so other boards' fit can be checked from the report. */
  needs: ModelNeeds;
  threshold: number;
  fits: boolean;
  fitProblems: string[];
  quality: Quality;
  /** Worst AUC drop from the teacher over the fault types (NaN without labelled data). */
  worstAucDrop: number;
  passes: boolean;
  failures: string[];
  epochs: number;
}

export interface ShrinkReport {
  /** What judged the candidates: detection quality on labelled recordings (or false alerts on --data). */
  judge: 'detection';
  teacher: { dir: string; id: string; hash: string; int8: 'shipped' | 'converted here' };
  board: string;
  budget: { flashBytes: number; arenaBytes: number };
  gate: { maxAucDrop: number; faults: string[]; normalHours: number; labelled: boolean };
  candidates: CandidateReport[];
  /** The smallest candidate that fits and passes, written to `out`; null when none did. */
  chosen: CandidateReport | null;
  out: string | null;
  picture: string | null;
  /** Why nothing was chosen, in words with the numbers. */
  noneReason: string | null;
}

const DEFAULT_MAX_AUC_DROP = 0.005;

/**
 * Make a model fit a board: try students from large to small (structured pruning of the teacher's units,
 * then shallower fresh nets), each trained twice (on the data alone, and distilled from the teacher),
 * converted to int8 and judged like the teacher; the smallest that fits the board and passes the gate is
 * written as a model folder. Every candidate is reported.
 */
export async function shrinkModel(o: ShrinkOptions): Promise<ShrinkReport> {
  const backend = await tfReady();
  const teacher = await loadModelDir(o.model);
  const ts = teacher.sidecar;
  const teacherNet = readNet(teacher.model);
  const rec = typeof o.data === 'string' ? readRecording(o.data) : o.data.recording;
  const meta = typeof o.data === 'string' ? readRecordingMeta(o.data) : o.data.meta;
  const dataName = typeof o.data === 'string' ? o.data : rec.file;
  const set = windowRecording(rec, ts.features, ts.checks);
  const split = normalWindowSplit(set, TRAIN_DEFAULTS.validation);
  const train = split.train.map((w) => normalize(set.features[w]!, ts.normalization));
  const validation = split.validation.map((w) => normalize(set.features[w]!, ts.normalization));
  if (train.length < 32 || validation.length < 16) {
    throw new TinygateError(
      'SHRINK_TOO_LITTLE_DATA',
      `${dataName}: ${train.length} normal windows to train and ${validation.length} to validate (need 32 and 16)`,
      {
        hint: `Pass the teacher's training data (${String(ts.training.data ?? 'see its README.md')}) or more normal running of the same machine with --data.`,
      },
    );
  }
  const labelled = (o.eval?.length ?? 0) > 0;
  // Without labelled data the only judge is false alarms on the given normal data.
  const judgeOn: EvalRecording[] = labelled
    ? o.eval!.map((e) =>
        typeof e === 'string'
          ? { name: e, chunks: [windowRecording(readRecording(e), ts.features, ts.checks)] }
          : e,
      )
    : [{ name: dataName, chunks: [set] }];
  const budget = {
    flashBytes: Math.min(o.board.modelBudget.flashBytes, o.targetBytes ?? Number.POSITIVE_INFINITY),
    arenaBytes: o.board.modelBudget.arenaBytes,
  };
  const maxAucDrop = o.maxAucDrop ?? DEFAULT_MAX_AUC_DROP;
  const architectures =
    o.architectures ?? candidateArchitectures(hiddenWidths(teacherNet), convLayers(teacherNet));
  const total = 1 + architectures.length * 2;
  let done = 0;
  const step = (what: string) => o.onProgress?.(done++, total, what);

  const work = mkdtempSync(join(tmpdir(), 'tinygate-shrink-'));
  try {
    step('teacher');
    const shippedInt8 = existsSync(join(teacher.dir, MODEL_FILES.int8));
    const teacherDir = shippedInt8 ? teacher.dir : join(work, 'teacher');
    if (!shippedInt8) {
      cpSync(teacher.dir, teacherDir, { recursive: true });
      await writeInt8(teacherDir, ts, train);
    }
    const teacherRow = await judge(teacherDir, teacherNet, 'teacher', ts.threshold.value, 0);
    if (labelled && Object.keys(teacherRow.quality.auc).length === 0) {
      throw new TinygateError(
        'SHRINK_NO_FAULTS',
        `the labelled data (${judgeOn.map((e) => e.name).join(', ')}) holds no machine-fault windows (no severity above 0), so no AUC can be measured`,
        {
          hint: 'Pass recordings with fault labels, e.g. from `tinygate sim data --scenario <fault scenario>`, or leave --eval out to judge on false alarms alone.',
        },
      );
    }
    const candidates: CandidateReport[] = [teacherRow];
    const dirs = new Map<CandidateReport, string>();
    for (const arch of architectures) {
      for (const distilled of [false, true]) {
        const method = `${arch.init}${distilled ? '+distilled' : ''}` as CandidateReport['method'];
        const name = architectureName(arch.widths, arch.conv);
        step(`${name} ${method}`);
        const student =
          arch.init === 'pruned'
            ? await netModel(pruneUnits(teacherNet, arch.widths, train))
            : freshModel(teacherNet, arch.widths, arch.conv, o.seed ?? TRAIN_DEFAULTS.seed);
        const fit = await trainStudent(student, teacher, train, validation, distilled, o);
        const { threshold, scores } = await validationThreshold(student, validation, ts.threshold.rule);
        const dir = join(work, `${name}-${method}`);
        const sidecar = await saveStudent(student, dir, {
          teacher: ts,
          widths: arch.widths,
          conv: arch.conv,
          threshold,
          training: {
            data: dataName,
            source: meta?.source ?? 'unknown',
            rows: rec.t.length,
            durationS: rec.t[rec.t.length - 1]! - rec.t[0]!,
            windows: {
              total: set.features.length,
              train: train.length,
              validation: validation.length,
              dropped: set.features.length - train.length - validation.length,
            },
            epochs: fit.epochs,
            bestEpoch: fit.bestEpoch + 1,
            stoppedEarly: fit.epochs < (o.epochs ?? TRAIN_DEFAULTS.epochs),
            valLoss: fit.valLoss,
            batchSize: TRAIN_DEFAULTS.batchSize,
            learningRate: TRAIN_DEFAULTS.learningRate,
            patience: o.patience ?? TRAIN_DEFAULTS.patience,
            seed: o.seed ?? TRAIN_DEFAULTS.seed,
            backend,
            validationScores: scoreSummary(scores),
            command: o.command ?? null,
            createdAt: new Date().toISOString(),
          },
        });
        await writeInt8(dir, sidecar, train);
        const row = await judge(dir, readNet(student), method, threshold.value, fit.epochs);
        student.dispose();
        candidates.push(row);
        dirs.set(row, dir);
      }
    }
    step('report');
    const faults = Object.keys(teacherRow.quality.auc);
    for (const c of candidates) gate(c, teacherRow, budget, maxAucDrop, labelled);
    const passing = candidates
      .filter((c) => c.method !== 'teacher' && c.passes)
      .sort((a, b) => a.int8Bytes - b.int8Bytes || a.worstAucDrop - b.worstAucDrop);
    const chosen = passing[0] ?? null;
    const report: ShrinkReport = {
      judge: 'detection',
      teacher: {
        dir: o.model,
        id: ts.model.id,
        hash: ts.model.hash,
        int8: shippedInt8 ? 'shipped' : 'converted here',
      },
      board: o.board.id,
      budget,
      gate: { maxAucDrop, faults, normalHours: teacherRow.quality.normalHours, labelled },
      candidates,
      chosen,
      out: null,
      picture: null,
      noneReason: chosen
        ? null
        : noneReason(candidates, budget, {
            quality: (c) => `its worst AUC drop is ${fmt(c.worstAucDrop)}`,
            worse: (c) => c.worstAucDrop,
          }),
    };
    if (chosen) {
      mkdirSync(o.out, { recursive: true });
      cpSync(dirs.get(chosen)!, o.out, { recursive: true });
      const sidecar = JSON.parse(readFileSync(join(o.out, MODEL_FILES.sidecar), 'utf8')) as ModelSidecar;
      sidecar.training.shrink = shrinkRecord(report, chosen, teacherRow);
      writeSidecar(o.out, sidecar);
      writeFileSync(join(o.out, MODEL_FILES.card), renderModelCard(sidecar, featureNames(sidecar.features)));
      report.out = o.out;
      report.picture = join(o.out, 'shrink.svg');
      writeFileSync(report.picture, renderShrinkSvg(report));
      writeFileSync(join(o.out, 'shrink-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    }
    o.onProgress?.(total, total, 'done');
    return report;
  } finally {
    teacher.model.dispose();
    rmSync(work, { recursive: true, force: true });
  }

  async function judge(
    dir: string,
    net: Net,
    method: CandidateReport['method'],
    threshold: number,
    epochs: number,
  ): Promise<CandidateReport> {
    const bytes = new Uint8Array(readFileSync(join(dir, MODEL_FILES.int8)));
    const info = inspectModel(readTflite(bytes), bytes.length);
    const fit = fitOnBoard(o.board, info.needs);
    const scorer = await Int8AutoencoderScorer.open(dir);
    try {
      const quality = await measureQuality(scorer, judgeOn);
      return {
        name:
          method === 'teacher'
            ? `teacher ${architectureName(hiddenWidths(net), convLayers(net))}`
            : architectureName(hiddenWidths(net), convLayers(net)),
        widths: hiddenWidths(net),
        method,
        parameters: netParameters(net),
        macs: netMacs(net),
        int8Bytes: bytes.length,
        weightsBytes: info.weightsBytes,
        tensors: info.tensorCount,
        arenaBytes: fit.arena.need,
        needs: info.needs,
        threshold,
        fits: fit.fits,
        fitProblems: fit.problems,
        quality,
        worstAucDrop: Number.NaN,
        passes: false,
        failures: [],
        epochs,
      };
    } finally {
      scorer.dispose?.();
    }
  }
}

/** Fine-tune on the data (the window is its own target) or distil from the teacher, same budget either way. */
async function trainStudent(
  student: tfl.LayersModel,
  teacher: LoadedModel,
  train: Float32Array[],
  validation: Float32Array[],
  distilled: boolean,
  o: ShrinkOptions,
): Promise<{ epochs: number; bestEpoch: number; valLoss: number }> {
  const common = {
    epochs: o.epochs ?? TRAIN_DEFAULTS.epochs,
    batchSize: TRAIN_DEFAULTS.batchSize,
    learningRate: TRAIN_DEFAULTS.learningRate,
    patience: o.patience ?? TRAIN_DEFAULTS.patience,
    seed: o.seed ?? TRAIN_DEFAULTS.seed,
  };
  if (!distilled) return fitAutoencoder(student, train, validation, common);
  return distill(student, teacher.model, train, validation, { ...common, scoreWeight: o.scoreWeight ?? 1 });
}

/** Write a student as a model folder (the teacher's features, normalization and checks; its own threshold). */
async function saveStudent(
  student: tfl.LayersModel,
  dir: string,
  s: {
    teacher: ModelSidecar;
    widths: number[];
    /** How many of the widths are Conv1D filters. */
    conv: number;
    threshold: ModelSidecar['threshold'];
    training: Record<string, unknown>;
  },
): Promise<ModelSidecar> {
  const files = await saveLayersModel(student, dir);
  const t = s.teacher;
  const hash = modelHash(files.json, files.weights, t.features, t.normalization);
  const bottleneck = s.widths.indexOf(Math.min(...s.widths));
  const sidecar: ModelSidecar = {
    format: 'tinygate-model',
    version: 1,
    model: {
      id: `${t.model.id}-${architectureName(s.widths, s.conv)}`,
      hash,
      kind: s.conv ? 'conv-autoencoder' : 'dense-autoencoder',
      inputs: t.model.inputs,
      hidden: s.widths.slice(0, bottleneck + 1),
      // Conv students keep the teacher's Conv1D type (taps, stride) for their first `conv` layers.
      layers: [...s.widths, t.model.inputs].map((width, i) => ({
        type: i < s.conv ? (t.model.layers?.[0]?.type ?? 'conv1d') : 'dense',
        width,
      })),
      parameters: student.countParams(),
    },
    features: t.features,
    normalization: t.normalization,
    score: 'mse',
    threshold: s.threshold,
    checks: t.checks,
    training: s.training,
  };
  writeSidecar(dir, sidecar);
  return sidecar;
}

/** The int8 file the gateway and boards run, calibrated on the training windows as `tinygate train` users do. */
export async function writeInt8(
  dir: string,
  sidecar: ModelSidecar,
  calib: Float32Array[],
): Promise<Uint8Array> {
  const { bytes } = await convertModel({
    model: dir,
    calib: '(training windows)',
    calibSamples: calib,
    // Min/max, not output-mse: ranges clipped to fit normal windows would saturate on the abnormal ones.
    strategy: 'minmax',
    description: int8Description(sidecar),
    // The shrink gate judges detection quality itself, on labelled data, against the teacher.
    maxAucDrop: Number.POSITIVE_INFINITY,
  });
  writeFileSync(join(dir, MODEL_FILES.int8), bytes);
  return bytes;
}

function gate(
  c: CandidateReport,
  teacher: CandidateReport,
  budget: ShrinkReport['budget'],
  maxAucDrop: number,
  labelled: boolean,
): void {
  const failures: string[] = [];
  if (!c.fits) failures.push(...c.fitProblems);
  if (c.int8Bytes > budget.flashBytes && c.fits)
    failures.push(`${c.int8Bytes} B, over the target ${budget.flashBytes} B`);
  let worst = labelled ? 0 : Number.NaN;
  for (const [fault, t] of Object.entries(teacher.quality.auc)) {
    const s = c.quality.auc[fault] ?? Number.NaN;
    const drop = t - s;
    if (!(drop <= maxAucDrop))
      failures.push(`${fault} AUC ${fmt(s)} vs the teacher's ${fmt(t)} (drop ${fmt(drop)} > ${maxAucDrop})`);
    if (labelled) worst = Math.max(worst, Number.isNaN(drop) ? Number.POSITIVE_INFINITY : drop);
  }
  if (c.quality.falseAlarms > teacher.quality.falseAlarms) {
    failures.push(
      `${c.quality.falseAlarms} false machine alerts vs the teacher's ${teacher.quality.falseAlarms}`,
    );
  }
  c.worstAucDrop = worst;
  c.failures = failures;
  c.passes = failures.length === 0;
}

/** What the chosen model's card records about how it was made. */
function shrinkRecord(report: ShrinkReport, chosen: CandidateReport, teacher: CandidateReport): ShrinkRecord {
  return {
    teacher: {
      ...report.teacher,
      int8Bytes: teacher.int8Bytes,
      parameters: teacher.parameters,
      widths: teacher.widths,
    },
    board: report.board,
    budget: report.budget,
    method: chosen.method,
    pruning: chosen.method.startsWith('pruned')
      ? 'structured: whole units removed per layer, ranked by mean |activation| × outgoing weight norm on the training windows; removed units’ mean output folded into the next bias'
      : 'none (a fresh, shallower net)',
    distillation: chosen.method.endsWith('distilled')
      ? 'trained on the teacher’s reconstructions and anomaly scores of the training windows (loss = MSE to the teacher’s output + MSE of the scores)'
      : 'none (trained on the windows themselves)',
    gate: report.gate,
    before: summaryOf(teacher),
    after: summaryOf(chosen),
  };
}

function summaryOf(c: CandidateReport): ShrinkFigures {
  return {
    int8Bytes: c.int8Bytes,
    parameters: c.parameters,
    macs: c.macs,
    arenaBytes: c.arenaBytes,
    auc: c.quality.auc,
    falseAlarms: c.quality.falseAlarms,
  };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}
