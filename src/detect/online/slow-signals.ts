// The online detector set up for slow plant signals (temperatures, loads, latencies, counts: seconds to hours
// between rows), with the defaults `tinygate detect` uses and `npm run bench -- nab` measures.
import { parsePipeline } from '../../sensing/features.js';
import { type AutoencoderResidualOptions, AutoencoderResiduals } from './autoencoder-residuals.js';
import { detectSeasons } from './context.js';
import { type OnlineDecision, OnlineDetector, type RateThreshold } from './detector.js';

const DAY = 86_400;

export interface SlowSignalOptions {
  /** Rows per window. */
  window: number;
  features: Array<'last' | 'mean' | 'logstd' | 'slope' | 'rms'>;
  /** Change of the window's mean against the k windows before it. */
  scales: number[];
  /** Seasonal periods (s) kept when the learning rows show them. */
  seasonCandidatesS: number[];
  halfLifeS: number;
  calibrationS: number;
  calibrationWindows: number;
  threshold: RateThreshold;
  holdS: number;
  clearS: number;
  escalateDecades: number;
  /** The autoencoder beside the rolling z-scores (absent: z-scores alone). */
  autoencoder?: Partial<AutoencoderResidualOptions>;
}

export const SLOW_SIGNAL_DEFAULTS: SlowSignalOptions = {
  window: 16,
  features: ['last', 'mean', 'logstd', 'slope'],
  scales: [4, 16],
  seasonCandidatesS: [DAY, 7 * DAY],
  halfLifeS: 60 * DAY,
  calibrationS: 14 * DAY,
  calibrationWindows: 3000,
  threshold: { perWindow: 0.006 },
  holdS: DAY,
  clearS: 3600,
  escalateDecades: 1,
};

export interface SeriesRun {
  /** One decision per row (null while the first window fills). */
  decisions: Array<OnlineDecision | null>;
  /** Seasonal periods found in the learning rows. */
  seasonsS: number[];
  intervalS: number;
  learningRows: number;
  /** −log10 of the per-window p-value threshold: the line to plot surprise against. */
  thresholdSurprise: number;
  featureNames: string[];
}

export function medianIntervalS(tS: ArrayLike<number>): number {
  const d: number[] = [];
  for (let i = 1; i < tS.length; i++) if (tS[i]! > tS[i - 1]!) d.push(tS[i]! - tS[i - 1]!);
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)] ?? 1;
}

/**
 * Runs the detector row by row over a series (times in seconds, one array per channel), learning on the first
 * `learningRows`; never looks ahead. Awaits the autoencoder's training where the detector asks for it.
 */
export async function runOverSeries(
  tS: ArrayLike<number>,
  channels: { name: string; values: ArrayLike<number> }[],
  learningRows: number,
  o: SlowSignalOptions = SLOW_SIGNAL_DEFAULTS,
  onProgress?: (done: number, total: number) => void,
): Promise<SeriesRun> {
  const n = tS.length;
  const intervalS = medianIntervalS(tS);
  const learnValues = Float64Array.from(channels[0]!.values).subarray(0, learningRows);
  const seasonsS = detectSeasons(learnValues, intervalS, o.seasonCandidatesS);
  const learningWindows = Math.max(1, learningRows - o.window + 1);
  const featureCount = channels.length * (o.features.length + o.scales.length + seasonsS.length);
  const model = o.autoencoder
    ? new AutoencoderResiduals(featureCount, o.halfLifeS, learningWindows, o.autoencoder)
    : undefined;
  const detector = new OnlineDetector({
    pipeline: parsePipeline({
      sampleRateHz: 1 / intervalS,
      window: { size: o.window, hop: 1 },
      channels: channels.map((c) => ({ name: c.name, features: o.features })),
    }),
    context: { scales: o.scales, seasonsS },
    learning: { windows: learningWindows },
    halfLifeS: o.halfLifeS,
    calibrationS: o.calibrationS,
    calibrationWindows: o.calibrationWindows,
    threshold: o.threshold,
    alarm: { count: 1, withinS: 0, holdS: o.holdS, clearS: o.clearS, escalateDecades: o.escalateDecades },
    ...(model ? { model } : {}),
  });
  const decisions: Array<OnlineDecision | null> = new Array(n);
  const row = new Float64Array(channels.length);
  try {
    for (let i = 0; i < n; i++) {
      if (detector.maintenanceDue) await detector.maintain();
      for (let c = 0; c < channels.length; c++) row[c] = channels[c]!.values[i]!;
      decisions[i] = detector.push(tS[i]!, row);
      if (onProgress && i % 2000 === 0) onProgress(i, n);
    }
  } finally {
    model?.dispose();
  }
  onProgress?.(n, n);
  return {
    decisions,
    seasonsS,
    intervalS,
    learningRows,
    thresholdSurprise: -Math.log10(detector.pThreshold),
    featureNames: detector.names,
  };
}
