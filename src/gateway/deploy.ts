import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoardProfile } from '../boards/index.js';
import { MODEL_FILES } from '../detect/index.js';
import { TinygateError } from '../errors/index.js';
import { activeSlot, boardInfo, crc32, flashModel, modelInfo, openLink } from '../link/index.js';
import { fitOnBoard, inspectModel, readTflite } from '../tflite/index.js';

/** What is on a board after deployment, for status pages and logs. */
export interface Deployment {
  model: string;
  bytes: number;
  crc32: number;
  /** TFLite Micro arena estimate for this model (what the board must have free). */
  arenaBytes: number;
  slot: number;
  /** True when this start flashed it; false when the board already had it. */
  flashed: boolean;
  seconds: number;
}

/**
 * Put a model folder's int8 conversion on a board over its serial link: check it fits the board's
 * profile, and flash it only when the board's active model differs (same CRC-32 = same model).
 */
export async function deployModel(o: {
  boardId: string;
  port: string;
  baudRate: number;
  modelDir: string;
  profile: BoardProfile;
  onProgress?: (done: number, total: number) => void;
}): Promise<Deployment> {
  const file = join(o.modelDir, MODEL_FILES.int8);
  if (!existsSync(file)) {
    throw new TinygateError(
      'MODEL_NO_INT8',
      `board ${o.boardId}: ${file} is missing, so there is nothing to flash`,
      {
        hint: `Convert the model first: tinygate convert ${o.modelDir} --calib <recording.csv> -o ${file}`,
      },
    );
  }
  const bytes = new Uint8Array(readFileSync(file));
  const report = inspectModel(readTflite(bytes), bytes.length);
  const fit = fitOnBoard(o.profile, report.needs);
  if (!fit.fits) {
    throw new TinygateError(
      'MODEL_DOES_NOT_FIT',
      `board ${o.boardId} (${o.profile.id}): the model does not fit: ${fit.problems.join('; ')}`,
      {
        hint: 'Pick a smaller model for this board, or run inference on the gateway only (no model on the board).',
      },
    );
  }
  const crc = crc32(bytes);
  const started = performance.now();
  const link = await openLink({ path: o.port, baudRate: o.baudRate });
  try {
    const board = await boardInfo(link);
    const active = activeSlot(await modelInfo(link));
    if (active && active.crc32 === crc && active.length === bytes.length) {
      return {
        model: file,
        bytes: bytes.length,
        crc32: crc,
        arenaBytes: report.tflm.totalBytes,
        slot: active.slot,
        flashed: false,
        seconds: 0,
      };
    }
    const r = await flashModel(link, bytes, {
      board,
      onProgress: (p) => o.onProgress?.(p.bytesDone, p.totalBytes),
    });
    return {
      model: file,
      bytes: bytes.length,
      crc32: crc,
      arenaBytes: report.tflm.totalBytes,
      slot: r.slot,
      flashed: true,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await link.close();
  }
}
