/*
 * exactly_once_sums.c: a stateful job whose output is exactly once across failures, killed
 * processes and rescaling, when run with checkpoints:
 *
 *     generator (key = i*7919 mod 13, timestamp = i, value = i mod 7 + 1), rate limited
 *       -> timestamps (bounded out-of-orderness 0)
 *       -> key by key -> tumbling event-time windows of --window-ms -> sum of values
 *       -> exactly-once file sink into --output (one line "(key,window end - 1,sum)" per window)
 *
 * Every operator has a uid, so a checkpoint or savepoint restores into the same job at any
 * parallelism. A rate limit keeps the job running long enough to checkpoint, kill and resume it
 * (Flink's RateLimiterStrategy): --records-per-second (by default 100000), or
 * --records-per-checkpoint, which lets that many records through per completed checkpoint
 * (tests/e2e/test_exactly_once.sh); 0 removes the limit.
 *
 *     spate run -p 2 -D execution.checkpointing.interval=200ms \
 *         -D state.checkpoints.dir=file:///tmp/ck exactly_once_sums.so --output /tmp/out
 *     (kill -9 it), then resume from the newest complete checkpoint of that job:
 *     spate run -p 4 -s /tmp/ck/<job id> exactly_once_sums.so --output /tmp/out
 *
 * Usage:
 *     spate run [-p N] exactly_once_sums.so --output <dir> [--count N] [--window-ms W]
 *                       [--records-per-second R | --records-per-checkpoint C]
 */
#include <stdio.h>
#include <stdlib.h>

#include <spate/spate.h>

/* Events in, sums out: the same fields (the sum's ts is its window's end - 1). */
SPATE_RECORD(event, (key, BIGINT), (ts, BIGINT), (value, BIGINT));

int eos_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  event_write(out, &(struct event){.key = (i * 7919) % 13, .ts = i, .value = i % 7 + 1});
  return 0;
}

/* Keeps the key and the latest timestamp, sums the values. */
int eos_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  struct event a = event_read(acc), b = event_read(in);
  event_write(out, &(struct event){a.key, a.ts > b.ts ? a.ts : b.ts, a.value + b.value});
  return 0;
}

/* (key, window end - 1, sum): the last field of the window's timestamp, not the last event. */
int eos_result(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  event_write(out, &(struct event){event_key(in), spate_ctx_timestamp(ctx), event_value(in)});
  return 0;
}

int spate_main(int argc, char **argv) {
  static const char *const needs_value[] = {
      "output", "count", "window-ms", "records-per-second", "records-per-checkpoint", NULL};
  const char *bare = spate_arg_missing_value(argc, argv, needs_value);
  if (bare) {
    fprintf(stderr, "exactly_once_sums: --%s needs a value\n", bare);
    return 1;
  }
  const char *output = spate_arg(argc, argv, "output", NULL);
  if (!output) {
    fprintf(stderr, "exactly_once_sums: --output <dir> is required\n");
    return 1;
  }
  int64_t count = atoll(spate_arg(argc, argv, "count", "200000"));
  int64_t window = atoll(spate_arg(argc, argv, "window-ms", "10000"));
  double per_second = atof(spate_arg(argc, argv, "records-per-second", "100000"));
  int64_t per_checkpoint = atoll(spate_arg(argc, argv, "records-per-checkpoint", "0"));
  if (count <= 0 || window <= 0 || per_second < 0 || per_checkpoint < 0) {
    fprintf(stderr,
            "exactly_once_sums: --count and --window-ms must be positive, the rate "
            "limits not negative\n");
    return 1;
  }
  spate_env *env = spate_env_create();
  const spate_schema *s = event_schema();
  spate_stream *events =
      per_checkpoint > 0
          ? spate_generate_per_checkpoint(env, s, eos_generate, count, per_checkpoint)
      : per_second > 0 ? spate_generate_rate_limited(env, s, eos_generate, count, per_second)
                       : spate_generate(env, s, eos_generate, count);
  events = spate_uid(events, "events");
  events = spate_assign_timestamps_name(events, "ts", SPATE_WATERMARKS_BOUNDED, 0);
  events = spate_uid(events, "timestamps");
  spate_stream *windows = spate_window(spate_key_by_name(events, "key"),
                                       spate_tumbling_windows(SPATE_EVENT_TIME, window, 0));
  spate_stream *sums = spate_uid(spate_window_reduce(windows, eos_sum), "window-sums");
  sums = spate_uid(spate_map(sums, eos_result, s), "result");
  spate_file_sink_options opts = {.bucket_format = ""};
  spate_uid(spate_sink_file(sums, output, &opts), "file-sink");
  return spate_execute_main(env, "Exactly-once window sums");
}
