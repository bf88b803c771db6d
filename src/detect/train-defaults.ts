import type { FeatureKind } from '../sensing/features.js';
import type { ThresholdRule } from './threshold.js';

/** Training defaults (kept apart from train.ts so the CLI can show them without loading tfjs). */
export const TRAIN_DEFAULTS = {
  features: ['rms', 'peak', 'crest', 'kurtosis', 'bands'] as FeatureKind[],
  window: 1024,
  /** For data slower than 1 Hz (temperatures, loads, counts): level, trend and spread over 16 rows. */
  slowWindow: 16,
  slowHop: 4,
  slowFeatures: ['last', 'mean', 'logstd', 'slope'] as FeatureKind[],
  bands: 8,
  hidden: [16, 6],
  epochs: 200,
  patience: 15,
  batchSize: 64,
  learningRate: 0.003,
  validation: 0.2,
  threshold: { method: 'percentile', p: 99.5 } as ThresholdRule,
  seed: 1,
};
