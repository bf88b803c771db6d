import { TinygateError } from '../errors/index.js';
import type { TensorTypeName } from './types.js';

/** TensorType enum value → name, in TFLite's numbering. */
export const TENSOR_TYPE_NAMES: readonly TensorTypeName[] = [
  'float32',
  'float16',
  'int32',
  'uint8',
  'int64',
  'string',
  'bool',
  'int16',
  'complex64',
  'int8',
  'float64',
  'complex128',
  'uint64',
  'resource',
  'variant',
  'uint32',
  'uint16',
  'int4',
];

/** Bytes per element; null for types whose size is not fixed (string, resource, variant). int4 packs two. */
const ELEMENT_BYTES: Record<TensorTypeName, number | null> = {
  float32: 4,
  float16: 2,
  int32: 4,
  uint8: 1,
  int64: 8,
  string: null,
  bool: 1,
  int16: 2,
  complex64: 8,
  int8: 1,
  float64: 8,
  complex128: 16,
  uint64: 8,
  resource: null,
  variant: null,
  uint32: 4,
  uint16: 2,
  int4: 0.5,
};

export function tensorTypeName(value: number, where: string): TensorTypeName {
  const name = TENSOR_TYPE_NAMES[value];
  if (name === undefined) {
    throw new TinygateError('TFLITE_INVALID', `${where}: unknown tensor type ${value}`, {
      hint: `tinygate knows TFLite tensor types 0–${TENSOR_TYPE_NAMES.length - 1}; the file is corrupt or from a newer schema.`,
    });
  }
  return name;
}

export function tensorTypeValue(name: TensorTypeName): number {
  const value = TENSOR_TYPE_NAMES.indexOf(name);
  if (value < 0)
    throw new TinygateError('TFLITE_INVALID', `unknown tensor type "${name}"`, { kind: 'internal' });
  return value;
}

/** Bytes per element, or null when the type has no fixed size. */
export function elementBytes(type: TensorTypeName): number | null {
  return ELEMENT_BYTES[type];
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Bytes a dense tensor of this shape and type occupies (int4 rounds up), or null for variable-size types. */
export function tensorBytes(shape: readonly number[], type: TensorTypeName): number | null {
  const size = ELEMENT_BYTES[type];
  return size === null ? null : Math.ceil(elementCount(shape) * size);
}
