import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import {
  AVRADC,
  AVREEPROM,
  AVRIOPort,
  AVRTimer,
  AVRTWI,
  AVRUSART,
  adcConfig,
  avrInstruction,
  CPU,
  EEPROMMemoryBackend,
  eepromConfig,
  portBConfig,
  portCConfig,
  portDConfig,
  timer0Config,
  timer1Config,
  timer2Config,
  twiConfig,
  usart0Config,
} from 'avr8js';
import { TinygateError } from '../errors/index.js';

const FREQ_HZ = 16_000_000;
/** Emulated time run per turn of the event loop; small enough that serial replies come promptly. */
const SLICE_CYCLES = FREQ_HZ / 1000;

/** Program memory from an Intel HEX file (what avr-objcopy and the Arduino IDE write). */
export function loadIntelHex(file: string, flashBytes = 32 * 1024): Uint16Array {
  const bytes = new Uint8Array(flashBytes);
  let base = 0;
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (!line.startsWith(':')) return;
      const n = Number.parseInt(line.slice(1, 3), 16);
      const address = Number.parseInt(line.slice(3, 7), 16);
      const type = Number.parseInt(line.slice(7, 9), 16);
      if (type === 0) {
        for (let k = 0; k < n; k++) {
          const at = base + address + k;
          if (at >= flashBytes) {
            throw new TinygateError(
              'HEX_TOO_LARGE',
              `${file}:${i + 1}: data at 0x${at.toString(16)} is past the ${flashBytes}-byte flash`,
              {
                hint: 'Is this hex built for this board?',
              },
            );
          }
          bytes[at] = Number.parseInt(line.slice(9 + 2 * k, 11 + 2 * k), 16);
        }
      } else if (type === 2) {
        base = Number.parseInt(line.slice(9, 13), 16) * 16;
      } else if (type === 4) {
        base = Number.parseInt(line.slice(9, 13), 16) * 65536;
      }
    });
  return new Uint16Array(bytes.buffer);
}

export interface AvrBoardOptions {
  /** Intel HEX of an ATmega328P program (Uno, Nano). */
  hex: string;
  /** Volts on A0–A5 (AVcc = 5 V). */
  analogVolts?: number[];
}

/**
 * An ATmega328P at 16 MHz emulated in this process (avr8js): the program runs from its HEX, USART0
 * is a Duplex (`transport`) like a serial port, the ADC reads `analogVolts`, the EEPROM is memory.
 * Emulated time runs as fast as Node allows, one millisecond slice per event-loop turn.
 */
export class AvrBoard {
  readonly transport: Duplex;
  readonly cpu: CPU;
  readonly eeprom = new EEPROMMemoryBackend(1024);
  private readonly usart: AVRUSART;
  private readonly adc: AVRADC;
  private readonly rxQueue: number[] = [];
  private running = true;

  constructor(o: AvrBoardOptions) {
    this.cpu = new CPU(loadIntelHex(o.hex));
    new AVRTimer(this.cpu, timer0Config);
    new AVRTimer(this.cpu, timer1Config);
    new AVRTimer(this.cpu, timer2Config);
    new AVRIOPort(this.cpu, portBConfig);
    new AVRIOPort(this.cpu, portCConfig);
    new AVRIOPort(this.cpu, portDConfig);
    new AVREEPROM(this.cpu, this.eeprom, eepromConfig);
    new AVRTWI(this.cpu, twiConfig, FREQ_HZ);
    this.adc = new AVRADC(this.cpu, adcConfig);
    this.setAnalog(o.analogVolts ?? []);
    this.usart = new AVRUSART(this.cpu, usart0Config, FREQ_HZ);
    const board = this;
    this.transport = new Duplex({
      write(chunk: Buffer, _enc, cb) {
        for (const b of chunk) board.rxQueue.push(b);
        cb();
      },
      read() {},
      destroy(err, cb) {
        board.running = false;
        cb(err);
      },
    });
    Object.assign(this.transport, { isOpen: true });
    this.usart.onByteTransmit = (b) => this.transport.push(Buffer.of(b));
    setImmediate(() => {
      this.transport.emit('open');
      this.run();
    });
  }

  /** Volts on the analog inputs A0… (AVcc reference, 5 V full scale). */
  setAnalog(volts: number[]): void {
    volts.forEach((v, i) => {
      this.adc.channelValues[i] = v;
    });
  }

  stop(): void {
    this.running = false;
    this.transport.destroy();
  }

  private run(): void {
    if (!this.running) return;
    const end = this.cpu.cycles + SLICE_CYCLES;
    while (this.cpu.cycles < end) {
      // One received byte at a time, as the wire delivers them.
      if (this.rxQueue.length && !this.usart.rxBusy) this.usart.writeByte(this.rxQueue.shift()!);
      avrInstruction(this.cpu);
      this.cpu.tick();
    }
    setImmediate(() => this.run());
  }
}
