import type { tf as tfCore, tfl } from '../detect/tf.js';
import { TinygateError } from '../errors/index.js';

// Structured pruning of any chain of tfjs layers (a Sequential model, or a functional one without branches):
// whole output channels of Dense, Conv1D, Conv2D and SeparableConv2D layers go, with the matching slices of
// the per-channel layers after them (BatchNormalization, DepthwiseConv2D) and of the next weighted layer's
// inputs. The graph keeps its layer types, so the converter and the board runtime see the same ops.

/** Layers that make channels and may lose some (their units, filters or pointwise filters). */
const PRODUCERS = new Set(['Dense', 'Conv1D', 'Conv2D', 'SeparableConv2D']);
/** Per-channel layers whose weights are sliced with the channels they carry. */
const CHANNELWISE = new Set(['BatchNormalization', 'DepthwiseConv2D']);
/** Layers that pass channels through one to one, without weights. */
const PASSTHROUGH = new Set([
  'InputLayer',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'Flatten',
]);
/** Layers shrink keeps but that mix channels, so the layer before them keeps all of its own. */
const MIXING = new Set(['Reshape', 'Softmax']);

export const SUPPORTED_LAYERS = [...PRODUCERS, ...CHANNELWISE, ...PASSTHROUGH, ...MIXING].filter(
  (c) => c !== 'InputLayer',
);

/** One prunable layer: its channels reach `consumer` (the next weighted layer) through `channelwise` layers. */
export interface PrunableLayer {
  producer: number;
  name: string;
  className: string;
  width: number;
  channelwise: number[];
  consumer: number;
}

export interface LayerChain {
  layers: tfl.layers.Layer[];
  prunable: PrunableLayer[];
  /** The model's output passes through a softmax: a classifier, judged on top-1 agreement too. */
  classifier: boolean;
}

/**
 * The chain of layers and which of them can lose channels: every Dense/Conv/SeparableConv layer whose
 * channels reach another weighted layer only through per-channel layers. The output layer keeps its
 * width (it is the model's output). Anything else is refused by name.
 */
export function readChain(model: tfl.LayersModel): LayerChain {
  const layers = model.layers;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new TinygateError(
      'SHRINK_UNSUPPORTED',
      `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs: shrink prunes models with one of each`,
      { hint: 'Convert it as it is (`tinygate convert`), or shrink a single-input, single-output part.' },
    );
  }
  const prunable: PrunableLayer[] = [];
  let open: Omit<PrunableLayer, 'consumer'> | null = null;
  layers.forEach((layer, n) => {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as {
      activation?: string;
      depthMultiplier?: number;
      axis?: number | number[];
    };
    const inbound =
      (layer as unknown as { inboundNodes: { inboundLayers: tfl.layers.Layer[] }[] }).inboundNodes[0]
        ?.inboundLayers ?? [];
    const previous = layers[n - 1];
    const chained =
      inbound.length === 0 ? n === 0 || previous?.getClassName() === 'InputLayer' : inbound.length === 1;
    const known = PRODUCERS.has(cls) || CHANNELWISE.has(cls) || PASSTHROUGH.has(cls) || MIXING.has(cls);
    if (!known || !chained || (inbound.length === 1 && previous && inbound[0] !== previous)) {
      throw new TinygateError(
        'SHRINK_UNSUPPORTED',
        `layer ${n} "${layer.name}" (${cls}) ${known ? 'is not fed by the layer before it only' : 'is not one shrink can prune through'}: shrink prunes chains of layers (no branches) made of ${SUPPORTED_LAYERS.join(', ')}`,
        {
          hint: 'Shrink a Sequential model of these layers, or a model `tinygate train` wrote; convert others as they are (`tinygate convert`).',
        },
      );
    }
    const softmax = cls === 'Softmax' || cfg.activation === 'softmax';
    if (PRODUCERS.has(cls)) {
      if (open) prunable.push({ ...open, consumer: n });
      const width = layer.getConfig() as { units?: number; filters?: number };
      open = softmax
        ? null
        : {
            producer: n,
            name: layer.name,
            className: cls,
            width: width.units ?? width.filters ?? 0,
            channelwise: [],
          };
      return;
    }
    const channelwise =
      (cls === 'BatchNormalization' &&
        [-1, (layer.outputShape as number[]).length - 1].includes(Number(cfg.axis ?? -1))) ||
      (cls === 'DepthwiseConv2D' && (cfg.depthMultiplier ?? 1) === 1);
    if (channelwise && open) open.channelwise.push(n);
    else if (!PASSTHROUGH.has(cls) || softmax) open = null;
  });
  const last = layers[layers.length - 1]!;
  const classifier =
    last.getClassName() === 'Softmax' ||
    (last.getConfig() as { activation?: string }).activation === 'softmax';
  return { layers, prunable, classifier };
}

/** Mean and mean |value| of each prunable layer's channels where its consumer reads them, per element. */
async function consumerInputMeans(
  tf: typeof tfCore,
  tflayers: typeof tfl,
  model: tfl.LayersModel,
  chain: LayerChain,
  samples: tfCore.Tensor,
): Promise<{ mean: Float32Array; meanAbs: Float32Array }[]> {
  const probe = tflayers.model({
    inputs: model.inputs,
    outputs: chain.prunable.map((p) => chain.layers[p.consumer]!.input as tfl.SymbolicTensor),
  });
  const n = samples.shape[0]!;
  const sums: tfCore.Tensor[] = [];
  const sumsAbs: tfCore.Tensor[] = [];
  for (let i = 0; i < n; i += 256) {
    const outs = tf.tidy(() => {
      const batch = tf.slice(samples, i, Math.min(256, n - i));
      const r = probe.predict(batch);
      return ([] as tfCore.Tensor[])
        .concat(r as tfCore.Tensor | tfCore.Tensor[])
        .map((t) => [tf.sum(t, 0), tf.sum(tf.abs(t), 0)]);
    });
    outs.forEach(([s, a], k) => {
      if (sums[k]) {
        const s2 = tf.add(sums[k]!, s!);
        const a2 = tf.add(sumsAbs[k]!, a!);
        tf.dispose([sums[k]!, sumsAbs[k]!, s!, a!]);
        sums[k] = s2;
        sumsAbs[k] = a2;
      } else {
        sums[k] = s!;
        sumsAbs[k] = a!;
      }
    });
  }
  const out = sums.map((s, k) => ({
    mean: (s.dataSync() as Float32Array).map((v) => v / n),
    meanAbs: (sumsAbs[k]!.dataSync() as Float32Array).map((v) => v / n),
  }));
  tf.dispose([...sums, ...sumsAbs]);
  return out;
}

interface Weights {
  shape: number[];
  data: Float32Array;
}

function weightsOf(layer: tfl.layers.Layer): Map<string, Weights> {
  const out = new Map<string, Weights>();
  const values = layer.getWeights();
  layer.weights.forEach((w, i) => {
    const role = w.originalName.split('/').pop()!;
    out.set(role, { shape: values[i]!.shape, data: values[i]!.dataSync() as Float32Array });
  });
  return out;
}

/** The elements of `w` whose index along `axis` is in `keep`, in that order. */
function take(w: Weights, axis: number, keep: number[]): Weights {
  const a = axis < 0 ? w.shape.length + axis : axis;
  const outer = w.shape.slice(0, a).reduce((x, y) => x * y, 1);
  const inner = w.shape.slice(a + 1).reduce((x, y) => x * y, 1);
  const dim = w.shape[a]!;
  const data = new Float32Array(outer * keep.length * inner);
  for (let o = 0; o < outer; o++)
    keep.forEach((k, j) => {
      data.set(
        w.data.subarray((o * dim + k) * inner, (o * dim + k + 1) * inner),
        (o * keep.length + j) * inner,
      );
    });
  const shape = [...w.shape];
  shape[a] = keep.length;
  return { shape, data };
}

/**
 * What channel c of a C-channel input contributes to each output j of the consumer, per input element
 * position p (p × C + c, channels-last) for a Dense layer and summed over taps for a convolution (a
 * convolution slides, so every position sees the same weights).
 */
function consumerWeights(
  cls: string,
  w: Map<string, Weights>,
  channels: number,
): (c: number, p: number) => Float32Array {
  if (cls === 'Dense') {
    const k = w.get('kernel')!;
    const units = k.shape[1]!;
    return (c, p) => k.data.subarray((p * channels + c) * units, (p * channels + c + 1) * units);
  }
  if (cls === 'SeparableConv2D') {
    const dw = w.get('depthwise_kernel')!;
    const pw = w.get('pointwise_kernel')!;
    const mult = dw.shape[3]!;
    const out = pw.shape[3]!;
    const taps = dw.shape[0]! * dw.shape[1]!;
    return (c) => {
      const e = new Float32Array(taps * out);
      for (let t = 0; t < taps; t++)
        for (let m = 0; m < mult; m++) {
          const d = dw.data[(t * channels + c) * mult + m]!;
          for (let j = 0; j < out; j++) e[t * out + j]! += d * pw.data[(c * mult + m) * out + j]!;
        }
      return e;
    };
  }
  const k = w.get('kernel')!;
  const out = k.shape[k.shape.length - 1]!;
  const taps = k.data.length / (channels * out);
  return (c) => {
    const e = new Float32Array(taps * out);
    for (let t = 0; t < taps; t++)
      e.set(k.data.subarray((t * channels + c) * out, (t * channels + c + 1) * out), t * out);
    return e;
  };
}

/**
 * Each prunable layer's channel importance: mean |value| where the next weighted layer reads the channel
 * (after any per-channel layers) times the L2 norm of that layer's weights on it (for a SeparableConv2D,
 * of its depthwise and pointwise weights combined), the same measure as for tinygate's own autoencoders.
 */
function importance(
  chain: LayerChain,
  p: PrunableLayer,
  stats: { meanAbs: Float32Array },
  w: Map<string, Weights>,
): number[] {
  const C = p.width;
  const positions = stats.meanAbs.length / C;
  const cls = chain.layers[p.consumer]!.getClassName();
  const of = consumerWeights(cls, w, C);
  return Array.from({ length: C }, (_, c) => {
    let m = 0;
    for (let q = 0; q < positions; q++) m += stats.meanAbs[q * C + c]! / positions;
    let norm = 0;
    for (let q = 0; q < (cls === 'Dense' ? positions : 1); q++) for (const v of of(c, q)) norm += v * v;
    return m * Math.sqrt(norm);
  });
}

/**
 * Prune every prunable layer to `fraction` of its channels (at least one), keeping the most important,
 * and fold each removed channel's mean (where the consumer reads it) into the consumer's bias, so the
 * consumer sees the same input on average: exactly for a Dense consumer, and for a convolution away from
 * its zero-padded edges. Returns a new model; the teacher is untouched.
 */
export async function pruneChain(
  model: tfl.LayersModel,
  chain: LayerChain,
  fraction: number,
  samples: tfCore.Tensor,
): Promise<{ model: tfl.LayersModel; widths: number[] }> {
  const { tf, tfl: tflayers } = await import('../detect/tf.js');
  const stats = await consumerInputMeans(tf, tflayers, model, chain, samples);
  const weights = chain.layers.map(weightsOf);
  const widths: number[] = [];
  // Input channels kept by each layer (by index) and output channels kept by each producer.
  const keepIn = new Map<number, number[]>();
  const keepOut = new Map<number, number[]>();
  chain.prunable.forEach((p, k) => {
    const imp = importance(chain, p, stats[k]!, weights[p.consumer]!);
    const count = Math.max(1, Math.round(p.width * fraction));
    const keep = imp
      .map((v, c) => [v, c] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, count)
      .map(([, c]) => c)
      .sort((a, b) => a - b);
    widths.push(keep.length);
    keepOut.set(p.producer, keep);
    for (const l of p.channelwise) keepIn.set(l, keep);
    keepIn.set(p.consumer, keep);
    // Fold the removed channels' mean into the consumer's bias (when it has one).
    const bias = weights[p.consumer]!.get('bias');
    if (bias) {
      const cls = chain.layers[p.consumer]!.getClassName();
      const of = consumerWeights(cls, weights[p.consumer]!, p.width);
      const positions = stats[k]!.mean.length / p.width;
      const kept = new Set(keep);
      const folded = Float32Array.from(bias.data);
      for (let c = 0; c < p.width; c++) {
        if (kept.has(c)) continue;
        if (cls === 'Dense') {
          for (let q = 0; q < positions; q++) {
            const m = stats[k]!.mean[q * p.width + c]!;
            of(c, q).forEach((v, j) => {
              folded[j]! += m * v;
            });
          }
        } else {
          let m = 0;
          for (let q = 0; q < positions; q++) m += stats[k]!.mean[q * p.width + c]! / positions;
          const e = of(c, 0);
          const out = folded.length;
          for (let i = 0; i < e.length; i++) folded[i % out]! += m * e[i]!;
        }
      }
      weights[p.consumer]!.set('bias', { shape: bias.shape, data: folded });
    }
  });
  // Slice every layer's weights: producers on their outputs, the rest on their inputs.
  const sliced = chain.layers.map((layer, n) => {
    const cls = layer.getClassName();
    const w = weights[n]!;
    const out = keepOut.get(n);
    const inp = keepIn.get(n);
    if (out) {
      const outAxisOf = cls === 'SeparableConv2D' ? 'pointwise_kernel' : 'kernel';
      w.set(outAxisOf, take(w.get(outAxisOf)!, -1, out));
      if (w.has('bias')) w.set('bias', take(w.get('bias')!, 0, out));
    }
    if (inp) {
      if (cls === 'BatchNormalization') {
        for (const [role, v] of w) w.set(role, take(v, 0, inp));
      } else if (cls === 'DepthwiseConv2D') {
        w.set('depthwise_kernel', take(w.get('depthwise_kernel')!, 2, inp));
        if (w.has('bias')) w.set('bias', take(w.get('bias')!, 0, inp));
      } else if (cls === 'SeparableConv2D') {
        const dw = w.get('depthwise_kernel')!;
        const mult = dw.shape[3]!;
        w.set('depthwise_kernel', take(dw, 2, inp));
        const rows = inp.flatMap((c) => Array.from({ length: mult }, (_, m) => c * mult + m));
        w.set('pointwise_kernel', take(w.get('pointwise_kernel')!, 2, rows));
      } else if (cls === 'Dense') {
        const k = w.get('kernel')!;
        const channels = chain.prunable.find((p) => p.consumer === n)!.width;
        const positions = k.shape[0]! / channels;
        const rows = Array.from({ length: positions }, (_, q) => inp.map((c) => q * channels + c)).flat();
        w.set('kernel', take(k, 0, rows));
      } else {
        const k = w.get('kernel')!;
        w.set('kernel', take(k, -2, inp));
      }
    }
    return w;
  });
  // The same topology with the new widths, then the sliced weights layer by layer.
  const topology = model.toJSON(null, false) as unknown as {
    config: { layers: { class_name: string; config: Record<string, unknown> }[] };
  };
  for (const layer of chain.layers) {
    // tfjs's SeparableConv2D leaves its depth multiplier out of its config (it would come back as 1).
    const mult = (layer as unknown as { depthMultiplier?: number }).depthMultiplier;
    const entry = topology.config.layers.find((l) => l.config.name === layer.name);
    if (entry && mult !== undefined) entry.config.depth_multiplier = mult;
  }
  for (const p of chain.prunable) {
    const entry = topology.config.layers.find((l) => l.config.name === p.name)!;
    const key = p.className === 'Dense' ? 'units' : 'filters';
    entry.config[key] = keepOut.get(p.producer)!.length;
  }
  const student = await tflayers.models.modelFromJSON({ modelTopology: topology } as never);
  for (const [n, layer] of chain.layers.entries()) {
    if (layer.weights.length === 0) continue;
    const target = student.getLayer(layer.name);
    const w = sliced[n]!;
    const tensors = target.weights.map((v) => {
      const s = w.get(v.originalName.split('/').pop()!)!;
      return tf.tensor(s.data, s.shape);
    });
    target.setWeights(tensors);
    tf.dispose(tensors);
  }
  return { model: student, widths };
}
