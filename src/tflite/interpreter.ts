import { TinygateError } from '../errors/index.js';
import { type QuantParams, quantize, dequantize as toFloat } from './quantize.js';
import { readTflite } from './read.js';
import {
  loadTfliteRuntime,
  runtimeMessages,
  type TfliteModelRunner,
  type TfliteRunnerTensor,
} from './runtime.js';
import { elementCount } from './tensor-type.js';
import type { TensorTypeName, TfliteModel } from './types.js';

/** The typed array that carries each tensor type in and out of the interpreter. */
export type TensorArray =
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | Float64Array;

const ARRAY_FOR: Partial<Record<TensorTypeName, { name: string; make: (n: number) => TensorArray }>> = {
  float32: { name: 'Float32Array', make: (n) => new Float32Array(n) },
  float64: { name: 'Float64Array', make: (n) => new Float64Array(n) },
  int8: { name: 'Int8Array', make: (n) => new Int8Array(n) },
  uint8: { name: 'Uint8Array', make: (n) => new Uint8Array(n) },
  bool: { name: 'Uint8Array', make: (n) => new Uint8Array(n) },
  int16: { name: 'Int16Array', make: (n) => new Int16Array(n) },
  int32: { name: 'Int32Array', make: (n) => new Int32Array(n) },
  uint32: { name: 'Uint32Array', make: (n) => new Uint32Array(n) },
};

export interface IoTensor {
  /** Position among the model's inputs (or outputs). */
  position: number;
  /** Tensor index in subgraph 0. */
  tensorIndex: number;
  name: string;
  shape: number[];
  type: TensorTypeName;
  /** Elements per inference. */
  size: number;
  /** Per-tensor quantization of int8/uint8/int16 I/O; null for float I/O. */
  quantization: QuantParams | null;
}

/** One inference's inputs: a typed array when the model has one input, else one per input in order. */
export type Inputs = TensorArray | TensorArray[];

/**
 * The official TFLite interpreter (tfjs-tflite's wasm build) behind a small API: load bytes, see the I/O
 * with quantization, run one input or a batch. Single-threaded; one call runs one inference.
 */
export class Interpreter {
  readonly inputs: IoTensor[];
  readonly outputs: IoTensor[];
  private disposed = false;
  // The runtime's tensor handles, fetched once: each data() call gives a fresh view of wasm memory.
  private readonly runnerInputs: TfliteRunnerTensor[];
  private readonly runnerOutputs: TfliteRunnerTensor[];

  private constructor(
    /** The model as tinygate reads it (validated before the runtime sees it). */
    readonly model: TfliteModel,
    private readonly runner: TfliteModelRunner,
  ) {
    const g = model.subgraphs[0]!;
    this.runnerInputs = runner.getInputs();
    this.runnerOutputs = runner.getOutputs();
    this.inputs = describe(model, g.inputs, this.runnerInputs, 'input');
    this.outputs = describe(model, g.outputs, this.runnerOutputs, 'output');
  }

  /** Validate the bytes with readTflite, then hand them to the TFLite runtime. */
  static async load(bytes: Uint8Array): Promise<Interpreter> {
    const model = readTflite(bytes);
    const tflite = await loadTfliteRuntime();
    const copy = new Uint8Array(bytes).buffer; // a copy that owns its memory (a Node Buffer may share a pool)
    let handle: Awaited<ReturnType<typeof tflite.loadTFLiteModel>>;
    try {
      handle = await tflite.loadTFLiteModel(copy, { numThreads: 1 });
    } catch (err) {
      throw new TinygateError(
        'TFLITE_INTERPRETER',
        `the TFLite interpreter refused the model: ${errorText(err)}`,
        {
          hint: 'The file is well-formed but TFLite cannot prepare it (an unsupported op or version, or inconsistent shapes).',
          details: { runtime: runtimeMessages.slice(-10) },
          cause: err,
        },
      );
    }
    return new Interpreter(model, handle.modelRunner);
  }

  /** Run one inference; returns each output as a fresh typed array (float32 or the tensor's integer type). */
  run(inputs: Inputs): TensorArray[] {
    this.checkAlive();
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== this.inputs.length) {
      throw new TinygateError(
        'TFLITE_INPUT',
        `the model takes ${this.inputs.length} inputs, got ${list.length}`,
        {
          hint: `Pass one typed array per input: ${this.inputs.map(label).join(', ')}.`,
        },
      );
    }
    const runnerInputs = this.runnerInputs;
    for (let i = 0; i < list.length; i++) {
      const value = list[i]!;
      const io = this.inputs[i]!;
      checkInput(value, io);
      runnerInputs[i]!.data().set(value as ArrayLike<number>);
    }
    if (!this.runner.infer()) {
      throw new TinygateError('TFLITE_INFERENCE', 'the TFLite interpreter failed to run the model', {
        details: { runtime: runtimeMessages.slice(-10) },
      });
    }
    return this.runnerOutputs.map((t) => t.data().slice());
  }

  /** Run many inferences in order (the model's batch size stays 1); one result per input. */
  runBatch(batch: Inputs[]): TensorArray[][] {
    return batch.map((inputs) => this.run(inputs));
  }

  /** Floats to the input's integer type with its quantization (identity copy for a float input). */
  quantizeInput(values: ArrayLike<number>, position = 0): TensorArray {
    const io = this.io(this.inputs, position, 'input');
    if (!io.quantization) return Float32Array.from(values);
    return quantize(values, io.quantization, io.type as 'int8' | 'uint8' | 'int16');
  }

  /** An output's integers back to floats with its quantization (a copy as float32 for a float output). */
  dequantizeOutput(values: ArrayLike<number>, position = 0): Float32Array {
    const io = this.io(this.outputs, position, 'output');
    return io.quantization ? toFloat(values, io.quantization) : Float32Array.from(values);
  }

  /** Free the model's wasm memory; the interpreter cannot run afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.cleanUp();
  }

  private io(list: IoTensor[], position: number, kind: string): IoTensor {
    const io = list[position];
    if (!io)
      throw new TinygateError('TFLITE_INPUT', `the model has no ${kind} ${position} (it has ${list.length})`);
    return io;
  }

  private checkAlive(): void {
    if (this.disposed) {
      throw new TinygateError('TFLITE_DISPOSED', 'this interpreter was disposed', {
        kind: 'internal',
        hint: 'Load the model again with Interpreter.load().',
      });
    }
  }
}

function describe(
  model: TfliteModel,
  tensorIndices: number[],
  runnerTensors: TfliteRunnerTensor[],
  kind: 'input' | 'output',
): IoTensor[] {
  if (runnerTensors.length !== tensorIndices.length) {
    throw new TinygateError(
      'TFLITE_INTERPRETER',
      `the TFLite runtime reports ${runnerTensors.length} ${kind}s, the file lists ${tensorIndices.length}`,
      { kind: 'internal' },
    );
  }
  return tensorIndices.map((tensorIndex, position) => {
    const t = model.subgraphs[0]!.tensors[tensorIndex]!;
    const q = t.quantization;
    const quantized = t.type !== 'float32' && t.type !== 'float64' && q !== null && q.scale.length > 0;
    return {
      position,
      tensorIndex,
      name: t.name,
      shape: [...t.shape],
      type: t.type,
      size: elementCount(t.shape),
      quantization: quantized ? { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0] ?? 0 } : null,
    };
  });
}

function checkInput(value: TensorArray, io: IoTensor): void {
  const expected = ARRAY_FOR[io.type];
  if (!expected) {
    throw new TinygateError('TFLITE_INPUT', `${label(io)}: tinygate cannot feed ${io.type} tensors`, {
      hint: 'Only numeric input tensors are supported.',
    });
  }
  const got = value?.constructor?.name ?? typeof value;
  if (got !== expected.name) {
    const floatsToInt = got === 'Float32Array' && io.quantization !== null;
    throw new TinygateError('TFLITE_INPUT', `${label(io)} takes a ${expected.name}, got ${got}`, {
      hint: floatsToInt
        ? 'Quantize float inputs first with interpreter.quantizeInput(values).'
        : `Pass a ${expected.name} of ${io.size} values.`,
    });
  }
  if (value.length !== io.size) {
    throw new TinygateError('TFLITE_INPUT', `${label(io)} takes ${io.size} values, got ${value.length}`, {
      hint: `Pass exactly ${io.size} values (shape [${io.shape.join(', ')}]).`,
    });
  }
}

function label(io: IoTensor): string {
  return `input ${io.position} "${io.name}" (${io.type} [${io.shape.join(', ')}])`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An empty typed array of the right class for a tensor (e.g. to fill before run()). */
export function emptyInput(io: IoTensor): TensorArray {
  const entry = ARRAY_FOR[io.type];
  if (!entry)
    throw new TinygateError('TFLITE_INPUT', `${label(io)}: tinygate cannot feed ${io.type} tensors`);
  return entry.make(io.size);
}
