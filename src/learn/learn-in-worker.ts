import { Worker } from 'node:worker_threads';
import { TinygateError } from '../errors/index.js';
import type { LearnedModel, LearnModelInput, LearnProgress } from './learn-model.js';

/** Learn a model in a worker thread; resolves with what it learned, rejects with its TinygateError. */
export function learnInWorker(
  input: LearnModelInput,
  onProgress: (p: LearnProgress) => void = () => {},
): { result: Promise<LearnedModel>; cancel: () => Promise<void> } {
  const { features, ...rest } = input;
  const width = features[0]?.length ?? 0;
  const flat = new Float32Array(features.length * width);
  for (let i = 0; i < features.length; i++) flat.set(features[i]!, i * width);
  const worker = spawn({ ...rest, flat, width });
  const result = new Promise<LearnedModel>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m.progress);
      else if (m.type === 'done') resolve(m.result);
      else {
        const { code, message, hint, kind } = m.error;
        reject(new TinygateError(code, message, { ...(hint ? { hint } : {}), kind: kind ?? 'internal' }));
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) =>
      reject(
        new TinygateError('LEARN_FAILED', `the learning worker exited (code ${code}) before it finished`, {
          kind: 'internal',
        }),
      ),
    );
  });
  result.finally(() => void worker.terminate()).catch(() => {});
  return { result, cancel: async () => void (await worker.terminate()) };
}

type WorkerMessage =
  | { type: 'progress'; progress: LearnProgress }
  | { type: 'done'; result: LearnedModel }
  | { type: 'error'; error: { code: string; message: string; hint?: string; kind?: 'user' | 'internal' } };

// The compiled package runs learn-worker.js. From the TypeScript sources (tests, `npm run bench`) the worker
// is learn-worker.ts, started through scripts/ts-worker.mjs, which gives the thread a TypeScript loader.
function spawn(data: object): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./learn-worker.js', import.meta.url), { workerData: data });
  const tsEntry = new URL('./learn-worker.ts', import.meta.url).href;
  return new Worker(new URL('../../scripts/ts-worker.mjs', import.meta.url), {
    workerData: { ...data, tsEntry },
  });
}
