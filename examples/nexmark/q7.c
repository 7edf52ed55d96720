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
 * is on the price, and BETWEEN includes both ends, so a bid at exactly a window's end (the first
 * instant of the next window) also matches that window's maximum.
 *
 * Flink plans the join as a regular join (window_end is no time attribute), which keeps every
 * bid in state for ever: its memory grows with the run. Here it is an interval join on the same
 * condition, which keeps a bid and a maximum only while the watermark allows a match. The pairs
 * are the same as long as no bid is behind the watermark when it arrives, which the Nexmark
 * source guarantees (each subtask's events come in time order, its watermark 4 s behind them);
 * a late bid would be dropped, as Flink's interval join drops it.
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

int q7_join(spate_ctx *ctx, const spate_row *max, const spate_row *bid, spate_row_builder *out) {
  struct nexmark_bid b = nexmark_bid_read(bid);
  q7_out_write(out, &(struct q7_out){b.auction, b.price, b.bidder, b.dateTime, b.extra});
  return 0;
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *maxima = spate_window_reduce_process(
      spate_window_all(bids, spate_tumbling_windows(SPATE_EVENT_TIME, 10000, 0)), q7_higher,
      q7_window_max, q7_max_schema());
  /* A maximum carries its window's last instant, end - 1: end - 10 s <= dateTime <= end is
   * -9999 <= bid.ts - max.ts <= 1. */
  spate_stream *highest =
      spate_interval_join(spate_key_by_name(maxima, "maxprice"), spate_key_by_name(bids, "price"),
                          -9999, 1, false, false, q7_join, q7_out_schema());
  nexmark_output(env, highest, q7_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q7");
}
