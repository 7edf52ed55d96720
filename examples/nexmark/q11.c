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

SPATE_RECORD(q11_count, (n, BIGINT_NOT_NULL));
SPATE_RECORD(q11_out, (bidder, BIGINT_NOT_NULL), (bid_count, BIGINT_NOT_NULL),
             (starttime, TIMESTAMP_NOT_NULL), (endtime, TIMESTAMP_NOT_NULL));

int q11_create(spate_ctx *ctx, spate_row_builder *acc) {
  q11_count_set_n(acc, 0);
  return 0;
}
int q11_add(spate_ctx *ctx, const spate_row *acc, const spate_row *bid, spate_row_builder *out) {
  q11_count_set_n(out, q11_count_n(acc) + 1);
  return 0;
}
int q11_merge(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *out) {
  q11_count_set_n(out, q11_count_n(a) + q11_count_n(b));
  return 0;
}
int q11_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  q11_count_set_n(out, q11_count_n(acc));
  return 0;
}

int q11_session(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
                spate_window_elements *counts, spate_collector *out) {
  spate_row count;
  if (!spate_window_next(counts, &count)) return 0;
  return q11_out_emit(
      out, &(struct q11_out){spate_row_bigint(key, 0), q11_count_n(&count), w->start, w->end});
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  static const spate_aggregate_fns count = {q11_create, q11_add, q11_result, q11_merge};
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *sessions = spate_window_aggregate_process(
      spate_window(spate_key_by_name(bids, "bidder"),
                   spate_session_windows(SPATE_EVENT_TIME, 10000)),
      &count, q11_count_schema(), q11_count_schema(), q11_session, q11_out_schema());
  nexmark_output(env, sessions, q11_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q11");
}
