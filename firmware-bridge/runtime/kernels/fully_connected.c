/* FULLY_CONNECTED, int8 with per-tensor or per-channel weights, as TFLite's reference kernel (16x8: int16x8.c). */
#include <string.h>

#include "tg_fixed_point.h"
#include "tg_kernel.h"

typedef struct {
  int32_t multiplier; /* or per channel: int32 multipliers and int8 shifts follow the struct */
  int16_t act_min, act_max;
  int16_t in_zp, w_zp, out_zp; /* kept: read on every inference */
  int8_t shift;
  uint8_t per_channel; /* bit 0; bit 1: 16x8 */
} fc_data_t;
TG_DATA_SIZE(fc_data_t, 16);

int tg_fully_connected_prepare(const tg_op_t *op) {
  fc_data_t *d = (fc_data_t *)tg_op_alloc(sizeof *d);
  if (!d) return -1;
  if (op->input_count < 2) return tg_refuse("FULLY_CONNECTED without weights");
  tg_tensor_t in, w, out;
  tg_tensor(op->inputs[0], &in);
  tg_tensor(op->inputs[1], &w);
  tg_tensor(op->output, &out);
  if (!w.data || w.rank != 2) return tg_refuse("FULLY_CONNECTED needs constant [units, depth] weights");
  if (tg_prepare_requant(op, w.dims[0], &d->multiplier, &d->shift, &d->per_channel) != 0) return -1;
#ifdef TG_WITHOUT_16X8
  if (in.type != TG_TYPE_INT8 || w.type != TG_TYPE_INT8 || out.type != TG_TYPE_INT8) return tg_refuse("FULLY_CONNECTED must be int8");
#else
  if (in.type == TG_TYPE_INT16) {
    if (tg_prepare_16x8(op) != 0) return -1;
    d->per_channel |= 2u;
  }
#endif
  d->in_zp = in.zero_point;
  d->w_zp = w.zero_point;
  d->out_zp = out.zero_point;
  /* FullyConnectedOptions: 0 fused_activation_function */
  return tg_activation_range((uint8_t)tg_option(op, 0, 1, 0), &out, &d->act_min, &d->act_max);
}

#ifndef TG_WITHOUT_16X8
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void fully_connected_16x8(const tg_op_t *op, const fc_data_t *d) {
  tg_tensor_t fw;
  tg_shape(op->inputs[1], &fw);
  uint8_t pc = d->per_channel & 1u;
  tg_16x8_t q = {0, 0, d->act_min, d->act_max, pc};
  tg_requant_arrays(pc, &d->multiplier, &d->shift, d + 1, fw.dims[0], &q.mult, &q.shift);
  tg_fully_connected_16x8_eval(op, &q);
}
#endif

/* The int8 loops in a function of their own: they compile as they did before 16x8 (kws: the same instructions). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void fully_connected_int8(const tg_op_t *op, const fc_data_t *d) {
  tg_tensor_t in, w;
  tg_shape(op->inputs[0], &in);
  tg_shape(op->inputs[1], &w);
  const int8_t *x = (const int8_t *)tg_buffer(op->inputs[0]);
  const int8_t *weights = (const int8_t *)tg_buffer(op->inputs[1]);
  const uint8_t *bias = op->input_count > 2 && op->inputs[2] >= 0 ? tg_buffer(op->inputs[2]) : 0;
  int8_t *y = (int8_t *)tg_buffer(op->output);
  const int32_t *mult;
  const int8_t *shift;
  uint32_t units = w.dims[0], depth = w.dims[1];
  tg_requant_arrays(d->per_channel, &d->multiplier, &d->shift, d + 1, (uint16_t)units, &mult, &shift);
  uint32_t batches = depth ? in.elements / depth : 0;
  int32_t input_offset = -d->in_zp;
  int32_t filter_offset = -d->w_zp;
  int32_t out_zp = d->out_zp, lo = d->act_min, hi = d->act_max;
  int per_channel = d->per_channel;
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
      acc = tg_requantize(acc, mult[p], shift[p]) + out_zp;
      if (acc < lo) acc = lo;
      if (acc > hi) acc = hi;
      y[b * units + u] = (int8_t)acc;
    }
  }
}

void tg_fully_connected_eval(const tg_op_t *op, const void *data) {
  const fc_data_t *d = (const fc_data_t *)data;
#ifndef TG_WITHOUT_16X8
  if (d->per_channel & 2u) {
    fully_connected_16x8(op, d);
    return;
  }
#endif
  fully_connected_int8(op, d);
}
