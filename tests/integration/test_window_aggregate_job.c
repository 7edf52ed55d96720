/*
 * test_window_aggregate_job.c: window aggregation, incremental + window functions and dynamic
 * session gaps as whole jobs on the MiniCluster (the graph goes through encoding and decoding,
 * UDFs named in the window's parameters are resolved by symbol on the task side):
 *  - spate_window_aggregate on sliding windows with merge (panes) at parallelism 2;
 *  - spate_window_aggregate_apply on session windows: the window function sees one element,
 *    the result of the merged accumulators, and the merged window's bounds;
 *  - spate_window_reduce_apply on tumbling windows;
 *  - spate_session_windows_dynamic: per-element gaps decide what merges; a gap of 0 fails the
 *    job with a message naming the window operator.
 * Results are compared as sorted sets of strings carrying the window's max timestamp. UDFs have
 * external linkage (the program is linked with -rdynamic) and a wj_ prefix.
 */
#define _GNU_SOURCE
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

#define NOWM INT64_MIN

typedef struct wj_event {
  int64_t k, ts, v, wm; /* wm: the watermark emitted after this event (NOWM: none) */
} wj_event;

static const wj_event *g_events;

int wj_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  const wj_event *e = &g_events[i];
  spate_rb_set_bigint(out, 0, e->k);
  spate_rb_set_bigint(out, 1, e->ts);
  spate_rb_set_bigint(out, 2, e->v);
  spate_rb_set_bigint(out, 3, e->wm);
  return 0;
}

int64_t wj_wm(spate_ctx *ctx, const spate_row *in, int64_t ts) { return spate_row_bigint(in, 3); }

/* accumulator (k, sum, n) */
int wj_create(spate_ctx *ctx, spate_row_builder *acc) {
  for (int i = 0; i < 3; i++) spate_rb_set_bigint(acc, i, 0);
  return 0;
}
int wj_add(spate_ctx *ctx, const spate_row *acc, const spate_row *v, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(v, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(v, 2));
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + 1);
  return 0;
}
int wj_merge(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *out) {
  int64_t k = spate_row_bigint(a, 2) ? spate_row_bigint(a, 0) : spate_row_bigint(b, 0);
  spate_rb_set_bigint(out, 0, k);
  spate_rb_set_bigint(out, 1, spate_row_bigint(a, 1) + spate_row_bigint(b, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(a, 2) + spate_row_bigint(b, 2));
  return 0;
}
/* result (k, sum, n) as the accumulator */
int wj_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  for (int i = 0; i < 3; i++) spate_rb_set_field(out, i, acc, i);
  return 0;
}

int wj_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  for (int i = 0; i < 4; i++) spate_rb_set_field(out, i, acc, i);
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + spate_row_bigint(in, 2));
  return 0;
}

/* A string "k/start/end/elements seen/value" where value is field `vf` of the one element. */
static int window_string(const spate_time_window *w, spate_window_elements *el, int vf,
                         spate_collector *out) {
  spate_row r, first = {0};
  int64_t n = 0;
  while (spate_window_next(el, &r))
    if (n++ == 0) first = r;
  char s[128];
  int len = snprintf(s, sizeof s, "%lld/%lld/%lld/%lld/%lld",
                     (long long)spate_row_bigint(&first, 0), (long long)w->start, (long long)w->end,
                     (long long)n, (long long)spate_row_bigint(&first, vf));
  spate_rb_set_string(spate_collect_begin(out), 0, s, (size_t)len);
  return spate_collect_emit(out);
}
int wj_window_agg(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *el,
                  spate_collector *out) {
  return window_string(w, el, 1, out);
}
int wj_window_reduced(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *el,
                      spate_collector *out) {
  return window_string(w, el, 2, out);
}

int64_t wj_gap(spate_ctx *ctx, const spate_row *e) { return spate_row_bigint(e, 2); }

/* "<string or k/sum/n>@ts" */
int wj_fmt(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  char s[160];
  int n;
  if (in->nfields == 1) {
    spate_bytes b = spate_row_string(in, 0);
    n = snprintf(s, sizeof s, "%.*s@%lld", (int)b.len, b.ptr, (long long)spate_ctx_timestamp(ctx));
  } else {
    n = snprintf(s, sizeof s, "%lld/%lld/%lld@%lld", (long long)spate_row_bigint(in, 0),
                 (long long)spate_row_bigint(in, 1), (long long)spate_row_bigint(in, 2),
                 (long long)spate_ctx_timestamp(ctx));
  }
  spate_rb_set_string(out, 0, s, (size_t)n);
  return 0;
}

static const char *IN =
    "k BIGINT NOT NULL, ts BIGINT NOT NULL, v BIGINT NOT NULL, wm BIGINT NOT NULL";
static const char *ACC = "k BIGINT NOT NULL, sum BIGINT NOT NULL, n BIGINT NOT NULL";
enum { AGG, AGG_APPLY, REDUCE_APPLY, REDUCE };

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the events through key by k -> window (a) -> the function -> format -> collect; returns
 * the job result (caller frees) and the sorted output joined with spaces in *got. */
static spate_job_result *run(const wj_event *ev, size_t n, spate_window_assigner a, int what,
                             char **got) {
  static const spate_aggregate_fns fns = {
      .create = wj_create, .add = wj_add, .result = wj_result, .merge = wj_merge};
  g_events = ev;
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 2);
  const spate_schema *in = spate_env_schema(env, IN);
  const spate_schema *acc = spate_env_schema(env, ACC);
  const spate_schema *str = spate_env_schema(env, "s STRING NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, in, wj_gen, (int64_t)n), 1);
  spate_stream *ts =
      spate_parallelism(spate_assign_watermarks_custom(src, 1, NULL, wj_wm, NULL), 1);
  spate_stream *w = spate_window(spate_key_by(ts, 0), a);
  spate_stream *res;
  switch (what) {
  case AGG: res = spate_window_aggregate(w, &fns, acc, acc); break;
  case AGG_APPLY: res = spate_window_aggregate_apply(w, &fns, acc, acc, wj_window_agg, str); break;
  case REDUCE_APPLY: res = spate_window_reduce_apply(w, wj_sum, wj_window_reduced, str); break;
  default: res = spate_window_reduce(w, wj_sum);
  }
  spate_collect(spate_map(res, wj_fmt, str), "out"); /* reduce: (k, ts, v, wm) as k/ts/v */
  if (spate_env_error(env)) fail_msg("build: %s", spate_env_error(env));
  spate_job_result *r = tk_run(env, "window aggregate");
  spate_env_free(env);
  *got = NULL;
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED) return r;
  const spate_row *rows;
  size_t nr = spate_job_result_collected(r, "out", &rows, NULL);
  char **v = calloc(nr + 1, sizeof *v);
  size_t total = 1;
  for (size_t i = 0; i < nr; i++) {
    spate_bytes b = spate_row_string(&rows[i], 0);
    v[i] = strndup(b.ptr, b.len);
    total += b.len + 1;
  }
  qsort(v, nr, sizeof *v, cmp_str);
  *got = calloc(total, 1);
  for (size_t i = 0; i < nr; i++) {
    if (i) strcat(*got, " ");
    strcat(*got, v[i]);
    free(v[i]);
  }
  free(v);
  return r;
}

static void check(const wj_event *ev, size_t n, spate_window_assigner a, int what,
                  const char *want) {
  char *got;
  spate_job_result *r = run(ev, n, a, what, &got);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job %s: %s", spate_job_status_name(spate_job_result_status(r)),
             spate_job_result_error(r) ? spate_job_result_error(r) : "");
  if (strcmp(got, want) != 0) fail_msg("\n got  '%s'\n want '%s'", got, want);
  free(got);
  spate_job_result_free(r);
}

static const wj_event sliding_events[] = {
    {1, 1, 1, NOWM}, {2, 2, 5, NOWM},  {1, 6, 10, NOWM},
    {1, 7, 100, 5},  {2, 12, 7, NOWM}, {1, 11, 1000, NOWM},
};

static void test_aggregate_sliding(void **state) {
  /* windows of 10 by 5: key 1 [-5,5) {1}, [0,10) {1,10,100}, [5,15) {10,100,1000},
   * [10,20) {1000}; key 2 [-5,5) {5}, [0,10) {5}, [5,15) {7}, [10,20) {7} */
  check(sliding_events, 6, spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 0), AGG,
        "1/1/1@4 1/1000/1@19 1/111/3@9 1/1110/3@14 2/5/1@4 2/5/1@9 2/7/1@14 2/7/1@19");
}

static void test_reduce_apply_tumbling(void **state) {
  check(sliding_events, 6, spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0), REDUCE_APPLY,
        "1/0/10/1/111@9 1/10/20/1/1000@19 2/0/10/1/5@9 2/10/20/1/7@19");
}

static void test_aggregate_apply_sessions(void **state) {
  static const wj_event ev[] = {
      {1, 0, 1, NOWM}, {1, 20, 2, NOWM}, {2, 5, 3, NOWM}, {1, 10, 4, NOWM}, {2, 40, 5, NOWM},
  };
  /* key 1: [0,10) and [20,30) bridged by [10,20): one session [0,30) of sum 7 */
  check(ev, 5, spate_session_windows(SPATE_EVENT_TIME, 10), AGG_APPLY,
        "1/0/30/1/7@29 2/40/50/1/5@49 2/5/15/1/3@14");
}

static void test_dynamic_gaps(void **state) {
  static const wj_event ev[] = {
      {1, 0, 10, NOWM},
      {1, 12, 5, NOWM}, /* [0,10) and [12,17): apart */
      {2, 0, 15, NOWM},
      {2, 12, 5, NOWM}, /* [0,15) and [12,17): one session [0,17) */
  };
  check(ev, 4, spate_session_windows_dynamic(SPATE_EVENT_TIME, wj_gap), REDUCE,
        "1/0/10@9 1/12/5@16 2/0/20@16");
}

static void test_dynamic_gap_invalid(void **state) {
  static const wj_event ev[] = {{1, 0, 10, NOWM}, {1, 5, 0, NOWM}};
  char *got;
  spate_job_result *r =
      run(ev, 2, spate_session_windows_dynamic(SPATE_EVENT_TIME, wj_gap), REDUCE, &got);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  const char *err = spate_job_result_error(r);
  assert_non_null(err);
  assert_non_null(strstr(err, "'Window'"));
  assert_non_null(strstr(err, "gap must be positive"));
  spate_job_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aggregate_sliding),        cmocka_unit_test(test_reduce_apply_tumbling),
      cmocka_unit_test(test_aggregate_apply_sessions), cmocka_unit_test(test_dynamic_gaps),
      cmocka_unit_test(test_dynamic_gap_invalid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
