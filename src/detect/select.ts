import { dirname } from 'node:path';
import { TinygateError } from '../errors/index.js';
import { type BaselineOptions, BaselineScorer } from './baseline.js';
import { Int8AutoencoderScorer } from './int8-scorer.js';
import { notImplementedScorer, SCORER_KINDS, type ScorerKind, type WindowScorer } from './scorer.js';

/** A scorer by kind: the baseline needs no model; `float` and `int8` read a model folder; `board` needs a live board. */
export async function openScorer(
  kind: string,
  modelDir: string | undefined,
  baseline: Partial<BaselineOptions> = {},
): Promise<WindowScorer> {
  if (!SCORER_KINDS.includes(kind as ScorerKind)) {
    throw new TinygateError('SCORER_UNKNOWN', `no scorer "${kind}"`, {
      hint: `Choose from: ${SCORER_KINDS.join(', ')}.`,
    });
  }
  if (kind === 'baseline') return new BaselineScorer(baseline);
  if (kind === 'board') notImplementedScorer(kind);
  if (!modelDir) {
    throw new TinygateError('MODEL_REQUIRED', `the ${kind} scorer needs a model folder`, {
      hint: 'Pass --model <folder written by tinygate train>.',
    });
  }
  if (kind === 'int8') return Int8AutoencoderScorer.open(modelDir);
  // The float scorer runs tfjs Layers: loaded only when asked for.
  const { FloatAutoencoderScorer } = await import('./float-scorer.js');
  return FloatAutoencoderScorer.fromDir(modelDir.endsWith('.tflite') ? dirname(modelDir) : modelDir);
}
