// NAB's scoring method (Lavin & Ahmad 2015, numenta/NAB scorer/sweeper), written from its published description:
// each detection inside a labelled window earns a sigmoid reward that is larger the earlier it comes, only the
// best detection of a window counts, a missed window costs fnWeight, and every detection outside a window costs
// fpWeight, less so just after a window. The first 15 % of each file (at most 750 rows) is probation, unscored.

export interface CostProfile {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's standard profile (config/profiles.json). */
export const STANDARD_PROFILE: CostProfile = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };

/** One labelled series: row timestamps (ms) and anomaly windows as [start, end] timestamps (ms), inclusive. */
export interface LabelledSeries {
  name: string;
  timestampsMs: ArrayLike<number>;
  windows: ReadonlyArray<readonly [number, number]>;
}

/** A row's part in the score: which window it lies in (−1 for none) and what detecting it is worth. */
export interface SweepRow {
  window: number;
  /** Weighted reward (> 0 in a window) or cost (< 0 outside) of a detection at this row. */
  value: number;
  probation: boolean;
}

export interface FileScore {
  name: string;
  score: number;
  /** Rows after probation, counted as NAB's results files count them. */
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  windows: number;
  windowsDetected: number;
}

/** NAB's probationary period: the first 15 % of rows, at most 15 % of 5,000. */
export function probationRows(length: number): number {
  return Math.min(Math.floor(0.15 * length), 0.15 * 5000);
}

/** NAB's scaled sigmoid: +0.987 at a window's start, 0 at its end, → −1 long after it. */
export function scaledSigmoid(x: number): number {
  return x > 3 ? -1 : 2 / (1 + Math.exp(5 * x)) - 1;
}

/** Window index bounds [left, right] (inclusive rows) for each labelled window. */
export function windowRows(series: LabelledSeries): Array<[number, number]> {
  const t = series.timestampsMs;
  return series.windows.map(([start, end]) => {
    let left = 0;
    while (left < t.length && t[left]! < start) left++;
    let right = left;
    while (right + 1 < t.length && t[right + 1]! <= end) right++;
    return [left, right];
  });
}

/** What a detection at each row of the series is worth under a profile. */
export function sweep(series: LabelledSeries, profile: CostProfile = STANDARD_PROFILE): SweepRow[] {
  const n = series.timestampsMs.length;
  const probation = probationRows(n);
  const bounds = windowRows(series);
  const maxTp = scaledSigmoid(-1);
  const rows: SweepRow[] = new Array(n);
  let w = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const cur = bounds[w];
    let value: number;
    let window = -1;
    if (cur && i >= cur[0] && i <= cur[1]) {
      const width = cur[1] - cur[0] + 1;
      value = (scaledSigmoid(-(cur[1] - i + 1) / width) * profile.tpWeight) / maxTp;
      window = w;
      if (i === cur[1]) {
        prevRight = i;
        prevWidth = width;
        w++;
      }
    } else {
      const unweighted = prevRight < 0 ? -1 : scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
      value = unweighted * profile.fpWeight;
    }
    rows[i] = { window, value, probation: i < probation };
  }
  return rows;
}

/** Score of one file when the rows whose anomaly score is ≥ threshold are detections. */
export function scoreFile(
  series: LabelledSeries,
  anomalyScores: ArrayLike<number>,
  threshold: number,
  profile: CostProfile = STANDARD_PROFILE,
): FileScore {
  const rows = sweep(series, profile);
  if (anomalyScores.length !== rows.length) {
    throw new Error(`${series.name}: ${anomalyScores.length} scores for ${rows.length} rows`);
  }
  const nWindows = series.windows.length;
  const best = new Array<number>(nWindows).fill(Number.NEGATIVE_INFINITY);
  let fpScore = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  rows.forEach((r, i) => {
    if (r.probation) return;
    const detected = anomalyScores[i]! >= threshold;
    if (r.window >= 0) {
      if (detected) {
        tp++;
        best[r.window] = Math.max(best[r.window]!, r.value);
      } else fn++;
    } else if (detected) {
      fp++;
      fpScore += r.value;
    } else tn++;
  });
  let score = fpScore;
  let windowsDetected = 0;
  for (const b of best) {
    if (Number.isFinite(b)) {
      score += b;
      windowsDetected++;
    } else score -= profile.fnWeight;
  }
  return { name: series.name, score, tp, fp, fn, tn, windows: nWindows, windowsDetected };
}

/** NAB's normalization: 0 is the detector that never fires, 100 the one that fires at every window's start. */
export function normalizedScore(
  rawTotal: number,
  totalWindows: number,
  profile: CostProfile = STANDARD_PROFILE,
): number {
  const nullScore = -profile.fnWeight * totalWindows;
  const perfect = profile.tpWeight * totalWindows;
  return perfect === nullScore ? 0 : (100 * (rawTotal - nullScore)) / (perfect - nullScore);
}

/**
 * The single threshold that maximizes the summed score over a corpus, found by sweeping every distinct anomaly
 * score (NAB tunes each detector's threshold over the corpus this way, by local search).
 */
export function optimizeThreshold(
  files: ReadonlyArray<{ series: LabelledSeries; scores: ArrayLike<number> }>,
  profile: CostProfile = STANDARD_PROFILE,
): { threshold: number; total: number } {
  const events: Array<{ s: number; key: number; value: number }> = [];
  let windowKey = 0;
  let total = 0;
  for (const f of files) {
    const rows = sweep(f.series, profile);
    rows.forEach((r, i) => {
      if (r.probation) return;
      events.push({ s: f.scores[i]!, key: r.window >= 0 ? windowKey + r.window : -1, value: r.value });
    });
    windowKey += f.series.windows.length;
    total -= profile.fnWeight * f.series.windows.length;
  }
  events.sort((a, b) => b.s - a.s);
  const best = new Map<number, number>();
  let bestTotal = total;
  let bestThreshold = events.length ? events[0]!.s + 1 : 1;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.key < 0) total += e.value;
    else {
      const prev = best.get(e.key);
      if (prev === undefined) total += profile.fnWeight + e.value;
      else if (e.value > prev) total += e.value - prev;
      if (prev === undefined || e.value > prev) best.set(e.key, e.value);
    }
    const next = events[i + 1];
    if ((!next || next.s !== e.s) && total > bestTotal) {
      bestTotal = total;
      bestThreshold = e.s;
    }
  }
  return { threshold: bestThreshold, total: bestTotal };
}
