/*
 * nexmark_random.h: the random generator of the Nexmark source, the SplitMix64 generator with
 * the outputs of Java's java.util.SplittableRandom (a 64-bit state advanced by the golden-ratio
 * gamma, Stafford's "mix13" variant for 64-bit outputs and a 32-bit mix for ints; bounded ints
 * by rejection of the top of the range; doubles from the top 53 bits). nexmark-flink draws its
 * events from SplittableRandom, so the same draws from the same seed give the same events: the
 * unit test compares with nexmark-flink's own model functions run on SplittableRandom(eventId).
 *
 * A value on the stack, no allocation; every function is a few arithmetic instructions.
 */
#ifndef SPATE_CONNECTORS_NEXMARK_RANDOM_H
#define SPATE_CONNECTORS_NEXMARK_RANDOM_H
#include <stdint.h>

typedef struct nexmark_random {
  uint64_t seed;
} nexmark_random;

#define NEXMARK_GOLDEN_GAMMA UINT64_C(0x9e3779b97f4a7c15)

static inline nexmark_random nexmark_random_seeded(int64_t seed) {
  return (nexmark_random){(uint64_t)seed};
}

static inline uint64_t nexmark_random_next_seed(nexmark_random *r) {
  return r->seed += NEXMARK_GOLDEN_GAMMA;
}

/* A uniformly distributed 64-bit value (Java: nextLong). */
static inline int64_t nexmark_random_long(nexmark_random *r) {
  uint64_t z = nexmark_random_next_seed(r);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return (int64_t)(z ^ (z >> 31));
}

/* A uniformly distributed 32-bit value (Java: nextInt()). */
static inline int32_t nexmark_random_int(nexmark_random *r) {
  uint64_t z = nexmark_random_next_seed(r);
  z = (z ^ (z >> 33)) * UINT64_C(0x62a9d9ed799705f5);
  return (int32_t)(uint32_t)(((z ^ (z >> 28)) * UINT64_C(0xcb24d0a5c88c35b3)) >> 32);
}

/* A value in [0, bound), bound > 0 (Java: nextInt(bound)). */
static inline int32_t nexmark_random_below(nexmark_random *r, int32_t bound) {
  int32_t v = nexmark_random_int(r);
  int32_t m = bound - 1;
  if ((bound & m) == 0) return v & m; /* a power of two: the low bits */
  /* u + m - v overflowing to a negative int marks a draw from the incomplete top range */
  for (uint32_t u = (uint32_t)v >> 1;; u = (uint32_t)nexmark_random_int(r) >> 1) {
    v = (int32_t)(u % (uint32_t)bound);
    if ((int32_t)(u + (uint32_t)m - (uint32_t)v) >= 0) return v;
  }
}

/* A value in [0, 1) (Java: nextDouble()). */
static inline double nexmark_random_double(nexmark_random *r) {
  return (double)((uint64_t)nexmark_random_long(r) >> 11) * 0x1.0p-53;
}
#endif
