/**
 * Emulated boards under qemu-system-arm, each on its own firmware-bridge build with its UART on a pty: the
 * Cortex-M3 of mps2-an385 and the Cortex-M4F of mps2-an386 (hal/mps2), and the STM32F405 of netduinoplus2
 * (hal/stm32f4). Same Firmata +
 * tinygate protocol as a real board, so flash, infer and johnny-five work unchanged.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, symlinkSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { TinygateError } from '../errors/index.js';
import { FIRMWARE_DIR, makeFirmware } from './host-board.js';

/** What differs between the emulated machines: the build, where the UART and the model store are. */
export interface QemuMachine {
  /** `-M` of qemu-system-arm, also the board id the firmware reports (`qemu-<machine>`). */
  machine: string;
  description: string;
  /** `make -C firmware-bridge <makeTarget>` builds `elf`. */
  makeTarget: string;
  elf: string;
  /** Which `-serial` the link is: QEMU hands out serial ports in the SoC's UART order. */
  serialArgs: string[];
  /** The RAM model store (hal/common/ram_store.c), saved and reloaded through the monitor. */
  storeAddress: number;
  storeBytes: number;
}

export const QEMU_MACHINES = {
  'mps2-an385': {
    machine: 'mps2-an385',
    description: 'mps2-an385 (Cortex-M3)',
    makeTarget: 'qemu',
    elf: resolve(FIRMWARE_DIR, 'build/qemu/mps2-an385.elf'),
    serialArgs: ['-serial', 'pty'], // UART0
    storeAddress: 0x300000, // the top MiB of ZBT SSRAM1 (hal/mps2/mps2-an385.ld)
    storeBytes: 0x100000,
  },
  'mps2-an386': {
    machine: 'mps2-an386',
    description: 'mps2-an386 (Cortex-M4F)',
    makeTarget: 'qemu-m4',
    elf: resolve(FIRMWARE_DIR, 'build/qemu/mps2-an386.elf'),
    serialArgs: ['-serial', 'pty'], // UART0
    storeAddress: 0x300000, // the same memory map as mps2-an385
    storeBytes: 0x100000,
  },
  netduinoplus2: {
    machine: 'netduinoplus2',
    description: 'netduinoplus2 (STM32F405, Cortex-M4F)',
    makeTarget: 'stm32f4',
    elf: resolve(FIRMWARE_DIR, 'build/stm32f4/qemu-netduinoplus2.elf'),
    serialArgs: ['-serial', 'null', '-serial', 'pty'], // USART1 unused, USART2 the link
    storeAddress: 0x20010000, // the top 128 KiB of SRAM (hal/stm32f4/qemu-netduinoplus2.ld)
    storeBytes: 0x20000,
  },
} as const satisfies Record<string, QemuMachine>;

export type QemuMachineName = keyof typeof QEMU_MACHINES;

/** The mps2-an386 image built with TG_NO_DSP (`make qemu-m4` builds both): the kernels' plain C on the M4. */
export const MPS2_AN386_NO_DSP_ELF = resolve(FIRMWARE_DIR, 'build/qemu/mps2-an386-no-dsp.elf');

/** The mps2-an385 image (kept for callers that predate the machine option). */
export const QEMU_BOARD_ELF = QEMU_MACHINES['mps2-an385'].elf;

export interface QemuBoardOptions {
  /** The emulated machine (default mps2-an385). */
  machine?: QemuMachineName;
  /** Another image of the same machine's make target instead of its default `elf` (e.g. a measurement build). */
  elf?: string;
  /**
   * `-icount shift=N`: each instruction advances the virtual clock by 2^N ns, so the board's microsecond
   * clock counts instructions and timings repeat exactly (default 0: 1 µs = 1000 instructions).
   * `false` runs without icount (faster, timings vary).
   */
  icountShift?: number | false;
  /** Model store image: loaded at start when it exists, saved at stop, so models survive restarts. */
  storeFile?: string;
  /** Also expose the pty under this path (a symlink). */
  linkPath?: string;
  /** How long to wait for QEMU to open its pty (default 10 s). */
  startTimeoutMs?: number;
}

export interface QemuBoard {
  path: string;
  pty: string;
  process: ChildProcess;
  /** QEMU's last output: why it stopped, when it stopped on its own. */
  output(): string;
  /** Save the store (when storeFile was given) and stop QEMU. */
  stop(): Promise<void>;
}

/** Build a machine's image when missing or older than its sources (make decides). */
export async function buildQemuFirmware(machine: QemuMachineName = 'mps2-an385'): Promise<string> {
  const m = QEMU_MACHINES[machine];
  await makeFirmware(
    m.makeTarget,
    `the ${m.machine} firmware`,
    'It needs make and the Arm cross compiler (Debian: apt-get install make gcc-arm-none-eabi libnewlib-arm-none-eabi).',
    'user',
  );
  return m.elf;
}

function qemuArgs(m: QemuMachine, o: QemuBoardOptions): string[] {
  const elf = o.elf ?? m.elf;
  const args = ['-M', m.machine, '-nographic', '-monitor', 'stdio', ...m.serialArgs, '-kernel', elf];
  const shift = o.icountShift ?? 0;
  if (shift !== false) args.push('-icount', `shift=${shift},align=off,sleep=on`);
  if (o.storeFile && existsSync(o.storeFile)) {
    args.push('-device', `loader,file=${resolve(o.storeFile)},addr=0x${m.storeAddress.toString(16)}`);
  }
  return args;
}

/** util-linux's setpriv (every Linux has it): it can make QEMU get a signal when its parent dies. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/**
 * QEMU does not stop when we die (an orphan keeps emulating): on Linux, setpriv --pdeathsig has the
 * kernel send it SIGTERM the moment its parent goes, however the parent died. setpriv execs QEMU, so
 * the process we hold is QEMU itself.
 */
function qemuCommand(args: string[]): [string, string[]] {
  return SETPRIV
    ? [SETPRIV, ['--pdeathsig', 'SIGTERM', '--', 'qemu-system-arm', ...args]]
    : ['qemu-system-arm', args];
}

/** Start the emulated board; resolves once QEMU has opened the pty. */
export async function startQemuBoard(options: QemuBoardOptions = {}): Promise<QemuBoard> {
  const m = QEMU_MACHINES[options.machine ?? 'mps2-an385'];
  await buildQemuFirmware(m.machine);
  // Its own process group: a terminal's Ctrl-C must reach us, not QEMU, so stop() can save the store first.
  const child = spawn(...qemuCommand(qemuArgs(m, options)), {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  const collect = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      done();
    }),
  );
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const pty = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new TinygateError('BOARD_START_FAILED', `QEMU did not open its pty within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const look = () => {
      // QEMU says: "char device redirected to /dev/pts/N (label serial0)"
      const m = /redirected to (\/dev\/pts\/\d+)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', look);
      child.stderr.off('data', look);
      done(m[1]!);
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.once('error', (err) => {
      clearTimeout(timer);
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      fail(
        new TinygateError(
          'BOARD_START_FAILED',
          missing ? '`qemu-system-arm` is not installed' : `QEMU failed to start: ${err.message}`,
          { hint: 'Debian: apt-get install qemu-system-arm' },
        ),
      );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // Through setpriv, a missing QEMU is its exit code 127 ("failed to execute").
      const missing = code === 127 && /failed to execute/.test(output);
      fail(
        new TinygateError(
          'BOARD_START_FAILED',
          missing
            ? '`qemu-system-arm` is not installed'
            : `QEMU stopped at start: ${output.trim() || `exit code ${code}`}`,
          missing ? { hint: 'Debian: apt-get install qemu-system-arm' } : {},
        ),
      );
    });
  });
  if (options.linkPath) {
    if (existsSync(options.linkPath)) unlinkSync(options.linkPath);
    symlinkSync(pty, options.linkPath);
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // The monitor saves the store's RAM to the image, then quits; a kill follows if it hangs.
    if (options.storeFile) {
      child.stdin.write(
        `pmemsave 0x${m.storeAddress.toString(16)} ${m.storeBytes} "${resolve(options.storeFile)}"\n`,
      );
    }
    child.stdin.write('quit\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    if (options.linkPath && existsSync(options.linkPath)) unlinkSync(options.linkPath);
  };
  return {
    path: options.linkPath ? resolve(options.linkPath) : pty,
    pty,
    process: child,
    output: () => output,
    stop,
  };
}
