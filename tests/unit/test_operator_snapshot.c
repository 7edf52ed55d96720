/*
 * test_operator_snapshot.c: operator snapshots and restores (the snapshot and restore hooks of
 * runtime/operator.h) driven through the harness. The central check stops an operator after
 * every prefix of a script of elements and watermarks, snapshots it, opens a new operator
 * restored from the snapshot, feeds it the rest, and compares everything emitted with one
 * uninterrupted run:
 *  - at the same parallelism exactly, records and watermarks in order;
 *  - rescaled (2 -> 3, 2 -> 1, 3 -> 2, 1 -> 4 subtasks, state handed out by snap_assign) as the
 *    multiset of records, each element fed to the subtask owning its key group, as the hash
 *    partitioner routes it;
 * for event-time windows (tumbling and sliding with panes, a full window function, session
 * windows stopped mid-session, a count trigger on tumbling and on session windows, count
 * windows tumbling and sliding) and for keyed reduce and sum. Processing-time timers survive a
 * restore and a rescale and are scheduled again, wherever their key lands. Restores from
 * corrupt or mismatched snapshots fail with a message and never crash.
 * UDFs have external linkage and an os_ prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/hash.h"
#include "harness.h"

#define MAX_PARALLELISM 128
#define MAXP 4
#define MAXEV 512

/* ---- scripts and runs ------------------------------------------------------------------------ */
typedef struct step {
  int type; /* HARNESS_RECORD or HARNESS_WATERMARK */
  int64_t ts, k, v;
} step;
#define E(ts, k, v) \
  { HARNESS_RECORD, ts, k, v }
#define W(ts) \
  { HARNESS_WATERMARK, ts, 0, 0 }
#define NSTEPS(a) ((int)(sizeof(a) / sizeof(a)[0]))

typedef struct ev {
  int type;
  int64_t ts, f0, f1;
} ev;

typedef struct out {
  ev e[MAXEV];
  int n;
} out;

/* Builds the operator under test in env at the given parallelism. */
typedef spate_stream *(*build_fn)(spate_env *env, int parallelism);

/* The subtasks of one operator: one env and harness each. */
typedef struct group {
  int p;
  spate_env *env[MAXP];
  harness h[MAXP];
} group;

static spate_schema *kv_schema;
static spate_row_builder *kv_rb;

static int setup(void **state) {
  char err[128];
  assert_int_equal(
      spate_schema_parse("k BIGINT NOT NULL, v BIGINT NOT NULL", &kv_schema, err, sizeof err), 0);
  kv_rb = spate_rb_new(kv_schema);
  return 0;
}

static int teardown(void **state) {
  spate_rb_free(kv_rb);
  spate_schema_free(kv_schema);
  return 0;
}

static spate_stream *kv_source(spate_env *env) {
  return spate_from_rows(env, spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL"), NULL,
                         0);
}

static spate_stream *at(spate_stream *s, int parallelism) {
  return spate_max_parallelism(spate_parallelism(s, parallelism), MAX_PARALLELISM);
}

/* The subtask of p whose key groups hold BIGINT key k (result_partition.c's routing). */
static int subtask_of(int64_t k, int p) {
  int kg = sp_key_group(sp_java_long_hash(k), MAX_PARALLELISM);
  return sp_operator_index(MAX_PARALLELISM, p, kg);
}

static void group_open(group *g, build_fn build, int p, const snap_section *old, int nold) {
  memset(g, 0, sizeof *g);
  g->p = p;
  for (int i = 0; i < p; i++) {
    g->env[i] = spate_env_create();
    int rc = harness_open_restored(&g->h[i], g->env[i], build(g->env[i], p), i, old, nold);
    if (rc != 0) fail_msg("open subtask %d of %d: %s", i, p, g->h[i].err);
  }
}

static void group_feed(group *g, const step *st) {
  if (st->type == HARNESS_WATERMARK) {
    for (int i = 0; i < g->p; i++)
      if (harness_watermark(&g->h[i], st->ts) != 0) fail_msg("watermark: %s", g->h[i].err);
    return;
  }
  harness *h = &g->h[subtask_of(st->k, g->p)];
  spate_row r = harness_row2(kv_rb, st->k, st->v);
  if (harness_element(h, 0, st->ts, &r) != 0) fail_msg("element: %s", h->err);
}

/* Snapshots every subtask into snaps[i] (initialised here) and secs[i]. */
static void group_snapshot(group *g, int64_t id, sp_writer *snaps, snap_section *secs) {
  for (int i = 0; i < g->p; i++) {
    sp_writer_init(&snaps[i]);
    if (harness_snapshot(&g->h[i], id, &snaps[i]) != 0) fail_msg("snapshot: %s", g->h[i].err);
    secs[i] = (snap_section){snaps[i].data, snaps[i].len};
  }
}

/* Appends what the subtasks emitted (records and watermarks, subtask by subtask) to o. */
static void collect(group *g, out *o) {
  for (int i = 0; i < g->p; i++) {
    harness *h = &g->h[i];
    for (size_t j = 0; j < h->nevents; j++) {
      const harness_event *e = &h->events[j];
      if (e->type == HARNESS_STATUS) continue;
      assert_true(o->n < MAXEV);
      ev x = {e->type, e->ts, 0, 0};
      if (e->type == HARNESS_RECORD) {
        x.f0 = spate_row_bigint(&e->row, 0);
        x.f1 = spate_row_bigint(&e->row, 1);
      }
      o->e[o->n++] = x;
    }
  }
}

static void group_close(group *g, out *o) {
  if (o) collect(g, o);
  for (int i = 0; i < g->p; i++) {
    harness_close(&g->h[i]);
    spate_env_free(g->env[i]);
  }
}

/* Runs the script on p0 subtasks; with split >= 0 stops after split steps, snapshots, and runs
 * the rest on p1 subtasks restored from the snapshot (with `forget`, not restored: the control
 * that shows the state mattered). */
static void run_ex(build_fn build, const step *st, int n, int split, int p0, int p1, bool forget,
                   out *o) {
  o->n = 0;
  group a, b;
  group_open(&a, build, p0, NULL, 0);
  int i = 0;
  for (; i < (split < 0 ? n : split); i++) group_feed(&a, &st[i]);
  if (split < 0) {
    group_close(&a, o);
    return;
  }
  sp_writer snaps[MAXP];
  snap_section secs[MAXP];
  group_snapshot(&a, 1, snaps, secs);
  group_close(&a, o);
  group_open(&b, build, p1, secs, forget ? 0 : p0);
  for (; i < n; i++) group_feed(&b, &st[i]);
  group_close(&b, o);
  for (int j = 0; j < p0; j++) sp_writer_free(&snaps[j]);
}

static void run(build_fn build, const step *st, int n, int split, int p0, int p1, out *o) {
  run_ex(build, st, n, split, p0, p1, false, o);
}

static bool same_events(const out *a, const out *b) {
  if (a->n != b->n) return false;
  for (int i = 0; i < a->n; i++)
    if (a->e[i].type != b->e[i].type || a->e[i].ts != b->e[i].ts || a->e[i].f0 != b->e[i].f0 ||
        a->e[i].f1 != b->e[i].f1)
      return false;
  return true;
}

static int ev_cmp(const void *pa, const void *pb) {
  const ev *a = pa, *b = pb;
  if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
  if (a->f0 != b->f0) return a->f0 < b->f0 ? -1 : 1;
  return (a->f1 > b->f1) - (a->f1 < b->f1);
}

/* The records of o, sorted. */
static void records_sorted(const out *o, out *r) {
  r->n = 0;
  for (int i = 0; i < o->n; i++)
    if (o->e[i].type == HARNESS_RECORD) r->e[r->n++] = o->e[i];
  qsort(r->e, (size_t)r->n, sizeof r->e[0], ev_cmp);
}

static void expect_same(const out *want, const out *got, const char *what, int split, int p0,
                        int p1) {
  if (same_events(want, got)) return;
  for (int i = 0; i < want->n || i < got->n; i++) {
    const ev *x = i < want->n ? &want->e[i] : NULL, *y = i < got->n ? &got->e[i] : NULL;
    print_message("%3d want %d %lld (%lld, %lld)   got %d %lld (%lld, %lld)\n", i, x ? x->type : 0,
                  x ? (long long)x->ts : 0, x ? (long long)x->f0 : 0, x ? (long long)x->f1 : 0,
                  y ? y->type : 0, y ? (long long)y->ts : 0, y ? (long long)y->f0 : 0,
                  y ? (long long)y->f1 : 0);
  }
  fail_msg("%s: snapshot after %d steps, %d -> %d subtasks: output differs", what, split, p0, p1);
}

/* The check described at the top, for every split of the script. */
static void check_every_split(const char *what, build_fn build, const step *st, int n) {
  static out ref, got, ref_sorted, got_sorted; /* large: not on the stack */
  run(build, st, n, -1, 1, 1, &ref);
  records_sorted(&ref, &ref_sorted);
  assert_true(ref_sorted.n > 0);
  int mattered = 0;
  for (int split = 0; split <= n; split++) {
    run(build, st, n, split, 1, 1, &got);
    expect_same(&ref, &got, what, split, 1, 1);
    run_ex(build, st, n, split, 1, 1, true, &got);
    mattered += !same_events(&ref, &got);
  }
  /* without the restore many splits lose something: the snapshots were not empty */
  if (mattered < n / 4)
    fail_msg("%s: only %d of %d splits needed the restored state", what, mattered, n + 1);
  static const int scale[][2] = {{2, 3}, {2, 1}, {3, 2}, {1, 4}};
  for (size_t s = 0; s < sizeof scale / sizeof scale[0]; s++) {
    for (int split = 0; split <= n; split++) {
      run(build, st, n, split, scale[s][0], scale[s][1], &got);
      records_sorted(&got, &got_sorted);
      expect_same(&ref_sorted, &got_sorted, what, split, scale[s][0], scale[s][1]);
    }
  }
}

/* ---- window operators ------------------------------------------------------------------------ */
/* Tumbling windows of 10 ms over six keys; several windows open at most splits, none late. */
static const step tumbling_script[] = {
    E(1, 1, 1),   E(2, 2, 10), E(5, 1, 2), E(12, 3, 5), W(9),        E(11, 1, 3),  E(15, 2, 20),
    E(19, 4, 7),  E(13, 5, 1), W(15),      E(21, 1, 4), E(25, 6, 9), E(16, 3, 6),  W(19),
    E(22, 2, 30), E(31, 4, 8), W(29),      E(35, 5, 2), E(38, 1, 5), E(33, 7, 11), W(INT64_MAX)};

static spate_stream *tumbling_sum(spate_env *env, int p) {
  spate_stream *w = spate_window(spate_key_by(kv_source(env), 0),
                                 spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0));
  return at(spate_window_reduce(w, harness_sum), p);
}

static void test_tumbling_event_time_sum(void **state) {
  /* The uninterrupted run first, spelled out: what every split must reproduce. */
  out ref;
  run(tumbling_sum, tumbling_script, NSTEPS(tumbling_script), -1, 1, 1, &ref);
  static const ev want[] = {{HARNESS_RECORD, 9, 1, 3},           {HARNESS_RECORD, 9, 2, 10},
                            {HARNESS_WATERMARK, 9, 0, 0},        {HARNESS_WATERMARK, 15, 0, 0},
                            {HARNESS_RECORD, 19, 3, 11},         {HARNESS_RECORD, 19, 1, 3},
                            {HARNESS_RECORD, 19, 2, 20},         {HARNESS_RECORD, 19, 4, 7},
                            {HARNESS_RECORD, 19, 5, 1},          {HARNESS_WATERMARK, 19, 0, 0},
                            {HARNESS_RECORD, 29, 1, 4},          {HARNESS_RECORD, 29, 6, 9},
                            {HARNESS_RECORD, 29, 2, 30},         {HARNESS_WATERMARK, 29, 0, 0},
                            {HARNESS_RECORD, 39, 4, 8},          {HARNESS_RECORD, 39, 5, 2},
                            {HARNESS_RECORD, 39, 1, 5},          {HARNESS_RECORD, 39, 7, 11},
                            {HARNESS_WATERMARK, INT64_MAX, 0, 0}};
  out w = {.n = NSTEPS(want)};
  memcpy(w.e, want, sizeof want);
  out a, b;
  records_sorted(&w, &a);
  records_sorted(&ref, &b);
  expect_same(&a, &b, "tumbling sum, uninterrupted", -1, 1, 1);
  check_every_split("tumbling sum", tumbling_sum, tumbling_script, NSTEPS(tumbling_script));
}

static spate_stream *sliding_sum(spate_env *env, int p) {
  spate_stream *w = spate_window(spate_key_by(kv_source(env), 0),
                                 spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 0));
  return at(spate_window_reduce(w, harness_sum), p);
}

static spate_stream *tumbling_apply(spate_env *env, int p) {
  spate_stream *w = spate_window(spate_key_by(kv_source(env), 0),
                                 spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0));
  return at(spate_window_apply(w, harness_apply, spate_env_schema(env, "k BIGINT, v BIGINT")), p);
}

static spate_stream *tumbling_count_trigger(spate_env *env, int p) {
  spate_stream *w = spate_window(spate_key_by(kv_source(env), 0),
                                 spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0));
  w = spate_window_trigger(w, spate_count_trigger(2));
  return at(spate_window_reduce(w, harness_sum), p);
}

static void test_other_time_windows(void **state) {
  /* panes shared by sliding windows, list contents, a trigger's per-window count */
  check_every_split("sliding sum", sliding_sum, tumbling_script, NSTEPS(tumbling_script));
  check_every_split("tumbling apply", tumbling_apply, tumbling_script, NSTEPS(tumbling_script));
  check_every_split("count trigger", tumbling_count_trigger, tumbling_script,
                    NSTEPS(tumbling_script));
}

/* Session windows with a gap of 5: sessions stay open across most splits, and elements after
 * them extend and merge sessions restored from the snapshot. */
static const step session_script[] = {
    E(1, 1, 1),  E(3, 2, 10), E(4, 1, 2),  W(2),        E(12, 1, 3), E(8, 1, 4),  E(20, 2, 5),
    E(6, 2, 1),  E(16, 4, 1), W(12),       E(30, 3, 1), E(33, 3, 2), E(24, 2, 6), E(19, 4, 2),
    E(28, 4, 3), W(40),       E(45, 1, 1), E(47, 1, 1), E(52, 5, 9), E(49, 1, 2), W(INT64_MAX)};

static spate_stream *session_sum(spate_env *env, int p) {
  spate_stream *w =
      spate_window(spate_key_by(kv_source(env), 0), spate_session_windows(SPATE_EVENT_TIME, 5));
  return at(spate_window_reduce(w, harness_sum), p);
}

static spate_stream *session_apply_count_trigger(spate_env *env, int p) {
  spate_stream *w =
      spate_window(spate_key_by(kv_source(env), 0), spate_session_windows(SPATE_EVENT_TIME, 5));
  w = spate_window_trigger(w, spate_count_trigger(3));
  return at(spate_window_apply(w, harness_apply, spate_env_schema(env, "k BIGINT, v BIGINT")), p);
}

static void test_session_windows_mid_session(void **state) {
  out ref;
  run(session_sum, session_script, NSTEPS(session_script), -1, 1, 1, &ref);
  /* key 1: [1, 9) and [12, 17) are bridged by 8 into [1, 17): 1 + 2 + 3 + 4 */
  bool merged = false;
  for (int i = 0; i < ref.n; i++)
    merged |= ref.e[i].type == HARNESS_RECORD && ref.e[i].f0 == 1 && ref.e[i].ts == 16 &&
              ref.e[i].f1 == 10;
  assert_true(merged);
  /* A snapshot mid-session holds the session sets: restoring it reproduces the merge. */
  check_every_split("session sum", session_sum, session_script, NSTEPS(session_script));
  check_every_split("session apply with count trigger", session_apply_count_trigger, session_script,
                    NSTEPS(session_script));
}

/* Count windows: tumbling (3 elements) and sliding (4 every 2, evicting). */
static const step count_script[] = {E(1, 1, 1),  E(2, 1, 2),  E(3, 2, 5), E(4, 1, 3), E(5, 2, 6),
                                    E(6, 1, 4),  E(7, 2, 7),  E(8, 3, 1), E(9, 1, 5), E(10, 2, 8),
                                    E(11, 1, 6), E(12, 3, 2), W(20),      E(13, 1, 7)};

static spate_stream *count_tumbling(spate_env *env, int p) {
  spate_stream *w = spate_window(spate_key_by(kv_source(env), 0), spate_count_windows(3, 0));
  return at(spate_window_reduce(w, harness_sum), p);
}

static spate_stream *count_sliding(spate_env *env, int p) {
  spate_stream *w = spate_window(spate_key_by(kv_source(env), 0), spate_count_windows(4, 2));
  return at(spate_window_apply(w, harness_apply, spate_env_schema(env, "k BIGINT, v BIGINT")), p);
}

static void test_count_windows(void **state) {
  check_every_split("count tumbling", count_tumbling, count_script, NSTEPS(count_script));
  check_every_split("count sliding", count_sliding, count_script, NSTEPS(count_script));
}

/* ---- keyed reduce and aggregations ----------------------------------------------------------- */
static const step keyed_script[] = {
    E(1, 1, 1), E(2, 2, 10), E(3, 1, 2),  E(4, 3, 5),  W(4),         E(5, 2, 20),
    E(6, 4, 7), E(7, 1, 3),  E(8, 5, 1),  E(9, 3, 6),  E(10, 6, 9),  E(11, 2, 30),
    W(11),      E(12, 4, 8), E(13, 7, 2), E(14, 1, 4), E(15, 6, -9), W(INT64_MAX)};

static spate_stream *keyed_reduce(spate_env *env, int p) {
  return at(spate_reduce(spate_key_by(kv_source(env), 0), harness_sum), p);
}

static spate_stream *keyed_sum(spate_env *env, int p) {
  return at(spate_sum(spate_key_by(kv_source(env), 0), 1), p);
}

static spate_stream *keyed_max_by(spate_env *env, int p) {
  return at(spate_max_by(spate_key_by(kv_source(env), 0), 1), p);
}

static void test_keyed_reduce_and_sum(void **state) {
  out ref;
  run(keyed_sum, keyed_script, NSTEPS(keyed_script), -1, 1, 1, &ref);
  assert_int_equal(ref.e[ref.n - 2].f0, 6); /* the last record: key 6's running sum */
  assert_int_equal(ref.e[ref.n - 2].f1, 0);
  check_every_split("keyed reduce", keyed_reduce, keyed_script, NSTEPS(keyed_script));
  check_every_split("keyed sum", keyed_sum, keyed_script, NSTEPS(keyed_script));
  check_every_split("keyed max_by", keyed_max_by, keyed_script, NSTEPS(keyed_script));
}

/* ---- processing time ------------------------------------------------------------------------- */
/* A custom trigger on global windows: v == 3000 registers a processing-time timer at 50, which
 * fires and purges the window; other elements just accumulate. */
int os_on_element(spate_ctx *ctx, const spate_row *e, int64_t ts, const spate_time_window *w) {
  if (spate_row_bigint(e, 1) == 3000) return spate_trigger_register_processing_timer(ctx, 50);
  return SPATE_TRIGGER_CONTINUE;
}
int os_on_processing_time(spate_ctx *ctx, int64_t t, const spate_time_window *w) {
  return SPATE_TRIGGER_FIRE_AND_PURGE;
}

static spate_stream *proc_trigger_sum(spate_env *env, int p) {
  spate_stream *w = spate_window(spate_key_by(kv_source(env), 0), spate_global_windows());
  w = spate_window_trigger(w, spate_custom_trigger(os_on_element, NULL, os_on_processing_time));
  return at(spate_window_reduce(w, harness_sum), p);
}

static void test_processing_time_timers_survive(void **state) {
  /* Keys 1..6 with a timer at 50 each, taken at 2 subtasks and restored into 1 and into 3. */
  for (int p1 = 1; p1 <= 3; p1 += 2) {
    group a, b;
    group_open(&a, proc_trigger_sum, 2, NULL, 0);
    for (int64_t k = 1; k <= 6; k++) {
      group_feed(&a, &(step)E(k, k, k));
      group_feed(&a, &(step)E(k, k, 3000));
    }
    for (int i = 0; i < 2; i++) assert_int_equal(a.h[i].nevents, 0);
    sp_writer snaps[2];
    snap_section secs[2];
    group_snapshot(&a, 7, snaps, secs);
    group_close(&a, NULL); /* a never fired: its task went down */
    group_open(&b, proc_trigger_sum, p1, secs, 2);
    /* Every subtask that got a key has its task timer set again, for 50. */
    bool has_key[MAXP] = {false};
    for (int64_t k = 1; k <= 6; k++) has_key[subtask_of(k, p1)] = true;
    for (int i = 0; i < p1; i++) {
      assert_int_equal(b.h[i].ntimers, has_key[i] ? 1 : 0);
      if (has_key[i]) assert_int_equal(b.h[i].timers[0].due, 50);
      assert_int_equal(harness_processing_time(&b.h[i], 49), 0);
      assert_int_equal(b.h[i].nevents, 0);
      assert_int_equal(harness_processing_time(&b.h[i], 50), 0);
    }
    out o, r;
    o.n = 0;
    collect(&b, &o);
    records_sorted(&o, &r);
    assert_int_equal(r.n, 6);
    for (int64_t k = 1; k <= 6; k++) {
      assert_int_equal(r.e[k - 1].ts, INT64_MAX);
      assert_int_equal(r.e[k - 1].f0, k);
      assert_int_equal(r.e[k - 1].f1, k + 3000);
    }
    group_close(&b, NULL);
    for (int i = 0; i < 2; i++) sp_writer_free(&snaps[i]);
  }
}

static spate_stream *proc_session_sum(spate_env *env, int p) {
  spate_stream *w = spate_window(spate_key_by(kv_source(env), 0),
                                 spate_session_windows(SPATE_PROCESSING_TIME, 86400000));
  return at(spate_window_reduce(w, harness_sum), p);
}

static void test_processing_time_session_restored(void **state) {
  /* Processing-time sessions of a day: elements of a test run all fall into one session per
   * key, whose timer (wall clock + gap - 1) is restored and scheduled again. */
  group a, b;
  group_open(&a, proc_session_sum, 1, NULL, 0);
  group_feed(&a, &(step)E(0, 1, 1));
  group_feed(&a, &(step)E(0, 2, 10));
  group_feed(&a, &(step)E(0, 1, 2));
  assert_true(a.h[0].ntimers >= 1);
  int64_t due = INT64_MAX;
  for (int i = 0; i < a.h[0].ntimers; i++)
    if (a.h[0].timers[i].due < due) due = a.h[0].timers[i].due;
  sp_writer snap;
  snap_section sec;
  group_snapshot(&a, 3, &snap, &sec);
  group_close(&a, NULL);
  group_open(&b, proc_session_sum, 1, &sec, 1);
  assert_int_equal(b.h[0].ntimers, 1);
  assert_true(b.h[0].timers[0].due >= due); /* at least the earliest session's end */
  group_feed(&b, &(step)E(0, 1, 3));        /* extends key 1's restored session */
  assert_int_equal(harness_processing_time(&b.h[0], HARNESS_T0 + 2 * 86400000LL), 0);
  out o, r;
  o.n = 0;
  collect(&b, &o);
  records_sorted(&o, &r);
  assert_int_equal(r.n, 2);
  assert_true(r.e[0].f0 == 1 ? r.e[0].f1 == 6 && r.e[1].f1 == 10
                             : r.e[0].f1 == 10 && r.e[1].f1 == 6);
  group_close(&b, NULL);
  sp_writer_free(&snap);
}

/* ---- bad snapshots --------------------------------------------------------------------------- */
static void test_restore_refuses_bad_snapshots(void **state) {
  /* A snapshot taken mid-way by a window and by a keyed operator. */
  build_fn builds[] = {tumbling_sum, session_sum, keyed_sum};
  for (size_t b = 0; b < sizeof builds / sizeof builds[0]; b++) {
    group a;
    group_open(&a, builds[b], 1, NULL, 0);
    for (int i = 0; i < 9; i++) group_feed(&a, &session_script[i]);
    sp_writer snap;
    snap_section sec;
    group_snapshot(&a, 1, &snap, &sec);
    group_close(&a, NULL);
    /* Every byte changed: the restore succeeds or fails with a message; the operator then
     * runs to the end without harm (ASan watches). */
    uint8_t *copy = malloc(snap.len);
    for (size_t i = 0; i < snap.len; i++) {
      memcpy(copy, snap.data, snap.len);
      copy[i] ^= 0x5A;
      snap_section bad = {copy, snap.len};
      harness h;
      spate_env *env = spate_env_create();
      int rc = harness_open_restored(&h, env, builds[b](env, 1), 0, &bad, 1);
      if (rc < 0) {
        assert_true(h.err[0] != 0);
      } else {
        for (int j = 9; j < NSTEPS(session_script); j++) {
          const step *st = &session_script[j];
          spate_row r = harness_row2(kv_rb, st->k, st->v);
          rc = st->type == HARNESS_WATERMARK ? harness_watermark(&h, st->ts)
                                             : harness_element(&h, 0, st->ts, &r);
          if (rc < 0) break; /* e.g. a window timer without a window */
        }
      }
      harness_close(&h);
      spate_env_free(env);
    }
    free(copy);
    sp_writer_free(&snap);
  }

  /* A keyed operator's section that holds a key of another key group is refused. The section
   * is written as keyed reduce and aggregations write theirs: by the keyed-state backend, the
   * stored rows in the VALUE state "_op_state". */
  int kg1 = sp_key_group(sp_java_long_hash(1), MAX_PARALLELISM);
  int other = kg1 == 0 ? 1 : 0;
  snap_writer w;
  assert_int_equal(
      snap_writer_init(&w, MAX_PARALLELISM, ks_key_group_range_for(MAX_PARALLELISM, 1, 0)), 0);
  sp_writer *s = snap_key_group(&w, other);
  spate_schema *ks = NULL;
  assert_int_equal(spate_schema_parse("k BIGINT NOT NULL", &ks, NULL, 0), 0);
  spate_row_builder *kb = spate_rb_new(ks);
  spate_row key;
  spate_rb_begin(kb);
  spate_rb_set_bigint(kb, 0, 1);
  assert_int_equal(spate_rb_finish(kb, &key), 0);
  ks_backend *backend = NULL;
  assert_int_equal(ks_backend_new(MAX_PARALLELISM, ks_key_group_range_for(MAX_PARALLELISM, 1, 0),
                                  NULL, NULL, &backend),
                   0);
  ks_state *stored = NULL;
  ks_descriptor d = {.name = "_op_state", .kind = KS_VALUE, .value_schema = kv_schema};
  assert_int_equal(ks_register(backend, &d, &stored), 0);
  assert_int_equal(ks_set_current_key(backend, key.data, key.len, other), 0);
  spate_row val = harness_row2(kv_rb, 1, 5);
  assert_int_equal(ks_value_update(stored, &val), 0);
  assert_int_equal(ks_write_key_group(backend, other, s), 0);
  ks_backend_free(backend);
  sp_writer enc;
  sp_writer_init(&enc);
  assert_int_equal(snap_encode(&w, &enc), 0);
  snap_writer_free(&w);
  harness h;
  spate_env *env = spate_env_create();
  snap_section sec = {enc.data, enc.len};
  assert_int_equal(harness_open_restored(&h, env, keyed_sum(env, 1), 0, &sec, 1), SPATE_ECORRUPT);
  assert_non_null(strstr(h.err, "holds a key of key group"));
  harness_close(&h);
  spate_env_free(env);

  /* A snapshot of another max parallelism is refused (Flink refuses it too). */
  env = spate_env_create();
  assert_int_equal(
      harness_open_restored(&h, env, spate_max_parallelism(keyed_sum(env, 1), 256), 0, &sec, 1),
      SPATE_ESTATE);
  harness_close(&h);
  spate_env_free(env);
  sp_writer_free(&enc);
  spate_rb_free(kb);
  spate_schema_free(ks);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tumbling_event_time_sum),
      cmocka_unit_test(test_other_time_windows),
      cmocka_unit_test(test_session_windows_mid_session),
      cmocka_unit_test(test_count_windows),
      cmocka_unit_test(test_keyed_reduce_and_sum),
      cmocka_unit_test(test_processing_time_timers_survive),
      cmocka_unit_test(test_processing_time_session_restored),
      cmocka_unit_test(test_restore_refuses_bad_snapshots),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
