import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TinygateError } from '../errors/index.js';
import { TfliteInterpreter } from '../tflite/index.js';
import type { WasmRuntime } from '../wasm-runtime/index.js';
import { loadSidecar, MODEL_FILES, type ModelSidecar } from './model-dir.js';
import type { WindowScorer } from './scorer.js';

/** The description `tinygate convert` writes into a model folder's int8 file: it names its source. */
export function int8Description(sidecar: ModelSidecar): string {
  return `tinygate int8 of ${sidecar.model.id} ${sidecar.model.hash}`;
}

/**
 * The converted int8 autoencoder: normalizes the features as the float model does, runs the int8 model
 * (quantize in, dequantize out) and scores by the mean squared reconstruction error, against the float
 * model's threshold. The model runs in the official TFLite interpreter, or with `exact` in the boards' own
 * runtime compiled to WebAssembly, so a window scores the same as on a board.
 */
export class Int8AutoencoderScorer implements WindowScorer {
  readonly kind = 'int8' as const;
  readonly id: string;
  readonly hash: string;
  readonly threshold: number;
  readonly bytes: number;
  /** Runs in the boards' arithmetic (the WebAssembly runtime) rather than the interpreter's. */
  readonly exact: boolean;
  private readonly mean: Float32Array;
  private readonly invStd: Float32Array;

  private constructor(
    sidecar: ModelSidecar,
    private readonly interpreter: TfliteInterpreter,
    bytes: number,
    private readonly wasm: WasmRuntime | null,
  ) {
    this.exact = wasm !== null;
    this.id = sidecar.model.id;
    this.hash = sidecar.model.hash;
    this.threshold = sidecar.threshold.value;
    this.bytes = bytes;
    this.mean = Float32Array.from(sidecar.normalization.mean);
    this.invStd = Float32Array.from(sidecar.normalization.std, (v) => 1 / v);
  }

  /** From a model folder holding model.int8.tflite, or that .tflite itself inside its folder. */
  static async open(path: string, o: { exact?: boolean } = {}): Promise<Int8AutoencoderScorer> {
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
    let wasm: WasmRuntime | null = null;
    if (o.exact) {
      try {
        // Loaded only for scorer: int8-exact.
        wasm = await (await import('../wasm-runtime/index.js')).WasmRuntime.load(bytes);
      } catch (err) {
        interpreter.close();
        throw err;
      }
    }
    return new Int8AutoencoderScorer(sidecar, interpreter, bytes.length, wasm);
  }

  /** The model's int8 input for one feature vector, and the normalized vector it reconstructs. */
  modelInput(features: Float32Array): { normalized: Float32Array; input: Int8Array } {
    const n = this.mean.length;
    const normalized = new Float32Array(n);
    for (let i = 0; i < n; i++) normalized[i] = (features[i]! - this.mean[i]!) * this.invStd[i]!;
    return { normalized, input: this.interpreter.quantizeInput(0, normalized) as Int8Array };
  }

  /** Mean squared reconstruction error of the model's int8 output (from here or from a board). */
  errorOf(normalized: Float32Array, output: Int8Array): number {
    // A board running another model can answer with another size: a short output would score NaN.
    if (output.length !== normalized.length) {
      throw new TinygateError(
        'MODEL_OUTPUT_SIZE',
        `model ${this.id}: the output has ${output.length} values, the model reconstructs ${normalized.length}`,
        { hint: 'The answer came from another model: flash this one again.' },
      );
    }
    const y = this.interpreter.dequantizeOutput(0, output);
    let e = 0;
    for (let i = 0; i < normalized.length; i++) e += (y[i]! - normalized[i]!) ** 2;
    return e / normalized.length;
  }

  scoreBatch(features: Float32Array[]): Float32Array {
    return Float32Array.from(features, (f) => {
      const { normalized, input } = this.modelInput(f);
      const output = this.wasm
        ? new Int8Array(this.wasm.run(input).buffer)
        : (this.interpreter.run(input)[0] as Int8Array);
      return this.errorOf(normalized, output);
    });
  }

  dispose(): void {
    this.interpreter.close();
  }
}
