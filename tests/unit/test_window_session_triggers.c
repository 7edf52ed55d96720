/*
 * test_window_session_triggers.c: triggers and evictors on session windows (Flink's merging
 * windows with Trigger.canMerge / onMerge), driven element by element through the operator
 * harness (harness.h), checking the exact records (with timestamps) and watermarks:
 *  - CountTrigger sums the counts of the windows that merge: two windows of one element each
 *    and the bridging element make three, and fire;
 *  - EventTimeTrigger: the merged window's timer replaces the merged windows' (nothing fires
 *    at an old window's end), and a merged window the watermark has passed fires at once;
 *  - ContinuousEventTimeTrigger keeps the earliest next firing of the merged windows;
 *  - a custom trigger's on_merge is called for the merged window and clear for each window
 *    merged away and at cleanup (the calls are counted);
 *  - a count evictor over merged windows sees their elements pooled;
 *  - the triggers that cannot merge (delta, custom without on_merge) are refused;
 *  - the assigner's own trigger, whose timers stay under the session's state window as it
 *    grows: windows fire at their own ends only, and again after growing past a firing.
 * Session gaps are 10 ms unless said; windows touching at an end merge (TimeWindow.intersects).
 * UDFs have external linkage and an st_ prefix.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

#define REC HARNESS_REC
#define WM HARNESS_WM

/* A gap of 10 ms for every element (a dynamic gap that behaves as the static one). */
int64_t st_gap(spate_ctx *ctx, const spate_row *e) { return 10; }

typedef struct st_setup {
  spate_window_assigner a;
  spate_trigger t;
  spate_evictor e;
  int64_t lateness;
  bool apply;
} st_setup;

static spate_env *g_env;
static spate_row_builder *g_b;
static const spate_evictor no_evictor = {.kind = SPATE_EVICTOR_NONE};

static void open_op(harness *h, st_setup s) {
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

static void wm(harness *h, int64_t t) {
  if (harness_watermark(h, t) != 0) fail_msg("watermark %lld: %s", (long long)t, h->err);
}

/* ---- count trigger ---------------------------------------------------------------------------- */
static void count_on_sessions(spate_window_assigner a) {
  harness h;
  open_op(&h, (st_setup){a, spate_count_trigger(3), no_evictor, 0, false});
  el(&h, 1, 1, 1);   /* [1, 11): count 1 */
  el(&h, 20, 1, 2);  /* [20, 30): count 1 */
  el(&h, 3, 2, 100); /* another key */
  assert_int_equal(h.nevents, 0);
  el(&h, 10, 1, 4); /* [10, 20) bridges both: [1, 30) counts 1 + 1, + 1 = 3: FIRE */
  REC(0, 29, 1, 7);
  el(&h, 25, 1, 8);  /* [1, 35): the count restarted after the firing: 1 */
  el(&h, 26, 1, 16); /* [1, 36): 2 */
  assert_int_equal(h.nevents, 1);
  el(&h, 27, 1, 32); /* [1, 37): 3 */
  REC(1, 36, 1, 63); /* FIRE keeps the contents */
  wm(&h, 100);       /* the count trigger never fires on time; state goes at the end */
  WM(2, 100);
  el(&h, 200, 1, 64);
  el(&h, 201, 1, 128);
  el(&h, 202, 1, 256); /* a new session: nothing of the old one is left */
  REC(3, 211, 1, 448);
  assert_int_equal(h.nevents, 4);
  close_op(&h);
}

static void test_count_trigger_sums_counts(void **state) {
  count_on_sessions(spate_session_windows(SPATE_EVENT_TIME, 10));
  count_on_sessions(spate_session_windows_dynamic(SPATE_EVENT_TIME, st_gap));
}

/* ---- event-time trigger ------------------------------------------------------------------------ */
static void test_event_time_timer_moves(void **state) {
  harness h;
  spate_trigger t = {.kind = SPATE_TRIGGER_EVENT_TIME};
  open_op(&h, (st_setup){spate_session_windows(SPATE_EVENT_TIME, 10), t, no_evictor, 100, true});
  el(&h, 1, 1, 1); /* [1, 11): timer at 10 */
  el(&h, 5, 1, 2); /* [1, 15): the timer moves to 14 */
  wm(&h, 10);
  WM(0, 10); /* the timer at 10 went with [1, 11) */
  wm(&h, 14);
  REC(1, 14, 1, 2003);
  WM(2, 14);
  el(&h, 25, 1, 4); /* [25, 35) */
  wm(&h, 40);
  REC(3, 34, 1, 1004);
  WM(4, 40);
  /* [12, 22) extends [1, 15) to [1, 22), whose end the watermark has passed: no timer, the
   * element fires it at once (late firing within the allowed lateness) */
  el(&h, 12, 1, 8);
  REC(5, 21, 1, 3011);
  el(&h, 22, 1, 16); /* [22, 32) bridges [1, 22) and [25, 35): [1, 35) fires at once */
  REC(6, 34, 1, 5031);
  wm(&h, 200); /* cleanup at 134: nothing fires */
  WM(7, 200);
  assert_int_equal(h.nevents, 8);
  close_op(&h);
}

/* ---- continuous event-time trigger -------------------------------------------------------------- */
static void test_continuous_trigger_keeps_earliest(void **state) {
  harness h;
  open_op(&h, (st_setup){spate_session_windows(SPATE_EVENT_TIME, 100),
                         spate_continuous_trigger(SPATE_EVENT_TIME, 30), no_evictor, 0, false});
  el(&h, 5, 1, 1);  /* [5, 105): next firing 30 */
  el(&h, 50, 1, 2); /* [5, 150) keeps 30 */
  wm(&h, 30);
  REC(0, 149, 1, 3);
  WM(1, 30);
  wm(&h, 60);
  REC(2, 149, 1, 3);
  WM(3, 60);         /* next: 90 */
  el(&h, 170, 1, 4); /* [170, 270): next 180 */
  el(&h, 150, 1, 8); /* [5, 270): min(90, 180) */
  wm(&h, 90);
  REC(4, 269, 1, 15);
  WM(5, 90);
  wm(&h, 200); /* 120, 150, 180 */
  for (size_t i = 6; i < 9; i++) REC(i, 269, 1, 15);
  WM(9, 200);
  wm(&h, 300); /* 210, 240, then the window's end 269 */
  for (size_t i = 10; i < 13; i++) REC(i, 269, 1, 15);
  WM(13, 300);
  assert_int_equal(h.nevents, 14);
  close_op(&h);
}

/* ---- custom trigger ------------------------------------------------------------------------------ */
/* An event-time trigger of its own: a timer at the window's max timestamp fires it; on_merge
 * sets the merged window's timer, clear deletes a window's. The calls are counted, and the
 * windows they saw kept. */
static int g_merges, g_clears, g_fires;
static spate_time_window g_last_merge, g_last_clear;

int st_on_element(spate_ctx *ctx, const spate_row *e, int64_t ts, const spate_time_window *w) {
  int rc = spate_trigger_register_event_timer(ctx, w->end - 1);
  return rc < 0 ? rc : SPATE_TRIGGER_CONTINUE;
}
int st_on_event_time(spate_ctx *ctx, int64_t t, const spate_time_window *w) {
  if (t != w->end - 1) return SPATE_TRIGGER_CONTINUE;
  g_fires++;
  return SPATE_TRIGGER_FIRE;
}
int st_on_merge(spate_ctx *ctx, const spate_time_window *w) {
  g_merges++;
  g_last_merge = *w;
  return spate_trigger_register_event_timer(ctx, w->end - 1);
}
int st_clear(spate_ctx *ctx, const spate_time_window *w) {
  g_clears++;
  g_last_clear = *w;
  return spate_trigger_delete_event_timer(ctx, w->end - 1);
}
int st_clear_fails(spate_ctx *ctx, const spate_time_window *w) {
  return spate_ctx_fail(ctx, "clear says no");
}

static void test_custom_on_merge_and_clear(void **state) {
  harness h;
  spate_trigger t = spate_custom_trigger(st_on_element, st_on_event_time, NULL);
  t.on_merge = st_on_merge;
  t.clear = st_clear;
  g_merges = g_clears = g_fires = 0;
  open_op(&h, (st_setup){spate_session_windows(SPATE_EVENT_TIME, 10), t, no_evictor, 0, false});
  el(&h, 1, 1, 1); /* [1, 11): timer at 10 */
  assert_int_equal(g_merges, 0);
  el(&h, 5, 1, 2); /* [1, 15): on_merge([1, 15)), then clear([1, 11)) */
  assert_int_equal(g_merges, 1);
  assert_int_equal(g_clears, 1);
  assert_int_equal(g_last_merge.start, 1);
  assert_int_equal(g_last_merge.end, 15);
  assert_int_equal(g_last_clear.start, 1);
  assert_int_equal(g_last_clear.end, 11);
  el(&h, 7, 1, 4); /* [7, 17) extends it to [1, 17) */
  assert_int_equal(g_merges, 2);
  assert_int_equal(g_clears, 2);
  el(&h, 8, 1, 8);  /* [8, 18): [1, 18) */
  el(&h, 2, 1, 16); /* inside [1, 18): no merge */
  assert_int_equal(g_merges, 3);
  assert_int_equal(g_clears, 3);
  el(&h, 50, 2, 32); /* another key, its own window [50, 60) */
  wm(&h, 16);
  WM(0, 16); /* the old windows' timers were deleted by clear (and would be dropped anyway) */
  assert_int_equal(g_fires, 0);
  wm(&h, 17);
  REC(1, 17, 1, 31);
  WM(2, 17);
  assert_int_equal(g_fires, 1);
  assert_int_equal(g_clears, 4); /* [1, 18) cleaned up at 17 */
  assert_int_equal(g_last_clear.end, 18);
  wm(&h, 100);
  REC(3, 59, 2, 32);
  WM(4, 100);
  assert_int_equal(g_clears, 5);
  assert_int_equal(g_merges, 3);
  assert_int_equal(h.nevents, 5);
  close_op(&h);

  /* clear is Trigger.clear on other windows too: a tumbling window's cleanup; its error fails
   * the job with its message */
  t.clear = st_clear_fails;
  open_op(&h, (st_setup){spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0), t, no_evictor, 0, false});
  el(&h, 1, 1, 1);
  assert_true(harness_watermark(&h, 9) < 0);
  assert_non_null(strstr(h.err, "clear says no"));
  close_op(&h);
}

/* ---- evictor ------------------------------------------------------------------------------------- */
static void test_count_evictor_on_sessions(void **state) {
  harness h;
  open_op(&h, (st_setup){spate_session_windows(SPATE_EVENT_TIME, 10),
                         (spate_trigger){.kind = SPATE_TRIGGER_DEFAULT},
                         spate_count_evictor(2, false), 0, true});
  el(&h, 1, 1, 1);
  el(&h, 5, 1, 2);
  el(&h, 8, 1, 4); /* [1, 18) holds 1, 2, 4 */
  el(&h, 40, 1, 8);
  wm(&h, 17);
  REC(0, 17, 1, 2006); /* the last two: 2 and 4 */
  WM(1, 17);
  wm(&h, 49);
  REC(2, 49, 1, 1008);
  WM(3, 49);
  assert_int_equal(h.nevents, 4);
  close_op(&h);
}

/* ---- refused ------------------------------------------------------------------------------------- */
static void refused(spate_trigger t, const char *want) {
  spate_env *env = spate_env_create();
  const spate_schema *sch = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *k = spate_key_by(spate_from_rows(env, sch, NULL, 0), 0);
  spate_window_trigger(spate_window(k, spate_session_windows(SPATE_PROCESSING_TIME, 10)), t);
  assert_non_null(spate_env_error(env));
  if (!strstr(spate_env_error(env), want)) fail_msg("error: %s", spate_env_error(env));
  spate_env_free(env);
}

static void test_refused(void **state) {
  refused(spate_delta_trigger(1, harness_delta),
          "spate_window_trigger: a delta trigger cannot merge windows: not for session windows");
  refused(spate_purging(spate_delta_trigger(1, harness_delta)), "delta trigger cannot merge");
  spate_trigger t = spate_custom_trigger(st_on_element, st_on_event_time, NULL);
  t.clear = st_clear;
  refused(t,
          "spate_window_trigger: a custom trigger without on_merge cannot merge windows: "
          "not for session windows");
  /* the triggers that can merge are taken */
  spate_trigger ok[] = {spate_count_trigger(2),
                        spate_continuous_trigger(SPATE_PROCESSING_TIME, 5),
                        {.kind = SPATE_TRIGGER_PROCESSING_TIME, .purging = true}};
  t.on_merge = st_on_merge;
  for (size_t i = 0; i < 4; i++) {
    spate_env *env = spate_env_create();
    const spate_schema *sch = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
    spate_stream *k = spate_key_by(spate_from_rows(env, sch, NULL, 0), 0);
    spate_stream *w = spate_window(k, spate_session_windows(SPATE_EVENT_TIME, 10));
    spate_window_reduce(spate_window_trigger(w, i < 3 ? ok[i] : t), harness_sum);
    assert_null(spate_env_error(env));
    spate_env_free(env);
  }
}

/* ---- the default trigger: timers under the state window --------------------------------------- */
/* A growing session's timers are not moved: the timer set for its first window finds the
 * session grown and waits for its new end, so nothing fires at an old window's end; a session
 * grown after it fired (within the allowed lateness) fires again at its new end, or at once
 * when the watermark has passed that; after its cleanup an element starts a session of its own. */
static void test_default_trigger_growing_session(void **state) {
  harness h;
  spate_trigger t = {.kind = SPATE_TRIGGER_DEFAULT};
  open_op(&h, (st_setup){spate_session_windows(SPATE_EVENT_TIME, 10), t, no_evictor, 100, false});
  el(&h, 1, 1, 1);   /* [1, 11) */
  el(&h, 5, 1, 2);   /* [1, 15) */
  el(&h, 3, 2, 100); /* key 2: [3, 13) */
  wm(&h, 10);
  WM(0, 10); /* nothing at [1, 11)'s end */
  wm(&h, 14);
  REC(1, 12, 2, 100);
  REC(2, 14, 1, 3);
  WM(3, 14);
  el(&h, 12, 1, 4); /* [12, 22) grows the fired [1, 15) to [1, 22): it fires at 21 */
  wm(&h, 20);
  WM(4, 20);
  wm(&h, 21);
  REC(5, 21, 1, 7);
  WM(6, 21);
  el(&h, 11, 1, 8); /* [11, 21) lies inside [1, 22), which the watermark has reached: at once */
  REC(7, 21, 1, 15);
  el(&h, 22, 1, 16); /* [22, 32) grows it to [1, 32) */
  assert_int_equal(h.nevents, 8);
  wm(&h, 131); /* fires at 31, cleaned up at 131 */
  REC(8, 31, 1, 31);
  WM(9, 131);
  /* [31, 41) is not late (40 + 100 > 131) and would merge with [1, 32) had that not been cleaned
   * up: it is a session of its own, which the watermark has passed: it fires at once alone */
  el(&h, 31, 1, 32);
  REC(10, 40, 1, 32);
  wm(&h, 200);
  WM(11, 200);
  assert_int_equal(h.nevents, 12);
  close_op(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_count_trigger_sums_counts),
      cmocka_unit_test(test_event_time_timer_moves),
      cmocka_unit_test(test_continuous_trigger_keeps_earliest),
      cmocka_unit_test(test_custom_on_merge_and_clear),
      cmocka_unit_test(test_count_evictor_on_sessions),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_default_trigger_growing_session),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
