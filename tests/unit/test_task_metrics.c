/*
 * test_task_metrics.c: what tasks measure about themselves (runtime/task_metrics.h), on real
 * jobs: the test builds a job graph through the API and starts every subtask of every vertex
 * with task_start in one shuffle environment (the MiniCluster's wiring without its JobMaster),
 * so it can read each task's figures while it runs and after it ended (before it is freed).
 *
 *  - records in and out per operator and per task equal what the job processed, exactly; bytes
 *    out of the producer equal bytes in of its consumers (both counted per buffer); the end of
 *    input's watermark is reported in and out; a consumer started before its producer reads as
 *    idle; busy + idle + backpressured is the elapsed time at every read;
 *  - the user metrics a map registered in its open function (counter, meter, gauge, histogram)
 *    read as the map set them;
 *  - a producer behind a sink the test holds reads as backpressured while it waits;
 *  - a window job with late records counts exactly the dropped ones, and reports the input and
 *    output watermarks of its operators and the task's input watermark while it runs; so do the
 *    window join and the interval join;
 *  - the user metric API's rules (duplicates, kinds, names, windows) and histogram statistics.
 * Every wait is a TK_AWAIT with the test deadline; nothing depends on timing.
 * UDFs have external linkage (the program is linked with -rdynamic) and a tm_ prefix.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "connectors/registry.h"
#include "operators/registry.h"
#include "runtime/shuffle_env.h"
#include "runtime/task.h"
#include "runtime/task_metrics.h"
#include "runtime/udf_context.h"
#include "runtime/user_metrics.h"
#include "spate/spate.h"
#include "support/testkit.h"

#define N 1000
#define MAXTASKS 8

static _Atomic int g_ended, g_failed;
static char g_error[512];
static tk_gate g_gate;

static void listener(void *arg, task *t, task_state from, task_state to) {
  (void)arg;
  (void)from;
  if (!task_state_terminal(to)) return;
  if (to != TS_FINISHED && atomic_fetch_add(&g_failed, 1) == 0)
    snprintf(g_error, sizeof g_error, "%s", task_error(t));
  atomic_fetch_add(&g_ended, 1);
  tk_notify();
}

static const op_vtable *vtable_for(op_kind kind) {
  const op_vtable *vt = op_vtable_for(kind);
  return vt ? vt : connector_vtable_for(kind);
}

/* A job's tasks, started by the test. */
typedef struct rig {
  spate_env *env;
  job_graph *jg;
  void *dl;
  shuffle_env *shuffle;
  task_config cfg;
  task *t[MAXTASKS];
  int vertex[MAXTASKS], subtask[MAXTASKS];
  int n;
} rig;

static void rig_build(rig *g, spate_env *env) {
  memset(g, 0, sizeof *g);
  atomic_store(&g_ended, 0);
  atomic_store(&g_failed, 0);
  g_error[0] = 0;
  g->env = env;
  assert_null(spate_env_error(env));
  char err[512];
  assert_int_equal(jobgraph_build(env->g, &g->jg, err, sizeof err), 0);
  g->dl = dlopen(NULL, RTLD_NOW);
  assert_int_equal(shuffle_env_create(&g->shuffle), 0);
  g->cfg = (task_config){.vtable_for = vtable_for,
                         .buffer_size = 32768,
                         .buffers_per_channel = 2,
                         .floating_buffers = 8,
                         .buffer_timeout_ms = 0};
}

/* Starts every subtask of vertex v. */
static void rig_start_vertex(rig *g, int v) {
  for (int s = 0; s < g->jg->vertices[v].parallelism; s++) {
    assert_true(g->n < MAXTASKS);
    g->vertex[g->n] = v;
    g->subtask[g->n] = s;
    assert_int_equal(
        task_start(g->jg, v, s, 0, g->shuffle, g->dl, &g->cfg, NULL, listener, NULL, &g->t[g->n]),
        0);
    g->n++;
  }
}

static void rig_await_end(rig *g) {
  TK_AWAIT(atomic_load(&g_ended) == g->n, "%d tasks to end (ended: %d)", g->n,
           atomic_load(&g_ended));
  if (atomic_load(&g_failed)) fail_msg("a task did not finish: %s", g_error);
}

static void rig_free(rig *g) {
  for (int i = 0; i < g->n; i++) task_join_free(g->t[i]);
  shuffle_env_destroy(g->shuffle);
  jobgraph_free(g->jg);
  dlclose(g->dl);
  spate_env_free(g->env);
}

/* The vertex holding stream s's operator, and the operator's position in its chain. */
static int vertex_of(rig *g, const spate_stream *s, int *pos) {
  for (int v = 0; v < g->jg->nvertices; v++)
    for (int i = 0; i < g->jg->vertices[v].nnodes; i++)
      if (g->jg->vertices[v].nodes[i] == s->node) {
        *pos = i;
        return v;
      }
  fail_msg("stream's node %d is in no vertex", s->node);
  return -1;
}

/* Operator figures of stream s's operator summed over its subtasks. */
static task_op_metrics op_sum(rig *g, const spate_stream *s) {
  int pos, v = vertex_of(g, s, &pos);
  task_op_metrics sum = {0};
  for (int i = 0; i < g->n; i++) {
    if (g->vertex[i] != v) continue;
    assert_int_equal(task_metrics_operator_node(g->t[i], pos), s->node);
    task_op_metrics m;
    task_metrics_read_operator(g->t[i], pos, &m);
    sum.records_in += m.records_in;
    sum.records_out += m.records_out;
    sum.late_records_dropped += m.late_records_dropped;
    sum.input_watermark = m.input_watermark; /* the last subtask's */
    sum.output_watermark = m.output_watermark;
  }
  return sum;
}

/* Task figures of vertex v summed over its subtasks (watermark: the last subtask's). */
static task_metrics_view task_sum(rig *g, int v) {
  task_metrics_view sum = {0};
  for (int i = 0; i < g->n; i++) {
    if (g->vertex[i] != v) continue;
    task_metrics_view m;
    task_metrics_read(g->t[i], &m);
    sum.records_in += m.records_in;
    sum.records_out += m.records_out;
    sum.bytes_in += m.bytes_in;
    sum.bytes_out += m.bytes_out;
    sum.busy_ns += m.busy_ns;
    sum.idle_ns += m.idle_ns;
    sum.backpressured_ns += m.backpressured_ns;
    sum.elapsed_ns += m.elapsed_ns;
    sum.input_watermark = m.input_watermark;
  }
  return sum;
}

/* Every task's time adds up: busy + idle + backpressured is the elapsed time of the read. */
static void assert_time_adds_up(rig *g) {
  for (int i = 0; i < g->n; i++) {
    task_metrics_view m;
    task_metrics_read(g->t[i], &m);
    assert_true(m.elapsed_ns > 0);
    assert_int_equal(m.busy_ns + m.idle_ns + m.backpressured_ns, m.elapsed_ns);
  }
}

/* ---- UDFs ------------------------------------------------------------------------------------- */
int tm_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

typedef struct tm_map_metrics {
  spate_counter *mapped;
  spate_meter *meter;
  spate_gauge *last;
  spate_histogram *values;
} tm_map_metrics;

int tm_map_open(spate_ctx *ctx, void **user) {
  tm_map_metrics *m = calloc(1, sizeof *m);
  if (!m) return spate_ctx_fail(ctx, "out of memory");
  m->mapped = spate_ctx_counter(ctx, "mapped");
  m->meter = spate_ctx_meter(ctx, "mappedRate");
  m->last = spate_ctx_gauge(ctx, "last");
  m->values = spate_ctx_histogram(ctx, "values", 100);
  *user = m;
  /* registering a name again gives the same metric */
  if (!m->mapped || !m->meter || !m->last || !m->values ||
      spate_ctx_counter(ctx, "mapped") != m->mapped)
    return spate_ctx_fail(ctx, "registration failed");
  return 0;
}

void tm_map_close(spate_ctx *ctx, void *user) {
  (void)ctx;
  free(user);
}

int tm_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  tm_map_metrics *m = spate_ctx_user(ctx);
  int64_t v = spate_row_bigint(in, 0);
  spate_counter_inc(m->mapped);
  spate_meter_mark(m->meter, 1);
  spate_gauge_set(m->last, (double)v);
  spate_histogram_update(m->values, v);
  spate_rb_set_bigint(out, 0, v);
  return 0;
}

int tm_even(spate_ctx *ctx, const spate_row *in) {
  (void)ctx;
  return spate_row_bigint(in, 0) % 2 == 0;
}

int tm_sink(spate_ctx *ctx, const spate_row *in) {
  (void)ctx;
  (void)in;
  return 0;
}

/* Holds its first record at the gate until the test opens it. */
int tm_held_sink(spate_ctx *ctx, const spate_row *in) {
  (void)in;
  if (!tk_gate_pass(&g_gate)) return spate_ctx_fail(ctx, "the test never opened the gate");
  return 0;
}

/* ---- records, bytes, watermarks, idle time, user metrics ------------------------------------- */
static void test_records_bytes_and_user_metrics(void **state) {
  (void)state;
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_stream *gen = spate_parallelism(spate_generate(env, s, tm_gen, N), 1);
  spate_stream *map = spate_parallelism(
      spate_udf_lifecycle(spate_map(gen, tm_map, s), tm_map_open, tm_map_close), 1);
  spate_stream *even = spate_parallelism(spate_filter(spate_rebalance(map), tm_even), 2);
  spate_stream *sink = spate_parallelism(spate_sink(even, tm_sink), 2);
  rig g;
  rig_build(&g, env);
  int pos;
  int vsrc = vertex_of(&g, gen, &pos), vdst = vertex_of(&g, even, &pos);
  assert_int_not_equal(vsrc, vdst);
  /* the consumers first: with no producer yet they can only park, which is idle time */
  rig_start_vertex(&g, vdst);
  TK_AWAIT(task_sum(&g, vdst).idle_ns > 0, "the consumers to read as idle");
  rig_start_vertex(&g, vsrc);
  rig_await_end(&g);

  task_op_metrics m = op_sum(&g, gen);
  assert_int_equal(m.records_in, 0);
  assert_int_equal(m.records_out, N);
  m = op_sum(&g, map);
  assert_int_equal(m.records_in, N);
  assert_int_equal(m.records_out, N);
  m = op_sum(&g, even);
  assert_int_equal(m.records_in, N);
  assert_int_equal(m.records_out, N / 2);
  assert_int_equal(m.input_watermark, INT64_MAX); /* a bounded source ends event time */
  assert_int_equal(m.output_watermark, INT64_MAX);
  m = op_sum(&g, sink);
  assert_int_equal(m.records_in, N / 2);
  assert_int_equal(m.records_out, 0);

  task_metrics_view src = task_sum(&g, vsrc), dst = task_sum(&g, vdst);
  assert_int_equal(src.records_out, N); /* to other tasks: what the map sent on */
  assert_int_equal(dst.records_in, N);
  assert_int_equal(dst.records_out, 0);
  assert_true(src.bytes_out > (uint64_t)N * 8);
  assert_int_equal(dst.bytes_in, src.bytes_out); /* every buffer sent was read */
  assert_int_equal(dst.bytes_out, 0);
  assert_int_equal(dst.input_watermark, INT64_MAX);
  assert_int_equal(src.input_watermark, INT64_MIN); /* a source has no input */
  assert_true(dst.idle_ns > 0);
  assert_time_adds_up(&g);

  /* the map's own metrics, in registration order */
  int map_task = -1;
  for (int i = 0; i < g.n; i++)
    if (g.vertex[i] == vsrc) map_task = i;
  vertex_of(&g, map, &pos);
  assert_int_equal(task_metrics_user_count(g.t[map_task], pos), 4);
  task_user_metric u;
  assert_int_equal(task_metrics_read_user(g.t[map_task], pos, 0, &u), 0);
  assert_string_equal(u.name, "mapped");
  assert_int_equal(u.kind, USER_COUNTER);
  assert_int_equal(u.count, N);
  assert_int_equal(task_metrics_read_user(g.t[map_task], pos, 1, &u), 0);
  assert_string_equal(u.name, "mappedRate");
  assert_int_equal(u.kind, USER_METER);
  assert_int_equal(u.count, N);
  assert_int_equal(task_metrics_read_user(g.t[map_task], pos, 2, &u), 0);
  assert_string_equal(u.name, "last");
  assert_int_equal(u.kind, USER_GAUGE);
  assert_true(u.value == (double)(N - 1));
  assert_int_equal(task_metrics_read_user(g.t[map_task], pos, 3, &u), 0);
  assert_string_equal(u.name, "values");
  assert_int_equal(u.kind, USER_HISTOGRAM);
  assert_int_equal(u.count, N);
  assert_int_equal(u.hist.size, 100); /* the last 100: 900..999 */
  assert_int_equal(u.hist.min, N - 100);
  assert_int_equal(u.hist.max, N - 1);
  assert_true(fabs(u.hist.mean - 949.5) < 1e-9);
  assert_true(fabs(u.hist.quantiles[0] - 949.5) < 1e-9); /* position 0.5 * 101 = 50.5 */
  assert_int_equal(task_metrics_read_user(g.t[map_task], pos, 4, &u), SPATE_ENOENT);
  assert_int_equal(task_metrics_user_count(g.t[map_task], 0), 0); /* the generator has none */
  rig_free(&g);
}

/* ---- backpressure ------------------------------------------------------------------------------ */
static void test_backpressured_producer(void **state) {
  (void)state;
  tk_gate_reset(&g_gate);
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_stream *gen = spate_parallelism(spate_generate(env, s, tm_gen, N), 1);
  spate_stream *sink = spate_parallelism(spate_sink(spate_rebalance(gen), tm_held_sink), 1);
  rig g;
  rig_build(&g, env);
  g.cfg.buffers_per_channel = 1; /* a pool of two buffers: the held sink keeps one */
  g.cfg.floating_buffers = 0;
  int pos, vsrc = vertex_of(&g, gen, &pos), vdst = vertex_of(&g, sink, &pos);
  rig_start_vertex(&g, vdst);
  rig_start_vertex(&g, vsrc);
  /* the sink holds the first record (and its buffer); every record is a buffer of its own, so
   * the source runs out of buffers and waits: a wait in progress reads as backpressure */
  TK_AWAIT(tk_gate_arrived(&g_gate) == 1 && task_sum(&g, vsrc).backpressured_ns > 0,
           "the source to read as backpressured behind the held sink");
  task_metrics_view during = task_sum(&g, vsrc);
  assert_true(during.records_out < N);
  tk_gate_open(&g_gate);
  rig_await_end(&g);
  task_metrics_view src = task_sum(&g, vsrc);
  assert_true(src.backpressured_ns >= during.backpressured_ns);
  assert_int_equal(src.records_out, N);
  assert_int_equal(task_sum(&g, vdst).records_in, N);
  assert_time_adds_up(&g);
  rig_free(&g);
}

/* ---- late records and watermarks --------------------------------------------------------------- */
/* (key, ts): after 5000, the records at 500 and 1500 are late for 1-second windows; the record
 * at index 6 waits at the gate until the test has looked. */
static const int64_t late_ts[] = {1000, 2000, 5000, 500, 1500, 6000, 10000};
#define NLATE (sizeof late_ts / sizeof late_ts[0])

int tm_late_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  if (i == NLATE - 1 && !tk_gate_pass(&g_gate))
    return spate_ctx_fail(ctx, "the test never opened the gate");
  spate_rb_set_bigint(out, 0, 1);
  spate_rb_set_bigint(out, 1, late_ts[i]);
  return 0;
}

/* A punctuated watermark: each record's own timestamp. */
int64_t tm_wm_each(spate_ctx *ctx, const spate_row *in, int64_t ts) {
  (void)ctx;
  (void)in;
  return ts;
}

int tm_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  return 0;
}

static void test_late_records_and_watermarks(void **state) {
  (void)state;
  tk_gate_reset(&g_gate);
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "k BIGINT NOT NULL, ts BIGINT NOT NULL");
  spate_stream *gen = spate_parallelism(spate_generate(env, s, tm_late_gen, NLATE), 1);
  spate_stream *wm = spate_assign_watermarks_custom(gen, 1, NULL, tm_wm_each, NULL);
  spate_stream *win = spate_window_reduce(
      spate_window(spate_key_by(wm, 0), spate_tumbling_windows(SPATE_EVENT_TIME, 1000, 0)), tm_sum);
  spate_parallelism(win, 1);
  spate_parallelism(spate_sink(win, tm_sink), 1);
  rig g;
  rig_build(&g, env);
  int wpos, vwin = vertex_of(&g, win, &wpos);
  rig_start_vertex(&g, vwin);
  rig_start_vertex(&g, vertex_of(&g, gen, &wpos));
  vertex_of(&g, win, &wpos);
  /* the source waits before its last record: everything before it has been sent (buffer
   * timeout 0) and is awaited here, read while the tasks run */
  TK_AWAIT(tk_gate_arrived(&g_gate) == 1 && op_sum(&g, win).late_records_dropped == 2 &&
               op_sum(&g, win).input_watermark == 6000 &&
               task_sum(&g, vwin).input_watermark == 6000,
           "the window to have dropped 2 late records and seen watermark 6000 (dropped %llu, "
           "watermark %lld)",
           (unsigned long long)op_sum(&g, win).late_records_dropped,
           (long long)op_sum(&g, win).input_watermark);
  assert_int_equal(op_sum(&g, wm).output_watermark, 6000);
  assert_int_equal(op_sum(&g, wm).input_watermark, INT64_MIN); /* upstream has none */
  assert_int_equal(op_sum(&g, win).output_watermark, 6000);
  assert_int_equal(op_sum(&g, win).records_in, 6);
  tk_gate_open(&g_gate);
  rig_await_end(&g);
  task_op_metrics w = op_sum(&g, win);
  assert_int_equal(w.late_records_dropped, 2);
  assert_int_equal(w.records_in, NLATE);
  assert_int_equal(w.input_watermark, INT64_MAX);
  /* windows fired: [1000,2000) [2000,3000) [5000,6000) [6000,7000) [10000,11000) */
  assert_int_equal(w.records_out, 5);
  assert_time_adds_up(&g);
  rig_free(&g);
}

/* ---- late records of the joins --------------------------------------------------------------- */
/* The left side sends 1000 and 5000, then waits at the gate before 500; the right side sends 1000
 * and 5000. Once the join's watermark is 5000 (both sides), 500 is late for both joins. */
static const int64_t left_ts[] = {1000, 5000, 500}, right_ts[] = {1000, 5000};

int tm_left_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  if (i == 2 && !tk_gate_pass(&g_gate))
    return spate_ctx_fail(ctx, "the test never opened the gate");
  spate_rb_set_bigint(out, 0, 1);
  spate_rb_set_bigint(out, 1, left_ts[i]);
  return 0;
}

int tm_right_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, 1);
  spate_rb_set_bigint(out, 1, right_ts[i]);
  return 0;
}

int tm_join(spate_ctx *ctx, const spate_row *l, const spate_row *r, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, spate_row_bigint(l, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(r, 1));
  return 0;
}

static void run_join(bool window) {
  tk_gate_reset(&g_gate);
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "k BIGINT NOT NULL, ts BIGINT NOT NULL");
  spate_stream *l = spate_parallelism(spate_generate(env, s, tm_left_gen, 3), 1);
  spate_stream *r = spate_parallelism(spate_generate(env, s, tm_right_gen, 2), 1);
  l = spate_key_by(spate_assign_watermarks_custom(l, 1, NULL, tm_wm_each, NULL), 0);
  r = spate_key_by(spate_assign_watermarks_custom(r, 1, NULL, tm_wm_each, NULL), 0);
  spate_stream *j =
      window
          ? spate_window_join(l, r, spate_tumbling_windows(SPATE_EVENT_TIME, 1000, 0), tm_join, s)
          : spate_interval_join(l, r, -100, 100, false, false, tm_join, s);
  spate_parallelism(j, 1);
  spate_parallelism(spate_sink(j, tm_sink), 1);
  rig g;
  rig_build(&g, env);
  for (int v = g.jg->nvertices - 1; v >= 0; v--) rig_start_vertex(&g, v);
  TK_AWAIT(tk_gate_arrived(&g_gate) == 1 && op_sum(&g, j).input_watermark == 5000,
           "the %s join's watermark to reach 5000 (it is %lld)", window ? "window" : "interval",
           (long long)op_sum(&g, j).input_watermark);
  assert_int_equal(op_sum(&g, j).late_records_dropped, 0);
  tk_gate_open(&g_gate);
  rig_await_end(&g);
  task_op_metrics m = op_sum(&g, j);
  assert_int_equal(m.records_in, 5);
  assert_int_equal(m.late_records_dropped, 1);
  assert_int_equal(m.records_out, 2); /* (1000, 1000) and (5000, 5000) */
  rig_free(&g);
}

static void test_joins_count_late_records(void **state) {
  (void)state;
  run_join(true);
  run_join(false);
}

/* ---- the user metric API ----------------------------------------------------------------------- */
static void test_user_metric_rules(void **state) {
  (void)state;
  user_metrics um;
  memset(&um, 0, sizeof um);
  spate_ctx ctx = {.name = "op", .parallelism = 1, .metrics = &um};
  spate_counter *c = spate_ctx_counter(&ctx, "n");
  assert_non_null(c);
  assert_ptr_equal(spate_ctx_counter(&ctx, "n"), c);
  assert_false(ctx.has_error);
  assert_null(spate_ctx_gauge(&ctx, "n")); /* a name belongs to one kind */
  assert_true(ctx.has_error);
  assert_non_null(strstr(ctx.error, "'n' is already registered as a counter"));
  ctx.has_error = false;
  assert_null(spate_ctx_meter(&ctx, ""));
  assert_true(ctx.has_error);
  ctx.has_error = false;
  char long_name[200];
  memset(long_name, 'x', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = 0;
  assert_null(spate_ctx_counter(&ctx, long_name));
  assert_null(spate_ctx_histogram(&ctx, "h0", 0));
  assert_non_null(strstr(ctx.error, "window of 1 to"));
  ctx.has_error = false;

  spate_counter_add(c, 5);
  spate_counter_dec(c);
  spate_counter_add(c, -10);
  assert_int_equal(spate_counter_value(c), -6);
  spate_gauge *gauge = spate_ctx_gauge(&ctx, "g");
  assert_true(spate_gauge_value(gauge) == 0);
  spate_gauge_set(gauge, 2.5);
  assert_true(spate_gauge_value(gauge) == 2.5);
  spate_meter *meter = spate_ctx_meter(&ctx, "m");
  spate_meter_mark(meter, 3);
  spate_meter_mark(meter, 4);
  assert_int_equal(spate_meter_count(meter), 7);
  /* NULL (a failed registration) is harmless */
  spate_counter_inc(NULL);
  spate_gauge_set(NULL, 1);
  spate_meter_mark(NULL, 1);
  spate_histogram_update(NULL, 1);

  spate_histogram *h = spate_ctx_histogram(&ctx, "h", 5);
  assert_ptr_equal(spate_ctx_histogram(&ctx, "h", 50), h); /* the existing one, window and all */
  assert_int_equal(user_metrics_count(&um), 4);
  const user_metric *hm = user_metrics_get(&um, 3);
  user_histogram_stats st;
  assert_int_equal(user_histogram_read(hm, &st), 0);
  assert_int_equal(st.count, 0);
  assert_int_equal(st.size, 0);
  for (int v = 1; v <= 10; v++) spate_histogram_update(h, v);
  assert_int_equal(spate_histogram_count(h), 10);
  assert_int_equal(user_histogram_read(hm, &st), 0);
  assert_int_equal(st.count, 10);
  assert_int_equal(st.size, 5); /* 6..10 */
  assert_int_equal(st.min, 6);
  assert_int_equal(st.max, 10);
  assert_true(fabs(st.mean - 8) < 1e-12);
  assert_true(fabs(st.stddev - sqrt(2.5)) < 1e-12); /* sample standard deviation */
  /* Commons Math's estimate: position p(n + 1) among the sorted values, 1-based */
  double want[7] = {8, 9.5, 10, 10, 10, 10, 10};
  for (int i = 0; i < 7; i++) assert_true(fabs(st.quantiles[i] - want[i]) < 1e-12);
  spate_histogram_update(h, -100);
  assert_int_equal(user_histogram_read(hm, &st), 0);
  assert_int_equal(st.min, -100); /* 7..10 and -100 */
  assert_true(fabs(st.quantiles[0] - 8) < 1e-12);
  assert_int_equal(user_metrics_get(&um, 4), NULL);
  user_metrics_free(&um);
  assert_int_equal(user_metrics_count(&um), 0);

  spate_ctx none = {.name = "key selector", .parallelism = 1};
  assert_null(spate_ctx_counter(&none, "x")); /* a context without an operator's metrics */
  assert_true(none.has_error);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_records_bytes_and_user_metrics),
      cmocka_unit_test(test_backpressured_producer),
      cmocka_unit_test(test_late_records_and_watermarks),
      cmocka_unit_test(test_joins_count_late_records),
      cmocka_unit_test(test_user_metric_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
