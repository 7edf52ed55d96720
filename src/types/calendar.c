/*
 * calendar.c: day counts and Gregorian dates (see calendar.h).
 */
#include "types/calendar.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "spate/spate.h"

/* Day 0 of the March-based eras (0000-03-01) is 719,468 days before 1970-01-01. */
#define EPOCH_SHIFT 719468
#define ERA_DAYS 146097

int64_t cal_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * ERA_DAYS + doe - EPOCH_SHIFT;
}

void cal_civil_from_days(int64_t days, int64_t *y, int *m, int *d) {
  int64_t z = days + EPOCH_SHIFT;
  int64_t era = (z >= 0 ? z : z - (ERA_DAYS - 1)) / ERA_DAYS;
  int64_t doe = z - era * ERA_DAYS;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* ---- DATE_FORMAT (spate_date_format) ------------------------------------------------------ */

typedef struct date_out {
  char *buf;
  size_t cap, n;
  bool full;
} date_out;

static void put_char(date_out *o, char c) {
  if (o->n + 1 < o->cap)
    o->buf[o->n++] = c;
  else
    o->full = true;
}

/* v in at least `width` digits (zero-padded), with a '-' before a negative one. */
static void put_number(date_out *o, int64_t v, int width) {
  char d[24];
  int n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    d[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  while (n < width) d[n++] = '0';
  if (v < 0) put_char(o, '-');
  while (n > 0) put_char(o, d[--n]);
}

static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int spate_date_format(int64_t ms, const char *pattern, char *buf, size_t cap) {
  if (!pattern || !buf || cap == 0) return SPATE_EINVAL;
  int64_t rem, days = cal_day_of(ms, &rem);
  int64_t y;
  int mo, d;
  cal_civil_from_days(days, &y, &mo, &d);
  date_out o = {buf, cap, 0, false};
  for (const char *p = pattern; *p;) {
    char c = *p;
    if (c == '\'') {
      p++;
      if (*p == '\'') { /* '' : a quote */
        put_char(&o, '\'');
        p++;
        continue;
      }
      for (;; p++) {
        if (!*p) return SPATE_EINVAL; /* unclosed */
        if (*p == '\'') {
          if (p[1] != '\'') break;
          p++; /* '' inside quotes */
        }
        put_char(&o, *p);
      }
      p++;
      continue;
    }
    if (!is_letter(c)) {
      put_char(&o, c);
      p++;
      continue;
    }
    size_t run = strspn(p, (char[]){c, 0});
    p += run;
    switch (c) {
    case 'y': /* year of era, as Java's: 1 BC (proleptic year 0) is 1 */
      if (run == 2) {
        put_number(&o, (y > 0 ? y : 1 - y) % 100, 2);
      } else if (run == 4) {
        if ((y > 0 ? y : 1 - y) > 9999) put_char(&o, '+');
        put_number(&o, y > 0 ? y : 1 - y, 4);
      } else {
        return SPATE_EINVAL;
      }
      break;
    case 'M':
    case 'd':
    case 'H':
    case 'm':
    case 's':
      if (run > 2) return SPATE_EINVAL;
      put_number(&o,
                 c == 'M'   ? mo
                 : c == 'd' ? d
                 : c == 'H' ? rem / 3600000
                 : c == 'm' ? rem / 60000 % 60
                            : rem / 1000 % 60,
                 (int)run);
      break;
    case 'S':
      if (run > 9) return SPATE_EINVAL;
      for (size_t i = 0, div = 100; i < run; i++, div /= 10)
        put_char(&o, i < 3 ? (char)('0' + rem % 1000 / (int64_t)div % 10) : '0');
      break;
    default: return SPATE_EINVAL;
    }
  }
  if (o.full) return SPATE_EINVAL;
  buf[o.n] = 0;
  return (int)o.n;
}
