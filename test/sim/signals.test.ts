import { describe, expect, it } from 'vitest';
import { parseScenario, type ScenarioInput, ScenarioSignals } from '../../src/sim/index.js';

const healthy: ScenarioInput = {
  name: 't',
  seed: 5,
  durationS: 10,
  machine: { load: { start: 0.5, meanHoldS: 0 } },
};

function run(s: ScenarioInput, seconds: number) {
  const sig = new ScenarioSignals(parseScenario(s));
  const col = (name: string) => sig.columns.indexOf(name as never);
  const rows: { t: number; board: Float64Array; values: Float64Array; label: string }[] = [];
  for (let i = 0; i < seconds * 1000; i++) {
    sig.step();
    rows.push({
      t: sig.t,
      board: Float64Array.from(sig.board),
      values: Float64Array.from(sig.values),
      label: sig.sensorFault,
    });
  }
  return { sig, col, rows, ch: (n: string) => sig.channels.findIndex((c) => c.name === n) };
}

describe('sensors on the simulated machine', () => {
  it('puts the ADXL335 at zero-g = Vs/2 with 330 mV/g at 3.3 V, and the LM35 at 10 mV/°C', () => {
    const { rows, col, ch } = run(healthy, 2);
    const mean = (f: (r: (typeof rows)[number]) => number) =>
      rows.reduce((a, r) => a + f(r), 0) / rows.length;
    expect(mean((r) => r.board[col('A0')]!)).toBeCloseTo(1.65, 2);
    expect(mean((r) => r.board[col('A2')]!)).toBeCloseTo(1.65 + 0.33, 2); // z carries 1 g of gravity
    // LM35 volts × 100 is the housing temperature the gateway reads (within one ADC step, 0.49 °C)
    const temp = mean((r) => r.values[ch('temp')]!);
    expect(Math.abs(mean((r) => r.board[col('A3')]!) * 100 - temp)).toBeLessThan(0.5);
    expect(mean((r) => r.values[ch('vib.z')]!)).toBeCloseTo(1, 1);
    expect(mean((r) => r.values[ch('imu.z')]!)).toBeCloseTo(1, 1);
  });

  it('quantizes analog channels to the 10-bit ADC at 5 V as the board would', () => {
    const { rows, ch } = run(healthy, 1);
    const step = 5 / 1024 / 0.33; // g per count
    for (const r of rows.slice(0, 200)) {
      const counts = (r.values[ch('vib.x')]! * 0.33 + 1.65) / (5 / 1024);
      expect(Math.abs(counts - Math.round(counts))).toBeLessThan(1e-6);
    }
    expect(step).toBeCloseTo(0.0148, 4);
  });

  it('plays sensor faults on the board side, labelled, only while they last', () => {
    const s: ScenarioInput = {
      ...healthy,
      sensorFaults: [
        { kind: 'dropout', target: 'vib.x', onsetS: 0.5, durationS: 0.5 },
        { kind: 'stuck', target: 'vib.y', onsetS: 1.2, durationS: 0.5 },
        { kind: 'spikes', target: 'vib.z', onsetS: 2, durationS: 1, ratePerS: 50 },
      ],
    };
    const { rows, col } = run(s, 3.2);
    const during = (a: number, b: number) => rows.filter((r) => r.t >= a && r.t < b);
    expect(during(0.5, 1).every((r) => r.board[col('A0')] === 0 && r.label === 'dropout:vib.x')).toBe(true);
    expect(
      during(1, 1.2).every((r) => (r.board[col('A0')]! > 1 && r.label === 'none') || r.label === ''),
    ).toBe(true);
    const stuck = during(1.2, 1.7).map((r) => r.board[col('A1')]);
    expect(new Set(stuck).size).toBe(1);
    const z = during(2, 3).map((r) => r.board[col('A2')]!);
    const far = z.filter((v) => Math.abs(v - 1.98) > 0.9).length;
    expect(far).toBeGreaterThan(20);
    expect(far).toBeLessThan(90);
  });

  it('rejects a sensor fault aimed at no sensor, naming what exists', () => {
    expect(
      () =>
        new ScenarioSignals(
          parseScenario({
            ...healthy,
            sensorFaults: [{ kind: 'stuck', target: 'nope', onsetS: 0, durationS: 1 }],
          }),
        ),
    ).toThrow(/target "nope" is no sensor.*/);
  });
});
