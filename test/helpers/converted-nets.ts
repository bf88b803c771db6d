// tfjs nets converted to int8 by tinygate's converter, covering the runtime's kernels: shared by the host,
// QEMU and bench comparisons so every build runs the same converter output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel } from '../../src/convert/index.js';
import { tfl, tfReady } from '../../src/detect/tf.js';
import { saveModel } from '../convert/tfjs-models.js';
import { rng } from '../tflite/reference.js';

async function convert(net: Parameters<typeof saveModel>[0], seed: number, inputs: number, spread: number) {
  const saved = await saveModel(net, seed);
  const calib = join(mkdtempSync(join(tmpdir(), 'tg-net-')), 'calib.json');
  const next = rng(seed + 1);
  writeFileSync(
    calib,
    JSON.stringify(
      Array.from({ length: 60 }, () => Array.from({ length: inputs }, () => (next() - 0.5) * spread)),
    ),
  );
  return (await convertModel({ model: saved.dir, calib })).bytes;
}

/** CONV_2D (relu), DEPTHWISE_CONV_2D (relu6, multiplier 2), MAX_POOL_2D, AVERAGE_POOL_2D (SAME), RESHAPE, FULLY_CONNECTED. */
export async function convPoolNet(): Promise<Uint8Array> {
  await tfReady();
  const net = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [10, 8, 2],
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.depthwiseConv2d({
        kernelSize: 3,
        depthMultiplier: 2,
        padding: 'valid',
        activation: 'relu6',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.averagePooling2d({ poolSize: [2, 2], strides: [1, 1], padding: 'same' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 5 }),
    ],
  });
  return convert(net, 21, 160, 4);
}

/** CONV_2D, MEAN (global average pooling), LOGISTIC, TANH, ADD, CONCATENATION, SOFTMAX. */
export async function mixedOpsNet(): Promise<Uint8Array> {
  await tfReady();
  const input = tfl.input({ shape: [6, 4, 2] });
  const conv = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(input);
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(conv);
  const a = tfl.layers.dense({ units: 8, activation: 'sigmoid' }).apply(pooled);
  const b = tfl.layers.dense({ units: 8, activation: 'tanh' }).apply(pooled);
  const sum = tfl.layers.add().apply([a, b] as never);
  const cat = tfl.layers.concatenate().apply([sum, a] as never);
  const out = tfl.layers.dense({ units: 5, activation: 'softmax' }).apply(cat);
  return convert(tfl.model({ inputs: input, outputs: out as never }), 33, 48, 4);
}

/**
 * A deep, wide stack of 3x3 depthwise convolutions (per-channel weights) and a dense head: as many tensors and
 * per-channel parameters as a vision net (vww_96 and person_detect have 89 tensors and 2,736 parameters),
 * with little weight, so it converts and flashes quickly.
 */
export async function deepDepthwiseNet(layers = 29, channels = 96): Promise<Uint8Array> {
  await tfReady();
  const net = tfl.sequential({
    layers: [
      ...Array.from({ length: layers }, (_, l) =>
        tfl.layers.depthwiseConv2d({
          ...(l === 0 ? { inputShape: [4, 4, channels] } : {}),
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
        }),
      ),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4 }),
    ],
  });
  return convert(net, 45, 4 * 4 * channels, 4);
}
