import { TinygateError } from '../errors/index.js';
import type { ShrinkReport } from './shrink.js';
import type { LayersShrinkReport } from './shrink-layers.js';

/** What both searches know of a candidate when saying why none was chosen. */
interface Judged {
  name: string;
  method: string;
  int8Bytes: number;
  weightsBytes: number;
  arenaBytes: number;
  fits: boolean;
  fitProblems: string[];
  failures: string[];
}

/**
 * Why no candidate was chosen: none fits (which limit the smallest breaks, and its size in tables and weights),
 * or which fitting one came closest to the gate. `quality` says how the judge rated a candidate; `worse` ranks
 * candidates with as many failures (lower is closer).
 */
export function noneReason<C extends Judged>(
  candidates: C[],
  budget: { flashBytes: number; arenaBytes: number },
  judge: { quality: (c: C) => string; worse: (c: C) => number },
): string {
  const students = candidates.filter((c) => c.method !== 'teacher');
  const fitting = students.filter((c) => c.fits && c.int8Bytes <= budget.flashBytes);
  if (fitting.length === 0) {
    const s = [...students].sort((a, b) => a.int8Bytes - b.int8Bytes)[0]!;
    const limit =
      s.int8Bytes > budget.flashBytes
        ? 'model flash'
        : s.arenaBytes > budget.arenaBytes
          ? 'arena'
          : 'board runtime tables';
    return `no candidate fits (${limit}): the smallest, ${s.name} (${s.method}), is ${s.int8Bytes} B (${s.int8Bytes - s.weightsBytes} B of flatbuffer tables + ${s.weightsBytes} B of weights) for a ${budget.flashBytes} B budget: ${s.fitProblems.join('; ') || 'over the target'}; ${judge.quality(s)}`;
  }
  const best = [...fitting].sort(
    (a, b) => a.failures.length - b.failures.length || judge.worse(a) - judge.worse(b),
  )[0]!;
  return `${fitting.length} candidate(s) fit but none passes the gate; the closest, ${best.name} (${best.method}, ${best.int8Bytes} B): ${best.failures.join('; ')}`;
}

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
