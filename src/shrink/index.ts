import type { ShrinkOptions, ShrinkReport } from './shrink.js';
import type { LayersShrinkOptions, LayersShrinkReport } from './shrink-layers.js';

export { type Architecture, architectureName, candidateArchitectures } from './candidates.js';
export type { Fidelity } from './fidelity.js';
export { type EvalRecording, measureQuality, type Quality } from './quality.js';
export type { CandidateReport, ShrinkOptions, ShrinkReport } from './shrink.js';
export { layersShrinkFailure, shrinkFailure } from './shrink-failure.js';
export type { LayersCandidate, LayersShrinkOptions, LayersShrinkReport } from './shrink-layers.js';

/** Shrink a model to fit a board (see shrink.ts); tfjs loads only when this is called. */
export async function shrinkModel(o: ShrinkOptions): Promise<ShrinkReport> {
  return (await import('./shrink.js')).shrinkModel(o);
}

/** Shrink a tfjs Layers model tinygate did not train, judged on fidelity to it (see shrink-layers.ts). */
export async function shrinkLayersModel(o: LayersShrinkOptions): Promise<LayersShrinkReport> {
  return (await import('./shrink-layers.js')).shrinkLayersModel(o);
}
