/* The runtime's integer-only multiplier and quantization arithmetic against the same computed in double,
   as TFLite computes it, on a million random scales and values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "tg_fixed_point.h"

/* TFLite's QuantizeMultiplier, in double with frexp. */
static void reference_multiplier(double m, int32_t *q, int *shift) {
  if (m == 0.0) {
    *q = 0;
    *shift = 0;
    return;
  }
  double frac = frexp(m, shift);
  long long q_fixed = llround(frac * (double)(1ll << 31));
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

static uint32_t state = 12345;
static uint32_t next(void) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}
/* A positive float spread over 2^-24 .. 2^8, with random low bits. */
static float random_scale(void) { return ldexpf(1.0f + (float)(next() & 0xFFFFFF) / 16777216.0f, (int)(next() % 32) - 24); }

int main(void) {
  for (int i = 0; i < 1000000; i++) {
    float a = random_scale(), b = i % 3 ? random_scale() : 1.0f, c = random_scale();
    int pow2 = (int)(next() % 41) - 20;
    int32_t q1, q2;
    int s1, s2;
    tg_quantize_multiplier_exact(a, b, c, pow2, &q1, &s1);
    reference_multiplier(ldexp((double)a * (double)b / (double)c, pow2), &q2, &s2);
    CHECK(q1 == q2 && s1 == s2, "multiplier %g*%g/%g*2^%d: %ld<<%d, double says %ld<<%d", (double)a, (double)b, (double)c,
          pow2, (long)q1, s1, (long)q2, s2);
    float x = (float)((int32_t)next()) / (float)(1u << (next() % 31));
    float s = random_scale();
    double qd = (double)x / (double)s;
    int32_t want = fabs(qd) >= 16777216.0 ? (qd < 0 ? -16777216 : 16777216) : (int32_t)round(qd);
    int32_t got = tg_round_divide_float(x, s);
    CHECK(got == want, "round(%g / %g) = %ld, double says %ld", (double)x, (double)s, (long)got, (long)want);
    /* The inline requantization the kernels use is the out-of-line one, bit for bit. */
    int32_t acc = (int32_t)next() >> (next() % 16), m = (int32_t)(next() | 0x40000000u) & 0x7FFFFFFF;
    int sh = (int)(next() % 40) - 31;
    CHECK(tg_requantize(acc, m, sh) == tg_multiply_by_quantized_multiplier(acc, m, sh), "requantize %ld by %ld, %d",
          (long)acc, (long)m, sh);
  }
  CHECK(tg_requantize(INT32_MIN, INT32_MIN, 0) == tg_multiply_by_quantized_multiplier(INT32_MIN, INT32_MIN, 0), "saturation");
  /* Ties go away from zero, and odd inputs are handled. */
  CHECK(tg_round_divide_float(2.5f, 1.0f) == 3, "rounding");
  CHECK(tg_round_divide_float(-2.5f, 1.0f) == -3, "rounding");
  CHECK(tg_round_divide_float(0.0f, 0.5f) == 0, "rounding");
  CHECK(tg_round_divide_float(NAN, 0.5f) == 0, "rounding");
  CHECK(tg_round_divide_float(INFINITY, 0.5f) == 16777216, "rounding");
  return check_report("test_fixed_point");
}
