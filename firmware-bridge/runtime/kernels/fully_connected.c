/* FULLY_CONNECTED, int8 with per-tensor or per-channel weights, as TFLite's reference kernel. */
#include <string.h>

#include "tg_fixed_point.h"
#include "tg_kernel.h"

typedef struct {
  uint16_t params_at; /* one multiplier per unit (per-channel) or one */
  int16_t act_min, act_max;
} fc_data_t;

int tg_fully_connected_prepare(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  fc_data_t *d = (fc_data_t *)tg_op_data(i);
  if (op->input_count < 2) return tg_refuse("FULLY_CONNECTED without weights");
  const tg_tensor_t *in = tg_tensor(op->inputs[0]);
  const tg_tensor_t *w = tg_tensor(op->inputs[1]);
  const tg_tensor_t *out = tg_tensor(op->output);
  if (in->type != TG_TYPE_INT8 || w->type != TG_TYPE_INT8 || out->type != TG_TYPE_INT8 || !w->data || w->rank != 2)
    return tg_refuse("FULLY_CONNECTED must be int8 with constant [units, depth] weights");
  if (tg_prepare_weighted(i, (uint16_t)w->dims[0], &d->params_at) != 0) return -1;
  /* FullyConnectedOptions: 0 fused_activation_function */
  return tg_activation_range((uint8_t)tg_option(op, 0, 1, 0), out, &d->act_min, &d->act_max);
}

void tg_fully_connected_eval(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  const fc_data_t *d = (const fc_data_t *)tg_op_data(i);
  const tg_tensor_t *in = tg_tensor(op->inputs[0]);
  const tg_tensor_t *w = tg_tensor(op->inputs[1]);
  const tg_tensor_t *out = tg_tensor(op->output);
  const int8_t *x = (const int8_t *)tg_buffer(op->inputs[0]);
  const int8_t *weights = (const int8_t *)w->data;
  const uint8_t *bias = op->input_count > 2 && op->inputs[2] >= 0 ? tg_tensor(op->inputs[2])->data : 0;
  int8_t *y = (int8_t *)tg_buffer(op->output);
  const int32_t *mult = tg_multipliers() + d->params_at;
  const int8_t *shift = tg_shifts() + d->params_at;
  uint32_t units = (uint32_t)w->dims[0], depth = (uint32_t)w->dims[1];
  uint32_t batches = in->elements / depth;
  int32_t input_offset = -in->zero_point;
  int32_t filter_offset = -w->zero_point;
  int32_t out_zp = out->zero_point, lo = d->act_min, hi = d->act_max;
  int per_channel = w->scale_count > 1;
  for (uint32_t b = 0; b < batches; b++) {
    for (uint32_t u = 0; u < units; u++) {
      const int8_t *row = weights + u * depth;
      const int8_t *xb = x + b * depth;
      /* Σ(w + fo)(x + io) = Σw·x + io·Σw + fo·Σx + n·fo·io: the same integer, about half the work per MAC. */
      int32_t wsum, xsum = 0;
      int32_t acc = tg_dot_int8(row, xb, depth, &wsum);
      if (filter_offset)
        for (uint32_t k = 0; k < depth; k++) xsum += xb[k];
      acc += input_offset * wsum + filter_offset * xsum + (int32_t)depth * filter_offset * input_offset;
      if (bias) {
        int32_t bv;
        memcpy(&bv, bias + 4u * u, 4);
        acc += bv;
      }
      uint32_t p = per_channel ? u : 0;
      acc = tg_multiply_by_quantized_multiplier(acc, mult[p], shift[p]) + out_zp;
      if (acc < lo) acc = lo;
      if (acc > hi) acc = hi;
      y[b * units + u] = (int8_t)acc;
    }
  }
}
