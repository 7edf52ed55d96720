/*
 * test_calendar.c: day counts and Gregorian dates (types/calendar.h) agree with the C library's
 * calendar (gmtime_r, timegm) on every day of ±2,700 years around 1970, name the known days
 * (leap days, century years that are not leap years, year 0 and before), and invert each other
 * up to the years of TIMESTAMP's millisecond range; DATE_FORMAT (spate_date_format) gives
 * strftime's text for the same fields and refuses what it does not know.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "types/calendar.h"

#define SPAN_DAYS 1000000 /* about 2,738 years each way */

static void test_every_day_as_gmtime(void **state) {
  (void)state;
  for (int64_t days = -SPAN_DAYS; days <= SPAN_DAYS; days++) {
    time_t t = (time_t)(days * 86400);
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    int64_t y;
    int m, d;
    cal_civil_from_days(days, &y, &m, &d);
    if (y != tm.tm_year + 1900LL || m != tm.tm_mon + 1 || d != tm.tm_mday)
      fail_msg("day %lld: %lld-%02d-%02d, gmtime %d-%02d-%02d", (long long)days, (long long)y, m, d,
               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    if (cal_days_from_civil(y, m, d) != days)
      fail_msg("day %lld: back from %lld-%02d-%02d gives %lld", (long long)days, (long long)y, m, d,
               (long long)cal_days_from_civil(y, m, d));
  }
}

static void test_known_days(void **state) {
  (void)state;
  static const struct {
    int64_t days, y;
    int m, d;
  } known[] = {
      {0, 1970, 1, 1},      {-1, 1969, 12, 31},    {11016, 2000, 2, 29},  {11017, 2000, 3, 1},
      {-25508, 1900, 3, 1}, {-25509, 1900, 2, 28}, {-719468, 0, 3, 1},    {-719469, 0, 2, 29},
      {-719528, 0, 1, 1},   {-719529, -1, 12, 31}, {19675, 2023, 11, 14}, {2932896, 9999, 12, 31},
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    int64_t y;
    int m, d;
    cal_civil_from_days(known[i].days, &y, &m, &d);
    assert_int_equal(y, known[i].y);
    assert_int_equal(m, known[i].m);
    assert_int_equal(d, known[i].d);
    assert_int_equal(cal_days_from_civil(known[i].y, known[i].m, known[i].d), known[i].days);
  }
}

/* TIMESTAMP(3) spans ±2^63 ms: about ±106,751,991,167 days. */
static void test_far_days_round_trip(void **state) {
  (void)state;
  const int64_t far = INT64_MAX / 86400000;
  for (int64_t days = -far; days <= far; days += far / 4096 + 7) {
    int64_t y;
    int m, d;
    cal_civil_from_days(days, &y, &m, &d);
    assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
    assert_int_equal(cal_days_from_civil(y, m, d), days);
  }
}

/* Steps of about 11.7 days and a few hours over ±2,700 years: yyyy-MM-dd HH:mm:ss.SSS as
 * strftime prints the same instant, plus the milliseconds. */
static void test_date_format_as_strftime(void **state) {
  (void)state;
  const int64_t span = (int64_t)SPAN_DAYS * 86400000;
  for (int64_t ms = -span; ms <= span; ms += 997003 * 1013) {
    char got[64], want[96], tmp[16];
    int n = spate_date_format(ms, "yyyy-MM-dd HH:mm:ss.SSS", got, sizeof got);
    int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    time_t t = (time_t)sec;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    strftime(tmp, sizeof tmp, "%H:%M:%S", &tm);
    long long year = tm.tm_year + 1900LL; /* DATE_FORMAT's yyyy is the year of era: 1 BC is 1 */
    snprintf(want, sizeof want, "%04lld-%02d-%02d %s.%03d", year > 0 ? year : 1 - year,
             tm.tm_mon + 1, tm.tm_mday, tmp, (int)(ms - sec * 1000));
    if (n != (int)strlen(want) || strcmp(got, want) != 0)
      fail_msg("%lld ms: '%s', want '%s'", (long long)ms, got, want);
  }
}

static void test_date_format_patterns(void **state) {
  (void)state;
  char b[64];
  const int64_t t = 1700000000123; /* 2023-11-14 22:13:20.123 UTC */
  static const struct {
    const char *pattern, *want;
  } cases[] = {
      {"yyyy-MM-dd", "2023-11-14"},
      {"HH:mm", "22:13"},
      {"yy/M/d H:m:s", "23/11/14 22:13:20"},
      {"yyyyMMdd'T'HHmmss", "20231114T221320"},
      {"'it''s' S SS SSSSS", "it's 1 12 12300"},
      {"''yyyy''", "'2023'"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int n = spate_date_format(t, cases[i].pattern, b, sizeof b);
    assert_int_equal(n, (int)strlen(cases[i].want));
    assert_string_equal(b, cases[i].want);
  }
  assert_int_equal(spate_date_format(-1, "yyyy-MM-dd HH:mm:ss.SSS", b, sizeof b), 23);
  assert_string_equal(b, "1969-12-31 23:59:59.999");
  assert_int_equal(spate_date_format(253402300800000, "yyyy-MM-dd", b, sizeof b), 12);
  assert_string_equal(b, "+10000-01-01");
  /* refused: unknown letters, runs of other lengths, an open quote, no room */
  const char *bad[] = {"yyy", "yyyyy", "MMM", "EEE", "ddd", "'open", "SSSSSSSSSS", "a"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(spate_date_format(t, bad[i], b, sizeof b), SPATE_EINVAL);
  assert_int_equal(spate_date_format(t, "yyyy-MM-dd", b, 10), SPATE_EINVAL);
  assert_int_equal(spate_date_format(t, "yyyy-MM-dd", b, 11), 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_day_as_gmtime),  cmocka_unit_test(test_known_days),
      cmocka_unit_test(test_far_days_round_trip),  cmocka_unit_test(test_date_format_as_strftime),
      cmocka_unit_test(test_date_format_patterns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
