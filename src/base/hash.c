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

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

int32_t sp_flink_murmur(int32_t code) {
  /* One 4-byte block of MurmurHash3_x86_32 with seed 0, then the finaliser (length 4). */
  uint32_t k = (uint32_t)code;
  k *= 0xcc9e2d51u;
  k = rotl32(k, 15);
  k *= 0x1b873593u;
  uint32_t h = rotl32(k, 13);
  h = h * 5u + 0xe6546b64u;
  h ^= 4u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  /* Flink makes the result non-negative by negation, with Integer.MIN_VALUE (whose negation
   * overflows back to itself) mapped to 0. */
  if (h < 0x80000000u) return (int32_t)h;
  if (h == 0x80000000u) return 0;
  return (int32_t)(0u - h);
}

int sp_key_group(int32_t java_hash, int max_parallelism) {
  return sp_flink_murmur(java_hash) % max_parallelism;
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
