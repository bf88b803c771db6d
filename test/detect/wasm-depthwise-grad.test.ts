// The depthwise-convolution gradients tinygate adds to tfjs's WebAssembly backend (filter and input) equal
// the reference JavaScript backend's, so SeparableConv2D and DepthwiseConv2D models train the same on it.
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { tf, tfReady } from '../../src/detect/tf.js';
import { Rng } from '../../src/sim/rng.js';

type Shape4 = [number, number, number, number];

async function gradients(
  backend: string,
  x: Float32Array,
  xShape: Shape4,
  w: Float32Array,
  wShape: Shape4,
  strides: [number, number],
  pad: 'same' | 'valid',
): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  const xt = tf.tensor4d(x, xShape);
  const wt = tf.tensor4d(w, wShape);
  const [dx, dw] = tf.grads((a, k) =>
    tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, k as tf.Tensor4D, strides, pad))),
  )([xt, wt]);
  const out = { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  tf.dispose([xt, wt, dx!, dw!]);
  return out;
}

describe('depthwise convolution gradients on the WebAssembly backend', () => {
  const cases: [string, Shape4, Shape4, [number, number], 'same' | 'valid'][] = [
    ['same, stride 1, multiplier 1', [2, 6, 5, 3], [3, 3, 3, 1], [1, 1], 'same'],
    ['same, stride 2, multiplier 2', [2, 7, 6, 4], [3, 3, 4, 2], [2, 2], 'same'],
    ['valid, stride 2×1', [1, 8, 5, 2], [2, 3, 2, 1], [2, 1], 'valid'],
  ];
  for (const [name, xShape, wShape, strides, pad] of cases) {
    it(name, async () => {
      await tfReady();
      const rng = new Rng(5);
      const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
      const x = rand(xShape.reduce((a, b) => a * b));
      const w = rand(wShape.reduce((a, b) => a * b));
      const want = await gradients('cpu', x, xShape, w, wShape, strides, pad);
      const got = await gradients('wasm', x, xShape, w, wShape, strides, pad);
      for (const k of ['dx', 'dw'] as const) {
        expect(got[k].length).toBe(want[k].length);
        for (let i = 0; i < want[k].length; i++) expect(got[k][i]).toBeCloseTo(want[k][i]!, 3);
      }
    });
  }
});
