/*
 * test_event_time.c: timestamps and watermarks on the MiniCluster.
 *  - timestamps come from the named field; downstream operators see watermarks that never go
 *    back and, for ascending data, always lie below the record's timestamp; end of input brings
 *    the maximum watermark (seen in close);
 *  - periodic emission, on a manual clock: records emitted before the first 5 ms interval passed
 *    see no watermark, records after it see exactly the bounded-out-of-orderness watermark;
 *  - idleness, on a manual clock: a timestamp assigner subtask that receives nothing holds a
 *    downstream watermark back forever without idleness, and not once the idle timeout passed;
 *    an assigner idle at the end of input still delivers the final watermark;
 *  - a record without a timestamp, a bad timestamp field and a negative bound are rejected
 *    naming the operator or field.
 * The manual-clock tests release the source in batches (a per-checkpoint rate limit) and move
 * the clock between batches; the checkpoint that releases the next batch fires every timer due
 * at its trigger first, so the watermarks and statuses of the clock move precede the batch.
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
#include "support/testkit.h"

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

/* What the observing sink saw, over all its subtasks: records by the watermark they saw (none,
 * g_wm[0], g_wm[1], another). */
static _Atomic int64_t records, wrong_ts, wm_backwards, wm_not_below_ts, max_at_close;
static _Atomic int64_t seen_none, seen_other, seen_wm[2];
static int64_t g_wm[2];

static void reset(void) {
  atomic_store(&records, 0);
  atomic_store(&wrong_ts, 0);
  atomic_store(&wm_backwards, 0);
  atomic_store(&wm_not_below_ts, 0);
  atomic_store(&max_at_close, 0);
  atomic_store(&seen_none, 0);
  atomic_store(&seen_other, 0);
  atomic_store(&seen_wm[0], 0);
  atomic_store(&seen_wm[1], 0);
  g_wm[0] = g_wm[1] = INT64_MIN;
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
  if (wm == INT64_MIN)
    atomic_fetch_add(&seen_none, 1);
  else if (wm == g_wm[0] || wm == g_wm[1])
    atomic_fetch_add(&seen_wm[wm == g_wm[0] ? 0 : 1], 1);
  else
    atomic_fetch_add(&seen_other, 1);
  s->last_wm = wm;
  tk_notify();
  return 0;
}

static spate_stream *observe(spate_stream *in) {
  spate_stream *sink = spate_sink(in, et_observe);
  return spate_udf_lifecycle(sink, et_open, et_close);
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
  spate_job_result *r = tk_run(env, "timestamps");
  assert_finished(r);
  assert_int_equal(atomic_load(&records), 10000);
  assert_int_equal(atomic_load(&wrong_ts), 0);
  assert_int_equal(atomic_load(&wm_backwards), 0);
  assert_int_equal(atomic_load(&wm_not_below_ts), 0);
  assert_int_equal(atomic_load(&max_at_close), 2); /* both sink subtasks reached the end of time */
  spate_job_result_free(r);
  spate_env_free(env);
}

/* A job on a manual clock whose source releases BATCH records per completed checkpoint. */
#define BATCH 100
#define T0 1000

static tk_events g_et_events;

typedef struct et_run {
  spate_env *env;
  spate_clock *clock;
  spate_job_client *c;
  char dir[256];
} et_run;

static spate_stream *et_batched_source(et_run *p, int64_t count) {
  tk_mkdtemp(p->dir, sizeof p->dir, "spate_et_");
  p->clock = spate_manual_clock_create(T0);
  p->env = new_env();
  spate_env_set_clock(p->env, p->clock);
  spate_env_set(p->env, "state.checkpoints.dir", p->dir);
  spate_env_set(p->env, "pipeline.auto-watermark-interval", "5 ms");
  spate_env_set_buffer_timeout(p->env, 0);
  tk_events_reset(&g_et_events);
  spate_env_set_job_listener(p->env, tk_listener, &g_et_events);
  const spate_schema *s = spate_env_schema(p->env, "ts BIGINT NOT NULL");
  return spate_parallelism(spate_generate_per_checkpoint(p->env, s, et_fast, count, BATCH), 1);
}

/* Moves the clock to `to`, then releases the next batch with a checkpoint. */
static void et_next_batch(et_run *p, int64_t to) {
  TK_AWAIT(tk_all_running(&g_et_events), "all subtasks running");
  spate_manual_clock_set(p->clock, to);
  char err[512];
  if (spate_job_client_checkpoint(p->c, NULL, err, sizeof err) < 0)
    fail_msg("checkpoint at %lld: %s", (long long)to, err);
}

/* Waits for the end of the job (stop: first awaits want_records at the sink and stops the job
 * with a savepoint, so no end-of-input watermark races the last records). */
static void et_finish(et_run *p, int64_t want_records, bool stop) {
  if (stop) {
    TK_AWAIT(atomic_load(&records) == want_records, "%lld records at the sink",
             (long long)want_records);
    char path[4096], err[512];
    if (spate_job_client_savepoint(p->c, p->dir, true, path, sizeof path, err, sizeof err) < 0)
      fail_msg("stop with savepoint: %s", err);
  }
  spate_job_result *r = tk_wait(p->c, "event time");
  assert_finished(r);
  assert_int_equal(atomic_load(&records), want_records);
  spate_job_result_free(r);
  spate_env_free(p->env);
  spate_manual_clock_free(p->clock);
  tk_rm_rf(p->dir);
}

static void test_periodic_watermarks(void **state) {
  (void)state;
  reset();
  et_run p;
  spate_stream *src = et_batched_source(&p, 2 * BATCH); /* ts 0, 10, ..., 1990 */
  observe(spate_assign_timestamps(src, 0, SPATE_WATERMARKS_BOUNDED, 20));
  g_wm[0] = 10 * (BATCH - 1) - 20 - 1; /* max timestamp of the first batch - bound - 1 */
  p.c = spate_execute_async(p.env, "periodic");
  TK_AWAIT(atomic_load(&records) == BATCH, "the first batch at the sink");
  et_next_batch(&p, T0 + 5); /* one interval: the periodic watermark, then the second batch */
  et_finish(&p, 2 * BATCH, false);
  assert_int_equal(atomic_load(&seen_none), BATCH);  /* before the first interval passed */
  assert_int_equal(atomic_load(&seen_wm[0]), BATCH); /* after it, exactly that watermark */
  assert_int_equal(atomic_load(&seen_other), 0);
  assert_int_equal(atomic_load(&wm_not_below_ts), 0); /* ascending data is never late */
  assert_int_equal(atomic_load(&wm_backwards), 0);
}

int et_to_first(spate_ctx *ctx, const spate_row *key, int n) { return 0; }

/* A p=1 source sends everything to subtask 0 of a p=2 timestamp assigner (monotonous, 5 ms
 * interval); the p=1 sink merges both assigner subtasks. Three batches, the clock 30 ms further
 * before the second and the third, then a stop with a savepoint (no end-of-input watermark).
 * Without idleness the silent subtask holds the sink's watermark back; with an idle timeout of
 * 30 ms it is idle from the first move on, and each later batch sees subtask 0's watermark of
 * the batches before it. */
static void run_idleness(int64_t idle_ms) {
  reset();
  et_run p;
  spate_stream *src = et_batched_source(&p, -1); /* ts 0, 10, 20, ... */
  spate_stream *ts = spate_assign_timestamps(spate_partition_custom(src, et_to_first, 0), 0,
                                             SPATE_WATERMARKS_MONOTONOUS, 0);
  spate_parallelism(ts, 2);
  if (idle_ms > 0) spate_with_idleness(ts, idle_ms);
  spate_parallelism(observe(spate_rebalance(ts)), 1);
  g_wm[0] = 10 * (BATCH - 1) - 1;     /* after the first batch */
  g_wm[1] = 10 * (2 * BATCH - 1) - 1; /* after the second */
  p.c = spate_execute_async(p.env, "idleness");
  TK_AWAIT(atomic_load(&records) == BATCH, "the first batch at the sink");
  et_next_batch(&p, T0 + 30);
  TK_AWAIT(atomic_load(&records) == 2 * BATCH, "the second batch at the sink");
  et_next_batch(&p, T0 + 60);
  et_finish(&p, 3 * BATCH, true);
  assert_int_equal(atomic_load(&wm_backwards), 0);
  assert_int_equal(atomic_load(&seen_other), 0);
  if (idle_ms > 0) {
    assert_int_equal(atomic_load(&seen_none), BATCH);
    assert_int_equal(atomic_load(&seen_wm[0]), BATCH);
    assert_int_equal(atomic_load(&seen_wm[1]), BATCH);
  } else {
    assert_int_equal(atomic_load(&seen_none), 3 * BATCH);
  }
}

static void test_idleness(void **state) {
  (void)state;
  run_idleness(0);  /* the silent subtask holds the watermark back */
  run_idleness(30); /* marked idle after 30 ms, it no longer does */
}

/* ---- an idle assigner at the end of input still delivers the final watermark ------------------ */
int et_first_ten(spate_ctx *ctx, const spate_row *in) { return spate_row_bigint(in, 0) < 100; }
int et_count_fired(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  spate_rb_set_bigint(spate_collect_begin(out), 0, ts);
  return spate_collect_emit(out);
}

/* Only the first ten records pass the filter before the p=2 assigner (so one of its subtasks
 * never sees a record); they register event-time timers far ahead. The clock then moves past
 * the idle timeout, both assigner subtasks go idle, and the second batch (all filtered out) ends
 * the input: the final watermark must still reach the process function and fire every timer. */
static _Atomic int et_registered;
int et_timer_per_record(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int rc = spate_ctx_register_event_timer(ctx, spate_ctx_timestamp(ctx) + 100000);
  atomic_fetch_add(&et_registered, 1);
  tk_notify();
  return rc;
}

static void test_idle_at_end_of_input(void **state) {
  (void)state;
  reset();
  atomic_store(&et_registered, 0);
  et_run p;
  spate_stream *src = et_batched_source(&p, 2 * BATCH);
  const spate_schema *s = spate_env_schema(p.env, "ts BIGINT NOT NULL");
  spate_stream *ts =
      spate_assign_timestamps(spate_filter(src, et_first_ten), 0, SPATE_WATERMARKS_BOUNDED, 0);
  spate_parallelism(ts, 2);
  spate_with_idleness(ts, 15);
  spate_collect(spate_process(spate_key_by(ts, 0), et_timer_per_record, et_count_fired, s),
                "fired");
  p.c = spate_execute_async(p.env, "idle at end");
  TK_AWAIT(atomic_load(&et_registered) == 10, "ten timers registered");
  et_next_batch(&p, T0 + 15); /* both assigner subtasks idle, then the rest of the input */
  spate_job_result *r = tk_wait(p.c, "idle at end");
  assert_finished(r);
  assert_int_equal(spate_job_result_collected(r, "fired", NULL, NULL), 10); /* all timers fired */
  spate_job_result_free(r);
  spate_env_free(p.env);
  spate_manual_clock_free(p.clock);
  tk_rm_rf(p.dir);
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
  spate_job_result *r = tk_run(env, "null timestamp");
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
