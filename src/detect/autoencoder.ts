import { Rng } from '../sim/rng.js';
import { tf, tfl } from './tf.js';

export interface AutoencoderShape {
  inputs: number;
  /** Encoder widths down to the bottleneck (the decoder mirrors them). */
  hidden: number[];
}

/** A dense autoencoder: ReLU layers (int8-friendly), linear output, seeded initial weights. */
export function buildAutoencoder(shape: AutoencoderShape, seed: number): tfl.Sequential {
  return buildDenseAutoencoder(
    shape.inputs,
    [...shape.hidden, ...shape.hidden.slice(0, -1).reverse()],
    seed,
    {
      encoderLayers: shape.hidden.length,
    },
  );
}

/**
 * A dense autoencoder with any hidden widths (a pruned or distilled student need not mirror): ReLU hidden
 * layers, a linear output as wide as the input. Layers are named enc*, dec* and out.
 */
export function buildDenseAutoencoder(
  inputs: number,
  widths: number[],
  seed: number,
  o: { encoderLayers?: number } = {},
): tfl.Sequential {
  // The bottleneck (narrowest layer) ends the encoder unless the caller says where it ends.
  const encoderLayers = o.encoderLayers ?? widths.indexOf(Math.min(...widths)) + 1;
  const model = tfl.sequential({ name: 'autoencoder' });
  widths.forEach((units, i) => {
    model.add(
      tfl.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
        ...(i === 0 ? { inputShape: [inputs] } : {}),
        name: `${i < encoderLayers ? 'enc' : 'dec'}${i}`,
      }),
    );
  });
  model.add(
    tfl.layers.dense({
      units: inputs,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + widths.length }),
      ...(widths.length === 0 ? { inputShape: [inputs] } : {}),
      name: 'out',
    }),
  );
  return model;
}

/** The convolutional front of an autoencoder: Conv1D layers over the feature vector. */
export interface ConvEncoder {
  /** Filters of each Conv1D layer. */
  filters: number[];
  /** Taps of every Conv1D ('same' padding). */
  taps: number;
  /** Stride of every Conv1D: 2 halves the positions per layer. */
  stride: number;
}

/**
 * A convolutional autoencoder: the feature vector as one channel, Conv1D layers (ReLU, 'same' padding,
 * strided so the positions shrink), flattened into dense layers of these widths down to the bottleneck and
 * a linear dense output as wide as the input. Neighbouring features (adjacent frequency bands) share
 * weights in the convolutions; the dense bottleneck keeps it from learning the identity.
 */
export function buildConvAutoencoder(
  inputs: number,
  conv: ConvEncoder,
  dense: number[],
  seed: number,
): tfl.Sequential {
  const model = tfl.sequential({ name: 'conv_autoencoder' });
  model.add(tfl.layers.reshape({ targetShape: [inputs, 1], inputShape: [inputs], name: 'as_channel' }));
  conv.filters.forEach((filters, i) => {
    model.add(
      tfl.layers.conv1d({
        filters,
        kernelSize: conv.taps,
        strides: conv.stride,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
        name: `conv${i}`,
      }),
    );
  });
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  const bottleneck = dense.indexOf(Math.min(...dense));
  dense.forEach((units, i) => {
    model.add(
      tfl.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + conv.filters.length + i }),
        name: `${i <= bottleneck ? 'enc' : 'dec'}${conv.filters.length + i}`,
      }),
    );
  });
  model.add(
    tfl.layers.dense({
      units: inputs,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + conv.filters.length + dense.length }),
      name: 'out',
    }),
  );
  return model;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Stop after this many epochs without a better validation loss, and keep the best weights. */
  patience: number;
  seed: number;
  onEpoch?: (epoch: number, loss: number, valLoss: number) => void;
}

export interface FitResult {
  epochs: number;
  bestEpoch: number;
  loss: number;
  valLoss: number;
  stoppedEarly: boolean;
}

/** Train to reconstruct the inputs; shuffles with a seeded order each epoch so runs repeat. */
export async function fitAutoencoder(
  model: tfl.LayersModel,
  train: Float32Array[],
  validation: Float32Array[],
  o: FitOptions,
): Promise<FitResult> {
  model.compile({ optimizer: tf.train.adam(o.learningRate), loss: 'meanSquaredError' });
  const d = train[0]!.length;
  const x = tf.tensor2d(flatten(train), [train.length, d]);
  const v = tf.tensor2d(flatten(validation), [validation.length, d]);
  const rng = new Rng(o.seed).fork('shuffle');
  try {
    const r = await withEarlyStopping(model, o, async (epoch) => {
      const order = tf.tensor1d(permutation(train.length, rng), 'int32');
      const xs = tf.gather(x, order);
      const h = await model.fit(xs, xs, { epochs: 1, batchSize: o.batchSize, shuffle: false, verbose: 0 });
      tf.dispose([order, xs]);
      const valT = model.evaluate(v, v, { batchSize: 1024 }) as tf.Scalar;
      const valLoss = (await valT.data())[0]!;
      valT.dispose();
      const loss = h.history.loss![0] as number;
      o.onEpoch?.(epoch, loss, valLoss);
      return { loss, valLoss };
    });
    return { ...r, stoppedEarly: r.epochs < o.epochs };
  } finally {
    tf.dispose([x, v]);
  }
}

/**
 * Run epochs until `epochs`, or until `patience` epochs pass without a better validation loss; the model
 * ends with the best epoch's weights. Shared by plain training and distillation.
 */
export async function withEarlyStopping(
  model: tfl.LayersModel,
  o: { epochs: number; patience: number },
  epoch: (n: number) => Promise<{ loss: number; valLoss: number }>,
): Promise<{ epochs: number; bestEpoch: number; loss: number; valLoss: number }> {
  let best = Number.POSITIVE_INFINITY;
  let bestEpoch = -1;
  let bestWeights: tf.Tensor[] = [];
  let last = Number.NaN;
  let n = 0;
  try {
    for (; n < o.epochs; n++) {
      const { loss, valLoss } = await epoch(n);
      last = loss;
      if (valLoss < best - 1e-7) {
        best = valLoss;
        bestEpoch = n;
        tf.dispose(bestWeights);
        bestWeights = model.getWeights().map((w) => w.clone());
      } else if (n - bestEpoch >= o.patience) {
        n++;
        break;
      }
    }
    if (bestWeights.length) model.setWeights(bestWeights);
  } finally {
    tf.dispose(bestWeights);
  }
  return { epochs: n, bestEpoch, loss: last, valLoss: best };
}

/** Mean squared reconstruction error per row: the anomaly score. */
export async function reconstructionErrors(
  model: tfl.LayersModel,
  rows: Float32Array[],
): Promise<Float32Array> {
  if (rows.length === 0) return new Float32Array(0);
  const d = rows[0]!.length;
  const scores = tf.tidy(() => {
    const x = tf.tensor2d(flatten(rows), [rows.length, d]);
    const y = model.predict(x, { batchSize: 4096 }) as tf.Tensor;
    return tf.mean(tf.square(tf.sub(y, x)), 1);
  });
  const out = (await scores.data()) as Float32Array;
  scores.dispose();
  return out;
}

export function flatten(rows: Float32Array[]): Float32Array {
  const d = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(rows[i]!, i * d);
  return out;
}

export function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
