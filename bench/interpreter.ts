// Inferences/s for each reference model through tinygate's Interpreter.run, beside tfjs-tflite's own
// predict() (tensor in, tensor out, values read back) and the bare wasm model runner it wraps, all in the
// same process and interleaved round by round. Prints one JSON document on stdout; progress on stderr.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { emptyInput, Interpreter, loadTfliteRuntime, type TensorArray } from '../src/tflite/index.js';
import { REFERENCE_MODELS, referenceBytes, referencePath } from '../test/helpers/reference-models.js';

const ROUNDS = 7;
const ROUND_MS = 150;
const WARMUP_MS = 200;

if (!existsSync(referencePath('ad01_int8'))) {
  console.error('bench interpreter: needs ../shared/reference-models/ beside the project');
  process.exit(1);
}

// tfjs-tflite is CommonJS and builds its tensors with the CommonJS tfjs-core: use that same instance.
const require = createRequire(import.meta.url);
interface TfCore {
  tensor(values: TensorArray, shape: number[], dtype: string): { dispose(): void };
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
}
const tf = require('@tensorflow/tfjs-core') as TfCore;
require('@tensorflow/tfjs-backend-cpu');
await tf.setBackend('cpu');
await tf.ready();

type Runner = () => void;
const silent = () => {};

/** Calls per round so that one round lasts about ROUND_MS. */
function calibrate(fn: Runner): number {
  let n = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn();
    const ms = performance.now() - t;
    if (ms >= WARMUP_MS / 4) return Math.max(1, Math.round((n * ROUND_MS) / ms));
    n *= 2;
  }
}

function timeRound(fn: Runner, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t) / n; // ms per inference
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const tflite = await loadTfliteRuntime();
const models = [];
for (const name of REFERENCE_MODELS) {
  console.error(`bench interpreter: ${name} …`);
  const bytes = referenceBytes(name);
  const ours = await Interpreter.load(bytes);
  const input = emptyInput(ours.inputs[0]!);
  for (let i = 0; i < input.length; i++)
    input[i] = ours.inputs[0]!.type === 'float32' ? Math.sin(i) : (i % 200) - 100;

  // tfjs-tflite's API as its README shows it; int8 inputs travel as int32 tensors there.
  const handle = await tflite.loadTFLiteModel(new Uint8Array(bytes).buffer, { numThreads: 1 });
  const dtype = ours.inputs[0]!.type === 'float32' ? 'float32' : 'int32';
  const predictInput = tf.tensor(
    dtype === 'int32' ? Int32Array.from(input) : input,
    ours.inputs[0]!.shape,
    dtype,
  );
  const predict = handle.predict as (t: unknown) => { dataSync(): TensorArray; dispose(): void };

  // The bare wasm runner: copy in, infer, copy out; the floor any wrapper can reach.
  const bare = (await tflite.loadTFLiteModel(new Uint8Array(bytes).buffer, { numThreads: 1 })).modelRunner;
  const bareIn = bare.getInputs()[0]!;
  const bareOut = bare.getOutputs()[0]!;

  const variants: Record<string, Runner> = {
    ours: () => {
      ours.run(input);
    },
    tfjsPredict: () => {
      // predict() warns "converting 'int32' to 'int8'" on every int8 call; time the work, not the printing.
      const warn = console.warn;
      console.warn = silent;
      const out = predict.call(handle, predictInput);
      console.warn = warn;
      out.dataSync();
      out.dispose();
    },
    bareRunner: () => {
      bareIn.data().set(input);
      bare.infer();
      bareOut.data().slice();
    },
  };
  const calls = Object.fromEntries(Object.entries(variants).map(([k, fn]) => [k, calibrate(fn)]));
  const samples: Record<string, number[]> = { ours: [], tfjsPredict: [], bareRunner: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, fn] of Object.entries(variants)) samples[k]!.push(timeRound(fn, calls[k]!));
  }
  const ms = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)])) as Record<
    string,
    number
  >;
  const describe = (k: string) => ({
    inferencesPerSecond: Math.round(1000 / ms[k]!),
    usPerInference: round(ms[k]! * 1000, 2),
  });
  models.push({
    model: name,
    ours: describe('ours'),
    tfjsPredict: describe('tfjsPredict'),
    bareRunner: describe('bareRunner'),
    // Positive: ours is slower than tfjs-tflite's predict by that share of its time per inference.
    overheadVsPredictPct: round((ms.ours! / ms.tfjsPredict! - 1) * 100),
    overheadVsBareRunnerPct: round((ms.ours! / ms.bareRunner! - 1) * 100),
  });
  predictInput.dispose();
  handle.modelRunner.cleanUp();
  bare.cleanUp();
  ours.dispose();
}

const maxOverheadVsPredictPct = Math.max(...models.map((m) => m.overheadVsPredictPct));
console.log(
  JSON.stringify(
    {
      what: 'inferences/s on one core, batch 1, median of interleaved rounds: tinygate Interpreter.run vs tfjs-tflite predict() (its per-call int8 warning silenced) vs its bare wasm runner',
      cpu: cpus()[0]?.model ?? 'unknown',
      rounds: ROUNDS,
      models,
      maxOverheadVsPredictPct,
      targetOverheadPct: 10,
      meetsTarget: maxOverheadVsPredictPct <= 10,
    },
    null,
    2,
  ),
);
