// Our converter beside Google's TFLite converter on the MLPerf Tiny references: from the same float
// model, size, arena, and agreement with the float model (SNR) on the same inputs, in one run.
// Calibration and evaluation inputs are synthetic (Gaussian); Google calibrated on the real datasets,
// which favours us on this input distribution — the sizes and arena figures do not depend on it.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertModel } from '../src/convert/index.js';

/** What `tinygate convert` uses when --calibration is not given (the report names it). */
let DEFAULT = '';

import {
  inspectModel,
  operatorName,
  readTflite,
  TfliteInterpreter,
  type TfliteModel,
} from '../src/tflite/index.js';

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

/** Per weight tensor of FC/conv/depthwise: share of our int8 values within ±1 of Google's, and whether the float model stored it as float. */
function weightAgreement(ours: TfliteModel, google: TfliteModel, float: TfliteModel) {
  const layers = (m: TfliteModel) =>
    m.subgraphs[0]!.operators.filter((o) =>
      ['FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D'].includes(operatorName(m, o)),
    );
  const [a, b, f] = [layers(ours), layers(google), layers(float)];
  return a.map((o, i) => {
    const wa = ours.subgraphs[0]!.tensors[o.inputs[1]!]!;
    const wb = google.subgraphs[0]!.tensors[b[i]!.inputs[1]!]!;
    const wf = float.subgraphs[0]!.tensors[f[i]!.inputs[1]!]!;
    const da = new Int8Array(wa.data!.buffer, wa.data!.byteOffset, wa.data!.length);
    const db = new Int8Array(wb.data!.buffer, wb.data!.byteOffset, wb.data!.length);
    let within = 0;
    for (let k = 0; k < da.length; k++) if (Math.abs(da[k]! - db[k]!) <= 1) within++;
    // Bias scale rule: bias scale = input scale × weight scale, per channel (float32 precision).
    const bias = ours.subgraphs[0]!.tensors[o.inputs[2]!]!;
    const inScale = ours.subgraphs[0]!.tensors[o.inputs[0]!]!.quantization!.scale[0]!;
    const biasRule = bias.quantization!.scale.every(
      (sc, c) =>
        Math.abs(
          sc - inScale * wa.quantization!.scale[c === 0 || wa.quantization!.scale.length > 1 ? c : 0]!,
        ) <=
        1e-6 * sc,
    );
    return {
      op: operatorName(ours, o),
      storedInFloatModelAs: wf.type,
      values: da.length,
      withinOneShare: +(within / da.length).toFixed(5),
      biasScaleRule: biasRule,
    };
  });
}

/** hello_world: 500 calibration points uniform in [0, 2π]; mean |y − sin x| over 1,000 points for ours and Google's. */
async function helloWorld() {
  const calibFile = join(dir, 'hello.json');
  writeFileSync(
    calibFile,
    JSON.stringify(Array.from({ length: 500 }, (_, i) => [((i + 0.5) / 500) * 2 * Math.PI])),
  );
  const { bytes } = await convertModel({
    model: join(REF, 'hello_world_float.tflite'),
    calib: calibFile,
    io: 'int8',
  });
  const google = new Uint8Array(readFileSync(join(REF, 'hello_world_int8.tflite')));
  const meanError = async (model: Uint8Array) => {
    const it = await TfliteInterpreter.load(model);
    let sum = 0;
    for (let i = 0; i < 1000; i++) {
      const x = ((i + 0.5) / 1000) * 2 * Math.PI;
      const y = it.dequantizeOutput(0, it.run(it.quantizeInput(0, [x]))[0]!)[0]!;
      sum += Math.abs(y - Math.sin(x));
    }
    it.close();
    return +(sum / 1000).toFixed(5);
  };
  const ours = await meanError(bytes);
  const theirs = await meanError(google);
  return {
    oursBytes: bytes.length,
    googleBytes: google.length,
    oursMeanAbsError: ours,
    googleMeanAbsError: theirs,
    ratio: +(ours / theirs).toFixed(3),
    goal: { bytesAtMost: 2704, ratioAtMost: 1.05 },
  };
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
  const { bytes, report: rep } = await convertModel({ model: floatPath, calib: calibFile });
  DEFAULT = rep.calibration.strategy;
  const seconds = (performance.now() - t0) / 1000;
  const strategies: Record<string, number> = {};
  for (const strategy of ['minmax', 'percentile', 'mse'] as const) {
    const other = await convertModel({ model: floatPath, calib: calibFile, strategy });
    strategies[strategy] = await snr(floatPath, other.bytes, evalRows);
  }
  const google = new Uint8Array(readFileSync(join(REF, `${p.google}.tflite`)));
  const ours = inspectModel(readTflite(bytes), bytes.length);
  const theirs = inspectModel(readTflite(google), google.length);
  const weights = weightAgreement(
    readTflite(bytes),
    readTflite(google),
    readTflite(new Uint8Array(readFileSync(floatPath))),
  );
  const fromFloat = weights.filter((w) => w.storedInFloatModelAs === 'float32');
  const within =
    fromFloat.reduce((n, w) => n + w.withinOneShare * w.values, 0) /
    Math.max(
      1,
      fromFloat.reduce((n, w) => n + w.values, 0),
    );
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
    weights: {
      floatOriginWithinOneShare: +within.toFixed(5),
      biasScaleRuleHolds: weights.every((w) => w.biasScaleRule),
      perLayer: weights,
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
const hello = await helloWorld();
process.stdout.write(
  `${JSON.stringify({ calibration: `${DEFAULT} (the default) on synthetic Gaussian inputs (hello_world: 500 points uniform in [0, 2π]); snrDbOtherStrategies: the same data under each other strategy`, evalSamples: EVAL, helloWorld: hello, models: results }, null, 2)}\n`,
);
