import type { Command } from 'commander';
import { TinygateError } from '../errors/index.js';
import { QEMU_MACHINES, type QemuMachineName, startHostBoard, startQemuBoard } from '../link/index.js';
import { hostScenarioFile } from '../link/scenario-file.js';
import { action, type JsonFlag, report } from './output.js';
import { parseDuration } from './parse.js';

interface SimBoardOptions extends JsonFlag {
  target: string;
  icount?: string;
  scenario?: string;
  baud?: string;
  faults?: string;
  flash?: string;
  link?: string;
  duration?: string;
}

/** `host`, or `qemu-<machine>` for each emulated machine. */
const QEMU_TARGETS = Object.keys(QEMU_MACHINES).map((m) => `qemu-${m}`);
const TARGETS = ['host', ...QEMU_TARGETS];

/** Waits for Ctrl-C, SIGTERM or the board's own exit, then stops it; a second signal does not cut the stop short. */
async function runUntilStopped(child: NodeJS.EventEmitter, stop: () => Promise<void>): Promise<void> {
  let signalled: () => void = () => {};
  const onSignal = () => signalled();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await new Promise<void>((resolve) => {
    signalled = resolve;
    child.once('exit', () => resolve());
  });
  await stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** `--icount off` or a shift (2^shift ns per instruction). */
function parseIcount(value: string | undefined): number | false {
  if (value === undefined) return 0;
  if (value === 'off') return false;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 10) {
    throw new TinygateError('USAGE', `--icount ${value}: expected a shift 0-10 or "off"`, {
      hint: 'e.g. --icount 0 (1 ns per instruction, the default) or --icount off.',
    });
  }
  return n;
}

/** An emulated board: the firmware-bridge for a QEMU machine under qemu-system-arm. */
async function simQemuBoard(opts: SimBoardOptions): Promise<void> {
  for (const flag of ['scenario', 'baud', 'faults'] as const) {
    if (opts[flag] !== undefined) {
      throw new TinygateError('USAGE', `--${flag} applies to the host board only`, {
        hint: 'QEMU boards read no scenario (their analog inputs are a test signal) and run their UART unpaced.',
      });
    }
  }
  const machine = opts.target.slice('qemu-'.length) as QemuMachineName;
  const icountShift = parseIcount(opts.icount);
  const qb = await startQemuBoard({
    machine,
    icountShift,
    ...(opts.flash ? { storeFile: opts.flash } : {}),
    ...(opts.link ? { linkPath: opts.link } : {}),
  });
  report(
    opts,
    {
      target: opts.target,
      port: qb.path,
      pty: qb.pty,
      pid: qb.process.pid,
      storeFile: opts.flash ?? null,
      icountShift,
    },
    () =>
      [
        `emulated ${QEMU_MACHINES[machine].description} on ${qb.path}${qb.path !== qb.pty ? ` (${qb.pty})` : ''}` +
          (icountShift === false
            ? ''
            : `, -icount shift=${icountShift}: board µs = ${1000 / 2 ** icountShift} instructions`),
        opts.flash
          ? `model store saved to ${opts.flash} when it stops`
          : 'model store in RAM: lost when it stops (--flash keeps it)',
        `try: tinygate board info --port ${qb.path}`,
        'Ctrl-C stops it.',
      ].join('\n'),
  );
  let stopping = false;
  await runUntilStopped(qb.process, () => {
    stopping = true;
    return qb.stop();
  });
  if (!stopping) {
    throw new TinygateError(
      'BOARD_STOPPED',
      `QEMU stopped on its own: ${qb.output().trim().split('\n').slice(-3).join(' | ')}`,
      {
        hint: 'A --flash image from another build or a different size can be refused; remove it to start empty.',
      },
    );
  }
}

/** Adds `board` to the `sim` group: the C firmware bridge built for this machine, on a pty. */
export function registerSimBoard(sim: Command): void {
  sim
    .command('board')
    .description(
      'start a virtual board on a pty and print its port: the firmware-bridge built for this machine, or for a board emulated by QEMU',
    )
    .option('--target <target>', `${TARGETS.join(' | ')}`, 'host')
    .option(
      '--icount <shift|off>',
      'qemu: 2^shift ns of virtual time per instruction, for repeatable timings',
      '0',
    )
    .option('--scenario <name|file>', 'machine signals: a shipped scenario, a .yaml scenario or a board CSV')
    .option('--duration <seconds>', 'seconds of a named scenario to render (the board loops them)', '300')
    .option('--baud <n>', 'pace the UART like a real link at this baud (default: as fast as the pty goes)')
    .option('--faults <spec>', 'line faults: drop=P,corrupt=P,stall=MS/EVERY_MS,dir=rx|tx|both,seed=N')
    .option(
      '--flash <file>',
      'keep the model store in this file (survives restarts; qemu: saved when it stops)',
    )
    .option('--link <path>', 'also make this path a symlink to the pty (stable across restarts)')
    .option('--json', 'print one JSON document with the port once the board runs')
    .action(
      action(async (opts: SimBoardOptions) => {
        if (!TARGETS.includes(opts.target)) {
          throw new TinygateError('USAGE', `--target ${opts.target}: unknown target`, {
            hint: `Use one of: ${TARGETS.join(', ')}.`,
          });
        }
        if (QEMU_TARGETS.includes(opts.target)) {
          await simQemuBoard(opts);
          return;
        }
        const scenario = opts.scenario
          ? hostScenarioFile(opts.scenario, {
              durationS: parseDuration(opts.duration ?? '300', '--duration'),
            })
          : undefined;
        const hb = await startHostBoard({
          ...(scenario ? { scenario } : {}),
          ...(opts.baud ? { baud: Number(opts.baud) } : {}),
          ...(opts.faults ? { faults: opts.faults } : {}),
          ...(opts.flash ? { flashFile: opts.flash } : {}),
          ...(opts.link ? { linkPath: opts.link } : {}),
        });
        report(
          opts,
          {
            port: hb.path,
            pty: hb.pty,
            pid: hb.process.pid,
            flashFile: hb.flashFile,
            scenario: scenario ?? null,
          },
          () =>
            [
              `virtual board on ${hb.path}${hb.path !== hb.pty ? ` (${hb.pty})` : ''}, model store ${hb.flashFile}`,
              `try: tinygate board info --port ${hb.path}`,
              'Ctrl-C stops it.',
            ].join('\n'),
        );
        await runUntilStopped(hb.process, hb.stop);
      }),
    );
}
