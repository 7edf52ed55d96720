/*
 * hash.h: hashing. Two families:
 *  - sp_hash64: a fast, high-quality hash (xxHash XXH3) for hash tables.
 *  - Flink compatibility: key groups are computed from a Java-style hashCode of the key exactly
 *    as Flink's KeyGroupRangeAssignment does, so the same keys land on the same subtasks:
 *      key_group = murmurHash(hashCode) % max_parallelism
 *      operator  = key_group * parallelism / max_parallelism
 *    with Flink's MathUtils.murmurHash(int) and Java's hashCode rules for the key's values.
 */
#ifndef SPATE_BASE_HASH_H
#define SPATE_BASE_HASH_H
#include <stddef.h>
#include <stdint.h>

uint64_t sp_hash64(const void *p, size_t n);
/* An id of 32 lowercase hex digits (and a NUL) naming n bytes at p: XXH3-128 with seed (0: the
 * unseeded hash), high half first. Blob keys, JobVertexIDs, TaskManager and attempt ids. */
void sp_hex_id(const void *p, size_t n, uint64_t seed, char out[33]);
/* MurmurHash3's 64-bit finaliser (fmix64): spreads every input bit over the result, for
 * combining hashes (keyed-state entries, timers). Inline: it runs per record. */
static inline uint64_t sp_mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/* Flink's MathUtils.murmurHash(int): non-negative result. Inline, as sp_key_group: both run
 * per keyed record on the producer. */
static inline int32_t sp_flink_murmur(int32_t code) {
  /* One 4-byte block of MurmurHash3_x86_32 with seed 0, then the finaliser (length 4). */
  uint32_t k = (uint32_t)code;
  k *= 0xcc9e2d51u;
  k = (k << 15) | (k >> 17);
  k *= 0x1b873593u;
  uint32_t h = (k << 13) | (k >> 19);
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
/* KeyGroupRangeAssignment.computeKeyGroupForKeyHash. The murmur is non-negative, so for the
 * usual power-of-two maximum parallelism the modulo is a mask (no division per record). */
static inline int sp_key_group(int32_t java_hash, int max_parallelism) {
  int32_t m = sp_flink_murmur(java_hash);
  if ((max_parallelism & (max_parallelism - 1)) == 0) return m & (max_parallelism - 1);
  return m % max_parallelism;
}
/* KeyGroupRangeAssignment.computeOperatorIndexForKeyGroup. */
int sp_operator_index(int max_parallelism, int parallelism, int key_group);
/* KeyGroupRangeAssignment.computeDefaultMaxParallelism: roundUpToPowerOfTwo(p + p/2) clamped to
 * [128, 32768]. */
int sp_default_max_parallelism(int parallelism);

/* Java hashCode of values: String (over UTF-16 code units decoded from UTF-8; invalid bytes count
 * as U+FFFD), Integer, Long, Double, Boolean. */
int32_t sp_java_string_hash(const char *utf8, size_t len);
static inline int32_t sp_java_int_hash(int32_t v) { return v; }
static inline int32_t sp_java_long_hash(int64_t v) {
  return (int32_t)(uint32_t)((uint64_t)v ^ ((uint64_t)v >> 32));
}
int32_t sp_java_double_hash(double v); /* Double.hashCode with doubleToLongBits canonical NaN */
static inline int32_t sp_java_bool_hash(int v) { return v ? 1231 : 1237; }
#endif
