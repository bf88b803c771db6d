// Every int8 kernel of the on-board runtime, on the host firmware: a hand-built graph that chains PAD,
// MUL, SUB, TANH, ADD (broadcast, fused RELU), LOGISTIC, CONCATENATION, MEAN, SQUEEZE and SOFTMAX; a
// converted tfjs net with softmax, sigmoid, tanh, add, concatenate and global average pooling; and Google's
// kws_int8. Outputs must equal TFLite's reference kernels (an independent TypeScript implementation)
// element for element, and stay within ±1 of the official interpreter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostBoard, type Link, openLink, startHostBoard } from '../../src/link/index.js';
import { readTflite } from '../../src/tflite/index.js';
import { compareOnBoards } from '../helpers/board-compare.js';
import { mixedOpsNet } from '../helpers/converted-nets.js';
import { allKernelsGraph } from '../helpers/int8-graph.js';
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

const compare = (model: Uint8Array, n: number, seed: number, spread = 200) =>
  compareOnBoards(model, [link], { n, seed, spread });

describe('on-board int8 kernels beyond dense and conv (host firmware)', () => {
  it('runs PAD, MUL, SUB, TANH, ADD, LOGISTIC, CONCATENATION, MEAN, SQUEEZE and SOFTMAX as the reference does', async () => {
    const r = await compare(allKernelsGraph(), 40, 31);
    expect(r.referenceMismatches).toBe(0);
    expect(r.distinctOutputs).toBeGreaterThan(20); // the inputs reach the output: not a constant graph
    expect(r.withinOneShare).toBeGreaterThan(0.95);
  }, 60_000);

  it('runs a converted tfjs net with softmax, sigmoid, tanh, add, concatenate and global average pooling', async () => {
    const bytes = await mixedOpsNet();
    const ops = new Set(readTflite(bytes).subgraphs[0]!.operators.map((o) => o.opcodeIndex));
    expect(ops.size).toBeGreaterThanOrEqual(6);
    const r = await compare(bytes, 30, 35, 120);
    expect(r.referenceMismatches).toBe(0);
    expect(r.withinOneShare).toBeGreaterThan(0.95);
  }, 90_000);

  it.skipIf(!haveReferenceModels)(
    'runs Google’s kws_int8 (conv, depthwise, average pool, reshape, dense, softmax) bit-exact with the reference',
    async () => {
      const r = await compare(referenceModel('kws_int8'), 4, 36, 60);
      expect(r.referenceMismatches).toBe(0);
      expect(r.withinOneShare).toBeGreaterThan(0.95);
    },
    120_000,
  );
});
