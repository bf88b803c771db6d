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

/** ATmega2560 interrupt vector word addresses (vector number × 2; datasheet table 14-1). */
const MEGA2560_VECTORS = {
  timer0: { compAInterrupt: 0x2a, compBInterrupt: 0x2c, ovfInterrupt: 0x2e },
  timer1: { captureInterrupt: 0x20, compAInterrupt: 0x22, compBInterrupt: 0x24, ovfInterrupt: 0x28 },
  timer2: { compAInterrupt: 0x1a, compBInterrupt: 0x1c, ovfInterrupt: 0x1e },
  usart0: { rxCompleteInterrupt: 0x32, dataRegisterEmptyInterrupt: 0x34, txCompleteInterrupt: 0x36 },
  adc: { adcInterrupt: 0x3a },
  eeprom: { eepromReadyInterrupt: 0x3c },
  twi: { twiInterrupt: 0x4e },
};

export interface AvrBoardOptions {
  /** Intel HEX of the program. */
  hex: string;
  /** The MCU: ATmega328P (Uno, Nano; the default) or ATmega2560 (Mega). */
  mcu?: 'atmega328p' | 'atmega2560';
  /** Volts on A0–A5 (AVcc = 5 V). */
  analogVolts?: number[];
  /** Volts on A0–A5 as a function of emulated time (s), set every 0.1 ms; overrides `analogVolts`. */
  analogAt?: (channel: number, seconds: number) => number;
}

/** Cycles between updates of `analogAt` voltages: 0.1 ms. */
const ANALOG_STEP_CYCLES = FREQ_HZ / 10_000;

/**
 * An ATmega328P (or ATmega2560) at 16 MHz emulated in this process (avr8js): the program runs from its HEX, USART0
 * is a Duplex (`transport`) like a serial port, the ADC reads `analogVolts`, the EEPROM is memory.
 * Emulated time runs as fast as Node allows, one millisecond slice per event-loop turn.
 */
export class AvrBoard {
  readonly transport: Duplex;
  readonly cpu: CPU;
  readonly eeprom: EEPROMMemoryBackend;
  private readonly usart: AVRUSART;
  private readonly adc: AVRADC;
  private readonly rxQueue: number[] = [];
  private running = true;
  private readonly analogAt: AvrBoardOptions['analogAt'];
  private nextAnalog = 0;

  constructor(o: AvrBoardOptions) {
    const mega = o.mcu === 'atmega2560';
    // avr8js's configs are the ATmega328P's; the 2560 has the same registers at other interrupt vectors.
    const v = mega ? MEGA2560_VECTORS : null;
    // The 2560's SRAM starts at 0x200, past 416 I/O registers: 8 KB of it ends at 0x21FF.
    this.cpu = new CPU(loadIntelHex(o.hex, mega ? 256 * 1024 : 32 * 1024), mega ? 8192 + 0x100 : 8192);
    this.eeprom = new EEPROMMemoryBackend(mega ? 4096 : 1024);
    new AVRTimer(this.cpu, v ? { ...timer0Config, ...v.timer0 } : timer0Config);
    new AVRTimer(this.cpu, v ? { ...timer1Config, ...v.timer1 } : timer1Config);
    new AVRTimer(this.cpu, v ? { ...timer2Config, ...v.timer2 } : timer2Config);
    new AVRIOPort(this.cpu, portBConfig);
    new AVRIOPort(this.cpu, portCConfig);
    new AVRIOPort(this.cpu, portDConfig);
    new AVREEPROM(this.cpu, this.eeprom, v ? { ...eepromConfig, ...v.eeprom } : eepromConfig);
    new AVRTWI(this.cpu, v ? { ...twiConfig, ...v.twi } : twiConfig, FREQ_HZ);
    this.adc = new AVRADC(this.cpu, v ? { ...adcConfig, ...v.adc } : adcConfig);
    this.setAnalog(o.analogVolts ?? []);
    this.analogAt = o.analogAt;
    this.usart = new AVRUSART(this.cpu, v ? { ...usart0Config, ...v.usart0 } : usart0Config, FREQ_HZ);
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
      if (this.analogAt && this.cpu.cycles >= this.nextAnalog) {
        for (let c = 0; c < 6; c++) this.adc.channelValues[c] = this.analogAt(c, this.cpu.cycles / FREQ_HZ);
        this.nextAnalog = this.cpu.cycles + ANALOG_STEP_CYCLES;
      }
      avrInstruction(this.cpu);
      this.cpu.tick();
    }
    setImmediate(() => this.run());
  }
}
