// The board's int8 runtime (firmware-bridge/runtime, C) compiled to WebAssembly and run in Node: the same
// arithmetic as the boards, bit for bit, where the TFLite interpreter's XNNPACK kernels round differently.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TinygateError } from '../errors/index.js';
import { nameRuntimeCodes } from '../tflite/bridge-runtime.js';

const WASM_FILE = 'tinygate-runtime.wasm';
/** The package's copy (dist/wasm/, made by `npm run build`), then the firmware build's (make -C firmware-bridge wasm). */
const CANDIDATES = [`../wasm/${WASM_FILE}`, `../../firmware-bridge/build/wasm/${WASM_FILE}`].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
);

// Node has WebAssembly; the project's TypeScript libs (no DOM) do not declare it: the parts used here.
interface WasmModule {
  readonly kind: 'module';
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: unknown }>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer };
  tg_wasm_model(): number;
  tg_wasm_model_capacity(): number;
  tg_wasm_load(len: number): number;
  tg_wasm_error(): number;
  tg_wasm_arena_used(): number;
  tg_wasm_input(): number;
  tg_wasm_input_bytes(): number;
  tg_wasm_invoke(): number;
  tg_wasm_output(): number;
  tg_wasm_output_bytes(): number;
  tg_wasm_kernel_count(): number;
  tg_wasm_kernel_code(k: number): number;
}

let compiled: Promise<WasmModule> | null = null;

/** Where the compiled runtime is, or null. */
export function wasmRuntimePath(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

function module(): Promise<WasmModule> {
  compiled ??= (async () => {
    const path = wasmRuntimePath();
    if (!path) {
      throw new TinygateError(
        'WASM_RUNTIME_MISSING',
        'the board runtime compiled to WebAssembly is not here',
        {
          hint: 'Build it: make -C firmware-bridge wasm (needs clang, lld and wasi-libc: apt install clang lld wasi-libc), then npm run build; or use scorer: int8.',
        },
      );
    }
    return wasm.compile(readFileSync(path));
  })();
  compiled.catch(() => {
    compiled = null;
  });
  return compiled;
}

/** One model in its own instance of the runtime (the C keeps one model in static memory, as a board does). */
export class WasmRuntime {
  readonly inputBytes: number;
  readonly outputBytes: number;
  /** Arena bytes the runtime planned: what the board reports as used. */
  readonly arenaBytes: number;
  private constructor(private readonly x: Exports) {
    this.inputBytes = x.tg_wasm_input_bytes();
    this.outputBytes = x.tg_wasm_output_bytes();
    this.arenaBytes = x.tg_wasm_arena_used();
  }

  /** The TFLite op codes the runtime has kernels for (its kernel table, as a board's board info lists them). */
  static async kernels(): Promise<number[]> {
    const x = (await wasm.instantiate(await module(), {})).exports as unknown as Exports;
    return Array.from({ length: x.tg_wasm_kernel_count() }, (_, k) => x.tg_wasm_kernel_code(k));
  }

  /** Load an int8 .tflite; refused with the runtime's own reason, as a board would refuse it. */
  static async load(model: Uint8Array): Promise<WasmRuntime> {
    const instance = await wasm.instantiate(await module(), {});
    const x = instance.exports as unknown as Exports;
    if (model.length > x.tg_wasm_model_capacity()) {
      throw new TinygateError(
        'WASM_MODEL_TOO_LARGE',
        `the model is ${model.length} B; the WebAssembly runtime holds ${x.tg_wasm_model_capacity()} B`,
        { hint: 'Use scorer: int8 (the TFLite interpreter) for a model this large.' },
      );
    }
    new Uint8Array(x.memory.buffer, x.tg_wasm_model(), model.length).set(model);
    if (x.tg_wasm_load(model.length) !== 0) {
      throw new TinygateError(
        'WASM_MODEL_REFUSED',
        `the board runtime refuses the model: ${nameRuntimeCodes(cString(x, x.tg_wasm_error()))}`,
        {
          hint: 'The boards would refuse it too: see docs/runtime.md for the ops and sizes the runtime takes.',
        },
      );
    }
    return new WasmRuntime(x);
  }

  /** One inference on the input tensor's raw bytes; returns a copy of the output tensor's bytes. */
  run(input: Uint8Array | Int8Array): Uint8Array {
    if (input.byteLength !== this.inputBytes) {
      throw new TinygateError(
        'WASM_INPUT_SIZE',
        `the input has ${input.byteLength} B, the model takes ${this.inputBytes} B`,
        { kind: 'internal' },
      );
    }
    const x = this.x;
    new Uint8Array(x.memory.buffer, x.tg_wasm_input(), this.inputBytes).set(
      new Uint8Array(input.buffer, input.byteOffset, input.byteLength),
    );
    if (x.tg_wasm_invoke() !== 0) {
      throw new TinygateError(
        'WASM_INFERENCE_FAILED',
        `the runtime failed: ${cString(x, x.tg_wasm_error())}`,
        {
          kind: 'internal',
        },
      );
    }
    return new Uint8Array(x.memory.buffer, x.tg_wasm_output(), this.outputBytes).slice();
  }
}

function cString(x: Exports, at: number): string {
  const bytes = new Uint8Array(x.memory.buffer, at);
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end < 0 ? 0 : end)).toString('latin1');
}
