/* QUANTIZE (float32 to int8) and DEQUANTIZE (int8 to float32) at a model's float edges. */
#include "tg_fixed_point.h"
#include "tg_kernel.h"

int tg_quantize_prepare(const tg_op_t *op) {
  (void)op;
  return 0;
}

void tg_quantize_eval(const tg_op_t *op, const void *data) {
  (void)data;
  tg_tensor_t out;
  tg_tensor(op->output, &out);
  const float *x = (const float *)tg_buffer(op->inputs[0]);
  int8_t *y = (int8_t *)tg_buffer(op->output);
  for (uint32_t k = 0; k < out.elements; k++) {
    int32_t q = tg_round_divide_float(x[k], out.scale) + out.zero_point;
    y[k] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
  }
}

void tg_dequantize_eval(const tg_op_t *op, const void *data) {
  (void)data;
  tg_tensor_t in;
  tg_tensor(op->inputs[0], &in);
  const int8_t *x = (const int8_t *)tg_buffer(op->inputs[0]);
  float *y = (float *)tg_buffer(op->output);
  /* One rounding, as TFLite's double product cast to float. */
  for (uint32_t k = 0; k < in.elements; k++) y[k] = in.scale * (float)((int32_t)x[k] - in.zero_point);
}
