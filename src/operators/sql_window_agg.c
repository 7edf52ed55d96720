/*
 * sql_window_agg.c: OP_SQL_WINDOW_AGG, the aggregation over SQL's window table functions
 * (TUMBLE, HOP, CUMULATE, SESSION; GROUP BY window_start, window_end, k), as Flink's window
 * aggregate operators compute it: an append-only result, one row per key and window, emitted
 * once when the window closes, with no allowed lateness.
 *
 * Windows of a record at time t (its time field for event time, the task's processing time
 * otherwise), offsets shifting the windows' alignment as Flink's (TimeWindow's window start,
 * window_assigners.c):
 *  - TUMBLE: [s, s + size) with s the start of t's window of `size`;
 *  - HOP: the size / slide windows [s - k * slide, s - k * slide + size) holding t, s the start
 *    of t's window of `slide` (Flink requires size to be a multiple of slide);
 *  - CUMULATE: [s, s + step), [s, s + 2 step), ..., [s, s + size) from the first that ends after
 *    t, s the start of t's window of `size` (size a multiple of step);
 *  - SESSION: [t, t + gap), merged with the key's sessions it touches (merging_window_set.h).
 * A record is late, and dropped (numLateRecordsDropped), when the slice it falls into already
 * fired: Flink's slicing operators check the end of the record's slice (the window for TUMBLE,
 * the slide's or step's window for HOP and CUMULATE) against the watermark, end - 1 <= watermark;
 * a session's against its merged window. Processing time has no late records.
 *
 * Each window's accumulator (sql_aggregates.h) lives in keyed state under the window as the
 * namespace (16 bytes, win_namespace); a timer at end - 1 (the window's namespace; a session's
 * state window is found through the key's session set) fires it: the watermark reaching it
 * (event time) or the processing time passing it emits the row, stamped end - 1 (window_time,
 * Flink's rowtime of the result), then clears the window's state. Output: the group fields (the
 * key row's: the planner keys the node on the group fields, or on one constant field for a
 * global aggregation with no group fields), window_start, window_end, window_time as the
 * params ask, the results.
 *
 * Checkpoints hold the keyed state and the timers (keyed_snapshot.h); the watermark starts over
 * after a restore, as in Flink.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "graph/op_params.h"
#include "operators/keyed_snapshot.h"
#include "operators/merging_window_set.h"
#include "operators/process_operator.h"
#include "operators/registry.h"
#include "operators/sql_aggregates.h"
#include "operators/window_operator.h"

typedef struct window_agg {
  op_t *op;
  ks_backend *backend;
  timer_queue *timers; /* in the operator's time domain */
  sqlagg agg;
  sqlagg_key key;
  merging_window_set sessions; /* SESSION */
  op_sql_window_agg_params p;
  sql_window_kind kind;
  bool event_time;
  int ngroup;
  int pos_start, pos_end, pos_time; /* output positions, -1: not emitted */
  int first_agg;
  int64_t proc_scheduled;  /* the task timer set (INT64_MAX: none) */
  spate_time_window *wins; /* the windows of one record */
  int nwins_cap;
} window_agg;

static int state_failed(window_agg *w, int rc) {
  return op_fail(w->op, rc, "window state: %s", ks_error(w->backend));
}

/* ---- parameters ----------------------------------------------------------------------------- */

static bool is_time3(const schema_field *f) {
  return (f->type == SPATE_TIMESTAMP || f->type == SPATE_TIMESTAMP_LTZ) && f->precision == 3;
}

/* Checks the params against the node's key, input and output, and sets the output positions. */
static int check_params(op_t *op, window_agg *w, char *err, size_t err_len) {
  const op_sql_window_agg_params *p = &w->p;
  const spate_schema *in = op->in_schema, *out = op->node->out_schema;
  const key_spec *key = &op->node->key;
  if (p->input_updating) {
    snprintf(err, err_len,
             "a window aggregation needs an append-only input, and its input is updating");
    return SPATE_EINVAL;
  }
  bool sized = p->window != SQL_WINDOW_SESSION;
  if (p->window < SQL_WINDOW_TUMBLE || p->window > SQL_WINDOW_SESSION) {
    snprintf(err, err_len, "unknown window kind %d", p->window);
    return SPATE_EINVAL;
  }
  if ((sized && p->size <= 0) || (p->window == SQL_WINDOW_SESSION && p->gap <= 0)) {
    snprintf(err, err_len, "the window %s must be positive", sized ? "size" : "gap");
    return SPATE_EINVAL;
  }
  if (p->window == SQL_WINDOW_HOP && (p->slide <= 0 || p->size % p->slide != 0)) {
    snprintf(err, err_len,
             "HOP: the size (%lld ms) must be a positive multiple of the slide (%lld ms)",
             (long long)p->size, (long long)p->slide);
    return SPATE_EINVAL;
  }
  if (p->window == SQL_WINDOW_CUMULATE && (p->step <= 0 || p->size % p->step != 0)) {
    snprintf(err, err_len,
             "CUMULATE: the max size (%lld ms) must be a positive multiple of the step (%lld ms)",
             (long long)p->size, (long long)p->step);
    return SPATE_EINVAL;
  }
  if (p->time_field < -1 || p->time_field >= in->nfields ||
      (p->time_field >= 0 && !is_time3(&in->fields[p->time_field]))) {
    snprintf(err, err_len,
             "the time attribute must be a TIMESTAMP(3) or TIMESTAMP_LTZ(3) field of the input "
             "(or -1: processing time)");
    return SPATE_EINVAL;
  }
  w->ngroup = (int)p->group_fields.n;
  if (w->ngroup != 0 && w->ngroup != key->nfields) {
    snprintf(err, err_len, "the group fields must be the node's key fields");
    return SPATE_EINVAL;
  }
  for (int i = 0; i < w->ngroup; i++)
    if (p->group_fields.v[i] != key->fields[i]) {
      snprintf(err, err_len, "group field %d is not key field %d", i, i);
      return SPATE_EINVAL;
    }
  int pos = w->ngroup;
  w->pos_start = p->emit_start ? pos++ : -1;
  w->pos_end = p->emit_end ? pos++ : -1;
  w->pos_time = p->emit_time ? pos++ : -1;
  w->first_agg = pos;
  if (!out || out->nfields != pos + (int)p->agg_kinds.n) {
    snprintf(err, err_len,
             "the output must be the %d group fields, %d window columns and %u aggregate results",
             w->ngroup, pos - w->ngroup, p->agg_kinds.n);
    return SPATE_EINVAL;
  }
  for (int i = 0; i < w->ngroup; i++)
    if (!schema_type_equal(&in->fields[key->fields[i]], &out->fields[i])) {
      snprintf(err, err_len, "group field %d: the output field '%s' is not of the input's type", i,
               out->fields[i].name);
      return SPATE_EINVAL;
    }
  for (int i = w->ngroup; i < w->first_agg; i++)
    if (!is_time3(&out->fields[i])) {
      snprintf(err, err_len, "the window column '%s' must be TIMESTAMP(3) or TIMESTAMP_LTZ(3)",
               out->fields[i].name);
      return SPATE_EINVAL;
    }
  return 0;
}

/* ---- timers and firing ---------------------------------------------------------------------- */

static int on_proc_tick(op_t *op, int64_t now);

/* Makes sure a task timer is set for the earliest processing-time timer. */
static int schedule_proc(window_agg *w) {
  int64_t next;
  if (w->event_time || !tq_peek(w->timers, &next) || next >= w->proc_scheduled) return 0;
  w->proc_scheduled = next;
  return op_schedule(w->op, next, on_proc_tick);
}

/* Registers the timer of window x of the current key: its end - 1. */
static int register_timer(window_agg *w, spate_time_window x) {
  uint8_t ns[16];
  win_namespace(&x, ns);
  int rc =
      tq_register(w->timers, w->key.key_group, x.end - 1, w->key.key.data, w->key.key.len, ns, 16);
  if (rc < 0) return op_fail(w->op, rc, "cannot register a window timer: %s", spate_strerror(rc));
  return schedule_proc(w);
}

static int delete_timer(window_agg *w, spate_time_window x) {
  uint8_t ns[16];
  win_namespace(&x, ns);
  int rc =
      tq_delete(w->timers, w->key.key_group, x.end - 1, w->key.key.data, w->key.key.len, ns, 16);
  return rc < 0 ? op_fail(w->op, rc, "cannot delete a window timer: %s", spate_strerror(rc)) : 0;
}

/* Emits window x's result from the accumulator loaded for the current key. */
static int emit_window(window_agg *w, const spate_row *key, spate_time_window x) {
  op_t *op = w->op;
  spate_row_builder *rb = &op->rb;
  spate_rb_begin(rb);
  for (int i = 0; i < w->ngroup; i++) spate_rb_set_field(rb, i, key, i);
  if (w->pos_start >= 0) spate_rb_set_timestamp(rb, w->pos_start, x.start);
  if (w->pos_end >= 0) spate_rb_set_timestamp(rb, w->pos_end, x.end);
  if (w->pos_time >= 0) spate_rb_set_timestamp(rb, w->pos_time, x.end - 1);
  sqlagg_result(&w->agg, rb, w->first_agg);
  spate_row out;
  if (spate_rb_finish(rb, &out) < 0)
    return op_fail(op, SPATE_EINVAL, "window aggregate result: %s", spate_rb_error(rb));
  return output_emit(&op->out, x.end - 1, &out);
}

/* A timer: the window (its namespace) of the timer's key fires, then its state goes. */
static int on_timer(void *arg, const tq_timer_view *t) {
  window_agg *w = arg;
  if (t->ns_len != 16) return op_fail(w->op, SPATE_ECORRUPT, "a window timer without its window");
  spate_time_window x = win_of_namespace(t->ns), state = x;
  int rc = ks_set_current_key(w->backend, t->key, t->key_len, t->key_group);
  if (rc < 0) return state_failed(w, rc);
  w->key.key_group = t->key_group;
  w->key.key = (spate_row){t->key, t->key_len, (uint32_t)w->op->node->key.key_schema->nfields};
  if (w->kind == SQL_WINDOW_SESSION) {
    if ((rc = mws_load(&w->sessions, t->key_group)) < 0)
      return op_fail(w->op, rc, "window state: %s", mws_error(&w->sessions));
    if (!mws_state_window(&w->sessions, x, &state)) return 0; /* merged away */
    mws_remove(&w->sessions, x);
    if ((rc = mws_store(&w->sessions)) < 0)
      return op_fail(w->op, rc, "window state: %s", mws_error(&w->sessions));
  }
  uint8_t ns[16];
  win_namespace(&state, ns);
  if ((rc = ks_set_namespace(w->backend, ns, 16)) < 0) return state_failed(w, rc);
  if ((rc = sqlagg_load(&w->agg)) < 0) return state_failed(w, rc);
  if (rc == 0) return 0; /* nothing accumulated (cannot happen: a timer comes with a row) */
  if ((rc = emit_window(w, &w->key.key, x)) < 0) return rc;
  if ((rc = sqlagg_clear(&w->agg)) < 0) return state_failed(w, rc);
  return 0;
}

static int wa_watermark(op_t *op, int input, int64_t wm) {
  (void)input;
  window_agg *w = op->impl;
  if (w->event_time) {
    int rc = tq_advance(w->timers, wm, on_timer, w, NULL);
    if (rc != 0) return rc < 0 ? rc : SPATE_EINVAL;
  }
  return op_forward_watermark(op, wm);
}

static int on_proc_tick(op_t *op, int64_t now) {
  window_agg *w = op->impl;
  if (now >= w->proc_scheduled) w->proc_scheduled = INT64_MAX; /* this is the one set */
  int rc = tq_advance(w->timers, now, on_timer, w, NULL);
  if (rc != 0) return rc < 0 ? rc : SPATE_EINVAL;
  return schedule_proc(w);
}

/* ---- records -------------------------------------------------------------------------------- */

static bool fired(const window_agg *w, int64_t end) {
  return w->event_time && end - 1 <= w->op->ctx.watermark;
}

/* Accumulates row into window x's accumulator (under namespace `state`) of the current key.
 * Returns 1 when the accumulator was created by this row, 0 when it existed, or a negative
 * code. */
static int accumulate(window_agg *w, spate_time_window state, const spate_row *row) {
  uint8_t ns[16];
  win_namespace(&state, ns);
  int rc = ks_set_namespace(w->backend, ns, 16);
  int loaded = 0;
  if (rc == 0) rc = loaded = sqlagg_load(&w->agg);
  if (rc >= 0) rc = sqlagg_apply(&w->agg, row, true);
  if (rc == 0) rc = sqlagg_store(&w->agg);
  return rc < 0 ? state_failed(w, rc) : !loaded;
}

/* The windows of t (TUMBLE, HOP, CUMULATE) into w->wins; their number, 0 when t is late, or a
 * negative code. */
static int assign(window_agg *w, int64_t t) {
  const op_sql_window_agg_params *p = &w->p;
  win_sql_slice sl;
  if (!win_sql_slice_of(p->window, p->size, p->slide, p->step, p->offset, t, &sl))
    return op_fail(w->op, SPATE_EINVAL, "time %lld is outside the range of windows", (long long)t);
  if (fired(w, sl.end)) return 0;
  int need = (int)(p->size / sl.len);
  if (need > w->nwins_cap) {
    spate_time_window *v = sp_realloc(w->wins, (size_t)need * sizeof *v);
    if (!v) return op_fail(w->op, SPATE_ENOMEM, "out of memory");
    w->wins = v;
    w->nwins_cap = need;
  }
  int n = 0;
  if (p->window == SQL_WINDOW_TUMBLE) {
    w->wins[n++] = (spate_time_window){sl.start, sl.start + p->size};
  } else if (p->window == SQL_WINDOW_HOP) { /* the newest window first, as Flink assigns them */
    for (int64_t st = sl.first; n < need && st > t - p->size; st -= p->slide)
      w->wins[n++] = (spate_time_window){st, st + p->size};
  } else {
    for (int64_t e = sl.end; n < need && e <= sl.start + p->size; e += p->step)
      w->wins[n++] = (spate_time_window){sl.start, e};
  }
  return n;
}

/* The merge function of the key's sessions: folds the merged state windows' accumulators into
 * the kept one and moves the timers to the cover (registered when the row is added). */
static int merge_sessions(void *arg, spate_time_window cover, const spate_time_window *merged,
                          size_t n, spate_time_window state, const spate_time_window *merged_states,
                          size_t nstates) {
  (void)cover;
  window_agg *w = arg;
  uint8_t to[16], from[16];
  win_namespace(&state, to);
  int rc = ks_set_namespace(w->backend, to, 16);
  if (rc == 0) rc = sqlagg_load(&w->agg);
  if (rc < 0) return state_failed(w, rc);
  for (size_t i = 0; i < nstates; i++) {
    win_namespace(&merged_states[i], from);
    if ((rc = sqlagg_merge_from(&w->agg, from, 16, to, 16, w->backend)) < 0 ||
        (rc = ks_set_namespace(w->backend, from, 16)) < 0 || (rc = sqlagg_clear(&w->agg)) < 0 ||
        (rc = ks_set_namespace(w->backend, to, 16)) < 0 || (rc = sqlagg_load(&w->agg)) < 0)
      return state_failed(w, rc);
  }
  for (size_t i = 0; i < n; i++)
    if ((rc = delete_timer(w, merged[i])) < 0) return rc;
  return 0;
}

static int session_element(window_agg *w, int64_t t, const spate_row *row) {
  if (t > INT64_MAX - w->p.gap)
    return op_fail(w->op, SPATE_EINVAL, "time %lld is outside the range of windows", (long long)t);
  int rc = mws_load(&w->sessions, w->key.key_group);
  if (rc < 0) return op_fail(w->op, rc, "window state: %s", mws_error(&w->sessions));
  spate_time_window actual, state;
  mws_outcome how;
  rc = mws_add(&w->sessions, (spate_time_window){t, t + w->p.gap}, merge_sessions, w, &actual,
               &state, &how);
  if (rc != 0) return rc < 0 ? op_fail(w->op, rc, "window state: %s", mws_error(&w->sessions)) : rc;
  /* only a new session can be late: every session in the set is still open */
  if (fired(w, actual.end)) {
    sw_inc(&w->op->late_records_dropped);
    return 0;
  }
  if ((rc = mws_store(&w->sessions)) < 0)
    return op_fail(w->op, rc, "window state: %s", mws_error(&w->sessions));
  if ((rc = accumulate(w, state, row)) < 0) return rc;
  return register_timer(w, actual);
}

static int wa_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  (void)input, (void)ts;
  window_agg *w = op->impl;
  int64_t t;
  if (w->event_time) {
    if (spate_row_is_null(row, w->p.time_field))
      return op_fail(op, SPATE_EINVAL,
                     "the time attribute is NULL: a window's rowtime must not be NULL");
    t = spate_row_timestamp(row, w->p.time_field);
  } else {
    t = op_now(op);
  }
  int rc = sqlagg_key_set(&w->key, op, w->backend, row);
  if (rc < 0) return rc;
  if (w->kind == SQL_WINDOW_SESSION) return session_element(w, t, row);
  int n = assign(w, t);
  if (n <= 0) {
    if (n == 0) sw_inc(&op->late_records_dropped);
    return n;
  }
  /* A TUMBLE, HOP or CUMULATE window's timer is registered with its accumulator, and both go
   * when it fires (on_timer): a window whose accumulator exists has its timer already, and the
   * timer set's de-duplicating lookup (a cache miss per row over many keys) is skipped. */
  for (int i = 0; i < n; i++) {
    if ((rc = accumulate(w, w->wins[i], row)) < 0) return rc;
    if (rc == 1 && (rc = register_timer(w, w->wins[i])) < 0) return rc;
  }
  return 0;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static int wa_open(op_t *op) {
  window_agg *w = sp_calloc(1, sizeof *w);
  if (!w) return op_fail(op, SPATE_ENOMEM, "out of memory");
  op->impl = w;
  w->op = op;
  w->proc_scheduled = INT64_MAX;
  char err[SP_ERRMSG_MAX] = "out of memory"; /* what sqlagg_init leaves on SPATE_ENOMEM */
  int rc = op_sql_window_agg_params_load(op->node, &w->p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  if ((rc = check_params(op, w, err, sizeof err)) < 0 ||
      (rc = sqlagg_init(&w->agg, &w->p.agg_kinds, &w->p.agg_args, &w->p.agg_distinct,
                        &w->p.agg_filters, op->in_schema, op->node->out_schema, w->first_agg, false,
                        err, sizeof err)) < 0)
    return op_fail(op, rc, "%s", err);
  w->kind = (sql_window_kind)w->p.window;
  w->event_time = w->p.time_field >= 0;
  ks_key_group_range range =
      ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
  if ((rc = sqlagg_key_init(&w->key, op, range)) < 0) return rc;
  if ((rc = ks_backend_new(op->node->max_parallelism, range, NULL, NULL, &w->backend)) < 0 ||
      (rc = tq_new(op->node->max_parallelism, range, &w->timers)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", spate_strerror(rc));
  if ((rc = sqlagg_register(&w->agg, w->backend, NULL)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", ks_error(w->backend));
  if (w->kind == SQL_WINDOW_SESSION && (rc = mws_open(&w->sessions, w->backend, "sessions")) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", mws_error(&w->sessions));
  return 0;
}

static void wa_close(op_t *op) {
  window_agg *w = op->impl;
  if (!w) return;
  mws_close(&w->sessions);
  if (w->timers) tq_free(w->timers);
  if (w->backend) ks_backend_free(w->backend);
  sqlagg_free(&w->agg);
  sqlagg_key_free(&w->key);
  op_sql_window_agg_params_free(&w->p);
  sp_free(w->wins);
  sp_free(w);
  op->impl = NULL;
}

static int wa_snapshot(op_t *op, int64_t id, snap_writer *sw) {
  window_agg *w = op->impl;
  return keyed_snapshot_take(op, id, w->backend, &w->timers, 1, sw);
}

/* A restored timer's namespace: a window, the timer at its end - 1. */
static bool window_timer(const tq_timer_view *t) {
  spate_time_window x = t->ns_len == 16 ? win_of_namespace(t->ns) : (spate_time_window){0, 0};
  return t->ns_len == 16 && x.start < x.end && t->timestamp == x.end - 1;
}

/* The restored timers of processing time due while the job was down fire at the first tick. */
static int wa_restore(op_t *op, const snap_restore *r) {
  window_agg *w = op->impl;
  int rc = keyed_snapshot_restore(op, w->backend, &w->timers, 1, r);
  if (rc == 0)
    rc = sqlagg_check_timers(op, &w->key, w->timers, r, window_timer,
                             "a timer that is not at the end of a window");
  return rc < 0 ? rc : schedule_proc(w);
}

const op_vtable op_sql_window_agg_vt = {.open = wa_open,
                                        .process = wa_process,
                                        .watermark = wa_watermark,
                                        .close = wa_close,
                                        .snapshot = wa_snapshot,
                                        .restore = wa_restore};
