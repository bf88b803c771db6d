// Public entry of the WebAssembly runtime capability: the boards' int8 arithmetic on the gateway.
export { WasmRuntime, wasmRuntimePath } from './wasm-runtime.js';
