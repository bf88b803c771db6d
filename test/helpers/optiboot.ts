// The real Optiboot for the Uno, built from the source Debian's arduino-core-avr ships. Debian's prebuilt
// optiboot_atmega328.hex is 532 bytes (its own build with avr-gcc 5.4): past the 512-byte boot section, up
// to 0x8013 on a 32 KB part, so no Uno could hold it. The same source and Makefile with six more
// size flags give 500 bytes, which fit; that is the build used here.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const DEBIAN_OPTIBOOT = '/usr/share/arduino/hardware/arduino/avr/bootloaders/optiboot';
/** The Mega 2560's bootloader as Debian ships it (8 KB, fits its boot section). */
export const DEBIAN_STK500V2_MEGA =
  '/usr/share/arduino/hardware/arduino/avr/bootloaders/stk500v2/stk500boot_v2_mega2560.hex';
/** The boot section BOOTSZ=00 selects on the Mega (high fuse 0xD8): 4096 words at 0x3E000. */
export const MEGA_BOOT_START = 0x3e000;
/** The boot section BOOTSZ=11 selects on the Uno (high fuse 0xDE): 256 words at 0x7E00. */
export const UNO_BOOT_START = 0x7e00;

const OPTIMIZE = [
  '-Os -fno-inline-small-functions -fno-split-wide-types -mshort-calls', // the Makefile's own
  '-mrelax -fno-tree-scev-cprop -fno-caller-saves -fno-jump-tables -fno-move-loop-invariants -fno-ipa-cp',
].join(' ');

/** Why Optiboot cannot be built here, or null. */
export function optibootMissing(): string | null {
  if (!existsSync(join(DEBIAN_OPTIBOOT, 'optiboot.c')))
    return `no Optiboot source at ${DEBIAN_OPTIBOOT} (apt install arduino-core-avr)`;
  try {
    execFileSync('avr-gcc', ['--version']);
    execFileSync('avrdude', ['-?'], { stdio: 'ignore' });
  } catch {
    return 'avr-gcc or avrdude is not installed';
  }
  return null;
}

/** Build Optiboot for the ATmega328P at 16 MHz, 115200 baud (its `atmega328` target); returns the hex. */
export function buildOptiboot(): string {
  const dir = join(ROOT, 'firmware-bridge/build/optiboot');
  const hex = join(dir, 'optiboot_atmega328.hex');
  if (existsSync(hex)) return hex;
  const work = `${dir}.${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(DEBIAN_OPTIBOOT, work, { recursive: true });
  rmSync(join(work, 'optiboot_atmega328.hex'));
  execFileSync('make', ['-s', '-C', work, 'atmega328', `OPTIMIZE=${OPTIMIZE}`], { stdio: 'pipe' });
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another test file built it meanwhile
  }
  return hex;
}
