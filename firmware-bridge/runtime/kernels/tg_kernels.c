/*
 * The one table of the runtime's kernels (TFLite Micro's op resolver): an op code, TFLite's name for it,
 * and its prepare and eval functions. A model with an op that is not here is refused at load, by name.
 * TG_DENSE_ONLY builds keep FULLY_CONNECTED, RESHAPE, QUANTIZE and DEQUANTIZE, the smallest code.
 */
#include <string.h>

#include "tg_kernel.h"

static const char n_fully_connected[] TG_ROM = "FULLY_CONNECTED";
static const char n_reshape[] TG_ROM = "RESHAPE";
static const char n_quantize[] TG_ROM = "QUANTIZE";
static const char n_dequantize[] TG_ROM = "DEQUANTIZE";
#ifndef TG_DENSE_ONLY
static const char n_conv_2d[] TG_ROM = "CONV_2D";
static const char n_depthwise_conv_2d[] TG_ROM = "DEPTHWISE_CONV_2D";
static const char n_average_pool_2d[] TG_ROM = "AVERAGE_POOL_2D";
static const char n_max_pool_2d[] TG_ROM = "MAX_POOL_2D";
static const char n_softmax[] TG_ROM = "SOFTMAX";
static const char n_logistic[] TG_ROM = "LOGISTIC";
static const char n_tanh[] TG_ROM = "TANH";
static const char n_add[] TG_ROM = "ADD";
static const char n_sub[] TG_ROM = "SUB";
static const char n_mul[] TG_ROM = "MUL";
static const char n_concatenation[] TG_ROM = "CONCATENATION";
static const char n_pad[] TG_ROM = "PAD";
static const char n_mean[] TG_ROM = "MEAN";
static const char n_squeeze[] TG_ROM = "SQUEEZE";
#endif

static const tg_kernel_t kernels[] TG_ROM = {
    {TG_OP_FULLY_CONNECTED, n_fully_connected, tg_fully_connected_prepare, tg_fully_connected_eval},
    {TG_OP_RESHAPE, n_reshape, tg_reshape_prepare, tg_reshape_eval},
    {TG_OP_QUANTIZE, n_quantize, tg_quantize_prepare, tg_quantize_eval},
    {TG_OP_DEQUANTIZE, n_dequantize, tg_quantize_prepare, tg_dequantize_eval},
#ifndef TG_DENSE_ONLY
    {TG_OP_CONV_2D, n_conv_2d, tg_conv_prepare, tg_conv_eval},
    {TG_OP_DEPTHWISE_CONV_2D, n_depthwise_conv_2d, tg_conv_prepare, tg_conv_eval},
    {TG_OP_AVERAGE_POOL_2D, n_average_pool_2d, tg_pool_prepare, tg_pool_eval},
    {TG_OP_MAX_POOL_2D, n_max_pool_2d, tg_pool_prepare, tg_pool_eval},
    {TG_OP_SOFTMAX, n_softmax, tg_softmax_prepare, tg_softmax_eval},
    {TG_OP_LOGISTIC, n_logistic, tg_logistic_prepare, tg_logistic_eval},
    {TG_OP_TANH, n_tanh, tg_logistic_prepare, tg_logistic_eval},
    {TG_OP_ADD, n_add, tg_binary_prepare_op, tg_binary_eval},
    {TG_OP_SUB, n_sub, tg_binary_prepare_op, tg_binary_eval},
    {TG_OP_MUL, n_mul, tg_binary_prepare_op, tg_binary_eval},
    {TG_OP_CONCATENATION, n_concatenation, tg_concatenation_prepare, tg_concatenation_eval},
    {TG_OP_PAD, n_pad, tg_pad_prepare, tg_pad_eval},
    {TG_OP_MEAN, n_mean, tg_mean_prepare, tg_mean_eval},
    {TG_OP_SQUEEZE, n_squeeze, tg_reshape_prepare, tg_reshape_eval},
#endif
};

#define COUNT (sizeof kernels / sizeof kernels[0])

uint8_t tg_kernel_count(void) { return (uint8_t)COUNT; }

void tg_kernel_at(uint8_t k, tg_kernel_t *out) { TG_ROM_READ(out, &kernels[k], sizeof *out); }

int16_t tg_kernel_find(uint16_t builtin) {
  for (uint8_t k = 0; k < COUNT; k++) {
    tg_kernel_t e;
    tg_kernel_at(k, &e);
    if (e.builtin == builtin) return (int16_t)k;
  }
  return -1;
}

void tg_op_name(uint16_t builtin, char *buf, uint16_t len) {
  if (!len) return;
  int16_t k = tg_kernel_find(builtin);
  uint16_t at = 0;
  if (k >= 0) {
    tg_kernel_t e;
    tg_kernel_at((uint8_t)k, &e);
    for (const char *p = e.name; at + 1 < len && TG_ROM_CHAR(p); p++) buf[at++] = TG_ROM_CHAR(p);
    buf[at] = 0;
    return;
  }
  tg_copy_str(buf, len, "BUILTIN_");
  tg_append_u32(buf, len, builtin);
}
