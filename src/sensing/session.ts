import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { TinygateError } from '../errors/index.js';
import { type ChannelInfo, channelsOfAll, voltsPerCount } from './channels.js';
import { type FirmataIo, firmataOn, type J5Board, type J5Component, johnnyFive } from './j5.js';
import { slotsBetween, watchSampleMarks } from './sample-marks.js';
import { BoardSensingConfig, type BoardSensingConfigInput, type SensorSpec } from './specs.js';

export type BoardState = 'connecting' | 'streaming' | 'stale' | 'lost' | 'stopped';

/** Opens the byte stream to a board (a serial port, a pty, a virtual board); must emit 'open'. */
export type TransportFactory = () => Promise<Duplex> | Duplex;

export interface StateChange {
  board: string;
  state: BoardState;
  previous: BoardState;
  reason: string;
}

export interface SessionOptions {
  config: BoardSensingConfigInput;
  openTransport: TransportFactory;
  /** Every sample: channel index (into `channels`), value in units, gateway time (epoch ms), raw reading. */
  onSample?: (channel: number, value: number, ts: number, raw: number) => void;
  /** The board's sample marks showed `slots` sample slots lost just before the samples that come next. */
  onGap?: (slots: number) => void;
  /** Gateway clock, epoch ms. Default: sub-millisecond wall clock. */
  now?: () => number;
  /** Reconnect backoff: first wait and cap, ms (default 500 and 10 000). */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Give up on a handshake after this long and retry (default 10 000 ms). */
  readyTimeoutMs?: number;
}

const SAMPLING_INTERVAL = 0x7a;
const MPU_DATA_REGISTER = 0x3b;

/** Epoch ms with sub-millisecond resolution. */
export function gatewayNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * One board seen through johnny-five: opens the transport, waits for the Firmata handshake, sets the
 * sampling interval, creates the johnny-five components for the sensor specs and stamps every reading
 * with gateway time. Tracks connecting → streaming → stale → lost and reconnects on its own.
 *
 * Readings are taken from the same io events the components consume, one per Firmata report: the
 * components' own events smooth (Accelerometer: 5-reading mean) or decimate (Sensor: median per `freq`),
 * which would erase the vibration spectrum the detector looks at.
 */
export class BoardSession extends EventEmitter {
  readonly config: BoardSensingConfig;
  readonly channels: ChannelInfo[];
  /** Samples received per channel since the session started. */
  readonly counts: Float64Array;
  /** The johnny-five components of the current connection, by sensor name. */
  components = new Map<string, J5Component>();
  reconnects = 0;
  /** The board numbers its sample slots (our firmware's marks): gaps are known, arrival times do not matter. */
  sampleMarks = false;
  private lastSlot: number | null = null;
  private stopMarks: (() => void) | null = null;
  private _state: BoardState = 'stopped';
  private readonly o: SessionOptions;
  private readonly now: () => number;
  private transport: Duplex | null = null;
  private io: FirmataIo | null = null;
  private board: J5Board | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private backoff: number;
  private lastSample = 0;
  private generation = 0;
  private readonly taps: { event: string; fn: (...a: never[]) => void }[] = [];

  constructor(o: SessionOptions) {
    super();
    const r = BoardSensingConfig.safeParse(o.config);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new TinygateError(
        'SENSING_CONFIG_INVALID',
        `board config: ${issue.path.join('.')}: ${issue.message}`,
        {
          hint: 'See docs/detection.md ("Sensors") for the sensor specs.',
        },
      );
    }
    this.config = r.data;
    this.channels = channelsOfAll(this.config.sensors, this.config.adc);
    this.counts = new Float64Array(this.channels.length);
    this.o = o;
    this.now = o.now ?? gatewayNow;
    this.backoff = o.reconnect?.initialMs ?? 500;
  }

  /** The Firmata sampling interval the session asks for: whole ms, so the real rate is 1000 / this. */
  get samplingIntervalMs(): number {
    return Math.max(1, Math.round(1000 / this.config.samplingRateHz));
  }

  /** The open byte stream while the board streams: the tinygate link can share it (run inference). */
  get openTransport(): Duplex | null {
    return this._state === 'streaming' ? this.transport : null;
  }

  get state(): BoardState {
    return this._state;
  }

  /** The board's firmware name once connected. */
  get firmware(): string | undefined {
    return this.io?.firmware?.name;
  }

  /** Its name and version as the board reported them (Firmata's firmware query), once connected. */
  get firmwareLabel(): string | undefined {
    const f = this.io?.firmware;
    if (!f?.name) return undefined;
    return f.version ? `${f.name} ${f.version.major}.${f.version.minor}` : f.name;
  }

  start(): void {
    if (this._state !== 'stopped') return;
    void this.connect();
  }

  /** Close the connection and stop reconnecting. */
  async stop(): Promise<void> {
    this.generation++;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.teardown();
    this.setState('stopped', 'stopped by the gateway');
  }

  /** Resolves when the session reaches `state` (or rejects after timeoutMs). */
  waitFor(state: BoardState, timeoutMs = 15_000): Promise<void> {
    if (this._state === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('state', on);
        reject(
          new Error(`board ${this.config.id}: no "${state}" within ${timeoutMs} ms (now ${this._state})`),
        );
      }, timeoutMs);
      const on = (c: StateChange) => {
        if (c.state !== state) return;
        clearTimeout(timer);
        this.off('state', on);
        resolve();
      };
      this.on('state', on);
    });
  }

  private setState(state: BoardState, reason: string): void {
    if (state === this._state) return;
    const previous = this._state;
    this._state = state;
    this.emit('state', { board: this.config.id, state, previous, reason } satisfies StateChange);
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.setState('connecting', this.reconnects ? `reconnecting (attempt ${this.reconnects})` : 'opening');
    let transport: Duplex;
    try {
      transport = await this.o.openTransport();
    } catch (err) {
      if (gen === this.generation) this.lost(`cannot open the transport: ${(err as Error).message}`);
      return;
    }
    if (gen !== this.generation) {
      transport.destroy();
      return;
    }
    this.transport = transport;
    // A closed or failed transport means the board is gone (unplugged, reset, pty closed).
    transport.once('close', () => gen === this.generation && this.lost('the transport closed'));
    transport.on(
      'error',
      (err: Error) => gen === this.generation && this.lost(`transport error: ${err.message}`),
    );
    try {
      const io = firmataOn(transport, { reportVersionTimeout: 1000 });
      // firmata-io re-emits transport errors; an 'error' with no listener would crash the gateway.
      io.on(
        'error',
        ((err: Error) => gen === this.generation && this.lost(`board error: ${err.message}`)) as never,
      );
      this.io = io;
      this.lastSlot = null;
      this.stopMarks = watchSampleMarks(io, (slot) => gen === this.generation && this.mark(slot));
      const five = johnnyFive();
      const board = new five.Board({
        io,
        repl: false,
        sigint: false,
        debug: false,
        timeout: this.o.readyTimeoutMs ?? 10_000,
      });
      this.board = board;
      board.on(
        'error',
        (e) => gen === this.generation && this.lost(`board error: ${(e as Error)?.message ?? e}`),
      );
      await new Promise<void>((resolve, reject) => {
        board.once('ready', () => resolve());
        board.once('error', (e) => reject(e instanceof Error ? e : new Error(String(e))));
      });
      if (gen !== this.generation) return;
      this.configure(io, board, gen);
    } catch (err) {
      if (gen === this.generation) this.lost(`handshake failed: ${(err as Error).message}`);
    }
  }

  private configure(io: FirmataIo, board: J5Board, gen: number): void {
    const intervalMs = this.samplingIntervalMs;
    // firmata-io's setSamplingInterval clamps to ≥ 10 ms; Firmata itself allows 1 ms, so send the SysEx directly.
    io.sysexCommand([SAMPLING_INTERVAL, intervalMs & 0x7f, (intervalMs >> 7) & 0x7f]);
    const five = johnnyFive();
    const freq = Math.max(intervalMs, 25);
    const i2cTaps = new Map<number, ((bytes: number[], ts: number) => void)[]>();
    for (const spec of this.config.sensors) {
      const idx = (name: string) => this.channels.findIndex((c) => c.name === name);
      const comp = this.component(five, board, spec, freq);
      // johnny-five's Accelerometer does smoothing and orientation math on every reading (~20 µs each,
      // measured): above 100 Hz that alone would eat the core, and we read the raw reports anyway.
      if (spec.type === 'accelerometer' && this.config.samplingRateHz > 100) comp.disable?.();
      this.components.set(spec.name, comp);
      if (
        spec.type === 'analog' ||
        (spec.type === 'thermometer' && (spec.controller === 'LM35' || spec.controller === 'TMP36'))
      ) {
        this.tapAnalog(io, pinChannel(spec.pin), idx(spec.name));
      } else if (spec.type === 'accelerometer' && spec.controller === 'ADXL335') {
        ['x', 'y', 'z'].forEach((a, i) => {
          this.tapAnalog(io, pinChannel(spec.pins[i]!), idx(`${spec.name}.${a}`));
        });
      } else if (spec.type === 'accelerometer' && spec.controller === 'MPU6050') {
        const chans = ['x', 'y', 'z'].map((a) => idx(`${spec.name}.${a}`));
        addTap(i2cTaps, spec.address, (b, ts) => {
          for (let i = 0; i < 3; i++) this.sample(chans[i]!, int16(b[2 * i]!, b[2 * i + 1]!), ts);
        });
      } else if (spec.type === 'thermometer' && spec.controller === 'MPU6050') {
        const c = idx(spec.name);
        addTap(i2cTaps, spec.address ?? 0x68, (b, ts) => this.sample(c, int16(b[6]!, b[7]!), ts));
      } else if (spec.type === 'thermometer' && spec.controller === 'BME280') {
        // The BME280's compensation lives in johnny-five's driver: take its readings (at the component's freq).
        const comp = this.components.get(spec.name)!;
        const c = idx(spec.name);
        comp.on('data', () => this.sample(c, comp.celsius ?? Number.NaN, this.now()));
      }
    }
    for (const [address, fns] of i2cTaps) {
      const fn = (bytes: number[]) => {
        const ts = this.now();
        for (const f of fns) f(bytes, ts);
      };
      this.tap(io, `I2C-reply-${address}-${MPU_DATA_REGISTER}`, fn as (...a: never[]) => void);
    }
    if (gen !== this.generation) return;
    this.lastSample = this.now();
    const period = Math.max(20, Math.min(250, this.config.staleAfterMs / 4));
    this.watchdog = setInterval(() => this.check(), period);
  }

  private component(
    five: ReturnType<typeof johnnyFive>,
    board: J5Board,
    spec: SensorSpec,
    freq: number,
  ): J5Component {
    const vpc = voltsPerCount(this.config.adc);
    switch (spec.type) {
      case 'analog':
        return new five.Sensor({ board, pin: spec.pin, freq });
      case 'thermometer': {
        if (spec.controller === 'LM35' || spec.controller === 'TMP36') {
          return new five.Thermometer({
            board,
            controller: spec.controller,
            pin: spec.pin,
            freq,
            aref: this.config.adc.vref,
          });
        }
        const address = 'address' in spec ? spec.address : undefined;
        return new five.Thermometer({
          board,
          controller: spec.controller,
          freq,
          ...(address ? { address } : {}),
        });
      }
      case 'accelerometer':
        if (spec.controller === 'ADXL335') {
          // johnny-five takes zero-g and sensitivity in ADC counts.
          return new five.Accelerometer({
            board,
            controller: 'ADXL335',
            pins: spec.pins,
            zeroV: spec.supplyV / 2 / vpc,
            sensitivity: (0.1 * spec.supplyV) / vpc,
          });
        }
        return new five.Accelerometer({ board, controller: 'MPU6050', address: spec.address });
    }
  }

  private tapAnalog(io: FirmataIo, analogChannel: number, channel: number): void {
    this.tap(io, `analog-read-${analogChannel}`, ((raw: number) => this.sample(channel, raw, this.now())) as (
      ...a: never[]
    ) => void);
  }

  private tap(io: FirmataIo, event: string, fn: (...a: never[]) => void): void {
    io.on(event, fn);
    this.taps.push({ event, fn });
  }

  private sample(channel: number, raw: number, ts: number): void {
    this.lastSample = ts;
    this.counts[channel]!++;
    if (this._state !== 'streaming') {
      this.backoff = this.o.reconnect?.initialMs ?? 500;
      this.setState('streaming', this._state === 'stale' ? 'samples again' : 'first samples');
    }
    const ch = this.channels[channel]!;
    this.o.onSample?.(channel, ch.fromRaw(raw), ts, raw);
  }

  private mark(slot: number): void {
    this.sampleMarks = true;
    const lost = this.lastSlot === null ? 0 : slotsBetween(this.lastSlot, slot);
    this.lastSlot = slot;
    if (lost > 0) this.o.onGap?.(lost);
  }

  private check(): void {
    const quiet = this.now() - this.lastSample;
    if (quiet > this.config.lostAfterMs) this.lost(`no samples for ${Math.round(quiet)} ms`);
    else if (quiet > this.config.staleAfterMs && this._state === 'streaming')
      this.setState('stale', `no samples for ${Math.round(quiet)} ms`);
  }

  /**
   * Drop the connection and open it again at once (a serial Arduino with auto-reset restarts on the
   * reopen); the board goes through lost → connecting → streaming as after any drop.
   */
  reconnect(reason: string): void {
    if (this._state === 'stopped') return;
    if (this.retry) clearTimeout(this.retry);
    this.backoff = this.o.reconnect?.initialMs ?? 500;
    this.lost(reason);
  }

  private lost(reason: string): void {
    this.generation++;
    this.teardown();
    this.setState('lost', reason);
    this.reconnects++;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.reconnect?.maxMs ?? 10_000);
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, wait);
  }

  private teardown(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    // johnny-five components run their own timers: stop them, or they outlive the connection.
    for (const c of this.components.values()) c.disable?.();
    this.components.clear();
    if (this.io) for (const t of this.taps) this.io.removeListener(t.event, t.fn);
    this.stopMarks?.();
    this.stopMarks = null;
    this.taps.length = 0;
    this.board?.removeAllListeners();
    this.board?.on('error', () => {}); // late errors from a dropped connection are expected, not fatal
    this.board = null;
    this.io = null;
    const t = this.transport;
    this.transport = null;
    if (!t || t.destroyed) return;
    // serialport's stream has no _destroy: destroy() alone keeps the port open and locked, so the
    // reconnect would find it busy ("Cannot lock port"). Close it first.
    const port = t as Duplex & { isOpen?: boolean; close?: (cb?: (err?: Error | null) => void) => void };
    if (port.isOpen && typeof port.close === 'function') port.close(() => t.destroy());
    else t.destroy();
  }
}

function pinChannel(pin: string): number {
  return Number(pin.slice(1));
}

function int16(hi: number, lo: number): number {
  const v = ((hi & 0xff) << 8) | (lo & 0xff);
  return v & 0x8000 ? v - 0x10000 : v;
}

function addTap<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
