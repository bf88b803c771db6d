import { TinygateError } from '../errors/index.js';

/** Per-tensor affine quantization: real = scale × (q − zeroPoint). */
export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

export type QuantizedType = 'int8' | 'uint8' | 'int16';
export type QuantizedArray = Int8Array | Uint8Array | Int16Array;

const RANGES: Record<QuantizedType, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
};

// TFLite rounds half away from zero (std::round), not half up like Math.round.
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Floats to integers the way TFLite's QUANTIZE kernel does: round(x / scale) in float32, plus the
 * zero point, saturated to the type's range.
 */
export function quantize(
  values: ArrayLike<number>,
  q: QuantParams,
  type: QuantizedType = 'int8',
): QuantizedArray {
  if (!(q.scale > 0) || !Number.isFinite(q.scale)) {
    throw new TinygateError('TFLITE_QUANTIZATION', `cannot quantize with scale ${q.scale}`, {
      hint: 'The tensor has no usable quantization parameters; pass float data to a float model instead.',
    });
  }
  const [lo, hi] = RANGES[type];
  const out =
    type === 'int8'
      ? new Int8Array(values.length)
      : type === 'uint8'
        ? new Uint8Array(values.length)
        : new Int16Array(values.length);
  const scale = Math.fround(q.scale);
  for (let i = 0; i < values.length; i++) {
    const v = roundHalfAway(Math.fround(Math.fround(values[i]!) / scale)) + q.zeroPoint;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** Integers back to floats: scale × (q − zeroPoint), in float32 like TFLite's DEQUANTIZE. */
export function dequantize(values: ArrayLike<number>, q: QuantParams): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = q.scale * (values[i]! - q.zeroPoint);
  return out;
}
