// Runs tinygate's online detector over one NAB file as NAB runs a detector: row by row, learning during the
// probationary period, never looking ahead; the output is 1 at each row where an alarm was raised.

import {
  type AutoencoderResidualOptions,
  AutoencoderResiduals,
  detectSeasons,
  OnlineDetector,
  type OnlineDetectorOptions,
} from '../../src/detect/online/index.js';
import { parsePipeline } from '../../src/sensing/features.js';
import type { NabFile } from './corpus.js';
import { probationRows } from './scorer.js';

/** One configuration for every file: nothing here may depend on the file beyond its rate and probation. */
export interface NabDetectorConfig {
  window: number;
  features: Array<'last' | 'mean' | 'logstd' | 'slope' | 'rms'>;
  scales: number[];
  /** Candidate seasonal periods (s), kept when the probation data shows them. */
  seasonCandidatesS: number[];
  halfLifeS: number;
  calibrationS: number;
  calibrationWindows: number;
  threshold: OnlineDetectorOptions['threshold'];
  holdS: number;
  /** Quiet time after which a raised alarm clears (a new one still waits for holdS). */
  clearS: number;
  escalateDecades: number;
  /** The autoencoder as the model of normal beside the rolling z-scores (absent: z-scores alone). */
  autoencoder?: Partial<AutoencoderResidualOptions>;
}

export interface NabRun {
  alerts: Float64Array;
  surprise: Float64Array;
  seasonsS: number[];
}

export function medianIntervalS(timestampsMs: ArrayLike<number>): number {
  const d: number[] = [];
  for (let i = 1; i < timestampsMs.length; i++) d.push((timestampsMs[i]! - timestampsMs[i - 1]!) / 1000);
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)] ?? 1;
}

export async function runOnFile(file: NabFile, config: NabDetectorConfig): Promise<NabRun> {
  const n = file.values.length;
  const intervalS = medianIntervalS(file.timestampsMs);
  const probation = probationRows(n);
  const seasonsS = detectSeasons(file.values.subarray(0, probation), intervalS, config.seasonCandidatesS);
  const pipeline = parsePipeline({
    sampleRateHz: 1 / intervalS,
    window: { size: config.window, hop: 1 },
    channels: [{ name: 'value', features: config.features }],
  });
  const learningWindows = Math.max(1, probation - config.window + 1);
  const features = config.features.length + config.scales.length + seasonsS.length;
  const model = config.autoencoder
    ? new AutoencoderResiduals(features, config.halfLifeS, learningWindows, config.autoencoder)
    : undefined;
  const detector = new OnlineDetector({
    pipeline,
    context: { scales: config.scales, seasonsS },
    learning: { windows: learningWindows },
    ...(model ? { model } : {}),
    halfLifeS: config.halfLifeS,
    calibrationS: config.calibrationS,
    calibrationWindows: config.calibrationWindows,
    threshold: config.threshold,
    alarm: {
      count: 1,
      withinS: 0,
      holdS: config.holdS,
      clearS: config.clearS,
      escalateDecades: config.escalateDecades,
    },
  });
  const alerts = new Float64Array(n);
  const surprise = new Float64Array(n);
  const v = [0];
  for (let i = 0; i < n; i++) {
    v[0] = file.values[i]!;
    if (detector.maintenanceDue) await detector.maintain();
    const d = detector.push(file.timestampsMs[i]! / 1000, v);
    if (!d) continue;
    surprise[i] = d.surprise;
    if (d.alarm === 'raised') alerts[i] = 1;
  }
  model?.dispose();
  return { alerts, surprise, seasonsS };
}
