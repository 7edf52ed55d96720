/*
 * q5.c: Nexmark Query 5, hot items: the auctions with the most bids in each sliding window of
 * 10 s every 2 s,
 *     SELECT AuctionBids.auction, AuctionBids.num FROM
 *       (SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
 *        FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND,
 *                       INTERVAL '10' SECOND))
 *        GROUP BY auction, window_start, window_end) AS AuctionBids
 *     JOIN
 *       (SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
 *        FROM (... the same counts ...) AS CountBids
 *        GROUP BY CountBids.starttime, CountBids.endtime) AS MaxBids
 *     ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime
 *        AND AuctionBids.num >= MaxBids.maxn
 * Stage 1 counts the bids per auction and sliding window (an incremental count). Stage 2 is
 * keyed by the window's end: it collects the window's counts and, when the watermark passes the
 * window (every count of it has then arrived, as they are emitted with the window's last
 * timestamp before the watermark that fires it), emits the auctions with the highest count.
 * Flink computes the same final answer as an updating join; this emits each row once, final.
 */
#include "nexmark_query.h"

SPATE_RECORD(q5_bids, (auction, BIGINT_NOT_NULL), (num, BIGINT_NOT_NULL),
             (endtime, TIMESTAMP_NOT_NULL));
SPATE_RECORD(q5_out, (auction, BIGINT_NOT_NULL), (num, BIGINT_NOT_NULL));

int q5_window_count(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
                    spate_window_elements *counts, spate_collector *out) {
  spate_row count;
  if (!spate_window_next(counts, &count)) return 0;
  return q5_bids_emit(out,
                      &(struct q5_bids){spate_row_bigint(key, 0), nexmark_count_n(&count), w->end});
}

static spate_state *counts_state(spate_ctx *ctx) {
  spate_state_desc d = {.name = "counts", .kind = SPATE_STATE_LIST, .schema = q5_bids_schema()};
  return spate_ctx_state(ctx, &d);
}

int q5_collect(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int rc = spate_list_add(counts_state(ctx), in);
  if (rc < 0) return rc;
  return spate_ctx_register_event_timer(ctx, q5_bids_endtime(in) - 1); /* once per end: a set */
}

int q5_hottest(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain, spate_collector *out) {
  spate_state *counts = counts_state(ctx);
  spate_state_iter it;
  spate_row row;
  int64_t max = 0;
  int rc = spate_list_iter(counts, &it);
  if (rc < 0) return rc;
  while (spate_list_next(&it, &row))
    if (q5_bids_num(&row) > max) max = q5_bids_num(&row);
  if ((rc = spate_list_iter(counts, &it)) < 0) return rc;
  while (spate_list_next(&it, &row))
    if (q5_bids_num(&row) >= max &&
        (rc = q5_out_emit(out, &(struct q5_out){q5_bids_auction(&row), q5_bids_num(&row)})) < 0)
      return rc;
  return spate_state_clear(counts);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *counts = spate_window_aggregate_process(
      spate_window(spate_key_by_name(bids, "auction"),
                   spate_sliding_windows(SPATE_EVENT_TIME, 10000, 2000, 0)),
      &nexmark_count_fns, nexmark_count_schema(), nexmark_count_schema(), q5_window_count,
      q5_bids_schema());
  spate_stream *hottest =
      spate_process(spate_key_by_name(counts, "endtime"), q5_collect, q5_hottest, q5_out_schema());
  nexmark_output(env, hottest, q5_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q5");
}
