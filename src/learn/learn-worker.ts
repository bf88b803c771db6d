// The worker thread a model is learned in: tfjs training and the int8 conversion take seconds of CPU, and
// the gateway's own thread must keep sampling and scoring the other boards meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import { isTinygateError } from '../errors/index.js';
import { type LearnModelInput, learnModel } from './learn-model.js';

const port = parentPort!;
const input = workerData as Omit<LearnModelInput, 'features'> & { flat: Float32Array; width: number };
const features: Float32Array[] = [];
for (let i = 0; i < input.flat.length; i += input.width)
  features.push(input.flat.subarray(i, i + input.width));
try {
  const result = await learnModel({ ...input, features }, (p) =>
    port.postMessage({ type: 'progress', progress: p }),
  );
  port.postMessage({ type: 'done', result });
} catch (err) {
  const e = err as Error;
  port.postMessage({
    type: 'error',
    error: isTinygateError(err)
      ? err.toJSON()
      : { code: 'LEARN_FAILED', message: e.message, kind: 'internal' },
  });
}
