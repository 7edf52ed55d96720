/*
 * test_event_time.c: timestamps and watermarks on the MiniCluster.
 *  - timestamps come from the named field; downstream operators see watermarks that never go
 *    back and, for ascending data, always lie below the record's timestamp; end of input brings
 *    the maximum watermark (seen in close);
 *  - periodic emission: with a 5 ms interval a slow source's records see watermarks during the
 *    run;
 *  - idleness: a timestamp assigner subtask that receives nothing holds a downstream watermark
 *    back forever without idleness, and not with it;
 *  - a record without a timestamp, a bad timestamp field and a negative bound are rejected
 *    naming the operator or field.
 * UDFs have external linkage (the program is linked with -rdynamic) and an et_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "spate/spate.h"

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "WARN");
  return env;
}

static void assert_finished(const spate_job_result *r) {
  assert_non_null(r);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job %s: %s", spate_job_status_name(spate_job_result_status(r)),
             spate_job_result_error(r) ? spate_job_result_error(r) : "");
}

/* What the observing sink saw, over all its subtasks. */
static _Atomic int64_t records, wrong_ts, wm_backwards, wm_not_below_ts, wm_seen, max_at_close;
static _Atomic int64_t wm_seen_while_generating; /* before the slow source built its last row */
static _Atomic bool generating_done;

static void reset(void) {
  atomic_store(&records, 0);
  atomic_store(&wrong_ts, 0);
  atomic_store(&wm_backwards, 0);
  atomic_store(&wm_not_below_ts, 0);
  atomic_store(&wm_seen, 0);
  atomic_store(&max_at_close, 0);
  atomic_store(&wm_seen_while_generating, 0);
  atomic_store(&generating_done, false);
}

typedef struct et_state {
  int64_t last_wm;
} et_state;

int et_open(spate_ctx *ctx, void **user) {
  et_state *s = calloc(1, sizeof *s);
  if (!s) return spate_ctx_fail(ctx, "out of memory");
  s->last_wm = INT64_MIN;
  *user = s;
  return 0;
}

void et_close(spate_ctx *ctx, void *user) {
  if (spate_ctx_current_watermark(ctx) == INT64_MAX) atomic_fetch_add(&max_at_close, 1);
  free(user);
}

/* Rows (ts BIGINT, ...): checks the record timestamp and the current watermark. */
int et_observe(spate_ctx *ctx, const spate_row *in) {
  et_state *s = spate_ctx_user(ctx);
  int64_t ts = spate_ctx_timestamp(ctx), wm = spate_ctx_current_watermark(ctx);
  atomic_fetch_add(&records, 1);
  if (ts != spate_row_bigint(in, 0)) atomic_fetch_add(&wrong_ts, 1);
  if (wm < s->last_wm) atomic_fetch_add(&wm_backwards, 1);
  if (wm >= ts) atomic_fetch_add(&wm_not_below_ts, 1);
  if (wm != INT64_MIN) atomic_fetch_add(&wm_seen, 1);
  if (wm != INT64_MIN && !atomic_load(&generating_done)) atomic_fetch_add(&wm_seen_while_generating, 1);
  s->last_wm = wm;
  return 0;
}

static spate_stream *observe(spate_stream *in) {
  spate_stream *sink = spate_sink(in, et_observe);
  return spate_udf_lifecycle(sink, et_open, et_close);
}

/* A slow generator of ascending timestamps: row i has ts = 10 * i; the argument is the count. */
int et_slow(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  struct timespec d = {0, 1000000}; /* 1 ms */
  nanosleep(&d, NULL);
  spate_rb_set_bigint(out, 0, 10 * i);
  size_t len;
  const int64_t *count = spate_ctx_arg(ctx, &len);
  if (count && i == *count - 1) atomic_store(&generating_done, true);
  return 0;
}

int et_fast(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, 10 * i);
  return 0;
}

static void test_timestamps_and_end_of_input(void **state) {
  (void)state;
  reset();
  spate_env *env = new_env();
  const spate_schema *s = spate_env_schema(env, "ts BIGINT NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, s, et_fast, 10000), 1);
  spate_stream *ts = spate_assign_timestamps(src, 0, SPATE_WATERMARKS_MONOTONOUS, 0);
  spate_parallelism(observe(spate_rebalance(ts)), 2);
  spate_job_result *r = spate_execute(env, "timestamps");
  assert_finished(r);
  assert_int_equal(atomic_load(&records), 10000);
  assert_int_equal(atomic_load(&wrong_ts), 0);
  assert_int_equal(atomic_load(&wm_backwards), 0);
  assert_int_equal(atomic_load(&wm_not_below_ts), 0);
  assert_int_equal(atomic_load(&max_at_close), 2); /* both sink subtasks reached the end of time */
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_periodic_watermarks(void **state) {
  (void)state;
  reset();
  spate_env *env = new_env();
  spate_env_set(env, "pipeline.auto-watermark-interval", "5 ms");
  const spate_schema *s = spate_env_schema(env, "ts BIGINT NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, s, et_slow, 200), 1);
  observe(spate_assign_timestamps(src, 0, SPATE_WATERMARKS_BOUNDED, 20));
  spate_job_result *r = spate_execute(env, "periodic");
  assert_finished(r);
  assert_int_equal(atomic_load(&records), 200);
  assert_true(atomic_load(&wm_seen) > 0);         /* watermarks arrived while the job ran */
  assert_int_equal(atomic_load(&wm_not_below_ts), 0); /* ascending data is never late */
  assert_int_equal(atomic_load(&wm_backwards), 0);
  spate_job_result_free(r);
  spate_env_free(env);
}

int et_to_first(spate_ctx *ctx, const spate_row *key, int n) { return 0; }

/* A p=1 slow source sends everything to subtask 0 of a p=2 timestamp assigner; the p=1 sink
 * merges both assigner subtasks. Returns how many sink records saw a watermark while the source
 * was still generating (after it ends, the silent subtask forwards the end-of-input watermark
 * and records still in flight rightly see watermarks). */
static int64_t run_idleness(int64_t idle_ms) {
  reset();
  spate_env *env = new_env();
  spate_env_set(env, "pipeline.auto-watermark-interval", "5 ms");
  spate_env_set_buffer_timeout(env, 5); /* statuses and watermarks travel in buffers too */
  const spate_schema *s = spate_env_schema(env, "ts BIGINT NOT NULL");
  static const int64_t count = 300;
  spate_stream *src = spate_parallelism(spate_generate(env, s, et_slow, count), 1);
  spate_udf_arg(src, &count, sizeof count);
  spate_stream *ts = spate_assign_timestamps(spate_partition_custom(src, et_to_first, 0), 0,
                                             SPATE_WATERMARKS_MONOTONOUS, 0);
  spate_parallelism(ts, 2);
  if (idle_ms > 0) spate_with_idleness(ts, idle_ms);
  spate_parallelism(observe(spate_rebalance(ts)), 1);
  spate_job_result *r = spate_execute(env, "idleness");
  assert_finished(r);
  assert_int_equal(atomic_load(&records), 300);
  assert_int_equal(atomic_load(&wm_backwards), 0);
  spate_job_result_free(r);
  spate_env_free(env);
  return atomic_load(&wm_seen_while_generating);
}

static void test_idleness(void **state) {
  (void)state;
  assert_int_equal(run_idleness(0), 0); /* the silent subtask holds the watermark back */
  assert_true(run_idleness(30) > 100); /* marked idle after 30 ms, it no longer does */
}

/* ---- an idle assigner at the end of input still delivers the final watermark ------------------ */
int et_first_ten(spate_ctx *ctx, const spate_row *in) { return spate_row_bigint(in, 0) < 100; }
int et_timer_per_record(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return spate_ctx_register_event_timer(ctx, spate_ctx_timestamp(ctx) + 100000);
}
int et_count_fired(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  spate_rb_set_bigint(spate_collect_begin(out), 0, ts);
  return spate_collect_emit(out);
}

static void test_idle_at_end_of_input(void **state) {
  (void)state;
  reset();
  spate_env *env = new_env();
  spate_env_set(env, "pipeline.auto-watermark-interval", "5 ms");
  const spate_schema *s = spate_env_schema(env, "ts BIGINT NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, s, et_slow, 60), 1); /* ~60 ms */
  spate_stream *ts = spate_assign_timestamps(spate_filter(src, et_first_ten), 0,
                                             SPATE_WATERMARKS_BOUNDED, 0);
  spate_with_idleness(ts, 15); /* idle well before the source ends */
  spate_collect(spate_process(spate_key_by(ts, 0), et_timer_per_record, et_count_fired, s), "fired");
  spate_job_result *r = spate_execute(env, "idle at end");
  assert_finished(r);
  assert_int_equal(spate_job_result_collected(r, "fired", NULL, NULL), 10); /* all timers fired */
  spate_job_result_free(r);
  spate_env_free(env);
}

int et_null_ts(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  if (i != 5) spate_rb_set_bigint(out, 0, i);
  return 0;
}

static void test_bad_timestamps(void **state) {
  (void)state;
  spate_env *env = new_env();
  const spate_schema *s = spate_env_schema(env, "ts BIGINT, name STRING");
  spate_discard(spate_assign_timestamps(spate_generate(env, s, et_null_ts, 10), 0,
                                        SPATE_WATERMARKS_BOUNDED, 5));
  spate_job_result *r = spate_execute(env, "null timestamp");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "Timestamps/Watermarks"));
  assert_non_null(strstr(spate_job_result_error(r), "no timestamp"));
  assert_non_null(strstr(spate_job_result_error(r), "'ts'"));
  spate_job_result_free(r);
  spate_env_free(env);

  env = new_env();
  s = spate_env_schema(env, "ts BIGINT, name STRING");
  spate_assign_timestamps(spate_generate(env, s, et_null_ts, 10), 1, SPATE_WATERMARKS_BOUNDED, 5);
  assert_non_null(strstr(spate_env_error(env), "'name' is STRING"));
  spate_env_free(env);

  env = new_env();
  s = spate_env_schema(env, "ts BIGINT");
  spate_assign_timestamps(spate_generate(env, s, et_null_ts, 10), 0, SPATE_WATERMARKS_BOUNDED, -1);
  assert_non_null(strstr(spate_env_error(env), "must not be negative"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timestamps_and_end_of_input),
      cmocka_unit_test(test_periodic_watermarks),
      cmocka_unit_test(test_idleness),
      cmocka_unit_test(test_idle_at_end_of_input),
      cmocka_unit_test(test_bad_timestamps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
