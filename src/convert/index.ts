export type { AccuracyReport } from './accuracy.js';
export { CALIBRATION_STRATEGIES, type CalibrationStrategy, type Range } from './calibrate.js';
export {
  type ConvertOptions,
  type ConvertReport,
  type ConvertResult,
  convertModel,
  OFFLINE_PLAN_METADATA,
} from './convert.js';
export type { Graph, GraphOp, GraphTensor } from './graph.js';
export { importTfjsLayers } from './import-tfjs.js';
export { importFloatTflite } from './import-tflite.js';
export { affineFromRange, INT8_VERSION, MIN_RUNTIME_VERSION, quantizeGraph } from './quantize.js';
export { floatTflite } from './write-float.js';
