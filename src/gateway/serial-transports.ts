import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { TinygateError } from '../errors/index.js';
import { type HostBoard, hostScenarioFile, startHostBoard } from '../link/index.js';
import type { BoardConfig } from './config.js';
import type { BoardTransport } from './transports.js';
import { scenarioPath } from './transports.js';

/** Seconds of a scenario the host board gets; it loops them. Longer than the demo takes to learn (~2 min) and
 * show its fault, so a fault does not vanish at the loop; 1 kHz CSV is a few MB a minute. */
const HOST_SCENARIO_SECONDS = 300;

export interface SerialBoardTransport extends BoardTransport {
  /** The port johnny-five and the model link open; for a host board, after making sure it runs. */
  portPath(): Promise<string>;
  baudRate: number;
  /** The host board's process while it runs (virtual boards only): diagnostics and tests. */
  process?: () => ChildProcess | null;
}

/** A real board on a serial port. */
export function serialTransport(board: BoardConfig, baudRate: number): SerialBoardTransport {
  const path = board.port!;
  return {
    baudRate,
    portPath: async () => path,
    open: () => new SerialPort({ path, baudRate }),
    describe: () => `${path} at ${baudRate} baud`,
    close: async () => {},
  };
}

/**
 * The C firmware bridge built for this machine, on a pty, playing the board's scenario. Its model
 * store lives in the data folder, so models survive restarts; if the process dies (killed, crashed),
 * the next reconnect starts it again, as plugging a board back in would.
 */
export function hostTransport(board: BoardConfig, baseDir: string, dataDir: string): SerialBoardTransport {
  const scenario = hostScenarioFile(scenarioPath(board.virtual!.scenario, baseDir), {
    durationS: HOST_SCENARIO_SECONDS,
  });
  const flashFile = join(dataDir, `${board.id}.flash`);
  const linkPath = join(dataDir, `${board.id}.pty`);
  let running: HostBoard | null = null;
  let starting: Promise<HostBoard> | null = null;
  let closed = false;
  const ensure = async (): Promise<HostBoard> => {
    if (closed)
      throw new TinygateError('BOARD_CLOSED', `board ${board.id} is stopping`, { kind: 'internal' });
    if (running && running.process.exitCode === null && running.process.signalCode === null) return running;
    starting ??= startHostBoard({ scenario, flashFile, linkPath, boardId: 'virtual-host' })
      .then((hb) => {
        running = hb;
        return hb;
      })
      .finally(() => {
        starting = null;
      });
    return starting;
  };
  const baudRate = board.baud ?? 115200;
  return {
    baudRate,
    portPath: async () => (await ensure()).path,
    open: async () => new SerialPort({ path: (await ensure()).path, baudRate }),
    describe: () => `virtual (host firmware on ${linkPath})`,
    process: () => running?.process ?? null,
    close: async () => {
      closed = true;
      // A board being (re)started right now must not outlive the gateway.
      if (starting) await starting.catch(() => null);
      await running?.stop();
    },
  };
}
