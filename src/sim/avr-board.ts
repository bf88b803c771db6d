import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import {
  AVRADC,
  AVRClock,
  AVREEPROM,
  AVRIOPort,
  AVRTimer,
  AVRTWI,
  AVRUSART,
  AVRWatchdog,
  adcConfig,
  avrInstruction,
  CPU,
  clockConfig,
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
  watchdogConfig,
} from 'avr8js';
import { TinygateError } from '../errors/index.js';
import { SelfProgramming } from './avr-spm.js';

const FREQ_HZ = 16_000_000;
/** Emulated time run per turn of the event loop; small enough that serial replies come promptly. */
const SLICE_CYCLES = FREQ_HZ / 1000;

/** Program memory from an Intel HEX file (what avr-objcopy and the Arduino IDE write). */
export function loadIntelHex(file: string, flashBytes = 32 * 1024, into?: Uint8Array): Uint16Array {
  // Erased flash reads 0xFF; a bootloader's hex is loaded over the application's.
  const bytes = into ?? new Uint8Array(flashBytes).fill(0xff);
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
  watchdog: { watchdogInterrupt: 0x18 },
};

/** UCSR0A (both parts): RXC, UDRE, FE, DOR and UPE are read-only, TXC is cleared by writing it 1. */
const UCSR0A = 0xc0;
const UCSRA_READ_ONLY = 0x80 | 0x20 | 0x10 | 0x08 | 0x04;
const UCSRA_TXC = 0x40;

/**
 * avr8js clears every UCSR0A flag but U2X and MPCM on any write to UCSR0A; firmware that writes it while a
 * byte waits (the Mega's stk500v2 bootloader clears TXC after each byte it sends) then loses that byte.
 */
function keepUsartStatusFlags(cpu: CPU): void {
  const write = cpu.writeHooks[UCSR0A]!;
  cpu.writeHooks[UCSR0A] = (value, old, addr, mask) => {
    const keep = UCSRA_READ_ONLY | (value & UCSRA_TXC ? 0 : UCSRA_TXC);
    const handled = write(value, old, addr, mask);
    cpu.data[UCSR0A] = (cpu.data[UCSR0A]! & ~keep) | (old & keep);
    return handled;
  };
}

/** UDR0, UBRR0 and UCSR0A's receive-complete and double-speed bits (both parts). */
const UDR0 = 0xc6;
const UBRR0L = 0xc4;
const UBRR0H = 0xc5;
const UCSRA_RXC = 0x80;
const UCSRA_U2X = 0x02;

/** UCSR0B (both parts) and its receive-complete interrupt enable. */
const UCSR0B = 0xc1;
const UCSRB_RXCIE = 0x80;

/**
 * avr8js clears RXC (and its pending interrupt) on any write to UCSR0B while the receiver is on; the Arduino
 * core writes UCSR0B for every byte it queues to send (UDRIE on and off), so a byte received meanwhile was
 * never read and the next one overwrote it. On the ATmega only reading UDR0 clears RXC.
 */
function keepReceivedByte(cpu: CPU, rxCompleteInterrupt: number): void {
  const rxc = {
    address: rxCompleteInterrupt,
    flagRegister: UCSR0A,
    flagMask: UCSRA_RXC,
    enableRegister: UCSR0B,
    enableMask: UCSRB_RXCIE,
    constant: true,
  };
  const write = cpu.writeHooks[UCSR0B]!;
  cpu.writeHooks[UCSR0B] = (value, old, addr, mask) => {
    const received = cpu.data[UCSR0A]! & UCSRA_RXC;
    const handled = write(value, old, addr, mask);
    if (received) cpu.setInterruptFlag(rxc);
    return handled;
  };
}

/** MCUSR reset flags (datasheet "MCUSR – MCU Status Register"). */
export const RESET_FLAGS = { power: 0x01, external: 0x02, brownOut: 0x04, watchdog: 0x08 } as const;
const MCUSR = 0x54;
const WDTCSR = 0x60;

export interface AvrBootloader {
  /** Intel HEX of the bootloader, e.g. Debian's optiboot_atmega328.hex. */
  hex: string;
  /** Byte address of the boot section the BOOTSZ fuses select; BOOTRST makes it the reset vector (Uno: 0x7E00, Mega: 0x3E000). */
  startByte: number;
}

export interface AvrBoardOptions {
  /** Intel HEX of the program; omitted, the application flash is erased (0xFF), as on a board with only its bootloader. */
  hex?: string;
  /** The MCU: ATmega328P (Uno, Nano; the default) or ATmega2560 (Mega). */
  mcu?: 'atmega328p' | 'atmega2560';
  /** A bootloader in the boot section, run at every reset (the BOOTRST fuse), with SPM writing the flash. */
  bootloader?: AvrBootloader;
  /** Volts on A0–A5 (AVcc = 5 V). */
  analogVolts?: number[];
  /** Volts on A0–A5 as a function of emulated time (s), set every 0.1 ms; overrides `analogVolts`. */
  analogAt?: (channel: number, seconds: number) => number;
  /** Never run ahead of the wall clock, nor sprint to catch up with it (a bootloader's timeouts then last at least as long as on a real board). */
  realTime?: boolean;
}

/** With `realTime`, how far emulated time may fall behind the wall clock before it slips: 20 ms. */
const MAX_LAG_CYCLES = FREQ_HZ / 50;

/** Cycles between updates of `analogAt` voltages: 0.1 ms. */
const ANALOG_STEP_CYCLES = FREQ_HZ / 10_000;

/**
 * An ATmega328P (or ATmega2560) at 16 MHz emulated in this process (avr8js): the program runs from its HEX, USART0
 * is a Duplex (`transport`) like a serial port, the ADC reads `analogVolts`, the EEPROM is memory.
 * Emulated time runs as fast as Node allows (or with the wall clock), one millisecond slice per event-loop turn.
 * A reset (`reset()`, or the watchdog) starts a new CPU and peripherals over the same flash and EEPROM, with the
 * MCUSR flag of its cause, at the boot section when a bootloader is given.
 */
export class AvrBoard {
  readonly transport: Duplex;
  readonly eeprom: EEPROMMemoryBackend;
  /** Program memory, kept across resets (the bootloader writes it through SPM). */
  readonly flash: Uint16Array;
  /** Resets so far by cause, power-on included. */
  readonly resets = { power: 0, external: 0, watchdog: 0 };
  private cpuNow!: CPU;
  private usart!: AVRUSART;
  private adc!: AVRADC;
  private spmNow: SelfProgramming | null = null;
  private readonly rxQueue: number[] = [];
  /** Cycle (of the whole run) at which the byte on the wire is in; null while the wire is idle. */
  private rxInAt: number | null = null;
  /** A received byte waiting behind the one in UDR0: the receive buffer's second level. */
  private rxHeld: number | null = null;
  /** Received bytes lost because both levels of the receive buffer were full (data overruns). */
  rxOverruns = 0;
  private running = true;
  private readonly o: AvrBoardOptions;
  private readonly mega: boolean;
  private nextAnalog = 0;
  /** Cycles run by the CPUs before the current one (a reset starts a CPU at cycle 0). */
  private cycleBase = 0;
  private pendingReset = 0;
  private startedAt = 0;

  constructor(o: AvrBoardOptions) {
    this.o = o;
    this.mega = o.mcu === 'atmega2560';
    const flashBytes = this.mega ? 256 * 1024 : 32 * 1024;
    const bytes = new Uint8Array(flashBytes).fill(0xff);
    if (o.hex) loadIntelHex(o.hex, flashBytes, bytes);
    if (o.bootloader) loadIntelHex(o.bootloader.hex, flashBytes, bytes);
    this.flash = new Uint16Array(bytes.buffer);
    this.eeprom = new EEPROMMemoryBackend(this.mega ? 4096 : 1024);
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
    this.boot(RESET_FLAGS.power);
    setImmediate(() => {
      this.transport.emit('open');
      this.startedAt = performance.now();
      this.run();
    });
  }

  /** The CPU running now (a new one after each reset). */
  get cpu(): CPU {
    return this.cpuNow;
  }

  /** The SPM unit of the running CPU (null without a bootloader): its page erase/write counts. */
  get spm(): SelfProgramming | null {
    return this.spmNow;
  }

  /** Emulated seconds since power-on. */
  get seconds(): number {
    return (this.cycleBase + this.cpuNow.cycles) / FREQ_HZ;
  }

  /** Pull RESET low: the board restarts (at the bootloader, if any) with EXTRF set, as a USB-serial DTR pulse does. */
  reset(): void {
    this.pendingReset |= RESET_FLAGS.external;
  }

  /** A new CPU and peripherals (I/O registers at their reset values) over the same flash and EEPROM. */
  private boot(flags: number): void {
    const old = this.cpuNow;
    if (old) this.cycleBase += old.cycles;
    // Flags other than PORF stay until software clears them; a power-on clears the rest.
    const mcusr = flags & RESET_FLAGS.power ? flags : (old?.data[MCUSR] ?? 0) | flags;
    const mega = this.mega;
    // avr8js's configs are the ATmega328P's; the 2560 has the same registers at other interrupt vectors.
    const v = mega ? MEGA2560_VECTORS : null;
    // The 2560's SRAM starts at 0x200, past 416 I/O registers: 8 KB of it ends at 0x21FF.
    const cpu = new CPU(this.flash, mega ? 8192 + 0x100 : 8192);
    this.cpuNow = cpu;
    new AVRTimer(cpu, v ? { ...timer0Config, ...v.timer0 } : timer0Config);
    new AVRTimer(cpu, v ? { ...timer1Config, ...v.timer1 } : timer1Config);
    new AVRTimer(cpu, v ? { ...timer2Config, ...v.timer2 } : timer2Config);
    new AVRIOPort(cpu, portBConfig);
    new AVRIOPort(cpu, portCConfig);
    new AVRIOPort(cpu, portDConfig);
    new AVREEPROM(cpu, this.eeprom, v ? { ...eepromConfig, ...v.eeprom } : eepromConfig);
    new AVRTWI(cpu, v ? { ...twiConfig, ...v.twi } : twiConfig, FREQ_HZ);
    this.adc = new AVRADC(cpu, v ? { ...adcConfig, ...v.adc } : adcConfig);
    this.setAnalog(this.o.analogVolts ?? []);
    const usartConfig = v ? { ...usart0Config, ...v.usart0 } : usart0Config;
    this.usart = new AVRUSART(cpu, usartConfig, FREQ_HZ);
    this.usart.onByteTransmit = (b) => this.transport.push(Buffer.of(b));
    keepUsartStatusFlags(cpu);
    keepReceivedByte(cpu, usartConfig.rxCompleteInterrupt);
    this.rxHeld = null;
    this.rxInAt = null;
    // Reading UDR0 moves the byte waiting behind it up, as the ATmega's two-level receive buffer does.
    const readUdr = cpu.readHooks[UDR0]!;
    cpu.readHooks[UDR0] = (addr) => {
      const value = readUdr(addr);
      if (this.rxHeld !== null) {
        const held = this.rxHeld;
        this.rxHeld = null;
        this.usart.writeByte(held, true);
      }
      return value;
    };
    const clock = new AVRClock(cpu, FREQ_HZ, clockConfig);
    new AVRWatchdog(cpu, v ? { ...watchdogConfig, ...v.watchdog } : watchdogConfig, clock);
    // avr8js's watchdog resets through cpu.reset(): make that a whole-board reset.
    cpu.reset = () => {
      this.pendingReset |= RESET_FLAGS.watchdog;
    };
    cpu.data[MCUSR] = mcusr;
    if (mcusr & RESET_FLAGS.watchdog) {
      // WDRF forces WDE on: the watchdog keeps running at its shortest period (16 ms) until software stops it.
      cpu.writeData(WDTCSR, 0x18);
      cpu.writeData(WDTCSR, 0x08);
    }
    const boot = this.o.bootloader;
    if (boot) {
      this.spmNow = new SelfProgramming(cpu, {
        pageBytes: mega ? 256 : 128,
        bootStartByte: boot.startByte,
        protectBootSection: true,
        clockHz: FREQ_HZ,
      });
      cpu.pc = boot.startByte / 2;
    }
    if (flags & RESET_FLAGS.power) this.resets.power++;
    if (flags & RESET_FLAGS.external) this.resets.external++;
    if (flags & RESET_FLAGS.watchdog) this.resets.watchdog++;
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

  /** CPU cycles one character takes on the wire at the USART's settings (as avr8js times the bytes it sends). */
  private cyclesPerChar(): number {
    const u = this.usart;
    const d = this.cpuNow.data;
    const ubrr = ((d[UBRR0H]! & 0x0f) << 8) | d[UBRR0L]!;
    const symbols = 1 + u.bitsPerChar + u.stopBits + (u.parityEnabled ? 1 : 0);
    return (ubrr + 1) * (d[UCSR0A]! & UCSRA_U2X ? 8 : 16) * symbols;
  }

  /** A byte has come in: into UDR0, or behind it, or lost when both are full (a data overrun) or the receiver is off. */
  private receive(byte: number): void {
    if (!this.usart.rxEnable) return;
    if (!(this.cpuNow.data[UCSR0A]! & UCSRA_RXC)) this.usart.writeByte(byte, true);
    else if (this.rxHeld === null) this.rxHeld = byte;
    else this.rxOverruns++;
  }

  private run(): void {
    if (!this.running) return;
    let slice = SLICE_CYCLES;
    if (this.o.realTime) {
      let due =
        ((performance.now() - this.startedAt) / 1000) * FREQ_HZ - (this.cycleBase + this.cpuNow.cycles);
      // Behind the clock (this process was not scheduled): let emulated time slip rather than sprint to catch
      // up, or a program on the other end of the wire would look seconds late to the firmware's timeouts.
      if (due > MAX_LAG_CYCLES) {
        this.startedAt += ((due - MAX_LAG_CYCLES) / FREQ_HZ) * 1000;
        due = MAX_LAG_CYCLES;
      }
      slice = Math.min(slice, due);
      if (slice <= 0) {
        setTimeout(() => this.run(), 1);
        return;
      }
    }
    let cpu = this.cpuNow;
    const end = this.cycleBase + cpu.cycles + slice;
    while (this.cycleBase + cpu.cycles < end) {
      // One received byte a character time, as the wire delivers them, into a two-level receive buffer
      // (avr8js keeps one byte, so a byte the firmware read more than one character time late was overwritten).
      if (this.rxInAt !== null && this.cycleBase + cpu.cycles >= this.rxInAt) {
        this.rxInAt = null;
        this.receive(this.rxQueue.shift()!);
      }
      if (this.rxInAt === null && this.rxQueue.length)
        this.rxInAt = this.cycleBase + cpu.cycles + this.cyclesPerChar();
      const analogAt = this.o.analogAt;
      if (analogAt && this.cycleBase + cpu.cycles >= this.nextAnalog) {
        const t = this.seconds;
        for (let c = 0; c < 6; c++) this.adc.channelValues[c] = analogAt(c, t);
        this.nextAnalog = this.cycleBase + cpu.cycles + ANALOG_STEP_CYCLES;
      }
      if (!this.spmNow?.step()) avrInstruction(cpu);
      cpu.tick();
      if (this.pendingReset) {
        const flags = this.pendingReset;
        this.pendingReset = 0;
        this.boot(flags);
        cpu = this.cpuNow;
      }
    }
    setImmediate(() => this.run());
  }
}
