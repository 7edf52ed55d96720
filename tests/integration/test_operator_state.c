/*
 * test_operator_state.c: the user's operator state (spate_ctx_operator_state) as whole jobs on
 * the MiniCluster:
 *  - a map counting its records in SPLIT list state fails once and recovers from a checkpoint:
 *    the final counts of all subtasks add up to the input exactly (state is exactly once);
 *  - a savepoint taken at parallelism 2 restores at 3: the SPLIT counts are shared out (their
 *    sum is kept) and every new subtask gets both rows of the UNION list;
 *  - a restored row that does not fit the declared schema fails the job with a message.
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

#define N 30000
#define MAXSUB 8

static _Atomic int g_pace_us, g_fail_left;
static _Atomic int64_t g_mapped;
static _Atomic int64_t g_final[MAXSUB];   /* count at close, per subtask (last attempt wins) */
static _Atomic int64_t g_restored[MAXSUB];/* sum of the SPLIT rows restored, per subtask */
static _Atomic int g_union_rows[MAXSUB];  /* UNION rows restored, per subtask */
static const spate_schema *g_n;
static bool g_union_wide; /* declare the UNION state with a two-field schema (mismatch) */
static const spate_schema *g_wide; /* that schema, while g_union_wide */

int os_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  int pace = atomic_load(&g_pace_us);
  if (pace && i % 200 == 0) usleep((useconds_t)pace);
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

typedef struct os_user {
  spate_operator_state *count, *seen;
  spate_row_builder *b;
  int64_t n;
} os_user;

int os_open(spate_ctx *ctx, void **user) {
  os_user *u = calloc(1, sizeof *u);
  *user = u;
  int sub = spate_ctx_subtask(ctx);
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
  for (size_t i = 0; spate_operator_state_get(u->count, i, &r); i++) u->n += spate_row_bigint(&r, 0);
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
  int64_t m = atomic_fetch_add(&g_mapped, 1) + 1;
  if (m == N / 2 && atomic_load(&g_fail_left) > 0) {
    atomic_fetch_sub(&g_fail_left, 1);
    return spate_ctx_fail(ctx, "injected failure");
  }
  u->n++;
  spate_row r;
  spate_rb_begin(u->b);
  spate_rb_set_bigint(u->b, 0, u->n);
  if (spate_rb_finish(u->b, &r) < 0) return -1;
  spate_operator_state_clear(u->count);
  if (spate_operator_state_add(u->count, &r) < 0) return -1;
  spate_rb_set_field(out, 0, in, 0);
  return 0;
}

static spate_env *build(int p, const char *const *kv) {
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, p);
  for (; kv && kv[0]; kv += 2) spate_env_set(env, kv[0], kv[1]);
  g_n = spate_env_schema(env, "n BIGINT");
  g_wide = g_union_wide ? spate_env_schema(env, "a BIGINT, b BIGINT") : NULL;
  spate_stream *src = spate_uid(spate_generate(env, g_n, os_gen, N), "src");
  spate_stream *m = spate_uid(spate_udf_lifecycle(spate_map(src, os_map, g_n), os_open, os_close),
                              "counter");
  spate_uid(spate_discard(m), "sink");
  return env;
}

static void reset(void) {
  atomic_store(&g_mapped, 0);
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

static void test_exactly_once_after_failure(void **state) {
  reset();
  char dir[] = "/tmp/spate_os_XXXXXX";
  assert_non_null(mkdtemp(dir));
  atomic_store(&g_pace_us, 1000);
  atomic_store(&g_fail_left, 1);
  const char *kv[] = {"execution.checkpointing.interval", "20 ms", "state.checkpoints.dir", dir,
                      "restart-strategy.type", "fixed-delay",
                      "restart-strategy.fixed-delay.delay", "10 ms", NULL};
  spate_env *env = build(2, kv);
  spate_job_result *r = spate_execute(env, "operator-state");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(spate_job_result_restarts(r), 1);
  assert_true(spate_job_result_num_checkpoints(r) >= 1);
  assert_true(atomic_load(&g_restored[0]) + atomic_load(&g_restored[1]) > 0); /* restored */
  assert_int_equal(final_sum(), N);
  spate_job_result_free(r);
  spate_env_free(env);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_rescale_split_and_union(void **state) {
  reset();
  char dir[] = "/tmp/spate_os_XXXXXX";
  assert_non_null(mkdtemp(dir));
  atomic_store(&g_pace_us, 2000);
  atomic_store(&g_fail_left, 0);
  spate_env *env = build(2, NULL);
  spate_job_client *c = spate_execute_async(env, "operator-state-sp");
  while (atomic_load(&g_mapped) < 3000) usleep(1000);
  char path[4096], err[512];
  if (spate_job_client_savepoint(c, dir, true, path, sizeof path, err, sizeof err) < 0)
    fail_msg("savepoint: %s", err);
  spate_job_result *r = spate_job_client_wait(c);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  spate_job_result_free(r);
  spate_env_free(env);
  int64_t at_stop = final_sum(); /* counted by the stopped job: up to the savepoint exactly */
  assert_true(at_stop > 0 && at_stop < N);

  reset();
  atomic_store(&g_pace_us, 0);
  const char *kv[] = {"execution.savepoint.path", path, NULL};
  env = build(3, kv);
  r = spate_execute(env, "operator-state-restored");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("restore failed: %s", spate_job_result_error(r));
  spate_job_result_free(r);
  spate_env_free(env);
  int64_t restored = 0;
  for (int i = 0; i < 3; i++) {
    restored += atomic_load(&g_restored[i]);
    assert_int_equal(atomic_load(&g_union_rows[i]), 2); /* both old subtasks' marks */
  }
  assert_true(restored > 0);
  assert_int_equal(restored, at_stop); /* the stopped job processed nothing after it */
  assert_int_equal(final_sum(), N); /* the counts were shared out, none lost or doubled */

  /* the same savepoint into a function whose UNION rows have another schema */
  g_union_wide = true;
  env = build(2, kv);
  r = spate_execute(env, "operator-state-mismatch");
  g_union_wide = false;
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "seen-by"));
  spate_job_result_free(r);
  spate_env_free(env);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exactly_once_after_failure),
      cmocka_unit_test(test_rescale_split_and_union),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
