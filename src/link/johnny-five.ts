/**
 * johnny-five over the link's port: firmata-io speaks Firmata on the same transport the
 * tinygate commands use (no serialport 8, no `firmata` package).
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type five from 'johnny-five';
import { TinygateError } from '../errors/index.js';
import type { Link } from './link.js';

const require = createRequire(import.meta.url);

/** The firmata-io instance johnny-five drives (only what tinygate touches is typed). */
export interface FirmataIo extends EventEmitter {
  isReady: boolean;
  firmware: { name: string; version: { major: number; minor: number } };
  pins: { supportedModes: number[]; analogChannel: number }[];
  analogPins: number[];
}

type FirmataConstructor = new (
  transport: unknown,
  options: { reportVersionTimeout?: number; samplingInterval?: number },
  callback?: (error?: Error) => void,
) => FirmataIo;

export interface IoOptions {
  /** Sampling interval for analog and I2C reports, ms (Firmata's default is 19). */
  samplingInterval?: number;
  /** Give up on the Firmata handshake after this long (default 10 s). */
  timeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(error()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A ready firmata-io instance on the link's port. */
export async function createIo(link: Link, options: IoOptions = {}): Promise<FirmataIo> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // The port is already open and the board already booted: ask for its version at once
  // instead of firmata-io's default 5 s wait for a reset-time announcement.
  // firmata-io and johnny-five load here, not with the link: flashing and board info need neither.
  const { Firmata } = require('firmata-io') as { Firmata: FirmataConstructor };
  const ready = new Promise<FirmataIo>((resolve, reject) => {
    const io: FirmataIo = new Firmata(
      link.port,
      {
        reportVersionTimeout: 50,
        ...(options.samplingInterval !== undefined ? { samplingInterval: options.samplingInterval } : {}),
      },
      (error?: Error) => (error ? reject(error) : resolve(io)),
    );
  });
  return withTimeout(
    ready,
    timeoutMs,
    () =>
      new TinygateError(
        'FIRMATA_TIMEOUT',
        `${link.name}: no Firmata handshake within ${timeoutMs / 1000} s`,
        {
          hint: 'Check that the board runs Firmata (the tinygate firmware-bridge or StandardFirmata) at this baud rate.',
        },
      ),
  );
}

/** A ready johnny-five Board over the link's port; tinygate commands keep working beside it. */
export async function createBoard(link: Link, options: IoOptions = {}): Promise<five.Board> {
  const io = await createIo(link, options);
  const five = require('johnny-five') as typeof import('johnny-five');
  const board = new five.Board({ io, repl: false, sigint: false, debug: false } as five.BoardOption);
  if (!board.isReady) {
    await withTimeout(
      new Promise<void>((resolve) => (board as unknown as EventEmitter).once('ready', () => resolve())),
      options.timeoutMs ?? 10_000,
      () => new TinygateError('BOARD_TIMEOUT', `${link.name}: johnny-five did not become ready`),
    );
  }
  return board;
}
