/*
 * test_savepoints.c: savepoints triggered through the client API while a job runs, and jobs
 * started from them on the MiniCluster:
 *  - a keyed count taken at parallelism 2 and restored at 3 and at 1 ends with the same counts
 *    per key as a run that was never interrupted (key groups move, source splits are shared out);
 *  - stop-with-savepoint ends the job FINISHED and its savepoint restores like the other;
 *  - state of an operator the new job lacks is refused unless allow-non-restored-state is set;
 *  - a changed max parallelism is refused with a message saying both values;
 *  - a savepoint request without a directory fails with a clear error and the job runs on;
 *  - a checkpoint taken while one source subtask had finished (FLIP-147) restores at another
 *    parallelism: the finished subtask held nothing, the other's split is shared out, and the
 *    counts end as in a run that was never interrupted;
 *  - a savepoint whose channel state (in-flight records of an unaligned checkpoint) holds a
 *    malformed record fails the restore with a message instead of reading past the record.
 * The savepoints are taken at a known point: the source is gated per checkpoint (it emits BATCH
 * records, then waits for a completed checkpoint or savepoint; the job takes no periodic ones),
 * the test awaits that batch counted, then takes the savepoint. A job restored from it counts
 * exactly the other N - BATCH records.
 * UDFs have external linkage (the program is linked with -rdynamic) and an sv_ prefix.
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

#include "base/alloc.h"
#include "base/bytes.h"
#include "checkpoint/storage.h"
#include "spate/spate.h"
#include "state/snapshot.h"
#include "support/testkit.h"

#define N 40000
#define BATCH 4000 /* records of the gated source's first batch, over both subtasks */
#define KEYS 17

static _Atomic int64_t g_seen;    /* records counted by the process function */
static _Atomic int64_t g_hold_at; /* the generator holds record g_hold_at at g_gate (-1: none) */
static tk_gate g_gate;

int sv_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  if (i == atomic_load(&g_hold_at) && !tk_gate_pass(&g_gate))
    return spate_ctx_fail(ctx, "the generator was held back for too long");
  spate_rb_set_bigint(out, 0, (i * 31) % KEYS);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}

static const spate_schema *g_n;

typedef struct sv_user {
  spate_state *count;
  spate_row_builder *b;
} sv_user;

int sv_open(spate_ctx *ctx, void **user) {
  sv_user *u = calloc(1, sizeof *u);
  spate_state_desc d = {.name = "count", .kind = SPATE_STATE_VALUE, .schema = g_n};
  u->count = spate_ctx_state(ctx, &d);
  u->b = spate_rb_new(g_n);
  *user = u;
  return u->count && u->b ? 0 : -1;
}

void sv_close(spate_ctx *ctx, void *user) {
  sv_user *u = user;
  spate_rb_free(u->b);
  free(u);
}

/* counts per key; a timer at the end of time emits (key, count) */
int sv_process(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  sv_user *u = spate_ctx_user(ctx);
  spate_row cur, next;
  int64_t n = spate_value_get(u->count, &cur) == 1 ? spate_row_bigint(&cur, 0) : 0;
  spate_rb_begin(u->b);
  spate_rb_set_bigint(u->b, 0, n + 1);
  if (spate_rb_finish(u->b, &next) < 0 || spate_value_update(u->count, &next) < 0) return -1;
  atomic_fetch_add(&g_seen, 1);
  tk_notify();
  return spate_ctx_register_event_timer(ctx, INT64_MAX - 1);
}

int sv_timer(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  sv_user *u = spate_ctx_user(ctx);
  spate_row cur;
  int64_t n = spate_value_get(u->count, &cur) == 1 ? spate_row_bigint(&cur, 0) : 0;
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, spate_ctx_current_key(ctx), 0);
  spate_rb_set_bigint(b, 1, n);
  return spate_collect_emit(out);
}

typedef struct job_opts {
  int parallelism;
  int max_parallelism; /* 0: default */
  const char *restore; /* savepoint path or NULL */
  bool allow_non_restored;
  const char *stateful_uid;
  const char *savepoint_dir;
  bool gated;                 /* the source waits for a checkpoint after each BATCH records */
  const char *checkpoint_dir; /* checkpoints retained on cancellation into it, or NULL */
} job_opts;

static spate_env *build(const job_opts *o) {
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, o->parallelism);
  if (o->max_parallelism) spate_env_set_max_parallelism(env, o->max_parallelism);
  if (o->restore) spate_env_set(env, "execution.savepoint.path", o->restore);
  if (o->allow_non_restored)
    spate_env_set(env, "execution.savepoint.ignore-unclaimed-state", "true");
  if (o->savepoint_dir) spate_env_set(env, "state.savepoints.dir", o->savepoint_dir);
  if (o->checkpoint_dir) {
    spate_env_set(env, "state.checkpoints.dir", o->checkpoint_dir);
    spate_env_set(env, "execution.checkpointing.externalized-checkpoint-retention",
                  "RETAIN_ON_CANCELLATION");
  }
  const spate_schema *s = spate_env_schema(env, "k BIGINT, ts BIGINT");
  g_n = spate_env_schema(env, "n BIGINT");
  spate_stream *src = spate_uid(o->gated ? spate_generate_per_checkpoint(env, s, sv_gen, N, BATCH)
                                         : spate_generate(env, s, sv_gen, N),
                                "src");
  src = spate_uid(spate_assign_timestamps(src, 1, SPATE_WATERMARKS_BOUNDED, 0), "ts");
  spate_stream *counts =
      spate_udf_lifecycle(spate_process(spate_key_by(src, 0), sv_process, sv_timer,
                                        spate_env_schema(env, "k BIGINT, n BIGINT")),
                          sv_open, sv_close);
  counts = spate_uid(counts, o->stateful_uid ? o->stateful_uid : "counter");
  spate_uid(spate_collect(counts, "counts"), "collect");
  return env;
}

/* Final count per key; all zero if a key is missing. */
static void counts_of(spate_job_result *r, int64_t *per_key) {
  memset(per_key, 0, sizeof(int64_t) * KEYS);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "counts", &rows, NULL);
  for (size_t i = 0; i < n; i++) {
    int64_t k = spate_row_bigint(&rows[i], 0);
    assert_true(k >= 0 && k < KEYS);
    assert_int_equal(per_key[k], 0); /* one line per key */
    per_key[k] = spate_row_bigint(&rows[i], 1);
  }
}

static void expected_counts(int64_t *per_key) {
  memset(per_key, 0, sizeof(int64_t) * KEYS);
  for (int64_t i = 0; i < N; i++) per_key[(i * 31) % KEYS]++;
}

/* Runs a job with listener ev (reset here). */
static spate_job_client *submit(spate_env *env, tk_events *ev, const char *name) {
  tk_events_reset(ev);
  spate_env_set_job_listener(env, tk_listener, ev);
  spate_job_client *c = spate_execute_async(env, name);
  if (!c) fail_msg("job '%s' could not be submitted: %s", name, spate_env_error(env));
  return c;
}

/* Runs at parallelism 2 with the gated source until its first batch is counted, and takes a
 * savepoint into dir there. */
static spate_job_client *start_and_savepoint(const char *dir, bool stop, char *path, size_t len) {
  atomic_store(&g_seen, 0);
  atomic_store(&g_hold_at, -1);
  job_opts o = {.parallelism = 2, .gated = true};
  spate_env *env = build(&o);
  static tk_events ev;
  spate_job_client *c = submit(env, &ev, "savepoints");
  TK_AWAIT(atomic_load(&g_seen) == BATCH && atomic_load(&ev.running) == 4,
           "the first batch counted (%lld of %d) with every task running",
           (long long)atomic_load(&g_seen), BATCH);
  char err[512];
  int rc = tk_savepoint(c, dir, stop, path, len, err, sizeof err);
  if (rc < 0) fail_msg("savepoint failed: %s", err);
  spate_env_free(env);
  return c;
}

static spate_job_result *run_restored(const job_opts *o) {
  atomic_store(&g_seen, 0);
  atomic_store(&g_hold_at, -1);
  spate_env *env = build(o);
  spate_job_result *r = tk_run(env, "savepoints-restored");
  spate_env_free(env);
  return r;
}

static void test_rescale_from_savepoint(void **state) {
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_sv_");
  char path[4096];
  spate_job_client *c = start_and_savepoint(dir, false, path, sizeof path);
  spate_job_client_cancel(c);
  spate_job_result *r = tk_wait(c, "savepoints");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_CANCELED);
  spate_job_result_free(r);
  assert_non_null(strstr(path, "/savepoint-"));
  char meta[4200];
  snprintf(meta, sizeof meta, "%s/_metadata", path);
  assert_int_equal(access(meta, R_OK), 0); /* the savepoint outlives its job */

  int64_t want[KEYS], got[KEYS];
  expected_counts(want);
  for (int p = 1; p <= 3; p += 2) {
    job_opts o = {.parallelism = p, .restore = path};
    r = run_restored(&o);
    if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
      fail_msg("restore at %d failed: %s", p, spate_job_result_error(r));
    counts_of(r, got);
    for (int k = 0; k < KEYS; k++)
      if (got[k] != want[k])
        fail_msg("p=%d key %d: %lld, want %lld", p, k, (long long)got[k], (long long)want[k]);
    assert_int_equal(atomic_load(&g_seen), N - BATCH); /* the savepoint was after the batch */
    spate_job_result_free(r);
  }
  tk_rm_rf(dir);
}

static void test_stop_with_savepoint(void **state) {
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_sv_");
  char path[4096];
  spate_job_client *c = start_and_savepoint(dir, true, path, sizeof path);
  spate_job_result *r = tk_wait(c, "savepoints");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  /* stopped without draining: the end-of-time timers did not fire, the savepoint holds them */
  assert_int_equal(spate_job_result_collected(r, "counts", NULL, NULL), 0);
  assert_int_equal(atomic_load(&g_seen), BATCH); /* no record after the savepoint was processed */
  spate_job_result_free(r);
  int64_t want[KEYS], got[KEYS];
  expected_counts(want);
  job_opts o = {.parallelism = 2, .restore = path};
  r = run_restored(&o);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  counts_of(r, got);
  assert_memory_equal(got, want, sizeof want);
  assert_int_equal(atomic_load(&g_seen), N - BATCH); /* each record counted once overall */
  spate_job_result_free(r);

  /* state for uid "counter" has no operator in a job whose counter is "counter-v2" */
  job_opts other = {.parallelism = 2, .restore = path, .stateful_uid = "counter-v2"};
  r = run_restored(&other);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "counter"));
  assert_non_null(strstr(spate_job_result_error(r), "allowNonRestoredState"));
  spate_job_result_free(r);
  other.allow_non_restored = true; /* then the counts start from zero, the source does not */
  r = run_restored(&other);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  counts_of(r, got);
  int64_t total = 0;
  for (int k = 0; k < KEYS; k++) total += got[k];
  assert_int_equal(total, N - BATCH);
  spate_job_result_free(r);

  job_opts maxp = {.parallelism = 2, .restore = path, .max_parallelism = 64};
  r = run_restored(&maxp);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "max parallelism 128"));
  assert_non_null(strstr(spate_job_result_error(r), "64"));
  spate_job_result_free(r);
  tk_rm_rf(dir);
}

/* The generator holds record 100 while the test asks for a savepoint without a directory: the
 * request fails at once, saying what is missing, and the job, released, runs to its end. */
static void test_savepoint_without_directory(void **state) {
  atomic_store(&g_seen, 0);
  atomic_store(&g_hold_at, 100);
  tk_gate_reset(&g_gate);
  job_opts o = {.parallelism = 1};
  spate_env *env = build(&o);
  spate_env_set_buffer_timeout(env, 0); /* records 0..99 reach the counter while 100 is held */
  tk_events ev;
  spate_job_client *c = submit(env, &ev, "no-dir");
  TK_AWAIT(
      atomic_load(&g_seen) == 100 && tk_gate_arrived(&g_gate) == 1 && atomic_load(&ev.running) == 2,
      "records 0..99 counted (%lld) with record 100 held and every task running",
      (long long)atomic_load(&g_seen));
  char path[256] = "", err[512] = "";
  assert_true(tk_savepoint(c, NULL, false, path, sizeof path, err, sizeof err) < 0);
  assert_non_null(strstr(err, "state.savepoints.dir"));
  assert_int_equal(atomic_load(&ev.savepoints), 0);
  tk_gate_open(&g_gate);
  spate_job_result *r = tk_wait(c, "no-dir");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED); /* the job ran on */
  int64_t want[KEYS], got[KEYS];
  expected_counts(want);
  counts_of(r, got);
  assert_memory_equal(got, want, sizeof want);
  spate_job_result_free(r);
  spate_env_free(env);
}

/* A savepoint at parallelism 1 after the first batch, restored at 2: the one split goes to one
 * subtask, the other has none and finishes at once. A checkpoint then, once the first emitted
 * its first batch, records the other as finished. Restored at 3 and at 1, the job counts exactly
 * the records after that checkpoint, and every key ends with its full count. */
static void test_rescale_after_a_source_subtask_finished(void **state) {
  char dir[256], sp_dir[300], ck_dir[300];
  tk_mkdtemp(dir, sizeof dir, "spate_sv_");
  snprintf(sp_dir, sizeof sp_dir, "%s/sp", dir);
  snprintf(ck_dir, sizeof ck_dir, "%s/ck", dir);
  static tk_events ev;
  char path[4096], err[512];
  /* 1. parallelism 1: the first batch, then stop with a savepoint */
  atomic_store(&g_seen, 0);
  atomic_store(&g_hold_at, -1);
  job_opts a = {.parallelism = 1, .gated = true};
  spate_env *env = build(&a);
  spate_job_client *c = submit(env, &ev, "one subtask");
  TK_AWAIT(atomic_load(&g_seen) == BATCH && tk_all_running(&ev),
           "the first batch counted (%lld of %d)", (long long)atomic_load(&g_seen), BATCH);
  if (tk_savepoint(c, sp_dir, true, path, sizeof path, err, sizeof err) < 0)
    fail_msg("stop with savepoint: %s", err);
  spate_job_result *r = tk_wait(c, "one subtask");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  spate_job_result_free(r);
  spate_env_free(env);
  /* 2. parallelism 2 from it: source subtask 1 finishes, subtask 0 emits BATCH / 2 and waits;
   * a checkpoint then */
  atomic_store(&g_seen, 0);
  job_opts b = {.parallelism = 2, .gated = true, .restore = path, .checkpoint_dir = ck_dir};
  env = build(&b);
  c = submit(env, &ev, "one subtask finished");
  TK_AWAIT(atomic_load(&g_seen) == BATCH / 2 &&
               (tk_task_is(&ev, 0, 0, "FINISHED") != tk_task_is(&ev, 0, 1, "FINISHED")) &&
               (tk_task_is(&ev, 0, 0, "RUNNING") != tk_task_is(&ev, 0, 1, "RUNNING")) &&
               tk_task_is(&ev, 1, 0, "RUNNING") && tk_task_is(&ev, 1, 1, "RUNNING"),
           "one source subtask finished (%s, %s) and the other's first batch counted (%lld of %d)",
           ev.task_state[0], ev.task_state[1], (long long)atomic_load(&g_seen), BATCH / 2);
  int64_t id;
  if (tk_checkpoint(c, &id, err, sizeof err) < 0) fail_msg("checkpoint: %s", err);
  spate_job_client_cancel(c); /* the checkpoint is retained */
  char ck[4200];
  snprintf(ck, sizeof ck, "%s/%s/chk-%lld", ck_dir, spate_job_client_id(c), (long long)id);
  r = tk_wait(c, "one subtask finished");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_CANCELED);
  spate_job_result_free(r);
  spate_env_free(env);
  /* 3. from that checkpoint at 3 and at 1 */
  int64_t want[KEYS], got[KEYS];
  expected_counts(want);
  for (int p = 3; p >= 1; p -= 2) {
    job_opts o = {.parallelism = p, .restore = ck};
    r = run_restored(&o);
    if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
      fail_msg("restore at %d failed: %s", p, spate_job_result_error(r));
    counts_of(r, got);
    for (int k = 0; k < KEYS; k++)
      if (got[k] != want[k])
        fail_msg("p=%d key %d: %lld, want %lld", p, k, (long long)got[k], (long long)want[k]);
    assert_int_equal(atomic_load(&g_seen), N - BATCH - BATCH / 2); /* each record once */
    spate_job_result_free(r);
  }
  tk_rm_rf(dir);
}

/* Replaces the channel state in the state file of subtask 0 of the vertex headed by `uid` in
 * the checkpoint at dir with chan[len] (a valid file: checksummed, the metadata updated), as a
 * buggy or hostile writer could. */
static void set_channel_state(const char *dir, const char *uid, const void *chan, size_t len) {
  ckpt_metadata m;
  char err[1024];
  if (ckpt_read_metadata(dir, &m, err, sizeof err) < 0) fail_msg("%s", err);
  bool done = false;
  for (int i = 0; i < m.nfiles && !done; i++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, m.files[i].name);
    uint8_t *payload;
    size_t plen;
    if (ckpt_read_file(path, CKPT_STATE_MAGIC, &payload, &plen, NULL, err, sizeof err) < 0)
      fail_msg("%s", err);
    snap_task t;
    if (snap_task_decode(payload, plen, &t, err, sizeof err) < 0) fail_msg("%s", err);
    if (m.files[i].subtask == 0 && t.nops > 0 && strcmp(t.ops[0].uid, uid) == 0) {
      sp_writer w; /* the payload again (state/snapshot.h), with the new channel state */
      sp_writer_init(&w);
      sp_put_u32(&w, SNAP_TASK_MAGIC);
      sp_put_u32(&w, 1);
      sp_put_i32(&w, t.parallelism);
      sp_put_u32(&w, (uint32_t)t.nops);
      for (int k = 0; k < t.nops; k++) {
        sp_put_str(&w, t.ops[k].uid);
        sp_put_i32(&w, t.ops[k].max_parallelism);
        sp_put_blob(&w, t.ops[k].section.data, t.ops[k].section.len);
      }
      sp_put_blob(&w, chan, len);
      assert_false(w.failed);
      if (ckpt_write_file(dir, m.files[i].name, CKPT_STATE_MAGIC, w.data, w.len,
                          &m.files[i].checksum, err, sizeof err) < 0)
        fail_msg("%s", err);
      m.files[i].length = w.len;
      sp_writer_free(&w);
      done = true;
    }
    snap_task_free(&t);
    sp_free(payload);
  }
  assert_true(done);
  if (ckpt_write_metadata(dir, &m, err, sizeof err) < 0) fail_msg("%s", err);
  ckpt_metadata_free(&m);
}

static void test_malformed_channel_state(void **state) {
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_sv_");
  char path[4096];
  spate_job_client *c = start_and_savepoint(dir, true, path, sizeof path);
  spate_job_result *r = tk_wait(c, "savepoints");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  spate_job_result_free(r);
  /* one in-flight record for input gate 0: its timestamp, then 4 bytes where a row of
   * (k BIGINT, ts BIGINT) needs 24 */
  sp_writer chan;
  sp_writer_init(&chan);
  sp_put_u32(&chan, 0);
  sp_put_u32(&chan, 12);
  sp_put_i64(&chan, 5);
  sp_put_u32(&chan, 0);
  set_channel_state(path, "counter", chan.data, chan.len);
  sp_writer_free(&chan);

  job_opts o = {.parallelism = 2, .restore = path};
  r = run_restored(&o);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  const char *error = spate_job_result_error(r);
  if (!strstr(error, "channel state") || !strstr(error, "record 0"))
    fail_msg("unexpected error: %s", error);
  spate_job_result_free(r);
  tk_rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rescale_from_savepoint),
      cmocka_unit_test(test_malformed_channel_state),
      cmocka_unit_test(test_stop_with_savepoint),
      cmocka_unit_test(test_savepoint_without_directory),
      cmocka_unit_test(test_rescale_after_a_source_subtask_finished),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
