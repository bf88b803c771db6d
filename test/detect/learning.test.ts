// A machine whose normal scores sit above the shipped model's threshold (another motor than the one it was
// trained on) false-alarms with that threshold; learning the threshold on site from its own first windows,
// at a false-alarm rate, stops that and still alarms on a fault.
import { describe, expect, it } from 'vitest';
import { StreamDetector } from '../../src/detect/detector.js';
import { GatewayConfig } from '../../src/gateway/config.js';
import { Rng } from '../../src/sim/rng.js';

const scorer = { id: 'm', hash: 'h', kind: 'int8', threshold: 1 };

function run(learning: boolean) {
  const rng = new Rng(4);
  const d = new StreamDetector({
    board: 'pump',
    sensor: 'vib',
    scorer,
    ...(learning ? { learning: { seconds: 60, falseAlarmsPerDay: 1, minWindows: 100 } } : {}),
  });
  const verdicts: string[] = [];
  const alerts: number[] = [];
  // Windows every 0.5 s: 3 h of this machine's normal (scores 1.5-2.5, all above the shipped 1.0), then a fault.
  const normal = 3 * 3600 * 2;
  for (let w = 0; w < normal + 20; w++) {
    const score = w < normal ? 1.5 + rng.next() : 6;
    const r = d.scoredWindow({ start: w * 500, end: w * 500 + 1000 }, score);
    verdicts.push(r.verdict);
    if (r.alert?.kind === 'machine') alerts.push(w);
  }
  return { d, verdicts, alerts, normal };
}

describe('threshold learned on site', () => {
  it('the shipped threshold false-alarms on this machine; the learned one does not, and still catches the fault', () => {
    const shipped = run(false);
    expect(shipped.alerts.filter((w) => w < shipped.normal).length).toBeGreaterThan(0);

    const learned = run(true);
    expect(learned.verdicts.slice(0, 100).every((v) => v === 'learning')).toBe(true);
    const state = learned.d.learningState;
    expect(state.done).toBe(true);
    expect(state.windows).toBe(121); // 60 s at 2 windows/s, the first window included
    expect(state.threshold).toBeGreaterThan(2.4);
    expect(state.threshold).toBeLessThan(4);
    expect(learned.alerts.filter((w) => w < learned.normal)).toEqual([]);
    expect(learned.alerts.filter((w) => w >= learned.normal)).toHaveLength(1);
  });

  it('is configured per board as learn: { seconds, falseAlarmsPerDay }', () => {
    const c = GatewayConfig.parse({
      gateway: { id: 'g' },
      boards: [
        {
          id: 'pump',
          profile: 'virtual-host',
          virtual: { scenario: 'healthy' },
          sensors: [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }],
          learn: { seconds: 600 },
        },
      ],
    });
    expect(c.boards[0]!.learn).toEqual({ seconds: 600, falseAlarmsPerDay: 1, keepVersions: 5 });
    expect(() =>
      GatewayConfig.parse({
        gateway: { id: 'g' },
        boards: [{ ...c.boards[0], learn: { seconds: 0 } }],
      }),
    ).toThrow();
  });
});

describe('sensor checks per sensor', () => {
  it('a board may switch one sensor’s checks off by name; an unknown name is refused, naming the sensors', () => {
    const board = {
      id: 'pump',
      profile: 'virtual-host',
      virtual: { scenario: 'healthy' },
      sensors: [
        { type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] },
        { type: 'thermometer', controller: 'LM35', name: 'temp', pin: 'A3' },
      ],
    };
    const c = GatewayConfig.parse({
      gateway: { id: 'g' },
      boards: [{ ...board, sensorChecks: { temp: 'off' } }],
    });
    expect(c.boards[0]!.sensorChecks).toEqual({ temp: 'off' });
    expect(() =>
      GatewayConfig.parse({ gateway: { id: 'g' }, boards: [{ ...board, sensorChecks: { tmp: 'off' } }] }),
    ).toThrow(/no sensor named tmp on this board \(its sensors: vib, temp\)/);
  });
});
