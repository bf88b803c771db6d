import { ChannelMeta } from '../sensing/channels.js';

/** What a channel must look like to be believed (from its sensor spec); travels with the model. */
export const ChannelCheck = ChannelMeta;
export type ChannelCheck = ChannelMeta;

export type SensorFault = 'dropout' | 'stuck' | 'spikes';

export interface SensorVerdict {
  fault: SensorFault;
  channel: string;
  sensor: string;
  /** Fraction of the window's samples that are implausible, flat or spikes. */
  score: number;
  /** The fraction at which the check trips. */
  threshold: number;
  message: string;
}

/** Thresholds of the checks (defaults measured on the simulator's healthy and faulty machines). */
export interface SensorCheckOptions {
  /** Longest run of identical readings, as a fraction of the window, that still counts as moving. */
  maxFlatFraction: number;
  /** A spike is this many robust standard deviations from the window median… */
  spikeSigma: number;
  /** …while both neighbours stay within this many. */
  neighbourSigma: number;
}

export const DEFAULT_SENSOR_CHECK: SensorCheckOptions = {
  maxFlatFraction: 0.25,
  spikeSigma: 8,
  neighbourSigma: 4,
};

/**
 * Decide whether a window shows a sensor problem rather than a machine one: readings a working sensor
 * cannot give (rail, reset part), a dynamic channel frozen flat, or isolated single-sample spikes.
 * Returns the first problem found, or null when the window is believable.
 */
export function checkWindow(
  channels: ArrayLike<number>[],
  checks: ChannelCheck[],
  offset = 0,
  size = channels[0]?.length ?? 0,
  options: SensorCheckOptions = DEFAULT_SENSOR_CHECK,
  scratch: Float64Array = new Float64Array(size),
): SensorVerdict | null {
  for (let c = 0; c < checks.length; c++) {
    const v = checkChannel(channels[c]!, checks[c]!, offset, size, options, scratch);
    if (v) return v;
  }
  return null;
}

function checkChannel(
  x: ArrayLike<number>,
  ch: ChannelCheck,
  offset: number,
  n: number,
  o: SensorCheckOptions,
  scratch: Float64Array,
): SensorVerdict | null {
  if (ch.checked === false) return null;
  const lo = ch.plausible[0] ?? -Infinity;
  const hi = ch.plausible[1] ?? Infinity;
  let bad = 0;
  let run = 1;
  let longest = 1;
  let zeros = 0;
  const eps = ch.resolution / 2;
  for (let i = 0; i < n; i++) {
    const v = x[offset + i]!;
    if (!(v >= lo && v <= hi)) bad++;
    if (v === 0) zeros++;
    if (i > 0) {
      const d = v - x[offset + i - 1]!;
      if (d < eps && d > -eps) {
        run++;
        if (run > longest) longest = run;
      } else run = 1;
    }
  }
  const base = { channel: ch.name, sensor: ch.sensor };
  const flat = ch.dynamic ? longest / n : 0;
  if (flat > o.maxFlatFraction) {
    const value = x[offset + n - 1]!;
    const dropout = !(value >= lo && value <= hi) || zeros > n / 2;
    return {
      ...base,
      fault: dropout ? 'dropout' : 'stuck',
      score: flat,
      threshold: o.maxFlatFraction,
      message: dropout
        ? `${ch.name} reads a flat ${fmt(value)} ${ch.unit} a working sensor cannot give (wire off, sensor reset?)`
        : `${ch.name} is frozen at ${fmt(value)} ${ch.unit} for ${Math.round(flat * 100)} % of the window (stuck sensor?)`,
    };
  }
  if (bad / n > 0.5) {
    return {
      ...base,
      fault: 'dropout',
      score: bad / n,
      threshold: 0.5,
      message: `${ch.name} is outside what the sensor can read (${fmt(lo)}…${fmt(hi)} ${ch.unit}) for ${Math.round((bad / n) * 100)} % of the window (wire off?)`,
    };
  }
  const spikes = bad + isolatedSpikes(x, offset, n, ch.resolution, o, scratch);
  if (spikes > 0) {
    return {
      ...base,
      fault: 'spikes',
      score: spikes / n,
      threshold: 1 / n,
      message: `${ch.name} has ${spikes} isolated spike${spikes > 1 ? 's' : ''} in the window (interference or a loose contact?)`,
    };
  }
  return null;
}

// Samples far from the median whose neighbours are not: a real vibration event rings over several samples.
function isolatedSpikes(
  x: ArrayLike<number>,
  offset: number,
  n: number,
  resolution: number,
  o: SensorCheckOptions,
  scratch: Float64Array,
): number {
  for (let i = 0; i < n; i++) scratch[i] = x[offset + i]!;
  const view = scratch.subarray(0, n);
  view.sort();
  const median = view[n >> 1]!;
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(x[offset + i]! - median);
  view.sort();
  const sigma = Math.max(1.4826 * view[n >> 1]!, resolution);
  const far = o.spikeSigma * sigma;
  const near = o.neighbourSigma * sigma;
  let count = 0;
  for (let i = 1; i < n - 1; i++) {
    const d = Math.abs(x[offset + i]! - median);
    if (
      d > far &&
      Math.abs(x[offset + i - 1]! - median) < near &&
      Math.abs(x[offset + i + 1]! - median) < near
    )
      count++;
  }
  return count;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : v > 0 ? '∞' : '−∞';
}
