import { z } from 'zod';
import { TinygateError } from '../errors/index.js';
import type { AdcSpec, SensorSpec } from './specs.js';

/**
 * One scalar stream a sensor produces, in physical units, and where it comes from on the board.
 * `source` is the board-side signal name, as the virtual boards' scenario files name their columns.
 */
export interface ChannelInfo {
  /** Channel name: the sensor's name, plus ".x"/".y"/".z" for an axis. */
  name: string;
  /** The sensor spec's name this channel belongs to (alerts name it). */
  sensor: string;
  unit: string;
  /** "A0"…"A15" for analog pins; "mpu6050.ax", "bme280.temp", … for I2C parts. */
  source: string;
  /** Values outside this range cannot come from a working sensor (wire off, rail, reset part). */
  plausible: [number, number];
  /** One step of the converter, in `unit`: a run of identical readings is judged against it. */
  resolution: number;
  /** Raw reading → physical units: ADC counts for analog pins, the register value for I2C parts. */
  fromRaw: (raw: number) => number;
}

/** Volts one ADC count stands for. */
export function voltsPerCount(adc: AdcSpec): number {
  return adc.vref / 2 ** adc.bits;
}

/** ATmega-style conversion (ADC = Vin × 2^bits / Vref, rounded, clamped to the code range). */
export function voltsToCounts(volts: number, adc: AdcSpec): number {
  const max = 2 ** adc.bits - 1;
  const c = Math.round(volts / voltsPerCount(adc));
  return c < 0 ? 0 : c > max ? max : c;
}

/** MPU6050 register map rev 4.2: accel 16384 LSB/g at ±2 g; temperature °C = raw / 340 + 36.53. */
export const MPU6050 = { accelLsbPerG: 16384, gyroLsbPerDps: 131, tempLsbPerC: 340, tempOffsetC: 36.53 };

export function channelsOf(spec: SensorSpec, adc: AdcSpec): ChannelInfo[] {
  const vpc = voltsPerCount(adc);
  const fullScale = 2 ** adc.bits - 1;
  switch (spec.type) {
    case 'analog':
      return [
        {
          name: spec.name,
          sensor: spec.name,
          unit: spec.unit,
          source: spec.pin,
          plausible: spec.plausible ?? [-Infinity, Infinity],
          resolution: Math.abs(spec.scale),
          fromRaw: (c) => c * spec.scale + spec.offset,
        },
      ];
    case 'thermometer':
      if (spec.controller === 'LM35' || spec.controller === 'TMP36') {
        // LM35 datasheet: 10 mV/°C, +2…150 °C in the basic single-supply circuit. TMP36: 750 mV at 25 °C, −40…125 °C.
        const offsetV = spec.controller === 'TMP36' ? 0.5 : 0;
        const plausible: [number, number] = spec.controller === 'TMP36' ? [-40, 125] : [2, 150];
        return [
          {
            name: spec.name,
            sensor: spec.name,
            unit: '°C',
            source: spec.pin,
            plausible,
            resolution: vpc * 100,
            fromRaw: (c) => (c * vpc - offsetV) * 100,
          },
        ];
      }
      if (spec.controller === 'MPU6050') {
        return [
          {
            name: spec.name,
            sensor: spec.name,
            unit: '°C',
            source: 'mpu6050.temp',
            plausible: [-40, 85],
            resolution: 1 / MPU6050.tempLsbPerC,
            fromRaw: (r) => r / MPU6050.tempLsbPerC + MPU6050.tempOffsetC,
          },
        ];
      }
      return [
        {
          name: spec.name,
          sensor: spec.name,
          unit: '°C',
          source: 'bme280.temp',
          plausible: [-40, 85],
          resolution: 0.01,
          fromRaw: (r) => r,
        },
      ];
    case 'accelerometer': {
      const axes = ['x', 'y', 'z'] as const;
      if (spec.controller === 'ADXL335') {
        // ADXL335 datasheet: zero-g at Vs/2, sensitivity ratiometric (300 mV/g at Vs = 3 V), output swing 0.1 V…Vs − 0.1 V.
        const zeroV = spec.supplyV / 2;
        const vPerG = 0.1 * spec.supplyV;
        const lo = (0.1 - zeroV) / vPerG;
        const hi = (spec.supplyV - 0.1 - zeroV) / vPerG;
        return axes.map((a, i) => ({
          name: `${spec.name}.${a}`,
          sensor: spec.name,
          unit: 'g',
          source: spec.pins[i]!,
          plausible: [lo, hi] as [number, number],
          resolution: vpc / vPerG,
          fromRaw: (c: number) => (Math.min(c, fullScale) * vpc - zeroV) / vPerG,
        }));
      }
      return axes.map((a) => ({
        name: `${spec.name}.${a}`,
        sensor: spec.name,
        unit: 'g',
        source: `mpu6050.a${a}`,
        plausible: [-2, 2] as [number, number],
        resolution: 1 / MPU6050.accelLsbPerG,
        fromRaw: (r: number) => r / MPU6050.accelLsbPerG,
      }));
    }
  }
}

/** Every channel of a board's sensors, in spec order; throws on duplicate channel names. */
export function channelsOfAll(specs: SensorSpec[], adc: AdcSpec): ChannelInfo[] {
  const out = specs.flatMap((s) => channelsOf(s, adc));
  const seen = new Set<string>();
  // Dashboards take channel names with '.' and other marks as '_' (HA entity ids, Ignition tag names):
  // two channels that become the same name there would overwrite each other.
  const safe = new Map<string, string>();
  for (const c of out) {
    if (seen.has(c.name)) {
      throw new TinygateError('SENSOR_DUPLICATE', `two sensors give a channel named "${c.name}"`, {
        hint: 'Give every sensor its own name.',
      });
    }
    const key = c.name.replace(/[^A-Za-z0-9-]/g, '_');
    const other = safe.get(key);
    if (other !== undefined) {
      throw new TinygateError(
        'SENSOR_DUPLICATE',
        `channels "${other}" and "${c.name}" would both be "${key}" on MQTT dashboards (Home Assistant, Sparkplug/Ignition), and one would hide the other`,
        {
          hint: `Rename one of the sensors so their channel names differ in letters or digits, not only in '.' or '_'.`,
        },
      );
    }
    safe.set(key, c.name);
    seen.add(c.name);
  }
  return out;
}

/** A channel's description as files carry it (recording sidecars, model folders). */
export const ChannelMeta = z.object({
  name: z.string(),
  /** Sensor (spec) name the channel belongs to: sensor alerts name it. */
  sensor: z.string(),
  unit: z.string().default(''),
  /** Readings outside this range cannot come from a working sensor. JSON has no ±Infinity: null = open. */
  plausible: z.tuple([z.number().nullable(), z.number().nullable()]).default([null, null]),
  /** One converter step; a run of identical readings is judged against it. */
  resolution: z.number().positive(),
  /** A channel that moves within a window (vibration): a long flat run means it is stuck. */
  dynamic: z.boolean(),
  /** False: no sensor checks on this channel (its windows are always scored); absent: checked. */
  checked: z.boolean().optional(),
});
export type ChannelMeta = z.infer<typeof ChannelMeta>;

/** Vibration moves within a window; temperatures and pressures do not. */
export function channelMeta(c: ChannelInfo): ChannelMeta {
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    name: c.name,
    sensor: c.sensor,
    unit: c.unit,
    plausible: [finite(c.plausible[0]), finite(c.plausible[1])],
    resolution: c.resolution > 0 ? c.resolution : 1e-9,
    dynamic: c.unit === 'g',
  };
}
