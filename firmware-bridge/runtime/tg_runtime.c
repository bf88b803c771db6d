/*
 * The on-board int8 runtime: runs the active model's subgraph 0 in one static arena, with
 * TFLite's reference fixed-point arithmetic so outputs match TensorFlow Lite Micro. Kernels:
 * FULLY_CONNECTED (per-tensor or per-channel), CONV_2D and DEPTHWISE_CONV_2D (per-channel),
 * AVERAGE_POOL_2D, MAX_POOL_2D (all with fused RELU/RELU6), RESHAPE, QUANTIZE, DEQUANTIZE.
 */
#include "tg_runtime.h"

#include <string.h>

#include "tg_model.h"

#ifndef TG_ARENA_BYTES
#define TG_ARENA_BYTES 65536
#endif
#ifndef TG_MAX_CHANNEL_PARAMS
#define TG_MAX_CHANNEL_PARAMS 2048
#endif
#define ALIGN 16u

static tg_model_t model;
static uint8_t arena[TG_ARENA_BYTES] __attribute__((aligned(16)));
static uint32_t offsets[TG_MAX_TENSORS];
static uint32_t arena_used;
static uint8_t state = TG_RUNTIME_NO_MODEL;
static char error[96];

/* Per op: where its requantization parameters start in the pools, and how many. */
static uint16_t param_at[TG_MAX_OPS];
static int32_t multiplier_pool[TG_MAX_CHANNEL_PARAMS];
static int8_t shift_pool[TG_MAX_CHANNEL_PARAMS];
static int32_t act_min[TG_MAX_OPS], act_max[TG_MAX_OPS];

/* ---------------- TFLite's fixed-point helpers ---------------- */

static int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  int32_t mask = (int32_t)((1ll << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul((int32_t)((int64_t)x * (1ll << left)), multiplier), right);
}

/* A real multiplier as a Q31 value and a power-of-two exponent, as TFLite's QuantizeMultiplier. */
static void quantize_multiplier(double m, int32_t *q, int *shift) {
  if (m == 0.0) {
    *q = 0;
    *shift = 0;
    return;
  }
  /* frexp by hand: m = frac * 2^shift with frac in [0.5, 1) (m > 0 here: scales are positive). */
  double frac = m;
  *shift = 0;
  while (frac >= 1.0) {
    frac *= 0.5;
    ++*shift;
  }
  while (frac < 0.5) {
    frac *= 2.0;
    --*shift;
  }
  int64_t q_fixed = (int64_t)(frac * (double)(1ll << 31) + 0.5); /* round half away; frac > 0 */
  if (q_fixed == (1ll << 31)) {
    q_fixed /= 2;
    ++*shift;
  }
  if (*shift < -31) {
    *shift = 0;
    q_fixed = 0;
  }
  *q = (int32_t)q_fixed;
}

static float scale_of(const tg_tensor_t *t, uint16_t channel) {
  if (t->scale_count <= 1 || channel >= t->scale_count) return t->scale;
  float v;
  memcpy(&v, t->scales_at + 4u * channel, sizeof v);
  return v;
}

static float round_half_away(float x) {
  /* |x| beyond int32 saturates later anyway; truncation of x + 0.5 rounds half away from zero. */
  if (x >= 2147483647.0f || x <= -2147483648.0f) return x;
  return x < 0 ? -(float)(int32_t)(-x + 0.5f) : (float)(int32_t)(x + 0.5f);
}

/* ---------------- load: check ops, plan the arena, prepare parameters ---------------- */

static int refuse(const char *what) {
  tg_copy_str(error, sizeof error, what);
  state = TG_RUNTIME_ERROR;
  return -1;
}

static int is_activation(int16_t t) { return t >= 0 && !model.tensors[t].data; }

/* Greedy placement as TFLite Micro: largest first, lowest offset free over the tensor's lifetime. */
static int plan(void) {
  int16_t first[TG_MAX_TENSORS], last[TG_MAX_TENSORS];
  for (uint16_t t = 0; t < model.tensor_count; t++) first[t] = last[t] = -1;
  first[model.input] = 0;
  last[model.input] = 0;
  for (uint16_t i = 0; i < model.op_count; i++) {
    const tg_op_t *op = &model.ops[i];
    for (uint8_t k = 0; k < op->input_count; k++) {
      int16_t t = op->inputs[k];
      if (!is_activation(t)) continue;
      if (first[t] < 0) first[t] = (int16_t)i;
      last[t] = (int16_t)i;
    }
    if (first[op->output] < 0) first[op->output] = (int16_t)i;
    last[op->output] = (int16_t)(last[op->output] > (int16_t)i ? last[op->output] : (int16_t)i);
  }
  last[model.output] = (int16_t)(model.op_count ? model.op_count - 1 : 0);
  uint8_t placed[TG_MAX_TENSORS] = {0};
  arena_used = 0;
  for (;;) {
    int16_t pick = -1;
    uint32_t pick_size = 0;
    for (uint16_t t = 0; t < model.tensor_count; t++) {
      if (placed[t] || first[t] < 0 || model.tensors[t].data) continue;
      uint32_t size = (model.tensors[t].bytes + ALIGN - 1) / ALIGN * ALIGN;
      if (pick < 0 || size > pick_size) {
        pick = (int16_t)t;
        pick_size = size;
      }
    }
    if (pick < 0) break;
    /* Lowest offset where it overlaps no placed buffer alive at the same time. */
    uint32_t offset = 0;
    for (int moved = 1; moved;) {
      moved = 0;
      for (uint16_t t = 0; t < model.tensor_count; t++) {
        if (!placed[t] || last[t] < first[pick] || last[pick] < first[t]) continue;
        uint32_t size = (model.tensors[t].bytes + ALIGN - 1) / ALIGN * ALIGN;
        if (offset < offsets[t] + size && offsets[t] < offset + pick_size) {
          offset = offsets[t] + size;
          moved = 1;
        }
      }
    }
    if (offset + pick_size > TG_ARENA_BYTES) return refuse("the model's activations do not fit the arena");
    offsets[pick] = offset;
    placed[pick] = 1;
    if (offset + pick_size > arena_used) arena_used = offset + pick_size;
  }
  return 0;
}

/* CalculateActivationRangeQuantized for int8: NONE, RELU, RELU6; -1 for others. */
static int activation_range(const tg_op_t *op, const tg_tensor_t *out, int32_t *lo, int32_t *hi) {
  *lo = -128;
  *hi = 127;
  if (op->activation == 0) return 0;
  if (op->activation != 1 && op->activation != 3) return -1;
  if (out->zero_point > *lo) *lo = out->zero_point;
  if (op->activation == 3) {
    int32_t six = out->zero_point + (int32_t)round_half_away(6.0f / out->scale);
    if (six < *hi) *hi = six;
  }
  return 0;
}

/* Per-channel (or per-tensor) requantization parameters of a weighted op into the pools. */
static int prepare_weighted(uint16_t i, uint16_t *pool, uint16_t channels) {
  const tg_op_t *op = &model.ops[i];
  const tg_tensor_t *in = &model.tensors[op->inputs[0]];
  const tg_tensor_t *w = &model.tensors[op->inputs[1]];
  const tg_tensor_t *out = &model.tensors[op->output];
  uint16_t n = w->scale_count > 1 ? channels : 1;
  if (*pool + n > TG_MAX_CHANNEL_PARAMS) return refuse("too many per-channel parameters");
  param_at[i] = *pool;
  for (uint16_t c = 0; c < n; c++) {
    double real = (double)in->scale * (double)scale_of(w, c) / (double)out->scale;
    int shift;
    quantize_multiplier(real, &multiplier_pool[*pool + c], &shift);
    shift_pool[*pool + c] = (int8_t)shift;
  }
  *pool = (uint16_t)(*pool + n);
  if (activation_range(op, out, &act_min[i], &act_max[i]) != 0) return refuse("unsupported fused activation");
  return 0;
}

static int prepare(void) {
  uint16_t pool = 0;
  for (uint16_t i = 0; i < model.op_count; i++) {
    const tg_op_t *op = &model.ops[i];
    char name[24];
    switch (op->builtin) {
      case TG_OP_FULLY_CONNECTED: {
        if (op->input_count < 2) return refuse("FULLY_CONNECTED without weights");
        const tg_tensor_t *in = &model.tensors[op->inputs[0]];
        const tg_tensor_t *w = &model.tensors[op->inputs[1]];
        const tg_tensor_t *out = &model.tensors[op->output];
        if (in->type != TG_TYPE_INT8 || w->type != TG_TYPE_INT8 || out->type != TG_TYPE_INT8 || !w->data || w->rank != 2)
          return refuse("FULLY_CONNECTED must be int8 with constant [units, depth] weights");
        (void)out;
        if (prepare_weighted(i, &pool, (uint16_t)w->dims[0]) != 0) return -1;
        break;
      }
#ifndef TG_NO_WINDOW_KERNELS
      case TG_OP_CONV_2D:
      case TG_OP_DEPTHWISE_CONV_2D: {
        if (op->input_count < 2) return refuse("convolution without a filter");
        const tg_tensor_t *in = &model.tensors[op->inputs[0]];
        const tg_tensor_t *w = &model.tensors[op->inputs[1]];
        const tg_tensor_t *out = &model.tensors[op->output];
        if (in->type != TG_TYPE_INT8 || w->type != TG_TYPE_INT8 || out->type != TG_TYPE_INT8 || !w->data || w->rank != 4 ||
            in->rank != 4 || out->rank != 4)
          return refuse("convolutions must be int8 NHWC with a constant filter");
        if (prepare_weighted(i, &pool, (uint16_t)out->dims[3]) != 0) return -1;
        break;
      }
      case TG_OP_AVERAGE_POOL_2D:
      case TG_OP_MAX_POOL_2D: {
        const tg_tensor_t *in = &model.tensors[op->inputs[0]];
        const tg_tensor_t *out = &model.tensors[op->output];
        if (in->type != TG_TYPE_INT8 || in->rank != 4 || out->rank != 4) return refuse("pooling must be int8 NHWC");
        if (activation_range(op, out, &act_min[i], &act_max[i]) != 0) return refuse("unsupported fused activation");
        break;
      }
#endif
      case TG_OP_RESHAPE:
      case TG_OP_QUANTIZE:
      case TG_OP_DEQUANTIZE:
        break;
      default:
        tg_copy_str(error, sizeof error, "unsupported op ");
        tg_copy_str(error + 15, (uint16_t)(sizeof error - 15), tg_op_name(op->builtin, name, sizeof name));
        state = TG_RUNTIME_ERROR;
        return -1;
    }
  }
  return 0;
}

int tg_runtime_load(const uint8_t *data, uint32_t len) {
  state = TG_RUNTIME_NO_MODEL;
  error[0] = 0;
  if (!data || !len) return 0;
  if (tg_model_load(data, len, &model, error, sizeof error) != 0) {
    state = TG_RUNTIME_ERROR;
    return -1;
  }
  if (plan() != 0 || prepare() != 0) return -1;
  state = TG_RUNTIME_READY;
  return 0;
}

uint8_t tg_runtime_state(void) { return state; }
const char *tg_runtime_error(void) { return error; }
uint32_t tg_runtime_arena_used(void) { return arena_used; }
uint16_t tg_runtime_op_count(void) { return state == TG_RUNTIME_READY ? model.op_count : 0; }

static uint8_t *buf(int16_t t) { return arena + offsets[t]; }

uint32_t tg_runtime_input_bytes(void) { return state == TG_RUNTIME_READY ? model.tensors[model.input].bytes : 0; }
uint8_t *tg_runtime_input(void) { return buf(model.input); }

const uint8_t *tg_runtime_output(uint32_t *len) {
  *len = state == TG_RUNTIME_READY ? model.tensors[model.output].bytes : 0;
  return buf(model.output);
}

/* ---------------- kernels ---------------- */

static void fully_connected(uint16_t i) {
  const tg_op_t *op = &model.ops[i];
  const tg_tensor_t *in = &model.tensors[op->inputs[0]];
  const tg_tensor_t *w = &model.tensors[op->inputs[1]];
  const tg_tensor_t *out = &model.tensors[op->output];
  const int8_t *x = (const int8_t *)buf(op->inputs[0]);
  const int8_t *weights = (const int8_t *)w->data;
  const uint8_t *bias = op->input_count > 2 && op->inputs[2] >= 0 ? model.tensors[op->inputs[2]].data : 0;
  int8_t *y = (int8_t *)buf(op->output);
  uint32_t units = (uint32_t)w->dims[0], depth = (uint32_t)w->dims[1];
  uint32_t batches = in->elements / depth;
  int32_t input_offset = -in->zero_point;
  int32_t filter_offset = -w->zero_point;
  int per_channel = w->scale_count > 1;
  for (uint32_t b = 0; b < batches; b++) {
    for (uint32_t u = 0; u < units; u++) {
      int32_t acc = 0;
      const int8_t *row = weights + u * depth;
      const int8_t *xb = x + b * depth;
      for (uint32_t d = 0; d < depth; d++) acc += ((int32_t)row[d] + filter_offset) * ((int32_t)xb[d] + input_offset);
      if (bias) {
        int32_t bv;
        memcpy(&bv, bias + 4u * u, 4);
        acc += bv;
      }
      uint16_t p = (uint16_t)(param_at[i] + (per_channel ? u : 0));
      acc = multiply_by_quantized_multiplier(acc, multiplier_pool[p], shift_pool[p]) + out->zero_point;
      if (acc < act_min[i]) acc = act_min[i];
      if (acc > act_max[i]) acc = act_max[i];
      y[b * units + u] = (int8_t)acc;
    }
  }
}

#ifndef TG_NO_WINDOW_KERNELS /* builds for dense-only models leave conv and pooling out */
/* TFLite's SAME padding: half of the total, rounded down, on the leading side. */
static int32_t pad_before(int32_t in, int32_t out, int32_t filter, int32_t stride, int32_t dilation, uint8_t valid) {
  if (valid) return 0;
  int32_t effective = (filter - 1) * dilation + 1;
  int32_t total = (out - 1) * stride + effective - in;
  return total > 0 ? total / 2 : 0;
}

static int8_t requantize(uint16_t i, uint16_t channel, int32_t acc, int32_t out_zp) {
  uint16_t p = (uint16_t)(param_at[i] + channel);
  acc = multiply_by_quantized_multiplier(acc, multiplier_pool[p], shift_pool[p]) + out_zp;
  if (acc < act_min[i]) acc = act_min[i];
  if (acc > act_max[i]) acc = act_max[i];
  return (int8_t)acc;
}

/* CONV_2D and DEPTHWISE_CONV_2D, as TFLite's reference per-channel int8 kernels. */
static void convolution(uint16_t i) {
  const tg_op_t *op = &model.ops[i];
  const tg_tensor_t *in = &model.tensors[op->inputs[0]];
  const tg_tensor_t *w = &model.tensors[op->inputs[1]];
  const tg_tensor_t *out = &model.tensors[op->output];
  const int8_t *x = (const int8_t *)buf(op->inputs[0]);
  const int8_t *f = (const int8_t *)w->data;
  const uint8_t *bias = op->input_count > 2 && op->inputs[2] >= 0 ? model.tensors[op->inputs[2]].data : 0;
  int8_t *y = (int8_t *)buf(op->output);
  int depthwise = op->builtin == TG_OP_DEPTHWISE_CONV_2D;
  int32_t in_h = in->dims[1], in_w = in->dims[2], in_c = in->dims[3];
  int32_t out_h = out->dims[1], out_w = out->dims[2], out_c = out->dims[3];
  int32_t f_h = w->dims[1], f_w = w->dims[2];
  int32_t pad_h = pad_before(in_h, out_h, f_h, op->stride_h, op->dilation_h, op->padding_valid);
  int32_t pad_w = pad_before(in_w, out_w, f_w, op->stride_w, op->dilation_w, op->padding_valid);
  int32_t input_offset = -in->zero_point;
  int per_channel = w->scale_count > 1;
  uint16_t mult = depthwise ? op->depth_multiplier : 1;
  for (int32_t b = 0; b < in->dims[0]; b++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++)
        for (int32_t oc = 0; oc < out_c; oc++) {
          int32_t acc = 0;
          int32_t iy0 = oy * op->stride_h - pad_h, ix0 = ox * op->stride_w - pad_w;
          for (int32_t fy = 0; fy < f_h; fy++) {
            int32_t iy = iy0 + op->dilation_h * fy;
            if (iy < 0 || iy >= in_h) continue;
            for (int32_t fx = 0; fx < f_w; fx++) {
              int32_t ix = ix0 + op->dilation_w * fx;
              if (ix < 0 || ix >= in_w) continue;
              const int8_t *px = x + ((b * in_h + iy) * in_w + ix) * in_c;
              if (depthwise) {
                int32_t ic = oc / mult;
                acc += (int32_t)f[(fy * f_w + fx) * out_c + oc] * ((int32_t)px[ic] + input_offset);
              } else {
                const int8_t *pf = f + ((oc * f_h + fy) * f_w + fx) * in_c;
                for (int32_t ic = 0; ic < in_c; ic++) acc += (int32_t)pf[ic] * ((int32_t)px[ic] + input_offset);
              }
            }
          }
          if (bias) {
            int32_t bv;
            memcpy(&bv, bias + 4u * (uint32_t)oc, 4);
            acc += bv;
          }
          y[((b * out_h + oy) * out_w + ox) * out_c + oc] = requantize(i, (uint16_t)(per_channel ? oc : 0), acc, out->zero_point);
        }
}

/* AVERAGE_POOL_2D and MAX_POOL_2D over the valid part of each window, as TFLite's reference kernels. */
static void pooling(uint16_t i) {
  const tg_op_t *op = &model.ops[i];
  const tg_tensor_t *in = &model.tensors[op->inputs[0]];
  const tg_tensor_t *out = &model.tensors[op->output];
  const int8_t *x = (const int8_t *)buf(op->inputs[0]);
  int8_t *y = (int8_t *)buf(op->output);
  int32_t in_h = in->dims[1], in_w = in->dims[2], ch = in->dims[3];
  int32_t out_h = out->dims[1], out_w = out->dims[2];
  int32_t pad_h = pad_before(in_h, out_h, op->filter_h, op->stride_h, 1, op->padding_valid);
  int32_t pad_w = pad_before(in_w, out_w, op->filter_w, op->stride_w, 1, op->padding_valid);
  int avg = op->builtin == TG_OP_AVERAGE_POOL_2D;
  for (int32_t b = 0; b < in->dims[0]; b++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++)
        for (int32_t c = 0; c < ch; c++) {
          int32_t iy0 = oy * op->stride_h - pad_h, ix0 = ox * op->stride_w - pad_w;
          int32_t fy0 = iy0 < 0 ? -iy0 : 0, fx0 = ix0 < 0 ? -ix0 : 0;
          int32_t fy1 = in_h - iy0 < op->filter_h ? in_h - iy0 : op->filter_h;
          int32_t fx1 = in_w - ix0 < op->filter_w ? in_w - ix0 : op->filter_w;
          int32_t acc = avg ? 0 : -128, count = 0;
          for (int32_t fy = fy0; fy < fy1; fy++)
            for (int32_t fx = fx0; fx < fx1; fx++) {
              int32_t v = x[((b * in_h + iy0 + fy) * in_w + ix0 + fx) * ch + c];
              if (avg) acc += v;
              else if (v > acc) acc = v;
              count++;
            }
          if (avg && count) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          if (acc < act_min[i]) acc = act_min[i];
          if (acc > act_max[i]) acc = act_max[i];
          y[((b * out_h + oy) * out_w + ox) * ch + c] = (int8_t)acc;
        }
}

#endif

static void quantize(const tg_op_t *op) {
  const tg_tensor_t *out = &model.tensors[op->output];
  const float *x = (const float *)buf(op->inputs[0]);
  int8_t *y = (int8_t *)buf(op->output);
  for (uint32_t k = 0; k < out->elements; k++) {
    int32_t q = (int32_t)round_half_away(x[k] / out->scale) + out->zero_point;
    y[k] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
  }
}

static void dequantize(const tg_op_t *op) {
  const tg_tensor_t *in = &model.tensors[op->inputs[0]];
  const int8_t *x = (const int8_t *)buf(op->inputs[0]);
  float *y = (float *)buf(op->output);
  for (uint32_t k = 0; k < in->elements; k++) y[k] = (float)((double)in->scale * (double)((int32_t)x[k] - in->zero_point));
}

int tg_runtime_invoke(void) {
  if (state != TG_RUNTIME_READY) return -1;
  for (uint16_t i = 0; i < model.op_count; i++) {
    const tg_op_t *op = &model.ops[i];
    switch (op->builtin) {
      case TG_OP_FULLY_CONNECTED: fully_connected(i); break;
#ifndef TG_NO_WINDOW_KERNELS
      case TG_OP_CONV_2D:
      case TG_OP_DEPTHWISE_CONV_2D: convolution(i); break;
      case TG_OP_AVERAGE_POOL_2D:
      case TG_OP_MAX_POOL_2D: pooling(i); break;
#endif
      case TG_OP_QUANTIZE: quantize(op); break;
      case TG_OP_DEQUANTIZE: dequantize(op); break;
      case TG_OP_RESHAPE:
        if (buf(op->inputs[0]) != buf(op->output))
          memmove(buf(op->output), buf(op->inputs[0]), model.tensors[op->output].bytes);
        break;
      default: return -1;
    }
  }
  return 0;
}
