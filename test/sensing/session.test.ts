import { afterEach, describe, expect, it } from 'vitest';
import {
  BoardSession,
  type BoardState,
  channelsOf,
  SensorSpec,
  type SensorSpecInput,
} from '../../src/sensing/index.js';
import { parseScenario, VirtualFirmataBoard } from '../../src/sim/index.js';

const sensors: SensorSpecInput[] = [
  { type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] },
  { type: 'thermometer', controller: 'LM35', name: 'temp', pin: 'A3' },
  { type: 'accelerometer', controller: 'MPU6050', name: 'imu' },
  { type: 'thermometer', controller: 'MPU6050', name: 'imu_temp' },
];
const scenario = parseScenario({ name: 't', seed: 9, durationS: 60, sensors });
const sessions: BoardSession[] = [];

afterEach(async () => {
  await Promise.all(sessions.map((s) => s.stop()));
  sessions.length = 0;
});

function open(rate: number, extra: Partial<{ staleAfterMs: number; lostAfterMs: number }> = {}) {
  const boards: VirtualFirmataBoard[] = [];
  const sums = new Float64Array(8);
  const states: BoardState[] = [];
  const s = new BoardSession({
    config: { id: 'motor-1', samplingRateHz: rate, sensors, ...extra },
    openTransport: () => {
      const b = new VirtualFirmataBoard({ scenario });
      boards.push(b);
      return b.transport;
    },
    onSample: (c, v) => {
      sums[c]! += v;
    },
    reconnect: { initialMs: 100 },
  });
  s.on('state', (c) => states.push(c.state));
  sessions.push(s);
  s.start();
  return { s, boards, sums, states };
}

describe('board session: johnny-five over the in-memory Firmata board', () => {
  it('completes the Firmata handshake and streams every channel at the board rate', async () => {
    const { s, sums } = open(500);
    await s.waitFor('streaming');
    const c0 = Array.from(s.counts);
    await new Promise((r) => setTimeout(r, 1000));
    const got = Array.from(s.counts, (c, i) => c - c0[i]!);
    for (const g of got) {
      expect(g).toBeGreaterThan(430);
      expect(g).toBeLessThan(570);
    }
    expect(s.firmware).toBe('tinygate-virtual');
    const mean = (name: string) =>
      sums[s.channels.findIndex((c) => c.name === name)]! /
      s.counts[s.channels.findIndex((c) => c.name === name)]!;
    expect(mean('vib.z')).toBeCloseTo(1, 1); // ADXL335 through analog pins: 1 g of gravity on z
    expect(mean('imu.z')).toBeCloseTo(1, 1); // MPU6050 through I2C continuous reads
    expect(mean('temp')).toBeGreaterThan(20);
    expect(mean('temp')).toBeLessThan(50);
    expect(mean('imu_temp') - mean('temp')).toBeGreaterThan(2);
  });

  it('goes stale when the board stops talking, then lost, and reconnects on its own', async () => {
    const { s, boards, states } = open(200, { staleAfterMs: 400, lostAfterMs: 1200 });
    await s.waitFor('streaming');
    boards[0]!.hang();
    await s.waitFor('stale', 3000);
    await s.waitFor('lost', 2000);
    await s.waitFor('streaming', 5000);
    expect(states).toEqual(['connecting', 'streaming', 'stale', 'lost', 'connecting', 'streaming']);
    expect(boards).toHaveLength(2);
    expect(s.reconnects).toBe(1);
  });

  it('treats an unplugged board as lost and comes back when it is there again', async () => {
    const { s, boards } = open(200);
    await s.waitFor('streaming');
    boards[0]!.unplug();
    await s.waitFor('lost', 2000);
    await s.waitFor('streaming', 5000);
    expect(boards).toHaveLength(2);
  });

  it('rejects a bad sensor spec with the field named', () => {
    expect(
      () =>
        new BoardSession({
          config: {
            id: 'm',
            sensors: [{ type: 'thermometer', controller: 'LM35', name: 'temp', pin: 'D7' }],
          },
          openTransport: () => {
            throw new Error('unused');
          },
        }),
    ).toThrow(/board config: sensors\.0/);
  });
});

describe('sensor conversions', () => {
  const adc = { vref: 5, bits: 10 };
  it('follow the datasheets: LM35 10 mV/°C, TMP36 500 mV offset, ADXL335 ratiometric, MPU6050 16384 LSB/g', () => {
    const [lm35] = channelsOf(
      SensorSpec.parse({ type: 'thermometer', controller: 'LM35', name: 't', pin: 'A0' }),
      adc,
    );
    const [tmp36] = channelsOf(
      SensorSpec.parse({ type: 'thermometer', controller: 'TMP36', name: 't', pin: 'A0' }),
      adc,
    );
    const adxl = channelsOf(
      SensorSpec.parse({
        type: 'accelerometer',
        controller: 'ADXL335',
        name: 'a',
        pins: ['A0', 'A1', 'A2'],
        supplyV: 3,
      }),
      adc,
    );
    const mpu = channelsOf(
      SensorSpec.parse({ type: 'accelerometer', controller: 'MPU6050', name: 'm' }),
      adc,
    );
    const mpuT = channelsOf(
      SensorSpec.parse({ type: 'thermometer', controller: 'MPU6050', name: 'mt' }),
      adc,
    );
    expect(lm35!.fromRaw(0.25 / (5 / 1024))).toBeCloseTo(25, 6);
    expect(tmp36!.fromRaw(0.75 / (5 / 1024))).toBeCloseTo(25, 6);
    expect(adxl[0]!.fromRaw(1.5 / (5 / 1024))).toBeCloseTo(0, 6); // zero-g at Vs/2
    expect(adxl[2]!.fromRaw(1.8 / (5 / 1024))).toBeCloseTo(1, 6); // 300 mV/g at Vs = 3 V
    expect(mpu[1]!.fromRaw(-16384)).toBe(-1);
    expect(mpuT[0]!.fromRaw(0)).toBeCloseTo(36.53, 6);
    expect(lm35!.plausible).toEqual([2, 150]);
  });
});
