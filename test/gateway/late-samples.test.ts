// A StandardFirmata board that stalls takes no samples and says nothing: the gap shows only in when samples
// arrive. Windows cut from such a stream must be judged as holding a gap; ordinary delivery in bursts (the
// OS hands serial bytes over every few ms) must not.
import { describe, expect, it } from 'vitest';
import { samplesMissingByArrival } from '../../src/gateway/late-samples.js';
import { FeaturePipeline, StreamWindower } from '../../src/sensing/index.js';

const RATE = 1000;
const pipeline = FeaturePipeline.parse({
  sampleRateHz: RATE,
  window: { size: 1024, hop: 512 },
  channels: [{ name: 'x', features: ['rms'] }],
});

/** Windows from 10 s of samples arriving in 16 ms bursts, with no samples for `stallMs` from 4 s on. */
function windows(stallMs: number) {
  const w = new StreamWindower(pipeline, ['x']);
  const out = [];
  let t = 0;
  for (let i = 0; i < 10 * RATE; i++) {
    if (i === 4 * RATE) t += stallMs;
    const arrival = Math.ceil((t + i) / 16) * 16;
    const win = w.push(0, Math.sin(i / 7), arrival);
    if (win) out.push(samplesMissingByArrival(win, 1024, RATE));
  }
  return out;
}

describe('samples missing by arrival time', () => {
  it('finds no gap in a steady stream delivered in bursts', () => {
    expect(windows(0).every((m) => m === 0)).toBe(true);
  });

  it('flags the windows holding a 2 s stall, with about the samples it cost, and only those', () => {
    const missing = windows(2000);
    const flagged = missing.filter((m) => m > 0);
    expect(flagged.length).toBeGreaterThanOrEqual(1);
    expect(flagged.length).toBeLessThanOrEqual(2);
    for (const m of flagged) expect(m).toBeGreaterThan(1900);
    for (const m of flagged) expect(m).toBeLessThan(2100);
  });

  it('lets a short hiccup (a busy gateway for 200 ms) through', () => {
    expect(windows(200).every((m) => m === 0)).toBe(true);
  });
});
