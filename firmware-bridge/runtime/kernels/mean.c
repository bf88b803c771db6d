/* MEAN of an int8 tensor over constant axes: TFLite's integer mean with 1/count folded into the multiplier. */
#include <string.h>

#include "tg_elementwise.h"
#include "tg_fixed_point.h"
#include "tg_kernel.h"

typedef struct {
  uint16_t params_at;
  uint8_t reduce[4]; /* dimensions of the 4D shape averaged over */
} mean_data_t;

int tg_mean_prepare(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  mean_data_t *d = (mean_data_t *)tg_op_data(i);
  const tg_tensor_t *in = tg_tensor(op->inputs[0]);
  const tg_tensor_t *axes = op->input_count >= 2 && op->inputs[1] >= 0 ? tg_tensor(op->inputs[1]) : 0;
  if (!tg_all_int8(op) || !axes || !axes->data || axes->type != TG_TYPE_INT32 || in->rank > 4)
    return tg_refuse("MEAN must be int8 with constant int32 axes");
  for (uint32_t k = 0; k < axes->elements; k++) {
    int32_t a;
    memcpy(&a, axes->data + 4u * k, 4);
    if (a < 0) a += in->rank;
    if (a >= 0 && a < in->rank) d->reduce[4 - in->rank + a] = 1;
  }
  int32_t at = tg_params_reserve(1);
  if (at < 0) return -1;
  d->params_at = (uint16_t)at;
  int shift;
  tg_quantize_multiplier_exact(in->scale, 1.0f, tg_tensor(op->output)->scale, 0, &tg_multipliers()[at], &shift);
  tg_shifts()[at] = (int8_t)shift;
  return 0;
}

void tg_mean_eval(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  const mean_data_t *d = (const mean_data_t *)tg_op_data(i);
  const tg_tensor_t *in = tg_tensor(op->inputs[0]);
  tg_shape4_t sx;
  tg_shape4(in->dims, in->rank, &sx);
  tg_mean_int8((const int8_t *)tg_buffer(op->inputs[0]), &sx, d->reduce, in->zero_point, tg_multipliers()[d->params_at],
               tg_shifts()[d->params_at], tg_tensor(op->output)->zero_point, (int8_t *)tg_buffer(op->output));
}
