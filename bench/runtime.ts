// The on-board int8 runtime beside TensorFlow Lite Micro's figures (../shared/reference-models/README.md),
// in one run: every reference int8 model, the shipped model and the all-kernels test graph flashed to the
// host build and to the emulated Cortex-M3 (QEMU mps2-an385, -icount shift=0 so a board µs is 1000
// instructions); outputs compared element by element with the official interpreter (exact share, ±1 share)
// and between host and QEMU; arena + tables (the activations and the model's tables, both in the arena, as
// the board reports them); instructions per inference and per MAC; Cortex-M3 code and static RAM at -Os
// from `make runtime-size`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flashModel, type Link, openLink, startHostBoard, startQemuBoard } from '../src/link/index.js';
import { inspectModel, readTflite } from '../src/tflite/index.js';
import { compareOnBoards } from '../test/helpers/board-compare.js';
import { allKernelsGraph } from '../test/helpers/int8-graph.js';

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

const MODELS: [string, () => Uint8Array, number][] = [
  ['hello_world_int8', () => new Uint8Array(readFileSync(join(REF, 'hello_world_int8.tflite'))), 50],
  ['ad01_int8', () => new Uint8Array(readFileSync(join(REF, 'ad01_int8.tflite'))), 10],
  ['kws_int8', () => new Uint8Array(readFileSync(join(REF, 'kws_int8.tflite'))), 5],
  [
    'motor-vib (int8)',
    () => new Uint8Array(readFileSync(join(root, 'models', 'motor-vib', 'model.int8.tflite'))),
    50,
  ],
  ['all-kernels test graph', allKernelsGraph, 50],
];

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

console.error('  starting the host board and QEMU mps2-an385 …');
const [hb, qb] = await Promise.all([startHostBoard({}), startQemuBoard({ icountShift: 0 })]);
const [host, qemu]: [Link, Link] = await Promise.all([
  openLink({ path: hb.path }),
  openLink({ path: qb.path }),
]);
const models = [];
try {
  for (const [name, load, n] of MODELS) {
    console.error(`  ${name}`);
    const bytes = load();
    const report = inspectModel(readTflite(bytes), bytes.length);
    const t0 = performance.now();
    await flashModel(qemu, bytes);
    const flashSeconds = (performance.now() - t0) / 1000;
    await flashModel(host, bytes);
    const r = await compareOnBoards(bytes, [qemu, host], { n, seed: 7, spread: 200, flash: false });
    const [qemuMicros, hostMicros] = r.micros as [number[], number[]];
    const instructions = median(qemuMicros) * 1000;
    models.push({
      model: name,
      macs: report.totalMacs,
      arenaPlusTablesBytes: r.status.usedBytes,
      activationBytes: r.status.arenaBytes,
      tablesBytes: r.status.tablesBytes,
      tflmArenaBytes: tflm.arena[name] ?? null,
      outputsCompared: r.outputsCompared,
      referenceKernelMismatches: r.referenceMismatches,
      exactShareVsInterpreter: r.exactShare,
      withinOneShareVsInterpreter: r.withinOneShare,
      hostQemuDifferentElements: r.otherBoardMismatches,
      qemuInstructionsPerInference: instructions,
      qemuInstructionsSpread: (Math.max(...qemuMicros) - Math.min(...qemuMicros)) * 1000,
      instructionsPerMac: report.totalMacs ? instructions / report.totalMacs : null,
      hostMicrosPerInferenceMedian: median(hostMicros),
      qemuFlashSeconds: flashSeconds,
    });
  }
} finally {
  await Promise.all([host.close(), qemu.close()]);
  await Promise.all([hb.stop(), qb.stop()]);
}

const runtimeSize = JSON.parse(
  execFileSync('make', ['-s', '-C', join(root, 'firmware-bridge'), 'runtime-size'], { encoding: 'utf8' }),
) as { denseCodeBytes: number; allKernelsCodeBytes: number; staticRamBytesExcludingArena: number };
const ad01 = models.find((m) => m.model === 'ad01_int8')!;
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
        instructionsPerMac: ad01.instructionsPerMac,
        tflmCyclesOnCortexM4F: tflm.ad01CyclesOnM4,
        note: 'ours: instructions on an emulated Cortex-M3 (QEMU -icount, no cycle model); TFLite Micro: cycles on the MLPerf Tiny reference NUCLEO-L4R5ZI (Cortex-M4F, DSP) from the README — different units, shown side by side',
      },
      cortexM3: {
        denseKernels: ['FULLY_CONNECTED', 'RESHAPE', 'QUANTIZE', 'DEQUANTIZE'],
        denseCodeBytes: runtimeSize.denseCodeBytes,
        allKernelsCodeBytes: runtimeSize.allKernelsCodeBytes,
        tflmFrameworkPlusFullyConnectedBytes: tflm.codeBytes,
        codeGoalAtMost: 8192,
        codeGoalMet: runtimeSize.denseCodeBytes <= 8192,
        note: 'code = our objects plus the soft-float helpers they pull in, at -Os with newlib-nano',
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
