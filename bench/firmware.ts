// The firmware-bridge for the Uno, the Mega 2560 (with the runtime) and QEMU mps2-an385: flash and static
// RAM, split firmata+link / runtime, beside the board profiles' estimates, and the model slot the Uno
// build reports when it runs (in avr8js).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBoard } from '../src/boards/index.js';
import { boardInfo, openLink } from '../src/link/index.js';
import { AvrBoard } from '../src/sim/avr-board.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fw = join(root, 'firmware-bridge');
const sizes = execFileSync('make', ['-s', '-C', fw, 'size', 'hex'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as { board: string; flashBytes: number; ramBytes: number });
const board = new AvrBoard({ hex: join(fw, 'build/avr/arduino-uno.hex') });
const link = await openLink({ stream: board.transport, name: 'emulated uno' });
const info = await boardInfo(link);
board.stop();
const results = sizes.map((s) => {
  const p = findBoard(s.board);
  return {
    ...s,
    profileEstimate: {
      firmwareFlashBytes: p.reserved.firmwareFlashBytes,
      firmwareRamBytes: p.reserved.firmwareRamBytes,
    },
    withinEstimate:
      s.flashBytes <= p.reserved.firmwareFlashBytes && s.ramBytes <= p.reserved.firmwareRamBytes,
    profileModelFlashBytes: p.modelBudget.flashBytes,
  };
});
process.stdout.write(
  `${JSON.stringify({ compiler: execFileSync('avr-gcc', ['-dumpversion'], { encoding: 'utf8' }).trim(), boards: results, unoSlotBytesReported: info.slotBytes }, null, 2)}\n`,
);
process.exit(0);
