// Where TFLite Micro's persistent arena ("tail") goes per op, measured with TFLite Micro itself on the
// emulated Cortex-M3 (bench/peers/tflm): for each kind of op, chains of one, two and three such ops (and for
// the per-channel kernels 8 and 32 output channels) are allocated, and the tail (arena_used_bytes() minus
// the planned head, with its kernels' scratch buffers) is read. What one more op adds, less its tensors'
// TfLiteEvalTensors (12 B each), its NodeAndRegistration (32 B) and its scratch buffers' handles (4 B each),
// is its builtin parameters and op data: the figures TFLM_32BIT.opData models,
// printed beside them. Prints JSON.
import { elementCount, readTflite } from '../src/tflite/index.js';
import { planArena, TFLM_32BIT, tflmScratchBuffers } from '../src/tflite/plan.js';
import { fullyConnectedOptions, Int8Graph } from '../test/helpers/int8-graph.js';
import { runOnTflm, tflmPeer } from './peers/tflm.js';

const peer = tflmPeer('m3');
if ('missing' in peer) {
  console.error(`tflm-arena: ${peer.missing}`);
  process.exit(1);
}

const i8 = (n: number) => Int8Array.from({ length: n }, (_, i) => (i % 7) - 3);
const bias = (g: Int8Graph, c: number) =>
  g.tensor(
    [c],
    0,
    0,
    Int32Array.from({ length: c }, (_, i) => i * 10),
  );
const perChannel = (g: Int8Graph, shape: number[], dim: number, c: number) =>
  g.constant(
    shape,
    'int8',
    new Uint8Array(i8(elementCount(shape)).buffer),
    Array.from({ length: c }, (_, i) => 0.01 + i * 0.001),
    dim,
  );
type Step = (g: Int8Graph, x: number, c: number) => number;
const shape = (c: number) => [1, 4, 4, c];
const act = (g: Int8Graph, c: number) => g.tensor(shape(c), 0.05, 1);
const conv = { padding: 'SAME', strideW: 1, strideH: 1, fusedActivation: 'NONE', dilationW: 1, dilationH: 1 };
const pool = {
  type: 'Pool2DOptions',
  padding: 'SAME',
  strideW: 1,
  strideH: 1,
  filterWidth: 2,
  filterHeight: 2,
};
const none = { fusedActivation: 'NONE', potScaleInt16: false };
/** Each kind: its builtin code's step, and whether it is per-channel (measured at 8 and 32 channels). */
const KINDS: Record<string, { step: Step; perChannel?: boolean; flat?: boolean; noMinimum?: boolean }> = {
  FULLY_CONNECTED: {
    flat: true,
    step: (g, x, c) =>
      g.op(
        9,
        4,
        [x, g.tensor([c, c], 0.02, 0, i8(c * c)), bias(g, c)],
        g.tensor([1, c], 0.05, 1),
        fullyConnectedOptions(),
      ),
  },
  CONV_2D: {
    perChannel: true,
    step: (g, x, c) =>
      g.op(3, 3, [x, perChannel(g, [c, 1, 1, c], 0, c), bias(g, c)], act(g, c), {
        type: 'Conv2DOptions',
        ...conv,
        quantizedBiasType: 'float32',
      } as never),
  },
  DEPTHWISE_CONV_2D: {
    perChannel: true,
    step: (g, x, c) =>
      g.op(4, 3, [x, perChannel(g, [1, 3, 3, c], 3, c), bias(g, c)], act(g, c), {
        type: 'DepthwiseConv2DOptions',
        ...conv,
        depthMultiplier: 1,
      } as never),
  },
  AVERAGE_POOL_2D: {
    step: (g, x, c) => g.op(1, 2, [x], act(g, c), { ...pool, fusedActivation: 'NONE' } as never),
  },
  MAX_POOL_2D: {
    step: (g, x, c) => g.op(17, 2, [x], act(g, c), { ...pool, fusedActivation: 'NONE' } as never),
  },
  RESHAPE: {
    step: (g, x, c) =>
      g.op(22, 1, [x, g.tensor([4], 0, 0, Int32Array.from(shape(c)))], act(g, c), {
        type: 'ReshapeOptions',
        newShape: shape(c),
      } as never),
  },
  SOFTMAX: {
    step: (g, x, c) =>
      g.op(25, 2, [x], g.tensor(shape(c), 1 / 256, -128), { type: 'SoftmaxOptions', beta: 1 } as never),
  },
  ADD: { step: (g, x, c) => g.op(0, 2, [x, x], act(g, c), { type: 'AddOptions', ...none } as never) },
  SUB: { step: (g, x, c) => g.op(41, 2, [x, x], act(g, c), { type: 'SubOptions', ...none } as never) },
  MUL: {
    step: (g, x, c) =>
      g.op(18, 2, [x, x], act(g, c), { type: 'MulOptions', fusedActivation: 'NONE' } as never),
  },
  PAD: {
    step: (g, x, c) =>
      g.op(34, 2, [x, g.tensor([4, 2], 0, 0, new Int32Array(8))], act(g, c), { type: 'PadOptions' } as never),
  },
  LOGISTIC: { step: (g, x, c) => g.op(14, 2, [x], g.tensor(shape(c), 1 / 256, -128), null) },
  TANH: { step: (g, x, c) => g.op(28, 2, [x], g.tensor(shape(c), 1 / 128, 0), null) },
  RELU: { step: (g, x, c) => g.op(19, 2, [x], act(g, c), null) },
  RELU6: { step: (g, x, c) => g.op(21, 2, [x], act(g, c), null) },
  // TFLite Micro aborts while MEAN allocates in some too-small arenas: its smallest arena is not searched.
  MEAN: {
    noMinimum: true,
    step: (g, x, c) =>
      g.op(40, 2, [x, g.tensor([2], 0, 0, Int32Array.from([1, 2]))], g.tensor([1, 1, 1, c], 0.05, 1), {
        type: 'ReducerOptions',
        keepDims: true,
      } as never),
  },
  QUANTIZE: { step: (g, x, c) => g.op(114, 2, [x], g.tensor(shape(c), 0.07, 3), null) },
};

/** A chain of `k` ops of a kind, and how many tensors one op adds. */
function chain(kind: (typeof KINDS)[string], k: number, c: number) {
  const g = new Int8Graph();
  const x0 = g.tensor(kind.flat ? [1, c] : shape(c), 0.05, 1);
  let x = x0;
  for (let i = 0; i < k; i++) x = kind.step(g, x, c);
  return { bytes: g.build(x0, x), input: x0, output: x };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const ops = [];
for (const [op, kind] of Object.entries(KINDS)) {
  for (const c of kind.perChannel ? [8, 32] : [8]) {
    const tails: number[] = [];
    let tensorsPerOp = 0;
    let scratchPerOp = 0;
    for (const k of [1, 2, 3]) {
      const { bytes, input, output } = chain(kind, k, c);
      const model = readTflite(bytes);
      const g = model.subgraphs[0]!;
      tensorsPerOp = (g.tensors.length - 1) / k;
      scratchPerOp = tflmScratchBuffers(model).length / k;
      const count = (t: number) => elementCount(g.tensors[t]!.shape);
      const r = await runOnTflm('m3', peer.elf, bytes, [new Uint8Array(count(input))], count(output), {
        noMinimum: kind.noMinimum,
      });
      tails.push(r.arenaUsedBytes - planArena(model, 'tflm').headBytes);
    }
    const perOp = [tails[1]! - tails[0]!, tails[2]! - tails[1]!];
    ops.push({
      op,
      channels: kind.perChannel ? c : null,
      tensorsPerOp,
      scratchBuffersPerOp: scratchPerOp,
      tailBytes: tails,
      tailPerOp: perOp,
      paramsAndOpDataMeasured:
        mean(perOp) -
        TFLM_32BIT.evalTensor * tensorsPerOp -
        TFLM_32BIT.nodeAndRegistration -
        TFLM_32BIT.scratchHandle * scratchPerOp,
      paramsAndOpDataModelled: TFLM_32BIT.opData(op, c),
    });
    console.error(`tflm-arena: ${op}${kind.perChannel ? ` ×${c}` : ''} done`);
  }
}
process.stdout.write(
  `${JSON.stringify(
    {
      note: 'tail = arena_used_bytes() − planned head, TFLite Micro (bench/peers/tflm) on QEMU mps2-an385; per op: a second and a third op of the kind (they differ by alignment); measured = their mean less 12 B per tensor, 32 B per node and 4 B per scratch buffer',
      ops,
    },
    null,
    2,
  )}\n`,
);
