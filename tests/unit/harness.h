/*
 * harness.h: an operator test harness (Flink's OneInputStreamOperatorTestHarness idea). A test
 * builds a small pipeline with the public API, and the harness instantiates just the last
 * operator of it (as a task would: op_create, then op_open) with its output wired to a capture.
 * The test then feeds elements and watermarks straight into the operator and reads back the
 * exact sequence of records (with timestamps) and watermarks it emitted, in order.
 * Processing time is the harness's own manual clock (Flink's TestProcessingTimeService): it
 * starts at HARNESS_T0, the operator reads it, and harness_processing_time moves it and fires the
 * timers the operator scheduled up to that time.
 * Checkpoints: harness_snapshot encodes the operator's snapshot as a task would write it, and
 * harness_open_restored opens any subtask of the operator restored from the snapshots of its
 * old subtasks (snap_assign), so a test can stop, rescale and resume an operator.
 * Header-only: each test program is built alone; include <cmocka.h> before it.
 */
#ifndef SPATE_TESTS_HARNESS_H
#define SPATE_TESTS_HARNESS_H
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "connectors/registry.h"
#include "operators/registry.h"
#include "runtime/operator.h"

enum { HARNESS_RECORD = 1, HARNESS_WATERMARK = 2, HARNESS_STATUS = 3 };
#define HARNESS_T0 0 /* the processing time an operator opens at */

typedef struct harness_event {
  int type;
  int64_t ts;    /* record timestamp, watermark, or status (1 idle, 0 active) */
  spate_row row; /* records: a copy */
} harness_event;

typedef struct harness {
  job_graph *jg;
  op_t *op;
  op_t *capture;
  void *dl;
  _Atomic bool cancel;
  char err[1024];
  harness_event *events;
  size_t nevents, cap;
  struct harness_timer {
    int64_t due;
    op_timer_fn fn;
  } timers[64];
  int ntimers;
  snap_restore restored; /* what op->restored points to (harness_open_restored) */
  bool has_restored;
  sp_clock *clock; /* the operator's processing time */
} harness;

static inline const op_vtable *harness_vtable_for(op_kind k) {
  const op_vtable *vt = op_vtable_for(k);
  return vt ? vt : connector_vtable_for(k);
}

static inline void harness_push(harness *h, int type, int64_t ts, const spate_row *row) {
  if (h->nevents == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 64;
    h->events = realloc(h->events, h->cap * sizeof *h->events);
  }
  harness_event *e = &h->events[h->nevents++];
  memset(e, 0, sizeof *e);
  e->type = type;
  e->ts = ts;
  if (row) spate_row_copy(row, &e->row);
}

static inline int harness_cap_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  harness_push(op->impl, HARNESS_RECORD, ts, row);
  return 0;
}
static inline int harness_cap_watermark(op_t *op, int input, int64_t wm) {
  harness_push(op->impl, HARNESS_WATERMARK, wm, NULL);
  return 0;
}
static inline int harness_cap_status(op_t *op, bool idle) {
  harness_push(op->impl, HARNESS_STATUS, idle, NULL);
  return 0;
}
static const op_vtable harness_capture_vt = {.process = harness_cap_process,
                                             .watermark = harness_cap_watermark,
                                             .status = harness_cap_status};

static inline int harness_schedule(void *task, op_t *op, int64_t due, op_timer_fn fn) {
  harness *h = task;
  if (h->ntimers == 64) return SPATE_ENOMEM;
  h->timers[h->ntimers].due = due;
  h->timers[h->ntimers].fn = fn;
  h->ntimers++;
  return 0;
}

/* Instantiates subtask `subtask` of the operator of `under_test` (of the parallelism the graph
 * gives it) and opens it. With nold > 0 the operator starts from a checkpoint: old[0..nold)
 * are the encoded snapshots of the operator's old subtasks (harness_snapshot, in subtask
 * order, of any parallelism), snap_assign picks what this subtask gets, op->restored points to
 * it and the operator's restore runs after open, before any element, as the task does.
 * Returns 0 or a negative code with h->err set. */
static inline int harness_open_restored(harness *h, spate_env *env, spate_stream *under_test,
                                        int subtask, const snap_section *old, int nold) {
  memset(h, 0, sizeof *h);
  if (spate_env_error(env)) return SPATE_EINVAL;
  stream_graph *g = env->g;
  g->default_parallelism = env->parallelism > 0 ? env->parallelism : 1;
  g->chaining_enabled = true;
  int rc = jobgraph_build(g, &h->jg, h->err, sizeof h->err);
  if (rc < 0) return rc;
  h->dl = dlopen(NULL, RTLD_NOW);
  rc = op_create(h->jg, under_test->node, subtask, harness_vtable_for, h->dl, NULL, h->err,
                 sizeof h->err, &h->cancel, &h->op);
  if (rc < 0) return rc;
  h->capture = calloc(1, sizeof *h->capture);
  h->capture->vt = &harness_capture_vt;
  h->capture->impl = h;
  h->capture->node = h->op->node;
  h->capture->out.records_out = &h->capture->records_out;
  h->op->out.chained = sp_malloc(sizeof *h->op->out.chained); /* freed by op_free */
  h->op->out.chained_input = sp_malloc(sizeof *h->op->out.chained_input);
  h->op->out.chained[0] = h->capture;
  h->op->out.chained_input[0] = 0;
  h->op->out.nchained = 1;
  h->op->schedule = harness_schedule;
  h->op->task = h;
  h->clock = sp_clock_manual(HARNESS_T0);
  h->op->ctx.clock = h->clock;
  if (nold > 0) {
    rc = snap_assign(old, nold, h->op->node->max_parallelism, h->op->ctx.parallelism, subtask,
                     &h->restored, h->err, sizeof h->err);
    if (rc < 0) return rc;
    h->has_restored = true;
    h->op->restored = &h->restored;
  }
  if ((rc = op_open(h->op)) < 0) return rc;
  if (h->op->restored && h->op->vt->restore) rc = h->op->vt->restore(h->op, h->op->restored);
  return rc;
}

/* Instantiates the operator of `under_test` (subtask 0 of its parallelism) and opens it. */
static inline int harness_open(harness *h, spate_env *env, spate_stream *under_test) {
  return harness_open_restored(h, env, under_test, 0, NULL, 0);
}

/* Takes the operator's snapshot for checkpoint `id` as a task does (its vtable's snapshot into
 * a snap_writer over the subtask's key-group range) and appends the encoding (snap_encode) to
 * out. An operator without snapshot gives an empty snapshot. */
static inline int harness_snapshot(harness *h, int64_t id, sp_writer *out) {
  op_t *op = h->op;
  snap_writer w;
  int rc = snap_writer_init(
      &w, op->node->max_parallelism,
      ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask));
  if (rc == 0 && op->vt->snapshot) rc = op->vt->snapshot(op, id, &w);
  if (rc == 0) rc = snap_encode(&w, out);
  snap_writer_free(&w);
  return rc;
}

static inline int harness_element(harness *h, int input, int64_t ts, const spate_row *row) {
  return op_process(h->op, input, ts, row);
}
static inline int harness_watermark(harness *h, int64_t wm) { return op_watermark(h->op, 0, wm); }

/* Moves processing time to `now` and fires the scheduled callbacks due at it (as the task would
 * on a manual clock). */
static inline int harness_processing_time(harness *h, int64_t now) {
  sp_clock_set(h->clock, now);
  for (int i = 0; i < h->ntimers;) {
    if (h->timers[i].due > now) {
      i++;
      continue;
    }
    op_timer_fn fn = h->timers[i].fn;
    h->timers[i] = h->timers[--h->ntimers];
    int rc = fn(h->op, now);
    if (rc < 0) return rc;
  }
  return 0;
}

/* A row (BIGINT, BIGINT), built into b (valid until b's next row). */
static inline spate_row harness_row2(spate_row_builder *b, int64_t f0, int64_t f1) {
  spate_row r;
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 0, f0);
  spate_rb_set_bigint(b, 1, f1);
  spate_rb_finish(b, &r);
  return r;
}

/* Asserts event i: its type and timestamp and, for records, fields 0 and 1 (f1 INT64_MIN: not
 * checked). */
static inline void harness_expect2(const harness *h, size_t i, int type, int64_t ts, int64_t f0,
                                   int64_t f1) {
  if (i >= h->nevents) fail_msg("event %zu missing: only %zu events", i, h->nevents);
  const harness_event *e = &h->events[i];
  assert_int_equal(e->type, type);
  assert_int_equal(e->ts, ts);
  if (type == HARNESS_RECORD) {
    assert_int_equal(spate_row_bigint(&e->row, 0), f0);
    if (f1 != INT64_MIN) assert_int_equal(spate_row_bigint(&e->row, 1), f1);
  }
}
#define HARNESS_REC(i, ts, k, v) harness_expect2(&h, i, HARNESS_RECORD, ts, k, v)
#define HARNESS_WM(i, ts) harness_expect2(&h, i, HARNESS_WATERMARK, ts, 0, 0)

/* UDFs shared by the window tests (external linkage: found by name; each test program is one
 * translation unit). On rows (k BIGINT, v BIGINT): */
/* reduce: (k, v1 + v2) */
int harness_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out);
int harness_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  return 0;
}

/* window function: (k, 1000 * number of elements + sum of v) */
int harness_apply(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *el,
                  spate_collector *out);
int harness_apply(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *el,
                  spate_collector *out) {
  spate_row r;
  int64_t n = 0, sum = 0, k = 0;
  while (spate_window_next(el, &r)) {
    k = spate_row_bigint(&r, 0);
    n++;
    sum += spate_row_bigint(&r, 1);
  }
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, k);
  spate_rb_set_bigint(b, 1, 1000 * n + sum);
  return spate_collect_emit(out);
}

/* delta: |v1 - v2| */
double harness_delta(spate_ctx *ctx, const spate_row *a, const spate_row *b);
double harness_delta(spate_ctx *ctx, const spate_row *a, const spate_row *b) {
  int64_t d = spate_row_bigint(a, 1) - spate_row_bigint(b, 1);
  return (double)(d < 0 ? -d : d);
}

static inline void harness_close(harness *h) {
  if (h->op) op_free(h->op);
  if (h->has_restored) snap_restore_free(&h->restored);
  free(h->capture);
  for (size_t i = 0; i < h->nevents; i++)
    if (h->events[i].row.data) spate_row_free(&h->events[i].row);
  free(h->events);
  if (h->jg) jobgraph_free(h->jg);
  if (h->dl) dlclose(h->dl);
  sp_clock_free(h->clock);
}
#endif
