// What the online detector calls "normal": a per-feature exponentially weighted mean and variance in stream
// time, so a residual is how many standard deviations each feature sits from its recent normal.

export interface ResidualModel {
  readonly kind: string;
  /** Names of residuals this model adds after the features' own (e.g. an autoencoder's error). */
  readonly extraNames: string[];
  /** |z| of each feature against the model, written into out. */
  residuals(features: Float32Array, out: Float64Array): void;
  /** Learns from one window that arrived dtS seconds after the previous one. */
  learn(features: Float32Array, dtS: number): void;
  /** Models trained in the background (an autoencoder) say when they want training... */
  readonly trainingDue?: boolean;
  train?(): Promise<void>;
  /** ...and after it, the new history of their extra residuals (held-back windows' errors). */
  recalibration?: number[] | null;
}

/** Rolling z-scores with a half-life in seconds (plain averages until `warmup` windows are learned). */
export class EwmaResiduals implements ResidualModel {
  readonly kind = 'baseline';
  readonly extraNames: string[] = [];
  private mean: Float64Array | null = null;
  private variance: Float64Array | null = null;
  private seen = 0;

  constructor(
    private readonly halfLifeS: number,
    private readonly warmup: number,
  ) {}

  /**
   * The features as signed z-scores, clipped to ±limit (0 before anything is learned): a model's input must
   * not see the huge z of a feature that has not varied yet.
   */
  standardize(f: Float32Array, out: Float32Array, limit = 20): void {
    const m = this.mean;
    const v = this.variance;
    for (let i = 0; i < f.length; i++) {
      const z = m && v ? (f[i]! - m[i]!) / (Math.sqrt(v[i]!) + 1e-9 + 1e-6 * Math.abs(m[i]!)) : 0;
      out[i] = Math.max(-limit, Math.min(limit, z));
    }
  }

  residuals(f: Float32Array, out: Float64Array): void {
    const m = this.mean;
    const v = this.variance;
    for (let i = 0; i < f.length; i++) {
      if (!m || !v) {
        out[i] = 0;
        continue;
      }
      const sigma = Math.sqrt(v[i]!) + 1e-9 + 1e-6 * Math.abs(m[i]!);
      out[i] = Math.abs(f[i]! - m[i]!) / sigma;
    }
  }

  learn(f: Float32Array, dtS: number): void {
    if (!this.mean || !this.variance) {
      this.mean = Float64Array.from(f);
      this.variance = new Float64Array(f.length);
      this.seen = 1;
      return;
    }
    const a = this.seen < this.warmup ? 1 / (this.seen + 1) : 1 - 2 ** (-Math.max(dtS, 0) / this.halfLifeS);
    for (let i = 0; i < f.length; i++) {
      const d = f[i]! - this.mean[i]!;
      this.mean[i] = this.mean[i]! + a * d;
      this.variance[i] = (1 - a) * (this.variance[i]! + a * d * d);
    }
    this.seen++;
  }
}
