// The converter's tfjs importer is right when the float .tflite it writes gives tfjs's own outputs in
// the official interpreter; its quantizer is right when the int8 model stays close and runs there too.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../src/boards/index.js';
import { convertModel, floatTflite, importTfjsLayers } from '../../src/convert/index.js';
import { tf, tfReady } from '../../src/detect/tf.js';
import { fitOnBoard, readTflite, TfliteInterpreter, writeTflite } from '../../src/tflite/index.js';
import { MODELS, saveModel } from './tfjs-models.js';

function samples(n: number, size: number, seed: number): Float32Array[] {
  let s = seed;
  const next = () => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => (next() - 0.5) * 4));
}

describe('converting tfjs Layers models', () => {
  beforeAll(async () => {
    await tfReady();
  });
  let seed = 11;
  for (const [name, build] of Object.entries(MODELS)) {
    it(`${name}: float .tflite equals tfjs, int8 stays close`, async () => {
      const saved = await saveModel(build(), seed++);
      const graph = importTfjsLayers(join(saved.dir, 'model.json'));
      const size = saved.inputShape.reduce((a, b) => a * b, 1);
      const xs = samples(60, size, seed);

      const float = await TfliteInterpreter.load(writeTflite(floatTflite(graph)));
      try {
        for (const x of xs.slice(0, 10)) {
          const ours = float.run(x)[0] as Float32Array;
          const theirs = (
            saved.model.predict(tf.tensor(x, [1, ...saved.inputShape])) as tf.Tensor
          ).dataSync();
          expect(ours.length).toBe(theirs.length);
          for (let i = 0; i < ours.length; i++) expect(ours[i]).toBeCloseTo(theirs[i]!, 4);
        }
      } finally {
        float.close();
      }

      const calib = join(saved.dir, 'calib.json');
      writeFileSync(calib, JSON.stringify(xs.map((x) => Array.from(x))));
      const { bytes, report } = await convertModel({ model: saved.dir, calib });
      const m = readTflite(bytes);
      const g = m.subgraphs[0]!;
      expect(g.tensors.filter((t) => t.type === 'float32')).toEqual([]);
      // A reshape of a reshape is written as one (1-D layers in a row reshape to 2-D and back).
      const reshapes = g.operators.filter((o) => m.operatorCodes[o.opcodeIndex]!.builtinCode === 22);
      for (const r of reshapes)
        expect(
          reshapes.some((p) => p.outputs.includes(r.inputs[0]!)),
          name,
        ).toBe(false);
      expect(report.accuracy.snrDb, JSON.stringify(report.accuracy)).toBeGreaterThan(18);
    }, 60_000);
  }

  it("fuses a Conv1D's activation into its CONV_2D, so the board runtime (which has no RELU kernel) runs it", async () => {
    const saved = await saveModel(MODELS['conv1d + pooling 1d + global average, softmax head']!(), 3);
    const size = saved.inputShape.reduce((a, b) => a * b, 1);
    const calib = join(saved.dir, 'calib.json');
    writeFileSync(calib, JSON.stringify(samples(40, size, 3).map((x) => Array.from(x))));
    const { bytes, report } = await convertModel({ model: saved.dir, calib });
    const ops = report.model.ops.map((o) => o.op);
    expect(ops).not.toContain('RELU');
    expect(ops).not.toContain('RELU6');
    const m = readTflite(bytes);
    const fused = m.subgraphs[0]!.operators.map((o) => o.options)
      .filter((o) => o && 'fusedActivation' in o)
      .map((o) => (o as { fusedActivation: string }).fusedActivation);
    expect(fused).toEqual(expect.arrayContaining(['RELU', 'RELU6']));
    const fit = fitOnBoard(findBoard('virtual-host'), report.model.needs);
    expect(fit.problems.filter((p) => p.includes('kernel'))).toEqual([]);
  }, 60_000);

  it('gives a channel of essentially zero weights zero int8 weights and a bias that keeps its value', async () => {
    const { tfl } = await import('../../src/detect/tf.js');
    const saved = await saveModel(
      tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [6], units: 4, activation: 'relu' }),
          tfl.layers.dense({ units: 3 }),
        ],
      }),
      5,
    );
    // Unit 0 of the first layer: weights of 1e-30 (dead in practice) and a bias of 0.5, as vww has hundreds.
    const first = saved.model.layers[0]!;
    const [w, b] = first.getWeights().map((t) => t.arraySync() as number[] | number[][]);
    for (const row of w as number[][]) row[0] = 1e-30;
    (b as number[])[0] = 0.5;
    first.setWeights([tf.tensor(w as number[][]), tf.tensor(b as number[])]);
    const again = await saveModel(saved.model, 0, { keepWeights: true });
    const calib = join(again.dir, 'calib.json');
    const xs = samples(60, 6, 9);
    writeFileSync(calib, JSON.stringify(xs.map((x) => Array.from(x))));
    const { bytes, report } = await convertModel({ model: again.dir, calib, perChannelDense: true });
    const g = readTflite(bytes).subgraphs[0]!;
    const fc = g.operators[0]!;
    const weights = g.tensors[fc.inputs[1]!]!;
    const bias = g.tensors[fc.inputs[2]!]!;
    // Not a scale of ~1e-32 with a saturated int32 bias: a usable scale, the bias at its value.
    expect(weights.quantization!.scale[0]).toBeGreaterThan(1e-12);
    const q = new Int32Array(
      bias.data!.buffer.slice(bias.data!.byteOffset, bias.data!.byteOffset + bias.data!.byteLength),
    );
    expect(Math.abs(q[0]!)).toBeLessThan(2147483647);
    expect(q[0]! * bias.quantization!.scale[0]!).toBeCloseTo(0.5, 3);
    expect(report.accuracy.snrDb).toBeGreaterThan(18);
  });

  it('refuses a layer it does not support, naming it', async () => {
    const { tfl } = await import('../../src/detect/tf.js');
    const saved = await saveModel(
      tfl.sequential({
        layers: [tfl.layers.dense({ inputShape: [4], units: 4 }), tfl.layers.layerNormalization()],
      }),
      3,
    );
    expect(() => importTfjsLayers(join(saved.dir, 'model.json'))).toThrow(
      /layer layer_normalization\w*: LayerNormalization is not supported/,
    );
  });
});
