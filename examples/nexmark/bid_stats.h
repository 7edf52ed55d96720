/*
 * bid_stats.h: what the bid statistics queries q15, q16 and q17 share (header only, as the
 * example build compiles every other .c file here into a job of its own): Flink's DATE_FORMAT of
 * a TIMESTAMP(3) with 'yyyy-MM-dd' (spate_date_format) and 'HH:mm', the price ranks of their FILTER clauses, and a
 * COUNT(DISTINCT x) under those filters kept in map state.
 *
 * Times. nexmark-flink's dateTime is a TIMESTAMP(3) without time zone made from the event's
 * instant (epoch milliseconds), so DATE_FORMAT shows the instant's UTC date and time: no zone
 * shift, whatever the session's time zone.
 */
#ifndef NEXMARK_BID_STATS_H
#define NEXMARK_BID_STATS_H
#include <stdlib.h>

#include "nexmark_query.h"

/* The queries' price ranks: 1 below 10,000; 2 from 10,000 below 1,000,000; 3 from 1,000,000. */
static inline int nexmark_price_rank(int64_t price) {
  return price < 10000 ? 1 : price < 1000000 ? 2 : 3;
}

/* COUNT(DISTINCT x) and COUNT(DISTINCT x) FILTER (WHERE rank = r) for r = 1..3 of one group,
 * in counts[0..3], the values seen kept in the MAP state `seen` (BIGINT to BIGINT) of the
 * group's key: each value's entry is a bit set, bit 0 for "seen" and bit r for "seen with rank
 * r", as Flink keeps one map of the distinct values per column, shared by its filters. Adds the
 * value x seen with rank r: a count grows by one when its bit is new. Returns 0 or a negative
 * code. */
static inline int nexmark_distinct_add(spate_state *seen, int64_t x, int rank, int64_t counts[4]) {
  int64_t bits = 0;
  int rc = spate_map_get_bigint_bigint(seen, x, &bits);
  if (rc < 0) return rc;
  int64_t now = bits | 1 | (INT64_C(1) << rank);
  if (now == bits) return 0;
  for (int i = 0; i < 4; i++) counts[i] += ((now & ~bits) >> i) & 1;
  return spate_map_put_bigint_bigint(seen, x, now);
}
/* The state of q15's and q16's aggregations: the group's counts (a value state of the query's
 * counts schema), its distinct bidders and auctions (nexmark_distinct_add) and a builder of the
 * counts row; the jobs' open and close functions wrap these. */
typedef struct nexmark_bid_stats {
  spate_state *counts, *bidders, *auctions;
  spate_row_builder *rb;
} nexmark_bid_stats;

static inline int nexmark_bid_stats_open(spate_ctx *ctx, void **user, const spate_schema *counts) {
  nexmark_bid_stats *a = calloc(1, sizeof *a);
  if (!a) return SPATE_ENOMEM;
  *user = a;
  spate_state_desc d = {.name = "counts", .kind = SPATE_STATE_VALUE, .schema = counts};
  a->counts = spate_ctx_state(ctx, &d);
  a->bidders = spate_scalar_state(ctx, "bidders", SPATE_STATE_MAP, SPATE_BIGINT, SPATE_BIGINT, 0);
  a->auctions = spate_scalar_state(ctx, "auctions", SPATE_STATE_MAP, SPATE_BIGINT, SPATE_BIGINT, 0);
  a->rb = spate_rb_new(counts);
  return a->counts && a->bidders && a->auctions && a->rb ? 0 : SPATE_EUDF;
}

static inline void nexmark_bid_stats_close(void *user) {
  nexmark_bid_stats *a = user;
  if (!a) return;
  spate_rb_free(a->rb);
  free(a);
}

#endif
