/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), the same value as zlib's crc32(). */
#ifndef TG_CRC32_H
#define TG_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc32_update(0, ...), feed the previous result to continue. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
