/*
 * drain_windows.c: a job for `spate stop --drain` in test_cluster.sh, whose windows the
 * watermark can fire only up to a known point, and which then idles until it is stopped:
 *
 *     generator i = 0..2000 (key i % 2, timestamp i), 1001 records per completed checkpoint
 *       -> timestamps (monotonous: watermark = max timestamp - 1, every 200 ms)
 *       -> key by key -> tumbling event-time windows of 1000 ms -> count
 *       -> print "(key,window end - 1,count)"
 *
 * At parallelism 1 and without periodic checkpoints the source emits records 0..1000 and waits.
 * Window [0, 1000) fires once record 1000 is out, printing (0,999,500) and (1,999,500): after
 * those lines the whole first batch is out. Window [1000, 2000) holds record 1000 alone and no
 * watermark of the job passes it: only the end of event time fires it, printing (0,1999,1), as
 * `stop --drain` does; a stop without drain leaves it in the savepoint.
 *
 *     spate run -m <host:port> -d -p 1 drain_windows.so
 */
#include <spate/spate.h>

#include <stdio.h>

int dw_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % 2);
  spate_rb_set_bigint(out, 1, i);
  spate_rb_set_bigint(out, 2, 1);
  return 0;
}

int dw_count(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_field(out, 1, acc, 1);
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + spate_row_bigint(in, 2));
  return 0;
}

/* (key, window end - 1, count) */
int dw_result(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  spate_rb_set_bigint(out, 1, spate_ctx_timestamp(ctx));
  spate_rb_set_bigint(out, 2, spate_row_bigint(in, 2));
  return 0;
}

int spate_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "key BIGINT, ts BIGINT, n BIGINT");
  spate_stream *events =
      spate_uid(spate_generate_per_checkpoint(env, s, dw_generate, 2001, 1001), "events");
  events =
      spate_uid(spate_assign_timestamps(events, 1, SPATE_WATERMARKS_MONOTONOUS, 0), "timestamps");
  spate_stream *counts = spate_uid(
      spate_window_reduce(
          spate_window(spate_key_by(events, 0), spate_tumbling_windows(SPATE_EVENT_TIME, 1000, 0)),
          dw_count),
      "counts");
  spate_print(spate_uid(spate_map(counts, dw_result, s), "result"), NULL);
  spate_job_result *r = spate_execute(env, "Drain windows");
  int rc = spate_job_result_status(r) == SPATE_JOB_FINISHED ? 0 : 1;
  spate_job_result_free(r);
  spate_env_free(env);
  return rc;
}
