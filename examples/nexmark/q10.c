/*
 * q10.c: Nexmark Query 10, log to file system: every bid, written to files partitioned by its
 * day and minute,
 *     CREATE TABLE nexmark_q10 (auction BIGINT, bidder BIGINT, price BIGINT,
 *                               dateTime TIMESTAMP(3), extra VARCHAR, dt STRING, hm STRING)
 *     PARTITIONED BY (dt, hm) WITH ('connector' = 'filesystem', 'format' = 'csv', ...);
 *     INSERT INTO nexmark_q10
 *     SELECT auction, bidder, price, dateTime, extra,
 *            DATE_FORMAT(dateTime, 'yyyy-MM-dd'), DATE_FORMAT(dateTime, 'HH:mm')
 *     FROM bid
 * With --output DIR the rows go through the exactly-once file sink (spate_sink_file_format,
 * csv) partitioned by (dt, hm), as Flink's filesystem connector writes them: the directory
 * DIR/dt=<yyyy-MM-dd>/hm=<HH%3Amm>/ (':' escaped as Flink escapes partition paths) holds part
 * files of the lines "auction,bidder,price,dateTime,extra"; parts are published at each
 * completed checkpoint and at the end of input. The table's options are nexmark's q10.sql's:
 *     'sink.partition-commit.trigger' = 'partition-time',
 *     'sink.partition-commit.delay' = '1 min',
 *     'sink.partition-commit.policy.kind' = 'success-file',
 *     'partition.time-extractor.timestamp-pattern' = '$dt $hm:00',
 *     'sink.rolling-policy.rollover-interval' = '1min',
 *     'sink.rolling-policy.check-interval' = '1min'
 * so a partition (one minute of bids) gets its _SUCCESS file at the first checkpoint completed
 * after the watermark passed the minute's start plus the delay, i.e. the minute's end (at the
 * end of input: every partition). Without --output the rows are printed (--print) or
 * discarded, as every job's.
 * DATE_FORMAT of a TIMESTAMP (without time zone) formats its own fields: UTC here.
 */
#include "nexmark_query.h"

SPATE_RECORD(q10_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL),
             (dt, STRING_NOT_NULL), (hm, STRING_NOT_NULL));

int q10_partition(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  struct nexmark_bid b = nexmark_bid_read(in);
  char dt[16], hm[5];
  spate_bytes day = nexmark_format_day(b.dateTime, dt),
              minute = nexmark_format_minute(nexmark_minute_of_day(b.dateTime), hm);
  if (day.len == 0)
    return spate_ctx_fail(ctx, "q10: dateTime %lld out of range", (long long)b.dateTime);
  q10_out_write(out,
                &(struct q10_out){b.auction, b.bidder, b.price, b.dateTime, b.extra, day, minute});
  return 0;
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *rows = spate_map(bids, q10_partition, q10_out_schema());
  const char *dir = spate_arg(argc, argv, "--output", NULL);
  if (!dir) {
    nexmark_output(env, rows, q10_out_schema(), argc, argv); /* --print, or discarded */
  } else {
    static const char *const keys[] = {"dt", "hm"};
    static const char *const options[] = {"sink.partition-commit.trigger",
                                          "partition-time",
                                          "sink.partition-commit.delay",
                                          "1 min",
                                          "sink.partition-commit.policy.kind",
                                          "success-file",
                                          "partition.time-extractor.timestamp-pattern",
                                          "$dt $hm:00",
                                          "sink.rolling-policy.rollover-interval",
                                          "1min",
                                          "sink.rolling-policy.check-interval",
                                          "1min",
                                          NULL};
    spate_file_sink_options o = {
        .bucket_format = "", .partition_keys = keys, .npartition_keys = 2, .options = options};
    spate_sink_file_format(rows, dir, &o, spate_format_csv(env, q10_out_schema()));
  }
  return spate_execute_main(env, "Nexmark q10");
}
