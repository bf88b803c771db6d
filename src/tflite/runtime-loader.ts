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
  const g = globalThis as Record<string, unknown>;
  g.self ??= globalThis;
  g.location ??= { href: ORIGIN, origin: ORIGIN.slice(0, -1) };
  g.importScripts ??= (url: string) => {
    runInThisContext(readFileSync(local(url), 'utf8'), { filename: local(url) });
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(ORIGIN)) return realFetch(input, init);
    const body = readFileSync(local(url));
    return Promise.resolve(new Response(body, { headers: { 'content-type': 'application/wasm' } }));
  }) as typeof fetch;

  const tflite = require('@tensorflow/tfjs-tflite') as typeof import('@tensorflow/tfjs-tflite');
  tflite.setWasmPath(ORIGIN);
  const client = (g.tfweb ?? (tflite as unknown as { tfweb?: unknown }).tfweb) as
    | { TFLiteWebModelRunner: { create(m: ArrayBuffer, o: object): Promise<WebModelRunner> } }
    | undefined;
  return {
    tflite,
    async createRunner(model, options) {
      const runnerClass =
        client?.TFLiteWebModelRunner ??
        (
          globalThis as unknown as {
            tfweb: { TFLiteWebModelRunner: { create(m: ArrayBuffer, o: object): Promise<WebModelRunner> } };
          }
        ).tfweb.TFLiteWebModelRunner;
      const copy = model.slice().buffer;
      return runnerClass.create(copy, { numThreads: options.numThreads ?? 1 });
    },
  };
}
