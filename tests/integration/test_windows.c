/*
 * test_windows.c: keyed windows (spate_window + spate_window_reduce / spate_window_apply) on the
 * MiniCluster, with Flink's semantics:
 *  - tumbling event-time windows per key, with negative timestamps and positive and negative
 *    offsets (window start = ts - (ts - offset) mod size, non-negative remainder);
 *  - sliding windows: each element in ceil(size / slide) windows, bounds checked;
 *  - session windows: an out-of-order element bridging two sessions merges them (touching
 *    windows merge, as TimeWindow.intersects), an element inside a session changes nothing;
 *  - allowed lateness: a late element within the lateness fires the window again with the
 *    updated result; beyond it the element goes to the late side output;
 *  - count windows, tumbling (purging) and sliding (count evictor);
 *  - processing-time tumbling windows on a manual clock: each window holds exactly the records
 *    that reached it while the clock was inside it;
 *  - build errors (bad size, slide, gap) and a job failure for event time without timestamps;
 *  - random out-of-order inputs (negative timestamps, elements within and beyond the lateness)
 *    for tumbling and sliding windows of several sizes, slides and offsets, with reduce (panes)
 *    and window functions (per window), against a brute-force model of Flink's semantics;
 *  - processing-time sliding reduce (panes) on a manual clock: every element in size / slide
 *    aligned windows, each window exactly its panes' records.
 * Inputs are generated from tables at parallelism 1 with a per-event watermark taken from the
 * table, so firings are exact; the windows run at parallelism 2 where results are compared as
 * sorted sets of strings. Output strings carry the record timestamp (the window's max
 * timestamp). UDFs have external linkage (the program is linked with -rdynamic) and a w_ prefix.
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
#include <time.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

#define NOWM INT64_MIN

typedef struct w_event {
  int64_t k, ts, v, wm; /* wm: the watermark emitted after this event (NOWM: none) */
} w_event;

static const w_event *g_events;

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  return env;
}

static void assert_finished(const spate_job_result *r) {
  assert_non_null(r);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job %s: %s", spate_job_status_name(spate_job_result_status(r)),
             spate_job_result_error(r) ? spate_job_result_error(r) : "");
}

/* ---- UDFs ------------------------------------------------------------------------------------- */
int w_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  const w_event *e = &g_events[i];
  spate_rb_set_bigint(out, 0, e->k);
  spate_rb_set_bigint(out, 1, e->ts);
  spate_rb_set_bigint(out, 2, e->v);
  spate_rb_set_bigint(out, 3, e->wm);
  return 0;
}

int64_t w_wm(spate_ctx *ctx, const spate_row *in, int64_t ts) { return spate_row_bigint(in, 3); }

/* Sums v, keeping the other fields of the first element. */
int w_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  for (int i = 0; i < 4; i++) spate_rb_set_field(out, i, acc, i);
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + spate_row_bigint(in, 2));
  return 0;
}

/* (k, start, end, sum of v, number of elements) */
int w_apply(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *elements,
            spate_collector *out) {
  spate_row e;
  int64_t sum = 0, n = 0, k = 0;
  while (spate_window_next(elements, &e)) {
    k = spate_row_bigint(&e, 0);
    sum += spate_row_bigint(&e, 2);
    n++;
  }
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, k);
  spate_rb_set_bigint(b, 1, w->start);
  spate_rb_set_bigint(b, 2, w->end);
  spate_rb_set_bigint(b, 3, sum);
  spate_rb_set_bigint(b, 4, n);
  return spate_collect_emit(out);
}

static int fmt(spate_row_builder *out, const char *f, ...) __attribute__((format(printf, 2, 3)));
static int fmt(spate_row_builder *out, const char *f, ...) {
  char s[200];
  va_list ap;
  va_start(ap, f);
  int n = vsnprintf(s, sizeof s, f, ap);
  va_end(ap);
  spate_rb_set_string(out, 0, s, (size_t)n);
  return 0;
}

/* "k/start/end/sum/n@ts" */
int w_fmt_apply(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  return fmt(out, "%lld/%lld/%lld/%lld/%lld@%lld", (long long)spate_row_bigint(in, 0),
             (long long)spate_row_bigint(in, 1), (long long)spate_row_bigint(in, 2),
             (long long)spate_row_bigint(in, 3), (long long)spate_row_bigint(in, 4),
             (long long)spate_ctx_timestamp(ctx));
}

/* "k:sum@ts" for reduce results, "k:ts:v" for late elements */
int w_fmt_reduce(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  return fmt(out, "%lld:%lld@%lld", (long long)spate_row_bigint(in, 0),
             (long long)spate_row_bigint(in, 2), (long long)spate_ctx_timestamp(ctx));
}

int w_fmt_late(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  return fmt(out, "%lld:%lld:%lld", (long long)spate_row_bigint(in, 0),
             (long long)spate_row_bigint(in, 1), (long long)spate_row_bigint(in, 2));
}

/* ---- harness ---------------------------------------------------------------------------------- */
static const char *IN =
    "k BIGINT NOT NULL, ts BIGINT NOT NULL, v BIGINT NOT NULL, wm BIGINT NOT NULL";
static const char *APPLY_OUT =
    "k BIGINT NOT NULL, wstart BIGINT NOT NULL, wend BIGINT NOT NULL, s BIGINT NOT NULL, "
    "n BIGINT NOT NULL";

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The strings sorted and joined with spaces; frees them and v. Caller frees the result. */
static char *join_sorted(char **v, size_t n) {
  size_t total = 1;
  for (size_t i = 0; i < n; i++) total += strlen(v[i]) + 1;
  qsort(v, n, sizeof *v, cmp_str);
  char *s = calloc(total, 1);
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(s, " ");
    strcat(s, v[i]);
    free(v[i]);
  }
  free(v);
  return s;
}

/* The collected strings of `name`, sorted, joined with spaces. Caller frees. */
static char *collected(const spate_job_result *r, const char *name) {
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, name, &rows, NULL);
  char **v = calloc(n + 1, sizeof *v);
  for (size_t i = 0; i < n; i++) {
    spate_bytes b = spate_row_string(&rows[i], 0);
    v[i] = strndup(b.ptr, b.len);
  }
  return join_sorted(v, n);
}

static void expect(const spate_job_result *r, const char *name, const char *want) {
  char *got = collected(r, name);
  if (strcmp(got, want) != 0) fail_msg("%s:\n got  '%s'\n want '%s'", name, got, want);
  free(got);
}

typedef struct w_job {
  spate_window_assigner a;
  int64_t lateness;
  const char *late_tag;
  bool reduce;
  int parallelism;
} w_job;

/* Runs events -> timestamps/watermarks -> key by k -> window -> format -> collect "out" (and
 * the late side output formatted into "late"); checks the sorted results. */
static void run(const w_event *ev, size_t n, w_job j, const char *want, const char *want_late) {
  g_events = ev;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, j.parallelism ? j.parallelism : 2);
  const spate_schema *in = spate_env_schema(env, IN);
  const spate_schema *str = spate_env_schema(env, "s STRING NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, in, w_gen, (int64_t)n), 1);
  spate_stream *ts = spate_parallelism(spate_assign_watermarks_custom(src, 1, NULL, w_wm, NULL), 1);
  spate_stream *w = spate_window(spate_key_by(ts, 0), j.a);
  if (j.lateness) w = spate_allowed_lateness(w, j.lateness);
  if (j.late_tag) w = spate_late_output(w, j.late_tag);
  spate_stream *res = j.reduce ? spate_window_reduce(w, w_sum)
                               : spate_window_apply(w, w_apply, spate_env_schema(env, APPLY_OUT));
  spate_collect(spate_map(res, j.reduce ? w_fmt_reduce : w_fmt_apply, str), "out");
  if (j.late_tag)
    spate_collect(spate_map(spate_side_output(res, j.late_tag, in), w_fmt_late, str), "late");
  if (spate_env_error(env)) fail_msg("build: %s", spate_env_error(env));
  spate_job_result *r = tk_run(env, "windows");
  assert_finished(r);
  expect(r, "out", want);
  if (want_late) expect(r, "late", want_late);
  spate_job_result_free(r);
  spate_env_free(env);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- tumbling --------------------------------------------------------------------------------- */
static const w_event tumbling_events[] = {
    {1, -15, 1, -16}, {1, -10, 2, -11}, {1, -1, 4, -2},
    {1, 0, 8, -1},    {2, 9, 16, 8},    {2, 10, 32, 9},
};

static void test_tumbling(void **state) {
  (void)state;
  spate_window_assigner a = spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0);
  run(tumbling_events, N(tumbling_events), (w_job){.a = a},
      "1/-10/0/6/2@-1 1/-20/-10/1/1@-11 1/0/10/8/1@9 2/0/10/16/1@9 2/10/20/32/1@19", NULL);
  run(tumbling_events, N(tumbling_events), (w_job){.a = a, .reduce = true},
      "1:1@-11 1:6@-1 1:8@9 2:16@9 2:32@19", NULL);
  run(tumbling_events, N(tumbling_events), (w_job){.a = a, .reduce = true, .parallelism = 1},
      "1:1@-11 1:6@-1 1:8@9 2:16@9 2:32@19", NULL);
  /* offset 3: windows [-17, -7), [-7, 3), [3, 13) */
  a = spate_tumbling_windows(SPATE_EVENT_TIME, 10, 3);
  run(tumbling_events, N(tumbling_events), (w_job){.a = a},
      "1/-17/-7/3/2@-8 1/-7/3/12/2@2 2/3/13/48/2@12", NULL);
  /* offset -3 (Flink allows |offset| < size): windows [-23, -13), [-13, -3), [-3, 7), [7, 17) */
  a = spate_tumbling_windows(SPATE_EVENT_TIME, 10, -3);
  run(tumbling_events, N(tumbling_events), (w_job){.a = a},
      "1/-13/-3/2/1@-4 1/-23/-13/1/1@-14 1/-3/7/12/2@6 2/7/17/48/2@16", NULL);
}

/* Windows fire on the watermark, before the end of input: with a watermark past a window's
 * end and an element after it, the window's result must not contain that element. */
static const w_event fire_events[] = {
    {1, 1, 1, 1},
    {1, 5, 2, 9},
    {1, 9, 4, 9} /* late: window [0,10) fired at watermark 9 */,
    {1, 12, 8, 12},
};

static void test_fires_on_watermark(void **state) {
  (void)state;
  spate_window_assigner a = spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0);
  run(fire_events, N(fire_events), (w_job){.a = a, .reduce = true, .late_tag = "late"},
      "1:3@9 1:8@19", "1:9:4");
  /* without a tag the late element is dropped */
  run(fire_events, N(fire_events), (w_job){.a = a, .reduce = true}, "1:3@9 1:8@19", NULL);
}

/* ---- sliding ---------------------------------------------------------------------------------- */
static const w_event sliding_events[] = {
    {1, 0, 1, NOWM}, {1, 4, 2, NOWM}, {1, 7, 4, NOWM}, {1, 12, 8, NOWM}, {2, 5, 1, NOWM},
};

static void test_sliding(void **state) {
  (void)state;
  spate_window_assigner a = spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 0);
  run(sliding_events, N(sliding_events), (w_job){.a = a},
      "1/-5/5/3/2@4 1/0/10/7/3@9 1/10/20/8/1@19 1/5/15/12/2@14 2/0/10/1/1@9 2/5/15/1/1@14", NULL);
  /* a slide that does not divide the size: ceil(10 / 4) = 3 windows per element */
  a = spate_sliding_windows(SPATE_EVENT_TIME, 10, 4, 0);
  run(sliding_events + 4, 1, (w_job){.a = a}, "2/-4/6/1/1@5 2/0/10/1/1@9 2/4/14/1/1@13", NULL);
  /* with an offset: size 10, slide 5, offset 2: windows [-3, 7) and [2, 12) for ts 5 */
  a = spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 2);
  run(sliding_events + 4, 1, (w_job){.a = a, .reduce = true}, "2:1@11 2:1@6", NULL);
}

/* ---- sessions --------------------------------------------------------------------------------- */
static const w_event session_events[] = {
    /* key 1: sessions [0, 15) and [25, 45); then 15 -> [15, 25) touches both: one session */
    {1, 0, 1, NOWM},
    {1, 5, 2, NOWM},
    {1, 25, 4, NOWM},
    {1, 35, 8, NOWM},
    {1, 15, 16, NOWM},
    /* key 2: two sessions */
    {2, 0, 1, NOWM},
    {2, 100, 2, NOWM},
    /* key 3: [0, 10) + [10, 20) merge; 5 -> [5, 15) lies inside [0, 20) */
    {3, 0, 1, NOWM},
    {3, 10, 2, NOWM},
    {3, 5, 4, NOWM},
};

/* With watermarks: session [0, 10) of key 4 fires at watermark 9; an element at 20 starts a
 * new one; an element at 12 (not late: its window [12, 22) is open) bridges nothing fired. */
static const w_event session_wm_events[] = {
    {4, 0, 1, NOWM}, {4, 3, 2, 12}, {4, 20, 4, NOWM}, {4, 14, 8, NOWM}, {4, 40, 16, 40},
};

static void test_sessions(void **state) {
  (void)state;
  spate_window_assigner a = spate_session_windows(SPATE_EVENT_TIME, 10);
  run(session_events, N(session_events), (w_job){.a = a},
      "1/0/45/31/5@44 2/0/10/1/1@9 2/100/110/2/1@109 3/0/20/7/3@19", NULL);
  run(session_events, N(session_events), (w_job){.a = a, .reduce = true},
      "1:31@44 2:1@9 2:2@109 3:7@19", NULL);
  /* [0, 13) fires at watermark 12; 20 -> [20, 30); 14 -> [14, 24) merges with it into [14, 30);
   * 40 -> [40, 50) fires at the end */
  run(session_wm_events, N(session_wm_events), (w_job){.a = a},
      "4/0/13/3/2@12 4/14/30/12/2@29 4/40/50/16/1@49", NULL);
}

/* ---- allowed lateness ------------------------------------------------------------------------- */
static const w_event lateness_events[] = {
    {1, 1, 1, 1},     {1, 12, 2, 12}, /* fires [0, 10): 1; cleanup at 9 + 5 = 14 */
    {1, 3, 4, NOWM},                  /* late within the lateness: fires again: 5 */
    {1, 14, 8, 14},                   /* the watermark reaches the cleanup time */
    {1, 2, 16, NOWM},                 /* beyond the lateness: late side output */
};

static void test_allowed_lateness(void **state) {
  (void)state;
  spate_window_assigner a = spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0);
  run(lateness_events, N(lateness_events),
      (w_job){.a = a, .lateness = 5, .late_tag = "late", .reduce = true}, "1:10@19 1:1@9 1:5@9",
      "1:2:16");
  run(lateness_events, N(lateness_events), (w_job){.a = a, .lateness = 5, .late_tag = "late"},
      "1/0/10/1/1@9 1/0/10/5/2@9 1/10/20/10/2@19", "1:2:16");
  /* lateness 0: the element at 3 is late as well */
  run(lateness_events, N(lateness_events), (w_job){.a = a, .late_tag = "late", .reduce = true},
      "1:10@19 1:1@9", "1:2:16 1:3:4");
}

/* ---- count windows ---------------------------------------------------------------------------- */
static const w_event count_events[] = {
    {1, 0, 1, NOWM}, {1, 0, 2, NOWM},  {2, 0, 1, NOWM},  {1, 0, 4, NOWM},  {1, 0, 8, NOWM},
    {2, 0, 2, NOWM}, {1, 0, 16, NOWM}, {1, 0, 32, NOWM}, {1, 0, 64, NOWM},
};

static void test_count_windows(void **state) {
  (void)state;
  /* tumbling 3: key 1 fires at 3 and 6 elements; partial windows never fire */
  run(count_events, N(count_events), (w_job){.a = spate_count_windows(3, 0), .reduce = true},
      "1:56@9223372036854775807 1:7@9223372036854775807", NULL);
  /* sliding 3 by 2: fires every 2 elements over the last 3: [1,2] [2,4,8] [8,16,32]; key 2 at
   * [1,2] */
  run(count_events, N(count_events), (w_job){.a = spate_count_windows(3, 2)},
      "1/-9223372036854775808/9223372036854775807/14/3@9223372036854775807 "
      "1/-9223372036854775808/9223372036854775807/3/2@9223372036854775807 "
      "1/-9223372036854775808/9223372036854775807/56/3@9223372036854775807 "
      "2/-9223372036854775808/9223372036854775807/3/2@9223372036854775807",
      NULL);
  run(count_events, N(count_events), (w_job){.a = spate_count_windows(3, 2), .reduce = true},
      "1:14@9223372036854775807 1:3@9223372036854775807 1:56@9223372036854775807 "
      "2:3@9223372036854775807",
      NULL);
}

/* ---- processing time -------------------------------------------------------------------------- */
/* A manual clock drives processing time, so every window's contents are exact: the source emits
 * one record every 2 ms of the clock (record i at T0 + 2i, key i % 2, v i), the test moves the
 * clock to the last record time of a pane, awaits those records at the source, and fences them
 * with a checkpoint (it completes only once the window operator processed every record before
 * its barrier) before moving on; the records of a pane therefore reach the window while the
 * clock is inside that pane. A stop with a savepoint ends the job after the last window fired. */
#define T0 1000 /* aligned to the window sizes and slides below */
#define PT_SPACING 2

static tk_events g_pt_events;
static _Atomic int64_t g_pt_emitted;

int w_tick(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % 2);
  spate_rb_set_bigint(out, 1, 1); /* n */
  spate_rb_set_bigint(out, 2, i);
  spate_rb_set_bigint(out, 3, NOWM);
  atomic_store(&g_pt_emitted, i + 1);
  tk_notify();
  return 0;
}

typedef struct pt_run {
  spate_env *env;
  spate_clock *clock;
  spate_stream *src;
  char dir[256];
} pt_run;

/* An environment on a manual clock at T0 with an unbounded rate-limited source at parallelism
 * 1 and windows at parallelism 2 (added by the caller). */
static void pt_setup(pt_run *p) {
  tk_mkdtemp(p->dir, sizeof p->dir, "spate_pt_");
  p->clock = spate_manual_clock_create(T0);
  p->env = new_env();
  spate_env_set_parallelism(p->env, 2);
  spate_env_set_buffer_timeout(p->env, 0);
  spate_env_set_clock(p->env, p->clock);
  spate_env_set(p->env, "state.checkpoints.dir", p->dir);
  spate_env_set(p->env, "state.savepoints.dir", p->dir);
  tk_events_reset(&g_pt_events);
  spate_env_set_job_listener(p->env, tk_listener, &g_pt_events);
  atomic_store(&g_pt_emitted, 0);
  const spate_schema *in = spate_env_schema(p->env, IN);
  p->src = spate_parallelism(
      spate_generate_rate_limited(p->env, in, w_tick, -1, 1000.0 / PT_SPACING), 1);
}

/* Runs the job through `panes` panes of `pane` ms each, then moves the clock to `end` (windows
 * up to there fire) and stops the job with a savepoint. Returns the finished job's result. */
static spate_job_result *pt_drive(pt_run *p, int ntasks, int panes, int64_t pane, int64_t end) {
  spate_job_client *c = spate_execute_async(p->env, "processing-time windows");
  if (!c) fail_msg("submit: %s", spate_env_error(p->env));
  TK_AWAIT(tk_all_running(&g_pt_events) && atomic_load(&g_pt_events.running) == ntasks,
           "%d running subtasks", ntasks);
  for (int j = 0; j < panes; j++) {
    int64_t last = T0 + pane * (j + 1) - PT_SPACING; /* the pane's last record time */
    spate_manual_clock_set(p->clock, last);
    int64_t want = (last - T0) / PT_SPACING + 1;
    TK_AWAIT(atomic_load(&g_pt_emitted) == want, "the source to emit %lld records",
             (long long)want);
    char err[512];
    if (spate_job_client_checkpoint(c, NULL, err, sizeof err) < 0)
      fail_msg("checkpoint after pane %d: %s", j, err);
  }
  spate_manual_clock_set(p->clock, end);
  char path[4096], err[512];
  if (spate_job_client_savepoint(c, NULL, true, path, sizeof path, err, sizeof err) < 0)
    fail_msg("stop with savepoint: %s", err);
  spate_job_result *r = tk_wait(c, "processing-time windows");
  assert_finished(r);
  return r;
}

static void pt_teardown(pt_run *p) {
  spate_env_free(p->env);
  spate_manual_clock_free(p->clock);
  tk_rm_rf(p->dir);
}

/* (k, start, end, sum of v, count) rows, sorted, as "k/start/end/sum/n" strings joined by spaces. */
static char *pt_rows(const spate_row *rows, size_t n, int start_field, int end_field, int sum_field,
                     int n_field) {
  char **v = calloc(n + 1, sizeof *v);
  for (size_t i = 0; i < n; i++)
    assert_true(asprintf(&v[i], "%lld/%lld/%lld/%lld/%lld",
                         (long long)spate_row_bigint(&rows[i], 0),
                         (long long)spate_row_bigint(&rows[i], start_field),
                         (long long)spate_row_bigint(&rows[i], end_field),
                         (long long)spate_row_bigint(&rows[i], sum_field),
                         (long long)spate_row_bigint(&rows[i], n_field)) > 0);
  return join_sorted(v, n);
}

/* The rows windows [start, start + size) for start = first, first + slide, ... <= last must
 * give, when pane j (j = 0..panes-1, [T0 + j * slide, T0 + (j + 1) * slide)) holds records
 * i = j * per_pane .. (j + 1) * per_pane - 1. */
static char *pt_expected(int64_t size, int64_t slide, int panes, int64_t first, int64_t last) {
  int64_t per_pane = slide / PT_SPACING;
  size_t cap = 64, n = 0;
  char **v = calloc(cap, sizeof *v);
  for (int64_t start = first; start <= last; start += slide)
    for (int k = 0; k < 2; k++) {
      int64_t sum = 0, cnt = 0;
      for (int j = 0; j < panes; j++) {
        int64_t ps = T0 + j * slide;
        if (ps < start || ps >= start + size) continue;
        for (int64_t i = j * per_pane; i < (j + 1) * per_pane; i++)
          if (i % 2 == k) {
            sum += i;
            cnt++;
          }
      }
      if (!cnt) continue; /* no element: no window */
      if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
      assert_true(asprintf(&v[n++], "%d/%lld/%lld/%lld/%lld", k, (long long)start,
                           (long long)(start + size), (long long)sum, (long long)cnt) > 0);
    }
  return join_sorted(v, n);
}

static void test_processing_time(void **state) {
  (void)state;
  pt_run p;
  pt_setup(&p);
  spate_stream *w =
      spate_window(spate_key_by(p.src, 0), spate_tumbling_windows(SPATE_PROCESSING_TIME, 40, 0));
  spate_collect(spate_window_apply(w, w_apply, spate_env_schema(p.env, APPLY_OUT)), "out");
  /* 6 windows of 20 records; at T0 + 240 the sixth fires (the record of T0 + 240 starts a
   * seventh, which the stop leaves unfired) */
  spate_job_result *r = pt_drive(&p, 3, 6, 40, T0 + 240);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  char *got = pt_rows(rows, n, 1, 2, 3, 4), *want = pt_expected(40, 40, 6, T0, T0 + 200);
  if (strcmp(got, want) != 0) fail_msg("\n got  %s\n want %s", got, want);
  free(got);
  free(want);
  spate_job_result_free(r);
  pt_teardown(&p);
}

/* Sums n (field 1) and v (field 2). */
int w_sum_n(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + spate_row_bigint(in, 2));
  spate_rb_set_field(out, 3, acc, 3);
  return 0;
}

/* Puts the record's timestamp (the window's max timestamp) into field 3. */
int w_stamp(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  for (int i = 0; i < 3; i++) spate_rb_set_field(out, i, in, i);
  spate_rb_set_bigint(out, 3, spate_ctx_timestamp(ctx));
  return 0;
}

/* Processing-time sliding windows (60 ms every 20 ms) with reduce, which pre-aggregates per pane:
 * every element is in exactly three windows, each window holds exactly its panes' records. */
static void test_processing_time_sliding(void **state) {
  (void)state;
  pt_run p;
  pt_setup(&p);
  const spate_schema *in = spate_env_schema(p.env, IN);
  spate_stream *w =
      spate_window(spate_key_by(p.src, 0), spate_sliding_windows(SPATE_PROCESSING_TIME, 60, 20, 0));
  spate_collect(spate_map(spate_window_reduce(w, w_sum_n), w_stamp, in), "out");
  /* 6 panes of 10 records; at T0 + 160 the last window holding them, [T0 + 100, T0 + 160),
   * fires */
  spate_job_result *r = pt_drive(&p, 3, 6, 20, T0 + 160);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  /* rows (k, n, sum, max timestamp): as (k, start, end, sum, n) */
  spate_row *conv = calloc(n + 1, sizeof *conv);
  spate_row_builder *b = spate_rb_new(spate_env_schema(p.env, APPLY_OUT));
  for (size_t i = 0; i < n; i++) {
    int64_t max_ts = spate_row_bigint(&rows[i], 3);
    spate_rb_begin(b);
    spate_rb_set_bigint(b, 0, spate_row_bigint(&rows[i], 0));
    spate_rb_set_bigint(b, 1, max_ts + 1 - 60);
    spate_rb_set_bigint(b, 2, max_ts + 1);
    spate_rb_set_bigint(b, 3, spate_row_bigint(&rows[i], 2));
    spate_rb_set_bigint(b, 4, spate_row_bigint(&rows[i], 1));
    spate_row tmp;
    assert_int_equal(spate_rb_finish(b, &tmp), 0);
    assert_int_equal(spate_row_copy(&tmp, &conv[i]), 0);
  }
  char *got = pt_rows(conv, n, 1, 2, 3, 4), *want = pt_expected(60, 20, 6, T0 - 40, T0 + 100);
  if (strcmp(got, want) != 0) fail_msg("\n got  %s\n want %s", got, want);
  free(got);
  free(want);
  for (size_t i = 0; i < n; i++) spate_row_free(&conv[i]);
  free(conv);
  spate_rb_free(b);
  spate_job_result_free(r);
  pt_teardown(&p);
}

/* ---- random inputs against a brute-force model ----------------------------------------------- */
#define R_EVENTS 300
#define R_KEYS 3

typedef struct r_window {
  int64_t k, start, sum, n;
  bool alive;
} r_window;

typedef struct r_model {
  int64_t size, slide, offset, lateness, wm;
  r_window *wins;
  size_t nwins, cap;
  char **out, **late;
  size_t nout, nlate, out_cap, late_cap;
} r_model;

static void r_push(char ***v, size_t *n, size_t *cap, const char *f, ...)
    __attribute__((format(printf, 4, 5)));
static void r_push(char ***v, size_t *n, size_t *cap, const char *f, ...) {
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 64;
    *v = realloc(*v, *cap * sizeof **v);
    assert_non_null(*v);
  }
  va_list ap;
  va_start(ap, f);
  assert_true(vasprintf(&(*v)[(*n)++], f, ap) >= 0);
  va_end(ap);
}

static void r_emit(r_model *m, const r_window *x, bool reduce) {
  int64_t max_ts = x->start + m->size - 1;
  if (reduce)
    r_push(&m->out, &m->nout, &m->out_cap, "%lld:%lld@%lld", (long long)x->k, (long long)x->sum,
           (long long)max_ts);
  else
    r_push(&m->out, &m->nout, &m->out_cap, "%lld/%lld/%lld/%lld/%lld@%lld", (long long)x->k,
           (long long)x->start, (long long)(x->start + m->size), (long long)x->sum, (long long)x->n,
           (long long)max_ts);
}

/* Flink's WindowOperator with the event-time trigger, one window at a time. */
static void r_element(r_model *m, const w_event *e, bool reduce) {
  int64_t rem = (e->ts - m->offset) % m->slide;
  if (rem < 0) rem += m->slide;
  bool skipped = true;
  for (int64_t s = e->ts - rem; s > e->ts - m->size; s -= m->slide) {
    int64_t max_ts = s + m->size - 1;
    if (max_ts + m->lateness <= m->wm) continue; /* a late window */
    skipped = false;
    r_window *x = NULL;
    for (size_t i = 0; i < m->nwins && !x; i++)
      if (m->wins[i].alive && m->wins[i].k == e->k && m->wins[i].start == s) x = &m->wins[i];
    if (!x) {
      if (m->nwins == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->wins = realloc(m->wins, m->cap * sizeof *m->wins);
        assert_non_null(m->wins);
      }
      x = &m->wins[m->nwins++];
      *x = (r_window){e->k, s, 0, 0, true};
    }
    x->sum += e->v;
    x->n++;
    if (max_ts <= m->wm) r_emit(m, x, reduce); /* fires again at once */
  }
  if (skipped && e->ts + m->lateness <= m->wm)
    r_push(&m->late, &m->nlate, &m->late_cap, "%lld:%lld:%lld", (long long)e->k, (long long)e->ts,
           (long long)e->v);
}

static void r_advance(r_model *m, int64_t wm, bool reduce) {
  if (wm == NOWM || wm <= m->wm) return;
  for (size_t i = 0; i < m->nwins; i++) {
    r_window *x = &m->wins[i];
    int64_t max_ts = x->start + m->size - 1;
    if (!x->alive) continue;
    if (max_ts > m->wm && max_ts <= wm) r_emit(m, x, reduce);
    if (wm != INT64_MAX && max_ts + m->lateness <= wm) x->alive = false;
  }
  m->wm = wm;
}

static uint64_t r_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* Events around a clock that starts at -80 and advances 0..3 per event; elements lag it by up
 * to 12, one in ten by up to 45 (beyond most lateness); watermarks (clock - 2, when higher than
 * the last) follow one event in three. */
static void r_generate(uint64_t seed, w_event *ev, size_t n) {
  int64_t clock = -80, wm = NOWM;
  for (size_t i = 0; i < n; i++) {
    clock += (int64_t)(r_next(&seed) % 4);
    int64_t lag = (int64_t)(r_next(&seed) % (r_next(&seed) % 10 == 0 ? 46 : 13));
    ev[i] = (w_event){(int64_t)(r_next(&seed) % R_KEYS) + 1, clock - lag,
                      (int64_t)(r_next(&seed) % 100) + 1, NOWM};
    if (r_next(&seed) % 3 == 0 && (wm == NOWM || clock - 2 > wm)) ev[i].wm = wm = clock - 2;
  }
}

static void test_random_against_model(void **state) {
  (void)state;
  static const struct {
    int64_t size, slide, offset, lateness;
  } cases[] = {
      {10, 5, 0, 0},  {10, 5, 2, 3}, {10, 4, -1, 5}, {9, 3, 0, 4}, {7, 7, 3, 2},
      {12, 12, 0, 0}, {11, 3, 1, 6}, {20, 7, -3, 3}, {1, 1, 0, 0}, {6, 2, -1, 0},
  };
  static w_event ev[R_EVENTS];
  for (size_t c = 0; c < N(cases); c++) {
    r_generate(0x9e3779b97f4a7c15ULL * (c + 1), ev, R_EVENTS);
    for (int reduce = 0; reduce < 2; reduce++) {
      r_model m = {.size = cases[c].size,
                   .slide = cases[c].slide,
                   .offset = cases[c].offset,
                   .lateness = cases[c].lateness,
                   .wm = NOWM};
      for (size_t i = 0; i < R_EVENTS; i++) {
        r_element(&m, &ev[i], reduce);
        r_advance(&m, ev[i].wm, reduce);
      }
      r_advance(&m, INT64_MAX, reduce); /* the end of input */
      char *want = join_sorted(m.out, m.nout), *want_late = join_sorted(m.late, m.nlate);
      free(m.wins);
      spate_window_assigner a =
          cases[c].slide == cases[c].size && c % 2 == 0
              ? spate_tumbling_windows(SPATE_EVENT_TIME, cases[c].size, cases[c].offset)
              : spate_sliding_windows(SPATE_EVENT_TIME, cases[c].size, cases[c].slide,
                                      cases[c].offset);
      run(ev, R_EVENTS,
          (w_job){.a = a, .lateness = cases[c].lateness, .late_tag = "late", .reduce = reduce},
          want, want_late);
      free(want);
      free(want_late);
    }
  }
}

/* ---- many keys: the look-ahead hints of large window state ------------------------------------ */
/* Enough keys that each subtask's window state passes KS_PREFETCH_MIN_ENTRIES (32,768), so the
 * task hints records ahead to the window operator (win_prefetch: a pane's contents, a key's
 * session set): the results must be those computed here, as with small state. Timestamps are
 * the event numbers with the watermark right behind, so nothing is late. */
#define MK_EVENTS 300000
#define MK_KEYS 200000

static int64_t mk_key(int64_t i) {
  return (int64_t)((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL >> 40) % MK_KEYS;
}

static int cmp_i64x3(const void *a, const void *b) {
  const int64_t *x = a, *y = b;
  for (int i = 0; i < 3; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the events through key by k -> window -> reduce at parallelism 2 and compares the sorted
 * "k:sum@ts" strings with want (sorted here; freed). */
static void mk_run(const w_event *ev, spate_window_assigner a, char **want, size_t nwant) {
  g_events = ev;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  const spate_schema *in = spate_env_schema(env, IN);
  const spate_schema *str = spate_env_schema(env, "s STRING NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, in, w_gen, MK_EVENTS), 1);
  spate_stream *ts = spate_parallelism(spate_assign_watermarks_custom(src, 1, NULL, w_wm, NULL), 1);
  spate_stream *res = spate_window_reduce(spate_window(spate_key_by(ts, 0), a), w_sum);
  spate_collect(spate_map(res, w_fmt_reduce, str), "out");
  if (spate_env_error(env)) fail_msg("build: %s", spate_env_error(env));
  spate_job_result *r = tk_run(env, "windows-many-keys");
  assert_finished(r);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  char **got = calloc(n + 1, sizeof *got);
  for (size_t i = 0; i < n; i++) {
    spate_bytes b = spate_row_string(&rows[i], 0);
    got[i] = strndup(b.ptr, b.len);
  }
  qsort(got, n, sizeof *got, cmp_cstr);
  qsort(want, nwant, sizeof *want, cmp_cstr);
  if (n != nwant) fail_msg("%zu windows, want %zu", n, nwant);
  for (size_t i = 0; i < n; i++)
    if (strcmp(got[i], want[i]) != 0)
      fail_msg("window %zu: got '%s', want '%s'", i, got[i], want[i]);
  for (size_t i = 0; i < n; i++) free(got[i]), free(want[i]);
  free(got);
  free(want);
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_many_keys(void **state) {
  (void)state;
  static w_event ev[MK_EVENTS];
  static int64_t t[MK_EVENTS][3]; /* (k, window or ts, v) */
  for (int64_t i = 0; i < MK_EVENTS; i++) ev[i] = (w_event){mk_key(i), i, i % 7 + 1, i - 1};
  char **want = calloc(MK_EVENTS, sizeof *want);
  size_t nwant = 0;

  /* tumbling windows of 150,000 ms: about 105,000 keys per window */
  const int64_t size = 150000;
  for (int64_t i = 0; i < MK_EVENTS; i++) {
    t[i][0] = ev[i].k;
    t[i][1] = ev[i].ts / size;
    t[i][2] = ev[i].v;
  }
  qsort(t, MK_EVENTS, sizeof t[0], cmp_i64x3);
  for (size_t i = 0; i < MK_EVENTS;) {
    size_t j = i;
    int64_t sum = 0;
    for (; j < MK_EVENTS && t[j][0] == t[i][0] && t[j][1] == t[i][1]; j++) sum += t[j][2];
    assert_true(asprintf(&want[nwant++], "%lld:%lld@%lld", (long long)t[i][0], (long long)sum,
                         (long long)((t[i][1] + 1) * size - 1)) > 0);
    i = j;
  }
  assert_true(nwant > 2 * 2 * 32768);
  mk_run(ev, spate_tumbling_windows(SPATE_EVENT_TIME, size, 0), want, nwant);

  /* sessions with a gap of 100,000 ms: an element joins its key's session when it comes at most
   * the gap after the session's last one (Flink's windows [ts, ts + gap) that touch merge) */
  const int64_t gap = 100000;
  want = calloc(MK_EVENTS, sizeof *want);
  nwant = 0;
  for (int64_t i = 0; i < MK_EVENTS; i++) {
    t[i][0] = ev[i].k;
    t[i][1] = ev[i].ts;
    t[i][2] = ev[i].v;
  }
  qsort(t, MK_EVENTS, sizeof t[0], cmp_i64x3);
  for (size_t i = 0; i < MK_EVENTS;) {
    size_t j = i + 1;
    int64_t sum = t[i][2];
    for (; j < MK_EVENTS && t[j][0] == t[i][0] && t[j][1] - t[j - 1][1] <= gap; j++) sum += t[j][2];
    assert_true(asprintf(&want[nwant++], "%lld:%lld@%lld", (long long)t[i][0], (long long)sum,
                         (long long)(t[j - 1][1] + gap - 1)) > 0);
    i = j;
  }
  assert_true(nwant > 2 * 32768);
  mk_run(ev, spate_session_windows(SPATE_EVENT_TIME, gap), want, nwant);
}

/* ---- errors ----------------------------------------------------------------------------------- */
static void expect_build_error(spate_window_assigner a, const char *msg) {
  spate_env *env = new_env();
  spate_stream *src = spate_from_sequence(env, 1, 10);
  spate_window(spate_key_by(src, 0), a);
  const char *err = spate_env_error(env);
  if (!err || !strstr(err, msg)) fail_msg("want '%s', got '%s'", msg, err ? err : "(none)");
  spate_env_free(env);
}

static void test_errors(void **state) {
  (void)state;
  expect_build_error(spate_tumbling_windows(SPATE_EVENT_TIME, -5, 0), "size must be positive");
  expect_build_error(spate_tumbling_windows(SPATE_EVENT_TIME, 10, 10), "offset");
  expect_build_error(spate_sliding_windows(SPATE_EVENT_TIME, 10, 20, 0),
                     "slide must not be larger than the size");
  expect_build_error(spate_session_windows(SPATE_EVENT_TIME, 0), "gap must be positive");
  expect_build_error(spate_count_windows(0, 0), "size must be positive");

  /* event-time windows need timestamps */
  spate_env *env = new_env();
  spate_stream *src = spate_from_sequence(env, 1, 10);
  spate_stream *w =
      spate_window(spate_key_by(src, 0), spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0));
  spate_discard(spate_window_reduce(w, w_sum));
  spate_job_result *r = tk_run(env, "no timestamps");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "no timestamp"));
  assert_non_null(strstr(spate_job_result_error(r), "Window"));
  spate_job_result_free(r);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tumbling),
      cmocka_unit_test(test_fires_on_watermark),
      cmocka_unit_test(test_sliding),
      cmocka_unit_test(test_sessions),
      cmocka_unit_test(test_allowed_lateness),
      cmocka_unit_test(test_count_windows),
      cmocka_unit_test(test_processing_time),
      cmocka_unit_test(test_processing_time_sliding),
      cmocka_unit_test(test_random_against_model),
      cmocka_unit_test(test_many_keys),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
