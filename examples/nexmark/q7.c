/*
 * q7.c: Nexmark Query 7, highest bid: the bids with the highest price of each 10-second window,
 *     SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra FROM bid B
 *     JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime
 *           FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
 *           GROUP BY window_start, window_end) B1
 *     ON B.price = B1.maxprice
 *     WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime
 * (The columns come out in the SELECT's order; the benchmark's sink table names the second one
 * bidder and the third price.) The window maximum is a windowAll reduce; the join with the bids
 * is, as in Flink's plan, a regular join on the price: a keyed co-process function keeping, per
 * price, the ends of the windows with that maximum and the bids, each match emitted once
 * whichever side came first. BETWEEN includes both ends, so a bid at exactly a window's end
 * (the first instant of the next window) also matches that window's maximum.
 */
#include "nexmark_query.h"

SPATE_RECORD(q7_max, (maxprice, BIGINT_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL));
SPATE_RECORD(q7_out, (auction, BIGINT_NOT_NULL), (price, BIGINT_NOT_NULL),
             (bidder, BIGINT_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL));

int q7_higher(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *out) {
  struct nexmark_bid max = nexmark_bid_read(nexmark_bid_price(b) > nexmark_bid_price(a) ? b : a);
  nexmark_bid_write(out, &max);
  return 0;
}

int q7_window_max(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
                  spate_window_elements *highest, spate_collector *out) {
  spate_row bid;
  if (!spate_window_next(highest, &bid)) return 0;
  return q7_max_emit(out, &(struct q7_max){nexmark_bid_price(&bid), w->end});
}

static spate_state *ends_state(spate_ctx *ctx) { return spate_list_state_bigint(ctx, "ends"); }

static spate_state *bids_state(spate_ctx *ctx) {
  spate_state_desc d = {.name = "bids", .kind = SPATE_STATE_LIST, .schema = nexmark_bid_schema()};
  return spate_ctx_state(ctx, &d);
}

static int emit_if_within(spate_collector *out, const spate_row *bid, int64_t end) {
  struct nexmark_bid b = nexmark_bid_read(bid);
  if (b.dateTime < end - 10000 || b.dateTime > end) return 0;
  return q7_out_emit(out, &(struct q7_out){b.auction, b.price, b.bidder, b.dateTime, b.extra});
}

int q7_on_max(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int64_t end = q7_max_dateTime(in);
  spate_state_iter it;
  int rc = spate_list_iter(bids_state(ctx), &it);
  if (rc < 0) return rc;
  spate_row bid;
  while (spate_list_next(&it, &bid))
    if ((rc = emit_if_within(out, &bid, end)) < 0) return rc;
  return spate_list_add_bigint(ends_state(ctx), end);
}

int q7_on_bid(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_state_iter it;
  int rc = spate_list_iter(ends_state(ctx), &it);
  if (rc < 0) return rc;
  int64_t end;
  while (spate_list_next_bigint(&it, &end))
    if ((rc = emit_if_within(out, in, end)) < 0) return rc;
  return spate_list_add(bids_state(ctx), in);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *maxima = spate_window_reduce_process(
      spate_window_all(bids, spate_tumbling_windows(SPATE_EVENT_TIME, 10000, 0)), q7_higher,
      q7_window_max, q7_max_schema());
  spate_stream *highest = spate_co_process(
      spate_connect(spate_key_by_name(maxima, "maxprice"), spate_key_by_name(bids, "price")),
      q7_on_max, q7_on_bid, NULL, q7_out_schema());
  nexmark_output(env, highest, q7_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q7");
}
