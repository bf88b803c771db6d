/**
 * A link to a board over one byte stream: a serialport 13 port opened by path, or any Duplex.
 * It listens beside firmata-io (both get every byte; firmata-io ignores our SysEx id), so
 * johnny-five and the tinygate commands share one port without touching firmata-io's global
 * SysEx handler table.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { TinygateError } from '../errors/index.js';
import { type FirmataEvent, FrameSplitter } from './frames.js';
import { decodeMessage, encodeMessage, REPORT_FIRMWARE } from './protocol.js';

export const DEFAULT_BAUD = 115200;

export interface OpenLinkOptions {
  /** Serial device path, e.g. /dev/ttyACM0 or the pty a host board printed. */
  path?: string;
  baudRate?: number;
  /** Any byte stream instead of a serial port (tests, in-memory boards). */
  stream?: Duplex;
  /** How the stream is named in messages when `stream` is given. */
  name?: string;
}

export interface TinygateMessage {
  command: number;
  body: Uint8Array;
}

export interface FirmwareReport {
  name: string;
  major: number;
  minor: number;
}

export interface LinkEvents {
  message: [TinygateMessage];
  firmware: [FirmwareReport];
  version: [{ major: number; minor: number }];
  closed: [Error | null];
}

export class Link extends EventEmitter<LinkEvents> {
  readonly splitter = new FrameSplitter();
  /** Latest reports seen on the wire: how a non-tinygate Firmata device gets recognised. */
  firmware: FirmwareReport | null = null;
  protocol: { major: number; minor: number } | null = null;
  closed: Error | null | undefined = undefined;
  private readonly onData = (chunk: Buffer) => this.splitter.push(chunk, (e) => this.handle(e));

  constructor(
    /** The transport; hand it to firmata-io too (see createIo). */
    readonly port: Duplex,
    /** Path or name, for messages. */
    readonly name: string,
    readonly baudRate: number | null,
  ) {
    super();
    port.on('data', this.onData);
    const onClose = (err?: Error | null) => {
      if (this.closed !== undefined) return;
      this.closed = err ?? null;
      this.emit('closed', this.closed);
    };
    port.on('close', () => onClose(null));
    port.on('error', (err: Error) => onClose(err));
    port.on('end', () => onClose(null));
  }

  get isOpen(): boolean {
    return this.closed === undefined;
  }

  private handle(e: FirmataEvent): void {
    if (e.kind === 'version') {
      this.protocol = { major: e.major, minor: e.minor };
      this.emit('version', this.protocol);
      return;
    }
    if (e.data[0] === REPORT_FIRMWARE && e.data.length >= 3) {
      const chars: number[] = [];
      for (let i = 3; i + 1 < e.data.length; i += 2) chars.push(e.data[i]! | (e.data[i + 1]! << 7));
      this.firmware = { major: e.data[1]!, minor: e.data[2]!, name: Buffer.from(chars).toString('latin1') };
      this.emit('firmware', this.firmware);
      return;
    }
    const message = decodeMessage(e.data);
    if (message) this.emit('message', message);
  }

  /** Write raw bytes (whole messages only, so writers sharing the port never interleave). */
  write(bytes: Uint8Array): void {
    if (!this.isOpen) throw linkLost(this);
    this.port.write(Buffer.from(bytes));
  }

  send(command: number, body?: Uint8Array): void {
    this.write(encodeMessage(command, body));
  }

  /**
   * Send a command and wait for the first message `accept` maps to a value; resend on silence
   * (commands used here are idempotent). Rejects when the link closes or the signal aborts.
   */
  request<T>(
    command: number,
    body: Uint8Array | undefined,
    accept: (m: TinygateMessage) => T | undefined,
    options: {
      timeoutMs?: number;
      attempts?: number;
      signal?: AbortSignal;
      what?: string;
      /** A message saying the board is working on it: ms to wait for the answer, with no more resends. */
      working?: (m: TinygateMessage) => number | undefined;
    } = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 1000;
    const attempts = options.attempts ?? 3;
    const what = options.what ?? `command 0x${command.toString(16)}`;
    return new Promise<T>((resolve, reject) => {
      let tries = 0;
      let timer: NodeJS.Timeout | undefined;
      const done = (err: Error | null, value?: T) => {
        clearTimeout(timer);
        this.off('message', onMessage);
        this.off('closed', onClosed);
        options.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onMessage = (m: TinygateMessage) => {
        let value: T | undefined;
        try {
          value = accept(m);
        } catch (err) {
          done(err as Error);
          return;
        }
        if (value !== undefined) {
          done(null, value);
          return;
        }
        const waitMs = options.working?.(m);
        if (waitMs === undefined) return;
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            done(
              new TinygateError(
                'LINK_TIMEOUT',
                `${this.name}: the board started ${what} and had not finished after ${waitMs} ms`,
                {
                  hint: 'A model this slow needs a longer wait (the timeout option), or the board hung: reset it.',
                },
              ),
            ),
          waitMs,
        );
      };
      const onClosed = () => done(linkLost(this));
      const onAbort = () => done(cancelled(what));
      const attempt = () => {
        if (tries++ >= attempts) {
          done(
            new TinygateError('LINK_TIMEOUT', `${this.name}: no answer to ${what} after ${attempts} tries`, {
              hint: 'Check that the board runs the tinygate firmware-bridge and the cable is connected.',
            }),
          );
          return;
        }
        try {
          this.send(command, body);
        } catch (err) {
          done(err as Error);
          return;
        }
        timer = setTimeout(attempt, timeoutMs);
      };
      if (options.signal?.aborted) {
        reject(cancelled(what));
        return;
      }
      this.on('message', onMessage);
      this.on('closed', onClosed);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      attempt();
    });
  }

  /** Stop listening without closing the port: for a link that borrowed a stream someone else owns. */
  detach(): void {
    this.port.off('data', this.onData);
    if (this.closed === undefined) this.closed = null;
  }

  /** Close the port (a Duplex is ended). */
  async close(): Promise<void> {
    this.port.off('data', this.onData);
    const port = this.port;
    if (port instanceof SerialPort) {
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    } else {
      port.end();
    }
    if (this.closed === undefined) this.closed = null;
  }
}

export function linkLost(link: Link): TinygateError {
  const why = link.closed ? `: ${link.closed.message}` : '';
  return new TinygateError('LINK_LOST', `${link.name}: the connection to the board closed${why}`, {
    hint: 'Reconnect the board and run the command again; a model transfer resumes where it stopped.',
  });
}

export function cancelled(what: string): TinygateError {
  return new TinygateError('CANCELLED', `${what} was cancelled`, {
    hint: 'Run it again; a model transfer resumes where it stopped.',
  });
}

/** Open a serial port by path (serialport 13), or wrap a Duplex. */
export async function openLink(options: OpenLinkOptions): Promise<Link> {
  if (options.stream) return new Link(options.stream, options.name ?? 'stream', options.baudRate ?? null);
  if (!options.path) {
    throw new TinygateError('PORT_MISSING', 'no serial port given', {
      hint: 'Pass --port <path> (e.g. /dev/ttyACM0, or the pty `tinygate sim board` prints).',
    });
  }
  const path = options.path;
  const baudRate = options.baudRate ?? DEFAULT_BAUD;
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (!err) {
        resolve();
        return;
      }
      reject(
        new TinygateError('PORT_OPEN_FAILED', `${path}: cannot open the serial port (${err.message})`, {
          hint: 'Check the path, that no other program holds the port, and that you may access it (dialout group).',
          cause: err,
        }),
      );
    });
  });
  // Bytes queued before we opened belong to an earlier session.
  await new Promise<void>((resolve) => port.flush(() => resolve()));
  return new Link(port, path, baudRate);
}
