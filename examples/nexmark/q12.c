/*
 * q12.c: Nexmark Query 12, processing-time windows: how many bids each bidder makes in each
 * 10 s window of processing time,
 *     CREATE VIEW B AS SELECT *, PROCTIME() as p_time FROM bid;
 *     SELECT bidder, count(*) as bid_count, window_start AS starttime, window_end AS endtime
 *     FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
 *     GROUP BY bidder, window_start, window_end
 * Processing-time tumbling windows of 10 s per bidder with an incremental count. PROCTIME() is
 * the time a bid reaches the window operator on the job's clock (the system clock, or the clock
 * the environment is given), and a window [start, end) fires when that clock passes end - 1,
 * emitting the count with the window's bounds.
 *
 * End of input. Flink, and Spate with it, drops the processing-time timers still pending when a
 * bounded input ends, so the windows still open then (on a short run: all of them) would never
 * be emitted and their bids would be lost. This job's trigger therefore also fires a window at
 * the end of input: besides the processing-time timer at its max timestamp it sets an event-time
 * timer at the end of time, which only the final watermark (INT64_MAX, sent when the input
 * ends) reaches. Each window is emitted once, by whichever comes first (the end-of-input firing
 * purges the window, the clock's firing deletes the other timer), so every bid is counted
 * exactly once; on an unbounded stream the job behaves as Flink's. Which window a bid falls in
 * depends on when it is processed, so the result differs between runs; its totals per bidder
 * do not.
 */
#include <stdint.h>

#include "nexmark_query.h"

SPATE_RECORD(q12_out, (bidder, BIGINT_NOT_NULL), (bid_count, BIGINT_NOT_NULL),
             (starttime, TIMESTAMP_NOT_NULL), (endtime, TIMESTAMP_NOT_NULL));

/* The trigger: Flink's ProcessingTimeTrigger, plus a firing at the end of input. */
int q12_on_element(spate_ctx *ctx, const spate_row *element, int64_t ts,
                   const spate_time_window *w) {
  int rc = spate_trigger_register_processing_timer(ctx, w->end - 1);
  if (rc == 0) rc = spate_trigger_register_event_timer(ctx, INT64_MAX);
  return rc < 0 ? rc : SPATE_TRIGGER_CONTINUE;
}

int q12_on_processing_time(spate_ctx *ctx, int64_t time, const spate_time_window *w) {
  int rc = spate_trigger_delete_event_timer(ctx, INT64_MAX);
  return rc < 0 ? rc : SPATE_TRIGGER_FIRE;
}

int q12_on_event_time(spate_ctx *ctx, int64_t time, const spate_time_window *w) {
  int rc = spate_trigger_delete_processing_timer(ctx, w->end - 1);
  return rc < 0 ? rc : SPATE_TRIGGER_FIRE_AND_PURGE;
}

int q12_clear(spate_ctx *ctx, const spate_time_window *w) {
  int rc = spate_trigger_delete_processing_timer(ctx, w->end - 1);
  return rc < 0 ? rc : spate_trigger_delete_event_timer(ctx, INT64_MAX);
}

int q12_window_count(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
                     spate_window_elements *counts, spate_collector *out) {
  spate_row count;
  if (!spate_window_next(counts, &count)) return 0;
  return q12_out_emit(
      out, &(struct q12_out){spate_row_bigint(key, 0), nexmark_count_n(&count), w->start, w->end});
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *windows = spate_window(spate_key_by_name(bids, "bidder"),
                                       spate_tumbling_windows(SPATE_PROCESSING_TIME, 10000, 0));
  spate_trigger trigger =
      spate_custom_trigger(q12_on_element, q12_on_event_time, q12_on_processing_time);
  trigger.clear = q12_clear;
  spate_stream *counts = spate_window_aggregate_process(
      spate_window_trigger(windows, trigger), &nexmark_count_fns, nexmark_count_schema(),
      nexmark_count_schema(), q12_window_count, q12_out_schema());
  nexmark_output(env, counts, q12_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q12");
}
