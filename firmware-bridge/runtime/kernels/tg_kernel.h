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
  uint16_t builtin;                                  /* TFLite BuiltinOperator code */
  const char *name;                                  /* TFLite's name of the op (in TG_ROM) */
  int (*prepare)(const tg_op_t *op);                 /* 0, or -1 after tg_refuse() */
  void (*eval)(const tg_op_t *op, const void *data); /* data: what prepare allocated */
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

/* Tensor `t` decoded from the model (nothing of it is kept in RAM). */
void tg_tensor(int16_t t, tg_tensor_t *out);
/* A cheaper part of it, for eval: rank, dims and elements (the rest of `out` is left as it is). */
void tg_shape(int16_t t, tg_tensor_t *out);
/* A tensor's bytes: its constant data in the model, or its place in the arena. */
uint8_t *tg_buffer(int16_t t);
/* A field of the op's options table in the model (`bytes` 1 or 4), `dflt` when absent. */
uint32_t tg_option(const tg_op_t *op, uint16_t field, uint8_t bytes, uint32_t dflt);
/* Refuse the model for `why`; returns -1. */
int tg_refuse(const char *why);
/* While preparing: `bytes` (rounded up to 4, zeroed) more of this op's data, in the arena's tables, right
   after what the op took before; NULL after refusing the model when the arena is full. */
void *tg_op_alloc(uint32_t bytes);
/* Count `n` requantization parameters against TG_MAX_CHANNEL_PARAMS (65,535 a model); -1 after refusing. */
int tg_params_count(uint32_t n);

/* Per-op data layouts are fixed-width and padded by hand, so they take the same bytes on every target
   (the gateway's fit check counts them: src/tflite/bridge-runtime.ts). */
#define TG_DATA_SIZE(type, bytes) typedef char type##_is_##bytes##_bytes[sizeof(type) == (bytes) ? 1 : -1]

/* ---- helpers shared by kernels (tg_kernel_util.c) ---- */

/* Per-channel scale `channel` of a tensor (the first one for per-tensor quantization). */
float tg_scale_of(const tg_tensor_t *t, uint16_t channel);
/* std::round of a float (half away from zero), as TFLite rounds its float activation limits. */
int32_t tg_round_float(float x);
/* CalculateActivationRangeQuantized for an int8 or int16 output (NONE, RELU, RELU6); -1 after refusing any other. */
int tg_activation_range(uint8_t activation, const tg_tensor_t *out, int16_t *lo, int16_t *hi);
/* Whether the op's output and its non-constant inputs are int8. */
int tg_all_int8(const tg_op_t *op);
/* Σw·x of two int8 rows, and Σw into *wsum. */
int32_t tg_dot_int8(const int8_t *w, const int8_t *x, uint32_t n, int32_t *wsum);
/* TFLite's SAME padding: half of the total, rounded down, on the leading side (0 for VALID). */
int32_t tg_pad_before(int32_t in, int32_t out, int32_t filter, int32_t stride, int32_t dilation, uint8_t valid);

/* Requantization of a weighted op (FULLY_CONNECTED, convolutions): one multiplier and shift in the op's data,
   or, per channel, an int32 array and an int8 array of `channels` allocated right after the op's data. */
int tg_prepare_requant(const tg_op_t *op, uint16_t channels, int32_t *multiplier, int8_t *shift, uint8_t *per_channel);
/* The multipliers and shifts of channel 0.. (`after`: the first byte past the op's data struct). */
void tg_requant_arrays(uint8_t per_channel, const int32_t *multiplier, const int8_t *shift, const void *after,
                       uint16_t channels, const int32_t **mults, const int8_t **shifts);

/* Append a TG_ROM string to the terminated string in `dst` (`len` bytes in all); refuse the model for one. */
void tg_append_rom(char *dst, uint16_t len, const char *rom);
int tg_refuse_rom(const char *rom);
/* Whether the op's tensor types are ones its kernel runs (int8 activations; float32 at QUANTIZE's input and
   DEQUANTIZE's output; any for RESHAPE and SQUEEZE; 16x8 for FULLY_CONNECTED and CONV_2D); -1 after refusing
   with the op's name and its tensors' types. */
int tg_check_types(const tg_op_t *op);

/* ---- the 16x8 scheme (int16x8.c): int16 activations, int8 weights ---- */

typedef struct {
  const int32_t *mult;
  const int8_t *shift;
  int32_t lo, hi;
  uint8_t per_channel;
} tg_16x8_t;

typedef struct {
  int32_t stride_w, stride_h, dilation_w, dilation_h;
  uint8_t padding_valid;
} tg_conv_geometry_t;

/* Zero points 0 and a constant int64 bias; -1 after refusing. */
int tg_prepare_16x8(const tg_op_t *op);
void tg_fully_connected_16x8_eval(const tg_op_t *op, const tg_16x8_t *q);
void tg_conv_16x8_eval(const tg_op_t *op, const tg_16x8_t *q, const tg_conv_geometry_t *g);

/* ---- the kernels ---- */

int tg_fully_connected_prepare(const tg_op_t *op);
void tg_fully_connected_eval(const tg_op_t *op, const void *data);
int tg_conv_prepare(const tg_op_t *op);
void tg_conv_eval(const tg_op_t *op, const void *data);
int tg_pool_prepare(const tg_op_t *op);
void tg_pool_eval(const tg_op_t *op, const void *data);
int tg_quantize_prepare(const tg_op_t *op);
void tg_quantize_eval(const tg_op_t *op, const void *data);
void tg_dequantize_eval(const tg_op_t *op, const void *data);
int tg_reshape_prepare(const tg_op_t *op);
void tg_reshape_eval(const tg_op_t *op, const void *data);
int tg_binary_prepare_op(const tg_op_t *op);
void tg_binary_eval(const tg_op_t *op, const void *data);
int tg_concatenation_prepare(const tg_op_t *op);
void tg_concatenation_eval(const tg_op_t *op, const void *data);
int tg_pad_prepare(const tg_op_t *op);
void tg_pad_eval(const tg_op_t *op, const void *data);
int tg_mean_prepare(const tg_op_t *op);
void tg_mean_eval(const tg_op_t *op, const void *data);
int tg_softmax_prepare(const tg_op_t *op);
void tg_softmax_eval(const tg_op_t *op, const void *data);
int tg_logistic_prepare(const tg_op_t *op);
void tg_logistic_eval(const tg_op_t *op, const void *data);

#endif
