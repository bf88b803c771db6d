/* PAD of an int8 tensor by constant int32 paddings, with the output's zero point. */
#include <string.h>

#include "tg_elementwise.h"
#include "tg_kernel.h"

typedef struct {
  int16_t out_zp; /* the padding value */
  uint8_t unused[2];
} pad_data_t;
TG_DATA_SIZE(pad_data_t, 4);

int tg_pad_prepare(const tg_op_t *op) {
  pad_data_t *d = (pad_data_t *)tg_op_alloc(sizeof *d);
  if (!d) return -1;
  tg_tensor_t in, pads, out;
  tg_tensor(op->output, &out);
  d->out_zp = out.zero_point;
  tg_tensor(op->inputs[0], &in);
  if (op->input_count < 2 || op->inputs[1] < 0) return tg_refuse("PAD must be int8 with constant int32 paddings");
  tg_tensor(op->inputs[1], &pads);
  if (!tg_all_int8(op) || !pads.data || pads.type != TG_TYPE_INT32 || pads.elements != 2u * in.rank || in.rank > 4)
    return tg_refuse("PAD must be int8 with constant int32 paddings");
  return 0;
}

void tg_pad_eval(const tg_op_t *op, const void *data) {
  const pad_data_t *d = (const pad_data_t *)data;
  tg_tensor_t in, out;
  tg_shape(op->inputs[0], &in);
  tg_shape(op->output, &out);
  const uint8_t *pads = tg_buffer(op->inputs[1]);
  int32_t before[4] = {0, 0, 0, 0};
  for (uint8_t k = 0; k < in.rank; k++) memcpy(&before[4 - in.rank + k], pads + 8u * k, 4);
  tg_shape4_t sx, sy;
  tg_shape4(in.dims, in.rank, &sx);
  tg_shape4(out.dims, out.rank, &sy);
  tg_pad_int8((const int8_t *)tg_buffer(op->inputs[0]), &sx, before, (int8_t)d->out_zp, (int8_t *)tg_buffer(op->output), &sy);
}
