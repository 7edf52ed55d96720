/*
 * test_checkpoint_coordinator.c: the checkpoint coordinator and restart strategies as whole jobs
 * on the MiniCluster:
 *  - AT_LEAST_ONCE checkpoints complete without alignment and the job's output is complete;
 *  - an aligned checkpoint whose barriers wait behind records a held-back sink has not read
 *    switches to unaligned once execution.checkpointing.aligned-checkpoint-timeout has passed;
 *  - a checkpoint that cannot finish within execution.checkpointing.timeout expires, and with no
 *    tolerable failures the job fails saying so;
 *  - a failing job with restart-strategy none fails with the UDF's message and the strategy;
 *  - fixed-delay with one attempt restarts once and fails on the second failure; its backoff runs
 *    from the failure, also while a task is still being cancelled;
 *  - checkpoints are deleted when the job ends unless retained on cancellation;
 *  - failures after some subtasks finished (FLIP-147): the restart does not run them again, and
 *    the output is exactly once; without checkpoints such a job is not restarted.
 *
 * Every job runs on a manual clock (Flink's TestProcessingTimeService): periodic checkpoints,
 * their timeouts, the aligned-checkpoint timeout, restart delays and rate-limited sources move
 * only when the test advances it. Sources are gated (one batch per completed checkpoint) or rate
 * limited on that clock, sinks and maps that must wait hold at a tk_gate, and the test awaits job
 * events (tk_events) before each step, so every count below is exact on any machine.
 * UDFs have external linkage (the program is linked with -rdynamic) and a cc_ prefix.
 */
#define _GNU_SOURCE
#include <dirent.h>
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
#include "support/testkit.h"

#define START_MS 1000000 /* the manual clock's time when a job starts */
#define INTERVAL_MS 1000 /* execution.checkpointing.interval of the jobs that take periodic ones */

static spate_clock *g_clock;
static tk_events g_ev;

static _Atomic int64_t g_generated, g_sunk, g_mapped;
static _Atomic int g_fail_every;  /* cc_map fails on every g_fail_every-th record (0: never) */
static _Atomic int64_t g_fail_at; /* cc_map fails on the record with i == g_fail_at (-1: none) */
static _Atomic bool g_hold_sink;  /* each cc_sink subtask holds its first record at g_sink_gate */
static _Atomic bool g_sink_first[2];
static _Atomic bool g_hold_map1; /* cc_map subtask 1 holds its first record at g_map_gate */
static _Atomic bool g_map1_first;
static tk_gate g_sink_gate, g_map_gate;

static void reset(void) {
  atomic_store(&g_generated, 0);
  atomic_store(&g_sunk, 0);
  atomic_store(&g_mapped, 0);
  atomic_store(&g_fail_every, 0);
  atomic_store(&g_fail_at, -1);
  atomic_store(&g_hold_sink, false);
  atomic_store(&g_hold_map1, false);
  atomic_store(&g_map1_first, false);
  for (int i = 0; i < 2; i++) atomic_store(&g_sink_first[i], false);
  tk_gate_reset(&g_sink_gate);
  tk_gate_reset(&g_map_gate);
}

int cc_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % 11);
  spate_rb_set_bigint(out, 1, i);
  atomic_fetch_add(&g_generated, 1);
  tk_notify();
  return 0;
}

/* Waits until cc_map subtask 1 holds its first record at g_map_gate (at most TK_TIMEOUT_MS). */
static bool await_map1_held(void) {
  int64_t deadline = tk_mono_ms() + TK_TIMEOUT_MS;
  bool held = true;
  tk_await_begin();
  while (tk_gate_arrived(&g_map_gate) < 1)
    if (!tk_await_step(deadline)) {
      held = tk_gate_arrived(&g_map_gate) >= 1;
      break;
    }
  tk_await_end();
  return held;
}

int cc_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  if (spate_ctx_subtask(ctx) == 1 && atomic_load(&g_hold_map1) &&
      !atomic_exchange(&g_map1_first, true) && !tk_gate_pass(&g_map_gate))
    return spate_ctx_fail(ctx, "the map was held back for too long");
  int64_t n = atomic_fetch_add(&g_mapped, 1) + 1;
  int every = atomic_load(&g_fail_every);
  if (every && n % every == 0) return spate_ctx_fail(ctx, "injected failure %lld", (long long)n);
  if (spate_row_bigint(in, 1) == atomic_load(&g_fail_at)) {
    /* when subtask 1 is to be held, the failure waits until it is: under load it may still be
     * deploying, and a cancellation then would never bring it to the gate */
    if (atomic_load(&g_hold_map1) && spate_ctx_subtask(ctx) != 1 && !await_map1_held())
      return spate_ctx_fail(ctx, "map subtask 1 never reached its gate");
    return spate_ctx_fail(ctx, "injected failure at record %lld",
                          (long long)spate_row_bigint(in, 1));
  }
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

int cc_sink(spate_ctx *ctx, const spate_row *in) {
  int sub = spate_ctx_subtask(ctx);
  if (atomic_load(&g_hold_sink) && sub < 2 && !atomic_exchange(&g_sink_first[sub], true) &&
      !tk_gate_pass(&g_sink_gate))
    return spate_ctx_fail(ctx, "the sink was held back for too long");
  atomic_fetch_add(&g_sunk, 1);
  tk_notify();
  return 0;
}

/* generator (gated per checkpoint when per_checkpoint > 0) -> map -> rebalance -> sink, at
 * parallelism 2: 4 subtasks in 2 job vertices. */
static spate_env *job(int64_t count, int64_t per_checkpoint, const char *const *kv) {
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 2);
  for (; kv && kv[0]; kv += 2) spate_env_set(env, kv[0], kv[1]);
  const spate_schema *s = spate_env_schema(env, "k BIGINT, i BIGINT");
  spate_stream *src = per_checkpoint > 0
                          ? spate_generate_per_checkpoint(env, s, cc_gen, count, per_checkpoint)
                          : spate_generate(env, s, cc_gen, count);
  spate_sink(spate_rebalance(spate_map(src, cc_map, s)), cc_sink);
  return env;
}

/* Submits the job on a fresh manual clock at START_MS, its events going to g_ev. */
static spate_job_client *submit(spate_env *env, const char *name) {
  g_clock = spate_manual_clock_create(START_MS);
  assert_non_null(g_clock);
  spate_env_set_clock(env, g_clock);
  tk_events_reset(&g_ev);
  spate_env_set_job_listener(env, tk_listener, &g_ev);
  spate_job_client *c = spate_execute_async(env, name);
  if (!c) fail_msg("job '%s' could not be submitted: %s", name, spate_env_error(env));
  return c;
}

/* Waits for the job's end (with the deadline), then frees its clock. */
static spate_job_result *await_end(spate_job_client *c, const char *name) {
  spate_job_result *r = tk_wait(c, name);
  spate_manual_clock_free(g_clock);
  g_clock = NULL;
  return r;
}

/* Inside TK_AWAIT: subtasks of the current attempt that are RUNNING or FINISHED. */
static int tasks_started(const tk_events *ev) {
  int n = 0;
  for (int k = 0; k < TK_MAX_TASKS; k++)
    n += strcmp(ev->task_state[k], "RUNNING") == 0 || strcmp(ev->task_state[k], "FINISHED") == 0;
  return n;
}

/* Moves the clock to the next periodic checkpoint and awaits its completion (the n-th). The
 * caller made sure every task is RUNNING (else the coordinator would skip it). */
static void periodic_checkpoint(int n) {
  spate_manual_clock_advance(g_clock, INTERVAL_MS);
  TK_AWAIT(atomic_load(&g_ev.completed) >= n || atomic_load(&g_ev.failed) > 0,
           "checkpoint %d to complete", n);
  if (atomic_load(&g_ev.failed) > 0) fail_msg("a checkpoint failed: %s", g_ev.last_failure);
}

/* Fails unless dir exists and is empty, then removes it. */
static void assert_empty_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) fail_msg("cannot open %s", dir);
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      fail_msg("%s still holds %s", dir, e->d_name);
  closedir(d);
  assert_int_equal(rmdir(dir), 0);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The finished (non-hidden) part files in dir hold n lines, each once. */
static void assert_lines_once(const char *dir, size_t n) {
  size_t cap = n + 16, got = 0;
  char **lines = calloc(cap, sizeof *lines);
  DIR *d = opendir(dir);
  if (!d) fail_msg("cannot open %s", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    char buf[256];
    while (fgets(buf, sizeof buf, f)) {
      if (got == cap) fail_msg("more than %zu lines in %s", cap, dir);
      lines[got++] = strdup(buf);
    }
    fclose(f);
  }
  closedir(d);
  qsort(lines, got, sizeof *lines, cmp_str);
  for (size_t i = 1; i < got; i++)
    if (strcmp(lines[i - 1], lines[i]) == 0) fail_msg("line '%s' is in the output twice", lines[i]);
  if (got != n) fail_msg("%zu lines in %s, expected %zu", got, dir, n);
  for (size_t i = 0; i < got; i++) free(lines[i]);
  free(lines);
}

/* Three batches of 10000 (per-checkpoint gate): the job ends after exactly two checkpoints,
 * each triggered once the batch before it was in the sink. */
static void test_at_least_once(void **state) {
  reset();
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_cc_");
  const char *kv[] = {"execution.checkpointing.interval",
                      "1 s",
                      "execution.checkpointing.mode",
                      "AT_LEAST_ONCE",
                      "state.checkpoints.dir",
                      dir,
                      NULL};
  spate_env *env = job(30000, 10000, kv);
  spate_job_client *c = submit(env, "at-least-once");
  for (int k = 1; k <= 2; k++) {
    TK_AWAIT(atomic_load(&g_sunk) == 10000 * k && atomic_load(&g_ev.running) == 4,
             "batch %d in the sink (%lld records) with every task running", k,
             (long long)atomic_load(&g_sunk));
    periodic_checkpoint(k);
  }
  spate_job_result *r = await_end(c, "at-least-once");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(atomic_load(&g_sunk), 30000);
  assert_int_equal(spate_job_result_num_checkpoints(r), 2);
  for (size_t i = 0; i < spate_job_result_num_checkpoints(r); i++)
    assert_false(spate_job_result_checkpoint(r, i)->unaligned);
  spate_job_result_free(r);
  spate_env_free(env);
  /* not retained: the job's checkpoints are gone with it */
  assert_empty_dir(dir);
}

/* Both sink subtasks hold their first record, so the barriers of the checkpoint wait behind the
 * records of the first batch. Once the checkpoint is triggered the clock passes the
 * aligned-checkpoint timeout, counted from the trigger: the first barrier a sink reads, with the
 * other channel's still to come, switches the checkpoint to unaligned. */
static void test_aligned_timeout_goes_unaligned(void **state) {
  reset();
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_cc_");
  atomic_store(&g_hold_sink, true);
  const char *kv[] = {"execution.checkpointing.interval",
                      "1 s",
                      "execution.checkpointing.aligned-checkpoint-timeout",
                      "100 ms",
                      "state.checkpoints.dir",
                      dir,
                      NULL};
  spate_env *env = job(4000, 2000, kv);
  spate_job_client *c = submit(env, "aligned-timeout");
  TK_AWAIT(tk_gate_arrived(&g_sink_gate) == 2 && atomic_load(&g_generated) == 2000 &&
               atomic_load(&g_ev.running) == 4,
           "both sinks holding their first record, the first batch generated (%lld) and every "
           "task running",
           (long long)atomic_load(&g_generated));
  spate_manual_clock_advance(g_clock, INTERVAL_MS);
  TK_AWAIT(atomic_load(&g_ev.triggered) == 1, "the periodic checkpoint to be triggered");
  spate_manual_clock_advance(g_clock, 101);  /* past the aligned-checkpoint timeout */
  assert_int_equal(atomic_load(&g_sunk), 0); /* the barriers are still behind every record */
  tk_gate_open(&g_sink_gate);
  TK_AWAIT(atomic_load(&g_ev.completed) == 1 || atomic_load(&g_ev.failed) > 0,
           "the checkpoint to complete");
  spate_job_result *r = await_end(c, "aligned-timeout");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(atomic_load(&g_sunk), 4000);
  assert_int_equal(spate_job_result_num_checkpoints(r), 1);
  assert_true(spate_job_result_checkpoint(r, 0)->unaligned);
  spate_job_result_free(r);
  spate_env_free(env);
  tk_rm_rf(dir);
}

/* The sinks hold their first record, so the checkpoint's barriers cannot reach them; the clock
 * passes execution.checkpointing.timeout after the trigger: the checkpoint expires, and with no
 * tolerable checkpoint failures the job fails. */
static void test_expired_checkpoints_fail_the_job(void **state) {
  reset();
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_cc_");
  atomic_store(&g_hold_sink, true);
  const char *kv[] = {"execution.checkpointing.interval",
                      "1 s",
                      "execution.checkpointing.timeout",
                      "500 ms",
                      "restart-strategy.type",
                      "none",
                      "state.checkpoints.dir",
                      dir,
                      NULL};
  spate_env *env = job(4000, 2000, kv);
  spate_job_client *c = submit(env, "expiring");
  TK_AWAIT(tk_gate_arrived(&g_sink_gate) == 2 && atomic_load(&g_ev.running) == 4,
           "both sinks holding their first record and every task running");
  spate_manual_clock_advance(g_clock, INTERVAL_MS);
  TK_AWAIT(atomic_load(&g_ev.triggered) == 1, "the periodic checkpoint to be triggered");
  spate_manual_clock_advance(g_clock, 500);
  TK_AWAIT(tk_status_is(&g_ev, "FAILING") || tk_status_is(&g_ev, "FAILED"),
           "the job failing after its checkpoint expired (status '%s')", g_ev.status);
  tk_gate_open(&g_sink_gate); /* the sinks may end now */
  spate_job_result *r = await_end(c, "expiring");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(
      strstr(spate_job_result_error(r), "Exceeded checkpoint tolerable failure threshold"));
  assert_non_null(strstr(spate_job_result_error(r), "expired"));
  assert_int_equal(atomic_load(&g_ev.failed), 1);
  assert_int_equal(spate_job_result_num_checkpoints(r), 0);
  spate_job_result_free(r);
  spate_env_free(env);
  tk_rm_rf(dir);
}

static void test_no_restart(void **state) {
  reset();
  atomic_store(&g_fail_every, 5000);
  const char *kv[] = {"restart-strategy.type", "none", NULL};
  spate_env *env = job(20000, 0, kv);
  spate_job_result *r = tk_run(env, "no-restart");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "injected failure")); /* 5000, or 10000 from
                                                      the other subtask if its report came first */
  assert_non_null(strstr(spate_job_result_error(r), "NoRestartBackoffTimeStrategy"));
  assert_int_equal(spate_job_result_restarts(r), 0);
  spate_job_result_free(r);
  spate_env_free(env);
}

/* Without checkpoints every attempt replays from the start, and subtask 0 fails on record 7000 in
 * each. In the first attempt subtask 1 holds its first record until the clock has passed the
 * backoff: the backoff runs from the failure while subtask 1 is still being cancelled, so the job
 * restarts as soon as that cancellation ends, and fails for good on the second failure. */
static void test_fixed_delay_attempts(void **state) {
  reset();
  atomic_store(&g_fail_at, 7000);
  atomic_store(&g_hold_map1, true);
  const char *kv[] = {"restart-strategy.type",
                      "fixed-delay",
                      "restart-strategy.fixed-delay.attempts",
                      "1",
                      "restart-strategy.fixed-delay.delay",
                      "10 s",
                      NULL};
  spate_env *env = job(20000, 0, kv);
  spate_job_client *c = submit(env, "fixed-delay");
  TK_AWAIT(atomic_load(&g_ev.restarts) == 1 && tk_gate_arrived(&g_map_gate) == 1,
           "the first failure (restarts %d) with subtask 1 of the map held",
           atomic_load(&g_ev.restarts));
  spate_manual_clock_advance(g_clock, 10000); /* the backoff passes during the cancellation */
  tk_gate_open(&g_map_gate);
  TK_AWAIT(atomic_load(&g_ev.attempt) == 1,
           "the second attempt, right after the cancellation (the backoff has passed)");
  spate_job_result *r = await_end(c, "fixed-delay");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_int_equal(spate_job_result_restarts(r), 1);
  assert_non_null(strstr(spate_job_result_error(r), "injected failure at record 7000"));
  assert_non_null(strstr(spate_job_result_error(r), "FixedDelayRestartBackoffTimeStrategy"));
  spate_job_result_free(r);
  spate_env_free(env);
}

/* The gated source stops after its first batch; the test triggers one checkpoint, awaits its
 * completion and cancels the job: the retained checkpoint's metadata outlives the job. */
static void test_retained_on_cancellation(void **state) {
  reset();
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_cc_");
  const char *kv[] = {"execution.checkpointing.interval",
                      "1 s",
                      "execution.checkpointing.externalized-checkpoint-retention",
                      "RETAIN_ON_CANCELLATION",
                      "state.checkpoints.dir",
                      dir,
                      NULL};
  spate_env *env = job(-1, 2000, kv);
  spate_job_client *c = submit(env, "retained");
  char job_id[64];
  snprintf(job_id, sizeof job_id, "%s", spate_job_client_id(c));
  TK_AWAIT(atomic_load(&g_sunk) == 2000 && atomic_load(&g_ev.running) == 4,
           "the first batch in the sink with every task running");
  periodic_checkpoint(1);
  spate_job_client_cancel(c);
  spate_job_result *r = await_end(c, "retained");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_CANCELED);
  assert_int_equal(spate_job_result_num_checkpoints(r), 1);
  spate_job_result_free(r);
  spate_env_free(env);
  char meta[4200];
  snprintf(meta, sizeof meta, "%s/%s/chk-%lld/_metadata", dir, job_id,
           (long long)atomic_load(&g_ev.last_completed));
  if (access(meta, R_OK) != 0) fail_msg("%s is gone after the cancellation", meta);
  tk_rm_rf(dir);
}

/* ---- failures after some subtasks finished (FLIP-147) ----------------------------------------
 * A rate-limited generator on the manual clock (one record per subtask and millisecond) of 1001
 * records: subtask 0 has 500 (0..499) and ends at START + 499, subtask 1 has 501 (500..1000) and
 * emits its last one only when the clock reaches START + 500. Until then it waits without
 * blocking its task, so checkpoints complete in between. The map fails on record 1000 once. */
#define FIN_COUNT 1001
static _Atomic int64_t g_gen_sub[2]; /* generator calls per subtask, all attempts */
static _Atomic int g_opens[2];       /* map opens per subtask, all attempts */
static _Atomic bool g_fail_armed;

int cc_counting_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % 11);
  spate_rb_set_bigint(out, 1, i);
  atomic_fetch_add(&g_gen_sub[spate_ctx_subtask(ctx) & 1], 1);
  tk_notify();
  return 0;
}

int cc_fail_late(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  if (spate_row_bigint(in, 1) == FIN_COUNT - 1 && atomic_exchange(&g_fail_armed, false))
    return spate_ctx_fail(ctx, "injected late failure");
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

int cc_open_count(spate_ctx *ctx, void **user) {
  atomic_fetch_add(&g_opens[spate_ctx_subtask(ctx) & 1], 1);
  return 0;
}

static spate_job_client *submit_finishing(const char *dir, bool checkpoints, spate_env **envp) {
  reset();
  for (int i = 0; i < 2; i++) {
    atomic_store(&g_gen_sub[i], 0);
    atomic_store(&g_opens[i], 0);
  }
  atomic_store(&g_fail_armed, true);
  char ck[256], out[256];
  snprintf(ck, sizeof ck, "%s/ck", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 2);
  if (checkpoints) { /* checkpointing on; the periodic ones never come, the test triggers them */
    spate_env_set(env, "execution.checkpointing.interval", "1 h");
    spate_env_set(env, "state.checkpoints.dir", ck);
  }
  spate_env_set(env, "restart-strategy.type", "fixed-delay");
  spate_env_set(env, "restart-strategy.fixed-delay.delay", "1 s");
  /* two separate pipelined regions; this test is about restarting the whole job */
  spate_env_set(env, "jobmanager.execution.failover-strategy", "full");
  const spate_schema *s = spate_env_schema(env, "k BIGINT, i BIGINT");
  spate_stream *st =
      spate_uid(spate_generate_rate_limited(env, s, cc_counting_gen, FIN_COUNT, 2000.0), "gen");
  st = spate_uid(spate_udf_lifecycle(spate_map(st, cc_fail_late, s), cc_open_count, NULL), "map");
  spate_file_sink_options o = {.bucket_format = ""};
  spate_uid(spate_sink_file(st, out, &o), "sink");
  *envp = env;
  spate_job_client *c = submit(env, "final-commit");
  /* both subtasks opened at START (their first record goes then), then to START + 499 */
  TK_AWAIT(atomic_load(&g_gen_sub[0]) >= 1 && atomic_load(&g_gen_sub[1]) >= 1,
           "the first record of both generator subtasks");
  spate_manual_clock_set(g_clock, START_MS + 499);
  TK_AWAIT(atomic_load(&g_gen_sub[0]) == 500 && atomic_load(&g_gen_sub[1]) == 500,
           "500 records of each generator subtask (%lld, %lld)",
           (long long)atomic_load(&g_gen_sub[0]), (long long)atomic_load(&g_gen_sub[1]));
  return c;
}

/* A checkpoint on request, which must succeed: once both subtasks of the attempt are RUNNING or
 * FINISHED as the JobMaster sees them (it refuses a checkpoint before). */
static void checkpoint_now(spate_job_client *c, int attempt) {
  TK_AWAIT(atomic_load(&g_ev.attempt) == attempt && tasks_started(&g_ev) == 2,
           "both subtasks of attempt %d running or finished", attempt);
  char err[512];
  if (tk_checkpoint(c, NULL, err, sizeof err) < 0) fail_msg("checkpoint: %s", err);
}

/* Subtask 0 ends its input; the first checkpoint after that commits its last output and it
 * finishes; the next checkpoint records it as finished. Then subtask 1 fails: the restart
 * restores that checkpoint, does not run subtask 0 again, and every record is in the output
 * once. */
static void test_restart_after_a_subtask_finished(void **state) {
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_cc_");
  spate_env *env;
  spate_job_client *c = submit_finishing(dir, true, &env);
  checkpoint_now(c, 0); /* subtask 0's final checkpoint */
  TK_AWAIT(tk_task_is(&g_ev, 0, 0, "FINISHED"), "subtask 0 to finish after its final commit");
  checkpoint_now(c, 0);                            /* taken with subtask 0 finished */
  spate_manual_clock_set(g_clock, START_MS + 500); /* subtask 1's last record: the failure */
  TK_AWAIT(atomic_load(&g_ev.restarts) == 1, "the failure of subtask 1");
  spate_manual_clock_advance(g_clock, 1000); /* the backoff */
  TK_AWAIT(atomic_load(&g_gen_sub[1]) == 502 && atomic_load(&g_ev.attempt) == 1,
           "the restored subtask 1 to emit its last record again");
  checkpoint_now(c, 1); /* subtask 1's final checkpoint */
  spate_job_result *r = await_end(c, "final-commit");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(spate_job_result_restarts(r), 1);
  assert_int_equal(spate_job_result_num_checkpoints(r), 3);
  spate_job_result_free(r);
  spate_env_free(env);
  assert_int_equal(atomic_load(&g_opens[0]), 1); /* finished in the checkpoint: not run again */
  assert_int_equal(atomic_load(&g_opens[1]), 2);
  assert_int_equal(atomic_load(&g_gen_sub[0]), 500);
  char out[300];
  snprintf(out, sizeof out, "%s/out", dir);
  assert_lines_once(out, FIN_COUNT);
  tk_rm_rf(dir);
}

/* Without checkpoints the file sink commits at the end of its input, so once subtask 0 finished a
 * restart would publish its output twice: subtask 1's failure fails the job, saying why. */
static void test_no_restart_after_final_commit_without_checkpoints(void **state) {
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_cc_");
  spate_env *env;
  spate_job_client *c = submit_finishing(dir, false, &env);
  TK_AWAIT(tk_task_is(&g_ev, 0, 0, "FINISHED"), "subtask 0 to finish (committing its output)");
  spate_manual_clock_set(g_clock, START_MS + 500); /* subtask 1's last record: the failure */
  spate_job_result *r = await_end(c, "final-commit");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_int_equal(spate_job_result_restarts(r), 0);
  assert_non_null(strstr(spate_job_result_error(r), "injected late failure"));
  assert_non_null(strstr(spate_job_result_error(r), "not restarted"));
  spate_job_result_free(r);
  spate_env_free(env);
  tk_rm_rf(dir);
}

/* The sources finish while the map behind a rebalance holds its first record, all the rest
 * queued in front of it. A checkpoint is triggered then (the map gets the trigger itself, its
 * producers having finished) and the map is released: it must snapshot only after reading all of
 * its input, so the checkpoint holds every record. A second pipeline of the job, gated per
 * checkpoint, fails on its first record after that checkpoint completed: the restart restores it,
 * and every record of the first pipeline is in the output once. */
#define SF_COUNT 40000

#define SF_GATED 1000
static _Atomic bool g_sf_armed;
static _Atomic bool g_held_first[2];

int cc_fail_after_checkpoint(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  /* the gated source's second batch begins after the first completed checkpoint */
  if (spate_row_bigint(in, 1) == SF_GATED && atomic_exchange(&g_sf_armed, false))
    return spate_ctx_fail(ctx, "injected failure after the sources finished");
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

int cc_held_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  int sub = spate_ctx_subtask(ctx);
  if (sub < 2 && !atomic_exchange(&g_held_first[sub], true) && !tk_gate_pass(&g_map_gate))
    return spate_ctx_fail(ctx, "the map was held back for too long");
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

static void test_restart_after_sources_finished(void **state) {
  reset();
  atomic_store(&g_sf_armed, true);
  for (int i = 0; i < 2; i++) {
    atomic_store(&g_held_first[i], false);
    atomic_store(&g_gen_sub[i], 0);
  }
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_cc_");
  char ck[300], out[300];
  snprintf(ck, sizeof ck, "%s/ck", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 2);
  spate_env_set(env, "execution.checkpointing.interval", "1 s");
  spate_env_set(env, "state.checkpoints.dir", ck);
  spate_env_set(env, "restart-strategy.type", "fixed-delay");
  spate_env_set(env, "restart-strategy.fixed-delay.delay", "1 s");
  spate_env_set(env, "jobmanager.execution.failover-strategy", "full"); /* the whole job */
  /* room for all of a source's records in its exchange: the sources finish with the map held */
  spate_env_set(env, "taskmanager.network.memory.floating-buffers-per-gate", "64");
  const spate_schema *s = spate_env_schema(env, "k BIGINT, i BIGINT");
  /* vertex 0: the sources; vertex 1: map and file sink */
  spate_stream *st = spate_uid(spate_generate(env, s, cc_gen, SF_COUNT), "gen");
  st = spate_uid(spate_map(spate_rebalance(st), cc_held_map, s), "held");
  spate_file_sink_options o = {.bucket_format = ""};
  spate_uid(spate_sink_file(st, out, &o), "sink");
  /* vertex 2: the failing pipeline */
  spate_stream *g2 = spate_parallelism(
      spate_uid(spate_generate_per_checkpoint(env, s, cc_counting_gen, 2 * SF_GATED, SF_GATED),
                "gated"),
      1);
  g2 = spate_parallelism(spate_uid(spate_map(g2, cc_fail_after_checkpoint, s), "fail"), 1);
  spate_parallelism(spate_uid(spate_discard(g2), "discard"), 1);
  spate_job_client *c = submit(env, "sources-finished");
  TK_AWAIT(tk_task_is(&g_ev, 0, 0, "FINISHED") && tk_task_is(&g_ev, 0, 1, "FINISHED") &&
               tk_gate_arrived(&g_map_gate) == 2 && atomic_load(&g_gen_sub[0]) == SF_GATED &&
               atomic_load(&g_ev.running) == 3,
           "the sources finished, both maps holding their first record and the gated source's "
           "first batch");
  spate_manual_clock_advance(g_clock, INTERVAL_MS);
  TK_AWAIT(atomic_load(&g_ev.triggered) == 1, "the checkpoint to be triggered");
  tk_gate_open(&g_map_gate);
  TK_AWAIT(atomic_load(&g_ev.completed) == 1, "the checkpoint to complete");
  TK_AWAIT(atomic_load(&g_ev.restarts) == 1, "the failure after the checkpoint");
  /* nothing triggered another checkpoint: the restart restores checkpoint 1 */
  assert_int_equal(atomic_load(&g_ev.triggered), 1);
  spate_manual_clock_advance(g_clock, 1000); /* the backoff */
  /* the restored file sinks commit what they still hold through checkpoints after the end of
   * their input (one, or two when a trigger comes before they read their input's end), and the
   * gated source emits its second batch after a checkpoint completes. How many checkpoints
   * complete before the last task finishes depends on how fast that batch goes (a loaded
   * ThreadSanitizer run took four): each further one is harmless, so the bound only stops a job
   * that never ends, and the output below is what the test checks. */
  for (int k = 2;; k++) {
    TK_AWAIT(tk_status_is(&g_ev, "FINISHED") ||
                 (atomic_load(&g_ev.attempt) == 1 && tasks_started(&g_ev) == 5),
             "every task of the second attempt running or finished");
    if (tk_status_is(&g_ev, "FINISHED")) break;
    if (k > 50) fail_msg("the job did not finish after %d checkpoints", k - 1);
    spate_manual_clock_advance(g_clock, INTERVAL_MS);
    TK_AWAIT(atomic_load(&g_ev.completed) >= k || tk_status_is(&g_ev, "FINISHED"),
             "checkpoint %d or the end of the job", k);
  }
  spate_job_result *r = await_end(c, "sources-finished");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(spate_job_result_restarts(r), 1);
  assert_int_equal(atomic_load(&g_generated), SF_COUNT); /* the restart did not run them again */
  spate_job_result_free(r);
  spate_env_free(env);
  assert_lines_once(out, SF_COUNT);
  tk_rm_rf(dir);
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
