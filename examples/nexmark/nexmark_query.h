/*
 * nexmark_query.h: what the Nexmark query jobs of examples/nexmark/ share (nexmark_query.c,
 * compiled into every job): where a query's result goes, the euro price of q1 and q14, and an
 * incremental count for windows.
 *
 * Every query job takes the same arguments after the job file:
 *     spate run [-p N] [-D nexmark.events.num=N ...] q<N>.so
 *               [--output <path> [--exactly-once] | --print]
 * The Nexmark source's options come from the configuration (`nexmark.*` keys, see
 * spate/nexmark.h). With --output the result is written as CSV (Flink's csv format: one line per
 * row, TIMESTAMP as "yyyy-MM-dd HH:mm:ss.SSS"); a file at parallelism 1, a directory of files
 * "1".."N" above. With --exactly-once too, the directory <path> gets the part files of the
 * exactly-once file sink (spate_sink_file_format), published at each completed checkpoint, so
 * that a job restarted from a checkpoint writes every row once. With --print (what `spate
 * nexmark run` passes unless told otherwise) it goes to stdout as Flink's print sink writes
 * rows. Without either the result goes to a discarding sink, as nexmark-flink's queries write
 * to the `blackhole` connector.
 */
#ifndef NEXMARK_QUERY_H
#define NEXMARK_QUERY_H
#include <spate/nexmark.h>
#include <spate/spate.h>

/* Sends a query's result, rows of `schema`, to --output as CSV, to stdout with --print, or to a
 * discarding sink. */
spate_stream *nexmark_output(spate_env *env, spate_stream *result, const spate_schema *schema,
                             int argc, char **argv);

/* 0.908 * price, the queries' conversion to euros, as DECIMAL(23, 3): exact in thousandths
 * (prices are below 2^53 / 908), so it is kept as an integer count of thousandths and written
 * as the decimal string SQL prints ("908.000" for a price of 1000), never through a double. */
static inline int64_t nexmark_euro_milli(int64_t price) { return price * 908; }

/* Flink's DATE_FORMAT of a TIMESTAMP (UTC, as a TIMESTAMP without time zone shows it) with the
 * patterns the queries use. */
#define NEXMARK_MS_PER_DAY 86400000LL

/* The minute of the day of a timestamp (its day floored: an instant before 1970 too). */
static inline int64_t nexmark_minute_of_day(int64_t ms) {
  return (ms % NEXMARK_MS_PER_DAY + NEXMARK_MS_PER_DAY) % NEXMARK_MS_PER_DAY / 60000;
}

/* DATE_FORMAT(ts, 'yyyy-MM-dd') into buf; returns the view of it. */
static inline spate_bytes nexmark_format_day(int64_t ms, char buf[16]) {
  int n = spate_date_format(ms, "yyyy-MM-dd", buf, 16);
  return (spate_bytes){buf, n > 0 ? (uint32_t)n : 0}; /* > 0: the pattern is a valid one */
}

/* DATE_FORMAT(ts, 'HH:mm') of the minute `minute` of a day, into buf (5 characters). */
static inline spate_bytes nexmark_format_minute(int64_t minute, char buf[5]) {
  int h = (int)(minute / 60), m = (int)(minute % 60);
  buf[0] = (char)('0' + h / 10), buf[1] = (char)('0' + h % 10), buf[2] = ':';
  buf[3] = (char)('0' + m / 10), buf[4] = (char)('0' + m % 10);
  return (spate_bytes){buf, 5};
}
/* Writes thousandths as that decimal string into buf (at its end); returns the view of it. */
spate_bytes nexmark_decimal3(int64_t milli, char buf[32]);

/* An incremental count (spate_window_aggregate with merge, so also for session windows):
 * accumulator and result are rows of nexmark_count. */
SPATE_RECORD(nexmark_count, (n, BIGINT_NOT_NULL));
extern const spate_aggregate_fns nexmark_count_fns;

/* The views `auction` and `bid` from one source of all events (SPATE_NEXMARK_EVENTS, split by
 * two flat maps), for a job that joins them on event time. Two typed sources each go at their
 * own pace, and the auction one, which skips 47 of every 50 events, runs ahead: a join that
 * waits for the watermark (the minimum of its inputs', so the bids') would then hold nearly
 * every auction of the run at once. From one source, as nexmark-flink's views come from one
 * table, auctions and bids arrive at the pace of the events. */
void nexmark_auctions_and_bids(spate_env *env, spate_stream **auctions, spate_stream **bids);
#endif
