// The NAB scorer must reproduce NAB's own numbers: Numenta HTM's raw scores in the shared folder, thresholded at
// NAB's tuned threshold, give the per-file standard scores and row counts NAB published for them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusAvailable, loadCorpus, NAB_DIR, readCsvColumn } from '../../bench/nab/corpus.js';
import {
  normalizedScore,
  optimizeThreshold,
  probationRows,
  STANDARD_PROFILE,
  scaledSigmoid,
  scoreFile,
  sweep,
} from '../../bench/nab/scorer.js';

const have = corpusAvailable();
if (!have)
  console.warn(`skipping NAB scorer tests: ${NAB_DIR} is absent (it ships beside the project, not in it)`);

const NUMENTA_THRESHOLD = 0.5421876907348634;

function published(): Map<string, { score: number; tp: number; tn: number; fp: number; fn: number }> {
  const lines = readFileSync(join(NAB_DIR, 'results/numenta/numenta_standard_scores.csv'), 'utf8')
    .trim()
    .split('\n');
  const out = new Map();
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    if (c[2]?.endsWith('.csv')) {
      out.set(c[2], {
        score: Number(c[4]),
        tp: Number(c[5]),
        tn: Number(c[6]),
        fp: Number(c[7]),
        fn: Number(c[8]),
      });
    }
  }
  return out;
}

describe('NAB scorer (pure)', () => {
  it('follows NAB probation and sigmoid definitions', () => {
    expect(probationRows(4032)).toBe(604);
    expect(probationRows(22695)).toBe(750);
    expect(scaledSigmoid(-1)).toBeCloseTo(0.9866, 4);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3.5)).toBe(-1);
  });

  it('a detection at the start of a window is worth tpWeight, a miss costs fnWeight', () => {
    const t = Array.from({ length: 100 }, (_, i) => i * 1000);
    const series = { name: 's', timestampsMs: t, windows: [[60_000, 69_000] as const] };
    const scores = new Float64Array(100);
    expect(scoreFile(series, scores, 0.5).score).toBe(-1);
    scores[60] = 1;
    expect(scoreFile(series, scores, 0.5).score).toBeCloseTo(1, 12);
    scores[69] = 1; // a later detection in the same window adds nothing
    expect(scoreFile(series, scores, 0.5).score).toBeCloseTo(1, 12);
    scores[30] = 1; // a false positive before any window costs the full fpWeight
    expect(scoreFile(series, scores, 0.5).score).toBeCloseTo(1 - STANDARD_PROFILE.fpWeight, 12);
    scores[5] = 1; // inside probation: not scored
    expect(scoreFile(series, scores, 0.5).fp).toBe(1);
  });
});

describe.skipIf(!have || !existsSync(join(NAB_DIR, 'results/numenta')))(
  "NAB scorer against NAB's published scores",
  () => {
    const files = have ? loadCorpus().filter((f) => f.category === 'realKnownCause') : [];
    const scores = files.map((f) =>
      readCsvColumn(
        join(NAB_DIR, 'results/numenta', f.category, `numenta_${f.name.split('/')[1]}`),
        'anomaly_score',
      ),
    );

    it('reproduces the per-file standard scores and row counts of Numenta HTM', () => {
      const pub = published();
      expect(files.length).toBe(7);
      files.forEach((f, i) => {
        const got = scoreFile(f, scores[i]!, NUMENTA_THRESHOLD);
        const want = pub.get(f.name)!;
        expect(got.score, f.name).toBeCloseTo(want.score, 9);
        expect([got.tp, got.tn, got.fp, got.fn], f.name).toEqual([want.tp, want.tn, want.fp, want.fn]);
      });
    });

    it("reproduces NAB's per-row standard weights (the results files' S(t)_standard column)", () => {
      files.forEach((f) => {
        const path = join(NAB_DIR, 'results/numenta', f.category, `numenta_${f.name.split('/')[1]}`);
        const st = readCsvColumn(path, 'S(t)_standard');
        const rows = sweep(f);
        rows.forEach((r, i) => {
          expect(r.value, `${f.name} row ${i}`).toBeCloseTo(st[i]!, 9);
        });
      });
    });

    it('normalizes to the 55.5 NAB reports for Numenta HTM on these files, and its threshold is near-optimal', () => {
      const total = files.reduce((s, f, i) => s + scoreFile(f, scores[i]!, NUMENTA_THRESHOLD).score, 0);
      const windows = files.reduce((s, f) => s + f.windows.length, 0);
      expect(normalizedScore(total, windows)).toBeCloseTo(55.47, 2);
      const best = optimizeThreshold(files.map((f, i) => ({ series: f, scores: scores[i]! })));
      expect(best.total).toBeGreaterThanOrEqual(total - 1e-9);
      // the exhaustive sweep's total is the score it claims at its threshold
      const atBest = files.reduce((s, f, i) => s + scoreFile(f, scores[i]!, best.threshold).score, 0);
      expect(atBest).toBeCloseTo(best.total, 9);
    });
  },
);
