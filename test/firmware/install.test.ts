// `tinygate firmware build` and `firmware install`, the Uno and Mega paths end to end: the CLI (a separate
// process) runs make and the real avrdude against an emulated board on a real pty whose boot section holds the
// real bootloader (Optiboot built from Debian's source, test/helpers/optiboot.ts; Debian's stk500v2 for the
// Mega); the board then runs what was installed.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import five from 'johnny-five';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/index.js';
import { FIRMWARE_TARGETS } from '../../src/firmware/index.js';
import { boardInfo, createBoard, type Link, openLink } from '../../src/link/index.js';
import { AvrBoard } from '../../src/sim/avr-board.js';
import { startAvrPty } from '../../src/sim/avr-pty.js';
import { ROOT, runCli } from '../helpers/cli.js';
import {
  buildOptiboot,
  DEBIAN_STK500V2_MEGA,
  MEGA_BOOT_START,
  optibootMissing,
  UNO_BOOT_START,
} from '../helpers/optiboot.js';
import { haveArduinoBuilder } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

const missing = optibootMissing();
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function analogA0(link: Link): Promise<number> {
  const board = await createBoard(link, { timeoutMs: 30_000 });
  const sensor = new (
    five as unknown as { Sensor: new (o: object) => NodeJS.EventEmitter & { value: number | null } }
  ).Sensor({ pin: 'A0', board });
  return new Promise((resolve) => sensor.on('data', () => sensor.value !== null && resolve(sensor.value)));
}

/** The bytes of an Intel hex image, as avr-objcopy (not tinygate) reads them. */
function imageOf(hex: string): Buffer {
  const bin = hex.replace(/\.hex$/, '.install-test.bin');
  execFileSync('avr-objcopy', ['-I', 'ihex', '-O', 'binary', hex, bin]);
  return readFileSync(bin);
}

describe('firmware targets', () => {
  it('name a way to build or install the bridge for every shipped board profile', () => {
    const ids = loadBoards().map((b) => b.id);
    expect(Object.keys(FIRMWARE_TARGETS).sort()).toEqual([...ids].sort());
  });

  it('refuse boards tinygate cannot install on with the steps to follow, and boards without a bridge outright', async () => {
    const pico = await runCli([
      'firmware',
      'install',
      '--board',
      'raspberry-pi-pico',
      '--port',
      '/dev/null',
      '--json',
    ]);
    expect(pico.code).toBe(1);
    const err = JSON.parse(pico.stdout).error;
    expect(err.code).toBe('FIRMWARE_INSTALL_MANUAL');
    const commands = err.details.plan.steps.map((s: { run: string[] | null }) => s.run?.join(' '));
    expect(commands).toContainEqual(
      expect.stringMatching(/^arduino-cli compile --fqbn rp2040:rp2040:rpipico /),
    );
    expect(commands).toContainEqual(
      expect.stringMatching(/TinygateBridge\.ino\.uf2 \/media\/\$USER\/RPI-RP2$/),
    );

    const nucleo = await runCli(['firmware', 'install', '--board', 'nucleo-f446re', '--dry-run']);
    expect(nucleo.code).toBe(0);
    expect(nucleo.stdout).toMatch(
      /^st-flash --reset write \S+\/build\/stm32f4\/nucleo-f446re\.bin 0x08000000$/m,
    );

    const edge = await runCli(['firmware', 'install', '--board', 'sparkfun-edge', '--dry-run']);
    expect(edge.code).toBe(1);
    expect(edge.stderr).toMatch(/there is no firmware-bridge for this board/);

    const library = await runCli([
      'firmware',
      'build',
      '--board',
      'nucleo-f446re',
      '--build',
      'arduino-library',
    ]);
    expect(library.code).toBe(1);
    expect(library.stderr).toMatch(
      /the Arduino library is not built here for this board \(it is for arduino-uno and arduino-mega2560\)/,
    );

    const teensy = await runCli(['firmware', 'build', '--board', 'teensy-4.1']);
    expect(teensy.code).toBe(1);
    expect(teensy.stderr).toMatch(/not built here: it builds from the Arduino library with arduino-cli/);
  }, 60_000);
});

describe.skipIf(missing)('tinygate firmware install on an emulated Uno with Optiboot', () => {
  let optiboot = '';
  beforeAll(() => {
    optiboot = buildOptiboot();
  }, 120_000);

  /** An emulated Uno whose flash holds only Optiboot, on a real pty, with `volts` on A0. */
  async function unoWithOptiboot(volts: number) {
    const board = new AvrBoard({
      bootloader: { hex: optiboot, startByte: UNO_BOOT_START },
      analogVolts: [volts],
      realTime: true,
    });
    cleanup.push(() => board.stop());
    const pty = await startAvrPty(board);
    cleanup.push(() => pty.stop());
    return { board, pty };
  }

  it('builds the bridge, writes it through the bootloader with avrdude, and the board then runs it', async () => {
    const { board, pty } = await unoWithOptiboot(2.5);

    const dry = await runCli([
      'firmware',
      'install',
      '--board',
      'arduino-uno',
      '--port',
      pty.path,
      '--dry-run',
    ]);
    expect(dry.stdout).toContain(`avrdude -c arduino -p atmega328p -P ${pty.path} -b 115200 -D -U flash:w:`);
    expect(pty.opens).toBe(0);

    const run = await runCli(
      ['firmware', 'install', '--board', 'arduino-uno', '--port', pty.path, '--json'],
      {
        timeoutMs: 120_000,
      },
    );
    expect(run.stderr).toBe('');
    const r = JSON.parse(run.stdout);
    expect(r.signature).toBe('0x1e950f');
    const hex = join(ROOT, 'firmware-bridge/build/avr/arduino-uno.hex');
    expect(r.build.image.path).toBe(hex);
    // The bytes avrdude wrote and read back are the image's, and the ELF's flash size that build reports.
    const image = imageOf(hex);
    expect(r.bytesWritten).toBe(image.length);
    expect(r.bytesVerified).toBe(image.length);
    expect(r.build.flashBytes).toBe(image.length);
    expect(Buffer.from(board.flash.buffer).subarray(0, image.length).equals(image)).toBe(true);

    const link = await openLink({ path: pty.path });
    cleanup.push(() => link.close());
    expect(await boardInfo(link, { timeoutMs: 20_000 })).toMatchObject({ boardId: 'arduino-uno' });
    expect(Math.abs((await analogA0(link)) - 512)).toBeLessThanOrEqual(2);
  }, 180_000);

  // The Arduino library's example sketch (arduino-builder with Debian's AVR core) through the same bootloader.
  it.skipIf(!haveArduinoBuilder)(
    'puts the Arduino library build on it with --build arduino-library, and the board then runs it',
    async () => {
      const { board, pty } = await unoWithOptiboot(1.25);
      const run = await runCli(
        [
          'firmware',
          'install',
          '--board',
          'arduino-uno',
          '--build',
          'arduino-library',
          '--port',
          pty.path,
          '--json',
        ],
        { timeoutMs: 150_000 },
      );
      expect(run.stderr).toBe('');
      const r = JSON.parse(run.stdout);
      expect(r.build.kind).toBe('arduino-library');
      const hex = join(ROOT, 'firmware-bridge/build/arduino/arduino-uno.hex');
      expect(r.build.image.path).toBe(hex);
      const image = imageOf(hex);
      expect(r.bytesVerified).toBe(image.length);
      expect(Buffer.from(board.flash.buffer).subarray(0, image.length).equals(image)).toBe(true);

      const link = await openLink({ path: pty.path });
      cleanup.push(() => link.close());
      expect(await boardInfo(link, { timeoutMs: 20_000 })).toMatchObject({ boardId: 'arduino-uno' });
      expect(Math.abs((await analogA0(link)) - 256)).toBeLessThanOrEqual(2);
    },
    240_000,
  );

  it('says when the port does not exist', async () => {
    const r = await runCli([
      'firmware',
      'install',
      '--board',
      'arduino-uno',
      '--port',
      '/dev/tinygate-no-such-port',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/dev\/tinygate-no-such-port: no such serial port/);
  });
});

describe.skipIf(missing || !existsSync(DEBIAN_STK500V2_MEGA))(
  'tinygate firmware install on an emulated Mega 2560 with its stk500v2 bootloader',
  () => {
    it('writes the bridge with avrdude -c wiring, verified, and the board then runs it', async () => {
      const board = new AvrBoard({
        mcu: 'atmega2560',
        bootloader: { hex: DEBIAN_STK500V2_MEGA, startByte: MEGA_BOOT_START },
        realTime: true,
      });
      cleanup.push(() => board.stop());
      const pty = await startAvrPty(board);
      cleanup.push(() => pty.stop());

      const run = await runCli(
        ['firmware', 'install', '--board', 'arduino-mega2560', '--port', pty.path, '--json'],
        {
          timeoutMs: 150_000,
        },
      );
      expect(run.stderr).toBe('');
      const r = JSON.parse(run.stdout);
      expect(r.signature).toBe('0x1e9801');
      const hex = join(ROOT, 'firmware-bridge/build/avr/arduino-mega2560.hex');
      const image = imageOf(hex);
      expect(r.bytesWritten).toBe(image.length);
      expect(r.bytesVerified).toBe(image.length);
      expect(Buffer.from(board.flash.buffer).subarray(0, image.length).equals(image)).toBe(true);

      // Opening the port resets the Mega into its bootloader, which stays while bytes keep arriving (as on a
      // real Mega) and starts the program after a few quiet seconds: wait for that before asking.
      const link = await openLink({ path: pty.path });
      cleanup.push(() => link.close());
      await waitFor('the reset the open causes', () => board.resets.external === 2);
      await waitFor('the bootloader to start the bridge', () => board.cpu.pc * 2 < MEGA_BOOT_START, 30_000);
      expect(await boardInfo(link, { timeoutMs: 20_000 })).toMatchObject({ boardId: 'arduino-mega2560' });
    }, 240_000);
  },
);
