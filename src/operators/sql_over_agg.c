/*
 * sql_over_agg.c: OP_SQL_OVER_AGG, SQL's OVER aggregation (SUM(x) OVER (PARTITION BY ... ORDER
 * BY time ROWS|RANGE BETWEEN ... PRECEDING AND CURRENT ROW)): each input row comes out once
 * with the aggregates over its frame appended, as Flink's over-aggregate functions compute them.
 *
 * Frames (per partition key, rows in time order, ties in arrival order):
 *  - unbounded (UNBOUNDED PRECEDING): every row so far. ROWS: each row's result includes the
 *    rows before it; RANGE: the rows of one timestamp share the result that includes all of
 *    them;
 *  - ROWS n PRECEDING: the row and the n rows before it;
 *  - RANGE r PRECEDING: the rows whose time is in [t - r, t], t the row's; the rows of one
 *    timestamp share the result.
 * Event time (Flink's RowTime*PrecedingFunction): a row waits, per key and timestamp, for the
 * watermark to pass its time (a timer at it), then the rows of that timestamp are processed in
 * arrival order. A late row is dropped (counted in numLateRecordsDropped): for an unbounded
 * frame one at or before the watermark, for a bounded one at or before the key's last processed
 * timestamp. Processing time (ProcTime*PrecedingFunction): ROWS frames and unbounded RANGE
 * frames take a row at once; a bounded RANGE frame collects the rows of each millisecond and
 * processes them when the clock passes it (a timer at the next millisecond).
 *
 * State per key: the accumulator (sql_aggregates.h, with retraction when the frame is bounded);
 * for a bounded frame, the rows in it (a list, oldest first, each with its time) and, on event
 * time, the last timestamp processed; the rows waiting (a list per timestamp, the timestamp the
 * namespace). Checkpointed per key group with the timers (keyed_snapshot.h). state_ttl_ms is
 * not applied yet: Flink clears an idle key's whole state with cleanup timers, which Spate does
 * not have for this operator, and an entry expiring alone would change results. Output rows: the input's data fields, then one
 * field per call, insert-only, with the row's time.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "graph/op_params.h"
#include "operators/keyed_snapshot.h"
#include "operators/registry.h"
#include "operators/row_copies.h"
#include "operators/sql_aggregates.h"
#include "state/timer_queue.h"
#include "types/row_kind.h"

typedef struct over_agg {
  op_sql_over_agg_params p;
  op_t *op;
  ks_backend *backend;
  sqlagg agg;
  sqlagg_key key;
  ks_state *pending; /* LIST per timestamp namespace: rows waiting */
  ks_state *frame;   /* LIST: a bounded frame's rows with their time */
  ks_state *last;    /* VALUE: event time, bounded: the last timestamp processed */
  spate_schema *data_schema, *frame_schema, *last_schema;
  spate_row_builder data_rb, frame_rb, last_rb;
  int *identity;
  int ndata;
  bool event_time, bounded, batch; /* batch: rows wait for their timestamp's timer */
  timer_queue *timers;
  int64_t proc_scheduled;
  /* copies of the rows being processed (state views end with a write) */
  row_copies c;
} over_agg;

static int64_t ttl_clock(void *arg) { return op_now(arg); }

static int state_failed(over_agg *x, int rc) {
  return op_fail(x->op, rc, "%s", ks_error(x->backend));
}

static int check_params(op_t *op, over_agg *x, char *err, size_t err_len) {
  const op_sql_over_agg_params *p = &x->p;
  const spate_schema *in = op->in_schema, *out = op->node->out_schema;
  x->ndata = in->nfields - (p->singleton ? 1 : 0);
  if (x->ndata < 1) return snprintf(err, err_len, "the input has no data fields"), SPATE_EINVAL;
  if (strcmp(in->fields[in->nfields - 1].name, ROW_KIND_FIELD_NAME) == 0)
    return snprintf(err, err_len, "the input must be insert-only"), SPATE_EINVAL;
  if (p->time_field >= x->ndata ||
      (p->time_field >= 0 && in->fields[p->time_field].type != SPATE_TIMESTAMP &&
       in->fields[p->time_field].type != SPATE_TIMESTAMP_LTZ))
    return snprintf(err, err_len, "the time field %d is not a timestamp", p->time_field),
           SPATE_EINVAL;
  if (p->preceding < -1)
    return snprintf(err, err_len, "preceding %lld is negative", (long long)p->preceding),
           SPATE_EINVAL;
  if (p->state_ttl_ms < 0)
    return snprintf(err, err_len, "negative state TTL %lld ms", (long long)p->state_ttl_ms),
           SPATE_EINVAL;
  if (!out || out->nfields != x->ndata + (int)p->agg_kinds.n)
    return snprintf(err, err_len, "the output must be the %d data fields and %u results", x->ndata,
                    p->agg_kinds.n),
           SPATE_EINVAL;
  for (int i = 0; i < x->ndata; i++)
    if (!schema_type_equal(&in->fields[i], &out->fields[i]))
      return snprintf(err, err_len, "output field %d is not of the input's type", i), SPATE_EINVAL;
  for (uint32_t i = 0; i < p->agg_args.n; i++)
    if (p->agg_args.v[i] >= x->ndata)
      return snprintf(err, err_len, "aggregate call %u reads no data field", i), SPATE_EINVAL;
  return 0;
}

static int oa_open(op_t *op) {
  over_agg *x = sp_calloc(1, sizeof *x);
  if (!x) return op_fail(op, SPATE_ENOMEM, "out of memory");
  op->impl = x;
  x->op = op;
  x->proc_scheduled = INT64_MAX;
  char err[SP_ERRMSG_MAX] = "out of memory";
  int rc = op_sql_over_agg_params_load(op->node, &x->p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  if ((rc = check_params(op, x, err, sizeof err)) < 0)
    return op_fail(op, rc, "SQL over aggregation: %s", err);
  x->event_time = x->p.time_field >= 0;
  x->bounded = x->p.preceding >= 0;
  x->batch = x->event_time || (x->bounded && !x->p.rows);
  if ((rc = sqlagg_init(&x->agg, &x->p.agg_kinds, &x->p.agg_args, &x->p.agg_distinct,
                        &x->p.agg_filters, op->in_schema, op->node->out_schema, x->ndata,
                        x->bounded, err, sizeof err)) < 0)
    return op_fail(op, rc, "SQL over aggregation: %s", err);
  if (!(x->identity = sp_malloc(sizeof *x->identity * (size_t)(x->ndata + 1))))
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i <= x->ndata; i++) x->identity[i] = i;
  static const char *const tname[] = {"$time"};
  static const spate_type ttype[] = {SPATE_BIGINT};
  static const bool tnull[] = {false};
  if (!(x->data_schema = schema_select(op->in_schema, x->identity, x->ndata)) ||
      !(x->last_schema = schema_new(1, tname, ttype, tnull)) ||
      !(x->frame_schema = schema_concat(x->data_schema, x->last_schema)) ||
      rb_init(&x->data_rb, x->data_schema) < 0 || rb_init(&x->frame_rb, x->frame_schema) < 0 ||
      rb_init(&x->last_rb, x->last_schema) < 0)
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  ks_key_group_range range =
      ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
  if ((rc = sqlagg_key_init(&x->key, op, range)) < 0) return rc;
  if ((rc = ks_backend_new(op->node->max_parallelism, range, ttl_clock, op, &x->backend)) < 0 ||
      (rc = tq_new(op->node->max_parallelism, range, &x->timers)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", spate_strerror(rc));
  /* Flink's over functions clear a key's state with cleanup timers, never entry by entry (an
   * expired MIN/MAX count or waiting row would change results): Spate keeps it all for now */
  ks_ttl_config ttl = {.update = KS_TTL_DISABLED};
  ks_descriptor pending = {
      .name = "over-pending", .kind = KS_LIST, .value_schema = x->data_schema, .ttl = ttl};
  ks_descriptor frame = {
      .name = "over-frame", .kind = KS_LIST, .value_schema = x->frame_schema, .ttl = ttl};
  ks_descriptor last = {
      .name = "over-last", .kind = KS_VALUE, .value_schema = x->last_schema, .ttl = ttl};
  if ((rc = sqlagg_register(&x->agg, x->backend, &ttl)) < 0 ||
      (rc = ks_register(x->backend, &pending, &x->pending)) < 0 ||
      (rc = ks_register(x->backend, &frame, &x->frame)) < 0 ||
      (rc = ks_register(x->backend, &last, &x->last)) < 0)
    return state_failed(x, rc);
  return 0;
}

static void oa_close(op_t *op) {
  over_agg *x = op->impl;
  if (!x) return;
  if (x->backend) ks_backend_free(x->backend);
  if (x->timers) tq_free(x->timers);
  sqlagg_free(&x->agg);
  sqlagg_key_free(&x->key);
  if (x->data_rb.schema) rb_destroy(&x->data_rb);
  if (x->frame_rb.schema) rb_destroy(&x->frame_rb);
  if (x->last_rb.schema) rb_destroy(&x->last_rb);
  schema_unref(x->data_schema);
  schema_unref(x->frame_schema);
  schema_unref(x->last_schema);
  op_sql_over_agg_params_free(&x->p);
  sp_free(x->identity);
  rcopies_free(&x->c);
  sp_free(x);
  op->impl = NULL;
}

/* ---- the rows being processed ---------------------------------------------------------------
 * x->c (row_copies.h): copies of the key's frame (bounded frames), then of the rows being
 * processed, all as frame rows (the data fields, then $time); their views are set in
 * process_batch once all are copied. */

/* Appends a copy of frame row r. */
static int keep(over_agg *x, const spate_row *r) {
  return rcopies_add(&x->c, r) ? op_fail(x->op, SPATE_ENOMEM, "out of memory") : 0;
}

/* Appends data row d at time t as a frame row. */
static int keep_data(over_agg *x, const spate_row *d, int64_t t) {
  spate_row_builder *b = &x->frame_rb;
  spate_rb_begin(b);
  for (int i = 0; i < x->ndata; i++) spate_rb_set_field(b, i, d, i);
  spate_rb_set_bigint(b, x->ndata, t);
  spate_row r;
  if (spate_rb_finish(b, &r) < 0)
    return op_fail(x->op, SPATE_EINVAL, "SQL over aggregation: %s", spate_rb_error(b));
  return keep(x, &r);
}

/* Starts a batch: the key's frame copied first when the frame is bounded. */
static int begin_batch(over_agg *x) {
  rcopies_clear(&x->c);
  if (!x->bounded) return 0;
  int rc = ks_set_namespace(x->backend, NULL, 0);
  if (rc < 0) return state_failed(x, rc);
  ks_list_iter it;
  if ((rc = ks_list_get(x->frame, &it)) < 0) return state_failed(x, rc);
  spate_row r;
  while (ks_list_next(&it, &r))
    if ((rc = keep(x, &r)) < 0) return rc;
  return 0;
}

static int emit(over_agg *x, int64_t ts, const spate_row *row) {
  spate_row_builder *b = &x->op->rb;
  spate_rb_begin(b);
  for (int i = 0; i < x->ndata; i++) spate_rb_set_field(b, i, row, i);
  sqlagg_result(&x->agg, b, x->ndata);
  spate_row out;
  if (spate_rb_finish(b, &out) < 0)
    return op_fail(x->op, SPATE_EINVAL, "SQL over aggregation: %s", spate_rb_error(b));
  return output_emit(&x->op->out, ts, &out);
}

/* Processes the batch (x->c.v[frame..n): the current key's rows of time t, in arrival order)
 * after the key's frame (x->c.v[0..frame)): each is emitted with its frame's results, and the
 * accumulator and the frame are written back. */
static int process_batch(over_agg *x, int frame, int64_t t, int64_t out_ts) {
  rcopies_views(&x->c);
  int rc = ks_set_namespace(x->backend, NULL, 0);
  if (rc < 0 || (rc = sqlagg_load(&x->agg)) < 0) return state_failed(x, rc);
  bool range = !x->p.rows;
  int64_t n = x->p.preceding;
  int first = 0;           /* the oldest row still in the frame */
  if (x->bounded && range) /* rows before t - n leave the frame */
    for (; first < frame && spate_row_bigint(&x->c.v[first], x->ndata) < t - n; first++)
      if ((rc = sqlagg_apply(&x->agg, &x->c.v[first], false)) < 0) return state_failed(x, rc);
  for (int i = frame; i < x->c.n; i++) {
    for (; x->bounded && !range && i - first > n; first++) /* n rows before the current one */
      if ((rc = sqlagg_apply(&x->agg, &x->c.v[first], false)) < 0) return state_failed(x, rc);
    if ((rc = sqlagg_apply(&x->agg, &x->c.v[i], true)) < 0) return state_failed(x, rc);
    if (!range && (rc = emit(x, out_ts, &x->c.v[i])) < 0) return rc;
  }
  for (int i = frame; range && i < x->c.n; i++) /* the rows of one time share the result */
    if ((rc = emit(x, out_ts, &x->c.v[i])) < 0) return rc;
  if ((rc = sqlagg_store(&x->agg)) < 0) return state_failed(x, rc);
  if (x->bounded && (rc = ks_list_update(x->frame, x->c.v + first, (size_t)(x->c.n - first))) < 0)
    return state_failed(x, rc);
  return 0;
}

/* ---- timers --------------------------------------------------------------------------------- */

static int on_proc_tick(op_t *op, int64_t now);

static int schedule_proc(over_agg *x) {
  int64_t next;
  if (x->event_time || !tq_peek(x->timers, &next) || next >= x->proc_scheduled) return 0;
  x->proc_scheduled = next;
  return op_schedule(x->op, next, on_proc_tick);
}

/* The timer of the rows waiting under the current key at time t (processing time: fires at
 * t + 1, once the millisecond is over). */
static int register_timer(over_agg *x, int64_t t) {
  uint8_t ns[8];
  memcpy(ns, &t, 8);
  int rc = tq_register(x->timers, x->key.key_group, x->event_time ? t : t + 1, x->key.key.data,
                       x->key.key.len, ns, 8);
  if (rc < 0) return op_fail(x->op, rc, "cannot register a timer: %s", spate_strerror(rc));
  return schedule_proc(x);
}

/* A timer: the rows of its key and time are processed. */
static int on_timer(void *arg, const tq_timer_view *tv) {
  over_agg *x = arg;
  if (tv->ns_len != 8) return op_fail(x->op, SPATE_ECORRUPT, "an over timer without its time");
  int64_t t;
  memcpy(&t, tv->ns, 8);
  int rc = ks_set_current_key(x->backend, tv->key, tv->key_len, tv->key_group);
  if (rc < 0) return state_failed(x, rc);
  if ((rc = begin_batch(x)) < 0) return rc;
  int frame = x->c.n;
  if ((rc = ks_set_namespace(x->backend, tv->ns, 8)) < 0) return state_failed(x, rc);
  ks_list_iter it;
  if ((rc = ks_list_get(x->pending, &it)) < 0) return state_failed(x, rc);
  spate_row r;
  while (ks_list_next(&it, &r))
    if ((rc = keep_data(x, &r, t)) < 0) return rc;
  if ((rc = ks_clear(x->pending)) < 0) return state_failed(x, rc);
  if (x->c.n == frame) return 0; /* expired (state TTL) */
  if ((rc = process_batch(x, frame, t, x->event_time ? t : tv->timestamp)) < 0) return rc;
  if (x->event_time && x->bounded) { /* the last time processed: later rows before it are late */
    spate_rb_begin(&x->last_rb);
    spate_rb_set_bigint(&x->last_rb, 0, t);
    spate_row v;
    if (spate_rb_finish(&x->last_rb, &v) < 0 || (rc = ks_value_update(x->last, &v)) < 0)
      return state_failed(x, rc < 0 ? rc : SPATE_EINVAL);
  }
  return 0;
}

static int oa_watermark(op_t *op, int input, int64_t wm) {
  (void)input;
  over_agg *x = op->impl;
  if (x->event_time) {
    int rc = tq_advance(x->timers, wm, on_timer, x, NULL);
    if (rc != 0) return rc < 0 ? rc : SPATE_EINVAL;
  }
  return op_forward_watermark(op, wm);
}

static int on_proc_tick(op_t *op, int64_t now) {
  over_agg *x = op->impl;
  if (now >= x->proc_scheduled) x->proc_scheduled = INT64_MAX;
  int rc = tq_advance(x->timers, now, on_timer, x, NULL);
  if (rc != 0) return rc < 0 ? rc : SPATE_EINVAL;
  return schedule_proc(x);
}

/* ---- records -------------------------------------------------------------------------------- */

/* Whether a row of time t is late: at or before the watermark (unbounded frames) or the key's
 * last processed time (bounded ones), as Flink's functions decide. */
static int late(over_agg *x, int64_t t) {
  if (!x->bounded) return t <= x->op->ctx.watermark;
  spate_row v;
  int rc = ks_set_namespace(x->backend, NULL, 0);
  if (rc < 0 || (rc = ks_value_get(x->last, &v)) < 0) return state_failed(x, rc);
  return t <= (rc == 1 ? spate_row_bigint(&v, 0) : 0); /* Flink's lastTriggeringTs starts at 0 */
}

static int oa_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  (void)input;
  over_agg *x = op->impl;
  int rc = sqlagg_key_set(&x->key, op, x->backend, row);
  if (rc < 0) return rc;
  spate_row d;
  if (!row_project(row, x->identity, x->ndata, &x->data_rb, &d)) {
    spate_rb_begin(&x->data_rb);
    for (int i = 0; i < x->ndata; i++) spate_rb_set_field(&x->data_rb, i, row, i);
    if (spate_rb_finish(&x->data_rb, &d) < 0)
      return op_fail(op, SPATE_EINVAL, "SQL over aggregation: %s", spate_rb_error(&x->data_rb));
  }
  int64_t t;
  if (x->event_time) {
    if (spate_row_is_null(&d, x->p.time_field))
      return op_fail(op, SPATE_EINVAL, "SQL over aggregation: a row without its time");
    t = spate_row_timestamp(&d, x->p.time_field);
    if ((rc = late(x, t)) < 0) return rc;
    if (rc) {
      sw_inc(&op->late_records_dropped);
      return 0;
    }
  } else {
    t = op_now(op);
  }
  if (x->batch) { /* waits for its time's timer */
    uint8_t ns[8];
    memcpy(ns, &t, 8);
    if ((rc = ks_set_namespace(x->backend, ns, 8)) < 0) return state_failed(x, rc);
    ks_list_iter it;
    if ((rc = ks_list_get(x->pending, &it)) < 0) return state_failed(x, rc);
    bool first = rc == 0;
    if ((rc = ks_list_add(x->pending, &d)) < 0) return state_failed(x, rc);
    return first ? register_timer(x, t) : 0;
  }
  if ((rc = begin_batch(x)) < 0) return rc;
  int frame = x->c.n;
  if ((rc = keep_data(x, &d, t)) < 0) return rc;
  return process_batch(x, frame, t, ts);
}

static int oa_snapshot(op_t *op, int64_t id, snap_writer *sw) {
  over_agg *x = op->impl;
  return keyed_snapshot_take(op, id, x->backend, &x->timers, 1, sw);
}

/* A restored timer's namespace: the time of the rows it fires. */
static bool time_timer(const tq_timer_view *t) { return t->ns_len == 8; }

static int oa_restore(op_t *op, const snap_restore *r) {
  over_agg *x = op->impl;
  int rc = keyed_snapshot_restore(op, x->backend, &x->timers, 1, r);
  if (rc == 0)
    rc = sqlagg_check_timers(op, &x->key, x->timers, r, time_timer, "a timer without its time");
  return rc < 0 ? rc : schedule_proc(x);
}

const op_vtable op_sql_over_agg_vt = {.open = oa_open,
                                      .process = oa_process,
                                      .watermark = oa_watermark,
                                      .close = oa_close,
                                      .snapshot = oa_snapshot,
                                      .restore = oa_restore};
