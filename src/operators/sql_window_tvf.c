/*
 * sql_window_tvf.c: OP_SQL_WINDOW_TVF, a window table function read on its own (`SELECT * FROM
 * TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' MINUTES))`), as Flink's
 * AlignedWindowTableFunctionOperator: each row is emitted once per window holding its time, with
 * window_start, window_end and window_time (= window_end - 1 ms) appended; insert-only, no state.
 *
 * The windows of a row at time t (its time field for event time, the task's processing time
 * otherwise) are OP_SQL_WINDOW_AGG's (sql_window_agg.c), in the order of Flink's group window
 * assigners: TUMBLE's one window; HOP's size / slide windows, the newest (latest start) first;
 * CUMULATE's windows of the max-size window holding t, from the first that ends after t. As in
 * Flink, nothing is late here (the operator emits per record, whatever the watermark), and a row
 * whose time attribute is NULL is dropped. Records keep their timestamp; watermarks pass through.
 */
#include <stdio.h>

#include "base/alloc.h"
#include "graph/op_params.h"
#include "operators/registry.h"
#include "operators/window_operator.h"

typedef struct window_tvf {
  op_sql_window_tvf_params p;
  int nin; /* input fields; the output's window_start is field nin */
} window_tvf;

static bool is_time3(const schema_field *f) {
  return (f->type == SPATE_TIMESTAMP || f->type == SPATE_TIMESTAMP_LTZ) && f->precision == 3;
}

static int check(op_t *op, const window_tvf *w, char *err, size_t len) {
  const op_sql_window_tvf_params *p = &w->p;
  const spate_schema *in = op->in_schema, *out = op->node->out_schema;
  if (!in || !out || out->nfields != in->nfields + 3)
    return snprintf(err, len,
                    "a window table function outputs its input's fields and three "
                    "window fields"),
           SPATE_EINVAL;
  for (int i = 0; i < 3; i++)
    if (!is_time3(&out->fields[in->nfields + i]))
      return snprintf(err, len, "the window column '%s' must be TIMESTAMP(3) or TIMESTAMP_LTZ(3)",
                      out->fields[in->nfields + i].name),
             SPATE_EINVAL;
  if (p->time_field < -1 || p->time_field >= in->nfields ||
      (p->time_field >= 0 && !is_time3(&in->fields[p->time_field])))
    return snprintf(err, len, "time_field %d is not a TIMESTAMP(3) field of the input",
                    p->time_field),
           SPATE_EINVAL;
  bool ok = p->size > 0 && p->offset > -p->size && p->offset < p->size;
  if (p->window == SQL_WINDOW_HOP)
    ok &= p->slide > 0 && p->size % p->slide == 0;
  else if (p->window == SQL_WINDOW_CUMULATE)
    ok &= p->step > 0 && p->size % p->step == 0;
  else if (p->window != SQL_WINDOW_TUMBLE)
    ok = false;
  if (!ok)
    return snprintf(err, len, "bad window: kind %u, size %lld, slide %lld, step %lld, offset %lld",
                    p->window, (long long)p->size, (long long)p->slide, (long long)p->step,
                    (long long)p->offset),
           SPATE_EINVAL;
  return 0;
}

static int emit(op_t *op, const window_tvf *w, int64_t ts, const spate_row *row, int64_t start,
                int64_t end) {
  spate_row_builder *rb = &op->rb;
  spate_rb_begin(rb);
  for (int i = 0; i < w->nin; i++) spate_rb_set_field(rb, i, row, i);
  spate_rb_set_timestamp(rb, w->nin, start);
  spate_rb_set_timestamp(rb, w->nin + 1, end);
  spate_rb_set_timestamp(rb, w->nin + 2, end - 1);
  return op_emit_built(op, ts, "window table function");
}

static int tvf_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  (void)input;
  const window_tvf *w = op->impl;
  const op_sql_window_tvf_params *p = &w->p;
  int64_t t;
  if (p->time_field >= 0) {
    if (spate_row_is_null(row, p->time_field)) return 0; /* numNullRowTimeRecordsDropped */
    t = spate_row_timestamp(row, p->time_field);
  } else {
    t = op_now(op);
  }
  win_sql_slice sl;
  if (!win_sql_slice_of(p->window, p->size, p->slide, p->step, p->offset, t, &sl))
    return op_fail(op, SPATE_EINVAL, "time %lld is outside the range of windows", (long long)t);
  int rc = 0;
  if (p->window == SQL_WINDOW_TUMBLE) {
    rc = emit(op, w, ts, row, sl.start, sl.start + p->size);
  } else if (p->window == SQL_WINDOW_HOP) {
    for (int64_t st = sl.first; rc >= 0 && st > t - p->size; st -= p->slide)
      rc = emit(op, w, ts, row, st, st + p->size);
  } else {
    for (int64_t e = sl.end; rc >= 0 && e <= sl.start + p->size; e += p->step)
      rc = emit(op, w, ts, row, sl.start, e);
  }
  return rc < 0 ? rc : 0;
}

static int tvf_open(op_t *op) {
  window_tvf *w = sp_calloc(1, sizeof *w);
  if (!w) return op_fail(op, SPATE_ENOMEM, "out of memory");
  op->impl = w;
  char err[SP_ERRMSG_MAX];
  int rc = op_sql_window_tvf_params_load(op->node, &w->p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  if ((rc = check(op, w, err, sizeof err)) < 0) return op_fail(op, rc, "%s", err);
  w->nin = op->in_schema->nfields;
  return 0;
}

static void tvf_close(op_t *op) {
  window_tvf *w = op->impl;
  if (!w) return;
  op_sql_window_tvf_params_free(&w->p);
  sp_free(w);
  op->impl = NULL;
}

const op_vtable op_sql_window_tvf_vt = {
    .open = tvf_open, .process = tvf_process, .close = tvf_close};
