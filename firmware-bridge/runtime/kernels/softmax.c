/* SOFTMAX over the last axis, int8, with gemmlowp's fixed-point exp and reciprocal (tg_activations.c). */
#include <string.h>

#include "tg_activations.h"
#include "tg_fixed_point.h"
#include "tg_kernel.h"

typedef struct {
  uint16_t params_at;
  int32_t diff_min;
} softmax_data_t;

int tg_softmax_prepare(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  softmax_data_t *d = (softmax_data_t *)tg_op_data(i);
  const tg_tensor_t *in = tg_tensor(op->inputs[0]);
  if (!tg_all_int8(op) || in->rank < 1) return tg_refuse("SOFTMAX must be int8");
  /* SoftmaxOptions: 0 beta (float32) */
  uint32_t bits = tg_option(op, 0, 4, 0);
  float beta;
  memcpy(&beta, &bits, sizeof beta);
  int32_t at = tg_params_reserve(1);
  if (at < 0) return -1;
  d->params_at = (uint16_t)at;
  int shift;
  tg_quantize_multiplier_exact(beta, in->scale, 1.0f, 26, &tg_multipliers()[at], &shift);
  /* TFLite caps beta * scale * 2^26 at 2^31 - 1; scales that large or this small are refused instead. */
  if (shift < 0 || shift > 31) return tg_refuse("SOFTMAX input scale out of range");
  tg_shifts()[at] = (int8_t)shift;
  d->diff_min = -tg_input_radius(5, shift);
  return 0;
}

void tg_softmax_eval(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  const softmax_data_t *d = (const softmax_data_t *)tg_op_data(i);
  const tg_tensor_t *in = tg_tensor(op->inputs[0]);
  uint32_t depth = (uint32_t)in->dims[in->rank - 1];
  tg_softmax_int8((const int8_t *)tg_buffer(op->inputs[0]), (int8_t *)tg_buffer(op->output), depth ? in->elements / depth : 0,
                  depth, tg_multipliers()[d->params_at], tg_shifts()[d->params_at], d->diff_min);
}
