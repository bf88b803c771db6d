export { readSamples } from './samples.js';
