/**
 * The plain, typed TFLite model tinygate works with: what `readTflite` returns and `writeTflite` takes.
 * Field meanings follow TFLite's schema (see schema/tflite-subset.fbs); indices are TFLite's too.
 */

/** TFLite tensor element types, by TensorType enum value. */
export type TensorTypeName =
  | 'float32'
  | 'float16'
  | 'int32'
  | 'uint8'
  | 'int64'
  | 'string'
  | 'bool'
  | 'int16'
  | 'complex64'
  | 'int8'
  | 'float64'
  | 'complex128'
  | 'uint64'
  | 'resource'
  | 'variant'
  | 'uint32'
  | 'uint16'
  | 'int4';

/** real = scale × (q − zeroPoint); one entry per tensor, or one per slice along `quantizedDimension`. */
export interface Quantization {
  scale: number[];
  /** int64 in the file; always small integers in practice, so plain numbers here. */
  zeroPoint: number[];
  quantizedDimension: number;
  /** The converter's recorded float range, kept for round trips (often empty). */
  min: number[] | null;
  max: number[] | null;
  /** CustomQuantization bytes, when the file carries them (kept byte for byte). */
  custom: Uint8Array | null;
}

export interface TfliteTensor {
  name: string;
  shape: number[];
  /** Shape with −1 for unknown dimensions, when the file records one. */
  shapeSignature: number[] | null;
  type: TensorTypeName;
  /** Index into `model.buffers`; 0 (the empty sentinel) for activations. */
  buffer: number;
  quantization: Quantization | null;
  isVariable: boolean;
  hasRank: boolean;
  /**
   * A view of `model.buffers[buffer].data` as read (null when empty). `writeTflite` writes the buffer,
   * and refuses a tensor whose `data` differs from its buffer (change the buffer instead).
   */
  data?: Uint8Array | null;
  /** Schema fields present in the file that tinygate does not model (e.g. "sparsity"); writing refuses them. */
  unmodeled?: string[];
}

export type Activation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT';
export type Padding = 'SAME' | 'VALID';

/** Decoded builtin options, one variant per option table tinygate models (TFLite's table names). */
export type BuiltinOptions =
  | {
      type: 'Conv2DOptions';
      padding: Padding;
      strideW: number;
      strideH: number;
      fusedActivation: Activation;
      dilationW: number;
      dilationH: number;
      quantizedBiasType: TensorTypeName;
    }
  | {
      type: 'DepthwiseConv2DOptions';
      padding: Padding;
      strideW: number;
      strideH: number;
      depthMultiplier: number;
      fusedActivation: Activation;
      dilationW: number;
      dilationH: number;
    }
  | {
      type: 'Pool2DOptions';
      padding: Padding;
      strideW: number;
      strideH: number;
      filterWidth: number;
      filterHeight: number;
      fusedActivation: Activation;
    }
  | {
      type: 'FullyConnectedOptions';
      fusedActivation: Activation;
      /** 0 = DEFAULT, 1 = SHUFFLED4x16INT8. */
      weightsFormat: number;
      keepNumDims: boolean;
      asymmetricQuantizeInputs: boolean;
      quantizedBiasType: TensorTypeName;
    }
  | { type: 'SoftmaxOptions'; beta: number }
  | { type: 'ConcatenationOptions'; axis: number; fusedActivation: Activation }
  | { type: 'AddOptions'; fusedActivation: Activation; potScaleInt16: boolean }
  | { type: 'SubOptions'; fusedActivation: Activation; potScaleInt16: boolean }
  | { type: 'MulOptions'; fusedActivation: Activation }
  | { type: 'ReshapeOptions'; newShape: number[] | null }
  | { type: 'PadOptions' }
  | { type: 'ReducerOptions'; keepDims: boolean }
  | { type: 'SqueezeOptions'; squeezeDims: number[] | null }
  | { type: 'DequantizeOptions' }
  | { type: 'QuantizeOptions' }
  | { type: 'LeakyReluOptions'; alpha: number }
  | { type: 'HardSwishOptions' }
  /** An option table tinygate does not model: read keeps its union id, write refuses it. */
  | { type: 'unknown'; typeId: number };

export type BuiltinOptionsType = BuiltinOptions['type'];

export interface TfliteOperator {
  /** Index into `model.operatorCodes`. */
  opcodeIndex: number;
  /** Tensor indices; −1 = an optional input left out. */
  inputs: number[];
  outputs: number[];
  intermediates: number[];
  options: BuiltinOptions | null;
  /** Custom ops' options (FlexBuffers), kept byte for byte. */
  customOptions: Uint8Array | null;
  customOptionsFormat: number;
  mutatingVariableInputs: boolean[];
  unmodeled?: string[];
}

export interface OperatorCode {
  /** The builtin op: max(deprecated_builtin_code, builtin_code) in the file. 32 = CUSTOM. */
  builtinCode: number;
  /** The legacy byte field as stored; written as min(builtinCode, 127) when omitted. */
  deprecatedBuiltinCode?: number;
  customCode: string | null;
  version: number;
}

export interface Subgraph {
  name: string | null;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  /** In execution order. */
  operators: TfliteOperator[];
}

export interface ModelBuffer {
  /** null when the buffer has no data field (buffer 0, activations). */
  data: Uint8Array | null;
}

export interface ModelMetadata {
  name: string;
  buffer: number;
}

export interface TensorMap {
  name: string;
  tensorIndex: number;
}

export interface SignatureDef {
  signatureKey: string | null;
  subgraphIndex: number;
  inputs: TensorMap[];
  outputs: TensorMap[];
}

export interface TfliteModel {
  /** Schema version (3 for every current model). */
  version: number;
  description: string | null;
  operatorCodes: OperatorCode[];
  /** Subgraph 0 is the main graph. */
  subgraphs: Subgraph[];
  /** buffers[0] is the empty sentinel. */
  buffers: ModelBuffer[];
  metadataBuffer: number[];
  metadata: ModelMetadata[];
  signatureDefs: SignatureDef[];
  /** Fields the file sets that tinygate's schema subset lacks (a newer TFLite schema); writing refuses them. */
  unmodeled?: string[];
}
