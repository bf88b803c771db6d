/**
 * The emulated Cortex-M3 board: firmware-bridge built for QEMU's mps2-an385 (hal/mps2), its UART0 on a pty.
 * Same Firmata + tinygate protocol as a real board, so flash, infer and johnny-five work unchanged.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, symlinkSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { TinygateError } from '../errors/index.js';
import { FIRMWARE_DIR, makeFirmware } from './host-board.js';

export const QEMU_BOARD_ELF = resolve(FIRMWARE_DIR, 'build/qemu/mps2-an385.elf');
/** Where hal/mps2's linker script puts the model store (the top MiB of ZBT SSRAM1). */
const STORE_ADDRESS = 0x300000;
const STORE_BYTES = 0x100000;

export interface QemuBoardOptions {
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

/** Build the mps2-an385 image when missing or older than its sources (make decides). */
export async function buildQemuFirmware(): Promise<string> {
  await makeFirmware(
    'qemu',
    'the mps2-an385 firmware',
    'It needs make and the Arm cross compiler (Debian: apt-get install make gcc-arm-none-eabi libnewlib-arm-none-eabi).',
    'user',
  );
  return QEMU_BOARD_ELF;
}

function qemuArgs(o: QemuBoardOptions): string[] {
  const args = [
    '-M',
    'mps2-an385',
    '-nographic',
    '-monitor',
    'stdio',
    '-serial',
    'pty',
    '-kernel',
    QEMU_BOARD_ELF,
  ];
  const shift = o.icountShift ?? 0;
  if (shift !== false) args.push('-icount', `shift=${shift},align=off,sleep=on`);
  if (o.storeFile && existsSync(o.storeFile)) {
    args.push('-device', `loader,file=${resolve(o.storeFile)},addr=0x${STORE_ADDRESS.toString(16)}`);
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
  await buildQemuFirmware();
  // Its own process group: a terminal's Ctrl-C must reach us, not QEMU, so stop() can save the store first.
  const child = spawn(...qemuCommand(qemuArgs(options)), {
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
        `pmemsave 0x${STORE_ADDRESS.toString(16)} ${STORE_BYTES} "${resolve(options.storeFile)}"\n`,
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
