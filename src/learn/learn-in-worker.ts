import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

// The compiled package runs learn-worker.js; tests and `npm run bench` run the TypeScript through tsx.
function spawn(data: unknown): Worker {
  const js = new URL('./learn-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return new Worker(js, { workerData: data });
  const tsx = pathToFileURL(tsxEsmApi()).href;
  const entry = new URL('./learn-worker.ts', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`,
    { eval: true, workerData: data },
  );
}

// tsx's ESM register API (the CommonJS entry cannot register ESM hooks), found from its package exports.
function tsxEsmApi(): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = JSON.parse(readFileSync(pkg, 'utf8')).exports['./esm/api'] as {
    import: { default: string };
  };
  return join(dirname(pkg), exports.import.default);
}
