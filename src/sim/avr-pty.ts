/**
 * An emulated AVR board on a real pty, for programs that open a serial port by path (avrdude, serialport).
 * Opening the pty resets the board, as opening an Uno's USB-serial port does (the host raises DTR, which
 * pulses RESET through a capacitor); avrdude's own DTR toggle cannot be seen on a pty (ptys have no modem
 * lines), so the open is the reset.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TinygateError } from '../errors/index.js';
import type { AvrBoard } from './avr-board.js';

const FIRMWARE = fileURLToPath(new URL('../../firmware-bridge', import.meta.url));

export interface AvrPtyOptions {
  /** Also expose the pty under this path (a symlink, removed when it stops). */
  linkPath?: string;
  /** Reset the board when a program opens the pty (default true). */
  resetOnOpen?: boolean;
}

export interface AvrPty {
  /** The path to open: the symlink when `linkPath` was given, else the pty. */
  path: string;
  pty: string;
  /** Opens seen so far (each reset the board when `resetOnOpen`). */
  readonly opens: number;
  stop(): Promise<void>;
}

/** Put `board` behind a pty (firmware-bridge/tools/pty_relay.c, built with make); resolves once the pty exists. */
export async function startAvrPty(board: AvrBoard, o: AvrPtyOptions = {}): Promise<AvrPty> {
  execFileSync('make', ['-s', '-C', FIRMWARE, 'pty-relay'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const relay: ChildProcess = spawn(`${FIRMWARE}/build/tools/pty-relay`, o.linkPath ? [o.linkPath] : [], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let opens = 0;
  const toRelay = (chunk: Buffer) => relay.stdin?.write(chunk);
  board.transport.on('data', toRelay);
  relay.stdout?.on('data', (chunk: Buffer) => board.transport.write(chunk));
  relay.stdin?.on('error', () => {});
  const pty = await new Promise<string>((resolve, reject) => {
    let pending = '';
    relay.once('error', reject);
    relay.once('exit', (code) =>
      reject(new TinygateError('BOARD_START_FAILED', `pty-relay exited (code ${code}) before opening a pty`)),
    );
    relay.stderr?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('pty ')) resolve(line.slice(4));
        else if (line === 'open') {
          opens++;
          if (o.resetOnOpen !== false) board.reset();
        }
        nl = pending.indexOf('\n');
      }
    });
  });
  return {
    path: o.linkPath ?? pty,
    pty,
    get opens() {
      return opens;
    },
    stop: async () => {
      board.transport.off('data', toRelay);
      if (relay.exitCode !== null) return;
      const exited = new Promise((resolve) => relay.once('exit', resolve));
      relay.kill('SIGTERM');
      await exited;
    },
  };
}
