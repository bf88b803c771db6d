// Shrink to fit: the shipped motor-vib model (the teacher) cut down for the Arduino Mega 2560's 1,980-byte
// model slot by `shrinkModel`, every candidate size made twice (trained on the data alone vs distilled from
// the teacher) and judged in one run beside the teacher on the same data: AUC per fault type (faint, slight
// and moderate faults on the training motor and two motors it never saw, pooled), false machine alerts over
// 24 h of normal running plus an hour of each other motor. The chosen student then runs on the Mega build
// (avr8js) against TFLite's reference kernels, and on the emulated Cortex-M3 for instructions per inference
// beside the teacher. The Uno's 444-byte slot is checked against every candidate. Prints one JSON document;
// BENCH_QUICK=1 shrinks every run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBoard } from '../src/boards/index.js';
import { loadSidecar, MODEL_FILES, windowRecording } from '../src/detect/index.js';
import { flashModel, type Link, openLink, startQemuBoard } from '../src/link/index.js';
import { type EvalRecording, shrinkModel } from '../src/shrink/index.js';
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
  const mega = findBoard('arduino-mega2560');
  const t0 = performance.now();
  const report = await shrinkModel({
    model: TEACHER,
    board: mega,
    data,
    eval: evalData,
    out: join(out, 'motor-vib-mega'),
    epochs: SIZES.epochs,
    onProgress: (done, total, what) => log(`[${done}/${total}] ${what}`),
  });
  const shrinkSeconds = (performance.now() - t0) / 1000;
  const teacher = report.candidates.find((c) => c.method === 'teacher')!;
  const chosen = report.chosen;

  // The Uno: which candidates its 444-byte slot and runtime would take, and what the smallest is made of.
  const uno = findBoard('arduino-uno');
  const unoFits = report.candidates
    .filter((c) => fitOnBoard(uno, c.needs).fits)
    .map((c) => `${c.name} ${c.method}`);
  const smallest = [...report.candidates].sort((a, b) => a.int8Bytes - b.int8Bytes)[0]!;
  const tablesBytes = smallest.int8Bytes - smallest.weightsBytes;
  const perTensorTables = tablesBytes / smallest.tensors;

  const onBoards = chosen ? await runOnBoards(join(out, 'motor-vib-mega', MODEL_FILES.int8)) : null;
  const byMethod = (m: string) =>
    report.candidates
      .filter((c) => c.method === m)
      .map((c) => ({
        name: c.name,
        int8Bytes: c.int8Bytes,
        worstAucDrop: round(c.worstAucDrop),
        falseAlarms: c.quality.falseAlarms,
      }));
  // Distillation's gain, measured: for each size made both ways, the worst AUC drop without and with it.
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
    quick: QUICK,
    teacher: {
      dir: 'models/motor-vib',
      widths: teacher.widths,
      int8Bytes: teacher.int8Bytes,
      tensors: teacher.tensors,
    },
    judgedOn: {
      faults: FAULTS,
      severities: SEVERITIES,
      machines: family.map((m) => m.name),
      normalHours: round(report.gate.normalHours),
      normalM0Hours: SIZES.normalS / 3600,
    },
    shrinkSeconds: round(shrinkSeconds),
    board: report.board,
    budget: report.budget,
    gate: report.gate,
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
          fractionOfTeacher: round(chosen.int8Bytes / teacher.int8Bytes),
          worstAucDrop: round(chosen.worstAucDrop),
          falseAlarms: chosen.quality.falseAlarms,
          teacherFalseAlarms: teacher.quality.falseAlarms,
          falseAlarmsOn24hOfM0: chosen.quality.byRecording['normal-m0']!.falseAlarms,
          teacherFalseAlarmsOn24hOfM0: teacher.quality.byRecording['normal-m0']!.falseAlarms,
        }
      : null,
    noneReason: report.noneReason,
    onBoards,
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
    conv: 'not measured: shrink refuses Conv layers today (SHRINK_UNSUPPORTED); the convolutional autoencoder part of the issue is not built',
  };
}

/** The chosen int8 model on the Mega build (avr8js) against the reference kernels, and the teacher and it on
 *  the emulated Cortex-M3 (QEMU -icount shift=0: a board µs is 1000 instructions). */
async function runOnBoards(chosenFile: string) {
  const chosen = new Uint8Array(readFileSync(chosenFile));
  const teacherBytes = new Uint8Array(readFileSync(join(TEACHER, MODEL_FILES.int8)));
  const n = QUICK ? 5 : 20;
  execFileSync('make', ['-s', '-C', join(root, 'firmware-bridge'), 'hex']);
  log('the chosen model on the Mega build (avr8js)');
  const avr = new AvrBoard({
    hex: join(root, 'firmware-bridge/build/avr/arduino-mega2560.hex'),
    mcu: 'atmega2560',
  });
  let mega: { outputsCompared: number; referenceKernelMismatches: number; arenaBytes: number };
  const megaLink = await openLink({ stream: avr.transport, name: 'arduino-mega2560' });
  try {
    const r = await compareOnBoards(chosen, [megaLink], { n, seed: 7, spread: 200 });
    mega = {
      outputsCompared: r.outputsCompared,
      referenceKernelMismatches: r.referenceMismatches,
      arenaBytes: r.status.arenaBytes,
    };
  } finally {
    await megaLink.close();
    await avr.stop();
  }
  log('teacher and chosen on the emulated Cortex-M3');
  const qb = await startQemuBoard({ icountShift: 0 });
  const qemu: Link = await openLink({ path: qb.path });
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  try {
    const per = async (bytes: Uint8Array) => {
      await flashModel(qemu, bytes);
      const r = await compareOnBoards(bytes, [qemu], { n, seed: 7, spread: 200, flash: false });
      return {
        instructionsPerInference: median(r.micros[0]!) * 1000,
        referenceKernelMismatches: r.referenceMismatches,
      };
    };
    const teacher = await per(teacherBytes);
    const student = await per(chosen);
    return {
      megaAvr8js: mega,
      cortexM3: {
        teacher,
        chosen: student,
        ratio: round(student.instructionsPerInference / teacher.instructionsPerInference),
      },
    };
  } finally {
    await qemu.close();
    await qb.stop();
  }
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toFixed(4)) : x;
}
