import { rocAuc } from '../detect/metrics.js';

export interface AccuracyReport {
  samples: number;
  maxAbsError: number;
  rmse: number;
  /** RMSE as a fraction of the float outputs' range (max − min). */
  rmseOverRange: number;
  snrDb: number;
  /** For autoencoders on labelled data: reconstruction-error AUC of both models. */
  auc: { float: number; int8: number; drop: number } | null;
}

/** Compare int8 outputs with float outputs, sample by sample (flattened, same order). */
export function compareOutputs(
  float: Float32Array[],
  int8: Float32Array[],
  auto: { inputs: Float32Array[]; labels: boolean[] } | null,
): AccuracyReport {
  let maxAbs = 0;
  let se = 0;
  let signal = 0;
  let n = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  float.forEach((f, s) => {
    const q = int8[s]!;
    for (let i = 0; i < f.length; i++) {
      const d = f[i]! - q[i]!;
      maxAbs = Math.max(maxAbs, Math.abs(d));
      se += d * d;
      signal += f[i]! * f[i]!;
      lo = Math.min(lo, f[i]!);
      hi = Math.max(hi, f[i]!);
      n++;
    }
  });
  const rmse = Math.sqrt(se / Math.max(1, n));
  let auc: AccuracyReport['auc'] = null;
  if (auto?.labels.some(Boolean) && auto.labels.some((l) => !l)) {
    const score = (outs: Float32Array[]) =>
      outs.map((y, s) => {
        const x = auto.inputs[s]!;
        let e = 0;
        for (let i = 0; i < x.length; i++) e += (x[i]! - y[i]!) ** 2;
        return e / x.length;
      });
    const a = rocAuc(score(float), auto.labels);
    const b = rocAuc(score(int8), auto.labels);
    auc = { float: a, int8: b, drop: a - b };
  }
  return {
    samples: float.length,
    maxAbsError: maxAbs,
    rmse,
    rmseOverRange: hi > lo ? rmse / (hi - lo) : 0,
    snrDb: se > 0 ? 10 * Math.log10(signal / se) : Number.POSITIVE_INFINITY,
    auc,
  };
}
