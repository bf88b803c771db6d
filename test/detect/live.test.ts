import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FloatAutoencoderScorer } from '../../src/detect/float-scorer.js';
import { type Alert, type LiveDecision, LiveDetection } from '../../src/detect/index.js';
import { trainModel } from '../../src/detect/train.js';
import { BoardSession, type SensorSpecInput, StreamWindower } from '../../src/sensing/index.js';
import {
  parseScenario,
  type ScenarioInput,
  scenarioRecording,
  VirtualFirmataBoard,
} from '../../src/sim/index.js';

const sensors: SensorSpecInput[] = [
  { type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] },
];
const channels = ['vib.x', 'vib.y', 'vib.z'];
let scorer: FloatAutoencoderScorer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-live-'));
  const healthy = parseScenario({ name: 'healthy', seed: 3, durationS: 150, sensors });
  await trainModel({
    data: scenarioRecording(healthy, channels),
    out: join(dir, 'm'),
    id: 'live-test',
    window: 256,
    epochs: 60,
  });
  scorer = await FloatAutoencoderScorer.fromDir(join(dir, 'm'));
}, 60_000);

afterAll(() => scorer?.dispose());

/** A machine on the in-memory board, read through johnny-five, windows scored live until `until` says stop. */
async function watch(
  s: Omit<ScenarioInput, 'sensors' | 'name'>,
  until: (alerts: Alert[]) => boolean,
  timeoutMs: number,
) {
  const scenario = parseScenario({ name: 'live', sensors, ...s });
  const alerts: Alert[] = [];
  const decisions: LiveDecision[] = [];
  const sc = scorer.loaded.sidecar;
  const live = new LiveDetection({
    scorer,
    pipeline: sc.features,
    checks: sc.checks,
    onAlert: (a) => alerts.push(a),
    onDecision: (d) => decisions.push(d),
  });
  const windower = new StreamWindower(sc.features, channels);
  const session = new BoardSession({
    config: { id: 'motor-7', samplingRateHz: 1000, sensors },
    openTransport: () => new VirtualFirmataBoard({ scenario }).transport,
    onSample: (ch, v, ts) => {
      const w = windower.push(ch, v, ts);
      if (w) live.submit('motor-7', 'vib', w);
    },
  });
  session.start();
  const t0 = Date.now();
  try {
    while (!until(alerts) && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await session.stop();
    await live.drain();
  }
  return { alerts, live, decisions };
}

describe('live detection: johnny-five → windows → features → float autoencoder → alert', () => {
  it('raises a machine alert when a bearing fault appears, with everything the publisher needs', async () => {
    const started = Date.now();
    const { alerts } = await watch(
      {
        seed: 17,
        durationS: 60,
        faults: [{ kind: 'bearing-outer-race', onsetS: 3, rampS: 0, severity: 'moderate' }],
      },
      (a) => a.some((x) => x.kind === 'machine'),
      15_000,
    );
    const a = alerts.find((x) => x.kind === 'machine');
    expect(a, JSON.stringify(alerts)).toBeDefined();
    expect(a!.board).toBe('motor-7');
    expect(a!.sensor).toBe('vib');
    expect(a!.model).toEqual({ id: 'live-test', hash: scorer.hash });
    expect(a!.score).toBeGreaterThan(a!.threshold);
    expect(a!.window.end - a!.window.start).toBeGreaterThan(200); // 256 samples at 1 kHz, gateway time
    expect(a!.window.start).toBeGreaterThan(started);
    expect(a!.ts).toBeGreaterThanOrEqual(a!.window.end);
    expect(alerts.filter((x) => x.kind === 'sensor')).toEqual([]);
  }, 30_000);

  it('reports a stuck sensor as a sensor problem, not as a machine anomaly', async () => {
    const { alerts, live, decisions } = await watch(
      {
        seed: 18,
        durationS: 60,
        sensorFaults: [{ kind: 'stuck', target: 'vib.y', onsetS: 2, durationS: 30 }],
      },
      () => false, // watch the whole time: a machine alert must not follow either
      7_000,
    );
    expect(alerts.map((a) => a.kind)).toEqual(['sensor']);
    expect(alerts[0]!.model).toBeNull();
    expect(alerts[0]!.message).toMatch(/vib\.y is frozen/);
    expect(live.flagged).toBeGreaterThan(0);
    // Every flagged window names the channel that failed its check (what marks a sensor's readings bad).
    const flagged = decisions.filter((d) => d.verdict === 'sensor');
    expect(flagged.length).toBe(live.flagged);
    expect(new Set(flagged.map((d) => d.faultyChannel))).toEqual(new Set(['vib.y']));
    expect(decisions.filter((d) => d.verdict !== 'sensor').every((d) => d.faultyChannel === null)).toBe(true);
  }, 30_000);
});
