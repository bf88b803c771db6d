/**
 * The host virtual board: firmware-bridge built for POSIX, running as a child process on a pty.
 * Used by `tinygate sim board`, the demo and the tests.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TinygateError } from '../errors/index.js';

export const FIRMWARE_DIR = resolve(fileURLToPath(new URL('../../firmware-bridge', import.meta.url)));
export const HOST_BOARD_BINARY = resolve(FIRMWARE_DIR, 'build/host/tinygate-host-board');

export interface HostBoardOptions {
  /** CSV of machine signals (docs/virtual-board.md). */
  scenario?: string;
  /** Pace the UART at this baud (10 bits a byte); unpaced when absent or 0. */
  baud?: number;
  /** `drop=P,corrupt=P,stall=MS/EVERY_MS,dir=rx|tx|both,seed=N` */
  faults?: string;
  /** Model store file; kept across restarts (default: a temporary file, deleted on stop). */
  flashFile?: string;
  /** Also expose the pty under this path (a symlink), stable across restarts. */
  linkPath?: string;
  rxBufferBytes?: number;
  storeBytes?: number;
  boardId?: string;
  /** How long to wait for the board to print its port (default 10 s). */
  startTimeoutMs?: number;
}

export interface HostBoard {
  /** The pty to open (the symlink when linkPath was given). */
  path: string;
  /** The pty device itself. */
  pty: string;
  flashFile: string;
  process: ChildProcess;
  /** Ask the board to stop (SIGTERM, then SIGKILL after 2 s). */
  stop(): Promise<void>;
}

/**
 * `make -C firmware-bridge <target>` (make rebuilds only what is older than its sources), with a clear
 * error naming what was built: `make` missing is the user's to install; other failures carry make's tail.
 */
export function makeFirmware(
  target: string,
  what: string,
  hint: string,
  failureKind: 'user' | 'internal',
): Promise<void> {
  return new Promise<void>((done, fail) => {
    execFile('make', ['-s', '-C', FIRMWARE_DIR, target], { timeout: 180_000 }, (err, _stdout, stderr) => {
      if (!err) {
        done();
        return;
      }
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      fail(
        new TinygateError(
          'FIRMWARE_BUILD_FAILED',
          missing
            ? `cannot build ${what}: \`make\` is not installed`
            : `building ${what} failed: ${String(stderr).trim().split('\n').slice(-5).join(' | ')}`,
          { hint, kind: missing ? 'user' : failureKind },
        ),
      );
    });
  });
}

/** Build the host firmware when it is missing or older than its sources (make decides). */
export async function buildHostFirmware(): Promise<string> {
  await makeFirmware(
    'host',
    'the host board',
    'Install a C toolchain (Debian: apt-get install make gcc) and run `make -C firmware-bridge host`.',
    'internal',
  );
  return HOST_BOARD_BINARY;
}

function boardArgs(o: HostBoardOptions): string[] {
  const args: string[] = [];
  const add = (flag: string, value: string | number | undefined) => {
    if (value !== undefined) args.push(flag, String(value));
  };
  add('--scenario', o.scenario && resolve(o.scenario));
  add('--baud', o.baud);
  add('--faults', o.faults);
  add('--flash', o.flashFile && resolve(o.flashFile));
  add('--link', o.linkPath && resolve(o.linkPath));
  add('--rx-buffer', o.rxBufferBytes);
  add('--store-bytes', o.storeBytes);
  add('--board-id', o.boardId);
  return args;
}

/** Start a host board; resolves once it has opened its pty. */
export async function startHostBoard(options: HostBoardOptions = {}): Promise<HostBoard> {
  if (options.scenario && !existsSync(options.scenario)) {
    throw new TinygateError('SCENARIO_MISSING', `${options.scenario}: no such scenario file`, {
      hint: 'Pass a CSV with a t column (docs/virtual-board.md).',
    });
  }
  const binary = await buildHostFirmware();
  // Its stdin is a pipe from us that closes when we die, however we die (SIGKILL too): the board then
  // stops by itself (and on Linux at once, by the parent-death signal), so no board outlives its gateway.
  const child = spawn(binary, [...boardArgs(options), '--parent-fd', '0'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const lines = createInterface({ input: child.stdout });
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const announced = await new Promise<{ port: string; flash: string }>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(
        new TinygateError('BOARD_START_FAILED', `the host board did not start within ${timeoutMs / 1000} s`, {
          kind: 'internal',
        }),
      );
    }, timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        done(JSON.parse(line) as { port: string; flash: string });
      } catch {
        fail(
          new TinygateError('BOARD_START_FAILED', `the host board printed "${line}" instead of its port`, {
            kind: 'internal',
          }),
        );
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const why = stderr.trim() || `exit code ${code}`;
      fail(
        new TinygateError('BOARD_START_FAILED', `the host board stopped at start: ${why}`, {
          hint: 'Check the options passed to it.',
        }),
      );
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };
  return {
    path: options.linkPath ? resolve(options.linkPath) : announced.port,
    pty: announced.port,
    flashFile: announced.flash,
    process: child,
    stop,
  };
}
