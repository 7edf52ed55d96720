/*
 * test_two_phase_sink.c: the two-phase-commit engine (operators/two_phase_sink.c) and the
 * exactly-once file sink on it (connectors/file_sink.c), each operator driven directly: records
 * in, then snapshot / notify_complete / notify_aborted / restore / end_input / close called as
 * the task would, with state encoded and redistributed by state/snapshot.c on the way.
 *
 * The user two-phase sink under test (tp_* UDFs) writes each transaction to a hidden temporary
 * file ".txn-<n>.tmp" in a temp directory and commits by renaming it to "txn-<n>", so what is
 * visible is what is committed. The file sink writes real part files; time-based rolling is
 * driven through the processing-time callback it schedules (harness timers), never by sleeping.
 * UDFs have external linkage (the program is linked with -rdynamic) and a tp_ prefix.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "harness.h"
#include "operators/two_phase_sink.h"
#include "state/snapshot.h"

/* ---- temp directory ------------------------------------------------------------------------- */
static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  return remove(path);
}

static int setup_dir(void **state) {
  strcpy(tmpdir, "/tmp/spate_2pc_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state) { return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static bool exists(const char *dir, const char *name) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  struct stat st;
  return stat(p, &st) == 0;
}

static char *read_file(const char *dir, const char *name) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "rb");
  if (!f) fail_msg("cannot open %s: %s", p, strerror(errno));
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, m);
  fclose(f);
  fclose(m);
  return buf;
}

/* Names in dir that start with prefix, sorted (at most max). */
static int list(const char *dir, const char *prefix, char names[][256], int max) {
  DIR *d = opendir(dir);
  if (!d) fail_msg("cannot open directory %s: %s", dir, strerror(errno));
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
    if (n == max) fail_msg("more than %d entries in %s", max, dir);
    snprintf(names[n++], 256, "%s", e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
  return n;
}

/* ---- driving an operator --------------------------------------------------------------------- */
/* Opens subtask 0 of 1 of `sink` as a task would: fresh (state NULL), or from an encoded
 * snapshot (take_snapshot), restore then running after open and before any record. Returns 0
 * or the first error (h->err says why). */
static int open_sink(harness *h, spate_env *env, spate_stream *sink, const sp_writer *state) {
  if (spate_env_error(env)) fail_msg("%s", spate_env_error(env));
  snap_section sec = {state ? state->data : NULL, state ? state->len : 0};
  return harness_open_restored(h, env, sink, 0, &sec, state ? 1 : 0);
}

/* The snapshot of checkpoint id, encoded as a task stores it (into a fresh writer). */
static int take_snapshot(harness *h, int64_t id, sp_writer *out) {
  sp_writer_init(out);
  return harness_snapshot(h, id, out);
}

static int complete(harness *h, int64_t id) { return h->op->vt->notify_complete(h->op, id); }
static int aborted(harness *h, int64_t id) { return h->op->vt->notify_aborted(h->op, id); }
static int end_input(harness *h) { return h->op->vt->end_input(h->op); }

/* Feeds the BIGINT rows from..to. */
static void feed(harness *h, int64_t from, int64_t to) {
  spate_row_builder *b = spate_rb_new(h->op->in_schema);
  for (int64_t v = from; v <= to; v++) {
    spate_rb_begin(b);
    spate_rb_set_bigint(b, 0, v);
    spate_row r;
    assert_int_equal(spate_rb_finish(b, &r), 0);
    if (harness_element(h, 0, 0, &r) < 0) fail_msg("record %lld: %s", (long long)v, h->err);
  }
  spate_rb_free(b);
}

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 1);
  return env;
}

/* ---- the user two-phase sink ----------------------------------------------------------------- */
static int tp_next;       /* transaction counter */
static char tp_log[1024]; /* "begin txn-1,commit txn-1,..." */
static bool tp_fail_commit;

static void tp_note(const char *what, const spate_txn *txn) {
  size_t len;
  const char *id = spate_txn_id(txn, &len);
  size_t at = strlen(tp_log);
  snprintf(tp_log + at, sizeof tp_log - at, "%s%s %.*s%s", at ? "," : "", what, (int)len,
           id ? id : "", spate_txn_handle(txn) ? "" : " (no handle)");
}

static void tp_paths(spate_ctx *ctx, const spate_txn *txn, char *tmp, char *fin) {
  size_t len;
  const char *id = spate_txn_id(txn, &len);
  const char *dir = spate_ctx_arg(ctx, NULL);
  snprintf(tmp, 512, "%s/.%.*s.tmp", dir, (int)len, id);
  snprintf(fin, 512, "%s/%.*s", dir, (int)len, id);
}

int tp_begin(spate_ctx *ctx, spate_txn *txn);
int tp_begin(spate_ctx *ctx, spate_txn *txn) {
  char name[32], tmp[512], fin[512];
  snprintf(name, sizeof name, "txn-%d", ++tp_next);
  if (spate_txn_set_id(txn, name, strlen(name)) < 0) return SPATE_ENOMEM;
  tp_paths(ctx, txn, tmp, fin);
  FILE *f = fopen(tmp, "wx");
  if (!f) return spate_ctx_fail(ctx, "cannot create %s: %s", tmp, strerror(errno));
  spate_txn_set_handle(txn, f);
  tp_note("begin", txn);
  return 0;
}

int tp_invoke(spate_ctx *ctx, spate_txn *txn, const spate_row *in);
int tp_invoke(spate_ctx *ctx, spate_txn *txn, const spate_row *in) {
  fprintf(spate_txn_handle(txn), "%lld\n", (long long)spate_row_bigint(in, 0));
  return 0;
}

int tp_pre_commit(spate_ctx *ctx, spate_txn *txn);
int tp_pre_commit(spate_ctx *ctx, spate_txn *txn) {
  FILE *f = spate_txn_handle(txn);
  tp_note("pre-commit", txn);
  int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
  if (fclose(f) != 0) bad = 1;
  spate_txn_set_handle(txn, NULL); /* commit works from the id alone */
  return bad ? spate_ctx_fail(ctx, "pre-commit: %s", strerror(errno)) : 0;
}

int tp_commit(spate_ctx *ctx, spate_txn *txn);
int tp_commit(spate_ctx *ctx, spate_txn *txn) {
  tp_note("commit", txn);
  if (tp_fail_commit) return spate_ctx_fail(ctx, "injected commit failure");
  char tmp[512], fin[512];
  tp_paths(ctx, txn, tmp, fin);
  struct stat st;
  if (rename(tmp, fin) < 0 && !(errno == ENOENT && stat(fin, &st) == 0))
    return spate_ctx_fail(ctx, "cannot commit %s: %s", tmp, strerror(errno));
  return 0;
}

int tp_abort(spate_ctx *ctx, spate_txn *txn);
int tp_abort(spate_ctx *ctx, spate_txn *txn) {
  tp_note("abort", txn);
  if (spate_txn_handle(txn)) fclose(spate_txn_handle(txn));
  char tmp[512], fin[512];
  tp_paths(ctx, txn, tmp, fin);
  unlink(tmp);
  return 0;
}

/* A user open and close around the transactions (order check). */
int tp_open(spate_ctx *ctx, void **user);
int tp_open(spate_ctx *ctx, void **user) {
  strcat(tp_log, tp_log[0] ? ",open" : "open");
  *user = tp_log;
  return 0;
}
void tp_close(spate_ctx *ctx, void *user);
void tp_close(spate_ctx *ctx, void *user) { strcat(user, ",close"); }

static spate_stream *tp_job(spate_env *env) {
  tp_next = 0;
  tp_log[0] = 0;
  tp_fail_commit = false;
  spate_stream *src = spate_from_sequence(env, 1, 100);
  spate_stream *sink =
      spate_sink_two_phase(src, tp_begin, tp_invoke, tp_pre_commit, tp_commit, tp_abort);
  return spate_udf_arg(sink, tmpdir, strlen(tmpdir) + 1);
}

static void expect_file(const char *name, const char *content) {
  if (!exists(tmpdir, name)) fail_msg("%s is not there", name);
  char *got = read_file(tmpdir, name);
  assert_string_equal(got, content);
  free(got);
}

static void test_commit_on_notify(void **state) {
  spate_env *env = new_env();
  spate_stream *sink = tp_job(env);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  feed(&h, 1, 2);
  sp_writer s1;
  assert_int_equal(take_snapshot(&h, 1, &s1), 0);
  /* pre-committed: durable, closed, invisible */
  assert_true(exists(tmpdir, ".txn-1.tmp"));
  assert_false(exists(tmpdir, "txn-1"));
  feed(&h, 3, 3);
  assert_int_equal(complete(&h, 1), 0);
  expect_file("txn-1", "1\n2\n");
  assert_false(exists(tmpdir, "txn-2")); /* data after the checkpoint stays in the open txn */
  sp_writer s2;
  assert_int_equal(take_snapshot(&h, 2, &s2), 0);
  assert_int_equal(complete(&h, 2), 0);
  expect_file("txn-2", "3\n");
  assert_string_equal(tp_log,
                      "begin txn-1,pre-commit txn-1,begin txn-2,commit txn-1 (no handle),"
                      "pre-commit txn-2,begin txn-3,commit txn-2 (no handle)");
  tp_log[0] = 0;
  harness_close(&h); /* aborts the open (empty) transaction */
  assert_string_equal(tp_log, "abort txn-3");
  assert_false(exists(tmpdir, ".txn-3.tmp"));
  sp_writer_free(&s1);
  sp_writer_free(&s2);
  spate_env_free(env);
}

/* A completion for a checkpoint this sink holds nothing of (a fresh attempt told of one its
 * predecessor took, as a TaskManager that re-registered after a partition was) commits nothing
 * and keeps the open transaction. It crashed under UBSan: memmove of the empty pending array. */
static void test_notify_without_pending(void **state) {
  spate_env *env = new_env();
  spate_stream *sink = tp_job(env);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  assert_int_equal(complete(&h, 7), 0);
  feed(&h, 1, 2);
  assert_int_equal(complete(&h, 8), 0);
  assert_false(exists(tmpdir, "txn-1"));
  sp_writer s1;
  assert_int_equal(take_snapshot(&h, 9, &s1), 0);
  assert_int_equal(complete(&h, 9), 0);
  expect_file("txn-1", "1\n2\n");
  harness_close(&h);
  sp_writer_free(&s1);
  spate_env_free(env);
}

static void test_aborted_checkpoint_commits_later(void **state) {
  spate_env *env = new_env();
  spate_stream *sink = tp_job(env);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  feed(&h, 1, 1);
  sp_writer s1, s2;
  assert_int_equal(take_snapshot(&h, 1, &s1), 0);
  feed(&h, 2, 2);
  assert_int_equal(take_snapshot(&h, 2, &s2), 0);
  assert_int_equal(aborted(&h, 1), 0);
  assert_false(exists(tmpdir, "txn-1"));
  assert_true(exists(tmpdir, ".txn-1.tmp")); /* still pending */
  tp_log[0] = 0;
  assert_int_equal(complete(&h, 2), 0);
  assert_string_equal(tp_log, "commit txn-1 (no handle),commit txn-2 (no handle)"); /* in order */
  expect_file("txn-1", "1\n");
  expect_file("txn-2", "2\n");
  /* an older notification after that commits nothing twice */
  tp_log[0] = 0;
  assert_int_equal(complete(&h, 1), 0);
  assert_string_equal(tp_log, "");
  harness_close(&h);
  sp_writer_free(&s1);
  sp_writer_free(&s2);
  spate_env_free(env);
}

/* A failed attempt: two checkpoints taken, none notified, more data, then the task fails. The
 * next attempt starts from checkpoint 2: it commits both pending transactions (with no
 * handle), aborts the transaction that was open at checkpoint 2, and only then takes data. */
static void test_restore_commits_pending_aborts_current(void **state) {
  spate_env *env = new_env();
  spate_stream *sink = tp_job(env);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  feed(&h, 1, 2);
  sp_writer s1, s2;
  assert_int_equal(take_snapshot(&h, 1, &s1), 0);
  feed(&h, 3, 3);
  assert_int_equal(take_snapshot(&h, 2, &s2), 0);
  feed(&h, 4, 5); /* into txn-3, never covered by a checkpoint */
  tp_log[0] = 0;
  harness_close(&h); /* failure: the open transaction is aborted, the pending ones are kept */
  assert_string_equal(tp_log, "abort txn-3");
  assert_true(exists(tmpdir, ".txn-1.tmp"));
  assert_true(exists(tmpdir, ".txn-2.tmp"));
  assert_false(exists(tmpdir, ".txn-3.tmp"));
  /* as if the process had died before aborting it: the restore must drop it */
  char path[512];
  snprintf(path, sizeof path, "%s/.txn-3.tmp", tmpdir);
  FILE *left = fopen(path, "w");
  assert_non_null(left);
  fputs("4\n5\n", left);
  fclose(left);

  tp_log[0] = 0;
  assert_int_equal(open_sink(&h, env, sink, &s2), 0);
  assert_string_equal(tp_log,
                      "commit txn-1 (no handle),commit txn-2 (no handle),"
                      "abort txn-3 (no handle),begin txn-4");
  expect_file("txn-1", "1\n2\n");
  expect_file("txn-2", "3\n");
  assert_false(exists(tmpdir, ".txn-3.tmp"));
  assert_false(exists(tmpdir, "txn-3"));
  feed(&h, 6, 6);
  assert_int_equal(end_input(&h), 0);
  expect_file("txn-4", "6\n");
  harness_close(&h);

  /* idempotent: a second recovery from the same checkpoint commits again without harm */
  tp_log[0] = 0;
  assert_int_equal(open_sink(&h, env, sink, &s2), 0);
  assert_string_equal(tp_log,
                      "commit txn-1 (no handle),commit txn-2 (no handle),"
                      "abort txn-3 (no handle),begin txn-5");
  expect_file("txn-1", "1\n2\n");
  expect_file("txn-2", "3\n");
  harness_close(&h);
  sp_writer_free(&s1);
  sp_writer_free(&s2);
  spate_env_free(env);
}

static void test_end_input_commits_everything(void **state) {
  spate_env *env = new_env();
  spate_stream *sink = tp_job(env);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  feed(&h, 1, 1);
  sp_writer s1;
  assert_int_equal(take_snapshot(&h, 1, &s1), 0);
  feed(&h, 2, 3);
  tp_log[0] = 0;
  assert_int_equal(end_input(&h), 0);
  /* the pending transaction of checkpoint 1 first, then the current one, with no new begin */
  assert_string_equal(tp_log, "pre-commit txn-2,commit txn-1 (no handle),commit txn-2 (no handle)");
  expect_file("txn-1", "1\n");
  expect_file("txn-2", "2\n3\n");
  /* after the end a snapshot stores no transaction */
  sp_writer s2;
  assert_int_equal(take_snapshot(&h, 2, &s2), 0);
  tp_log[0] = 0;
  harness_close(&h);
  assert_string_equal(tp_log, ""); /* nothing left to abort */
  assert_int_equal(open_sink(&h, env, sink, &s2), 0);
  assert_string_equal(tp_log, "begin txn-3");
  harness_close(&h);
  sp_writer_free(&s1);
  sp_writer_free(&s2);
  spate_env_free(env);
}

static void test_user_open_close_around_transactions(void **state) {
  spate_env *env = new_env();
  spate_stream *sink = spate_udf_lifecycle(tp_job(env), tp_open, tp_close);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  feed(&h, 1, 1);
  harness_close(&h);
  /* begin sees what open set up; the abort runs before close tears it down */
  assert_string_equal(tp_log, "open,begin txn-1,abort txn-1,close");
  assert_false(exists(tmpdir, ".txn-1.tmp"));
  spate_env_free(env);
}

static void test_commit_failure_names_sink(void **state) {
  spate_env *env = new_env();
  spate_stream *sink = spate_name(tp_job(env), "Ledger");
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  feed(&h, 1, 1);
  sp_writer s1;
  assert_int_equal(take_snapshot(&h, 1, &s1), 0);
  tp_fail_commit = true;
  assert_int_equal(complete(&h, 1), SPATE_EUDF);
  assert_string_equal(h.err,
                      "'Sink: Ledger' (subtask 1/1): commit function: injected commit failure");
  /* the failed transaction stays pending and commits with the next checkpoint */
  tp_fail_commit = false;
  sp_writer s2;
  assert_int_equal(take_snapshot(&h, 2, &s2), 0);
  assert_int_equal(complete(&h, 2), 0);
  expect_file("txn-1", "1\n");
  harness_close(&h);
  sp_writer_free(&s1);
  sp_writer_free(&s2);
  spate_env_free(env);
}

static void test_corrupt_state_commits_nothing(void **state) {
  spate_env *env = new_env();
  spate_stream *sink = tp_job(env);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  int maxp = h.op->node->max_parallelism;
  snap_writer w;
  assert_int_equal(snap_writer_init(&w, maxp, ks_key_group_range_for(maxp, 1, 0)), 0);
  spate_txn good = {.id = (uint8_t *)"txn-1", .id_len = 5};
  sp_writer e;
  sp_writer_init(&e);
  assert_int_equal(tps_entry_encode(&e, TPS_ENTRY_PENDING, 1, &good), 0);
  assert_int_equal(snap_list_add(&w, TPS_STATE_LIST, SNAP_SPLIT, e.data, (uint32_t)e.len), 0);
  e.data[1] = 7; /* an unknown kind */
  assert_int_equal(snap_list_add(&w, TPS_STATE_LIST, SNAP_SPLIT, e.data, (uint32_t)e.len), 0);
  assert_int_equal(snap_list_add(&w, TPS_STATE_LIST, SNAP_SPLIT, e.data, 3), 0); /* truncated */
  sp_writer enc;
  sp_writer_init(&enc);
  assert_int_equal(snap_encode(&w, &enc), 0);
  snap_writer_free(&w);
  sp_writer_free(&e);
  harness_close(&h);

  tp_log[0] = 0;
  assert_int_equal(open_sink(&h, env, sink, &enc), SPATE_ECORRUPT);
  assert_non_null(strstr(h.err, "entry 1 of state list"));
  assert_non_null(strstr(h.err, "unknown transaction kind 7"));
  assert_string_equal(tp_log, ""); /* not even the good entry was committed */
  harness_close(&h);
  sp_writer_free(&enc);
  spate_env_free(env);
}

static void test_api_checks(void **state) {
  spate_env *env = new_env();
  spate_stream *src = spate_from_sequence(env, 1, 3);
  assert_null(spate_sink_two_phase(src, tp_begin, tp_invoke, NULL, tp_commit, tp_abort));
  assert_non_null(strstr(spate_env_error(env), "all required"));
  spate_env_free(env);
  env = new_env();
  src = spate_from_sequence(env, 1, 3);
  assert_null(spate_sink_file(src, "", NULL));
  assert_non_null(strstr(spate_env_error(env), "no output directory"));
  spate_env_free(env);
  env = new_env();
  src = spate_from_sequence(env, 1, 3);
  spate_file_sink_options o = {.part_prefix = "a/b"};
  assert_null(spate_sink_file(src, tmpdir, &o));
  assert_non_null(strstr(spate_env_error(env), "must not contain '/'"));
  spate_env_free(env);
}

/* ---- the file sink --------------------------------------------------------------------------- */
static spate_stream *file_job(spate_env *env, const char *dir, const spate_file_sink_options *o) {
  return spate_sink_file(spate_from_sequence(env, 1, 100), dir, o);
}

/* Parses "<prefix>-<uuid>-<subtask>-<n><suffix>" (hidden: "." before, ".inprogress" after). */
static bool part_name(const char *name, const char *prefix, const char *suffix, bool hidden,
                      char uuid[37], int *subtask, long *n) {
  size_t lp = strlen(prefix), ls = strlen(suffix), len = strlen(name);
  if (hidden) {
    if (name[0] != '.' || len < 12 || strcmp(name + len - 11, ".inprogress") != 0) return false;
    name++;
    len -= 12;
  }
  if (len < lp + 1 + 36 + 4 + ls || strncmp(name, prefix, lp) != 0 || name[lp] != '-') return false;
  if (strncmp(name + len - ls, suffix, ls) != 0) return false;
  memcpy(uuid, name + lp + 1, 36);
  uuid[36] = 0;
  char rest[64];
  size_t rl = len - ls - (lp + 1 + 36);
  if (rl >= sizeof rest) return false;
  memcpy(rest, name + lp + 1 + 36, rl);
  rest[rl] = 0;
  char extra;
  return sscanf(rest, "-%d-%ld%c", subtask, n, &extra) == 2 && uuid[8] == '-' && uuid[14] == '4';
}

/* The finished parts of a directory concatenated in part order (one attempt: one uuid). */
static char *finished_content(const char *dir, int *nparts) {
  char names[64][256];
  int n = list(dir, "part-", names, 64);
  long order[64];
  char uuid[37], first[37] = "";
  for (int i = 0; i < n; i++) {
    int sub;
    if (!part_name(names[i], "part", "", false, uuid, &sub, &order[i]))
      fail_msg("unexpected file %s", names[i]);
    assert_int_equal(sub, 0);
    if (!first[0]) strcpy(first, uuid);
    assert_string_equal(uuid, first);
  }
  char *out = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&out, &len);
  for (long k = 0; k < 1000; k++)
    for (int i = 0; i < n; i++)
      if (order[i] == k) {
        char *c = read_file(dir, names[i]);
        fputs(c, m);
        free(c);
      }
  fclose(m);
  if (nparts) *nparts = n;
  return out;
}

/* The lines of every finished part in dir, sorted numerically, as "1,2,3". */
static void finished_lines(const char *dir, char *out, size_t cap) {
  char names[64][256];
  int n = list(dir, "part-", names, 64);
  long v[1024];
  int nv = 0;
  for (int i = 0; i < n; i++) {
    char *c = read_file(dir, names[i]);
    for (char *p = strtok(c, "\n"); p; p = strtok(NULL, "\n")) v[nv++] = atol(p);
    free(c);
  }
  for (int i = 1; i < nv; i++) /* insertion sort: small */
    for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
      long t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  out[0] = 0;
  for (int i = 0; i < nv; i++)
    snprintf(out + strlen(out), cap - strlen(out), "%s%ld", i ? "," : "", v[i]);
}

static int count(const char *dir, const char *prefix) {
  char names[64][256];
  return list(dir, prefix, names, 64);
}

static const spate_file_sink_options flat = {.bucket_format = ""};

static void test_file_roll_by_size(void **state) {
  spate_env *env = new_env();
  spate_file_sink_options o = flat;
  o.max_part_size = 10; /* "1\n".."9\n" are 2 bytes: five lines a part */
  harness h;
  assert_int_equal(open_sink(&h, env, file_job(env, tmpdir, &o), NULL), 0);
  assert_int_equal(count(tmpdir, ""), 0); /* parts are created by the first record */
  feed(&h, 1, 9);
  assert_int_equal(count(tmpdir, ".part-"), 2); /* one rolled (closed), one open */
  assert_int_equal(count(tmpdir, "part-"), 0);
  feed(&h, 10, 12); /* 3 bytes each: the second part rolls after 10 */
  assert_int_equal(end_input(&h), 0);
  int n;
  char *c = finished_content(tmpdir, &n);
  assert_string_equal(c, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n");
  assert_int_equal(n, 3);
  assert_int_equal(count(tmpdir, "."), 0); /* no hidden file left */
  free(c);
  harness_close(&h);
  spate_env_free(env);
}

/* Time-based rolling is checked by the processing-time callback the sink schedules every
 * second; parts take their times from the harness's clock, which the tests move. */
static void test_file_roll_by_inactivity(void **state) {
  spate_env *env = new_env();
  spate_file_sink_options o = flat;
  o.rollover_interval_ms = 3600 * 1000;
  o.inactivity_interval_ms = 3000;
  harness h;
  assert_int_equal(open_sink(&h, env, file_job(env, tmpdir, &o), NULL), 0);
  int64_t t0 = HARNESS_T0;
  assert_int_equal(h.ntimers, 1); /* the bucket check, a second from now */
  assert_int_equal(h.timers[0].due, t0 + 1000);
  feed(&h, 1, 2);                                              /* written at t0 */
  assert_int_equal(harness_processing_time(&h, t0 + 2000), 0); /* written 2 s ago */
  assert_int_equal(h.ntimers, 1);                              /* and it comes back */
  assert_int_equal(h.timers[0].due, t0 + 3000);
  feed(&h, 3, 3); /* written at t0 + 2000 */
  assert_int_equal(count(tmpdir, ".part-"), 1);
  assert_int_equal(harness_processing_time(&h, t0 + 4999), 0); /* idle for 2999 ms */
  feed(&h, 4, 4);
  assert_int_equal(count(tmpdir, ".part-"), 1); /* still the same part: written at t0 + 4999 */
  assert_int_equal(harness_processing_time(&h, t0 + 7999), 0); /* idle for 3 s */
  assert_int_equal(count(tmpdir, ".part-"), 1);                /* closed, not yet committed */
  feed(&h, 5, 5);
  assert_int_equal(count(tmpdir, ".part-"), 2); /* a new part */
  assert_int_equal(end_input(&h), 0);
  int n;
  char *c = finished_content(tmpdir, &n);
  assert_string_equal(c, "1\n2\n3\n4\n5\n");
  assert_int_equal(n, 2);
  free(c);
  harness_close(&h);
  spate_env_free(env);
}

static void test_file_roll_by_age(void **state) {
  spate_env *env = new_env();
  spate_file_sink_options o = flat;
  o.rollover_interval_ms = 5000;
  o.inactivity_interval_ms = 3600 * 1000;
  harness h;
  assert_int_equal(open_sink(&h, env, file_job(env, tmpdir, &o), NULL), 0);
  int64_t t0 = HARNESS_T0;
  feed(&h, 1, 1);                                              /* the part is created at t0 */
  assert_int_equal(harness_processing_time(&h, t0 + 4999), 0); /* younger than 5 s */
  feed(&h, 2, 2);
  assert_int_equal(count(tmpdir, ".part-"), 1);
  /* the next check (a second after the last) finds it more than 5 s old, although it was written
   * to just now */
  assert_int_equal(h.timers[0].due, t0 + 5999);
  assert_int_equal(harness_processing_time(&h, t0 + 5999), 0);
  feed(&h, 3, 3);
  assert_int_equal(count(tmpdir, ".part-"), 2);
  assert_int_equal(end_input(&h), 0);
  int n;
  char *c = finished_content(tmpdir, &n);
  assert_string_equal(c, "1\n2\n3\n");
  assert_int_equal(n, 2);
  free(c);
  harness_close(&h);
  spate_env_free(env);
}

static void test_file_buckets(void **state) {
  spate_env *env = new_env();
  spate_file_sink_options o = {
      .bucket_format = "y%Y/m%m", .part_prefix = "out", .part_suffix = ".txt"};
  harness h;
  assert_int_equal(open_sink(&h, env, file_job(env, tmpdir, &o), NULL), 0);
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  char bucket[64], dir[600];
  strftime(bucket, sizeof bucket, "y%Y/m%m", &tm);
  feed(&h, 1, 3);
  assert_int_equal(end_input(&h), 0);
  snprintf(dir, sizeof dir, "%s/%s", tmpdir, bucket);
  char names[4][256];
  if (count(tmpdir, "y") == 1 && exists(tmpdir, bucket)) { /* not at midnight on New Year's Eve */
    assert_int_equal(list(dir, "", names, 4), 1);
    char uuid[37];
    int sub;
    long n;
    assert_true(part_name(names[0], "out", ".txt", false, uuid, &sub, &n));
    assert_int_equal(n, 0);
    char *c = read_file(dir, names[0]);
    assert_string_equal(c, "1\n2\n3\n");
    free(c);
  }
  harness_close(&h);
  spate_env_free(env);
}

static void test_file_default_bucket(void **state) {
  spate_env *env = new_env();
  harness h;
  assert_int_equal(open_sink(&h, env, file_job(env, tmpdir, NULL), NULL), 0);
  feed(&h, 1, 1);
  char names[4][256];
  assert_int_equal(list(tmpdir, "", names, 4), 1);
  int y, mo, d, hr;
  char extra;
  assert_int_equal(sscanf(names[0], "%4d-%2d-%2d--%2d%c", &y, &mo, &d, &hr, &extra), 4);
  char dir[600];
  snprintf(dir, sizeof dir, "%s/%s", tmpdir, names[0]);
  char uuid[37];
  int sub;
  long n;
  assert_int_equal(list(dir, "", names, 4), 1);
  assert_true(part_name(names[0], "part", "", true, uuid, &sub, &n));
  harness_close(&h); /* failure: the open part is deleted */
  assert_int_equal(count(dir, ""), 0);
  spate_env_free(env);
}

/* A failure (close without a notification) publishes nothing: only hidden files remain, and
 * only those of the pending transaction. */
static void test_file_failure_leaves_hidden_files(void **state) {
  spate_env *env = new_env();
  harness h;
  assert_int_equal(open_sink(&h, env, file_job(env, tmpdir, &flat), NULL), 0);
  feed(&h, 1, 3);
  sp_writer s1;
  assert_int_equal(take_snapshot(&h, 1, &s1), 0);
  feed(&h, 4, 5);
  assert_int_equal(count(tmpdir, ".part-"), 2);
  harness_close(&h);
  char names[4][256];
  assert_int_equal(list(tmpdir, "", names, 4), 1);
  char uuid[37];
  int sub;
  long n;
  assert_true(part_name(names[0], "part", "", true, uuid, &sub, &n));
  assert_int_equal(n, 0);
  char *c = read_file(tmpdir, names[0]);
  assert_string_equal(c, "1\n2\n3\n"); /* complete and closed: pending */
  free(c);
  sp_writer_free(&s1);
  spate_env_free(env);
}

/* Restoring publishes exactly what the checkpoint covered; again idempotently; and a pending
 * part that vanished fails with a message saying so. */
static void test_file_restore_publishes_checkpoint(void **state) {
  spate_env *env = new_env();
  spate_file_sink_options o = flat;
  o.max_part_size = 4; /* two parts in checkpoint 1: 1,2 and 3 */
  spate_stream *sink = file_job(env, tmpdir, &o);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  feed(&h, 1, 3);
  sp_writer s1;
  assert_int_equal(take_snapshot(&h, 1, &s1), 0);
  feed(&h, 4, 5);
  harness_close(&h); /* failure before checkpoint 1 was confirmed */
  char lines[256];
  finished_lines(tmpdir, lines, sizeof lines);
  assert_string_equal(lines, "");

  assert_int_equal(open_sink(&h, env, sink, &s1), 0);
  finished_lines(tmpdir, lines, sizeof lines);
  assert_string_equal(lines, "1,2,3");
  assert_int_equal(count(tmpdir, "."), 0);
  feed(&h, 6, 7);
  sp_writer s2;
  assert_int_equal(take_snapshot(&h, 2, &s2), 0);
  assert_int_equal(complete(&h, 2), 0);
  finished_lines(tmpdir, lines, sizeof lines);
  assert_string_equal(lines, "1,2,3,6,7");
  harness_close(&h);

  /* the same checkpoint again: its parts are finished already */
  assert_int_equal(open_sink(&h, env, sink, &s1), 0);
  harness_close(&h);
  finished_lines(tmpdir, lines, sizeof lines);
  assert_string_equal(lines, "1,2,3,6,7");
  assert_int_equal(count(tmpdir, "part-"), 3);

  /* a part of checkpoint 1 deleted behind the sink's back: both names gone */
  char names[8][256];
  int n = list(tmpdir, "part-", names, 8);
  for (int i = 0; i < n; i++) {
    char p[2400], *c = read_file(tmpdir, names[i]);
    snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
    if (strcmp(c, "3\n") == 0) unlink(p);
    free(c);
  }
  assert_int_equal(open_sink(&h, env, sink, &s1), SPATE_EIO);
  assert_non_null(strstr(h.err, "'Sink: File Sink' (subtask 1/1): cannot commit part file"));
  assert_non_null(strstr(h.err, "neither it nor the finished file"));
  harness_close(&h);
  sp_writer_free(&s1);
  sp_writer_free(&s2);
  spate_env_free(env);
}

static void test_file_rows_formatted_like_print(void **state) {
  spate_env *env = new_env();
  const spate_schema *s = spate_env_schema(env, "k BIGINT, name STRING, x DOUBLE");
  spate_row_builder *b = spate_rb_new(s);
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 0, 7);
  spate_rb_set_string(b, 1, "seven", 5);
  spate_rb_set_double(b, 2, 0.5);
  spate_row r, copy;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_int_equal(spate_row_copy(&r, &copy), 0);
  spate_stream *sink = spate_sink_file(spate_from_rows(env, s, &copy, 1), tmpdir, &flat);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  assert_int_equal(harness_element(&h, 0, 0, &copy), 0);
  assert_int_equal(end_input(&h), 0);
  char expect[128];
  size_t n = spate_row_format(&copy, s, expect, sizeof expect - 1);
  strcpy(expect + n, "\n");
  char *c = finished_content(tmpdir, NULL);
  assert_string_equal(c, expect);
  assert_string_equal(c, "(7,seven,0.5)\n");
  free(c);
  harness_close(&h);
  spate_row_free(&copy);
  spate_rb_free(b);
  spate_env_free(env);
}

/* A full disk (here: the file size limit) fails with a message naming the part file, and
 * publishes nothing. */
static void test_file_write_error_names_file(void **state) {
  spate_env *env = new_env();
  harness h;
  assert_int_equal(open_sink(&h, env, file_job(env, tmpdir, &flat), NULL), 0);
  struct rlimit old, small;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
  small = old;
  small.rlim_cur = 100;
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  feed(&h, 1000, 1100); /* 505 bytes, buffered */
  int rc = end_input(&h);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, prev);
  assert_int_equal(rc, SPATE_EIO);
  assert_non_null(strstr(h.err, "writing part file '"));
  assert_non_null(strstr(h.err, ".inprogress' failed: File too large"));
  harness_close(&h);
  assert_int_equal(count(tmpdir, ""), 0);
  spate_env_free(env);
}

/* A transaction id that is not a part list fails the restore and names the problem. */
static void test_file_corrupt_transaction(void **state) {
  spate_env *env = new_env();
  spate_stream *sink = file_job(env, tmpdir, &flat);
  harness h;
  assert_int_equal(open_sink(&h, env, sink, NULL), 0);
  int maxp = h.op->node->max_parallelism;
  harness_close(&h);
  snap_writer w;
  assert_int_equal(snap_writer_init(&w, maxp, ks_key_group_range_for(maxp, 1, 0)), 0);
  spate_txn bad = {.id = (uint8_t *)"\x01\x01\0\0\0\xff\xff\xff\xff", .id_len = 9};
  sp_writer e;
  sp_writer_init(&e);
  assert_int_equal(tps_entry_encode(&e, TPS_ENTRY_PENDING, 1, &bad), 0);
  assert_int_equal(snap_list_add(&w, TPS_STATE_LIST, SNAP_SPLIT, e.data, (uint32_t)e.len), 0);
  sp_writer enc;
  sp_writer_init(&enc);
  assert_int_equal(snap_encode(&w, &enc), 0);
  snap_writer_free(&w);
  sp_writer_free(&e);
  assert_int_equal(open_sink(&h, env, sink, &enc), SPATE_ECORRUPT);
  assert_non_null(strstr(h.err, "cannot commit: the transaction's part list is corrupt"));
  harness_close(&h);
  sp_writer_free(&enc);
  spate_env_free(env);
}

/* Every allocation of writing, rolling, a checkpoint, its commit and the end of input fails
 * in turn: the sink reports SPATE_ENOMEM (never a crash or another error) and closing it
 * releases everything. */
static void test_file_allocation_failures(void **state) {
  bool succeeded = false;
  int64_t n;
  for (n = 1; n < 1000 && !succeeded; n++) {
    int64_t before = sp_alloc_current();
    spate_env *env = new_env();
    spate_file_sink_options o = flat;
    o.max_part_size = 6; /* three lines a part */
    harness h;
    assert_int_equal(open_sink(&h, env, file_job(env, tmpdir, &o), NULL), 0);
    spate_row rows[8];
    spate_row_builder *b = spate_rb_new(h.op->in_schema);
    for (int i = 0; i < 8; i++) {
      spate_rb_begin(b);
      spate_rb_set_bigint(b, 0, i + 1);
      spate_row r;
      assert_int_equal(spate_rb_finish(b, &r), 0);
      assert_int_equal(spate_row_copy(&r, &rows[i]), 0);
    }
    sp_writer s1;
    sp_writer_init(&s1);
    sp_alloc_fail_after(n, 1);
    int rc = 0;
    for (int i = 0; rc == 0 && i < 5; i++) rc = harness_element(&h, 0, 0, &rows[i]);
    if (rc == 0) rc = harness_snapshot(&h, 1, &s1);
    if (rc == 0) rc = complete(&h, 1);
    for (int i = 5; rc == 0 && i < 8; i++) rc = harness_element(&h, 0, 0, &rows[i]);
    if (rc == 0) rc = end_input(&h);
    sp_alloc_fail_after(0, 0);
    if (rc == 0)
      succeeded = true;
    else if (rc != SPATE_ENOMEM)
      fail_msg("allocation %lld: %s (%s)", (long long)n, spate_strerror(rc), h.err);
    harness_close(&h);
    sp_writer_free(&s1);
    for (int i = 0; i < 8; i++) spate_row_free(&rows[i]);
    spate_rb_free(b);
    spate_env_free(env);
    assert_int_equal(sp_alloc_current(), before);
  }
  assert_true(succeeded);
  assert_true(n > 10); /* the loop did go through failures */
}

int main(void) {
#define T(t) cmocka_unit_test_setup_teardown(t, setup_dir, teardown_dir)
  const struct CMUnitTest tests[] = {
      T(test_commit_on_notify),
      T(test_notify_without_pending),
      T(test_aborted_checkpoint_commits_later),
      T(test_restore_commits_pending_aborts_current),
      T(test_end_input_commits_everything),
      T(test_user_open_close_around_transactions),
      T(test_commit_failure_names_sink),
      T(test_corrupt_state_commits_nothing),
      T(test_api_checks),
      T(test_file_roll_by_size),
      T(test_file_roll_by_inactivity),
      T(test_file_roll_by_age),
      T(test_file_buckets),
      T(test_file_default_bucket),
      T(test_file_failure_leaves_hidden_files),
      T(test_file_restore_publishes_checkpoint),
      T(test_file_rows_formatted_like_print),
      T(test_file_write_error_names_file),
      T(test_file_corrupt_transaction),
      T(test_file_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
