import { flatten, permutation, withEarlyStopping } from '../detect/autoencoder.js';
import { tf, type tfl } from '../detect/tf.js';
import { Rng } from '../sim/rng.js';

export interface DistillOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Stop after this many epochs without a better validation loss, and keep the best weights. */
  patience: number;
  /** Weight of the score-matching term beside the reconstruction-matching term. */
  scoreWeight: number;
  seed: number;
  onEpoch?: (epoch: number, loss: number, valLoss: number) => void;
}

export interface DistillResult {
  epochs: number;
  bestEpoch: number;
  valLoss: number;
}

/**
 * Knowledge distillation for an autoencoder: the student learns to give the teacher's reconstruction of each
 * window (not the window itself) and the teacher's anomaly score, so it inherits what the bigger model
 * learned to ignore as well as what it reconstructs. Loss = mean((y − t)²) + w · mean((s(y) − s(t))²), with
 * s the mean squared reconstruction error. Seeded shuffles; early stopping on held-back windows.
 */
export async function distill(
  student: tfl.LayersModel,
  teacher: tfl.LayersModel,
  train: Float32Array[],
  validation: Float32Array[],
  o: DistillOptions,
): Promise<DistillResult> {
  const d = train[0]!.length;
  const x = tf.tensor2d(flatten(train), [train.length, d]);
  const v = tf.tensor2d(flatten(validation), [validation.length, d]);
  const tx = teacher.predict(x, { batchSize: 4096 }) as tf.Tensor2D;
  const tv = teacher.predict(v, { batchSize: 4096 }) as tf.Tensor2D;
  const lossOf = (xs: tf.Tensor2D, ts: tf.Tensor2D): tf.Scalar =>
    tf.tidy(() => {
      const y = student.apply(xs, { training: true }) as tf.Tensor2D;
      const match = tf.mean(tf.square(tf.sub(y, ts)));
      const sy = tf.mean(tf.square(tf.sub(y, xs)), 1);
      const st = tf.mean(tf.square(tf.sub(ts, xs)), 1);
      return tf.add(match, tf.mul(o.scoreWeight, tf.mean(tf.square(tf.sub(sy, st))))) as tf.Scalar;
    });
  const optimizer = tf.train.adam(o.learningRate);
  const rng = new Rng(o.seed).fork('distill');
  try {
    return await withEarlyStopping(student, o, async (epoch) => {
      const order = permutation(train.length, rng);
      let sum = 0;
      let batches = 0;
      for (let i = 0; i < order.length; i += o.batchSize) {
        const idx = tf.tensor1d(order.subarray(i, i + o.batchSize), 'int32');
        const xb = tf.gather(x, idx) as tf.Tensor2D;
        const tb = tf.gather(tx, idx) as tf.Tensor2D;
        const cost = optimizer.minimize(() => lossOf(xb, tb), true);
        sum += (await cost!.data())[0]!;
        batches++;
        tf.dispose([idx, xb, tb, cost!]);
      }
      const valT = lossOf(v, tv);
      const valLoss = (await valT.data())[0]!;
      valT.dispose();
      o.onEpoch?.(epoch, sum / batches, valLoss);
      return { loss: sum / batches, valLoss };
    });
  } finally {
    tf.dispose([x, v, tx, tv]);
    optimizer.dispose();
  }
}

/**
 * Distillation for any model without labels: the student learns the teacher's outputs on the user's data.
 * For a classifier (softmax output) the loss is the cross-entropy to the teacher's class probabilities
 * (its soft labels); otherwise the mean squared difference of the outputs. Seeded shuffles; early stopping
 * on held-back samples.
 */
export async function distillOutputs(
  student: tfl.LayersModel,
  teacher: tfl.LayersModel,
  train: tf.Tensor,
  validation: tf.Tensor,
  o: Omit<DistillOptions, 'scoreWeight'> & { classifier: boolean },
): Promise<DistillResult> {
  const tx = teacher.predict(train, { batchSize: 256 }) as tf.Tensor;
  const tv = teacher.predict(validation, { batchSize: 256 }) as tf.Tensor;
  const lossOf = (xs: tf.Tensor, ts: tf.Tensor, training: boolean): tf.Scalar =>
    tf.tidy(() => {
      const y = student.apply(xs, { training }) as tf.Tensor;
      if (!o.classifier) return tf.mean(tf.square(tf.sub(y, ts))) as tf.Scalar;
      return tf.neg(tf.mean(tf.sum(tf.mul(ts, tf.log(tf.clipByValue(y, 1e-7, 1))), -1))) as tf.Scalar;
    });
  const optimizer = tf.train.adam(o.learningRate);
  const rng = new Rng(o.seed).fork('distill');
  const n = train.shape[0]!;
  try {
    return await withEarlyStopping(student, o, async (epoch) => {
      const order = permutation(n, rng);
      let sum = 0;
      let batches = 0;
      for (let i = 0; i < order.length; i += o.batchSize) {
        const idx = tf.tensor1d(order.subarray(i, i + o.batchSize), 'int32');
        const xb = tf.gather(train, idx);
        const tb = tf.gather(tx, idx);
        const cost = optimizer.minimize(() => lossOf(xb, tb, true), true);
        sum += (await cost!.data())[0]!;
        batches++;
        tf.dispose([idx, xb, tb, cost!]);
      }
      const valT = lossOf(validation, tv, false);
      const valLoss = (await valT.data())[0]!;
      valT.dispose();
      o.onEpoch?.(epoch, sum / batches, valLoss);
      return { loss: sum / batches, valLoss };
    });
  } finally {
    tf.dispose([tx, tv]);
    optimizer.dispose();
  }
}
