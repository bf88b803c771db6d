/*
 * 8-bit bytes <-> 7-bit SysEx data bytes, as Firmata's Encoder7Bit does it: the input is one
 * little-endian bit stream cut into 7-bit groups. n bytes pack into ceil(8n/7) bytes; m packed
 * bytes unpack into floor(7m/8) bytes, so the length needs no header.
 */
#ifndef TG_PACK7_H
#define TG_PACK7_H

#include <stdint.h>

#define PACK7_PACKED_LEN(n) ((uint16_t)(((uint32_t)(n) * 8u + 6u) / 7u))
#define PACK7_UNPACKED_LEN(m) ((uint16_t)(((uint32_t)(m) * 7u) / 8u))

/* Returns the number of bytes written to out (PACK7_PACKED_LEN(n)). */
uint16_t pack7(const uint8_t *in, uint16_t n, uint8_t *out);
/* Returns the number of bytes written to out (PACK7_UNPACKED_LEN(m)); bit 7 of each input is ignored. */
uint16_t unpack7(const uint8_t *in, uint16_t m, uint8_t *out);

#endif
