import { describe, expect, it } from 'vitest';
import {
  BaselineScorer,
  checkWindow,
  computeThreshold,
  confusionAt,
  openScorer,
  parseThresholdRule,
  percentile,
  rocAuc,
  StreamDetector,
} from '../../src/detect/index.js';
import type { ChannelMeta } from '../../src/sensing/index.js';

describe('thresholds', () => {
  it('parse percentile and mean+kσ rules, and refuse others with a hint', () => {
    expect(parseThresholdRule('p99.5')).toEqual({ method: 'percentile', p: 99.5 });
    expect(parseThresholdRule('mean+4sd')).toEqual({ method: 'mean-k-sigma', k: 4 });
    expect(() => parseThresholdRule('p200')).toThrow(/not understood/);
  });

  it('compute them from validation scores', () => {
    const scores = Array.from({ length: 101 }, (_, i) => i); // 0…100
    expect(percentile(scores, 99)).toBeCloseTo(99, 9);
    expect(computeThreshold(scores, { method: 'percentile', p: 50 }).value).toBe(50);
    const two = computeThreshold([1, 3], { method: 'mean-k-sigma', k: 2 });
    expect(two.value).toBeCloseTo(2 + 2 * 1, 9);
    expect(() => computeThreshold([], { method: 'percentile', p: 99 })).toThrow(/no validation windows/);
  });
});

describe('metrics', () => {
  it('AUC is the chance an anomaly outscores a normal window (ties count half)', () => {
    expect(rocAuc([1, 2, 3, 4], [false, false, true, true])).toBe(1);
    expect(rocAuc([4, 3, 2, 1], [false, false, true, true])).toBe(0);
    expect(rocAuc([1, 1, 1, 1], [false, true, false, true])).toBe(0.5);
    // pairs (pos,neg): (3,1) (3,4) (5,1) (5,4) → 3 of 4 won
    expect(rocAuc([1, 3, 4, 5], [false, true, false, true])).toBe(0.75);
  });

  it('precision, recall and F1 at the threshold', () => {
    const c = confusionAt([1, 5, 6, 2], [false, true, false, true], 4);
    expect(c).toMatchObject({ tp: 1, fp: 1, fn: 1, tn: 1, precision: 0.5, recall: 0.5, f1: 0.5 });
  });
});

const scorer = { id: 'm1', hash: 'abc', kind: 'float', threshold: 1 };
const win = (i: number) => ({ start: i * 500, end: i * 500 + 1000 });

describe('stream detector', () => {
  it('needs k of n windows above the threshold: one odd window never alerts', () => {
    const d = new StreamDetector({ board: 'b1', sensor: 'vib', scorer, now: () => 42 });
    const alerts = [0.5, 2, 0.5, 0.5, 2, 0.5, 0.5, 0.5].map((s, i) => d.scoredWindow(win(i), s).alert);
    expect(alerts.every((a) => a === null)).toBe(true);
  });

  it('raises one machine alert with the Alert contract, holds it with hysteresis, then clears', () => {
    const d = new StreamDetector({ board: 'b1', sensor: 'vib', scorer, now: () => 42 });
    const scores = [2, 0.5, 2, 2, 3, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.7, 0.7, 0.7, 0.7, 0.7];
    const ds = scores.map((s, i) => d.scoredWindow(win(i), s));
    const alerts = ds.filter((x) => x.alert).map((x) => x.alert!);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ board: 'b1', sensor: 'vib', kind: 'machine', score: 2, threshold: 1, ts: 42 });
    expect(a.window).toEqual(win(3));
    expect(a.model).toEqual({ id: 'm1', hash: 'abc' });
    expect(a.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/); // a ULID
    // 0.9 is under the threshold but above 0.8 × threshold: the alarm holds; five windows at 0.7 clear it
    expect(ds[10]!.machineAlarm).toBe(true);
    expect(ds[14]!.machineAlarm).toBe(true);
    expect(ds[15]!.machineAlarm).toBe(false);
  });

  it('keeps sensor problems apart: sensor alert with no model, and flagged windows do not feed machine alerts', () => {
    const d = new StreamDetector({ board: 'b1', sensor: 'vib', scorer, now: () => 0 });
    const v = {
      fault: 'stuck' as const,
      channel: 'vib.x',
      sensor: 'vib',
      score: 1,
      threshold: 0.25,
      message: 'vib.x is frozen',
    };
    d.scoredWindow(win(0), 5);
    d.scoredWindow(win(1), 5);
    const s1 = d.sensorWindow(win(2), v);
    const s2 = d.sensorWindow(win(3), v);
    expect(s1.alert).toBeNull();
    expect(s2.alert).toMatchObject({ kind: 'sensor', sensor: 'vib', model: null });
    expect(s2.alert!.message).toMatch(/vib\.x is frozen on b1/);
    expect(d.sensorWindow(win(4), v).alert).toBeNull(); // one alert per episode
    expect(d.inMachineAlarm).toBe(false);
  });

  it('a baseline-raised machine alert carries model: null', () => {
    const d = new StreamDetector({ board: 'b', sensor: 's', scorer: { ...scorer, kind: 'baseline' } });
    const a = [2, 2, 2].map((s, i) => d.scoredWindow(win(i), s).alert).find(Boolean);
    expect(a?.model).toBeNull();
  });
});

const vib: ChannelMeta = {
  name: 'vib.x',
  sensor: 'vib',
  unit: 'g',
  plausible: [-4.7, 4.7],
  resolution: 0.0148,
  dynamic: true,
};
const temp: ChannelMeta = {
  name: 'temp',
  sensor: 'temp',
  unit: '°C',
  plausible: [2, 150],
  resolution: 0.49,
  dynamic: false,
};
function noisy(n: number, seed = 1): Float64Array {
  let s = seed;
  const r = () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647 - 0.5) * 0.2;
  };
  return Float64Array.from({ length: n }, (_, i) => 0.1 * Math.sin(i / 5) + r());
}

describe('sensor checks', () => {
  it('pass a healthy vibration window and a steady temperature', () => {
    expect(checkWindow([noisy(512)], [vib])).toBeNull();
    expect(checkWindow([new Float64Array(512).fill(31.25)], [temp])).toBeNull();
  });

  it('call a frozen vibration channel stuck, and a rail or zero reading dropout', () => {
    const stuck = noisy(512);
    stuck.fill(0.31, 100, 400);
    expect(checkWindow([stuck], [vib])?.fault).toBe('stuck');
    expect(checkWindow([new Float64Array(512).fill(-5)], [vib])?.fault).toBe('dropout');
    expect(checkWindow([new Float64Array(512).fill(0)], [temp])?.fault).toBe('dropout');
    // Checks switched off for a channel: the same window is scored as it is.
    expect(checkWindow([stuck], [{ ...vib, checked: false }])).toBeNull();
  });

  it('find isolated spikes but not a ringing impact', () => {
    const spiky = noisy(512);
    spiky[200] = 4.5;
    expect(checkWindow([spiky], [vib])?.fault).toBe('spikes');
    const ringing = noisy(512);
    for (let i = 0; i < 20; i++) ringing[200 + i]! += 3 * Math.exp(-i / 6) * Math.cos(i * 2.4);
    expect(checkWindow([ringing], [vib])).toBeNull();
  });
});

describe('baseline scorer', () => {
  it('scores 0 while warming up, then flags a window far from what it learned, and does not learn it', () => {
    const b = new BaselineScorer({ warmupWindows: 50 });
    const normal = Array.from({ length: 60 }, (_, i) =>
      Float32Array.from([1 + 0.01 * Math.sin(i), 5 + 0.1 * Math.cos(i)]),
    );
    const s = b.scoreBatch(normal);
    expect(s.slice(0, 50).every((x) => x === 0)).toBe(true);
    expect(Math.max(...s.slice(50))).toBeLessThan(b.threshold);
    const odd = Float32Array.from([3, 5]);
    expect(b.scoreBatch([odd])[0]).toBeGreaterThan(b.threshold);
    expect(b.scoreBatch([odd])[0]).toBeGreaterThan(b.threshold);
  });
});

describe('scorer selection', () => {
  it('says eval cannot score with a live board, rather than faking it; int8 needs a converted model', async () => {
    await expect(openScorer('board', 'x')).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
    await expect(openScorer('int8', 'x')).rejects.toMatchObject({ code: 'MODEL_NO_INT8' });
    await expect(openScorer('magic', undefined)).rejects.toMatchObject({ code: 'SCORER_UNKNOWN' });
  });
});

describe('windowing a recording', () => {
  it('names the line and column of a blank cell in a channel the model reads', async () => {
    const { windowRecording } = await import('../../src/detect/index.js');
    const { parsePipeline } = await import('../../src/sensing/index.js');
    const n = 64;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    x[10] = Number.NaN;
    const rec = {
      file: 'rec.csv',
      t: Float64Array.from({ length: n }, (_, i) => i / 100),
      columns: new Map([['vib.x', x]]),
      labels: new Map<string, string[]>(),
      rateHz: 100,
    };
    const p = parsePipeline({
      sampleRateHz: 100,
      window: { size: 16, hop: 8 },
      channels: [{ name: 'vib.x', features: ['rms'] }],
    });
    expect(() => windowRecording(rec, p, [vib])).toThrow(
      /rec\.csv: line 12, column vib\.x: empty or not a number/,
    );
  });
});
