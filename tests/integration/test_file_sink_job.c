/*
 * test_file_sink_job.c: exactly-once sinks in bounded jobs on the MiniCluster. A sequence is
 * mapped to strings and written by the file sink (spate_sink_file) at parallelism 2: when the
 * job has finished, the finished part files hold every line exactly once, no hidden
 * (in-progress or pending) file is left, and the file names follow the documented pattern.
 * Also: the default hourly buckets (on a manual clock, so the bucket is known: the hour cannot
 * turn during the job), a user two-phase sink (spate_sink_two_phase) committing at the end of
 * input, a job failing with a message that names the sink and the path, and partitions
 * (Flink's PARTITIONED BY: "k1=v1/k2=v2/" directories, escaped values, the default partition
 * for NULL and empty values, lines without the key fields) with the API's checks of the keys.
 * UDFs have external linkage (the program is linked with -rdynamic) and an fj_ prefix.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

#define N 5000

static char tmpdir[64];

static int setup_dir(void **state) {
  tk_mkdtemp(tmpdir, sizeof tmpdir, "spate_fsjob_");
  return 0;
}
static int teardown_dir(void **state) {
  tk_rm_rf(tmpdir);
  return 0;
}

static spate_env *new_env(int parallelism) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, parallelism);
  return env;
}

static void assert_finished(spate_job_result *r) {
  assert_non_null(r);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job %s: %s", spate_job_status_name(spate_job_result_status(r)),
             spate_job_result_error(r) ? spate_job_result_error(r) : "");
}

int fj_line(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
int fj_line(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "n-%lld", (long long)spate_row_bigint(in, 0));
  spate_rb_set_string(out, 0, buf, (size_t)n);
  return 0;
}

/* Checks every "n-<i>" line in a file against seen[], failing on a duplicate or a stranger. */
static void take_lines(const char *path, int *seen, int *total) {
  FILE *f = fopen(path, "r");
  if (!f) fail_msg("cannot open %s: %s", path, strerror(errno));
  char line[64];
  while (fgets(line, sizeof line, f)) {
    long v;
    char nl;
    if (sscanf(line, "n-%ld%c", &v, &nl) != 2 || nl != '\n' || v < 1 || v > N)
      fail_msg("unexpected line '%s' in %s", line, path);
    if (seen[v]++) fail_msg("line n-%ld appears twice", v);
    (*total)++;
  }
  fclose(f);
}

/* Scans a directory of finished parts (no subdirectories, no hidden files): names must be
 * "part-<uuid>-<subtask>-<n>" (subtask < parallelism); returns the number of parts and counts
 * the distinct uuids. */
static int scan_parts(const char *dir, int *seen, int *total, int parallelism, int *nuuids) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  char uuids[8][37];
  int nparts = 0;
  *nuuids = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (e->d_name[0] == '.') fail_msg("hidden file left behind: %s", e->d_name);
    char uuid[37];
    int sub, used;
    long n;
    if (strncmp(e->d_name, "part-", 5) != 0 || strlen(e->d_name) < 5 + 36 + 4)
      fail_msg("unexpected file %s", e->d_name);
    memcpy(uuid, e->d_name + 5, 36);
    uuid[36] = 0;
    if (sscanf(e->d_name + 5 + 36, "-%d-%ld%n", &sub, &n, &used) != 2 ||
        e->d_name[5 + 36 + used] != 0 || sub < 0 || sub >= parallelism || n < 0)
      fail_msg("file name %s does not follow part-<uuid>-<subtask>-<n>", e->d_name);
    int k = 0;
    while (k < *nuuids && strcmp(uuids[k], uuid) != 0) k++;
    if (k == *nuuids) {
      assert_true(k < 8);
      strcpy(uuids[(*nuuids)++], uuid);
    }
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    take_lines(path, seen, total);
    nparts++;
  }
  closedir(d);
  return nparts;
}

static void test_sequence_to_files_exactly_once(void **state) {
  spate_env *env = new_env(2);
  const spate_schema *s = spate_env_schema(env, "line STRING NOT NULL");
  spate_stream *lines = spate_map(spate_from_sequence(env, 1, N), fj_line, s);
  /* small parts, so that every subtask rolls several times */
  spate_file_sink_options o = {.max_part_size = 4096, .bucket_format = ""};
  assert_non_null(spate_sink_file(lines, tmpdir, &o));
  spate_job_result *r = tk_run(env, "file sink");
  assert_finished(r);
  spate_job_result_free(r);
  static int seen[N + 1];
  memset(seen, 0, sizeof seen);
  int total = 0, nuuids;
  int nparts = scan_parts(tmpdir, seen, &total, 2, &nuuids);
  assert_int_equal(total, N);  /* every line once (duplicates fail in take_lines) */
  assert_true(nparts >= 8);    /* 33,893 bytes, about 17 KB a subtask, in 4 KB parts */
  assert_int_equal(nuuids, 2); /* one per subtask attempt */
  spate_env_free(env);
}

static void test_default_buckets(void **state) {
  spate_env *env = new_env(2);
  /* 2024-03-05 14:20:00 local time: the bucket is "2024-03-05--14" for the whole job */
  struct tm at = {
      .tm_year = 124, .tm_mon = 2, .tm_mday = 5, .tm_hour = 14, .tm_min = 20, .tm_isdst = -1};
  time_t t = mktime(&at);
  assert_true(t != (time_t)-1);
  spate_clock *clock = spate_manual_clock_create((int64_t)t * 1000);
  spate_env_set_clock(env, clock);
  const spate_schema *s = spate_env_schema(env, "line STRING NOT NULL");
  spate_stream *lines = spate_map(spate_from_sequence(env, 1, N), fj_line, s);
  assert_non_null(spate_sink_file(lines, tmpdir, NULL));
  spate_job_result *r = tk_run(env, "file sink buckets");
  assert_finished(r);
  spate_job_result_free(r);
  spate_manual_clock_free(clock);
  static int seen[N + 1];
  memset(seen, 0, sizeof seen);
  int total = 0, buckets = 0;
  DIR *d = opendir(tmpdir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int y, mo, day, h, used;
    if (sscanf(e->d_name, "%4d-%2d-%2d--%2d%n", &y, &mo, &day, &h, &used) != 4 ||
        e->d_name[used] != 0)
      fail_msg("'%s' is not a bucket of the form YYYY-MM-DD--HH", e->d_name);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, e->d_name);
    int nuuids;
    scan_parts(dir, seen, &total, 2, &nuuids);
    buckets++;
  }
  closedir(d);
  assert_int_equal(buckets, 1); /* the clock stood at 14:20 */
  char want[700];
  snprintf(want, sizeof want, "%s/2024-03-05--14", tmpdir);
  assert_int_equal(access(want, F_OK), 0);
  assert_int_equal(total, N);
  spate_env_free(env);
}

/* ---- a user two-phase sink: ".t-<subtask>-<n>.tmp" renamed to "t-<subtask>-<n>" ---------- */
static _Atomic int fj_next;

static void fj_paths(spate_ctx *ctx, const spate_txn *txn, char *tmp, char *fin) {
  size_t len;
  const char *id = spate_txn_id(txn, &len);
  snprintf(tmp, 600, "%s/.%.*s.tmp", tmpdir, (int)len, id);
  snprintf(fin, 600, "%s/%.*s", tmpdir, (int)len, id);
}

int fj_begin(spate_ctx *ctx, spate_txn *txn);
int fj_begin(spate_ctx *ctx, spate_txn *txn) {
  char id[32], tmp[600], fin[600];
  snprintf(id, sizeof id, "t-%d-%d", spate_ctx_subtask(ctx), atomic_fetch_add(&fj_next, 1));
  spate_txn_set_id(txn, id, strlen(id));
  fj_paths(ctx, txn, tmp, fin);
  FILE *f = fopen(tmp, "wx");
  if (!f) return spate_ctx_fail(ctx, "cannot create %s: %s", tmp, strerror(errno));
  spate_txn_set_handle(txn, f);
  return 0;
}
int fj_invoke(spate_ctx *ctx, spate_txn *txn, const spate_row *in);
int fj_invoke(spate_ctx *ctx, spate_txn *txn, const spate_row *in) {
  spate_bytes b = spate_row_string(in, 0);
  fprintf(spate_txn_handle(txn), "%.*s\n", (int)b.len, b.ptr);
  return 0;
}
int fj_pre_commit(spate_ctx *ctx, spate_txn *txn);
int fj_pre_commit(spate_ctx *ctx, spate_txn *txn) {
  int bad = fclose(spate_txn_handle(txn)) != 0;
  spate_txn_set_handle(txn, NULL);
  return bad ? spate_ctx_fail(ctx, "pre-commit: %s", strerror(errno)) : 0;
}
int fj_commit(spate_ctx *ctx, spate_txn *txn);
int fj_commit(spate_ctx *ctx, spate_txn *txn) {
  char tmp[600], fin[600];
  fj_paths(ctx, txn, tmp, fin);
  struct stat st;
  if (rename(tmp, fin) < 0 && !(errno == ENOENT && stat(fin, &st) == 0))
    return spate_ctx_fail(ctx, "cannot commit %s: %s", tmp, strerror(errno));
  return 0;
}
int fj_abort(spate_ctx *ctx, spate_txn *txn);
int fj_abort(spate_ctx *ctx, spate_txn *txn) {
  if (spate_txn_handle(txn)) fclose(spate_txn_handle(txn));
  char tmp[600], fin[600];
  fj_paths(ctx, txn, tmp, fin);
  unlink(tmp);
  return 0;
}

static void test_user_two_phase_sink_job(void **state) {
  spate_env *env = new_env(2);
  const spate_schema *s = spate_env_schema(env, "line STRING NOT NULL");
  spate_stream *lines = spate_map(spate_from_sequence(env, 1, N), fj_line, s);
  assert_non_null(
      spate_sink_two_phase(lines, fj_begin, fj_invoke, fj_pre_commit, fj_commit, fj_abort));
  spate_job_result *r = tk_run(env, "two-phase sink");
  assert_finished(r);
  spate_job_result_free(r);
  static int seen[N + 1];
  memset(seen, 0, sizeof seen);
  int total = 0, files = 0;
  DIR *d = opendir(tmpdir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (e->d_name[0] == '.') fail_msg("uncommitted transaction left: %s", e->d_name);
    char path[600];
    snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
    take_lines(path, seen, &total);
    files++;
  }
  closedir(d);
  assert_int_equal(files, 2); /* one transaction per subtask, committed at the end of input */
  assert_int_equal(total, N);
  spate_env_free(env);
}

static void test_bad_directory_fails_job(void **state) {
  char file[128];
  snprintf(file, sizeof file, "%s/not-a-dir", tmpdir);
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fclose(f);
  spate_env *env = new_env(1);
  spate_stream *src = spate_from_sequence(env, 1, 10);
  spate_name(spate_sink_file(src, file, NULL), "Results");
  spate_job_result *r = tk_run(env, "bad dir");
  assert_non_null(r);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  const char *err = spate_job_result_error(r);
  assert_non_null(strstr(err, "'Sink: Results' (subtask 1/1)"));
  assert_non_null(strstr(err, "not-a-dir' is not a directory"));
  spate_job_result_free(r);
  spate_env_free(env);
}

/* ---- partitions ---------------------------------------------------------------------------- */
/* (n, grp, day): grp NULL for n % 7 == 0, empty for n % 7 == 1, else "a/b:<n % 3>" (characters
 * Flink escapes in partition paths); day n % 2. */
int fj_part(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
int fj_part(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  int64_t n = spate_row_bigint(in, 0);
  char grp[16];
  int len = snprintf(grp, sizeof grp, "a/b:%d", (int)(n % 3));
  spate_rb_set_bigint(out, 0, n);
  if (n % 7 == 0)
    spate_rb_set_null(out, 1);
  else
    spate_rb_set_string(out, 1, grp, n % 7 == 1 ? 0 : (size_t)len);
  spate_rb_set_int(out, 2, (int32_t)(n % 2));
  return 0;
}

/* Lists the visible entries of dir (no "." or ".."; a hidden file fails the test). */
static int list_dir(const char *dir, char names[][256], int max) {
  DIR *d = opendir(dir);
  if (!d) fail_msg("cannot open %s: %s", dir, strerror(errno));
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (e->d_name[0] == '.') fail_msg("hidden file left behind: %s/%s", dir, e->d_name);
    assert_true(n < max);
    snprintf(names[n++], 256, "%s", e->d_name);
  }
  closedir(d);
  return n;
}

static void test_partitions(void **state) {
  spate_env *env = new_env(2);
  const spate_schema *s = spate_env_schema(env, "n BIGINT NOT NULL, grp STRING, day INT NOT NULL");
  spate_stream *rows = spate_map(spate_from_sequence(env, 1, N), fj_part, s);
  static const char *const keys[] = {"grp", "day"};
  spate_file_sink_options o = {.max_part_size = 2048, .partition_keys = keys, .npartition_keys = 2};
  assert_non_null(spate_sink_file_format(rows, tmpdir, &o, spate_format_csv(env, s)));
  spate_job_result *r = tk_run(env, "partitioned file sink");
  assert_finished(r);
  spate_job_result_free(r);
  static char grps[8][256], days[8][256], parts[64][256];
  static int seen[N + 1];
  memset(seen, 0, sizeof seen);
  int total = 0, ngrp = list_dir(tmpdir, grps, 8);
  assert_int_equal(ngrp, 4); /* three values and the default partition */
  for (int g = 0; g < ngrp; g++) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, grps[g]);
    int nday = list_dir(dir, days, 8);
    assert_int_equal(nday, 2);
    for (int dd = 0; dd < nday; dd++) {
      char sub[1400];
      snprintf(sub, sizeof sub, "%s/%s", dir, days[dd]);
      int nparts = list_dir(sub, parts, 64);
      for (int p = 0; p < nparts; p++) {
        char path[1700];
        snprintf(path, sizeof path, "%s/%s", sub, parts[p]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char line[64];
        while (fgets(line, sizeof line, f)) {
          long v;
          char nl;
          if (sscanf(line, "%ld%c", &v, &nl) != 2 || nl != '\n' || v < 1 || v > N)
            fail_msg("unexpected line '%s' in %s (only n is written)", line, path);
          if (seen[v]++) fail_msg("%ld written twice", v);
          char want_grp[64], want_day[16];
          if (v % 7 <= 1)
            snprintf(want_grp, sizeof want_grp, "grp=__DEFAULT_PARTITION__");
          else
            snprintf(want_grp, sizeof want_grp, "grp=a%%2Fb%%3A%ld", v % 3);
          snprintf(want_day, sizeof want_day, "day=%ld", v % 2);
          if (strcmp(grps[g], want_grp) != 0 || strcmp(days[dd], want_day) != 0)
            fail_msg("%ld is in %s/%s, not in %s/%s", v, grps[g], days[dd], want_grp, want_day);
          total++;
        }
        fclose(f);
      }
    }
  }
  assert_int_equal(total, N);
  spate_env_free(env);
}

/* spate_sink_file refuses bad partition keys, naming what is wrong. */
static void test_partition_key_errors(void **state) {
  static const char *const unknown[] = {"nope"}, *const twice[] = {"grp", "grp"},
                           *const all[] = {"n", "grp", "day"}, *const one[] = {"day"};
  struct {
    spate_file_sink_options o;
    const char *message;
  } cases[] = {
      {{.partition_keys = unknown, .npartition_keys = 1},
       "partition key 1 ('nope') is not a field"},
      {{.partition_keys = twice, .npartition_keys = 2}, "partition key 'grp' is given twice"},
      {{.partition_keys = all, .npartition_keys = 3}, "all 3 fields are partition keys"},
      {{.partition_keys = one, .npartition_keys = 1, .bucket_format = "%Y"},
       "partition keys and a bucket format '%Y' exclude each other"},
      {{.partition_keys = NULL, .npartition_keys = 1}, "1 partition keys"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    spate_env *env = new_env(1);
    const spate_schema *s =
        spate_env_schema(env, "n BIGINT NOT NULL, grp STRING, day INT NOT NULL");
    spate_stream *rows = spate_map(spate_from_sequence(env, 1, 10), fj_part, s);
    assert_null(spate_sink_file(rows, tmpdir, &cases[i].o));
    const char *err = spate_env_error(env);
    if (!err || !strstr(err, cases[i].message))
      fail_msg("case %zu: error '%s' does not say '%s'", i, err ? err : "(none)", cases[i].message);
    spate_env_free(env);
  }
}

int main(void) {
#define T(t) cmocka_unit_test_setup_teardown(t, setup_dir, teardown_dir)
  const struct CMUnitTest tests[] = {
      T(test_sequence_to_files_exactly_once),
      T(test_default_buckets),
      T(test_user_two_phase_sink_job),
      T(test_bad_directory_fails_job),
      T(test_partitions),
      T(test_partition_key_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
