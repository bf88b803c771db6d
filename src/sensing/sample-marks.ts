// The firmware bridge's sample marks (docs/protocol.md): F0 0C s0 s1 s2 F7 before each sample slot's analog
// reports, the slot's number in 21 bits. Read through firmata-io's own parser, so a mark and the reports
// after it arrive in the order the board sent them.
import type { FirmataIo } from './j5.js';

export const SAMPLE_MARK = 0x0c;
const WRAP = 1 << 21;

interface MarkedIo {
  buffer: number[];
}

const listeners = new WeakMap<object, (slot: number) => void>();
let registered = false;

/** Calls `onMark(slot)` for every mark `io` parses; the returned function stops it. */
export function watchSampleMarks(io: FirmataIo, onMark: (slot: number) => void): () => void {
  if (!registered) {
    // firmata-io keeps one SysEx handler table for every board: dispatch by the board that parsed it.
    (
      io as unknown as { sysexResponse(cmd: number, fn: (this: MarkedIo, data: number[]) => void): void }
    ).sysexResponse(SAMPLE_MARK, function (this: MarkedIo, data: number[]) {
      if (data.length !== 3) return; // not a mark (another firmware's use of the byte)
      listeners.get(this)?.(data[0]! | (data[1]! << 7) | (data[2]! << 14));
    });
    registered = true;
  }
  listeners.set(io, onMark);
  return () => listeners.delete(io);
}

/** Slots lost between two consecutive marks (0 when `slot` follows `previous`). */
export function slotsBetween(previous: number, slot: number): number {
  return (slot - previous - 1 + WRAP) % WRAP;
}
