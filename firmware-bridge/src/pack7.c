#include "pack7.h"

uint16_t pack7(const uint8_t *in, uint16_t n, uint8_t *out) {
  uint16_t acc = 0, o = 0;
  uint8_t bits = 0;
  for (uint16_t i = 0; i < n; i++) {
    acc |= (uint16_t)((uint16_t)in[i] << bits);
    bits += 8;
    while (bits >= 7) {
      out[o++] = (uint8_t)(acc & 0x7F);
      acc >>= 7;
      bits -= 7;
    }
  }
  if (bits > 0) out[o++] = (uint8_t)(acc & 0x7F);
  return o;
}

uint16_t unpack7(const uint8_t *in, uint16_t m, uint8_t *out) {
  uint16_t acc = 0, o = 0;
  uint8_t bits = 0;
  for (uint16_t i = 0; i < m; i++) {
    acc |= (uint16_t)((uint16_t)(in[i] & 0x7F) << bits);
    bits += 7;
    if (bits >= 8) {
      out[o++] = (uint8_t)(acc & 0xFF);
      acc >>= 8;
      bits -= 8;
    }
  }
  return o;
}
