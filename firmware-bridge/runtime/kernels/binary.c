/* ADD, SUB and MUL of two int8 tensors with broadcasting (the arithmetic is in tg_elementwise.c). */
#include "tg_elementwise.h"
#include "tg_kernel.h"

typedef struct {
  uint16_t params_at; /* three multipliers: input 1, input 2, output */
  int16_t act_min, act_max;
} binary_data_t;

static uint8_t kind_of(uint16_t builtin) {
  return builtin == TG_OP_ADD ? TG_BINARY_ADD : builtin == TG_OP_SUB ? TG_BINARY_SUB : TG_BINARY_MUL;
}

int tg_binary_prepare_op(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  binary_data_t *d = (binary_data_t *)tg_op_data(i);
  const tg_tensor_t *out = tg_tensor(op->output);
  if (op->input_count != 2 || !tg_all_int8(op) || tg_tensor(op->inputs[1])->type != TG_TYPE_INT8 || out->rank > 4)
    return tg_refuse("ADD, SUB and MUL must be int8 with two inputs");
  tg_binary_t b = {0};
  tg_binary_prepare(kind_of(op->builtin), tg_tensor(op->inputs[0])->scale, tg_tensor(op->inputs[1])->scale, out->scale, &b);
  int32_t at = tg_params_reserve(3);
  if (at < 0) return -1;
  d->params_at = (uint16_t)at;
  int32_t *mult = tg_multipliers() + at;
  int8_t *shift = tg_shifts() + at;
  mult[0] = b.in1_multiplier;
  shift[0] = b.in1_shift;
  mult[1] = b.in2_multiplier;
  shift[1] = b.in2_shift;
  mult[2] = b.out_multiplier;
  shift[2] = b.out_shift;
  /* AddOptions, SubOptions, MulOptions: 0 fused_activation_function */
  return tg_activation_range((uint8_t)tg_option(op, 0, 1, 0), out, &d->act_min, &d->act_max);
}

void tg_binary_eval(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  const binary_data_t *d = (const binary_data_t *)tg_op_data(i);
  const tg_tensor_t *in1 = tg_tensor(op->inputs[0]), *in2 = tg_tensor(op->inputs[1]), *out = tg_tensor(op->output);
  const int32_t *mult = tg_multipliers() + d->params_at;
  const int8_t *shift = tg_shifts() + d->params_at;
  tg_binary_t b = {.kind = kind_of(op->builtin), .in1_offset = -in1->zero_point, .in2_offset = -in2->zero_point,
                   .out_offset = out->zero_point, .in1_multiplier = mult[0], .in2_multiplier = mult[1],
                   .out_multiplier = mult[2], .in1_shift = shift[0], .in2_shift = shift[1], .out_shift = shift[2],
                   .act_min = d->act_min, .act_max = d->act_max};
  tg_shape4_t s1, s2, sy;
  tg_shape4(in1->dims, in1->rank, &s1);
  tg_shape4(in2->dims, in2->rank, &s2);
  tg_shape4(out->dims, out->rank, &sy);
  tg_binary_int8(&b, (const int8_t *)tg_buffer(op->inputs[0]), &s1, (const int8_t *)tg_buffer(op->inputs[1]), &s2,
                 (int8_t *)tg_buffer(op->output), &sy);
}
