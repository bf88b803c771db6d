/*
 * The on-board int8 runtime: runs the active model's subgraph 0 in one static arena, with
 * TFLite's reference fixed-point arithmetic so outputs match TensorFlow Lite Micro. The kernels are in
 * kernels/, one file per op (or family), registered in one table (kernels/tg_kernels.c); this file loads a
 * model, plans its arena, prepares each op with its kernel and runs them in order.
 */
#include "tg_runtime.h"

#include <string.h>

#include "tg_kernel.h"
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

void tg_runtime_limits(uint16_t *tensors, uint16_t *ops, uint16_t *channel_params) {
  *tensors = TG_MAX_TENSORS;
  *ops = TG_MAX_OPS;
  *channel_params = TG_MAX_CHANNEL_PARAMS;
}
uint8_t tg_runtime_kernel_count(void) { return tg_kernel_count(); }
uint16_t tg_runtime_kernel_code(uint8_t k) {
  tg_kernel_t kernel;
  tg_kernel_at(k, &kernel);
  return kernel.builtin;
}

static uint32_t offsets[TG_MAX_TENSORS];
static uint32_t arena_used;
static uint8_t state = TG_RUNTIME_NO_MODEL;
static char error[96];

/* Per op: its kernel (index in the table) and the kernel's data. */
static uint8_t kernel_of[TG_MAX_OPS];
static uint32_t op_data[TG_MAX_OPS][TG_OP_DATA_BYTES / 4];
/* Requantization parameters of all ops, TG_MAX_CHANNEL_PARAMS at most. */
static int32_t multiplier_pool[TG_MAX_CHANNEL_PARAMS];
static int8_t shift_pool[TG_MAX_CHANNEL_PARAMS];
static uint16_t params_used;
static int option_bad;

/* ---------------- what kernels use ---------------- */

int tg_refuse(const char *what) {
  tg_copy_str(error, sizeof error, what);
  state = TG_RUNTIME_ERROR;
  return -1;
}
static int refuse(const char *what) { return tg_refuse(what); }

const tg_op_t *tg_op(uint16_t i) { return &model.ops[i]; }
const tg_tensor_t *tg_tensor(int16_t t) { return &model.tensors[t]; }
uint8_t *tg_buffer(int16_t t) { return model.tensors[t].data ? (uint8_t *)model.tensors[t].data : arena + offsets[t]; }
uint32_t tg_option(const tg_op_t *op, uint16_t field, uint8_t bytes, uint32_t dflt) {
  return tg_model_option(&model, op->options, field, bytes, dflt, &option_bad);
}
void *tg_op_data(uint16_t i) { return op_data[i]; }
int32_t *tg_multipliers(void) { return multiplier_pool; }
int8_t *tg_shifts(void) { return shift_pool; }

int32_t tg_params_reserve(uint16_t n) {
  if ((uint32_t)params_used + n > TG_MAX_CHANNEL_PARAMS) return refuse("too many per-channel parameters");
  int32_t at = params_used;
  params_used = (uint16_t)(params_used + n);
  return at;
}

/* ---------------- load: plan the arena, prepare each op with its kernel ---------------- */

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

static int prepare(void) {
  params_used = 0;
  option_bad = 0;
  for (uint16_t i = 0; i < model.op_count; i++) {
    const tg_op_t *op = &model.ops[i];
    int16_t k = tg_kernel_find(op->builtin);
    if (k < 0) {
      char name[24];
      tg_op_name(op->builtin, name, sizeof name);
      tg_copy_str(error, sizeof error, "unsupported op ");
      tg_copy_str(error + 15, (uint16_t)(sizeof error - 15), name);
      state = TG_RUNTIME_ERROR;
      return -1;
    }
    kernel_of[i] = (uint8_t)k;
    memset(op_data[i], 0, sizeof op_data[i]);
    tg_kernel_t kernel;
    tg_kernel_at((uint8_t)k, &kernel);
    if (kernel.prepare(i) != 0) return -1;
    if (option_bad) return refuse("malformed model: an offset points outside the file");
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

uint32_t tg_runtime_input_bytes(void) { return state == TG_RUNTIME_READY ? TG_TENSOR_BYTES(&model.tensors[model.input]) : 0; }
uint8_t *tg_runtime_input(void) { return arena + offsets[model.input]; }

const uint8_t *tg_runtime_output(uint32_t *len) {
  *len = state == TG_RUNTIME_READY ? TG_TENSOR_BYTES(&model.tensors[model.output]) : 0;
  return arena + offsets[model.output];
}

void tg_runtime_io_quantization(float *in_scale, int32_t *in_zp, float *out_scale, int32_t *out_zp) {
  *in_scale = model.tensors[model.input].scale;
  *in_zp = model.tensors[model.input].zero_point;
  *out_scale = model.tensors[model.output].scale;
  *out_zp = model.tensors[model.output].zero_point;
}

int tg_runtime_invoke(void) {
  if (state != TG_RUNTIME_READY) return -1;
  for (uint16_t i = 0; i < model.op_count; i++) {
    tg_kernel_t kernel;
    tg_kernel_at(kernel_of[i], &kernel);
    kernel.eval(i);
  }
  return 0;
}
