// The online detector's parts: tail probabilities that are calibrated, alarms in time, context features, and a
// detector that learns a seasonal normal, alarms on a level drop after learning, and never looks ahead.
import { describe, expect, it } from 'vitest';
import { detectSeasons } from '../../src/detect/online/context.js';
import {
  AutoencoderResiduals,
  OnlineDetector,
  type OnlineDetectorOptions,
  TailEstimator,
  TimeAlarm,
  tailQuantile,
} from '../../src/detect/online/index.js';
import { FeatureExtractor, parsePipeline } from '../../src/sensing/features.js';
import { Rng } from '../../src/sim/rng.js';

describe('TailEstimator', () => {
  it('gives calibrated p-values inside the history and extrapolates an exponential tail past it', () => {
    const rng = new Rng(7);
    const tail = new TailEstimator({ spanS: 1e9, maxValues: 5000 });
    for (let i = 0; i < 5000; i++) tail.add(-Math.log(1 - rng.next()), i);
    // inside the data: P(X ≥ 2) = e^-2 = 0.135
    expect(tail.pValue(2)).toBeGreaterThan(0.12);
    expect(tail.pValue(2)).toBeLessThan(0.15);
    // far past the largest of 5000 values (≈ 8.5): the tail model, not the floor 1/5001
    const p12 = tail.pValue(12);
    expect(p12).toBeLessThan(1 / 5001);
    expect(Math.log10(p12)).toBeGreaterThan(-7);
    expect(Math.log10(p12)).toBeLessThan(-4.2);
    expect(tail.pValue(14)).toBeLessThan(p12);
  });

  it('forgets values older than its span', () => {
    const tail = new TailEstimator({ spanS: 100 });
    for (let t = 0; t < 50; t++) tail.add(100, t);
    for (let t = 200; t < 260; t++) tail.add(1, t);
    expect(tail.size).toBe(60);
    expect(tail.pValue(50)).toBeLessThan(1 / 50);
  });
});

describe('tailQuantile', () => {
  it('sets a threshold from a false-alarm rate: inside the data empirically, past it by the fitted tail', () => {
    const rng = new Rng(9);
    const scores = Array.from({ length: 4000 }, () => -Math.log(1 - rng.next()));
    // Exponential scores: P(X > x) = e^-x, so the 1e-2 point is ln 100 = 4.6 and the 1e-6 point ln 1e6 = 13.8.
    expect(tailQuantile(scores, 1e-2)).toBeGreaterThan(4.2);
    expect(tailQuantile(scores, 1e-2)).toBeLessThan(5.0);
    const far = tailQuantile(scores, 1e-6);
    expect(far).toBeGreaterThan(Math.max(...scores));
    expect(far).toBeGreaterThan(10);
    expect(far).toBeLessThan(20);
    // Thirty scores cannot tell a one-in-a-million window.
    expect(tailQuantile(scores.slice(0, 30), 1e-6)).toBeNaN();
  });
});

describe('TimeAlarm', () => {
  it('raises after count anomalies within the time span, holds, and clears after quiet time', () => {
    const a = new TimeAlarm({ count: 3, withinS: 10, clearS: 30, holdS: 100 });
    expect(a.update(0, true)).toBe(null);
    expect(a.update(20, true)).toBe(null); // the first is too old to count
    expect(a.update(25, true)).toBe(null);
    expect(a.update(28, true)).toBe('raised');
    expect(a.update(40, false)).toBe(null);
    expect(a.update(58, false)).toBe('cleared');
    for (const t of [60, 61, 62]) expect(a.update(t, true)).toBe(null); // within holdS of the raise
    expect(a.update(130, true)).toBe(null);
    expect(a.update(131, true)).toBe(null);
    expect(a.update(132, true)).toBe('raised');
  });
});

describe('slow-signal features', () => {
  it('last, slope and logstd describe level, trend and spread without removing the mean', () => {
    const x = new FeatureExtractor(
      parsePipeline({
        sampleRateHz: 1 / 300,
        window: { size: 8, hop: 1 },
        channels: [{ name: 'v', features: ['last', 'slope', 'logstd', 'mean'] }],
      }),
    );
    const ramp = Float64Array.from({ length: 8 }, (_, i) => 100 + 2 * i);
    const f = x.extract([ramp]);
    expect(f[0]).toBe(114);
    expect(f[1]).toBeCloseTo(2, 6);
    expect(f[3]).toBe(107);
    const flat = x.extract([new Float64Array(8).fill(5)]);
    expect(flat[1]).toBe(0);
    expect(flat[2]).toBeLessThan(-5);
  });

  it('finds a daily season only when the data covers it twice and repeats it', () => {
    const dt = 300;
    const daily = Float64Array.from({ length: 3 * 288 }, (_, i) => Math.sin((2 * Math.PI * i) / 288));
    expect(detectSeasons(daily, dt)).toEqual([86_400]);
    expect(detectSeasons(daily.subarray(0, 400), dt)).toEqual([]);
    const rng = new Rng(3);
    expect(
      detectSeasons(
        Float64Array.from(daily, () => rng.next()),
        dt,
      ),
    ).toEqual([]);
  });
});

function detectorOptions(): OnlineDetectorOptions {
  return {
    pipeline: parsePipeline({
      sampleRateHz: 1 / 300,
      window: { size: 16, hop: 1 },
      channels: [{ name: 'temp', features: ['last', 'mean', 'logstd', 'slope'] }],
    }),
    context: { scales: [4, 16], seasonsS: [86_400] },
    learning: { seconds: 7 * 86_400 },
    halfLifeS: 30 * 86_400,
    calibrationS: 14 * 86_400,
    threshold: { perDay: 0.1 },
    alarm: { count: 3, withinS: 3600, holdS: 86_400, clearS: 7200 },
  };
}

// 5-minute temperatures with a daily cycle and noise; from `dropAt` the level falls by `drop`.
function temperatures(days: number, dropAt: number, drop: number, seed = 11): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: days * 288 }, (_, i) => {
    const base = 60 + 5 * Math.sin((2 * Math.PI * i) / 288) + rng.gaussian() * 0.5;
    return i >= dropAt ? base - drop : base;
  });
}

describe('OnlineDetector', () => {
  it('learns a seasonal normal without alarms, then alarms on a level drop within an hour', () => {
    const dropAt = 20 * 288 + 100;
    const x = temperatures(24, dropAt, 6);
    const det = new OnlineDetector(detectorOptions());
    const raised: number[] = [];
    let learningWindows = 0;
    x.forEach((v, i) => {
      const d = det.push(i * 300, [v]);
      if (d?.verdict === 'learning') learningWindows++;
      if (d?.alarm === 'raised') raised.push(i);
    });
    expect(learningWindows).toBeGreaterThan(7 * 288 - 20);
    expect(raised.length).toBeGreaterThan(0);
    expect(raised.filter((i) => i < dropAt)).toEqual([]);
    expect((raised[0]! - dropAt) * 300).toBeLessThanOrEqual(3600);
  });

  it('keeps false alarms of normal data near its per-day target', () => {
    const days = 40;
    const det = new OnlineDetector(detectorOptions());
    let alarms = 0;
    temperatures(days, Number.POSITIVE_INFINITY, 0, 5).forEach((v, i) => {
      if (det.push(i * 300, [v])?.alarm === 'raised') alarms++;
    });
    expect(alarms).toBeLessThanOrEqual(Math.ceil(0.1 * (days - 7)) + 2);
  });

  it('never looks ahead: decisions on a prefix do not depend on what follows', () => {
    const a = temperatures(12, 10 * 288, 6);
    const b = Float64Array.from(a);
    b.fill(0, 9 * 288);
    const run = (x: Float64Array) => {
      const det = new OnlineDetector(detectorOptions());
      return Array.from(x.subarray(0, 9 * 288), (v, i) => det.push(i * 300, [v])?.p ?? -1);
    };
    expect(run(b)).toEqual(run(a));
  });
});

describe('OnlineDetector with the autoencoder as its model of normal', () => {
  // Two correlated channels: the autoencoder learns their relation; a fault breaks it without moving either
  // channel outside its own range, which per-feature z-scores alone barely see.
  async function run(arithmetic: 'float' | 'int8') {
    const rng = new Rng(21);
    const days = 14;
    const faultAt = 11 * 288;
    const rows = Array.from({ length: days * 288 }, (_, i) => {
      const load = Math.sin((2 * Math.PI * i) / 288) + 0.1 * rng.gaussian();
      const temp = i >= faultAt ? -load : load;
      return [load + 0.05 * rng.gaussian(), temp + 0.05 * rng.gaussian()];
    });
    const pipeline = parsePipeline({
      sampleRateHz: 1 / 300,
      window: { size: 8, hop: 1 },
      channels: [
        { name: 'load', features: ['mean'] },
        { name: 'temp', features: ['mean'] },
      ],
    });
    const learning = 5 * 288;
    const model = new AutoencoderResiduals(2, 30 * 86_400, learning, {
      arithmetic,
      hidden: [4, 1],
      epochs: 30,
      retrainEveryS: 1e9,
    });
    const det = new OnlineDetector({
      pipeline,
      context: { scales: [] },
      learning: { windows: learning },
      halfLifeS: 30 * 86_400,
      calibrationS: 30 * 86_400,
      threshold: { perWindow: 0.001 },
      alarm: { count: 3, withinS: 1800, holdS: 86_400, clearS: 3600 },
      model,
    });
    const raised: number[] = [];
    const worst: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      if (det.maintenanceDue) await det.maintain();
      const d = det.push(i * 300, rows[i]!);
      if (d?.alarm === 'raised') {
        raised.push(i);
        worst.push(d.worst);
      }
    }
    model.dispose();
    return { raised, worst, faultAt, names: det.names };
  }

  it('is trained at the end of learning, alarms on a broken relation, and int8 alarms as float does', async () => {
    const float = await run('float');
    expect(float.names).toEqual(['load:mean', 'temp:mean', 'autoencoder']);
    expect(float.raised.filter((i) => i < float.faultAt)).toEqual([]);
    expect(float.raised.length).toBeGreaterThan(0);
    expect(float.worst[0]).toBe('autoencoder');
    expect((float.raised[0]! - float.faultAt) * 300).toBeLessThanOrEqual(2 * 3600);
    const int8 = await run('int8');
    expect(int8.raised.filter((i) => i < int8.faultAt)).toEqual([]);
    expect(Math.abs(int8.raised[0]! - float.raised[0]!) * 300).toBeLessThanOrEqual(1800);
  }, 120_000);
});
