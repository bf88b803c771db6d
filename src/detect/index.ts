// Training, thresholds, scorers and the streaming detector. Only light modules: the tfjs Layers parts
// (autoencoder.ts, float-scorer.ts, train.ts) are imported from their files where needed.
export type { Alert } from './alert.js';
export { type BaselineOptions, BaselineScorer, DEFAULT_BASELINE } from './baseline.js';
export { isRecordingFor, modelInputsFromRecording } from './calibration.js';
export { inferChecks, type WindowSet, windowRecording } from './dataset.js';
export {
  DEFAULT_DEBOUNCE,
  DEFAULT_HYSTERESIS,
  DEFAULT_SENSOR_DEBOUNCE,
  type DebounceOptions,
  type Decision,
  type DetectorOptions,
  StreamDetector,
} from './detector.js';
export {
  type EvalOptions,
  type EvalReport,
  Evaluator,
  evaluate,
  type FaultEpisode,
  type ScorerReport,
} from './evaluate.js';
export { Int8AutoencoderScorer, int8Description } from './int8-scorer.js';
export { type LiveDecision, LiveDetection, type LiveDetectionOptions } from './live.js';
export { confusionAt, rocAuc } from './metrics.js';
export { type LoadedModel, loadModelDir, loadSidecar, MODEL_FILES, ModelSidecar } from './model-dir.js';
export { notImplementedScorer, SCORER_KINDS, type ScorerKind, type WindowScorer } from './scorer.js';
export { openScorer } from './select.js';
export {
  ChannelCheck,
  checkWindow,
  DEFAULT_SENSOR_CHECK,
  type SensorFault,
  type SensorVerdict,
} from './sensor-check.js';
export {
  computeThreshold,
  formatThresholdRule,
  parseThresholdRule,
  percentile,
  type Threshold,
  type ThresholdRule,
} from './threshold.js';
