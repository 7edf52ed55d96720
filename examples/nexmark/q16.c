/*
 * q16.c: Nexmark Query 16, channel statistics report: q15's counts per channel and day, with
 * the day's latest minute,
 *     SELECT channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS `day`,
 *            max(DATE_FORMAT(dateTime, 'HH:mm')) AS `minute`,
 *            count(*) AS total_bids,
 *            count(*) filter (where price < 10000) AS rank1_bids,
 *            count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
 *            count(*) filter (where price >= 1000000) AS rank3_bids,
 *            count(distinct bidder) AS total_bidders,
 *            count(distinct bidder) filter (where price < 10000) AS rank1_bidders,
 *            count(distinct bidder) filter (where price >= 10000 and price < 1000000)
 *                AS rank2_bidders,
 *            count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders,
 *            count(distinct auction) AS total_auctions,
 *            count(distinct auction) filter (where price < 10000) AS rank1_auctions,
 *            count(distinct auction) filter (where price >= 10000 and price < 1000000)
 *                AS rank2_auctions,
 *            count(distinct auction) filter (where price >= 1000000) AS rank3_auctions
 *     FROM bid GROUP BY channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd')
 * As q15 (Flink's changelog of an updating group aggregation; a value state of the counts and
 * map states of the distinct bidders and auctions, here per channel and day), plus the maximum
 * minute: the MAX of the 'HH:mm' strings, which order as the minutes of the day they name, so
 * the state keeps the minute as a number and the output writes it as the string.
 */
#include <stdlib.h>
#include <string.h>

#include "bid_stats.h"

enum { NCOUNTS = 12 }; /* bids, bidders, auctions: each total, rank 1, rank 2, rank 3 */

SPATE_RECORD(q16_bid, (channel, STRING_NOT_NULL), (day, STRING_NOT_NULL), (minute, BIGINT_NOT_NULL),
             (bidder, BIGINT_NOT_NULL), (auction, BIGINT_NOT_NULL), (price, BIGINT_NOT_NULL));
/* The state: the counts in q16_out's order, then the maximum minute of the day. */
SPATE_RECORD(q16_counts, (total_bids, BIGINT_NOT_NULL), (rank1_bids, BIGINT_NOT_NULL),
             (rank2_bids, BIGINT_NOT_NULL), (rank3_bids, BIGINT_NOT_NULL),
             (total_bidders, BIGINT_NOT_NULL), (rank1_bidders, BIGINT_NOT_NULL),
             (rank2_bidders, BIGINT_NOT_NULL), (rank3_bidders, BIGINT_NOT_NULL),
             (total_auctions, BIGINT_NOT_NULL), (rank1_auctions, BIGINT_NOT_NULL),
             (rank2_auctions, BIGINT_NOT_NULL), (rank3_auctions, BIGINT_NOT_NULL),
             (minute, BIGINT_NOT_NULL));
SPATE_RECORD(q16_out, (op, STRING_NOT_NULL), (channel, STRING_NOT_NULL), (day, STRING_NOT_NULL),
             (minute, STRING_NOT_NULL), (total_bids, BIGINT_NOT_NULL),
             (rank1_bids, BIGINT_NOT_NULL), (rank2_bids, BIGINT_NOT_NULL),
             (rank3_bids, BIGINT_NOT_NULL), (total_bidders, BIGINT_NOT_NULL),
             (rank1_bidders, BIGINT_NOT_NULL), (rank2_bidders, BIGINT_NOT_NULL),
             (rank3_bidders, BIGINT_NOT_NULL), (total_auctions, BIGINT_NOT_NULL),
             (rank1_auctions, BIGINT_NOT_NULL), (rank2_auctions, BIGINT_NOT_NULL),
             (rank3_auctions, BIGINT_NOT_NULL));

int q16_project(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  struct nexmark_bid b = nexmark_bid_read(in);
  char day[16];
  q16_bid_write(out,
                &(struct q16_bid){b.channel, nexmark_format_day(b.dateTime, day),
                                  nexmark_minute_of_day(b.dateTime), b.bidder, b.auction, b.price});
  return 0;
}

int q16_open(spate_ctx *ctx, void **user) {
  return nexmark_bid_stats_open(ctx, user, q16_counts_schema());
}

void q16_close(spate_ctx *ctx, void *user) { nexmark_bid_stats_close(user); }

/* Emits one changelog row: kind, the group, the state's minute and counts (v). */
static int emit(spate_collector *out, const char *kind, const struct q16_bid *b, const int64_t *v) {
  char minute[5];
  spate_bytes m = nexmark_format_minute(v[NCOUNTS], minute);
  spate_row_builder *rb = spate_collect_begin(out);
  spate_rb_set_string(rb, q16_out_op_FIELD, kind, 2);
  spate_rb_set_string(rb, q16_out_channel_FIELD, b->channel.ptr, b->channel.len);
  spate_rb_set_string(rb, q16_out_day_FIELD, b->day.ptr, b->day.len);
  spate_rb_set_string(rb, q16_out_minute_FIELD, m.ptr, m.len);
  for (int i = 0; i < NCOUNTS; i++) spate_rb_set_bigint(rb, q16_out_total_bids_FIELD + i, v[i]);
  return spate_collect_emit(out);
}

int q16_aggregate(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  nexmark_bid_stats *a = spate_ctx_user(ctx);
  struct q16_bid b = q16_bid_read(in);
  int rank = nexmark_price_rank(b.price);
  int64_t old[NCOUNTS + 1] = {0}, now[NCOUNTS + 1];
  spate_row row;
  int had = spate_value_get(a->counts, &row);
  if (had < 0) return had;
  for (int i = 0; had && i <= NCOUNTS; i++) old[i] = spate_row_bigint(&row, i);
  memcpy(now, old, sizeof now);
  now[0]++, now[rank]++;
  if (!had || b.minute > now[NCOUNTS]) now[NCOUNTS] = b.minute;
  int rc;
  if ((rc = nexmark_distinct_add(a->bidders, b.bidder, rank, now + 4)) < 0 ||
      (rc = nexmark_distinct_add(a->auctions, b.auction, rank, now + 8)) < 0)
    return rc;
  spate_rb_begin(a->rb);
  for (int i = 0; i <= NCOUNTS; i++) spate_rb_set_bigint(a->rb, i, now[i]);
  if ((rc = spate_rb_finish(a->rb, &row)) < 0 || (rc = spate_value_update(a->counts, &row)) < 0)
    return rc;
  if (!had) return emit(out, "+I", &b, now);
  if ((rc = emit(out, "-U", &b, old)) < 0) return rc;
  return emit(out, "+U", &b, now);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *days = spate_map(bids, q16_project, q16_bid_schema());
  static const char *const key[] = {"channel", "day"};
  spate_stream *result =
      spate_process(spate_key_by_names(days, key, 2), q16_aggregate, NULL, q16_out_schema());
  spate_udf_lifecycle(result, q16_open, q16_close);
  nexmark_output(env, result, q16_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q16");
}
