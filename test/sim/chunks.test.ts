import { describe, expect, it } from 'vitest';
import { windowRecording } from '../../src/detect/index.js';
import { parsePipeline } from '../../src/sensing/index.js';
import { parseScenario, scenarioChunks, scenarioRecording } from '../../src/sim/index.js';

describe('scenario chunks (how the benchmark streams a day of data)', () => {
  it('give exactly the windows of the whole recording when chunks overlap by size − hop', () => {
    const s = parseScenario({
      name: 'c',
      seed: 4,
      durationS: 12,
      faults: [{ kind: 'imbalance', onsetS: 5, rampS: 2 }],
    });
    const ch = ['vib.x', 'vib.z'];
    const p = parsePipeline({
      sampleRateHz: 1000,
      window: { size: 256, hop: 128 },
      channels: ch.map((name) => ({ name, features: ['rms', 'bands'] })),
    });
    const checks = ch.map((name) => ({
      name,
      sensor: 'vib',
      unit: 'g',
      plausible: [null, null] as [null, null],
      resolution: 0.01,
      dynamic: true,
    }));
    const whole = windowRecording(scenarioRecording(s, ch).recording, p, checks);
    const parts = [...scenarioChunks(s, 128 * 10, 256 - 128, ch)].map((r) => windowRecording(r, p, checks));
    expect(parts.length).toBeGreaterThan(5);
    const features = parts.flatMap((x) => x.features);
    expect(features).toHaveLength(whole.features.length);
    expect(features).toEqual(whole.features);
    expect(parts.flatMap((x) => Array.from(x.severity))).toEqual(Array.from(whole.severity));
  });
});
