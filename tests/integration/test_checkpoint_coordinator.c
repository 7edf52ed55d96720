/*
 * test_checkpoint_coordinator.c: the checkpoint coordinator and restart strategies as whole jobs
 * on the MiniCluster:
 *  - AT_LEAST_ONCE checkpoints complete without alignment and the job's output is complete;
 *  - under backpressure an aligned checkpoint switches to unaligned after
 *    execution.checkpointing.aligned-checkpoint-timeout;
 *  - checkpoints that cannot finish within execution.checkpointing.timeout expire, and with no
 *    tolerable failures the job fails saying so;
 *  - a failing job with restart-strategy none fails with the UDF's message and the strategy;
 *  - fixed-delay with one attempt restarts once and fails on the second failure;
 *  - checkpoints are deleted when the job ends unless retained on cancellation.
 * UDFs have external linkage (the program is linked with -rdynamic) and a cc_ prefix.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "spate/spate.h"

static _Atomic int g_sink_sleep_us, g_gen_sleep_us, g_fail_every;
static _Atomic int64_t g_sunk;

int cc_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  int s = atomic_load(&g_gen_sleep_us);
  if (s && i % 100 == 0) usleep((useconds_t)s);
  spate_rb_set_bigint(out, 0, i % 11);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}

/* fails every g_fail_every-th record it sees (0: never), counting across attempts */
static _Atomic int64_t g_mapped;
int cc_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  int64_t n = atomic_fetch_add(&g_mapped, 1) + 1;
  int every = atomic_load(&g_fail_every);
  if (every && n % every == 0) return spate_ctx_fail(ctx, "injected failure %lld", (long long)n);
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

int cc_sink(spate_ctx *ctx, const spate_row *in) {
  int s = atomic_load(&g_sink_sleep_us);
  if (s) usleep((useconds_t)s);
  atomic_fetch_add(&g_sunk, 1);
  return 0;
}

static spate_env *job(int64_t count, const char *const *kv, spate_stream **out) {
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 2);
  for (; kv && kv[0]; kv += 2) spate_env_set(env, kv[0], kv[1]);
  const spate_schema *s = spate_env_schema(env, "k BIGINT, i BIGINT");
  spate_stream *st = spate_map(spate_generate(env, s, cc_gen, count), cc_map, s);
  st = spate_sink(spate_rebalance(st), cc_sink);
  if (out) *out = st;
  return env;
}

static spate_job_result *run(int64_t count, const char *const *kv) {
  atomic_store(&g_sunk, 0);
  atomic_store(&g_mapped, 0);
  spate_env *env = job(count, kv, NULL);
  spate_job_result *r = spate_execute(env, "coordinator");
  spate_env_free(env);
  return r;
}

static void reset(void) {
  atomic_store(&g_sink_sleep_us, 0);
  atomic_store(&g_gen_sleep_us, 0);
  atomic_store(&g_fail_every, 0);
}

static void test_at_least_once(void **state) {
  reset();
  char dir[] = "/tmp/spate_cc_XXXXXX";
  assert_non_null(mkdtemp(dir));
  atomic_store(&g_gen_sleep_us, 1000);
  const char *kv[] = {"execution.checkpointing.interval", "20 ms",
                      "execution.checkpointing.mode", "AT_LEAST_ONCE",
                      "state.checkpoints.dir", dir, NULL};
  spate_job_result *r = run(30000, kv);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  assert_int_equal(atomic_load(&g_sunk), 30000);
  assert_true(spate_job_result_num_checkpoints(r) >= 1);
  for (size_t i = 0; i < spate_job_result_num_checkpoints(r); i++)
    assert_false(spate_job_result_checkpoint(r, i)->unaligned);
  spate_job_result_free(r);
  /* not retained: the job's checkpoints are gone with it */
  char cmd[256];
  snprintf(cmd, sizeof cmd, "[ -z \"$(ls -A '%s')\" ] && rmdir '%s'", dir, dir);
  assert_int_equal(system(cmd), 0);
}

static void test_aligned_timeout_goes_unaligned(void **state) {
  reset();
  char dir[] = "/tmp/spate_cc_XXXXXX";
  assert_non_null(mkdtemp(dir));
  atomic_store(&g_sink_sleep_us, 20); /* the sink is the bottleneck: buffers fill up */
  const char *kv[] = {"execution.checkpointing.interval", "30 ms",
                      "execution.checkpointing.aligned-checkpoint-timeout", "5 ms",
                      "state.checkpoints.dir", dir, NULL};
  spate_job_result *r = run(40000, kv);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  assert_int_equal(atomic_load(&g_sunk), 40000);
  bool unaligned = false;
  for (size_t i = 0; i < spate_job_result_num_checkpoints(r); i++)
    unaligned |= spate_job_result_checkpoint(r, i)->unaligned;
  assert_true(unaligned);
  spate_job_result_free(r);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_expired_checkpoints_fail_the_job(void **state) {
  reset();
  char dir[] = "/tmp/spate_cc_XXXXXX";
  assert_non_null(mkdtemp(dir));
  atomic_store(&g_sink_sleep_us, 2000); /* a barrier waits behind full buffers for seconds */
  const char *kv[] = {"execution.checkpointing.interval", "20 ms",
                      "execution.checkpointing.timeout", "10 ms",
                      "restart-strategy.type", "none",
                      "state.checkpoints.dir", dir, NULL};
  spate_job_result *r = run(1000000, kv);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "Exceeded checkpoint tolerable failure threshold"));
  assert_non_null(strstr(spate_job_result_error(r), "expired"));
  spate_job_result_free(r);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_no_restart(void **state) {
  reset();
  atomic_store(&g_fail_every, 5000);
  const char *kv[] = {"restart-strategy.type", "none", NULL};
  spate_job_result *r = run(20000, kv);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "injected failure")); /* 5000, or 10000 from
                                                      the other subtask if its report came first */
  assert_non_null(strstr(spate_job_result_error(r), "NoRestartBackoffTimeStrategy"));
  assert_int_equal(spate_job_result_restarts(r), 0);
  spate_job_result_free(r);
}

static void test_fixed_delay_attempts(void **state) {
  reset();
  atomic_store(&g_fail_every, 7000); /* fails in every attempt: each replays from scratch */
  const char *kv[] = {"restart-strategy.type", "fixed-delay",
                      "restart-strategy.fixed-delay.attempts", "1",
                      "restart-strategy.fixed-delay.delay", "10 ms", NULL};
  spate_job_result *r = run(20000, kv);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_int_equal(spate_job_result_restarts(r), 1);
  assert_non_null(strstr(spate_job_result_error(r), "injected failure"));
  assert_non_null(strstr(spate_job_result_error(r), "FixedDelayRestartBackoffTimeStrategy"));
  spate_job_result_free(r);
}

/* Subtask 0 reaches the end of its input and finishes while subtask 1 still runs; then
 * subtask 1 fails. With checkpoints (FLIP-147) subtask 0's file sink commits its last output only
 * through a checkpoint taken after its input ended, and that checkpoint records subtask 0 as
 * finished: the restart does not run it again, and every record is in the output once. Without
 * checkpoints the sink commits at the end of its input, so a restart would publish it twice:
 * the job fails instead, saying why. */
static _Atomic int g_sub0_done;
static _Atomic int64_t g_sub0_done_ms;
int cc_slow_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  if (spate_ctx_subtask(ctx) == 1 && i % 100 == 0) usleep(2000);
  spate_rb_set_bigint(out, 0, i % 11);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}
int cc_fail_late(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  /* late: checkpoints taken after subtask 0 finished have completed meanwhile */
  if (spate_ctx_subtask(ctx) == 1 && atomic_load(&g_sub0_done) && atomic_load(&g_fail_every) &&
      spate_ctx_processing_time(ctx) - atomic_load(&g_sub0_done_ms) > 150) {
    atomic_store(&g_fail_every, 0);
    return spate_ctx_fail(ctx, "injected late failure");
  }
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}
void cc_close_mark(spate_ctx *ctx, void *user) {
  if (spate_ctx_subtask(ctx) != 0) return;
  atomic_store(&g_sub0_done_ms, spate_ctx_processing_time(ctx));
  atomic_store(&g_sub0_done, 1);
}

static spate_job_result *run_finishing(const char *dir, bool checkpoints) {
  reset();
  atomic_store(&g_sub0_done, 0);
  atomic_store(&g_fail_every, 1);
  char ck[256], out[256];
  snprintf(ck, sizeof ck, "%s/ck", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 2);
  if (checkpoints) {
    spate_env_set(env, "execution.checkpointing.interval", "20 ms");
    spate_env_set(env, "state.checkpoints.dir", ck);
  }
  spate_env_set(env, "restart-strategy.type", "fixed-delay");
  spate_env_set(env, "restart-strategy.fixed-delay.delay", "10 ms");
  const spate_schema *s = spate_env_schema(env, "k BIGINT, i BIGINT");
  spate_stream *st = spate_uid(spate_generate(env, s, cc_slow_gen, 40000), "gen");
  st = spate_uid(spate_udf_lifecycle(spate_map(st, cc_fail_late, s), NULL, cc_close_mark), "map");
  spate_file_sink_options o = {.bucket_format = ""};
  spate_uid(spate_sink_file(st, out, &o), "sink");
  spate_job_result *r = spate_execute(env, "final-commit");
  spate_env_free(env);
  return r;
}

static void test_restart_after_a_subtask_finished(void **state) {
  char dir[] = "/tmp/spate_cc_XXXXXX";
  assert_non_null(mkdtemp(dir));
  spate_job_result *r = run_finishing(dir, true);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(spate_job_result_restarts(r), 1);
  spate_job_result_free(r);
  char cmd[600];
  /* every record once: 40000 lines, 40000 distinct */
  snprintf(cmd, sizeof cmd,
           "[ \"$(find '%s/out' -type f ! -name '.*' -exec cat {} + | wc -l)\" = 40000 ] && "
           "[ \"$(find '%s/out' -type f ! -name '.*' -exec cat {} + | sort -u | wc -l)\" = 40000 ]",
           dir, dir);
  assert_int_equal(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* The sources finish while a slow map behind a rebalance still has their last records queued;
 * then the map fails. The checkpoints taken after the sources finished must hold those records
 * (the map is triggered directly but snapshots only after reading all of its input): every
 * record is in the output once. */
static _Atomic int64_t g_generated;
int cc_count_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  atomic_fetch_add(&g_generated, 1);
  spate_rb_set_bigint(out, 0, i % 11);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}
int cc_slow_fail(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  usleep(40);
  int64_t n = atomic_fetch_add(&g_mapped, 1) + 1;
  if (atomic_load(&g_generated) >= 8000 && n >= 5600 && atomic_load(&g_fail_every)) {
    atomic_store(&g_fail_every, 0);
    return spate_ctx_fail(ctx, "injected failure after the sources finished");
  }
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

static void test_restart_after_sources_finished(void **state) {
  reset();
  atomic_store(&g_generated, 0);
  atomic_store(&g_fail_every, 1);
  char dir[] = "/tmp/spate_cc_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char ck[256], out[256];
  snprintf(ck, sizeof ck, "%s/ck", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 2);
  spate_env_set(env, "execution.checkpointing.interval", "20 ms");
  spate_env_set(env, "state.checkpoints.dir", ck);
  spate_env_set(env, "restart-strategy.type", "fixed-delay");
  spate_env_set(env, "restart-strategy.fixed-delay.delay", "10 ms");
  const spate_schema *s = spate_env_schema(env, "k BIGINT, i BIGINT");
  /* 8000 records fit in the exchange's buffers: the sources finish at once */
  spate_stream *st = spate_uid(spate_generate(env, s, cc_count_gen, 8000), "gen");
  st = spate_uid(spate_map(spate_rebalance(st), cc_slow_fail, s), "slow");
  spate_file_sink_options o = {.bucket_format = ""};
  spate_uid(spate_sink_file(st, out, &o), "sink");
  spate_job_result *r = spate_execute(env, "sources-finished");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(spate_job_result_restarts(r), 1);
  spate_job_result_free(r);
  spate_env_free(env);
  char cmd[1200];
  snprintf(cmd, sizeof cmd,
           "[ \"$(find '%s' -type f ! -name '.*' -exec cat {} + | wc -l)\" = 8000 ] && "
           "[ \"$(find '%s' -type f ! -name '.*' -exec cat {} + | sort -u | wc -l)\" = 8000 ]",
           out, out);
  assert_int_equal(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_no_restart_after_final_commit_without_checkpoints(void **state) {
  char dir[] = "/tmp/spate_cc_XXXXXX";
  assert_non_null(mkdtemp(dir));
  spate_job_result *r = run_finishing(dir, false);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_int_equal(spate_job_result_restarts(r), 0);
  assert_non_null(strstr(spate_job_result_error(r), "injected late failure"));
  assert_non_null(strstr(spate_job_result_error(r), "not restarted"));
  spate_job_result_free(r);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_retained_on_cancellation(void **state) {
  reset();
  char dir[] = "/tmp/spate_cc_XXXXXX";
  assert_non_null(mkdtemp(dir));
  atomic_store(&g_gen_sleep_us, 2000);
  const char *kv[] = {"execution.checkpointing.interval", "20 ms",
                      "execution.checkpointing.externalized-checkpoint-retention",
                      "RETAIN_ON_CANCELLATION", "state.checkpoints.dir", dir, NULL};
  atomic_store(&g_sunk, 0);
  spate_env *env = job(10000000, kv, NULL);
  spate_job_client *c = spate_execute_async(env, "retained");
  char meta[512];
  snprintf(meta, sizeof meta, "find '%s' -name _metadata | grep -q .", dir);
  for (int i = 0; i < 2000 && system(meta) != 0; i++) usleep(5000); /* a checkpoint completes */
  spate_job_client_cancel(c);
  spate_job_result *r = spate_job_client_wait(c);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_CANCELED);
  assert_true(spate_job_result_num_checkpoints(r) >= 1);
  spate_job_result_free(r);
  spate_env_free(env);
  assert_int_equal(system(meta), 0); /* still there after the cancellation */
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_at_least_once),
      cmocka_unit_test(test_aligned_timeout_goes_unaligned),
      cmocka_unit_test(test_expired_checkpoints_fail_the_job),
      cmocka_unit_test(test_no_restart),
      cmocka_unit_test(test_fixed_delay_attempts),
      cmocka_unit_test(test_retained_on_cancellation),
      cmocka_unit_test(test_restart_after_a_subtask_finished),
      cmocka_unit_test(test_no_restart_after_final_commit_without_checkpoints),
      cmocka_unit_test(test_restart_after_sources_finished),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
