/*
 * The 16x8 scheme of FULLY_CONNECTED and CONV_2D (int16 activations with zero point 0, int8 weights), as
 * TFLite's reference kernels: products summed in int64 with an int64 bias, requantized from int64 (one
 * rounding, tg_requantize64). fully_connected.c and conv.c prepare the op and call these when its input is
 * int16. With an int32 bias or none, TFLite sums in int32 and the two disagree (TFLite Micro rounds twice,
 * the official interpreter once): such models are refused rather than answered as one of them.
 */
#include <string.h>

#include "tg_fixed_point.h"
#include "tg_kernel.h"

#ifndef TG_WITHOUT_16X8

static const char zero_points[] TG_ROM = "16x8 FULLY_CONNECTED and CONV_2D need zero points 0";
static const char int64_bias[] TG_ROM = "16x8 FULLY_CONNECTED and CONV_2D need a constant int64 bias, one per channel";

int tg_prepare_16x8(const tg_op_t *op) {
  tg_tensor_t in, w, out, b;
  tg_tensor(op->inputs[0], &in);
  tg_tensor(op->inputs[1], &w);
  tg_tensor(op->output, &out);
  if (in.zero_point || out.zero_point || w.zero_point)
    return tg_refuse_rom(zero_points);
  if (op->input_count > 2 && op->inputs[2] >= 0) tg_tensor(op->inputs[2], &b);
  else b.type = TG_TYPE_FLOAT32;
  if (b.type != TG_TYPE_INT64 || !b.data || b.elements != w.dims[0])
    return tg_refuse_rom(int64_bias);
  return 0;
}

/* Σw·x of an int8 row and an int16 row: int32 partial sums of 256 products (each |w·x| ≤ 2^22) into int64. */
static int64_t dot_16x8(const int8_t *w, const int16_t *x, uint32_t n) {
  int64_t acc = 0;
  while (n) {
    uint32_t k = n < 256 ? n : 256;
    int32_t part = 0;
    for (uint32_t i = 0; i < k; i++) part += (int32_t)w[i] * x[i];
    acc += part;
    w += k;
    x += k;
    n -= k;
  }
  return acc;
}

/* Bias, requantization and clamp of one accumulator. */
static int16_t finish(const tg_16x8_t *q, int64_t acc, const uint8_t *bias, uint32_t c) {
  uint32_t p = q->per_channel ? c : 0;
  int64_t b;
  memcpy(&b, bias + 8u * c, 8);
  int32_t y = tg_requantize64(acc + b, q->mult[p], q->shift[p]);
  if (y < q->lo) y = q->lo;
  if (y > q->hi) y = q->hi;
  return (int16_t)y;
}

void tg_fully_connected_16x8_eval(const tg_op_t *op, const tg_16x8_t *q) {
  tg_tensor_t in, w;
  tg_shape(op->inputs[0], &in);
  tg_shape(op->inputs[1], &w);
  const int16_t *x = (const int16_t *)(const void *)tg_buffer(op->inputs[0]);
  const int8_t *weights = (const int8_t *)tg_buffer(op->inputs[1]);
  const uint8_t *bias = tg_buffer(op->inputs[2]);
  int16_t *y = (int16_t *)(void *)tg_buffer(op->output);
  uint32_t units = w.dims[0], depth = w.dims[1];
  uint32_t batches = depth ? in.elements / depth : 0;
  for (uint32_t b = 0; b < batches; b++)
    for (uint32_t u = 0; u < units; u++)
      y[b * units + u] = finish(q, dot_16x8(weights + u * depth, x + b * depth, depth), bias, u);
}

void tg_conv_16x8_eval(const tg_op_t *op, const tg_16x8_t *q, const tg_conv_geometry_t *g) {
  tg_tensor_t in, w, out;
  tg_shape(op->inputs[0], &in);
  tg_shape(op->inputs[1], &w);
  tg_shape(op->output, &out);
  const int16_t *x = (const int16_t *)(const void *)tg_buffer(op->inputs[0]);
  const int8_t *f = (const int8_t *)tg_buffer(op->inputs[1]);
  const uint8_t *bias = tg_buffer(op->inputs[2]);
  int16_t *y = (int16_t *)(void *)tg_buffer(op->output);
  int32_t in_h = in.dims[1], in_w = in.dims[2], in_c = in.dims[3];
  int32_t out_h = out.dims[1], out_w = out.dims[2], out_c = out.dims[3];
  int32_t f_h = w.dims[1], f_w = w.dims[2];
  int32_t pad_h = tg_pad_before(in_h, out_h, f_h, g->stride_h, g->dilation_h, g->padding_valid);
  int32_t pad_w = tg_pad_before(in_w, out_w, f_w, g->stride_w, g->dilation_w, g->padding_valid);
  for (int32_t b = 0; b < in.dims[0]; b++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++)
        for (int32_t oc = 0; oc < out_c; oc++) {
          int64_t acc = 0;
          int32_t iy0 = oy * g->stride_h - pad_h, ix0 = ox * g->stride_w - pad_w;
          for (int32_t fy = 0; fy < f_h; fy++) {
            int32_t iy = iy0 + g->dilation_h * fy;
            if (iy < 0 || iy >= in_h) continue;
            for (int32_t fx = 0; fx < f_w; fx++) {
              int32_t ix = ix0 + g->dilation_w * fx;
              if (ix < 0 || ix >= in_w) continue;
              acc += dot_16x8(f + ((oc * f_h + fy) * f_w + fx) * in_c, x + ((b * in_h + iy) * in_w + ix) * in_c,
                              (uint32_t)in_c);
            }
          }
          y[((b * out_h + oy) * out_w + ox) * out_c + oc] = finish(q, acc, bias, (uint32_t)oc);
        }
}

#endif
