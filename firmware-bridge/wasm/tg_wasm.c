/*
 * The board's int8 runtime for the gateway, compiled to WebAssembly: the same C as every board build, so a
 * window scores the same on the gateway as on the board (src/runtime-wasm/ loads it). The model is copied
 * into model[] and read in place, as a board reads its flash; no heap.
 */
#include <stdint.h>

#include "tg_runtime.h"

#ifndef TG_WASM_MODEL_BYTES
#define TG_WASM_MODEL_BYTES (8u * 1024u * 1024u)
#endif

static uint8_t model[TG_WASM_MODEL_BYTES] __attribute__((aligned(16)));

#define EXPORT(name) __attribute__((export_name(#name)))

EXPORT(tg_wasm_model) uint8_t *tg_wasm_model(void) { return model; }
EXPORT(tg_wasm_model_capacity) uint32_t tg_wasm_model_capacity(void) { return TG_WASM_MODEL_BYTES; }
/* 0, or -1 with tg_wasm_error() saying why (the board's own words). */
EXPORT(tg_wasm_load) int tg_wasm_load(uint32_t len) {
  return len > TG_WASM_MODEL_BYTES ? -1 : tg_runtime_load(model, len);
}
EXPORT(tg_wasm_error) const char *tg_wasm_error(void) { return tg_runtime_error(); }
EXPORT(tg_wasm_arena_used) uint32_t tg_wasm_arena_used(void) { return tg_runtime_arena_used(); }
EXPORT(tg_wasm_input) uint8_t *tg_wasm_input(void) { return tg_runtime_input(); }
EXPORT(tg_wasm_input_bytes) uint32_t tg_wasm_input_bytes(void) { return tg_runtime_input_bytes(); }
EXPORT(tg_wasm_invoke) int tg_wasm_invoke(void) { return tg_runtime_invoke(); }
static uint32_t output_len;
EXPORT(tg_wasm_output) const uint8_t *tg_wasm_output(void) { return tg_runtime_output(&output_len); }
EXPORT(tg_wasm_output_bytes) uint32_t tg_wasm_output_bytes(void) {
  tg_runtime_output(&output_len);
  return output_len;
}
/* The op codes of the runtime's kernel table, as a board's board info lists them. */
EXPORT(tg_wasm_kernel_count) uint32_t tg_wasm_kernel_count(void) { return tg_runtime_kernel_count(); }
EXPORT(tg_wasm_kernel_code) uint32_t tg_wasm_kernel_code(uint32_t k) { return tg_runtime_kernel_code((uint8_t)k); }
