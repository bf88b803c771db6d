// The firmware-bridge for every target built here (Uno, Mega 2560 with the runtime, QEMU mps2-an385 and
// mps2-an386, the STM32F4 builds): flash and static RAM, split firmata+link / runtime, beside the board
// profiles' estimates; the same Uno and Mega as the Arduino library (arduino-builder) beside the
// bare-register builds, and the Nucleo-F446RE's on STM32duino beside its bare build; TFLite Micro's published footprint; and the model slot the Uno build reports when
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
// The same library on STM32duino's core for the Nucleo-F446RE (when arduino/get-stm32duino.sh has fetched it),
// beside the bare-register build: flash = every section loaded into flash (vectors, code, constants, .data's
// copy), static RAM = .data + .bss (the core's 1.5 KB heap-and-stack minimum left out, as the bare build's).
function armElfSize(elf: string): { flashBytes: number; ramBytes: number; arenaBytes: number } {
  const sections = [
    ...execFileSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' }).matchAll(
      /^(\.\S+)\s+(\d+)\s+(\d+)$/gm,
    ),
  ].map((m) => ({ name: m[1]!, size: Number(m[2]), addr: Number(m[3]) }));
  const size = (name: string) => sections.find((x) => x.name === name)?.size ?? 0;
  const inFlash = sections.filter((x) => x.addr >= 0x0800_0000 && x.addr < 0x1000_0000);
  const arena = /^[0-9a-f]+ ([0-9a-f]+) b arena$/m.exec(
    execFileSync('arm-none-eabi-nm', ['-S', elf], { encoding: 'utf8' }),
  );
  return {
    flashBytes: inFlash.reduce((n, x) => n + x.size, 0) + size('.data'),
    ramBytes: size('.data') + size('.bss'),
    arenaBytes: arena ? Number.parseInt(arena[1]!, 16) : 0,
  };
}
let arduinoLibraryStm32duino: unknown;
try {
  execFileSync('make', ['-s', '-C', fw, 'arduino-stm32'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const z = armElfSize(join(fw, 'build/arduino/nucleo-f446re.elf'));
  const bare = sizes.find((s) => s.board === 'nucleo-f446re')!;
  arduinoLibraryStm32duino = {
    board: 'nucleo-f446re',
    core: 'STM32duino 2.12.0',
    compiler: `arm-none-eabi-gcc ${execFileSync('arm-none-eabi-gcc', ['-dumpversion'], { encoding: 'utf8' }).trim()}`,
    ...z,
    moreThanBare: { flashBytes: z.flashBytes - bare.flashBytes, ramBytes: z.ramBytes - bare.ramBytes },
  };
} catch (err) {
  const e = err as { stderr?: Buffer; message: string };
  arduinoLibraryStm32duino = `not built: ${(e.stderr?.toString().trim() || e.message).split('\n').at(-1)}`;
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
      arduinoLibraryStm32duino,
      tfliteMicro,
      unoSlotBytesReported: info.slotBytes,
    },
    null,
    2,
  )}\n`,
);
process.exit(0);
