/** `firmware build`: make the firmware-bridge for one board profile and say where the image is, with its sizes. */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BoardProfile } from '../boards/index.js';
import { TinygateError } from '../errors/index.js';
import { FIRMWARE_DIR, makeFirmware } from '../link/host-board.js';
import { FIRMWARE_TARGETS, type FirmwareBuildKind, type FirmwareTarget, type MakeBuild } from './targets.js';

export interface FirmwareFile {
  path: string;
  bytes: number;
}

export interface FirmwareBuild {
  board: string;
  /** The bare-register build or the Arduino library's example sketch. */
  kind: FirmwareBuildKind;
  /** The command that built it. */
  command: string[];
  /** The image the board (or emulator) takes. */
  image: FirmwareFile;
  also: FirmwareFile[];
  /** Program flash the build occupies (.text + .data) and its static RAM (.data + .bss), from the ELF. */
  flashBytes: number;
  staticRamBytes: number;
  /** The profile's flash and RAM, for the share the build takes. */
  profile: { flashBytes: number; bootloaderFlashBytes: number; ramBytes: number };
}

/** The firmware table's entry for a profile, or a clear error for a profile it does not know. */
export function firmwareTarget(board: BoardProfile): FirmwareTarget {
  const target = FIRMWARE_TARGETS[board.id];
  if (!target) {
    throw new TinygateError(
      'FIRMWARE_NO_TARGET',
      `${board.id}: tinygate does not know how to build or install firmware for this profile`,
      {
        hint: `Add it to src/firmware/targets.ts. Known: ${Object.keys(FIRMWARE_TARGETS).join(', ')}.`,
      },
    );
  }
  return target;
}

/** The make build of that kind for a profile, or why there is none here. */
export function makeBuildFor(board: BoardProfile, kind: FirmwareBuildKind = 'bare'): MakeBuild {
  const target = firmwareTarget(board);
  if (kind === 'arduino-library') {
    if (target.libraryBuild) return target.libraryBuild;
    const built = Object.values(FIRMWARE_TARGETS)
      .filter((t) => t.libraryBuild)
      .map((t) => t.board);
    throw new TinygateError(
      'FIRMWARE_NO_LIBRARY_BUILD',
      `${board.id}: the Arduino library is not built here for this board (it is for ${built.join(' and ')})`,
      {
        hint: target.build
          ? `Leave out --build (or pass --build bare) for the bare build, or \`tinygate firmware install --board ${board.id} --dry-run\` for the steps.`
          : `\`tinygate firmware install --board ${board.id} --dry-run\` prints the commands that build and upload it.`,
      },
    );
  }
  if (target.build) return target.build;
  const how =
    target.install.kind === 'arduino-cli' || target.install.kind === 'uf2'
      ? `it builds from the Arduino library with arduino-cli and the ${target.install.core} core, which are not run by tinygate`
      : target.install.kind === 'none'
        ? target.install.why
        : 'no make target builds it';
  throw new TinygateError(
    'FIRMWARE_NOT_BUILT_HERE',
    `${board.id}: the firmware-bridge is not built here: ${how}`,
    {
      hint: `\`tinygate firmware install --board ${board.id} --dry-run\` prints the commands that build and upload it.`,
      details: { board: board.id, install: target.install.kind },
    },
  );
}

const sectionBytes = (out: string, name: string): number => {
  const line = out.split('\n').find((l) => l.trim().split(/\s+/)[0] === name);
  return line ? Number(line.trim().split(/\s+/)[1]) : 0;
};

function file(path: string): FirmwareFile {
  return { path, bytes: statSync(path).size };
}

/** Run the board's make target (make rebuilds only what is out of date) and measure the result. */
export async function buildFirmware(
  board: BoardProfile,
  kind: FirmwareBuildKind = 'bare',
): Promise<FirmwareBuild> {
  const build = makeBuildFor(board, kind);
  await makeFirmware(
    build.makeTarget,
    `the firmware-bridge for ${board.id}`,
    `It needs ${build.needs}; then run \`make -C firmware-bridge ${build.makeTarget}\` to see the compiler's output.`,
    'user',
  );
  const elf = join(FIRMWARE_DIR, build.elf);
  let sizes: string;
  try {
    sizes = (await promisify(execFile)(build.sizeTool, ['-A', elf])).stdout;
  } catch (err) {
    throw new TinygateError(
      'FIRMWARE_SIZE_FAILED',
      `${build.sizeTool} could not read ${elf}: ${(err as Error).message}`,
      {
        hint: `Install ${build.needs}.`,
      },
    );
  }
  const text = sectionBytes(sizes, '.text');
  const data = sectionBytes(sizes, '.data');
  const bss = sectionBytes(sizes, '.bss');
  return {
    board: board.id,
    kind,
    command: ['make', '-C', FIRMWARE_DIR, build.makeTarget],
    image: file(join(FIRMWARE_DIR, build.image)),
    also: build.also.map((p) => file(join(FIRMWARE_DIR, p))),
    flashBytes: text + data,
    staticRamBytes: data + bss,
    profile: {
      flashBytes: board.flashBytes,
      bootloaderFlashBytes: board.reserved.bootloaderFlashBytes,
      ramBytes: board.ramBytes,
    },
  };
}
