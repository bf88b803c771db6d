/* SOFTMAX over the last axis, int8, with gemmlowp's fixed-point exp and reciprocal (tg_activations.c). */
#include <string.h>

#include "tg_activations.h"
#include "tg_fixed_point.h"
#include "tg_kernel.h"

typedef struct {
  int32_t multiplier, diff_min;
  int8_t shift;
  uint8_t unused[3];
} softmax_data_t;
TG_DATA_SIZE(softmax_data_t, 12);

int tg_softmax_prepare(const tg_op_t *op) {
  softmax_data_t *d = (softmax_data_t *)tg_op_alloc(sizeof *d);
  if (!d) return -1;
  tg_tensor_t in;
  tg_tensor(op->inputs[0], &in);
  if (!tg_all_int8(op) || in.rank < 1) return tg_refuse("SOFTMAX must be int8");
  /* SoftmaxOptions: 0 beta (float32) */
  uint32_t bits = tg_option(op, 0, 4, 0);
  float beta;
  memcpy(&beta, &bits, sizeof beta);
  if (tg_params_count(1) != 0) return -1;
  int shift;
  tg_quantize_multiplier_exact(beta, in.scale, 1.0f, 26, &d->multiplier, &shift);
  /* TFLite caps beta * scale * 2^26 at 2^31 - 1; scales that large or this small are refused instead. */
  if (shift < 0 || shift > 31) return tg_refuse("SOFTMAX input scale out of range");
  d->shift = (int8_t)shift;
  d->diff_min = -tg_input_radius(5, shift);
  return 0;
}

void tg_softmax_eval(const tg_op_t *op, const void *data) {
  const softmax_data_t *d = (const softmax_data_t *)data;
  tg_tensor_t in;
  tg_shape(op->inputs[0], &in);
  uint32_t depth = in.dims[in.rank - 1];
  tg_softmax_int8((const int8_t *)tg_buffer(op->inputs[0]), (int8_t *)tg_buffer(op->output), depth ? in.elements / depth : 0,
                  depth, d->multiplier, d->shift, d->diff_min);
}
