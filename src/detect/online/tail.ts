// How unusual a value is against a recent history: the empirical tail probability, extended past the
// largest values seen by a generalized Pareto tail (peaks over threshold), so a small history can still say
// "1 in 10,000" instead of stopping at "more than anything seen".

export interface TailOptions {
  /** History kept, in seconds of the stream's own time. */
  spanS: number;
  /** History kept at most, in values (bounds memory and time). */
  maxValues: number;
  /** History kept at least, in values, however old (slow data needs more time for the same evidence). */
  minValues: number;
  /** Fraction of the history above which the Pareto tail is fitted. */
  tailFraction: number;
}

export const DEFAULT_TAIL: TailOptions = {
  spanS: 14 * 86_400,
  maxValues: 20_000,
  minValues: 0,
  tailFraction: 0.1,
};

/** Bounded history of values with their times, kept sorted for tail queries. */
export class TailEstimator {
  readonly options: TailOptions;
  private readonly sorted: number[] = [];
  private readonly times: number[] = [];
  private readonly order: number[] = [];
  private head = 0;
  private fit: { u: number; sigma: number; xi: number; k: number; n: number } | null = null;

  constructor(options: Partial<TailOptions> = {}) {
    this.options = { ...DEFAULT_TAIL, ...options };
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Forgets everything (the residual it tracks changed meaning, e.g. a retrained model). */
  clear(): void {
    this.sorted.length = 0;
    this.order.length = 0;
    this.times.length = 0;
    this.head = 0;
    this.fit = null;
  }

  add(value: number, tS: number): void {
    this.insert(value);
    this.order.push(value);
    this.times.push(tS);
    while (
      this.order.length - this.head > this.options.maxValues ||
      (this.order.length - this.head > Math.max(1, this.options.minValues) &&
        tS - this.times[this.head]! > this.options.spanS)
    ) {
      this.remove(this.order[this.head]!);
      this.head++;
    }
    if (this.head > 4096) {
      this.order.splice(0, this.head);
      this.times.splice(0, this.head);
      this.head = 0;
    }
    this.fit = null;
  }

  /** P(V ≥ value) under the history: empirical, with the Pareto tail past the fitted threshold. */
  pValue(value: number): number {
    const n = this.sorted.length;
    if (n === 0) return 1;
    const above = n - lowerBound(this.sorted, value);
    const empirical = (above + 1) / (n + 1);
    const fit = this.tailFit();
    if (!fit || value <= fit.u) return empirical;
    const y = value - fit.u;
    const survival =
      fit.xi > 1e-9 ? (1 + (fit.xi * y) / fit.sigma) ** (-1 / fit.xi) : Math.exp(-y / fit.sigma);
    const p = (fit.k / (n + 1)) * survival;
    // The tail model may sharpen the empirical estimate but not contradict the counts.
    return Math.min(empirical, Math.max(p, above / (n + 1)));
  }

  // Generalized Pareto fit to the exceedances over the (1 − tailFraction) quantile by probability-weighted
  // moments (Hosking & Wallis 1987); shape clamped to [0, 0.5] so a short history never claims a thin tail.
  private tailFit() {
    if (this.fit) return this.fit;
    const n = this.sorted.length;
    const k = Math.floor(n * this.options.tailFraction);
    if (k < 10) return null;
    const u = this.sorted[n - k - 1]!;
    let a0 = 0;
    let a1 = 0;
    for (let i = 0; i < k; i++) {
      const y = this.sorted[n - k + i]! - u;
      a0 += y;
      a1 += (y * (k - 1 - i)) / (k - 1);
    }
    a0 /= k;
    a1 /= k;
    if (a0 <= 0) return null;
    const denom = a0 - 2 * a1;
    let xi = denom > 0 ? 2 - a0 / denom : 0;
    xi = Math.min(0.5, Math.max(0, xi));
    const sigma = xi > 0 ? a0 * (1 - xi) : a0;
    this.fit = { u, sigma: Math.max(sigma, 1e-12), xi, k, n };
    return this.fit;
  }

  private insert(v: number): void {
    const i = lowerBound(this.sorted, v);
    this.sorted.splice(i, 0, v);
  }

  private remove(v: number): void {
    const i = lowerBound(this.sorted, v);
    if (this.sorted[i] === v) this.sorted.splice(i, 1);
  }
}

function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The score a window exceeds with probability `p` under these (normal) scores: the empirical quantile inside
 * the data, the fitted Pareto tail beyond it. Sets a threshold from a false-alarm rate, not from the maximum
 * of a few windows. NaN when `p` is rarer than the scores can tell: below 1/(n+1) with too few scores for a
 * tail (fewer than 100).
 */
export function tailQuantile(scores: ArrayLike<number>, p: number): number {
  const tail = new TailEstimator({ spanS: Number.POSITIVE_INFINITY, maxValues: Math.max(1, scores.length) });
  let hi = Number.NEGATIVE_INFINITY;
  let lo = Number.POSITIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) {
    tail.add(scores[i]!, 0);
    hi = Math.max(hi, scores[i]!);
    lo = Math.min(lo, scores[i]!);
  }
  if (!Number.isFinite(hi)) return Number.NaN;
  if (scores.length < 100 && p < 1 / (scores.length + 1)) return Number.NaN;
  // Grow the bracket until its top is rarer than p, then bisect (p-values fall as scores rise).
  let top = hi + (hi - lo || 1);
  for (let k = 0; k < 60 && tail.pValue(top) > p; k++) top += top - lo;
  let bottom = lo;
  for (let k = 0; k < 80; k++) {
    const mid = (bottom + top) / 2;
    if (tail.pValue(mid) > p) bottom = mid;
    else top = mid;
  }
  return top;
}
