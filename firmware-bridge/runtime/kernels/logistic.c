/* LOGISTIC and TANH, int8, with the input rescaled to Q4.27 (tg_activations.c). */
#include "tg_activations.h"
#include "tg_kernel.h"

typedef struct {
  int32_t zero_point, radius, multiplier;
  int8_t shift;
  uint8_t unused[3];
} logistic_data_t;
TG_DATA_SIZE(logistic_data_t, 16);

int tg_logistic_prepare(const tg_op_t *op) {
  logistic_data_t *d = (logistic_data_t *)tg_op_alloc(sizeof *d);
  if (!d) return -1;
  if (!tg_all_int8(op)) return tg_refuse("LOGISTIC and TANH must be int8");
  tg_tensor_t in;
  tg_tensor(op->inputs[0], &in);
  tg_q4_input_t q;
  tg_q4_input_prepare(in.scale, in.zero_point, &q);
  if (q.shift < 0 || q.shift > 30) return tg_refuse("LOGISTIC/TANH input scale out of range");
  d->zero_point = q.zero_point;
  d->radius = q.radius;
  d->multiplier = q.multiplier;
  d->shift = (int8_t)q.shift;
  return 0;
}

void tg_logistic_eval(const tg_op_t *op, const void *data) {
  const logistic_data_t *d = (const logistic_data_t *)data;
  tg_q4_input_t q = {.zero_point = d->zero_point, .radius = d->radius, .multiplier = d->multiplier, .shift = d->shift};
  tg_tensor_t in;
  tg_shape(op->inputs[0], &in);
  const int8_t *x = (const int8_t *)tg_buffer(op->inputs[0]);
  int8_t *y = (int8_t *)tg_buffer(op->output);
  if (op->builtin == TG_OP_LOGISTIC) tg_logistic_int8(x, y, in.elements, &q);
  else tg_tanh_int8(x, y, in.elements, &q);
}
