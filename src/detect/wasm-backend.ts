import type { TensorInfo } from '@tensorflow/tfjs-core';

/** What the gradient kernels written here use of tfjs's WebAssembly backend (its own type is not exported). */
export interface WasmLike {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): TensorInfo;
}
