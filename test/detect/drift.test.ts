// A board's normal can move for good (a bearing change, a new product): the score level sits off for hours
// with no alarm. That is reported once as drift; a steady board, a short excursion and a fault (which
// alarms) are not drift.
import { describe, expect, it } from 'vitest';
import { DriftWatch } from '../../src/detect/drift.js';
import { Rng } from '../../src/sim/rng.js';

const HOUR = 3_600_000;

/** Scores every 0.5 s for `hours`, at `level` × noise, from `fromMs`; returns drifts reported. */
function feed(d: DriftWatch, rng: Rng, fromMs: number, hours: number, level: number, inAlarm = false) {
  const out = [];
  for (let t = fromMs; t < fromMs + hours * HOUR; t += 500) {
    const r = d.add(level * (0.7 + 0.6 * rng.next()), t, inAlarm);
    if (r) out.push({ ...r, at: t });
  }
  return out;
}

describe('drift of the normal score level', () => {
  it('is reported once when the level stays 3× up for the lasting span, not before, and not by a steady board', () => {
    const rng = new Rng(1);
    const d = new DriftWatch({ lastingS: 6 * 3600, ratio: 2 });
    expect(feed(d, rng, 0, 24, 0.3)).toEqual([]);
    expect(d.referenceLevel).toBeCloseTo(0.3, 1);
    const shifted = feed(d, rng, 24 * HOUR, 12, 0.9);
    expect(shifted).toHaveLength(1);
    expect(shifted[0]!.direction).toBe('up');
    expect(shifted[0]!.level / shifted[0]!.reference).toBeGreaterThan(2.5);
    // Reported after 6 h of the shift (bucket granularity 10 min), not earlier.
    const after = (shifted[0]!.at - 24 * HOUR) / HOUR;
    expect(after).toBeGreaterThanOrEqual(6);
    expect(after).toBeLessThan(6.5);
  });

  it('is not reported for a shift shorter than the span, nor while a machine alarm explains it', () => {
    const rng = new Rng(2);
    const d = new DriftWatch({ lastingS: 6 * 3600, ratio: 2 });
    feed(d, rng, 0, 2, 0.3);
    expect(feed(d, rng, 2 * HOUR, 5, 0.9)).toEqual([]);
    expect(feed(d, rng, 7 * HOUR, 3, 0.3)).toEqual([]);
    expect(feed(d, rng, 10 * HOUR, 10, 0.9, true)).toEqual([]);
  });

  it('reports a level that fell (a quieter machine after maintenance) and again after coming back and leaving', () => {
    const rng = new Rng(3);
    const d = new DriftWatch({ lastingS: 3 * 3600, ratio: 2 });
    feed(d, rng, 0, 2, 0.6);
    const down = feed(d, rng, 2 * HOUR, 4, 0.2);
    expect(down.map((x) => x.direction)).toEqual(['down']);
    expect(feed(d, rng, 6 * HOUR, 2, 0.6)).toEqual([]);
    expect(feed(d, rng, 8 * HOUR, 4, 0.2)).toHaveLength(1);
  });
});
