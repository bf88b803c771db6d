// The Arduino library built with STM32duino's core for the Nucleo-F446RE (`make arduino-stm32`, Debian's
// arduino-builder and arm-none-eabi-gcc): the ELF is for the board's Cortex-M4F, its model store is the flash
// one written on ST's HAL flash driver, and it fits the board profile's budget. Built, not run: STM32duino's
// clock set-up needs an RCC, which QEMU 7.2's netduinoplus2 does not model (docs/firmware-arduino.md).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBoard } from '../../src/boards/index.js';
import { ROOT } from '../helpers/cli.js';
import { has, haveArduinoBuilder } from '../helpers/tools.js';

const STM32DUINO_DIR =
  process.env.STM32DUINO_DIR ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tinygate', 'arduino-stm32');
const haveCore = existsSync(join(STM32DUINO_DIR, 'hardware/STMicroelectronics/stm32/platform.txt'));
const canBuild = haveCore && haveArduinoBuilder && has('arm-none-eabi-gcc');
if (!canBuild)
  console.warn(
    haveCore
      ? 'skipping the STM32duino build: it needs arduino-builder and arm-none-eabi-gcc'
      : `skipping the STM32duino build: its core is not in ${STM32DUINO_DIR}: run bash firmware-bridge/arduino/get-stm32duino.sh`,
  );

const FLASH_BASE = 0x0800_0000;
const RAM_BASE = 0x2000_0000;
const ELF = join(ROOT, 'firmware-bridge/build/arduino/nucleo-f446re.elf');
const tool = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

describe.skipIf(!canBuild)('the Arduino library on STM32duino for the Nucleo-F446RE', () => {
  const profile = findBoard('nucleo-f446re');
  let symbols: Map<string, number>;

  it('builds with arduino-builder into an ELF for a hard-float Cortex-M4F', () => {
    execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), 'arduino-stm32'], { stdio: 'pipe' });
    expect(tool('arm-none-eabi-readelf', ['-h', ELF])).toMatch(/Machine:\s+ARM/);
    const attributes = tool('arm-none-eabi-readelf', ['-A', ELF]);
    expect(attributes).toMatch(/Tag_CPU_arch: v7E-M/);
    expect(attributes).toMatch(/Tag_FP_arch: VFPv4-D16/);
    expect(attributes).toMatch(/Tag_ABI_VFP_args: VFP registers/);
    // The vector table at the start of flash; its first word, the initial stack, at the top of the 128 KiB.
    const vectors = tool('arm-none-eabi-readelf', ['-x', '.isr_vector', ELF]);
    const first = /^\s+0x([0-9a-f]{8}) ([0-9a-f]{8})/m.exec(vectors);
    expect(Number.parseInt(first![1]!, 16)).toBe(FLASH_BASE);
    expect(Buffer.from(first![2]!, 'hex').readUInt32LE(0)).toBe(RAM_BASE + profile.ramBytes);
    // The board id board info reports is in the image.
    expect(readFileSync(ELF).includes(Buffer.from('nucleo-f446re\0'))).toBe(true);
    symbols = new Map(
      tool('arm-none-eabi-nm', ['-S', ELF])
        .split('\n')
        .map((l) => l.split(' '))
        .filter((f) => f.length === 4)
        .map((f) => [f[3]!, Number.parseInt(f[1]!, 16)]),
    );
  }, 900_000);

  it('has the bridge, the runtime and the flash model store on ST HAL flash calls, not the RAM store', () => {
    for (const name of ['bridge_poll', 'model_store_commit', 'tg_runtime_arena_used', 'hal_store_map'])
      expect(symbols.has(name), name).toBe(true);
    expect(symbols.has('ram_store_init')).toBe(false);
    // The functions a store function calls, with those its file-local helpers (C++ _ZL names) call.
    const calls = (fn: string): string[] =>
      [
        ...tool('arm-none-eabi-objdump', ['-d', `--disassemble=${fn}`, ELF]).matchAll(
          /\bbl\s+[0-9a-f]+ <(\w+)>/g,
        ),
      ]
        .map((m) => m[1]!)
        .flatMap((name) => (name.startsWith('_ZL') ? [name, ...calls(name)] : [name]));
    expect(calls('hal_store_erase')).toEqual(
      expect.arrayContaining(['HAL_FLASH_Unlock', 'HAL_FLASHEx_Erase', 'HAL_FLASH_Lock']),
    );
    expect(calls('hal_store_program')).toEqual(
      expect.arrayContaining(['HAL_FLASH_Unlock', 'HAL_FLASH_Program', 'HAL_FLASH_Lock']),
    );
  });

  it("fits the profile: flash below the store's sectors, the profile's arena, statics within its reserve", () => {
    // Program headers: the image in flash (code, constants, .data's load copy) and what RAM holds statically
    // (.data, .bss, and the heap and stack minimum the core's linker script reserves).
    const segments = [
      ...tool('arm-none-eabi-readelf', ['-lW', ELF]).matchAll(
        /^\s+LOAD\s+0x[0-9a-f]+ 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+)/gm,
      ),
    ].map((m) => ({
      virt: Number.parseInt(m[1]!, 16),
      phys: Number.parseInt(m[2]!, 16),
      file: Number.parseInt(m[3]!, 16),
      mem: Number.parseInt(m[4]!, 16),
    }));
    const flashEnd = Math.max(...segments.filter((s) => s.file > 0).map((s) => s.phys + s.file));
    const ramEnd = Math.max(...segments.filter((s) => s.virt >= RAM_BASE).map((s) => s.virt + s.mem));
    // The profile gives the firmware the flash before the model store (sectors 6-7 at 0x08040000).
    expect(flashEnd - FLASH_BASE).toBeLessThanOrEqual(profile.reserved.firmwareFlashBytes);
    expect(symbols.get('arena')).toBe(profile.modelBudget.arenaBytes);
    const staticRam = ramEnd - RAM_BASE;
    expect(staticRam).toBeLessThanOrEqual(profile.ramBytes);
    expect(staticRam - profile.modelBudget.arenaBytes).toBeLessThanOrEqual(profile.reserved.firmwareRamBytes);
  });
});
