// The Arduino-library build of the bridge on an emulated Uno (avr8js at 16 MHz; its USART holds each byte for
// (UBRR + 1) × 8 × 10 cycles, so 115200 baud with U2X carries 11,765 bytes a second) asked for more samples than
// the link carries: 4 channels every 1 ms are 18 bytes a slot (a 6-byte mark, 3 per channel), 18,000 B/s. The
// samples must still be taken on the board's clock, go out as whole slots only as far as Serial's transmit
// buffer takes them, every slot that could not go must be counted in 0x54 reports with the slot counter, and
// the gateway's requests must still be answered.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { boardInfo, openLink } from '../../src/link/index.js';
import { messageWireBytes } from '../../src/link/protocol.js';
import { AvrBoard } from '../../src/sim/avr-board.js';
import { ROOT } from '../helpers/cli.js';
import { haveArduinoBuilder } from '../helpers/tools.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** A0–A3 each ramp 0–5 V every 250 ms of emulated time (4.092 counts a ms), a quarter period apart. */
const RAMP_S = 0.25;
const COUNTS_PER_MS = 1023 / (RAMP_S * 1000);
const ramp = (c: number, t: number) => (c < 4 ? 5 * (((t + (c * RAMP_S) / 4) % RAMP_S) / RAMP_S) : 0);

interface Slot {
  slot: number;
  /** Emulated ms at which its mark left the board. */
  atMs: number;
  channels: number[];
  values: number[];
}

/** Sample marks and the analog reports after each, off the raw wire, stamped with the board's emulated time. */
function tap(board: AvrBoard): { slots: Slot[]; bytes: () => number } {
  const slots: Slot[] = [];
  let bytes = 0;
  let sysex: number[] | null = null;
  let analog: number[] | null = null;
  board.transport.on('data', (chunk: Buffer) => {
    for (const b of chunk) {
      bytes++;
      if (sysex) {
        if (b === 0xf7) {
          if (sysex[0] === 0x0c && sysex.length === 4) {
            const slot = sysex[1]! | (sysex[2]! << 7) | (sysex[3]! << 14);
            slots.push({ slot, atMs: board.seconds * 1000, channels: [], values: [] });
          }
          sysex = null;
        } else sysex.push(b);
      } else if (b === 0xf0) sysex = [];
      else if ((b & 0xf0) === 0xe0) analog = [b & 0x0f];
      else if (b & 0x80) analog = null;
      else if (analog) {
        analog.push(b);
        if (analog.length === 3) {
          const last = slots.at(-1);
          last?.channels.push(analog[0]!);
          last?.values.push(analog[1]! | (analog[2]! << 7));
          analog = null;
        }
      }
    }
  });
  return { slots, bytes: () => bytes };
}

async function untilEmulated(board: AvrBoard, seconds: number): Promise<void> {
  while (board.seconds < seconds) await new Promise((r) => setTimeout(r, 20));
}

describe.skipIf(!haveArduinoBuilder)('an Uno (Arduino library) sampling faster than its serial link', () => {
  const hex = join(ROOT, 'firmware-bridge/build/arduino/arduino-uno.hex');
  beforeAll(() => {
    execFileSync('make', ['-s', '-C', join(ROOT, 'firmware-bridge'), 'arduino'], { stdio: 'ignore' });
    expect(existsSync(hex)).toBe(true);
  }, 180_000);

  it('keeps the slots on the clock, drops whole slots, counts every one in 0x54 reports, and still answers', async () => {
    const board = new AvrBoard({ hex, analogAt: ramp });
    cleanup.push(() => board.stop());
    const wire = tap(board);
    const link = await openLink({ stream: board.transport, name: 'emulated uno' });
    const reports: { skipped: number; counter: number; atMs: number }[] = [];
    link.on('message', (m: { command: number; body: Uint8Array }) => {
      if (m.command !== 0x54) return;
      const v = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
      reports.push({
        skipped: v.getUint32(0, true),
        counter: v.getUint32(4, true),
        atMs: board.seconds * 1000,
      });
    });
    await boardInfo(link);

    // Every 1 ms, A0–A3: 18 B a slot.
    board.transport.write(Buffer.from([0xf0, 0x7a, 1, 0, 0xf7, 0xc0, 1, 0xc1, 1, 0xc2, 1, 0xc3, 1]));
    const start = board.seconds;
    await untilEmulated(board, start + 0.3);
    const fromMs = board.seconds * 1000;
    const bytesFrom = wire.bytes();
    // The gateway's requests are answered while the link is full, whole (their CRC checks).
    const answerMs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const asked = board.seconds * 1000;
      const info = await boardInfo(link);
      expect(info.boardId).toBe('arduino-uno');
      answerMs.push(board.seconds * 1000 - asked);
      await untilEmulated(board, board.seconds + 0.3);
    }
    await untilEmulated(board, start + 2.3);
    const toMs = board.seconds * 1000;
    const bytesTo = wire.bytes();
    const overloadEnd = wire.slots.length;
    // A1–A3 off: 9 B a slot, which the link carries; the losses still pending are reported.
    board.transport.write(Buffer.from([0xc1, 0, 0xc2, 0, 0xc3, 0]));
    await untilEmulated(board, board.seconds + 0.4);

    const during = wire.slots.filter((s, i) => i < overloadEnd && s.atMs >= fromMs && s.atMs <= toMs);
    // Whole slots only: every mark is followed by all four channels.
    const torn = during.filter((s) => s.channels.join() !== '0,1,2,3');
    expect(torn).toEqual([]);
    // Each slot's values are the inputs at its own time on the board's clock: between two slots sent k slots
    // apart, each ramp rose by k × 4.092 counts, however late the link let the slot go.
    let lost = 0;
    let worstRise = 0;
    for (let i = 1; i < during.length; i++) {
      const a = during[i - 1]!;
      const b = during[i]!;
      const k = b.slot - a.slot;
      expect(k).toBeGreaterThan(0);
      lost += k - 1;
      for (let c = 0; c < 4; c++) {
        const rise = (((b.values[c]! - a.values[c]!) % 1023) + 1023) % 1023;
        // Wrapped ramps rise by a full scale less; compare on the circle.
        const off = Math.abs(rise - ((k * COUNTS_PER_MS) % 1023));
        worstRise = Math.max(worstRise, Math.min(off, 1023 - off));
      }
    }
    // Within 1.5 ms (6 counts) and a count: millis() moves by 2 every 42nd Timer0 tick, so two slots are then
    // taken in one tick, the second after the first's four conversions. A slot read when the link let it go
    // (up to ~18 ms late) would be off by tens of counts.
    expect(worstRise).toBeLessThanOrEqual(1.5 * COUNTS_PER_MS + 1);
    // The slot numbers advance with the board's clock, one a ms, not with what the link carried.
    const first = during[0]!;
    const last = during.at(-1)!;
    const slotsPerMs = (last.slot - first.slot) / (last.atMs - first.atMs);
    expect(slotsPerMs).toBeGreaterThan(0.99);
    expect(slotsPerMs).toBeLessThan(1.01);
    // A slot leaves at most about a ring (12 slots × 18 B at 11.8 B/ms = 18 ms) and a report after its time.
    const lag = during.map((s) => s.atMs - s.slot);
    const lagSpread = Math.max(...lag) - Math.min(...lag);
    expect(lagSpread).toBeLessThan(25);
    // The link ran full: the wire carried close to 11,765 B/s (less: avr8js's transmitter has no second buffer
    // level, so the wire idles while a conversion holds interrupts off), and the whole slots sent are what
    // filled it (beside the 0x54 reports and board info replies).
    const bytesPerS = ((bytesTo - bytesFrom) / (toMs - fromMs)) * 1000;
    expect(bytesPerS).toBeGreaterThan(11_765 * 0.8);
    expect(bytesPerS).toBeLessThanOrEqual(11_765 * 1.01);
    expect((during.length * 18) / (bytesTo - bytesFrom)).toBeGreaterThan(0.9);
    const sentShare = during.length / (last.slot - first.slot + 1);
    expect(lost).toBeGreaterThan(0.3 * (last.slot - first.slot));
    expect(sentShare).toBeLessThanOrEqual(bytesPerS / 18_000);
    // The gateway's requests were answered at once, in emulated time (the request's and the reply's bytes on the
    // wire, a 63-byte buffer ahead of the reply, the 1 ms slices the emulator runs in), never dropped.
    expect(Math.max(...answerMs)).toBeLessThan(30);
    expect(board.rxOverruns).toBe(0);

    // Every slot missing between the first and the last mark was counted in a 0x54 report, with the number of
    // the latest lost slot; the reports came at most one per 100 ms (18 B each).
    const all = wire.slots;
    let gaps = 0;
    const sent = new Set(all.map((s) => s.slot));
    for (let i = 1; i < all.length; i++)
      if (all[i]!.slot > all[i - 1]!.slot) gaps += all[i]!.slot - all[i - 1]!.slot - 1;
    const reported = reports.reduce((n, r) => n + r.skipped, 0);
    expect(reported).toBe(gaps);
    for (const r of reports) {
      expect(sent.has(r.counter)).toBe(false);
      expect(r.counter).toBeLessThanOrEqual(all.at(-1)!.slot);
    }
    // (Stamped on arrival: a report waits behind up to 63 bytes, 5.4 ms, in the transmit buffer.)
    for (let i = 1; i < reports.length; i++)
      expect(reports[i]!.atMs - reports[i - 1]!.atMs).toBeGreaterThan(94);
    expect(messageWireBytes(8)).toBe(18);
    const lastLoss = all.findLast((s, i) => i > 0 && s.slot !== all[i - 1]!.slot + 1)!;
    expect(reports.at(-1)!.counter).toBe(lastLoss.slot - 1);

    console.log(
      JSON.stringify({
        emulatedMs: Math.round(toMs - fromMs),
        bytesPerS: Math.round(bytesPerS),
        slots: last.slot - first.slot + 1,
        sentWhole: during.length,
        lost,
        worstRiseCounts: Number(worstRise.toFixed(2)),
        slotsPerMs: Number(slotsPerMs.toFixed(4)),
        lagSpreadMs: Number(lagSpread.toFixed(1)),
        reports: reports.length,
        reported,
        gapsInMarks: gaps,
        boardInfoAnswerMs: answerMs.map((m) => Number(m.toFixed(1))),
        rxOverruns: board.rxOverruns,
      }),
    );
  }, 180_000);
});
