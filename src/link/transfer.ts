/**
 * Model transfer to the board's inactive slot: refuse what cannot fit before sending a byte,
 * keep a bounded window of chunks in flight (never more than the board's RX buffer), go back
 * to the board's offset on a NAK or a timeout, resume from what the board already holds, and
 * commit only after the board has checked the whole image's CRC.
 */
import { TinygateError } from '../errors/index.js';
import { boardInfo, modelInfo, replyOf } from './board-info.js';
import { crc32 } from './crc32.js';
import { cancelled, type Link, linkLost, type TinygateMessage } from './link.js';
import {
  type BoardInfo,
  CHUNK_OVERHEAD,
  Command,
  decodeAck,
  decodeCommit,
  decodeNak,
  decodeTransferState,
  encodeBegin,
  encodeChunk,
  encodeMessage,
  encodeU32,
  messageWireBytes,
  Reply,
  Status,
  statusText,
  type TransferState,
} from './protocol.js';

export type TransferMode = 'windowed' | 'stop-and-wait';

export interface FlashProgress {
  phase: 'sending' | 'committing';
  /** Bytes the board has confirmed. */
  bytesDone: number;
  totalBytes: number;
  /** Where this run started: > 0 when it resumed an interrupted transfer. */
  resumedFrom: number;
  /** Confirmed payload bytes per second in this run. */
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface FlashOptions {
  onProgress?: (progress: FlashProgress) => void;
  signal?: AbortSignal;
  /** `windowed` (default) keeps up to the board's RX buffer in flight; `stop-and-wait` one chunk. */
  mode?: TransferMode;
  /** Cap on chunk payload bytes; default: the most the board's SysEx and RX buffers take. */
  maxChunkBytes?: number;
  /** Give up when the board confirms nothing for this long (default 10 s). */
  stallTimeoutMs?: number;
  /** Board info from an earlier query, to skip asking again. */
  board?: BoardInfo;
}

export interface FlashResult {
  boardId: string;
  slot: number;
  sequence: number;
  length: number;
  crc32: number;
  resumedFrom: number;
  seconds: number;
  /** Payload bytes confirmed per second (resumed bytes excluded). */
  bytesPerSecond: number;
  mode: TransferMode;
  maxChunkBytes: number;
  windowBytes: number;
  /** Every byte written to the port for the transfer, framing and retransmissions included. */
  wireBytes: number;
  retransmittedBytes: number;
  naks: number;
  timeouts: number;
}

/** Smallest chunk the adaptive sizing shrinks to on a noisy line. */
const MIN_CHUNK = 20;

/** Payload bytes whose chunk body (payload + 8) packs without a partial 7-bit group. */
function alignChunk(payload: number): number {
  return Math.max(MIN_CHUNK, Math.floor((payload + CHUNK_OVERHEAD) / 7) * 7 - CHUNK_OVERHEAD);
}

/** The largest chunk the board's SysEx buffer holds and `wireLimit` allows on the wire. */
export function chunkLimit(board: BoardInfo, wireLimit: number): number {
  // SysEx bytes between F0 and F7: id, command, packed (offset, data, CRC).
  let payload = Math.floor(((board.maxSysexBytes - 2) * 7) / 8) - CHUNK_OVERHEAD;
  while (payload > MIN_CHUNK && messageWireBytes(payload + 4) > wireLimit) payload--;
  return alignChunk(payload);
}

type Event =
  | { kind: 'ack'; next: number }
  | { kind: 'nak'; expected: number; reason: number }
  | { kind: 'state'; state: TransferState }
  | { kind: 'timeout' }
  | { kind: 'closed' }
  | { kind: 'abort' };

interface InFlight {
  end: number;
  wire: number;
  sentAt: number;
  resent: boolean;
}

/** Transfer `bytes` into the board's inactive slot and make it the active model. */
export async function flashModel(
  link: Link,
  bytes: Uint8Array,
  options: FlashOptions = {},
): Promise<FlashResult> {
  const signal = options.signal;
  const mode = options.mode ?? 'windowed';
  const board = options.board ?? (await boardInfo(link, { signal }));
  if (bytes.length === 0) {
    throw new TinygateError('MODEL_EMPTY', 'the model file is empty', { hint: 'Pass a .tflite model file.' });
  }
  if (!board.features.modelStore || board.slotBytes === 0) {
    throw new TinygateError('NO_MODEL_STORE', `${link.name}: board ${board.boardId} has no model store`, {
      hint: 'This firmware build cannot store models; check its store medium (docs/protocol.md).',
    });
  }
  if (bytes.length > board.slotBytes) {
    throw new TinygateError(
      'MODEL_TOO_LARGE',
      `the model is ${bytes.length} bytes but a model slot on ${board.boardId} holds ${board.slotBytes}; nothing was sent`,
      {
        hint: `Convert the model for this board so it fits (at most ${board.slotBytes} bytes).`,
        details: { modelBytes: bytes.length, slotBytes: board.slotBytes, boardId: board.boardId },
      },
    );
  }
  const total = bytes.length;
  const crc = crc32(bytes);
  const windowBytes = Math.max(board.rxBufferBytes, 16);
  const maxChunk = Math.min(
    options.maxChunkBytes ?? Number.POSITIVE_INFINITY,
    chunkLimit(board, mode === 'windowed' ? Math.max(windowBytes / 2, 64) : windowBytes),
  );
  const stallTimeoutMs = options.stallTimeoutMs ?? 10_000;

  const begin = async (): Promise<TransferState> => {
    const state = await link.request(
      Command.transferBegin,
      encodeBegin(total, crc),
      replyOf(Command.transferBegin, Reply.transferState, decodeTransferState, link),
      { timeoutMs: 3000 + total / 50, attempts: 8, signal, what: 'transfer begin' },
    );
    if (state.status !== Status.ok) throw refused(link, 'begin', state.status, board);
    if (state.length !== total || state.crc32 !== crc) {
      throw new TinygateError(
        'TRANSFER_REFUSED',
        `${link.name}: the board began a different transfer than asked`,
        {
          hint: 'Run flash again.',
          kind: 'internal',
        },
      );
    }
    return state;
  };

  // Events arrive as board messages; the loop below takes them one at a time.
  const queue: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (e: Event) => {
    queue.push(e);
    wake?.();
  };
  const onMessage = (m: TinygateMessage) => {
    try {
      if (m.command === Reply.chunkAck) push({ kind: 'ack', ...decodeAck(m.body) });
      else if (m.command === Reply.chunkNak) push({ kind: 'nak', ...decodeNak(m.body) });
      else if (m.command === Reply.transferState) push({ kind: 'state', state: decodeTransferState(m.body) });
    } catch {
      // A reply shortened by line noise: the timeout will recover.
    }
  };
  const onClosed = () => push({ kind: 'closed' });
  const onAbort = () => push({ kind: 'abort' });
  const nextEvent = (waitMs: number) =>
    new Promise<Event>((resolve) => {
      const take = () => {
        clearTimeout(timer);
        wake = null;
        resolve(queue.shift() ?? { kind: 'timeout' });
      };
      const timer = setTimeout(take, Math.max(0, waitMs));
      if (queue.length) take();
      else wake = take;
    });

  const started = performance.now();
  const state = await begin();
  const resumedFrom = state.received;
  let base = state.received;
  let next = base;
  let highestSent = base;
  let chunk = maxChunk;
  let cleanStreak = 0;
  let inflight: InFlight[] = [];
  let wireBytes = 0;
  let retransmittedBytes = 0;
  let naks = 0;
  let timeouts = 0;
  let lastProgress = performance.now();
  // Retransmission timeout from measured round trips (Jacobson/Karels, as TCP does).
  let srtt = 0;
  let rttvar = 0;
  let rto =
    link.baudRate !== null ? Math.min(3000, 250 + (2 * windowBytes * 10 * 1000) / link.baudRate) : 1000;

  const progress = (phase: FlashProgress['phase']) => {
    if (!options.onProgress) return;
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? (base - resumedFrom) / seconds : 0;
    options.onProgress({
      phase,
      bytesDone: base,
      totalBytes: total,
      resumedFrom,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? (total - base) / rate : null,
    });
  };
  // On a noisy line smaller chunks and fewer of them in flight waste less per loss (go-back-N
  // resends everything after a loss): halve both on a loss, grow them back while acks flow.
  let congestionWindow = windowBytes;
  const shrink = () => {
    chunk = Math.max(MIN_CHUNK, alignChunk(Math.floor(chunk / 2)));
    congestionWindow = Math.max(messageWireBytes(chunk + 4), Math.floor(congestionWindow / 2));
    cleanStreak = 0;
  };
  // Each frame still in flight at a go-back earns one reply from the board (mostly NAKs for the
  // same offset); those are not news. Count them off instead of rewinding again for each.
  let staleReplies = 0;
  let rewoundTo = -1;
  const rewind = (to: number) => {
    staleReplies = inflight.filter((f) => f.end > to).length;
    rewoundTo = to;
    base = to;
    next = to;
    inflight = [];
  };

  link.on('message', onMessage);
  link.on('closed', onClosed);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    progress('sending');
    while (base < total) {
      if (signal?.aborted) throw cancelled('the model transfer');
      if (!link.isOpen) throw linkLost(link);
      // Fill the window: bytes in flight never exceed the board's RX buffer.
      while (next < total) {
        const n = Math.min(chunk, total - next);
        const frame = encodeMessage(Command.transferChunk, encodeChunk(next, bytes.subarray(next, next + n)));
        const inFlightWire = inflight.reduce((sum, f) => sum + f.wire, 0);
        const limit = Math.min(windowBytes, congestionWindow);
        if (inflight.length > 0 && (mode === 'stop-and-wait' || inFlightWire + frame.length > limit)) break;
        link.write(frame);
        wireBytes += frame.length;
        const resent = next < highestSent;
        if (resent) retransmittedBytes += Math.min(n, highestSent - next);
        inflight.push({ end: next + n, wire: frame.length, sentAt: performance.now(), resent });
        next += n;
        highestSent = Math.max(highestSent, next);
      }
      const oldest = inflight[0];
      const event = await nextEvent(oldest ? oldest.sentAt + rto - performance.now() : rto);
      const now = performance.now();
      switch (event.kind) {
        case 'ack': {
          if (event.next <= base) break; // stale or duplicate
          if (staleReplies > 0) staleReplies--;
          // The latest transmission of a frame is the one timed: after a go-back only it is in flight.
          const acked = inflight.find((f) => f.end === event.next);
          if (acked) {
            const rtt = now - acked.sentAt;
            rttvar = srtt ? 0.75 * rttvar + 0.25 * Math.abs(srtt - rtt) : rtt / 2;
            srtt = srtt ? 0.875 * srtt + 0.125 * rtt : rtt;
            rto = Math.min(5000, Math.max(150, srtt + 4 * rttvar));
          }
          base = Math.min(event.next, total);
          inflight = inflight.filter((f) => f.end > base);
          if (next < base) next = base;
          lastProgress = now;
          congestionWindow = Math.min(windowBytes, congestionWindow + 64);
          if (++cleanStreak >= 8 && chunk < maxChunk) {
            chunk = Math.min(maxChunk, alignChunk(chunk * 2));
            cleanStreak = 0;
          }
          progress('sending');
          break;
        }
        case 'nak': {
          naks++;
          if (event.reason === Status.noTransfer) {
            rewind((await begin()).received); // the board forgot the transfer (reset): begin again, resuming
            break;
          }
          if (event.reason === Status.store || event.reason === Status.tooLarge) {
            throw refused(link, 'chunk', event.reason, board);
          }
          if (staleReplies > 0) {
            staleReplies--;
            if (event.expected === rewoundTo) break;
          }
          if (event.expected > base) lastProgress = now;
          if (event.reason === Status.crc) shrink();
          rewind(Math.min(event.expected, total));
          progress('sending');
          break;
        }
        case 'state': {
          if (event.state.receiving && event.state.length === total && event.state.crc32 === crc) {
            if (event.state.received > base) lastProgress = now;
            rewind(event.state.received);
          }
          break;
        }
        case 'timeout': {
          if (!oldest) break;
          timeouts++;
          shrink();
          rto = Math.min(3000, rto * 2); // back off; the next measured round trip resets it
          rewind(base);
          if (now - lastProgress > stallTimeoutMs) {
            throw new TinygateError(
              'TRANSFER_STALLED',
              `${link.name}: the board confirmed nothing for ${(stallTimeoutMs / 1000).toFixed(0)} s (at byte ${base} of ${total})`,
              {
                hint: 'Check the connection and run flash again: the transfer resumes where it stopped.',
                details: { received: base, total },
              },
            );
          }
          // Acks may be what got lost: ask where the board is (answered as a 'state' event).
          link.send(Command.transferQuery);
          break;
        }
        case 'closed':
          throw linkLost(link);
        case 'abort':
          throw cancelled('the model transfer');
      }
    }

    progress('committing');
    const commit = await link.request(
      Command.transferCommit,
      encodeU32(crc),
      replyOf(Command.transferCommit, Reply.commit, decodeCommit, link),
      // Safe to repeat (a lost reply is recognised above); a noisy line may need several tries.
      { timeoutMs: 3000 + total / 20, attempts: 8, signal, what: 'transfer commit' },
    );
    let slot = commit.slot;
    let sequence = commit.sequence;
    if (commit.status === Status.noTransfer) {
      // A retried commit after a lost reply: the first one may have made the model active.
      const models = await modelInfo(link, { signal });
      const active = models.activeSlot === null ? null : models.slots[models.activeSlot];
      if (!active || active.crc32 !== crc || active.length !== total)
        throw refused(link, 'commit', commit.status, board);
      slot = active.slot;
      sequence = active.sequence;
    } else if (commit.status !== Status.ok) {
      throw refused(link, 'commit', commit.status, board);
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      boardId: board.boardId,
      slot,
      sequence,
      length: total,
      crc32: crc,
      resumedFrom,
      seconds,
      bytesPerSecond: seconds > 0 ? (total - resumedFrom) / seconds : 0,
      mode,
      maxChunkBytes: maxChunk,
      windowBytes: mode === 'windowed' ? windowBytes : 0,
      wireBytes,
      retransmittedBytes,
      naks,
      timeouts,
    };
  } finally {
    link.off('message', onMessage);
    link.off('closed', onClosed);
    signal?.removeEventListener('abort', onAbort);
  }
}

function refused(link: Link, step: string, status: number, board: BoardInfo): TinygateError {
  const hints: Record<number, string> = {
    [Status.tooLarge]: `Convert the model so it fits one slot (${board.slotBytes} bytes).`,
    [Status.crc]:
      'The board read back different bytes than were sent: run flash again; if it repeats, the store medium may be failing.',
    [Status.store]: 'The board could not write its model store: check its flash/EEPROM.',
  };
  return new TinygateError(
    'TRANSFER_REFUSED',
    `${link.name}: the board refused the transfer ${step}: ${statusText(status)}`,
    {
      hint: hints[status] ?? 'Run flash again; the transfer resumes where it stopped.',
      details: { step, status },
    },
  );
}
