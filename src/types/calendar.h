/*
 * calendar.h: the proleptic Gregorian calendar of TIMESTAMP and DATE values, as day counts since
 * 1970-01-01 (Java's LocalDate.toEpochDay and ofEpochDay).
 *
 * The arithmetic counts in eras of 400 years (146,097 days) whose years start in March, so the
 * leap day ends a year and a month's first day follows from a linear formula; it is exact for
 * every int64 year the callers pass (TIMESTAMP millis bound them far below overflow).
 *
 * calendar.c also has Flink's DATE_FORMAT for the public API (spate_date_format, spate.h).
 */
#ifndef SPATE_TYPES_CALENDAR_H
#define SPATE_TYPES_CALENDAR_H

#include <stdint.h>

/* Days since 1970-01-01 of year y, month m (1-12), day d (1-31). */
int64_t cal_days_from_civil(int64_t y, int m, int d);

/* The date of a day count since 1970-01-01. */
void cal_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#define CAL_MS_PER_DAY INT64_C(86400000)

/* x divided by d > 0 rounded toward negative infinity, with the remainder in [0, d): computed
 * without multiplying back, which overflows for x near INT64_MIN. */
static inline int64_t cal_floor_div(int64_t x, int64_t d, int64_t *rem) {
  int64_t q = x / d, r = x % d;
  if (r < 0) {
    r += d;
    q--;
  }
  *rem = r;
  return q;
}

/* A TIMESTAMP's milliseconds since 1970-01-01 as the day (floored: an instant before 1970 is in
 * an earlier day) and the millisecond within it, [0, CAL_MS_PER_DAY). */
static inline int64_t cal_day_of(int64_t ms, int64_t *ms_of_day) {
  return cal_floor_div(ms, CAL_MS_PER_DAY, ms_of_day);
}

#endif
