/*
 * window_triggers.c: the window operator's generic path (operators/window_operator.h): Flink's
 * triggers and evictors, global windows, and the public spate_trigger_* functions with which a
 * custom trigger's callbacks set and delete timers.
 *
 * Windows with a trigger other than the assigner's own, with an evictor, or global windows run
 * Flink's WindowOperator loop literally: an element is added to each of its windows, then the
 * trigger's onElement decides (CONTINUE, FIRE, FIRE_AND_PURGE); a timer of the window asks the
 * trigger's onEventTime / onProcessingTime, and at the cleanup time in the assigner's domain the
 * window's contents and trigger state go (Trigger.clear). Contents are per window (no panes): a
 * reducing state for reduce, a list for window functions, and with an evictor (Flink's
 * EvictingWindowOperator) a list of (timestamp, element) rows also for reduce, which then folds
 * what the evictor leaves when the window fires. Session windows merge here as Flink's
 * WindowOperator merges with a MergingWindowSet (merging_window_set.h): contents (also an
 * evictor's list) live under the session's state window, which stays when the session grows, so
 * adding an element appends and firing reads the session once; when windows merge, the
 * trigger's onMerge runs for the merged window (win_trig_merge reads the merged windows' trigger
 * state, which is per window), then each merged window's Trigger.clear and cleanup timer go and
 * the other state windows' contents fold into the kept one;
 * timers of windows merged away are dropped unseen, and a window cleaned up leaves its key's set.
 * Triggers that cannot merge (DELTA, CUSTOM without on_merge) are refused by the API and by
 * win_open.
 */
#include "operators/window_operator.h"

#include <string.h>

#include "base/alloc.h"

enum { T_CONTINUE = 0, T_FIRE = 1, T_PURGE = 2 };

/* SPATE_TRIGGER_CUSTOM: the user's callbacks answer with spate_trigger_result, whose values are
 * these bits; they register their own timers (custom_call, trigger_timer). */
static int fire_result(const win_op *w) { return T_FIRE | (w->purging ? T_PURGE : 0); }

/* The trigger's BIGINT of window x (count, next firing); *has = false when there is none. */
static int trig_get(win_op *w, win x, int64_t *v, bool *has) {
  int rc = win_set_window(w, x);
  if (rc < 0) return rc;
  spate_row r;
  if ((rc = ks_value_get(w->trig_n, &r)) < 0) return win_state_failed(w, rc, "trigger state");
  *has = rc == 1;
  *v = *has ? spate_row_bigint(&r, 0) : 0;
  return 0;
}

static int trig_put(win_op *w, win x, int64_t v) {
  int rc = win_set_window(w, x);
  if (rc < 0) return rc;
  spate_row r;
  spate_rb_begin(&w->trig_rb);
  spate_rb_set_bigint(&w->trig_rb, 0, v);
  if (spate_rb_finish(&w->trig_rb, &r) < 0)
    return op_fail(w->op, SPATE_ENOMEM, "trigger state: %s", spate_rb_error(&w->trig_rb));
  rc = ks_value_update(w->trig_n, &r);
  return rc < 0 ? win_state_failed(w, rc, "trigger state") : 0;
}

static int trig_state_clear(win_op *w, ks_state *st, win x) {
  int rc = win_set_window(w, x);
  if (rc == 0 && (rc = ks_clear(st)) < 0) rc = win_state_failed(w, rc, "trigger state");
  return rc;
}

/* Continuous triggers: the next firing after `from` is from + interval, but never after the
 * window's max timestamp (Flink's registerNextFireTimestamp). */
static int continuous_next(win_op *w, win x, int64_t from) {
  bool event = w->trig == SPATE_TRIGGER_CONTINUOUS_EVENT_TIME;
  int64_t next;
  if (__builtin_add_overflow(from, w->interval, &next) || next > max_ts(x)) next = max_ts(x);
  int rc = trig_put(w, x, next);
  return rc < 0 ? rc : win_timer_in(w, event, next, x, false);
}

/* A custom trigger's callback runs with ctx.trigger pointing at this, so that its timer calls
 * (spate_trigger_register_event_timer & co) know the operator and the window. */
typedef struct custom_ctx {
  win_op *w;
  win x;
  int timer_rc; /* a timer call that failed (its message is written), else 0 */
} custom_ctx;

/* Calls a custom trigger callback for window x (element: row at ts, else the timer at t in
 * the given domain) and turns its answer into T_* bits. */
static int custom_call(win_op *w, win x, const spate_row *row, int64_t t, bool event, int *res) {
  op_t *op = w->op;
  spate_trigger_time_fn tf = event ? w->on_event_time : w->on_processing_time;
  *res = T_CONTINUE;
  if (!row && !tf) return 0;
  custom_ctx c = {w, x, 0};
  op->ctx.trigger = &c;
  int rc = row ? w->on_element(&op->ctx, row, t, &x) : tf(&op->ctx, t, &x);
  op->ctx.trigger = NULL;
  if (c.timer_rc < 0) return c.timer_rc; /* the timer's message stands */
  if (rc < 0) return op_udf_failed(op, rc, "trigger function");
  if (rc > SPATE_TRIGGER_FIRE_AND_PURGE)
    return op_fail(op, SPATE_EUDF, "trigger function returned %d, not a spate_trigger_result", rc);
  *res = rc;
  if ((*res & T_FIRE) && w->purging) *res |= T_PURGE;
  return 0;
}

/* Calls a custom trigger's clear or on_merge callback (fn, may be NULL) for window x. */
static int custom_window_call(win_op *w, win x, spate_trigger_window_fn fn, const char *what) {
  if (!fn) return 0;
  op_t *op = w->op;
  custom_ctx c = {w, x, 0};
  op->ctx.trigger = &c;
  int rc = fn(&op->ctx, &x);
  op->ctx.trigger = NULL;
  if (c.timer_rc < 0) return c.timer_rc;
  return rc < 0 ? op_udf_failed(op, rc, what) : 0;
}

static int trigger_timer(spate_ctx *ctx, bool event, int64_t t, bool del, const char *api) {
  custom_ctx *c = ctx ? ctx->trigger : NULL;
  if (!c) {
    if (ctx) spate_ctx_fail(ctx, "%s: only a custom trigger's callback may call it", api);
    return SPATE_EINVAL;
  }
  int rc = win_timer_in(c->w, event, t, c->x, del);
  if (rc < 0 && c->timer_rc == 0) c->timer_rc = rc;
  return rc;
}

int spate_trigger_register_event_timer(spate_ctx *ctx, int64_t t) {
  return trigger_timer(ctx, true, t, false, "spate_trigger_register_event_timer");
}
int spate_trigger_register_processing_timer(spate_ctx *ctx, int64_t t) {
  return trigger_timer(ctx, false, t, false, "spate_trigger_register_processing_timer");
}
int spate_trigger_delete_event_timer(spate_ctx *ctx, int64_t t) {
  return trigger_timer(ctx, true, t, true, "spate_trigger_delete_event_timer");
}
int spate_trigger_delete_processing_timer(spate_ctx *ctx, int64_t t) {
  return trigger_timer(ctx, false, t, true, "spate_trigger_delete_processing_timer");
}

/* Trigger.onElement for element `row` at `ts` in window x; *res receives T_* bits. */
static int trig_element(win_op *w, win x, int64_t ts, const spate_row *row, int *res) {
  int rc = 0;
  int64_t v;
  bool has;
  *res = T_CONTINUE;
  switch (w->trig) {
  case SPATE_TRIGGER_CUSTOM: return custom_call(w, x, row, ts, false, res);
  case SPATE_TRIGGER_EVENT_TIME:
    if (max_ts(x) <= wm_of(w))
      *res = fire_result(w);
    else
      rc = win_timer_in(w, true, max_ts(x), x, false);
    return rc;
  case SPATE_TRIGGER_PROCESSING_TIME: return win_timer_in(w, false, max_ts(x), x, false);
  case SPATE_TRIGGER_COUNT:
    if ((rc = trig_get(w, x, &v, &has)) < 0) return rc;
    if (v + 1 < w->trig_count) return trig_put(w, x, v + 1);
    *res = fire_result(w);
    return trig_state_clear(w, w->trig_n, x);
  case SPATE_TRIGGER_CONTINUOUS_EVENT_TIME:
  case SPATE_TRIGGER_CONTINUOUS_PROCESSING_TIME: {
    bool event = w->trig == SPATE_TRIGGER_CONTINUOUS_EVENT_TIME;
    if (event) {
      if (max_ts(x) <= wm_of(w)) {
        *res = fire_result(w);
        return 0;
      }
      if ((rc = win_timer_in(w, true, max_ts(x), x, false)) < 0) return rc;
    }
    if ((rc = trig_get(w, x, &v, &has)) < 0 || has) return rc;
    int64_t start, t = event ? ts : op_now(w->op);
    if (event && ts == INT64_MIN)
      return op_fail(w->op, SPATE_EINVAL,
                     "record has no timestamp: a continuous event-time "
                     "trigger needs timestamps");
    /* Flink: start = timestamp - (timestamp % interval), Java's truncating remainder, which is
     * C's too (for negative timestamps this rounds towards zero, not down) */
    start = t - (t % w->interval);
    return continuous_next(w, x, start);
  }
  case SPATE_TRIGGER_DELTA: {
    if ((rc = win_set_window(w, x)) < 0) return rc;
    spate_row last;
    if ((rc = ks_value_get(w->trig_last, &last)) < 0)
      return win_state_failed(w, rc, "trigger state");
    if (rc == 1) {
      double d = w->trig_delta(&w->op->ctx, &last, row);
      if (w->op->ctx.has_error) return op_udf_failed(w->op, SPATE_EUDF, "delta function");
      if (!(d > w->trig_threshold)) return 0;
      *res = fire_result(w);
    }
    rc = ks_value_update(w->trig_last, row);
    return rc < 0 ? win_state_failed(w, rc, "trigger state") : 0;
  }
  default: return 0; /* never fires */
  }
}

/* Trigger.onEventTime / onProcessingTime for the timer at t of window x. */
static int trig_time(win_op *w, bool event, int64_t t, win x, int *res) {
  *res = T_CONTINUE;
  switch (w->trig) {
  case SPATE_TRIGGER_CUSTOM: return custom_call(w, x, NULL, t, event, res);
  case SPATE_TRIGGER_EVENT_TIME:
    if (event && t == max_ts(x)) *res = fire_result(w);
    return 0;
  case SPATE_TRIGGER_PROCESSING_TIME:
    if (!event) *res = fire_result(w);
    return 0;
  case SPATE_TRIGGER_CONTINUOUS_EVENT_TIME:
  case SPATE_TRIGGER_CONTINUOUS_PROCESSING_TIME: {
    if (event != (w->trig == SPATE_TRIGGER_CONTINUOUS_EVENT_TIME)) return 0;
    if (event && t == max_ts(x)) {
      *res = fire_result(w);
      return 0;
    }
    int64_t next;
    bool has;
    int rc = trig_get(w, x, &next, &has);
    if (rc < 0 || !has || next != t) return rc;
    *res = fire_result(w);
    if (t == max_ts(x)) return trig_state_clear(w, w->trig_n, x); /* the last firing */
    if ((rc = trig_state_clear(w, w->trig_n, x)) < 0) return rc;
    return continuous_next(w, x, t);
  }
  default: return 0;
  }
}

/* Trigger.clear: the trigger's state and timers of window x go. */
int win_trig_clear(win_op *w, win x) {
  int64_t v;
  bool has;
  int rc = 0;
  switch (w->trig) {
  case SPATE_TRIGGER_CUSTOM: return custom_window_call(w, x, w->on_clear, "trigger clear");
  case SPATE_TRIGGER_EVENT_TIME: return win_timer_in(w, true, max_ts(x), x, true);
  case SPATE_TRIGGER_PROCESSING_TIME: return win_timer_in(w, false, max_ts(x), x, true);
  case SPATE_TRIGGER_COUNT: return trig_state_clear(w, w->trig_n, x);
  case SPATE_TRIGGER_CONTINUOUS_EVENT_TIME:
  case SPATE_TRIGGER_CONTINUOUS_PROCESSING_TIME:
    if ((rc = trig_get(w, x, &v, &has)) < 0) return rc;
    if (has &&
        (rc = win_timer_in(w, w->trig == SPATE_TRIGGER_CONTINUOUS_EVENT_TIME, v, x, true)) < 0)
      return rc;
    return trig_state_clear(w, w->trig_n, x);
  case SPATE_TRIGGER_DELTA: return trig_state_clear(w, w->trig_last, x);
  default: return 0;
  }
}

/* Trigger.onMerge: the n session windows `merged` (still holding their trigger state) merge
 * into `cover`, which holds none yet. COUNT sums the counts and CONTINUOUS_* keep the earliest
 * next firing (mergePartitionedState), with its timer; EVENT_TIME / PROCESSING_TIME set the
 * cover's timer unless its max timestamp has passed (else onElement fires it at once); a
 * custom trigger's on_merge decides. DELTA cannot merge (win_open refuses it). */
int win_trig_merge(win_op *w, win cover, const win *merged, size_t n) {
  int rc = 0;
  switch (w->trig) {
  case SPATE_TRIGGER_CUSTOM: return custom_window_call(w, cover, w->on_merge, "trigger on_merge");
  case SPATE_TRIGGER_EVENT_TIME:
    return max_ts(cover) > wm_of(w) ? win_timer_in(w, true, max_ts(cover), cover, false) : 0;
  case SPATE_TRIGGER_PROCESSING_TIME:
    return max_ts(cover) > op_now(w->op) ? win_timer_in(w, false, max_ts(cover), cover, false) : 0;
  case SPATE_TRIGGER_COUNT:
  case SPATE_TRIGGER_CONTINUOUS_EVENT_TIME:
  case SPATE_TRIGGER_CONTINUOUS_PROCESSING_TIME: {
    bool count = w->trig == SPATE_TRIGGER_COUNT, any = false;
    int64_t acc = count ? 0 : INT64_MAX;
    for (size_t i = 0; i < n; i++) {
      int64_t v;
      bool has;
      if ((rc = trig_get(w, merged[i], &v, &has)) < 0) return rc;
      if (!has) continue;
      any = true;
      if (count)
        acc += v;
      else if (v < acc)
        acc = v;
    }
    if (!any) return 0;
    if ((rc = trig_put(w, cover, acc)) < 0 || count) return rc;
    return win_timer_in(w, w->trig == SPATE_TRIGGER_CONTINUOUS_EVENT_TIME, acc, cover, false);
  }
  default: return 0;
  }
}

/* An element of an evicting window: stored with its timestamp (TimeEvictor needs it). */
static int add_timestamped(win_op *w, win x, int64_t ts, const spate_row *row) {
  int rc = win_set_window(w, x);
  if (rc < 0) return rc;
  spate_row r;
  spate_rb_begin(&w->ev_rb);
  spate_rb_set_bigint(&w->ev_rb, 0, ts);
  spate_rb_set_bytes(&w->ev_rb, 1, row->data, row->len);
  if (spate_rb_finish(&w->ev_rb, &r) < 0)
    return op_fail(w->op, SPATE_ENOMEM, "window state: %s", spate_rb_error(&w->ev_rb));
  rc = ks_list_add(w->contents, &r);
  return rc < 0 ? win_state_failed(w, rc, "window state") : 0;
}

/* The evictor over the n elements in w->rows (stored rows), w->inner and w->tss: removes
 * elements in place, keeping the order of the others; returns how many remain. */
static size_t evict(win_op *w, size_t n) {
  size_t keep = 0;
  int64_t cutoff = INT64_MIN;
  spate_row last = n ? w->inner[n - 1] : (spate_row){0};
  switch (w->evk) {
  case SPATE_EVICTOR_COUNT:
    if ((int64_t)n <= w->ev_count) return n;
    break;
  case SPATE_EVICTOR_TIME: {
    if (n == 0 || w->tss[0] == INT64_MIN) return n; /* elements without timestamps */
    int64_t mx = INT64_MIN;
    for (size_t i = 0; i < n; i++)
      if (w->tss[i] > mx) mx = w->tss[i];
    if (__builtin_sub_overflow(mx, w->ev_window, &cutoff)) cutoff = INT64_MIN;
    break;
  }
  default: break;
  }
  for (size_t i = 0; i < n; i++) {
    bool evicted;
    switch (w->evk) {
    case SPATE_EVICTOR_COUNT: evicted = (int64_t)i < (int64_t)n - w->ev_count; break;
    case SPATE_EVICTOR_TIME: evicted = w->tss[i] <= cutoff; break;
    case SPATE_EVICTOR_DELTA:
      evicted = w->ev_delta(&w->op->ctx, &w->inner[i], &last) >= w->ev_threshold;
      break;
    default: evicted = false;
    }
    if (evicted) continue;
    w->rows[keep] = w->rows[i];
    w->inner[keep] = w->inner[i];
    w->tss[keep] = w->tss[i];
    keep++;
  }
  return keep;
}

/* Emits an evicting window x whose contents are kept under window `state` (x itself, or a
 * session's state window): its elements, less those evicted before, go to the function; what
 * remains after evicting (before and after) is written back as the window's contents. */
static int emit_evicting(win_op *w, win x, win state) {
  op_t *op = w->op;
  int rc = win_set_window(w, state);
  if (rc < 0) return rc;
  ks_list_iter it;
  spate_row e;
  if ((rc = ks_list_get(w->contents, &it)) <= 0)
    return rc < 0 ? win_state_failed(w, rc, "window state") : 0;
  win_scratch_reset(w);
  while (ks_list_next(&it, &e))
    if ((rc = win_scratch_push(w, &e)) < 0) return op_fail(op, rc, "out of memory");
  size_t total = w->nsrows, n = total;
  if (n > w->ev_cap) {
    spate_row *a = sp_realloc(w->inner, n * sizeof *a);
    if (a) w->inner = a;
    int64_t *b = a ? sp_realloc(w->tss, n * sizeof *b) : NULL;
    if (!b) return op_fail(op, SPATE_ENOMEM, "out of memory");
    w->tss = b;
    w->ev_cap = n;
  }
  if (!win_scratch_rows(w, 0)) return op_fail(op, SPATE_ENOMEM, "out of memory");
  uint32_t nf = (uint32_t)op->in_schema->nfields;
  for (size_t i = 0; i < n; i++) {
    spate_bytes b = spate_row_string(&w->rows[i], 1);
    w->tss[i] = spate_row_bigint(&w->rows[i], 0);
    w->inner[i] = (spate_row){(const uint8_t *)b.ptr, (uint32_t)b.len, nf};
  }
  if (!w->evict_after) n = evict(w, n);
  if (op->ctx.has_error) return op_udf_failed(op, SPATE_EUDF, "delta function");
  op->ctx.ts = max_ts(x);
  if (w->fn == WINDOW_FN_REDUCE) {
    spate_row acc = n ? w->inner[0] : (spate_row){0};
    int b = 0;
    for (size_t i = 1; i < n; i++) {
      spate_rb_begin(&w->fold_rb[b]);
      rc = ((spate_reduce_fn)op->udf)(&op->ctx, &acc, &w->inner[i], &w->fold_rb[b]);
      if (rc < 0) return op_udf_failed(op, rc, "reduce function");
      if (spate_rb_finish(&w->fold_rb[b], &acc) < 0)
        return op_fail(op, SPATE_EUDF, "reduce function built an invalid row: %s",
                       spate_rb_error(&w->fold_rb[b]));
      b ^= 1;
    }
    if (n && (rc = win_emit_result(w, x, &acc)) < 0) return rc;
  } else if (is_agg(w)) {
    spate_row acc;
    /* all elements evicted: Flink still emits result(create()) */
    if ((rc = win_agg_fold(w, w->inner, n, NULL, &acc)) == 0) rc = win_emit_result(w, x, &acc);
    if (rc < 0) return rc;
  } else {
    spate_window_elements el;
    memset(&el, 0, sizeof el);
    el.rows = w->inner;
    el.n = n;
    if ((rc = win_call_window_fn(w, op->udf, x, &el)) < 0) return rc;
  }
  if (w->evict_after) n = evict(w, n);
  if (op->ctx.has_error) return op_udf_failed(op, SPATE_EUDF, "delta function");
  if (n == total) return 0;
  if ((rc = win_set_window(w, state)) < 0) return rc;
  rc = ks_list_update(w->contents, w->rows, n);
  return rc < 0 ? win_state_failed(w, rc, "window state") : 0;
}

/* Acts on a trigger result for window x, whose contents are kept under window `state` (x
 * itself, or a session's state window). */
static int trig_act(win_op *w, win x, win state, int res) {
  int rc = 0;
  if (res & T_FIRE)
    rc = w->evk                            ? emit_evicting(w, x, state)
         : w->kind == SPATE_WINDOW_SESSION ? win_emit_window_from(w, x, state)
                                           : win_emit_window(w, x);
  if (rc == 0 && (res & T_PURGE)) rc = win_clear_contents(w, state);
  return rc;
}

/* Session windows (merging): the element's window joins the key's set, merging as the trigger
 * says (win_add_session), and the element goes to the window it ends up in, unless that is late
 * (then it never existed: MergingWindowSet.retireWindow). */
static int generic_session_element(win_op *w, int64_t ts, const spate_row *row) {
  win x, actual, state;
  mws_outcome how;
  int res, rc = win_session_window(w, w->event_time ? ts : op_now(w->op), row, &x);
  if (rc < 0 || (rc = win_load_sessions(w)) < 0 ||
      (rc = win_add_session(w, x, &actual, &state, &how)) < 0)
    return rc;
  bool late = window_late(w, actual);
  if (late) {
    mws_remove(&w->sessions, actual);
  } else {
    w->op->ctx.ts = ts;
    rc = w->evk ? add_timestamped(w, state, ts, row) : win_add_element(w, state, row);
    if (rc == 0) rc = trig_element(w, actual, ts, row, &res);
    if (rc == 0) rc = trig_act(w, actual, state, res);
    if (rc == 0) rc = win_register_cleanup(w, actual);
    if (rc < 0) return rc;
  }
  if ((rc = win_store_sessions(w)) < 0) return rc;
  return late && element_late(w, ts) ? win_late_element(w, ts, row) : 0;
}

int win_generic_element(win_op *w, int64_t ts, const spate_row *row) {
  op_t *op = w->op;
  int n = 1, rc;
  if (w->kind == SPATE_WINDOW_SESSION) return generic_session_element(w, ts, row);
  if (w->kind == SPATE_WINDOW_GLOBAL) {
    w->wins[0] = win_global_window;
  } else if ((rc = win_assign(w, w->event_time ? ts : op_now(w->op), &n)) < 0) {
    return rc;
  }
  bool skipped = true;
  for (int i = 0; i < n; i++) {
    win x = w->wins[i];
    if (window_late(w, x)) continue;
    skipped = false;
    op->ctx.ts = ts;
    int res;
    rc = w->evk ? add_timestamped(w, x, ts, row) : win_add_element(w, x, row);
    if (rc == 0) rc = trig_element(w, x, ts, row, &res);
    if (rc == 0) rc = trig_act(w, x, x, res);
    if (rc == 0) rc = win_register_cleanup(w, x);
    if (rc < 0) return rc;
  }
  return skipped && element_late(w, ts) ? win_late_element(w, ts, row) : 0;
}

/* A timer of window x in the given domain: the trigger decides; at the cleanup time (in the
 * assigner's domain) all state of the window goes, and a session window leaves its key's set.
 * Timers of session windows merged away are dropped. */
int win_generic_timer(win_op *w, bool event, int64_t t, win x) {
  bool session = w->kind == SPATE_WINDOW_SESSION;
  int res, rc;
  win state = x;
  if (session) {
    if ((rc = win_load_sessions(w)) < 0) return rc;
    if (!mws_state_window(&w->sessions, x, &state)) return 0;
  }
  rc = trig_time(w, event, t, x, &res);
  if (rc == 0) rc = trig_act(w, x, state, res);
  if (rc < 0 || event != w->event_time || t != cleanup_time(w, x)) return rc;
  if ((rc = win_clear_contents(w, state)) < 0 || (rc = win_trig_clear(w, x)) < 0 ||
      (rc = win_cleanup_user(w, x)) < 0 || !session)
    return rc;
  mws_remove(&w->sessions, x);
  return win_store_sessions(w);
}
