import { buildConvAutoencoder, buildDenseAutoencoder } from '../detect/autoencoder.js';
import type { tfl } from '../detect/tf.js';
import { TinygateError } from '../errors/index.js';

/**
 * One layer as plain numbers. kernel[(t * inputs + i) * units + j] is the weight from input channel i at
 * tap t into unit (or filter) j: for a Conv1D, t is the tap; for the dense layer after the convolutions,
 * t is the position in the flattened input; for a dense layer after a dense one, t is always 0. So "input
 * channel i" means the same thing (one unit or filter of the layer before) in every case, which is what
 * pruning needs.
 */
export interface NetLayer {
  kind: 'conv1d' | 'dense';
  inputs: number;
  units: number;
  taps: number;
  /** Conv1D stride ('same' padding); 1 for dense. */
  stride: number;
  kernel: Float32Array;
  bias: Float32Array;
}

/** An autoencoder as plain numbers: optional Conv1D layers over the feature vector, then dense layers. */
export interface Net {
  /** Feature-vector length. */
  inputs: number;
  layers: NetLayer[];
}

/** The layers of an autoencoder tinygate builds; anything else is refused by name. */
export function readNet(model: tfl.LayersModel): Net {
  const inputs = model.inputs[0]!.shape[1] as number;
  const layers: NetLayer[] = [];
  let positions = 1;
  model.layers.forEach((layer, n) => {
    const cls = layer.getClassName();
    if (cls === 'Reshape' || cls === 'Flatten' || cls === 'InputLayer') return;
    const cfg = layer.getConfig() as {
      padding?: string;
      strides?: number[];
      dilationRate?: number | number[];
    };
    const weights = layer.getWeights();
    const dilation = Array.isArray(cfg.dilationRate) ? cfg.dilationRate[0] : (cfg.dilationRate ?? 1);
    const conv =
      cls === 'Conv1D' &&
      cfg.padding === 'same' &&
      dilation === 1 &&
      layers.every((l) => l.kind === 'conv1d');
    if ((cls !== 'Dense' && !conv) || weights.length !== 2) {
      throw new TinygateError(
        'SHRINK_UNSUPPORTED',
        `layer ${n} "${layer.name}" (${cls}) is not one shrink can prune: it prunes dense autoencoders and ones with Conv1D layers ('same' padding, no dilation, with biases) before their dense layers`,
        { hint: 'Shrink works on the models `tinygate train` writes (with --conv for a convolutional one).' },
      );
    }
    const [k, b] = weights as [(typeof weights)[0], (typeof weights)[0]];
    const kernel = k.dataSync() as Float32Array;
    const bias = b.dataSync() as Float32Array;
    if (conv) {
      const [taps, ins, units] = k.shape as [number, number, number];
      const stride = cfg.strides?.[0] ?? 1;
      positions = Math.ceil((layers.length ? positions : inputs) / stride);
      layers.push({ kind: 'conv1d', inputs: ins, units, taps, stride, kernel, bias });
    } else {
      const [rows, units] = k.shape as [number, number];
      const prev = layers[layers.length - 1];
      // The first dense layer after the convolutions reads positions × filters, position-major.
      const taps = prev?.kind === 'conv1d' ? positions : 1;
      layers.push({ kind: 'dense', inputs: rows / taps, units, taps, stride: 1, kernel, bias });
    }
  });
  return { inputs, layers };
}

/** Hidden widths (filters, then units) of every layer but the output. */
export function hiddenWidths(net: Net): number[] {
  return net.layers.slice(0, -1).map((l) => l.units);
}

/** How many of the layers are Conv1D. */
export function convLayers(net: Net): number {
  return net.layers.filter((l) => l.kind === 'conv1d').length;
}

/** A fresh, seeded autoencoder like `net` (same taps and stride) with these widths, the first `conv` of them Conv1D. */
export function freshModel(net: Net, widths: number[], conv: number, seed: number): tfl.Sequential {
  const first = net.layers[0]!;
  if (conv === 0) return buildDenseAutoencoder(net.inputs, widths, seed);
  return buildConvAutoencoder(
    net.inputs,
    { filters: widths.slice(0, conv), taps: first.taps, stride: first.stride },
    widths.slice(conv),
    seed,
  );
}

/** A tfjs autoencoder holding exactly these weights. */
export async function netModel(net: Net): Promise<tfl.Sequential> {
  const { tf } = await import('../detect/tf.js');
  const model = freshModel(net, hiddenWidths(net), convLayers(net), 0);
  model.setWeights(
    net.layers.flatMap((l) => [
      l.kind === 'conv1d'
        ? tf.tensor3d(l.kernel, [l.taps, l.inputs, l.units])
        : tf.tensor2d(l.kernel, [l.taps * l.inputs, l.units]),
      tf.tensor1d(l.bias),
    ]),
  );
  return model;
}

export function netParameters(net: Net): number {
  return net.layers.reduce((n, l) => n + (l.taps * l.inputs + 1) * l.units, 0);
}

/** Multiply-accumulates per inference, the work the board does. */
export function netMacs(net: Net): number {
  let positions = net.inputs;
  let macs = 0;
  for (const l of net.layers) {
    if (l.kind === 'conv1d') {
      positions = Math.ceil(positions / l.stride);
      macs += positions * l.taps * l.inputs * l.units;
    } else macs += l.taps * l.inputs * l.units;
  }
  return macs;
}

/**
 * One layer on one input (positions × channels, position-major), as tfjs computes it: a Conv1D with 'same'
 * padding (TensorFlow's: the extra padding on the right) and its stride, or a dense layer over the whole
 * flattened input. Returns the output and its positions.
 */
export function applyLayer(
  l: NetLayer,
  x: Float32Array,
  positions: number,
  relu: boolean,
): { y: Float32Array; positions: number } {
  let y: Float32Array;
  let out = 1;
  if (l.kind === 'conv1d') {
    out = Math.ceil(positions / l.stride);
    const left = Math.floor(Math.max((out - 1) * l.stride + l.taps - positions, 0) / 2);
    y = new Float32Array(out * l.units);
    for (let p = 0; p < out; p++) {
      for (let j = 0; j < l.units; j++) y[p * l.units + j] = l.bias[j]!;
      for (let t = 0; t < l.taps; t++) {
        const q = p * l.stride + t - left;
        if (q < 0 || q >= positions) continue;
        for (let i = 0; i < l.inputs; i++) {
          const v = x[q * l.inputs + i]!;
          if (v === 0) continue;
          const base = (t * l.inputs + i) * l.units;
          for (let j = 0; j < l.units; j++) y[p * l.units + j]! += v * l.kernel[base + j]!;
        }
      }
    }
  } else {
    y = Float32Array.from(l.bias);
    for (let r = 0; r < l.taps * l.inputs; r++) {
      const v = x[r]!;
      if (v === 0) continue;
      for (let j = 0; j < l.units; j++) y[j]! += v * l.kernel[r * l.units + j]!;
    }
  }
  if (relu) for (let k = 0; k < y.length; k++) if (y[k]! < 0) y[k] = 0;
  return { y, positions: out };
}

/** The whole net on one feature vector (the reconstruction), and every hidden layer's activations. */
export function forward(net: Net, x: Float32Array): { output: Float32Array; hidden: Float32Array[] } {
  let a = x;
  let positions = net.inputs;
  const hidden: Float32Array[] = [];
  net.layers.forEach((l, k) => {
    const last = k === net.layers.length - 1;
    const r = applyLayer(l, a, positions, !last);
    a = r.y;
    positions = r.positions;
    if (!last) hidden.push(a);
  });
  return { output: a, hidden };
}
