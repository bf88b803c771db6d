// Shrink to fit for a tfjs Layers model tinygate did not train (a separate part from `shrink`, whose dense
// and Conv1D runs take minutes): a 2-D convolutional classifier (Conv2D, then two SeparableConv2D layers,
// each with max-pooling, then dense layers and softmax) trained here on 16×16 pictures of four classes, cut to half its int8
// size for the emulated Cortex-M3. With no fault labels, every candidate is judged on fidelity to the float
// teacher (top-1 agreement, output RMSE over the teacher's range) on held-back samples; the chosen student
// and the teacher are also scored against the true classes of fresh pictures, and both run on the
// emulated Cortex-M3 against TFLite's reference kernels, with instructions per inference. Prints one JSON
// document; BENCH_QUICK=1 shrinks the run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBoard } from '../src/boards/index.js';
import { convertModel } from '../src/convert/index.js';
import { saveLayersModel } from '../src/detect/model-dir.js';
import { tf, tfl, tfReady } from '../src/detect/tf.js';
import { type Link, openLink, startQemuBoard } from '../src/link/index.js';
import { int8Outputs } from '../src/shrink/fidelity.js';
import { shrinkLayersModel } from '../src/shrink/index.js';
import { compareOnBoards } from '../test/helpers/board-compare.js';
import { pictures } from '../test/helpers/pictures.js';

const QUICK = process.env.BENCH_QUICK === '1';
const log = (s: string) => process.stderr.write(`shrink-2d: ${s}\n`);
const root = fileURLToPath(new URL('..', import.meta.url));
const SIDE = 16;
/** Faint, noisy pictures, so the teacher is not sure of every one and its outputs are not all 0 or 1. */
const HARD = { noise: 2.4, fade: 0.6 };
/** The bench's gate (the CLI's defaults are 0.99 and 0.05; which candidates meet those is reported too). */
const GATE = { minAgreement: 0.97, maxRmse: 0.1 };
const DEFAULT_GATE = { minAgreement: 0.99, maxRmse: 0.05 };
const SIZES = QUICK
  ? { teach: 400, data: 300, test: 200, teacherEpochs: 6, epochs: 10 }
  : { teach: 2000, data: 3000, test: 1000, teacherEpochs: 20, epochs: 100 };
const BOARD = 'qemu-mps2-an385';

function teacherModel(): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [SIDE, SIDE, 1],
      filters: 32,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  for (const seed of [2, 4]) {
    m.add(
      tfl.layers.separableConv2d({
        filters: 64,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        depthwiseInitializer: init(seed),
        pointwiseInitializer: init(seed + 1),
      }),
    );
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  }
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(6) }));
  m.add(tfl.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: init(7) }));
  return m;
}

const tensor = (x: Float32Array[]) =>
  tf.tensor4d(new Float32Array(x.flatMap((v) => [...v])), [x.length, SIDE, SIDE, 1]);
const argmax = (v: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[b]!) b = i;
  return b;
};

const out = mkdtempSync(join(tmpdir(), 'tg-bench-shrink-2d-'));
try {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`);
} finally {
  rmSync(out, { recursive: true, force: true });
}

async function run() {
  await tfReady();
  log('training the teacher');
  const teach = pictures(SIZES.teach, 1, SIDE, HARD);
  const model = teacherModel();
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy' });
  const xs = tensor(teach.x);
  const ys = tf.oneHot(tf.tensor1d(teach.y, 'int32'), 4);
  await model.fit(xs, ys, { epochs: SIZES.teacherEpochs, batchSize: 32, verbose: 0 });
  tf.dispose([xs, ys]);
  const teacherDir = join(out, 'pictures');
  await saveLayersModel(model, teacherDir);
  // The user's data: pictures the teacher did not learn from, without labels.
  const data = pictures(SIZES.data, 2, SIDE, HARD).x;
  const teacherBytes = (await convertModel({ model: teacherDir, calib: '(data)', calibSamples: data })).bytes;
  const target = Math.floor(teacherBytes.length / 2);
  log(`teacher ${teacherBytes.length} B int8; shrinking to ${target} B`);
  const t0 = performance.now();
  const r = await shrinkLayersModel({
    model: teacherDir,
    board: findBoard(BOARD),
    data,
    out: join(out, 'small'),
    targetBytes: target,
    epochs: SIZES.epochs,
    ...GATE,
    onProgress: (done, total, what) => log(`[${done}/${total}] ${what}`),
  });
  const seconds = (performance.now() - t0) / 1000;
  if (!QUICK)
    writeFileSync(join(root, 'bench', 'results', 'shrink-2d.svg'), readFileSync(r.picture ?? '/dev/null'));
  const chosenBytes = r.chosen ? new Uint8Array(readFileSync(join(out, 'small', 'model.int8.tflite'))) : null;

  // Against the true classes of fresh pictures: what fidelity means for the task itself.
  const test = pictures(SIZES.test, 3, SIDE, HARD);
  const floatOut = model.predict(tensor(test.x)) as tf.Tensor;
  const floatPred = (tf.argMax(floatOut, -1).dataSync() as Int32Array).slice();
  floatOut.dispose();
  const accuracy = (pred: ArrayLike<number>) =>
    Array.from(pred).filter((p, i) => p === test.y[i]).length / test.y.length;
  const int8Pred = async (bytes: Uint8Array) => (await int8Outputs(bytes, test.x)).map(argmax);
  const teacherInt8Pred = await int8Pred(teacherBytes);
  const chosenPred = chosenBytes ? await int8Pred(chosenBytes) : null;
  model.dispose();

  log('teacher and chosen student on the emulated Cortex-M3');
  const m3 = await onCortexM3([
    ['teacher', teacherBytes],
    ...(chosenBytes ? ([['chosen', chosenBytes]] as [string, Uint8Array][]) : []),
  ]);
  const row = (c: (typeof r.candidates)[number]) => ({
    name: c.name,
    method: c.method,
    parameters: c.parameters,
    macs: c.macs,
    int8Bytes: c.int8Bytes,
    arenaBytes: c.arenaBytes,
    top1Agreement: round(c.fidelity.top1Agreement ?? Number.NaN),
    rmseOverRange: round(c.fidelity.rmseOverRange),
    passes: c.passes,
    failures: c.failures,
  });
  const distilledGain = r.candidates
    .filter((c) => c.method === 'pruned')
    .map((p) => {
      const d = r.candidates.find((c) => c.method === 'pruned+distilled' && c.name === p.name)!;
      return {
        name: p.name,
        int8Bytes: p.int8Bytes,
        agreement: { pruned: round(p.fidelity.top1Agreement!), distilled: round(d.fidelity.top1Agreement!) },
        rmseOverRange: {
          pruned: round(p.fidelity.rmseOverRange),
          distilled: round(d.fidelity.rmseOverRange),
        },
      };
    });
  return {
    quick: QUICK,
    judge: r.judge,
    teacher: {
      model: `trained here: Conv2D 32 (3×3), max-pool, SeparableConv2D 64, max-pool, SeparableConv2D 64, max-pool, flatten, dense 64, dense 4 softmax, on ${SIZES.teach} ${SIDE}×${SIDE} pictures of 4 classes (contrast 1 − ${HARD.fade}·U(0,1), uniform noise ±${HARD.noise / 2}) for ${SIZES.teacherEpochs} epochs`,
      int8Bytes: teacherBytes.length,
    },
    board: BOARD,
    targetBytes: target,
    gate: r.gate,
    seconds: Math.round(seconds),
    candidates: r.candidates.map(row),
    distillationAgainstPruningAlone: distilledGain,
    chosen: r.chosen
      ? {
          ...row(r.chosen),
          fractionOfTeacher: round(r.chosen.int8Bytes / teacherBytes.length),
        }
      : null,
    noneReason: r.noneReason,
    meetingTheCliDefaultGate: r.candidates
      .filter(
        (c) =>
          c.method !== 'teacher' &&
          c.fits &&
          c.int8Bytes <= target &&
          (c.fidelity.top1Agreement ?? 1) >= DEFAULT_GATE.minAgreement &&
          c.fidelity.rmseOverRange <= DEFAULT_GATE.maxRmse,
      )
      .map((c) => `${c.name} ${c.method}`),
    trueClassAccuracy: {
      pictures: test.y.length,
      teacherFloat: round(accuracy(floatPred)),
      teacherInt8: round(accuracy(teacherInt8Pred)),
      chosenInt8: chosenPred ? round(accuracy(chosenPred)) : null,
    },
    cortexM3: {
      teacher: m3.teacher,
      chosen: m3.chosen ?? null,
      instructionsRatio: m3.chosen
        ? round(m3.chosen.instructionsPerInference / m3.teacher!.instructionsPerInference)
        : null,
    },
  };
}

/** Each model on the emulated Cortex-M3 (QEMU -icount shift=0: a board µs is 1000 instructions). */
async function onCortexM3(models: [string, Uint8Array][]) {
  const qb = await startQemuBoard({ icountShift: 0 });
  const qemu: Link = await openLink({ path: qb.path });
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const results: Record<
    string,
    { instructionsPerInference: number; outputsCompared: number; referenceKernelMismatches: number }
  > = {};
  try {
    for (const [name, bytes] of models) {
      const c = await compareOnBoards(bytes, [qemu], { n: QUICK ? 5 : 20, seed: 7, spread: 200 });
      results[name] = {
        instructionsPerInference: median(c.micros[0]!) * 1000,
        outputsCompared: c.outputsCompared,
        referenceKernelMismatches: c.referenceMismatches,
      };
    }
  } finally {
    await qemu.close();
    await qb.stop();
  }
  return results;
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toFixed(4)) : x;
}
