// Board sessions (johnny-five over firmata-io), sensor specs, channels, windows and features.
export {
  type ChannelInfo,
  ChannelMeta,
  channelMeta,
  channelsOf,
  channelsOfAll,
  MPU6050,
  voltsPerCount,
  voltsToCounts,
} from './channels.js';
export {
  FEATURE_KINDS,
  FeatureExtractor,
  type FeatureKind,
  FeaturePipeline,
  type FeaturePipelineInput,
  featureCount,
  featureNames,
  parsePipeline,
  TIME_DOMAIN_FEATURES,
} from './features.js';
export {
  metaFileFor,
  pickColumns,
  type Recording,
  RecordingMeta,
  readRecording,
  readRecordingMeta,
  writeRecordingMeta,
} from './recording.js';
export {
  BoardSession,
  type BoardState,
  gatewayNow,
  type SessionOptions,
  type StateChange,
  type TransportFactory,
} from './session.js';
export {
  AdcSpec,
  BoardSensingConfig,
  type BoardSensingConfigInput,
  SensorSpec,
  type SensorSpecInput,
} from './specs.js';
export { type SampleWindow, StreamWindower } from './windower.js';
