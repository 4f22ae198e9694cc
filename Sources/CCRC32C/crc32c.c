// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) with an SSE4.2 path and a portable table fallback.
#include "CCRC32C.h"
#include <pthread.h>
#include <string.h>

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = table[0][n];
        for (int k = 1; k < 8; k++) {
            c = table[0][c & 0xff] ^ (c >> 8);
            table[k][n] = c;
        }
    }
}

static uint32_t crc_sw(uint32_t crc, const unsigned char *p, size_t n) {
    pthread_once(&table_once, build_tables);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc; // little-endian host assumed for the slicing path
        crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
              table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
              table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const unsigned char *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}
static int has_hw(void) { return __builtin_cpu_supports("sse4.2"); }
#else
static uint32_t crc_hw(uint32_t crc, const unsigned char *p, size_t n) { return crc_sw(crc, p, n); }
static int has_hw(void) { return 0; }
#endif

int cairn_crc32c_hardware(void) { return has_hw(); }

uint32_t cairn_crc32c_update(uint32_t crc, const void *data, size_t length) {
    const unsigned char *p = (const unsigned char *)data;
    uint32_t c = ~crc;
    c = has_hw() ? crc_hw(c, p, length) : crc_sw(c, p, length);
    return ~c;
}
