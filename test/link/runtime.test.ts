// The on-board int8 runtime in the host firmware: models flashed over the link run on the board,
// and every output element agrees with the official TFLite interpreter (within ±1; the share of
// exact matches is asserted too). Unsupported and malformed models are refused by name at load.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boardInfo,
  flashModel,
  type HostBoard,
  type Link,
  openLink,
  runOnBoard,
  runtimeStatus,
  startHostBoard,
} from '../../src/link/index.js';
import { bridgeNeeds, builtinOpName, readTflite } from '../../src/tflite/index.js';
import { compareOnBoards } from '../helpers/board-compare.js';
import { ROOT } from '../helpers/cli.js';
import { convPoolNet, deepDepthwiseNet } from '../helpers/converted-nets.js';
import { fullyConnectedOptions, Int8Graph, oneOpModel, opWithoutKernel } from '../helpers/int8-graph.js';
import { haveReferenceModels, referenceModel } from '../tflite/reference.js';

let hb: HostBoard;
let link: Link;
beforeAll(async () => {
  hb = await startHostBoard({});
  link = await openLink({ path: hb.path });
}, 120_000);
afterAll(async () => {
  await link?.close();
  await hb?.stop();
});

/** Flash, then compare board, reference kernels and interpreter on `n` inputs around the input's range. */
const compare = (model: Uint8Array, n: number, seed: number) =>
  compareOnBoards(model, [link], { n, seed, spread: 160 });

describe('on-board int8 runtime (host firmware)', () => {
  it('runs the shipped motor-vib int8 model with the interpreter’s answers', async () => {
    const r = await compare(
      new Uint8Array(readFileSync(join(ROOT, 'models/motor-vib/model.int8.tflite'))),
      30,
      1,
    );
    expect(r.status.arenaBytes).toBe(64);
    // Bit-exact with TFLite's reference kernels (what TFLite Micro runs)…
    expect(r.referenceMismatches).toBe(0);
    // …and close to the interpreter in Node, whose XNNPACK kernels round differently now and then.
    expect(r.withinOneShare).toBeGreaterThan(0.99);
    expect(r.exactShare).toBeGreaterThan(0.95);
  }, 60_000);

  it.skipIf(!haveReferenceModels)(
    'runs Google’s hello_world_int8 and ad01_int8',
    async () => {
      const hello = await compare(referenceModel('hello_world_int8'), 30, 2);
      expect(hello.status.arenaBytes).toBe(32);
      expect(hello.referenceMismatches).toBe(0);
      expect(hello.withinOneShare).toBeGreaterThan(0.9);
      const ad01 = await compare(referenceModel('ad01_int8'), 10, 3);
      expect(ad01.referenceMismatches).toBe(0);
      // Activations: the planned head; tables: what the fit check counts for this model. Arena + tables is at
      // most half of TFLite Micro's 2,260-byte arena for ad01 (../shared/reference-models/README.md).
      expect(ad01.status.arenaBytes).toBe(768);
      expect(ad01.status.tablesBytes).toBe(bridgeNeeds(readTflite(referenceModel('ad01_int8'))).tablesBytes);
      expect(ad01.status.usedBytes).toBe(ad01.status.arenaBytes + ad01.status.tablesBytes);
      expect(ad01.status.usedBytes).toBeLessThanOrEqual(2260 / 2);
      // The interpreter runs XNNPACK's kernels, not the reference ones: its requantization differs
      // by a step now and then, and ten stacked layers can grow that, so this share is reported, not exact.
      expect(ad01.withinOneShare).toBeGreaterThan(0.95);
    },
    60_000,
  );

  it('takes a model with as many tensors and per-channel parameters as a vision net, its tables sized by it', async () => {
    // vww_96 and person_detect have 89 tensors and 2,736 per-channel parameters: more than the fixed tables
    // of earlier builds (64 and 2,048). The host board's 64 KiB arena holds this net's tables and activations.
    const model = await deepDepthwiseNet();
    const needs = bridgeNeeds(readTflite(model));
    expect(needs.tensors).toBeGreaterThanOrEqual(89);
    expect(needs.channelParams).toBeGreaterThanOrEqual(2736);
    const { fitOnBoard, inspectModel } = await import('../../src/tflite/index.js');
    const { findBoard } = await import('../../src/boards/index.js');
    const fit = fitOnBoard(findBoard('virtual-host'), inspectModel(readTflite(model), model.length).needs);
    expect(fit.fits, fit.problems.join('; ')).toBe(true);
    const r = await compare(model, 3, 9);
    expect(r.status, r.status.error ?? '').toMatchObject({ state: 'ready' });
    expect(r.status.tablesBytes).toBe(needs.tablesBytes);
    expect(r.status.usedBytes).toBe(fit.arena.need);
    expect(r.referenceMismatches).toBe(0);
  }, 120_000);

  it('refuses a model with an op it does not have, naming the op', async () => {
    // An op of TFLite's schema the board has no kernel for, whichever ops it has: the board lists its
    // kernels in board info; it reports the op's code, the gateway names it from the schema.
    const info = await boardInfo(link);
    expect(info.runtimeKernels!.map(builtinOpName)).toEqual(expect.arrayContaining(['FULLY_CONNECTED']));
    const missing = opWithoutKernel(info.runtimeKernels!);
    await flashModel(link, oneOpModel(missing.code));
    const s = await runtimeStatus(link);
    expect(s.state).toBe('error');
    // The op named, and what the runtime has instead.
    expect(s.error).toMatch(
      new RegExp(`^unsupported op ${missing.name} \\(the runtime's kernels: FULLY_CONNECTED, .*SQUEEZE\\)$`),
    );
    await expect(runOnBoard(link, new Uint8Array(8))).rejects.toThrow(/no runnable model/);
  }, 60_000);

  it('names the tensor and type it cannot read, and counts inputs and outputs, as the fit check does', async () => {
    const { fitOnBoard, inspectModel } = await import('../../src/tflite/index.js');
    const { findBoard } = await import('../../src/boards/index.js');
    const host = findBoard('virtual-host');
    const fc = fullyConnectedOptions('NONE');
    const dense = (g: Int8Graph, x: number) =>
      g.op(
        9,
        4,
        [x, g.tensor([4, 4], 0.02, 0, new Int8Array(16).fill(3)), g.tensor([4], 0, 0, new Int32Array(4))],
        g.tensor([1, 4], 0.05, 0),
        fc,
      );

    // A type the runtime does not read at all (uint8): the board says which tensor and what it is.
    const g8 = new Int8Graph();
    const xu = g8.tensor([1, 4], 0.05, 0);
    (g8 as unknown as { g: { tensors: { type: string }[] } }).g.tensors[xu]!.type = 'uint8';
    const uint8Model = g8.build(xu, dense(g8, xu));
    await flashModel(link, uint8Model);
    expect((await runtimeStatus(link)).error).toBe(
      'tensor 0 is UINT8: the runtime reads int8, int16, int32, int64, float32',
    );
    expect(fitOnBoard(host, inspectModel(readTflite(uint8Model), uint8Model.length).needs).problems).toEqual([
      'tensor "t0" is uint8 (the board runtime reads int8, int16, int32, int64, float32)',
    ]);

    // An int16 activation into an int8 FULLY_CONNECTED: read, but not a type set its kernels run, so the op
    // and its tensors' types are named (16x8 takes int16 in and out: test/link/runtime-16x8.test.ts).
    const g16 = new Int8Graph();
    const x16 = g16.tensor([1, 4], 0.05, 0);
    (g16 as unknown as { g: { tensors: { type: string }[] } }).g.tensors[x16]!.type = 'int16';
    const int16Model = g16.build(x16, dense(g16, x16));
    const why = 'FULLY_CONNECTED with int16, int8, int32 -> int8: takes int8, or int16 with int8 weights';
    await flashModel(link, int16Model);
    expect((await runtimeStatus(link)).error).toBe(why);
    expect(fitOnBoard(host, inspectModel(readTflite(int16Model), int16Model.length).needs).problems).toEqual([
      why,
    ]);

    // Two inputs: counted, not "must have one".
    const g2 = new Int8Graph();
    const a = g2.tensor([1, 4], 0.05, 0);
    const b = g2.tensor([1, 4], 0.05, 0);
    (g2 as unknown as { g: { inputs: number[] } }).g.inputs.push(b);
    await flashModel(link, g2.build(a, dense(g2, a)));
    expect((await runtimeStatus(link)).error).toBe(
      'the model has 2 inputs and 1 outputs: the runtime takes one of each',
    );
  }, 60_000);

  it('uses the model’s offline memory plan (OfflineMemoryAllocation) when it has one, and refuses a plan that overlaps', async () => {
    const { planArena, writeTflite } = await import('../../src/tflite/index.js');
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'models/motor-vib/model.int8.tflite')));
    const withPlan = (offsets: (o: number[]) => number[]) => {
      const m = readTflite(bytes);
      const values = offsets(planArena(m).offsets);
      const data = new Uint8Array(Int32Array.from([1, 1, values.length, ...values]).buffer);
      const buffer = m.buffers.push({ data } as never) - 1;
      m.metadata.push({ name: 'OfflineMemoryAllocation', buffer });
      return writeTflite(m);
    };
    // Every activation one after another (16-byte aligned), unlike the greedy plan that reuses space.
    let end = 0;
    const parsed = readTflite(bytes);
    const spread = withPlan((greedy) =>
      greedy.map((o, t) => {
        if (o < 0) return -1;
        const at = end;
        const n = parsed.subgraphs[0]!.tensors[t]!.shape.reduce((a, b) => a * b, 1);
        end += Math.ceil(n / 16) * 16;
        return at;
      }),
    );
    const r = await compare(spread, 10, 5);
    expect(r.referenceMismatches).toBe(0);
    expect(r.status.arenaBytes).toBe(end);
    expect(end).toBeGreaterThan(64); // the greedy plan's 64 B: the board followed the file, not its own plan
    // All activations at offset 0: the input and the first layer's output would share bytes.
    await flashModel(
      link,
      withPlan((greedy) => greedy.map((o) => (o < 0 ? -1 : 0))),
    );
    expect(await runtimeStatus(link)).toMatchObject({
      state: 'error',
      error: "the model's offline memory plan overlaps tensors in use at the same time",
    });
  }, 60_000);

  it('refuses a damaged model at load instead of running it', async () => {
    const good = new Uint8Array(readFileSync(join(ROOT, 'models/motor-vib/model.int8.tflite')));
    const bad = good.slice();
    // Point the root table far outside the file.
    new DataView(bad.buffer).setUint32(0, 0x7fff0000, true);
    await flashModel(link, bad);
    const s = await runtimeStatus(link);
    expect(s.state).toBe('error');
    expect(s.error).toMatch(/malformed model/);
  }, 60_000);
});

describe('on-board convolutions and pooling', () => {
  it('runs a converted conv net (conv, depthwise, max and average pool, dense) bit-exact with the reference', async () => {
    const bytes = await convPoolNet();
    const r = await compare(bytes, 20, 9);
    expect(r.referenceMismatches).toBe(0);
    expect(r.withinOneShare).toBeGreaterThan(0.95);
  }, 90_000);
});

describe('tinygate infer --port', () => {
  it('prints the board’s output next to the gateway’s, and refuses when the board holds another model', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { runCli } = await import('../helpers/cli.js');
    const board = await startHostBoard({});
    try {
      const model = join(ROOT, 'models/motor-vib/model.int8.tflite');
      const dir = mkdtempSync(join(tmpdir(), 'tg-infer-port-'));
      const csv = join(dir, 'x.csv');
      writeFileSync(csv, [Array(36).fill('0.5').join(','), Array(36).fill('-1').join(',')].join('\n'));
      const before = await runCli(['infer', model, '--input', csv, '--port', board.path]);
      expect(before.code).toBe(1);
      expect(before.stderr).toMatch(/the board's active model is not this file/);
      expect((await runCli(['flash', model, '--port', board.path])).code).toBe(0);
      const r = await runCli(['infer', model, '--input', csv, '--port', board.path, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        results: number[][][];
        board: { results: number[][]; maxAbsDiff: number[] };
      };
      expect(doc.board.results).toHaveLength(2);
      // Dequantized: one int8 step of the output scale at most.
      for (const d of doc.board.maxAbsDiff) expect(d).toBeLessThan(0.2);
    } finally {
      await board.stop();
    }
  }, 60_000);
});
