/*
 * timestamps_operator.c: assigns event timestamps and generates watermarks, as Flink's
 * TimestampsAndWatermarksOperator with its built-in strategies:
 *
 *  - the timestamp of each record comes from a TIMESTAMP/BIGINT field or a user function; a
 *    record without one (NULL field) fails the job naming the operator;
 *  - BOUNDED (out-of-orderness B) emits, every pipeline.auto-watermark-interval of processing
 *    time, the watermark maxTimestamp - B - 1 when it advanced (Flink's
 *    BoundedOutOfOrdernessWatermarks); MONOTONOUS is BOUNDED with B = 0; NONE emits none;
 *  - CUSTOM calls the user's generator: after each record (per-event watermarks) and/or every
 *    interval (periodic);
 *  - with idleness, a subtask that saw no record for the idle timeout marks its output idle (so
 *    downstream valves stop waiting for it) and active again with its next record;
 *  - watermarks from upstream are dropped, except the final MAX watermark of end of input.
 */
#include "base/alloc.h"
#include "base/clock.h"
#include "graph/op_params.h"
#include "operators/registry.h"

typedef struct ts_op {
  uint8_t kind;                /* SPATE_WATERMARKS_* */
  spate_watermark_fn on_event; /* custom generators */
  spate_periodic_watermark_fn on_periodic;
  int64_t bound, idleness, interval;
  int field;
  spate_type field_type;
  int64_t max_ts;  /* highest timestamp seen */
  int64_t emitted; /* last watermark emitted */
  uint64_t seen;   /* records so far, to notice idleness without a clock read per record */
  uint64_t seen_at_tick;
  int64_t active_since; /* wall time of the last tick that saw records */
  bool idle;
} ts_op;

static int tick(op_t *op, int64_t now);
typedef struct ts_op ts_op;
static int emit(op_t *op, ts_op *s, int64_t wm);

static int ts_open(op_t *op) {
  ts_op *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  op_timestamps_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_timestamps_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  s->kind = p.watermarks;
  s->bound = p.bound;
  s->idleness = p.idleness;
  s->field = p.field;
  s->interval = p.interval;
  s->on_event = (spate_watermark_fn)op_resolve(op, p.on_event);
  s->on_periodic = (spate_periodic_watermark_fn)op_resolve(op, p.on_periodic);
  bool missing = (p.on_event && !s->on_event) || (p.on_periodic && !s->on_periodic);
  op_timestamps_params_free(&p);
  if (s->kind > SPATE_WATERMARKS_CUSTOM || s->bound < 0 || s->idleness < 0 ||
      s->field >= op->in_schema->nfields || (s->field < 0 && !op->udf))
    return op_fail(op, SPATE_ECORRUPT, "timestamp assigner parameters are corrupt");
  if (missing) return op_fail(op, SPATE_ENOENT, "watermark generator function not found");
  if (s->field >= 0) s->field_type = op->in_schema->fields[s->field].type;
  s->max_ts = INT64_MIN;
  s->emitted = INT64_MIN;
  int64_t now = op_now(op);
  s->active_since = now;
  bool periodic = (s->kind != SPATE_WATERMARKS_NONE || s->idleness > 0) && s->interval > 0;
  return periodic ? op_schedule(op, now + s->interval, tick) : 0;
}

static int ts_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  ts_op *s = op->impl;
  if (s->field >= 0) {
    if (spate_row_is_null(row, s->field))
      return op_fail(op, SPATE_EINVAL, "record has no timestamp: field %d '%s' is NULL", s->field,
                     op->in_schema->fields[s->field].name);
    ts =
        s->field_type == SPATE_INT ? spate_row_int(row, s->field) : spate_row_bigint(row, s->field);
  } else {
    int rc = ((spate_timestamp_fn)op->udf)(&op->ctx, row, &ts);
    if (rc < 0) return op_udf_failed(op, rc, "timestamp function");
  }
  if (ts > s->max_ts) s->max_ts = ts;
  s->seen++;
  if (s->idle) { /* data is back: active again before the record goes out */
    s->idle = false;
    int rc = op_forward_status(op, false);
    if (rc < 0) return rc;
  }
  int rc = output_emit(&op->out, ts, row);
  if (rc == 0 && s->on_event) { /* a per-event (punctuated) watermark follows its record */
    int64_t wm = s->on_event(&op->ctx, row, ts);
    if (op->ctx.has_error) return op_udf_failed(op, SPATE_EUDF, "watermark generator");
    if (wm > s->emitted) rc = emit(op, s, wm);
  }
  return rc;
}

static int emit(op_t *op, ts_op *s, int64_t wm) {
  s->emitted = wm;
  op->ctx.watermark = wm;
  return op_forward_watermark(op, wm);
}

/* The periodic watermark and idleness check. */
static int tick(op_t *op, int64_t now) {
  ts_op *s = op->impl;
  int64_t wm = INT64_MIN;
  if (s->kind == SPATE_WATERMARKS_CUSTOM) {
    if (s->on_periodic) {
      wm = s->on_periodic(&op->ctx);
      if (op->ctx.has_error) return op_udf_failed(op, SPATE_EUDF, "periodic watermark generator");
    }
  } else if (s->kind != SPATE_WATERMARKS_NONE && s->max_ts != INT64_MIN) {
    wm = s->max_ts < INT64_MIN + s->bound + 1 ? INT64_MIN : s->max_ts - s->bound - 1;
  }
  if (wm > s->emitted && !s->idle) { /* an idle output emits no watermarks (Flink) */
    int rc = emit(op, s, wm);
    if (rc < 0) return rc;
  }
  if (s->seen != s->seen_at_tick) {
    s->seen_at_tick = s->seen;
    s->active_since = now;
  } else if (s->idleness > 0 && !s->idle && now - s->active_since >= s->idleness) {
    s->idle = true;
    int rc = op_forward_status(op, true);
    if (rc < 0) return rc;
  }
  return op_schedule(op, now + s->interval, tick);
}

/* Upstream watermarks are replaced by this operator's own, except the end of input. */
static int ts_watermark(op_t *op, int input, int64_t wm) {
  ts_op *s = op->impl;
  op->ctx.watermark = s->emitted; /* the operator's event time is its own watermark */
  if (wm != INT64_MAX) return 0;
  if (s->idle) { /* a watermark goes out active, or downstream valves would ignore it */
    s->idle = false;
    int rc = op_forward_status(op, false);
    if (rc < 0) return rc;
  }
  return emit(op, s, wm);
}

static int ts_status(op_t *op, bool idle) { return 0; /* this operator decides its own */ }

static void ts_close(op_t *op) { sp_free(op->impl); }

const op_vtable op_timestamps_vt = {.open = ts_open,
                                    .process = ts_process,
                                    .watermark = ts_watermark,
                                    .status = ts_status,
                                    .close = ts_close};
