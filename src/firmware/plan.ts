/** The steps that put the firmware-bridge on a board, as commands a user can read, run or copy. */
import { join } from 'node:path';
import type { BoardProfile } from '../boards/index.js';
import { TinygateError } from '../errors/index.js';
import { FIRMWARE_DIR } from '../link/host-board.js';
import { firmwareTarget, makeBuildFor } from './build.js';
import type { ArduinoCore, FirmwareBuildKind, Installer } from './targets.js';

export interface InstallStep {
  /** A command to run (argv), or null for a step a person does (press a button, plug a cable). */
  run: string[] | null;
  /** What the step does. */
  note: string;
}

export interface InstallPlan {
  board: string;
  method: Installer['kind'];
  /** Whether `firmware install` runs these steps itself; otherwise it prints them and stops. */
  runnable: boolean;
  /** Why tinygate does not run them, when it does not. */
  why: string | null;
  steps: InstallStep[];
}

export interface PlanOptions {
  /** The board's serial port (avrdude, arduino-cli upload). */
  port?: string;
  /** The drive a board mounts for a file copy (UF2, ST-LINK). */
  drive?: string;
  /** Which build to put on an Uno or Mega (default: the bare-register one). */
  build?: FirmwareBuildKind;
}

/** A POSIX shell rendering of argv, quoting only what needs it. */
export function shellLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./$-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

const LIBRARY = join(FIRMWARE_DIR, 'build/arduino/lib/TinygateBridge');
const SKETCH = join(FIRMWARE_DIR, 'arduino/examples/TinygateBridge');

function arduinoCliBuild(board: string, core: ArduinoCore): InstallStep[] {
  const urls = core.indexUrl ? ['--additional-urls', core.indexUrl] : [];
  return [
    {
      run: ['make', '-C', FIRMWARE_DIR, 'arduino-lib'],
      note: 'assemble the TinygateBridge Arduino library from the bridge sources',
    },
    { run: ['arduino-cli', 'core', 'update-index', ...urls], note: 'fetch the board package index' },
    { run: ['arduino-cli', 'core', 'install', core.core, ...urls], note: `install the ${core.core} core` },
    {
      run: [
        'arduino-cli',
        'compile',
        '--fqbn',
        core.fqbn,
        '--library',
        LIBRARY,
        '--output-dir',
        join(FIRMWARE_DIR, 'build/arduino', board),
        SKETCH,
      ],
      note: 'build the example sketch (the whole bridge) for this board',
    },
  ];
}

/** The install steps for a board; `runnable` says whether `firmware install` carries them out here. */
export function installPlan(board: BoardProfile, o: PlanOptions = {}): InstallPlan {
  const target = firmwareTarget(board);
  const install = target.install;
  const port = o.port ?? '<port>';
  const plan = (runnable: boolean, why: string | null, steps: InstallStep[]): InstallPlan => ({
    board: board.id,
    method: install.kind,
    runnable,
    why,
    steps,
  });
  if (o.build === 'arduino-library' && install.kind !== 'avrdude') makeBuildFor(board, o.build); // says why not
  switch (install.kind) {
    case 'avrdude': {
      const build = makeBuildFor(board, o.build);
      const hex = join(FIRMWARE_DIR, build.image);
      return plan(true, null, [
        {
          run: ['make', '-C', FIRMWARE_DIR, build.makeTarget],
          note:
            o.build === 'arduino-library'
              ? "build the Arduino library's example sketch (arduino-builder with the Arduino AVR core)"
              : 'build the firmware-bridge (avr-gcc)',
        },
        {
          run: [
            'avrdude',
            '-c',
            install.programmer,
            '-p',
            install.part,
            '-P',
            port,
            '-b',
            String(install.baud),
            '-D',
            '-U',
            `flash:w:${hex}:i`,
          ],
          note: `write it through the board's ${install.bootloader} bootloader (opening the port resets the board into it) and read it back to verify`,
        },
      ]);
    }
    case 'st-link': {
      const build = target.build!;
      const bin = join(FIRMWARE_DIR, build.image);
      return plan(false, 'tinygate does not drive an ST-LINK; no Nucleo is attached here to test it with', [
        {
          run: ['make', '-C', FIRMWARE_DIR, build.makeTarget],
          note: 'build the firmware-bridge (arm-none-eabi-gcc)',
        },
        {
          run: ['cp', bin, o.drive ?? install.driveExample],
          note: "copy the image to the ST-LINK's USB drive; the ST-LINK writes it to flash and resets the board",
        },
        {
          run: ['st-flash', '--reset', 'write', bin, install.flashAddress],
          note: 'or, instead of the copy, write it with st-flash (stlink-tools)',
        },
      ]);
    }
    case 'uf2':
      return plan(false, 'tinygate does not run arduino-cli or copy to a BOOTSEL drive; untested here', [
        ...arduinoCliBuild(board.id, install),
        { run: null, note: 'hold BOOTSEL while plugging the board in: it mounts a drive named RPI-RP2' },
        {
          run: [
            'cp',
            join(FIRMWARE_DIR, 'build/arduino', board.id, 'TinygateBridge.ino.uf2'),
            o.drive ?? install.driveExample,
          ],
          note: 'copy the UF2 image to that drive; the board writes it and restarts into the bridge',
        },
      ]);
    case 'arduino-cli':
      return plan(
        false,
        `tinygate does not run arduino-cli; the ${install.core} core is not installed here, so this is untested`,
        [
          ...arduinoCliBuild(board.id, install),
          {
            run: [
              'arduino-cli',
              'upload',
              '--fqbn',
              install.fqbn,
              '--port',
              port,
              '--input-dir',
              join(FIRMWARE_DIR, 'build/arduino', board.id),
              SKETCH,
            ],
            note: "upload it with the core's own uploader",
          },
        ],
      );
    case 'emulated':
      return plan(false, 'an emulated board runs the build directly: there is nothing to install', [
        { run: ['make', '-C', FIRMWARE_DIR, target.build!.makeTarget], note: 'build it' },
        { run: install.run.split(' '), note: 'start it on a pty' },
      ]);
    case 'none':
      throw new TinygateError(
        'FIRMWARE_NO_BRIDGE',
        `${board.id}: there is no firmware-bridge for this board: ${install.why}`,
        {
          hint: 'Flash StandardFirmata (Arduino IDE: File > Examples > Firmata) and the gateway senses through it, scoring on the gateway.',
        },
      );
  }
}
