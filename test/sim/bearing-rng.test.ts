import { describe, expect, it } from 'vitest';
import { BEARING_6205, bearingFrequencies, Rng } from '../../src/sim/index.js';

describe('bearing defect frequencies', () => {
  it('match the published multiples of shaft speed for a 6205 bearing', () => {
    // Published for 6205 (9 balls, 7.94 mm, 39.04 mm pitch): BPFO 3.585, BPFI 5.415, FTF 0.398, BSF 2.357.
    const f = bearingFrequencies(BEARING_6205);
    expect(f.bpfo).toBeCloseTo(3.585, 2);
    expect(f.bpfi).toBeCloseTo(5.415, 2);
    expect(f.ftf).toBeCloseTo(0.398, 2);
    expect(f.bsf).toBeCloseTo(2.357, 2);
  });
});

describe('seeded generator', () => {
  it('repeats for a seed and differs between seeds; gaussians have unit variance', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    const g = new Rng(1);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const v = g.gaussian();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(s2 / n).toBeGreaterThan(0.95);
    expect(s2 / n).toBeLessThan(1.05);
  });
});
