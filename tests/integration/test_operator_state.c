/*
 * test_operator_state.c: the user's operator state (spate_ctx_operator_state) as whole jobs on
 * the MiniCluster:
 *  - a map counting its records in SPLIT list state fails once, after a completed checkpoint,
 *    and recovers from it: exactly that checkpoint's counts are restored, and the final counts of
 *    all subtasks add up to the input exactly (state is exactly once);
 *  - a savepoint taken at parallelism 2 restores at 3: the SPLIT counts are shared out (their
 *    sum is kept) and every new subtask gets both rows of the UNION list;
 *  - a restored row that does not fit the declared schema fails the job with a message.
 * The source is gated per checkpoint (BATCH records, then it waits for a completed checkpoint or
 * savepoint), and the test takes each checkpoint or savepoint once the batch before it has been
 * counted, so every count below is exact on any machine.
 * UDFs have external linkage (the program is linked with -rdynamic) and an os_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

#define N 30000
#define BATCH 6000   /* records per checkpoint over both subtasks: 3000 each */
#define FAIL_AT 4500 /* > BATCH / 2: a subtask's 4500th record comes after a completed checkpoint */
#define MAXSUB 8

static _Atomic bool g_fail_armed;          /* one injected failure, in the first attempt */
static _Atomic int g_opens;                /* map subtasks opened, all attempts */
static _Atomic int64_t g_mapped[4];        /* records counted, per attempt */
static _Atomic int64_t g_final[MAXSUB];    /* count at close, per subtask (last attempt wins) */
static _Atomic int64_t g_restored[MAXSUB]; /* sum of the SPLIT rows restored, per subtask */
static _Atomic int g_union_rows[MAXSUB];   /* UNION rows restored, per subtask */
static const spate_schema *g_n;
static bool g_union_wide;          /* declare the UNION state with a two-field schema (mismatch) */
static const spate_schema *g_wide; /* that schema, while g_union_wide */

int os_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

typedef struct os_user {
  spate_operator_state *count, *seen;
  spate_row_builder *b;
  int64_t n;
  int attempt; /* the job attempt that opened it (2 subtasks per attempt, opened in turn) */
  int64_t seen_in_attempt;
} os_user;

int os_open(spate_ctx *ctx, void **user) {
  os_user *u = calloc(1, sizeof *u);
  *user = u;
  int sub = spate_ctx_subtask(ctx);
  u->attempt = atomic_fetch_add(&g_opens, 1) / spate_ctx_parallelism(ctx);
  if (u->attempt > 3) u->attempt = 3;
  u->b = spate_rb_new(g_n);
  u->count = spate_ctx_operator_state(ctx, "count", g_n, SPATE_LIST_SPLIT);
  const spate_schema *us = g_wide ? g_wide : g_n;
  u->seen = spate_ctx_operator_state(ctx, "seen-by", us, SPATE_LIST_UNION);
  if (!u->count || !u->seen || !u->b) { /* a failed open gets no close */
    spate_rb_free(u->b);
    free(u);
    *user = NULL;
    return -1;
  }
  spate_row r;
  for (size_t i = 0; spate_operator_state_get(u->count, i, &r); i++)
    u->n += spate_row_bigint(&r, 0);
  atomic_store(&g_restored[sub], u->n);
  atomic_store(&g_union_rows[sub], (int)spate_operator_state_size(u->seen));
  /* this subtask's mark in the UNION list, once */
  spate_operator_state_clear(u->seen);
  spate_rb_begin(u->b);
  spate_rb_set_bigint(u->b, 0, sub);
  if (spate_rb_finish(u->b, &r) < 0 || spate_operator_state_add(u->seen, &r) < 0) return -1;
  return 0;
}

void os_close(spate_ctx *ctx, void *user) {
  os_user *u = user;
  atomic_store(&g_final[spate_ctx_subtask(ctx)], u->n);
  spate_rb_free(u->b);
  free(u);
}

int os_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  os_user *u = spate_ctx_user(ctx);
  if (++u->seen_in_attempt == FAIL_AT && atomic_exchange(&g_fail_armed, false))
    return spate_ctx_fail(ctx, "injected failure");
  u->n++;
  spate_row r;
  spate_rb_begin(u->b);
  spate_rb_set_bigint(u->b, 0, u->n);
  if (spate_rb_finish(u->b, &r) < 0) return -1;
  spate_operator_state_clear(u->count);
  if (spate_operator_state_add(u->count, &r) < 0) return -1;
  spate_rb_set_field(out, 0, in, 0);
  atomic_fetch_add(&g_mapped[u->attempt], 1);
  tk_notify();
  return 0;
}

/* source (gated per checkpoint, or not) -> counter -> discard, chained: one job vertex. */
static spate_env *build(int p, const char *const *kv, bool gated) {
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, p);
  /* the subtasks form separate pipelined regions; these tests restore the whole job */
  spate_env_set(env, "jobmanager.execution.failover-strategy", "full");
  for (; kv && kv[0]; kv += 2) spate_env_set(env, kv[0], kv[1]);
  g_n = spate_env_schema(env, "n BIGINT");
  g_wide = g_union_wide ? spate_env_schema(env, "a BIGINT, b BIGINT") : NULL;
  spate_stream *src = spate_uid(gated ? spate_generate_per_checkpoint(env, g_n, os_gen, N, BATCH)
                                      : spate_generate(env, g_n, os_gen, N),
                                "src");
  spate_stream *m =
      spate_uid(spate_udf_lifecycle(spate_map(src, os_map, g_n), os_open, os_close), "counter");
  spate_uid(spate_discard(m), "sink");
  return env;
}

static void reset(void) {
  atomic_store(&g_opens, 0);
  atomic_store(&g_fail_armed, false);
  for (int i = 0; i < 4; i++) atomic_store(&g_mapped[i], 0);
  for (int i = 0; i < MAXSUB; i++) {
    atomic_store(&g_final[i], 0);
    atomic_store(&g_restored[i], 0);
    atomic_store(&g_union_rows[i], 0);
  }
}

static int64_t final_sum(void) {
  int64_t t = 0;
  for (int i = 0; i < MAXSUB; i++) t += atomic_load(&g_final[i]);
  return t;
}

/* Waits until the attempt counted `n` records with every subtask running, then takes a
 * checkpoint on request. */
static void checkpoint_after(spate_job_client *c, tk_events *ev, int attempt, int64_t n) {
  TK_AWAIT(atomic_load(&g_mapped[attempt]) == n && atomic_load(&ev->attempt) == attempt &&
               atomic_load(&ev->running) == 2,
           "%lld records counted in attempt %d (%lld so far) with both subtasks running",
           (long long)n, attempt, (long long)atomic_load(&g_mapped[attempt]));
  char err[512];
  if (tk_checkpoint(c, NULL, err, sizeof err) < 0) fail_msg("checkpoint: %s", err);
}

/* The first batch is counted, checkpoint 1 is taken; the second batch begins and the first
 * subtask to see its FAIL_AT-th record fails. The restart restores checkpoint 1 (6000 counted),
 * the sources resume there, and three more checkpoints let the remaining four batches through. */
static void test_exactly_once_after_failure(void **state) {
  reset();
  atomic_store(&g_fail_armed, true);
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_os_");
  /* checkpointing on (the periodic ones never come on the manual clock: the test asks) */
  const char *kv[] = {"execution.checkpointing.interval",
                      "1 h",
                      "state.checkpoints.dir",
                      dir,
                      "restart-strategy.type",
                      "fixed-delay",
                      "restart-strategy.fixed-delay.delay",
                      "1 s",
                      NULL};
  spate_env *env = build(2, kv, true);
  spate_clock *clock = spate_manual_clock_create(0);
  spate_env_set_clock(env, clock);
  tk_events ev;
  tk_events_reset(&ev);
  spate_env_set_job_listener(env, tk_listener, &ev);
  spate_job_client *c = spate_execute_async(env, "operator-state");
  assert_non_null(c);
  checkpoint_after(c, &ev, 0, BATCH);
  TK_AWAIT(atomic_load(&ev.restarts) == 1, "the injected failure");
  spate_manual_clock_advance(clock, 1000); /* the backoff */
  for (int k = 1; k <= 3; k++) checkpoint_after(c, &ev, 1, (int64_t)BATCH * k);
  spate_job_result *r = tk_wait(c, "operator-state");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(spate_job_result_restarts(r), 1);
  assert_int_equal(spate_job_result_num_checkpoints(r), 4);
  assert_int_equal(atomic_load(&g_restored[0]) + atomic_load(&g_restored[1]), BATCH);
  assert_int_equal(final_sum(), N);
  assert_int_equal(atomic_load(&g_mapped[1]), N - BATCH); /* the second attempt resumed there */
  spate_job_result_free(r);
  spate_env_free(env);
  spate_manual_clock_free(clock);
  tk_rm_rf(dir);
}

/* The gated source stops after its first batch (no checkpoints): once that batch is counted,
 * stop-with-savepoint; the savepoint holds exactly BATCH counted records. */
static void test_rescale_split_and_union(void **state) {
  reset();
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_os_");
  spate_env *env = build(2, NULL, true);
  tk_events ev;
  tk_events_reset(&ev);
  spate_env_set_job_listener(env, tk_listener, &ev);
  spate_job_client *c = spate_execute_async(env, "operator-state-sp");
  assert_non_null(c);
  TK_AWAIT(atomic_load(&g_mapped[0]) == BATCH && atomic_load(&ev.running) == 2,
           "the first batch counted (%lld) with both subtasks running",
           (long long)atomic_load(&g_mapped[0]));
  char path[4096], err[512];
  if (tk_savepoint(c, dir, true, path, sizeof path, err, sizeof err) < 0)
    fail_msg("savepoint: %s", err);
  spate_job_result *r = tk_wait(c, "operator-state-sp");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  spate_job_result_free(r);
  spate_env_free(env);
  assert_int_equal(final_sum(), BATCH); /* counted by the stopped job: up to the savepoint */

  reset();
  const char *kv[] = {"execution.savepoint.path", path, NULL};
  env = build(3, kv, false);
  r = tk_run(env, "operator-state-restored");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("restore failed: %s", spate_job_result_error(r));
  spate_job_result_free(r);
  spate_env_free(env);
  int64_t restored = 0;
  for (int i = 0; i < 3; i++) {
    restored += atomic_load(&g_restored[i]);
    assert_int_equal(atomic_load(&g_union_rows[i]), 2); /* both old subtasks' marks */
  }
  assert_int_equal(restored, BATCH); /* the stopped job processed nothing after it */
  assert_int_equal(final_sum(), N);  /* the counts were shared out, none lost or doubled */
  assert_int_equal(atomic_load(&g_mapped[0]), N - BATCH); /* the source resumed there */

  /* the same savepoint into a function whose UNION rows have another schema */
  g_union_wide = true;
  env = build(2, kv, false);
  r = tk_run(env, "operator-state-mismatch");
  g_union_wide = false;
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "seen-by"));
  spate_job_result_free(r);
  spate_env_free(env);
  tk_rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exactly_once_after_failure),
      cmocka_unit_test(test_rescale_split_and_union),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
