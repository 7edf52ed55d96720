/*
 * test_window_triggers.c: window triggers and evictors (Flink's Trigger and Evictor classes)
 * driven element by element through the operator harness (harness.h), checking the exact
 * records (with timestamps) and watermarks the window operator emits:
 *  - CountTrigger on global windows fires every n elements of a key and restarts its count;
 *    the window keeps its contents (FIRE), or loses them with PurgingTrigger (FIRE_AND_PURGE);
 *  - a count trigger on event-time windows replaces the time trigger: the watermark fires
 *    nothing, and the window's state still goes at its end;
 *  - a purging event-time trigger: a late element within the allowed lateness fires a window
 *    that holds only itself, where the plain trigger fires all elements again;
 *  - ContinuousEventTimeTrigger fires at interval boundaries (from the first element's interval)
 *    and at the window's end; ContinuousProcessingTimeTrigger fires every interval of the clock;
 *  - DeltaTrigger: the first element is only remembered; an element whose delta to the last
 *    fired one exceeds the threshold fires and becomes the last fired one;
 *  - CountEvictor, TimeEvictor and DeltaEvictor, before and after the window function, with
 *    reduce and with a window function; count windows whose evictor replaces their own.
 * Global windows have max timestamp INT64_MAX, which their results carry. UDFs have external
 * linkage and a wt_ prefix.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

#define END INT64_MAX /* the max timestamp of a global window */

#define REC HARNESS_REC
#define WM HARNESS_WM

/* One window operator under test: key by field 0, the assigner, trigger and evictor, reduce
 * (harness_sum) or apply (harness_apply). */
typedef struct wt_setup {
  spate_window_assigner a;
  spate_trigger t;
  spate_evictor e;
  int64_t lateness;
  bool apply;
} wt_setup;

static spate_env *g_env;
static spate_row_builder *g_b;

static void open_op(harness *h, wt_setup s) {
  g_env = spate_env_create();
  const spate_schema *sch = spate_env_schema(g_env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *w = spate_window(spate_key_by(spate_from_rows(g_env, sch, NULL, 0), 0), s.a);
  w = spate_window_trigger(w, s.t);
  w = spate_window_evictor(w, s.e);
  if (s.lateness) w = spate_allowed_lateness(w, s.lateness);
  spate_stream *out =
      s.apply ? spate_window_apply(w, harness_apply, sch) : spate_window_reduce(w, harness_sum);
  if (spate_env_error(g_env)) fail_msg("build: %s", spate_env_error(g_env));
  if (harness_open(h, g_env, out) != 0) fail_msg("open: %s", h->err);
  g_b = spate_rb_new(sch);
}

static void close_op(harness *h) {
  spate_rb_free(g_b);
  harness_close(h);
  spate_env_free(g_env);
}

static void el(harness *h, int64_t ts, int64_t k, int64_t v) {
  spate_row r = harness_row2(g_b, k, v);
  if (harness_element(h, 0, ts, &r) != 0)
    fail_msg("element (%lld, %lld): %s", (long long)k, (long long)v, h->err);
}

static const spate_trigger no_trigger = {.kind = SPATE_TRIGGER_DEFAULT};
static const spate_evictor no_evictor = {.kind = SPATE_EVICTOR_NONE};

/* ---- count trigger ---------------------------------------------------------------------------- */
static void test_count_trigger(void **state) {
  harness h;
  open_op(&h, (wt_setup){spate_global_windows(), spate_count_trigger(3), no_evictor, 0, false});
  el(&h, 1, 1, 1);
  el(&h, 2, 1, 2);
  el(&h, 3, 2, 100); /* another key, its own count */
  el(&h, 4, 1, 3);   /* third of key 1: FIRE, contents kept */
  REC(0, END, 1, 6);
  el(&h, 5, 1, 4);
  el(&h, 6, 1, 5);
  assert_int_equal(h.nevents, 1);                   /* the count restarted at 0 */
  assert_int_equal(harness_watermark(&h, 1000), 0); /* global windows never fire on time */
  WM(1, 1000);
  el(&h, 7, 1, 6);
  REC(2, END, 1, 21); /* 1 + ... + 6: nothing was purged */
  el(&h, 8, 2, 10);
  el(&h, 9, 2, 1);
  REC(3, END, 2, 111);
  assert_int_equal(harness_watermark(&h, INT64_MAX), 0);
  WM(4, INT64_MAX);
  assert_int_equal(h.nevents, 5); /* partial windows are not emitted at the end */
  close_op(&h);
}

static void test_purging_count_trigger(void **state) {
  harness h;
  open_op(&h, (wt_setup){spate_global_windows(), spate_purging(spate_count_trigger(3)), no_evictor,
                         0, false});
  for (int64_t v = 1; v <= 7; v++) el(&h, v, 1, v);
  REC(0, END, 1, 6);  /* 1 + 2 + 3, then purged */
  REC(1, END, 1, 15); /* 4 + 5 + 6 */
  assert_int_equal(h.nevents, 2);
  close_op(&h);
}

/* A count trigger replaces the event-time trigger: the window fires every 2 elements and never
 * on the watermark, and its state goes at its end (lateness 0). */
static void test_count_trigger_on_time_windows(void **state) {
  harness h;
  open_op(&h, (wt_setup){spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0), spate_count_trigger(2),
                         no_evictor, 0, false});
  el(&h, 1, 1, 1);
  el(&h, 2, 1, 2);
  REC(0, 9, 1, 3);
  el(&h, 3, 1, 4);
  assert_int_equal(harness_watermark(&h, 9), 0);
  WM(1, 9);        /* no firing at the window's end */
  el(&h, 4, 1, 8); /* late: dropped */
  el(&h, 11, 1, 16);
  el(&h, 12, 1, 32);
  REC(2, 19, 1, 48); /* a new window: the count of [0, 10) went with it */
  assert_int_equal(h.nevents, 3);
  close_op(&h);
}

/* ---- purging vs plain event-time trigger with allowed lateness --------------------------------- */
static void late_firing(bool purging, int64_t want_late) {
  harness h;
  spate_trigger t = {.kind = SPATE_TRIGGER_EVENT_TIME, .purging = purging};
  open_op(&h,
          (wt_setup){spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0), t, no_evictor, 100, false});
  el(&h, 1, 1, 100);
  el(&h, 5, 1, 20);
  assert_int_equal(harness_watermark(&h, 9), 0);
  REC(0, 9, 1, 120);
  WM(1, 9);
  el(&h, 4, 1, 7); /* late but within the lateness: fires at once */
  REC(2, 9, 1, want_late);
  assert_int_equal(harness_watermark(&h, 200), 0); /* cleanup at 9 + 100: no firing */
  WM(3, 200);
  el(&h, 3, 1, 1); /* beyond the lateness: dropped */
  assert_int_equal(h.nevents, 4);
  close_op(&h);
}

static void test_event_time_fire_vs_purge(void **state) {
  late_firing(false, 127); /* FIRE: the window still holds 100 and 20 */
  late_firing(true, 7);    /* FIRE_AND_PURGE: only the late element */
}

/* ---- continuous triggers ----------------------------------------------------------------------- */
static void test_continuous_event_time(void **state) {
  harness h;
  open_op(&h, (wt_setup){spate_tumbling_windows(SPATE_EVENT_TIME, 100, 0),
                         spate_continuous_trigger(SPATE_EVENT_TIME, 30), no_evictor, 0, false});
  el(&h, 5, 1, 1); /* first firing at the end of its interval: 30 */
  assert_int_equal(harness_watermark(&h, 29), 0);
  WM(0, 29);
  assert_int_equal(harness_watermark(&h, 30), 0);
  REC(1, 99, 1, 1);
  WM(2, 30);
  el(&h, 40, 1, 2);
  el(&h, 70, 1, 4);
  assert_int_equal(harness_watermark(&h, 65), 0); /* 60 */
  REC(3, 99, 1, 7);
  WM(4, 65);
  assert_int_equal(harness_watermark(&h, 120), 0); /* 90, then the window's end 99 */
  REC(5, 99, 1, 7);
  REC(6, 99, 1, 7);
  WM(7, 120);
  assert_int_equal(h.nevents, 8);
  close_op(&h);
}

static void test_continuous_event_time_purging(void **state) {
  harness h;
  open_op(&h, (wt_setup){spate_tumbling_windows(SPATE_EVENT_TIME, 100, 0),
                         spate_purging(spate_continuous_trigger(SPATE_EVENT_TIME, 50)), no_evictor,
                         0, false});
  el(&h, 10, 1, 1);
  el(&h, 20, 1, 2);
  assert_int_equal(harness_watermark(&h, 50), 0);
  REC(0, 99, 1, 3);
  WM(1, 50);
  el(&h, 60, 1, 4);
  assert_int_equal(harness_watermark(&h, 99), 0); /* next = min(100, 99) = the end */
  REC(2, 99, 1, 4);
  WM(3, 99);
  assert_int_equal(h.nevents, 4);
  close_op(&h);
}

static void test_continuous_processing_time(void **state) {
  harness h;
  open_op(&h,
          (wt_setup){spate_global_windows(), spate_continuous_trigger(SPATE_PROCESSING_TIME, 1000),
                     no_evictor, 0, false});
  el(&h, 1, 1, 1);
  assert_int_equal(h.ntimers, 1);
  int64_t due = h.timers[0].due; /* the next multiple of the interval */
  assert_int_equal(due % 1000, 0);
  assert_int_equal(harness_processing_time(&h, due - 1), 0);
  assert_int_equal(h.nevents, 0);
  assert_int_equal(harness_processing_time(&h, due), 0);
  REC(0, END, 1, 1);
  assert_int_equal(h.ntimers, 1);
  assert_int_equal(h.timers[0].due, due + 1000); /* the next interval */
  el(&h, 2, 1, 2);
  assert_int_equal(harness_processing_time(&h, due + 1000), 0);
  REC(1, END, 1, 3);
  assert_int_equal(h.nevents, 2);
  close_op(&h);
}

/* ---- delta trigger ----------------------------------------------------------------------------- */
static void delta_trigger(bool purging, int64_t second) {
  harness h;
  spate_trigger t = spate_delta_trigger(10, harness_delta);
  t.purging = purging;
  open_op(&h, (wt_setup){spate_global_windows(), t, no_evictor, 0, false});
  el(&h, 1, 1, 0);  /* remembered, no firing */
  el(&h, 2, 1, 5);  /* 5 */
  el(&h, 3, 1, 11); /* 11 > 10: fires [0, 5, 11], 11 is the last fired */
  REC(0, END, 1, 16);
  el(&h, 4, 1, 15); /* 4 */
  el(&h, 5, 1, 21); /* 10, not > 10 */
  assert_int_equal(h.nevents, 1);
  el(&h, 6, 1, 22); /* 11 */
  REC(1, END, 1, second);
  assert_int_equal(h.nevents, 2);
  close_op(&h);
}

static void test_delta_trigger(void **state) {
  delta_trigger(false, 74); /* 0 + 5 + 11 + 15 + 21 + 22 */
  delta_trigger(true, 58);  /* 15 + 21 + 22 */
}

/* ---- evictors ---------------------------------------------------------------------------------- */
static void count_evictor(bool after, bool apply, int64_t first, int64_t second) {
  harness h;
  open_op(&h, (wt_setup){spate_global_windows(), spate_count_trigger(3),
                         spate_count_evictor(2, after), 0, apply});
  for (int64_t v = 1; v <= 6; v++) el(&h, v, 1, v);
  REC(0, END, 1, first);
  REC(1, END, 1, second);
  assert_int_equal(h.nevents, 2);
  close_op(&h);
}

static void test_count_evictor(void **state) {
  /* before: [1,2,3] -> [2,3]; [2,3,4,5,6] -> [5,6] */
  count_evictor(false, false, 5, 11);
  count_evictor(false, true, 2005, 2011);
  /* after: the function sees [1,2,3], then [2,3,4,5,6]; [5,6] remain */
  count_evictor(true, false, 6, 20);
  count_evictor(true, true, 3006, 5020);
}

static void time_evictor(bool after, int64_t first, int64_t second) {
  harness h;
  open_op(&h, (wt_setup){spate_global_windows(), spate_count_trigger(3),
                         spate_time_evictor(10, after), 0, false});
  el(&h, 1, 1, 1);
  el(&h, 20, 1, 2);
  el(&h, 25, 1, 3); /* max 25: keep timestamps > 15 */
  REC(0, END, 1, first);
  el(&h, 30, 1, 4);
  el(&h, 31, 1, 5);
  el(&h, 40, 1, 6); /* max 40: keep timestamps > 30 */
  REC(1, END, 1, second);
  assert_int_equal(h.nevents, 2);
  close_op(&h);
}

static void test_time_evictor(void **state) {
  time_evictor(false, 5, 11); /* [2,3]; [5,6] */
  time_evictor(true, 6, 20);  /* [1,2,3] then [2,3] remain; [2,3,4,5,6] then [5,6] */
}

static void delta_evictor(bool after, int64_t first, int64_t second) {
  harness h;
  open_op(&h, (wt_setup){spate_global_windows(), spate_count_trigger(4),
                         spate_delta_evictor(5, harness_delta, after), 0, true});
  el(&h, 1, 1, 1);
  el(&h, 2, 1, 8);
  el(&h, 3, 1, 10);
  el(&h, 4, 1, 12); /* last 12: evict |v - 12| >= 5, i.e. 1 */
  REC(0, END, 1, first);
  el(&h, 5, 1, 30);
  el(&h, 6, 1, 31);
  el(&h, 7, 1, 29);
  el(&h, 8, 1, 33); /* last 33: only 30, 31, 29 and 33 stay */
  REC(1, END, 1, second);
  assert_int_equal(h.nevents, 2);
  close_op(&h);
}

static void test_delta_evictor(void **state) {
  delta_evictor(false, 3030, 4123);
  delta_evictor(true, 4031, 7153); /* [8,10,12,30,31,29,33] seen, then [30,31,29,33] remain */
}

/* Count windows given an evictor: PurgingTrigger(CountTrigger(3)) stays, the evictor is new. */
static void test_count_window_with_evictor(void **state) {
  harness h;
  open_op(&h, (wt_setup){spate_count_windows(3, 0), no_trigger, spate_count_evictor(2, false), 0,
                         false});
  for (int64_t v = 1; v <= 6; v++) el(&h, v, 1, v);
  REC(0, END, 1, 5);
  REC(1, END, 1, 11); /* purged after the first firing: [4,5,6] -> [5,6] */
  assert_int_equal(h.nevents, 2);
  close_op(&h);
}

/* Global windows without a trigger never fire. */
static void test_global_never_fires(void **state) {
  harness h;
  open_op(&h, (wt_setup){spate_global_windows(), no_trigger, no_evictor, 0, false});
  for (int64_t v = 1; v <= 5; v++) el(&h, v, 1, v);
  assert_int_equal(harness_watermark(&h, INT64_MAX), 0);
  WM(0, INT64_MAX);
  assert_int_equal(h.nevents, 1);
  close_op(&h);
}

/* ---- custom triggers ---------------------------------------------------------------------------- */
/* on_element by the element's v: 0 FIRE, -1 FIRE_AND_PURGE, >= 1000 an event-time timer at v,
 * 500 deletes the timer at 2000, 3000 a processing-time timer at 50; else CONTINUE. Event-time
 * timers FIRE, processing-time timers FIRE_AND_PURGE. The window must be the global one. */
int wt_on_element(spate_ctx *ctx, const spate_row *e, int64_t ts, const spate_time_window *w) {
  int64_t v = spate_row_bigint(e, 1);
  if (w->start != INT64_MIN || w->end != INT64_MAX) return spate_ctx_fail(ctx, "not global");
  if (v == 0) return SPATE_TRIGGER_FIRE;
  if (v == -1) return SPATE_TRIGGER_FIRE_AND_PURGE;
  if (v == 500) return spate_trigger_delete_event_timer(ctx, 2000);
  if (v == 3000) return spate_trigger_register_processing_timer(ctx, 50);
  if (v >= 1000) return spate_trigger_register_event_timer(ctx, v);
  return SPATE_TRIGGER_CONTINUE;
}
int wt_on_event_time(spate_ctx *ctx, int64_t t, const spate_time_window *w) {
  return SPATE_TRIGGER_FIRE;
}
int wt_on_processing_time(spate_ctx *ctx, int64_t t, const spate_time_window *w) {
  return t == 50 ? SPATE_TRIGGER_FIRE_AND_PURGE : SPATE_TRIGGER_CONTINUE;
}
/* A reduce function that tries to use a trigger timer: refused outside a trigger callback. */
int wt_sum_timer(spate_ctx *ctx, const spate_row *acc, const spate_row *in,
                 spate_row_builder *out) {
  int rc = spate_trigger_register_event_timer(ctx, 1);
  return rc < 0 ? rc : harness_sum(ctx, acc, in, out);
}

static void test_custom_trigger(void **state) {
  harness h;
  open_op(&h,
          (wt_setup){spate_global_windows(),
                     spate_custom_trigger(wt_on_element, wt_on_event_time, wt_on_processing_time),
                     no_evictor, 0, false});
  el(&h, 1, 1, 5);
  el(&h, 2, 1, 0);
  REC(0, END, 1, 5); /* FIRE: contents kept */
  el(&h, 3, 1, 7);
  el(&h, 4, 1, -1);
  REC(1, END, 1, 11); /* FIRE_AND_PURGE: 5 + 0 + 7 - 1, then purged */
  el(&h, 5, 1, 2);
  el(&h, 6, 1, 1000); /* event-time timer at 1000 */
  el(&h, 7, 1, 2000); /* and at 2000 */
  el(&h, 8, 1, 500);  /* deletes the one at 2000 */
  el(&h, 9, 2, 1);    /* another key: no timers */
  assert_int_equal(h.nevents, 2);
  assert_int_equal(harness_watermark(&h, 1500), 0);
  REC(2, END, 1, 3502); /* the timer at 1000 of key 1 */
  WM(3, 1500);
  assert_int_equal(harness_watermark(&h, 3000), 0);
  WM(4, 3000);         /* the timer at 2000 was deleted */
  el(&h, 10, 1, 3000); /* processing-time timer at 50 */
  assert_int_equal(harness_processing_time(&h, 49), 0);
  assert_int_equal(h.nevents, 5); /* a timer for 50 fires when the time reaches 50 */
  assert_int_equal(harness_processing_time(&h, 50), 0);
  REC(5, END, 1, 6502);
  el(&h, 11, 1, 0);
  REC(6, END, 1, 0); /* purged by the processing-time firing: only this element */
  assert_int_equal(h.nevents, 7);
  close_op(&h);

  /* purging turns FIRE into FIRE_AND_PURGE */
  open_op(&h, (wt_setup){spate_global_windows(),
                         spate_purging(spate_custom_trigger(wt_on_element, NULL, NULL)), no_evictor,
                         0, true});
  el(&h, 1, 1, 4);
  el(&h, 2, 1, 0);
  REC(0, END, 1, 2004); /* apply: 1000 * elements + sum */
  el(&h, 3, 1, 0);
  REC(1, END, 1, 1000);
  close_op(&h);

  /* the timer calls fail outside a trigger callback */
  g_env = spate_env_create();
  const spate_schema *sch = spate_env_schema(g_env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *w = spate_window(spate_key_by(spate_from_rows(g_env, sch, NULL, 0), 0),
                                 spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0));
  spate_stream *out = spate_window_reduce(w, wt_sum_timer);
  if (harness_open(&h, g_env, out) != 0) fail_msg("open: %s", h.err);
  g_b = spate_rb_new(sch);
  el(&h, 1, 1, 1); /* the first element is the accumulator: no reduce call */
  spate_row r = harness_row2(g_b, 1, 2);
  assert_true(harness_element(&h, 0, 2, &r) < 0);
  assert_non_null(strstr(h.err, "only a custom trigger's callback"));
  close_op(&h);
}

static void test_bad_arguments(void **state) {
  spate_env *env = spate_env_create();
  const spate_schema *sch = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *k = spate_key_by(spate_from_rows(env, sch, NULL, 0), 0);
  spate_window_trigger(spate_window(k, spate_session_windows(SPATE_EVENT_TIME, 10)),
                       spate_delta_trigger(1, harness_delta)); /* cannot merge */
  assert_non_null(spate_env_error(env));
  assert_non_null(strstr(spate_env_error(env), "session"));
  spate_env_free(env);
  env = spate_env_create();
  sch = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  k = spate_key_by(spate_from_rows(env, sch, NULL, 0), 0);
  spate_window_trigger(spate_window(k, spate_global_windows()), spate_count_trigger(0));
  assert_non_null(spate_env_error(env));
  assert_non_null(strstr(spate_env_error(env), "count must be positive"));
  spate_env_free(env);
}

/* ---- arrival order: a reduce that keeps the last arrival, out-of-order input --------------- */
int wt_keep_last(spate_ctx *ctx, const spate_row *acc, const spate_row *in,
                 spate_row_builder *out) {
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

static void run_keep_last(bool arrival_order, int64_t expect_first) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *w = spate_window(spate_key_by(spate_from_rows(env, s, NULL, 0), 0),
                                 spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 0));
  if (arrival_order) spate_window_arrival_order(w);
  spate_stream *red = spate_window_reduce(w, wt_keep_last);
  harness h;
  assert_int_equal(harness_open(&h, env, red), 0);
  spate_row_builder *b = spate_rb_new(s);
  spate_row r = harness_row2(b, 1, 7);
  assert_int_equal(harness_element(&h, 0, 7, &r), 0);
  r = harness_row2(b, 1, 2);
  assert_int_equal(harness_element(&h, 0, 2, &r), 0); /* arrives after ts 7 */
  assert_int_equal(harness_watermark(&h, 100), 0);
  REC(0, 4, 1, 2);            /* [-5, 5): only ts 2 */
  REC(1, 9, 1, expect_first); /* [0, 10): Flink keeps the last arrival, 2; panes give 7 */
  REC(2, 14, 1, 7);           /* [5, 15): only ts 7 */
  spate_rb_free(b);
  harness_close(&h);
  spate_env_free(env);
}

static void test_arrival_order(void **state) {
  run_keep_last(true, 2);  /* Flink's per-window folding in arrival order */
  run_keep_last(false, 7); /* panes: combined in time order (documented; needs commutativity) */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arrival_order),
      cmocka_unit_test(test_count_trigger),
      cmocka_unit_test(test_purging_count_trigger),
      cmocka_unit_test(test_count_trigger_on_time_windows),
      cmocka_unit_test(test_event_time_fire_vs_purge),
      cmocka_unit_test(test_continuous_event_time),
      cmocka_unit_test(test_continuous_event_time_purging),
      cmocka_unit_test(test_continuous_processing_time),
      cmocka_unit_test(test_delta_trigger),
      cmocka_unit_test(test_count_evictor),
      cmocka_unit_test(test_time_evictor),
      cmocka_unit_test(test_delta_evictor),
      cmocka_unit_test(test_count_window_with_evictor),
      cmocka_unit_test(test_global_never_fires),
      cmocka_unit_test(test_custom_trigger),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
