export { readLabelledSamples, readSamples } from './samples.js';
