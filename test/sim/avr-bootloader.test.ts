// The emulated Uno with the real Optiboot in its boot section, on a real pty, programmed by the real avrdude
// (-c arduino, as the Arduino IDE uploads): Optiboot writes the flash through the emulated SPM, avrdude
// reads it back to verify, and the board then runs what was written.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { boardInfo, openLink } from '../../src/link/index.js';
import { AvrBoard } from '../../src/sim/avr-board.js';
import { startAvrPty } from '../../src/sim/avr-pty.js';
import { ROOT } from '../helpers/cli.js';
import { buildOptiboot, optibootMissing, UNO_BOOT_START } from '../helpers/optiboot.js';

const missing = optibootMissing();
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** The hex's bytes as avr-objcopy reads them (not the emulator's own hex loader). */
function hexBytes(hex: string): Buffer {
  const bin = join(ROOT, 'firmware-bridge/build/avr/arduino-uno.expected.bin');
  execFileSync('avr-objcopy', ['-I', 'ihex', '-O', 'binary', hex, bin]);
  return readFileSync(bin);
}

describe.skipIf(missing)('an emulated Uno with Optiboot, programmed by avrdude over a pty', () => {
  const app = join(ROOT, 'firmware-bridge/build/avr/arduino-uno.hex');
  let optiboot = '';
  beforeAll(() => {
    execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), 'hex']);
    optiboot = buildOptiboot();
    // Optiboot must fit the Uno's 512-byte boot section: avr-objcopy's image ends at its version word.
    expect(readFileSync(optiboot, 'utf8')).toContain(':027FFE00');
  }, 120_000);

  it('takes the bridge through the bootloader, holds exactly the hex, and then runs it', async () => {
    const board = new AvrBoard({ bootloader: { hex: optiboot, startByte: UNO_BOOT_START }, realTime: true });
    cleanup.push(() => board.stop());
    const pty = await startAvrPty(board);
    cleanup.push(() => pty.stop());

    const { stderr } = await promisify(execFile)(
      'avrdude',
      ['-c', 'arduino', '-p', 'm328p', '-P', pty.path, '-b', '115200', '-D', '-U', `flash:w:${app}:i`],
      { timeout: 60_000 },
    );
    expect(stderr).toMatch(/device signature = 0x1e950f/);
    const written = Number(/(\d+) bytes of flash written/.exec(stderr)?.[1]);
    expect(stderr).toContain(`${written} bytes of flash verified`);
    const expected = hexBytes(app);
    expect(written).toBe(expected.length);
    // The emulator's flash, byte for byte, and erased past the program up to the bootloader.
    const flash = Buffer.from(board.flash.buffer);
    expect(flash.subarray(0, expected.length).equals(expected)).toBe(true);
    expect(flash.subarray(expected.length + 128, UNO_BOOT_START).every((b) => b === 0xff)).toBe(true);
    expect(board.spm?.counts).toMatchObject({ pageWrites: Math.ceil(expected.length / 128), refused: 0 });
    expect(pty.opens).toBe(1);

    // Opening the port resets the board into Optiboot, which hands over to the bridge.
    const link = await openLink({ path: pty.path });
    cleanup.push(() => link.close());
    expect(await boardInfo(link, { timeoutMs: 20_000 })).toMatchObject({ boardId: 'arduino-uno' });
    expect(pty.opens).toBe(2);
    expect(board.resets.external).toBe(2);
  }, 120_000);
});
