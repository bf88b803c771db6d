/** Ask a board what it is and what models it holds; tell apart non-tinygate Firmata and silence. */
import { TinygateError } from '../errors/index.js';
import type { Link, TinygateMessage } from './link.js';
import {
  type BoardInfo,
  Command,
  decodeBoardInfo,
  decodeError,
  decodeModelInfo,
  type ModelInfo,
  PROTOCOL_VERSION,
  REPORT_FIRMWARE,
  REPORT_VERSION,
  Reply,
  type SlotInfo,
} from './protocol.js';

export interface ProbeOptions {
  /** How long to wait for any answer; covers a board that resets when the port opens. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A tinygate reply of one kind, or a thrown board error for the command. */
function replyOf<T>(command: number, reply: number, decode: (b: Uint8Array) => T, link: Link) {
  return (m: TinygateMessage): T | undefined => {
    if (m.command === reply) return decode(m.body);
    if (m.command === Reply.error) {
      const e = decodeError(m.body);
      if (e.command === command) {
        throw new TinygateError(
          'BOARD_ERROR',
          `${link.name}: the board refused command 0x${command.toString(16)} (error ${e.code})`,
          {
            hint: 'The firmware may be older than this gateway: update firmware-bridge.',
            details: e,
          },
        );
      }
    }
    return undefined;
  };
}

/**
 * Board info. Retries for `timeoutMs` (default 4 s, an Arduino's bootloader takes ~2 s after the
 * port opens); meanwhile asks for the Firmata version and firmware name, so a device without the
 * tinygate extension is named in the error instead of timing out silently.
 */
export async function boardInfo(link: Link, options: ProbeOptions = {}): Promise<BoardInfo> {
  const timeoutMs = options.timeoutMs ?? 4000;
  const intervalMs = 400;
  // Ask plain Firmata questions too: StandardFirmata answers them but ignores our SysEx id.
  const askFirmata = () => {
    if (link.isOpen) link.write(Uint8Array.of(REPORT_VERSION, 0xf0, REPORT_FIRMWARE, 0xf7));
  };
  askFirmata();
  const firmataTimer = setInterval(() => {
    if (!link.firmware) askFirmata();
  }, 1000);
  try {
    const info = await link.request(
      Command.boardInfo,
      undefined,
      replyOf(Command.boardInfo, Reply.boardInfo, decodeBoardInfo, link),
      {
        timeoutMs: intervalMs,
        attempts: Math.max(1, Math.ceil(timeoutMs / intervalMs)),
        signal: options.signal,
        what: 'board info',
      },
    );
    if (info.protocolVersion !== PROTOCOL_VERSION) {
      throw new TinygateError(
        'PROTOCOL_MISMATCH',
        `${link.name}: the board speaks tinygate protocol ${info.protocolVersion}, this gateway ${PROTOCOL_VERSION}`,
        { hint: 'Update the firmware-bridge on the board or the gateway so both match.' },
      );
    }
    return info;
  } catch (err) {
    if (err instanceof TinygateError && err.code === 'LINK_TIMEOUT') throw notABridge(link, timeoutMs);
    throw err;
  } finally {
    clearInterval(firmataTimer);
  }
}

function notABridge(link: Link, timeoutMs: number): TinygateError {
  const seconds = (timeoutMs / 1000).toFixed(1);
  if (link.firmware) {
    const fw = link.firmware;
    const protocol = link.protocol ? `, Firmata protocol ${link.protocol.major}.${link.protocol.minor}` : '';
    const name = fw.name.replace(/\.ino$/, '') || 'unnamed Firmata firmware';
    return new TinygateError(
      'NOT_A_BRIDGE',
      `${link.name}: ${name} ${fw.major}.${fw.minor}${protocol} answered, but no tinygate bridge`,
      {
        hint: 'johnny-five works with this board, but flashing models needs the tinygate firmware-bridge: build and upload it (docs/protocol.md).',
        details: { firmware: fw, protocol: link.protocol },
      },
    );
  }
  if (link.protocol) {
    return new TinygateError(
      'NOT_A_BRIDGE',
      `${link.name}: a Firmata device answered (protocol ${link.protocol.major}.${link.protocol.minor}), but no tinygate bridge`,
      {
        hint: 'Upload the tinygate firmware-bridge to the board.',
      },
    );
  }
  if (link.splitter.received > 0) {
    return new TinygateError(
      'NOT_FIRMATA',
      `${link.name}: ${link.splitter.received} bytes arrived in ${seconds} s but none was a Firmata message`,
      {
        hint: `Check the baud rate (--baud; this link uses ${link.baudRate ?? 'an unknown rate'}) and that the board runs Firmata.`,
      },
    );
  }
  return new TinygateError(
    'NO_ANSWER',
    `${link.name}: nothing answered within ${seconds} s (no Firmata device)`,
    {
      hint: "Check that this is the board's port, that the board is powered, and that it runs the tinygate firmware-bridge.",
    },
  );
}

/** The board's model slots, which one is active. */
export async function modelInfo(link: Link, options: { signal?: AbortSignal } = {}): Promise<ModelInfo> {
  return link.request(
    Command.modelInfo,
    undefined,
    replyOf(Command.modelInfo, Reply.modelInfo, decodeModelInfo, link),
    {
      // A short question: asking again is cheap, and a noisy line may need several tries.
      timeoutMs: 500,
      attempts: 8,
      signal: options.signal,
      what: 'model info',
    },
  );
}

export function activeSlot(info: ModelInfo): SlotInfo | null {
  return info.activeSlot === null ? null : (info.slots[info.activeSlot] ?? null);
}

export { replyOf };
