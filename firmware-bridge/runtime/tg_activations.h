/* int8 SOFTMAX, LOGISTIC and TANH as TFLite's reference kernels (gemmlowp fixed point, see tg_fixed_point.h). */
#ifndef TG_ACTIVATIONS_H
#define TG_ACTIVATIONS_H

#include <stdint.h>

/* Softmax over the last axis of `rows` x `depth`; output scale 1/256, zero point -128. */
void tg_softmax_int8(const int8_t *x, int8_t *y, uint32_t rows, uint32_t depth, int32_t beta_multiplier,
                     int beta_left_shift, int32_t diff_min);
/* Prepared input scaling of LOGISTIC and TANH: input - zero point, as Q4.27 by multiplier and shift. */
typedef struct {
  int32_t zero_point, radius, multiplier;
  int shift;
} tg_q4_input_t;
void tg_q4_input_prepare(float input_scale, int32_t zero_point, tg_q4_input_t *p);
void tg_logistic_int8(const int8_t *x, int8_t *y, uint32_t n, const tg_q4_input_t *p); /* out 1/256, -128 */
void tg_tanh_int8(const int8_t *x, int8_t *y, uint32_t n, const tg_q4_input_t *p);     /* out 1/128, 0 */

#endif
