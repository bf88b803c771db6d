// johnny-five, unchanged, against the host firmware over a pty: Sensor, Thermometer and
// Accelerometer (analog and MPU6050 over I2C) read the values the scenario file drives.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import five from 'johnny-five';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildHostFirmware,
  createBoard,
  type HostBoard,
  type Link,
  openLink,
  startHostBoard,
} from '../../src/link/index.js';

// Constant signals, so every reading has one right answer.
const SCENARIO = {
  A0: 1.25, // volts: 1.25 / 5 × 1023 ≈ 256 counts
  A1: 0.25, // an LM35 at 25 °C (10 mV/°C)
  A2: 1.65, // ADXL335 x and y at 0 g (supply/2 at 3.3 V)
  A3: 1.65,
  A4: 1.98, // 0.33 V above: +1 g at the ADXL335's 330 mV/g
  'mpu6050.ax': 0.5,
  'mpu6050.ay': -0.25,
  'mpu6050.az': 1.0,
  'mpu6050.temp': 31.5,
};

/** johnny-five components as these tests use them (its typings lag its API: `board`, MPU6050 pins). */
type Component = NodeJS.EventEmitter & Record<string, number>;
const component = (cls: 'Sensor' | 'Thermometer' | 'Accelerometer', options: object): Component =>
  new (five as unknown as Record<string, new (o: object) => Component>)[cls]!(options);

/** The first reading that is there: johnny-five may fire `data` before a component has a value. */
function reading<T>(emitter: Component, pick: () => T): Promise<T> {
  return new Promise((resolve) => {
    const f = () => {
      const v = pick();
      const values = Array.isArray(v) ? v : [v];
      if (values.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        emitter.removeListener('data', f);
        resolve(v);
      }
    };
    emitter.on('data', f);
  });
}

describe('johnny-five over the host firmware', () => {
  let hb: HostBoard;
  let link: Link;
  let board: five.Board;
  beforeAll(async () => {
    await buildHostFirmware();
    const dir = mkdtempSync(join(tmpdir(), 'tg-j5-'));
    const scenario = join(dir, 'constant.csv');
    const cols = Object.keys(SCENARIO);
    writeFileSync(
      scenario,
      `t,${cols.join(',')}\n0,${Object.values(SCENARIO).join(',')}\n1,${Object.values(SCENARIO).join(',')}\n`,
    );
    hb = await startHostBoard({ scenario });
    link = await openLink({ path: hb.path });
    board = await createBoard(link, { samplingInterval: 20 });
  }, 60_000);
  afterAll(async () => {
    await link?.close();
    await hb?.stop();
  });

  it('reads an analog Sensor and an LM35 Thermometer', async () => {
    const sensor = component('Sensor', { pin: 'A0', board });
    const counts = await reading(sensor, () => sensor.value);
    expect(counts).toBeGreaterThanOrEqual(254);
    expect(counts).toBeLessThanOrEqual(258);
    const thermometer = component('Thermometer', { controller: 'LM35', pin: 'A1', board });
    const celsius = await reading(thermometer, () => thermometer.celsius);
    expect(celsius).toBeGreaterThan(24);
    expect(celsius).toBeLessThan(26);
  });

  it('reads an MPU6050 accelerometer and its thermometer over I2C', async () => {
    const accel = component('Accelerometer', { controller: 'MPU6050', board });
    const [x, y, z] = await reading(accel, () => [accel.x, accel.y, accel.z]);
    expect(x).toBeCloseTo(0.5, 1);
    expect(y).toBeCloseTo(-0.25, 1);
    expect(z).toBeCloseTo(1.0, 1);
    const t = component('Thermometer', { controller: 'MPU6050', board });
    const celsius = await reading(t, () => t.celsius);
    expect(celsius).toBeGreaterThan(30.5);
    expect(celsius).toBeLessThan(32.5);
  });

  it('reads an ADXL335 analog accelerometer: axes 0.33 V apart read 1 g apart', async () => {
    const accel = component('Accelerometer', { controller: 'ADXL335', pins: ['A2', 'A3', 'A4'], board });
    await reading(accel, () => [accel.x, accel.y, accel.z]);
    // Each axis is its own analog report: let every pin have spoken at least once.
    await new Promise((r) => setTimeout(r, 300));
    const [x, y, z] = [accel.x, accel.y, accel.z] as [number, number, number];
    expect(y).toBeCloseTo(x, 2);
    expect(z - x).toBeGreaterThan(0.9);
    expect(z - x).toBeLessThan(1.1);
  });
});
