import { TinygateError } from '../errors/index.js';
import { type ChannelInfo, channelsOfAll, MPU6050, voltsToCounts } from '../sensing/channels.js';
import type { SensorSpec } from '../sensing/specs.js';
import { MachineModel, type MachineSample } from './machine.js';
import { Rng } from './rng.js';
import type { Scenario, SensorFaultKind } from './scenario.js';

/** Board-side signal columns, in the order the host virtual board's scenario files know them. */
export const BOARD_COLUMNS = [
  'A0',
  'A1',
  'A2',
  'A3',
  'A4',
  'A5',
  'mpu6050.ax',
  'mpu6050.ay',
  'mpu6050.az',
  'mpu6050.gx',
  'mpu6050.gy',
  'mpu6050.gz',
  'mpu6050.temp',
  'bme280.temp',
  'bme280.pressure',
  'bme280.humidity',
] as const;
export type BoardColumn = (typeof BOARD_COLUMNS)[number];

const MPU_COLUMNS: BoardColumn[] = [
  'mpu6050.ax',
  'mpu6050.ay',
  'mpu6050.az',
  'mpu6050.gx',
  'mpu6050.gy',
  'mpu6050.gz',
  'mpu6050.temp',
];
const BME_COLUMNS: BoardColumn[] = ['bme280.temp', 'bme280.pressure', 'bme280.humidity'];

interface ColumnFault {
  kind: SensorFaultKind;
  label: string;
  column: number;
  onsetS: number;
  endS: number;
  ratePerS: number;
  held: number | null;
}

/**
 * A scenario played sample by sample: the machine, the sensors on it (with their noise, ranges and
 * converters), the sensor faults, and the labels. `board` holds what the board's pins and parts see
 * (volts, g, °C, Pa, %RH); `channels` what the gateway reads after the board's converters.
 */
export class ScenarioSignals {
  readonly scenario: Scenario;
  /** Board columns this scenario drives, in BOARD_COLUMNS order. */
  readonly columns: BoardColumn[];
  readonly channels: ChannelInfo[];
  /** Number of rows in the scenario. */
  readonly length: number;
  /** Current board-side values, one per `columns` entry. */
  readonly board: Float64Array;
  /** Current gateway-side values, one per `channels` entry. */
  readonly values: Float64Array;
  /** Active sensor faults now, as "kind:target" labels joined by "+", or "" when none. */
  sensorFault = '';
  readonly machine: MachineModel;
  private readonly rng: Rng;
  private readonly faults: ColumnFault[];
  private readonly writers: ((m: MachineSample) => void)[];
  private readonly channelSource: Int32Array;
  private readonly toRawFns: ((v: number) => number)[];
  private readonly sqrtHalfRate: number;
  private row = 0;

  constructor(scenario: Scenario) {
    this.scenario = scenario;
    this.machine = new MachineModel(scenario);
    this.rng = new Rng(scenario.seed).fork('sensors');
    this.length = Math.round(scenario.durationS * scenario.rateHz);
    this.sqrtHalfRate = Math.sqrt(scenario.rateHz / 2);
    this.channels = channelsOfAll(scenario.sensors, scenario.adc);

    const used = new Set<BoardColumn>();
    for (const spec of scenario.sensors) for (const c of boardColumnsOf(spec)) used.add(c);
    this.columns = BOARD_COLUMNS.filter((c) => used.has(c));
    this.board = new Float64Array(this.columns.length);
    this.values = new Float64Array(this.channels.length);
    const index = (c: BoardColumn) => this.columns.indexOf(c);
    this.writers = scenario.sensors.map((spec) => this.writerFor(spec, index));
    this.channelSource = Int32Array.from(this.channels.map((ch) => index(ch.source as BoardColumn)));
    this.toRawFns = this.channels.map((ch) => rawConverter(ch, scenario));
    this.faults = scenario.sensorFaults.flatMap((f) =>
      this.targetColumns(f.target).map((col) => ({
        kind: f.kind,
        label: `${f.kind}:${f.target}`,
        column: index(col),
        onsetS: f.onsetS,
        endS: f.onsetS + f.durationS,
        ratePerS: f.ratePerS,
        held: null,
      })),
    );
  }

  /** Time of the current row, seconds from the start. */
  get t(): number {
    return this.machine.sample.t;
  }

  /** Advance one row. */
  step(): void {
    const m = this.machine.step();
    this.row++;
    for (const w of this.writers) w(m);
    this.applySensorFaults(m.t);
    for (let i = 0; i < this.channels.length; i++) {
      this.values[i] = this.channels[i]!.fromRaw(this.toRawFns[i]!(this.board[this.channelSource[i]!]!));
    }
  }

  /** Rows produced so far. */
  get rows(): number {
    return this.row;
  }

  private applySensorFaults(t: number): void {
    if (this.faults.length === 0) return;
    const labels = new Set<string>();
    for (const f of this.faults) {
      if (t < f.onsetS || t >= f.endS) {
        f.held = null;
        continue;
      }
      labels.add(f.label);
      const col = this.columns[f.column]!;
      if (f.kind === 'dropout') {
        // A wire off an analog pin reads 0 V; a browned-out I2C part comes back asleep and reads zeros.
        this.board[f.column] = 0;
      } else if (f.kind === 'stuck') {
        if (f.held === null) f.held = this.board[f.column]!;
        this.board[f.column] = f.held;
      } else if (this.rng.next() < f.ratePerS / this.scenario.rateHz) {
        this.board[f.column] = spikeValue(col, this.board[f.column]!, this.scenario, this.rng);
      }
    }
    this.sensorFault = [...labels].join('+');
  }

  private targetColumns(target: string): BoardColumn[] {
    const chans = this.channels.filter((c) => c.name === target || c.sensor === target);
    if (chans.length === 0) {
      throw new TinygateError(
        'SCENARIO_INVALID',
        `sensorFaults: target "${target}" is no sensor or channel`,
        {
          hint: `Name one of: ${[...new Set(this.channels.flatMap((c) => [c.sensor, c.name]))].join(', ')}.`,
        },
      );
    }
    return [...new Set(chans.map((c) => c.source as BoardColumn))];
  }

  private writerFor(spec: SensorSpec, index: (c: BoardColumn) => number): (m: MachineSample) => void {
    const rng = this.rng;
    const bw = this.sqrtHalfRate;
    switch (spec.type) {
      case 'accelerometer':
        if (spec.controller === 'ADXL335') {
          const [ix, iy, iz] = spec.pins.map((p) => index(p as BoardColumn)) as [number, number, number];
          const zero = spec.supplyV / 2;
          const vPerG = 0.1 * spec.supplyV;
          const noise = 150e-6 * bw; // datasheet noise density 150 µg/√Hz (x, y)
          const clampV = (v: number) => (v < 0 ? 0 : v > spec.supplyV ? spec.supplyV : v);
          return (m) => {
            this.board[ix] = clampV(zero + (m.ax + noise * rng.gaussian()) * vPerG);
            this.board[iy] = clampV(zero + (m.ay + noise * rng.gaussian()) * vPerG);
            this.board[iz] = clampV(zero + (m.az + noise * rng.gaussian()) * vPerG);
          };
        }
        return this.mpuWriter(index);
      case 'thermometer':
        if (spec.controller === 'LM35' || spec.controller === 'TMP36') {
          const i = index(spec.pin as BoardColumn);
          const offset = spec.controller === 'TMP36' ? 0.5 : 0;
          return (m) => {
            this.board[i] = Math.max(0, offset + (m.housingC + 0.05 * rng.gaussian()) / 100);
          };
        }
        if (spec.controller === 'MPU6050') return this.mpuWriter(index);
        return this.bmeWriter(index);
      case 'analog':
        throw new TinygateError(
          'SCENARIO_INVALID',
          `sensors: "${spec.name}" is a generic analog sensor; the simulator cannot know what it measures`,
          { hint: 'Simulate ADXL335, LM35/TMP36, MPU6050 or BME280; record a real board for other sensors.' },
        );
    }
  }

  // One writer for all MPU6050 columns; a second MPU spec (e.g. its thermometer) writes the same values again.
  private mpuWriter(index: (c: BoardColumn) => number): (m: MachineSample) => void {
    const [ax, ay, az, gx, gy, gz, temp] = MPU_COLUMNS.map(index) as number[];
    const rng = this.rng;
    const an = 400e-6 * Math.min(this.sqrtHalfRate, Math.sqrt(260)); // 400 µg/√Hz, DLPF 260 Hz
    return (m) => {
      this.board[ax!] = m.ax + an * rng.gaussian();
      this.board[ay!] = m.ay + an * rng.gaussian();
      this.board[az!] = m.az + an * rng.gaussian();
      this.board[gx!] = m.gx;
      this.board[gy!] = m.gy;
      this.board[gz!] = m.gz;
      this.board[temp!] = m.housingC + 4; // the die runs a few degrees above the housing it sits on
    };
  }

  private bmeWriter(index: (c: BoardColumn) => number): (m: MachineSample) => void {
    const [temp, pressure, humidity] = BME_COLUMNS.map(index) as number[];
    return (m) => {
      this.board[temp!] = m.ambientC;
      this.board[pressure!] = m.pressurePa;
      this.board[humidity!] = m.humidityPct;
    };
  }
}

/** Board columns a sensor spec drives (the MPU6050 drives all its registers, gyro included). */
export function boardColumnsOf(spec: SensorSpec): BoardColumn[] {
  if (spec.type === 'accelerometer' && spec.controller === 'ADXL335') return spec.pins as BoardColumn[];
  if (spec.type === 'accelerometer' || (spec.type === 'thermometer' && spec.controller === 'MPU6050'))
    return MPU_COLUMNS;
  if (spec.type === 'thermometer' && spec.controller === 'BME280') return BME_COLUMNS;
  return [(spec as { pin: string }).pin as BoardColumn];
}

/** Board-side value → the raw reading the gateway gets (ADC counts, register value). */
export function rawConverter(ch: ChannelInfo, scenario: Pick<Scenario, 'adc'>): (v: number) => number {
  if (/^A\d+$/.test(ch.source)) return (v) => voltsToCounts(v, scenario.adc);
  if (ch.source === 'mpu6050.temp')
    return (v) => clamp16(Math.round((v - MPU6050.tempOffsetC) * MPU6050.tempLsbPerC));
  if (ch.source.startsWith('mpu6050.a')) return (v) => clamp16(Math.round(v * MPU6050.accelLsbPerG));
  return (v) => Math.round(v * 100) / 100; // BME280 compensated output, 0.01 °C steps
}

export function clamp16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

// Spikes: interference or a bad contact — a single sample at a rail, or far off in the other direction.
function spikeValue(col: BoardColumn, v: number, s: Scenario, rng: Rng): number {
  if (col.startsWith('A')) {
    if (rng.next() < 0.5) return rng.next() < 0.5 ? 0 : s.adc.vref;
    return v + (rng.next() < 0.5 ? -1 : 1) * rng.uniform(1.2, 1.6);
  }
  if (col.startsWith('mpu6050.a')) return rng.next() < 0.5 ? 2 : -2;
  return v + (rng.next() < 0.5 ? -1 : 1) * 40;
}
