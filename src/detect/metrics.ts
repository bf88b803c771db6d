/**
 * ROC AUC by the rank-sum (Mann–Whitney) statistic: the chance a random anomalous window scores above a
 * random normal one, ties counting half.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1; // average rank of the tie group, 1-based
    for (let k = i; k <= j; k++) {
      if (positive[idx[k]!]) {
        nPos++;
        rankSumPos += rank;
      }
    }
    i = j + 1;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface Confusion {
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Window-level precision, recall and F1 of `score > threshold`. */
export function confusionAt(
  scores: ArrayLike<number>,
  positive: ArrayLike<boolean>,
  threshold: number,
): Confusion {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < scores.length; i++) {
    const alarm = scores[i]! > threshold;
    if (positive[i]) alarm ? tp++ : fn++;
    else alarm ? fp++ : tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : Number.NaN;
  const recall = tp + fn ? tp / (tp + fn) : Number.NaN;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, tp, fp, fn, tn };
}
