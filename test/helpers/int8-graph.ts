// A small builder for hand-made int8 TFLite graphs, for kernels the converter does not emit from tfjs
// (SUB, MUL, PAD, SQUEEZE...). The official interpreter judges what it builds like any other model.
import type { BuiltinOptions, TfliteModel, TfliteTensor } from '../../src/tflite/index.js';
import { writeTflite } from '../../src/tflite/index.js';
import { BuiltinOperator } from '../../src/tflite/ops.js';

/** FULLY_CONNECTED's builtin options (op 9, version 4) with this fused activation. */
export function fullyConnectedOptions(fusedActivation: 'NONE' | 'RELU' | 'RELU6' = 'NONE'): BuiltinOptions {
  return {
    type: 'FullyConnectedOptions',
    fusedActivation,
    weightsFormat: 0,
    keepNumDims: false,
    asymmetricQuantizeInputs: false,
    quantizedBiasType: 'float32',
  } as never;
}

export class Int8Graph {
  private readonly model: TfliteModel = {
    version: 3,
    description: 'tinygate test graph',
    operatorCodes: [],
    subgraphs: [{ name: 'main', tensors: [], inputs: [], outputs: [], operators: [] }],
    buffers: [{ data: null }],
    metadataBuffer: [],
    metadata: [],
    signatureDefs: [],
  } as unknown as TfliteModel;

  private get g() {
    return this.model.subgraphs[0]!;
  }

  /** An int8 activation (scale, zero point) or, with `data`, a constant of type int8 or int32. */
  tensor(shape: number[], scale: number, zp: number, data?: Int8Array | Int32Array): number {
    let buffer = 0;
    if (data) {
      this.model.buffers.push({
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      } as never);
      buffer = this.model.buffers.length - 1;
    }
    const t: TfliteTensor = {
      name: `t${this.g.tensors.length}`,
      shape,
      shapeSignature: null,
      type: data instanceof Int32Array ? 'int32' : 'int8',
      buffer,
      quantization:
        data instanceof Int32Array
          ? null
          : { scale: [scale], zeroPoint: [zp], quantizedDimension: 0, min: null, max: null, custom: null },
      isVariable: false,
      hasRank: true,
    };
    this.g.tensors.push(t);
    return this.g.tensors.length - 1;
  }

  /** An activation tensor of another type: int16 (with its scale and zero point) or float32 (none). */
  activation(shape: number[], type: 'int16' | 'float32', scale = 0, zp = 0): number {
    const t = this.tensor(shape, scale, zp);
    const tensor = this.g.tensors[t]!;
    tensor.type = type;
    if (type === 'float32') tensor.quantization = null;
    return t;
  }

  /** A constant of any type from its little-endian bytes, with per-tensor or per-channel quantization. */
  constant(
    shape: number[],
    type: 'int8' | 'int32' | 'int64',
    bytes: Uint8Array,
    scales: number[] | null,
    quantizedDimension = 0,
  ): number {
    const t = this.tensor(shape, 0, 0);
    this.model.buffers.push({ data: bytes } as never);
    const tensor = this.g.tensors[t]!;
    tensor.type = type;
    tensor.buffer = this.model.buffers.length - 1;
    tensor.quantization = scales
      ? {
          scale: scales,
          zeroPoint: scales.map(() => 0),
          quantizedDimension,
          min: null,
          max: null,
          custom: null,
        }
      : null;
    return t;
  }

  op(
    builtin: number,
    version: number,
    inputs: number[],
    output: number,
    options: BuiltinOptions | null,
  ): number {
    let code = this.model.operatorCodes.findIndex((c) => c.builtinCode === builtin);
    if (code < 0) {
      this.model.operatorCodes.push({
        builtinCode: builtin,
        deprecatedBuiltinCode: Math.min(builtin, 127),
        customCode: null,
        version,
      } as never);
      code = this.model.operatorCodes.length - 1;
    }
    this.g.operators.push({
      opcodeIndex: code,
      inputs,
      outputs: [output],
      intermediates: [],
      options,
      customOptions: null,
      customOptionsFormat: 0,
      mutatingVariableInputs: [],
    });
    return output;
  }

  build(input: number | number[], output: number | number[]): Uint8Array {
    this.g.inputs.push(...[input].flat());
    this.g.outputs.push(...[output].flat());
    return writeTflite(this.model);
  }
}

/** PAD → MUL (per-channel constant) → SUB → TANH → ADD (+ broadcast constant, RELU) → LOGISTIC ⊕ LOGISTIC → MEAN → SQUEEZE → SOFTMAX. */
export function allKernelsGraph(): Uint8Array {
  const g = new Int8Graph();
  const x = g.tensor([1, 4, 4, 3], 0.05, 3);
  const pads = g.tensor([4, 2], 0, 0, Int32Array.from([0, 0, 1, 0, 0, 2, 0, 0]));
  const padded = g.op(34, 2, [x, pads], g.tensor([1, 5, 6, 3], 0.05, 3), { type: 'PadOptions' });
  const gains = g.tensor([3], 0.02, 0, Int8Array.from([90, -60, 127]));
  const scaled = g.op(18, 2, [padded, gains], g.tensor([1, 5, 6, 3], 0.04, -5), {
    type: 'MulOptions',
    fusedActivation: 'NONE',
  });
  const diff = g.op(41, 2, [scaled, padded], g.tensor([1, 5, 6, 3], 0.07, 2), {
    type: 'SubOptions',
    fusedActivation: 'NONE',
    potScaleInt16: false,
  });
  const tanh = g.op(28, 2, [diff], g.tensor([1, 5, 6, 3], 1 / 128, 0), null);
  const offsets = g.tensor([1, 1, 6, 1], 0.01, -7, Int8Array.from([-100, -50, 0, 20, 60, 120]));
  const summed = g.op(0, 2, [tanh, offsets], g.tensor([1, 5, 6, 3], 0.012, -20), {
    type: 'AddOptions',
    fusedActivation: 'RELU',
    potScaleInt16: false,
  });
  const s1 = g.op(14, 2, [summed], g.tensor([1, 5, 6, 3], 1 / 256, -128), null);
  const s2 = g.op(14, 2, [scaled], g.tensor([1, 5, 6, 3], 1 / 256, -128), null);
  const joined = g.op(2, 2, [s1, s2], g.tensor([1, 5, 6, 6], 1 / 256, -128), {
    type: 'ConcatenationOptions',
    axis: -1,
    fusedActivation: 'NONE',
  });
  const axes = g.tensor([2], 0, 0, Int32Array.from([1, 2]));
  const mean = g.op(40, 2, [joined, axes], g.tensor([1, 1, 1, 6], 0.0025, -110), {
    type: 'ReducerOptions',
    keepDims: true,
  });
  const flat = g.op(43, 1, [mean], g.tensor([1, 6], 0.0025, -110), {
    type: 'SqueezeOptions',
    squeezeDims: [1, 2],
  });
  const out = g.op(25, 2, [flat], g.tensor([1, 6], 1 / 256, -128), { type: 'SoftmaxOptions', beta: 1 });
  return g.build(x, out);
}

/**
 * An op of TFLite's schema that a runtime with these kernels (op codes, as board info lists them) does not
 * have: the lowest such builtin code, never CUSTOM or the placeholder for codes above 127.
 */
export function opWithoutKernel(kernels: readonly number[]): { code: number; name: string } {
  const have = new Set(kernels);
  const codes = Object.values(BuiltinOperator)
    .filter((v): v is number => typeof v === 'number')
    .filter((c) => c !== BuiltinOperator.CUSTOM && c !== BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES)
    .sort((a, b) => a - b);
  const code = codes.find((c) => !have.has(c));
  if (code === undefined) throw new Error('the runtime has a kernel for every op of the schema');
  return { code, name: BuiltinOperator[code]! };
}

/** A model of one op `code` (no options) from an int8 [1, 8] to an int8 [1, 8]. */
export function oneOpModel(code: number): Uint8Array {
  const g = new Int8Graph();
  const x = g.tensor([1, 8], 0.1, 0);
  return g.build(x, g.op(code, 1, [x], g.tensor([1, 8], 0.1, 0), null));
}

/**
 * Three FULLY_CONNECTED layers of depth 29, 13 and 7 (with a non-zero input zero point), so the dot
 * product meets every length remainder a word-at-a-time loop has (8 + 8 + 8 + 4 + 1, 8 + 4 + 1, 4 + 3) and
 * rows that start at odd addresses (row u begins u·depth bytes into the weights). Output scales keep each
 * layer mostly unsaturated for inputs of ±80.
 */
export function dotLengthsGraph(): Uint8Array {
  let seed = 1234567;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const g = new Int8Graph();
  const dense = (x: number, depth: number, units: number, outScale: number, outZp: number) => {
    const w = g.tensor(
      [units, depth],
      0.01,
      0,
      Int8Array.from({ length: units * depth }, () => Math.round((next() - 0.5) * 254)),
    );
    const b = g.tensor(
      [units],
      0,
      0,
      Int32Array.from({ length: units }, () => Math.round((next() - 0.5) * 2000)),
    );
    return g.op(9, 4, [x, w, b], g.tensor([1, units], outScale, outZp), fullyConnectedOptions('NONE'));
  };
  const x = g.tensor([1, 29], 0.05, 5);
  const h1 = dense(x, 29, 13, 0.25, -9);
  const h2 = dense(h1, 13, 7, 0.6, 4);
  return g.build(x, dense(h2, 7, 6, 1.2, -2));
}

/**
 * DEPTHWISE_CONV_2D with what converted nets rarely have: dilation 2 down and 3 across, stride 2, SAME padding
 * whose taps reach past every edge, a depth multiplier of 2 and per-channel scales; then a VALID one dilated
 * 2 across that reads every output of the first. Weights from a fixed pattern.
 */
export function dilatedDepthwiseGraph(): Uint8Array {
  const g = new Int8Graph();
  const taps = (n: number) =>
    new Uint8Array(Int8Array.from({ length: n }, (_, i) => ((i * 37) % 255) - 127).buffer);
  const scales = (c: number) => Array.from({ length: c }, (_, i) => 0.004 + 0.001 * i);
  const bias = (c: number) =>
    g.tensor(
      [c],
      0,
      0,
      Int32Array.from({ length: c }, (_, i) => (i - 3) * 150),
    );
  const x = g.tensor([1, 7, 9, 4], 0.05, -3);
  const options = (padding: 'SAME' | 'VALID', stride: number, dh: number, dw: number, mul: number) =>
    ({
      type: 'DepthwiseConv2DOptions',
      padding,
      strideW: stride,
      strideH: stride,
      depthMultiplier: mul,
      fusedActivation: 'NONE',
      dilationW: dw,
      dilationH: dh,
    }) as never;
  const a = g.op(
    4,
    2,
    [x, g.constant([1, 3, 3, 8], 'int8', taps(72), scales(8), 3), bias(8)],
    g.tensor([1, 4, 5, 8], 0.15, -10),
    options('SAME', 2, 2, 3, 2),
  );
  const y = g.op(
    4,
    2,
    [a, g.constant([1, 2, 2, 8], 'int8', taps(32), scales(8), 3), bias(8)],
    g.tensor([1, 3, 3, 8], 0.12, 5),
    options('VALID', 1, 1, 2, 1),
  );
  return g.build(x, y);
}
