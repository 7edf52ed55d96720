/*
 * test_stop_drain.c: stop-with-savepoint with and without drain (Flink's `stop --drain`,
 * FLIP-34) on the MiniCluster, through spate_job_client_stop_with_savepoint, with an event-time
 * tumbling window job on a manual clock:
 *  - with drain the sources emit the end of event time before the savepoint's barrier: the
 *    windows the watermark had not passed yet fire into the output before the job finishes, the
 *    savepoint exists, and a job resumed from it emits only windows of new records (the drained
 *    savepoint holds no pending window);
 *  - without drain those windows are not emitted: they are in the savepoint, and a job resumed
 *    from it emits them, with the records of the first run and new ones, when its watermark
 *    passes them (at its end of input).
 * The job: a per-checkpoint gated source (p=1; record i has key i % 2 and timestamp 10 i) with a
 * monotonous timestamp assigner (watermarks every 5 ms of the manual clock), 1 s tumbling
 * windows per key at p=2 counting their elements, a collect sink. The first batch (records
 * 0..249) is counted; the clock moves 5 ms and a checkpoint fences the periodic watermark 2489,
 * so windows [0, 1000) and [1000, 2000) fire, and releases the second batch (250..499), which no
 * watermark follows. Windows [2000, 3000), [3000, 4000) and [4000, 5000) are pending at the stop.
 * UDFs have external linkage (the program is linked with -rdynamic) and an sd_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

#define BATCH 250   /* records per checkpoint */
#define FIRST 500   /* records of the first run: two batches */
#define RESUMED 600 /* a resumed run's source ends after record RESUMED - 1 */
#define SIZE 1000   /* window size, ms */
#define SPACING 10  /* ms between record timestamps */
#define T0 1000     /* the manual clock's start */

static _Atomic int64_t g_seen; /* records past the source */

int sd_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % 2);
  spate_rb_set_bigint(out, 1, SPACING * i);
  return 0;
}

int sd_count(spate_ctx *ctx, const spate_row *in) {
  atomic_fetch_add(&g_seen, 1);
  tk_notify();
  return 1;
}

/* (k, window start, elements) */
int sd_window(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *elements,
              spate_collector *out) {
  spate_row e;
  int64_t n = 0, k = -1;
  while (spate_window_next(elements, &e)) {
    k = spate_row_bigint(&e, 0);
    n++;
  }
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, k);
  spate_rb_set_bigint(b, 1, w->start);
  spate_rb_set_bigint(b, 2, n);
  return spate_collect_emit(out);
}

typedef struct sd_run {
  spate_env *env;
  spate_clock *clock;
  spate_job_client *c;
  tk_events ev;
} sd_run;

/* The job; restore: a savepoint to resume from (then an ungated source and the system clock),
 * else the gated source on a manual clock. */
static spate_env *sd_build(sd_run *p, const char *dir, const char *restore) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, 1);
  spate_env_set(env, "state.checkpoints.dir", dir);
  spate_env_set(env, "pipeline.auto-watermark-interval", "5 ms");
  spate_env_set_buffer_timeout(env, 0);
  if (restore) spate_env_set(env, "execution.savepoint.path", restore);
  if (!restore) {
    p->clock = spate_manual_clock_create(T0);
    spate_env_set_clock(env, p->clock);
  }
  const spate_schema *in = spate_env_schema(env, "k BIGINT NOT NULL, ts BIGINT NOT NULL");
  /* the same RESUMED indices in both (a split restores into a source of the same range); the
   * first run stops after two of its batches */
  spate_stream *src = restore ? spate_generate(env, in, sd_gen, RESUMED)
                              : spate_generate_per_checkpoint(env, in, sd_gen, RESUMED, BATCH);
  src = spate_uid(spate_parallelism(src, 1), "src");
  src = spate_uid(spate_filter(src, sd_count), "count");
  src = spate_uid(spate_assign_timestamps(src, 1, SPATE_WATERMARKS_MONOTONOUS, 0), "ts");
  spate_stream *w =
      spate_window(spate_key_by(src, 0), spate_tumbling_windows(SPATE_EVENT_TIME, SIZE, 0));
  w = spate_window_apply(w, sd_window, spate_env_schema(env, "k BIGINT, start BIGINT, n BIGINT"));
  spate_uid(spate_parallelism(w, 2), "windows");
  spate_uid(spate_collect(w, "out"), "collect");
  if (spate_env_error(env)) fail_msg("build: %s", spate_env_error(env));
  p->env = env;
  return env;
}

static int sd_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* v[0..n) (freed) sorted and joined by spaces. */
static char *sd_join_sorted(char **v, size_t n) {
  qsort(v, n, sizeof *v, sd_cmp);
  size_t len = 1;
  for (size_t i = 0; i < n; i++) len += strlen(v[i]) + 1;
  char *s = calloc(1, len);
  assert_non_null(s);
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(s, " ");
    strcat(s, v[i]);
    free(v[i]);
  }
  free(v);
  return s;
}

/* "k/start/n" of the collected rows, sorted. */
static char *sd_rows(const spate_job_result *r) {
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  char **v = calloc(n + 1, sizeof *v);
  assert_non_null(v);
  for (size_t i = 0; i < n; i++)
    assert_true(asprintf(&v[i], "%lld/%lld/%lld", (long long)spate_row_bigint(&rows[i], 0),
                         (long long)spate_row_bigint(&rows[i], 1),
                         (long long)spate_row_bigint(&rows[i], 2)) > 0);
  return sd_join_sorted(v, n);
}

/* The windows starting at from, from + SIZE, ... below to, for both keys, each full (SIZE /
 * SPACING / 2 elements per key), as sd_rows writes them. */
static char *sd_windows(int64_t from, int64_t to) {
  size_t n = 0, cap = (size_t)(2 * ((to - from) / SIZE) + 1);
  char **v = calloc(cap, sizeof *v);
  assert_non_null(v);
  for (int k = 0; k < 2; k++)
    for (int64_t start = from; start < to; start += SIZE)
      assert_true(asprintf(&v[n++], "%d/%lld/%d", k, (long long)start, SIZE / SPACING / 2) > 0);
  return sd_join_sorted(v, n);
}

static void sd_expect(const spate_job_result *r, const char *want, const char *what) {
  char *got = sd_rows(r);
  if (strcmp(got, want) != 0) fail_msg("%s:\n got  %s\n want %s", what, got, want);
  free(got);
}

static void assert_finished(const spate_job_result *r, const char *what) {
  assert_non_null(r);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("%s: %s %s", what, spate_job_status_name(spate_job_result_status(r)),
             spate_job_result_error(r) ? spate_job_result_error(r) : "");
}

/* Runs the first job to its stop (drain or not) into dir; path gets the savepoint. Returns the
 * finished job's result. */
static spate_job_result *sd_first_run(const char *dir, bool drain, char *path, size_t len) {
  sd_run p = {0};
  atomic_store(&g_seen, 0);
  sd_build(&p, dir, NULL);
  tk_events_reset(&p.ev);
  spate_env_set_job_listener(p.env, tk_listener, &p.ev);
  p.c = spate_execute_async(p.env, drain ? "stop-drain" : "stop");
  if (!p.c) fail_msg("submit: %s", spate_env_error(p.env));
  TK_AWAIT(atomic_load(&g_seen) == BATCH && tk_all_running(&p.ev),
           "the first batch (%lld of %d records) with every subtask running",
           (long long)atomic_load(&g_seen), BATCH);
  spate_manual_clock_set(p.clock, T0 + 5); /* the periodic watermark 2489 is due */
  char err[512];
  if (tk_checkpoint(p.c, NULL, err, sizeof err) < 0) fail_msg("checkpoint: %s", err);
  TK_AWAIT(atomic_load(&g_seen) == FIRST, "the second batch (%lld of %d records)",
           (long long)atomic_load(&g_seen), FIRST);
  if (tk_stop_with_savepoint(p.c, dir, drain, path, len, err, sizeof err) < 0)
    fail_msg("stop with savepoint%s: %s", drain ? " and drain" : "", err);
  spate_job_result *r = tk_wait(p.c, drain ? "stop-drain" : "stop");
  assert_finished(r, "the stopped job");
  assert_int_equal(atomic_load(&g_seen), FIRST); /* nothing after the barrier */
  spate_env_free(p.env);
  spate_manual_clock_free(p.clock);
  char meta[4200];
  snprintf(meta, sizeof meta, "%s/_metadata", path);
  if (access(meta, R_OK) != 0) fail_msg("the savepoint %s has no _metadata", path);
  return r;
}

static spate_job_result *sd_resume(const char *dir, const char *path) {
  sd_run p = {0};
  atomic_store(&g_seen, 0);
  sd_build(&p, dir, path);
  spate_job_result *r = tk_run(p.env, "resumed");
  assert_finished(r, "the resumed job");
  assert_int_equal(atomic_load(&g_seen), RESUMED - FIRST); /* the source went on from FIRST */
  spate_env_free(p.env);
  return r;
}

static void test_stop_with_drain_flushes_windows(void **state) {
  (void)state;
  char dir[256], path[4096];
  tk_mkdtemp(dir, sizeof dir, "spate_sd_");
  spate_job_result *r = sd_first_run(dir, true, path, sizeof path);
  char *want = sd_windows(0, FIRST * SPACING); /* every window, the pending ones flushed */
  sd_expect(r, want, "stopped with drain");
  free(want);
  spate_job_result_free(r);
  r = sd_resume(dir, path); /* only the new records' window: no window was left in it */
  want = sd_windows(FIRST * SPACING, RESUMED * SPACING);
  sd_expect(r, want, "resumed from the drained savepoint");
  free(want);
  spate_job_result_free(r);
  tk_rm_rf(dir);
}

static void test_stop_without_drain_keeps_windows(void **state) {
  (void)state;
  char dir[256], path[4096];
  tk_mkdtemp(dir, sizeof dir, "spate_sd_");
  spate_job_result *r = sd_first_run(dir, false, path, sizeof path);
  char *want = sd_windows(0, 2 * SIZE); /* only what the watermark 2489 passed */
  sd_expect(r, want, "stopped without drain");
  free(want);
  spate_job_result_free(r);
  r = sd_resume(dir, path); /* the pending windows from the savepoint, full, and the new one */
  want = sd_windows(2 * SIZE, RESUMED * SPACING);
  sd_expect(r, want, "resumed from the savepoint");
  free(want);
  spate_job_result_free(r);
  tk_rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stop_with_drain_flushes_windows),
      cmocka_unit_test(test_stop_without_drain_keeps_windows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
