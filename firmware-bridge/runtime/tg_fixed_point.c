#include "tg_fixed_point.h"

#include <string.h>

int32_t tg_srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int32_t nudge = ab >= 0 ? ((int32_t)1 << 30) : (1 - ((int32_t)1 << 30));
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
/* tg_requantize (tg_fixed_point.h) is this, inline; test_fixed_point checks the two agree. */

int32_t tg_requantize64(int64_t x, int32_t multiplier, int shift) {
  int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + ((int32_t)1 << 15)) >> 16 : 0x7FFF;
  int total = 15 - shift; /* 8..46 for TFLite's shifts (-31..7) */
  int64_t r = (x * reduced + ((int64_t)1 << (total - 1))) >> total;
  return (int32_t)(uint32_t)(uint64_t)r; /* TFLite's static_cast: the low 32 bits */
}

/*
 * Exact arithmetic on float32 values, without soft-float double: TFLite computes multipliers in double
 * (products of two floats are exact there, one division rounds to 53 bits) and rounds quantized values
 * of exact quotients. Integers reproduce both bit for bit and keep ~3 KB of double helpers off the board.
 */
typedef struct {
  uint32_t m; /* significand with the hidden bit: value = m * 2^e */
  int e;
} tg_unpacked_t;

static tg_unpacked_t unpack(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  uint32_t exp = (u >> 23) & 0xFFu, frac = u & 0x7FFFFFu;
  tg_unpacked_t r = {exp ? frac | 0x800000u : frac, exp ? (int)exp - 150 : -149};
  return r;
}

/* n / d by shift and subtract (no 64-bit divide helper on the board). */
static uint64_t udiv64(uint64_t n, uint64_t d, uint64_t *rem) {
  uint64_t q = 0, r = 0;
  for (int b = 63; b >= 0; b--) {
    r = (r << 1) | ((n >> b) & 1u);
    q <<= 1;
    if (r >= d) {
      r -= d;
      q |= 1u;
    }
  }
  *rem = r;
  return q;
}

void tg_quantize_multiplier_exact(float n1, float n2, float d, int pow2, int32_t *q, int *shift) {
  tg_unpacked_t a = unpack(n1), b = unpack(n2), c = unpack(d);
  *q = 0;
  *shift = 0;
  if (!a.m || !b.m || !c.m) return;
  /* (a.m * b.m) / c.m, exact product, quotient to 55 significant bits and a sticky bit. */
  uint64_t r, quotient = udiv64((uint64_t)a.m * b.m, c.m, &r);
  int e = a.e + b.e - c.e + pow2;
  while (quotient < (1ull << 54)) {
    r <<= 1;
    quotient <<= 1;
    if (r >= c.m) {
      r -= c.m;
      quotient |= 1u;
    }
    e--;
  }
  int sticky = r != 0;
  while (quotient >= (1ull << 55)) {
    sticky |= (int)(quotient & 1u);
    quotient >>= 1;
    e++;
  }
  /* The double: 53 bits, round half to even. */
  uint32_t low = (uint32_t)(quotient & 3u);
  quotient >>= 2;
  e += 2;
  if (low > 2u || (low == 2u && (sticky || (quotient & 1u)))) quotient++;
  if (quotient == (1ull << 53)) {
    quotient >>= 1;
    e++;
  }
  /* frexp: value = (quotient / 2^53) * 2^(e + 53); the Q31 fraction rounds half away from zero. */
  int exponent = e + 53;
  int64_t q_fixed = (int64_t)((quotient + (1ull << 21)) >> 22);
  if (q_fixed == (1ll << 31)) {
    q_fixed /= 2;
    exponent++;
  }
  if (exponent < -31) return;
  *q = (int32_t)q_fixed;
  *shift = exponent;
}

int32_t tg_round_divide_float(float x, float s) {
  const int32_t limit = (int32_t)1 << 24; /* far beyond any int8 result: callers clamp */
  uint32_t ux;
  memcpy(&ux, &x, sizeof ux);
  if (((ux >> 23) & 0xFFu) == 0xFFu) return (ux & 0x7FFFFFu) ? 0 : (ux >> 31) ? -limit : limit; /* NaN, inf */
  tg_unpacked_t a = unpack(x), b = unpack(s);
  if (!a.m || !b.m) return 0;
  int e = a.e - b.e; /* |x / s| = (a.m / b.m) * 2^e */
  uint64_t n = a.m, d = b.m, r, q;
  if (e > 24) return (ux >> 31) ? -limit : limit;
  if (e < -26) return 0; /* below one half */
  if (e >= 0) n <<= e;
  else d <<= -e;
  q = udiv64(n, d, &r);
  if (2u * r >= d) q++; /* half away from zero: ties go up in magnitude */
  int32_t v = q > (uint64_t)limit ? limit : (int32_t)q;
  return (ux >> 31) ? -v : v;
}

int tg_leading_zeros32(uint32_t x) {
  int n = 0;
  if (!x) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    n++;
  }
  return n;
}

int32_t tg_input_radius(int integer_bits, int left_shift) {
  /* floor(((2^bits - 1) * 2^(31 - bits)) / 2^left_shift), in integers. */
  int64_t max = (((int64_t)1 << integer_bits) - 1) << (31 - integer_bits);
  return (int32_t)(left_shift >= 63 ? 0 : max >> left_shift);
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
  int32_t x = a + ((int32_t)1 << 28); /* a + 1/8 */
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
    int32_t one_minus = ((int32_t)1 << 29) - tg_srdhm(half_denominator, x);
    x = x + mul_by_pot(tg_srdhm(x, one_minus), 2);
  }
  return x;
}

int32_t tg_one_over_one_plus_x(int32_t a) { return mul_by_pot(reciprocal_q2(a), 1); }

int32_t tg_one_minus_x_over_one_plus_x(int32_t a) { return mul_by_pot(reciprocal_q2(a) - ((int32_t)1 << 29), 2); }

int32_t tg_logistic_q4(int32_t a) {
  if (a == 0) return (int32_t)1 << 30; /* one half */
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
