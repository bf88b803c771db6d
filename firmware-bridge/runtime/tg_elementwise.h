/* int8 ADD, SUB, MUL (with broadcasting), CONCATENATION, PAD and MEAN, as TFLite's reference kernels. */
#ifndef TG_ELEMENTWISE_H
#define TG_ELEMENTWISE_H

#include <stdint.h>

/* A shape as four dimensions, right-aligned: [1, 1, 2, 3] for a rank-2 [2, 3]. */
typedef struct {
  int32_t d[4];
} tg_shape4_t;

void tg_shape4(const uint16_t *dims, uint8_t rank, tg_shape4_t *s);

#define TG_BINARY_ADD 0
#define TG_BINARY_SUB 1
#define TG_BINARY_MUL 2

typedef struct {
  uint8_t kind;
  int32_t in1_offset, in2_offset, out_offset; /* -zero points of the inputs, the output's zero point */
  int32_t in1_multiplier, in2_multiplier, out_multiplier;
  int8_t in1_shift, in2_shift, out_shift;
  int32_t act_min, act_max;
} tg_binary_t;

/* ADD and SUB rescale both inputs to twice the larger input scale, with 20 bits of headroom. */
void tg_binary_prepare(uint8_t kind, float in1_scale, float in2_scale, float out_scale, tg_binary_t *p);
void tg_binary_int8(const tg_binary_t *p, const int8_t *a, const tg_shape4_t *sa, const int8_t *b,
                    const tg_shape4_t *sb, int8_t *y, const tg_shape4_t *sy);

/* Copy `count` inputs along `axis` (0-3 of the 4D shapes): outer x (axis x inner) blocks. */
void tg_concat_int8(const int8_t *const *inputs, const tg_shape4_t *shapes, uint8_t count, uint8_t axis, int8_t *y,
                    const tg_shape4_t *sy);

/* Pad with `value`; before[k] elements ahead of dimension k of the 4D shape. */
void tg_pad_int8(const int8_t *x, const tg_shape4_t *sx, const int32_t *before, int8_t value, int8_t *y,
                 const tg_shape4_t *sy);

/* Mean over the dimensions flagged in `reduce` (of the 4D shape), rescaled from the input's to the output's quantization. */
void tg_mean_int8(const int8_t *x, const tg_shape4_t *sx, const uint8_t *reduce, int32_t in_zp, int32_t multiplier,
                  int shift, int32_t out_zp, int8_t *y);

#endif
