/*
 * test_region_failover.c: jobmanager.execution.failover-strategy (Flink's meanings).
 *
 * The job, at parallelism 2: generator -> map -> discard, all chained, so its two subtask
 * pipelines exchange nothing and are two pipelined regions. Subtask 0's map fails once, at its
 * 500th record of the first attempt.
 *  - region (the default): only subtask 0's region restarts (attempt 1); subtask 1 runs on as
 *    attempt 0, never cancelled, and the job never leaves RUNNING;
 *  - full: both subtasks are cancelled and deployed again as attempt 1, through RESTARTING;
 *  - a job whose subtasks are connected by an exchange (rebalance) is one region: region
 *    failover restarts all of it.
 * Either way the job finishes with one restart.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "spate/spate.h"

#define COUNT 20000

static _Atomic bool g_failed;

int rf_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

int rf_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  static _Thread_local int64_t seen;
  (void)in;
  if (spate_ctx_subtask(ctx) == 0 && ++seen == 500 && !atomic_exchange(&g_failed, true)) {
    return spate_ctx_fail(ctx, "injected failure");
  }
  spate_rb_set_field(out, 0, in, 0);
  return 0;
}

/* What the job's task events said, per subtask of the map's vertex. */
typedef struct watch {
  pthread_mutex_t mu;
  int max_attempt[2][4]; /* [subtask][vertex] */
  int canceled[2];       /* CANCELING or CANCELED switches per subtask */
  int restarting;        /* the job's RESTARTING switches */
} watch;

static watch g_w;

static void on_event(void *arg, const spate_job_event *e) {
  watch *w = arg;
  pthread_mutex_lock(&w->mu);
  if (e->type == SPATE_EVENT_TASK_STATE && e->subtask < 2 && e->vertex < 4) {
    if (e->attempt > w->max_attempt[e->subtask][e->vertex])
      w->max_attempt[e->subtask][e->vertex] = e->attempt;
    if (strncmp(e->state, "CANCEL", 6) == 0) w->canceled[e->subtask]++;
  } else if (e->type == SPATE_EVENT_JOB_STATUS && strcmp(e->state, "RESTARTING") == 0) {
    w->restarting++;
  }
  pthread_mutex_unlock(&w->mu);
}

static spate_job_result *run(const char *strategy, bool connected) {
  atomic_store(&g_failed, false);
  memset(&g_w, 0, sizeof g_w);
  pthread_mutex_init(&g_w.mu, NULL);
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 2);
  spate_env_set(env, "restart-strategy.type", "fixed-delay");
  spate_env_set(env, "restart-strategy.fixed-delay.attempts", "1");
  spate_env_set(env, "restart-strategy.fixed-delay.delay", "10 ms");
  if (strategy) spate_env_set(env, "jobmanager.execution.failover-strategy", strategy);
  const spate_schema *s = spate_env_schema(env, "n BIGINT");
  spate_stream *src = spate_generate(env, s, rf_gen, COUNT);
  if (connected) src = spate_rebalance(src);
  spate_discard(spate_map(src, rf_map, s));
  spate_env_set_job_listener(env, on_event, &g_w);
  spate_job_result *r = tk_run(env, strategy ? strategy : "region-default");
  spate_env_free(env);
  return r;
}

static void test_region_restarts_only_the_failed_region(void **state) {
  (void)state;
  spate_job_result *r = run(NULL, false);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  assert_int_equal(spate_job_result_restarts(r), 1);
  assert_int_equal(g_w.max_attempt[0][0], 1); /* the failed pipeline ran again */
  assert_int_equal(g_w.max_attempt[1][0], 0); /* the other one never restarted */
  assert_int_equal(g_w.canceled[1], 0);
  assert_int_equal(g_w.restarting, 0); /* the job stayed RUNNING */
  spate_job_result_free(r);
}

static void test_full_restarts_everything(void **state) {
  (void)state;
  spate_job_result *r = run("full", false);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  assert_int_equal(spate_job_result_restarts(r), 1);
  assert_int_equal(g_w.max_attempt[0][0], 1);
  assert_int_equal(g_w.max_attempt[1][0], 1); /* cancelled, or finished first: deployed again */
  assert_int_equal(g_w.restarting, 1);
  spate_job_result_free(r);
}

static void test_connected_job_is_one_region(void **state) {
  (void)state;
  spate_job_result *r = run("region", true);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  assert_int_equal(spate_job_result_restarts(r), 1);
  /* vertex 1 (the map after the exchange): both subtasks ran again */
  assert_int_equal(g_w.max_attempt[0][1], 1);
  assert_int_equal(g_w.max_attempt[1][1], 1);
  assert_int_equal(g_w.restarting, 1);
  spate_job_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_region_restarts_only_the_failed_region),
      cmocka_unit_test(test_full_restarts_everything),
      cmocka_unit_test(test_connected_job_is_one_region),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
