/*
 * test_window_aggregate.c: incremental aggregation on windows (Flink's AggregateFunction), the
 * incremental functions combined with a window function (reduce / aggregate with a
 * ProcessWindowFunction), and session windows with a gap per element (Flink's
 * DynamicEventTimeSessionWindows), driven element by element through the operator harness
 * (harness.h), checking the exact records (with timestamps) the window operator emits:
 *  - an aggregate on tumbling windows without merge keeps one accumulator per window; with
 *    merge, sliding windows keep accumulators per pane and merge them when a window fires,
 *    with the same results as the per-window layout;
 *  - session windows merge accumulators with the aggregate's merge, and refuse an aggregate
 *    without one; count windows (tumbling and sliding) aggregate too;
 *  - the combined forms call the window function with exactly one element, the reduced row or
 *    the aggregate's result, and the window's bounds;
 *  - dynamic session gaps: windows of one key merge or not depending on each element's own gap;
 *    a gap <= 0 fails with a message naming the operator.
 * UDFs have external linkage and a wa_ prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

/* Input (k, v); accumulator (k, sum, n); result (k, 100 * sum + n). */
#define IN_SCHEMA "k BIGINT NOT NULL, v BIGINT NOT NULL"
#define ACC_SCHEMA "k BIGINT NOT NULL, sum BIGINT NOT NULL, n BIGINT NOT NULL"

static int merges; /* calls of wa_merge: shows which layout ran */
static int creates;

int wa_create(spate_ctx *ctx, spate_row_builder *acc) {
  creates++;
  spate_rb_set_bigint(acc, 0, 0);
  spate_rb_set_bigint(acc, 1, 0);
  spate_rb_set_bigint(acc, 2, 0);
  return 0;
}

int wa_add(spate_ctx *ctx, const spate_row *acc, const spate_row *v, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(v, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(v, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + 1);
  return 0;
}

int wa_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0));
  spate_rb_set_bigint(out, 1, 100 * spate_row_bigint(acc, 1) + spate_row_bigint(acc, 2));
  return 0;
}

int wa_merge(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *out) {
  merges++;
  int64_t k = spate_row_bigint(b, 2) ? spate_row_bigint(b, 0) : spate_row_bigint(a, 0);
  spate_rb_set_bigint(out, 0, k);
  spate_rb_set_bigint(out, 1, spate_row_bigint(a, 1) + spate_row_bigint(b, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(a, 2) + spate_row_bigint(b, 2));
  return 0;
}

int wa_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  return 0;
}

/* Window function over the one pre-aggregated element: (k, start, end, elements seen, v). */
int wa_window(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *el,
              spate_collector *out) {
  spate_row r, first = {0};
  int64_t n = 0;
  while (spate_window_next(el, &r))
    if (n++ == 0) first = r;
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, spate_row_bigint(&first, 0));
  spate_rb_set_bigint(b, 1, w->start);
  spate_rb_set_bigint(b, 2, w->end);
  spate_rb_set_bigint(b, 3, n);
  spate_rb_set_bigint(b, 4, spate_row_bigint(&first, 1));
  return spate_collect_emit(out);
}

/* The session gap of an element: its field v. */
int64_t wa_gap(spate_ctx *ctx, const spate_row *e) { return spate_row_bigint(e, 1); }

static const spate_aggregate_fns fns_no_merge = {
    .create = wa_create, .add = wa_add, .result = wa_result};
static const spate_aggregate_fns fns_merge = {
    .create = wa_create, .add = wa_add, .result = wa_result, .merge = wa_merge};

enum { AGG, AGG_APPLY, REDUCE_APPLY, REDUCE };

static spate_env *g_env;
static spate_row_builder *g_b;

static void open_op(harness *h, spate_window_assigner a, int what, const spate_aggregate_fns *fns) {
  merges = creates = 0;
  g_env = spate_env_create();
  const spate_schema *in = spate_env_schema(g_env, IN_SCHEMA);
  const spate_schema *acc = spate_env_schema(g_env, ACC_SCHEMA);
  const spate_schema *wide = spate_env_schema(
      g_env,
      "k BIGINT NOT NULL, s BIGINT NOT NULL, e BIGINT NOT NULL, n BIGINT NOT NULL, "
      "v BIGINT NOT NULL");
  spate_stream *w = spate_window(spate_key_by(spate_from_rows(g_env, in, NULL, 0), 0), a);
  spate_stream *out = NULL;
  switch (what) {
  case AGG: out = spate_window_aggregate(w, fns, acc, in); break;
  case AGG_APPLY: out = spate_window_aggregate_apply(w, fns, acc, in, wa_window, wide); break;
  case REDUCE_APPLY: out = spate_window_reduce_apply(w, wa_sum, wa_window, wide); break;
  default: out = spate_window_reduce(w, wa_sum);
  }
  if (spate_env_error(g_env)) fail_msg("build: %s", spate_env_error(g_env));
  if (harness_open(h, g_env, out) != 0) fail_msg("open: %s", h->err);
  g_b = spate_rb_new(in);
}

static void close_op(harness *h) {
  spate_rb_free(g_b);
  harness_close(h);
  spate_env_free(g_env);
}

static int el_rc(harness *h, int64_t ts, int64_t k, int64_t v) {
  spate_row r;
  spate_rb_begin(g_b);
  spate_rb_set_bigint(g_b, 0, k);
  spate_rb_set_bigint(g_b, 1, v);
  spate_rb_finish(g_b, &r);
  return harness_element(h, 0, ts, &r);
}

static void el(harness *h, int64_t ts, int64_t k, int64_t v) {
  if (el_rc(h, ts, k, v) != 0)
    fail_msg("element (%lld, %lld): %s", (long long)k, (long long)v, h->err);
}

static void wm(harness *h, int64_t t) {
  if (harness_watermark(h, t) != 0) fail_msg("watermark %lld: %s", (long long)t, h->err);
}

/* Event i is a record at ts with the n given BIGINT fields. */
static void expect(const harness *h, size_t i, int64_t ts, int n, ...) {
  if (i >= h->nevents) fail_msg("event %zu missing: only %zu events", i, h->nevents);
  const harness_event *e = &h->events[i];
  assert_int_equal(e->type, HARNESS_RECORD);
  assert_int_equal(e->ts, ts);
  assert_int_equal(e->row.nfields, n);
  va_list ap;
  va_start(ap, n);
  for (int f = 0; f < n; f++) assert_int_equal(spate_row_bigint(&e->row, f), va_arg(ap, int64_t));
  va_end(ap);
}
#define REC2(i, ts, a, b) expect(&h, i, ts, 2, (int64_t)(a), (int64_t)(b))
#define REC5(i, ts, a, b, c, d, e_) \
  expect(&h, i, ts, 5, (int64_t)(a), (int64_t)(b), (int64_t)(c), (int64_t)(d), (int64_t)(e_))
#define WM(i, t)                                           \
  do {                                                     \
    assert_true((i) < h.nevents);                          \
    assert_int_equal(h.events[i].type, HARNESS_WATERMARK); \
    assert_int_equal(h.events[i].ts, t);                   \
  } while (0)

/* ---- aggregate --------------------------------------------------------------------------------- */
static void test_aggregate_tumbling(void **state) {
  harness h;
  open_op(&h, spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0), AGG, &fns_no_merge);
  el(&h, 1, 1, 3);
  el(&h, 24, 2, 7);
  el(&h, 9, 1, 4);
  el(&h, 12, 1, 5);
  assert_int_equal(creates, 3); /* one accumulator per (key, window) */
  wm(&h, 9);
  REC2(0, 9, 1, 702); /* sum 7, 2 elements */
  WM(1, 9);
  el(&h, 13, 1, 1);
  wm(&h, 30);
  REC2(2, 19, 1, 602);
  REC2(3, 29, 2, 701);
  WM(4, 30);
  assert_int_equal(h.nevents, 5);
  assert_int_equal(merges, 0);
  close_op(&h);
}

/* Sliding windows of 10 by 5: with merge, accumulators per pane of 5 (one create per pane,
 * merged when a window fires); without, one accumulator per window (two creates per element
 * of a new window). The results are the same. */
static void sliding(const spate_aggregate_fns *fns, int want_creates, int want_merges) {
  harness h;
  open_op(&h, spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 0), AGG, fns);
  el(&h, 1, 1, 1);   /* windows [-5, 5), [0, 10) */
  el(&h, 6, 1, 10);  /* [0, 10), [5, 15) */
  el(&h, 7, 1, 100); /* same */
  el(&h, 11, 1, 1000);
  wm(&h, 100);
  REC2(0, 4, 1, 100 * 1 + 1);
  REC2(1, 9, 1, 100 * 111 + 3);
  REC2(2, 14, 1, 100 * 1110 + 3);
  REC2(3, 19, 1, 100 * 1000 + 1);
  WM(4, 100);
  assert_int_equal(h.nevents, 5);
  assert_int_equal(creates, want_creates);
  assert_int_equal(merges, want_merges);
  close_op(&h);
}

static void test_aggregate_sliding_panes_with_merge(void **state) {
  /* panes [0,5), [5,10), [10,15): 3 creates; windows [0,10) and [5,15) merge two panes each */
  sliding(&fns_merge, 3, 2);
}

static void test_aggregate_sliding_without_merge(void **state) {
  /* windows [-5,5), [0,10), [5,15), [10,20): 4 creates, no merging */
  sliding(&fns_no_merge, 4, 0);
}

/* Session windows merge accumulators: [0, 10) and [20, 30) are bridged by [10, 20). */
static void test_aggregate_sessions(void **state) {
  harness h;
  open_op(&h, spate_session_windows(SPATE_EVENT_TIME, 10), AGG, &fns_merge);
  el(&h, 0, 1, 1);
  el(&h, 20, 1, 2);
  el(&h, 10, 1, 4);
  assert_int_equal(merges, 1); /* the second window's accumulator into the merged one's */
  wm(&h, 100);
  REC2(0, 29, 1, 100 * 7 + 3);
  WM(1, 100);
  assert_int_equal(h.nevents, 2);
  close_op(&h);

  spate_env *env = spate_env_create();
  const spate_schema *in = spate_env_schema(env, IN_SCHEMA);
  const spate_schema *acc = spate_env_schema(env, ACC_SCHEMA);
  spate_stream *w = spate_window(spate_key_by(spate_from_rows(env, in, NULL, 0), 0),
                                 spate_session_windows(SPATE_EVENT_TIME, 10));
  spate_window_aggregate(w, &fns_no_merge, acc, in);
  assert_non_null(spate_env_error(env));
  assert_non_null(strstr(spate_env_error(env), "merge"));
  spate_env_free(env);
}

/* Count windows: tumbling (accumulator per window, purged) and sliding (elements kept, the
 * aggregate folds the last `size` of them). */
static void test_aggregate_count_windows(void **state) {
  harness h;
  open_op(&h, spate_count_windows(2, 0), AGG, &fns_no_merge);
  for (int64_t v = 1; v <= 5; v++) el(&h, v, 1, v);
  REC2(0, INT64_MAX, 1, 302);
  REC2(1, INT64_MAX, 1, 702);
  assert_int_equal(h.nevents, 2);
  close_op(&h);
  open_op(&h, spate_count_windows(3, 1), AGG, &fns_no_merge);
  for (int64_t v = 1; v <= 4; v++) el(&h, v, 1, v);
  REC2(0, INT64_MAX, 1, 101);
  REC2(1, INT64_MAX, 1, 302);
  REC2(2, INT64_MAX, 1, 603);
  REC2(3, INT64_MAX, 1, 903); /* 2 + 3 + 4 */
  assert_int_equal(h.nevents, 4);
  close_op(&h);
}

/* An evictor keeps elements: the aggregate folds those that remain when the window fires. */
static void test_aggregate_with_evictor(void **state) {
  harness h;
  merges = creates = 0;
  g_env = spate_env_create();
  const spate_schema *in = spate_env_schema(g_env, IN_SCHEMA);
  const spate_schema *acc = spate_env_schema(g_env, ACC_SCHEMA);
  spate_stream *w =
      spate_window(spate_key_by(spate_from_rows(g_env, in, NULL, 0), 0), spate_global_windows());
  w = spate_window_evictor(spate_window_trigger(w, spate_count_trigger(3)),
                           spate_count_evictor(2, false));
  spate_stream *out = spate_window_aggregate(w, &fns_no_merge, acc, in);
  if (spate_env_error(g_env)) fail_msg("build: %s", spate_env_error(g_env));
  if (harness_open(&h, g_env, out) != 0) fail_msg("open: %s", h.err);
  g_b = spate_rb_new(in);
  for (int64_t v = 1; v <= 6; v++) el(&h, v, 1, v);
  REC2(0, INT64_MAX, 1, 502);  /* 1, 2, 3: the last two remain */
  REC2(1, INT64_MAX, 1, 1102); /* 2, 3, 4, 5, 6 -> 5 and 6 */
  assert_int_equal(h.nevents, 2);
  close_op(&h);
}

/* ---- incremental + window function ------------------------------------------------------------- */
static void test_reduce_apply(void **state) {
  harness h;
  open_op(&h, spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0), REDUCE_APPLY, NULL);
  el(&h, 1, 1, 3);
  el(&h, 2, 1, 4);
  el(&h, 5, 1, 5);
  el(&h, 11, 1, 6);
  wm(&h, 30);
  REC5(0, 9, 1, 0, 10, 1, 12); /* one element: the reduced row */
  REC5(1, 19, 1, 10, 20, 1, 6);
  WM(2, 30);
  close_op(&h);
  /* sliding windows: reduce on panes, the window function still sees one element */
  open_op(&h, spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 0), REDUCE_APPLY, NULL);
  el(&h, 1, 1, 1);
  el(&h, 6, 1, 10);
  wm(&h, 9);
  REC5(0, 4, 1, -5, 5, 1, 1);
  REC5(1, 9, 1, 0, 10, 1, 11);
  close_op(&h);
}

static void test_aggregate_apply(void **state) {
  harness h;
  open_op(&h, spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 0), AGG_APPLY, &fns_merge);
  el(&h, 1, 1, 1);
  el(&h, 6, 1, 10);
  el(&h, 7, 1, 20);
  wm(&h, 20);
  REC5(0, 4, 1, -5, 5, 1, 101);
  REC5(1, 9, 1, 0, 10, 1, 3103);
  REC5(2, 14, 1, 5, 15, 1, 3002);
  WM(3, 20);
  assert_int_equal(h.nevents, 4);
  close_op(&h);
  /* session windows, merged accumulators, one result */
  open_op(&h, spate_session_windows(SPATE_EVENT_TIME, 5), AGG_APPLY, &fns_merge);
  el(&h, 0, 2, 1);
  el(&h, 3, 2, 2);
  el(&h, 20, 2, 4);
  wm(&h, 100);
  REC5(0, 7, 2, 0, 8, 1, 302);
  REC5(1, 24, 2, 20, 25, 1, 401);
  close_op(&h);
}

/* ---- dynamic session gaps ---------------------------------------------------------------------- */
static void test_dynamic_gaps(void **state) {
  harness h;
  open_op(&h, spate_session_windows_dynamic(SPATE_EVENT_TIME, wa_gap), REDUCE, NULL);
  el(&h, 0, 1, 10);   /* [0, 10) */
  el(&h, 12, 1, 5);   /* [12, 17): 10 < 12, no merge */
  el(&h, 100, 2, 15); /* [100, 115) */
  el(&h, 112, 2, 5);  /* [112, 117): merges into [100, 117) */
  wm(&h, 10);
  REC2(0, 9, 1, 10);
  WM(1, 10);
  wm(&h, 200);
  REC2(2, 16, 1, 5);
  REC2(3, 116, 2, 20);
  WM(4, 200);
  el(&h, 300, 3, 3); /* [300, 303) */
  el(&h, 305, 3, 1); /* [305, 306): apart */
  el(&h, 301, 3, 4); /* [301, 305): touches both, all three merge into [300, 306) */
  wm(&h, 400);
  REC2(5, 305, 3, 8);
  WM(6, 400);
  assert_int_equal(h.nevents, 7);
  close_op(&h);
}

static void test_dynamic_gap_invalid(void **state) {
  harness h;
  open_op(&h, spate_session_windows_dynamic(SPATE_EVENT_TIME, wa_gap), REDUCE, NULL);
  el(&h, 0, 1, 10);
  assert_true(el_rc(&h, 5, 1, 0) < 0);
  assert_non_null(strstr(h.err, "'Window'"));
  assert_non_null(strstr(h.err, "gap must be positive"));
  close_op(&h);
  /* a gap function only goes with session windows */
  spate_env *env = spate_env_create();
  const spate_schema *in = spate_env_schema(env, IN_SCHEMA);
  spate_window_assigner a = spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0);
  a.gap_fn = wa_gap;
  spate_window(spate_key_by(spate_from_rows(env, in, NULL, 0), 0), a);
  assert_non_null(spate_env_error(env));
  assert_non_null(strstr(spate_env_error(env), "gap function"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aggregate_tumbling),
      cmocka_unit_test(test_aggregate_sliding_panes_with_merge),
      cmocka_unit_test(test_aggregate_sliding_without_merge),
      cmocka_unit_test(test_aggregate_sessions),
      cmocka_unit_test(test_aggregate_count_windows),
      cmocka_unit_test(test_aggregate_with_evictor),
      cmocka_unit_test(test_reduce_apply),
      cmocka_unit_test(test_aggregate_apply),
      cmocka_unit_test(test_dynamic_gaps),
      cmocka_unit_test(test_dynamic_gap_invalid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
