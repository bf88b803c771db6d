import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

// johnny-five and firmata-io ship no types; these are the parts tinygate uses.
export interface FirmataIo {
  isReady: boolean;
  on(event: string, fn: (...args: never[]) => void): this;
  once(event: string, fn: (...args: never[]) => void): this;
  removeListener(event: string, fn: (...args: never[]) => void): this;
  removeAllListeners(event?: string): this;
  sysexCommand(message: number[]): this;
  reset(): void;
  firmware?: { name?: string; version?: { major: number; minor: number } };
}

export interface J5Component {
  on(event: string, fn: (...args: unknown[]) => void): this;
  disable?(): void;
  celsius?: number;
}

export interface J5Board {
  on(event: string, fn: (...args: unknown[]) => void): this;
  once(event: string, fn: (...args: unknown[]) => void): this;
  removeAllListeners(event?: string): this;
  isReady: boolean;
}

interface JohnnyFive {
  Board: new (o: Record<string, unknown>) => J5Board;
  Sensor: new (o: Record<string, unknown>) => J5Component;
  Thermometer: new (o: Record<string, unknown>) => J5Component;
  Accelerometer: new (o: Record<string, unknown>) => J5Component;
}

const require = createRequire(import.meta.url);
let five: JohnnyFive | null = null;
let FirmataClass: (new (transport: Duplex, options?: Record<string, unknown>) => FirmataIo) | null = null;

/** johnny-five, loaded on first use (it pulls in a lot; commands that do not sense should not pay). */
export function johnnyFive(): JohnnyFive {
  five ??= require('johnny-five') as JohnnyFive;
  return five;
}

/** firmata-io's protocol layer on any Duplex that emits 'open' (serialport 13, a pty, the virtual board). */
export function firmataOn(transport: Duplex, options: Record<string, unknown> = {}): FirmataIo {
  FirmataClass ??= (require('firmata-io') as { Firmata: typeof FirmataClass }).Firmata;
  return new FirmataClass!(transport, options);
}
