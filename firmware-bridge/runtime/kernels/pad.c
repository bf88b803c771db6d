/* PAD of an int8 tensor by constant int32 paddings, with the output's zero point. */
#include <string.h>

#include "tg_elementwise.h"
#include "tg_kernel.h"

int tg_pad_prepare(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  const tg_tensor_t *in = tg_tensor(op->inputs[0]);
  const tg_tensor_t *pads = op->input_count >= 2 && op->inputs[1] >= 0 ? tg_tensor(op->inputs[1]) : 0;
  if (!tg_all_int8(op) || !pads || !pads->data || pads->type != TG_TYPE_INT32 || pads->elements != 2u * in->rank || in->rank > 4)
    return tg_refuse("PAD must be int8 with constant int32 paddings");
  return 0;
}

void tg_pad_eval(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  const tg_tensor_t *in = tg_tensor(op->inputs[0]), *out = tg_tensor(op->output);
  const uint8_t *pads = tg_tensor(op->inputs[1])->data;
  int32_t before[4] = {0, 0, 0, 0};
  for (uint8_t k = 0; k < in->rank; k++) memcpy(&before[4 - in->rank + k], pads + 8u * k, 4);
  tg_shape4_t sx, sy;
  tg_shape4(in->dims, in->rank, &sx);
  tg_shape4(out->dims, out->rank, &sy);
  tg_pad_int8((const int8_t *)tg_buffer(op->inputs[0]), &sx, before, (int8_t)out->zero_point, (int8_t *)tg_buffer(op->output), &sy);
}
