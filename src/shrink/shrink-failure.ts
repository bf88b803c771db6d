import { TinygateError } from '../errors/index.js';
import type { ShrinkReport } from './shrink.js';

/** The error the CLI raises when no candidate fitted and passed, with what to change. */
export function shrinkFailure(r: ShrinkReport): TinygateError {
  const fits = r.candidates.some((c) => c.method !== 'teacher' && c.fits);
  return new TinygateError(
    'SHRINK_NO_CANDIDATE',
    `${r.teacher.id} cannot be shrunk for ${r.board}: ${r.noneReason}`,
    {
      hint: fits
        ? 'Allow a larger --max-auc-drop, give more normal training data, or pick a board with a larger model slot.'
        : 'Pick a board with a larger model slot, or retrain with fewer input features (each input costs weights in the first and last layer).',
      details: { report: r },
    },
  );
}
