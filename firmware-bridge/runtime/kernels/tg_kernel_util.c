/* Helpers the kernels share: scales, activation ranges, the int8 dot product, SAME padding. */
#include <string.h>

#include "tg_fixed_point.h"
#include "tg_kernel.h"

/* The Cortex-M4/M7/M33's DSP instructions for the dot product; TG_NO_DSP keeps the plain C (to measure). */
#if defined(__ARM_FEATURE_DSP) && !defined(TG_NO_DSP)
#include <arm_acle.h>
#define TG_DSP 1

/* The odd bytes: SXTB16 with its own ROR #8 (GCC 12's ACLE has no __ror to fold into it). */
static inline int16x2_t tg_sxtb16_ror8(uint32_t v) {
  int16x2_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

/* acc + Σ of four w·x, and Σ of the four w into *sum. */
static inline int32_t tg_dot4(const int8_t *w, const int8_t *x, int32_t acc, int32_t *sum, int16x2_t ones) {
  uint32_t wv, xv;
  memcpy(&wv, w, 4); /* one LDR: the M4 loads unaligned words */
  memcpy(&xv, x, 4);
  int16x2_t w02 = __sxtb16((int8x4_t)wv), w13 = tg_sxtb16_ror8(wv);
  int16x2_t x02 = __sxtb16((int8x4_t)xv), x13 = tg_sxtb16_ror8(xv);
  *sum = __smlad(w13, ones, __smlad(w02, ones, *sum));
  return __smlad(w13, x13, __smlad(w02, x02, acc));
}
#else
#define TG_DSP 0
#endif

float tg_scale_of(const tg_tensor_t *t, uint16_t channel) {
  if (t->scale_count <= 1 || channel >= t->scale_count) return t->scale;
  float v;
  memcpy(&v, t->scales_at + 4u * channel, sizeof v);
  return v;
}

int32_t tg_round_float(float x) {
  if (x > 1073741824.0f) return (int32_t)1 << 30;
  if (x < -1073741824.0f) return -((int32_t)1 << 30);
  int32_t t = (int32_t)x;
  float frac = x - (float)t; /* exact */
  return frac >= 0.5f ? t + 1 : frac <= -0.5f ? t - 1 : t;
}

int tg_activation_range(uint8_t activation, const tg_tensor_t *out, int16_t *lo, int16_t *hi) {
  int wide = out->type == TG_TYPE_INT16;
  *lo = wide ? -32768 : -128;
  *hi = wide ? 32767 : 127;
  if (activation == 0) return 0;
  if (activation != 1 && activation != 3) return tg_refuse("unsupported fused activation");
  if (out->zero_point > *lo) *lo = out->zero_point;
  if (activation == 3) {
    int32_t six = out->zero_point + tg_round_float(6.0f / out->scale);
    if (six < *hi) *hi = (int16_t)(six < -32768 ? -32768 : six);
  }
  return 0;
}

int tg_all_int8(const tg_op_t *op) {
  tg_tensor_t t;
  tg_tensor(op->output, &t);
  if (t.type != TG_TYPE_INT8) return 0;
  for (uint8_t k = 0; k < op->input_count; k++) {
    if (op->inputs[k] < 0) continue;
    tg_tensor(op->inputs[k], &t);
    if (!t.data && t.type != TG_TYPE_INT8) return 0;
  }
  return 1;
}

/* Kept out of line: inlined into the op loop, GCC spills its registers. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
int32_t tg_dot_int8(const int8_t *w, const int8_t *x, uint32_t n, int32_t *wsum) {
  int32_t acc = 0, sum = 0;
  const int8_t *end4 = w + (n & ~3u), *end = w + n;
#if TG_DSP
  /* Eight bytes a turn, four a load: SXTB16 splits a word into its even and odd bytes as two int16 each,
     SMLAD adds two 16x16 products to an accumulator. The same integers as the plain loop, in another order. */
  const int8_t *end8 = w + (n & ~7u);
  const int16x2_t ones = 0x00010001;
  while (w < end8) {
    acc = tg_dot4(w, x, acc, &sum, ones);
    acc = tg_dot4(w + 4, x + 4, acc, &sum, ones);
    w += 8;
    x += 8;
  }
  if (w < end4) {
    acc = tg_dot4(w, x, acc, &sum, ones);
    w += 4;
    x += 4;
  }
#else
  while (w < end4) {
    int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
    acc += w0 * x[0] + w1 * x[1] + w2 * x[2] + w3 * x[3];
    sum += w0 + w1 + w2 + w3;
    w += 4;
    x += 4;
  }
#endif
  while (w < end) {
    int32_t w0 = *w++;
    acc += w0 * *x++;
    sum += w0;
  }
  *wsum = sum;
  return acc;
}

int32_t tg_pad_before(int32_t in, int32_t out, int32_t filter, int32_t stride, int32_t dilation, uint8_t valid) {
  if (valid) return 0;
  int32_t effective = (filter - 1) * dilation + 1;
  int32_t total = (out - 1) * stride + effective - in;
  return total > 0 ? total / 2 : 0;
}

int tg_prepare_requant(const tg_op_t *op, uint16_t channels, int32_t *multiplier, int8_t *shift, uint8_t *per_channel) {
  tg_tensor_t in, w, out;
  tg_tensor(op->inputs[0], &in);
  tg_tensor(op->inputs[1], &w);
  tg_tensor(op->output, &out);
  uint16_t n = w.scale_count > 1 ? channels : 1;
  if (tg_params_count(n) != 0) return -1;
  *per_channel = w.scale_count > 1;
  if (*per_channel) {
    multiplier = (int32_t *)tg_op_alloc(4u * n);
    shift = (int8_t *)tg_op_alloc(n);
    if (!multiplier || !shift) return -1;
  }
  for (uint16_t c = 0; c < n; c++) {
    int s;
    tg_quantize_multiplier_exact(in.scale, tg_scale_of(&w, c), out.scale, 0, &multiplier[c], &s);
    shift[c] = (int8_t)s;
  }
  return 0;
}

void tg_requant_arrays(uint8_t per_channel, const int32_t *multiplier, const int8_t *shift, const void *after,
                       uint16_t channels, const int32_t **mults, const int8_t **shifts) {
  *mults = per_channel ? (const int32_t *)after : multiplier;
  *shifts = per_channel ? (const int8_t *)(*mults + channels) : shift;
}

#ifndef TG_WITHOUT_16X8
/* Refusal texts in TG_ROM (flash on AVR, where literals would take RAM). */
static const char t_int8[] TG_ROM = "int8";
static const char t_int16[] TG_ROM = "int16";
static const char t_int32[] TG_ROM = "int32";
static const char t_int64[] TG_ROM = "int64";
static const char t_float32[] TG_ROM = "float32";
static const char s_with[] TG_ROM = " with ";
static const char s_comma[] TG_ROM = ", ";
static const char s_to[] TG_ROM = " -> ";
static const char s_takes_16x8[] TG_ROM = ": takes int8, or int16 with int8 weights";
static const char s_takes_quantize[] TG_ROM = ": takes float32 -> int8";
static const char s_takes_dequantize[] TG_ROM = ": takes int8 -> float32";
static const char s_takes_int8[] TG_ROM = ": takes int8";

void tg_append_rom(char *dst, uint16_t len, const char *rom) {
  uint16_t at = 0;
  while (at < len && dst[at]) at++;
  for (; at + 1 < len && TG_ROM_CHAR(rom); rom++) dst[at++] = TG_ROM_CHAR(rom);
  if (at < len) dst[at] = 0;
}

int tg_refuse_rom(const char *rom) {
  char why[96];
  why[0] = 0;
  tg_append_rom(why, sizeof why, rom);
  return tg_refuse(why);
}

static const char *type_name(uint8_t type) {
  return type == TG_TYPE_INT8 ? t_int8 : type == TG_TYPE_INT16 ? t_int16 : type == TG_TYPE_INT32 ? t_int32
       : type == TG_TYPE_INT64 ? t_int64 : t_float32; /* the types a loaded model can have */
}

int tg_check_types(const tg_op_t *op) {
  tg_tensor_t t;
  uint8_t type[TG_MAX_OP_INPUTS + 1], constant[TG_MAX_OP_INPUTS + 1], n = 0;
  for (uint8_t k = 0; k < op->input_count; k++) {
    if (op->inputs[k] < 0) continue;
    tg_tensor(op->inputs[k], &t);
    type[n] = t.type;
    constant[n++] = t.data != 0;
  }
  tg_tensor(op->output, &t);
  uint8_t out = t.type, in = n ? type[0] : TG_TYPE_INT8;
  uint16_t b = op->builtin;
  int ok;
  if (b == TG_OP_RESHAPE || b == TG_OP_SQUEEZE) ok = 1;
  else if (b == TG_OP_QUANTIZE) ok = in == TG_TYPE_FLOAT32 && out == TG_TYPE_INT8;
  else if (b == TG_OP_DEQUANTIZE) ok = in == TG_TYPE_INT8 && out == TG_TYPE_FLOAT32;
  else if ((b == TG_OP_FULLY_CONNECTED || b == TG_OP_CONV_2D) && in == TG_TYPE_INT16)
    ok = out == TG_TYPE_INT16 && n > 1 && type[1] == TG_TYPE_INT8 && constant[1];
  else {
    ok = out == TG_TYPE_INT8;
    for (uint8_t k = 0; k < n; k++)
      if (!constant[k] && type[k] != TG_TYPE_INT8) ok = 0;
  }
  if (ok) return 0;
  /* "FULLY_CONNECTED with int16, int8, int64 -> int8: takes int8, or int16 with int8 weights" */
  char why[96];
  tg_op_name(b, why, sizeof why);
  tg_append_rom(why, sizeof why, s_with);
  for (uint8_t k = 0; k < n; k++) {
    if (k) tg_append_rom(why, sizeof why, s_comma);
    tg_append_rom(why, sizeof why, type_name(type[k]));
  }
  tg_append_rom(why, sizeof why, s_to);
  tg_append_rom(why, sizeof why, type_name(out));
  tg_append_rom(why, sizeof why,
                b == TG_OP_FULLY_CONNECTED || b == TG_OP_CONV_2D ? s_takes_16x8
                : b == TG_OP_QUANTIZE                            ? s_takes_quantize
                : b == TG_OP_DEQUANTIZE                          ? s_takes_dequantize
                                                                 : s_takes_int8);
  return tg_refuse(why);
}

#endif
