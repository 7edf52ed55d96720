/*
 * test_strbuf.c: the one growable string (base/strbuf.h): geometric growth (moved here from
 * test_row.c with the buffer itself), NUL termination, reuse after a reset, and that a failed
 * allocation leaves the buffer as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/strbuf.h"

static void strbuf_growth(void **state) {
  (void)state;
  sp_strbuf sb = {0};
  int reallocs = 0;
  size_t cap = 0;
  for (int i = 0; i < 100000; i++) {
    assert_int_equal(sp_strbuf_append(&sb, "abcdefghij", 10), 0);
    if (sb.cap != cap) reallocs++, cap = sb.cap;
  }
  assert_int_equal(sb.len, 1000000);
  assert_true(reallocs < 20); /* geometric, not linear */
  assert_int_equal(sb.data[sb.len], 0);
  sp_strbuf_free(&sb);
  assert_null(sb.data);
}

static void appends_and_terminates(void **state) {
  (void)state;
  sp_strbuf sb = {0};
  /* Appending nothing still makes an empty C string, as chained vertex names need. */
  assert_int_equal(sp_strbuf_append(&sb, NULL, 0), 0);
  assert_non_null(sb.data);
  assert_string_equal(sb.data, "");
  assert_int_equal(sp_strbuf_add(&sb, "Source: gen"), 0);
  assert_int_equal(sp_strbuf_add(&sb, " -> "), 0);
  assert_int_equal(sp_strbuf_append(&sb, "Map and more", 3), 0);
  assert_string_equal(sb.data, "Source: gen -> Map");
  assert_int_equal(sb.len, strlen("Source: gen -> Map"));
  /* Embedded NULs are bytes like any other; len counts them. */
  assert_int_equal(sp_strbuf_append(&sb, "x\0y", 3), 0);
  assert_int_equal(sb.len, strlen("Source: gen -> Map") + 3);
  assert_memory_equal(sb.data + sb.len - 3, "x\0y", 4); /* and the terminator after them */
  sp_strbuf_free(&sb);
  assert_null(sb.data);
  assert_int_equal(sb.len, 0);
  assert_int_equal(sb.cap, 0);
}

static void reset_reuses_memory(void **state) {
  (void)state;
  sp_strbuf sb = {0};
  assert_int_equal(sp_strbuf_add(&sb, "first line of some length"), 0);
  char *data = sb.data;
  size_t cap = sb.cap;
  sb.len = 0;
  assert_int_equal(sp_strbuf_add(&sb, "second"), 0);
  assert_ptr_equal(sb.data, data);
  assert_int_equal(sb.cap, cap);
  assert_string_equal(sb.data, "second");
  sp_strbuf_free(&sb);
}

static void failed_growth_changes_nothing(void **state) {
  (void)state;
  sp_strbuf sb = {0};
  assert_int_equal(sp_strbuf_add(&sb, "kept"), 0);
  char big[200];
  memset(big, 'z', sizeof big);
  sp_alloc_fail_after(1, 1);
  int rc = sp_strbuf_append(&sb, big, sizeof big); /* beyond the first 64 bytes: must grow */
  sp_alloc_fail_after(0, 0);
  assert_int_equal(rc, SPATE_ENOMEM);
  assert_int_equal(sb.len, 4);
  assert_string_equal(sb.data, "kept");
  /* Appends that fit need no allocation and still work; so does growing once memory is back. */
  sp_alloc_fail_after(1, 1);
  rc = sp_strbuf_add(&sb, "!");
  sp_alloc_fail_after(0, 0);
  assert_int_equal(rc, 0);
  assert_int_equal(sp_strbuf_append(&sb, big, sizeof big), 0);
  assert_int_equal(sb.len, 5 + sizeof big);
  assert_memory_equal(sb.data, "kept!", 5);
  sp_strbuf_free(&sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(strbuf_growth),
      cmocka_unit_test(appends_and_terminates),
      cmocka_unit_test(reset_reuses_memory),
      cmocka_unit_test(failed_growth_changes_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
