import { TinygateError } from '../errors/index.js';
import {
  builtinOpCode,
  type OperatorCode,
  type Quantization,
  type TfliteModel,
  type TfliteOperator,
  type TfliteTensor,
} from '../tflite/index.js';
import type { Range } from './calibrate.js';
import type { Graph, GraphOpName } from './graph.js';

export interface QuantizeOptions {
  /** `int8`: the model takes and gives int8; `float`: a QUANTIZE first and a DEQUANTIZE last. */
  io: 'int8' | 'float';
  /** Per-channel weights for FULLY_CONNECTED too (conv and depthwise are always per-channel). */
  perChannelDense: boolean;
}

/** Op versions TFLite's versioning rules give these ops with int8 tensors. */
export const INT8_VERSION: Record<GraphOpName | 'QUANTIZE' | 'DEQUANTIZE', number> = {
  FULLY_CONNECTED: 4,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 3,
  AVERAGE_POOL_2D: 2,
  MAX_POOL_2D: 2,
  RESHAPE: 1,
  SOFTMAX: 2,
  LOGISTIC: 2,
  TANH: 2,
  RELU: 2,
  RELU6: 2,
  LEAKY_RELU: 2,
  ADD: 2,
  SUB: 2,
  MUL: 2,
  CONCATENATION: 2,
  PAD: 2,
  MEAN: 2,
  SQUEEZE: 1,
  HARD_SWISH: 1,
  QUANTIZE: 1,
  DEQUANTIZE: 2,
};

/** Every int8 kernel version above exists since TFLite 1.14; interpreters older than that refuse the file. */
export const MIN_RUNTIME_VERSION = '1.14.0';

/** Outputs whose int8 parameters the TFLite int8 spec fixes, whatever the calibration saw. */
const FIXED_OUTPUT: Partial<Record<GraphOpName, { scale: number; zeroPoint: number }>> = {
  LOGISTIC: { scale: 1 / 256, zeroPoint: -128 },
  SOFTMAX: { scale: 1 / 256, zeroPoint: -128 },
  TANH: { scale: 1 / 128, zeroPoint: 0 },
};

/** Ops whose output must keep their input's scale and zero point (and CONCATENATION: all inputs too). */
const SAME_SCALE = new Set<GraphOpName>([
  'RESHAPE',
  'SQUEEZE',
  'MAX_POOL_2D',
  'AVERAGE_POOL_2D',
  'CONCATENATION',
  'PAD',
]);

export interface Affine {
  scale: number;
  zeroPoint: number;
}

/** TFLite's rule: the range is widened to hold 0, and the zero point is nudged to an integer in range. */
export function affineFromRange(r: Range): Affine {
  const min = Math.min(0, r.min);
  const max = Math.max(0, r.max);
  // An all-zero tensor: any scale represents it exactly.
  if (max - min < 1e-12) return { scale: 1 / 256, zeroPoint: -128 };
  const scale = (max - min) / 255;
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - min / scale)));
  return { scale, zeroPoint };
}

const roundHalfAway = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x));

const INT32_MAX = 2147483647;

/**
 * Symmetric int8 weights in [−127, 127]; per channel along `axis` (its length = channels), or per tensor.
 * `minScales` (per channel, or one): no scale goes below it. A channel whose weights are essentially zero
 * would otherwise get a scale near 1e-32 and a bias (bias ÷ input scale × weight scale) far past int32;
 * raised, its weights round to 0 and its bias keeps its value, as TFLite's converter does.
 */
function quantizeWeights(
  data: Float32Array,
  shape: number[],
  axis: number | null,
  minScales: number[] | null = null,
): { q: Int8Array; scales: number[] } {
  const channels = axis === null ? 1 : shape[axis]!;
  const inner = axis === null ? 1 : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < data.length; i++)
    maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)]!, Math.abs(data[i]!));
  const scales = Array.from(maxAbs, (m, c) => Math.max(m > 0 ? m / 127 : 1, minScales?.[c] ?? 0));
  const q = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++)
    q[i] = Math.max(-127, Math.min(127, roundHalfAway(data[i]! / scales[channelOf(i)]!)));
  return { q, scales };
}

/**
 * Full-integer int8 per the TFLite int8 spec: symmetric per-channel conv and depthwise weights,
 * per-tensor (or per-channel) fully-connected weights, int32 biases at input scale × weight scale,
 * asymmetric per-tensor activations from the calibration ranges, fixed outputs for LOGISTIC, SOFTMAX
 * and TANH, shared parameters through pooling, reshape and concatenation.
 */
export function quantizeGraph(graph: Graph, ranges: Map<number, Range>, o: QuantizeOptions): TfliteModel {
  const act = activationParams(graph, ranges);
  const tensors: TfliteTensor[] = [];
  const buffers: TfliteModel['buffers'] = [{ data: null }];
  const add = (
    t: Omit<TfliteTensor, 'shapeSignature' | 'isVariable' | 'hasRank' | 'buffer'>,
    data?: Uint8Array,
  ): number => {
    let buffer = 0;
    if (data) buffer = buffers.push({ data }) - 1;
    tensors.push({
      ...t,
      shapeSignature: null,
      isVariable: false,
      hasRank: true,
      buffer,
      data: data ?? null,
    });
    return tensors.length - 1;
  };
  const perTensor = (a: Affine): Quantization => ({
    scale: [a.scale],
    zeroPoint: [a.zeroPoint],
    quantizedDimension: 0,
    min: null,
    max: null,
    custom: null,
  });
  const bytes = (a: Int8Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

  // Which constants are weights (and of which kind) and which are biases: they quantize differently.
  const role = new Map<
    number,
    | { kind: 'weights'; axis: number | null; input: number; bias: number | null }
    | { kind: 'bias'; input: number; weights: number }
  >();
  for (const op of graph.ops) {
    const [x, w, b] = op.inputs;
    const bias = b !== undefined && b >= 0 ? b : null;
    if (op.op === 'FULLY_CONNECTED')
      role.set(w!, { kind: 'weights', axis: o.perChannelDense ? 0 : null, input: x!, bias });
    else if (op.op === 'CONV_2D') role.set(w!, { kind: 'weights', axis: 0, input: x!, bias });
    else if (op.op === 'DEPTHWISE_CONV_2D') role.set(w!, { kind: 'weights', axis: 3, input: x!, bias });
    else continue;
    if (bias !== null) role.set(bias, { kind: 'bias', input: x!, weights: w! });
  }
  // The smallest weight scale that keeps each channel's bias within half of int32 at this input's scale
  // (the headroom keeps rounding off the edge).
  const biasFloor = (bias: number | null, input: number, perChannel: boolean): number[] | null => {
    const data = bias === null ? null : graph.tensors[bias]!.data;
    if (!(data instanceof Float32Array)) return null;
    const inScale = act.get(input)!.scale;
    const floors = Array.from(data, (v) => Math.abs(v) / (inScale * 2 ** 30));
    return perChannel ? floors : [Math.max(0, ...floors)];
  };

  const index = new Map<number, number>();
  const weightScales = new Map<number, { scales: number[]; axis: number | null }>();
  // Weights first, so biases can read their scales.
  const order = [...graph.tensors.keys()].sort(
    (a, b) => Number(role.get(a)?.kind === 'bias') - Number(role.get(b)?.kind === 'bias'),
  );
  for (const t of order) {
    const g = graph.tensors[t]!;
    const r = role.get(t);
    if (g.data instanceof Int32Array) {
      index.set(t, add({ name: g.name, shape: g.shape, type: 'int32', quantization: null }, bytes(g.data)));
    } else if (g.data && r?.kind === 'weights') {
      const floor = biasFloor(r.bias, r.input, r.axis !== null);
      const { q, scales } = quantizeWeights(g.data, g.shape, r.axis, floor);
      weightScales.set(t, { scales, axis: r.axis });
      const quantization: Quantization = {
        scale: scales,
        zeroPoint: scales.map(() => 0),
        quantizedDimension: r.axis ?? 0,
        min: null,
        max: null,
        custom: null,
      };
      index.set(t, add({ name: g.name, shape: g.shape, type: 'int8', quantization }, bytes(q)));
    } else if (g.data && r?.kind === 'bias') {
      const inScale = act.get(r.input)!.scale;
      const w = weightScales.get(r.weights)!;
      const scales =
        g.data.length === w.scales.length
          ? w.scales.map((s) => s * inScale)
          : Array.from(g.data, () => w.scales[0]! * inScale);
      const q = Int32Array.from(g.data, (v, i) =>
        Math.max(-INT32_MAX, Math.min(INT32_MAX, roundHalfAway(v / scales[i]!))),
      );
      const quantization: Quantization = {
        scale: w.axis === null ? [scales[0]!] : scales,
        zeroPoint: w.axis === null ? [0] : scales.map(() => 0),
        quantizedDimension: 0,
        min: null,
        max: null,
        custom: null,
      };
      index.set(t, add({ name: g.name, shape: g.shape, type: 'int32', quantization }, bytes(q)));
    } else if (g.data) {
      // Any other float constant (an ADD or MUL operand): asymmetric per tensor over its own values.
      let min = 0;
      let max = 0;
      for (const v of g.data) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      const a = affineFromRange({ min, max });
      const q = Int8Array.from(g.data, (v) =>
        Math.max(-128, Math.min(127, roundHalfAway(v / a.scale) + a.zeroPoint)),
      );
      index.set(t, add({ name: g.name, shape: g.shape, type: 'int8', quantization: perTensor(a) }, bytes(q)));
    } else {
      const a = act.get(t);
      if (!a) {
        throw new TinygateError(
          'CONVERT_NO_RANGE',
          `tensor ${JSON.stringify(g.name)} got no calibration range`,
          {
            kind: 'internal',
            hint: 'The calibration run did not reach this tensor; this is a bug in the converter.',
          },
        );
      }
      index.set(t, add({ name: g.name, shape: g.shape, type: 'int8', quantization: perTensor(a) }));
    }
  }

  const codes: OperatorCode[] = [];
  const code = (op: keyof typeof INT8_VERSION) => {
    const builtinCode = builtinOpCode(op);
    const version = INT8_VERSION[op];
    let i = codes.findIndex((c) => c.builtinCode === builtinCode && c.version === version);
    if (i < 0) i = codes.push({ builtinCode, customCode: null, version }) - 1;
    return i;
  };
  const operator = (
    opcodeIndex: number,
    inputs: number[],
    outputs: number[],
    options: TfliteOperator['options'],
  ): TfliteOperator => ({
    opcodeIndex,
    inputs,
    outputs,
    intermediates: [],
    options,
    customOptions: null,
    customOptionsFormat: 0,
    mutatingVariableInputs: [],
  });
  const operators: TfliteOperator[] = graph.ops.map((op) =>
    operator(
      code(op.op),
      op.inputs.map((t) => (t < 0 ? -1 : index.get(t)!)),
      op.outputs.map((t) => index.get(t)!),
      op.options ? structuredClone(op.options) : null,
    ),
  );

  let inputs = graph.inputs.map((t) => index.get(t)!);
  let outputs = graph.outputs.map((t) => index.get(t)!);
  if (o.io === 'float') {
    inputs = inputs.map((q) => {
      const t = tensors[q]!;
      const f = add({ name: `${t.name}_float`, shape: t.shape, type: 'float32', quantization: null });
      operators.unshift(operator(code('QUANTIZE'), [f], [q], { type: 'QuantizeOptions' }));
      return f;
    });
    outputs = outputs.map((q) => {
      const t = tensors[q]!;
      const f = add({ name: `${t.name}_float`, shape: t.shape, type: 'float32', quantization: null });
      operators.push(operator(code('DEQUANTIZE'), [q], [f], { type: 'DequantizeOptions' }));
      return f;
    });
  }

  const version = new TextEncoder().encode(MIN_RUNTIME_VERSION);
  const versionBytes = new Uint8Array(16);
  versionBytes.set(version);
  buffers.push({ data: versionBytes });
  return {
    version: 3,
    description: 'tinygate int8 model',
    operatorCodes: codes,
    subgraphs: [{ name: 'main', tensors, inputs, outputs, operators }],
    buffers,
    metadataBuffer: [],
    metadata: [{ name: 'min_runtime_version', buffer: buffers.length - 1 }],
    signatureDefs: [],
  };
}

/** int8 parameters of every activation: fixed outputs first, then shared groups over the union of ranges. */
/**
 * Activation tensors that must share int8 parameters (the SAME_SCALE ops join their inputs and output), in
 * tensor order; `pinned` when the int8 spec fixes the group's parameters (LOGISTIC, SOFTMAX, TANH).
 */
export function activationGroups(graph: Graph): { members: number[]; pinned: Affine | undefined }[] {
  // Union-find over tensors that must share parameters.
  const parent = new Map<number, number>();
  const find = (t: number): number => {
    const p = parent.get(t) ?? t;
    if (p === t) return t;
    const root = find(p);
    parent.set(t, root);
    return root;
  };
  const union = (a: number, b: number) => parent.set(find(a), find(b));
  const fixed = new Map<number, Affine>();
  for (const op of graph.ops) {
    const f = FIXED_OUTPUT[op.op];
    if (f) fixed.set(op.outputs[0]!, f);
    if (SAME_SCALE.has(op.op)) {
      const acts = op.inputs.filter((t) => t >= 0 && !graph.tensors[t]!.data);
      for (const t of acts) union(t, op.outputs[0]!);
    }
  }
  const groups = new Map<number, number[]>();
  for (const t of graph.tensors.keys()) {
    if (graph.tensors[t]!.data) continue;
    const root = find(t);
    groups.set(root, [...(groups.get(root) ?? []), t]);
  }
  return [...groups.values()].map((members) => ({
    members,
    pinned: members.map((t) => fixed.get(t)).find(Boolean),
  }));
}

function activationParams(graph: Graph, ranges: Map<number, Range>): Map<number, Affine> {
  const out = new Map<number, Affine>();
  for (const { members, pinned } of activationGroups(graph)) {
    let params = pinned;
    if (!params) {
      const rs = members.map((t) => ranges.get(t)).filter((r): r is Range => r !== undefined);
      if (!rs.length) continue;
      params = affineFromRange({
        min: Math.min(...rs.map((r) => r.min)),
        max: Math.max(...rs.map((r) => r.max)),
      });
    }
    for (const t of members) out.set(t, params);
  }
  return out;
}
