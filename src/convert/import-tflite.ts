import { TinygateError } from '../errors/index.js';
import { operatorName, readTflite, type TfliteModel } from '../tflite/index.js';
import type { Graph, GraphOpName, GraphTensor } from './graph.js';

const SUPPORTED = new Set<GraphOpName>([
  'FULLY_CONNECTED',
  'CONV_2D',
  'DEPTHWISE_CONV_2D',
  'AVERAGE_POOL_2D',
  'MAX_POOL_2D',
  'RESHAPE',
  'SOFTMAX',
  'LOGISTIC',
  'TANH',
  'RELU',
  'RELU6',
  'LEAKY_RELU',
  'ADD',
  'SUB',
  'MUL',
  'CONCATENATION',
  'PAD',
  'MEAN',
  'SQUEEZE',
  'HARD_SWISH',
]);

/**
 * A float .tflite as the converter's graph. Weights stored as int8 with a scale (dynamic-range "hybrid"
 * models) or float16 are turned back into float32; DEQUANTIZE ops on constants are folded away.
 */
export function importFloatTflite(bytes: Uint8Array, file: string): Graph {
  const model = readTflite(bytes);
  if (model.subgraphs.length !== 1) {
    throw unsupported(
      file,
      `${model.subgraphs.length} subgraphs`,
      'Give a model with one subgraph (no control flow).',
    );
  }
  const g = model.subgraphs[0]!;
  const input = g.tensors[g.inputs[0]!];
  if (g.inputs.length !== 1 || input?.type !== 'float32') {
    throw unsupported(
      file,
      'the model must have one float32 input',
      'Already-quantized models need no conversion: `tinygate inspect` them.',
    );
  }
  const tensors: GraphTensor[] = g.tensors.map((t, i) => {
    const shape = t.shape.length ? [...t.shape] : [1];
    const data = constantData(model, i);
    return data ? { name: t.name, shape, data } : { name: t.name, shape };
  });
  // Fold DEQUANTIZE of a constant (float16 and hybrid weights): its output becomes that constant.
  const ops: Graph['ops'] = [];
  g.operators.forEach((op, i) => {
    const name = operatorName(model, op);
    if (name === 'DEQUANTIZE' && tensors[op.inputs[0]!]!.data) {
      tensors[op.outputs[0]!]!.data = tensors[op.inputs[0]!]!.data;
      return;
    }
    if (!SUPPORTED.has(name as GraphOpName)) {
      throw unsupported(file, `operator ${i} is ${name}`, `Supported ops: ${[...SUPPORTED].join(', ')}.`);
    }
    ops.push({
      op: name as GraphOpName,
      inputs: [...op.inputs],
      outputs: [...op.outputs],
      options: op.options,
    });
  });
  return { tensors, ops, inputs: [...g.inputs], outputs: [...g.outputs] };
}

function constantData(model: TfliteModel, index: number): Float32Array | Int32Array | undefined {
  const t = model.subgraphs[0]!.tensors[index]!;
  const raw = model.buffers[t.buffer]?.data;
  if (!raw?.length) return undefined;
  const copy = raw.slice();
  switch (t.type) {
    case 'float32':
      return new Float32Array(copy.buffer);
    case 'int32':
      return new Int32Array(copy.buffer);
    case 'float16':
      return Float32Array.from(new Uint16Array(copy.buffer), halfToFloat);
    case 'int8': {
      // A hybrid model's weights: real = scale × q (per tensor or per channel along quantized_dimension).
      const q = new Int8Array(copy.buffer);
      const scales = t.quantization?.scale ?? [1];
      const zps = t.quantization?.zeroPoint ?? [0];
      const axis = t.quantization?.quantizedDimension ?? 0;
      const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const ch = (i: number) => (scales.length === 1 ? 0 : Math.floor(i / inner) % scales.length);
      return Float32Array.from(q, (v, i) => scales[ch(i)]! * (v - (zps[ch(i)] ?? 0)));
    }
    default:
      throw new TinygateError(
        'CONVERT_UNSUPPORTED',
        `constant tensor ${JSON.stringify(t.name)} is ${t.type}`,
        {
          hint: 'Give a float32 model (float16 and int8 hybrid weights are accepted too).',
        },
      );
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function unsupported(file: string, what: string, hint: string): TinygateError {
  return new TinygateError('CONVERT_UNSUPPORTED', `${file}: ${what}`, { hint });
}
