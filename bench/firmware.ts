// The firmware-bridge for every target built here (Uno, Mega 2560 with the runtime, QEMU mps2-an385 and
// mps2-an386, the STM32F4 builds): flash and static RAM, split firmata+link / runtime, beside the board
// profiles' estimates; the same Uno and Mega as the Arduino library (arduino-builder) beside the
// bare-register builds; TFLite Micro's published footprint; and the model slot the Uno build reports when
// it runs.
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
  .map(
    (l) =>
      JSON.parse(l) as { board: string; flashBytes: number; ramBytes: number; runtime: { text: number } },
  );
const board = new AvrBoard({ hex: join(fw, 'build/avr/arduino-uno.hex') });
const link = await openLink({ stream: board.transport, name: 'emulated uno' });
const info = await boardInfo(link);
board.stop();
// The Arduino library's builds, from the ELF arduino-builder linked: flash = text + data, RAM = data + bss.
function elfSize(elf: string): { text: number; data: number; bss: number } {
  const out = execFileSync('avr-size', ['-A', elf], { encoding: 'utf8' });
  const section = (name: string) => Number(new RegExp(`^\\${name}\\s+(\\d+)`, 'm').exec(out)?.[1] ?? 0);
  return { text: section('.text'), data: section('.data'), bss: section('.bss') };
}
let arduinoLibrary: unknown[] | string;
try {
  execFileSync('make', ['-s', '-C', fw, 'arduino'], { stdio: 'ignore' });
  arduinoLibrary = ['arduino-uno', 'arduino-mega2560'].map((b) => {
    const z = elfSize(join(fw, 'build/arduino', `${b}.elf`));
    const bare = sizes.find((s) => s.board === b)!;
    const flashBytes = z.text + z.data;
    const ramBytes = z.data + z.bss;
    return {
      board: b,
      flashBytes,
      ramBytes,
      ...z,
      freeRamBytes: findBoard(b).ramBytes - ramBytes,
      moreThanBare: { flashBytes: flashBytes - bare.flashBytes, ramBytes: ramBytes - bare.ramBytes },
    };
  });
} catch (err) {
  arduinoLibrary = `not built: ${(err as Error).message.split('\n')[0]}`;
}
/** Published, not measured here: TensorFlow's page for microcontrollers. */
const tfliteMicro = {
  coreRuntimeFlashBytes: 16 * 1024,
  on: 'Arm Cortex-M3',
  source:
    'https://www.tensorflow.org/lite/microcontrollers ("The core runtime just fits in 16 KB on an Arm Cortex M3")',
};
const results = sizes.map((s) => {
  const p = findBoard(s.board);
  return {
    ...s,
    profileEstimate: {
      firmwareFlashBytes: p.reserved.firmwareFlashBytes,
      firmwareRamBytes: p.reserved.firmwareRamBytes,
    },
    // The profile budgets the runtime's arena apart from the firmware's RAM: the statics beside it are compared.
    withinEstimate:
      s.flashBytes <= p.reserved.firmwareFlashBytes &&
      s.ramBytes - (s.runtime.text > 0 ? p.modelBudget.arenaBytes : 0) <= p.reserved.firmwareRamBytes,
    profileModelFlashBytes: p.modelBudget.flashBytes,
  };
});
process.stdout.write(
  `${JSON.stringify(
    {
      compiler: execFileSync('avr-gcc', ['-dumpversion'], { encoding: 'utf8' }).trim(),
      boards: results,
      arduinoLibrary,
      tfliteMicro,
      unoSlotBytesReported: info.slotBytes,
    },
    null,
    2,
  )}\n`,
);
process.exit(0);
