import { TinygateError } from '../errors/index.js';

/** How the alarm threshold is set from the validation-normal scores. */
export type ThresholdRule =
  | { method: 'percentile'; p: number }
  | { method: 'mean-k-sigma'; k: number }
  /** Learned on site: the score a normal window exceeds `perWindow` of the time (from `perDay` false alarms). */
  | { method: 'false-alarm-rate'; perDay: number; perWindow: number };

export interface Threshold {
  value: number;
  rule: ThresholdRule;
  /** Number of validation scores it was computed from. */
  n: number;
}

/** "p99.5" → percentile 99.5; "mean+4sd" / "4sigma" → mean + 4σ. */
export function parseThresholdRule(text: string): ThresholdRule {
  const p = /^p(\d+(?:\.\d+)?)$/i.exec(text.trim());
  if (p) {
    const v = Number(p[1]);
    if (v > 0 && v <= 100) return { method: 'percentile', p: v };
  }
  const k = /^(?:mean\+)?(\d+(?:\.\d+)?)(?:sd|sigma|σ)$/i.exec(text.trim());
  if (k) return { method: 'mean-k-sigma', k: Number(k[1]) };
  throw new TinygateError('THRESHOLD_INVALID', `threshold rule "${text}" is not understood`, {
    hint: 'Use a percentile such as p99.5, or mean plus k standard deviations such as mean+4sd.',
  });
}

export function formatThresholdRule(r: ThresholdRule): string {
  if (r.method === 'percentile') return `p${r.p}`;
  if (r.method === 'mean-k-sigma') return `mean+${r.k}sd`;
  return `${r.perDay} false alarm(s) a day (${r.perWindow.toPrecision(2)} per window, Pareto tail)`;
}

export function computeThreshold(scores: ArrayLike<number>, rule: ThresholdRule): Threshold {
  const n = scores.length;
  if (n === 0) {
    throw new TinygateError('THRESHOLD_NO_DATA', 'no validation windows to set the threshold from', {
      hint: 'Give more normal data, or a smaller --validation fraction or window.',
    });
  }
  if (rule.method === 'percentile') return { value: percentile(scores, rule.p), rule, n };
  if (rule.method === 'false-alarm-rate') {
    throw new TinygateError(
      'THRESHOLD_INVALID',
      'a false-alarm-rate threshold is learned on site, not computed here',
      {
        kind: 'internal',
        hint: 'Use a percentile or mean+k·sd rule for offline training.',
      },
    );
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += scores[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (scores[i]! - mean) ** 2;
  return { value: mean + rule.k * Math.sqrt(v / n), rule, n };
}

/** Linear-interpolated percentile (p in 0…100). */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
