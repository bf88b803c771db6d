import { readFileSync } from 'node:fs';
import { TinygateError } from '../errors/index.js';
import { readTflite } from './read.js';
import type { TfliteModel } from './types.js';

/** Read a .tflite file from disk: its bytes and the parsed, validated model. Errors name the file. */
export function readTfliteFile(path: string): { bytes: Uint8Array; model: TfliteModel } {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TinygateError(
      'FILE_UNREADABLE',
      code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read it (${code ?? String(err)})`,
      { hint: 'Pass the path of a .tflite model file.', cause: err },
    );
  }
  try {
    return { bytes, model: readTflite(bytes) };
  } catch (err) {
    if (err instanceof TinygateError) {
      throw new TinygateError(err.code, `${path}: ${err.message}`, {
        hint: err.hint,
        kind: err.kind,
        details: err.details,
        cause: err,
      });
    }
    throw err;
  }
}
