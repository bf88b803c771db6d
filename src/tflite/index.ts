export {
  BRIDGE_OPS,
  BRIDGE_TENSOR_TYPES,
  type BridgeLimits,
  type BridgeNeeds,
  bridgeNeeds,
  bridgeProblems,
  nameRuntimeCodes,
} from './bridge-runtime.js';
export {
  type BoardFit,
  fitOnBoard,
  inspectModel,
  type ModelNeeds,
  type ModelReport,
  minRuntimeVersion,
  type OpSummary,
  type TensorSummary,
} from './inspect.js';
export { dequantize, type IoTensor, quantize, type TensorData, TfliteInterpreter } from './interpreter.js';
export { builtinOpCode, builtinOpName, CUSTOM_OP, opCodeName, operatorName } from './ops.js';
export {
  ARENA_ALIGNMENT,
  type ArenaPlan,
  estimateTflmArena,
  type PlannedBuffer,
  planArena,
  TFLM_32BIT,
  type TflmEstimate,
} from './plan.js';
export { readTflite } from './read.js';
export {
  elementBytes,
  elementCount,
  TENSOR_TYPE_NAMES,
  tensorBytes,
  tensorTypeName,
  tensorTypeValue,
} from './tensor-type.js';
export type * from './types.js';
export { validateModel } from './validate.js';
export { verifyTfliteBuffer } from './verify.js';
export { writeTflite } from './write.js';
