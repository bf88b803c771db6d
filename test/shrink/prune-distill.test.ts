// Structured pruning and distillation, one piece at a time: pruning keeps the units that feed forward and
// loses nothing when the units it drops are dead or constant; distillation teaches a student the teacher's
// function (its outputs, not the data's).
import { describe, expect, it } from 'vitest';
import {
  buildConvAutoencoder,
  buildDenseAutoencoder,
  reconstructionErrors,
} from '../../src/detect/autoencoder.js';
import { tf, tfReady } from '../../src/detect/tf.js';
import { distill } from '../../src/shrink/distill.js';
import { type Net, type NetLayer, forward as netForward, netModel, readNet } from '../../src/shrink/net.js';
import { pruneUnits, unitImportance } from '../../src/shrink/prune.js';
import { Rng } from '../../src/sim/rng.js';

const rng = new Rng(11);
const uniform = (n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
const rows = (n: number, d: number) => Array.from({ length: n }, () => uniform(d, 2));

/** Plain forward pass (ReLU hidden, linear output): the reference the pruned net is compared with. */
function forward(net: Net, x: Float32Array): Float32Array {
  let a = x;
  net.layers.forEach((l, k) => {
    const y = Float32Array.from(l.bias);
    for (let i = 0; i < l.inputs; i++)
      for (let j = 0; j < l.units; j++) y[j]! += a[i]! * l.kernel[i * l.units + j]!;
    a = k < net.layers.length - 1 ? y.map((v) => Math.max(0, v)) : y;
  });
  return a;
}

describe('structured pruning', () => {
  // 6 → 5 → 3 → 6. Hidden unit 2 of the first layer is a constant 0.7 (no input weights) feeding forward
  // lightly; unit 4 is dead (always below zero). Units 0, 1 and 3 carry the signal.
  const first: NetLayer = {
    kind: 'dense',
    taps: 1,
    stride: 1,
    inputs: 6,
    units: 5,
    kernel: uniform(30),
    bias: Float32Array.from([0.1, 0.2, 0.7, 0.1, -50]),
  };
  for (let i = 0; i < 6; i++) {
    first.kernel[i * 5 + 2] = 0;
    first.kernel[i * 5 + 4] = 0;
  }
  const second: NetLayer = {
    kind: 'dense',
    taps: 1,
    stride: 1,
    inputs: 5,
    units: 3,
    kernel: uniform(15),
    bias: uniform(3),
  };
  for (let j = 0; j < 3; j++) second.kernel[2 * 3 + j] = 0.01 * (j + 1);
  const out: NetLayer = {
    kind: 'dense',
    taps: 1,
    stride: 1,
    inputs: 3,
    units: 6,
    kernel: uniform(18),
    bias: uniform(6),
  };
  const net: Net = { inputs: 6, layers: [first, second, out] };
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
    expect(pruned.layers.map((l) => [l.inputs, l.units])).toEqual([
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
    const again = await netModel(readNet(model));
    const x = rows(20, 6);
    const a = await reconstructionErrors(model, x);
    const b = await reconstructionErrors(again, x);
    for (let i = 0; i < x.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
    model.dispose();
    again.dispose();
  });
});

describe('structured pruning of a convolutional autoencoder', () => {
  it('computes in plain numbers exactly what tfjs computes (same padding, strides, flatten)', async () => {
    await tfReady();
    const model = buildConvAutoencoder(36, { filters: [4, 3], taps: 3, stride: 2 }, [5], 7);
    const net = readNet(model);
    expect(net.layers.map((l) => [l.kind, l.taps, l.inputs, l.units])).toEqual([
      ['conv1d', 3, 1, 4],
      ['conv1d', 3, 4, 3],
      ['dense', 9, 3, 5],
      ['dense', 1, 5, 36],
    ]);
    const x = rows(10, 36);
    const want = model.predict(
      tf.tensor2d(
        x.flatMap((r) => [...r]),
        [10, 36],
      ),
    ) as tf.Tensor;
    const w = want.dataSync();
    x.forEach((r, i) => {
      const got = netForward(net, r).output;
      for (let p = 0; p < 36; p++) expect(got[p]).toBeCloseTo(w[i * 36 + p]!, 4);
    });
    want.dispose();
    model.dispose();
  });

  it('drops a dead filter and a quiet constant one with the same reconstruction', async () => {
    await tfReady();
    const net = readNet(buildConvAutoencoder(36, { filters: [5], taps: 3, stride: 2 }, [4], 9));
    // Filter 1 is dead (zero weights, bias far below zero); filter 3 is a constant 0.5 the dense layer
    // after it reads lightly: its per-position mean is folded into that layer's bias exactly.
    const conv = net.layers[0]!;
    for (let t = 0; t < 3; t++) {
      conv.kernel[t * 5 + 1] = 0;
      conv.kernel[t * 5 + 3] = 0;
    }
    conv.bias[1] = -50;
    conv.bias[3] = 0.5;
    const dense = net.layers[1]!;
    for (let p = 0; p < dense.taps; p++)
      for (let k = 0; k < 4; k++)
        dense.kernel[(p * 5 + 3) * 4 + k] = dense.kernel[(p * 5 + 3) * 4 + k]! * 1e-3;
    const data = rows(100, 36);
    const pruned = pruneUnits(net, [3, 4], data);
    expect(pruned.layers.map((l) => [l.inputs, l.units])).toEqual([
      [1, 3],
      [3, 4],
      [4, 36],
    ]);
    for (const x of rows(20, 36)) {
      const a = netForward(net, x).output;
      const b = netForward(pruned, x).output;
      for (let p = 0; p < 36; p++) expect(b[p]).toBeCloseTo(a[p]!, 4);
    }
    const rebuilt = await netModel(pruned);
    const xs = rows(5, 36);
    const viaTfjs = await reconstructionErrors(rebuilt, xs);
    xs.forEach((x, i) => {
      const y = netForward(pruned, x).output;
      let mse = 0;
      for (let p = 0; p < 36; p++) mse += (y[p]! - x[p]!) ** 2 / 36;
      expect(viaTfjs[i]).toBeCloseTo(mse, 3);
    });
    rebuilt.dispose();
  });
});

describe('distillation', () => {
  it("teaches a student the teacher's outputs", async () => {
    await tfReady();
    // A teacher that is not an identity: the student can only match it by learning from it.
    const teacher = await netModel({
      inputs: 8,
      layers: [
        {
          kind: 'dense',
          taps: 1,
          stride: 1,
          inputs: 8,
          units: 12,
          kernel: uniform(96),
          bias: uniform(12, 0.5),
        },
        {
          kind: 'dense',
          taps: 1,
          stride: 1,
          inputs: 12,
          units: 8,
          kernel: uniform(96, 0.5),
          bias: uniform(8, 0.5),
        },
      ],
    });
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
