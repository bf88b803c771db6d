// output-mse calibration (the default): ranges clipped where the model's output gains, judged on data the
// search did not see, against min/max and against Google's converter.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/convert/graph.js';
import { type CalibrationStrategy, convertModel, floatTflite } from '../../src/convert/index.js';
import { readTflite, TfliteInterpreter, writeTflite } from '../../src/tflite/index.js';
import { haveReferenceModels, referenceModel, referencePath, rng } from '../tflite/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-calib-search-'));

/** Output SNR (dB) of an int8 model against the float model on the given inputs. */
async function snrDb(floatBytes: Uint8Array, int8: Uint8Array, xs: Float32Array[]): Promise<number> {
  const f = await TfliteInterpreter.load(floatBytes);
  const q = await TfliteInterpreter.load(int8);
  let se = 0;
  let sig = 0;
  for (const x of xs) {
    const want = f.run(x)[0] as Float32Array;
    const got = q.dequantizeOutput(0, q.run(q.quantizeInput(0, x))[0]!);
    for (let i = 0; i < want.length; i++) {
      se += (want[i]! - got[i]!) ** 2;
      sig += want[i]! ** 2;
    }
  }
  f.close();
  q.close();
  return 10 * Math.log10(sig / se);
}

function gaussian(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

describe('output-mse calibration', () => {
  it('clips a hidden layer whose rare large values the next layer ignores, and the output gains', async () => {
    // 8 inputs → 16 ReLU units → 4 outputs. Unit 0 follows input 0, which is 0 except for a rare spike of
    // 40; the next layer barely reads unit 0, so min/max spends the shared int8 scale on a value that
    // does not matter.
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 8]);
    b.graph.inputs.push(x);
    const next = gaussian(3);
    const w1 = Float32Array.from({ length: 16 * 8 }, (_, i) =>
      i < 8 ? (i === 0 ? 5 : 0) : i % 8 === 0 ? 0 : next() * 0.5,
    );
    const h = b.op(
      'FULLY_CONNECTED',
      [x, b.tensor('w1', [16, 8], w1), b.tensor('b1', [16], new Float32Array(16).fill(0.1))],
      { name: 'hidden', shape: [1, 16] },
      fc('RELU'),
    );
    const w2 = Float32Array.from({ length: 4 * 16 }, (_, i) => (i % 16 === 0 ? 0.001 : next() * 0.5));
    const y = b.op(
      'FULLY_CONNECTED',
      [h, b.tensor('w2', [4, 16], w2), b.tensor('b2', [4], new Float32Array(4))],
      { name: 'out', shape: [1, 4] },
      fc('NONE'),
    );
    b.graph.outputs.push(y);
    const floatBytes = writeTflite(floatTflite(b.graph));
    const modelPath = join(dir, 'spiky.tflite');
    writeFileSync(modelPath, floatBytes);
    const draw = gaussian(5);
    const spike = rng(9);
    const rows = (n: number) =>
      Array.from({ length: n }, () =>
        Float32Array.from({ length: 8 }, (_, i) => (i === 0 ? (spike() < 0.01 ? 8 : 0) : draw())),
      );
    const calib = rows(400);
    const heldOut = rows(300);

    const convert = (strategy: CalibrationStrategy) =>
      convertModel({ model: modelPath, calib: '(test rows)', calibSamples: calib, strategy });
    const minmax = await convert('minmax');
    const searched = await convertModel({ model: modelPath, calib: '(test rows)', calibSamples: calib });
    expect(searched.report.calibration.strategy).toBe('output-mse');

    const hiddenMax = (bytes: Uint8Array) => {
      const g = readTflite(bytes).subgraphs[0]!;
      const q = g.tensors.find((t) => t.name === 'hidden')!.quantization!;
      return (127 - q.zeroPoint[0]!) * q.scale[0]!;
    };
    const inputScale = (bytes: Uint8Array) => {
      const g = readTflite(bytes).subgraphs[0]!;
      return g.tensors[g.inputs[0]!]!.quantization!.scale[0]!;
    };
    // min/max holds the spike (5 × 8 = 40); the search clips it to at most half.
    expect(hiddenMax(minmax.bytes)).toBeGreaterThan(39);
    expect(hiddenMax(searched.bytes)).toBeLessThan(20);
    // The user's input range is left alone.
    expect(inputScale(searched.bytes)).toBe(inputScale(minmax.bytes));
    // Never worse on the samples it searched; better on samples it did not see.
    const gain = async (xs: Float32Array[]) =>
      (await snrDb(floatBytes, searched.bytes, xs)) - (await snrDb(floatBytes, minmax.bytes, xs));
    expect(await gain(calib)).toBeGreaterThanOrEqual(0);
    expect(await gain(heldOut)).toBeGreaterThan(1);
  });

  it.skipIf(!haveReferenceModels)(
    "by default does not lose to Google's converter on ad01 (Gaussian calibration and held-out data)",
    async () => {
      const draw = gaussian(7);
      const rows = (n: number) =>
        Array.from({ length: n }, () => Float32Array.from({ length: 640 }, () => draw() * 3));
      const calib = rows(400);
      const heldOut = rows(200);
      const floatBytes = referenceModel('ad01_fp32');
      const ours = await convertModel({
        model: referencePath('ad01_fp32'),
        calib: '(test rows)',
        calibSamples: calib,
      });
      const minmax = await convertModel({
        model: referencePath('ad01_fp32'),
        calib: '(test rows)',
        calibSamples: calib,
        strategy: 'minmax',
      });
      const snrOurs = await snrDb(floatBytes, ours.bytes, heldOut);
      const snrGoogle = await snrDb(floatBytes, referenceModel('ad01_int8'), heldOut);
      const snrMinmax = await snrDb(floatBytes, minmax.bytes, heldOut);
      expect(snrOurs).toBeGreaterThanOrEqual(snrGoogle);
      expect(snrOurs).toBeGreaterThan(snrMinmax + 1);
    },
    60_000,
  );
});

function fc(fusedActivation: 'RELU' | 'NONE') {
  return {
    type: 'FullyConnectedOptions' as const,
    fusedActivation,
    weightsFormat: 0,
    keepNumDims: false,
    asymmetricQuantizeInputs: false,
    quantizedBiasType: 'float32' as const,
  };
}
