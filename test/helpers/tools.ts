// Which outside tools this machine has, for tests that skip (with a message) where one is missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The command runs (`<cmd> --version`, or the given arguments) and exits 0. */
export function has(cmd: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Debian's arduino-builder and its AVR core (arduino-core-avr), which build the Arduino library. */
export const haveArduinoBuilder =
  has('arduino-builder', ['-version']) && existsSync('/usr/share/arduino/hardware/arduino/avr/platform.txt');
