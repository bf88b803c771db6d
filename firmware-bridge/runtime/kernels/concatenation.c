/* CONCATENATION of up to TG_MAX_OP_INPUTS int8 activations quantized as the output. */
#include "tg_elementwise.h"
#include "tg_kernel.h"

typedef struct {
  uint8_t axis; /* of the 4D shape */
  uint8_t unused[3];
} concat_data_t;
TG_DATA_SIZE(concat_data_t, 4);

int tg_concatenation_prepare(const tg_op_t *op) {
  concat_data_t *d = (concat_data_t *)tg_op_alloc(sizeof *d);
  if (!d) return -1;
  tg_tensor_t out, t;
  tg_tensor(op->output, &out);
  /* ConcatenationOptions: 0 axis, 1 fused_activation_function */
  int32_t axis = (int32_t)tg_option(op, 0, 4, 0);
  if (axis < 0) axis += out.rank;
  if (!tg_all_int8(op) || axis < 0 || axis >= out.rank || tg_option(op, 1, 1, 0) != 0)
    return tg_refuse("CONCATENATION must be int8 without activation");
  for (uint8_t k = 0; k < op->input_count; k++) {
    if (op->inputs[k] >= 0) tg_tensor(op->inputs[k], &t);
    if (op->inputs[k] < 0 || t.data || t.rank != out.rank || t.scale != out.scale || t.zero_point != out.zero_point)
      return tg_refuse("CONCATENATION inputs must be activations quantized as the output");
  }
  d->axis = (uint8_t)(axis + 4 - out.rank);
  return 0;
}

void tg_concatenation_eval(const tg_op_t *op, const void *data) {
  const concat_data_t *d = (const concat_data_t *)data;
  const int8_t *parts[TG_MAX_OP_INPUTS];
  tg_shape4_t shapes[TG_MAX_OP_INPUTS], sy;
  tg_tensor_t t;
  for (uint8_t k = 0; k < op->input_count; k++) {
    tg_shape(op->inputs[k], &t);
    parts[k] = (const int8_t *)tg_buffer(op->inputs[k]);
    tg_shape4(t.dims, t.rank, &shapes[k]);
  }
  tg_shape(op->output, &t);
  tg_shape4(t.dims, t.rank, &sy);
  tg_concat_int8(parts, shapes, op->input_count, d->axis, (int8_t *)tg_buffer(op->output), &sy);
}
