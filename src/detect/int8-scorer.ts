import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TinygateError } from '../errors/index.js';
import { type IoTensor, type TensorData, TfliteInterpreter } from '../tflite/index.js';
import { loadSidecar, MODEL_FILES, type ModelSidecar } from './model-dir.js';
import type { WindowScorer } from './scorer.js';

/** The description `tinygate convert` writes into a model folder's int8 file: it names its source. */
export function int8Description(sidecar: ModelSidecar): string {
  return `tinygate int8 of ${sidecar.model.id} ${sidecar.model.hash}`;
}

/**
 * The converted int8 autoencoder in the official TFLite interpreter: normalizes the features as the
 * float model does, runs the int8 model (quantize in, dequantize out) and scores by the mean squared
 * reconstruction error, against the float model's threshold.
 */
export class Int8AutoencoderScorer implements WindowScorer {
  readonly kind = 'int8' as const;
  readonly id: string;
  readonly hash: string;
  readonly threshold: number;
  readonly bytes: number;
  private readonly mean: Float32Array;
  private readonly invStd: Float32Array;

  private constructor(
    sidecar: ModelSidecar,
    private readonly interpreter: TfliteInterpreter,
    bytes: number,
  ) {
    this.id = sidecar.model.id;
    this.hash = sidecar.model.hash;
    this.threshold = sidecar.threshold.value;
    this.bytes = bytes;
    this.mean = Float32Array.from(sidecar.normalization.mean);
    this.invStd = Float32Array.from(sidecar.normalization.std, (v) => 1 / v);
  }

  /** From a model folder holding model.int8.tflite, or that .tflite itself inside its folder. */
  static async open(path: string): Promise<Int8AutoencoderScorer> {
    const dir = path.endsWith('.tflite') ? dirname(path) : path;
    const file = path.endsWith('.tflite') ? path : join(dir, MODEL_FILES.int8);
    if (!existsSync(file)) {
      throw new TinygateError('MODEL_NO_INT8', `${file} is missing`, {
        hint: `Convert the model first: tinygate convert ${dir} --calib <recording.csv> -o ${join(dir, MODEL_FILES.int8)}`,
      });
    }
    const { sidecar } = loadSidecar(dir);
    const bytes = new Uint8Array(readFileSync(file));
    const interpreter = await TfliteInterpreter.load(bytes);
    const expected = int8Description(sidecar);
    if (interpreter.model.description !== expected) {
      interpreter.close();
      throw new TinygateError(
        'MODEL_INT8_STALE',
        `${basename(file)} was not converted from this model (${interpreter.model.description ?? 'no description'}; expected "${expected}")`,
        { hint: `Convert again: tinygate convert ${dir} --calib <recording.csv> -o ${file}` },
      );
    }
    return new Int8AutoencoderScorer(sidecar, interpreter, bytes.length);
  }

  scoreBatch(features: Float32Array[]): Float32Array {
    const out = new Float32Array(features.length);
    features.forEach((f, w) => {
      const { normalized, tensor } = this.modelInput(f);
      out[w] = this.errorOf(normalized, this.interpreter.run(tensor)[0]!);
    });
    return out;
  }

  /** The model's input tensor for one window (normalized, then quantized), and the normalized features. */
  modelInput(features: Float32Array): { normalized: Float32Array; tensor: TensorData } {
    const n = this.mean.length;
    const normalized = new Float32Array(n);
    for (let i = 0; i < n; i++) normalized[i] = (features[i]! - this.mean[i]!) * this.invStd[i]!;
    return { normalized, tensor: this.interpreter.quantizeInput(0, normalized) };
  }

  /** The score of one window from the model's raw output tensor (from this interpreter or a board). */
  errorOf(normalized: Float32Array, output: TensorData): number {
    const n = normalized.length;
    const y = this.interpreter.dequantizeOutput(0, output);
    if (y.length !== n) {
      throw new TinygateError(
        'MODEL_OUTPUT_SIZE',
        `model ${this.id}: the output has ${y.length} values, the features ${n}`,
        { kind: 'internal' },
      );
    }
    let e = 0;
    for (let i = 0; i < n; i++) e += (y[i]! - normalized[i]!) ** 2;
    return e / n;
  }

  /** The model's input and output tensors (type, shape, quantization), for running it elsewhere. */
  get io(): { input: IoTensor; output: IoTensor } {
    return { input: this.interpreter.inputs[0]!, output: this.interpreter.outputs[0]! };
  }

  dispose(): void {
    this.interpreter.close();
  }
}
