/*
 * state_api.c: the public keyed-state and timer functions of process functions (spate.h:
 * spate_ctx_state, spate_value_get, spate_map_put, spate_ctx_register_event_timer, ...).
 * They act on the process operator whose context they are given (operators/process_operator.h,
 * found through spate_ctx.keyed): keyed state on its backend under the current key, broadcast
 * state on its broadcast backend, timers in its timer queues. Each call checks that a key is
 * current and the state is of the kind it needs, and turns failures into the context's error,
 * which the calling UDF returns and the job fails with.
 *
 * The same calls work in every function on a keyed stream: keyed map, flat map and filter run
 * in the process operator (process_operator.c), and window functions, triggers and keyed reduce
 * run with a keyed context of their operator (proc_ctx_new). In a window operator's context the
 * backend's namespace is the operator's, so each state call sets its state's namespace (the
 * default one for keyed state, the window for per-window state, spate_ctx_window_state) and
 * puts the operator's back before it returns.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "operators/process_operator.h"

static int need_key(spate_ctx *ctx, proc_op *p, const char *api) {
  if (!p || !p->keyed)
    return spate_ctx_fail(ctx, "%s: keyed state and timers need a keyed stream (spate_key_by)",
                          api);
  if (p->lazy_row) { /* a keyed map, flat map or filter: its key on first use */
    int rc = proc_key_needed(p);
    if (rc < 0) return rc;
  }
  if (!p->has_key) return spate_ctx_fail(ctx, "%s: there is no current key here", api);
  return 0;
}

static int reduce_adapter(void *arg, const spate_row *acc, const spate_row *in,
                          spate_row_builder *out) {
  spate_state *s = arg;
  return s->reduce(&s->p->op->ctx, acc, in, out);
}

static spate_state *declare(spate_ctx *ctx, const spate_state_desc *d, bool broadcast,
                            bool windowed);

static int agg_create_adapter(void *arg, spate_row_builder *out) {
  spate_state *s = arg;
  return s->agg.create(&s->p->op->ctx, out);
}
static int agg_add_adapter(void *arg, const spate_row *acc, const spate_row *in,
                           spate_row_builder *out) {
  spate_state *s = arg;
  return s->agg.add(&s->p->op->ctx, acc, in, out);
}
static int agg_result_adapter(void *arg, const spate_row *acc, spate_row_builder *out) {
  spate_state *s = arg;
  return s->agg.result(&s->p->op->ctx, acc, out);
}

spate_state *spate_ctx_state(spate_ctx *ctx, const spate_state_desc *d) {
  return declare(ctx, d, false, false);
}

spate_state *spate_ctx_broadcast_state(spate_ctx *ctx, const spate_state_desc *d) {
  return declare(ctx, d, true, false);
}

spate_state *spate_ctx_window_state(spate_ctx *ctx, const spate_state_desc *d) {
  proc_op *p = keyed_of(ctx);
  if (!p || !p->ns_scoped) {
    spate_ctx_fail(ctx,
                   "spate_ctx_window_state: per-window state exists only in window "
                   "functions (spate_window_process & co)");
    return NULL;
  }
  if (p->merging_windows) { /* Flink: "Per-window state is not allowed when using merging
                               windows." */
    spate_ctx_fail(ctx,
                   "spate_ctx_window_state: per-window state is not allowed with merging "
                   "(session) windows");
    return NULL;
  }
  return declare(ctx, d, false, true);
}

static spate_state *declare(spate_ctx *ctx, const spate_state_desc *d, bool broadcast,
                            bool windowed) {
  proc_op *p = keyed_of(ctx);
  if (broadcast && (!p || !p->broadcast)) {
    spate_ctx_fail(ctx, "spate_ctx_broadcast_state: broadcast state needs spate_connect_broadcast");
    return NULL;
  }
  if (broadcast && (!d || d->kind != SPATE_STATE_MAP)) {
    spate_ctx_fail(ctx, "spate_ctx_broadcast_state: broadcast state is a MAP state");
    return NULL;
  }
  if (!broadcast && (!p || !p->keyed)) {
    spate_ctx_fail(ctx, "spate_ctx_state: keyed state needs a keyed stream (spate_key_by)");
    return NULL;
  }
  if (!d || !d->name || !d->schema || (d->kind == SPATE_STATE_MAP && !d->key_schema) ||
      (d->kind == SPATE_STATE_REDUCING && !d->reduce) ||
      (d->kind == SPATE_STATE_AGGREGATING &&
       (!d->aggregate || !d->aggregate->create || !d->aggregate->add || !d->aggregate->result ||
        !d->acc_schema || !d->result_schema)) ||
      d->kind < SPATE_STATE_VALUE || d->kind > SPATE_STATE_AGGREGATING) {
    spate_ctx_fail(ctx, "spate_ctx_state: incomplete descriptor for state '%s'",
                   d && d->name ? d->name : "(unnamed)");
    return NULL;
  }
  for (int i = 0; i < p->nstates; i++)
    if (p->states[i]->broadcast == broadcast && p->states[i]->windowed == windowed &&
        strcmp(ks_state_name(p->states[i]->ks), d->name) == 0)
      return p->states[i];
  spate_state *s = sp_calloc(1, sizeof *s);
  spate_state **n = s ? sp_realloc(p->states, sizeof *n * (size_t)(p->nstates + 1)) : NULL;
  if (!n) {
    sp_free(s);
    spate_ctx_fail(ctx, "out of memory");
    return NULL;
  }
  p->states = n;
  s->p = p;
  s->broadcast = broadcast;
  s->windowed = windowed;
  s->kind = d->kind;
  s->reduce = d->reduce;
  if (d->aggregate) s->agg = *d->aggregate;
  static const ks_kind kinds[] = {0, KS_VALUE, KS_LIST, KS_MAP, KS_REDUCING, KS_AGGREGATING};
  ks_descriptor kd = {
      .name = d->name,
      .kind = kinds[d->kind],
      .value_schema = d->schema,
      .user_key_schema = d->key_schema,
      .reduce = d->reduce ? reduce_adapter : NULL,
      .acc_schema = d->acc_schema,
      .result_schema = d->result_schema,
      .agg_create = d->kind == SPATE_STATE_AGGREGATING ? agg_create_adapter : NULL,
      .agg_add = d->kind == SPATE_STATE_AGGREGATING ? agg_add_adapter : NULL,
      .agg_result = d->kind == SPATE_STATE_AGGREGATING ? agg_result_adapter : NULL,
      .fn_arg = s,
      .ttl = {.update = (ks_ttl_update)d->ttl_update,
              .ttl_ms = d->ttl_ms,
              .visibility = (ks_ttl_visibility)d->ttl_visibility,
              .cleanup_full_snapshot = d->ttl_update != SPATE_TTL_DISABLED},
  };
  ks_backend *b = broadcast ? p->bstate : p->backend;
  if (ks_register(b, &kd, &s->ks) < 0) {
    spate_ctx_fail(ctx, "state '%s': %s", d->name, ks_error(b));
    sp_free(s);
    return NULL;
  }
  p->states[p->nstates++] = s;
  return s;
}

const spate_row *spate_ctx_current_key(const spate_ctx *ctx) {
  proc_op *p = keyed_of(ctx);
  if (p && p->lazy_row && proc_key_needed(p) < 0) return NULL;
  return p && p->keyed && p->has_key && !p->hide_key ? &p->key : NULL;
}

int64_t spate_ctx_processing_time(const spate_ctx *ctx) { return sp_clock_now(ctx->clock); }

static int timer_call(spate_ctx *ctx, int64_t ts, bool event, bool del, const char *api) {
  proc_op *p = keyed_of(ctx);
  int rc = need_key(ctx, p, api);
  if (rc < 0) return rc;
  if (!p->on_timer && (p->wrapped || p->borrowed))
    return spate_ctx_fail(ctx,
                          "%s: timers need a process function (spate_process on a keyed "
                          "stream) with a timer function",
                          api);
  if (!p->on_timer)
    return spate_ctx_fail(ctx, "%s: the process function has no timer function", api);
  timer_queue *q = event ? p->event_timers : p->proc_timers;
  rc = del ? tq_delete(q, p->key_group, ts, p->key.data, p->key.len, NULL, 0)
           : tq_register(q, p->key_group, ts, p->key.data, p->key.len, NULL, 0);
  if (rc < 0) return spate_ctx_fail(ctx, "%s: %s", api, spate_strerror(rc));
  return event || del ? 0 : proc_schedule_timers(p);
}

int spate_ctx_register_event_timer(spate_ctx *ctx, int64_t ts) {
  return timer_call(ctx, ts, true, false, "spate_ctx_register_event_timer");
}
int spate_ctx_register_processing_timer(spate_ctx *ctx, int64_t ts) {
  return timer_call(ctx, ts, false, false, "spate_ctx_register_processing_timer");
}
int spate_ctx_delete_event_timer(spate_ctx *ctx, int64_t ts) {
  return timer_call(ctx, ts, true, true, "spate_ctx_delete_event_timer");
}
int spate_ctx_delete_processing_timer(spate_ctx *ctx, int64_t ts) {
  return timer_call(ctx, ts, false, true, "spate_ctx_delete_processing_timer");
}

/* In a window operator's context: saves the operator's namespace and sets the state's (see the
 * file comment); scope_leave puts the operator's back. Elsewhere nothing. */
static int scope_enter(spate_state *s) {
  proc_op *p = s->p;
  if (!p->ns_scoped) return 0;
  const uint8_t *ns;
  uint32_t len;
  ks_get_namespace(p->backend, &ns, &len);
  if (len > sizeof p->saved_ns)
    return spate_ctx_fail(&p->op->ctx, "state '%s': the operator's namespace is too long",
                          ks_state_name(s->ks));
  if (len) memcpy(p->saved_ns, ns, len);
  p->saved_ns_len = len;
  uint8_t wns[16];
  if (s->windowed) win_namespace(p->window, wns);
  int rc = ks_set_namespace(p->backend, s->windowed ? wns : NULL, s->windowed ? 16 : 0);
  return rc < 0 ? spate_ctx_fail(&p->op->ctx, "state '%s': %s", ks_state_name(s->ks),
                                 ks_error(p->backend))
                : 0;
}

static void scope_leave(spate_state *s) {
  proc_op *p = s->p;
  if (p->ns_scoped) /* the bytes were set before: setting them again cannot fail */
    (void)ks_set_namespace(p->backend, p->saved_ns_len ? p->saved_ns : NULL, p->saved_ns_len);
}

/* Checks the state is usable now (a key is current) and of the kind the call needs. */
static int usable_rw(spate_state *s, spate_state_kind kind, const char *api, bool write) {
  if (!s) return SPATE_EINVAL;
  spate_ctx *ctx = &s->p->op->ctx;
  if (s->broadcast) { /* readable anywhere, writable only by the broadcast side */
    if (write && !s->p->in_broadcast_fn)
      return spate_ctx_fail(ctx,
                            "%s: broadcast state '%s' is read-only outside the broadcast "
                            "side's function",
                            api, ks_state_name(s->ks));
    return kind && s->kind != kind ? spate_ctx_fail(ctx, "%s: state '%s' is not of that kind", api,
                                                    ks_state_name(s->ks))
                                   : 0;
  }
  if (s->p->lazy_row) { /* a keyed map, flat map or filter: its key on first use */
    int rc = proc_key_needed(s->p);
    if (rc < 0) return rc;
  }
  if (!s->p->has_key) return spate_ctx_fail(ctx, "%s: there is no current key here", api);
  if (kind && s->kind != kind)
    return spate_ctx_fail(ctx, "%s: state '%s' is not of that kind", api, ks_state_name(s->ks));
  if (s->windowed && !s->p->window)
    return spate_ctx_fail(ctx, "%s: window state '%s' is usable only while a window function runs",
                          api, ks_state_name(s->ks));
  return scope_enter(s);
}

static int usable(spate_state *s, spate_state_kind kind, const char *api) {
  return usable_rw(s, kind, api, false);
}
static int writable(spate_state *s, spate_state_kind kind, const char *api) {
  return usable_rw(s, kind, api, true);
}

/* Turns a backend error into a context error (a UDF returns it and the job fails with it). */
static int checked(spate_state *s, int rc) {
  if (!s->broadcast) scope_leave(s);
  if (rc >= 0) return rc;
  return spate_ctx_fail(&s->p->op->ctx, "state '%s': %s", ks_state_name(s->ks),
                        ks_error(s->broadcast ? s->p->bstate : s->p->backend));
}

int spate_state_clear(spate_state *s) {
  int rc = writable(s, 0, "spate_state_clear");
  return rc < 0 ? rc : checked(s, ks_clear(s->ks));
}
int spate_value_get(spate_state *s, spate_row *out) {
  int rc = usable(s, SPATE_STATE_VALUE, "spate_value_get");
  return rc < 0 ? rc : checked(s, ks_value_get(s->ks, out));
}
int spate_value_update(spate_state *s, const spate_row *v) {
  int rc = writable(s, SPATE_STATE_VALUE, "spate_value_update");
  return rc < 0 ? rc : checked(s, ks_value_update(s->ks, v));
}
int spate_list_add(spate_state *s, const spate_row *v) {
  int rc = writable(s, SPATE_STATE_LIST, "spate_list_add");
  return rc < 0 ? rc : checked(s, ks_list_add(s->ks, v));
}
int spate_list_iter(spate_state *s, spate_state_iter *it) {
  _Static_assert(sizeof(ks_list_iter) <= sizeof(spate_state_iter) - 16, "iterator too large");
  int rc = usable(s, SPATE_STATE_LIST, "spate_list_iter");
  if (rc == 0) state_iter_tag(it, s);
  return rc < 0 ? rc : checked(s, ks_list_get(s->ks, (ks_list_iter *)(void *)it));
}
bool spate_list_next(spate_state_iter *it, spate_row *out) {
  return ks_list_next((ks_list_iter *)(void *)it, out);
}
int spate_map_get(spate_state *s, const spate_row *k, spate_row *out) {
  int rc = usable(s, SPATE_STATE_MAP, "spate_map_get");
  return rc < 0 ? rc : checked(s, ks_map_get(s->ks, k, out));
}
int spate_map_put(spate_state *s, const spate_row *k, const spate_row *v) {
  int rc = writable(s, SPATE_STATE_MAP, "spate_map_put");
  return rc < 0 ? rc : checked(s, ks_map_put(s->ks, k, v));
}
int spate_map_remove(spate_state *s, const spate_row *k) {
  int rc = writable(s, SPATE_STATE_MAP, "spate_map_remove");
  return rc < 0 ? rc : checked(s, ks_map_remove(s->ks, k));
}
int spate_map_contains(spate_state *s, const spate_row *k) {
  int rc = usable(s, SPATE_STATE_MAP, "spate_map_contains");
  return rc < 0 ? rc : checked(s, ks_map_contains(s->ks, k));
}
int spate_map_iter(spate_state *s, spate_state_iter *it) {
  _Static_assert(sizeof(ks_map_iter) <= sizeof(spate_state_iter) - 16, "iterator too large");
  int rc = usable(s, SPATE_STATE_MAP, "spate_map_iter");
  if (rc == 0) state_iter_tag(it, s);
  return rc < 0 ? rc : checked(s, ks_map_iter_begin(s->ks, (ks_map_iter *)(void *)it));
}
bool spate_map_next(spate_state_iter *it, spate_row *k, spate_row *v) {
  return ks_map_next((ks_map_iter *)(void *)it, k, v);
}
int spate_reducing_add(spate_state *s, const spate_row *v) {
  int rc = writable(s, SPATE_STATE_REDUCING, "spate_reducing_add");
  return rc < 0 ? rc : checked(s, ks_reducing_add(s->ks, v));
}
int spate_aggregating_add(spate_state *s, const spate_row *v) {
  int rc = writable(s, SPATE_STATE_AGGREGATING, "spate_aggregating_add");
  return rc < 0 ? rc : checked(s, ks_aggregating_add(s->ks, v));
}
int spate_aggregating_get(spate_state *s, spate_row *out) {
  int rc = usable(s, SPATE_STATE_AGGREGATING, "spate_aggregating_get");
  return rc < 0 ? rc : checked(s, ks_aggregating_get(s->ks, out));
}
int spate_reducing_get(spate_state *s, spate_row *out) {
  int rc = usable(s, SPATE_STATE_REDUCING, "spate_reducing_get");
  return rc < 0 ? rc : checked(s, ks_reducing_get(s->ks, out));
}
