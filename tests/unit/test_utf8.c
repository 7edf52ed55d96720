/*
 * test_utf8.c: the one UTF-8 decoder (base/utf8.h): the strict whole-string check (moved here
 * from test_row.c with the check itself), the code points of well-formed sequences, and the
 * length of the maximal ill-formed prefix that a decoder replaces with one U+FFFD, as Java's
 * decoder does (Unicode's "maximal subpart" examples, table 3-8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/utf8.h"

static void utf8_strict(void **state) {
  (void)state;
  assert_int_equal(sp_utf8_invalid_at("", 0), -1);
  assert_int_equal(sp_utf8_invalid_at("plain ascii", 11), -1);
  assert_int_equal(sp_utf8_invalid_at("h\xc3\xa9", 3), -1);        /* é */
  assert_int_equal(sp_utf8_invalid_at("\xe2\x82\xac", 3), -1);     /* € */
  assert_int_equal(sp_utf8_invalid_at("\xf0\x9f\x98\x80", 4), -1); /* U+1F600 */
  assert_int_equal(sp_utf8_invalid_at("\xf4\x8f\xbf\xbf", 4), -1); /* U+10FFFF */
  assert_int_equal(sp_utf8_invalid_at("ab\xc0\x80", 4), 2);        /* overlong NUL */
  assert_int_equal(sp_utf8_invalid_at("\xe0\x80\xaf", 3), 0);      /* overlong '/' */
  assert_int_equal(sp_utf8_invalid_at("\xf0\x80\x80\xaf", 4), 0);  /* overlong '/' */
  assert_int_equal(sp_utf8_invalid_at("x\xed\xa0\x80", 4), 1);     /* surrogate D800 */
  assert_int_equal(sp_utf8_invalid_at("\xf4\x90\x80\x80", 4), 0);  /* U+110000 */
  assert_int_equal(sp_utf8_invalid_at("\xf5\x80\x80\x80", 4), 0);
  assert_int_equal(sp_utf8_invalid_at("\x80", 1), 0);       /* lone continuation */
  assert_int_equal(sp_utf8_invalid_at("ok\xe2\x82", 4), 2); /* truncated */
  assert_int_equal(sp_utf8_invalid_at("\xc3\x28", 2), 0);   /* bad continuation */
}

/* Decodes s[0, n) from the start: the code point must be cp over len bytes. */
static void expect_cp(const char *s, size_t n, size_t len, uint32_t cp) {
  uint32_t got = 0xDEADBEEF;
  size_t i = 0;
  assert_true(sp_utf8_next((const uint8_t *)s, n, &i, &got));
  assert_int_equal(i, len);
  assert_int_equal(got, cp);
}

static void well_formed(void **state) {
  (void)state;
  expect_cp("A", 1, 1, 0x41);
  expect_cp("\x7f", 1, 1, 0x7F);
  expect_cp("\xc2\x80", 2, 2, 0x80);    /* smallest two-byte */
  expect_cp("\xc3\xa9xyz", 5, 2, 0xE9); /* stops after the sequence */
  expect_cp("\xdf\xbf", 2, 2, 0x7FF);
  expect_cp("\xe0\xa0\x80", 3, 3, 0x800); /* smallest three-byte */
  expect_cp("\xe2\x82\xac", 3, 3, 0x20AC);
  expect_cp("\xed\x9f\xbf", 3, 3, 0xD7FF); /* just below the surrogates */
  expect_cp("\xee\x80\x80", 3, 3, 0xE000); /* just above them */
  expect_cp("\xef\xbf\xbf", 3, 3, 0xFFFF);
  expect_cp("\xf0\x90\x80\x80", 4, 4, 0x10000); /* smallest four-byte */
  expect_cp("\xf0\x9f\x98\x80", 4, 4, 0x1F600);
  expect_cp("\xf4\x8f\xbf\xbf", 4, 4, 0x10FFFF);
}

/* Decodes an ill-formed s[0, n) from the start: minus the bytes one U+FFFD stands for. */
static int bad(const char *s, size_t n) {
  uint32_t cp = 0xDEADBEEF;
  size_t i = 0;
  assert_false(sp_utf8_next((const uint8_t *)s, n, &i, &cp));
  assert_int_equal(cp, 0xDEADBEEF); /* left unset */
  assert_true(i >= 1 && i <= n);
  return -(int)i;
}

static void ill_formed_prefixes(void **state) {
  (void)state;
  assert_int_equal(bad("\x80", 1), -1); /* continuation byte as lead */
  assert_int_equal(bad("\xbf\x80", 2), -1);
  assert_int_equal(bad("\xc0\xaf", 2), -1); /* C0, C1: always overlong */
  assert_int_equal(bad("\xc1\xbf", 2), -1);
  assert_int_equal(bad("\xf5\x80\x80\x80", 4), -1); /* F5..FF never start a sequence */
  assert_int_equal(bad("\xff", 1), -1);
  assert_int_equal(bad("\xe0\x80\xaf", 3), -1); /* overlong: second byte out of range */
  assert_int_equal(bad("\xf0\x8f\xbf\xbf", 4), -1);
  assert_int_equal(bad("\xed\xa0\x80", 3), -1);     /* surrogate */
  assert_int_equal(bad("\xf4\x90\x80\x80", 4), -1); /* above U+10FFFF */
  assert_int_equal(bad("\xc3\x28", 2), -1);         /* no continuation at all */
  assert_int_equal(bad("\xe2\x82\x28", 3), -2);     /* the lead and one good continuation */
  assert_int_equal(bad("\xf0\x9f\x98\x41", 4), -3); /* three of four */
  assert_int_equal(bad("\xf0\x9f\x41", 3), -2);
  /* The end of the input cuts a sequence short: everything up to it is one prefix. */
  assert_int_equal(bad("\xe2\x82", 2), -2);
  assert_int_equal(bad("\xf0\x9f\x98", 3), -3);
  assert_int_equal(bad("\xc3", 1), -1);
  /* n bounds the read even when more bytes follow in memory. */
  assert_int_equal(bad("\xc3\xa9", 1), -1);
  assert_int_equal(bad("\xe2\x82\xac", 2), -2);
}

/* Walking a string with the decoder counts replacements as Java's decoder would. */
static void walk_counts_replacements(void **state) {
  (void)state;
  const char *s =
      "a\xe2\x82"
      "b\xff\xf0\x9f\x98\x80\xed\xa0\x80z";
  size_t n = strlen(s), i = 0;
  uint32_t out[16];
  int k = 0;
  while (i < n) {
    uint32_t cp;
    out[k++] = sp_utf8_next((const uint8_t *)s, n, &i, &cp) ? cp : 0xFFFD;
  }
  const uint32_t want[] = {'a', 0xFFFD, 'b', 0xFFFD, 0x1F600, 0xFFFD, 0xFFFD, 0xFFFD, 'z'};
  assert_int_equal(k, sizeof want / sizeof want[0]);
  for (int j = 0; j < k; j++) assert_int_equal(out[j], want[j]);
  assert_int_equal(i, n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(utf8_strict),
      cmocka_unit_test(well_formed),
      cmocka_unit_test(ill_formed_prefixes),
      cmocka_unit_test(walk_counts_replacements),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
