/*
 * The on-board int8 runtime: runs the active model's subgraph 0 in one static arena, with
 * TFLite's reference fixed-point arithmetic so outputs match TensorFlow Lite Micro. Kernels:
 * FULLY_CONNECTED (per-tensor or per-channel), CONV_2D and DEPTHWISE_CONV_2D (per-channel),
 * AVERAGE_POOL_2D, MAX_POOL_2D (all with fused RELU/RELU6), RESHAPE, SQUEEZE, QUANTIZE, DEQUANTIZE;
 * ADD, SUB, MUL, CONCATENATION, PAD, MEAN (tg_elementwise.c); SOFTMAX, LOGISTIC, TANH (tg_activations.c).
 */
#include "tg_runtime.h"

#include <string.h>

#include "tg_activations.h"
#include "tg_elementwise.h"
#include "tg_fixed_point.h"
#include "tg_model.h"

/* TG_DENSE_ONLY: a build for dense models only (FULLY_CONNECTED, RESHAPE, (DE)QUANTIZE), the smallest code. */
#ifdef TG_DENSE_ONLY
#define TG_NO_WINDOW_KERNELS
#endif

#ifndef TG_ARENA_BYTES
#define TG_ARENA_BYTES 65536
#endif
#ifndef TG_MAX_CHANNEL_PARAMS
#define TG_MAX_CHANNEL_PARAMS 2048
#endif
#define ALIGN 16u

static tg_model_t model;
static uint8_t arena[TG_ARENA_BYTES] __attribute__((aligned(16)));

void tg_runtime_limits(uint16_t *tensors, uint16_t *ops, uint16_t *channel_params) {
  *tensors = TG_MAX_TENSORS;
  *ops = TG_MAX_OPS;
  *channel_params = TG_MAX_CHANNEL_PARAMS;
}
static uint32_t offsets[TG_MAX_TENSORS];
static uint32_t arena_used;
static uint8_t state = TG_RUNTIME_NO_MODEL;
static char error[96];

/* Per op: where its requantization parameters start in the pools, and how many. */
static uint16_t param_at[TG_MAX_OPS];
static int32_t multiplier_pool[TG_MAX_CHANNEL_PARAMS];
static int8_t shift_pool[TG_MAX_CHANNEL_PARAMS];
static int32_t act_min[TG_MAX_OPS], act_max[TG_MAX_OPS];
/* One more prepared integer per op: SOFTMAX's diff_min, LOGISTIC/TANH's input radius. */
#ifndef TG_DENSE_ONLY
static int32_t op_extra[TG_MAX_OPS];
#endif

#define saturating_rounding_doubling_high_mul tg_srdhm
#define multiply_by_quantized_multiplier tg_multiply_by_quantized_multiplier

static float scale_of(const tg_tensor_t *t, uint16_t channel) {
  if (t->scale_count <= 1 || channel >= t->scale_count) return t->scale;
  float v;
  memcpy(&v, t->scales_at + 4u * channel, sizeof v);
  return v;
}

/* std::round of a float (half away from zero), as TFLite rounds its float activation limits. */
static int32_t round_float(float x) {
  if (x > 1073741824.0f) return (int32_t)1 << 30;
  if (x < -1073741824.0f) return -((int32_t)1 << 30);
  int32_t t = (int32_t)x;
  float frac = x - (float)t; /* exact */
  return frac >= 0.5f ? t + 1 : frac <= -0.5f ? t - 1 : t;
}

/* ---------------- load: check ops, plan the arena, prepare parameters ---------------- */

static int refuse(const char *what) {
  tg_copy_str(error, sizeof error, what);
  state = TG_RUNTIME_ERROR;
  return -1;
}

static int is_activation(int16_t t) { return t >= 0 && !model.tensors[t].data; }

/* A tensor's room in the arena: its bytes rounded up to the alignment. */
static uint32_t arena_bytes_of(uint16_t t) { return (TG_TENSOR_BYTES(&model.tensors[t]) + ALIGN - 1) / ALIGN * ALIGN; }

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
  /* The model's offline plan first (TFLite Micro's OfflineMemoryAllocation): its offsets are taken as
     given, checked against the arena and against each other for tensors alive at the same time. */
  if (model.offline_offsets) {
    for (uint16_t t = 0; t < model.tensor_count; t++) {
      int32_t at;
      memcpy(&at, model.offline_offsets + 4u * t, 4);
      if (at < 0 || first[t] < 0 || model.tensors[t].data) continue;
      uint32_t size = arena_bytes_of(t);
      if ((uint32_t)at > TG_ARENA_BYTES || size > TG_ARENA_BYTES - (uint32_t)at)
        return refuse("the model's offline memory plan does not fit the arena");
      for (uint16_t o = 0; o < t; o++) {
        if (!placed[o] || last[o] < first[t] || last[t] < first[o]) continue;
        uint32_t osize = arena_bytes_of(o);
        if ((uint32_t)at < offsets[o] + osize && offsets[o] < (uint32_t)at + size)
          return refuse("the model's offline memory plan overlaps tensors in use at the same time");
      }
      offsets[t] = (uint32_t)at;
      placed[t] = 1;
      if ((uint32_t)at + size > arena_used) arena_used = (uint32_t)at + size;
    }
  }
  for (;;) {
    int16_t pick = -1;
    uint32_t pick_size = 0;
    for (uint16_t t = 0; t < model.tensor_count; t++) {
      if (placed[t] || first[t] < 0 || model.tensors[t].data) continue;
      uint32_t size = arena_bytes_of(t);
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
        uint32_t size = arena_bytes_of(t);
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
    int32_t six = out->zero_point + round_float(6.0f / out->scale);
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
    int shift;
    tg_quantize_multiplier_exact(in->scale, scale_of(w, c), out->scale, 0, &multiplier_pool[*pool + c], &shift);
    shift_pool[*pool + c] = (int8_t)shift;
  }
  *pool = (uint16_t)(*pool + n);
  if (activation_range(op, out, &act_min[i], &act_max[i]) != 0) return refuse("unsupported fused activation");
  return 0;
}

#ifndef TG_DENSE_ONLY
static int all_int8(const tg_op_t *op) {
  if (model.tensors[op->output].type != TG_TYPE_INT8) return 0;
  for (uint8_t k = 0; k < op->input_count; k++)
    if (op->inputs[k] >= 0 && !model.tensors[op->inputs[k]].data && model.tensors[op->inputs[k]].type != TG_TYPE_INT8) return 0;
  return 1;
}

/* Reserve `n` entries of the multiplier/shift pools for op `i`. */
static int reserve(uint16_t i, uint16_t *pool, uint16_t n) {
  if (*pool + n > TG_MAX_CHANNEL_PARAMS) return refuse("too many per-channel parameters");
  param_at[i] = *pool;
  *pool = (uint16_t)(*pool + n);
  return 0;
}

/* Element-wise, reduction and activation ops: checks and prepared parameters. 1 = not one of them. */
static int prepare_more(uint16_t i, uint16_t *pool) {
  const tg_op_t *op = &model.ops[i];
  const tg_tensor_t *in = &model.tensors[op->inputs[0]];
  const tg_tensor_t *out = &model.tensors[op->output];
  int shift;
  switch (op->builtin) {
    case TG_OP_ADD:
    case TG_OP_SUB:
    case TG_OP_MUL: {
      if (op->input_count != 2 || !all_int8(op) || model.tensors[op->inputs[1]].type != TG_TYPE_INT8 || out->rank > 4)
        return refuse("ADD, SUB and MUL must be int8 with two inputs");
      tg_binary_t b = {0};
      uint8_t kind = op->builtin == TG_OP_ADD ? TG_BINARY_ADD : op->builtin == TG_OP_SUB ? TG_BINARY_SUB : TG_BINARY_MUL;
      tg_binary_prepare(kind, in->scale, model.tensors[op->inputs[1]].scale, out->scale, &b);
      if (reserve(i, pool, 3) != 0) return -1;
      multiplier_pool[param_at[i]] = b.in1_multiplier;
      shift_pool[param_at[i]] = b.in1_shift;
      multiplier_pool[param_at[i] + 1] = b.in2_multiplier;
      shift_pool[param_at[i] + 1] = b.in2_shift;
      multiplier_pool[param_at[i] + 2] = b.out_multiplier;
      shift_pool[param_at[i] + 2] = b.out_shift;
      if (activation_range(op, out, &act_min[i], &act_max[i]) != 0) return refuse("unsupported fused activation");
      return 0;
    }
    case TG_OP_CONCATENATION: {
      int axis = op->axis < 0 ? op->axis + out->rank : op->axis;
      if (!all_int8(op) || axis < 0 || axis >= out->rank || op->activation != 0) return refuse("CONCATENATION must be int8 without activation");
      for (uint8_t k = 0; k < op->input_count; k++) {
        const tg_tensor_t *t = &model.tensors[op->inputs[k]];
        if (t->data || t->rank != out->rank || t->scale != out->scale || t->zero_point != out->zero_point)
          return refuse("CONCATENATION inputs must be activations quantized as the output");
      }
      return 0;
    }
    case TG_OP_PAD: {
      const tg_tensor_t *pads = op->input_count >= 2 ? &model.tensors[op->inputs[1]] : 0;
      if (!all_int8(op) || !pads || !pads->data || pads->type != TG_TYPE_INT32 || pads->elements != 2u * in->rank || in->rank > 4)
        return refuse("PAD must be int8 with constant int32 paddings");
      return 0;
    }
    case TG_OP_MEAN: {
      const tg_tensor_t *axes = op->input_count >= 2 ? &model.tensors[op->inputs[1]] : 0;
      if (!all_int8(op) || !axes || !axes->data || axes->type != TG_TYPE_INT32 || in->rank > 4)
        return refuse("MEAN must be int8 with constant int32 axes");
      if (reserve(i, pool, 1) != 0) return -1;
      tg_quantize_multiplier_exact(in->scale, 1.0f, out->scale, 0, &multiplier_pool[param_at[i]], &shift);
      shift_pool[param_at[i]] = (int8_t)shift;
      return 0;
    }
    case TG_OP_SOFTMAX: {
      if (!all_int8(op) || in->rank < 1) return refuse("SOFTMAX must be int8");
      if (reserve(i, pool, 1) != 0) return -1;
      tg_quantize_multiplier_exact(op->beta, in->scale, 1.0f, 26, &multiplier_pool[param_at[i]], &shift);
      /* TFLite caps beta * scale * 2^26 at 2^31 - 1; scales that large or this small are refused instead. */
      if (shift < 0 || shift > 31) return refuse("SOFTMAX input scale out of range");
      shift_pool[param_at[i]] = (int8_t)shift;
      op_extra[i] = -tg_input_radius(5, shift);
      return 0;
    }
    case TG_OP_LOGISTIC:
    case TG_OP_TANH: {
      if (!all_int8(op)) return refuse("LOGISTIC and TANH must be int8");
      tg_q4_input_t q;
      tg_q4_input_prepare(in->scale, in->zero_point, &q);
      if (q.shift < 0 || q.shift > 30) return refuse("LOGISTIC/TANH input scale out of range");
      if (reserve(i, pool, 1) != 0) return -1;
      multiplier_pool[param_at[i]] = q.multiplier;
      shift_pool[param_at[i]] = (int8_t)q.shift;
      op_extra[i] = q.radius;
      return 0;
    }
    default: return 1;
  }
}

#endif

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
      case TG_OP_SQUEEZE:
      case TG_OP_QUANTIZE:
      case TG_OP_DEQUANTIZE:
        break;
      default:
#ifndef TG_DENSE_ONLY
        if (prepare_more(i, &pool) == 0) break;
        if (state == TG_RUNTIME_ERROR) return -1;
#endif
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
void tg_runtime_refuse(const char *why) { (void)refuse(why); }
const char *tg_runtime_error(void) { return error; }
uint32_t tg_runtime_arena_used(void) { return arena_used; }
uint16_t tg_runtime_op_count(void) { return state == TG_RUNTIME_READY ? model.op_count : 0; }

static uint8_t *buf(int16_t t) { return arena + offsets[t]; }

uint32_t tg_runtime_input_bytes(void) { return state == TG_RUNTIME_READY ? TG_TENSOR_BYTES(&model.tensors[model.input]) : 0; }
uint8_t *tg_runtime_input(void) { return buf(model.input); }

const uint8_t *tg_runtime_output(uint32_t *len) {
  *len = state == TG_RUNTIME_READY ? TG_TENSOR_BYTES(&model.tensors[model.output]) : 0;
  return buf(model.output);
}

void tg_runtime_io_quantization(float *in_scale, int32_t *in_zp, float *out_scale, int32_t *out_zp) {
  *in_scale = model.tensors[model.input].scale;
  *in_zp = model.tensors[model.input].zero_point;
  *out_scale = model.tensors[model.output].scale;
  *out_zp = model.tensors[model.output].zero_point;
}

/* ---------------- kernels ---------------- */

/* Σw·x and Σw of two int8 rows. Kept out of line: inlined into the op loop, GCC spills its registers. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int32_t dot_int8(const int8_t *w, const int8_t *x, uint32_t n, int32_t *wsum) {
  int32_t acc = 0, sum = 0;
  const int8_t *end4 = w + (n & ~3u), *end = w + n;
  while (w < end4) {
    int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
    acc += w0 * x[0] + w1 * x[1] + w2 * x[2] + w3 * x[3];
    sum += w0 + w1 + w2 + w3;
    w += 4;
    x += 4;
  }
  while (w < end) {
    int32_t w0 = *w++;
    acc += w0 * *x++;
    sum += w0;
  }
  *wsum = sum;
  return acc;
}

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
      const int8_t *row = weights + u * depth;
      const int8_t *xb = x + b * depth;
      /* Σ(w + fo)(x + io) = Σw·x + io·Σw + fo·Σx + n·fo·io: the same integer, about half the work per MAC. */
      int32_t wsum, xsum = 0;
      int32_t acc = dot_int8(row, xb, depth, &wsum);
      uint32_t d;
      if (filter_offset)
        for (d = 0; d < depth; d++) xsum += xb[d];
      acc += input_offset * wsum + filter_offset * xsum + (int32_t)depth * filter_offset * input_offset;
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
                int32_t wsum;
                acc += dot_int8(pf, px, (uint32_t)in_c, &wsum) + input_offset * wsum;
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
    int32_t q = tg_round_divide_float(x[k], out->scale) + out->zero_point;
    y[k] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
  }
}

static void dequantize(const tg_op_t *op) {
  const tg_tensor_t *in = &model.tensors[op->inputs[0]];
  const int8_t *x = (const int8_t *)buf(op->inputs[0]);
  float *y = (float *)buf(op->output);
  for (uint32_t k = 0; k < in->elements; k++) y[k] = in->scale * (float)((int32_t)x[k] - in->zero_point); /* one rounding, as TFLite's double product cast to float */
}

#ifndef TG_DENSE_ONLY
static void shape_of(int16_t t, tg_shape4_t *s) { tg_shape4(model.tensors[t].dims, model.tensors[t].rank, s); }

/* Constant or activation data of a tensor. */
static const int8_t *data8(int16_t t) { return model.tensors[t].data ? (const int8_t *)model.tensors[t].data : (const int8_t *)buf(t); }

static int32_t const_i32(int16_t t, uint32_t k) {
  int32_t v;
  memcpy(&v, model.tensors[t].data + 4u * k, 4);
  return v;
}

static void invoke_more(uint16_t i) {
  const tg_op_t *op = &model.ops[i];
  const tg_tensor_t *in = &model.tensors[op->inputs[0]];
  const tg_tensor_t *out = &model.tensors[op->output];
  int8_t *y = (int8_t *)buf(op->output);
  uint16_t p = param_at[i];
  tg_shape4_t sx, sy;
  shape_of(op->inputs[0], &sx);
  shape_of(op->output, &sy);
  switch (op->builtin) {
    case TG_OP_ADD:
    case TG_OP_SUB:
    case TG_OP_MUL: {
      const tg_tensor_t *in2 = &model.tensors[op->inputs[1]];
      tg_binary_t b = {.kind = op->builtin == TG_OP_ADD ? TG_BINARY_ADD : op->builtin == TG_OP_SUB ? TG_BINARY_SUB : TG_BINARY_MUL,
                       .in1_offset = -in->zero_point, .in2_offset = -in2->zero_point, .out_offset = out->zero_point,
                       .in1_multiplier = multiplier_pool[p], .in2_multiplier = multiplier_pool[p + 1],
                       .out_multiplier = multiplier_pool[p + 2], .in1_shift = shift_pool[p], .in2_shift = shift_pool[p + 1],
                       .out_shift = shift_pool[p + 2], .act_min = act_min[i], .act_max = act_max[i]};
      tg_shape4_t s2;
      shape_of(op->inputs[1], &s2);
      tg_binary_int8(&b, data8(op->inputs[0]), &sx, data8(op->inputs[1]), &s2, y, &sy);
      break;
    }
    case TG_OP_CONCATENATION: {
      const int8_t *parts[TG_MAX_OP_INPUTS];
      tg_shape4_t shapes[TG_MAX_OP_INPUTS];
      for (uint8_t k = 0; k < op->input_count; k++) {
        parts[k] = data8(op->inputs[k]);
        shape_of(op->inputs[k], &shapes[k]);
      }
      int axis = op->axis < 0 ? op->axis + out->rank : op->axis;
      tg_concat_int8(parts, shapes, op->input_count, (uint8_t)(axis + 4 - out->rank), y, &sy);
      break;
    }
    case TG_OP_PAD: {
      int32_t before[4] = {0, 0, 0, 0};
      for (uint8_t k = 0; k < in->rank; k++) before[4 - in->rank + k] = const_i32(op->inputs[1], 2u * k);
      tg_pad_int8(data8(op->inputs[0]), &sx, before, (int8_t)out->zero_point, y, &sy);
      break;
    }
    case TG_OP_MEAN: {
      uint8_t reduce[4] = {0, 0, 0, 0};
      for (uint32_t k = 0; k < model.tensors[op->inputs[1]].elements; k++) {
        int32_t a = const_i32(op->inputs[1], k);
        if (a < 0) a += in->rank;
        if (a >= 0 && a < in->rank) reduce[4 - in->rank + a] = 1;
      }
      tg_mean_int8(data8(op->inputs[0]), &sx, reduce, in->zero_point, multiplier_pool[p], shift_pool[p], out->zero_point, y);
      break;
    }
    case TG_OP_SOFTMAX: {
      uint32_t depth = (uint32_t)in->dims[in->rank - 1];
      tg_softmax_int8(data8(op->inputs[0]), y, in->elements / depth, depth, multiplier_pool[p], shift_pool[p], op_extra[i]);
      break;
    }
    case TG_OP_LOGISTIC:
    case TG_OP_TANH: {
      tg_q4_input_t q = {.zero_point = in->zero_point, .radius = op_extra[i], .multiplier = multiplier_pool[p], .shift = shift_pool[p]};
      if (op->builtin == TG_OP_LOGISTIC) tg_logistic_int8(data8(op->inputs[0]), y, in->elements, &q);
      else tg_tanh_int8(data8(op->inputs[0]), y, in->elements, &q);
      break;
    }
    default: break;
  }
}

#endif

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
#ifndef TG_DENSE_ONLY
      case TG_OP_ADD:
      case TG_OP_SUB:
      case TG_OP_MUL:
      case TG_OP_CONCATENATION:
      case TG_OP_PAD:
      case TG_OP_MEAN:
      case TG_OP_SOFTMAX:
      case TG_OP_LOGISTIC:
      case TG_OP_TANH: invoke_more(i); break;
#endif
      case TG_OP_RESHAPE:
      case TG_OP_SQUEEZE:
        if (buf(op->inputs[0]) != buf(op->output))
          memmove(buf(op->output), buf(op->inputs[0]), TG_TENSOR_BYTES(&model.tensors[op->output]));
        break;
      default: return -1;
    }
  }
  return 0;
}
