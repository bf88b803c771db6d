// The Conv2D filter gradient tinygate adds to tfjs's WebAssembly backend equals the reference JavaScript
// backend's, for 'same' and 'valid' padding and strides, so convolutional models train the same on it.
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { tf, tfReady } from '../../src/detect/tf.js';
import { Rng } from '../../src/sim/rng.js';

async function filterGradient(
  backend: string,
  x: Float32Array,
  xShape: [number, number, number, number],
  w: Float32Array,
  wShape: [number, number, number, number],
  strides: [number, number],
  pad: 'same' | 'valid',
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const xt = tf.tensor4d(x, xShape);
  const wt = tf.tensor4d(w, wShape);
  const g = tf.grad((k) => tf.sum(tf.square(tf.conv2d(xt, k as tf.Tensor4D, strides, pad))))(wt);
  const out = g.dataSync() as Float32Array;
  tf.dispose([xt, wt, g]);
  return out;
}

describe('Conv2D filter gradient on the WebAssembly backend', () => {
  const cases: [
    string,
    [number, number, number, number],
    [number, number, number, number],
    [number, number],
    'same' | 'valid',
  ][] = [
    ['Conv1D-like, same, stride 1', [4, 1, 36, 1], [1, 3, 1, 8], [1, 1], 'same'],
    ['Conv1D-like, same, stride 2', [4, 1, 36, 8], [1, 3, 8, 5], [1, 2], 'same'],
    ['2-D, valid, stride 2×1', [2, 7, 6, 3], [3, 2, 3, 4], [2, 1], 'valid'],
  ];
  for (const [name, xShape, wShape, strides, pad] of cases) {
    it(name, async () => {
      await tfReady();
      const rng = new Rng(3);
      const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
      const x = rand(xShape.reduce((a, b) => a * b));
      const w = rand(wShape.reduce((a, b) => a * b));
      const want = await filterGradient('cpu', x, xShape, w, wShape, strides, pad);
      const got = await filterGradient('wasm', x, xShape, w, wShape, strides, pad);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 3);
    });
  }
});
