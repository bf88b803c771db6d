import type { Command } from 'commander';
import { startHostBoard } from '../link/index.js';
import { hostScenarioFile } from '../link/scenario-file.js';
import { action, type JsonFlag, report } from './output.js';
import { parseDuration } from './parse.js';

interface SimBoardOptions extends JsonFlag {
  scenario?: string;
  baud?: string;
  faults?: string;
  flash?: string;
  link?: string;
  duration?: string;
}

/** Adds `board` to the `sim` group: the C firmware bridge built for this machine, on a pty. */
export function registerSimBoard(sim: Command): void {
  sim
    .command('board')
    .description(
      'start a virtual board (the firmware-bridge built for this machine) on a pty and print its port',
    )
    .option('--scenario <name|file>', 'machine signals: a shipped scenario, a .yaml scenario or a board CSV')
    .option('--duration <seconds>', 'seconds of a named scenario to render (the board loops them)', '300')
    .option('--baud <n>', 'pace the UART like a real link at this baud (default: as fast as the pty goes)')
    .option('--faults <spec>', 'line faults: drop=P,corrupt=P,stall=MS/EVERY_MS,dir=rx|tx|both,seed=N')
    .option('--flash <file>', 'keep the model store in this file (survives restarts)')
    .option('--link <path>', 'also make this path a symlink to the pty (stable across restarts)')
    .option('--json', 'print one JSON document with the port once the board runs')
    .action(
      action(async (opts: SimBoardOptions) => {
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
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
          hb.process.once('exit', () => resolve());
        });
        await hb.stop();
      }),
    );
}
