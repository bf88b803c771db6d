/**
 * Self-programming (SPM) of an ATmega328P / ATmega2560 flash, which avr8js leaves out: what a bootloader such
 * as Optiboot needs to write the application section. Written from the datasheets' "Boot Loader Support –
 * Read-While-Write Self-Programming" chapter (ATmega328P §26, ATmega2560 §27).
 */
import type { CPU } from 'avr8js';

/** SPMCSR: I/O 0x37, data address 0x57, on both parts. */
const SPMCSR = 0x57;
/** RAMPZ: the Z pointer's high byte on parts with more than 64 KB of flash (ATmega2560). */
const RAMPZ = 0x5b;
const SPMEN = 0x01;
const PGERS = 0x02;
const PGWRT = 0x04;
const BLBSET = 0x08;
const RWWSRE = 0x10;
const SIGRD = 0x20;
const RWWSB = 0x40;
const OPERATION = PGERS | PGWRT | BLBSET | RWWSRE | SIGRD;
/** The opcode of SPM (1001 0101 1110 1000). */
export const SPM_OPCODE = 0x95e8;
/** An SPM runs only within four cycles of the SPMCSR write that armed it. */
const ARM_CYCLES = 4;
/** Page erase and page write take 3.7–4.5 ms (datasheet tWD_FLASH); SPMEN stays set meanwhile. */
const PAGE_OPERATION_SECONDS = 0.004;

export interface SelfProgrammingOptions {
  /** Bytes per flash page: 128 on the ATmega328P, 256 on the ATmega2560. */
  pageBytes: number;
  /** Byte address of the boot loader section (BOOTSZ fuses); SPM runs only from there. */
  bootStartByte: number;
  /** Whether the lock bits forbid SPM writing the boot section (the Arduino boards' lock byte 0x0F does). */
  protectBootSection: boolean;
  clockHz: number;
}

/** What the bootloader did to the flash, for tests and for a report. */
export interface SelfProgrammingCounts {
  pageErases: number;
  pageWrites: number;
  /** SPMs refused: run from outside the boot section, not armed within 4 cycles, or aimed at a locked boot section. */
  refused: number;
}

/** The SPM instruction and SPMCSR on one CPU; `step()` runs an SPM at the PC in place of avr8js's no-op. */
export class SelfProgramming {
  readonly counts: SelfProgrammingCounts = { pageErases: 0, pageWrites: 0, refused: 0 };
  private readonly buffer: Uint16Array;
  private readonly loaded: Uint8Array;
  private armedAt = Number.NEGATIVE_INFINITY;
  private busy = false;

  constructor(
    private readonly cpu: CPU,
    private readonly o: SelfProgrammingOptions,
  ) {
    this.buffer = new Uint16Array(o.pageBytes / 2).fill(0xffff);
    this.loaded = new Uint8Array(o.pageBytes / 2);
    cpu.writeHooks[SPMCSR] = (value) => {
      // RWWSB is the hardware's; software cannot change SPMCSR while an erase or write runs.
      if (!this.busy) {
        cpu.data[SPMCSR] = (value & ~RWWSB) | (cpu.data[SPMCSR]! & RWWSB);
        if (value & SPMEN) this.armedAt = cpu.cycles;
      }
      return true;
    };
  }

  /** If the instruction at the PC is SPM, perform it and step past it; false otherwise. */
  step(): boolean {
    const { cpu } = this;
    if (cpu.progMem[cpu.pc] !== SPM_OPCODE) return false;
    this.spm();
    cpu.pc += 1;
    cpu.cycles += 1;
    return true;
  }

  private spm(): void {
    const { cpu, o } = this;
    const csr = cpu.data[SPMCSR]!;
    const inBootSection = cpu.pc * 2 >= o.bootStartByte;
    if (!inBootSection || !(csr & SPMEN) || this.busy || cpu.cycles - this.armedAt > ARM_CYCLES) {
      this.counts.refused++;
      return;
    }
    // Z is r31:r30, extended by RAMPZ on parts with more than 64 KB of flash.
    const rampz = cpu.progBytes.length > 0x10000 ? cpu.data[RAMPZ]! : 0;
    const z = rampz * 0x10000 + cpu.dataView.getUint16(30, true);
    const page = z - (z % o.pageBytes);
    const op = csr & OPERATION;
    if (op === 0) {
      // Fill the temporary page buffer from r1:r0; each word can be loaded once until the buffer is cleared.
      const word = (z % o.pageBytes) >> 1;
      if (!this.loaded[word]) {
        this.buffer[word] = cpu.data[0]! | (cpu.data[1]! << 8);
        this.loaded[word] = 1;
      }
      cpu.data[SPMCSR] = csr & ~SPMEN;
    } else if (op === PGERS || op === PGWRT) {
      if (page >= o.bootStartByte && o.protectBootSection) {
        this.counts.refused++;
        cpu.data[SPMCSR] = csr & ~(SPMEN | op);
        return;
      }
      const words = cpu.progMem.subarray(page / 2, (page + o.pageBytes) / 2);
      if (op === PGERS) {
        words.fill(0xffff);
        this.counts.pageErases++;
      } else {
        // Programming only clears bits: a page written without an erase holds old AND new.
        for (let i = 0; i < words.length; i++) words[i]! &= this.buffer[i]!;
        this.clearBuffer();
        this.counts.pageWrites++;
      }
      // The RWW section is busy (RWWSB) until software re-enables it with RWWSRE.
      const rww = page < o.bootStartByte ? RWWSB : 0;
      cpu.data[SPMCSR] = csr | rww;
      this.busy = true;
      cpu.addClockEvent(
        () => {
          this.busy = false;
          cpu.data[SPMCSR] = cpu.data[SPMCSR]! & ~(SPMEN | op);
        },
        Math.round(PAGE_OPERATION_SECONDS * o.clockHz),
      );
    } else if (op === RWWSRE) {
      this.clearBuffer();
      cpu.data[SPMCSR] = csr & ~(SPMEN | RWWSRE | RWWSB);
    } else {
      // Lock bit writes (BLBSET) and signature reads (SIGRD) are not emulated: no bootloader here uses them.
      this.counts.refused++;
      cpu.data[SPMCSR] = csr & ~(SPMEN | op);
    }
  }

  private clearBuffer(): void {
    this.buffer.fill(0xffff);
    this.loaded.fill(0);
  }
}
