import { TinygateError } from '../errors/index.js';
import { readTflite } from './read.js';
import { loadTfliteRuntime, runtimeLog, type WebModelRunner } from './runtime-loader.js';
import { elementCount } from './tensor-type.js';
import type { TensorTypeName, TfliteModel } from './types.js';

export type TensorData = Float32Array | Int8Array | Uint8Array | Int16Array | Int32Array;

export interface IoTensor {
  index: number;
  name: string;
  type: TensorTypeName;
  shape: number[];
  /** Per-tensor affine quantization (real = scale × (q − zeroPoint)), or null for float tensors. */
  quantization: { scale: number; zeroPoint: number } | null;
}

const ARRAY_FOR: Partial<Record<TensorTypeName, new (n: number) => TensorData>> = {
  float32: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  int32: Int32Array,
};

/**
 * The official TFLite interpreter (tfjs-tflite's wasm build) on one model: describe its I/O, run inputs
 * given as typed arrays. Inputs are copied straight into the interpreter's tensors and outputs copied
 * out, with no tfjs tensors in between, so a call costs little more than the inference itself.
 */
export class TfliteInterpreter {
  readonly model: TfliteModel;
  readonly inputs: IoTensor[];
  readonly outputs: IoTensor[];
  /** What the runtime printed while loading (e.g. "INFO: Created TensorFlow Lite XNNPACK delegate"). */
  readonly log: string[];
  private runner: WebModelRunner | null;
  private inViews: TensorData[];
  private outViews: TensorData[];

  private constructor(model: TfliteModel, runner: WebModelRunner, log: string[]) {
    this.model = model;
    this.runner = runner;
    this.log = log;
    const g = model.subgraphs[0]!;
    const describe = (index: number): IoTensor => {
      const t = g.tensors[index]!;
      const q = t.quantization;
      return {
        index,
        name: t.name,
        type: t.type,
        shape: [...t.shape],
        quantization:
          q && q.scale.length === 1 ? { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0] ?? 0 } : null,
      };
    };
    this.inputs = g.inputs.map(describe);
    this.outputs = g.outputs.map(describe);
    this.inViews = runner.getInputs().map((t) => t.data() as TensorData);
    this.outViews = runner.getOutputs().map((t) => t.data() as TensorData);
    if (this.inViews.length !== this.inputs.length || this.outViews.length !== this.outputs.length) {
      throw new TinygateError(
        'TFLITE_RUNTIME',
        'the interpreter and the model disagree on the number of inputs or outputs',
        {
          kind: 'internal',
        },
      );
    }
  }

  /** Validate `bytes` with readTflite, then hand them to the interpreter. */
  static async load(bytes: Uint8Array, options: { numThreads?: number } = {}): Promise<TfliteInterpreter> {
    const model = readTflite(bytes);
    const runtime = await loadTfliteRuntime();
    const seen = runtimeLog.length;
    const runner = await runtime.createRunner(bytes, options).catch((err: unknown) => {
      const log = runtimeLog.slice(seen);
      throw new TinygateError(
        'TFLITE_REJECTED',
        `the TFLite interpreter refused the model: ${errorText(err, log)}`,
        {
          hint: 'The file reads as valid TFLite but the runtime cannot prepare it (an unsupported op or version?).',
        },
      );
    });
    return new TfliteInterpreter(model, runner, runtimeLog.slice(seen));
  }

  /** Run one inference. `inputs`: one typed array per model input, of its type and element count. */
  run(inputs: TensorData | TensorData[]): TensorData[] {
    const runner = this.live();
    // Loading another model can grow wasm memory, which detaches every view into it: fetch them again.
    if (
      this.inViews.some((v) => v.buffer.byteLength === 0) ||
      this.outViews.some((v) => v.buffer.byteLength === 0)
    ) {
      this.inViews = runner.getInputs().map((t) => t.data() as TensorData);
      this.outViews = runner.getOutputs().map((t) => t.data() as TensorData);
    }
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== this.inputs.length) {
      throw new TinygateError(
        'TFLITE_BAD_INPUT',
        `the model takes ${this.inputs.length} input(s), got ${list.length}`,
      );
    }
    list.forEach((data, i) => {
      const view = this.inViews[i]!;
      const spec = this.inputs[i]!;
      if (data.constructor !== view.constructor) {
        throw new TinygateError(
          'TFLITE_BAD_INPUT',
          `input ${i} "${spec.name}" is ${spec.type}: give a ${view.constructor.name}, not a ${data.constructor.name}`,
          { hint: spec.quantization ? 'Float values go through quantizeInput() first.' : undefined },
        );
      }
      if (data.length !== view.length) {
        throw new TinygateError(
          'TFLITE_BAD_INPUT',
          `input ${i} "${spec.name}" has shape [${spec.shape}] (${view.length} values), got ${data.length}`,
        );
      }
      view.set(data as never);
    });
    if (!runner.infer())
      throw new TinygateError('TFLITE_RUNTIME', 'the TFLite interpreter failed to run the model');
    return this.outViews.map((v) => v.slice());
  }

  /** Run many inferences, one set of inputs each. */
  runBatch(batch: (TensorData | TensorData[])[]): TensorData[][] {
    return batch.map((inputs) => this.run(inputs));
  }

  /** Float values → the input's integer type, with TFLite's rounding (half away from zero) and clamping. */
  quantizeInput(index: number, values: ArrayLike<number>): TensorData {
    return quantize(this.inputs[index]!, values);
  }

  /** An integer output → real values. Float outputs are returned as they are. */
  dequantizeOutput(index: number, data: TensorData): Float32Array {
    return dequantize(this.outputs[index]!, data);
  }

  /** Free the interpreter's wasm memory. */
  close(): void {
    this.runner?.cleanUp();
    this.runner = null;
  }

  private live(): WebModelRunner {
    if (!this.runner)
      throw new TinygateError('TFLITE_CLOSED', 'this interpreter was closed', { kind: 'internal' });
    return this.runner;
  }
}

export function quantize(spec: IoTensor, values: ArrayLike<number>): TensorData {
  const Ctor = ARRAY_FOR[spec.type];
  if (!Ctor)
    throw new TinygateError(
      'TFLITE_UNSUPPORTED',
      `tensor "${spec.name}": type ${spec.type} is not supported for I/O`,
    );
  const out = new Ctor(values.length);
  if (spec.type === 'float32' || !spec.quantization) {
    out.set(values as never);
    return out;
  }
  const { scale, zeroPoint } = spec.quantization;
  const [lo, hi] = RANGE[spec.type] ?? [-2147483648, 2147483647];
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfAway(values[i]! / scale) + zeroPoint;
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return out;
}

export function dequantize(spec: IoTensor, data: TensorData): Float32Array {
  const out = new Float32Array(data.length);
  if (!spec.quantization || spec.type === 'float32') {
    out.set(data);
    return out;
  }
  const { scale, zeroPoint } = spec.quantization;
  for (let i = 0; i < data.length; i++) out[i] = scale * (data[i]! - zeroPoint);
  return out;
}

const RANGE: Partial<Record<TensorTypeName, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
};

const roundHalfAway = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

/** Number of values one input takes. */
export function inputLength(spec: IoTensor): number {
  return elementCount(spec.shape);
}

function errorText(err: unknown, log: string[]): string {
  const own = err instanceof Error ? err.message : String(err);
  const tail = log.filter((l) => !l.startsWith('INFO:')).slice(-3);
  return [own, ...tail].filter(Boolean).join('; ');
}
