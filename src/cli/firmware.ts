import { type Command, Option } from 'commander';
import { findBoard } from '../boards/index.js';
import {
  buildFirmware,
  FIRMWARE_BUILDS,
  type FirmwareBuild,
  type FirmwareBuildKind,
  installFirmware,
  installPlan,
  shellLine,
} from '../firmware/index.js';

import { action, type JsonFlag, report } from './output.js';

interface BoardFlag extends JsonFlag {
  board: string;
  build?: FirmwareBuildKind;
}

const BUILD_HELP = `${FIRMWARE_BUILDS.join(' or ')}: the bare-register build (default) or the Arduino library's example sketch built by arduino-builder (Uno and Mega)`;

interface InstallOptions extends BoardFlag {
  port?: string;
  drive?: string;
  dryRun?: boolean;
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`;

function renderBuild(b: FirmwareBuild): string {
  const program = b.profile.flashBytes - b.profile.bootloaderFlashBytes;
  return [
    `${b.board}: ${b.image.path} (${b.image.bytes} B file)`,
    ...b.also.map((f) => `  also ${f.path} (${f.bytes} B)`),
    `  flash ${b.flashBytes} B of ${program} B for programs (${percent(b.flashBytes, program)}), static RAM ${b.staticRamBytes} B of ${b.profile.ramBytes} B (${percent(b.staticRamBytes, b.profile.ramBytes)})`,
  ].join('\n');
}

/** The `firmware` group: build the firmware-bridge for a board profile and put it on the board. */
export function registerFirmware(program: Command): void {
  const firmware = program
    .command('firmware')
    .description('build the firmware-bridge for a board and install it on the board');

  firmware
    .command('build')
    .description(
      'build the firmware-bridge for a board profile here (make) and say where the image is, with its sizes',
    )
    .requiredOption('--board <id>', 'board profile id (see `tinygate boards`)')
    .addOption(new Option('--build <kind>', BUILD_HELP).choices(FIRMWARE_BUILDS))
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: BoardFlag) => {
        const build = await buildFirmware(findBoard(opts.board), opts.build);
        report(opts, build, () => renderBuild(build));
      }),
    );

  firmware
    .command('install')
    .description(
      "put the firmware-bridge on a board the way it takes firmware (avrdude through the Uno's or Mega's bootloader); --dry-run prints the steps for any board",
    )
    .requiredOption('--board <id>', 'board profile id (see `tinygate boards`)')
    .option('--port <path>', 'the serial port the board is on, e.g. /dev/ttyACM0')
    .option('--drive <path>', 'for UF2 and ST-LINK boards: the drive the board mounts (in the printed steps)')
    .addOption(new Option('--build <kind>', BUILD_HELP).choices(FIRMWARE_BUILDS))
    .option('--dry-run', 'print the steps (commands) without running them')
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: InstallOptions) => {
        const board = findBoard(opts.board);
        const where = {
          ...(opts.port ? { port: opts.port } : {}),
          ...(opts.drive ? { drive: opts.drive } : {}),
          ...(opts.build ? { build: opts.build } : {}),
        };
        if (opts.dryRun) {
          const plan = installPlan(board, where);
          report(opts, plan, () =>
            [
              `# ${board.id}: ${plan.method}${plan.runnable ? ' (tinygate firmware install runs these steps)' : ` (run them yourself: ${plan.why})`}`,
              ...plan.steps.flatMap((s) => [`# ${s.note}`, ...(s.run ? [shellLine(s.run)] : [])]),
            ].join('\n'),
          );
          return;
        }
        const r = await installFirmware(board, where);
        report(opts, r, () =>
          [
            renderBuild(r.build),
            `installed on ${r.port} through the bootloader (${r.method}): device signature ${r.signature}, ${r.bytesWritten} B written, ${r.bytesVerified} B read back and verified, ${r.seconds.toFixed(1)} s`,
            `try: tinygate board info --port ${r.port}`,
          ].join('\n'),
        );
      }),
    );
}
