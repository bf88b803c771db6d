// Our converter beside Google's TFLite converter on the MLPerf Tiny references: from the same float
// model, size, arena, and agreement with the float model (SNR) on the same inputs, in one run.
// Calibration and evaluation inputs are synthetic (Gaussian); Google calibrated on the real datasets,
// which favours us on this input distribution — the sizes and arena figures do not depend on it.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertModel } from '../src/convert/index.js';
import { inspectModel, readTflite, TfliteInterpreter } from '../src/tflite/index.js';

const REF = join(fileURLToPath(new URL('..', import.meta.url)), '..', 'shared', 'reference-models');
if (!existsSync(join(REF, 'ad01_fp32.tflite'))) {
  console.error(`reference models not found at ${REF}`);
  process.exit(1);
}
const PAIRS = [
  { name: 'ad01', float: 'ad01_fp32', google: 'ad01_int8', values: 640, spread: 3, calib: 400 },
  { name: 'kws', float: 'kws_fp32', google: 'kws_int8', values: 490, spread: 20, calib: 200 },
];
const EVAL = 200;

let seed = 7;
const gauss = () => {
  seed = (seed * 16807) % 2147483647;
  const u = seed / 2147483647;
  seed = (seed * 16807) % 2147483647;
  return Math.sqrt(-2 * Math.log(u + 1e-12)) * Math.cos(2 * Math.PI * (seed / 2147483647));
};
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-convert-'));

async function snr(floatPath: string, int8: Uint8Array, xs: Float32Array[]): Promise<number> {
  const f = await TfliteInterpreter.load(new Uint8Array(readFileSync(floatPath)));
  const q = await TfliteInterpreter.load(int8);
  let se = 0;
  let sig = 0;
  for (const x of xs) {
    const yf = f.run(x)[0] as Float32Array;
    const yq = q.dequantizeOutput(0, q.run(q.quantizeInput(0, x))[0]!);
    for (let i = 0; i < yf.length; i++) {
      se += (yf[i]! - yq[i]!) ** 2;
      sig += yf[i]! ** 2;
    }
  }
  f.close();
  q.close();
  return +(10 * Math.log10(sig / se)).toFixed(2);
}

const results = [];
for (const p of PAIRS) {
  console.error(`  ${p.name}`);
  const rows = (n: number) =>
    Array.from({ length: n }, () => Float32Array.from({ length: p.values }, () => gauss() * p.spread));
  const calib = rows(p.calib);
  const evalRows = rows(EVAL);
  const calibFile = join(dir, `${p.name}.json`);
  writeFileSync(calibFile, JSON.stringify(calib.map((r) => Array.from(r))));
  const floatPath = join(REF, `${p.float}.tflite`);
  const t0 = performance.now();
  const { bytes } = await convertModel({ model: floatPath, calib: calibFile });
  const seconds = (performance.now() - t0) / 1000;
  const strategies: Record<string, number> = {};
  for (const strategy of ['percentile', 'mse'] as const) {
    const other = await convertModel({ model: floatPath, calib: calibFile, strategy });
    strategies[strategy] = await snr(floatPath, other.bytes, evalRows);
  }
  const google = new Uint8Array(readFileSync(join(REF, `${p.google}.tflite`)));
  const ours = inspectModel(readTflite(bytes), bytes.length);
  const theirs = inspectModel(readTflite(google), google.length);
  results.push({
    model: p.name,
    tinygate: {
      bytes: bytes.length,
      arenaEstimate: ours.tflm.totalBytes,
      headBytes: ours.plan.headBytes,
      ops: ours.ops.length,
      snrDbVsFloat: await snr(floatPath, bytes, evalRows),
      snrDbOtherStrategies: strategies,
      convertSeconds: +seconds.toFixed(2),
    },
    googleConverter: {
      bytes: google.length,
      arenaEstimate: theirs.tflm.totalBytes,
      headBytes: theirs.plan.headBytes,
      ops: theirs.ops.length,
      snrDbVsFloat: await snr(floatPath, google, evalRows),
    },
  });
}
process.stdout.write(
  `${JSON.stringify({ calibration: 'minmax on synthetic Gaussian inputs', evalSamples: EVAL, models: results }, null, 2)}\n`,
);
