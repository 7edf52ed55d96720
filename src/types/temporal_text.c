/*
 * temporal_text.c: the java.time values of Flink's DataStream side, written and hashed as Java
 * does, from Spate's stored forms (days, milliseconds of the day, epoch milliseconds with
 * nanoseconds of the millisecond, months, milliseconds).
 *
 * The rules are the JDK's documented toString formats: LocalDate uuuu-MM-dd with a sign and at
 * least four digits outside 0000..9999 ('+' above 9999), LocalTime HH:mm[:ss[.fff[fff[fff]]]]
 * (the seconds when the seconds or the fraction are not zero, the fraction in groups of three),
 * Instant per DateTimeFormatter.ISO_INSTANT (seconds always), Period PnYnMnD with zero parts left
 * out ("P0D" when all are), Duration PTnHnMn.nS (hours, minutes, then the seconds with their
 * fraction; a negative duration with a fraction writes its seconds toward zero, "PT-0.5S").
 */
#include "types/temporal_text.h"

#include <inttypes.h>
#include <stdio.h>

#include "types/calendar.h"

#define NANOS_PER_DAY INT64_C(86400000000000)

static size_t year_text(int64_t y, char *buf) {
  if (y > -1000 && y < 1000)
    return (size_t)snprintf(buf, TT_TEXT_MAX, "%s%04d", y < 0 ? "-" : "", (int)(y < 0 ? -y : y));
  return (size_t)snprintf(buf, TT_TEXT_MAX, "%s%" PRId64, y > 9999 ? "+" : "", y);
}

size_t tt_local_date(int64_t days, char *buf) {
  int64_t y;
  int m, d;
  cal_civil_from_days(days, &y, &m, &d);
  size_t n = year_text(y, buf);
  return n + (size_t)snprintf(buf + n, TT_TEXT_MAX - n, "-%02d-%02d", m, d);
}

/* The fraction of nanos (0..999999999) in groups of three digits, after a '.', or nothing. */
static size_t fraction(int64_t nanos, char *buf, size_t cap) {
  if (nanos == 0) return 0;
  if (nanos % 1000000 == 0) return (size_t)snprintf(buf, cap, ".%03d", (int)(nanos / 1000000));
  if (nanos % 1000 == 0) return (size_t)snprintf(buf, cap, ".%06d", (int)(nanos / 1000));
  return (size_t)snprintf(buf, cap, ".%09d", (int)nanos);
}

size_t tt_local_time(int64_t nod, char *buf) {
  int64_t secs = nod / 1000000000, nanos = nod % 1000000000;
  size_t n =
      (size_t)snprintf(buf, TT_TEXT_MAX, "%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60));
  if (secs % 60 || nanos) {
    n += (size_t)snprintf(buf + n, TT_TEXT_MAX - n, ":%02d", (int)(secs % 60));
    n += fraction(nanos, buf + n, TT_TEXT_MAX - n);
  }
  return n;
}

/* The day and the nanosecond of the day of an epoch-millisecond instant. */
static int64_t split(int64_t ms, int32_t nanos, int64_t *nod) {
  int64_t msod, days = cal_day_of(ms, &msod);
  *nod = msod * 1000000 + nanos;
  return days;
}

size_t tt_local_date_time(int64_t ms, int32_t nanos, char *buf) {
  int64_t nod, days = split(ms, nanos, &nod);
  size_t n = tt_local_date(days, buf);
  buf[n++] = 'T';
  return n + tt_local_time(nod, buf + n);
}

size_t tt_instant(int64_t ms, int32_t nanos, char *buf) {
  int64_t nod, days = split(ms, nanos, &nod);
  size_t n = tt_local_date(days, buf);
  int64_t secs = nod / 1000000000;
  n += (size_t)snprintf(buf + n, TT_TEXT_MAX - n, "T%02d:%02d:%02d", (int)(secs / 3600),
                        (int)(secs / 60 % 60), (int)(secs % 60));
  n += fraction(nod % 1000000000, buf + n, TT_TEXT_MAX - n);
  buf[n++] = 'Z';
  buf[n] = 0;
  return n;
}

/* The years and months of Flink's Period for an interval of `months` (see the header). */
static void period_parts(int32_t months, int unit, int32_t *y, int32_t *m) {
  if (unit == 3) { /* SPATE_INTERVAL_MONTH */
    *y = 0;
    *m = months;
  } else {
    *y = months / 12;
    *m = unit == 1 ? 0 : months % 12; /* YEAR keeps whole years only */
  }
}

size_t tt_period(int32_t months, int unit, char *buf) {
  int32_t y, m;
  period_parts(months, unit, &y, &m);
  if (y == 0 && m == 0) return (size_t)snprintf(buf, TT_TEXT_MAX, "P0D");
  size_t n = (size_t)snprintf(buf, TT_TEXT_MAX, "P");
  if (y) n += (size_t)snprintf(buf + n, TT_TEXT_MAX - n, "%" PRId32 "Y", y);
  if (m) n += (size_t)snprintf(buf + n, TT_TEXT_MAX - n, "%" PRId32 "M", m);
  return n;
}

size_t tt_duration(int64_t ms, char *buf) {
  if (ms == 0) return (size_t)snprintf(buf, TT_TEXT_MAX, "PT0S");
  /* Duration keeps floored seconds and nanos in [0, 1e9). */
  int64_t msr, seconds = cal_floor_div(ms, 1000, &msr);
  int64_t nanos = msr * 1000000;
  int64_t eff = seconds < 0 && nanos > 0 ? seconds + 1 : seconds;
  int64_t hours = eff / 3600;
  int minutes = (int)(eff % 3600 / 60), secs = (int)(eff % 60);
  size_t n = (size_t)snprintf(buf, TT_TEXT_MAX, "PT");
  if (hours) n += (size_t)snprintf(buf + n, TT_TEXT_MAX - n, "%" PRId64 "H", hours);
  if (minutes) n += (size_t)snprintf(buf + n, TT_TEXT_MAX - n, "%dM", minutes);
  if (secs == 0 && nanos == 0 && n > 2) return n;
  if (seconds < 0 && nanos > 0 && secs == 0)
    n += (size_t)snprintf(buf + n, TT_TEXT_MAX - n, "-0");
  else
    n += (size_t)snprintf(buf + n, TT_TEXT_MAX - n, "%d", secs);
  if (nanos > 0) {
    /* the fraction of a negative duration counts from the next second toward zero */
    int64_t f = seconds < 0 ? 1000000000 - nanos : nanos;
    int len = snprintf(buf + n, TT_TEXT_MAX - n, ".%09d", (int)f);
    while (len > 1 && buf[n + (size_t)len - 1] == '0') len--;
    n += (size_t)len;
  }
  buf[n++] = 'S';
  buf[n] = 0;
  return n;
}

int32_t tt_date_hash(int64_t days) {
  int64_t y;
  int m, d;
  cal_civil_from_days(days, &y, &m, &d);
  uint32_t yv = (uint32_t)(int32_t)y;
  return (int32_t)((yv & 0xFFFFF800u) ^ ((yv << 11) + ((uint32_t)m << 6) + (uint32_t)d));
}

static int32_t long_hash(int64_t v) {
  return (int32_t)(uint32_t)((uint64_t)v ^ ((uint64_t)v >> 32));
}

int32_t tt_time_hash(int64_t nod) { return long_hash(nod); }

int32_t tt_date_time_hash(int64_t ms, int32_t nanos) {
  int64_t nod, days = split(ms, nanos, &nod);
  return tt_date_hash(days) ^ tt_time_hash(nod);
}

int32_t tt_instant_hash(int64_t ms, int32_t nanos) {
  int64_t msr, seconds = cal_floor_div(ms, 1000, &msr);
  int64_t n = msr * 1000000 + nanos;
  return (int32_t)((uint32_t)long_hash(seconds) + 51u * (uint32_t)n);
}

static uint32_t rotl(uint32_t x, int k) { return x << k | x >> (32 - k); }

int32_t tt_period_hash(int32_t months, int unit) {
  int32_t y, m;
  period_parts(months, unit, &y, &m);
  return (int32_t)((uint32_t)y + rotl((uint32_t)m, 8)); /* days are 0: rotl(0, 16) = 0 */
}
