/*
 * q15.c: Nexmark Query 15, bidding statistics report: per day, how many bids, bidders and
 * auctions there are at each level of price,
 *     SELECT DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS `day`,
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
 *     FROM bid GROUP BY DATE_FORMAT(dateTime, 'yyyy-MM-dd')
 * A group aggregation that updates with every bid, so the result is Flink's changelog as in q4
 * (+I for a day's first row, then -U and +U; every bid changes its day's total, so there is no
 * unchanged row to skip). A map projects each bid to its day, bidder, auction and price (Flink's
 * Calc); keyed by the day, the twelve counts are a value state, and the distinct bidders and
 * auctions of the day two map states (bid_stats.h).
 */
#include <stdlib.h>
#include <string.h>

#include "bid_stats.h"

enum { NCOUNTS = 12 }; /* bids, bidders, auctions: each total, rank 1, rank 2, rank 3 */

SPATE_RECORD(q15_bid, (day, STRING_NOT_NULL), (bidder, BIGINT_NOT_NULL), (auction, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL));
SPATE_RECORD(q15_counts, (total_bids, BIGINT_NOT_NULL), (rank1_bids, BIGINT_NOT_NULL),
             (rank2_bids, BIGINT_NOT_NULL), (rank3_bids, BIGINT_NOT_NULL),
             (total_bidders, BIGINT_NOT_NULL), (rank1_bidders, BIGINT_NOT_NULL),
             (rank2_bidders, BIGINT_NOT_NULL), (rank3_bidders, BIGINT_NOT_NULL),
             (total_auctions, BIGINT_NOT_NULL), (rank1_auctions, BIGINT_NOT_NULL),
             (rank2_auctions, BIGINT_NOT_NULL), (rank3_auctions, BIGINT_NOT_NULL));
SPATE_RECORD(q15_out, (op, STRING_NOT_NULL), (day, STRING_NOT_NULL), (total_bids, BIGINT_NOT_NULL),
             (rank1_bids, BIGINT_NOT_NULL), (rank2_bids, BIGINT_NOT_NULL),
             (rank3_bids, BIGINT_NOT_NULL), (total_bidders, BIGINT_NOT_NULL),
             (rank1_bidders, BIGINT_NOT_NULL), (rank2_bidders, BIGINT_NOT_NULL),
             (rank3_bidders, BIGINT_NOT_NULL), (total_auctions, BIGINT_NOT_NULL),
             (rank1_auctions, BIGINT_NOT_NULL), (rank2_auctions, BIGINT_NOT_NULL),
             (rank3_auctions, BIGINT_NOT_NULL));

int q15_project(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  char day[16];
  q15_bid_write(out, &(struct q15_bid){nexmark_format_day(nexmark_bid_dateTime(in), day),
                                       nexmark_bid_bidder(in), nexmark_bid_auction(in),
                                       nexmark_bid_price(in)});
  return 0;
}

int q15_open(spate_ctx *ctx, void **user) {
  return nexmark_bid_stats_open(ctx, user, q15_counts_schema());
}

void q15_close(spate_ctx *ctx, void *user) { nexmark_bid_stats_close(user); }

/* Emits one changelog row: kind, the day, the counts. */
static int emit(spate_collector *out, const char *kind, spate_bytes day, const int64_t *v) {
  spate_row_builder *rb = spate_collect_begin(out);
  spate_rb_set_string(rb, q15_out_op_FIELD, kind, 2);
  spate_rb_set_string(rb, q15_out_day_FIELD, day.ptr, day.len);
  for (int i = 0; i < NCOUNTS; i++) spate_rb_set_bigint(rb, q15_out_total_bids_FIELD + i, v[i]);
  return spate_collect_emit(out);
}

int q15_aggregate(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  nexmark_bid_stats *a = spate_ctx_user(ctx);
  struct q15_bid b = q15_bid_read(in);
  int rank = nexmark_price_rank(b.price);
  int64_t old[NCOUNTS] = {0}, now[NCOUNTS];
  spate_row row;
  int had = spate_value_get(a->counts, &row);
  if (had < 0) return had;
  for (int i = 0; had && i < NCOUNTS; i++) old[i] = spate_row_bigint(&row, i);
  memcpy(now, old, sizeof now);
  now[0]++, now[rank]++;
  int rc;
  if ((rc = nexmark_distinct_add(a->bidders, b.bidder, rank, now + 4)) < 0 ||
      (rc = nexmark_distinct_add(a->auctions, b.auction, rank, now + 8)) < 0)
    return rc;
  spate_rb_begin(a->rb);
  for (int i = 0; i < NCOUNTS; i++) spate_rb_set_bigint(a->rb, i, now[i]);
  if ((rc = spate_rb_finish(a->rb, &row)) < 0 || (rc = spate_value_update(a->counts, &row)) < 0)
    return rc;
  if (!had) return emit(out, "+I", b.day, now);
  if ((rc = emit(out, "-U", b.day, old)) < 0) return rc;
  return emit(out, "+U", b.day, now);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *days = spate_map(bids, q15_project, q15_bid_schema());
  spate_stream *result =
      spate_process(spate_key_by_name(days, "day"), q15_aggregate, NULL, q15_out_schema());
  spate_udf_lifecycle(result, q15_open, q15_close);
  nexmark_output(env, result, q15_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q15");
}
