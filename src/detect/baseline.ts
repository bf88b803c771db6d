import { createHash } from 'node:crypto';
import type { WindowScorer } from './scorer.js';

export interface BaselineOptions {
  /** Windows whose statistics are learned before the baseline may raise its score. */
  warmupWindows: number;
  /** Half-life of the rolling mean and variance, in windows. */
  halfLifeWindows: number;
  /** Score (largest |z| over the features) above which a window is anomalous. */
  zThreshold: number;
  /** Floor on each feature's standard deviation, relative to its |mean|, so constant features don't explode. */
  minRelativeSigma: number;
  /** Learn only from windows scoring below this fraction of the threshold, so a slow drift is not absorbed. */
  learnBelow: number;
}

export const DEFAULT_BASELINE: BaselineOptions = {
  warmupWindows: 120,
  halfLifeWindows: 2000,
  zThreshold: 8,
  minRelativeSigma: 0.02,
  learnBelow: 0.5,
};

/**
 * Rolling z-score: an exponentially weighted mean and variance per feature, learned from the windows it
 * judged normal. Needs no model, so it guards a machine before one is trained, and is the yardstick a
 * model must beat. Scores 0 while warming up.
 */
export class BaselineScorer implements WindowScorer {
  readonly id = 'baseline';
  readonly kind = 'baseline' as const;
  readonly hash: string;
  readonly threshold: number;
  readonly options: BaselineOptions;
  private mean: Float64Array | null = null;
  private variance: Float64Array | null = null;
  private seen = 0;
  private readonly alpha: number;

  constructor(options: Partial<BaselineOptions> = {}) {
    this.options = { ...DEFAULT_BASELINE, ...options };
    this.threshold = this.options.zThreshold;
    this.alpha = 1 - 2 ** (-1 / this.options.halfLifeWindows);
    this.hash = createHash('sha256').update(JSON.stringify(this.options)).digest('hex').slice(0, 16);
  }

  /** True once the warm-up windows are learned. */
  get ready(): boolean {
    return this.seen >= this.options.warmupWindows;
  }

  scoreBatch(features: Float32Array[]): Float32Array {
    const out = new Float32Array(features.length);
    for (let w = 0; w < features.length; w++) out[w] = this.scoreOne(features[w]!);
    return out;
  }

  private scoreOne(f: Float32Array): number {
    if (!this.mean || !this.variance) {
      this.mean = Float64Array.from(f);
      this.variance = new Float64Array(f.length);
      this.seen = 1;
      return 0;
    }
    const mean = this.mean;
    const variance = this.variance;
    let score = 0;
    if (this.ready) {
      for (let i = 0; i < f.length; i++) {
        const sigma = Math.max(
          Math.sqrt(variance[i]!),
          this.options.minRelativeSigma * Math.abs(mean[i]!),
          1e-9,
        );
        const z = Math.abs(f[i]! - mean[i]!) / sigma;
        if (z > score) score = z;
      }
    }
    // Learn only from windows that look normal, so a fault does not become the new normal.
    if (score <= this.options.learnBelow * this.threshold) {
      // Plain averages while warming up, then exponential forgetting.
      const a = this.seen < this.options.warmupWindows ? 1 / (this.seen + 1) : this.alpha;
      for (let i = 0; i < f.length; i++) {
        const d = f[i]! - mean[i]!;
        mean[i] = mean[i]! + a * d;
        variance[i] = (1 - a) * (variance[i]! + a * d * d);
      }
      this.seen++;
    }
    return score;
  }
}
