/* LOGISTIC and TANH, int8, with the input rescaled to Q4.27 (tg_activations.c). */
#include "tg_activations.h"
#include "tg_kernel.h"

typedef struct {
  tg_q4_input_t q; /* zero point, radius, multiplier, shift */
} logistic_data_t;

int tg_logistic_prepare(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  logistic_data_t *d = (logistic_data_t *)tg_op_data(i);
  if (!tg_all_int8(op)) return tg_refuse("LOGISTIC and TANH must be int8");
  const tg_tensor_t *in = tg_tensor(op->inputs[0]);
  tg_q4_input_prepare(in->scale, in->zero_point, &d->q);
  if (d->q.shift < 0 || d->q.shift > 30) return tg_refuse("LOGISTIC/TANH input scale out of range");
  return 0;
}

void tg_logistic_eval(uint16_t i) {
  const tg_op_t *op = tg_op(i);
  const logistic_data_t *d = (const logistic_data_t *)tg_op_data(i);
  const int8_t *x = (const int8_t *)tg_buffer(op->inputs[0]);
  int8_t *y = (int8_t *)tg_buffer(op->output);
  uint32_t n = tg_tensor(op->inputs[0])->elements;
  if (op->builtin == TG_OP_LOGISTIC) tg_logistic_int8(x, y, n, &d->q);
  else tg_tanh_int8(x, y, n, &d->q);
}
