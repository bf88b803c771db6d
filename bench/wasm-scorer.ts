// The gateway's two ways to run an int8 model, side by side in one run: the official TFLite interpreter
// (XNNPACK kernels) and the boards' own runtime compiled to WebAssembly (scorer: int8-exact). Per model:
// inferences a second for each on the same inputs, and how many output elements each gives equal to TFLite's
// reference kernels (what the boards compute). Prints JSON.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTflite, TfliteInterpreter } from '../src/tflite/index.js';
import { WasmRuntime } from '../src/wasm-runtime/index.js';
import { fetchedModels, fetchedPath } from '../test/helpers/fetched-models.js';
import { referenceInt8 } from '../test/helpers/tflite-reference.js';
import { rng } from '../test/tflite/reference.js';
import { oursFromFetched } from './peers/models/ours.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const shared = join(root, '..', 'shared', 'reference-models');
execFileSync('make', ['-s', '-C', join(root, 'firmware-bridge'), 'wasm'], { stdio: 'inherit' });

const fromFile = (file: string) => () => (existsSync(file) ? new Uint8Array(readFileSync(file)) : null);
const MODELS: [string, () => Uint8Array | null | Promise<Uint8Array>][] = [
  ['motor-vib', fromFile(join(root, 'models/motor-vib/model.int8.tflite'))],
  ['hello_world_int8', fromFile(join(shared, 'hello_world_int8.tflite'))],
  ['ad01_int8', fromFile(join(shared, 'ad01_int8.tflite'))],
  ['kws_int8', fromFile(join(shared, 'kws_int8.tflite'))],
];
// MLPerf Tiny's vision references and person_detect (bench/peers/models/get.sh), Google's int8 and ours.
const fetched = fetchedModels();
if (fetched.missing) console.error(`wasm-scorer: ${fetched.missing}; skipped`);
for (const m of fetched.present) {
  MODELS.push([m.name, fromFile(fetchedPath(m.name))]);
  const float = m.float;
  if (float) MODELS.push([`${float} (ours, int8)`, () => oursFromFetched({ name: m.name, float })]);
}
const INPUTS = 20;
const TIME_MS = 2000;

/** Inferences a second over about TIME_MS, cycling through the inputs. */
function rate(run: (x: Int8Array) => unknown, inputs: Int8Array[]): number {
  for (const x of inputs) run(x); // warm up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < TIME_MS) run(inputs[n++ % inputs.length]!);
  return n / ((performance.now() - start) / 1000);
}

const models = [];
for (const [name, load] of MODELS) {
  const bytes = await load();
  if (!bytes) {
    console.error(`wasm-scorer: ${name} is absent, skipped`);
    continue;
  }
  const parsed = readTflite(bytes);
  const wasm = await WasmRuntime.load(bytes);
  // The interpreter refuses some real models (person_detect: a bias with quantized_dimension 3); say why.
  const interpreter = await TfliteInterpreter.load(bytes).catch((err: Error) => err);
  const next = rng(3);
  const inputs = Array.from({ length: INPUTS }, () =>
    Int8Array.from({ length: wasm.inputBytes }, () => Math.round((next() - 0.5) * 250)),
  );
  let elements = 0;
  let wasmEqual = 0;
  let interpreterEqual = 0;
  for (const x of inputs) {
    const ref = referenceInt8(parsed, x);
    const w = new Int8Array(wasm.run(x).buffer);
    const t = interpreter instanceof Error ? null : (interpreter.run(x)[0] as Int8Array);
    for (let i = 0; i < ref.length; i++) {
      elements++;
      if (w[i] === ref[i]) wasmEqual++;
      if (t?.[i] === ref[i]) interpreterEqual++;
    }
  }
  const wasmPerS = rate((x) => wasm.run(x), inputs);
  const interpreterPerS = interpreter instanceof Error ? null : rate((x) => interpreter.run(x), inputs);
  if (!(interpreter instanceof Error)) interpreter.close();
  models.push({
    model: name,
    bytes: bytes.length,
    elements,
    equalToReference: {
      wasm: wasmEqual / elements,
      interpreter: interpreterPerS === null ? null : interpreterEqual / elements,
    },
    inferencesPerS: {
      wasm: Math.round(wasmPerS),
      interpreter: interpreterPerS === null ? null : Math.round(interpreterPerS),
    },
    wasmVsInterpreter: interpreterPerS === null ? null : Number((wasmPerS / interpreterPerS).toFixed(3)),
    interpreterRefused: interpreter instanceof Error ? interpreter.message : null,
  });
  console.error(`wasm-scorer: ${name} done`);
}
console.log(JSON.stringify({ inputs: INPUTS, timeMsEach: TIME_MS, models }, null, 2));
