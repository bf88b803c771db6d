import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { BoardProfile } from '../boards/index.js';
import { convertModel } from '../convert/index.js';
import { readSamples } from '../data/index.js';
import { MODEL_FILES, saveLayersModel } from '../detect/model-dir.js';
import { tf, tfl, tfReady } from '../detect/tf.js';
import { TRAIN_DEFAULTS } from '../detect/train-defaults.js';
import { TinygateError } from '../errors/index.js';
import { fitOnBoard, inspectModel, type ModelNeeds, readTflite } from '../tflite/index.js';
import { distillOutputs } from './distill.js';
import { type Fidelity, int8Outputs, measureFidelity } from './fidelity.js';
import { pruneChain, readChain } from './layers-prune.js';
import { noneReason } from './shrink-failure.js';
import { renderSizeQualitySvg } from './shrink-svg.js';

export interface LayersShrinkOptions {
  /** The teacher: a tfjs Layers model (its folder or model.json) that `tinygate train` did not write. */
  model: string;
  board: BoardProfile;
  /** The model's inputs (a .csv, .npy or .json of samples, as `tinygate convert --calib` reads), or in hand. */
  data: string | Float32Array[];
  out: string;
  targetBytes?: number;
  /** Least share of samples whose int8 student's top class is the float teacher's (classifiers; default 0.99). */
  minAgreement?: number;
  /** Largest RMSE of the int8 student's outputs from the float teacher's, over the teacher's output range (default 0.05). */
  maxRmse?: number;
  /** Fractions of each prunable layer's channels to keep, one candidate each (default ¾, ½, ⅜, ¼, ⅛). */
  fractions?: number[];
  epochs?: number;
  patience?: number;
  seed?: number;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface LayersCandidate {
  name: string;
  /** Channels kept in each prunable layer, in model order. */
  widths: number[];
  /** 'pruned': channels removed (means folded into the next bias), not trained; '+distilled': then trained on the teacher's outputs. */
  method: 'teacher' | 'pruned' | 'pruned+distilled';
  parameters: number;
  macs: number;
  int8Bytes: number;
  weightsBytes: number;
  tensors: number;
  arenaBytes: number;
  needs: ModelNeeds;
  fits: boolean;
  fitProblems: string[];
  fidelity: Fidelity;
  passes: boolean;
  failures: string[];
  epochs: number;
}

export interface LayersShrinkReport {
  /** What judged the candidates: fidelity of each int8 model to the float teacher on held-back --data samples. */
  judge: 'fidelity';
  teacher: { path: string; widths: number[]; prunable: string[] };
  board: string;
  budget: { flashBytes: number; arenaBytes: number };
  gate: {
    classifier: boolean;
    /** Gated for classifiers only. */
    minAgreement: number;
    maxRmse: number;
    samples: { learn: number; validate: number; judge: number; file: string };
  };
  candidates: LayersCandidate[];
  chosen: LayersCandidate | null;
  out: string | null;
  picture: string | null;
  noneReason: string | null;
}

const FRACTIONS = [0.75, 0.5, 0.375, 0.25, 0.125];

/**
 * Shrink a tfjs Layers model with no tinygate pipeline (so no fault labels to judge detection on): prune
 * its channels to each size, convert each to int8 and judge it by how closely it follows the float teacher
 * on held-back samples of the user's data; then distil each pruned student from the teacher's outputs and
 * judge it again. The smallest candidate that fits the board and passes the fidelity gate is written.
 */
export async function shrinkLayersModel(o: LayersShrinkOptions): Promise<LayersShrinkReport> {
  await tfReady();
  const teacher = await loadLayers(o.model);
  const chain = readChain(teacher);
  if (chain.prunable.length === 0) {
    throw new TinygateError(
      'SHRINK_UNSUPPORTED',
      `${o.model} has no layer shrink can prune: a Dense, Conv1D, Conv2D or SeparableConv2D layer whose channels reach another of them only through per-channel layers (BatchNormalization, DepthwiseConv2D, pooling, activations, Flatten)`,
      { hint: 'Its output layer keeps its width; a model of one weighted layer cannot be pruned.' },
    );
  }
  const shape = teacher.inputs[0]!.shape.slice(1) as number[];
  const perSample = shape.reduce((a, b) => a * b, 1);
  const file = typeof o.data === 'string' ? o.data : '(samples)';
  const all = typeof o.data === 'string' ? readSamples(o.data, perSample) : o.data;
  // Every fifth sample judges, every fifth of the rest stops distillation early; the others teach and calibrate.
  const judgeSet = all.filter((_, i) => i % 5 === 4);
  const rest = all.filter((_, i) => i % 5 !== 4);
  const validation = rest.filter((_, i) => i % 5 === 4);
  const train = rest.filter((_, i) => i % 5 !== 4);
  if (train.length < 32 || judgeSet.length < 8) {
    throw new TinygateError(
      'SHRINK_TOO_LITTLE_DATA',
      `${file}: ${all.length} samples, so ${train.length} to learn from and ${judgeSet.length} to judge on (need 32 and 8: at least 50 samples)`,
      { hint: 'Pass more of the inputs the model sees in use with --data (a few hundred is typical).' },
    );
  }
  const minAgreement = o.minAgreement ?? 0.99;
  const maxRmse = o.maxRmse ?? 0.05;
  const budget = {
    flashBytes: Math.min(o.board.modelBudget.flashBytes, o.targetBytes ?? Number.POSITIVE_INFINITY),
    arenaBytes: o.board.modelBudget.arenaBytes,
  };
  const stack = (rows: Float32Array[]) => {
    const flat = new Float32Array(rows.length * perSample);
    rows.forEach((r, i) => {
      flat.set(r, i * perSample);
    });
    return tf.tensor(flat, [rows.length, ...shape]);
  };
  const xTrain = stack(train);
  const xVal = stack(validation);
  const xJudge = stack(judgeSet);
  const teacherOut = rowsOf(teacher.predict(xJudge) as tf.Tensor);
  const fractions = o.fractions ?? FRACTIONS;
  const total = 1 + fractions.length * 2;
  let done = 0;
  const step = (what: string) => o.onProgress?.(done++, total, what);
  const work = mkdtempSync(join(tmpdir(), 'tinygate-shrink-layers-'));
  const teacherWidths = chain.prunable.map((p) => p.width);
  const candidates: LayersCandidate[] = [];
  const dirs = new Map<LayersCandidate, string>();
  try {
    step('teacher');
    candidates.push(await judge(teacher, teacherWidths, 'teacher', 0, join(work, 'teacher')));
    const seen = new Set<string>([teacherWidths.join('-')]);
    for (const f of fractions) {
      const pruned = await pruneChain(teacher, chain, f, xTrain);
      const name = pruned.widths.join('-');
      if (seen.has(name)) {
        pruned.model.dispose();
        done += 2;
        continue;
      }
      seen.add(name);
      step(`${name} pruned`);
      const dir = join(work, `${name}-pruned`);
      const row = await judge(pruned.model, pruned.widths, 'pruned', 0, dir);
      candidates.push(row);
      dirs.set(row, dir);
      step(`${name} pruned+distilled`);
      const fit = await distillOutputs(pruned.model, teacher, xTrain, xVal, {
        epochs: o.epochs ?? TRAIN_DEFAULTS.epochs,
        batchSize: 32,
        learningRate: TRAIN_DEFAULTS.learningRate / 3,
        patience: o.patience ?? TRAIN_DEFAULTS.patience,
        seed: o.seed ?? TRAIN_DEFAULTS.seed,
        classifier: chain.classifier,
      });
      const dDir = join(work, `${name}-distilled`);
      const dRow = await judge(pruned.model, pruned.widths, 'pruned+distilled', fit.epochs, dDir);
      candidates.push(dRow);
      dirs.set(dRow, dDir);
      pruned.model.dispose();
    }
    step('report');
    for (const c of candidates) gate(c);
    const chosen =
      candidates
        .filter((c) => c.method !== 'teacher' && c.passes)
        .sort(
          (a, b) => a.int8Bytes - b.int8Bytes || a.fidelity.rmseOverRange - b.fidelity.rmseOverRange,
        )[0] ?? null;
    const report: LayersShrinkReport = {
      judge: 'fidelity',
      teacher: { path: o.model, widths: teacherWidths, prunable: chain.prunable.map((p) => p.name) },
      board: o.board.id,
      budget,
      gate: {
        classifier: chain.classifier,
        minAgreement,
        maxRmse,
        samples: { learn: train.length, validate: validation.length, judge: judgeSet.length, file },
      },
      candidates,
      chosen,
      out: null,
      picture: null,
      noneReason: chosen
        ? null
        : noneReason(candidates, budget, {
            quality: (c) => `its output RMSE is ${pct(c.fidelity.rmseOverRange)} of the teacher's range`,
            worse: (c) => c.fidelity.rmseOverRange,
          }),
    };
    if (chosen) {
      mkdirSync(o.out, { recursive: true });
      for (const f of [MODEL_FILES.topology, MODEL_FILES.weights, MODEL_FILES.int8])
        writeFileSync(join(o.out, f), readFileSync(join(dirs.get(chosen)!, f)));
      report.out = o.out;
      report.picture = join(o.out, 'shrink.svg');
      writeFileSync(report.picture, renderLayersSvg(report));
      writeFileSync(join(o.out, 'shrink-report.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(join(o.out, 'README.md'), card(report, chosen));
    }
    o.onProgress?.(total, total, 'done');
    return report;
  } finally {
    tf.dispose([xTrain, xVal, xJudge]);
    teacher.dispose();
    rmSync(work, { recursive: true, force: true });
  }

  async function judge(
    model: tfl.LayersModel,
    widths: number[],
    method: LayersCandidate['method'],
    epochs: number,
    dir: string,
  ): Promise<LayersCandidate> {
    await saveLayers(model, dir);
    const { bytes } = await convertModel({
      model: dir,
      calib: file,
      calibSamples: [...train, ...validation],
      // Min/max, as bench/results/shrink-2d.json was measured; output-mse is not yet measured here.
      strategy: 'minmax',
      evalSamples: { samples: judgeSet, labels: null },
    });
    writeFileSync(join(dir, MODEL_FILES.int8), bytes);
    const info = inspectModel(readTflite(bytes), bytes.length);
    const fit = fitOnBoard(o.board, info.needs);
    const fidelity = measureFidelity(teacherOut, await int8Outputs(bytes, judgeSet), chain.classifier);
    return {
      name: method === 'teacher' ? `teacher ${widths.join('-')}` : widths.join('-'),
      widths,
      method,
      parameters: model.countParams(),
      macs: info.totalMacs,
      int8Bytes: bytes.length,
      weightsBytes: info.weightsBytes,
      tensors: info.tensorCount,
      arenaBytes: fit.arena.need,
      needs: info.needs,
      fits: fit.fits,
      fitProblems: fit.problems,
      fidelity,
      passes: false,
      failures: [],
      epochs,
    };
  }

  function gate(c: LayersCandidate): void {
    const failures: string[] = [];
    if (!c.fits) failures.push(...c.fitProblems);
    if (c.fits && c.int8Bytes > budget.flashBytes)
      failures.push(`${c.int8Bytes} B, over the target ${budget.flashBytes} B`);
    const a = c.fidelity.top1Agreement;
    if (chain.classifier && a !== null && a < minAgreement)
      failures.push(`top-1 agreement with the teacher ${pct(a)} < ${pct(minAgreement)}`);
    if (!(c.fidelity.rmseOverRange <= maxRmse))
      failures.push(`output RMSE ${pct(c.fidelity.rmseOverRange)} of the teacher's range > ${pct(maxRmse)}`);
    c.failures = failures;
    c.passes = failures.length === 0;
  }
}

/** A tfjs Layers model from its folder or model.json, weight files read from beside it. */
export async function loadLayers(path: string): Promise<tfl.LayersModel> {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, MODEL_FILES.topology) : path;
  if (!existsSync(file)) {
    throw new TinygateError('MODEL_UNREADABLE', `${file}: no such file`, {
      hint: 'Give a tfjs Layers model: its folder (model.json and weight files) or its model.json.',
    });
  }
  const doc = JSON.parse(readFileSync(file, 'utf8')) as LayersJson;
  withDepthMultipliers(doc);
  const buffers = doc.weightsManifest.flatMap((g) =>
    g.paths.map((p) => readFileSync(join(dirname(file), p))),
  );
  const weights = Buffer.concat(buffers);
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: doc.modelTopology,
      weightSpecs: doc.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
}

interface LayersJson {
  modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * tfjs writes a SeparableConv2D's config without its depth multiplier and reads it back as 1, so a model it
 * saved with a larger one cannot be loaded; the depthwise kernel's shape [kh, kw, in, multiplier] says it.
 */
function withDepthMultipliers(doc: LayersJson): void {
  const specs = doc.weightsManifest.flatMap((g) => g.weights);
  for (const layer of doc.modelTopology.config.layers ?? []) {
    if (layer.class_name !== 'SeparableConv2D' || layer.config.depth_multiplier !== undefined) continue;
    const dw = specs.find((w) => w.name.endsWith(`${String(layer.config.name)}/depthwise_kernel`));
    if (dw) layer.config.depth_multiplier = dw.shape[3];
  }
}

/** Save a model as a folder and make its model.json loadable again (see withDepthMultipliers). */
async function saveLayers(model: tfl.LayersModel, dir: string): Promise<void> {
  await saveLayersModel(model, dir);
  const file = join(dir, MODEL_FILES.topology);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as LayersJson;
  withDepthMultipliers(doc);
  writeFileSync(file, `${JSON.stringify(doc)}\n`);
}

function rowsOf(t: tf.Tensor): Float32Array[] {
  const n = t.shape[0]!;
  const d = t.size / n;
  const flat = t.dataSync() as Float32Array;
  t.dispose();
  return Array.from({ length: n }, (_, i) => flat.slice(i * d, (i + 1) * d));
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}

function renderLayersSvg(r: LayersShrinkReport): string {
  return renderSizeQualitySvg({
    title: `Shrinking ${basename(r.teacher.path)} for ${r.board}: int8 size against fidelity`,
    subtitle: `output RMSE from the float teacher, % of its range, negated (up is better; filled: fits and passes)`,
    board: r.board,
    budgetBytes: r.budget.flashBytes,
    gate: { y: -r.gate.maxRmse * 100, label: `gate: −${r.gate.maxRmse * 100} %` },
    fromZero: false,
    minSpan: 1,
    decimals: 2,
    points: r.candidates.map((c) => ({
      name: c.name,
      method: c.method,
      bytes: c.int8Bytes,
      y: -c.fidelity.rmseOverRange * 100,
      passes: c.passes,
      failures: c.failures,
    })),
    chosen: r.chosen ? { name: r.chosen.name, method: r.chosen.method, bytes: r.chosen.int8Bytes } : null,
  });
}

/** A short card for the written model: where it came from and how it compares with its teacher. */
function card(r: LayersShrinkReport, c: LayersCandidate): string {
  const t = r.candidates.find((x) => x.method === 'teacher')!;
  const row = (x: LayersCandidate) =>
    `| ${x.method === 'teacher' ? 'teacher' : 'this model'} | ${x.widths.join('-')} | ${x.parameters} | ${x.int8Bytes} | ${x.arenaBytes} | ${x.fidelity.top1Agreement === null ? '–' : pct(x.fidelity.top1Agreement)} | ${pct(x.fidelity.rmseOverRange)} |`;
  return [
    `# ${basename(r.out ?? 'model')}`,
    '',
    `Shrunk by \`tinygate shrink\` from ${r.teacher.path} for ${r.board} (budget ${r.budget.flashBytes} B model flash, ${r.budget.arenaBytes} B arena).`,
    '',
    `- Pruning: channels of ${r.teacher.prunable.join(', ')} removed, ranked by mean |activation| where the next weighted layer reads them × that layer's weight norm on them; removed channels' means folded into the next bias.`,
    `- Distillation: ${c.method === 'pruned+distilled' ? `trained ${c.epochs} epochs on the teacher's outputs for ${r.gate.samples.learn} samples of ${r.gate.samples.file} (${r.gate.classifier ? 'cross-entropy to its class probabilities' : 'mean squared difference'})` : 'none'}.`,
    `- Judge: fidelity to the float teacher on ${r.gate.samples.judge} held-back samples (no fault labels): ${r.gate.classifier ? `top-1 agreement ≥ ${pct(r.gate.minAgreement)} and ` : ''}output RMSE ≤ ${pct(r.gate.maxRmse)} of the teacher's output range, int8 in the TFLite interpreter.`,
    '',
    '| model | channels | parameters | int8 B | arena B | top-1 agreement | output RMSE / range |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row(t),
    row(c),
    '',
  ].join('\n');
}
