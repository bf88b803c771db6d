// The on-board runtime beside TensorFlow Lite Micro, in one run: TFLite Micro itself on the same emulated
// Cortex-M3 and M4 and the same inputs when bench/peers/tflm is built (its get.sh; otherwise the figures
// published in ../shared/reference-models/README.md stand in, and the JSON says which). Ours: every reference
// int8 model (../shared's, and MLPerf Tiny's vww_96 and ResNet-8 and TFLite Micro's person_detect when
// bench/peers/models/get.sh has fetched them), our own int8 conversion of each MLPerf Tiny float reference
// (bench/peers/models/ours.ts), the shipped model and the all-kernels test graph, flashed to the host build and to the emulated Cortex-M3 (QEMU mps2-an385) and Cortex-M4F (QEMU mps2-an386, the same
// board: once with the DSP dot product, once built with TG_NO_DSP; and the STM32F4 HAL on netduinoplus2,
// for the models its 64,992 B model slot takes), all under -icount shift=0 so a board µs is 1000
// instructions; outputs compared element by element with the official interpreter (exact share, ±1 share),
// with TFLite's reference kernels and between all the boards; arena + tables (the activations and the
// model's tables, both in the arena, as the board reports them); instructions per inference and per MAC on
// each core; Cortex-M3 code and static RAM at -Os from `make runtime-size`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  boardInfo,
  flashModel,
  type Link,
  MPS2_AN386_NO_DSP_ELF,
  openLink,
  QEMU_MACHINES,
  type QemuBoardOptions,
  startHostBoard,
  startQemuBoard,
} from '../src/link/index.js';
import { inspectModel, readTflite } from '../src/tflite/index.js';
import { compareOnBoards } from '../test/helpers/board-compare.js';
import { fetchedModels, readFetched } from '../test/helpers/fetched-models.js';
import { allKernelsGraph } from '../test/helpers/int8-graph.js';
import { oursFrom, oursFromFetched } from './peers/models/ours.js';
import { tflmBeside, tflmFrameworkFcBytes, tflmPeer } from './peers/tflm.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const REF = join(root, '..', 'shared', 'reference-models');
if (!existsSync(join(REF, 'README.md'))) {
  console.error(`reference models not found at ${REF}`);
  process.exit(1);
}
// TFLite Micro's figures, read from the reference README rather than typed in here.
const readme = readFileSync(join(REF, 'README.md'), 'utf8');
const num = (re: RegExp) => Number(re.exec(readme)?.[1]?.replace(/,/g, ''));
const tflm = {
  arena: {
    hello_world_int8: num(/hello_world_int8 uses a (\d[\d,]*)-byte arena/),
    ad01_int8: num(/ad01_int8 uses (\d[\d,]*) bytes/),
  } as Record<string, number>,
  codeBytes: Math.round(num(/FULLY_CONNECTED kernel is about (\d+(?:\.\d+)?) KB/) * 1000),
  ad01CyclesOnM4: Math.round(
    num(/at\s+[\d.]+\s+inferences\/s\s+\((\d+(?:\.\d+)?) ms\)/) * 1000 * num(/Cortex-M4F, (\d+) MHz/),
  ),
};

const MODELS: [string, () => Uint8Array | Promise<Uint8Array>, number][] = [
  ['hello_world_int8', () => new Uint8Array(readFileSync(join(REF, 'hello_world_int8.tflite'))), 50],
  ['ad01_int8', () => new Uint8Array(readFileSync(join(REF, 'ad01_int8.tflite'))), 10],
  ['kws_int8', () => new Uint8Array(readFileSync(join(REF, 'kws_int8.tflite'))), 5],
  [
    'ad01_fp32 (ours, int8)',
    () =>
      oursFrom(join(REF, 'ad01_fp32.tflite'), new Uint8Array(readFileSync(join(REF, 'ad01_int8.tflite')))),
    10,
  ],
  [
    'kws_fp32 (ours, int8)',
    () => oursFrom(join(REF, 'kws_fp32.tflite'), new Uint8Array(readFileSync(join(REF, 'kws_int8.tflite')))),
    5,
  ],
  [
    'motor-vib (int8)',
    () => new Uint8Array(readFileSync(join(root, 'models', 'motor-vib', 'model.int8.tflite'))),
    50,
  ],
  ['all-kernels test graph', allKernelsGraph, 50],
];
// MLPerf Tiny's vision references and person_detect (bench/peers/models/get.sh), Google's int8 and ours.
const fetched = fetchedModels();
if (fetched.missing) console.error(`  ${fetched.missing}; the bench runs without them`);
for (const m of fetched.present) {
  MODELS.push([m.name, () => readFetched(m.name), 3]);
  const float = m.float;
  if (float) MODELS.push([`${float} (ours, int8)`, () => oursFromFetched({ name: m.name, float }), 3]);
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const ratio = (a: number, b: number | null) => (b ? +(a / b).toFixed(3) : null);
const estimateAgainst = (
  e: { totalBytes: number; minimumBytes: number },
  p: { arenaUsedBytes: number; arenaMinimumBytes: number } | { missing: string },
) => ({
  usedBytes: e.totalBytes,
  minimumBytes: e.minimumBytes,
  ...('missing' in p
    ? {}
    : {
        usedError: +(e.totalBytes / p.arenaUsedBytes - 1).toFixed(4),
        minimumError: +(e.minimumBytes / p.arenaMinimumBytes - 1).toFixed(4),
      }),
});
const peerM3 = tflmPeer('m3');
if ('missing' in peerM3)
  console.error(
    `  TFLite Micro peer absent (${peerM3.missing}); its columns say so and the README figures stand in`,
  );

// The emulated cores, each its own QEMU: the M3 first (every other board is compared with its outputs).
const CORES: { key: string; what: string; options: QemuBoardOptions }[] = [
  { key: 'cortexM3', what: 'mps2-an385, Cortex-M3', options: { machine: 'mps2-an385' } },
  { key: 'cortexM4Dsp', what: 'mps2-an386, Cortex-M4F, DSP dot product', options: { machine: 'mps2-an386' } },
  {
    key: 'cortexM4PlainC',
    what: 'mps2-an386, Cortex-M4F, built with TG_NO_DSP',
    options: { machine: 'mps2-an386', elf: MPS2_AN386_NO_DSP_ELF },
  },
  {
    key: 'stm32f4Dsp',
    what: 'netduinoplus2 (STM32F405, Cortex-M4F), the STM32F4 HAL, DSP dot product',
    options: { machine: 'netduinoplus2' },
  },
];

console.error(`  starting the host board and QEMU ${CORES.map((c) => c.what).join('; ')} …`);
const hb = await startHostBoard({});
const qbs = [];
for (const c of CORES) qbs.push(await startQemuBoard({ ...c.options, icountShift: 0 }));
const host = await openLink({ path: hb.path });
const qemus: Link[] = [];
for (const qb of qbs) qemus.push(await openLink({ path: qb.path }));
const slotBytes = await Promise.all(qemus.map(async (q) => (await boardInfo(q)).slotBytes));
interface Instructions {
  perInference: number;
  spread: number;
  perMac: number | null;
}
/** One model's row (the fields read again below are typed; the rest goes to the JSON as it is). */
type ModelRow = Record<string, unknown> & {
  model: string;
  arenaPlusTablesBytes: number;
  activationBytes: number;
  tablesBytes: number;
  qemuInstructionsPerInference: number;
  instructionsPerMac: number | null;
  instructions: Record<string, Instructions>;
};
const models: ModelRow[] = [];
try {
  for (const [name, load, n] of MODELS) {
    console.error(`  ${name}`);
    const bytes = await load();
    const report = inspectModel(readTflite(bytes), bytes.length);
    // A board whose model slot is smaller than the model is left out (netduinoplus2: ad01).
    const on = CORES.map((_, i) => i).filter((i) => bytes.length <= slotBytes[i]!);
    const flashSeconds: Record<string, number> = {};
    for (const i of on) {
      const t0 = performance.now();
      await flashModel(qemus[i]!, bytes);
      flashSeconds[CORES[i]!.key] = (performance.now() - t0) / 1000;
    }
    await flashModel(host, bytes);
    const r = await compareOnBoards(bytes, [...on.map((i) => qemus[i]!), host], {
      n,
      seed: 7,
      spread: 200,
      flash: false,
    });
    // TFLite Micro on the same two cores and the same inputs (bench/peers/tflm); its outputs are compared
    // with the Cortex-M3 board's (the first board).
    const peer = {
      cortexM3: await tflmBeside('m3', bytes, r.samples),
      cortexM4: await tflmBeside('m4', bytes, r.samples),
    };
    const peerInstructions = (p: (typeof peer)['cortexM3']) =>
      'missing' in p ? null : p.instructionsPerInference;
    const instructions: Record<string, Instructions> = {};
    for (const [k, i] of on.entries()) {
      const micros = r.micros[k]!;
      const perInference = median(micros) * 1000;
      instructions[CORES[i]!.key] = {
        perInference,
        spread: (Math.max(...micros) - Math.min(...micros)) * 1000,
        perMac: report.totalMacs ? perInference / report.totalMacs : null,
      };
    }
    const m3 = instructions.cortexM3!.perInference;
    models.push({
      model: name,
      bytes: bytes.length,
      macs: report.totalMacs,
      arenaPlusTablesBytes: r.status.usedBytes,
      activationBytes: r.status.arenaBytes,
      tablesBytes: r.status.tablesBytes,
      tflmArenaBytes: tflm.arena[name] ?? null,
      outputsCompared: r.outputsCompared,
      referenceKernelMismatches: r.referenceMismatches,
      exactShareVsInterpreter: r.exactShare,
      withinOneShareVsInterpreter: r.withinOneShare,
      // Elements where any other board (the other QEMU builds, the host) differs from the Cortex-M3's.
      otherBoardsDifferentElements: r.otherBoardMismatches,
      boardsCompared: [...on.map((i) => CORES[i]!.key), 'host'],
      qemuInstructionsPerInference: m3,
      qemuInstructionsSpread: instructions.cortexM3!.spread,
      instructionsPerMac: instructions.cortexM3!.perMac,
      instructions,
      m4DspVsM4PlainC: instructions.cortexM4Dsp!.perInference / instructions.cortexM4PlainC!.perInference,
      m4DspVsM3: instructions.cortexM4Dsp!.perInference / m3,
      hostMicrosPerInferenceMedian: median(r.micros[on.length]!),
      qemuFlashSeconds: flashSeconds.cortexM3,
      tflm: peer,
      oursOverTflmInstructions: {
        cortexM3: ratio(m3, peerInstructions(peer.cortexM3)),
        cortexM4PlainC: ratio(instructions.cortexM4PlainC!.perInference, peerInstructions(peer.cortexM4)),
        cortexM4Dsp: ratio(instructions.cortexM4Dsp!.perInference, peerInstructions(peer.cortexM4)),
      },
      // Our estimate of TFLite Micro's arena (inspect --board, the fit check) against the peer's own.
      tflmArenaEstimate: estimateAgainst(report.tflm, peer.cortexM3),
    });
  }
} finally {
  await Promise.all([host.close(), ...qemus.map((q) => q.close())]);
  await Promise.all([hb.stop(), ...qbs.map((qb) => qb.stop())]);
}

const runtimeSize = JSON.parse(
  execFileSync('make', ['-s', '-C', join(root, 'firmware-bridge'), 'runtime-size'], { encoding: 'utf8' }),
) as { denseCodeBytes: number; allKernelsCodeBytes: number; staticRamBytesExcludingArena: number };
const ad01 = models.find((m) => m.model === 'ad01_int8')!;
// Code bytes of the dot product in each M4 image (its DSP form is the one function that differs).
const fnBytes = (elf: string, fn: string) => {
  const line = execFileSync('arm-none-eabi-nm', ['-S', elf], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.endsWith(` ${fn}`));
  if (!line) throw new Error(`${fn} not found in ${elf}`);
  return Number.parseInt(line.split(' ')[1]!, 16);
};
const byCore = (key: string) =>
  Object.fromEntries(
    models
      .filter((m) => m.model === 'ad01_int8' || m.model === 'kws_int8')
      .map((m) => [m.model, m.instructions[key]?.perInference ?? null]),
  );
// TFLite Micro's framework + FULLY_CONNECTED code from the peer's map (null when it is not built).
const tflmFcBytes = tflmFrameworkFcBytes('m3');
// Half of TFLite Micro's arena for ad01 (issue #19, item 7).
const ad01Goal = Math.floor(tflm.arena.ad01_int8! / 2);

process.stdout.write(
  `${JSON.stringify(
    {
      models,
      ad01: {
        arenaPlusTablesBytes: ad01.arenaPlusTablesBytes,
        activationBytes: ad01.activationBytes,
        tablesBytes: ad01.tablesBytes,
        tflmArenaBytes: tflm.arena.ad01_int8,
        arenaPlusTablesGoalAtMost: ad01Goal,
        arenaPlusTablesGoalMet: ad01.arenaPlusTablesBytes <= ad01Goal,
        qemuInstructions: ad01.qemuInstructionsPerInference,
        qemuInstructionsCortexM4Dsp: ad01.instructions.cortexM4Dsp!.perInference,
        instructionsPerMac: ad01.instructionsPerMac,
        tflmMeasuredHere: ad01.tflm,
        tflmCyclesOnCortexM4F: tflm.ad01CyclesOnM4,
        note: "tflmMeasuredHere: TFLite Micro's reference kernels run by bench/peers/tflm on the same emulated cores and inputs (instructions, QEMU -icount); tflmArenaBytes and tflmCyclesOnCortexM4F: the figures published with the reference models (cycles on the MLPerf Tiny NUCLEO-L4R5ZI, a different unit)",
      },
      instructionsPerInference: {
        cortexM3: byCore('cortexM3'),
        cortexM4PlainC: byCore('cortexM4PlainC'),
        cortexM4Dsp: byCore('cortexM4Dsp'),
        stm32f4Dsp: byCore('stm32f4Dsp'),
        dotProductCodeBytes: {
          cortexM3: fnBytes(QEMU_MACHINES['mps2-an385'].elf, 'tg_dot_int8'),
          cortexM4PlainC: fnBytes(MPS2_AN386_NO_DSP_ELF, 'tg_dot_int8'),
          cortexM4Dsp: fnBytes(QEMU_MACHINES['mps2-an386'].elf, 'tg_dot_int8'),
        },
        note: 'QEMU -icount shift=0 counts instructions, not cycles (no pipeline or memory model). All builds are arm-none-eabi-gcc -Os; the M4 builds are -mcpu=cortex-m4 -mfloat-abi=hard. DSP: tg_dot_int8 (every FULLY_CONNECTED and CONV_2D) on SXTB16/SMLAD; the depthwise loop and everything else is the same C on every core. stm32f4Dsp: the same kernels as cortexM4Dsp under another HAL (ad01 is larger than its 64,992 B slot).',
      },
      cortexM3: {
        denseKernels: ['FULLY_CONNECTED', 'RESHAPE', 'QUANTIZE', 'DEQUANTIZE'],
        denseCodeBytes: runtimeSize.denseCodeBytes,
        allKernelsCodeBytes: runtimeSize.allKernelsCodeBytes,
        tflmFrameworkPlusFullyConnectedBytes: tflmFcBytes ?? tflm.codeBytes,
        tflmFrameworkPlusFullyConnectedMeasuredHere: tflmFcBytes !== null,
        codeGoalAtMost: 8192,
        codeGoalMet: runtimeSize.denseCodeBytes <= 8192,
        note: "code = our objects plus the soft-float helpers they pull in, at -Os with newlib-nano; TFLite Micro's (when measured here): its framework and FULLY_CONNECTED objects plus the libgcc and libc memory/string routines in bench/peers/tflm's FC-only build (framework -Os, kernels -O2, error strings stripped, as its release build)",
      },
      staticRam: {
        note: "a model's tables live in the arena beside its activations (arena + tables above); this is the runtime's fixed state outside the arena (the model's place in the flatbuffer, the refusal reason, counters), the same for every model",
        bytesExcludingArena: runtimeSize.staticRamBytesExcludingArena,
      },
    },
    null,
    2,
  )}\n`,
);
