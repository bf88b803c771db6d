import { TinygateError } from '../errors/index.js';
import { nameRuntimeCodes } from '../tflite/index.js';
import { replyOf } from './board-info.js';
import type { Link } from './link.js';
import { Command, Reply } from './protocol.js';

export interface RuntimeStatus {
  state: 'no-model' | 'ready' | 'error';
  /** Activation bytes of the arena the model uses. */
  arenaBytes: number;
  /** Bytes of the arena the model's tables take (tensors, ops and the kernels' data), below the activations. */
  tablesBytes: number;
  /** Arena + tables: all the RAM the model takes beyond the firmware's fixed state. */
  usedBytes: number;
  ops: number;
  inputBytes: number;
  outputBytes: number;
  /** Why the model was refused (e.g. "unsupported op CONV_2D"), when state is error. */
  error: string | null;
}

const STATES = ['no-model', 'ready', 'error'] as const;
/** Input bytes per RUN_INFERENCE message: fits the smallest SysEx buffer we build (64 B) after packing. */
const INPUT_CHUNK = 40;

/** What the board's int8 runtime holds: its state, arena use and I/O sizes. */
export async function runtimeStatus(link: Link): Promise<RuntimeStatus> {
  const body = await link.request(
    Command.runtimeStatus,
    undefined,
    replyOf(Command.runtimeStatus, Reply.runtimeStatus, (b) => b, link),
    { timeoutMs: 500, attempts: 6, what: 'runtime status' },
  );
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.length < 16)
    throw new TinygateError('LINK_MALFORMED', `${link.name}: runtime status too short`, { kind: 'internal' });
  const errLen = body[15]!;
  // The tables' bytes follow the reason (absent from firmware that kept them outside the arena: 0).
  const tablesBytes = body.length >= 20 + errLen ? v.getUint32(16 + errLen, true) : 0;
  return {
    state: STATES[body[0]!] ?? 'error',
    arenaBytes: v.getUint32(1, true),
    tablesBytes,
    usedBytes: v.getUint32(1, true) + tablesBytes,
    ops: v.getUint16(5, true),
    inputBytes: v.getUint32(7, true),
    outputBytes: v.getUint32(11, true),
    error: errLen ? nameRuntimeCodes(Buffer.from(body.subarray(16, 16 + errLen)).toString('latin1')) : null,
  };
}

const INFER_ERRORS: Record<number, string> = {
  2: 'the board has no runnable model',
  3: 'the board refused the input chunk',
  4: 'the board failed to run the model',
  5: "the model's output does not fit the board's reply buffer",
};
const INFER_RUNNING = 6;

/** Request ids per link, 1..255: every reply echoes its request's id. */
const nextIds = new WeakMap<Link, number>();
function requestId(link: Link): number {
  const id = nextIds.get(link) ?? 1;
  nextIds.set(link, id === 255 ? 1 : id + 1);
  return id;
}

/**
 * Run one inference on the board: `input` is the model input tensor's raw bytes. The request carries an id
 * the board echoes, so a late answer to an earlier request (sent again after a timeout) is never taken for
 * this one; once the board says it started, the gateway waits up to `runTimeoutMs` without resending.
 */
export async function runOnBoard(
  link: Link,
  input: Uint8Array,
  options: { timeoutMs?: number; attempts?: number; runTimeoutMs?: number } = {},
): Promise<{ output: Uint8Array; micros: number }> {
  const id = requestId(link);
  for (let offset = 0; ; offset += INPUT_CHUNK) {
    const chunk = input.subarray(offset, offset + INPUT_CHUNK);
    const last = offset + INPUT_CHUNK >= input.length;
    const body = new Uint8Array(4 + chunk.length);
    body[0] = last ? 1 : 0;
    body[1] = id;
    body[2] = offset & 0xff;
    body[3] = (offset >> 8) & 0xff;
    body.set(chunk, 4);
    const next = offset + chunk.length;
    // This request's reply: its id, and for a chunk taken, the offset after this chunk (not an earlier one's).
    const mine = (b: Uint8Array) =>
      b.length >= 6 &&
      b[1] === id &&
      (b[0] !== 1 || new DataView(b.buffer, b.byteOffset + 2, 4).getUint32(0, true) === next)
        ? b
        : undefined;
    const accept = replyOf(Command.runInference, Reply.inference, (b) => b, link);
    const reply = await link.request(
      Command.runInference,
      body,
      (m) => {
        const b = accept(m);
        return b && mine(b) && b[0] !== INFER_RUNNING ? b : undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 2000,
        attempts: options.attempts ?? 4,
        what: `run inference (request ${id})`,
        working: (m) => {
          const b = accept(m);
          return b && mine(b) && b[0] === INFER_RUNNING ? (options.runTimeoutMs ?? 120_000) : undefined;
        },
      },
    );
    const status = reply[0];
    if (status === 1 && !last) continue;
    if (status !== 0) {
      throw new TinygateError(
        'BOARD_INFERENCE',
        `${link.name}: ${INFER_ERRORS[status ?? -1] ?? `inference failed (status ${status})`}`,
        {
          hint: 'Check `tinygate board info`: the runtime must be ready with the model you flashed.',
        },
      );
    }
    const micros = new DataView(reply.buffer, reply.byteOffset + 2, 4).getUint32(0, true);
    return { output: reply.slice(6), micros };
  }
}
