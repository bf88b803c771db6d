import FFT from 'fft.js';
import { describe, expect, it } from 'vitest';
import {
  bearingFrequencies,
  MachineModel,
  parseScenario,
  type ScenarioInput,
  ScenarioSignals,
} from '../../src/sim/index.js';

const RATE = 1000;
const N = 8192;

function axis(s: ScenarioInput, pick: 'ax' | 'ay' | 'az', skipS = 0): { x: Float64Array; shaftHz: number } {
  const m = new MachineModel(parseScenario({ rateHz: RATE, ...s }));
  for (let i = 0; i < skipS * RATE; i++) m.step();
  const x = new Float64Array(N);
  let f = 0;
  for (let i = 0; i < N; i++) {
    const v = m.step();
    x[i] = v[pick];
    f += v.shaftHz / N;
  }
  return { x, shaftHz: f };
}

// Amplitude spectrum (peak amplitude of a sine, Hann-windowed) and the largest line near a frequency.
function amplitudeAt(x: Float64Array, hz: number): number {
  const fft = new FFT(N);
  const inp = new Float64Array(N);
  let mean = 0;
  for (const v of x) mean += v / N;
  for (let i = 0; i < N; i++) inp[i] = (x[i]! - mean) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));
  const out = new Float64Array(2 * N);
  fft.realTransform(out, inp);
  const bin = Math.round((hz * N) / RATE);
  let best = 0;
  for (let k = bin - 3; k <= bin + 3; k++) best = Math.max(best, Math.hypot(out[2 * k]!, out[2 * k + 1]!));
  return (best * 4) / N; // Hann coherent gain 0.5, one-sided ×2
}

const base = { name: 't', seed: 3, durationS: 60, machine: { load: { start: 0.6, meanHoldS: 0 } } };

describe('machine signal generator', () => {
  it('runs the shaft below synchronous speed by the slip, more under load', () => {
    const light = axis({ ...base, machine: { load: { start: 0.2, meanHoldS: 0 } } }, 'ax', 30);
    const heavy = axis({ ...base, machine: { load: { start: 1, meanHoldS: 0 } } }, 'ax', 30);
    expect(light.shaftHz).toBeLessThan(30);
    expect(heavy.shaftHz).toBeLessThan(light.shaftHz);
    expect(heavy.shaftHz).toBeCloseTo(30 * (1 - 0.017), 1);
  });

  it('imbalance grows the 1× line, misalignment the 2× line and the axial 1×', () => {
    const fault = (kind: string) =>
      ({ ...base, faults: [{ kind, onsetS: 0, rampS: 0, severity: 'moderate' }] }) as ScenarioInput;
    const h = axis(base, 'ax');
    const imb = axis(fault('imbalance'), 'ax');
    const mis = axis(fault('misalignment'), 'ax');
    const f = h.shaftHz;
    expect(amplitudeAt(imb.x, f)).toBeGreaterThan(3 * amplitudeAt(h.x, f));
    expect(amplitudeAt(imb.x, f)).toBeCloseTo(0.05 * (f / 30) ** 2 + 0.5 * 0.35, 1);
    expect(amplitudeAt(mis.x, 2 * f)).toBeGreaterThan(4 * amplitudeAt(h.x, 2 * f));
    expect(amplitudeAt(axis(fault('misalignment'), 'ay').x, f)).toBeGreaterThan(
      5 * amplitudeAt(axis(base, 'ay').x, f),
    );
  });

  it('an outer-race defect rings the resonance at BPFO: the envelope spectrum peaks at BPFO', () => {
    const s = {
      ...base,
      faults: [{ kind: 'bearing-outer-race', onsetS: 0, rampS: 0, severity: 'moderate' }],
    } as ScenarioInput;
    const { x, shaftHz } = axis(s, 'ax');
    const bpfo =
      bearingFrequencies(parseScenario({ name: 'x', durationS: 1 }).machine.bearing).bpfo * shaftHz;
    const envelope = x.map((v) => Math.abs(v));
    const atBpfo = amplitudeAt(envelope, bpfo);
    const healthyEnv = axis(base, 'ax').x.map((v) => Math.abs(v));
    expect(atBpfo).toBeGreaterThan(5 * amplitudeAt(healthyEnv, bpfo));
    // and it is a line, not broadband: well above the envelope at a frequency between harmonics
    expect(atBpfo).toBeGreaterThan(4 * amplitudeAt(envelope, bpfo * 1.5));
  });

  it('overheating raises the housing temperature by the severity, vibration unchanged', () => {
    const s = (faults: ScenarioInput['faults']) => {
      const m = new MachineModel(parseScenario({ ...base, faults }));
      let v = m.step();
      for (let i = 0; i < 20 * RATE; i++) v = m.step();
      return { temp: v.housingC, ax: v.ax };
    };
    const healthy = s([]);
    const hot = s([{ kind: 'overheating', onsetS: 0, rampS: 10, severity: 0.5 }]);
    expect(hot.temp - healthy.temp).toBeCloseTo(15, 1);
    expect(hot.ax).toBe(healthy.ax);
  });

  it('is repeatable, and a fault leaves the signal before its onset untouched', () => {
    const scen = (faults: ScenarioInput['faults']) =>
      new ScenarioSignals(parseScenario({ ...base, durationS: 5, faults }));
    const a = scen([]);
    const b = scen([]);
    const c = scen([{ kind: 'imbalance', onsetS: 2, rampS: 1 }]);
    for (let i = 0; i < 3000; i++) {
      a.step();
      b.step();
      c.step();
      expect(b.board).toEqual(a.board);
      if (i < 2000) expect(c.board).toEqual(a.board);
    }
    expect(c.board).not.toEqual(a.board);
  });
});
