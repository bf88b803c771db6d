import { resolve } from 'node:path';
import type { TransportFactory } from '../sensing/index.js';
import { resolveScenario, VirtualFirmataBoard } from '../sim/index.js';
import type { BoardConfig } from './config.js';

/** How the gateway reaches one board: the byte stream johnny-five and the model link share. */
export interface BoardTransport {
  open: TransportFactory;
  /** Where the board is, for status pages: a port path, or "virtual (js)". */
  describe(): string;
  /** Stop whatever the transport started for itself (a virtual board's process). */
  close(): Promise<void>;
}

/** An in-memory virtual Firmata board playing a scenario; a reconnect plays it again from the start. */
export function jsVirtualTransport(board: BoardConfig, baseDir: string): BoardTransport {
  const scenario = resolveScenario(scenarioPath(board.virtual!.scenario, baseDir));
  return {
    open: () => new VirtualFirmataBoard({ scenario }).transport,
    describe: () => `virtual (js, scenario ${scenario.name})`,
    close: async () => {},
  };
}

/** A shipped scenario name stays a name; a file path is taken relative to the config's folder. */
export function scenarioPath(nameOrFile: string, baseDir: string): string {
  return /[/\\]|\.(ya?ml|json)$/i.test(nameOrFile) ? resolve(baseDir, nameOrFile) : nameOrFile;
}
