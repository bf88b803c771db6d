// The TFLite capability: read/validate/write .tflite flatbuffers as plain typed models.

export { readTfliteFile } from './file.js';
export { type InferOptions, inferRows } from './infer.js';
export { readInputFile } from './input-file.js';
export {
  type BoardFit,
  boardFit,
  inspectModel,
  type ModelReport,
  metadataString,
  type OpSummary,
  type TensorSummary,
} from './inspect.js';
export { emptyInput, type Inputs, Interpreter, type IoTensor, type TensorArray } from './interpreter.js';
export { operatorMacs } from './macs.js';
export { BuiltinOperator, builtinOpCode, builtinOpName, CUSTOM_OP, opCodeName, operatorName } from './ops.js';
export {
  ARENA_ALIGNMENT,
  type ArenaPlan,
  greedyArenaPlan,
  offlineMemoryAllocation,
  type PlannedBuffer,
} from './plan.js';
export {
  dequantize,
  type QuantizedArray,
  type QuantizedType,
  type QuantParams,
  quantize,
} from './quantize.js';
export { readTflite } from './read.js';
export { loadTfliteRuntime } from './runtime.js';
export { elementBytes, elementCount, TENSOR_TYPE_NAMES, tensorBytes } from './tensor-type.js';
export { estimateTflmArena, TFLM_32BIT, type TflmEstimate } from './tflm-estimate.js';
export type * from './types.js';
export { validateModel } from './validate.js';
export { TFLITE_IDENTIFIER, verifyTfliteBuffer } from './verify.js';
export { writeTflite } from './write.js';
