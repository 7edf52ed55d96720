/*
 * temporal_text.h: Java's toString of the java.time values Flink hands a DataStream for DATE,
 * TIME, TIMESTAMP, TIMESTAMP_LTZ and the intervals (LocalDate, LocalTime, LocalDateTime, Instant,
 * Period, Duration), and their hashCode, over Spate's stored forms (temporal_text.c).
 */
#ifndef SPATE_TYPES_TEMPORAL_TEXT_H
#define SPATE_TYPES_TEMPORAL_TEXT_H
#include <stddef.h>
#include <stdint.h>

#define TT_TEXT_MAX 64 /* every text below fits in this many bytes with its NUL */

/* LocalDate.toString of a day count since 1970-01-01: "2020-01-02", "-0001-12-31", "+10000-...". */
size_t tt_local_date(int64_t days, char *buf);
/* LocalTime.toString of nanoseconds of the day: "12:34", "12:34:56", "12:34:56.789",
 * "12:34:56.789123", "12:34:56.789123456" (seconds only when not zero with the fraction, the
 * fraction in groups of three digits). */
size_t tt_local_time(int64_t nano_of_day, char *buf);
/* LocalDateTime.toString: date 'T' time. ms since the epoch, nanos of the millisecond. */
size_t tt_local_date_time(int64_t ms, int32_t nanos, char *buf);
/* Instant.toString (ISO_INSTANT): "2020-01-02T12:34:56Z", "...56.789Z": seconds always, the
 * fraction in groups of three digits when not zero. */
size_t tt_instant(int64_t ms, int32_t nanos, char *buf);
/* Period.toString of the Period Flink makes of an INTERVAL YEAR TO MONTH of `months` with unit
 * (YEAR: Period.ofYears(m / 12), YEAR TO MONTH: Period.of(m / 12, m % 12, 0), MONTH:
 * Period.ofMonths(m)): "P1Y2M", "P14M", "P0D". */
size_t tt_period(int32_t months, int unit, char *buf);
/* Duration.toString of Duration.ofMillis(ms): "PT8H6M12.345S", "PT0S", "PT-0.5S". */
size_t tt_duration(int64_t ms, char *buf);

/* Java hashCodes: LocalDate, LocalTime (Long.hashCode of the nano of the day), LocalDateTime
 * (date ^ time), Instant (Long.hashCode(seconds) + 51 * nanos), Period (years +
 * rotateLeft(months, 8) + rotateLeft(days, 16)), Duration (as Instant). */
int32_t tt_date_hash(int64_t days);
int32_t tt_time_hash(int64_t nano_of_day);
int32_t tt_date_time_hash(int64_t ms, int32_t nanos);
int32_t tt_instant_hash(int64_t ms, int32_t nanos);
int32_t tt_period_hash(int32_t months, int unit);
#endif
