/* MEAN of an int8 tensor over constant axes: TFLite's integer mean with 1/count folded into the multiplier. */
#include <string.h>

#include "tg_elementwise.h"
#include "tg_fixed_point.h"
#include "tg_kernel.h"

typedef struct {
  int32_t multiplier;
  int16_t in_zp, out_zp; /* kept: read on every inference */
  int8_t shift;
  uint8_t reduce[4]; /* dimensions of the 4D shape averaged over */
  uint8_t unused[3];
} mean_data_t;
TG_DATA_SIZE(mean_data_t, 16);

int tg_mean_prepare(const tg_op_t *op) {
  mean_data_t *d = (mean_data_t *)tg_op_alloc(sizeof *d);
  if (!d) return -1;
  tg_tensor_t in, axes, out;
  tg_tensor(op->inputs[0], &in);
  tg_tensor(op->output, &out);
  if (op->input_count < 2 || op->inputs[1] < 0) return tg_refuse("MEAN must be int8 with constant int32 axes");
  tg_tensor(op->inputs[1], &axes);
  if (!tg_all_int8(op) || !axes.data || axes.type != TG_TYPE_INT32 || in.rank > 4)
    return tg_refuse("MEAN must be int8 with constant int32 axes");
  for (uint32_t k = 0; k < axes.elements; k++) {
    int32_t a;
    memcpy(&a, axes.data + 4u * k, 4);
    if (a < 0) a += in.rank;
    if (a >= 0 && a < in.rank) d->reduce[4 - in.rank + a] = 1;
  }
  if (tg_params_count(1) != 0) return -1;
  int shift;
  tg_quantize_multiplier_exact(in.scale, 1.0f, out.scale, 0, &d->multiplier, &shift);
  d->shift = (int8_t)shift;
  d->in_zp = in.zero_point;
  d->out_zp = out.zero_point;
  return 0;
}

void tg_mean_eval(const tg_op_t *op, const void *data) {
  const mean_data_t *d = (const mean_data_t *)data;
  tg_tensor_t in;
  tg_shape(op->inputs[0], &in);
  tg_shape4_t sx;
  tg_shape4(in.dims, in.rank, &sx);
  tg_mean_int8((const int8_t *)tg_buffer(op->inputs[0]), &sx, d->reduce, d->in_zp, d->multiplier, d->shift, d->out_zp, (int8_t *)tg_buffer(op->output));
}
