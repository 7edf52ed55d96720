/*
 * test_checkpoint_failures.c: checkpoints that cannot be written surface as failures instead of
 * jobs that wait forever (the MiniCluster, a manual clock driving the checkpoint interval):
 *  - a state.checkpoints.dir that cannot be created (a path under a regular file) fails the job
 *    at its start, naming the path, as Flink fails when it cannot create its checkpoint storage;
 *    also with the exactly-once file sink, whose last output would wait for a final checkpoint;
 *  - a checkpoint directory that becomes unusable while the job runs makes every periodic
 *    checkpoint fail at its trigger; each failure counts against
 *    execution.checkpointing.tolerable-failed-checkpoints, and past it the job fails saying so;
 *  - when a retained checkpoint is corrupt, the restart after a failure falls back to the
 *    previous one and logs both checkpoint ids and that committed output may appear again:
 *    damage in a state file's task layer is found by the JobMaster (the uids it reads disagree
 *    with the job, so it verifies), damage in the state itself only by the TaskExecutor that
 *    restores the subtask (the JobMaster reads no state), which reports it, and the JobMaster
 *    restarts at once from the previous checkpoint.
 * UDFs have external linkage (the program is linked with -rdynamic) and a cf_ prefix.
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

#include "base/log.h"
#include "checkpoint/storage.h"
#include "spate/spate.h"
#include "support/testkit.h"

static _Atomic int g_fail_now; /* the map fails its next record once set */

int cf_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % 5);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}

int cf_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  if (atomic_exchange(&g_fail_now, 0)) return spate_ctx_fail(ctx, "injected failure");
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static bool file_contains(const char *path, const char *want) {
  FILE *f = fopen(path, "r");
  if (!f) return false;
  static char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return strstr(buf, want) != NULL;
}

/* generator (per-checkpoint gated, so it never ends on its own) -> map -> sink */
static spate_env *job(const char *ckdir, bool file_sink, const char *out) {
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, 1);
  spate_env_set(env, "execution.checkpointing.interval", "100 ms");
  spate_env_set(env, "state.checkpoints.dir", ckdir);
  const spate_schema *s = spate_env_schema(env, "k BIGINT, i BIGINT");
  spate_stream *st = spate_uid(spate_generate_per_checkpoint(env, s, cf_gen, -1, 100), "gen");
  st = spate_uid(spate_map(st, cf_map, s), "map");
  if (file_sink) {
    spate_file_sink_options o = {.bucket_format = ""};
    spate_uid(spate_sink_file(st, out, &o), "sink");
  } else {
    spate_uid(spate_discard(st), "sink");
  }
  return env;
}

static void test_unusable_directory_fails_at_start(void **state) {
  (void)state;
  char base[256], file[300], ckdir[400], out[300];
  tk_mkdtemp(base, sizeof base, "spate_cf_");
  snprintf(file, sizeof file, "%s/a-file", base);
  snprintf(ckdir, sizeof ckdir, "%s/checkpoints", file); /* under a regular file */
  snprintf(out, sizeof out, "%s/out", base);
  write_file(file, "not a directory\n");
  for (int sink = 0; sink < 2; sink++) {
    spate_env *env = job(ckdir, sink == 1, out);
    spate_job_result *r = tk_run(env, "unusable checkpoint directory");
    assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
    const char *err = spate_job_result_error(r);
    if (!strstr(err, ckdir) || !strstr(err, "checkpoint storage"))
      fail_msg("the error does not name the checkpoint storage path %s: %s", ckdir, err);
    assert_int_equal(spate_job_result_restarts(r), 0); /* at the start: nothing to restart */
    spate_job_result_free(r);
    spate_env_free(env);
  }
  tk_rm_rf(base);
}

static void test_failing_triggers_count_against_tolerable(void **state) {
  (void)state;
  char base[256], ckdir[300];
  tk_mkdtemp(base, sizeof base, "spate_cf_");
  snprintf(ckdir, sizeof ckdir, "%s/ck", base);
  spate_clock *clock = spate_manual_clock_create(1000);
  static tk_events ev;
  tk_events_reset(&ev);
  spate_env *env = job(ckdir, false, NULL);
  spate_env_set_clock(env, clock);
  spate_env_set_job_listener(env, tk_listener, &ev);
  spate_env_set(env, "execution.checkpointing.tolerable-failed-checkpoints", "2");
  spate_env_set(env, "restart-strategy.type", "none");
  spate_job_client *c = spate_execute_async(env, "failing checkpoints");
  assert_non_null(c);
  TK_AWAIT(tk_all_running(&ev), "all subtasks running");
  spate_manual_clock_advance(clock, 100);
  TK_AWAIT(atomic_load(&ev.completed) == 1, "the first checkpoint");
  /* the job's checkpoint directory turns into a regular file: no chk-<n> can be made */
  char jobdir[600];
  snprintf(jobdir, sizeof jobdir, "%s/%s", ckdir, spate_job_client_id(c));
  tk_rm_rf(jobdir);
  write_file(jobdir, "in the way\n");
  for (int n = 1; n <= 2; n++) { /* tolerated */
    spate_manual_clock_advance(clock, 100);
    TK_AWAIT(atomic_load(&ev.failed) == n, "failed checkpoint %d (%d so far)", n,
             atomic_load(&ev.failed));
    assert_true(tk_status_is(&ev, "RUNNING"));
  }
  spate_manual_clock_advance(clock, 100); /* the third in a row is one too many */
  spate_job_result *r = tk_wait(c, "failing checkpoints");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  const char *err = spate_job_result_error(r);
  if (!strstr(err, "Exceeded checkpoint tolerable failure threshold (2)") || !strstr(err, jobdir))
    fail_msg("unexpected failure: %s", err);
  assert_int_equal(atomic_load(&ev.failed), 3);
  spate_job_result_free(r);
  spate_env_free(env);
  spate_manual_clock_free(clock);
  tk_rm_rf(base);
}

/* Corrupts the first state file in dir: a byte of its task layer (offset 40: the first
 * operator's uid), or with in_state the last byte of the first non-empty operator section. */
static void corrupt_state_file(const char *dir, bool in_state) {
  char path[4200];
  snprintf(path, sizeof path, "%s/0-0.state", dir);
  long at = 40;
  if (in_state) {
    ckpt_loaded *l = NULL;
    char err[512];
    if (ckpt_load(dir, CKPT_LOAD_ALL, &l, err, sizeof err)) fail_msg("%s", err);
    for (int i = 0; i < l->nbufs && at == 40; i++) {
      if (strcmp(l->meta.files[i].name, "0-0.state") != 0) continue;
      for (int k = 0; k < l->tasks[i].nops && at == 40; k++) {
        const snap_section *s = &l->tasks[i].ops[k].section;
        if (s->len) at = 16 + (long)(s->data + s->len - 1 - l->bufs[i].payload);
      }
    }
    ckpt_loaded_free(l);
    if (at == 40) fail_msg("no operator state in %s", path);
  }
  FILE *f = fopen(path, "r+b");
  if (!f) fail_msg("no state file %s", path);
  assert_int_equal(fseek(f, at, SEEK_SET), 0);
  int c = fgetc(f);
  assert_int_equal(fseek(f, at, SEEK_SET), 0);
  fputc(c ^ 0x5a, f);
  fclose(f);
}

static char g_last_path[4096];
static tk_events g_fb_events;

/* Records the newest completed checkpoint's directory, then hands the event to tk_listener. */
static void path_listener(void *arg, const spate_job_event *e) {
  if (e->type == SPATE_EVENT_CHECKPOINT_COMPLETED && !e->savepoint)
    snprintf(g_last_path, sizeof g_last_path, "%s", e->path);
  tk_listener(arg, e);
}

static void restart_falls_back(bool in_state) {
  char base[256], ckdir[300], log[300];
  tk_mkdtemp(base, sizeof base, "spate_cf_");
  snprintf(ckdir, sizeof ckdir, "%s/ck", base);
  snprintf(log, sizeof log, "%s/log.txt", base);
  spate_clock *clock = spate_manual_clock_create(1000);
  tk_events_reset(&g_fb_events);
  spate_env *env = job(ckdir, false, NULL);
  spate_env_set_clock(env, clock);
  spate_env_set_job_listener(env, path_listener, &g_fb_events);
  spate_env_set(env, "state.checkpoints.num-retained", "2");
  spate_env_set(env, "restart-strategy.type", "fixed-delay");
  spate_env_set(env, "restart-strategy.fixed-delay.delay", "0 ms");
  spate_job_client *c = spate_execute_async(env, "fallback");
  assert_non_null(c);
  TK_AWAIT(tk_all_running(&g_fb_events), "all subtasks running");
  for (int n = 1; n <= 2; n++) {
    spate_manual_clock_advance(clock, 100);
    TK_AWAIT(atomic_load(&g_fb_events.completed) == n, "checkpoint %d", n);
  }
  assert_int_equal(atomic_load(&g_fb_events.last_completed), 2);
  corrupt_state_file(g_last_path, in_state); /* chk-2 */
  assert_int_equal(sp_log_set_file(log), 0);
  /* The map fails on its next record: one of the batch the second checkpoint let through, or
   * else one of the batch a savepoint lets through (a savepoint is not a retained checkpoint).
   * No third checkpoint is triggered (the clock stands still), so the restart finds chk-2 as the
   * newest, corrupt, and must fall back to chk-1. */
  atomic_store(&g_fail_now, 1);
  char sp[300], path[4096], err[512];
  snprintf(sp, sizeof sp, "%s/savepoints", base);
  (void)spate_job_client_savepoint(c, sp, false, path, sizeof path, err, sizeof err);
  /* damage in the state costs a second restart: the first one's subtask finds it */
  int restarts = in_state ? 2 : 1;
  TK_AWAIT(atomic_load(&g_fb_events.restarts) == restarts && tk_all_running(&g_fb_events),
           "restart %d", restarts);
  spate_job_client_cancel(c);
  spate_job_result *r = tk_wait(c, "fallback");
  sp_log_set_file(NULL);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_CANCELED);
  spate_job_result_free(r);
  assert_int_equal(atomic_load(&g_fb_events.last_completed), 2);
  if (!file_contains(log,
                     "falls back from checkpoint 2 to checkpoint 1: output that "
                     "exactly-once sinks committed with the checkpoints after 1 (up to 2) "
                     "may be published again"))
    fail_msg("the fallback is not logged with both checkpoint ids in %s", log);
  if (in_state && !file_contains(log, "0-0.state: checksum mismatch"))
    fail_msg("the TaskExecutor's finding, naming the file, is not logged in %s", log);
  spate_env_free(env);
  spate_manual_clock_free(clock);
  tk_rm_rf(base);
}

static void test_restart_falls_back_from_a_corrupt_checkpoint(void **state) {
  (void)state;
  restart_falls_back(false);
}

static void test_restart_falls_back_from_corrupt_state(void **state) {
  (void)state;
  restart_falls_back(true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unusable_directory_fails_at_start),
      cmocka_unit_test(test_failing_triggers_count_against_tolerable),
      cmocka_unit_test(test_restart_falls_back_from_a_corrupt_checkpoint),
      cmocka_unit_test(test_restart_falls_back_from_corrupt_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
