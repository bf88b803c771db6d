import { TinygateError } from '../errors/index.js';

export type ScorerKind = 'baseline' | 'float' | 'int8' | 'board';

/**
 * Turns feature vectors into anomaly scores; higher is more anomalous and `threshold` separates them.
 * Implementations: the statistical baseline, the float tfjs autoencoder; the int8 TFLite interpreter and
 * the board's own scores come next (see `selectScorer`).
 */
export interface WindowScorer {
  /** Model id (its folder name) or "baseline". */
  readonly id: string;
  /** Content hash of the model files (or of the baseline's settings). */
  readonly hash: string;
  readonly kind: ScorerKind;
  readonly threshold: number;
  /** Score several windows at once; windows must come in time order for stateful scorers. */
  scoreBatch(features: Float32Array[]): Promise<Float32Array> | Float32Array;
  /** Free native/wasm memory. */
  dispose?(): void;
}

/** The scorers `eval` and the gateway can select by name. */
export const SCORER_KINDS: readonly ScorerKind[] = ['baseline', 'float', 'int8', 'board'];

/** A clear error for scorers that come with the int8 and on-board work. */
export function notImplementedScorer(kind: ScorerKind): never {
  throw new TinygateError(
    'NOT_IMPLEMENTED',
    kind === 'int8'
      ? 'the int8 scorer (the converted model in the official TFLite interpreter) is not implemented yet'
      : "on-board scoring (the board's own int8 runtime sends the scores) is not implemented yet",
    { hint: 'Use the float model or the baseline for now (eval --scorers float,baseline).' },
  );
}
