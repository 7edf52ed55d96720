/*
 * test_hash.c: the Flink-compatible hashes (murmur, key groups, Java hashCode rules) against
 * values worked out independently of this code, and sp_hash64 against libxxhash.
 *
 * Murmur expectations: MurmurHash3_x86_32 of the four zero bytes is the published test vector
 * 0x2362F9DE; the others were computed with a separate 32-bit-masked model of
 * MathUtils.murmurHash, including an input found by inverting the mix whose raw hash is
 * 0x80000000 (Integer.MIN_VALUE), which Flink maps to 0.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "base/hash.h"

static void test_java_string_hash(void **state) {
  (void)state;
  assert_int_equal(sp_java_string_hash("", 0), 0);
  assert_int_equal(sp_java_string_hash("hello", 5), 99162322);
  assert_int_equal(sp_java_string_hash("a", 1), 97);
  /* Wraps like Java int: "hello world" is a well-known Java hashCode with overflow. */
  assert_int_equal(sp_java_string_hash("hello world", 11), 1794106052);
  /* U+00E9 is one UTF-16 unit (0xE9 = 233) even though UTF-8 uses two bytes. */
  assert_int_equal(sp_java_string_hash("\xc3\xa9", 2), 233);
  /* U+65E5 U+672C: 26085 * 31 + 26412. */
  assert_int_equal(sp_java_string_hash("\xe6\x97\xa5\xe6\x9c\xac", 6), 835047);
  /* U+1F600 becomes the surrogate pair D83D DE00: 55357 * 31 + 56832. */
  assert_int_equal(sp_java_string_hash("\xf0\x9f\x98\x80", 4), 1772899);
  /* Invalid bytes count as U+FFFD (65533). */
  assert_int_equal(sp_java_string_hash("\xff", 1), 65533);
  assert_int_equal(sp_java_string_hash("a\xff"
                                       "b",
                                       3),
                   (97 * 31 + 65533) * 31 + 98);
  /* A truncated sequence at the end is one replacement character. */
  assert_int_equal(sp_java_string_hash("\xe6\x97", 2), 65533);
  /* A lead byte followed by ASCII: replacement, then the ASCII byte on its own. */
  assert_int_equal(sp_java_string_hash("\xc3"
                                       "A",
                                       2),
                   65533 * 31 + 65);
  /* Length is honoured; bytes past it are not read. */
  assert_int_equal(sp_java_string_hash("helloXYZ", 5), 99162322);
}

/* The eight-bytes-at-a-time ASCII path against the one-unit-at-a-time definition (h = 31 * h +
 * unit, wrapping), for every length around the 8-byte steps and with a non-ASCII character at
 * each position (which ends the fast path mid-string). */
static void test_java_string_hash_long(void **state) {
  (void)state;
  char s[48];
  for (int len = 0; len <= 40; len++) {
    uint32_t want = 0;
    for (int i = 0; i < len; i++) {
      s[i] = (char)('!' + (i * 37 + len) % 94);
      want = 31u * want + (uint8_t)s[i];
    }
    assert_int_equal(sp_java_string_hash(s, (size_t)len), (int32_t)want);
    for (int at = 0; at + 2 <= len; at++) { /* U+00E9 (two UTF-8 bytes, one unit 233) at `at` */
      char t[48];
      memcpy(t, s, (size_t)len);
      t[at] = (char)0xc3;
      t[at + 1] = (char)0xa9;
      uint32_t w = 0;
      for (int i = 0; i < len; i++) {
        if (i == at) {
          w = 31u * w + 233u;
          i++;
        } else {
          w = 31u * w + (uint8_t)t[i];
        }
      }
      assert_int_equal(sp_java_string_hash(t, (size_t)len), (int32_t)w);
    }
  }
  /* "The quick brown fox jumps over the lazy dog".hashCode(), worked out with a separate model */
  const char *fox = "The quick brown fox jumps over the lazy dog";
  assert_int_equal(sp_java_string_hash(fox, strlen(fox)), -609428141);
}

static void test_java_scalar_hashes(void **state) {
  (void)state;
  assert_int_equal(sp_java_double_hash(1.0), 1072693248); /* 0x3FF00000 */
  assert_int_equal(sp_java_double_hash(0.0), 0);
  assert_int_equal(sp_java_double_hash(-0.0), INT32_MIN); /* sign bit survives */
  assert_int_equal(sp_java_double_hash(NAN), 2146959360); /* 0x7FF80000 */
  uint64_t odd_nan_bits = 0x7ff0000000000123ull;
  double odd_nan;
  memcpy(&odd_nan, &odd_nan_bits, sizeof odd_nan);
  assert_true(isnan(odd_nan));
  assert_int_equal(sp_java_double_hash(odd_nan), 2146959360);
  assert_int_equal(sp_java_long_hash(-1), 0);
  assert_int_equal(sp_java_long_hash(INT64_C(1) << 32), 1);
  assert_int_equal(sp_java_long_hash(5), 5);
  assert_int_equal(sp_java_int_hash(-7), -7);
  assert_int_equal(sp_java_bool_hash(1), 1231);
  assert_int_equal(sp_java_bool_hash(0), 1237);
}

static void test_flink_murmur_values(void **state) {
  (void)state;
  assert_int_equal(sp_flink_murmur(0), 0x2362F9DE);
  assert_int_equal(sp_flink_murmur(0), 593689054);
  assert_int_equal(sp_flink_murmur(1), 68075478); /* raw 0xFBF1402A, negated */
  assert_int_equal(sp_flink_murmur(2), 1085422463);
  assert_int_equal(sp_flink_murmur(42), 1134849565); /* raw 0xBC5B91E3, negated */
  assert_int_equal(sp_flink_murmur(-1), 1982413648);
  assert_int_equal(sp_flink_murmur(INT32_MIN), 1718298732);
  assert_int_equal(sp_flink_murmur(INT32_MAX), 1653689534);
  assert_int_equal(sp_flink_murmur(99162322), 1715862179); /* "hello" */
  /* Raw hash 0x80000000: negation would overflow, Flink returns 0. */
  assert_int_equal(sp_flink_murmur(-2089875627), 0);
}

static void test_flink_murmur_non_negative(void **state) {
  (void)state;
  /* Spread the inputs over the whole int range, not just small values. */
  uint32_t x = 0;
  for (int i = 0; i < 1000000; i++) {
    x = x * 1664525u + 1013904223u;
    assert_true(sp_flink_murmur((int32_t)x) >= 0);
    assert_true(sp_flink_murmur(i) >= 0);
  }
}

static void test_key_group(void **state) {
  (void)state;
  assert_int_equal(sp_key_group(0, 128), 94);
  assert_int_equal(sp_key_group(1, 128), 86);
  assert_int_equal(sp_key_group(42, 128), 29);
  assert_int_equal(sp_key_group(sp_java_string_hash("hello", 5), 128), 35);
  assert_int_equal(sp_key_group(0, 32768), 31198);
  assert_int_equal(sp_key_group(-1, 32768), 15184);
  for (int i = -5000; i < 5000; i++) {
    int kg = sp_key_group(i, 1000);
    assert_true(kg >= 0 && kg < 1000);
    /* the power-of-two mask is the modulo of the non-negative murmur */
    assert_int_equal(sp_key_group(i, 128), sp_flink_murmur(i) % 128);
    assert_int_equal(sp_key_group(i, 1000), sp_flink_murmur(i) % 1000);
  }
}

/* Flink's computeKeyGroupRangeForOperatorIndex. */
static int range_start(int max, int p, int i) { return (int)(((int64_t)i * max + p - 1) / p); }
static int range_end(int max, int p, int i) {
  return (int)((((int64_t)i + 1) * max + p - 1) / p) - 1;
}

static void check_ranges(int max, int p) {
  int prev = 0;
  int first_of_current = 0;
  for (int kg = 0; kg < max; kg++) {
    int op = sp_operator_index(max, p, kg);
    assert_true(op >= 0 && op < p);
    assert_true(op >= prev);
    assert_true(op <= prev + 1 || p > max); /* no operator is skipped when p <= max */
    if (op != prev) {
      /* The previous operator's range ended right before this key group. */
      assert_int_equal(range_end(max, p, prev), kg - 1);
      assert_int_equal(range_start(max, p, prev), first_of_current);
      first_of_current = kg;
    }
    if (kg == 0) assert_int_equal(op, 0);
    prev = op;
  }
  assert_int_equal(prev, p - 1);
  assert_int_equal(range_start(max, p, prev), first_of_current);
  assert_int_equal(range_end(max, p, prev), max - 1);
  /* And every key group in each operator's formula range maps back to that operator. */
  for (int i = 0; i < p; i++)
    for (int kg = range_start(max, p, i); kg <= range_end(max, p, i); kg++)
      assert_int_equal(sp_operator_index(max, p, kg), i);
}

static void test_operator_ranges(void **state) {
  (void)state;
  int maxes[] = {128, 256, 1000, 4096, 32768};
  int ps[] = {1, 2, 3, 4, 7, 10, 64, 100, 127, 128};
  for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++)
    for (size_t j = 0; j < sizeof ps / sizeof ps[0]; j++)
      if (ps[j] <= maxes[m]) check_ranges(maxes[m], ps[j]);
  check_ranges(32768, 32768);
  check_ranges(32768, 1000);
  /* Concrete: max 128, p 3 gives [0,42], [43,85], [86,127]. */
  assert_int_equal(sp_operator_index(128, 3, 42), 0);
  assert_int_equal(sp_operator_index(128, 3, 43), 1);
  assert_int_equal(sp_operator_index(128, 3, 85), 1);
  assert_int_equal(sp_operator_index(128, 3, 86), 2);
}

static void test_default_max_parallelism(void **state) {
  (void)state;
  assert_int_equal(sp_default_max_parallelism(1), 128);
  assert_int_equal(sp_default_max_parallelism(85), 128);  /* 127 -> 128 */
  assert_int_equal(sp_default_max_parallelism(86), 256);  /* 129 -> 256 */
  assert_int_equal(sp_default_max_parallelism(100), 256); /* 150 -> 256 */
  assert_int_equal(sp_default_max_parallelism(171), 256); /* 256 -> 256 */
  assert_int_equal(sp_default_max_parallelism(172), 512); /* 258 -> 512 */
  assert_int_equal(sp_default_max_parallelism(21845), 32768);
  assert_int_equal(sp_default_max_parallelism(30000), 32768); /* 45000 clamped */
  assert_int_equal(sp_default_max_parallelism(32768), 32768);
}

static void test_hash64(void **state) {
  (void)state;
  const char *s = "spate";
  assert_true(sp_hash64(s, 5) == XXH3_64bits(s, 5));
  assert_true(sp_hash64(s, 5) == sp_hash64("spate", 5));
  assert_true(sp_hash64(s, 5) != sp_hash64("spatf", 5));
  assert_true(sp_hash64(s, 4) != sp_hash64(s, 5));
  assert_true(sp_hash64(NULL, 0) == XXH3_64bits("", 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_java_string_hash),
      cmocka_unit_test(test_java_string_hash_long),
      cmocka_unit_test(test_java_scalar_hashes),
      cmocka_unit_test(test_flink_murmur_values),
      cmocka_unit_test(test_flink_murmur_non_negative),
      cmocka_unit_test(test_key_group),
      cmocka_unit_test(test_operator_ranges),
      cmocka_unit_test(test_default_max_parallelism),
      cmocka_unit_test(test_hash64),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
