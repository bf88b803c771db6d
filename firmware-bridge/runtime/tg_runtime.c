/*
 * The on-board int8 runtime: runs the active model's subgraph 0 in one static arena, with TFLite's reference
 * fixed-point arithmetic so outputs match TensorFlow Lite Micro. The kernels are in kernels/, one file per op
 * (or family), registered in one table (kernels/tg_kernels.c); this file loads a model, prepares each op with
 * its kernel, plans the activations and runs the ops in order.
 *
 * Nothing of the model is copied: tensors and operators are decoded from the model bytes when needed. What a
 * model needs in RAM lives in the arena, sized by the model: its tables at the bottom (where each tensor's
 * bytes are, each op's kernel and the data its kernel prepared), its activations above them.
 */
#include "tg_runtime.h"

#include <string.h>

#include "tg_kernel.h"
#include "tg_model.h"

#ifndef TG_ARENA_BYTES
#define TG_ARENA_BYTES 65536
#endif
#define TG_MAX_CHANNEL_PARAMS 65535u /* a count, not a table: the arena holds the parameters */
#define ALIGN 16u
#define CONSTANT 0x80000000u /* in tensor_at: an offset into the model, not the arena */

static tg_model_t model;
static uint8_t arena[TG_ARENA_BYTES] __attribute__((aligned(16)));

/* The model's tables, in the arena: per tensor where its bytes are; per op its data's offset and kernel. */
static uint32_t *tensor_at;
static uint32_t *op_data_at;
static uint8_t *op_kernel;
static uint32_t tables_used; /* bytes from the arena's start, 4-aligned while preparing, then 16 */
static uint32_t arena_used;  /* activation bytes above the tables */
static uint32_t params_used;
static uint8_t state = TG_RUNTIME_NO_MODEL;
static char error[96];
static int option_bad;

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

/* ---------------- what kernels use ---------------- */

int tg_refuse(const char *what) {
  tg_copy_str(error, sizeof error, what);
  state = TG_RUNTIME_ERROR;
  return -1;
}
static int refuse(const char *what) { return tg_refuse(what); }

void tg_tensor(int16_t t, tg_tensor_t *out) { tg_model_tensor(&model, t, out); }
void tg_shape(int16_t t, tg_tensor_t *out) { tg_model_shape(&model, t, out); }

uint8_t *tg_buffer(int16_t t) {
  uint32_t at = tensor_at[t];
  return at & CONSTANT ? (uint8_t *)(uintptr_t)(model.data + (at & ~CONSTANT)) : arena + at;
}

uint32_t tg_option(const tg_op_t *op, uint16_t field, uint8_t bytes, uint32_t dflt) {
  return tg_model_option(&model, op->options, field, bytes, dflt, &option_bad);
}

void *tg_op_alloc(uint32_t bytes) {
  bytes = (bytes + 3u) & ~3u;
  if (bytes > TG_ARENA_BYTES - tables_used) {
    refuse("the model's tables do not fit the arena");
    return 0;
  }
  uint8_t *p = arena + tables_used;
  memset(p, 0, bytes);
  tables_used += bytes;
  return p;
}

int tg_params_count(uint32_t n) {
  if (params_used + n > TG_MAX_CHANNEL_PARAMS) return refuse("too many per-channel parameters");
  params_used += n;
  return 0;
}

/* ---------------- load: tables, prepare each op with its kernel, plan the activations ---------------- */

static uint32_t align16(uint32_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

static int prepare(void) {
  params_used = 0;
  option_bad = 0;
  for (uint16_t i = 0; i < model.op_count; i++) {
    tg_op_t op;
    tg_model_op(&model, i, &op);
    int16_t k = tg_kernel_find(op.builtin);
    if (k < 0) {
      char name[24];
      tg_op_name(op.builtin, name, sizeof name);
      tg_copy_str(error, sizeof error, "unsupported op ");
      tg_copy_str(error + 15, (uint16_t)(sizeof error - 15), name);
      state = TG_RUNTIME_ERROR;
      return -1;
    }
    op_kernel[i] = (uint8_t)k;
    op_data_at[i] = tables_used;
    tg_kernel_t kernel;
    tg_kernel_at((uint8_t)k, &kernel);
#ifndef TG_WITHOUT_16X8
    if (tg_check_types(&op) != 0) return -1; /* the int8-only build keeps its kernels' own checks */
#endif
    if (kernel.prepare(&op) != 0) return -1;
    if (option_bad) return refuse("malformed model: an offset points outside the file");
  }
  return 0;
}

/* The arena refusal's words, in flash on the AVR (where string literals would take RAM from the stack). */
static const char arena_needed[] TG_ROM = " B of arena needed (tables + activations), the board has ";
static const char bytes_unit[] TG_ROM = " B";
static const char too_big[] TG_ROM = "the model's activations exceed 4 GiB";

/*
 * Greedy placement as TFLite Micro: largest first, lowest offset free over the tensor's lifetime, above the
 * tables. Its scratch (each tensor's size and first and last use) sits in the free part of the arena: only
 * offsets are decided here, nothing is written where the activations will go.
 */
static int plan(void) {
  uint32_t base = tables_used, n = model.tensor_count;
  uint32_t scratch = 4u * n + 2u * n + 2u * n + n;
  if (scratch > TG_ARENA_BYTES - base) return refuse("the model's tables do not fit the arena");
  uint32_t *size = (uint32_t *)(void *)(arena + base);
  int16_t *first = (int16_t *)(void *)(size + n), *last = first + n;
  uint8_t *placed = (uint8_t *)(last + n);
  for (uint16_t t = 0; t < n; t++) {
    tg_tensor_t tt;
    tg_model_tensor(&model, (int16_t)t, &tt);
    size[t] = tt.data ? 0 : align16(TG_TENSOR_BYTES(&tt));
    tensor_at[t] = tt.data ? CONSTANT | (uint32_t)(tt.data - model.data) : 0;
    first[t] = last[t] = -1;
    placed[t] = 0;
  }
  first[model.input] = 0;
  last[model.input] = 0;
  for (uint16_t i = 0; i < model.op_count; i++) {
    tg_op_t op;
    tg_model_op(&model, i, &op);
    for (uint8_t k = 0; k < op.input_count; k++) {
      int16_t t = op.inputs[k];
      if (t < 0 || tensor_at[t] & CONSTANT) continue;
      if (first[t] < 0) first[t] = (int16_t)i;
      last[t] = (int16_t)i;
    }
    if (first[op.output] < 0) first[op.output] = (int16_t)i;
    last[op.output] = (int16_t)(last[op.output] > (int16_t)i ? last[op.output] : (int16_t)i);
  }
  last[model.output] = (int16_t)(model.op_count ? model.op_count - 1 : 0);
  uint32_t end = base; /* offsets are from the arena's start, activations above the tables */
  /* The model's offline plan first (TFLite Micro's OfflineMemoryAllocation): its offsets are taken as
     given, checked against the arena and against each other for tensors alive at the same time. */
  if (model.offline_offsets) {
    for (uint16_t t = 0; t < n; t++) {
      int32_t at;
      memcpy(&at, model.offline_offsets + 4u * t, 4);
      if (at < 0 || first[t] < 0 || tensor_at[t] & CONSTANT) continue;
      if ((uint32_t)at > TG_ARENA_BYTES - base || size[t] > TG_ARENA_BYTES - base - (uint32_t)at)
        return refuse("the model's offline memory plan does not fit the arena");
      at += (int32_t)base;
      for (uint16_t o = 0; o < t; o++) {
        if (!placed[o] || last[o] < first[t] || last[t] < first[o]) continue;
        if ((uint32_t)at < tensor_at[o] + size[o] && tensor_at[o] < (uint32_t)at + size[t])
          return refuse("the model's offline memory plan overlaps tensors in use at the same time");
      }
      tensor_at[t] = (uint32_t)at;
      placed[t] = 1;
      if ((uint32_t)at + size[t] > end) end = (uint32_t)at + size[t];
    }
  }
  for (;;) {
    int16_t pick = -1;
    uint32_t pick_size = 0;
    for (uint16_t t = 0; t < n; t++) {
      if (placed[t] || first[t] < 0 || tensor_at[t] & CONSTANT) continue;
      if (pick < 0 || size[t] > pick_size) {
        pick = (int16_t)t;
        pick_size = size[t];
      }
    }
    if (pick < 0) break;
    /* Lowest offset where it overlaps no placed buffer alive at the same time. */
    uint32_t offset = base;
    for (int moved = 1; moved;) {
      moved = 0;
      for (uint16_t t = 0; t < n; t++) {
        if (!placed[t] || last[t] < first[pick] || last[pick] < first[t]) continue;
        if (offset < tensor_at[t] + size[t] && tensor_at[t] < offset + pick_size) {
          offset = tensor_at[t] + size[t];
          moved = 1;
        }
      }
    }
    /* Planned on past the arena's end, so a refusal says how much the whole model needs. */
    if (pick_size > UINT32_MAX - offset) return tg_refuse_rom(too_big);
    tensor_at[pick] = offset;
    placed[pick] = 1;
    if (offset + pick_size > end) end = offset + pick_size;
  }
  arena_used = end - base;
  if (end > TG_ARENA_BYTES) {
    error[0] = 0;
    tg_append_u32(error, sizeof error, end);
    tg_append_rom(error, sizeof error, arena_needed);
    tg_append_u32(error, sizeof error, TG_ARENA_BYTES);
    tg_append_rom(error, sizeof error, bytes_unit);
    state = TG_RUNTIME_ERROR;
    return -1;
  }
  return 0;
}

int tg_runtime_load(const uint8_t *data, uint32_t len) {
  state = TG_RUNTIME_NO_MODEL;
  error[0] = 0;
  tables_used = arena_used = 0;
  if (!data || !len) return 0;
  if (tg_model_load(data, len, &model, error, sizeof error) != 0) {
    state = TG_RUNTIME_ERROR;
    return -1;
  }
  tensor_at = (uint32_t *)tg_op_alloc(4u * model.tensor_count);
  op_data_at = (uint32_t *)tg_op_alloc(4u * model.op_count);
  op_kernel = (uint8_t *)tg_op_alloc(model.op_count);
  if (state == TG_RUNTIME_ERROR || prepare() != 0) return -1;
  tables_used = align16(tables_used);
  if (tables_used > TG_ARENA_BYTES) return refuse("the model's tables do not fit the arena");
  if (plan() != 0) return -1;
  state = TG_RUNTIME_READY;
  return 0;
}

uint8_t tg_runtime_state(void) { return state; }
void tg_runtime_refuse(const char *why) { (void)refuse(why); }
const char *tg_runtime_error(void) { return error; }
uint32_t tg_runtime_arena_used(void) { return arena_used; }
uint32_t tg_runtime_tables_used(void) { return tables_used; }
uint16_t tg_runtime_op_count(void) { return state == TG_RUNTIME_READY ? model.op_count : 0; }

static tg_tensor_t io_tensor(int16_t t) {
  tg_tensor_t tt;
  tg_model_tensor(&model, t, &tt);
  return tt;
}

uint32_t tg_runtime_input_bytes(void) {
  if (state != TG_RUNTIME_READY) return 0;
  tg_tensor_t t = io_tensor(model.input);
  return TG_TENSOR_BYTES(&t);
}
uint8_t *tg_runtime_input(void) { return state == TG_RUNTIME_READY ? tg_buffer(model.input) : arena; }

const uint8_t *tg_runtime_output(uint32_t *len) {
  *len = 0;
  if (state != TG_RUNTIME_READY) return arena;
  tg_tensor_t t = io_tensor(model.output);
  *len = TG_TENSOR_BYTES(&t);
  return tg_buffer(model.output);
}

void tg_runtime_io_quantization(float *in_scale, int32_t *in_zp, float *out_scale, int32_t *out_zp) {
  tg_tensor_t in = io_tensor(model.input), out = io_tensor(model.output);
  *in_scale = in.scale;
  *in_zp = in.zero_point;
  *out_scale = out.scale;
  *out_zp = out.zero_point;
}

int tg_runtime_invoke(void) {
  if (state != TG_RUNTIME_READY) return -1;
  for (uint16_t i = 0; i < model.op_count; i++) {
    tg_kernel_t kernel;
    tg_kernel_at(op_kernel[i], &kernel);
    tg_op_t op;
    tg_model_op_tensors(&model, i, &op);
    op.builtin = kernel.builtin;
    op.options = 0;
    kernel.eval(&op, arena + op_data_at[i]);
  }
  return 0;
}
