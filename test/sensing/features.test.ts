import { describe, expect, it } from 'vitest';
import { FeatureExtractor, featureNames, parsePipeline, StreamWindower } from '../../src/sensing/index.js';

const RATE = 1000;
const N = 1024;
const pipeline = parsePipeline({
  sampleRateHz: RATE,
  window: { size: N, hop: 512 },
  channels: [{ name: 'v', features: ['mean', 'rms', 'peak', 'crest', 'kurtosis', 'bands'] }],
  bands: { count: 8 },
});
const sine = (amp: number, hz: number, dc = 0) =>
  Float64Array.from({ length: N }, (_, i) => dc + amp * Math.sin((2 * Math.PI * hz * i) / RATE));
const names = featureNames(pipeline);
const get = (f: Float32Array, name: string) => f[names.indexOf(`v:${name}`)]!;

describe('window features', () => {
  it('gives a sine its textbook statistics: RMS A/√2, crest √2, kurtosis 1.5, mean = DC', () => {
    // 125 Hz sits exactly on FFT bin 128 and fills whole cycles, so the window is exact.
    const f = new FeatureExtractor(pipeline).extract([sine(2, 125, 0.5)]);
    expect(get(f, 'mean')).toBeCloseTo(0.5, 5);
    expect(get(f, 'rms')).toBeCloseTo(2 / Math.SQRT2, 4);
    expect(get(f, 'peak')).toBeCloseTo(2, 2);
    expect(get(f, 'crest')).toBeCloseTo(Math.SQRT2, 2);
    expect(get(f, 'kurtosis')).toBeCloseTo(1.5, 2);
  });

  it('puts a tone’s power (≈ A²/2) in the band that holds its frequency', () => {
    const f = new FeatureExtractor(pipeline).extract([sine(1, 156.25)]); // 500 Hz / 8 bands: band 2 is 125–187.5 Hz
    const bands = Array.from({ length: 8 }, (_, b) => get(f, `band${b}`));
    expect(bands.indexOf(Math.max(...bands))).toBe(2);
    expect(10 ** bands[2]!).toBeCloseTo(0.5, 1);
    expect(bands[5]!).toBeLessThan(-6);
  });

  it('names features in vector order and refuses band energies on a non-power-of-two window', () => {
    expect(names.slice(0, 6)).toEqual(['v:mean', 'v:rms', 'v:peak', 'v:crest', 'v:kurtosis', 'v:band0']);
    expect(new FeatureExtractor(pipeline).size).toBe(names.length);
    expect(() =>
      parsePipeline({
        sampleRateHz: RATE,
        window: { size: 1000, hop: 500 },
        channels: [{ name: 'v', features: ['bands'] }],
      }),
    ).toThrow(/window\.size: band energies need a power-of-two window/);
  });
});

describe('stream windower', () => {
  it('cuts windows of size samples every hop samples, with the first and last sample times', () => {
    const p = parsePipeline({
      sampleRateHz: RATE,
      window: { size: 8, hop: 4 },
      channels: [
        { name: 'a', features: ['mean'] },
        { name: 'b', features: ['mean'] },
      ],
    });
    const w = new StreamWindower(p, ['b', 'x', 'a']);
    const out = [];
    for (let i = 0; i < 20; i++) {
      out.push(w.push(1, 99, i)); // a channel the model does not read
      const got = w.push(2, i, 1000 + i); // 'a' paces
      w.push(0, 100 + i, 1000 + i);
      if (got) out.push(got);
    }
    const windows = out.filter((x) => x !== null);
    // 'b' arrives after 'a' in each report, so the first window waits one report for it.
    expect(windows.map((x) => x.end)).toEqual([1008, 1012, 1016]);
    expect(Array.from(windows[0]!.channels[0]!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(windows[0]!.channels[1]!)).toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
    expect(windows[0]!.start).toBe(1001);
    expect(windows[1]!.lastSeq).toBe(12);
  });

  it('marks as lost exactly the windows that hold a gap, with its size', () => {
    const p = parsePipeline({
      sampleRateHz: RATE,
      window: { size: 8, hop: 4 },
      channels: [{ name: 'a', features: ['mean'] }],
    });
    const w = new StreamWindower(p, ['a']);
    const windows = [];
    for (let i = 0; i < 28; i++) {
      if (i === 10) w.markGap(3); // three samples lost between the 10th and 11th that came
      const got = w.push(0, i, i);
      if (got) windows.push({ last: got.lastSeq, lost: got.lostSamples ?? 0 });
    }
    // Windows hold samples last-7 .. last: only those with samples on both sides of the gap hold it.
    expect(windows).toEqual([
      { last: 7, lost: 0 },
      { last: 11, lost: 3 },
      { last: 15, lost: 3 },
      { last: 19, lost: 0 },
      { last: 23, lost: 0 },
      { last: 27, lost: 0 },
    ]);
  });

  it('names a channel the board lacks', () => {
    const p = parsePipeline({
      sampleRateHz: RATE,
      window: { size: 8, hop: 4 },
      channels: [{ name: 'vib.x', features: ['rms'] }],
    });
    expect(() => new StreamWindower(p, ['temp'])).toThrow(/reads channel "vib.x", the board has none/);
  });
});
