// The Google-made reference models live outside the project (../shared/reference-models); tests that
// need them skip, saying so, when a fresh clone does not have them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/sim/rng.js';
import { ROOT } from '../helpers/cli.js';

export const REFERENCE_DIR = join(ROOT, '..', 'shared', 'reference-models');
export const REFERENCE_MODELS = [
  'hello_world_float',
  'hello_world_int8',
  'ad01_fp32',
  'ad01_int8',
  'kws_fp32',
  'kws_int8',
] as const;
export const haveReferenceModels = existsSync(join(REFERENCE_DIR, 'ad01_int8.tflite'));
if (!haveReferenceModels) {
  console.warn(
    `skipping reference-model tests: ${REFERENCE_DIR} is absent (it ships beside the project, not in it)`,
  );
}

export function referenceModel(name: (typeof REFERENCE_MODELS)[number]): Uint8Array {
  return new Uint8Array(readFileSync(join(REFERENCE_DIR, `${name}.tflite`)));
}

export function referencePath(name: (typeof REFERENCE_MODELS)[number]): string {
  return join(REFERENCE_DIR, `${name}.tflite`);
}

/** Deterministic uniform numbers in [0, 1), so a failure can be replayed. */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}
