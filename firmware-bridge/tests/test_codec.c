/* CRC-32 and 7-bit packing against known values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crc32.h"
#include "pack7.h"

int main(void) {
  CHECK(crc32_update(0, "123456789", 9) == 0xCBF43926UL, "check value of CRC-32/ISO-HDLC");
  CHECK(crc32_update(0, "", 0) == 0, "empty input");
  CHECK(crc32_update(crc32_update(0, "12345", 5), "6789", 4) == 0xCBF43926UL, "continued CRC");

  /* Firmata Encoder7Bit packs [0x80, 0x01] as [0x00, 0x03, 0x00] and [0xFF] as [0x7F, 0x01]. */
  uint8_t out[16], back[16];
  const uint8_t a[2] = {0x80, 0x01};
  CHECK(pack7(a, 2, out) == 3 && out[0] == 0x00 && out[1] == 0x03 && out[2] == 0x00, "pack [80 01]");
  const uint8_t b[1] = {0xFF};
  CHECK(pack7(b, 1, out) == 2 && out[0] == 0x7F && out[1] == 0x01, "pack [FF]");

  srand(7);
  for (int n = 0; n <= 300; n++) {
    uint8_t in[300], packed[400], unpacked[300];
    for (int i = 0; i < n; i++) in[i] = (uint8_t)rand();
    uint16_t m = pack7(in, (uint16_t)n, packed);
    int seven_bit = 1;
    for (uint16_t i = 0; i < m; i++) seven_bit &= packed[i] < 0x80;
    CHECK(m == PACK7_PACKED_LEN(n), "packed length of %d", n);
    CHECK(seven_bit, "packed bytes are 7-bit for %d", n);
    CHECK(unpack7(packed, m, unpacked) == n, "unpacked length of %d", n);
    CHECK(memcmp(in, unpacked, (size_t)n) == 0, "round trip of %d bytes", n);
  }
  (void)back;
  return check_report("codec");
}
