export { type Architecture, architectureName, candidateArchitectures } from './candidates.js';
export { type EvalRecording, measureQuality, type Quality } from './quality.js';
export { type CandidateReport, type ShrinkOptions, type ShrinkReport, shrinkModel } from './shrink.js';
export { shrinkFailure } from './shrink-failure.js';
