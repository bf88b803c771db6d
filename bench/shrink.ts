// Shrink to fit, in one run and on the same data for every model: (1) the shipped motor-vib model (the
// teacher) cut down for the Arduino Mega 2560's 1,980-byte model slot; (2) a convolutional autoencoder
// trained here on the same data, cut to half its int8 size for the emulated Cortex-M3. Every candidate size
// is made twice (trained on the data alone vs distilled from the teacher) and judged beside its teacher: AUC
// per fault type (faint, slight and moderate faults on the training motor and two motors it never saw,
// pooled), false machine alerts over 24 h of normal running plus an hour of each other motor. The chosen
// students then run on the boards against TFLite's reference kernels (the dense one on the Mega build under
// avr8js), with instructions per inference on the emulated Cortex-M3 beside their teachers. The Uno's
// 444-byte slot is checked against every candidate. Prints one JSON document; BENCH_QUICK=1 shrinks every run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBoard } from '../src/boards/index.js';
import { loadSidecar, MODEL_FILES, windowRecording } from '../src/detect/index.js';
import { normalize, normalWindowSplit, trainModel } from '../src/detect/train.js';
import { flashModel, type Link, openLink, startQemuBoard } from '../src/link/index.js';
import { type EvalRecording, type ShrinkReport, shrinkModel } from '../src/shrink/index.js';
import { writeInt8 } from '../src/shrink/shrink.js';
import { renderShrinkSvg } from '../src/shrink/shrink-svg.js';
import { AvrBoard } from '../src/sim/avr-board.js';
import {
  machineFamily,
  parseScenario,
  type Scenario,
  scenarioChunks,
  scenarioRecording,
} from '../src/sim/index.js';
import { fitOnBoard } from '../src/tflite/index.js';
import { compareOnBoards } from '../test/helpers/board-compare.js';

const QUICK = process.env.BENCH_QUICK === '1';
const log = (s: string) => process.stderr.write(`shrink: ${s}\n`);
const root = fileURLToPath(new URL('..', import.meta.url));
const TEACHER = join(root, 'models', 'motor-vib');
const CHANNELS = ['vib.x', 'vib.y', 'vib.z'];
const SENSORS = [
  {
    type: 'accelerometer' as const,
    controller: 'ADXL335',
    name: 'vib',
    pins: ['A0', 'A1', 'A2'],
    supplyV: 3.3,
  },
];
const FAULTS = ['bearing-outer-race', 'imbalance', 'misalignment'] as const;
/** Faint and slight as well as the detection bench's moderate: at moderate every model scores 1.000. */
const SEVERITIES = [0.05, 0.1, 0.5];
const SIZES = QUICK
  ? {
      trainS: 600,
      normalS: 1800,
      otherNormalS: 600,
      faultS: 240,
      onsetS: 120,
      rampS: 30,
      machines: 2,
      epochs: 40,
    }
  : {
      trainS: 1800,
      normalS: 86_400,
      otherNormalS: 3600,
      faultS: 300,
      onsetS: 150,
      rampS: 30,
      machines: 3,
      epochs: 200,
    };

/** The convolutional teacher: Conv1D layers of 16 filters, 3 taps, stride 2, then a dense bottleneck of 8. */
const CONV = { filters: [16, 16], taps: 3, stride: 2 };
const sidecar = loadSidecar(TEACHER).sidecar;
const scenario = (
  name: string,
  machine: Scenario['machine'],
  seed: number,
  durationS: number,
  faults: Scenario['faults'] = [],
) => parseScenario({ name, seed, durationS, machine, sensors: SENSORS, faults });

/** A scenario as windowed chunks of 10 minutes, so a day of 1 kHz data never sits in memory at once. */
function windowed(s: Scenario): EvalRecording {
  const { size, hop } = sidecar.features.window;
  const chunks = [...scenarioChunks(s, hop * 1200, size - hop, CHANNELS)].map((rec) =>
    windowRecording(rec, sidecar.features, sidecar.checks),
  );
  return { name: s.name, chunks };
}

const out = mkdtempSync(join(tmpdir(), 'tg-bench-shrink-'));
try {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`);
} finally {
  rmSync(out, { recursive: true, force: true });
}

async function run() {
  // The teacher's own recipe (models/motor-vib/recipe.sh): 30 min of the healthy default motor, seed 101.
  const family = machineFamily(SIZES.machines, 7);
  const data = scenarioRecording(scenario('healthy', family[0]!.machine, 101, SIZES.trainS), CHANNELS);
  log('windowing the judging data');
  const evalData: EvalRecording[] = [windowed(scenario('normal-m0', family[0]!.machine, 301, SIZES.normalS))];
  for (const m of family.slice(1))
    evalData.push(windowed(scenario(`normal-${m.name}`, m.machine, 301, SIZES.otherNormalS)));
  family.forEach((m) => {
    for (const kind of FAULTS) {
      for (const severity of SEVERITIES) {
        const onset = { kind, onsetS: SIZES.onsetS, rampS: SIZES.rampS, severity };
        evalData.push(
          windowed(scenario(`${m.name}-${kind}-${severity}`, m.machine, 201, SIZES.faultS, [onset])),
        );
      }
    }
  });
  const shrink = async (model: string, board: string, outName: string, targetBytes?: number) => {
    const t0 = performance.now();
    const report = await shrinkModel({
      model,
      board: findBoard(board),
      data,
      eval: evalData,
      out: join(out, outName),
      epochs: SIZES.epochs,
      ...(targetBytes ? { targetBytes } : {}),
      onProgress: (done, total, what) => log(`${outName} [${done}/${total}] ${what}`),
    });
    // The size-quality picture beside the JSON, for a person to look at.
    if (!QUICK)
      writeFileSync(join(root, 'bench', 'results', `shrink-${outName}.svg`), renderShrinkSvg(report));
    return { report, seconds: (performance.now() - t0) / 1000 };
  };

  // 1. The shipped dense model for the Mega.
  const dense = await shrink(TEACHER, 'arduino-mega2560', 'motor-vib-mega');
  const denseChosen = dense.report.chosen ? chosenBytes('motor-vib-mega') : null;
  const mega = denseChosen ? await onMega(denseChosen) : null;

  // 2. A convolutional autoencoder made from the same vibration data, to half its int8 size.
  log('training the convolutional teacher');
  const convDir = join(out, 'conv');
  await trainModel({
    data,
    out: convDir,
    id: 'motor-vib-conv',
    channels: CHANNELS,
    conv: CONV,
    hidden: [8],
    epochs: SIZES.epochs,
  });
  // Converted as shrink converts a teacher without an int8 file: calibrated on its training windows.
  const convSidecar = loadSidecar(convDir).sidecar;
  const trainSet = windowRecording(data.recording, convSidecar.features, convSidecar.checks);
  const calib = normalWindowSplit(trainSet, 0.2).train.map((w) =>
    normalize(trainSet.features[w]!, convSidecar.normalization),
  );
  const convBytes = await writeInt8(convDir, convSidecar, calib);
  const conv = await shrink(convDir, 'qemu-mps2-an385', 'conv-half', Math.floor(convBytes.length / 2));
  const convChosen = conv.report.chosen ? chosenBytes('conv-half') : null;

  log('teachers and chosen students on the emulated Cortex-M3');
  const m3 = await onCortexM3([
    ['dense teacher', new Uint8Array(readFileSync(join(TEACHER, MODEL_FILES.int8)))],
    ...(denseChosen ? ([['dense chosen', denseChosen]] as [string, Uint8Array][]) : []),
    ['conv teacher', convBytes],
    ...(convChosen ? ([['conv chosen', convChosen]] as [string, Uint8Array][]) : []),
  ]);

  // The Uno: which candidates its 444-byte slot and runtime would take, and what the smallest is made of.
  const uno = findBoard('arduino-uno');
  const all = [...dense.report.candidates, ...conv.report.candidates];
  const unoFits = all.filter((c) => fitOnBoard(uno, c.needs).fits).map((c) => `${c.name} ${c.method}`);
  const smallest = [...all].sort((a, b) => a.int8Bytes - b.int8Bytes)[0]!;
  const tablesBytes = smallest.int8Bytes - smallest.weightsBytes;
  const perTensorTables = tablesBytes / smallest.tensors;
  return {
    quick: QUICK,
    judgedOn: {
      faults: FAULTS,
      severities: SEVERITIES,
      machines: family.map((m) => m.name),
      normalHours: round(dense.report.gate.normalHours),
      normalM0Hours: SIZES.normalS / 3600,
    },
    dense: {
      teacher: 'models/motor-vib (shipped)',
      ...summarize(dense.report, dense.seconds),
      onBoards: { megaAvr8js: mega, cortexM3: pair(m3, 'dense') },
    },
    conv: {
      teacher: `trained here: Conv1D ${CONV.filters.join(',')} (${CONV.taps} taps, stride ${CONV.stride}) then dense 8, on the same 30 min`,
      ...summarize(conv.report, conv.seconds),
      onBoards: { cortexM3: pair(m3, 'conv') },
    },
    uno: {
      slotBytes: uno.modelBudget.flashBytes,
      candidatesThatFit: unoFits,
      smallest: {
        name: `${smallest.name} ${smallest.method}`,
        int8Bytes: smallest.int8Bytes,
        weightsBytes: smallest.weightsBytes,
        tablesBytes,
        tensors: smallest.tensors,
        tablesBytesPerTensor: round(perTensorTables),
      },
      why:
        unoFits.length === 0
          ? `the smallest candidate is ${smallest.int8Bytes} B: ${tablesBytes} B of flatbuffer tables (${smallest.tensors} tensors with their shapes, names and quantization, about ${Math.round(perTensorTables)} B each, plus the operators) and ${smallest.weightsBytes} B of weights and biases. The tables alone exceed the ${uno.modelBudget.flashBytes} B slot while the weights would fit: no TFLite flatbuffer of a ${sidecar.model.inputs}-input autoencoder fits the Uno; a board-side format without per-tensor tables, or a model with far fewer inputs, would.`
          : null,
    },
  };
}

function chosenBytes(outName: string): Uint8Array {
  return new Uint8Array(readFileSync(join(out, outName, MODEL_FILES.int8)));
}

/** Every candidate, the curves per way of making students, distillation's measured gain, the choice. */
function summarize(report: ShrinkReport, seconds: number) {
  const teacher = report.candidates.find((c) => c.method === 'teacher')!;
  const chosen = report.chosen;
  const byMethod = (m: string) =>
    report.candidates
      .filter((c) => c.method === m)
      .map((c) => ({
        name: c.name,
        int8Bytes: c.int8Bytes,
        worstAucDrop: round(c.worstAucDrop),
        falseAlarms: c.quality.falseAlarms,
      }));
  // For each size made both ways, the worst AUC drop and false alerts without and with distillation.
  const gain = report.candidates
    .filter((c) => c.method === 'pruned' || c.method === 'fresh')
    .map((c) => {
      const d = report.candidates.find((x) => x.name === c.name && x.method === `${c.method}+distilled`)!;
      return {
        name: c.name,
        int8Bytes: c.int8Bytes,
        worstAucDropTrainedOnData: round(c.worstAucDrop),
        worstAucDropDistilled: round(d.worstAucDrop),
        falseAlarmsTrainedOnData: c.quality.falseAlarms,
        falseAlarmsDistilled: d.quality.falseAlarms,
      };
    });
  return {
    board: report.board,
    budget: report.budget,
    gate: report.gate,
    shrinkSeconds: round(seconds),
    table: report.candidates.map((c) => ({
      name: c.name,
      method: c.method,
      parameters: c.parameters,
      macs: c.macs,
      int8Bytes: c.int8Bytes,
      tablesBytes: c.int8Bytes - c.weightsBytes,
      tensors: c.tensors,
      arenaBytes: c.arenaBytes,
      auc: Object.fromEntries(Object.entries(c.quality.auc).map(([k, v]) => [k, round(v)])),
      falseAlarms: c.quality.falseAlarms,
      falseAlarmsByRecording: Object.fromEntries(
        Object.entries(c.quality.byRecording)
          .filter(([k]) => k.startsWith('normal-'))
          .map(([k, v]) => [k, v.falseAlarms]),
      ),
      fits: c.fits,
      passes: c.passes,
      failures: c.failures,
    })),
    curves: {
      pruned: byMethod('pruned'),
      prunedDistilled: byMethod('pruned+distilled'),
      fresh: byMethod('fresh'),
      freshDistilled: byMethod('fresh+distilled'),
    },
    distillationGain: gain,
    chosen: chosen
      ? {
          name: chosen.name,
          method: chosen.method,
          int8Bytes: chosen.int8Bytes,
          teacherInt8Bytes: teacher.int8Bytes,
          fractionOfTeacher: round(chosen.int8Bytes / teacher.int8Bytes),
          worstAucDrop: round(chosen.worstAucDrop),
          falseAlarms: chosen.quality.falseAlarms,
          teacherFalseAlarms: teacher.quality.falseAlarms,
          falseAlarmsOn24hOfM0: chosen.quality.byRecording['normal-m0']!.falseAlarms,
          teacherFalseAlarmsOn24hOfM0: teacher.quality.byRecording['normal-m0']!.falseAlarms,
        }
      : null,
    noneReason: report.noneReason,
  };
}

/** The chosen dense student on the Mega build (avr8js), element by element against the reference kernels. */
async function onMega(model: Uint8Array) {
  execFileSync('make', ['-s', '-C', join(root, 'firmware-bridge'), 'hex']);
  log('the chosen dense model on the Mega build (avr8js)');
  const avr = new AvrBoard({
    hex: join(root, 'firmware-bridge/build/avr/arduino-mega2560.hex'),
    mcu: 'atmega2560',
  });
  const link = await openLink({ stream: avr.transport, name: 'arduino-mega2560' });
  try {
    const r = await compareOnBoards(model, [link], { n: QUICK ? 5 : 20, seed: 7, spread: 200 });
    return {
      outputsCompared: r.outputsCompared,
      referenceKernelMismatches: r.referenceMismatches,
      arenaBytes: r.status.arenaBytes,
    };
  } finally {
    await link.close();
    await avr.stop();
  }
}

/** Each model on the emulated Cortex-M3 (QEMU -icount shift=0: a board µs is 1000 instructions). */
async function onCortexM3(models: [string, Uint8Array][]) {
  const qb = await startQemuBoard({ icountShift: 0 });
  const qemu: Link = await openLink({ path: qb.path });
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const out: Record<
    string,
    { instructionsPerInference: number; outputsCompared: number; referenceKernelMismatches: number }
  > = {};
  try {
    for (const [name, bytes] of models) {
      await flashModel(qemu, bytes);
      const r = await compareOnBoards(bytes, [qemu], {
        n: QUICK ? 5 : 20,
        seed: 7,
        spread: 200,
        flash: false,
      });
      out[name] = {
        instructionsPerInference: median(r.micros[0]!) * 1000,
        outputsCompared: r.outputsCompared,
        referenceKernelMismatches: r.referenceMismatches,
      };
    }
  } finally {
    await qemu.close();
    await qb.stop();
  }
  return out;
}

function pair(m3: Awaited<ReturnType<typeof onCortexM3>>, kind: 'dense' | 'conv') {
  const teacher = m3[`${kind} teacher`]!;
  const chosen = m3[`${kind} chosen`];
  return {
    teacher,
    chosen: chosen ?? null,
    instructionsRatio: chosen
      ? round(chosen.instructionsPerInference / teacher.instructionsPerInference)
      : null,
  };
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toFixed(4)) : x;
}
