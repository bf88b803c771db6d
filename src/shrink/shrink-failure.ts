import { TinygateError } from '../errors/index.js';
import type { ShrinkReport } from './shrink.js';
import type { LayersShrinkReport } from './shrink-layers.js';

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

/** The same for a model judged on fidelity to its teacher. */
export function layersShrinkFailure(r: LayersShrinkReport): TinygateError {
  const fits = r.candidates.some((c) => c.method !== 'teacher' && c.fits);
  return new TinygateError(
    'SHRINK_NO_CANDIDATE',
    `${r.teacher.path} cannot be shrunk for ${r.board}: ${r.noneReason}`,
    {
      hint: fits
        ? 'Allow a lower --min-agreement or a larger --max-rmse, give more samples with --data, or pick a board with a larger model slot.'
        : 'Pick a board with a larger model slot, or start from a model with fewer inputs or layers (every tensor costs flatbuffer tables).',
      details: { report: r },
    },
  );
}
