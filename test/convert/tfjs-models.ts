// Small tfjs Layers models covering every layer the converter takes, saved to disk the way tfjs
// saves them, with non-trivial weights (batch-norm statistics included) so folding is exercised.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, tfl, tfReady } from '../../src/detect/tf.js';

export interface SavedModel {
  dir: string;
  model: tfl.LayersModel;
  inputShape: number[];
}

function randomize(model: tfl.LayersModel, seed: number): void {
  let s = seed;
  const next = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (!ws.length) continue;
    layer.setWeights(
      ws.map((w, i) => {
        const name = layer.weights[i]!.name;
        const values = Float32Array.from({ length: w.size }, () =>
          name.includes('variance')
            ? 0.5 + next()
            : name.includes('gamma')
              ? 0.5 + next()
              : (next() - 0.5) * 0.8,
        );
        return tf.tensor(values, w.shape);
      }),
    );
  }
}

/** Save `model` to a temporary folder, its weights first randomized from `seed` unless `keepWeights`. */
export async function saveModel(
  model: tfl.LayersModel,
  seed: number,
  o: { keepWeights?: boolean } = {},
): Promise<SavedModel> {
  await tfReady();
  if (!o.keepWeights) randomize(model, seed);
  const dir = mkdtempSync(join(tmpdir(), 'tg-tfjs-'));
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({
          format: 'layers-model',
          modelTopology: a.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
        }),
      );
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(a.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { dir, model, inputShape: (model.inputs[0]!.shape as number[]).slice(1) };
}

/** Named builders: each returns a fresh, compiled-free model. */
export const MODELS: Record<string, () => tfl.LayersModel> = {
  'dense + batchnorm + relu, sigmoid head': () =>
    tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [12], units: 16 }),
        tfl.layers.batchNormalization(),
        tfl.layers.reLU(),
        tfl.layers.dropout({ rate: 0.2 }),
        tfl.layers.dense({ units: 8, activation: 'tanh' }),
        tfl.layers.dense({ units: 3, activation: 'sigmoid' }),
      ],
    }),
  'conv1d + pooling 1d + global average, softmax head': () =>
    tfl.sequential({
      layers: [
        tfl.layers.conv1d({
          inputShape: [32, 3],
          filters: 8,
          kernelSize: 5,
          padding: 'same',
          activation: 'relu',
        }),
        tfl.layers.maxPooling1d({ poolSize: 2 }),
        tfl.layers.conv1d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu6' }),
        tfl.layers.averagePooling1d({ poolSize: 2 }),
        tfl.layers.globalAveragePooling1d(),
        tfl.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    }),
  'conv2d + batchnorm + relu6, depthwise, separable, pooling, flatten': () =>
    tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [12, 10, 2], filters: 6, kernelSize: 3, padding: 'same' }),
        tfl.layers.batchNormalization(),
        tfl.layers.reLU({ maxValue: 6 }),
        tfl.layers.depthwiseConv2d({
          kernelSize: 3,
          depthMultiplier: 2,
          padding: 'valid',
          activation: 'relu',
        }),
        tfl.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.averagePooling2d({ poolSize: 2 }),
        tfl.layers.maxPooling2d({ poolSize: [2, 2], strides: [1, 1] }),
        tfl.layers.flatten(),
        tfl.layers.leakyReLU({ alpha: 0.1 }),
        tfl.layers.reshape({ targetShape: [4, 24] }),
        tfl.layers.globalAveragePooling1d(),
        tfl.layers.dense({ units: 2 }),
      ],
    }),
  'functional: add and concatenate branches, global average 2d': () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const a = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
      .apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers
      .conv2d({ filters: 4, kernelSize: 1, padding: 'same' })
      .apply(input) as tfl.SymbolicTensor;
    const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
    const cat = tfl.layers.concatenate({ axis: -1 }).apply([sum, a]) as tfl.SymbolicTensor;
    const act = tfl.layers.activation({ activation: 'relu' }).apply(cat) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(act) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3 }).apply(pooled) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: out });
  },
};
