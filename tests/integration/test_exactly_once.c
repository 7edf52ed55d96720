/*
 * test_exactly_once.c: jobs that fail on chosen records recover from checkpoints, and their
 * output through the exactly-once file sink equals the output of a run without failures, as a
 * multiset of lines (no loss, no duplicates):
 *  - WordCount (keyed running sum),
 *  - a tumbling event-time window sum,
 *  - a keyed process function counting per key with event-time timers,
 * each with aligned and with unaligned checkpoints, at parallelism 2 on the MiniCluster; and
 * WordCount into a sink partitioned by the key (directories "k=<key>/", compared with their
 * path before each line).
 * The source emits FAIL_AFTER - 500 records per subtask between completed checkpoints (a
 * per-checkpoint rate limit), so checkpoints happen during the run whatever the machine's speed.
 * A map function chained to the source fails twice, each time in a new attempt: the first
 * subtask to see its FAIL_AFTER-th record of an attempt fails, unless a failure already happened
 * in that attempt (so the job restarts exactly twice, and each attempt has completed a checkpoint
 * before it fails). The job restarts (fixed-delay) from the latest completed checkpoint, replays
 * the source from its checkpointed position, and the sink publishes only what completed
 * checkpoints cover.
 * UDFs have external linkage (the program is linked with -rdynamic) and an eo_ prefix.
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

#define N 60000
#define KEYS 23
#define PER_CHECKPOINT 4000 /* records per completed checkpoint, over both subtasks */
#define FAIL_AFTER 2500     /* > PER_CHECKPOINT / 2: a checkpoint completed in the attempt */
#define FAILURES 2

static _Atomic int g_failures; /* injected failures to come in all (set per run) */
static _Atomic int g_fired;    /* injected so far */

/* (k BIGINT, ts BIGINT, v BIGINT). The two source subtasks (each reads one half) have keys of
 * their own, so the records of a key arrive in one order and WordCount's running sums are the
 * same in every run. */
int eo_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i < N / 2 ? (i * 7919) % 11 : 11 + (i * 7919) % (KEYS - 11));
  spate_rb_set_bigint(out, 1, i);
  spate_rb_set_bigint(out, 2, i % 10 + 1);
  return 0;
}

/* The failing map's subtask: records seen in this attempt, and how many failures had been
 * injected when it opened (all subtasks of an attempt open before its first checkpoint, so
 * before any failure of the attempt). */
typedef struct eo_fail_user {
  int64_t seen;
  int fired_at_open;
} eo_fail_user;

int eo_fail_open(spate_ctx *ctx, void **user) {
  eo_fail_user *u = calloc(1, sizeof *u);
  if (!u) return -1;
  u->fired_at_open = atomic_load(&g_fired);
  *user = u;
  return 0;
}

void eo_fail_close(spate_ctx *ctx, void *user) { free(user); }

/* Passes rows on; the first subtask of an attempt without a failure yet that sees its
 * FAIL_AFTER-th record fails (one failure per attempt, FAILURES in all). */
int eo_fail(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  eo_fail_user *u = spate_ctx_user(ctx);
  int gen = u->fired_at_open;
  if (++u->seen == FAIL_AFTER && gen < atomic_load(&g_failures) &&
      atomic_compare_exchange_strong(&g_fired, &gen, gen + 1))
    return spate_ctx_fail(ctx, "injected failure %d at record %lld", gen + 1,
                          (long long)spate_row_bigint(in, 1));
  for (int f = 0; f < 3; f++) spate_rb_set_field(out, f, in, f);
  return 0;
}

int eo_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_field(out, 1, in, 1);
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + spate_row_bigint(in, 2));
  return 0;
}

/* Keyed process: counts per key and second in map state; the event-time timer at the end of a
 * second emits (k, second's last ms, count) and drops that second. Counting per second (not a
 * running count) keeps the output independent of how far the other source subtask has got when
 * the watermark fires the timer. */
typedef struct eo_user {
  spate_state *counts;
  spate_row_builder *kb, *vb;
} eo_user;

static const spate_schema *g_count_schema, *g_sec_schema;

int eo_open(spate_ctx *ctx, void **user) {
  eo_user *u = calloc(1, sizeof *u);
  spate_state_desc d = {.name = "per-second",
                        .kind = SPATE_STATE_MAP,
                        .schema = g_count_schema,
                        .key_schema = g_sec_schema};
  u->counts = spate_ctx_state(ctx, &d);
  u->kb = spate_rb_new(g_sec_schema);
  u->vb = spate_rb_new(g_count_schema);
  *user = u;
  return u->counts && u->kb && u->vb ? 0 : -1;
}
void eo_close(spate_ctx *ctx, void *user) {
  eo_user *u = user;
  if (!u) return;
  spate_rb_free(u->kb);
  spate_rb_free(u->vb);
  free(u);
}

static int second_key(eo_user *u, int64_t sec, spate_row *out) {
  spate_rb_begin(u->kb);
  spate_rb_set_bigint(u->kb, 0, sec);
  return spate_rb_finish(u->kb, out);
}

int eo_process(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  eo_user *u = spate_ctx_user(ctx);
  int64_t sec = spate_row_bigint(in, 1) / 1000;
  spate_row k, cur, next;
  if (second_key(u, sec, &k) < 0) return -1;
  int64_t n = spate_map_get(u->counts, &k, &cur) == 1 ? spate_row_bigint(&cur, 0) : 0;
  spate_rb_begin(u->vb);
  spate_rb_set_bigint(u->vb, 0, n + 1);
  if (spate_rb_finish(u->vb, &next) < 0) return -1;
  if (second_key(u, sec, &k) < 0 || spate_map_put(u->counts, &k, &next) < 0) return -1;
  return spate_ctx_register_event_timer(ctx, sec * 1000 + 999);
}

int eo_timer(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  eo_user *u = spate_ctx_user(ctx);
  spate_row k, cur;
  if (second_key(u, ts / 1000, &k) < 0) return -1;
  int64_t n = spate_map_get(u->counts, &k, &cur) == 1 ? spate_row_bigint(&cur, 0) : 0;
  if (second_key(u, ts / 1000, &k) < 0 || spate_map_remove(u->counts, &k) < 0) return -1;
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, spate_ctx_current_key(ctx), 0);
  spate_rb_set_bigint(b, 1, ts);
  spate_rb_set_bigint(b, 2, n);
  return spate_collect_emit(out);
}

typedef enum { JOB_WORDCOUNT, JOB_WINDOW, JOB_PROCESS, JOB_PARTITIONED } job_kind;

/* Builds and runs one job writing into dir; checkpointing and failures on request. */
static spate_job_result *run(job_kind kind, const char *dir, const char *ckdir, bool unaligned,
                             int failures) {
  atomic_store(&g_failures, failures);
  atomic_store(&g_fired, 0);
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 2);
  if (ckdir) {
    spate_env_set(env, "execution.checkpointing.interval", "20 ms");
    spate_env_set(env, "state.checkpoints.dir", ckdir);
    spate_env_set(env, "restart-strategy.type", "fixed-delay");
    spate_env_set(env, "restart-strategy.fixed-delay.attempts", "5");
    spate_env_set(env, "restart-strategy.fixed-delay.delay", "10 ms");
    spate_env_set(env, "execution.checkpointing.unaligned.enabled", unaligned ? "true" : "false");
  }
  const spate_schema *s = spate_env_schema(env, "k BIGINT, ts BIGINT, v BIGINT");
  g_count_schema = spate_env_schema(env, "n BIGINT");
  g_sec_schema = spate_env_schema(env, "sec BIGINT");
  spate_stream *src =
      spate_uid(ckdir ? spate_generate_per_checkpoint(env, s, eo_gen, N, PER_CHECKPOINT)
                      : spate_generate(env, s, eo_gen, N),
                "source");
  spate_stream *st = src;
  if (kind == JOB_WINDOW || kind == JOB_PROCESS)
    st = spate_assign_timestamps(st, 1, SPATE_WATERMARKS_BOUNDED, 0);
  st = spate_uid(spate_udf_lifecycle(spate_map(st, eo_fail, s), eo_fail_open, eo_fail_close),
                 "fail");
  spate_stream *keyed = spate_key_by(st, 0);
  spate_stream *res;
  if (kind == JOB_WORDCOUNT || kind == JOB_PARTITIONED)
    res = spate_sum(keyed, 2);
  else if (kind == JOB_WINDOW)
    res = spate_window_reduce(
        spate_window(keyed, spate_tumbling_windows(SPATE_EVENT_TIME, 1000, 0)), eo_sum);
  else
    res = spate_udf_lifecycle(spate_process(keyed, eo_process, eo_timer, s), eo_open, eo_close);
  res = spate_uid(res, "stateful");
  static const char *const key[] = {"k"};
  spate_file_sink_options o = {.bucket_format = ""};
  if (kind == JOB_PARTITIONED)
    o = (spate_file_sink_options){.partition_keys = key, .npartition_keys = 1};
  spate_uid(spate_sink_file(res, dir, &o), "sink");
  spate_job_result *r = tk_run(env, "exactly-once");
  spate_env_free(env);
  return r;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the lines of the finished (non-hidden) part files under dir/rel to lines[*n..], each
 * after its directory rel (partitions: "k=3/"; "" for the top). */
static void add_lines(const char *dir, const char *rel, char ***lines, size_t *n, size_t *cap) {
  char here[4096];
  if (snprintf(here, sizeof here, "%s/%s", dir, rel) >= (int)sizeof here) fail_msg("path too long");
  DIR *d = opendir(here);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4096], sub[4096];
    if (snprintf(path, sizeof path, "%s/%s", here, e->d_name) >= (int)sizeof path ||
        snprintf(sub, sizeof sub, "%s%s/", rel, e->d_name) >= (int)sizeof sub)
      fail_msg("path too long");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    if (S_ISDIR(st.st_mode)) {
      add_lines(dir, sub, lines, n, cap);
      continue;
    }
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[512], line[1024];
    while (fgets(buf, sizeof buf, f)) {
      if (*n == *cap) *lines = realloc(*lines, (*cap *= 2) * sizeof **lines);
      if (snprintf(line, sizeof line, "%s%s", rel, buf) >= (int)sizeof line) fail_msg("long line");
      (*lines)[(*n)++] = strdup(line);
    }
    fclose(f);
  }
  closedir(d);
}

/* All lines of the finished (non-hidden) part files under dir, sorted. */
static char **read_lines(const char *dir, size_t *n) {
  size_t cap = 1024;
  char **lines = malloc(cap * sizeof *lines);
  *n = 0;
  add_lines(dir, "", &lines, n, &cap);
  qsort(lines, *n, sizeof *lines, cmp_str);
  return lines;
}

static void free_lines(char **l, size_t n) {
  for (size_t i = 0; i < n; i++) free(l[i]);
  free(l);
}

static void check(job_kind kind, bool unaligned) {
  char base[256];
  tk_mkdtemp(base, sizeof base, "spate_eo_");
  char ref[4200], out[4200], ck[4200];
  snprintf(ref, sizeof ref, "%s/ref", base);
  snprintf(out, sizeof out, "%s/out", base);
  snprintf(ck, sizeof ck, "file://%s/ck", base);

  spate_job_result *r = run(kind, ref, NULL, false, 0);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  spate_job_result_free(r);

  r = run(kind, out, ck, unaligned, FAILURES);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(atomic_load(&g_fired), FAILURES);
  assert_int_equal(spate_job_result_restarts(r), FAILURES); /* one failure per attempt */
  size_t nck = spate_job_result_num_checkpoints(r);
  /* each failing attempt completed one before it failed, and the last commits through one */
  assert_true(nck >= FAILURES + 1);
  bool any_unaligned = false;
  for (size_t i = 0; i < nck; i++) any_unaligned |= spate_job_result_checkpoint(r, i)->unaligned;
  assert_int_equal(any_unaligned, unaligned);
  spate_job_result_free(r);

  size_t na, nb;
  char **a = read_lines(ref, &na), **b = read_lines(out, &nb);
  assert_true(na > 0);
  if (na != nb) fail_msg("%zu lines without failures, %zu with failures", na, nb);
  for (size_t i = 0; i < na; i++) {
    if (strcmp(a[i], b[i]) != 0) fail_msg("line %zu differs: '%s' vs '%s'", i, a[i], b[i]);
    long k;
    int used = 0;
    if (kind == JOB_PARTITIONED && (sscanf(a[i], "k=%ld/%n", &k, &used) != 1 || !used))
      fail_msg("line '%s' is not in a partition directory k=<key>/", a[i]);
  }
  free_lines(a, na);
  free_lines(b, nb);
  tk_rm_rf(base);
}

static void test_wordcount_aligned(void **state) { check(JOB_WORDCOUNT, false); }
static void test_wordcount_unaligned(void **state) { check(JOB_WORDCOUNT, true); }
static void test_window_aligned(void **state) { check(JOB_WINDOW, false); }
static void test_window_unaligned(void **state) { check(JOB_WINDOW, true); }
static void test_process_aligned(void **state) { check(JOB_PROCESS, false); }
static void test_process_unaligned(void **state) { check(JOB_PROCESS, true); }
static void test_partitioned_aligned(void **state) { check(JOB_PARTITIONED, false); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wordcount_aligned),   cmocka_unit_test(test_wordcount_unaligned),
      cmocka_unit_test(test_window_aligned),      cmocka_unit_test(test_window_unaligned),
      cmocka_unit_test(test_process_aligned),     cmocka_unit_test(test_process_unaligned),
      cmocka_unit_test(test_partitioned_aligned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
