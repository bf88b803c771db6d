import { TinygateError } from '../errors/index.js';
import { emptyInput, type Interpreter, type TensorArray } from './interpreter.js';

export interface InferOptions {
  /** Inputs are already the input tensor's integers (no quantization) and outputs stay integers. */
  raw?: boolean;
}

/**
 * Run rows of numbers through a single-input model: floats are quantized for an integer input (unless raw),
 * and integer outputs are dequantized back to floats (unless raw). One result per row: one array per output.
 */
export function inferRows(
  interpreter: Interpreter,
  rows: number[][],
  options: InferOptions = {},
): number[][][] {
  if (interpreter.inputs.length !== 1) {
    throw new TinygateError(
      'NOT_IMPLEMENTED',
      `the model has ${interpreter.inputs.length} inputs; tinygate infer feeds single-input models only`,
      {
        hint: 'Use the Interpreter API (src/tflite) to run multi-input models.',
      },
    );
  }
  const io = interpreter.inputs[0]!;
  return rows.map((row, r) => {
    let input: TensorArray;
    if (options.raw || !io.quantization) {
      input = emptyInput(io);
      if (io.quantization) checkIntegers(row, r, input);
      input.set(row);
    } else {
      input = interpreter.quantizeInput(row);
    }
    return interpreter
      .run(input)
      .map((out, o) => Array.from(options.raw ? out : interpreter.dequantizeOutput(out, o)));
  });
}

function checkIntegers(row: number[], r: number, into: TensorArray): void {
  const bits = into.BYTES_PER_ELEMENT * 8;
  const signed = !(into instanceof Uint8Array);
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const i = row.findIndex((v) => !Number.isInteger(v) || v < lo || v > hi);
  if (i !== -1) {
    throw new TinygateError(
      'INPUT_RAW_RANGE',
      `input ${r + 1} value ${i + 1} is ${row[i]}: --raw takes integers in [${lo}, ${hi}]`,
      {
        hint: 'Drop --raw to pass float values and let tinygate quantize them.',
      },
    );
  }
}
