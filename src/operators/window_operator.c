/*
 * window_operator.c: Flink's WindowOperator and EvictingWindowOperator on a keyed stream (or on
 * one constant key, for windowAll): the assigners' default triggers on fast paths, and
 * Flink's other triggers and evictors, and global windows, on a generic path
 * (window_triggers.c).
 *
 * The operator's files share its state, win_op (window_operator.h): this one is the operator
 * proper (each element's way through the windows, timers, keys, session merging with the key's
 * merging_window_set.h, parameters, lifecycle, checkpoints); window_contents.c holds the
 * windows' contents (adding, emitting through the window functions, clearing, merging);
 * window_assigners.c assigns elements to windows (time and session windows, panes, count
 * windows); window_triggers.c is the generic path. This comment describes the whole.
 *
 * Every window's contents live in the keyed-state backend under the window as namespace (16
 * bytes: start, end): a reducing state for incremental reduce, a list state of the elements for
 * window functions and for count windows with an evictor. Triggers are timers in the event-time
 * or processing-time queue with the window as namespace:
 *
 *  - time windows (tumbling, sliding, session) assign each element by its timestamp (event
 *    time) or by the wall clock at arrival (processing time). A window fires at its max
 *    timestamp (end - 1); in event time an element whose window's max timestamp the watermark
 *    has already reached fires that window at once (EventTimeTrigger.onElement). State is
 *    cleared by a cleanup timer at max timestamp + allowed lateness (event time) or at the max
 *    timestamp (processing time); with lateness 0 firing and cleanup are one timer;
 *  - an element is late when all its windows are (max timestamp + lateness <= watermark): it is
 *    dropped, or sent to the late side output;
 *  - session windows (Flink's MergingWindowSet) keep the windows of each key, each with its
 *    state window, in a value state. A new element's window [ts, ts + gap) merges with every
 *    window it intersects (touching counts, as TimeWindow.intersects). Contents live under the
 *    state window, which a growing session keeps, so an element costs the same however long
 *    its session; only when existing sessions merge do the others' contents fold into it.
 *    With the default trigger a session's timers are under its state window and are not moved
 *    as it grows: a timer set for a smaller window re-registers for the session's next event
 *    when it fires (see "timers of session windows"); other triggers merge as on the generic
 *    path, with timers per window as Flink's;
 *  - count windows are Flink's GlobalWindow [INT64_MIN, INT64_MAX) with a count trigger:
 *    tumbling = PurgingTrigger(CountTrigger(size)), sliding = CountTrigger(slide) with
 *    CountEvictor(size). They never fire on time, so partial windows are not emitted at end of
 *    input (as in Flink, whose global window has no cleanup timer).
 *  - incremental reduce over tumbling and sliding windows keeps panes instead of windows: the
 *    time line is cut into panes of gcd(size, slide) (shifted by the offset), every window is
 *    the union of size / pane consecutive panes, and an element is reduced into its one pane
 *    (namespace = the pane as a window), so its cost does not grow with size / slide. Timers
 *    stay per window; they are registered when an element creates a pane (for every window
 *    holding it), not per element. A window that fires reduces its panes in time order (the
 *    reduce function must be associative, as Flink's pane-based aggregation assumes); its
 *    cleanup timer clears the panes no later window holds. Tumbling windows are the case of
 *    one pane per window. Elements of a pane whose windows are all late are never added, and a
 *    window that is late never fires again, so the results are those of the per-window layout,
 *    which full window functions (and slides that would need too many panes) still use.
 *  - aggregate functions (WINDOW_FN_AGGREGATE): the contents are a VALUE of the accumulator
 *    instead of the reducing state, created, added to and written back per element; panes are
 *    used only when the aggregate has merge (firing merges the panes' accumulators in time
 *    order), session windows merge accumulators with it, and lists of elements (evicting
 *    windows) are folded into a fresh accumulator when they fire. A firing emits
 *    result(accumulator);
 *  - reduce or aggregate with a window function (the "window fn" symbol): the one incremental
 *    result goes to the window function as the window's only element (win_emit_result);
 *  - dynamic session gaps: the gap function gives each element's window [t, t + gap);
 *  - a trigger other than the assigner's own, an evictor, or global windows: the generic path,
 *    Flink's onElement / onEventTime / onProcessingTime loop with per-window contents (see
 *    window_triggers.c), also for session windows (with a trigger that can merge); count
 *    windows never take it (the API turns them into global windows).
 * Output records carry the window's max timestamp (INT64_MAX for count and global windows). A
 * watermark fires the due event-time timers first, then goes downstream. Processing-time timers pending
 * at the end of input are dropped, as the process operator does.
 *
 * Rows handed back by the backend are views valid until its next call; wherever state is read
 * and written back (merging, evicting) the rows are first copied into the operator's scratch
 * buffer, which grows to the largest need and is reused.
 *
 * User functions run in a keyed context (w->kctx, process_operator.h's proc_ctx_new): the
 * current key is the record's or the fired timer's, keyed state declared by any of them lives
 * in the operator's backend beside the window contents, and a process window function
 * (spate_process_window_fn) also gets the key and per-window state, cleared at the window's
 * cleanup (win_cleanup_user).
 *
 * Checkpoints: everything a window operator remembers between calls lives in the keyed-state
 * backend (contents, panes, session sets, count-window counts, trigger state) or in the two
 * timer queues, all partitioned by key group, so a snapshot is one section per key group and
 * moves with it when the parallelism changes (see "checkpoints" at the end).
 */
#include "operators/window_operator.h"

#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/hash.h"
#include "graph/op_params.h"
#include "operators/keyed_snapshot.h"
#include "operators/process_operator.h"
#include "operators/registry.h"

/* The elements of a firing window: the window's list state, or (evicting windows) the array of
 * elements that remain after evicting. */
bool spate_window_next(spate_window_elements *e, spate_row *row) {
  if (!e) return false;
  if (!e->rows) return ks_list_next(&e->it, row);
  if (e->i >= e->n) return false;
  *row = e->rows[e->i++];
  return true;
}

const win win_global_window = {INT64_MIN, INT64_MAX};

/* ---- errors ------------------------------------------------------------------------------------ */
/* A state call failed: a user function's error (reduce) keeps its message, else the backend's. */
int win_state_failed(win_op *w, int rc, const char *what) {
  if (w->op->ctx.has_error) return op_udf_failed(w->op, rc, what);
  return op_fail(w->op, rc, "window state: %s", ks_error(w->backend));
}

static int timer_failed(win_op *w, int rc) {
  return op_fail(w->op, rc, "window timers: %s", spate_strerror(rc));
}

/* ---- scratch: copies of rows ------------------------------------------------------------------- */
void win_scratch_reset(win_op *w) {
  w->buf_len = 0;
  w->nsrows = 0;
}

int win_scratch_push(win_op *w, const spate_row *r) {
  if (w->buf_len + r->len > w->buf_cap) {
    size_t cap = w->buf_cap ? w->buf_cap : 256;
    while (cap < w->buf_len + r->len) cap *= 2;
    uint8_t *n = sp_realloc(w->buf, cap);
    if (!n) return SPATE_ENOMEM;
    w->buf = n;
    w->buf_cap = cap;
  }
  if (w->nsrows == w->srows_cap) {
    size_t cap = w->srows_cap ? w->srows_cap * 2 : 16;
    scratch_row *n = sp_realloc(w->srows, cap * sizeof *n);
    if (!n) return SPATE_ENOMEM;
    w->srows = n;
    w->srows_cap = cap;
  }
  memcpy(w->buf + w->buf_len, r->data, r->len);
  w->srows[w->nsrows++] = (scratch_row){w->buf_len, r->len, r->nfields};
  w->buf_len += r->len;
  return 0;
}

/* The copied rows from index `from` on, as an array valid until the next scratch_push. */
const spate_row *win_scratch_rows(win_op *w, size_t from) {
  if (w->nsrows > w->rows_cap) {
    spate_row *n = sp_realloc(w->rows, w->nsrows * sizeof *n);
    if (!n) return NULL;
    w->rows = n;
    w->rows_cap = w->nsrows;
  }
  for (size_t i = from; i < w->nsrows; i++)
    w->rows[i] = (spate_row){w->buf + w->srows[i].off, w->srows[i].len, w->srows[i].nfields};
  return w->rows + from;
}

/* ---- namespaces and timers --------------------------------------------------------------------- */
int win_set_window(win_op *w, win x) {
  uint8_t ns[16];
  win_namespace(&x, ns);
  int rc = ks_set_namespace(w->backend, ns, 16);
  return rc < 0 ? win_state_failed(w, rc, "window state") : 0;
}

static int win_tick(op_t *op, int64_t now);

/* Makes sure a task timer is set for the earliest processing-time timer (the task fires it
 * once T has passed on the system clock, as Flink's SystemProcessingTimeService: an element
 * arriving at T still belongs to a window ending at T + 1, which must not have fired). */
static int schedule_proc(win_op *w) {
  int64_t next;
  if (!tq_peek(w->proc_timers, &next) || next >= w->proc_scheduled) return 0;
  w->proc_scheduled = next;
  return op_schedule(w->op, next, win_tick);
}

/* Registers (or deletes) the timer at t for window x of the current key, in the operator's
 * time domain. */
int win_timer_in(win_op *w, bool event, int64_t t, win x, bool del) {
  uint8_t ns[16];
  win_namespace(&x, ns);
  timer_queue *q = event ? w->event_timers : w->proc_timers;
  int rc = del ? tq_delete(q, w->key_group, t, w->key, w->key_len, ns, 16)
               : tq_register(q, w->key_group, t, w->key, w->key_len, ns, 16);
  if (rc < 0) return timer_failed(w, rc);
  return event || del ? 0 : schedule_proc(w);
}

int win_timer(win_op *w, int64_t t, win x, bool del) {
  return win_timer_in(w, w->event_time, t, x, del);
}

/* The default triggers' onElement: true when the window fires now. */
static int trigger_on_element(win_op *w, win x, bool *fire) {
  *fire = w->event_time && max_ts(x) <= wm_of(w);
  return *fire ? 0 : win_timer(w, max_ts(x), x, false);
}

int win_register_cleanup(win_op *w, win x) {
  int64_t t = cleanup_time(w, x);
  return t == INT64_MAX ? 0 : win_timer(w, t, x, false);
}

/* ---- the session windows of a key -------------------------------------------------------------- */
/* The key's session set (merging_window_set.h) with the operator's errors. */
static int sessions_failed(win_op *w, int rc) {
  return op_fail(w->op, rc, "window state: %s", mws_error(&w->sessions));
}

int win_load_sessions(win_op *w) {
  int rc = mws_load(&w->sessions, w->key_group);
  return rc < 0 ? sessions_failed(w, rc) : 0;
}

int win_store_sessions(win_op *w) {
  int rc = mws_store(&w->sessions);
  return rc < 0 ? sessions_failed(w, rc) : 0;
}

/* The merge function of the session set (mws_merge_fn), Flink's WindowOperator merge
 * callback: the merged windows' timers go, the cover's trigger timer comes (onMerge), and the
 * other merged state windows' contents fold into the kept state window. */
static int merge_sessions(void *arg, win cover, const win *merged, size_t n, win state,
                          const win *merged_states, size_t nstates) {
  win_op *w = arg;
  if (window_late(w, cover))
    return op_fail(w->op, SPATE_EINVAL,
                   "merging session windows produced window [%lld, %lld) that is already late",
                   (long long)cover.start, (long long)cover.end);
  int rc = 0;
  if (w->generic) {
    /* the trigger's onMerge for the cover (reading the merged windows' trigger state), then
     * each merged window's Trigger.clear and cleanup timer */
    rc = win_trig_merge(w, cover, merged, n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
      win m = merged[i];
      int64_t t = cleanup_time(w, m);
      rc = win_trig_clear(w, m);
      if (rc == 0 && t != INT64_MAX) rc = win_timer(w, t, m, true);
    }
  } else {
    /* the default trigger's timers are the session's, under its state window (see "timers of
     * session windows" below): they stay, unless the kept session had passed its max
     * timestamp (its timer then waits for the cleanup) and the cover has not */
    win kept = merged[0];
    if (w->event_time && max_ts(kept) <= wm_of(w) && max_ts(cover) > wm_of(w))
      rc = win_timer(w, max_ts(cover), state, false);
  }
  for (size_t i = 0; rc == 0 && i < nstates; i++)
    rc = win_move_contents(w, merged_states[i], state);
  return rc;
}

/* ---- timers of session windows ------------------------------------------------------------
 * With the assigner's own trigger a session's timers are registered under its state window,
 * not under the window, and are not moved when the session grows: a session in timestamp
 * order grows with every element, and deleting and registering its timers per element cost
 * more than all the rest. Instead each session always has a timer due no later than its next
 * event (its max timestamp while that is ahead, else its cleanup time); when a timer fires,
 * the session it belongs to now (the window whose state window it names) fires if the timer is
 * at its max timestamp, is cleaned up if at its cleanup time, and otherwise (it was set for a
 * smaller window) registers the timer of its next event. A timer comes before every event it
 * stands for, so every window fires and goes at the same watermark (or processing time) and
 * in the same order as with Flink's timers per window: at one timestamp, timers fire by key,
 * and one key has at most one session whose max timestamp it is. Timers of state windows
 * merged away find no session and are dropped, as Flink drops a merged window's. */

/* A new session x (its own state window) that is not late: its first timer. In event time a
 * session whose max timestamp the watermark has passed already fires at once (the caller
 * does) and waits for its cleanup; in processing time the timer is at the max timestamp. */
static int session_first_timer(win_op *w, win x) {
  if (w->event_time && max_ts(x) <= wm_of(w)) {
    int64_t c = cleanup_time(w, x);
    return c == INT64_MAX ? 0 : win_timer(w, c, x, false);
  }
  return win_timer(w, max_ts(x), x, false);
}

/* A timer at t of the session whose state window is `state` (the timer's namespace). */
static int session_timer(win_op *w, int64_t t, win state) {
  int rc = win_load_sessions(w);
  win x;
  if (rc < 0 || !mws_window_of_state(&w->sessions, state, &x)) return rc; /* merged away */
  if (t == max_ts(x) && (rc = win_emit_window_from(w, x, state)) < 0) return rc;
  int64_t c = cleanup_time(w, x);
  if (t == c) {
    if ((rc = win_clear_contents(w, state)) < 0 || (rc = win_cleanup_user(w, x)) < 0) return rc;
    mws_remove(&w->sessions, x);
    return win_store_sessions(w);
  }
  int64_t next = max_ts(x) > t ? max_ts(x) : c; /* the session's next event */
  return next > t && next != INT64_MAX ? win_timer(w, next, state, false) : 0;
}

/* Adds window x to the key's session set (loaded), merging it with every window it
 * intersects; *actual receives the window the element belongs to, *state the state window its
 * contents live under, *how what happened (MWS_INSIDE: x lay inside an existing window, no
 * state changed). */
int win_add_session(win_op *w, win x, win *actual, win *state, mws_outcome *how) {
  int rc = mws_add(&w->sessions, x, merge_sessions, w, actual, state, how);
  return rc < 0 && mws_error(&w->sessions)[0] ? sessions_failed(w, rc) : rc;
}

/* Makes the record's key current. */
static int set_key_from_record(win_op *w, const spate_row *row) {
  op_t *op = w->op;
  if (w->window_all) { /* one key for all: its key group is in range at parallelism 1 */
    static const uint8_t all_key[1] = {0};
    w->key = all_key;
    w->key_len = 1;
    w->key_group = 0;
    int rc = ks_set_current_key(w->backend, w->key, w->key_len, w->key_group);
    proc_ctx_set_key(w->kctx, w->key, w->key_len, 0, w->key_group); /* hidden (windowAll) */
    return rc < 0 ? op_fail(op, rc, "%s", ks_error(w->backend)) : 0;
  }
  /* Field keys: row_project writes the bytes the builder would make, without its per-field
   * checks; it declines (NULL in a NOT NULL field, ...) and the builder then says what is wrong. */
  const key_spec *k = &op->node->key;
  spate_row key;
  if (op->key_fn || !row_project(row, k->fields, k->nfields, &w->key_rb, &key)) {
    spate_rb_begin(&w->key_rb);
    if (op->key_fn) {
      int rc = op->key_fn(&op->ctx, row, &w->key_rb);
      if (rc < 0) return op_udf_failed(op, rc, "key selector");
    } else {
      for (int i = 0; i < k->nfields; i++) spate_rb_set_field(&w->key_rb, i, row, k->fields[i]);
    }
    if (spate_rb_finish(&w->key_rb, &key) < 0)
      return op_fail(op, SPATE_EUDF, "invalid key: %s", spate_rb_error(&w->key_rb));
  }
  w->key = key.data;
  w->key_len = key.len;
  /* the producer's partitioner computed it already when it keyed the edge the same way (task.c) */
  w->key_group =
      op->input_key_group >= 0
          ? op->input_key_group
          : sp_key_group(row_fields_java_hash(&key, w->key_fields, (int)key.nfields, k->key_schema),
                         w->max_parallelism);
  int rc = ks_set_current_key(w->backend, key.data, key.len, w->key_group);
  proc_ctx_set_key(w->kctx, key.data, key.len, key.nfields, w->key_group);
  return rc < 0 ? op_fail(op, rc, "%s", ks_error(w->backend)) : 0;
}

int win_late_element(win_op *w, int64_t ts, const spate_row *row) {
  if (w->late_tag) return op_emit_side(w->op, w->late_tag, ts, row);
  sw_inc(&w->op->late_records_dropped); /* Flink counts only what no side output takes */
  return 0;
}
static int win_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  win_op *w = op->impl;
  int rc = set_key_from_record(w, row);
  if (rc < 0) return rc;
  if (w->kind == SPATE_WINDOW_COUNT) return win_count_element(w, row);
  if (w->event_time && ts == INT64_MIN)
    return op_fail(op, SPATE_EINVAL,
                   "record has no timestamp: event-time windows need timestamps "
                   "(assign them with spate_assign_timestamps or use processing time)");
  if (w->generic) return win_generic_element(w, ts, row);
  int64_t t = w->event_time ? ts : op_now(w->op);
  bool skipped = true;
  if (w->kind == SPATE_WINDOW_SESSION) {
    win x, actual, state;
    mws_outcome how;
    if ((rc = win_session_window(w, t, row, &x)) < 0 || (rc = win_load_sessions(w)) < 0 ||
        (rc = win_add_session(w, x, &actual, &state, &how)) < 0)
      return rc;
    if (how == MWS_INSIDE && !window_late(w, actual)) {
      /* the common case of a dense session: the window, its timers and the key's session
       * set stay as they are; only a window the watermark has passed fires at once (late
       * firing within the allowed lateness) */
      skipped = false;
      rc = win_add_element(w, state, row);
      if (rc == 0 && w->event_time && max_ts(actual) <= wm_of(w))
        rc = win_emit_window_from(w, actual, state);
      return rc;
    }
    if (window_late(w, actual)) {
      mws_remove(&w->sessions, actual); /* a new window that is late already: it never existed */
    } else {
      skipped = false;
      rc = win_add_element(w, state, row);
      if (rc == 0 && how == MWS_ADDED) rc = session_first_timer(w, actual);
      /* EventTimeTrigger.onElement: a window the watermark has passed fires at once */
      if (rc == 0 && w->event_time && max_ts(actual) <= wm_of(w))
        rc = win_emit_window_from(w, actual, state);
      if (rc < 0) return rc;
    }
    if ((rc = win_store_sessions(w)) < 0) return rc;
  } else if (w->panes) {
    return win_pane_element(w, ts, t, row);
  } else {
    int n;
    if ((rc = win_assign(w, t, &n)) < 0) return rc;
    for (int i = 0; i < n; i++) {
      win x = w->wins[i];
      if (window_late(w, x)) continue;
      bool fire;
      skipped = false;
      op->ctx.ts = ts; /* the reduce function sees the element's timestamp */
      rc = win_add_element(w, x, row);
      if (rc == 0) rc = trigger_on_element(w, x, &fire);
      if (rc == 0 && fire) rc = win_emit_window(w, x);
      if (rc == 0) rc = win_register_cleanup(w, x);
      if (rc < 0) return rc;
    }
  }
  return skipped && element_late(w, ts) ? win_late_element(w, ts, row) : 0;
}

/* ---- timers ------------------------------------------------------------------------------------ */
/* Whether x can be a window of this operator. Timers restored from a checkpoint name their
 * window, which is checked before anything computes its max timestamp or walks its panes. */
static bool window_possible(const win_op *w, win x) {
  int64_t len;
  switch (w->kind) {
  case SPATE_WINDOW_TUMBLING:
  case SPATE_WINDOW_SLIDING:
    return x.start < x.end && !__builtin_sub_overflow(x.end, x.start, &len) && len == w->size;
  case SPATE_WINDOW_SESSION: return x.start < x.end;
  default: return x.start == win_global_window.start && x.end == win_global_window.end;
  }
}

/* A fired timer of window x: the default triggers fire at the max timestamp; at the cleanup
 * time the window's state goes. */
static int on_timer_in(win_op *w, bool event, const tq_timer_view *t) {
  if (t->ns_len != 16) return op_fail(w->op, SPATE_ECORRUPT, "window timer without a window");
  win x = win_of_namespace(t->ns);
  if (!window_possible(w, x))
    return op_fail(w->op, SPATE_ECORRUPT,
                   "window timer of key group %d for [%lld, %lld), which is not a window of this "
                   "operator (corrupt checkpoint?)",
                   t->key_group, (long long)x.start, (long long)x.end);
  int rc = ks_set_current_key(w->backend, t->key, t->key_len, t->key_group);
  if (rc < 0) return op_fail(w->op, rc, "%s", ks_error(w->backend));
  w->key = t->key;
  w->key_len = t->key_len;
  w->key_group = t->key_group;
  proc_ctx_set_key(w->kctx, w->key, w->key_len,
                   w->window_all ? 0 : (uint32_t)w->op->node->key.key_schema->nfields,
                   w->key_group);
  if (w->generic) return win_generic_timer(w, event, t->timestamp, x);
  if (w->kind == SPATE_WINDOW_SESSION) return session_timer(w, t->timestamp, x);
  if (t->timestamp == max_ts(x) && (rc = win_emit_window(w, x)) < 0) return rc;
  if (t->timestamp != cleanup_time(w, x)) return 0;
  if ((rc = win_clear_contents(w, x)) < 0 || (rc = win_cleanup_user(w, x)) < 0) return rc;
  if (t->timestamp != max_ts(x) && (rc = win_timer(w, max_ts(x), x, true)) < 0) return rc;
  return rc;
}

static int on_event_timer(void *arg, const tq_timer_view *t) { return on_timer_in(arg, true, t); }
static int on_proc_timer(void *arg, const tq_timer_view *t) { return on_timer_in(arg, false, t); }

static int win_watermark(op_t *op, int input, int64_t wm) {
  win_op *w = op->impl;
  if (w->event_time || w->generic) { /* generic windows may have event-time triggers */
    int rc = tq_advance(w->event_timers, wm, on_event_timer, w, NULL);
    if (rc != 0) return rc < 0 ? rc : SPATE_EUDF;
  }
  return op_forward_watermark(op, wm);
}

static int win_tick(op_t *op, int64_t now) {
  win_op *w = op->impl;
  if (now >= w->proc_scheduled) w->proc_scheduled = INT64_MAX; /* this is the one set */
  int rc = tq_advance(w->proc_timers, now, on_proc_timer, w, NULL);
  if (rc != 0) return rc < 0 ? rc : SPATE_EUDF;
  return schedule_proc(w);
}

/* ---- lifecycle --------------------------------------------------------------------------------- */
static int reduce_adapter(void *arg, const spate_row *acc, const spate_row *in,
                          spate_row_builder *out) {
  op_t *op = arg;
  return ((spate_reduce_fn)op->udf)(&op->ctx, acc, in, out);
}

static int new_schema(win_op *w, const char *spec, spate_schema **out) {
  char err[128];
  int rc = spate_schema_parse(spec, out, err, sizeof err);
  return rc < 0 ? op_fail(w->op, rc, "internal schema '%s': %s", spec, err) : 0;
}

/* The operator's parameters (op_window_params, stored by spate_window & co in
 * api/windowed_streams.c) into w, checked: kinds, sizes and the combinations of assigner,
 * function, trigger and evictor that the API builds. The UDFs they name are resolved by
 * win_open. */
static int decode_params(op_t *op, win_op *w) {
  op_window_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_window_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  w->kind = (spate_window_kind)p.assigner;
  uint8_t domain = p.domain;
  w->size = p.size;
  w->slide = p.slide;
  w->offset = p.offset;
  w->gap = p.gap;
  w->lateness = p.lateness;
  w->late_tag = op_params_take_str(&p.late_tag);
  w->fn = p.fn;
  w->trig = p.trigger;
  w->purging = p.purging;
  w->trig_count = p.trigger_count;
  w->interval = p.trigger_interval;
  w->trig_threshold = p.trigger_threshold;
  w->trig_delta_sym = op_params_take_str(&p.trigger_delta_fn);
  w->evk = p.evictor;
  w->evict_after = p.evict_after;
  w->ev_count = p.evictor_count;
  w->ev_window = p.evictor_window;
  w->ev_threshold = p.evictor_threshold;
  w->ev_delta_sym = op_params_take_str(&p.evictor_delta_fn);
  w->window_all = p.window_all;
  const char **syms[11] = {&p.gap_fn,     &p.agg_create,    &p.agg_add,
                           &p.agg_result, &p.agg_merge,     &p.window_fn,
                           &p.on_element, &p.on_event_time, &p.on_processing_time,
                           &p.on_clear,   &p.on_merge};
  for (int i = 0; i < 11; i++) w->sym[i] = op_params_take_str(syms[i]);
  w->acc_schema = op_params_take_schema(&p.acc_schema);
  w->res_schema = op_params_take_schema(&p.result_schema);
  w->arrival_order = p.arrival_order; /* spate_window_arrival_order: never panes */
  w->process_form = p.process_fn;
  w->clear_sym = op_params_take_str(&p.window_clear);
  op_window_params_free(&p);
  bool agg = w->fn == WINDOW_FN_AGGREGATE;
  bool bad =
      w->lateness < 0 || domain > SPATE_PROCESSING_TIME ||
      (w->fn != WINDOW_FN_REDUCE && w->fn != WINDOW_FN_APPLY && !agg) || !op->udf ||
      (agg && (!w->sym[1] || !w->sym[2] || !w->sym[3] || !w->acc_schema || !w->res_schema)) ||
      (!agg && (w->sym[1] || w->sym[2] || w->sym[3] || w->sym[4])) ||
      (w->sym[5] && w->fn == WINDOW_FN_APPLY) || (w->sym[0] && w->kind != SPATE_WINDOW_SESSION) ||
      ((w->trig == SPATE_TRIGGER_CUSTOM) != (w->sym[6] != NULL)) ||
      (w->trig != SPATE_TRIGGER_CUSTOM && (w->sym[7] || w->sym[8] || w->sym[9] || w->sym[10])) ||
      w->trig > SPATE_TRIGGER_CUSTOM || w->evk > SPATE_EVICTOR_DELTA ||
      (w->trig == SPATE_TRIGGER_COUNT && w->trig_count <= 0) ||
      ((w->trig == SPATE_TRIGGER_CONTINUOUS_EVENT_TIME ||
        w->trig == SPATE_TRIGGER_CONTINUOUS_PROCESSING_TIME) &&
       w->interval <= 0) ||
      (w->trig == SPATE_TRIGGER_DELTA && !w->trig_delta_sym) ||
      (w->evk == SPATE_EVICTOR_COUNT && w->ev_count <= 0) ||
      (w->evk == SPATE_EVICTOR_TIME && w->ev_window < 0) ||
      (w->evk == SPATE_EVICTOR_DELTA && !w->ev_delta_sym) ||
      (w->window_all && op->ctx.parallelism != 1) || (w->clear_sym && !w->process_form) ||
      (w->process_form && w->fn != WINDOW_FN_APPLY && !w->sym[5]);
  w->generic = w->trig != SPATE_TRIGGER_DEFAULT || w->purging || w->evk != SPATE_EVICTOR_NONE ||
               w->kind == SPATE_WINDOW_GLOBAL;
  switch (w->kind) {
  case SPATE_WINDOW_TUMBLING:
    bad = bad || w->size <= 0 || w->offset <= -w->size || w->offset >= w->size;
    break;
  case SPATE_WINDOW_SLIDING:
    bad = bad || w->size <= 0 || w->slide <= 0 || w->slide > w->size || w->offset <= -w->slide ||
          w->offset >= w->slide;
    break;
  case SPATE_WINDOW_SESSION: /* a gap or a gap function; aggregates merge accumulators */
    bad = bad || (w->gap <= 0 && !w->sym[0]) || (agg && !w->sym[4]);
    break;
  case SPATE_WINDOW_COUNT: bad = bad || w->size <= 0 || w->slide < 0 || w->slide > w->size; break;
  case SPATE_WINDOW_GLOBAL: break;
  default: bad = true;
  }
  /* the API turns count windows with a trigger or evictor into global windows, and gives
   * session windows only triggers that can merge */
  if (w->generic && w->kind == SPATE_WINDOW_COUNT) bad = true;
  if (w->kind == SPATE_WINDOW_SESSION &&
      (w->trig == SPATE_TRIGGER_DELTA || (w->trig == SPATE_TRIGGER_CUSTOM && !w->sym[10])))
    bad = true;
  if (bad) return op_fail(op, SPATE_ECORRUPT, "window parameters are corrupt or out of range");
  w->event_time =
      w->kind != SPATE_WINDOW_COUNT && w->kind != SPATE_WINDOW_GLOBAL && domain == SPATE_EVENT_TIME;
  if (w->generic && w->trig == SPATE_TRIGGER_DEFAULT && w->kind != SPATE_WINDOW_GLOBAL)
    w->trig = w->event_time ? SPATE_TRIGGER_EVENT_TIME : SPATE_TRIGGER_PROCESSING_TIME;
  return 0;
}

static int win_open(op_t *op) {
  win_op *w = sp_calloc(1, sizeof *w);
  if (!w) return SPATE_ENOMEM;
  op->impl = w;
  w->op = op;
  w->proc_scheduled = INT64_MAX;
  int rc = decode_params(op, w);
  if (rc < 0) return rc;
  bool agg = w->fn == WINDOW_FN_AGGREGATE;
  if (w->trig_delta_sym && !(w->trig_delta = (spate_delta_fn)op_resolve(op, w->trig_delta_sym)))
    return op_fail(op, SPATE_EINVAL, "delta function '%s' not found", w->trig_delta_sym);
  if (w->ev_delta_sym && !(w->ev_delta = (spate_delta_fn)op_resolve(op, w->ev_delta_sym)))
    return op_fail(op, SPATE_EINVAL, "delta function '%s' not found", w->ev_delta_sym);
  void *fns[11] = {0};
  static const char *const what[11] = {
      "session gap",        "aggregate create",      "aggregate add",
      "aggregate result",   "aggregate merge",       "window",
      "trigger on_element", "trigger on_event_time", "trigger on_processing_time",
      "trigger clear",      "trigger on_merge"};
  for (int i = 0; i < 11; i++)
    if (w->sym[i] && !(fns[i] = op_resolve(op, w->sym[i])))
      return op_fail(op, SPATE_EINVAL, "%s function '%s' not found", what[i], w->sym[i]);
  w->gap_fn = (spate_gap_fn)(uintptr_t)fns[0];
  w->agg.create = (int (*)(spate_ctx *, spate_row_builder *))(uintptr_t)fns[1];
  w->agg.add = (int (*)(spate_ctx *, const spate_row *, const spate_row *, spate_row_builder *))(
      uintptr_t)fns[2];
  w->agg.result = (int (*)(spate_ctx *, const spate_row *, spate_row_builder *))(uintptr_t)fns[3];
  w->agg.merge = (int (*)(spate_ctx *, const spate_row *, const spate_row *, spate_row_builder *))(
      uintptr_t)fns[4];
  w->apply = (spate_window_fn)(uintptr_t)fns[5];
  w->on_element = (spate_trigger_element_fn)(uintptr_t)fns[6];
  w->on_event_time = (spate_trigger_time_fn)(uintptr_t)fns[7];
  w->on_processing_time = (spate_trigger_time_fn)(uintptr_t)fns[8];
  w->on_clear = (spate_trigger_window_fn)(uintptr_t)fns[9];
  w->on_merge = (spate_trigger_window_fn)(uintptr_t)fns[10];
  if (w->clear_sym &&
      !(w->user_clear = (spate_window_clear_fn)(uintptr_t)op_resolve(op, w->clear_sym)))
    return op_fail(op, SPATE_EINVAL, "window clear function '%s' not found", w->clear_sym);
  if (w->kind == SPATE_WINDOW_GLOBAL) {
    w->max_wins = 1;
    if (!(w->wins = sp_malloc(sizeof *w->wins))) return op_fail(op, SPATE_ENOMEM, "out of memory");
  }
  if (w->kind == SPATE_WINDOW_TUMBLING || w->kind == SPATE_WINDOW_SLIDING) {
    int64_t step = w->kind == SPATE_WINDOW_TUMBLING ? w->size : w->slide;
    int64_t n = w->size / step + (w->size % step != 0);
    if (n > 1000000)
      return op_fail(op, SPATE_EINVAL,
                     "a sliding window of %lld ms by %lld ms puts each element "
                     "into %lld windows (at most 1000000)",
                     (long long)w->size, (long long)step, (long long)n);
    w->max_wins = (int)n;
    if (!(w->wins = sp_malloc((size_t)n * sizeof *w->wins)))
      return op_fail(op, SPATE_ENOMEM, "out of memory");
    /* Panes of gcd(size, step) when firing a window reads at most 4x as many panes as the
     * per-window layout writes windows per element (always, when the slide divides the size). */
    int64_t g = w->size, h = step;
    while (h) {
      int64_t m = g % h;
      g = h;
      h = m;
    }
    w->step = step;
    bool mergeable = w->fn == WINDOW_FN_REDUCE || (agg && w->agg.merge);
    if (mergeable && !w->generic && !w->arrival_order && w->size / g <= 4 * n) {
      w->panes = true;
      w->pane = g;
    }
  }
  w->evicting = w->kind == SPATE_WINDOW_COUNT && w->slide > 0;
  const spate_schema *ks = op->node->key.key_schema;
  if (!ks || ks->nfields > 64) return op_fail(op, SPATE_ECORRUPT, "bad key schema");
  for (int i = 0; i < ks->nfields; i++) w->key_fields[i] = i;
  w->max_parallelism = op->node->max_parallelism;
  ks_key_group_range range =
      ks_key_group_range_for(w->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
  rc = rb_init(&w->key_rb, ks);
  if (rc == 0) rc = rb_init(&w->ahead_rb, ks);
  if (rc == 0) rc = ks_backend_new(w->max_parallelism, range, NULL, NULL, &w->backend);
  if (rc == 0) rc = tq_new(w->max_parallelism, range, &w->event_timers);
  if (rc == 0) rc = tq_new(w->max_parallelism, range, &w->proc_timers);
  if (rc == 0 && w->fn == WINDOW_FN_REDUCE) rc = rb_init(&w->fold_rb[0], op->in_schema);
  if (rc == 0 && w->fn == WINDOW_FN_REDUCE) rc = rb_init(&w->fold_rb[1], op->in_schema);
  if (rc == 0 && agg) rc = rb_init(&w->acc_rb[0], w->acc_schema);
  if (rc == 0 && agg) rc = rb_init(&w->acc_rb[1], w->acc_schema);
  if (rc == 0 && agg) rc = rb_init(&w->res_rb, w->res_schema);
  if (rc == 0 && !(w->kctx = proc_ctx_new(op, w->backend))) rc = SPATE_ENOMEM;
  if (rc < 0) return op_fail(op, rc, "cannot set up window state: %s", spate_strerror(rc));
  w->kctx->ns_scoped = true; /* the backend's namespace is the operator's (see state_api.c) */
  w->kctx->hide_key = w->window_all;
  w->kctx->merging_windows = w->kind == SPATE_WINDOW_SESSION;
  op->ctx.keyed = w->kctx; /* spate_ctx_current_key, spate_ctx_state & co find it */
  if (w->evk &&
      (rc = new_schema(w, "ts BIGINT NOT NULL, element BYTES NOT NULL", &w->ev_schema)) < 0)
    return rc;
  if (w->evk && (rc = rb_init(&w->ev_rb, w->ev_schema)) < 0)
    return op_fail(op, rc, "out of memory");
  bool list = contents_are_list(w) || w->evk;
  ks_descriptor d = {.name = "window-contents",
                     .kind = list  ? KS_LIST
                             : agg ? KS_VALUE
                                   : KS_REDUCING,
                     .value_schema = w->evk         ? w->ev_schema
                                     : agg && !list ? w->acc_schema
                                                    : op->in_schema,
                     .reduce = list || agg ? NULL : reduce_adapter,
                     .fn_arg = op};
  if (ks_register(w->backend, &d, &w->contents) < 0)
    return op_fail(op, SPATE_ESTATE, "window state: %s", ks_error(w->backend));
  if (w->trig == SPATE_TRIGGER_COUNT || w->trig == SPATE_TRIGGER_CONTINUOUS_EVENT_TIME ||
      w->trig == SPATE_TRIGGER_CONTINUOUS_PROCESSING_TIME) {
    if ((rc = new_schema(w, "v BIGINT NOT NULL", &w->trig_schema)) < 0) return rc;
    if ((rc = rb_init(&w->trig_rb, w->trig_schema)) < 0) return op_fail(op, rc, "out of memory");
    ks_descriptor t = {.name = "window-trigger", .kind = KS_VALUE, .value_schema = w->trig_schema};
    if (ks_register(w->backend, &t, &w->trig_n) < 0)
      return op_fail(op, SPATE_ESTATE, "window state: %s", ks_error(w->backend));
  }
  if (w->trig == SPATE_TRIGGER_DELTA) {
    ks_descriptor t = {
        .name = "window-trigger-last", .kind = KS_VALUE, .value_schema = op->in_schema};
    if (ks_register(w->backend, &t, &w->trig_last) < 0)
      return op_fail(op, SPATE_ESTATE, "window state: %s", ks_error(w->backend));
  }
  if (w->kind == SPATE_WINDOW_COUNT) {
    if ((rc = new_schema(w, "n BIGINT NOT NULL", &w->count_schema)) < 0) return rc;
    if ((rc = rb_init(&w->aux_rb, w->count_schema)) < 0) return op_fail(op, rc, "out of memory");
    ks_descriptor a = {.name = "window-count", .kind = KS_VALUE, .value_schema = w->count_schema};
    if (ks_register(w->backend, &a, &w->count) < 0)
      return op_fail(op, SPATE_ESTATE, "window state: %s", ks_error(w->backend));
  }
  if (w->kind == SPATE_WINDOW_SESSION &&
      (rc = mws_open(&w->sessions, w->backend, "window-sessions")) < 0)
    return sessions_failed(w, rc);
  return 0;
}

static void win_close(op_t *op) {
  win_op *w = op->impl;
  if (!w) return;
  op->ctx.keyed = NULL;
  proc_ctx_free(w->kctx);
  sp_free(w->clear_sym);
  sp_free(w->pw_buf);
  sp_free(w->pw_rows);
  if (w->backend) ks_backend_free(w->backend);
  if (w->event_timers) tq_free(w->event_timers);
  if (w->proc_timers) tq_free(w->proc_timers);
  if (w->key_rb.schema) rb_destroy(&w->key_rb);
  if (w->ahead_rb.schema) rb_destroy(&w->ahead_rb);
  if (w->aux_rb.schema) rb_destroy(&w->aux_rb);
  for (int i = 0; i < 2; i++)
    if (w->fold_rb[i].schema) rb_destroy(&w->fold_rb[i]);
  if (w->count_schema) spate_schema_free(w->count_schema);
  mws_close(&w->sessions);
  if (w->trig_rb.schema) rb_destroy(&w->trig_rb);
  if (w->ev_rb.schema) rb_destroy(&w->ev_rb);
  if (w->trig_schema) spate_schema_free(w->trig_schema);
  if (w->ev_schema) spate_schema_free(w->ev_schema);
  sp_free(w->trig_delta_sym);
  sp_free(w->ev_delta_sym);
  for (int i = 0; i < 11; i++) sp_free(w->sym[i]);
  for (int i = 0; i < 2; i++)
    if (w->acc_rb[i].schema) rb_destroy(&w->acc_rb[i]);
  if (w->res_rb.schema) rb_destroy(&w->res_rb);
  if (w->acc_schema) spate_schema_free(w->acc_schema);
  if (w->res_schema) spate_schema_free(w->res_schema);
  sp_free(w->inner);
  sp_free(w->tss);
  sp_free(w->late_tag);
  sp_free(w->wins);
  sp_free(w->buf);
  sp_free(w->srows);
  sp_free(w->rows);
  sp_free(w);
  op->impl = NULL;
}

/* ---- checkpoints ------------------------------------------------------------------------------ */
/* A key group's section is its keyed state (ks_write_key_group), then its event-time timers,
 * then its processing-time timers (tq_write_key_group); groups with none of them are left out
 * (their three counts are the only 12 bytes an empty group encodes to). Nothing else is state:
 * the watermark starts over at INT64_MIN after a restore, as in Flink (a restored window fires
 * when a new watermark passes it), proc_scheduled describes this process's task timer, and the
 * scratch areas hold nothing between calls. */

static int win_snapshot(op_t *op, int64_t id, snap_writer *sw) {
  win_op *w = op->impl;
  timer_queue *tqs[2] = {w->event_timers, w->proc_timers};
  return keyed_snapshot_take(op, id, w->backend, tqs, 2, sw);
}

/* Reads the sections of the key groups this subtask gets (any old subtask may have written
 * them), then sets the task timer for the earliest processing-time timer restored: a timer due
 * while the job was down fires at the first tick. */
static int win_restore(op_t *op, const snap_restore *r) {
  win_op *w = op->impl;
  ks_key_group_range range = ks_backend_range(w->backend);
  if (r->max_parallelism != w->max_parallelism || r->range.first != range.first ||
      r->range.last != range.last)
    return op_fail(op, SPATE_ESTATE,
                   "restore: the state is for key groups [%d, %d] of %d, this subtask owns "
                   "[%d, %d] of %d",
                   r->range.first, r->range.last, r->max_parallelism, range.first, range.last,
                   w->max_parallelism);
  for (int i = 0; i < r->nkg; i++) {
    const snap_kg_view *v = &r->kgs[i];
    sp_reader rd;
    sp_reader_init(&rd, v->data, v->len);
    int rc = ks_read_key_group(w->backend, v->kg, &rd);
    if (rc < 0) return op_fail(op, rc, "restore: %s", ks_error(w->backend));
    if ((rc = tq_read_key_group(w->event_timers, v->kg, &rd)) < 0 ||
        (rc = tq_read_key_group(w->proc_timers, v->kg, &rd)) < 0)
      return op_fail(op, rc, "restore: timers of key group %d: %s", v->kg,
                     sp_reader_ok(&rd) ? spate_strerror(rc) : rd.error);
    if (rd.pos != rd.len)
      return op_fail(op, SPATE_ECORRUPT,
                     "restore: key group %d has %zu unexpected bytes at "
                     "offset %zu",
                     v->kg, rd.len - rd.pos, rd.pos);
  }
  return schedule_proc(w);
}

/* op_vtable.prefetch (win_prefetch, window_assigners.c). */
static bool win_prefetch_op(op_t *op, int input, int64_t ts, const spate_row *row, int key_group) {
  (void)input;
  win_op *w = op->impl;
  return w && win_prefetch(w, ts, row, key_group);
}

const op_vtable op_window_vt = {.open = win_open,
                                .process = win_process,
                                .prefetch = win_prefetch_op,
                                .watermark = win_watermark,
                                .close = win_close,
                                .snapshot = win_snapshot,
                                .restore = win_restore};
