/**
 * Splits the byte stream from a Firmata device into what the link cares about: whole SysEx
 * messages and version reports. Other Firmata traffic (analog, digital) is skipped; a status byte
 * inside a SysEx means bytes were lost, so that message is dropped rather than misread.
 */
import { END_SYSEX, REPORT_VERSION, START_SYSEX } from './protocol.js';

export type FirmataEvent =
  | { kind: 'sysex'; data: Uint8Array }
  | { kind: 'version'; major: number; minor: number };

const MAX_SYSEX = 8192;

export class FrameSplitter {
  private sysex: number[] | null = null;
  private version: number[] | null = null;
  /** Bytes seen so far: some bytes but no message hints at a wrong baud rate. */
  received = 0;

  push(chunk: Uint8Array, emit: (e: FirmataEvent) => void): void {
    for (const b of chunk) {
      this.received++;
      if (this.sysex) {
        if (b === END_SYSEX) {
          const data = Uint8Array.from(this.sysex);
          this.sysex = null;
          emit({ kind: 'sysex', data });
          continue;
        }
        if (b < 0x80 && this.sysex.length < MAX_SYSEX) {
          this.sysex.push(b);
          continue;
        }
        this.sysex = null; // lost END_SYSEX or overflow: fall through and treat b afresh
      }
      if (this.version) {
        if (b < 0x80) {
          this.version.push(b);
          if (this.version.length === 2) {
            emit({ kind: 'version', major: this.version[0]!, minor: this.version[1]! });
            this.version = null;
          }
          continue;
        }
        this.version = null;
      }
      // Anything else (analog and digital reports, their data bytes) is not the link's business.
      if (b === START_SYSEX) this.sysex = [];
      else if (b === REPORT_VERSION) this.version = [];
    }
  }
}
