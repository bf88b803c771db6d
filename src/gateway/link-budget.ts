import type { SensorSpec } from '../sensing/index.js';

/** Per sample slot: the 6-byte sample mark, then a 3-byte Firmata analog message per analog pin. */
const MARK_BYTES = 6;
const ANALOG_BYTES = 3;
/** johnny-five's MPU6050 reads 14 bytes at each address every slot: an I2C reply of 7 + 2 × 14 bytes. */
const MPU6050_REPLY_BYTES = 7 + 2 * 14;
/** 8N1: ten bits on the wire per byte. */
const BITS_PER_BYTE = 10;

export interface LinkLoad {
  slotsPerSecond: number;
  bytesPerSlot: number;
  bytesPerSecond: number;
  /** What the serial link carries at its baud rate. */
  capacityBytesPerSecond: number;
  /** The highest samplingRateHz whose slots the link carries (whole slot intervals of 1 ms). */
  maxRateHz: number;
}

/**
 * What a board's sampling asks of its serial link. A board asked for more drops whole slots (and says
 * so); the gateway then only sees data-quality windows, so this is worth saying before it starts.
 * BME280 readings come at johnny-five's own pace, not per slot, and are left out.
 */
export function linkLoad(sensors: SensorSpec[], samplingRateHz: number, baud: number): LinkLoad {
  const pins = new Set<string>();
  const mpuAddresses = new Set<number>();
  for (const s of sensors) {
    if ('pin' in s) pins.add(s.pin);
    else if ('pins' in s) for (const p of s.pins) pins.add(p);
    else if (s.controller === 'MPU6050') mpuAddresses.add(s.address ?? 0x68);
  }
  const bytesPerSlot = MARK_BYTES + ANALOG_BYTES * pins.size + MPU6050_REPLY_BYTES * mpuAddresses.size;
  // The firmware samples every whole number of milliseconds (Firmata's sampling interval).
  const slotsPerSecond = 1000 / Math.max(1, Math.round(1000 / samplingRateHz));
  const capacityBytesPerSecond = baud / BITS_PER_BYTE;
  return {
    slotsPerSecond,
    bytesPerSlot,
    bytesPerSecond: slotsPerSecond * bytesPerSlot,
    capacityBytesPerSecond,
    maxRateHz: 1000 / Math.ceil(1000 / (capacityBytesPerSecond / bytesPerSlot)),
  };
}

/** Why the link cannot carry the sampling, with the numbers and what to change; null when it can. */
export function linkOverload(
  board: { id: string; sensors: SensorSpec[]; samplingRateHz: number },
  baud: number,
): string | null {
  const l = linkLoad(board.sensors, board.samplingRateHz, baud);
  if (l.bytesPerSecond <= l.capacityBytesPerSecond) return null;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return (
    `board ${board.id}: ${n(l.slotsPerSecond)} slots/s of ${l.bytesPerSlot} B need ${n(l.bytesPerSecond)} B/s, ` +
    `more than ${n(baud)} baud carries (${n(l.capacityBytesPerSecond)} B/s): the board will drop whole slots, ` +
    `reported as lost samples, and its windows as data quality. Lower samplingRateHz to ${n(l.maxRateHz)} or less, ` +
    "read fewer channels, or raise the link's baud (the firmware's and the config's alike)."
  );
}
