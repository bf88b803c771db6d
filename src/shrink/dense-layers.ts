import { buildDenseAutoencoder } from '../detect/autoencoder.js';
import type { tfl } from '../detect/tf.js';
import { TinygateError } from '../errors/index.js';

/** One dense layer as plain numbers: kernel[i * units + j] is input i's weight into unit j. */
export interface DenseLayer {
  inputs: number;
  units: number;
  kernel: Float32Array;
  bias: Float32Array;
}

/** The dense layers of a Sequential autoencoder, in order; refuses any other layer kind, naming it. */
export function readDenseLayers(model: tfl.LayersModel): DenseLayer[] {
  return model.layers.map((layer, i) => {
    const cls = layer.getClassName();
    const weights = layer.getWeights();
    if (cls !== 'Dense' || weights.length !== 2) {
      throw new TinygateError(
        'SHRINK_UNSUPPORTED',
        `layer ${i} "${layer.name}" is ${cls}${weights.length !== 2 ? ` with ${weights.length} weight tensors` : ''}: shrink prunes dense autoencoders (Dense layers with a bias)`,
        {
          hint: 'Shrink works on models `tinygate train` writes; convolutional models are not supported yet.',
        },
      );
    }
    const [k, b] = weights as [
      ReturnType<typeof layer.getWeights>[0],
      ReturnType<typeof layer.getWeights>[0],
    ];
    const [inputs, units] = k.shape as [number, number];
    return { inputs, units, kernel: k.dataSync() as Float32Array, bias: b.dataSync() as Float32Array };
  });
}

/** Hidden widths of a layer list (every layer but the output). */
export function hiddenWidths(layers: DenseLayer[]): number[] {
  return layers.slice(0, -1).map((l) => l.units);
}

/** A tfjs autoencoder holding exactly these weights (ReLU hidden layers, linear output). */
export async function denseModel(layers: DenseLayer[]): Promise<tfl.Sequential> {
  const { tf } = await import('../detect/tf.js');
  const model = buildDenseAutoencoder(layers[0]!.inputs, hiddenWidths(layers), 0);
  model.setWeights(layers.flatMap((l) => [tf.tensor2d(l.kernel, [l.inputs, l.units]), tf.tensor1d(l.bias)]));
  return model;
}

/** Multiply-accumulates per inference, the work the board does. */
export function denseMacs(layers: DenseLayer[]): number {
  return layers.reduce((n, l) => n + l.inputs * l.units, 0);
}

export function denseParameters(layers: DenseLayer[]): number {
  return layers.reduce((n, l) => n + (l.inputs + 1) * l.units, 0);
}

/** Forward pass in plain numbers, returning every hidden layer's activations (for importance measures). */
export function hiddenActivations(layers: DenseLayer[], rows: Float32Array[]): Float32Array[][] {
  const out: Float32Array[][] = layers.slice(0, -1).map(() => []);
  for (const x of rows) {
    let a = x;
    for (let l = 0; l < layers.length - 1; l++) {
      const { inputs, units, kernel, bias } = layers[l]!;
      const y = Float32Array.from(bias);
      for (let i = 0; i < inputs; i++) {
        const v = a[i]!;
        if (v === 0) continue;
        for (let j = 0; j < units; j++) y[j]! += v * kernel[i * units + j]!;
      }
      for (let j = 0; j < units; j++) if (y[j]! < 0) y[j] = 0;
      out[l]!.push(y);
      a = y;
    }
  }
  return out;
}
