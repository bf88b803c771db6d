// Every int8 kernel of the on-board runtime, on the host firmware: a hand-built graph that chains PAD,
// MUL, SUB, TANH, ADD (broadcast, fused RELU), LOGISTIC, CONCATENATION, MEAN, SQUEEZE and SOFTMAX; a
// converted tfjs net with softmax, sigmoid, tanh, add, concatenate and global average pooling; and Google's
// kws_int8. Outputs must equal TFLite's reference kernels (an independent TypeScript implementation)
// element for element, and stay within ±1 of the official interpreter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flashModel,
  type HostBoard,
  type Link,
  openLink,
  runOnBoard,
  runtimeStatus,
  startHostBoard,
} from '../../src/link/index.js';
import { readTflite, TfliteInterpreter } from '../../src/tflite/index.js';
import { mixedOpsNet } from '../helpers/converted-nets.js';
import { allKernelsGraph } from '../helpers/int8-graph.js';
import { referenceInt8 } from '../helpers/tflite-reference.js';
import { haveReferenceModels, referenceModel, rng } from '../tflite/reference.js';

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

async function compare(model: Uint8Array, n: number, seed: number, spread = 200) {
  await flashModel(link, model);
  const status = await runtimeStatus(link);
  expect(status.state, status.error ?? '').toBe('ready');
  const interpreter = await TfliteInterpreter.load(model);
  const parsed = readTflite(model);
  const next = rng(seed);
  let total = 0;
  let withinOne = 0;
  let exact = 0;
  let referenceMismatches = 0;
  const distinct = new Set<string>();
  try {
    for (let k = 0; k < n; k++) {
      const x = Int8Array.from({ length: status.inputBytes }, () =>
        Math.max(-128, Math.min(127, Math.round((next() - 0.5) * spread))),
      );
      const got = await runOnBoard(link, new Uint8Array(x.buffer));
      const y = new Int8Array(got.output.buffer, got.output.byteOffset, got.output.length);
      const ref = referenceInt8(parsed, x);
      const want = interpreter.run(x)[0] as Int8Array;
      expect(y.length).toBe(want.length);
      distinct.add(y.join(','));
      for (let i = 0; i < y.length; i++) {
        total++;
        if (y[i] !== ref[i]) referenceMismatches++;
        if (y[i] === want[i]) exact++;
        if (Math.abs(y[i]! - want[i]!) <= 1) withinOne++;
      }
    }
  } finally {
    interpreter.close();
  }
  return {
    status,
    referenceMismatches,
    exactShare: exact / total,
    withinOneShare: withinOne / total,
    distinctOutputs: distinct.size,
  };
}

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
