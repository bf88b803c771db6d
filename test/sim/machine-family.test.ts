// The machine family the hard detection bench (and the field bench) judge models on: the same seed gives the
// same machines, and the machines really differ in what a model sees (speed, noise, resonance).
import { describe, expect, it } from 'vitest';
import { machineFamily } from '../../src/sim/machine-family.js';

describe('machineFamily', () => {
  it('is repeatable, starts with the default motor, and varies speed, mount and noise within range', () => {
    const a = machineFamily(8, 7);
    expect(machineFamily(8, 7)).toEqual(a);
    expect(a).toHaveLength(8);
    expect(a[0]!.machine.syncHz).toBe(30);
    const others = a.slice(1);
    for (const m of others) {
      expect(m.machine.syncHz).toBeGreaterThanOrEqual(24);
      expect(m.machine.syncHz).toBeLessThanOrEqual(30);
      expect(m.machine.resonanceHz).toBeGreaterThanOrEqual(300);
      expect(m.machine.resonanceHz).toBeLessThan(500);
      expect(m.machine.load.min).toBeLessThan(m.machine.load.max);
    }
    const distinct = (f: (m: (typeof a)[number]) => number) =>
      new Set(others.map((m) => f(m).toPrecision(6))).size;
    expect(distinct((m) => m.machine.syncHz)).toBe(7);
    expect(distinct((m) => m.machine.noiseG)).toBe(7);
    expect(distinct((m) => m.machine.resonanceHz)).toBe(7);
    expect(machineFamily(8, 8)[1]!.machine.syncHz).not.toBe(a[1]!.machine.syncHz);
  });
});
