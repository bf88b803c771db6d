import type { Activation, BuiltinOptions } from '../tflite/index.js';

/**
 * The converter's float graph: TFLite ops over float32 tensors, in execution order. Importers build it
 * (from tfjs Layers or a float .tflite); the float writer and the int8 quantizer read it.
 */
export interface GraphTensor {
  name: string;
  /** Batch dimension first, 1 for a single sample. */
  shape: number[];
  /** Constant float data (weights, biases), or int32 data for shape/axis operands. */
  data?: Float32Array | Int32Array;
}

/** The ops the converter emits, by TFLite builtin name. */
export type GraphOpName =
  | 'FULLY_CONNECTED'
  | 'CONV_2D'
  | 'DEPTHWISE_CONV_2D'
  | 'AVERAGE_POOL_2D'
  | 'MAX_POOL_2D'
  | 'RESHAPE'
  | 'SOFTMAX'
  | 'LOGISTIC'
  | 'TANH'
  | 'RELU'
  | 'RELU6'
  | 'LEAKY_RELU'
  | 'ADD'
  | 'SUB'
  | 'MUL'
  | 'CONCATENATION'
  | 'PAD'
  | 'MEAN'
  | 'SQUEEZE'
  | 'HARD_SWISH';

export interface GraphOp {
  op: GraphOpName;
  /** Tensor indices; −1 for an optional input left out. */
  inputs: number[];
  outputs: number[];
  options: BuiltinOptions | null;
}

export interface Graph {
  tensors: GraphTensor[];
  ops: GraphOp[];
  inputs: number[];
  outputs: number[];
}

/** A small builder so importers read like the network they describe. */
export class GraphBuilder {
  readonly graph: Graph = { tensors: [], ops: [], inputs: [], outputs: [] };

  tensor(name: string, shape: number[], data?: Float32Array | Int32Array): number {
    this.graph.tensors.push(data ? { name, shape, data } : { name, shape });
    return this.graph.tensors.length - 1;
  }

  op(
    op: GraphOpName,
    inputs: number[],
    output: { name: string; shape: number[] },
    options: BuiltinOptions | null,
  ): number {
    const out = this.tensor(output.name, output.shape);
    this.graph.ops.push({ op, inputs, outputs: [out], options });
    return out;
  }

  shapeOf(t: number): number[] {
    return this.graph.tensors[t]!.shape;
  }
}

export const FUSED: Partial<Record<string, Activation>> = { relu: 'RELU', relu6: 'RELU6' };

/** Product of dimensions. */
export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Output size of a convolution or pooling window along one axis, as TFLite computes it. */
export function windowOut(
  input: number,
  filter: number,
  stride: number,
  dilation: number,
  padding: 'SAME' | 'VALID',
): number {
  const effective = (filter - 1) * dilation + 1;
  return padding === 'SAME' ? Math.ceil(input / stride) : Math.ceil((input - effective + 1) / stride);
}
