/*
 * q11.c: Nexmark Query 11, user sessions: how many bids each bidder makes per session, a
 * session ending after 10 s without a bid,
 *     SELECT B.bidder, count(*) AS bid_count,
 *            SESSION_START(B.dateTime, INTERVAL '10' SECOND) AS starttime,
 *            SESSION_END(B.dateTime, INTERVAL '10' SECOND) AS endtime
 *     FROM bid B GROUP BY B.bidder, SESSION(B.dateTime, INTERVAL '10' SECOND)
 * Event-time session windows of 10 s per bidder with an incremental count: a session is
 * [first bid, last bid + 10 s), as Flink's.
 */
#include "nexmark_query.h"

SPATE_RECORD(q11_out, (bidder, BIGINT_NOT_NULL), (bid_count, BIGINT_NOT_NULL),
             (starttime, TIMESTAMP_NOT_NULL), (endtime, TIMESTAMP_NOT_NULL));

int q11_session(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
                spate_window_elements *counts, spate_collector *out) {
  spate_row count;
  if (!spate_window_next(counts, &count)) return 0;
  return q11_out_emit(
      out, &(struct q11_out){spate_row_bigint(key, 0), nexmark_count_n(&count), w->start, w->end});
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *sessions =
      spate_window_aggregate_process(spate_window(spate_key_by_name(bids, "bidder"),
                                                  spate_session_windows(SPATE_EVENT_TIME, 10000)),
                                     &nexmark_count_fns, nexmark_count_schema(),
                                     nexmark_count_schema(), q11_session, q11_out_schema());
  nexmark_output(env, sessions, q11_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q11");
}
