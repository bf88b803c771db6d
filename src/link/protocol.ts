/**
 * The tinygate SysEx extension, message by message (docs/protocol.md is the byte-level reference;
 * firmware-bridge/src/tinygate_link.h is the board's side). Pure encode/decode: no I/O here.
 */
import { createRequire } from 'node:module';
import { crc32 } from './crc32.js';

const require = createRequire(import.meta.url);
// Firmata's own 8→7 packing, so both ends agree with every other Firmata tool.
const encoder7bit = require('firmata-io/lib/encoder7bit.js') as {
  to7BitArray(data: ArrayLike<number>): number[];
  from7BitArray(encoded: ArrayLike<number>): number[];
};

export const START_SYSEX = 0xf0;
export const END_SYSEX = 0xf7;
export const REPORT_VERSION = 0xf9;
export const REPORT_FIRMWARE = 0x79;

/** Our Firmata user SysEx id (user ids are 0x00–0x0F). */
export const TG_SYSEX_ID = 0x0d;
export const PROTOCOL_VERSION = 2;

export const Command = {
  boardInfo: 0x01,
  modelInfo: 0x02,
  transferBegin: 0x03,
  transferChunk: 0x04,
  transferCommit: 0x05,
  transferAbort: 0x06,
  transferQuery: 0x07,
  /** The on-board int8 runtime (firmware-bridge/runtime/, builds with TG_WITH_RUNTIME). */
  runInference: 0x10,
  streamStart: 0x11,
  streamStop: 0x12,
  runtimeStatus: 0x13,
} as const;

export const Reply = {
  boardInfo: 0x41,
  modelInfo: 0x42,
  transferState: 0x43,
  chunkAck: 0x44,
  commit: 0x45,
  chunkNak: 0x4e,
  /** The on-board int8 runtime (firmware-bridge/runtime/, builds with TG_WITH_RUNTIME). */
  inference: 0x50,
  score: 0x51,
  runtimeStatus: 0x53,
  /** Unsolicited: the board skipped sample slots after a stall (`u32` skipped, `u32` slot counter). */
  samplesSkipped: 0x54,
  error: 0x7f,
} as const;

/** Status codes of begin, chunk NAK and commit (firmware-bridge/src/model_store.h). */
export const Status = {
  ok: 0,
  tooLarge: 1,
  empty: 2,
  noTransfer: 3,
  offset: 4,
  incomplete: 5,
  crc: 6,
  store: 7,
} as const;

const STATUS_TEXT: Record<number, string> = {
  0: 'ok',
  1: 'model larger than the slot',
  2: 'empty model',
  3: 'no transfer in progress',
  4: 'chunk out of order',
  5: 'transfer incomplete',
  6: 'CRC mismatch',
  7: 'model store write failed',
};

export function statusText(code: number): string {
  return STATUS_TEXT[code] ?? `unknown status ${code}`;
}

export const ErrorCode = { unknownCommand: 1, malformed: 2 } as const;

export const SLOT_STATES = ['empty', 'valid', 'invalid', 'receiving'] as const;
export type SlotState = (typeof SLOT_STATES)[number];

export const FEATURE_MODEL_STORE = 0x01;
export const FEATURE_RUNTIME = 0x02;

export interface BoardInfo {
  protocolVersion: number;
  firmwareVersion: string;
  boardId: string;
  /** Program flash of the MCU. */
  flashBytes: number;
  ramBytes: number;
  /** Tensor arena the board's int8 runtime may use. */
  arenaBytes: number;
  /** UART receive buffer: the most bytes the gateway may have in flight. */
  rxBufferBytes: number;
  /** Bytes between F0 and F7 the board's SysEx parser keeps. */
  maxSysexBytes: number;
  /** Largest model one slot holds. */
  slotBytes: number;
  slotCount: number;
  features: { modelStore: boolean; runtime: boolean };
  /** The runtime's fixed tables: most tensors, operators and per-channel parameters a model may have. */
  runtimeLimits: RuntimeLimits | null;
  /** TFLite op codes the board's runtime has kernels for (its kernel table), in its order; null without a runtime. */
  runtimeKernels: number[] | null;
}

export interface SlotInfo {
  slot: number;
  state: SlotState;
  length: number;
  crc32: number;
  sequence: number;
  active: boolean;
}

export interface ModelInfo {
  activeSlot: number | null;
  slots: SlotInfo[];
}

export interface TransferState {
  status: number;
  receiving: boolean;
  slot: number | null;
  length: number;
  crc32: number;
  /** Bytes the board holds of the transfer: where a resumed transfer continues. */
  received: number;
}

export interface CommitResult {
  status: number;
  slot: number;
  length: number;
  crc32: number;
  sequence: number;
}

/** CRC-32 of a message: its command byte, then its body. */
function messageCrc(command: number, body: Uint8Array): number {
  return crc32(body, crc32(Uint8Array.of(command)));
}

/** A whole tinygate message as it goes on the wire: F0 0D command packed(body, CRC-32) F7. */
export function encodeMessage(command: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const withCrc = new Uint8Array(body.length + 4);
  withCrc.set(body);
  new DataView(withCrc.buffer).setUint32(body.length, messageCrc(command, body), true);
  const packed = encoder7bit.to7BitArray(withCrc);
  const out = new Uint8Array(packed.length + 4);
  out[0] = START_SYSEX;
  out[1] = TG_SYSEX_ID;
  out[2] = command;
  out.set(packed, 3);
  out[out.length - 1] = END_SYSEX;
  return out;
}

/**
 * A tinygate message from a SysEx (the bytes between F0 and F7, id first); null when it is
 * not ours or was damaged on the way (its CRC does not match).
 */
export function decodeMessage(sysex: Uint8Array): { command: number; body: Uint8Array } | null {
  if (sysex.length < 2 || sysex[0] !== TG_SYSEX_ID) return null;
  for (const b of sysex) if (b > 0x7f) return null;
  const unpacked = Uint8Array.from(encoder7bit.from7BitArray(sysex.subarray(2)));
  if (unpacked.length < 4) return null;
  const body = unpacked.subarray(0, unpacked.length - 4);
  const crc = new DataView(unpacked.buffer).getUint32(unpacked.length - 4, true);
  return crc === messageCrc(sysex[1]!, body) ? { command: sysex[1]!, body } : null;
}

/** Wire bytes of a message whose body is `bodyBytes` long (framing and CRC included). */
export function messageWireBytes(bodyBytes: number): number {
  return Math.ceil(((bodyBytes + 4) * 8) / 7) + 4;
}

/** Chunk body is u32 offset then the data; with the message CRC that is 8 bytes beside the data. */
export const CHUNK_OVERHEAD = 8;

export function encodeChunk(offset: number, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(data.length + 4);
  new DataView(body.buffer).setUint32(0, offset, true);
  body.set(data, 4);
  return body;
}

export function encodeBegin(length: number, crc: number): Uint8Array {
  const body = new Uint8Array(8);
  const view = new DataView(body.buffer);
  view.setUint32(0, length, true);
  view.setUint32(4, crc, true);
  return body;
}

export function encodeU32(value: number): Uint8Array {
  const body = new Uint8Array(4);
  new DataView(body.buffer).setUint32(0, value, true);
  return body;
}

class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.at;
  }
  private need(n: number): void {
    if (this.at + n > this.bytes.length) {
      throw new RangeError(
        `${this.what}: body of ${this.bytes.length} bytes ends before byte ${this.at + n}`,
      );
    }
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  ascii(n: number): string {
    this.need(n);
    const s = Buffer.from(this.bytes.subarray(this.at, this.at + n)).toString('latin1');
    this.at += n;
    return s;
  }
}

export interface RuntimeLimits {
  maxTensors: number;
  maxOps: number;
  maxChannelParams: number;
}

export function decodeBoardInfo(body: Uint8Array): BoardInfo {
  const r = new Reader(body, 'board info');
  const protocolVersion = r.u8();
  const firmwareVersion = `${r.u8()}.${r.u8()}.${r.u8()}`;
  const flashBytes = r.u32();
  const ramBytes = r.u32();
  const arenaBytes = r.u32();
  const rxBufferBytes = r.u16();
  const maxSysexBytes = r.u16();
  const slotBytes = r.u32();
  const slotCount = r.u8();
  const features = r.u8();
  const boardId = r.ascii(r.u8());
  // The runtime's fixed tables (0 without a runtime).
  const limits = { maxTensors: r.u16(), maxOps: r.u16(), maxChannelParams: r.u16() };
  // Then the op codes of its kernels (absent from firmware older than the kernel table).
  const kernels: number[] = [];
  if (r.remaining > 0) for (let n = r.u8(); n > 0; n--) kernels.push(r.u16());
  return {
    protocolVersion,
    firmwareVersion,
    boardId,
    flashBytes,
    ramBytes,
    arenaBytes,
    rxBufferBytes,
    maxSysexBytes,
    slotBytes,
    slotCount,
    features: {
      modelStore: (features & FEATURE_MODEL_STORE) !== 0,
      runtime: (features & FEATURE_RUNTIME) !== 0,
    },
    runtimeLimits: (features & FEATURE_RUNTIME) !== 0 ? limits : null,
    runtimeKernels: (features & FEATURE_RUNTIME) !== 0 ? kernels : null,
  };
}

export function decodeModelInfo(body: Uint8Array): ModelInfo {
  const r = new Reader(body, 'model info');
  const count = r.u8();
  const active = r.u8();
  const slots: SlotInfo[] = [];
  for (let slot = 0; slot < count; slot++) {
    const state = r.u8();
    slots.push({
      slot,
      state: SLOT_STATES[state] ?? 'invalid',
      length: r.u32(),
      crc32: r.u32(),
      sequence: r.u32(),
      active: slot === active,
    });
  }
  return { activeSlot: active < count ? active : null, slots };
}

export function decodeTransferState(body: Uint8Array): TransferState {
  const r = new Reader(body, 'transfer state');
  const status = r.u8();
  const receiving = r.u8() !== 0;
  const slot = r.u8();
  return {
    status,
    receiving,
    slot: receiving ? slot : null,
    length: r.u32(),
    crc32: r.u32(),
    received: r.u32(),
  };
}

export function decodeAck(body: Uint8Array): { next: number } {
  return { next: new Reader(body, 'chunk ack').u32() };
}

export function decodeNak(body: Uint8Array): { expected: number; reason: number } {
  const r = new Reader(body, 'chunk nak');
  return { expected: r.u32(), reason: r.u8() };
}

export function decodeCommit(body: Uint8Array): CommitResult {
  const r = new Reader(body, 'commit result');
  return { status: r.u8(), slot: r.u8(), length: r.u32(), crc32: r.u32(), sequence: r.u32() };
}

export function decodeError(body: Uint8Array): { command: number; code: number } {
  const r = new Reader(body, 'error');
  return { command: r.u8(), code: r.u8() };
}
