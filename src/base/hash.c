/*
 * hash.c: the hashes declared in hash.h.
 *
 * The Flink-compatible functions reproduce Java semantics on purpose: 32-bit two's-complement
 * arithmetic that wraps, and `>>>` as a logical shift. All of that is done on uint32_t, where C
 * defines wrapping, and converted to int32_t only at the end, so no step relies on signed
 * overflow (undefined in C). Matching Flink bit for bit is what lets a key land on the same
 * key group, and so the same subtask and the same state, as it would in Flink.
 */
#include "base/hash.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "base/utf8.h"

uint64_t sp_hash64(const void *p, size_t n) { return XXH3_64bits(n ? p : "", n); }

void sp_hex_id(const void *p, size_t n, uint64_t seed, char out[33]) {
  XXH128_hash_t h = XXH3_128bits_withSeed(n ? p : "", n, seed);
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

int sp_operator_index(int max_parallelism, int parallelism, int key_group) {
  /* Widened: key_group * parallelism is at most 32768^2, which fits in int, but callers with
   * unchecked arguments should not hit signed overflow. */
  return (int)((int64_t)key_group * parallelism / max_parallelism);
}

int sp_default_max_parallelism(int parallelism) {
  int64_t want = (int64_t)parallelism + parallelism / 2;
  if (want <= 128) return 128;
  if (want >= 32768) return 32768;
  int64_t p2 = 1;
  while (p2 < want) p2 <<= 1;
  return (int)p2;
}

int32_t sp_java_string_hash(const char *utf8, size_t len) {
  const uint8_t *s = (const uint8_t *)utf8;
  uint32_t h = 0;
  size_t i = 0;
  /* ASCII eight bytes at a time: h * 31^8 + b0 * 31^7 + ... + b7, the same sum the loop below
   * computes one byte at a time (all mod 2^32), without its chain of dependent multiplies. */
  while (i + 8 <= len) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (w & 0x8080808080808080ull) break;
    const uint8_t *b = s + i;
    /* 31^8 and 31^7 mod 2^32, then 31^6 .. 31^0 */
    h = h * 0x94446F01u + b[0] * 0x67E12CDFu + b[1] * 887503681u + b[2] * 28629151u +
        b[3] * 923521u + b[4] * 29791u + b[5] * 961u + b[6] * 31u + b[7];
    i += 8;
  }
  while (i < len) {
    uint32_t cp;
    if (!sp_utf8_next(s, len, &i, &cp)) cp = 0xFFFD; /* a bad prefix counts once, as in Java */
    if (cp >= 0x10000) {
      cp -= 0x10000;
      h = 31u * h + (0xD800u + (cp >> 10));
      h = 31u * h + (0xDC00u + (cp & 0x3FF));
    } else {
      h = 31u * h + cp;
    }
  }
  return (int32_t)h;
}

int32_t sp_java_double_hash(double v) {
  uint64_t bits;
  if (isnan(v)) {
    bits = 0x7ff8000000000000ull; /* doubleToLongBits folds every NaN into this one */
  } else {
    memcpy(&bits, &v, sizeof bits);
  }
  return (int32_t)(uint32_t)(bits ^ (bits >> 32));
}
