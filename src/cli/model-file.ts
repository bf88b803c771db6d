import { readFileSync } from 'node:fs';
import { TinygateError } from '../errors/index.js';

/** A model file's bytes, or a clear error naming the path. */
export function readModelFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new TinygateError('MODEL_UNREADABLE', `${path}: ${(err as Error).message}`, {
      hint: 'Check the path to the .tflite file.',
    });
  }
}
