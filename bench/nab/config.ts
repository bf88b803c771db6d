// The one configuration the NAB bench runs on every file (no per-file tuning): the product's defaults.
import { SLOW_SIGNAL_DEFAULTS } from '../../src/detect/online/index.js';
import type { NabDetectorConfig } from './run-detector.js';

const DAY = 86_400;

export const NAB_CONFIG: NabDetectorConfig = SLOW_SIGNAL_DEFAULTS;

/** The same detector with its threshold given as a false-alarm rate per day of normal data. */
export const NAB_PER_DAY_CONFIG: NabDetectorConfig = { ...NAB_CONFIG, threshold: { perDay: 1 } };

/** The autoencoder beside the rolling z-scores, trained at the end of probation and every 30 days. */
export const withAutoencoder = (arithmetic: 'float' | 'int8'): NabDetectorConfig => ({
  ...NAB_CONFIG,
  autoencoder: {
    arithmetic,
    hidden: [8, 3],
    epochs: 40,
    memoryWindows: 4000,
    retrainEveryS: 30 * DAY,
    seed: 1,
  },
});
