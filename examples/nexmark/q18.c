/*
 * q18.c: Nexmark Query 18, find the last bid of each bidder on each auction,
 *     SELECT auction, bidder, price, channel, url, dateTime, extra
 *     FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC)
 *             AS rank_number FROM bid)
 *     WHERE rank_number <= 1
 * Flink runs this as deduplication keeping the last row by event time: per (bidder, auction) the
 * kept bid is replaced by every bid whose dateTime is not earlier than its own (so of bids tied
 * on dateTime the one that arrives last wins, which depends on arrival order: the comparison
 * against PostgreSQL accepts any of the tied bids). The result updates, so it is Flink's
 * changelog: +I for a pair's first bid, then -U (the old bid) and +U (the new one) for each
 * replacement; applying it in order gives the current answer.
 *
 * A process function keyed by (bidder, auction) with the kept bid in value state. The SQL keeps
 * every pair's last bid for ever, so the state grows with the pairs, as Flink's does without a
 * state TTL.
 */
#include "nexmark_query.h"

SPATE_RECORD(q18_out, (op, STRING_NOT_NULL), (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (channel, STRING_NOT_NULL), (url, STRING_NOT_NULL),
             (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL));

static int emit(spate_collector *out, const char *op, const spate_row *bid) {
  struct nexmark_bid b = nexmark_bid_read(bid);
  return q18_out_emit(
      out, &(struct q18_out){
               {op, 2}, b.auction, b.bidder, b.price, b.channel, b.url, b.dateTime, b.extra});
}

int q18_last_bid(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_state_desc d = {.name = "last", .kind = SPATE_STATE_VALUE, .schema = nexmark_bid_schema()};
  spate_state *last = spate_ctx_state(ctx, &d);
  spate_row kept;
  int rc = spate_value_get(last, &kept);
  if (rc < 0) return rc;
  if (rc == 0) {
    rc = emit(out, "+I", in);
  } else {
    if (nexmark_bid_dateTime(in) < nexmark_bid_dateTime(&kept)) return 0; /* an older bid */
    if ((rc = emit(out, "-U", &kept)) >= 0) rc = emit(out, "+U", in);
  }
  return rc < 0 ? rc : spate_value_update(last, in);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  static const char *const key[] = {"bidder", "auction"};
  spate_stream *result =
      spate_process(spate_key_by_names(bids, key, 2), q18_last_bid, NULL, q18_out_schema());
  nexmark_output(env, result, q18_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q18");
}
