import { TinygateError } from '../errors/index.js';
import { type BaselineOptions, BaselineScorer } from './baseline.js';
import { FloatAutoencoderScorer } from './float-scorer.js';
import { notImplementedScorer, SCORER_KINDS, type ScorerKind, type WindowScorer } from './scorer.js';

/** A scorer by kind: the baseline needs no model; `float` reads a model folder; int8 and board come later. */
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
  if (kind === 'int8' || kind === 'board') notImplementedScorer(kind);
  if (!modelDir) {
    throw new TinygateError('MODEL_REQUIRED', 'the float scorer needs a model folder', {
      hint: 'Pass --model <folder written by tinygate train>.',
    });
  }
  if (/\.tflite$/i.test(modelDir)) notImplementedScorer('int8');
  return FloatAutoencoderScorer.fromDir(modelDir);
}
