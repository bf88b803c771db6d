#include "tg_fixed_point.h"

int32_t tg_srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

int32_t tg_rounding_divide_by_pot(int32_t x, int exponent) {
  int32_t mask = (int32_t)((1ll << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t tg_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;
  return tg_rounding_divide_by_pot(tg_srdhm((int32_t)((int64_t)x * (1ll << left)), multiplier), right);
}

void tg_quantize_multiplier(double m, int32_t *q, int *shift) {
  if (m == 0.0) {
    *q = 0;
    *shift = 0;
    return;
  }
  /* frexp by hand: m = frac * 2^shift with frac in [0.5, 1) (m > 0 here: scales are positive). */
  double frac = m;
  *shift = 0;
  while (frac >= 1.0) {
    frac *= 0.5;
    ++*shift;
  }
  while (frac < 0.5) {
    frac *= 2.0;
    --*shift;
  }
  int64_t q_fixed = (int64_t)(frac * (double)(1ll << 31) + 0.5); /* round half away; frac > 0 */
  if (q_fixed == (1ll << 31)) {
    q_fixed /= 2;
    ++*shift;
  }
  if (*shift < -31) {
    *shift = 0;
    q_fixed = 0;
  }
  *q = (int32_t)q_fixed;
}

int32_t tg_input_radius(int integer_bits, int left_shift) {
  double max = (double)((1 << integer_bits) - 1) * (double)(1ll << (31 - integer_bits));
  for (int i = 0; i < left_shift; i++) max *= 0.5;
  return (int32_t)max; /* positive: truncation is floor */
}

/* ---------------- gemmlowp fixed point ---------------- */

/* x * 2^exponent with saturation (exponent > 0) or rounding (exponent < 0): SaturatingRoundingMultiplyByPOT. */
static int32_t mul_by_pot(int32_t x, int exponent) {
  if (exponent <= 0) return exponent == 0 ? x : tg_rounding_divide_by_pot(x, -exponent);
  int32_t threshold = (int32_t)((1ll << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), Q0.31: a Taylor expansion around -1/8 (gemmlowp's constants). */
static int32_t exp_on_interval_around_minus_one_eighth(int32_t a) {
  const int32_t constant_term = 1895147668;  /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883;
  int32_t x = a + (1 << 28); /* a + 1/8 */
  int32_t x2 = tg_srdhm(x, x);
  int32_t x3 = tg_srdhm(x2, x);
  int32_t x4 = tg_srdhm(x2, x2);
  int32_t x4_over_4 = mul_by_pot(x4, -2);
  int32_t poly = mul_by_pot(tg_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, -1);
  return constant_term + tg_srdhm(constant_term, x + poly);
}

int32_t tg_exp_on_negative_values(int32_t a, int integer_bits) {
  static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
  int32_t result = exp_on_interval_around_minus_one_eighth(mul_by_pot(a_mod_quarter_minus_one_quarter, integer_bits));
  int32_t remainder = a_mod_quarter_minus_one_quarter - a;
  /* Multiply in exp(-2^k) for each bit of the remainder: k = -2 .. 4, as far as the format reaches. */
  for (int k = -2; k <= 4; k++) {
    if (integer_bits > k && (remainder & (int32_t)(1ll << (fractional_bits + k))))
      result = tg_srdhm(result, multipliers[k + 2]);
  }
  if (integer_bits > 5 && a < -((int32_t)1 << (36 - integer_bits))) result = 0; /* below -32 */
  return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson for 1 / (1 + x) in Q2.29, three steps from 48/17 - 32/17 * d (gemmlowp). */
static int32_t reciprocal_q2(int32_t a) {
  int64_t sum = (int64_t)a + INT32_MAX;
  int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2); /* RoundingHalfSum */
  int32_t x = 1515870810 + tg_srdhm(half_denominator, -1010580540);
  for (int i = 0; i < 3; i++) {
    int32_t one_minus = (1 << 29) - tg_srdhm(half_denominator, x);
    x = x + mul_by_pot(tg_srdhm(x, one_minus), 2);
  }
  return x;
}

int32_t tg_one_over_one_plus_x(int32_t a) { return mul_by_pot(reciprocal_q2(a), 1); }

int32_t tg_one_minus_x_over_one_plus_x(int32_t a) { return mul_by_pot(reciprocal_q2(a) - (1 << 29), 2); }

int32_t tg_logistic_q4(int32_t a) {
  if (a == 0) return 1 << 30; /* one half */
  int32_t abs = a > 0 ? a : -a;
  int32_t positive = tg_one_over_one_plus_x(tg_exp_on_negative_values(-abs, 4));
  return a > 0 ? positive : INT32_MAX - positive;
}

int32_t tg_tanh_q4(int32_t a) {
  if (a == 0) return 0;
  int32_t abs = a < 0 ? -a : a;
  /* exp(-2|a|): the raw value of -|a| read as Q5.26 is -2|a|. */
  int32_t positive = tg_one_minus_x_over_one_plus_x(tg_exp_on_negative_values(-abs, 5));
  return a < 0 ? -positive : positive;
}
