/*
 * test_bytes.c: the byte encoder and the bounds-checked decoder: exact little-endian layout,
 * round trips, errors that name the offset, sticky failure on both sides (including injected
 * allocation failures), and that no truncation or corrupt length makes the reader overrun.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/bytes.h"

/* Builds the sample message used by several tests; returns its bytes (sp_free). */
static uint8_t *sample(size_t *len) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, 0xAB);
  sp_put_u32(&w, 0x01020304u);
  sp_put_u64(&w, 0x1122334455667788ull);
  sp_put_i32(&w, -2);
  sp_put_i64(&w, INT64_MIN);
  sp_put_str(&w, "héllo");
  sp_put_str(&w, NULL);
  sp_put_str(&w, "");
  sp_put_blob(&w, "\x00\x01\x02", 3);
  sp_put_bytes(&w, "xyz", 3);
  assert_false(w.failed);
  return sp_writer_take(&w, len);
}

static void test_layout(void **state) {
  (void)state;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u32(&w, 0x01020304u);
  sp_put_u64(&w, 0x1122334455667788ull);
  sp_put_i32(&w, -2);
  sp_put_str(&w, "ab");
  sp_put_str(&w, NULL);
  const uint8_t want[] = {0x04, 0x03, 0x02, 0x01, 0x88, 0x77, 0x66, 0x55, 0x44,
                          0x33, 0x22, 0x11, 0xFE, 0xFF, 0xFF, 0xFF, 0x02, 0x00,
                          0x00, 0x00, 'a',  'b',  0xFF, 0xFF, 0xFF, 0xFF};
  assert_int_equal(w.len, sizeof want);
  assert_memory_equal(w.data, want, sizeof want);
  sp_writer_free(&w);
  assert_null(w.data);
  assert_int_equal(w.len, 0);
}

static void test_round_trip(void **state) {
  (void)state;
  size_t len;
  uint8_t *buf = sample(&len);
  assert_non_null(buf);
  sp_reader r;
  sp_reader_init(&r, buf, len);
  assert_int_equal(sp_get_u8(&r), 0xAB);
  assert_int_equal(sp_get_u32(&r), 0x01020304u);
  assert_true(sp_get_u64(&r) == 0x1122334455667788ull);
  assert_int_equal(sp_get_i32(&r), -2);
  assert_true(sp_get_i64(&r) == INT64_MIN);
  char *s = sp_get_str(&r);
  assert_string_equal(s, "héllo");
  sp_free(s);
  assert_null(sp_get_str(&r));
  assert_true(sp_reader_ok(&r)); /* an encoded NULL is not an error */
  s = sp_get_str(&r);
  assert_string_equal(s, "");
  sp_free(s);
  uint32_t n = 99;
  const uint8_t *b = sp_get_blob(&r, &n);
  assert_int_equal(n, 3);
  assert_memory_equal(b, "\x00\x01\x02", 3);
  assert_ptr_equal(b, buf + r.pos - 3); /* in place, no copy */
  assert_memory_equal(sp_get_bytes(&r, 3), "xyz", 3);
  assert_non_null(sp_get_bytes(&r, 0)); /* empty read at the end is fine */
  assert_true(sp_reader_ok(&r));
  assert_int_equal(r.pos, len);
  sp_free(buf);
}

static void test_truncated_reports_offset(void **state) {
  (void)state;
  const uint8_t data[14] = {0};
  sp_reader r;
  sp_reader_init(&r, data, sizeof data);
  sp_get_u64(&r);
  sp_get_u8(&r);
  sp_get_u8(&r);
  sp_get_u8(&r);
  sp_get_u8(&r);
  assert_true(sp_reader_ok(&r));
  assert_int_equal(sp_get_u32(&r), 0); /* 2 bytes left at offset 12 */
  assert_false(sp_reader_ok(&r));
  assert_non_null(strstr(r.error, "truncated u32"));
  assert_non_null(strstr(r.error, "at offset 12"));
  /* Sticky: later reads return zero values and the first message stays. */
  assert_int_equal(sp_get_u8(&r), 0);
  assert_null(sp_get_bytes(&r, 1));
  assert_null(sp_get_str(&r));
  assert_non_null(strstr(r.error, "truncated u32 at offset 12"));
  assert_int_equal(r.pos, 12);
}

static void test_values_zero_after_error(void **state) {
  (void)state;
  const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  sp_reader r;
  sp_reader_init(&r, data, 3);
  assert_true(sp_get_u64(&r) == 0);
  assert_non_null(strstr(r.error, "truncated u64 at offset 0"));
  assert_int_equal(sp_get_u32(&r), 0); /* data would be readable past len, must not be read */
  uint32_t n = 7;
  assert_null(sp_get_blob(&r, &n));
  assert_int_equal(n, 0);
}

static void test_string_length_exceeds_remaining(void **state) {
  (void)state;
  /* u32 length 100 followed by only 5 bytes. */
  const uint8_t data[] = {0x01, 100, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
  sp_reader r;
  sp_reader_init(&r, data, sizeof data);
  assert_int_equal(sp_get_u8(&r), 1);
  int64_t before = sp_alloc_current();
  assert_null(sp_get_str(&r));
  assert_false(sp_reader_ok(&r));
  assert_int_equal(sp_alloc_current(), before); /* nothing allocated for a lying length */
  assert_non_null(strstr(r.error, "offset 1"));
  assert_non_null(strstr(r.error, "100"));

  sp_reader_init(&r, data + 1, sizeof data - 1);
  uint32_t n;
  assert_null(sp_get_blob(&r, &n));
  assert_non_null(strstr(r.error, "offset 0"));

  /* A huge length close to 4 GiB must not wrap the bounds check. */
  const uint8_t huge[] = {0xFE, 0xFF, 0xFF, 0xFF, 'x'};
  sp_reader_init(&r, huge, sizeof huge);
  assert_null(sp_get_str(&r));
  assert_false(sp_reader_ok(&r));

  /* Exactly the remaining bytes is accepted. */
  sp_reader_init(&r, (const uint8_t[]){5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}, 9);
  char *s = sp_get_str(&r);
  assert_string_equal(s, "hello");
  sp_free(s);
  assert_true(sp_reader_ok(&r));
}

static void test_string_with_nul_rejected(void **state) {
  (void)state;
  const uint8_t data[] = {3, 0, 0, 0, 'a', 0, 'b'};
  sp_reader r;
  sp_reader_init(&r, data, sizeof data);
  assert_null(sp_get_str(&r));
  assert_false(sp_reader_ok(&r));
}

static void test_every_truncation_fails_cleanly(void **state) {
  (void)state;
  size_t len;
  uint8_t *buf = sample(&len);
  for (size_t cut = 0; cut < len; cut++) {
    /* A heap copy of exactly `cut` bytes so ASan catches any overrun. */
    uint8_t *copy = sp_malloc(cut ? cut : 1);
    memcpy(copy, buf, cut);
    sp_reader r;
    sp_reader_init(&r, copy, cut);
    sp_get_u8(&r);
    sp_get_u32(&r);
    sp_get_u64(&r);
    sp_get_i32(&r);
    sp_get_i64(&r);
    sp_free(sp_get_str(&r));
    sp_free(sp_get_str(&r));
    sp_free(sp_get_str(&r));
    uint32_t n;
    sp_get_blob(&r, &n);
    sp_get_bytes(&r, 3);
    assert_false(sp_reader_ok(&r));
    assert_non_null(strstr(r.error, "offset"));
    assert_true(r.pos <= cut);
    sp_free(copy);
  }
  sp_free(buf);
}

static void test_reader_fail_first_wins(void **state) {
  (void)state;
  const uint8_t data[] = {7, 0, 0, 0, 0};
  sp_reader r;
  sp_reader_init(&r, data, sizeof data);
  sp_get_u8(&r);
  sp_reader_fail(&r, "bad operator kind 7");
  sp_reader_fail(&r, "second");
  assert_string_equal(r.error, "bad operator kind 7 at offset 1");
  assert_int_equal(sp_get_u32(&r), 0);
}

static void test_writer_growth_and_take(void **state) {
  (void)state;
  sp_writer w;
  sp_writer_init(&w);
  for (uint32_t i = 0; i < 10000; i++) sp_put_u32(&w, i);
  assert_false(w.failed);
  size_t len;
  uint8_t *d = sp_writer_take(&w, &len);
  assert_int_equal(len, 40000);
  assert_null(w.data);
  assert_int_equal(w.len, 0);
  sp_reader r;
  sp_reader_init(&r, d, len);
  for (uint32_t i = 0; i < 10000; i++) assert_int_equal(sp_get_u32(&r), i);
  assert_true(sp_reader_ok(&r));
  sp_free(d);
}

static void test_writer_alloc_failure_sticky(void **state) {
  (void)state;
  sp_writer w;
  sp_writer_init(&w);
  sp_alloc_fail_after(1, 0); /* only the very next allocation fails */
  sp_put_u32(&w, 1);
  assert_true(w.failed);
  sp_put_u32(&w, 2); /* allocation would work now, but the encoding is already incomplete */
  assert_true(w.failed);
  assert_int_equal(w.len, 0);
  sp_alloc_fail_after(0, 0);
  sp_writer_free(&w);

  /* Failure during growth keeps the earlier bytes owned by the writer (no leak). */
  sp_writer_init(&w);
  sp_put_bytes(&w, "0123456789", 10);
  assert_false(w.failed);
  sp_alloc_fail_after(1, 1);
  uint8_t big[256] = {0};
  sp_put_blob(&w, big, sizeof big);
  sp_alloc_fail_after(0, 0);
  assert_true(w.failed);
  assert_memory_equal(w.data, "0123456789", 10);
  sp_writer_free(&w);
}

static void test_reader_string_alloc_failure(void **state) {
  (void)state;
  const uint8_t data[] = {2, 0, 0, 0, 'o', 'k'};
  sp_reader r;
  sp_reader_init(&r, data, sizeof data);
  sp_alloc_fail_after(1, 0);
  char *s = sp_get_str(&r);
  sp_alloc_fail_after(0, 0);
  assert_null(s);
  assert_false(sp_reader_ok(&r));
}

static void test_checksum(void **state) {
  (void)state;
  size_t len;
  uint8_t *buf = sample(&len);
  uint32_t c = sp_checksum32(buf, len);
  assert_int_equal(c, sp_checksum32(buf, len));
  /* Every single-bit flip changes the checksum. */
  for (size_t i = 0; i < len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      buf[i] ^= (uint8_t)(1u << bit);
      assert_int_not_equal(sp_checksum32(buf, len), c);
      buf[i] ^= (uint8_t)(1u << bit);
    }
  }
  assert_int_not_equal(sp_checksum32(buf, len - 1), c);
  assert_int_equal(sp_checksum32(NULL, 0), sp_checksum32("", 0));
  sp_free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_truncated_reports_offset),
      cmocka_unit_test(test_values_zero_after_error),
      cmocka_unit_test(test_string_length_exceeds_remaining),
      cmocka_unit_test(test_string_with_nul_rejected),
      cmocka_unit_test(test_every_truncation_fails_cleanly),
      cmocka_unit_test(test_reader_fail_first_wins),
      cmocka_unit_test(test_writer_growth_and_take),
      cmocka_unit_test(test_writer_alloc_failure_sticky),
      cmocka_unit_test(test_reader_string_alloc_failure),
      cmocka_unit_test(test_checksum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
