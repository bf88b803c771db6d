/*
 * TFLite's integer arithmetic, as its reference kernels (and so TensorFlow Lite Micro) compute it:
 * requantization by a Q31 multiplier and a power-of-two shift, and gemmlowp's fixed-point exp and
 * reciprocal that the int8 SOFTMAX, LOGISTIC and TANH kernels are built on. Same rounding, bit for bit.
 */
#ifndef TG_FIXED_POINT_H
#define TG_FIXED_POINT_H

#include <stdint.h>

int32_t tg_srdhm(int32_t a, int32_t b);                 /* SaturatingRoundingDoublingHighMul */
int32_t tg_rounding_divide_by_pot(int32_t x, int exponent); /* round half away from zero */
int32_t tg_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift);

/* The same requantization inline, for the kernels' inner loops (a call per output element is measurable). */
static inline int32_t tg_requantize(int32_t x, int32_t multiplier, int shift) {
  int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  int32_t a = (int32_t)((int64_t)x * ((int64_t)1 << left));
  int32_t high;
  if (a == multiplier && a == INT32_MIN) high = INT32_MAX;
  else {
    int64_t ab = (int64_t)a * (int64_t)multiplier;
    int32_t nudge = ab >= 0 ? ((int32_t)1 << 30) : (1 - ((int32_t)1 << 30));
    high = (int32_t)((ab + nudge) / ((int64_t)1 << 31));
  }
  int32_t mask = (int32_t)(((int64_t)1 << right) - 1);
  int32_t remainder = high & mask;
  int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + (remainder > threshold ? 1 : 0);
}
/*
 * MultiplyByQuantizedMultiplier of an int64 accumulator (the 16x8 kernels): the multiplier rounded to 16 bits,
 * then one rounding shift, half up. Not the int32 path's two roundings: results differ by one now and then.
 */
int32_t tg_requantize64(int64_t x, int32_t multiplier, int shift);
/*
 * TFLite's QuantizeMultiplier of the real multiplier (n1 * n2 / d) * 2^pow2, computed in double there:
 * a Q31 value and a power-of-two exponent, reproduced exactly with integers.
 */
void tg_quantize_multiplier_exact(float n1, float n2, float d, int pow2, int32_t *q, int *shift);
/* round(x / s), half away from zero, of the exact quotient (as TFLite's double division rounds); saturates at ±2^24. */
int32_t tg_round_divide_float(float x, float s);
/* Leading zero bits of x (32 for 0). */
int tg_leading_zeros32(uint32_t x);
/* floor(((1 << integer_bits) - 1) * 2^(31 - integer_bits) / 2^left_shift): CalculateInputRadius. */
int32_t tg_input_radius(int integer_bits, int left_shift);

/* gemmlowp, on raw int32 values. `integer_bits` is the input's fixed-point format; results are Q0.31. */
int32_t tg_exp_on_negative_values(int32_t a, int integer_bits);
int32_t tg_one_over_one_plus_x(int32_t a);          /* 1 / (1 + x), x in [0, 1) */
int32_t tg_one_minus_x_over_one_plus_x(int32_t a);  /* (1 - x) / (1 + x), x in [0, 1) */
int32_t tg_logistic_q4(int32_t a);                  /* input Q4.27 */
int32_t tg_tanh_q4(int32_t a);                      /* input Q4.27 */

#endif
