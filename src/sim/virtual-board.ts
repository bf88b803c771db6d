import { Duplex } from 'node:stream';
import { voltsToCounts } from '../sensing/channels.js';
import { defaultClock, type SimClock, type Ticking } from './clock.js';
import { Mpu6050Registers, type MpuValues } from './mpu6050.js';
import type { Scenario } from './scenario.js';
import { type BoardColumn, ScenarioSignals } from './signals.js';

// Firmata protocol bytes (firmata/protocol, protocol.md and i2c.md).
const DIGITAL_MESSAGE = 0x90;
const ANALOG_MESSAGE = 0xe0;
const REPORT_ANALOG = 0xc0;
const REPORT_DIGITAL = 0xd0;
const SET_PIN_MODE = 0xf4;
const SET_DIGITAL_PIN_VALUE = 0xf5;
const REPORT_VERSION = 0xf9;
const SYSTEM_RESET = 0xff;
const START_SYSEX = 0xf0;
const END_SYSEX = 0xf7;
const ANALOG_MAPPING_QUERY = 0x69;
const ANALOG_MAPPING_RESPONSE = 0x6a;
const CAPABILITY_QUERY = 0x6b;
const CAPABILITY_RESPONSE = 0x6c;
const PIN_STATE_QUERY = 0x6d;
const PIN_STATE_RESPONSE = 0x6e;
const STRING_DATA = 0x71;
const I2C_REQUEST = 0x76;
const I2C_REPLY = 0x77;
const I2C_CONFIG = 0x78;
const REPORT_FIRMWARE = 0x79;
const SAMPLING_INTERVAL = 0x7a;
const MODE = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, I2C: 6, PULLUP: 0x0b };

/** An Uno's layout: 20 pins, A0–A5 on pins 14–19, I2C on A4/A5, 10-bit ADC. */
const PIN_COUNT = 20;
const FIRST_ANALOG_PIN = 14;
const ANALOG_CHANNELS = 6;
const MPU_ADDRESSES = [0x68, 0x69];

export interface VirtualBoardOptions {
  /** Where the pins' and parts' values come from; played from the start, looping. */
  scenario: Scenario;
  /** Firmware name reported to the host. */
  firmwareName?: string;
  clock?: SimClock;
  /** Emit 'open' on the transport right away (what a serial port does once opened). Default true. */
  autoOpen?: boolean;
}

interface I2cQuery {
  address: number;
  register: number | null;
  bytes: number;
}

/**
 * A Firmata board in memory, speaking to the host over a Duplex (`transport`) exactly as a serial port
 * would: version and firmware name at start, capability and analog-mapping answers, analog reporting at
 * the sampling interval, and I2C (config, write, read once, read continuously) with an emulated MPU6050.
 * The pins and the MPU6050 play a scenario from the machine-signal generator.
 */
export class VirtualFirmataBoard implements Ticking {
  readonly transport: Duplex;
  readonly scenario: Scenario;
  readonly firmwareName: string;
  private readonly clock: SimClock;
  private signals: ScenarioSignals;
  private columnIndex = new Map<string, number>();
  private readonly mpu = new Map<number, Mpu6050Registers>(
    MPU_ADDRESSES.map((a) => [a, new Mpu6050Registers()]),
  );
  private reportAnalog = 0; // bit per analog channel
  private readonly analogSent = new Float64Array(ANALOG_CHANNELS);
  private readonly analogFirstMs = new Float64Array(ANALOG_CHANNELS).fill(Number.NaN);
  private readonly pinModes = new Uint8Array(PIN_COUNT);
  private queries: I2cQuery[] = [];
  private intervalMs = 19; // StandardFirmata's default
  private startMs: number;
  private nextSampleMs = 0;
  private message: number[] = [];
  private inSysex = false;
  private closed = false;
  private hung = false;
  /** Ticks skipped because the host could not keep up (the board fell more than a second behind). */
  overruns = 0;

  constructor(o: VirtualBoardOptions) {
    this.scenario = o.scenario;
    this.firmwareName = o.firmwareName ?? 'tinygate-virtual';
    this.clock = o.clock ?? defaultClock;
    this.signals = this.freshSignals();
    this.startMs = this.clock.now();
    const board = this;
    this.transport = new Duplex({
      write(chunk: Buffer, _enc, cb) {
        board.receive(chunk);
        cb();
      },
      read() {},
      destroy(err, cb) {
        board.stop();
        cb(err);
      },
    });
    // firmata-io reads `isOpen` on some paths; a serial port has it too.
    Object.assign(this.transport, { isOpen: true });
    this.clock.add(this);
    if (o.autoOpen ?? true) {
      setImmediate(() => {
        if (this.closed) return;
        this.transport.emit('open');
        // A board announces itself after reset, as StandardFirmata does.
        this.sendVersion();
        this.sendFirmware();
      });
    }
  }

  /** Board time (ms since start) of the n-th (0-based) report of an analog channel. */
  analogSampleTime(channel: number, n: number): number {
    return this.analogFirstMs[channel]! + n * this.intervalMs;
  }

  /** The clock reading (ms) when this board started; board time 0. */
  get startedAt(): number {
    return this.startMs;
  }

  get samplingIntervalMs(): number {
    return this.intervalMs;
  }

  /** Stop sending anything while keeping the port open, as a hung firmware would. */
  hang(): void {
    this.hung = true;
  }

  /** Stop sampling and close the transport, as unplugging the cable would. */
  unplug(): void {
    if (this.closed) return;
    this.transport.destroy();
  }

  advanceTo(nowMs: number): void {
    if (this.closed || this.hung) return;
    const t = nowMs - this.startMs;
    if (t - this.nextSampleMs > 1000) {
      const skip = Math.floor((t - this.nextSampleMs) / this.intervalMs);
      this.overruns += skip;
      this.nextSampleMs += skip * this.intervalMs;
    }
    if (this.nextSampleMs > t) return;
    const out: number[] = [];
    while (this.nextSampleMs <= t) {
      this.sampleAt(this.nextSampleMs, out);
      this.nextSampleMs += this.intervalMs;
    }
    if (out.length) this.transport.push(Buffer.from(out));
  }

  private stop(): void {
    if (this.closed) return;
    this.closed = true;
    Object.assign(this.transport, { isOpen: false });
    this.clock.remove(this);
  }

  private freshSignals(): ScenarioSignals {
    const s = new ScenarioSignals(this.scenario);
    this.columnIndex = new Map(s.columns.map((c, i) => [c, i]));
    return s;
  }

  // Bring the scenario up to board time t (zero-order hold between rows), looping at its end.
  private valuesAt(tMs: number): ScenarioSignals {
    const target = tMs / 1000;
    const period = this.scenario.durationS;
    const local = target - Math.floor(target / period) * period;
    if (local < this.signals.t) this.signals = this.freshSignals();
    while (this.signals.rows === 0 || this.signals.t + 1 / this.scenario.rateHz <= local) {
      if (this.signals.rows >= this.signals.length) {
        this.signals = this.freshSignals();
      }
      this.signals.step();
    }
    return this.signals;
  }

  private column(name: BoardColumn, fallback: number): number {
    const i = this.columnIndex.get(name);
    return i === undefined ? fallback : this.signals.board[i]!;
  }

  private sampleAt(tMs: number, out: number[]): void {
    if (this.reportAnalog === 0 && this.queries.length === 0) return;
    this.valuesAt(tMs);
    for (let ch = 0; ch < ANALOG_CHANNELS; ch++) {
      if (!(this.reportAnalog & (1 << ch))) continue;
      const counts = voltsToCounts(this.column(`A${ch}` as BoardColumn, 0), this.scenario.adc);
      out.push(ANALOG_MESSAGE | ch, counts & 0x7f, (counts >> 7) & 0x7f);
      if (Number.isNaN(this.analogFirstMs[ch]!)) this.analogFirstMs[ch] = tMs;
      this.analogSent[ch]!++;
    }
    for (const q of this.queries) this.i2cRead(q, out);
  }

  private mpuValues(): MpuValues {
    return {
      ax: this.column('mpu6050.ax', 0),
      ay: this.column('mpu6050.ay', 0),
      az: this.column('mpu6050.az', 1),
      gx: this.column('mpu6050.gx', 0),
      gy: this.column('mpu6050.gy', 0),
      gz: this.column('mpu6050.gz', 0),
      tempC: this.column('mpu6050.temp', 25),
    };
  }

  private i2cRead(q: I2cQuery, out: number[]): void {
    const dev = this.mpu.get(q.address);
    if (!dev) {
      this.sendString('I2C: device did not answer', out);
      return;
    }
    if (q.register !== null) dev.write([q.register]);
    const data = dev.read(q.bytes, this.mpuValues());
    const reg = q.register ?? 0;
    out.push(START_SYSEX, I2C_REPLY, q.address & 0x7f, q.address >> 7, reg & 0x7f, reg >> 7);
    for (const b of data) out.push(b & 0x7f, b >> 7);
    out.push(END_SYSEX);
  }

  // ---- host → board ----

  private receive(chunk: Buffer): void {
    for (const byte of chunk) {
      if (this.inSysex) {
        if (byte === END_SYSEX) {
          this.inSysex = false;
          this.sysex(this.message);
          this.message = [];
        } else this.message.push(byte);
        continue;
      }
      if (byte === START_SYSEX) {
        this.inSysex = true;
        this.message = [];
        continue;
      }
      if (byte & 0x80) this.message = [byte];
      else if (this.message.length) this.message.push(byte);
      else continue; // a data byte without a command: ignore, as a real parser resyncs
      const cmd = this.message[0]!;
      const need = commandLength(cmd);
      if (this.message.length >= need) {
        this.command(this.message);
        this.message = [];
      }
    }
  }

  private command(m: number[]): void {
    const cmd = m[0]!;
    const type = cmd < 0xf0 ? cmd & 0xf0 : cmd;
    switch (type) {
      case REPORT_VERSION:
        this.sendVersion();
        break;
      case SYSTEM_RESET:
        this.reportAnalog = 0;
        this.queries = [];
        for (const d of this.mpu.values()) d.reset();
        break;
      case REPORT_ANALOG: {
        const ch = cmd & 0x0f;
        if (ch < ANALOG_CHANNELS) {
          if (m[1]) this.reportAnalog |= 1 << ch;
          else this.reportAnalog &= ~(1 << ch);
        }
        break;
      }
      case SET_PIN_MODE:
        if (m[1]! < PIN_COUNT) this.pinModes[m[1]!] = m[2]!;
        break;
      default: // digital I/O and analog writes: accepted, nothing to drive
        void [DIGITAL_MESSAGE, REPORT_DIGITAL, SET_DIGITAL_PIN_VALUE];
    }
  }

  private sysex(m: number[]): void {
    const out: number[] = [];
    switch (m[0]) {
      case REPORT_FIRMWARE:
        this.sendFirmware();
        return;
      case CAPABILITY_QUERY:
        out.push(START_SYSEX, CAPABILITY_RESPONSE);
        for (let p = 0; p < PIN_COUNT; p++) {
          out.push(MODE.INPUT, 1, MODE.OUTPUT, 1, MODE.PULLUP, 1);
          if (p >= FIRST_ANALOG_PIN) out.push(MODE.ANALOG, this.scenario.adc.bits);
          if (p === 18 || p === 19) out.push(MODE.I2C, 1);
          out.push(0x7f);
        }
        out.push(END_SYSEX);
        break;
      case ANALOG_MAPPING_QUERY:
        out.push(START_SYSEX, ANALOG_MAPPING_RESPONSE);
        for (let p = 0; p < PIN_COUNT; p++) out.push(p >= FIRST_ANALOG_PIN ? p - FIRST_ANALOG_PIN : 0x7f);
        out.push(END_SYSEX);
        break;
      case PIN_STATE_QUERY: {
        const pin = m[1] ?? 0;
        out.push(START_SYSEX, PIN_STATE_RESPONSE, pin, this.pinModes[pin] ?? 0, 0, END_SYSEX);
        break;
      }
      case SAMPLING_INTERVAL: {
        const v = (m[1] ?? 0) | ((m[2] ?? 0) << 7);
        this.intervalMs = Math.max(1, v);
        this.nextSampleMs = this.clock.now() - this.startMs;
        return;
      }
      case I2C_CONFIG:
        return;
      case I2C_REQUEST:
        this.i2cRequest(m, out);
        break;
      default:
        return; // unknown SysEx: StandardFirmata ignores it too
    }
    if (out.length) this.transport.push(Buffer.from(out));
  }

  private i2cRequest(m: number[], out: number[]): void {
    const address = m[1]! | ((m[2]! & 0x07) << 7);
    const mode = (m[2]! >> 3) & 0x03;
    const data: number[] = [];
    for (let i = 3; i + 1 < m.length; i += 2) data.push(m[i]! | (m[i + 1]! << 7));
    if (mode === 3) {
      this.queries = this.queries.filter((q) => q.address !== address);
      return;
    }
    if (mode === 0) {
      const dev = this.mpu.get(address);
      if (dev) dev.write(data);
      else this.sendString('I2C: device did not answer', out);
      return;
    }
    const q: I2cQuery =
      data.length >= 2
        ? { address, register: data[0]!, bytes: data[1]! }
        : { address, register: null, bytes: data[0] ?? 0 };
    if (mode === 1) {
      this.valuesAt(this.clock.now() - this.startMs);
      this.i2cRead(q, out);
    } else if (this.queries.length < 8) this.queries.push(q); // StandardFirmata keeps 8 continuous queries
  }

  private sendVersion(): void {
    this.transport.push(Buffer.from([REPORT_VERSION, 2, 6]));
  }

  private sendFirmware(): void {
    const out = [START_SYSEX, REPORT_FIRMWARE, 2, 6];
    for (const c of Buffer.from(this.firmwareName, 'utf8')) out.push(c & 0x7f, c >> 7);
    out.push(END_SYSEX);
    this.transport.push(Buffer.from(out));
  }

  private sendString(s: string, out: number[]): void {
    out.push(START_SYSEX, STRING_DATA);
    for (const c of Buffer.from(s, 'utf8')) out.push(c & 0x7f, c >> 7);
    out.push(END_SYSEX);
  }
}

function commandLength(cmd: number): number {
  if (cmd === REPORT_VERSION || cmd === SYSTEM_RESET) return 1;
  const type = cmd < 0xf0 ? cmd & 0xf0 : cmd;
  if (type === REPORT_ANALOG || type === REPORT_DIGITAL) return 2;
  return 3; // digital message, analog write, set pin mode, set digital pin value
}
