#include "tg_activations.h"

#include "tg_fixed_point.h"

static int8_t clamp8(int32_t v) { return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v); }

/* Scaled differences from the row maximum in Q5.26: 32 is as far below the maximum as exp still counts. */
void tg_softmax_int8(const int8_t *x, int8_t *y, uint32_t rows, uint32_t depth, int32_t beta_multiplier,
                     int beta_left_shift, int32_t diff_min) {
  for (uint32_t r = 0; r < rows; r++) {
    const int8_t *in = x + r * depth;
    int8_t *out = y + r * depth;
    int32_t max = -128;
    for (uint32_t c = 0; c < depth; c++)
      if (in[c] > max) max = in[c];
    int32_t sum_of_exps = 0; /* Q12.19 */
    for (uint32_t c = 0; c < depth; c++) {
      int32_t diff = (int32_t)in[c] - max;
      if (diff < diff_min) continue;
      int32_t scaled = tg_srdhm(diff * ((int32_t)1 << beta_left_shift), beta_multiplier);
      sum_of_exps += tg_rounding_divide_by_pot(tg_exp_on_negative_values(scaled, 5), 12);
    }
    /* 1 / sum: normalise the sum to [1, 2), take the reciprocal of 1 + fraction, remember the shift. */
    int headroom_plus_one = tg_leading_zeros32((uint32_t)sum_of_exps);
    int bits_over_unit = 12 - headroom_plus_one;
    int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - 0x80000000u);
    int32_t shifted_scale = tg_one_over_one_plus_x(shifted_sum_minus_one);
    for (uint32_t c = 0; c < depth; c++) {
      int32_t diff = (int32_t)in[c] - max;
      if (diff < diff_min) {
        out[c] = -128;
        continue;
      }
      int32_t scaled = tg_srdhm(diff * ((int32_t)1 << beta_left_shift), beta_multiplier);
      int32_t e = tg_exp_on_negative_values(scaled, 5);
      int32_t unsat = tg_rounding_divide_by_pot(tg_srdhm(shifted_scale, e), bits_over_unit + 31 - 8);
      out[c] = clamp8(unsat - 128);
    }
  }
}

void tg_q4_input_prepare(float input_scale, int32_t zero_point, tg_q4_input_t *p) {
  /* input_scale * 2^27 as multiplier and shift; inputs this far from zero saturate the output. */
  tg_quantize_multiplier_exact(input_scale, 1.0f, 1.0f, 27, &p->multiplier, &p->shift);
  p->zero_point = zero_point;
  p->radius = tg_input_radius(4, p->shift);
}

/* LOGISTIC and TANH share all but the function and the output format: Q0.31 → int8 by a shift, plus zero point. */
static void q4_activation(const int8_t *x, int8_t *y, uint32_t n, const tg_q4_input_t *p, int32_t (*f)(int32_t),
                          int out_shift, int32_t out_zp) {
  for (uint32_t i = 0; i < n; i++) {
    int32_t v = (int32_t)x[i] - p->zero_point;
    if (v <= -p->radius) y[i] = -128;
    else if (v >= p->radius) y[i] = 127;
    else {
      int32_t q4 = tg_multiply_by_quantized_multiplier(v, p->multiplier, p->shift);
      y[i] = clamp8(tg_rounding_divide_by_pot(f(q4), out_shift) + out_zp);
    }
  }
}

void tg_logistic_int8(const int8_t *x, int8_t *y, uint32_t n, const tg_q4_input_t *p) {
  q4_activation(x, y, n, p, tg_logistic_q4, 23, -128);
}

void tg_tanh_int8(const int8_t *x, int8_t *y, uint32_t n, const tg_q4_input_t *p) {
  q4_activation(x, y, n, p, tg_tanh_q4, 24, 0);
}
