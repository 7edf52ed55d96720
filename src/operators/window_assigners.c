/*
 * window_assigners.c: the window operator's assigners (operators/window_operator.h): which
 * windows an element belongs to, and the element paths that follow from them on the default
 * triggers' fast paths:
 *  - session windows: an element's window [t, t + gap), with a fixed or a dynamic gap (the
 *    window operator merges it into the key's set);
 *  - tumbling and sliding windows: Flink's TimeWindow.getWindowStartWithOffset and the
 *    windows of an element, and the panes of incremental reduce and aggregation over them (see
 *    "panes" in window_operator.c's opening comment);
 *  - count windows: Flink's GlobalWindow with a count trigger, and a count evictor when they
 *    slide.
 */
#include "graph/op_params.h"
#include "operators/process_operator.h"
#include "operators/window_operator.h"

/* The session window [t, t + gap) of an element at time t (with the element's gap when the
 * gap is dynamic) into *x. */
int win_session_window(win_op *w, int64_t t, const spate_row *row, win *x) {
  op_t *op = w->op;
  int64_t gap = w->gap;
  if (w->gap_fn) { /* SessionWindowTimeGapExtractor.extract */
    gap = w->gap_fn(&op->ctx, row);
    if (op->ctx.has_error) return op_udf_failed(op, SPATE_EUDF, "session gap function");
    if (gap <= 0)
      return op_fail(op, SPATE_EINVAL,
                     "the session gap function returned %lld ms for an element at %lld: a "
                     "dynamic session gap must be positive",
                     (long long)gap, (long long)t);
  }
  if (t > INT64_MAX - gap)
    return op_fail(op, SPATE_EINVAL, "timestamp %lld is outside the range of windows",
                   (long long)t);
  *x = (win){t, t + gap};
  return 0;
}

/* ---- elements ---------------------------------------------------------------------------------- */
/* win_start_with_offset (window_operator.h): exact where Java's long arithmetic would wrap: ts -
 * offset is computed in 128 bits only when it leaves the int64 range (near the ends of time). */
bool win_start_with_offset(int64_t ts, int64_t offset, int64_t size, int64_t *start) {
  int64_t d, rem;
  if (__builtin_expect(!__builtin_sub_overflow(ts, offset, &d), 1)) {
    rem = d % size;
  } else {
    rem = (int64_t)(((__int128)ts - offset) % size);
  }
  if (rem < 0) rem += size;
  return !__builtin_sub_overflow(ts, rem, start);
}

bool win_sql_slice_of(int window, int64_t size, int64_t slide, int64_t step, int64_t offset,
                      int64_t t, win_sql_slice *out) {
  out->len = window == SQL_WINDOW_TUMBLE ? size : window == SQL_WINDOW_HOP ? slide : step;
  return win_start_with_offset(t, offset, out->len, &out->first) &&
         !__builtin_add_overflow(out->first, out->len, &out->end) &&
         win_start_with_offset(t, offset, size, &out->start) && out->start <= INT64_MAX - size &&
         t >= INT64_MIN + size;
}

/* window_start with the last answer remembered: timestamps mostly fall into the window of the
 * one before (ascending time), and then the start is known without a division. */
static inline bool cached_window_start(win_span *c, int64_t ts, int64_t offset, int64_t size,
                                       int64_t *start) {
  if (ts >= c->start && ts < c->end) {
    *start = c->start;
    return true;
  }
  if (!win_start_with_offset(ts, offset, size, start)) return false;
  c->start = *start;
  if (__builtin_add_overflow(*start, size, &c->end)) c->end = INT64_MAX; /* ts == MAX: recompute */
  return true;
}

/* The windows of an element at time t (not session, not count) into w->wins. */
int win_assign(win_op *w, int64_t t, int *n) {
  int64_t step = w->kind == SPATE_WINDOW_TUMBLING ? w->size : w->slide;
  int64_t last, lo, end;
  *n = 0;
  if (!cached_window_start(&w->step_span, t, w->offset, step, &last))
    return op_fail(w->op, SPATE_EINVAL, "timestamp %lld is outside the range of windows",
                   (long long)t);
  int64_t below;
  if (!__builtin_sub_overflow(t, w->size, &lo) && !__builtin_sub_overflow(lo, step, &below) &&
      !__builtin_add_overflow(last, w->size, &end)) {
    /* every start s in (t - size, last] has s + size <= end, and s - step >= lo - step does
     * not overflow */
    for (int64_t s = last; s > lo; s -= step) {
      if (*n == w->max_wins) return op_fail(w->op, SPATE_ECORRUPT, "window assignment overflow");
      w->wins[(*n)++] = (win){s, s + w->size};
    }
    return 0;
  }
  /* within a window of the ends of time: some windows may not be representable */
  for (__int128 s = last; s > (__int128)t - w->size; s -= step) {
    __int128 e = s + w->size;
    if (e > INT64_MAX || s < INT64_MIN)
      return op_fail(w->op, SPATE_EINVAL, "timestamp %lld is outside the range of windows",
                     (long long)t);
    if (*n == w->max_wins) return op_fail(w->op, SPATE_ECORRUPT, "window assignment overflow");
    w->wins[(*n)++] = (win){(int64_t)s, (int64_t)e};
  }
  return 0;
}

/* ---- panes ------------------------------------------------------------------------------------ */
/* Reduces the panes of window x of the current key in time order and emits the result with the
 * window's max timestamp (nothing when no pane holds anything). The reduce function sees the
 * window's max timestamp as ctx.ts, as when it fires. */
int win_emit_panes(win_op *w, win x) {
  op_t *op = w->op;
  spate_row acc = {0}, r;
  bool any = false;
  int b = 0, rc;
  op->ctx.ts = max_ts(x);
  win_scratch_reset(w);
  bool agg = is_agg(w);
  for (int64_t s = x.start; s < x.end; s += w->pane) {
    if ((rc = win_set_window(w, (win){s, s + w->pane})) < 0) return rc;
    rc = agg ? ks_value_get(w->contents, &r) : ks_reducing_get(w->contents, &r);
    if (rc < 0) return win_state_failed(w, rc, "window state");
    if (rc == 0) continue;
    if (!any) {
      any = true;
      if (w->pane == w->size) { /* one pane: its view is the result */
        acc = r;
        break;
      }
      /* the view would not outlive the next backend call */
      const spate_row *copy = NULL;
      if ((rc = win_scratch_push(w, &r)) < 0 || !(copy = win_scratch_rows(w, 0)))
        return op_fail(op, SPATE_ENOMEM, "out of memory");
      acc = *copy;
      continue;
    }
    /* panes combine with the reduce function, or the aggregate's merge (accumulators) */
    spate_row_builder *fb = agg ? &w->acc_rb[b] : &w->fold_rb[b];
    const char *what = agg ? "aggregate function (merge)" : "reduce function";
    spate_rb_begin(fb);
    rc = agg ? w->agg.merge(&op->ctx, &acc, &r, fb)
             : ((spate_reduce_fn)op->udf)(&op->ctx, &acc, &r, fb);
    if (rc < 0) return op_udf_failed(op, rc, what);
    if ((rc = win_finish_built(w, fb, &acc, what)) < 0) return rc;
    b ^= 1;
  }
  return any ? win_emit_result(w, x, &acc) : 0;
}

/* Window x of the current key is past its cleanup time: the panes before the next window's
 * start, [x.start, x.start + step), belong to no later window (every window holding them starts
 * at or before x.start, so it was cleaned up no later than x), and go. */
int win_clear_panes(win_op *w, win x) {
  for (int64_t s = x.start; s < x.start + w->step; s += w->pane) {
    int rc = win_set_window(w, (win){s, s + w->pane});
    if (rc == 0 && (rc = ks_clear(w->contents)) < 0) rc = win_state_failed(w, rc, "window state");
    if (rc < 0) return rc;
  }
  return 0;
}

/* An element at time t (the timestamp, or the clock in processing time) of a pane-based window
 * operator: reduced into its one pane. Only when that creates the pane are the timers of the
 * windows holding it registered (trigger and cleanup, exactly those the per-window path would
 * register: a pane's windows are the element's windows, none of their timers has fired yet
 * unless the window is late or fires at once, and they stay registered until they fire). Windows
 * whose max timestamp the watermark has reached fire again at once (late firing), as
 * EventTimeTrigger.onElement does. */
int win_pane_element(win_op *w, int64_t ts, int64_t t, const spate_row *row) {
  int64_t p, last;
  if (!cached_window_start(&w->pane_span, t, w->offset, w->pane, &p) ||
      !cached_window_start(&w->step_span, t, w->offset, w->step, &last) ||
      last > INT64_MAX - w->size)
    return op_fail(w->op, SPATE_EINVAL, "timestamp %lld is outside the range of windows",
                   (long long)t);
  bool may_fire = false;
  if (w->event_time) {
    /* the window with the latest start is the last to be cleaned up: if it is late, all are */
    if (window_late(w, (win){last, last + w->size}))
      return element_late(w, ts) ? win_late_element(w, ts, row) : 0;
    may_fire = wm_of(w) >= t; /* every window of t has max timestamp >= t */
  }
  int rc = win_set_window(w, (win){p, p + w->pane});
  if (rc < 0) return rc;
  int created;
  if (is_agg(w)) {
    bool c;
    if ((rc = win_agg_add(w, row, &c)) < 0) return rc;
    created = c;
  } else if ((created = ks_reducing_add_created(w->contents, row)) < 0) {
    return win_state_failed(w, created, "reduce function");
  }
  if (!created && !may_fire) return 0;
  int n;
  if ((rc = win_assign(w, t, &n)) < 0) return rc;
  for (int i = 0; i < n; i++) {
    win x = w->wins[i];
    if (window_late(w, x)) continue;
    bool fire = w->event_time && max_ts(x) <= wm_of(w);
    int64_t cleanup = cleanup_time(w, x);
    if (created && !fire) rc = win_timer(w, max_ts(x), x, false);
    if (rc == 0 && created && cleanup != INT64_MAX && cleanup != max_ts(x))
      rc = win_timer(w, cleanup, x, false);
    if (rc == 0 && fire) rc = win_emit_panes(w, x);
    if (rc < 0) return rc;
  }
  return 0;
}

/* The state a record a few ahead will touch first, into the cache (op_vtable.prefetch): its
 * key's session set (default namespace) for session windows, its pane's contents for windows
 * built of panes. Only event time: a processing-time record's window depends on the clock when
 * it is processed. Other windows decline hints (false), as does a state that fits in the cache. */
bool win_prefetch(win_op *w, int64_t ts, const spate_row *row, int key_group) {
  if (!w->event_time || w->generic || w->window_all) return false;
  if (w->kind == SPATE_WINDOW_SESSION)
    return op_prefetch_key(&w->op->node->key, w->backend, &w->ahead_rb, row, NULL, 0, key_group);
  if (!w->panes) return false;
  int64_t p;
  if (ts == INT64_MIN || !win_start_with_offset(ts, w->offset, w->pane, &p) ||
      p > INT64_MAX - w->pane)
    return true; /* this record fails when processed; the next may be hinted */
  uint8_t ns[16];
  win_namespace(&(win){p, p + w->pane}, ns);
  return op_prefetch_key(&w->op->node->key, w->backend, &w->ahead_rb, row, ns, 16, key_group);
}

/* ---- count windows ----------------------------------------------------------------------------- */
int win_count_element(win_op *w, const spate_row *row) {
  int rc = win_add_element(w, win_global_window, row);
  if (rc < 0) return rc;
  spate_row r;
  if ((rc = ks_value_get(w->count, &r)) < 0) return win_state_failed(w, rc, "window state");
  int64_t n = (rc == 1 ? spate_row_bigint(&r, 0) : 0) + 1;
  int64_t every = w->evicting ? w->slide : w->size;
  if (n < every) {
    spate_rb_begin(&w->aux_rb);
    spate_rb_set_bigint(&w->aux_rb, 0, n);
    if (spate_rb_finish(&w->aux_rb, &r) < 0) return op_fail(w->op, SPATE_EINVAL, "count row");
    rc = ks_value_update(w->count, &r);
    return rc < 0 ? win_state_failed(w, rc, "window state") : 0;
  }
  if ((rc = ks_clear(w->count)) < 0) return win_state_failed(w, rc, "window state");
  if (w->evicting) { /* CountEvictor.evictBefore: keep the last `size` elements */
    ks_list_iter it;
    spate_row e;
    int len = ks_list_get(w->contents, &it);
    if (len < 0) return win_state_failed(w, len, "window state");
    if (len > w->size) {
      win_scratch_reset(w);
      for (int64_t i = 0; ks_list_next(&it, &e); i++)
        if (i >= len - w->size && (rc = win_scratch_push(w, &e)) < 0)
          return op_fail(w->op, rc, "out of memory");
      const spate_row *rows = win_scratch_rows(w, 0);
      if (!rows) return op_fail(w->op, SPATE_ENOMEM, "out of memory");
      if ((rc = ks_list_update(w->contents, rows, w->nsrows)) < 0)
        return win_state_failed(w, rc, "window state");
    }
  }
  rc = win_emit_window(w, win_global_window);
  if (rc == 0 && !w->evicting) rc = win_clear_contents(w, win_global_window); /* purging trigger */
  return rc;
}
