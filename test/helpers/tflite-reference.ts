// TFLite's reference int8 kernels (FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, AVERAGE/MAX_POOL_2D,
// RESHAPE) with its fixed-point requantization, written independently of the C runtime, as the oracle
// for bit-exactness. The interpreter in Node runs XNNPACK's kernels, which round differently at times.
import { operatorName, type TfliteModel, type TfliteTensor } from '../../src/tflite/index.js';
import { binaryInt8, logisticOrTanhInt8, meanInt8, softmaxInt8 } from './gemmlowp-reference.js';

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

function mbqm(acc: number, m: number): number {
  const [q, shift] = quantizeMultiplier(m);
  return divideByPot(highMul(acc * 2 ** (shift > 0 ? shift : 0), q), shift > 0 ? 0 : -shift);
}

const int8 = (t: TfliteTensor) => new Int8Array(t.data!.buffer, t.data!.byteOffset, t.data!.length);
const int32 = (t: TfliteTensor) => new Int32Array(t.data!.slice().buffer);
const f = Math.fround;

function range(act: string | undefined, out: TfliteTensor): [number, number] {
  const zp = out.quantization!.zeroPoint[0]!;
  const s = out.quantization!.scale[0]!;
  if (act === 'RELU') return [Math.max(-128, zp), 127];
  if (act === 'RELU6') return [Math.max(-128, zp), Math.min(127, zp + Math.round(f(6 / s)))];
  return [-128, 127];
}

const padBefore = (inn: number, out: number, filter: number, stride: number, dil: number, pad: string) =>
  pad === 'VALID' ? 0 : Math.max(0, Math.floor(((out - 1) * stride + (filter - 1) * dil + 1 - inn) / 2));

/** Run an int8 model of the ops above on one input; returns the output tensor's values. */
export function referenceInt8(model: TfliteModel, input: Int8Array): Int8Array {
  const g = model.subgraphs[0]!;
  const values = new Map<number, Int8Array>([[g.inputs[0]!, input]]);
  for (const op of g.operators) {
    const name = operatorName(model, op);
    const x = values.get(op.inputs[0]!)!;
    const tin = g.tensors[op.inputs[0]!]!;
    const tout = g.tensors[op.outputs[0]!]!;
    const out = new Int8Array(tout.shape.reduce((a, b) => a * b, 1));
    const inZp = tin.quantization?.zeroPoint[0] ?? 0;
    const outZp = tout.quantization?.zeroPoint[0] ?? 0;
    const o = (op.options ?? {}) as Record<string, unknown>;
    const [lo, hi] = range(o.fusedActivation as string | undefined, tout);
    const clamp = (v: number) => Math.min(hi, Math.max(lo, v));
    const q = (t: TfliteTensor) => ({ scale: t.quantization!.scale[0]!, zp: t.quantization!.zeroPoint[0]! });
    const input = (k: number) => values.get(op.inputs[k]!) ?? int8(g.tensors[op.inputs[k]!]!);
    const shape4 = (t: TfliteTensor) => [1, 1, 1, 1, ...t.shape].slice(-4);
    if (name === 'RESHAPE' || name === 'SQUEEZE') {
      out.set(x);
    } else if (name === 'SOFTMAX') {
      out.set(softmaxInt8(x, tin.shape.at(-1)!, o.beta as number, q(tin).scale));
    } else if (name === 'LOGISTIC' || name === 'TANH') {
      out.set(logisticOrTanhInt8(x, name, q(tin).scale, q(tin).zp));
    } else if (name === 'ADD' || name === 'SUB' || name === 'MUL') {
      const t2 = g.tensors[op.inputs[1]!]!;
      const fn = binaryInt8(name, q(tin), q(t2), q(tout));
      const [sa, sb, so] = [shape4(tin), shape4(t2), shape4(tout)];
      const at = (s: number[], i: number[]) => i.reduce((acc, v, k) => acc * s[k]! + (s[k] === 1 ? 0 : v), 0);
      const x2 = input(1);
      let n = 0;
      for (let a = 0; a < so[0]!; a++)
        for (let b = 0; b < so[1]!; b++)
          for (let c = 0; c < so[2]!; c++)
            for (let d = 0; d < so[3]!; d++) {
              const i = [a, b, c, d];
              out[n++] = clamp(fn(x[at(sa, i)]!, x2[at(sb, i)]!));
            }
    } else if (name === 'CONCATENATION') {
      const axis = (o.axis as number) < 0 ? (o.axis as number) + tout.shape.length : (o.axis as number);
      const outer = tout.shape.slice(0, axis).reduce((a, b) => a * b, 1);
      let n = 0;
      for (let i = 0; i < outer; i++)
        for (let k = 0; k < op.inputs.length; k++) {
          const tk = g.tensors[op.inputs[k]!]!;
          const block = tk.shape.slice(axis).reduce((a, b) => a * b, 1);
          out.set(input(k).subarray(i * block, (i + 1) * block), n);
          n += block;
        }
    } else if (name === 'PAD') {
      const pads = int32(g.tensors[op.inputs[1]!]!);
      const r = tin.shape.length;
      const before = [0, 0, 0, 0, ...Array.from({ length: r }, (_, k) => pads[2 * k]!)].slice(-4);
      const [si, so] = [shape4(tin), shape4(tout)];
      let n = 0;
      for (let a = 0; a < so[0]!; a++)
        for (let b = 0; b < so[1]!; b++)
          for (let c = 0; c < so[2]!; c++)
            for (let d = 0; d < so[3]!; d++) {
              const j = [a, b, c, d].map((v, k) => v - before[k]!);
              const inside = j.every((v, k) => v >= 0 && v < si[k]!);
              out[n++] = inside ? x[j.reduce((acc, v, k) => acc * si[k]! + v, 0)]! : outZp;
            }
    } else if (name === 'MEAN') {
      const r = tin.shape.length;
      const axes = [...int32(g.tensors[op.inputs[1]!]!)].map((a) => (a < 0 ? a + r : a) + 4 - r);
      const si = shape4(tin);
      const sums = new Map<number, { sum: number; count: number }>();
      let n = 0;
      for (let a = 0; a < si[0]!; a++)
        for (let b = 0; b < si[1]!; b++)
          for (let c = 0; c < si[2]!; c++)
            for (let d = 0; d < si[3]!; d++) {
              const key = [a, b, c, d].reduce((acc, v, k) => acc * si[k]! + (axes.includes(k) ? 0 : v), 0);
              const e = sums.get(key) ?? { sum: 0, count: 0 };
              e.sum += x[n++]!;
              e.count++;
              sums.set(key, e);
            }
      [...sums.keys()]
        .sort((p1, p2) => p1 - p2)
        .forEach((key, i) => {
          const e = sums.get(key)!;
          out[i] = meanInt8(e.sum, e.count, q(tin), q(tout));
        });
    } else if (name === 'FULLY_CONNECTED' || name === 'CONV_2D' || name === 'DEPTHWISE_CONV_2D') {
      const tw = g.tensors[op.inputs[1]!]!;
      const w = int8(tw);
      const bias = int32(g.tensors[op.inputs[2]!]!);
      const ws = tw.quantization!.scale;
      const mult = (c: number) =>
        (f(tin.quantization!.scale[0]!) * f(ws.length > 1 ? ws[c]! : ws[0]!)) /
        f(tout.quantization!.scale[0]!);
      if (name === 'FULLY_CONNECTED') {
        const [units, depth] = tw.shape as [number, number];
        for (let u = 0; u < units; u++) {
          let acc = bias[u]!;
          for (let d = 0; d < depth; d++) acc += w[u * depth + d]! * (x[d]! - inZp);
          out[u] = clamp(mbqm(acc, mult(u)) + outZp);
        }
      } else {
        const [, ih, iw, ic] = tin.shape as number[];
        const [, oh, ow, oc] = tout.shape as number[];
        const [, fh, fw] = tw.shape as number[];
        const sh = o.strideH as number;
        const sw = o.strideW as number;
        const dh = (o.dilationH as number) ?? 1;
        const dw = (o.dilationW as number) ?? 1;
        const ph = padBefore(ih!, oh!, fh!, sh, dh, o.padding as string);
        const pw = padBefore(iw!, ow!, fw!, sw, dw, o.padding as string);
        const m = name === 'DEPTHWISE_CONV_2D' ? (o.depthMultiplier as number) : 1;
        for (let y = 0; y < oh!; y++)
          for (let xx = 0; xx < ow!; xx++)
            for (let c = 0; c < oc!; c++) {
              let acc = 0;
              for (let fy = 0; fy < fh!; fy++) {
                const iy = y * sh - ph + dh * fy;
                if (iy < 0 || iy >= ih!) continue;
                for (let fx = 0; fx < fw!; fx++) {
                  const ix = xx * sw - pw + dw * fx;
                  if (ix < 0 || ix >= iw!) continue;
                  const base = (iy * iw! + ix) * ic!;
                  if (name === 'DEPTHWISE_CONV_2D') {
                    acc += w[(fy * fw! + fx) * oc! + c]! * (x[base + Math.floor(c / m)]! - inZp);
                  } else {
                    for (let k = 0; k < ic!; k++)
                      acc += w[((c * fh! + fy) * fw! + fx) * ic! + k]! * (x[base + k]! - inZp);
                  }
                }
              }
              acc += bias[c]!;
              out[(y * ow! + xx) * oc! + c] = clamp(mbqm(acc, mult(c)) + outZp);
            }
      }
    } else if (name === 'AVERAGE_POOL_2D' || name === 'MAX_POOL_2D') {
      const [, ih, iw, ch] = tin.shape as number[];
      const [, oh, ow] = tout.shape as number[];
      const fh = o.filterHeight as number;
      const fw = o.filterWidth as number;
      const sh = o.strideH as number;
      const sw = o.strideW as number;
      const ph = padBefore(ih!, oh!, fh, sh, 1, o.padding as string);
      const pw = padBefore(iw!, ow!, fw, sw, 1, o.padding as string);
      for (let y = 0; y < oh!; y++)
        for (let xx = 0; xx < ow!; xx++)
          for (let c = 0; c < ch!; c++) {
            let acc = name === 'MAX_POOL_2D' ? -128 : 0;
            let count = 0;
            for (let fy = 0; fy < fh; fy++)
              for (let fx = 0; fx < fw; fx++) {
                const iy = y * sh - ph + fy;
                const ix = xx * sw - pw + fx;
                if (iy < 0 || iy >= ih! || ix < 0 || ix >= iw!) continue;
                const v = x[(iy * iw! + ix) * ch! + c]!;
                acc = name === 'MAX_POOL_2D' ? Math.max(acc, v) : acc + v;
                count++;
              }
            if (name === 'AVERAGE_POOL_2D' && count)
              acc =
                acc > 0
                  ? Math.trunc((acc + Math.trunc(count / 2)) / count)
                  : Math.trunc((acc - Math.trunc(count / 2)) / count);
            out[(y * ow! + xx) * ch! + c] = clamp(acc);
          }
    } else {
      throw new Error(`the reference has no ${name}`);
    }
    values.set(op.outputs[0]!, out);
  }
  return values.get(g.outputs[0]!)!;
}

/** Kept for the FC-only callers. */
export const referenceFullyConnected = referenceInt8;
