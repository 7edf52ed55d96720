/*
 * calendar.c: day counts and Gregorian dates (see calendar.h).
 */
#include "types/calendar.h"

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
