import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** Google-made reference .tflite files, kept next to the project (never copied into it). */
export const REFERENCE_DIR = join(ROOT, '..', 'shared', 'reference-models');

export const REFERENCE_MODELS = [
  'hello_world_float',
  'hello_world_int8',
  'ad01_fp32',
  'ad01_int8',
  'kws_fp32',
  'kws_int8',
] as const;
export type ReferenceModel = (typeof REFERENCE_MODELS)[number];

export const haveReferenceModels = REFERENCE_MODELS.every((m) => existsSync(referencePath(m)));
if (!haveReferenceModels) {
  console.warn(
    `skipping reference-model tests: ${REFERENCE_DIR} is missing (it sits beside a project checkout)`,
  );
}

export function referencePath(name: ReferenceModel): string {
  return join(REFERENCE_DIR, `${name}.tflite`);
}

export function referenceBytes(name: ReferenceModel): Uint8Array {
  return new Uint8Array(readFileSync(referencePath(name)));
}
