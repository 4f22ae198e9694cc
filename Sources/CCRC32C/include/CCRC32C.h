#ifndef CCRC32C_H
#define CCRC32C_H
#include <stddef.h>
#include <stdint.h>

/// Continues a CRC32C (Castagnoli) computation. Pass 0 to start; the result is final (pre/post inverted).
uint32_t cairn_crc32c_update(uint32_t crc, const void *data, size_t length);

/// 1 when the SSE4.2 hardware path is in use, else 0.
int cairn_crc32c_hardware(void);

#endif
