/** `firmware install`: build the bridge and put it on the board, where tinygate has the way to (avrdude). */
import { existsSync } from 'node:fs';
import type { BoardProfile } from '../boards/index.js';
import { TinygateError } from '../errors/index.js';
import { runAvrdude } from './avrdude.js';
import { buildFirmware, type FirmwareBuild } from './build.js';
import { type InstallPlan, installPlan, type PlanOptions } from './plan.js';

export interface InstallResult {
  board: string;
  port: string;
  method: InstallPlan['method'];
  build: FirmwareBuild;
  /** The device signature the bootloader reported. */
  signature: string | null;
  bytesWritten: number;
  /** Bytes read back and found equal (avrdude's verify pass). */
  bytesVerified: number;
  seconds: number;
}

/** Build the firmware-bridge for `board` and write it through its bootloader on `port`, verified. */
export async function installFirmware(board: BoardProfile, o: PlanOptions): Promise<InstallResult> {
  const plan = installPlan(board, o);
  if (!plan.runnable) {
    throw new TinygateError(
      'FIRMWARE_INSTALL_MANUAL',
      `${board.id}: tinygate does not install firmware on this board itself: ${plan.why}`,
      {
        hint: `\`tinygate firmware install --board ${board.id} --dry-run\` prints the ${plan.steps.length} steps to carry out yourself.`,
        details: { plan },
      },
    );
  }
  if (!o.port) {
    throw new TinygateError('PORT_MISSING', `installing on ${board.id} needs the board's serial port`, {
      hint: `Pass --port (e.g. tinygate firmware install --board ${board.id} --port /dev/ttyACM0), or --dry-run to see the steps.`,
    });
  }
  if (!existsSync(o.port)) {
    throw new TinygateError('PORT_NOT_FOUND', `${o.port}: no such serial port`, {
      hint: 'Pass the port the board is on (e.g. /dev/ttyACM0 or /dev/ttyUSB0; `tinygate doctor` lists them).',
    });
  }
  const started = performance.now();
  const build = await buildFirmware(board, o.build);
  const avrdude = plan.steps.at(-1)!.run!;
  const r = await runAvrdude(avrdude.slice(1), o.port);
  if (r.bytesVerified !== r.bytesWritten || r.bytesWritten === 0) {
    throw new TinygateError(
      'FIRMWARE_VERIFY_FAILED',
      `avrdude wrote ${r.bytesWritten} bytes to ${board.id} on ${o.port} but verified ${r.bytesVerified}`,
      {
        hint: 'Run the install again; avrdude -v (the command from --dry-run) shows where it stopped.',
        details: { log: r.log },
      },
    );
  }
  return {
    board: board.id,
    port: o.port,
    method: plan.method,
    build,
    signature: r.signature,
    bytesWritten: r.bytesWritten,
    bytesVerified: r.bytesVerified,
    seconds: (performance.now() - started) / 1000,
  };
}
