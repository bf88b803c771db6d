// The converter's tfjs importer is right when the float .tflite it writes gives tfjs's own outputs in
// the official interpreter; its quantizer is right when the int8 model stays close and runs there too.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertModel, floatTflite, importTfjsLayers } from '../../src/convert/index.js';
import { tf, tfReady } from '../../src/detect/tf.js';
import { readTflite, TfliteInterpreter, writeTflite } from '../../src/tflite/index.js';
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
      expect(report.accuracy.snrDb, JSON.stringify(report.accuracy)).toBeGreaterThan(18);
    }, 60_000);
  }

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
