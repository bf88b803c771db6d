// gemmlowp's fixed-point exp, reciprocal, logistic and tanh on int32 raw values, and TFLite's int8
// SOFTMAX, LOGISTIC, TANH, ADD/SUB/MUL, MEAN reference kernels built on them — written here in
// TypeScript (BigInt where 64 bits are needed) as an oracle independent of the C runtime.
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const wrap = (v: number) => v | 0;

export function srdhm(a: number, b: number): number {
  if (a === b && a === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n));
}

export function divideByPot(x: number, e: number): number {
  if (e === 0) return x;
  const mask = e >= 31 ? INT32_MAX : (1 << e) - 1;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> Math.min(e, 31)) + ((x & mask) > threshold ? 1 : 0);
}

export function quantizeMultiplier(m: number): [number, number] {
  if (m === 0) return [0, 0];
  let shift = Math.floor(Math.log2(m)) + 1;
  // Math.log2 can land a hair off at exact powers of two: settle frac in [0.5, 1).
  while (m / 2 ** shift >= 1) shift++;
  while (m / 2 ** shift < 0.5) shift--;
  let q = Math.round((m / 2 ** shift) * 2 ** 31);
  if (q === 2 ** 31) {
    q /= 2;
    shift++;
  }
  if (shift < -31) return [0, 0];
  return [q, shift];
}

export function mbqm(x: number, q: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  return divideByPot(srdhm(wrap(x * 2 ** left), q), shift > 0 ? 0 : -shift);
}

/** x·2^e, saturating for e > 0 and rounding for e < 0 (SaturatingRoundingMultiplyByPOT). */
function byPot(x: number, e: number): number {
  if (e <= 0) return divideByPot(x, -e);
  const threshold = 2 ** (31 - e) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return wrap(x * 2 ** e);
}

function expQuarter(a: number): number {
  const c = 1895147668;
  const third = 715827883;
  const x = wrap(a + 2 ** 28);
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const poly = byPot(wrap(srdhm(wrap(byPot(x4, -2) + x3), third) + x2), -1);
  return wrap(c + srdhm(c, wrap(x + poly)));
}

export function expOnNegative(a: number, intBits: number): number {
  const frac = 31 - intBits;
  const quarter = 2 ** (frac - 2);
  const m = wrap((a & (quarter - 1)) - quarter);
  let r = expQuarter(byPot(m, intBits));
  const rem = wrap(m - a);
  const mults = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242];
  for (let k = -2; k <= 4; k++) {
    if (intBits > k && rem & wrap(2 ** (frac + k))) r = srdhm(r, mults[k + 2]!);
  }
  if (intBits > 5 && a < -(2 ** (36 - intBits))) r = 0;
  return a === 0 ? INT32_MAX : r;
}

function reciprocalQ2(a: number): number {
  const sum = a + INT32_MAX;
  const half = Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
  let x = wrap(1515870810 + srdhm(half, -1010580540));
  for (let i = 0; i < 3; i++) {
    const oneMinus = wrap(2 ** 29 - srdhm(half, x));
    x = wrap(x + byPot(srdhm(x, oneMinus), 2));
  }
  return x;
}

const oneOverOnePlus = (a: number) => byPot(reciprocalQ2(a), 1);
const oneMinusOverOnePlus = (a: number) => byPot(wrap(reciprocalQ2(a) - 2 ** 29), 2);

function logisticQ4(a: number): number {
  if (a === 0) return 2 ** 30;
  const p = oneOverOnePlus(expOnNegative(-Math.abs(a), 4));
  return a > 0 ? p : INT32_MAX - p;
}

function tanhQ4(a: number): number {
  if (a === 0) return 0;
  const p = oneMinusOverOnePlus(expOnNegative(-Math.abs(a), 5));
  return a < 0 ? -p : p;
}

const clamp8 = (v: number) => Math.max(-128, Math.min(127, v));

function inputRadius(intBits: number, leftShift: number): number {
  return Math.floor(((2 ** intBits - 1) * 2 ** (31 - intBits)) / 2 ** leftShift);
}

export function softmaxInt8(x: Int8Array, depth: number, beta: number, inScale: number): Int8Array {
  const [q, shift] = quantizeMultiplier(Math.min(beta * inScale * 2 ** 26, INT32_MAX));
  const diffMin = -inputRadius(5, shift);
  const y = new Int8Array(x.length);
  for (let r = 0; r < x.length / depth; r++) {
    const row = x.subarray(r * depth, (r + 1) * depth);
    const max = Math.max(...row);
    const scaled = (v: number) => srdhm(wrap((v - max) * 2 ** shift), q);
    let sum = 0;
    for (const v of row)
      if (v - max >= diffMin) sum = wrap(sum + divideByPot(expOnNegative(scaled(v), 5), 12));
    const headroom = Math.clz32(sum);
    const bitsOverUnit = 12 - headroom;
    const shiftedMinusOne = wrap((sum << headroom) - 2 ** 31);
    const scale = oneOverOnePlus(shiftedMinusOne);
    row.forEach((v, c) => {
      y[r * depth + c] =
        v - max < diffMin
          ? -128
          : clamp8(divideByPot(srdhm(scale, expOnNegative(scaled(v), 5)), bitsOverUnit + 23) - 128);
    });
  }
  return y;
}

export function logisticOrTanhInt8(
  x: Int8Array,
  kind: 'LOGISTIC' | 'TANH',
  scale: number,
  zp: number,
): Int8Array {
  const [q, shift] = quantizeMultiplier(scale * 2 ** 27);
  const radius = inputRadius(4, shift);
  return x.map((v) => {
    const d = v - zp;
    if (d <= -radius) return -128;
    if (d >= radius) return 127;
    const q4 = mbqm(d, q, shift);
    return kind === 'LOGISTIC'
      ? clamp8(divideByPot(logisticQ4(q4), 23) - 128)
      : clamp8(divideByPot(tanhQ4(q4), 24));
  });
}

export interface Quant {
  scale: number;
  zp: number;
}

/** One element of int8 ADD, SUB or MUL (TFLite's 20-bit headroom rescaling for ADD/SUB). */
export function binaryInt8(
  kind: 'ADD' | 'SUB' | 'MUL',
  a: Quant,
  b: Quant,
  out: Quant,
): (x1: number, x2: number) => number {
  if (kind === 'MUL') {
    const [m, s] = quantizeMultiplier((a.scale * b.scale) / out.scale);
    return (x1, x2) => mbqm((x1 - a.zp) * (x2 - b.zp), m, s) + out.zp;
  }
  const twice = 2 * Math.max(a.scale, b.scale);
  const [m1, s1] = quantizeMultiplier(a.scale / twice);
  const [m2, s2] = quantizeMultiplier(b.scale / twice);
  const [mo, so] = quantizeMultiplier(twice / (2 ** 20 * out.scale));
  return (x1, x2) => {
    const v1 = mbqm((x1 - a.zp) * 2 ** 20, m1, s1);
    const v2 = mbqm((x2 - b.zp) * 2 ** 20, m2, s2);
    return mbqm(kind === 'ADD' ? v1 + v2 : v1 - v2, mo, so) + out.zp;
  };
}

/** Mean of `count` int8 values summing to `sum`, requantized (TFLite's QuantizedMeanOrSum). */
export function meanInt8(sum: number, count: number, input: Quant, out: Quant): number {
  const [m, s] = quantizeMultiplier(input.scale / out.scale);
  const bits = Math.min(31 - Math.clz32(count), 32, 31 + s);
  const m2 = Number((BigInt(m) << BigInt(bits)) / BigInt(count));
  return clamp8(mbqm(sum - input.zp * count, m2, s - bits) + out.zp);
}
