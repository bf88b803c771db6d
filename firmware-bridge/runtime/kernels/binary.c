/* ADD, SUB and MUL of two int8 tensors with broadcasting (the arithmetic is in tg_elementwise.c). */
#include "tg_elementwise.h"
#include "tg_kernel.h"

typedef struct {
  int32_t in1_multiplier, in2_multiplier, out_multiplier;
  int16_t act_min, act_max;
  int16_t in1_zp, in2_zp, out_zp; /* kept: read on every inference */
  int8_t in1_shift, in2_shift, out_shift;
  uint8_t kind;
  uint8_t unused[2];
} binary_data_t;
TG_DATA_SIZE(binary_data_t, 28);

int tg_binary_prepare_op(const tg_op_t *op) {
  binary_data_t *d = (binary_data_t *)tg_op_alloc(sizeof *d);
  if (!d) return -1;
  tg_tensor_t in1, in2, out;
  if (op->input_count != 2 || op->inputs[1] < 0) return tg_refuse("ADD, SUB and MUL must be int8 with two inputs");
  tg_tensor(op->inputs[0], &in1);
  tg_tensor(op->inputs[1], &in2);
  tg_tensor(op->output, &out);
  if (!tg_all_int8(op) || in2.type != TG_TYPE_INT8 || out.rank > 4) return tg_refuse("ADD, SUB and MUL must be int8 with two inputs");
  d->kind = op->builtin == TG_OP_ADD ? TG_BINARY_ADD : op->builtin == TG_OP_SUB ? TG_BINARY_SUB : TG_BINARY_MUL;
  tg_binary_t b = {0};
  tg_binary_prepare(d->kind, in1.scale, in2.scale, out.scale, &b);
  if (tg_params_count(3) != 0) return -1;
  d->in1_multiplier = b.in1_multiplier;
  d->in2_multiplier = b.in2_multiplier;
  d->out_multiplier = b.out_multiplier;
  d->in1_zp = in1.zero_point;
  d->in2_zp = in2.zero_point;
  d->out_zp = out.zero_point;
  d->in1_shift = b.in1_shift;
  d->in2_shift = b.in2_shift;
  d->out_shift = b.out_shift;
  /* AddOptions, SubOptions, MulOptions: 0 fused_activation_function */
  return tg_activation_range((uint8_t)tg_option(op, 0, 1, 0), &out, &d->act_min, &d->act_max);
}

void tg_binary_eval(const tg_op_t *op, const void *data) {
  const binary_data_t *d = (const binary_data_t *)data;
  tg_tensor_t in1, in2, out;
  tg_shape(op->inputs[0], &in1);
  tg_shape(op->inputs[1], &in2);
  tg_shape(op->output, &out);
  tg_binary_t b = {.kind = d->kind, .in1_offset = -d->in1_zp, .in2_offset = -d->in2_zp, .out_offset = d->out_zp, .in1_multiplier = d->in1_multiplier,
                   .in2_multiplier = d->in2_multiplier, .out_multiplier = d->out_multiplier,
                   .in1_shift = d->in1_shift, .in2_shift = d->in2_shift, .out_shift = d->out_shift,
                   .act_min = d->act_min, .act_max = d->act_max};
  tg_shape4_t s1, s2, sy;
  tg_shape4(in1.dims, in1.rank, &s1);
  tg_shape4(in2.dims, in2.rank, &s2);
  tg_shape4(out.dims, out.rank, &sy);
  tg_binary_int8(&b, (const int8_t *)tg_buffer(op->inputs[0]), &s1, (const int8_t *)tg_buffer(op->inputs[1]), &s2,
                 (int8_t *)tg_buffer(op->output), &sy);
}
