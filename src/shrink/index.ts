import type { ShrinkOptions, ShrinkReport } from './shrink.js';

export { type Architecture, architectureName, candidateArchitectures } from './candidates.js';
export { type EvalRecording, measureQuality, type Quality } from './quality.js';
export type { CandidateReport, ShrinkOptions, ShrinkReport } from './shrink.js';
export { shrinkFailure } from './shrink-failure.js';

/** Shrink a model to fit a board (see shrink.ts); tfjs loads only when this is called. */
export async function shrinkModel(o: ShrinkOptions): Promise<ShrinkReport> {
  return (await import('./shrink.js')).shrinkModel(o);
}
