// Context longer than one window, for slow signals: how far the current window's level has moved from the
// k windows before it (multi-scale change), and how far it sits from what is usual at this time of day or week
// (a seasonal profile learned per phase bin), so a daily cycle is not an anomaly and a missing one is.

export interface ContextOptions {
  /** Change against the mean of the previous k windows, one feature per k. */
  scales: number[];
  /** Seasonal periods in seconds (e.g. 86400, 604800), one residual feature each. */
  seasonsS: number[];
  /** Weight of each new sample in its phase bin's mean. */
  seasonAlpha: number;
  /** At most this many phase bins per period. */
  maxBins: number;
}

export const DEFAULT_CONTEXT: ContextOptions = {
  scales: [4, 16],
  seasonsS: [],
  seasonAlpha: 0.1,
  maxBins: 168,
};

export function contextFeatureNames(channel: string, o: ContextOptions): string[] {
  return [
    ...o.scales.map((k) => `${channel}:change${k}w`),
    ...o.seasonsS.map((p) => `${channel}:season${formatPeriod(p)}`),
  ];
}

export function formatPeriod(s: number): string {
  if (s % 604_800 === 0) return `${s / 604_800}wk`;
  if (s % 86_400 === 0) return `${s / 86_400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  return `${s}s`;
}

/** Per-channel context state over a stream of samples. */
export class ContextFeatures {
  readonly options: ContextOptions;
  readonly size: number;
  private readonly window: number;
  private readonly history: Float64Array;
  private count = 0;
  private readonly profiles: Array<{ bins: Float64Array; seen: Uint8Array; binS: number }>;
  private readonly residuals: Float64Array[];

  constructor(window: number, sampleIntervalS: number, options: Partial<ContextOptions> = {}) {
    this.options = { ...DEFAULT_CONTEXT, ...options };
    this.window = window;
    const maxK = Math.max(0, ...this.options.scales);
    this.history = new Float64Array(window * (maxK + 1));
    this.profiles = this.options.seasonsS.map((p) => {
      const n = Math.max(1, Math.min(this.options.maxBins, Math.round(p / Math.max(sampleIntervalS, 1e-9))));
      return { bins: new Float64Array(n), seen: new Uint8Array(n), binS: p / n };
    });
    this.residuals = this.options.seasonsS.map(() => new Float64Array(window));
    this.size = this.options.scales.length + this.options.seasonsS.length;
  }

  /** Adds one sample; writes this channel's context features (for the window ending here) into out at k. */
  push(value: number, tS: number, out: Float32Array, k: number): number {
    const h = this.history;
    h[this.count % h.length] = value;
    const slot = this.count % this.window;
    this.count++;
    const w = this.window;
    const mean = (from: number, len: number) => {
      // mean of `len` samples ending `from` samples before the newest
      let s = 0;
      let n = 0;
      for (let i = from; i < from + len && i < this.count; i++) {
        s += h[(this.count - 1 - i) % h.length]!;
        n++;
      }
      return n ? s / n : Number.NaN;
    };
    const current = mean(0, w);
    for (const scale of this.options.scales) {
      const before = mean(w, w * scale);
      out[k++] = Number.isNaN(before) ? 0 : current - before;
    }
    this.profiles.forEach((p, j) => {
      const bin = Math.floor(tS / p.binS) % p.bins.length;
      const r = this.residuals[j]!;
      r[slot] = p.seen[bin] ? value - p.bins[bin]! : 0;
      p.bins[bin] = p.seen[bin] ? p.bins[bin]! + this.options.seasonAlpha * (value - p.bins[bin]!) : value;
      p.seen[bin] = 1;
      let s = 0;
      const n = Math.min(this.count, w);
      for (let i = 0; i < n; i++) s += r[i]!;
      out[k++] = s / n;
    });
    return k;
  }
}

/**
 * Seasonal periods worth modelling in a learning sample: those the data covers at least twice whose
 * autocorrelation at that lag is above `minCorrelation`. A period that is a multiple of a shorter one kept
 * (a week over a day) must correlate better than it by `margin`, or it adds nothing.
 */
export function detectSeasons(
  values: ArrayLike<number>,
  sampleIntervalS: number,
  candidatesS: number[] = [86_400, 604_800],
  minCorrelation = 0.3,
  margin = 0.05,
): number[] {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i]! - mean) ** 2;
  const acf = (p: number) => {
    const lag = Math.round(p / sampleIntervalS);
    if (lag < 2 || n < 2 * lag || v === 0) return Number.NEGATIVE_INFINITY;
    let c = 0;
    for (let i = lag; i < n; i++) c += (values[i]! - mean) * (values[i - lag]! - mean);
    return c / v;
  };
  const kept: Array<{ p: number; r: number }> = [];
  for (const p of [...candidatesS].sort((a, b) => a - b)) {
    const r = acf(p);
    if (!(r > minCorrelation)) continue;
    if (kept.some((k) => p % k.p === 0 && r <= k.r + margin)) continue;
    kept.push({ p, r });
  }
  return kept.map((k) => k.p);
}
