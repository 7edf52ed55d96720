/*
 * process_operator.c: Flink's (Keyed)ProcessFunction. On a keyed stream the operator owns a
 * keyed-state backend and two timer queues (event and processing time) for its key-group range:
 *
 *  - for each record it builds the key row, derives the key group exactly as the partitioner
 *    did (Java-compatible hash, Flink's murmur), makes that key current and calls the function;
 *  - a watermark first fires every event-time timer at or below it (in timestamp order, with
 *    the timer's key current and its timestamp on the output), then goes downstream;
 *  - processing-time timers are driven by one task timer set for the earliest of them;
 *  - the public state and timer functions (spate_ctx_state, spate_value_get, ...; in
 *    api/state_api.c) act on the current key of the operator whose context they are given.
 * Processing-time timers still pending at the end of input are dropped, as Flink does for
 * bounded input. Checkpoints write the keyed state and timers per key group, broadcast state
 * as a broadcast list (see "checkpoints" below).
 *
 * On a keyed stream the operator also runs map, flat map and filter (Flink's rich functions
 * after keyBy: keyed state, the current key, no timers): their operators hand themselves over
 * to it in open (transform_operators.c, with the vtable of their kind), and the user function
 * of that kind is called here.
 *
 * The same operator runs (Keyed)CoProcessFunctions with one function per input, broadcast
 * state (Keyed/BroadcastProcessFunction), and the interval join (interval_join.c) and window
 * join (window_join.c) as keyed co-process functions of its own. Its files share proc_op
 * (process_operator.h).
 */
#include "operators/process_operator.h"

#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "graph/op_params.h"
#include "operators/keyed_snapshot.h"
#include "operators/registry.h"
#include "types/row.h"

/* The keyed-state backends' TTL clock: the task's processing time. */
static int64_t ttl_clock(void *arg) { return op_now(arg); }

/* Finds the timer function named `timer` (NULL: none) like every UDF: by name in the job's
 * object. */
static int resolve_timer(proc_op *p, const char *timer) {
  op_t *op = p->op;
  if (timer && !(p->on_timer = (spate_timer_fn)op_resolve(op, timer)))
    return op_fail(op, SPATE_ENOENT, "timer function '%s' not found in %s", timer,
                   op->artifact ? op->artifact : "the program (link it with -rdynamic)");
  return 0;
}

/* The operator's parameters (graph/op_params.h, by kind) into p, checked: the timer function's
 * name (resolved here), the window join's windows and mode, the interval join's bounds, or the
 * name of a co-process function's second function. */
static int decode_params(proc_op *p) {
  op_t *op = p->op;
  const sg_node *n = op->node;
  char err[SP_ERRMSG_MAX];
  int rc = 0;
  if (n->kind == OP_WINDOW_JOIN) { /* also a keyed co-process of our own */
    op_window_join_params wp;
    if ((rc = op_window_join_params_load(n, &wp, err, sizeof err)) < 0)
      return op_fail(op, rc, "%s", err);
    uint8_t kind = wp.assigner, mode = wp.mode;
    p->wsize = wp.size;
    p->wslide = wp.slide;
    p->woffset = wp.offset;
    if ((kind != SPATE_WINDOW_TUMBLING && kind != SPATE_WINDOW_SLIDING &&
         kind != SPATE_WINDOW_SESSION) ||
        p->wsize <= 0 || p->wslide <= 0 || p->wslide > p->wsize || mode < 1 || mode > 2)
      return op_fail(op, SPATE_ECORRUPT, "window join parameters are corrupt");
    p->window_join = true;
    p->wsession = kind == SPATE_WINDOW_SESSION;
    p->join = (spate_join_fn)op->udf; /* window_join_setup runs when p->join is set */
    if (mode == 2) p->cogroup = (spate_cogroup_fn)op->udf;
    p->first = window_join_left;
    p->second = window_join_right;
    p->on_timer = window_join_fire;
  } else if (n->kind == OP_INTERVAL_JOIN) { /* the join runs as a keyed co-process of our own */
    op_interval_join_params ip;
    if ((rc = op_interval_join_params_load(n, &ip, err, sizeof err)) < 0)
      return op_fail(op, rc, "%s", err);
    p->lower = ip.lower;
    p->upper = ip.upper;
    if (p->lower > p->upper) return op_fail(op, SPATE_ECORRUPT, "interval join bounds are corrupt");
    p->join = (spate_join_fn)op->udf;
    p->first = interval_join_left;
    p->second = interval_join_right;
    p->on_timer = interval_join_cleanup;
  } else if (n->kind == OP_MAP || n->kind == OP_FLAT_MAP || n->kind == OP_FILTER) {
    p->wrapped = n->kind; /* no parameters; no timer function (rich functions have none) */
  } else if (n->kind == OP_CO_PROCESS) {
    op_co_process_params cp;
    if ((rc = op_co_process_params_load(n, &cp, err, sizeof err)) < 0)
      return op_fail(op, rc, "%s", err);
    rc = resolve_timer(p, cp.on_timer);
    if (rc == 0 && !(p->second = (spate_process_fn)op_resolve(op, cp.second)))
      rc = op_fail(op, SPATE_ENOENT, "function '%s' of the second input not found",
                   cp.second ? cp.second : "(none)");
    op_co_process_params_free(&cp);
  } else {
    op_process_params pp;
    if ((rc = op_process_params_load(n, &pp, err, sizeof err)) < 0)
      return op_fail(op, rc, "%s", err);
    rc = resolve_timer(p, pp.on_timer);
    op_process_params_free(&pp);
  }
  return rc;
}

static int proc_open(op_t *op) {
  proc_op *p = sp_calloc(1, sizeof *p);
  if (!p) return SPATE_ENOMEM;
  op->impl = p;
  p->op = op;
  p->proc_scheduled = INT64_MAX;
  int rc = decode_params(p);
  if (rc < 0) return rc;
  const sg_node *n = op->node;
  if (n->kind == OP_CO_PROCESS || n->kind == OP_INTERVAL_JOIN || n->kind == OP_WINDOW_JOIN) {
    p->broadcast = n->ninputs == 2 && n->inputs[1].part == PART_BROADCAST;
    p->keyed = n->ninputs == 2 && n->inputs[0].part == PART_HASH &&
               (n->inputs[1].part == PART_HASH || p->broadcast);
    for (int k = 0; p->keyed && k < (p->broadcast ? 1 : 2); k++) {
      p->keys[k] = &n->inputs[k].key;
      if (p->keys[k]->selector &&
          !(p->key_fns[k] = (spate_key_fn)op_resolve(op, p->keys[k]->selector)))
        return op_fail(op, SPATE_ENOENT, "key selector '%s' not found", p->keys[k]->selector);
    }
  } else {
    p->keyed = n->key.nfields > 0 || n->key.selector;
    p->keys[0] = &n->key;
    p->key_fns[0] = op->key_fn;
  }
  op->ctx.keyed = p; /* state and timer calls find the operator (and refuse when not keyed) */
  if (p->broadcast) {
    ks_key_group_range one = {0, 0};
    rc = ks_backend_new(1, one, ttl_clock, op, &p->bstate);
    if (rc == 0) rc = ks_set_current_key(p->bstate, "", 0, 0); /* the one key, always current */
    if (rc < 0) return op_fail(op, rc, "cannot set up broadcast state: %s", spate_strerror(rc));
  }
  if (!p->keyed) return 0;
  const spate_schema *ks = p->keys[0]->key_schema;
  if (!ks || ks->nfields > 64) return op_fail(op, SPATE_ECORRUPT, "bad key schema");
  for (int i = 0; i < ks->nfields; i++) p->key_fields[i] = i;
  p->max_parallelism = op->node->max_parallelism;
  ks_key_group_range range =
      ks_key_group_range_for(p->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
  rc = rb_init(&p->key_rb, ks);
  if (rc == 0) rc = rb_init(&p->ahead_rb, ks);
  if (rc == 0) rc = ks_backend_new(p->max_parallelism, range, ttl_clock, op, &p->backend);
  if (rc == 0) rc = tq_new(p->max_parallelism, range, &p->event_timers);
  if (rc == 0) rc = tq_new(p->max_parallelism, range, &p->proc_timers);
  if (rc < 0) return op_fail(op, rc, "cannot set up keyed state: %s", spate_strerror(rc));
  if (!p->join) return 0;
  return p->window_join ? window_join_setup(p) : interval_join_setup(p);
}

static void proc_close(op_t *op) {
  proc_op *p = op->impl;
  if (!p) return;
  op->ctx.keyed = NULL;
  for (int i = 0; i < p->nstates; i++) proc_state_free(p->states[i]);
  sp_free(p->states);
  if (p->backend) ks_backend_free(p->backend);
  if (p->bstate) ks_backend_free(p->bstate);
  if (p->jkey) spate_rb_free(p->jkey);
  mws_close(&p->sessions);
  if (p->event_timers) tq_free(p->event_timers);
  if (p->proc_timers) tq_free(p->proc_timers);
  if (p->key_rb.schema) rb_destroy(&p->key_rb);
  if (p->ahead_rb.schema) rb_destroy(&p->ahead_rb);
  sp_free(p);
}

/* Makes the key of a record of this input current. */
static int set_key_from_record(proc_op *p, int input, const spate_row *row) {
  op_t *op = p->op;
  const key_spec *ks = p->keys[input];
  spate_rb_begin(&p->key_rb);
  if (p->key_fns[input]) {
    int rc = p->key_fns[input](&op->ctx, row, &p->key_rb);
    if (rc < 0) return op_udf_failed(op, rc, "key selector");
  } else {
    for (int i = 0; i < ks->nfields; i++) spate_rb_set_field(&p->key_rb, i, row, ks->fields[i]);
  }
  if (spate_rb_finish(&p->key_rb, &p->key) < 0)
    return op_fail(op, SPATE_EUDF, "invalid key: %s", spate_rb_error(&p->key_rb));
  /* the producer's partitioner hashed this key already when it keyed the edge by the operator's
   * own key (op_t.input_key_group, task.c), as the window and keyed operators use it */
  if (op->input_key_group >= 0 && ks == &op->node->key) {
    p->key_group = op->input_key_group;
  } else {
    int32_t h =
        row_fields_java_hash(&p->key, p->key_fields, (int)p->key.nfields, p->keys[0]->key_schema);
    p->key_group = sp_key_group(h, p->max_parallelism);
  }
  p->has_key = true;
  int rc = ks_set_current_key(p->backend, p->key.data, p->key.len, p->key_group);
  return rc < 0 ? op_fail(op, rc, "%s", ks_error(p->backend)) : 0;
}

/* op_vtable.prefetch: only for process functions with keyed state (a keyed map makes its key
 * current only on demand, and has no prefetch). */
static bool proc_prefetch(op_t *op, int input, int64_t ts, const spate_row *row, int key_group) {
  (void)ts;
  proc_op *p = op->impl;
  if (!p->nstates || p->key_fns[input]) return false;
  return op_prefetch_key(p->keys[input], p->backend, &p->ahead_rb, row, NULL, 0, key_group);
}

int proc_key_needed(proc_op *p) {
  const spate_row *row = p->lazy_row;
  if (!row || p->has_key) return 0;
  p->lazy_row = NULL; /* once per record, also when it fails */
  return set_key_from_record(p, 0, row);
}

/* ---- keyed map, flat map and filter ---------------------------------------------------------- *
 * Each has a process function of its own (the vtables at the end, which transform_operators.c
 * picks in open), so that a record costs what the plain map, flat map or filter costs plus two
 * stores: the key is not built, hashed nor made current until the function asks for it
 * (spate_ctx_current_key, a state call: proc_key_needed through lazy_row), which a function that
 * uses neither never does. The previous record's key is forgotten (has_key) so that it cannot
 * be mistaken for this one's. */
static inline proc_op *wrapped_begin(op_t *op, const spate_row *row) {
  proc_op *p = op->impl;
  p->has_key = false;
  p->lazy_row = row;
  return p;
}

static int keyed_map_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  proc_op *p = wrapped_begin(op, row);
  spate_rb_begin(&op->rb);
  int rc = ((spate_map_fn)op->udf)(&op->ctx, row, &op->rb);
  p->lazy_row = NULL;
  if (rc < 0) return op_udf_failed(op, rc, "map function");
  return op_emit_built(op, ts, "map function");
}

static int keyed_filter_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  proc_op *p = wrapped_begin(op, row);
  int rc = ((spate_filter_fn)op->udf)(&op->ctx, row);
  p->lazy_row = NULL;
  if (rc < 0) return op_udf_failed(op, rc, "filter function");
  return rc ? output_emit(&op->out, ts, row) : 0;
}

/* The collector emits during the call: the key stays available to the function until it
 * returns (what it emits goes to other operators, with contexts of their own). */
static int keyed_flat_map_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  proc_op *p = wrapped_begin(op, row);
  spate_collector c = {op, &op->rb};
  int rc = ((spate_flat_map_fn)op->udf)(&op->ctx, row, &c);
  p->lazy_row = NULL;
  return rc < 0 ? op_udf_failed(op, rc, "flat map function") : 0;
}

static int proc_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  proc_op *p = op->impl;
  if (input < 0 || input > (p->second ? 1 : 0)) input = 0; /* unions feed one logical input */
  bool bc = p->broadcast && input == 1;
  if (p->keyed && !bc) {
    int rc = set_key_from_record(p, input, row);
    if (rc < 0) return rc;
  }
  if (bc) p->has_key = false; /* the broadcast side runs without a key, as in Flink */
  spate_collector c = {op, &op->rb};
  spate_process_fn fn = input == 1 ? p->second : p->first ? p->first : (spate_process_fn)op->udf;
  p->in_broadcast_fn += bc;
  int rc = fn(&op->ctx, row, &c);
  p->in_broadcast_fn -= bc;
  return rc < 0 ? op_udf_failed(op, rc, input == 1 ? "second process function" : "process function")
                : 0;
}

/* ---- keyed contexts of other operators --------------------------------------------------------- */
proc_op *proc_ctx_new(op_t *op, ks_backend *backend) {
  proc_op *p = sp_calloc(1, sizeof *p);
  if (!p) return NULL;
  p->op = op;
  p->keyed = true;
  p->borrowed = true;
  p->backend = backend;
  p->proc_scheduled = INT64_MAX;
  return p;
}

void proc_state_free(spate_state *s) {
  if (!s) return;
  if (s->vrb) spate_rb_free(s->vrb);
  if (s->krb) spate_rb_free(s->krb);
  sp_free(s);
}

void proc_ctx_free(proc_op *p) {
  if (!p) return;
  for (int i = 0; i < p->nstates; i++) proc_state_free(p->states[i]);
  sp_free(p->states);
  sp_free(p);
}

int proc_ctx_clear_window(proc_op *p, const spate_time_window *w) {
  uint8_t ns[16], saved[16];
  win_namespace(w, ns);
  const uint8_t *cur;
  uint32_t cur_len;
  ks_get_namespace(p->backend, &cur, &cur_len);
  if (cur_len > sizeof saved) return op_fail(p->op, SPATE_ESTATE, "window state: bad namespace");
  if (cur_len) memcpy(saved, cur, cur_len);
  int rc = 0;
  for (int i = 0; i < p->nstates && rc == 0; i++) {
    spate_state *s = p->states[i];
    if (!s->windowed) continue;
    rc = ks_set_namespace(p->backend, ns, sizeof ns);
    if (rc == 0) rc = ks_clear(s->ks);
    if (rc < 0)
      rc = op_fail(p->op, rc, "window state '%s': %s", ks_state_name(s->ks), ks_error(p->backend));
  }
  (void)ks_set_namespace(p->backend, cur_len ? saved : NULL, cur_len); /* the operator's again */
  return rc;
}

/* Calls the timer function for one fired timer, its key current. */
static int fire(proc_op *p, const tq_timer_view *t, spate_time_domain domain) {
  op_t *op = p->op;
  int rc = ks_set_current_key(p->backend, t->key, t->key_len, t->key_group);
  if (rc < 0) return op_fail(op, rc, "%s", ks_error(p->backend));
  p->key = (spate_row){t->key, t->key_len, (uint32_t)p->keys[0]->key_schema->nfields};
  p->key_group = t->key_group;
  p->has_key = true;
  op->ctx.ts = domain == SPATE_EVENT_TIME ? t->timestamp : INT64_MIN;
  spate_collector c = {op, &op->rb};
  p->timer_ns = t->ns;
  p->timer_ns_len = t->ns_len;
  rc = p->on_timer(&op->ctx, t->timestamp, domain, &c);
  p->timer_ns = NULL;
  p->has_key = false; /* the key bytes belong to the fired timer */
  return rc < 0 ? op_udf_failed(op, rc, "timer function") : 0;
}

static int fire_event(void *arg, const tq_timer_view *t) { return fire(arg, t, SPATE_EVENT_TIME); }
static int fire_proc(void *arg, const tq_timer_view *t) {
  return fire(arg, t, SPATE_PROCESSING_TIME);
}

static int proc_watermark(op_t *op, int input, int64_t wm) {
  proc_op *p = op->impl;
  if (p->keyed && p->on_timer) {
    int rc = tq_advance(p->event_timers, wm, fire_event, p, NULL);
    if (rc != 0) return rc < 0 ? rc : SPATE_EUDF;
  }
  return op_forward_watermark(op, wm);
}

static int proc_tick(op_t *op, int64_t now);

/* Makes sure a task timer is set for the earliest processing-time timer (the task fires it once
 * T has passed on the system clock, as Flink's processing-time service does, so that a record
 * arriving during millisecond T still sees the timer pending). */
int proc_schedule_timers(proc_op *p) {
  int64_t next;
  if (!tq_peek(p->proc_timers, &next) || next >= p->proc_scheduled) return 0;
  p->proc_scheduled = next;
  return op_schedule(p->op, next, proc_tick);
}

static int proc_tick(op_t *op, int64_t now) {
  proc_op *p = op->impl;
  if (now >= p->proc_scheduled) p->proc_scheduled = INT64_MAX; /* this is the one set */
  int rc = tq_advance(p->proc_timers, now, fire_proc, p, NULL);
  if (rc != 0) return rc < 0 ? rc : SPATE_EUDF;
  return proc_schedule_timers(p);
}

/* ---- checkpoints ------------------------------------------------------------------------------ *
 * Keyed state and both timer queues are written per key group of the subtask's range, as one
 * section: ks_write_key_group, then the event-time and the processing-time timers
 * (tq_write_key_group); a group with no state and no timers is left out. Everything a keyed
 * operator keeps per key lives there: the user's states, the interval join's and window join's
 * buffers (map and list states of the backend, with their cleanup and firing timers) and the
 * window join's open sessions. Besides the key groups:
 *  - broadcast state: list "broadcast-state" (SNAP_BROADCAST), one entry holding the broadcast
 *    backend's only key group, so that every new subtask gets a copy;
 * A non-keyed process function without broadcast state has no state. */
#define BROADCAST_STATE "broadcast-state"

static int proc_snapshot(op_t *op, int64_t id, snap_writer *w) {
  proc_op *p = op->impl;
  int rc = 0;
  if (p->keyed) {
    timer_queue *tqs[2] = {p->event_timers, p->proc_timers};
    if ((rc = keyed_snapshot_take(op, id, p->backend, tqs, 2, w)) < 0) return rc;
  }
  if (p->bstate) {
    sp_writer b;
    sp_writer_init(&b);
    rc = ks_write_key_group(p->bstate, 0, &b);
    if (rc == 0)
      rc = b.len > UINT32_MAX
               ? SPATE_EINVAL
               : snap_list_add(w, BROADCAST_STATE, SNAP_BROADCAST, b.data, (uint32_t)b.len);
    sp_writer_free(&b);
    if (rc < 0) return op_fail(op, rc, "cannot snapshot broadcast state: %s", ks_error(p->bstate));
  }
  return 0;
}

/* Checks a restored timer's key against the key schema: the timer function gets it as
 * spate_ctx_current_key and reads it in place. */
typedef struct key_check {
  const spate_schema *schema;
  char why[160];
} key_check;

static int check_timer_key(void *arg, const tq_timer_view *t) {
  key_check *c = arg;
  return row_validate(t->key, t->key_len, c->schema, false, c->why, sizeof c->why);
}

/* Restores one key group's section; the whole section must be consumed. */
static int restore_key_group(proc_op *p, int kg, const uint8_t *data, uint32_t len) {
  op_t *op = p->op;
  sp_reader r;
  sp_reader_init(&r, data, len);
  int rc = ks_read_key_group(p->backend, kg, &r);
  if (rc < 0) return op_fail(op, rc, "cannot restore keyed state: %s", ks_error(p->backend));
  const char *what = "event-time";
  rc = tq_read_key_group(p->event_timers, kg, &r);
  if (rc == 0) {
    what = "processing-time";
    rc = tq_read_key_group(p->proc_timers, kg, &r);
  }
  if (rc < 0)
    return op_fail(op, rc, "cannot restore the %s timers of key group %d: %s", what, kg,
                   sp_reader_ok(&r) ? spate_strerror(rc) : r.error);
  if (r.pos != r.len)
    return op_fail(op, SPATE_ECORRUPT, "key group %d: %zu bytes after its timers", kg,
                   r.len - r.pos);
  key_check c = {.schema = p->keys[0]->key_schema};
  if (tq_visit_key_group(p->event_timers, kg, check_timer_key, &c) != 0 ||
      tq_visit_key_group(p->proc_timers, kg, check_timer_key, &c) != 0)
    return op_fail(op, SPATE_ECORRUPT, "key group %d: a restored timer's key is malformed: %s", kg,
                   c.why);
  return 0;
}

static int proc_restore(op_t *op, const snap_restore *r) {
  proc_op *p = op->impl;
  int rc;
  if (p->keyed) {
    ks_key_group_range range = ks_backend_range(p->backend);
    for (int i = 0; i < r->nkg; i++) {
      const snap_kg_view *g = &r->kgs[i];
      if (!ks_key_group_range_contains(range, g->kg))
        return op_fail(op, SPATE_ECORRUPT, "restored key group %d is outside the range %d..%d",
                       g->kg, range.first, range.last);
      if ((rc = restore_key_group(p, g->kg, g->data, g->len)) < 0) return rc;
    }
    /* restored processing-time timers fire like any others: schedule the earliest */
    if ((rc = proc_schedule_timers(p)) < 0)
      return op_fail(op, rc, "cannot schedule the restored processing-time timers");
  } else if (r->nkg > 0) {
    return op_fail(op, SPATE_ESTATE,
                   "restored keyed state for a process function on a stream "
                   "that is not keyed");
  }
  const snap_list_view *l = snap_restore_list(r, BROADCAST_STATE);
  if (l && !p->bstate)
    return op_fail(op, SPATE_ESTATE,
                   "restored broadcast state for an operator without a "
                   "broadcast input");
  if (l) {
    if (l->count != 1)
      return op_fail(op, SPATE_ECORRUPT, "restored broadcast state has %u entries, expected 1",
                     l->count);
    sp_reader b;
    sp_reader_init(&b, l->data[0], l->len[0]);
    if ((rc = ks_read_key_group(p->bstate, 0, &b)) < 0)
      return op_fail(op, rc, "cannot restore broadcast state: %s", ks_error(p->bstate));
    if (b.pos != b.len)
      return op_fail(op, SPATE_ECORRUPT, "restored broadcast state: %zu trailing bytes",
                     b.len - b.pos);
  }
  return 0;
}

const op_vtable op_process_vt = {.open = proc_open,
                                 .prefetch = proc_prefetch,
                                 .process = proc_process,
                                 .watermark = proc_watermark,
                                 .close = proc_close,
                                 .snapshot = proc_snapshot,
                                 .restore = proc_restore};

/* A keyed map, flat map or filter: the process operator's, with its own process function. */
#define WRAPPED_VT(process_fn)                                                                  \
  {                                                                                             \
    .open = proc_open, .process = process_fn, .watermark = proc_watermark, .close = proc_close, \
    .snapshot = proc_snapshot, .restore = proc_restore                                          \
  }
const op_vtable op_keyed_map_vt = WRAPPED_VT(keyed_map_process);
const op_vtable op_keyed_flat_map_vt = WRAPPED_VT(keyed_flat_map_process);
const op_vtable op_keyed_filter_vt = WRAPPED_VT(keyed_filter_process);
