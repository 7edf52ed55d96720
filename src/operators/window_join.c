/*
 * window_join.c: Flink's window join and window coGroup. Over tumbling or sliding event-time
 * windows each element goes into the list state of its side under every window it belongs to (the
 * window [start, end) encoded as 16 bytes is the namespace), with an event-time timer at end - 1
 * under the same namespace. When that timer fires, every (left, right) pair of the window is joined
 * (or coGroup gets both lists at once), then both lists go. Session windows merge per key as the
 * window operator's do (see "session windows" below).
 *
 * It runs as a keyed co-process function of the process operator (process_operator.h) and
 * keeps both sides in that operator's keyed state through the public state API.
 */
#include "operators/process_operator.h"

#include "base/alloc.h"
#include "operators/window_elements.h"

/* The window join's states: list states, one per side, under the window as namespace, and for
 * session windows the key's open sessions. */
int window_join_setup(proc_op *p) {
  op_t *op = p->op;
  for (int side = 0; side < 2; side++) {
    spate_state_desc d = {.name = side ? "window-join-right" : "window-join-left",
                          .kind = SPATE_STATE_LIST,
                          .schema = sg_edge_schema(op->nodes, &op->node->inputs[side])};
    if (!(p->buf[side] = spate_ctx_state(&op->ctx, &d)))
      return op_fail(op, SPATE_ESTATE, "window join: %s", op->ctx.error);
  }
  if (p->wsession && mws_open(&p->sessions, p->backend, "window-join-sessions") < 0)
    return op_fail(op, SPATE_ESTATE, "window join: %s", mws_error(&p->sessions));
  return 0;
}

static int64_t floor_mod(int64_t x, int64_t m) { return ((x % m) + m) % m; }

/* ---- session windows for joins: the key's open sessions are a merging window set
 * (merging_window_set.h, as the window operator's): an element's window [ts, ts + gap) absorbs
 * every session it intersects (Flink's TimeWindow.intersects). Buffered elements live under the
 * session's state window, which stays when a session grows; only when sessions merge do the
 * other sessions' elements move to it. Timers are per window and move to the merged window. */

/* Moves one side's buffered elements from state window `from` to state window `to`. */
static int move_side(proc_op *p, int side, spate_time_window from, spate_time_window to) {
  uint8_t ns[16];
  win_namespace(&from, ns);
  int rc = ks_set_namespace(p->backend, ns, sizeof ns);
  spate_row *copies = NULL, r;
  size_t n = 0;
  spate_state_iter it;
  if (rc >= 0) rc = spate_list_iter(p->buf[side], &it);
  while (rc >= 0 && spate_list_next(&it, &r)) { /* copies: the views end with the next write */
    spate_row *g = sp_realloc(copies, sizeof *g * (n + 1));
    if (!g || spate_row_copy(&r, &g[n]) < 0) {
      copies = g ? g : copies;
      rc = SPATE_ENOMEM;
      break;
    }
    copies = g;
    n++;
  }
  if (rc >= 0) rc = spate_state_clear(p->buf[side]);
  win_namespace(&to, ns);
  if (rc >= 0) rc = ks_set_namespace(p->backend, ns, sizeof ns);
  for (size_t i = 0; rc >= 0 && i < n; i++) rc = spate_list_add(p->buf[side], &copies[i]);
  for (size_t i = 0; i < n; i++) spate_row_free(&copies[i]);
  sp_free(copies);
  return rc;
}

/* The merge function of the key's sessions (mws_merge_fn): a merged window that is late already
 * is refused (the element is dropped, as Flink drops it); otherwise each session it absorbs
 * loses its timer, and the other state windows' buffered elements move to the kept one. */
static int merge_sessions(void *arg, spate_time_window m, const spate_time_window *merged, size_t n,
                          spate_time_window state, const spate_time_window *mstates,
                          size_t nstates) {
  proc_op *p = arg;
  if (m.end - 1 <= p->op->ctx.watermark) return 1; /* Flink: the merged window is late: drop */
  int rc = 0;
  for (size_t i = 0; rc >= 0 && i < nstates; i++)
    for (int sd = 0; rc >= 0 && sd < 2; sd++) rc = move_side(p, sd, mstates[i], state);
  for (size_t i = 0; rc >= 0 && i < n; i++) {
    if (merged[i].start == m.start && merged[i].end == m.end) continue; /* already the merged one */
    uint8_t ns[16];
    win_namespace(&merged[i], ns);
    if (rc >= 0)
      rc = tq_delete(p->event_timers, p->key_group, merged[i].end - 1, p->key.data, p->key.len, ns,
                     sizeof ns);
  }
  return rc < 0 ? rc : 0;
}

static int sessions_failed(spate_ctx *ctx, proc_op *p) {
  return spate_ctx_fail(ctx, "window join: %s", mws_error(&p->sessions));
}

static int wj_session_element(spate_ctx *ctx, proc_op *p, int side, const spate_row *in,
                              int64_t ts) {
  /* the set holds non-empty windows only; Spate's windows end at INT64_MAX at the latest */
  if (ts == INT64_MAX)
    return spate_ctx_fail(ctx,
                          "window join: the record's timestamp is %lld, the largest there "
                          "is: no session window [ts, ts + gap) fits after it",
                          (long long)ts);
  spate_time_window x = {ts, sat_add(ts, p->wsize)}, m, state;
  mws_outcome how;
  int rc = mws_load(&p->sessions, p->key_group);
  if (rc < 0) return sessions_failed(ctx, p);
  rc = mws_add(&p->sessions, x, merge_sessions, p, &m, &state, &how);
  if (rc < 0) return mws_error(&p->sessions)[0] ? sessions_failed(ctx, p) : rc;
  if (rc > 0 || m.end - 1 <= ctx->watermark) { /* Flink: the (merged) window is late: drop */
    if (rc == 0 && how == MWS_ADDED) mws_remove(&p->sessions, m); /* it never existed */
    sw_inc(&p->op->late_records_dropped);
    return ks_set_namespace(p->backend, NULL, 0);
  }
  if ((rc = mws_store(&p->sessions)) < 0) return sessions_failed(ctx, p);
  uint8_t ns[16];
  win_namespace(&state, ns);
  rc = ks_set_namespace(p->backend, ns, sizeof ns);
  if (rc >= 0) rc = spate_list_add(p->buf[side], in);
  win_namespace(&m, ns);
  if (rc >= 0)
    rc = tq_register(p->event_timers, p->key_group, m.end - 1, p->key.data, p->key.len, ns,
                     sizeof ns);
  int r2 = ks_set_namespace(p->backend, NULL, 0);
  return rc < 0 ? rc : r2;
}

/* After a session fires: it leaves the key's open sessions; *state receives the state window
 * its elements are under (w itself if the set does not hold it). */
static int forget_session(spate_ctx *ctx, proc_op *p, spate_time_window w,
                          spate_time_window *state) {
  if (mws_load(&p->sessions, p->key_group) < 0) return sessions_failed(ctx, p);
  if (!mws_state_window(&p->sessions, w, state)) *state = w;
  mws_remove(&p->sessions, w);
  return mws_store(&p->sessions) < 0 ? sessions_failed(ctx, p) : 0;
}

static int wj_element(spate_ctx *ctx, int side, const spate_row *in) {
  proc_op *p = keyed_of(ctx);
  int64_t ts = ctx->ts, wm = ctx->watermark;
  if (ts == INT64_MIN)
    return spate_ctx_fail(ctx,
                          "window join: the record has no timestamp (assign event time "
                          "before joining)");
  if (p->wsession) return wj_session_element(ctx, p, side, in, ts);
  int64_t last = sat_sub(ts, floor_mod(sat_sub(ts, p->woffset), p->wslide));
  int rc = 0;
  bool added = false;
  int64_t first = sat_sub(ts, p->wsize);
  for (int64_t start = last; rc >= 0 && start > first;) {
    int64_t end = sat_add(start, p->wsize);
    if (end - 1 <= wm) { /* the window has fired already: late, dropped */
      if (__builtin_sub_overflow(start, p->wslide, &start)) break;
      continue;
    }
    added = true;
    uint8_t ns[16];
    win_namespace(&(spate_time_window){start, end}, ns);
    rc = ks_set_namespace(p->backend, ns, sizeof ns);
    if (rc >= 0) rc = spate_list_add(p->buf[side], in);
    if (rc >= 0)
      rc = tq_register(p->event_timers, p->key_group, end - 1, p->key.data, p->key.len, ns,
                       sizeof ns);
    if (__builtin_sub_overflow(start, p->wslide, &start)) break;
  }
  /* in no window and behind the watermark: Flink's WindowOperator counts it as dropped */
  if (!added && ts <= wm) sw_inc(&p->op->late_records_dropped);
  int r2 = ks_set_namespace(p->backend, NULL, 0);
  return rc < 0 ? rc : r2;
}

int window_join_left(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return wj_element(ctx, 0, in);
}
int window_join_right(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return wj_element(ctx, 1, in);
}

int window_join_fire(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  proc_op *p = keyed_of(ctx);
  if (p->timer_ns_len != 16) return spate_ctx_fail(ctx, "window join: bad timer namespace");
  spate_time_window w = win_of_namespace(p->timer_ns);
  spate_time_window state = w;
  int rc = p->wsession ? forget_session(ctx, p, w, &state) : 0;
  uint8_t ns[16];
  win_namespace(&state, ns);
  if (rc >= 0) rc = ks_set_namespace(p->backend, ns, sizeof ns);
  if (rc >= 0 && p->cogroup) { /* both sides at once, either may be empty */
    spate_window_elements le = {0}, re = {0};
    if ((rc = ks_list_get(p->buf[0]->ks, &le.it)) >= 0 &&
        (rc = ks_list_get(p->buf[1]->ks, &re.it)) >= 0)
      rc = p->cogroup(ctx, &w, &le, &re, out);
    if (rc >= 0) rc = spate_state_clear(p->buf[0]);
    if (rc >= 0) rc = spate_state_clear(p->buf[1]);
    return rc;
  }
  /* Reading the right list while holding views of the left one is safe: reads of states
   * without TTL do not move stored rows. */
  spate_state_iter li, ri;
  spate_row l, r;
  if (rc >= 0) rc = spate_list_iter(p->buf[0], &li);
  while (rc >= 0 && spate_list_next(&li, &l)) {
    rc = spate_list_iter(p->buf[1], &ri);
    while (rc >= 0 && spate_list_next(&ri, &r)) {
      spate_row_builder *b = spate_collect_begin(out);
      rc = p->join(ctx, &l, &r, b);
      if (rc >= 0) rc = spate_collect_emit(out);
    }
  }
  if (rc >= 0) rc = spate_state_clear(p->buf[0]);
  if (rc >= 0) rc = spate_state_clear(p->buf[1]);
  return rc;
}
