import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { TinygateError } from '../errors/index.js';

/**
 * Loads the official TFLite runtime (the wasm build shipped in @tensorflow/tfjs-tflite) into Node.
 * The package expects a browser or a web worker; we play a worker: `self`, `location`, `importScripts`
 * running the emscripten glue in this context, and `fetch` answering for the wasm file. We always pick
 * the single-threaded SIMD build: Node has no web workers for the threaded one.
 */

/** A pretend origin for the runtime's files; only our fetch and importScripts ever see it. */
const ORIGIN = 'http://tinygate-tflite.invalid/';

interface TfliteTensorInfo {
  id: number;
  dataType: string;
  name: string;
  shape: string;
  data(): Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | BigInt64Array | Uint32Array;
}

/** The runner object tfjs-tflite's wasm client gives back (its `tfweb.TFLiteWebModelRunner`). */
export interface WebModelRunner {
  getInputs(): TfliteTensorInfo[];
  getOutputs(): TfliteTensorInfo[];
  infer(): boolean;
  cleanUp(): void;
}

export interface TfliteRuntime {
  /** tfjs-tflite's own API, for benchmarks that compare against it. */
  tflite: typeof import('@tensorflow/tfjs-tflite');
  createRunner(model: Uint8Array, options: { numThreads?: number }): Promise<WebModelRunner>;
}

let loading: Promise<TfliteRuntime> | null = null;

/** The runtime, loaded once per process. */
export function loadTfliteRuntime(): Promise<TfliteRuntime> {
  loading ??= load().catch((err: unknown) => {
    loading = null;
    throw new TinygateError(
      'TFLITE_RUNTIME',
      `could not load the TFLite runtime from @tensorflow/tfjs-tflite: ${(err as Error).message}`,
      { kind: 'internal', hint: 'Run `npm ci` again; the package ships the wasm runtime.' },
    );
  });
  return loading;
}

async function load(): Promise<TfliteRuntime> {
  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
  const local = (url: string) => {
    // Whatever build the client asks for (threaded or not), serve the single-threaded SIMD one.
    const file = url.slice(ORIGIN.length).replace('_threaded', '');
    return join(wasmDir, file.replace(/^tflite_web_api_cc(\.|_simd\.)/, 'tflite_web_api_cc_simd.'));
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(ORIGIN)) return realFetch(input, init);
    const body = readFileSync(local(url));
    return Promise.resolve(new Response(body, { headers: { 'content-type': 'application/wasm' } }));
  }) as typeof fetch;

  const worker = {
    self: globalThis,
    location: { href: ORIGIN, origin: ORIGIN.slice(0, -1) },
    importScripts: (url: string) => {
      runInThisContext(readFileSync(local(url), 'utf8'), { filename: local(url) });
    },
  };
  const tflite = require('@tensorflow/tfjs-tflite') as typeof import('@tensorflow/tfjs-tflite');
  tflite.setWasmPath(ORIGIN);
  const runnerClass = (globalThis as unknown as { tfweb: { TFLiteWebModelRunner: RunnerFactory } }).tfweb
    .TFLiteWebModelRunner;
  // The first create() loads the wasm glue. The worker globals exist only meanwhile: other emscripten
  // modules in this process (tfjs's wasm backend) take `importScripts` to mean "I am a web worker".
  // The glue binds console.log/warn when it loads: hand it ours, so its chatter reaches runtimeLog, not stdout.
  await asWorker(worker, () =>
    withConsole(() => runnerClass.create(new Uint8Array(4).buffer, { numThreads: 1 }).catch(() => null)),
  );
  return {
    tflite,
    createRunner: (model, options) =>
      runnerClass.create(model.slice().buffer, { numThreads: options.numThreads ?? 1 }),
  };
}

/** The last lines the TFLite runtime printed (INFO and error lines), newest last. */
export const runtimeLog: string[] = [];
const LOG_LINES = 50;

function keep(...args: unknown[]): void {
  runtimeLog.push(args.map(String).join(' '));
  if (runtimeLog.length > LOG_LINES) runtimeLog.splice(0, runtimeLog.length - LOG_LINES);
}

async function withConsole<T>(fn: () => Promise<T>): Promise<T> {
  const c = console as unknown as Record<string, unknown>;
  const saved = { log: c.log, warn: c.warn, error: c.error, info: c.info };
  Object.assign(c, { log: keep, warn: keep, error: keep, info: keep });
  try {
    return await fn();
  } finally {
    Object.assign(c, saved);
  }
}

interface RunnerFactory {
  create(model: ArrayBuffer, options: object): Promise<WebModelRunner>;
}

/** Run `fn` with browser-worker globals defined, then remove the ones that were not there before. */
async function asWorker<T>(globals: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  const g = globalThis as Record<string, unknown>;
  const added = Object.keys(globals).filter((k) => !(k in g));
  for (const k of added) g[k] = globals[k];
  try {
    return await fn();
  } finally {
    for (const k of added) delete g[k];
  }
}
