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

/** `eval` scores recordings offline; the board's scorer needs a live board, so eval refuses it clearly. */
export function notImplementedScorer(kind: ScorerKind): never {
  throw new TinygateError(
    'NOT_IMPLEMENTED',
    `eval cannot use the ${kind} scorer: on-board scores come from a live board (tinygate run with inference: board)`,
    {
      hint: 'The board runs the same int8 model bit-exact with TFLite Micro; evaluate it with --scorers int8 (tinygate infer --port compares a board directly).',
    },
  );
}
