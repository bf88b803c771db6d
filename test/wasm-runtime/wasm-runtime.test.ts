// The boards' runtime compiled to WebAssembly (scorer: int8-exact) must answer as a board does: every model
// here, shared and converted, runs in it and on the host board with the same random inputs, and the
// outputs are compared element by element (and with TFLite's reference kernels); a window scored with it
// equals the score of the board's own output. A model the boards refuse, it refuses in the same words.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Int8AutoencoderScorer, loadSidecar } from '../../src/detect/index.js';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import {
  flashModel,
  type HostBoard,
  type Link,
  openLink,
  runOnBoard,
  runtimeStatus,
  startHostBoard,
} from '../../src/link/index.js';
import { bridgeNeeds, readTflite } from '../../src/tflite/index.js';
import { WasmRuntime } from '../../src/wasm-runtime/index.js';
import { ROOT } from '../helpers/cli.js';
import { convPoolNet, deepDepthwiseNet, mixedOpsNet } from '../helpers/converted-nets.js';
import { fetchedModels, readFetched } from '../helpers/fetched-models.js';
import {
  allKernelsGraph,
  dilatedDepthwiseGraph,
  oneOpModel,
  opWithoutKernel,
} from '../helpers/int8-graph.js';
import { referenceInt8 } from '../helpers/tflite-reference.js';
import { waitFor } from '../helpers/wait.js';
import { haveReferenceModels, referenceModel, rng } from '../tflite/reference.js';

const fetched = fetchedModels();
if (fetched.missing) console.warn(`WebAssembly runtime tests without ${fetched.missing}`);

const canBuild = (() => {
  try {
    execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), 'wasm'], { stdio: 'pipe' });
    return true;
  } catch (err) {
    console.warn(`WebAssembly runtime tests skipped: it does not build here (clang, lld, wasi-libc): ${err}`);
    return false;
  }
})();

let hb: HostBoard;
let link: Link;
beforeAll(async () => {
  if (!canBuild) return;
  hb = await startHostBoard({});
  link = await openLink({ path: hb.path });
}, 120_000);
afterAll(async () => {
  await link?.close();
  await hb?.stop();
});

const MOTOR = join(ROOT, 'models/motor-vib');
const shipped = () => new Uint8Array(readFileSync(join(MOTOR, 'model.int8.tflite')));

async function compare(model: Uint8Array, n: number, seed: number) {
  const wasm = await WasmRuntime.load(model);
  await flashModel(link, model);
  const parsed = readTflite(model);
  const next = rng(seed);
  let elements = 0;
  let boardMismatches = 0;
  let referenceMismatches = 0;
  for (let k = 0; k < n; k++) {
    const x = Int8Array.from({ length: wasm.inputBytes }, () => Math.round((next() - 0.5) * 250));
    const got = new Int8Array(wasm.run(x).buffer);
    const board = await runOnBoard(link, new Uint8Array(x.buffer));
    const fromBoard = new Int8Array(board.output.buffer, board.output.byteOffset, board.output.length);
    const ref = referenceInt8(parsed, x);
    expect(got.length).toBe(fromBoard.length);
    for (let i = 0; i < got.length; i++) {
      elements++;
      if (got[i] !== fromBoard[i]) boardMismatches++;
      if (got[i] !== ref[i]) referenceMismatches++;
    }
  }
  return { elements, boardMismatches, referenceMismatches, status: await runtimeStatus(link), parsed };
}

describe.skipIf(!canBuild)('the board runtime as WebAssembly', () => {
  const models: [string, () => Uint8Array | Promise<Uint8Array>, number][] = [
    ['the shipped motor-vib int8', shipped, 20],
    ['a converted conv/pool net', convPoolNet, 10],
    ['a converted net of mixed ops', mixedOpsNet, 10],
    ['a graph chaining every kernel', () => allKernelsGraph(), 10],
    ['dilated, strided depthwise convolutions with a depth multiplier', () => dilatedDepthwiseGraph(), 20],
    [
      'a deep depthwise net with a vision net’s tensors and per-channel parameters',
      () => deepDepthwiseNet(),
      3,
    ],
  ];
  if (haveReferenceModels) {
    models.push(['Google’s hello_world_int8', () => referenceModel('hello_world_int8'), 20]);
    models.push(['Google’s ad01_int8', () => referenceModel('ad01_int8'), 5]);
    models.push(['Google’s kws_int8', () => referenceModel('kws_int8'), 3]);
  }
  // MLPerf Tiny's vww_96 and ResNet-8 and TFLite Micro's person_detect, when fetched (bench/peers/models).
  for (const m of fetched.present) models.push([`Google’s ${m.name}`, () => readFetched(m.name), 2]);
  it.each(models)(
    'equals the host board element for element on %s',
    async (_name, model, n) => {
      const r = await compare(await model(), n, 7);
      expect(r.elements).toBeGreaterThan(0);
      expect(r.boardMismatches).toBe(0);
      expect(r.referenceMismatches).toBe(0);
      // The tables the board built in its arena are the bytes the gateway's fit check counts for the model.
      expect(r.status.tablesBytes).toBe(bridgeNeeds(r.parsed).tablesBytes);
    },
    120_000,
  );

  it('scores a window exactly as the board’s output scores it (scorer: int8-exact)', async () => {
    const exact = await Int8AutoencoderScorer.open(MOTOR, { exact: true });
    await flashModel(link, shipped());
    const { mean, std } = loadSidecar(MOTOR).sidecar.normalization;
    const windows = Array.from({ length: 12 }, (_, w) =>
      Float32Array.from(mean, (m, i) => m + std[i]! * Math.sin(w * 5 + i) * 2.5),
    );
    const scores = exact.scoreBatch(windows);
    for (let w = 0; w < windows.length; w++) {
      const { normalized, input } = exact.modelInput(windows[w]!);
      const board = await runOnBoard(link, new Uint8Array(input.buffer, input.byteOffset, input.length));
      const onBoard = exact.errorOf(
        normalized,
        new Int8Array(board.output.buffer, board.output.byteOffset, board.output.length),
      );
      expect(scores[w]).toBe(Math.fround(onBoard));
    }
    exact.dispose();
  }, 60_000);

  it('scores a gateway board configured with scorer: int8-exact', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tg-exact-'));
    const config = GatewayConfig.parse({
      gateway: { id: 'plant', dataDir },
      boards: [
        {
          id: 'press',
          profile: 'virtual-host',
          virtual: { scenario: 'healthy', firmware: 'js' },
          samplingRateHz: 1000,
          sensors: [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }],
          model: MOTOR,
          scorer: 'int8-exact',
        },
      ],
      mqtt: { embedded: { port: 0 } },
      dashboard: { enabled: false },
    });
    const gateway = await Gateway.start({ config, baseDir: dataDir });
    try {
      const scores: number[] = [];
      gateway.runners[0]!.on(
        'decision',
        (d: { score: number | null }) => d.score !== null && scores.push(d.score),
      );
      await waitFor('windows scored', () => scores.length >= 3, 30_000);
      expect((gateway.runners[0] as unknown as { plan: { scorer: object } }).plan.scorer).toMatchObject({
        kind: 'int8',
        exact: true,
      });
      expect(scores.every((x) => Number.isFinite(x))).toBe(true);
    } finally {
      await gateway.stop();
    }
  }, 60_000);

  it('refuses what the boards refuse, naming the op', async () => {
    // An op of TFLite's schema without a kernel in its table, whichever ops it has.
    const missing = opWithoutKernel(await WasmRuntime.kernels());
    await expect(WasmRuntime.load(oneOpModel(missing.code))).rejects.toThrow(
      `refuses the model: unsupported op ${missing.name} (the runtime's kernels:`,
    );
  });
});
