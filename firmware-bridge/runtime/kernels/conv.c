/* CONV_2D and DEPTHWISE_CONV_2D, int8 NHWC with per-channel filters, as TFLite's reference kernels (16x8 CONV_2D:
   int16x8.c). */
#include <string.h>

#include "tg_fixed_point.h"
#include "tg_kernel.h"

typedef struct {
  int32_t multiplier; /* or per channel: int32 multipliers and int8 shifts follow the struct */
  int16_t act_min, act_max;
  int16_t in_zp, out_zp; /* kept: read on every inference */
  uint16_t depth_multiplier;
  uint8_t padding_valid, stride_w, stride_h, dilation_w, dilation_h;
  int8_t shift;
  uint8_t per_channel; /* bit 0; bit 1: 16x8 */
  uint8_t unused[3];
} conv_data_t;
TG_DATA_SIZE(conv_data_t, 24);

int tg_conv_prepare(const tg_op_t *op) {
  conv_data_t *d = (conv_data_t *)tg_op_alloc(sizeof *d);
  if (!d) return -1;
  if (op->input_count < 2) return tg_refuse("convolution without a filter");
  tg_tensor_t in, w, out;
  tg_tensor(op->inputs[0], &in);
  tg_tensor(op->inputs[1], &w);
  tg_tensor(op->output, &out);
  if (!w.data || w.rank != 4 || in.rank != 4 || out.rank != 4 || (op->builtin == TG_OP_CONV_2D && w.dims[3] != in.dims[3]))
    return tg_refuse("convolutions must be NHWC with a constant filter as deep as the input");
  /* Conv2DOptions: padding, stride_w, stride_h, activation, dilation_w, dilation_h; DepthwiseConv2DOptions has
     depth_multiplier before the activation. */
  uint8_t dw = op->builtin == TG_OP_DEPTHWISE_CONV_2D;
  d->padding_valid = (uint8_t)tg_option(op, 0, 1, 0);
  d->stride_w = (uint8_t)tg_option(op, 1, 4, 1);
  d->stride_h = (uint8_t)tg_option(op, 2, 4, 1);
  d->depth_multiplier = dw ? (uint16_t)tg_option(op, 3, 4, 1) : 1;
  d->dilation_w = (uint8_t)tg_option(op, (uint16_t)(dw ? 5 : 4), 4, 1);
  d->dilation_h = (uint8_t)tg_option(op, (uint16_t)(dw ? 6 : 5), 4, 1);
  if (!d->stride_w || !d->stride_h || !d->dilation_w || !d->dilation_h)
    return tg_refuse("operator with a zero stride or dilation");
  if (dw && !d->depth_multiplier) return tg_refuse("DEPTHWISE_CONV_2D with a zero depth multiplier");
  if (tg_prepare_requant(op, out.dims[3], &d->multiplier, &d->shift, &d->per_channel) != 0) return -1;
#ifdef TG_WITHOUT_16X8
  if (in.type != TG_TYPE_INT8 || w.type != TG_TYPE_INT8 || out.type != TG_TYPE_INT8) return tg_refuse("convolutions must be int8");
#else
  if (in.type == TG_TYPE_INT16) {
    if (tg_prepare_16x8(op) != 0) return -1;
    d->per_channel |= 2u;
  }
#endif
  d->in_zp = in.zero_point;
  d->out_zp = out.zero_point;
  return tg_activation_range((uint8_t)tg_option(op, (uint16_t)(dw ? 4 : 3), 1, 0), &out, &d->act_min, &d->act_max);
}

#ifndef TG_WITHOUT_16X8
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void conv_16x8(const tg_op_t *op, const conv_data_t *d) {
  tg_tensor_t o;
  tg_shape(op->output, &o);
  uint8_t pc = d->per_channel & 1u;
  tg_16x8_t q = {0, 0, d->act_min, d->act_max, pc};
  tg_conv_geometry_t g = {d->stride_w, d->stride_h, d->dilation_w, d->dilation_h, d->padding_valid};
  tg_requant_arrays(pc, &d->multiplier, &d->shift, d + 1, o.dims[3], &q.mult, &q.shift);
  tg_conv_16x8_eval(op, &q, &g);
}
#endif

/* The int8 loops in a function of their own: they compile as they did before 16x8 (kws: the same instructions). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void conv_int8(const tg_op_t *op, const conv_data_t *d) {
  tg_tensor_t in, w, out;
  tg_shape(op->inputs[0], &in);
  tg_shape(op->inputs[1], &w);
  tg_shape(op->output, &out);
  const int8_t *x = (const int8_t *)tg_buffer(op->inputs[0]);
  const int8_t *f = (const int8_t *)tg_buffer(op->inputs[1]);
  const uint8_t *bias = op->input_count > 2 && op->inputs[2] >= 0 ? tg_buffer(op->inputs[2]) : 0;
  int8_t *y = (int8_t *)tg_buffer(op->output);
  const int32_t *mult;
  const int8_t *shift;
  tg_requant_arrays(d->per_channel, &d->multiplier, &d->shift, d + 1, out.dims[3], &mult, &shift);
  int depthwise = op->builtin == TG_OP_DEPTHWISE_CONV_2D;
  int32_t in_h = in.dims[1], in_w = in.dims[2], in_c = in.dims[3];
  int32_t out_h = out.dims[1], out_w = out.dims[2], out_c = out.dims[3];
  int32_t f_h = w.dims[1], f_w = w.dims[2];
  int32_t stride_h = d->stride_h, stride_w = d->stride_w, dil_h = d->dilation_h, dil_w = d->dilation_w;
  int32_t pad_h = tg_pad_before(in_h, out_h, f_h, stride_h, dil_h, d->padding_valid);
  int32_t pad_w = tg_pad_before(in_w, out_w, f_w, stride_w, dil_w, d->padding_valid);
  int32_t input_offset = -d->in_zp, out_zp = d->out_zp, lo = d->act_min, hi = d->act_max;
  int per_channel = d->per_channel;
  uint16_t mul = depthwise ? d->depth_multiplier : 1;
  for (int32_t b = 0; b < in.dims[0]; b++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++)
        for (int32_t oc = 0; oc < out_c; oc++) {
          int32_t acc = 0;
          int32_t iy0 = oy * stride_h - pad_h, ix0 = ox * stride_w - pad_w;
          for (int32_t fy = 0; fy < f_h; fy++) {
            int32_t iy = iy0 + dil_h * fy;
            if (iy < 0 || iy >= in_h) continue;
            if (!depthwise && dil_w == 1) {
              /* Undilated: the row's pixels inside the input and their filter taps are each one run of
                 memory, so one dot product takes the row (a 1-channel first layer would call it per MAC). */
              int32_t fx0 = ix0 < 0 ? -ix0 : 0;
              int32_t fx1 = in_w - ix0 < f_w ? in_w - ix0 : f_w;
              if (fx1 > fx0) {
                const int8_t *px = x + ((b * in_h + iy) * in_w + ix0 + fx0) * in_c;
                const int8_t *pf = f + ((oc * f_h + fy) * f_w + fx0) * in_c;
                int32_t wsum;
                acc += tg_dot_int8(pf, px, (uint32_t)((fx1 - fx0) * in_c), &wsum) + input_offset * wsum;
              }
              continue;
            }
            if (depthwise) {
              /* The taps of this filter row inside the input, walked with strides: no bounds test or
                 channel division per MAC. */
              int32_t fx0 = ix0 < 0 ? (-ix0 + dil_w - 1) / dil_w : 0;
              int32_t fx1 = ix0 >= in_w ? 0 : ix0 + dil_w * (f_w - 1) < in_w ? f_w : (in_w - 1 - ix0) / dil_w + 1;
              if (fx1 <= fx0) continue;
              const int8_t *px = x + ((b * in_h + iy) * in_w + ix0 + dil_w * fx0) * in_c + oc / mul;
              const int8_t *pf = f + (fy * f_w + fx0) * out_c + oc;
              int32_t px_step = dil_w * in_c;
              for (int32_t fx = fx0; fx < fx1; fx++, px += px_step, pf += out_c)
                acc += (int32_t)*pf * ((int32_t)*px + input_offset);
              continue;
            }
            for (int32_t fx = 0; fx < f_w; fx++) {
              int32_t ix = ix0 + dil_w * fx;
              if (ix < 0 || ix >= in_w) continue;
              const int8_t *pf = f + ((oc * f_h + fy) * f_w + fx) * in_c;
              int32_t wsum;
              acc += tg_dot_int8(pf, x + ((b * in_h + iy) * in_w + ix) * in_c, (uint32_t)in_c, &wsum) +
                     input_offset * wsum;
            }
          }
          if (bias) {
            int32_t bv;
            memcpy(&bv, bias + 4u * (uint32_t)oc, 4);
            acc += bv;
          }
          uint32_t p = per_channel ? (uint32_t)oc : 0;
          acc = tg_requantize(acc, mult[p], shift[p]) + out_zp;
          if (acc < lo) acc = lo;
          if (acc > hi) acc = hi;
          y[((b * out_h + oy) * out_w + ox) * out_c + oc] = (int8_t)acc;
        }
}

void tg_conv_eval(const tg_op_t *op, const void *data) {
  const conv_data_t *d = (const conv_data_t *)data;
#ifndef TG_WITHOUT_16X8
  if (d->per_channel & 2u) {
    conv_16x8(op, d);
    return;
  }
#endif
  conv_int8(op, d);
}
