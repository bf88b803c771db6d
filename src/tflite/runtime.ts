import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInThisContext } from 'node:vm';
import { TinygateError } from '../errors/index.js';

/** The slice of @tensorflow/tfjs-tflite tinygate uses (its own .d.ts pulls in DOM types). */
export interface TfliteRuntime {
  loadTFLiteModel(model: ArrayBuffer, options?: { numThreads?: number }): Promise<TfliteModelHandle>;
}

export interface TfliteModelHandle {
  /** tfjs-tflite's own tensor-in, tensor-out API (used by the benchmark as the reference). */
  predict(inputs: unknown): unknown;
  /** The wasm model runner underneath; tensinfo data() views live in wasm memory. */
  modelRunner: TfliteModelRunner;
}

export type RunnerDataType = 'int8' | 'uint8' | 'bool' | 'int16' | 'int32' | 'uint32' | 'float32' | 'float64';
export type RunnerTypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

export interface TfliteRunnerTensor {
  id: number;
  dataType: RunnerDataType;
  name: string;
  shape: string;
  data(): RunnerTypedArray;
}

export interface TfliteModelRunner {
  getInputs(): TfliteRunnerTensor[];
  getOutputs(): TfliteRunnerTensor[];
  infer(): boolean;
  cleanUp(): void;
}

let runtime: Promise<TfliteRuntime> | undefined;

/** The runtime's own log lines ("INFO: Created TensorFlow Lite XNNPACK delegate…"), newest last; kept for error reports. */
export const runtimeMessages: string[] = [];
const MAX_MESSAGES = 50;

function keepMessage(...args: unknown[]): void {
  runtimeMessages.push(args.map(String).join(' '));
  if (runtimeMessages.length > MAX_MESSAGES) runtimeMessages.shift();
}

/**
 * Load the official TFLite runtime (tfjs-tflite's wasm build) into this Node process, once.
 * tfjs-tflite targets browsers and web workers; Node runs it when it looks like a worker for the
 * duration of the load: `self`, `location`, an `importScripts` that runs the wasm glue in this
 * context, and a `fetch` that serves file:// URLs. Node reports SharedArrayBuffer support, so the
 * loader picks the threaded build, which needs real workers: we serve the single-threaded SIMD one.
 */
export function loadTfliteRuntime(): Promise<TfliteRuntime> {
  runtime ??= load().catch((err: unknown) => {
    runtime = undefined;
    throw new TinygateError(
      'TFLITE_RUNTIME',
      `could not load the TFLite runtime (@tensorflow/tfjs-tflite): ${String(err)}`,
      {
        kind: 'internal',
        hint: 'Reinstall dependencies with `npm ci`; the wasm files ship in node_modules/@tensorflow/tfjs-tflite/wasm.',
        cause: err,
      },
    );
  });
  return runtime;
}

async function load(): Promise<TfliteRuntime> {
  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
  const wasmDirUrl = `${pathToFileURL(wasmDir).href}/`;
  const g = globalThis as Record<string, unknown>;
  const saved = { self: g.self, location: g.location, importScripts: g.importScripts, fetch: g.fetch };
  // The wasm glue binds console.log/warn as its stdout/stderr when it starts: library code never prints,
  // so it gets a sink instead (restored right after; the glue keeps the sink it bound).
  const log = globalThis.console as unknown as Record<'log' | 'warn', (...args: unknown[]) => void>;
  const savedLog = { log: log.log, warn: log.warn };
  log.log = keepMessage;
  log.warn = keepMessage;
  const realFetch = globalThis.fetch;
  const localPath = (url: string) => join(wasmDir, singleThreaded(url.slice(url.lastIndexOf('/') + 1)));

  g.self = globalThis;
  g.location = { href: wasmDirUrl, origin: 'file://' };
  g.importScripts = (url: string) => {
    runInThisContext(requireText(localPath(url)), { filename: localPath(url) });
  };
  g.fetch = async (input: unknown, init?: unknown) => {
    const url = String(input);
    if (url.startsWith('file:') || !/^[a-z]+:/i.test(url)) {
      const body = await readFile(localPath(url));
      return new Response(body, { headers: { 'content-type': 'application/wasm' } });
    }
    return realFetch(input as string, init as RequestInit);
  };
  try {
    const tflite = require('@tensorflow/tfjs-tflite') as TfliteRuntime;
    // The wasm module loads on first use; a tiny model would do, but the runner needs a real one,
    // so the first loadTFLiteModel pays for it. Warm the loader now while the shims are in place.
    await warmUp(tflite);
    return tflite;
  } finally {
    log.log = savedLog.log;
    log.warn = savedLog.warn;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete g[key];
      else g[key] = value;
    }
  }
}

function singleThreaded(fileName: string): string {
  return fileName.replace('_threaded', '');
}

function requireText(path: string): string {
  // Synchronous by contract: importScripts must have run the script when it returns.
  return (createRequire(import.meta.url)('node:fs') as typeof import('node:fs')).readFileSync(path, 'utf8');
}

/** Force the lazy wasm load by creating (and freeing) a runner for an empty buffer. */
async function warmUp(tflite: TfliteRuntime): Promise<void> {
  try {
    const model = await tflite.loadTFLiteModel(new ArrayBuffer(0), { numThreads: 1 });
    model.modelRunner.cleanUp();
  } catch {
    // An empty model is refused once the runtime is up; that refusal is the signal we wanted.
  }
}
