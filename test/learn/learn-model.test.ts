// A machine's own model learned from its normal windows in the worker thread the gateway uses: it must
// stay quiet on a later stretch of the same machine's normal running, alarm on a fault, and refuse to go
// live (the gate) when the machine's normal moved while it was learning.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../src/boards/index.js';
import { Int8AutoencoderScorer, loadSidecar, windowRecording } from '../../src/detect/index.js';
import { learnInWorker } from '../../src/learn/learn-in-worker.js';
import { ModelVersions } from '../../src/learn/model-versions.js';
import { machineFamily, parseScenario, scenarioRecording } from '../../src/sim/index.js';

const SHIPPED = join(import.meta.dirname, '../../models/motor-vib');
const CHANNELS = ['vib.x', 'vib.y', 'vib.z'];
const SENSORS = [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }];
const { sidecar } = loadSidecar(SHIPPED);
const dir = mkdtempSync(join(tmpdir(), 'tg-learn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function windows(machine: number, seed: number, durationS: number, faults: unknown[] = []) {
  const m = machineFamily(4, 7)[machine]!.machine;
  const s = parseScenario({ name: `m${machine}`, seed, durationS, machine: m, sensors: SENSORS, faults });
  const rec = scenarioRecording(s, CHANNELS).recording;
  const set = windowRecording(rec, sidecar.features, sidecar.checks);
  return { features: set.features, severity: set.severity };
}

function input(features: Float32Array[], out: string) {
  return {
    board: 'pump-2',
    features,
    span: { start: 0, end: (features.length - 1) * 512 },
    pipeline: sidecar.features,
    checks: sidecar.checks,
    warmStart: SHIPPED,
    out,
    id: 'pump-2-v1',
    falseAlarmsPerDay: 1,
    debounce: { k: 3, n: 5 },
    profile: findBoard('virtual-host'),
    epochs: 60,
  };
}

describe('learning a machine its own model', () => {
  it('is quiet on a later stretch of the same machine and alarms on its bearing fault', async () => {
    const learnOn = windows(2, 11, 200);
    const versions = new ModelVersions(join(dir, 'pump-2'));
    const { dir: out } = versions.next();
    const progress: string[] = [];
    const learned = await learnInWorker(input(learnOn.features, out), (p) => progress.push(p.stage)).result;
    expect(progress).toContain('training');
    expect(progress).toContain('converting');
    expect(learned.warmStarted).toBe(true);
    expect(learned.windows.heldBack).toBeGreaterThanOrEqual(100);
    expect(learned.gate.passed).toBe(true);
    expect(learned.gate.expectedAlarmsPerDay).toBeLessThan(1);
    expect(versions.list().map((v) => v.version)).toEqual([1]);

    const scorer = await Int8AutoencoderScorer.open(out);
    try {
      const later = windows(2, 12, 300);
      const normalScores = scorer.scoreBatch(later.features);
      const above = normalScores.filter((s) => s > scorer.threshold).length;
      expect(above).toBeLessThanOrEqual(2);
      const fault = windows(2, 13, 120, [
        { kind: 'bearing-outer-race', onsetS: 30, rampS: 10, severity: 0.6 },
      ]);
      const faultScores = scorer.scoreBatch(fault.features.filter((_, i) => fault.severity[i]! >= 0.59));
      const caught = faultScores.filter((s) => s > scorer.threshold).length / faultScores.length;
      expect(caught).toBeGreaterThan(0.9);
    } finally {
      scorer.dispose();
    }
  }, 240_000);

  it('fails the gate when the machine changed while learning, and says so with the numbers', async () => {
    // The first 60 % from one machine, the held-back 40 % from another: a process change mid-learning.
    const a = windows(2, 21, 120).features;
    const b = windows(3, 22, 80).features;
    const versions = new ModelVersions(join(dir, 'changed'));
    const { dir: out } = versions.next();
    const learned = await learnInWorker(input([...a, ...b].slice(0, 380), out)).result;
    expect(learned.gate.passed).toBe(false);
    expect(learned.gate.expectedAlarmsPerDay).toBeGreaterThan(1);
    expect(learned.gate.reason).toMatch(/over the target 1/);
  }, 240_000);

  it('refuses too few windows with the counts it needs', async () => {
    const { features } = windows(2, 31, 40);
    await expect(learnInWorker(input(features, join(dir, 'few'))).result).rejects.toMatchObject({
      code: 'LEARN_TOO_FEW_WINDOWS',
      message: expect.stringMatching(
        /\d+ normal windows learned; a model needs 120 to fit and 100 held back/,
      ),
    });
  }, 60_000);
});
