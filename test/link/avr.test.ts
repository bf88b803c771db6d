// Boards emulated in-process (avr8js at 16 MHz): a stock StandardFirmata build, which johnny-five reads
// and tinygate recognises as "no bridge"; our firmware-bridge for the Uno, which answers board info and
// takes a model into its EEPROM store; and the Mega 2560 build, whose int8 runtime runs a small model from
// its EEPROM. The bridge is tested as two builds of the same sources: the bare-register HAL (avr-gcc,
// `make hex`) and the Arduino library on the Arduino core API (arduino-builder, `make arduino`).
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
  runOnBoard,
  runtimeStatus,
} from '../../src/link/index.js';
import { AvrBoard } from '../../src/sim/avr-board.js';
import { readTflite } from '../../src/tflite/index.js';
import { ROOT } from '../helpers/cli.js';
import { Int8Graph } from '../helpers/int8-graph.js';
import { referenceInt8 } from '../helpers/tflite-reference.js';
import { haveArduinoBuilder } from '../helpers/tools.js';
import { rng } from '../tflite/reference.js';

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

/** The two builds of the bridge for the AVR boards, each tested alike. */
const BUILDS = [
  { name: 'bare-register HAL', available: haveAvrGcc, make: 'hex', dir: 'firmware-bridge/build/avr' },
  {
    name: 'Arduino library',
    available: haveArduinoBuilder,
    make: 'arduino',
    dir: 'firmware-bridge/build/arduino',
  },
];

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

for (const build of BUILDS)
  describe.skipIf(!build.available)(
    `the firmware-bridge built for the Uno (${build.name}), under the same emulator`,
    () => {
      const hex = join(ROOT, build.dir, 'arduino-uno.hex');
      beforeAll(() => {
        execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), build.make], { stdio: 'ignore' });
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
        expect(activeSlot(await modelInfo(link))).toMatchObject({
          length: model.length,
          crc32: crc32(model),
        });
        const counts = await analogA0(link);
        expect(Math.abs(counts - 512)).toBeLessThanOrEqual(2);
      }, 120_000);
    },
  );

/** Analog A0 reports and sample marks off the raw wire, read apart from the gateway's own parsers. */
function wireSamples(stream: NodeJS.EventEmitter): { slot: number | null; value: number }[] {
  const out: { slot: number | null; value: number }[] = [];
  let slot: number | null = null;
  let sysex: number[] | null = null;
  let analog: number[] | null = null;
  stream.on('data', (chunk: Buffer) => {
    for (const b of chunk) {
      if (sysex) {
        if (b === 0xf7) {
          if (sysex[0] === 0x0c && sysex.length === 4)
            slot = sysex[1]! | (sysex[2]! << 7) | (sysex[3]! << 14);
          sysex = null;
        } else sysex.push(b);
      } else if (b === 0xf0) sysex = [];
      else if (b === 0xe0) analog = [];
      else if (b & 0x80) analog = null;
      else if (analog) {
        analog.push(b);
        if (analog.length === 2) {
          out.push({ slot, value: analog[0]! | (analog[1]! << 7) });
          analog = null;
        }
      }
    }
  });
  return out;
}

for (const build of BUILDS)
  describe.skipIf(!build.available)(`sampling on the Uno build (${build.name}), under the emulator`, () => {
    const hex = join(ROOT, build.dir, 'arduino-uno.hex');
    beforeAll(() => {
      execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), build.make], { stdio: 'ignore' });
    }, 120_000);

    it('takes every sample on the timer while the loop is busy writing the EEPROM, and numbers the lost ones', async () => {
      // A0 ramps 0-5 V every 2 s of emulated time: 0.5115 counts a millisecond, 2.05 counts a 4 ms slot.
      const board = new AvrBoard({ hex, analogAt: (c, t) => (c === 0 ? 5 * ((t % 2) / 2) : 0) });
      cleanup.push(() => board.stop());
      const samples = wireSamples(board.transport);
      const link = await openLink({ stream: board.transport, name: 'emulated uno' });
      const info = await boardInfo(link);
      board.transport.write(Buffer.from([0xf0, 0x7a, 4, 0, 0xf7, 0xc0, 1])); // every 4 ms; report A0
      await new Promise((r) => setTimeout(r, 300));
      // Erasing and writing the slot keeps the loop in EEPROM writes (3.6 ms a byte) for seconds.
      await flashModel(link, randomBytes(info.slotBytes - 20));
      await new Promise((r) => setTimeout(r, 300));

      const marked = samples.filter((s) => s.slot !== null);
      expect(marked.length).toBeGreaterThan(200);
      let lost = 0;
      let pairs = 0;
      for (let i = 1; i < marked.length; i++) {
        const a = marked[i - 1]!;
        const b = marked[i]!;
        const slots = b.slot! - a.slot!;
        if (slots <= 0) continue; // the unmarked answer to "report A0" shares its slot
        lost += slots - 1;
        // Each value is the ramp at its slot's time, however late the loop sent it.
        const rise = (((b.value - a.value) % 1023) + 1023) % 1023;
        expect(Math.abs(rise - slots * 2.046), `slots ${a.slot}..${b.slot}`).toBeLessThanOrEqual(2.5);
        pairs++;
      }
      expect(pairs).toBeGreaterThan(200);
      // The loop was held longer than the 12-slot ring: slots were lost, and the marks say exactly how many.
      expect(lost).toBeGreaterThan(0);
    }, 120_000);
  });

for (const build of BUILDS)
  describe.skipIf(!build.available)(
    `the firmware-bridge with the int8 runtime built for the Mega 2560 (${build.name}), emulated`,
    () => {
      const hex = join(ROOT, build.dir, 'arduino-mega2560.hex');
      beforeAll(() => {
        execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), build.make], { stdio: 'ignore' });
        expect(existsSync(hex)).toBe(true);
      }, 120_000);

      it('runs a small dense model from its EEPROM, equal to the reference kernels', async () => {
        const board = new AvrBoard({ hex, mcu: 'atmega2560', analogVolts: [2.5] });
        cleanup.push(() => board.stop());
        const link = await openLink({ stream: board.transport, name: 'emulated mega' });
        const info = await boardInfo(link);
        expect(info).toMatchObject({ boardId: 'arduino-mega2560', features: { runtime: true } });
        // A 16-12-16 dense net with a ReLU: small enough for a 1,980-byte EEPROM slot.
        const g = new Int8Graph();
        const next = rng(51);
        const fc = (units: number, depth: number) => ({
          w: g.tensor(
            [units, depth],
            0.02,
            0,
            Int8Array.from({ length: units * depth }, () => Math.round((next() - 0.5) * 200)),
          ),
          b: g.tensor(
            [units],
            0,
            0,
            Int32Array.from({ length: units }, () => Math.round((next() - 0.5) * 4000)),
          ),
        });
        const options = (act: 'NONE' | 'RELU') =>
          ({
            type: 'FullyConnectedOptions',
            fusedActivation: act,
            weightsFormat: 0,
            keepNumDims: false,
            asymmetricQuantizeInputs: false,
            quantizedBiasType: 'float32',
          }) as never;
        const x = g.tensor([1, 16], 0.05, -3);
        const l1 = fc(12, 16);
        const h = g.op(9, 4, [x, l1.w, l1.b], g.tensor([1, 12], 0.04, -128), options('RELU'));
        const l2 = fc(16, 12);
        const y = g.op(9, 4, [h, l2.w, l2.b], g.tensor([1, 16], 0.07, 4), options('NONE'));
        const model = g.build(x, y);
        expect(model.length).toBeLessThanOrEqual(info.slotBytes);
        await flashModel(link, model);
        const status = await runtimeStatus(link);
        expect(status, status.error ?? '').toMatchObject({ state: 'ready', inputBytes: 16, outputBytes: 16 });
        const parsed = readTflite(model);
        for (let k = 0; k < 5; k++) {
          const input = Int8Array.from({ length: 16 }, () => Math.round((next() - 0.5) * 250));
          const got = await runOnBoard(link, new Uint8Array(input.buffer));
          expect(Array.from(new Int8Array(got.output.buffer, got.output.byteOffset, 16))).toEqual(
            Array.from(referenceInt8(parsed, input)),
          );
          expect(got.micros).toBeGreaterThan(0); // ~400 MACs on an 8-bit core at 16 MHz take a while
        }
      }, 180_000);
    },
  );
