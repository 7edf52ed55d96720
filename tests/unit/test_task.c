/*
 * test_task.c: the life of tasks as the MiniCluster runs them, driven through the public API.
 *
 *  - cancelling a running unbounded job (generator -> map -> discard) stops it: the result is
 *    CANCELED, and every thread the job started is gone when spate_job_client_wait returns
 *    (counted in /proc/self/task);
 *  - the same while the source is parked on a full buffer pool behind a map the test holds
 *    back (the source is known to be parked once it asked for the record that cannot fit), and
 *    right after submission, before any record flowed;
 *  - every state switch is logged in Flink's words, for subtasks ("switched from DEPLOYING to
 *    RUNNING") and for the job ("switched from state RUNNING to FINISHED"), including the
 *    cancelling and failing paths.
 *
 * The test waits for records to flow by watching counters the UDFs increment (TK_AWAIT, woken
 * by the UDFs), never a fixed sleep; every wait has a deadline.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/log.h"
#include "runtime/buffer_pool.h"
#include "runtime/element.h"
#include "spate/spate.h"
#include "support/testkit.h"

static _Atomic long g_mapped, g_generated;
/* the held-back map: it blocks on its first record until the test opens the gate */
static pthread_mutex_t g_gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_gate_cond = PTHREAD_COND_INITIALIZER;
static bool g_gate_open;

/* ---- UDFs (external linkage: the runtime finds them by name) --------------------------------- */
int task_test_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  (void)ctx;
  atomic_fetch_add(&g_generated, 1);
  tk_notify();
  spate_rb_set_bigint(out, 0, index);
  return 0;
}

int task_test_count_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  atomic_fetch_add(&g_mapped, 1);
  tk_notify();
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0) * 2);
  return 0;
}

/* Counts the record, then waits until the test opens the gate (at most the test deadline). */
int task_test_gated_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  atomic_fetch_add(&g_mapped, 1);
  tk_notify();
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += TK_TIMEOUT_MS / 1000;
  pthread_mutex_lock(&g_gate_mu);
  int rc = 0;
  while (!g_gate_open && rc == 0) rc = pthread_cond_timedwait(&g_gate_cond, &g_gate_mu, &until);
  pthread_mutex_unlock(&g_gate_mu);
  if (rc != 0) return spate_ctx_fail(ctx, "the test never opened the gate");
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  return 0;
}

static void set_gate(bool open) {
  pthread_mutex_lock(&g_gate_mu);
  g_gate_open = open;
  pthread_cond_broadcast(&g_gate_cond);
  pthread_mutex_unlock(&g_gate_mu);
}

int task_test_fail_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  int64_t v = spate_row_bigint(in, 0);
  if (v == 500) return spate_ctx_fail(ctx, "refusing record %lld", (long long)v);
  spate_rb_set_bigint(out, 0, v);
  return 0;
}

/* ---- helpers --------------------------------------------------------------------------------- */
static int thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void *do_nothing(void *arg) { return arg; }

/* Group setup: creates and joins one thread before any test counts threads. A runtime may start
 * a helper thread of its own at the process's first pthread_create and keep it (ThreadSanitizer
 * does), which would otherwise be counted as a thread the first job left behind. */
static int start_runtime_threads(void **state) {
  (void)state;
  pthread_t t;
  if (pthread_create(&t, NULL, do_nothing, NULL) != 0) return -1;
  return pthread_join(t, NULL) == 0 ? 0 : -1;
}

static spate_env *new_env(const char *level) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", level);
  return env;
}

/* Waits until the map has seen at least n records. */
static void await_mapped(long n) {
  TK_AWAIT(atomic_load(&g_mapped) >= n, "the map to see %ld records", n);
}

static size_t op_index(const spate_job_result *r, const char *name) {
  for (size_t i = 0; i < spate_job_result_num_operators(r); i++)
    if (strcmp(spate_job_result_operator(r, i), name) == 0) return i;
  print_error("no operator named '%s' in the result\n", name);
  fail();
  return 0;
}

/* Builds generator(-1) -> map(fn) -> discard at the given parallelism. */
static spate_job_client *start_unbounded(spate_env *env, spate_map_fn fn, int parallelism,
                                         bool rebalance) {
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_env_set_parallelism(env, parallelism);
  spate_stream *src = spate_generate(env, s, task_test_generate, -1);
  if (rebalance) src = spate_rebalance(src);
  spate_stream *m = spate_name(spate_map(src, fn, s), "counting-map");
  spate_discard(m);
  assert_null(spate_env_error(env));
  spate_job_client *c = spate_execute_async(env, "unbounded");
  assert_non_null(c);
  assert_int_equal(strlen(spate_job_client_id(c)), 32);
  return c;
}

/* Cancels and checks the job ends CANCELED (within the test deadline) with all its threads
 * gone. */
static spate_job_result *cancel_and_wait(spate_job_client *c, int threads_before) {
  spate_job_client_cancel(c);
  set_gate(true); /* a held-back map goes on, and finds the job cancelled */
  spate_job_result *r = tk_wait(c, "the cancelled job");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_CANCELED);
  assert_null(spate_job_result_error(r));
  assert_int_equal(thread_count(), threads_before);
  return r;
}

/* ---- tests ---------------------------------------------------------------------------------- */
static void test_cancel_running_unbounded_job(void **state) {
  (void)state;
  int threads = thread_count();
  assert_true(threads >= 1);
  atomic_store(&g_mapped, 0);
  spate_env *env = new_env("WARN");
  spate_job_client *c = start_unbounded(env, task_test_count_map, 2, false);
  await_mapped(20000);
  assert_true(thread_count() > threads); /* the job runs on threads of its own */
  spate_job_result *r = cancel_and_wait(c, threads);
  /* the cancelled subtasks still reported how far they got */
  size_t m = op_index(r, "counting-map");
  assert_true(spate_job_result_records_in(r, m) >= 20000);
  assert_true(spate_job_result_records_in(r, m) <= (uint64_t)atomic_load(&g_mapped));
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_cancel_backpressured_source(void **state) {
  (void)state;
  int threads = thread_count();
  atomic_store(&g_mapped, 0);
  atomic_store(&g_generated, 0);
  set_gate(false);
  spate_env *env = new_env("WARN");
  /* source (p=1) -> rebalance -> held-back map (p=1): the map takes the first buffer and blocks
   * on its first record; the source fills the rest of its pool and then waits in it, where
   * cancellation must reach it. Buffers go out only when full (no buffer timeout). The pool
   * has 1 x 2 (per channel) + 8 (floating) + 1 buffers of 4 KiB, each holding 128 elements of
   * 32 bytes (a header and a padded timestamp + one-field row): the source emits 11 x 128 records
   * and parks in the pool on the next one. */
  spate_env_set(env, "taskmanager.memory.segment-size", "4 kb");
  spate_env_set(env, "taskmanager.network.memory.buffers-per-channel", "2");
  spate_env_set(env, "taskmanager.network.memory.floating-buffers-per-gate", "8");
  spate_env_set_buffer_timeout(env, -1);
  const long per_buffer = 4096 / (EL_HEADER + el_padded(8 + spate_row_header_size(1)));
  const long parked_at = 11 * per_buffer + 1; /* the record asked for that cannot go out */
  uint64_t waits = bufpool_waits();
  spate_job_client *c = start_unbounded(env, task_test_gated_map, 1, true);
  await_mapped(1);
  /* the generator's call for the record comes before the request for a buffer: await the wait
   * itself too, or the cancel (which opens the gate) may free a buffer before the source asks */
  TK_AWAIT(atomic_load(&g_generated) == parked_at && bufpool_waits() > waits,
           "the source to fill its pool (%ld records) and wait in it", parked_at);
  spate_job_result *r = cancel_and_wait(c, threads);
  size_t src = op_index(r, "Source: Generator Source");
  assert_true(spate_job_result_backpressure_ns(r, src) > 0);
  /* bounded buffering: the source got at most a pool's worth of records ahead of the map */
  uint64_t produced = spate_job_result_records_out(r, src);
  uint64_t consumed = spate_job_result_records_in(r, op_index(r, "counting-map"));
  assert_true(produced >= consumed);
  assert_true(produced - consumed < 20000);
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_cancel_right_after_submit(void **state) {
  (void)state;
  int threads = thread_count();
  for (int round = 0; round < 3; round++) {
    atomic_store(&g_mapped, 0);
    spate_env *env = new_env("WARN");
    spate_job_client *c = start_unbounded(env, task_test_count_map, 2, round == 1);
    spate_job_result *r = cancel_and_wait(c, threads);
    spate_job_result_free(r);
    spate_env_free(env);
  }
}

/* Reads a whole file into a NUL-terminated heap string. */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = 0;
  fclose(f);
  return s;
}

static void assert_logged(const char *log, const char *what) {
  if (!strstr(log, what)) {
    fprintf(stderr, "log lacks \"%s\"; it reads:\n%s\n", what, log);
    fail();
  }
}

static char *run_logged(void (*build)(spate_env *), spate_job_status want, bool cancel) {
  char path[] = "/tmp/spate_test_task_log_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(sp_log_set_file(path), 0);
  spate_env *env = new_env("INFO");
  build(env);
  assert_null(spate_env_error(env));
  spate_job_result *r;
  if (cancel) {
    spate_job_client *c = spate_execute_async(env, "logged job");
    assert_non_null(c);
    await_mapped(1000);
    spate_job_client_cancel(c);
    r = tk_wait(c, "logged job");
  } else {
    r = tk_run(env, "logged job");
  }
  assert_int_equal(spate_job_result_status(r), want);
  spate_job_result_free(r);
  spate_env_free(env);
  sp_log_set_file(NULL);
  sp_log_set_level(SP_LOG_WARN);
  char *log = slurp(path);
  unlink(path);
  return log;
}

static void build_bounded(spate_env *env) {
  spate_env_set_parallelism(env, 2);
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_stream *m =
      spate_map(spate_rebalance(spate_from_sequence(env, 1, 1000)), task_test_count_map, s);
  spate_collect(m, "out");
}

static void test_state_switches_logged(void **state) {
  (void)state;
  char *log = run_logged(build_bounded, SPATE_JOB_FINISHED, false);
  /* subtasks, as Flink's Execution logs them */
  assert_logged(log, "switched from CREATED to SCHEDULED");
  assert_logged(log, "switched from SCHEDULED to DEPLOYING");
  assert_logged(log, "switched from DEPLOYING to RUNNING");
  assert_logged(log, "switched from RUNNING to FINISHED");
  assert_logged(log, "Source: Sequence Source (2/2)");
  assert_logged(log, "Map -> Sink: Collect (1/2)"); /* the chain is one task */
  /* the job, as Flink's JobMaster logs it */
  assert_logged(log, "switched from state CREATED to RUNNING");
  assert_logged(log, "switched from state RUNNING to FINISHED");
  assert_logged(log, " INFO ");
  free(log);
}

static void build_unbounded(spate_env *env) {
  atomic_store(&g_mapped, 0);
  spate_env_set_parallelism(env, 2);
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_discard(spate_map(spate_generate(env, s, task_test_generate, -1), task_test_count_map, s));
}

static void test_cancel_switches_logged(void **state) {
  (void)state;
  char *log = run_logged(build_unbounded, SPATE_JOB_CANCELED, true);
  assert_logged(log, "switched from DEPLOYING to RUNNING");
  assert_logged(log, "switched from RUNNING to CANCELING");
  assert_logged(log, "switched from CANCELING to CANCELED");
  assert_logged(log, "switched from state RUNNING to CANCELLING");
  assert_logged(log, "switched from state CANCELLING to CANCELED");
  free(log);
}

static void build_failing(spate_env *env) {
  spate_env_set_parallelism(env, 1);
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_stream *m = spate_map(spate_from_sequence(env, 1, 100000), task_test_fail_map, s);
  spate_discard(spate_name(m, "picky"));
}

static void test_failure_switches_logged(void **state) {
  (void)state;
  char *log = run_logged(build_failing, SPATE_JOB_FAILED, false);
  assert_logged(log, "switched from RUNNING to FAILED");
  assert_logged(log, "refusing record 500");
  assert_logged(log, "switched from state RUNNING to FAILING");
  assert_logged(log, "switched from state FAILING to FAILED");
  free(log);
}

int main(void) {
  sp_log_set_level(SP_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cancel_running_unbounded_job),
      cmocka_unit_test(test_cancel_backpressured_source),
      cmocka_unit_test(test_cancel_right_after_submit),
      cmocka_unit_test(test_state_switches_logged),
      cmocka_unit_test(test_cancel_switches_logged),
      cmocka_unit_test(test_failure_switches_logged),
  };
  return cmocka_run_group_tests(tests, start_runtime_threads, NULL);
}
