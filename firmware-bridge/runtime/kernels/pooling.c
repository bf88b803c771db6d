/* AVERAGE_POOL_2D and MAX_POOL_2D over the valid part of each window, as TFLite's reference kernels. */
#include "tg_kernel.h"

typedef struct {
  int16_t act_min, act_max;
  uint8_t padding_valid, stride_w, stride_h, filter_w, filter_h, unused[3];
} pool_data_t;
TG_DATA_SIZE(pool_data_t, 12);

int tg_pool_prepare(const tg_op_t *op) {
  pool_data_t *d = (pool_data_t *)tg_op_alloc(sizeof *d);
  if (!d) return -1;
  tg_tensor_t in, out;
  tg_tensor(op->inputs[0], &in);
  tg_tensor(op->output, &out);
  if (in.type != TG_TYPE_INT8 || in.rank != 4 || out.rank != 4) return tg_refuse("pooling must be int8 NHWC");
  /* Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, fused_activation_function */
  d->padding_valid = (uint8_t)tg_option(op, 0, 1, 0);
  d->stride_w = (uint8_t)tg_option(op, 1, 4, 1);
  d->stride_h = (uint8_t)tg_option(op, 2, 4, 1);
  d->filter_w = (uint8_t)tg_option(op, 3, 4, 1);
  d->filter_h = (uint8_t)tg_option(op, 4, 4, 1);
  if (!d->stride_w || !d->stride_h) return tg_refuse("operator with a zero stride or dilation");
  return tg_activation_range((uint8_t)tg_option(op, 5, 1, 0), &out, &d->act_min, &d->act_max);
}

void tg_pool_eval(const tg_op_t *op, const void *data) {
  const pool_data_t *d = (const pool_data_t *)data;
  tg_tensor_t in, out;
  tg_shape(op->inputs[0], &in);
  tg_shape(op->output, &out);
  const int8_t *x = (const int8_t *)tg_buffer(op->inputs[0]);
  int8_t *y = (int8_t *)tg_buffer(op->output);
  int32_t in_h = in.dims[1], in_w = in.dims[2], ch = in.dims[3];
  int32_t out_h = out.dims[1], out_w = out.dims[2];
  int32_t stride_h = d->stride_h, stride_w = d->stride_w, filter_h = d->filter_h, filter_w = d->filter_w;
  int32_t pad_h = tg_pad_before(in_h, out_h, filter_h, stride_h, 1, d->padding_valid);
  int32_t pad_w = tg_pad_before(in_w, out_w, filter_w, stride_w, 1, d->padding_valid);
  int32_t lo = d->act_min, hi = d->act_max;
  int avg = op->builtin == TG_OP_AVERAGE_POOL_2D;
  for (int32_t b = 0; b < in.dims[0]; b++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++)
        for (int32_t c = 0; c < ch; c++) {
          int32_t iy0 = oy * stride_h - pad_h, ix0 = ox * stride_w - pad_w;
          int32_t fy0 = iy0 < 0 ? -iy0 : 0, fx0 = ix0 < 0 ? -ix0 : 0;
          int32_t fy1 = in_h - iy0 < filter_h ? in_h - iy0 : filter_h;
          int32_t fx1 = in_w - ix0 < filter_w ? in_w - ix0 : filter_w;
          int32_t acc = avg ? 0 : -128, count = 0;
          for (int32_t fy = fy0; fy < fy1; fy++)
            for (int32_t fx = fx0; fx < fx1; fx++) {
              int32_t v = x[((b * in_h + iy0 + fy) * in_w + ix0 + fx) * ch + c];
              if (avg) acc += v;
              else if (v > acc) acc = v;
              count++;
            }
          if (avg && count) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          if (acc < lo) acc = lo;
          if (acc > hi) acc = hi;
          y[((b * out_h + oy) * out_w + ox) * ch + c] = (int8_t)acc;
        }
}
