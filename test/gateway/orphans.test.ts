// No orphans: a gateway that dies however it dies (SIGKILL, OOM, a crash) takes its board processes with
// it, or a supervisor restarting it piles them up, each still using CPU. And a board process whose output
// nobody reads any more still stops when asked (SIGTERM).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHostFirmware, startHostBoard } from '../../src/link/index.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-orphans-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** The processes `pid` started (all its threads' children). */
function childrenOf(pid: number): number[] {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return [];
  return readdirSync(tasks).flatMap((t) => {
    const text = readFileSync(join(tasks, t, 'children'), 'utf8').trim();
    return text ? text.split(/\s+/).map(Number) : [];
  });
}
const command = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};
/** Running, or asleep: not gone and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function cli(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: 'ignore' });
  started.push(child);
  return child;
}

function installed(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveQemu = installed('qemu-system-arm') && installed('arm-none-eabi-gcc');

describe('board processes do not outlive the gateway', () => {
  it('SIGKILL of tinygate run leaves no host board running', async () => {
    await buildHostFirmware();
    const board = (id: string) => `
  - id: ${id}
    profile: virtual-host
    virtual: { scenario: healthy, firmware: host }
    samplingRateHz: 1000
    sensors: [{ type: accelerometer, controller: ADXL335, name: vib, pins: [A0, A1, A2] }]`;
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      `gateway: { id: orphans, dataDir: ${join(dir, 'data')} }\nboards:${board('a')}${board('b')}\nmqtt: { embedded: { port: 0 } }\ndashboard: { enabled: false }\n`,
    );
    const gateway = cli(['run', '--config', config]);
    let boards: number[] = [];
    await waitFor(
      'two host boards',
      () => {
        boards = childrenOf(gateway.pid!).filter((p) => command(p).startsWith('tinygate-host'));
        return boards.length === 2;
      },
      40_000,
    );
    // Let them stream: johnny-five has turned analog reporting on, so each board has output queued.
    await new Promise((r) => setTimeout(r, 2000));
    gateway.kill('SIGKILL');
    await waitFor('the boards to stop after their gateway died', () => !boards.some(alive), 3000);
  }, 60_000);

  it('a host board whose output nobody reads any more stops at once on SIGTERM', async () => {
    const hb = await startHostBoard();
    started.push(hb.process);
    // Analog reporting on three pins every millisecond, then the port is closed: the pty fills up, and the
    // board waits for room to write, as a real UART would.
    const fd = openSync(hb.pty, 'r+');
    writeSync(fd, Buffer.from([0xf0, 0x7a, 0x01, 0x00, 0xf7, 0xc0, 1, 0xc1, 1, 0xc2, 1]));
    closeSync(fd);
    await new Promise((r) => setTimeout(r, 12_000));
    expect(alive(hb.process.pid!)).toBe(true);
    const t0 = Date.now();
    hb.process.kill('SIGTERM');
    await waitFor('the board to stop on SIGTERM', () => hb.process.exitCode !== null, 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
  }, 30_000);

  it.skipIf(!haveQemu)(
    'SIGKILL of tinygate sim board leaves no QEMU running',
    async () => {
      const sim = cli(['sim', 'board', '--target', 'qemu-mps2-an385']);
      let qemu: number[] = [];
      await waitFor(
        'QEMU',
        () => {
          qemu = childrenOf(sim.pid!).filter((p) => command(p).startsWith('qemu-system'));
          return qemu.length === 1;
        },
        40_000,
      );
      sim.kill('SIGKILL');
      await waitFor('QEMU to stop after its parent died', () => !qemu.some(alive), 3000);
    },
    60_000,
  );
});
