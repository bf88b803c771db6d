#include "tg_elementwise.h"

#include <string.h>

#include "tg_fixed_point.h"

void tg_shape4(const uint16_t *dims, uint8_t rank, tg_shape4_t *s) {
  for (int k = 0; k < 4; k++) s->d[k] = 1;
  for (uint8_t k = 0; k < rank && k < 4; k++) s->d[4 - rank + k] = dims[k];
}

static int8_t clamp(int32_t v, int32_t lo, int32_t hi) { return (int8_t)(v < lo ? lo : v > hi ? hi : v); }

void tg_binary_prepare(uint8_t kind, float in1_scale, float in2_scale, float out_scale, tg_binary_t *p) {
  int shift;
  p->kind = kind;
  if (kind == TG_BINARY_MUL) {
    tg_quantize_multiplier_exact(in1_scale, in2_scale, out_scale, 0, &p->out_multiplier, &shift);
    p->out_shift = (int8_t)shift;
    return;
  }
  float max = in1_scale > in2_scale ? in1_scale : in2_scale; /* twice this is the common scale */
  tg_quantize_multiplier_exact(in1_scale, 1.0f, max, -1, &p->in1_multiplier, &shift);
  p->in1_shift = (int8_t)shift;
  tg_quantize_multiplier_exact(in2_scale, 1.0f, max, -1, &p->in2_multiplier, &shift);
  p->in2_shift = (int8_t)shift;
  tg_quantize_multiplier_exact(max, 1.0f, out_scale, 1 - 20, &p->out_multiplier, &shift);
  p->out_shift = (int8_t)shift;
}

static int8_t binary_one(const tg_binary_t *p, int8_t a, int8_t b) {
  int32_t x1 = p->in1_offset + a, x2 = p->in2_offset + b, raw;
  if (p->kind == TG_BINARY_MUL) {
    raw = tg_multiply_by_quantized_multiplier(x1 * x2, p->out_multiplier, p->out_shift);
  } else {
    int32_t s1 = tg_multiply_by_quantized_multiplier(x1 * ((int32_t)1 << 20), p->in1_multiplier, p->in1_shift);
    int32_t s2 = tg_multiply_by_quantized_multiplier(x2 * ((int32_t)1 << 20), p->in2_multiplier, p->in2_shift);
    raw = tg_multiply_by_quantized_multiplier(p->kind == TG_BINARY_ADD ? s1 + s2 : s1 - s2, p->out_multiplier,
                                              p->out_shift);
  }
  return clamp(raw + p->out_offset, p->act_min, p->act_max);
}

/* Index of output position (i0..i3) in an input that may be broadcast along any dimension of size 1. */
static uint32_t broadcast_index(const tg_shape4_t *s, int32_t i0, int32_t i1, int32_t i2, int32_t i3) {
  int32_t j[4] = {s->d[0] == 1 ? 0 : i0, s->d[1] == 1 ? 0 : i1, s->d[2] == 1 ? 0 : i2, s->d[3] == 1 ? 0 : i3};
  return (uint32_t)(((j[0] * s->d[1] + j[1]) * s->d[2] + j[2]) * s->d[3] + j[3]);
}

void tg_binary_int8(const tg_binary_t *p, const int8_t *a, const tg_shape4_t *sa, const int8_t *b,
                    const tg_shape4_t *sb, int8_t *y, const tg_shape4_t *sy) {
  uint32_t k = 0;
  for (int32_t i0 = 0; i0 < sy->d[0]; i0++)
    for (int32_t i1 = 0; i1 < sy->d[1]; i1++)
      for (int32_t i2 = 0; i2 < sy->d[2]; i2++)
        for (int32_t i3 = 0; i3 < sy->d[3]; i3++)
          y[k++] = binary_one(p, a[broadcast_index(sa, i0, i1, i2, i3)], b[broadcast_index(sb, i0, i1, i2, i3)]);
}

void tg_concat_int8(const int8_t *const *inputs, const tg_shape4_t *shapes, uint8_t count, uint8_t axis, int8_t *y,
                    const tg_shape4_t *sy) {
  uint32_t outer = 1, inner = 1;
  for (uint8_t k = 0; k < axis; k++) outer *= (uint32_t)sy->d[k];
  for (uint8_t k = (uint8_t)(axis + 1); k < 4; k++) inner *= (uint32_t)sy->d[k];
  for (uint32_t o = 0; o < outer; o++)
    for (uint8_t n = 0; n < count; n++) {
      uint32_t block = (uint32_t)shapes[n].d[axis] * inner;
      memcpy(y, inputs[n] + o * block, block);
      y += block;
    }
}

void tg_pad_int8(const int8_t *x, const tg_shape4_t *sx, const int32_t *before, int8_t value, int8_t *y,
                 const tg_shape4_t *sy) {
  uint32_t k = 0;
  for (int32_t i0 = 0; i0 < sy->d[0]; i0++)
    for (int32_t i1 = 0; i1 < sy->d[1]; i1++)
      for (int32_t i2 = 0; i2 < sy->d[2]; i2++)
        for (int32_t i3 = 0; i3 < sy->d[3]; i3++) {
          int32_t j0 = i0 - before[0], j1 = i1 - before[1], j2 = i2 - before[2], j3 = i3 - before[3];
          int inside = j0 >= 0 && j0 < sx->d[0] && j1 >= 0 && j1 < sx->d[1] && j2 >= 0 && j2 < sx->d[2] && j3 >= 0 &&
                       j3 < sx->d[3];
          y[k++] = inside ? x[((j0 * sx->d[1] + j1) * sx->d[2] + j2) * sx->d[3] + j3] : value;
        }
}

void tg_mean_int8(const int8_t *x, const tg_shape4_t *sx, const uint8_t *reduce, int32_t in_zp, int32_t multiplier,
                  int shift, int32_t out_zp, int8_t *y) {
  /* The output walks the kept dimensions in order; each sums its reduced block. */
  int32_t kept[4], count = 1;
  for (int k = 0; k < 4; k++) {
    kept[k] = reduce[k] ? 1 : sx->d[k];
    if (reduce[k]) count *= sx->d[k];
  }
  /* Fold 1/count into the multiplier, keeping as many bits as the shift allows (TFLite's QuantizedMeanOrSum). */
  int bits = 31 - tg_leading_zeros32((uint32_t)count);
  if (bits > 32) bits = 32;
  if (bits > 31 + shift) bits = 31 + shift;
  int32_t m = (int32_t)(((int64_t)multiplier << bits) / count);
  uint32_t out = 0;
  for (int32_t o0 = 0; o0 < kept[0]; o0++)
    for (int32_t o1 = 0; o1 < kept[1]; o1++)
      for (int32_t o2 = 0; o2 < kept[2]; o2++)
        for (int32_t o3 = 0; o3 < kept[3]; o3++) {
          int32_t sum = 0;
          for (int32_t r0 = 0; r0 < (reduce[0] ? sx->d[0] : 1); r0++)
            for (int32_t r1 = 0; r1 < (reduce[1] ? sx->d[1] : 1); r1++)
              for (int32_t r2 = 0; r2 < (reduce[2] ? sx->d[2] : 1); r2++)
                for (int32_t r3 = 0; r3 < (reduce[3] ? sx->d[3] : 1); r3++) {
                  int32_t i0 = o0 + r0, i1 = o1 + r1, i2 = o2 + r2, i3 = o3 + r3;
                  sum += x[((i0 * sx->d[1] + i1) * sx->d[2] + i2) * sx->d[3] + i3];
                }
          int32_t v = tg_multiply_by_quantized_multiplier(sum - in_zp * count, m, shift - bits) + out_zp;
          y[out++] = clamp(v, -128, 127);
        }
}
