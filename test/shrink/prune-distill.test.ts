// Structured pruning and distillation, one piece at a time: pruning keeps the units that feed forward and
// loses nothing when the units it drops are dead or constant; distillation teaches a student the teacher's
// function (its outputs, not the data's).
import { describe, expect, it } from 'vitest';
import { buildDenseAutoencoder, reconstructionErrors } from '../../src/detect/autoencoder.js';
import { tf, tfReady } from '../../src/detect/tf.js';
import { type DenseLayer, denseModel, readDenseLayers } from '../../src/shrink/dense-layers.js';
import { distill } from '../../src/shrink/distill.js';
import { pruneUnits, unitImportance } from '../../src/shrink/prune.js';
import { Rng } from '../../src/sim/rng.js';

const rng = new Rng(11);
const uniform = (n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
const rows = (n: number, d: number) => Array.from({ length: n }, () => uniform(d, 2));

/** Plain forward pass (ReLU hidden, linear output): the reference the pruned net is compared with. */
function forward(layers: DenseLayer[], x: Float32Array): Float32Array {
  let a = x;
  layers.forEach((l, k) => {
    const y = Float32Array.from(l.bias);
    for (let i = 0; i < l.inputs; i++)
      for (let j = 0; j < l.units; j++) y[j]! += a[i]! * l.kernel[i * l.units + j]!;
    a = k < layers.length - 1 ? y.map((v) => Math.max(0, v)) : y;
  });
  return a;
}

describe('structured pruning', () => {
  // 6 → 5 → 3 → 6. Hidden unit 2 of the first layer is a constant 0.7 (no input weights) feeding forward
  // lightly; unit 4 is dead (always below zero). Units 0, 1 and 3 carry the signal.
  const first: DenseLayer = {
    inputs: 6,
    units: 5,
    kernel: uniform(30),
    bias: Float32Array.from([0.1, 0.2, 0.7, 0.1, -50]),
  };
  for (let i = 0; i < 6; i++) {
    first.kernel[i * 5 + 2] = 0;
    first.kernel[i * 5 + 4] = 0;
  }
  const second: DenseLayer = { inputs: 5, units: 3, kernel: uniform(15), bias: uniform(3) };
  for (let j = 0; j < 3; j++) second.kernel[2 * 3 + j] = 0.01 * (j + 1);
  const out: DenseLayer = { inputs: 3, units: 6, kernel: uniform(18), bias: uniform(6) };
  const net = [first, second, out];
  const data = rows(200, 6);

  it('ranks a dead unit and a quiet constant unit last, and keeps the units that carry the signal', () => {
    const imp = unitImportance(net, data)[0]!;
    expect(imp[4]).toBe(0);
    const order = imp.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]);
    expect(
      order
        .slice(0, 3)
        .map(([, j]) => j)
        .sort(),
    ).toEqual([0, 1, 3]);
    const pruned = pruneUnits(net, [3, 3], data);
    expect(pruned.map((l) => [l.inputs, l.units])).toEqual([
      [6, 3],
      [3, 3],
      [3, 6],
    ]);
  });

  it('gives the same outputs after dropping them (the constant folded into the next bias)', () => {
    const pruned = pruneUnits(net, [3, 3], data);
    for (const x of rows(50, 6)) {
      const want = forward(net, x);
      const got = forward(pruned, x);
      for (let j = 0; j < 6; j++) expect(got[j]).toBeCloseTo(want[j]!, 5);
    }
  });

  it('reads and rebuilds a tfjs autoencoder without changing what it computes', async () => {
    await tfReady();
    const model = buildDenseAutoencoder(6, [5, 3], 3);
    const layers = readDenseLayers(model);
    const again = await denseModel(layers);
    const x = rows(20, 6);
    const a = await reconstructionErrors(model, x);
    const b = await reconstructionErrors(again, x);
    for (let i = 0; i < x.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
    model.dispose();
    again.dispose();
  });
});

describe('distillation', () => {
  it("teaches a student the teacher's outputs", async () => {
    await tfReady();
    // A teacher that is not an identity: the student can only match it by learning from it.
    const teacher = await denseModel([
      { inputs: 8, units: 12, kernel: uniform(96), bias: uniform(12, 0.5) },
      { inputs: 12, units: 8, kernel: uniform(96, 0.5), bias: uniform(8, 0.5) },
    ]);
    const student = buildDenseAutoencoder(8, [12], 5);
    const train = rows(512, 8);
    const held = rows(128, 8);
    const gap = () =>
      tf.tidy(() => {
        const x = tf.tensor2d(
          held.flatMap((r) => [...r]),
          [held.length, 8],
        );
        const d = tf.sub(student.predict(x) as tf.Tensor, teacher.predict(x) as tf.Tensor);
        return tf.mean(tf.square(d)).dataSync()[0]!;
      });
    const before = gap();
    await distill(student, teacher, train, held, {
      epochs: 60,
      batchSize: 32,
      learningRate: 0.01,
      patience: 60,
      scoreWeight: 1,
      seed: 1,
    });
    const after = gap();
    expect(after).toBeLessThan(before * 0.1);
    teacher.dispose();
    student.dispose();
  }, 60_000);
});
