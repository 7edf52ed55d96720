/*
 * test_window_process.c: process window functions (spate/process_window.h, Flink's
 * ProcessWindowFunction) on the MiniCluster:
 *  - at parallelism 2 the full window function, reduce + window function and aggregate + window
 *    function get the right key and window for every firing (compared with results computed
 *    here from the generator's formula), spate_ctx_current_key is the key they get, every
 *    element belongs to key and window, and a side output from the window function carries the
 *    windows it chose;
 *  - the context: the current watermark has reached the window's max timestamp when it fires;
 *  - per-window state is scoped to key and window: with allowed lateness a late firing sees the
 *    count its window's first firing left, a new window starts from nothing, global state is
 *    shared by all windows of a key, and the clear function runs at each window's cleanup with
 *    the window's state still there (that the state is then removed is checked on the
 *    operator itself, unit/test_window_state_cleanup.c);
 *  - windowAll: the key is NULL; session windows refuse per-window state with Flink's reason.
 * UDFs have external linkage (the program is linked with -rdynamic) and a pw_ prefix.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

/* ---- results as sorted strings ----------------------------------------------------------- */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Formats every collected row of `name` as "f0:f1:...:fn" (all BIGINT fields). */
static size_t rows_as_strings(const spate_job_result *r, const char *name, char ***out) {
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, name, &rows, NULL);
  char **v = calloc(n + 1, sizeof *v);
  for (size_t i = 0; i < n; i++) {
    char s[256] = "";
    for (uint32_t f = 0; f < rows[i].nfields; f++) {
      size_t l = strlen(s);
      snprintf(s + l, sizeof s - l, "%s%lld", f ? ":" : "",
               (long long)spate_row_bigint(&rows[i], (int)f));
    }
    v[i] = strdup(s);
  }
  qsort(v, n, sizeof *v, cmp_str);
  *out = v;
  return n;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* Compares the collected rows with the expected strings (any order). */
static void expect_rows(const spate_job_result *r, const char *name, char **want, size_t nwant) {
  char **got;
  size_t n = rows_as_strings(r, name, &got);
  qsort(want, nwant, sizeof *want, cmp_str);
  for (size_t i = 0; i < n && i < nwant; i++)
    if (strcmp(got[i], want[i]) != 0)
      fail_msg("%s: row %zu is '%s', want '%s'", name, i, got[i], want[i]);
  if (n != nwant) fail_msg("%s: %zu rows, want %zu", name, n, nwant);
  free_strings(got, n);
}

/* ---- key and window at parallelism 2 ------------------------------------------------------ */
#define N 3000
#define KEYS 5
#define SIZE 100
#define BIG 125 /* windows whose sum exceeds this go to the side output "big" */

static int64_t key_of(int64_t i) { return (i * 7) % KEYS; }
static int64_t val_of(int64_t i) { return i % 13; }

int pw_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, key_of(i));
  spate_rb_set_bigint(out, 1, i); /* the timestamp */
  spate_rb_set_bigint(out, 2, val_of(i));
  return 0;
}

static const spate_schema *g_side;

int pw_open(spate_ctx *ctx, void **user) {
  *user = spate_rb_new(g_side);
  return *user ? 0 : SPATE_ENOMEM;
}
void pw_close(spate_ctx *ctx, void *user) { spate_rb_free(user); }

/* The key the function got is the current key, one BIGINT equal to k. */
static int check_key(spate_ctx *ctx, const spate_row *key) {
  const spate_row *cur = spate_ctx_current_key(ctx);
  if (!key || !cur) return spate_ctx_fail(ctx, "no key (%p, %p)", (void *)key, (void *)cur);
  if (key->nfields != 1 || cur->len != key->len || memcmp(cur->data, key->data, key->len) != 0)
    return spate_ctx_fail(ctx, "the key parameter is not the current key");
  return 0;
}

static int emit6(spate_collector *out, int64_t a, int64_t b, int64_t c, int64_t d, int64_t e,
                 int64_t f) {
  spate_row_builder *rb = spate_collect_begin(out);
  int64_t v[6] = {a, b, c, d, e, f};
  for (int i = 0; i < 6; i++) spate_rb_set_bigint(rb, i, v[i]);
  return spate_collect_emit(out);
}

/* (k, start, end, max timestamp, n, sum); windows with a sum above BIG also to "big". */
int pw_full(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
            spate_window_elements *el, spate_collector *out) {
  int rc = check_key(ctx, key);
  if (rc < 0) return rc;
  int64_t k = spate_row_bigint(key, 0), n = 0, sum = 0;
  spate_row e;
  while (spate_window_next(el, &e)) {
    if (spate_row_bigint(&e, 0) != k) return spate_ctx_fail(ctx, "element of another key");
    int64_t ts = spate_row_bigint(&e, 1);
    if (ts < w->start || ts >= w->end) return spate_ctx_fail(ctx, "element outside its window");
    n++;
    sum += spate_row_bigint(&e, 2);
  }
  if (sum > BIG) {
    spate_row_builder *b = spate_ctx_user(ctx);
    spate_row r;
    spate_rb_begin(b);
    spate_rb_set_bigint(b, 0, k);
    spate_rb_set_bigint(b, 1, w->start);
    if (spate_rb_finish(b, &r) < 0 || (rc = spate_ctx_output(ctx, "big", &r)) < 0)
      return rc < 0 ? rc : SPATE_EINVAL;
  }
  return emit6(out, k, w->start, w->end, spate_window_max_timestamp(w), n, sum);
}

int pw_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_field(out, 1, acc, 1);
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + spate_row_bigint(in, 2));
  return 0;
}

/* reduce + window function: the one element is the reduced row: (k, start, end, max, -1, sum) */
int pw_reduced(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
               spate_window_elements *el, spate_collector *out) {
  int rc = check_key(ctx, key);
  spate_row e;
  int n = 0;
  int64_t sum = 0;
  while (rc == 0 && spate_window_next(el, &e)) {
    n++;
    sum = spate_row_bigint(&e, 2);
  }
  if (rc == 0 && n != 1) return spate_ctx_fail(ctx, "%d elements, want the one reduced row", n);
  return rc < 0 ? rc : emit6(out, spate_row_bigint(key, 0), w->start, w->end, w->end - 1, -1, sum);
}

/* aggregate (n, sum) + window function: (k, start, end, max, n, sum) */
int pw_agg_create(spate_ctx *ctx, spate_row_builder *acc) {
  spate_rb_set_bigint(acc, 0, 0);
  spate_rb_set_bigint(acc, 1, 0);
  return 0;
}
int pw_agg_add(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0) + 1);
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 2));
  return 0;
}
int pw_agg_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_field(out, 1, acc, 1);
  return 0;
}
int pw_aggregated(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
                  spate_window_elements *el, spate_collector *out) {
  int rc = check_key(ctx, key);
  spate_row e;
  if (rc < 0) return rc;
  if (!spate_window_next(el, &e) || spate_window_next(el, &e))
    return spate_ctx_fail(ctx, "want exactly the aggregate's result");
  return emit6(out, spate_row_bigint(key, 0), w->start, w->end, w->end - 1, spate_row_bigint(&e, 0),
               spate_row_bigint(&e, 1));
}

static void test_key_and_window_parallel(void **state) {
  (void)state;
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 2);
  const spate_schema *in = spate_env_schema(env, "k BIGINT, ts BIGINT, v BIGINT");
  const spate_schema *out6 =
      spate_env_schema(env, "k BIGINT, s BIGINT, e BIGINT, m BIGINT, n BIGINT, sum BIGINT");
  g_side = spate_env_schema(env, "k BIGINT, s BIGINT");
  spate_stream *src = spate_generate(env, in, pw_gen, N);
  src = spate_assign_timestamps(src, 1, SPATE_WATERMARKS_BOUNDED, 0);
  spate_window_assigner tumbling = spate_tumbling_windows(SPATE_EVENT_TIME, SIZE, 0);
  spate_stream *full = spate_udf_lifecycle(
      spate_window_process(spate_window(spate_key_by(src, 0), tumbling), pw_full, out6), pw_open,
      pw_close);
  spate_collect(full, "full");
  spate_collect(spate_side_output(full, "big", g_side), "big");
  spate_collect(spate_window_reduce_process(spate_window(spate_key_by(src, 0), tumbling), pw_sum,
                                            pw_reduced, out6),
                "reduced");
  static const spate_aggregate_fns agg = {
      .create = pw_agg_create, .add = pw_agg_add, .result = pw_agg_result};
  const spate_schema *acc = spate_env_schema(env, "n BIGINT, sum BIGINT");
  spate_collect(spate_window_aggregate_process(spate_window(spate_key_by(src, 0), tumbling), &agg,
                                               acc, acc, pw_aggregated, out6),
                "aggregated");
  spate_job_result *r = tk_run(env, "process-windows");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));

  /* expected, from the formula */
  int64_t n[N / SIZE + 1][KEYS] = {{0}}, sum[N / SIZE + 1][KEYS] = {{0}};
  for (int64_t i = 0; i < N; i++) {
    n[i / SIZE][key_of(i)]++;
    sum[i / SIZE][key_of(i)] += val_of(i);
  }
  char *full_want[(N / SIZE + 1) * KEYS], *red_want[(N / SIZE + 1) * KEYS],
      *big_want[(N / SIZE + 1) * KEYS];
  size_t nw = 0, nbig = 0;
  for (int64_t w = 0; w <= N / SIZE; w++)
    for (int64_t k = 0; k < KEYS; k++) {
      if (!n[w][k]) continue;
      int64_t s = w * SIZE;
      char b[256];
      snprintf(b, sizeof b, "%lld:%lld:%lld:%lld:%lld:%lld", (long long)k, (long long)s,
               (long long)(s + SIZE), (long long)(s + SIZE - 1), (long long)n[w][k],
               (long long)sum[w][k]);
      full_want[nw] = strdup(b);
      snprintf(b, sizeof b, "%lld:%lld:%lld:%lld:-1:%lld", (long long)k, (long long)s,
               (long long)(s + SIZE), (long long)(s + SIZE - 1), (long long)sum[w][k]);
      red_want[nw++] = strdup(b);
      if (sum[w][k] > BIG) {
        snprintf(b, sizeof b, "%lld:%lld", (long long)k, (long long)s);
        big_want[nbig++] = strdup(b);
      }
    }
  assert_true(nbig > 0 && nbig < nw); /* the side output chose some windows, not all */
  expect_rows(r, "full", full_want, nw);
  expect_rows(r, "aggregated", full_want, nw);
  expect_rows(r, "reduced", red_want, nw);
  expect_rows(r, "big", big_want, nbig);
  for (size_t i = 0; i < nw; i++) {
    free(full_want[i]);
    free(red_want[i]);
  }
  for (size_t i = 0; i < nbig; i++) free(big_want[i]);
  spate_job_result_free(r);
  spate_env_free(env);
}

/* ---- per-window state, global state, clear, lateness --------------------------------------- */
#define NOWM INT64_MIN

typedef struct pw_event {
  int64_t k, ts, wm; /* wm: the watermark emitted after this event (NOWM: none) */
} pw_event;

/* windows of 10 ms, allowed lateness 20 ms (cleanup of [0,10) at 29) */
static const pw_event events[] = {
    {1, 1, NOWM},  {1, 2, NOWM}, {2, 3, 10}, /* [0,10) fires for keys 1 and 2 */
    {1, 4, NOWM},                            /* late, within the lateness: fires [0,10) again */
    {1, 12, 30},                             /* [10,20) fires; [0,10) is cleaned up at 29 */
    {1, 5, NOWM},                            /* too late: dropped */
    {2, 15, NOWM},                           /* [10,20) of key 2 fires at the end */
};
#define NEV (sizeof events / sizeof events[0])

int pw_tgen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, events[i].k);
  spate_rb_set_bigint(out, 1, events[i].ts);
  spate_rb_set_bigint(out, 2, events[i].wm);
  return 0;
}
int64_t pw_twm(spate_ctx *ctx, const spate_row *in, int64_t ts) { return spate_row_bigint(in, 2); }

static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_log[1024];

static void log_line(const char *fmt, ...) {
  pthread_mutex_lock(&g_log_mu);
  size_t l = strlen(g_log);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_log + l, sizeof g_log - l, fmt, ap);
  va_end(ap);
  pthread_mutex_unlock(&g_log_mu);
}

/* (k, start, firing of this window, firing of this key, elements). Window state "fires" (lazy,
 * shortcut), global state "all" (shortcut), and window state "seen" through a descriptor. */
int pw_stateful(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
                spate_window_elements *el, spate_collector *out) {
  int rc = check_key(ctx, key);
  if (rc < 0) return rc;
  /* event-time windows fire once the watermark reached their max timestamp */
  if (spate_ctx_current_watermark(ctx) < spate_window_max_timestamp(w))
    return spate_ctx_fail(ctx, "watermark %lld before the window's end",
                          (long long)spate_ctx_current_watermark(ctx));
  if (spate_ctx_processing_time(ctx) <= 0) return spate_ctx_fail(ctx, "no processing time");
  spate_state *fires = spate_scalar_state(ctx, "fires", SPATE_STATE_VALUE, 0, SPATE_BIGINT, true);
  spate_state *all = spate_value_state_bigint(ctx, "all");
  if (!fires || !all) return SPATE_EUDF;
  int64_t f = 0, a = 0, n = 0;
  if ((rc = spate_value_get_bigint(fires, &f)) < 0 || (rc = spate_value_get_bigint(all, &a)) < 0)
    return rc;
  if ((rc = spate_value_set_bigint(fires, ++f)) < 0 || (rc = spate_value_set_bigint(all, ++a)) < 0)
    return rc;
  spate_row e;
  while (spate_window_next(el, &e)) n++;
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, spate_row_bigint(key, 0));
  spate_rb_set_bigint(b, 1, w->start);
  spate_rb_set_bigint(b, 2, f);
  spate_rb_set_bigint(b, 3, a);
  spate_rb_set_bigint(b, 4, n);
  return spate_collect_emit(out);
}

/* The window's state is still there when clear runs: log "k:start:fires". */
int pw_clear(spate_ctx *ctx, const spate_row *key, const spate_time_window *w) {
  spate_state *fires = spate_scalar_state(ctx, "fires", SPATE_STATE_VALUE, 0, SPATE_BIGINT, true);
  int64_t f = -1;
  int rc = fires ? spate_value_get_bigint(fires, &f) : SPATE_EUDF;
  if (rc < 0) return rc;
  log_line("%lld:%lld:%lld ", (long long)spate_row_bigint(key, 0), (long long)w->start,
           (long long)f);
  return 0;
}

/* windowAll: no key; counts the window's elements: (0, start, 0, 0, n) */
int pw_all(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
           spate_window_elements *el, spate_collector *out) {
  if (key || spate_ctx_current_key(ctx)) return spate_ctx_fail(ctx, "windowAll has a key");
  int64_t n = 0;
  spate_row e;
  while (spate_window_next(el, &e)) n++;
  spate_row_builder *b = spate_collect_begin(out);
  for (int i = 0; i < 5; i++) spate_rb_set_bigint(b, i, i == 1 ? w->start : i == 4 ? n : 0);
  return spate_collect_emit(out);
}

static spate_stream *table(spate_env *env) {
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 1);
  const spate_schema *in = spate_env_schema(env, "k BIGINT, ts BIGINT, wm BIGINT");
  spate_stream *src = spate_generate(env, in, pw_tgen, (int64_t)NEV);
  return spate_assign_watermarks_custom(src, 1, NULL, pw_twm, NULL);
}

static void test_window_state_and_clear(void **state) {
  (void)state;
  g_log[0] = 0;
  spate_env *env = spate_env_create();
  spate_stream *src = table(env);
  const spate_schema *out5 =
      spate_env_schema(env, "k BIGINT, s BIGINT, f BIGINT, a BIGINT, n BIGINT");
  spate_stream *w = spate_allowed_lateness(
      spate_window(spate_key_by(src, 0), spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0)), 20);
  spate_collect(spate_window_clear(spate_window_process(w, pw_stateful, out5), pw_clear), "out");
  spate_stream *all = spate_window_all(src, spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0));
  spate_collect(spate_window_process(all, pw_all, out5), "all");
  spate_job_result *r = tk_run(env, "window-state");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  char *want[] = {strdup("1:0:1:1:2"), strdup("2:0:1:1:1"), strdup("1:0:2:2:3"),
                  strdup("1:10:1:3:1"), strdup("2:10:1:2:1")};
  expect_rows(r, "out", want, 5);
  for (int i = 0; i < 5; i++) free(want[i]);
  /* windowAll (no lateness): [0,10) fires with 3 elements, [10,20) with 1 at the watermark 30;
   * the later elements are late */
  char *want_all[] = {strdup("0:0:0:0:3"), strdup("0:10:0:0:1")};
  expect_rows(r, "all", want_all, 2);
  for (int i = 0; i < 2; i++) free(want_all[i]);
  /* cleanup order: [0,10) of both keys at 29 (by key order of the timers), [10,20) at the end */
  if (!strstr(g_log, "1:0:2 ") || !strstr(g_log, "2:0:1 ") || !strstr(g_log, "1:10:1 ") ||
      !strstr(g_log, "2:10:1 ") || strlen(g_log) != strlen("1:0:2 2:0:1 1:10:1 2:10:1 "))
    fail_msg("clear log '%s'", g_log);
  spate_job_result_free(r);
  spate_env_free(env);
}

int pw_session(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
               spate_window_elements *el, spate_collector *out) {
  spate_state *s = spate_scalar_state(ctx, "fires", SPATE_STATE_VALUE, 0, SPATE_BIGINT, true);
  return s ? 0 : SPATE_EUDF;
}

static void test_session_refuses_window_state(void **state) {
  (void)state;
  spate_env *env = spate_env_create();
  spate_stream *src = table(env);
  spate_stream *w = spate_window(spate_key_by(src, 0), spate_session_windows(SPATE_EVENT_TIME, 5));
  spate_collect(spate_window_process(w, pw_session, spate_stream_schema(src)), "out");
  spate_job_result *r = tk_run(env, "session-window-state");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  const char *err = spate_job_result_error(r);
  if (!strstr(err, "per-window state is not allowed with merging (session) windows"))
    fail_msg("error: %s", err);
  spate_job_result_free(r);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_and_window_parallel),
      cmocka_unit_test(test_window_state_and_clear),
      cmocka_unit_test(test_session_refuses_window_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
