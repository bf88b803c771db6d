// TFLite's reference int8 FULLY_CONNECTED arithmetic (QuantizeMultiplier, SaturatingRoundingDoublingHighMul,
// RoundingDivideByPOT), written independently of the C runtime, as the oracle for bit-exactness. The
// interpreter in Node runs XNNPACK's kernels, whose requantization differs by a step now and then.
import type { TfliteModel } from '../../src/tflite/index.js';

function quantizeMultiplier(m: number): [number, number] {
  if (m === 0) return [0, 0];
  let shift = Math.floor(Math.log2(m)) + 1;
  let q = Math.round((m / 2 ** shift) * 2 ** 31);
  if (q === 2 ** 31) {
    q /= 2;
    shift++;
  }
  return [q, shift];
}

function highMul(a: number, b: number): number {
  if (a === b && a === -(2 ** 31)) return 2 ** 31 - 1;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n));
}

function divideByPot(x: number, e: number): number {
  const mask = (1 << e) - 1;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + ((x & mask) > threshold ? 1 : 0);
}

/** Run an int8 model made only of FULLY_CONNECTED ops (per-tensor weights, fused NONE/RELU). */
export function referenceFullyConnected(model: TfliteModel, input: Int8Array): Int8Array {
  const g = model.subgraphs[0]!;
  let x = Array.from(input);
  for (const op of g.operators) {
    const [ti, tw, tb] = op.inputs.map((i) => g.tensors[i]!);
    const out = g.tensors[op.outputs[0]!]!;
    const w = new Int8Array(tw!.data!.buffer, tw!.data!.byteOffset, tw!.data!.length);
    const bias = new Int32Array(tb!.data!.slice().buffer);
    const [units, depth] = tw!.shape as [number, number];
    const inZp = ti!.quantization!.zeroPoint[0]!;
    const outZp = out.quantization!.zeroPoint[0]!;
    const [q, shift] = quantizeMultiplier(
      (Math.fround(ti!.quantization!.scale[0]!) * Math.fround(tw!.quantization!.scale[0]!)) /
        Math.fround(out.quantization!.scale[0]!),
    );
    const relu = op.options && 'fusedActivation' in op.options && op.options.fusedActivation === 'RELU';
    const lo = relu ? Math.max(-128, outZp) : -128;
    const y: number[] = [];
    for (let u = 0; u < units; u++) {
      let acc = bias[u]!;
      for (let d = 0; d < depth; d++) acc += w[u * depth + d]! * (x[d]! - inZp);
      const left = shift > 0 ? shift : 0;
      const v = divideByPot(highMul(acc * 2 ** left, q), shift > 0 ? 0 : -shift) + outZp;
      y.push(Math.min(127, Math.max(lo, v)));
    }
    x = y;
  }
  return Int8Array.from(x);
}
