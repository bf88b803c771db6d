// Hand-built 16x8 models (int16 activations with zero point 0, int8 symmetric weights, int64 or int32 bias),
// as TFLite's 16x8 quantization writes them: FULLY_CONNECTED and CONV_2D, per-tensor or per-channel, with
// fused activations, padding, strides and dilation. Weights, biases and scales come from a seeded generator.
import { rng } from '../tflite/reference.js';
import { fullyConnectedOptions, Int8Graph } from './int8-graph.js';

export type BiasKind = 'int64' | 'int32' | 'none';
export type Fused = 'NONE' | 'RELU' | 'RELU6';

interface Weighted {
  perChannel: boolean;
  bias: BiasKind;
  activation: Fused;
  seed: number;
}

const f32 = Math.fround;

/** Random int8 weights in [-127, 127] and scales (one, or one per output channel) around `scale`. */
function weights(next: () => number, count: number, channels: number, perChannel: boolean, scale: number) {
  const data = Int8Array.from({ length: count }, () => Math.round((next() * 2 - 1) * 127));
  const scales = Array.from({ length: perChannel ? channels : 1 }, () => f32(scale * (0.5 + next())));
  return { data, scales };
}

/** The bias tensor (scale input × weight per channel, as TFLite requires), or -1 for none. */
function bias(
  g: Int8Graph,
  next: () => number,
  kind: BiasKind,
  channels: number,
  inScale: number,
  wScales: number[],
  spread: number,
) {
  if (kind === 'none') return -1;
  const values = Array.from({ length: channels }, () => Math.round((next() * 2 - 1) * spread));
  const bytes =
    kind === 'int64'
      ? new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer)
      : new Uint8Array(Int32Array.from(values).buffer);
  return g.constant(
    [channels],
    kind,
    bytes,
    wScales.map((s) => f32(inScale * s)),
  );
}

/** FULLY_CONNECTED from int16 [batches, depth] to int16 [batches, units]. */
export function fullyConnected16x8(
  o: Weighted & { depth: number; units: number; batches?: number; inScale?: number; outScale?: number },
): Uint8Array {
  const next = rng(o.seed);
  const g = new Int8Graph();
  const batches = o.batches ?? 1;
  const inScale = f32(o.inScale ?? 1 / 4096);
  const x = g.activation([batches, o.depth], 'int16', inScale, 0);
  const w = weights(next, o.units * o.depth, o.units, o.perChannel, 0.01);
  const wt = g.constant([o.units, o.depth], 'int8', new Uint8Array(w.data.buffer), w.scales);
  // Outputs of random full-range inputs span most of int16 (and saturate now and then).
  const outScale = f32(o.outScale ?? (inScale * 0.01 * Math.sqrt(o.depth) * 73 * 18900) / 12000);
  const b = bias(g, next, o.bias, o.units, inScale, w.scales, 4_000_000);
  const inputs = b < 0 ? [x, wt] : [x, wt, b];
  const y = g.op(
    9,
    7,
    inputs,
    g.activation([batches, o.units], 'int16', outScale, 0),
    fullyConnectedOptions(o.activation),
  );
  return g.build(x, y);
}

/** CONV_2D from int16 [1, h, w, cin] to int16 NHWC with `cout` filters of kh × kw. */
export function conv16x8(
  o: Weighted & {
    h: number;
    w: number;
    cin: number;
    cout: number;
    kh: number;
    kw: number;
    padding: 'SAME' | 'VALID';
    stride: [number, number];
    dilation?: [number, number];
  },
): Uint8Array {
  const next = rng(o.seed);
  const g = new Int8Graph();
  const [sh, sw] = o.stride;
  const [dh, dw] = o.dilation ?? [1, 1];
  const eh = (o.kh - 1) * dh + 1;
  const ew = (o.kw - 1) * dw + 1;
  const outH = o.padding === 'SAME' ? Math.ceil(o.h / sh) : Math.ceil((o.h - eh + 1) / sh);
  const outW = o.padding === 'SAME' ? Math.ceil(o.w / sw) : Math.ceil((o.w - ew + 1) / sw);
  const inScale = f32(1 / 4096);
  const x = g.activation([1, o.h, o.w, o.cin], 'int16', inScale, 0);
  const w = weights(next, o.cout * o.kh * o.kw * o.cin, o.cout, o.perChannel, 0.01);
  const wt = g.constant([o.cout, o.kh, o.kw, o.cin], 'int8', new Uint8Array(w.data.buffer), w.scales);
  const depth = o.kh * o.kw * o.cin;
  const outScale = f32((inScale * 0.01 * Math.sqrt(depth) * 73 * 18900) / 12000);
  const b = bias(g, next, o.bias, o.cout, inScale, w.scales, 4_000_000);
  const inputs = b < 0 ? [x, wt] : [x, wt, b];
  const y = g.op(3, 4, inputs, g.activation([1, outH, outW, o.cout], 'int16', outScale, 0), {
    type: 'Conv2DOptions',
    padding: o.padding,
    strideW: sw,
    strideH: sh,
    fusedActivation: o.activation,
    dilationW: dw,
    dilationH: dh,
    quantizedBiasType: 'float32',
  } as never);
  return g.build(x, y);
}

/** CONV_2D (SAME, stride 2, RELU) → RESHAPE → FULLY_CONNECTED, int16 all through: 16x8 layers in a chain. */
export function convDense16x8(seed: number): Uint8Array {
  const next = rng(seed);
  const g = new Int8Graph();
  const inScale = f32(1 / 4096);
  const x = g.activation([1, 6, 6, 2], 'int16', inScale, 0);
  const cw = weights(next, 4 * 3 * 3 * 2, 4, true, 0.01);
  const cwt = g.constant([4, 3, 3, 2], 'int8', new Uint8Array(cw.data.buffer), cw.scales);
  const cb = bias(g, next, 'int64', 4, inScale, cw.scales, 2_000_000);
  const convScale = f32((inScale * 0.01 * Math.sqrt(18) * 73 * 18900) / 12000);
  const conv = g.op(3, 4, [x, cwt, cb], g.activation([1, 3, 3, 4], 'int16', convScale, 0), {
    type: 'Conv2DOptions',
    padding: 'SAME',
    strideW: 2,
    strideH: 2,
    fusedActivation: 'RELU',
    dilationW: 1,
    dilationH: 1,
    quantizedBiasType: 'float32',
  } as never);
  const shape = g.constant([2], 'int32', new Uint8Array(Int32Array.from([1, 36]).buffer), null);
  const flat = g.op(22, 1, [conv, shape], g.activation([1, 36], 'int16', convScale, 0), {
    type: 'ReshapeOptions',
    newShape: [1, 36],
  } as never);
  const fw = weights(next, 5 * 36, 5, true, 0.01);
  const fwt = g.constant([5, 36], 'int8', new Uint8Array(fw.data.buffer), fw.scales);
  const fb = bias(g, next, 'int64', 5, convScale, fw.scales, 2_000_000);
  const outScale = f32((convScale * 0.01 * Math.sqrt(36) * 73 * 6000) / 12000);
  const y = g.op(
    9,
    7,
    [flat, fwt, fb],
    g.activation([1, 5], 'int16', outScale, 0),
    fullyConnectedOptions('NONE'),
  );
  return g.build(x, y);
}
