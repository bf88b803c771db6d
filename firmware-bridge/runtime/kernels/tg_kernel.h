/*
 * The runtime's kernels, TensorFlow Lite Micro style: each op (or family) in its own file with a prepare
 * function (checks the op at load, fills its per-op data) and an eval function (runs it), registered in one
 * table (tg_kernels.c). tg_runtime.c loads a model, looks each op up in the table, and loops over it.
 */
#ifndef TG_KERNEL_H
#define TG_KERNEL_H

#include <stdint.h>

#include "tg_model.h"

/* On AVR constant tables stay in flash (they would otherwise be copied to its 8 KB of RAM). */
#ifdef __AVR__
#include <avr/pgmspace.h>
#define TG_ROM PROGMEM
#define TG_ROM_READ(dst, src, n) memcpy_P((dst), (src), (n))
#define TG_ROM_CHAR(p) ((char)pgm_read_byte(p))
#else
#define TG_ROM
#define TG_ROM_READ(dst, src, n) memcpy((dst), (src), (n))
#define TG_ROM_CHAR(p) (*(p))
#endif

typedef struct {
  uint16_t builtin;                /* TFLite BuiltinOperator code */
  const char *name;                /* TFLite's name of the op (in TG_ROM) */
  int (*prepare)(uint16_t op);     /* 0, or -1 after tg_refuse() */
  void (*eval)(uint16_t op);
} tg_kernel_t;

/* ---- the registry (tg_kernels.c) ---- */

/* How many kernels this build has, and entry k of the table. */
uint8_t tg_kernel_count(void);
void tg_kernel_at(uint8_t k, tg_kernel_t *out);
/* The table index of the kernel for `builtin`, or -1. */
int16_t tg_kernel_find(uint16_t builtin);
/* TFLite's name for `builtin` when this build has its kernel, else "BUILTIN_<n>", into `buf`. */
void tg_op_name(uint16_t builtin, char *buf, uint16_t len);

/* ---- what kernels use from the runtime (tg_runtime.c) ---- */

const tg_op_t *tg_op(uint16_t op);
const tg_tensor_t *tg_tensor(int16_t t);
/* A tensor's bytes: its constant data in the model, or its place in the arena. */
uint8_t *tg_buffer(int16_t t);
/* A field of the op's options table in the model (`bytes` 1 or 4), `dflt` when absent. */
uint32_t tg_option(const tg_op_t *op, uint16_t field, uint8_t bytes, uint32_t dflt);
/* Refuse the model for `why`; returns -1. */
int tg_refuse(const char *why);

/* Per-op data: a fixed slot per op that the op's kernel lays out (at most TG_OP_DATA_BYTES). */
#define TG_OP_DATA_BYTES 16
void *tg_op_data(uint16_t op);
/* Requantization parameters (multiplier, shift), `n` of them for one op, counted against the build's
   TG_MAX_CHANNEL_PARAMS: their index in the pools, or -1 after refusing the model. */
int32_t tg_params_reserve(uint16_t n);
int32_t *tg_multipliers(void);
int8_t *tg_shifts(void);

/* ---- helpers shared by kernels (tg_kernel_util.c) ---- */

/* Per-channel scale `channel` of a tensor (the first one for per-tensor quantization). */
float tg_scale_of(const tg_tensor_t *t, uint16_t channel);
/* std::round of a float (half away from zero), as TFLite rounds its float activation limits. */
int32_t tg_round_float(float x);
/* CalculateActivationRangeQuantized for int8 (NONE, RELU, RELU6); -1 after refusing any other. */
int tg_activation_range(uint8_t activation, const tg_tensor_t *out, int16_t *lo, int16_t *hi);
/* Whether the op's output and its non-constant inputs are int8. */
int tg_all_int8(const tg_op_t *op);
/* Σw·x of two int8 rows, and Σw into *wsum. */
int32_t tg_dot_int8(const int8_t *w, const int8_t *x, uint32_t n, int32_t *wsum);
/* TFLite's SAME padding: half of the total, rounded down, on the leading side (0 for VALID). */
int32_t tg_pad_before(int32_t in, int32_t out, int32_t filter, int32_t stride, int32_t dilation, uint8_t valid);
/* The requantization multipliers of a weighted op: one per channel (or one), into the pools. */
int tg_prepare_weighted(uint16_t op, uint16_t channels, uint16_t *params_at);

/* ---- the kernels ---- */

int tg_fully_connected_prepare(uint16_t op);
void tg_fully_connected_eval(uint16_t op);
int tg_conv_prepare(uint16_t op);
void tg_conv_eval(uint16_t op);
int tg_pool_prepare(uint16_t op);
void tg_pool_eval(uint16_t op);
int tg_quantize_prepare(uint16_t op);
void tg_quantize_eval(uint16_t op);
void tg_dequantize_eval(uint16_t op);
int tg_reshape_prepare(uint16_t op);
void tg_reshape_eval(uint16_t op);
int tg_binary_prepare_op(uint16_t op);
void tg_binary_eval(uint16_t op);
int tg_concatenation_prepare(uint16_t op);
void tg_concatenation_eval(uint16_t op);
int tg_pad_prepare(uint16_t op);
void tg_pad_eval(uint16_t op);
int tg_mean_prepare(uint16_t op);
void tg_mean_eval(uint16_t op);
int tg_softmax_prepare(uint16_t op);
void tg_softmax_eval(uint16_t op);
int tg_logistic_prepare(uint16_t op);
void tg_logistic_eval(uint16_t op);

#endif
