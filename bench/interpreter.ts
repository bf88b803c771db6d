// Inferences per second for each reference model through tinygate's TfliteInterpreter and through
// tfjs-tflite's own predict(), same process, same runtime, interleaved rounds so drift hits both.
// Prints one JSON document; progress on stderr.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { elementCount, TfliteInterpreter } from '../src/tflite/index.js';
import { loadTfliteRuntime } from '../src/tflite/runtime-loader.js';

const REF = join(fileURLToPath(new URL('..', import.meta.url)), '..', 'shared', 'reference-models');
const MODELS = ['hello_world_float', 'hello_world_int8', 'ad01_fp32', 'ad01_int8', 'kws_fp32', 'kws_int8'];
const ROUNDS = 5;
const ROUND_MS = 400;

if (!existsSync(join(REF, 'ad01_int8.tflite'))) {
  console.error(`reference models not found at ${REF}`);
  process.exit(1);
}
tf.enableProdMode(); // no "install tfjs-node" banner on stdout
await tf.setBackend('cpu');
const { tflite } = await loadTfliteRuntime();

/** Calls per second of `fn` over about `ms` milliseconds. */
function rate(fn: () => void, ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = [];
for (const name of MODELS) {
  console.error(`  ${name}`);
  const bytes = new Uint8Array(readFileSync(join(REF, `${name}.tflite`)));
  const ours = await TfliteInterpreter.load(bytes);
  const spec = ours.inputs[0]!;
  const values = Array.from({ length: elementCount(spec.shape) }, (_, i) => Math.sin(i));
  const x = ours.quantizeInput(0, values);

  // The peer: what a tfjs-tflite user writes — a tensor in, predict, read the output back.
  const raw = await tflite.loadTFLiteModel(bytes.slice().buffer, { numThreads: 1 });
  const input =
    spec.type === 'float32'
      ? tf.tensor(x as Float32Array, spec.shape, 'float32')
      : tf.tensor(Int32Array.from(x), spec.shape, 'int32');
  const viaPredict = () => {
    const y = raw.predict(input) as tf.Tensor;
    y.dataSync();
    y.dispose();
  };
  const viaOurs = () => {
    ours.run(x);
  };
  for (let i = 0; i < 50; i++) {
    viaOurs();
    viaPredict();
  }
  const oursRates: number[] = [];
  const rawRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    oursRates.push(rate(viaOurs, ROUND_MS));
    rawRates.push(rate(viaPredict, ROUND_MS));
  }
  const o = median(oursRates);
  const p = median(rawRates);
  results.push({
    model: name,
    oursPerS: Math.round(o),
    tfjsTflitePredictPerS: Math.round(p),
    oursUsPerInference: +(1e6 / o).toFixed(1),
    tfjsTflitePredictUsPerInference: +(1e6 / p).toFixed(1),
    // Positive: our API costs more per call than predict(); negative: less.
    overheadPct: +((p / o - 1) * 100).toFixed(1),
  });
  input.dispose();
  ours.close();
}
const worst = Math.max(...results.map((r) => r.overheadPct));
process.stdout.write(
  `${JSON.stringify({ rounds: ROUNDS, roundMs: ROUND_MS, threads: 1, backendForPredict: 'cpu', worstOverheadPct: worst, goalOverheadPct: 10, models: results }, null, 2)}\n`,
);
