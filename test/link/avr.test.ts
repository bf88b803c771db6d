// Boards emulated in-process (avr8js, ATmega328P at 16 MHz): a stock StandardFirmata build, which
// johnny-five reads and tinygate recognises as "no bridge", and our own firmware-bridge built with
// avr-gcc for the Uno, which answers board info and takes a model into its EEPROM store.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import five from 'johnny-five';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  activeSlot,
  boardInfo,
  crc32,
  createBoard,
  flashModel,
  type Link,
  modelInfo,
  openLink,
} from '../../src/link/index.js';
import { AvrBoard } from '../../src/sim/index.js';
import { ROOT } from '../helpers/cli.js';

const STANDARD_FIRMATA = join(
  dirname(createRequire(import.meta.url).resolve('avrgirl-arduino/package.json')),
  'junk/hex/uno/StandardFirmata.cpp.hex',
);
const haveAvrGcc = (() => {
  try {
    execFileSync('avr-gcc', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function emulated(hex: string, analogVolts: number[]): Promise<Link> {
  const board = new AvrBoard({ hex, analogVolts });
  const link = await openLink({ stream: board.transport, name: 'emulated uno' });
  cleanup.push(() => board.stop());
  return link;
}

async function analogA0(link: Link): Promise<number> {
  const board = await createBoard(link, { timeoutMs: 30_000 });
  const sensor = new (
    five as unknown as { Sensor: new (o: object) => NodeJS.EventEmitter & { value: number | null } }
  ).Sensor({ pin: 'A0', board });
  return new Promise((resolve) => sensor.on('data', () => sensor.value !== null && resolve(sensor.value)));
}

describe('StandardFirmata under an AVR emulator', () => {
  it('johnny-five reads A0, and board info says it is StandardFirmata without a tinygate bridge', async () => {
    const link = await emulated(STANDARD_FIRMATA, [1.25]);
    await expect(boardInfo(link)).rejects.toThrow(/StandardFirmata.*no tinygate bridge/);
    const counts = await analogA0(link);
    expect(counts).toBeGreaterThanOrEqual(254);
    expect(counts).toBeLessThanOrEqual(258);
  }, 60_000);
});

describe.skipIf(!haveAvrGcc)('the firmware-bridge built for the Uno, under the same emulator', () => {
  const hex = join(ROOT, 'firmware-bridge/build/avr/arduino-uno.hex');
  beforeAll(() => {
    execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), 'hex']);
    expect(existsSync(hex)).toBe(true);
  }, 120_000);

  it('answers board info as an Uno and stores a model in its EEPROM slots', async () => {
    const link = await emulated(hex, [2.5]);
    const info = await boardInfo(link);
    expect(info).toMatchObject({ boardId: 'arduino-uno', rxBufferBytes: 64, slotCount: 2 });
    expect(info.slotBytes).toBeGreaterThan(300);
    const model = randomBytes(info.slotBytes - 20);
    const r = await flashModel(link, model);
    expect(r.crc32).toBe(crc32(model));
    expect(activeSlot(await modelInfo(link))).toMatchObject({ length: model.length, crc32: crc32(model) });
    const counts = await analogA0(link);
    expect(Math.abs(counts - 512)).toBeLessThanOrEqual(2);
  }, 120_000);
});
