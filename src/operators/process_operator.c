/*
 * process_operator.c: Flink's (Keyed)ProcessFunction. On a keyed stream the operator owns a
 * keyed-state backend and two timer queues (event and processing time) for its key-group range:
 *
 *  - for each record it builds the key row, derives the key group exactly as the partitioner
 *    did (Java-compatible hash, Flink's murmur), makes that key current and calls the function;
 *  - a watermark first fires every event-time timer at or below it (in timestamp order, with
 *    the timer's key current and its timestamp on the output), then goes downstream;
 *  - processing-time timers are driven by one task timer set for the earliest of them;
 *  - the public state and timer functions (spate_ctx_state, spate_value_get, ...) act on the
 *    current key of the operator whose context they are given.
 * Processing-time timers still pending at the end of input are dropped, as Flink does for
 * bounded input. Checkpoints write the keyed state and timers per key group, broadcast state
 * as a broadcast list (see "checkpoints" below).
 */
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/hash.h"
#include "operators/keyed_snapshot.h"
#include "operators/registry.h"
#include "operators/window_elements.h"
#include "state/keyed_state.h"
#include "state/timer_queue.h"
#include "types/row.h"

struct spate_state {
  struct proc_op *p;
  ks_state *ks;
  spate_state_kind kind;
  spate_reduce_fn reduce;
  spate_aggregate_fns agg;
  bool broadcast; /* lives in the broadcast backend: readable always, writable by input 1 */
};

typedef struct proc_op {
  op_t *op;
  bool keyed;
  int max_parallelism;
  ks_backend *backend;
  timer_queue *event_timers, *proc_timers;
  spate_row_builder key_rb;
  int key_fields[64];     /* 0..n-1: hashing the key row's own fields */
  spate_row key;          /* the current key (a view) */
  int key_group;
  bool has_key;
  spate_timer_fn on_timer;
  spate_process_fn second;        /* co-process: the function of input 1 */
  const key_spec *keys[2];        /* how each input's key is built */
  spate_key_fn key_fns[2];
  int64_t proc_scheduled; /* the task timer set for processing-time timers (INT64_MAX: none) */
  spate_state **states;
  int nstates;
  spate_process_fn first;         /* NULL: the operator's UDF */
  /* interval join: both sides buffered in map states (ts, seq) -> row; bounds inclusive */
  spate_join_fn join;
  int64_t lower, upper;
  spate_state *buf[2];
  spate_row_builder *jkey; /* (ts, seq) user keys */
  int64_t seq;
  /* window join: both sides in list states under the window as namespace */
  bool window_join;
  bool wsession;            /* session windows: wsize is the gap; sessions per key in `sessions` */
  spate_state *sessions;
  spate_cogroup_fn cogroup; /* window coGroup instead of join */
  int64_t wsize, wslide, woffset;
  const uint8_t *timer_ns; /* namespace of the timer being fired */
  uint32_t timer_ns_len;
  /* broadcast state: a backend whose one key is always current; written by input 1 only */
  bool broadcast;
  ks_backend *bstate;
  int in_broadcast_fn;  /* > 0 while the broadcast side's function runs */
} proc_op;

/* The keyed-state backends' TTL clock: the task's processing time. */
static int64_t ttl_clock(void *arg) { return op_now(arg); }
static int join_left(spate_ctx *ctx, const spate_row *in, spate_collector *out);
static int join_right(spate_ctx *ctx, const spate_row *in, spate_collector *out);
static int join_cleanup(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out);
static int join_setup(proc_op *p);
static int wj_left(spate_ctx *ctx, const spate_row *in, spate_collector *out);
static int wj_right(spate_ctx *ctx, const spate_row *in, spate_collector *out);
static int wj_fire(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out);

static proc_op *keyed_of(const spate_ctx *ctx) { return ctx ? (proc_op *)ctx->keyed : NULL; }

static int proc_open(op_t *op) {
  proc_op *p = sp_calloc(1, sizeof *p);
  if (!p) return SPATE_ENOMEM;
  op->impl = p;
  p->op = op;
  p->proc_scheduled = INT64_MAX;
  sp_reader r;
  sp_reader_init(&r, op->node->params, op->node->params_len);
  char *timer = sp_get_str(&r);
  if (timer) { /* the timer function is found like every UDF: by name in the job's object */
    p->on_timer = (spate_timer_fn)op_resolve(op, timer);
    if (!p->on_timer) {
      int rc = op_fail(op, SPATE_ENOENT, "timer function '%s' not found in %s", timer,
                       op->artifact ? op->artifact : "the program (link it with -rdynamic)");
      sp_free(timer);
      return rc;
    }
  }
  sp_free(timer);
  const sg_node *n = op->node;
  if (n->kind == OP_CO_PROCESS || n->kind == OP_INTERVAL_JOIN || n->kind == OP_WINDOW_JOIN) {
    if (n->kind == OP_WINDOW_JOIN) { /* also a keyed co-process of our own */
      uint8_t kind = sp_get_u8(&r);
      p->wsize = sp_get_i64(&r);
      p->wslide = sp_get_i64(&r);
      p->woffset = sp_get_i64(&r);
      uint8_t mode = sp_get_u8(&r);
      if (!sp_reader_ok(&r) ||
          (kind != SPATE_WINDOW_TUMBLING && kind != SPATE_WINDOW_SLIDING &&
           kind != SPATE_WINDOW_SESSION) ||
          p->wsize <= 0 || p->wslide <= 0 || p->wslide > p->wsize || mode < 1 || mode > 2)
        return op_fail(op, SPATE_ECORRUPT, "window join parameters are corrupt");
      p->window_join = true;
      p->wsession = kind == SPATE_WINDOW_SESSION;
      p->join = (spate_join_fn)op->udf; /* join_setup runs when p->join is set */
      if (mode == 2) p->cogroup = (spate_cogroup_fn)op->udf;
      p->first = wj_left;
      p->second = wj_right;
      p->on_timer = wj_fire;
    } else if (n->kind == OP_INTERVAL_JOIN) { /* the join runs as a keyed co-process of our own */
      p->lower = sp_get_i64(&r);
      p->upper = sp_get_i64(&r);
      if (!sp_reader_ok(&r) || p->lower > p->upper)
        return op_fail(op, SPATE_ECORRUPT, "interval join bounds are corrupt");
      p->join = (spate_join_fn)op->udf;
      p->first = join_left;
      p->second = join_right;
      p->on_timer = join_cleanup;
    } else {
      char *second = sp_get_str(&r);
      p->second = (spate_process_fn)op_resolve(op, second);
      int rc = p->second ? 0
                         : op_fail(op, SPATE_ENOENT, "function '%s' of the second input not found",
                                   second ? second : "(none)");
      sp_free(second);
      if (rc < 0) return rc;
    }
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
    int rc = ks_backend_new(1, one, ttl_clock, op, &p->bstate);
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
  int rc = rb_init(&p->key_rb, ks);
  if (rc == 0) rc = ks_backend_new(p->max_parallelism, range, ttl_clock, op, &p->backend);
  if (rc == 0) rc = tq_new(p->max_parallelism, range, &p->event_timers);
  if (rc == 0) rc = tq_new(p->max_parallelism, range, &p->proc_timers);
  if (rc < 0) return op_fail(op, rc, "cannot set up keyed state: %s", spate_strerror(rc));
  return p->join ? join_setup(p) : 0;
}

static void proc_close(op_t *op) {
  proc_op *p = op->impl;
  if (!p) return;
  op->ctx.keyed = NULL;
  for (int i = 0; i < p->nstates; i++) sp_free(p->states[i]);
  sp_free(p->states);
  if (p->backend) ks_backend_free(p->backend);
  if (p->bstate) ks_backend_free(p->bstate);
  if (p->jkey) spate_rb_free(p->jkey);
  if (p->event_timers) tq_free(p->event_timers);
  if (p->proc_timers) tq_free(p->proc_timers);
  if (p->key_rb.schema) rb_destroy(&p->key_rb);
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
  int32_t h = row_fields_java_hash(&p->key, p->key_fields, (int)p->key.nfields,
                                   p->keys[0]->key_schema);
  p->key_group = sp_key_group(h, p->max_parallelism);
  p->has_key = true;
  int rc = ks_set_current_key(p->backend, p->key.data, p->key.len, p->key_group);
  return rc < 0 ? op_fail(op, rc, "%s", ks_error(p->backend)) : 0;
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
  return rc < 0 ? op_udf_failed(op, rc, input == 1 ? "second process function" : "process function") : 0;
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
static int schedule_proc(proc_op *p) {
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
  return schedule_proc(p);
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
 *  - interval join: list "interval-join-seq" (SNAP_UNION), each subtask's next sequence
 *    number. A restored subtask continues after the largest, so a buffered element's (ts, seq)
 *    key is never reused for a new one of the same key, wherever its key group went.
 * A non-keyed process function without broadcast state has no state. */
#define BROADCAST_STATE "broadcast-state"
#define JOIN_SEQ_STATE "interval-join-seq"

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
      rc = b.len > UINT32_MAX ? SPATE_EINVAL
                              : snap_list_add(w, BROADCAST_STATE, SNAP_BROADCAST, b.data,
                                              (uint32_t)b.len);
    sp_writer_free(&b);
    if (rc < 0) return op_fail(op, rc, "cannot snapshot broadcast state: %s", ks_error(p->bstate));
  }
  if (p->join && !p->window_join) {
    uint8_t e[8];
    sp_patch_i64(e, p->seq);
    if ((rc = snap_list_add(w, JOIN_SEQ_STATE, SNAP_UNION, e, sizeof e)) < 0)
      return op_fail(op, rc, "cannot snapshot the interval join's sequence number");
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
    return op_fail(op, SPATE_ECORRUPT, "key group %d: a restored timer's key is malformed: %s",
                   kg, c.why);
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
    if ((rc = schedule_proc(p)) < 0)
      return op_fail(op, rc, "cannot schedule the restored processing-time timers");
  } else if (r->nkg > 0) {
    return op_fail(op, SPATE_ESTATE, "restored keyed state for a process function on a stream "
                   "that is not keyed");
  }
  const snap_list_view *l = snap_restore_list(r, BROADCAST_STATE);
  if (l && !p->bstate)
    return op_fail(op, SPATE_ESTATE, "restored broadcast state for an operator without a "
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
  if ((l = snap_restore_list(r, JOIN_SEQ_STATE)) && p->join && !p->window_join) {
    for (uint32_t i = 0; i < l->count; i++) {
      if (l->len[i] != 8)
        return op_fail(op, SPATE_ECORRUPT, "restored interval join sequence number %u is %u "
                       "bytes long, expected 8", i, l->len[i]);
      sp_reader e;
      sp_reader_init(&e, l->data[i], 8);
      int64_t seq = sp_get_i64(&e);
      if (seq < 0)
        return op_fail(op, SPATE_ECORRUPT, "restored interval join sequence number %lld is "
                       "negative", (long long)seq);
      if (seq > p->seq) p->seq = seq;
    }
  }
  return 0;
}

const op_vtable op_process_vt = {.open = proc_open,
                                 .process = proc_process,
                                 .watermark = proc_watermark,
                                 .close = proc_close,
                                 .snapshot = proc_snapshot,
                                 .restore = proc_restore};

/* ---- the public state and timer functions ------------------------------------------------------ */
static int need_key(spate_ctx *ctx, proc_op *p, const char *api) {
  if (!p || !p->keyed) return spate_ctx_fail(ctx, "%s: keyed state and timers need a keyed stream (spate_key_by)", api);
  if (!p->has_key) return spate_ctx_fail(ctx, "%s: there is no current key here", api);
  return 0;
}

static int reduce_adapter(void *arg, const spate_row *acc, const spate_row *in,
                          spate_row_builder *out) {
  spate_state *s = arg;
  return s->reduce(&s->p->op->ctx, acc, in, out);
}

static spate_state *declare(spate_ctx *ctx, const spate_state_desc *d, bool broadcast);

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
  return declare(ctx, d, false);
}

spate_state *spate_ctx_broadcast_state(spate_ctx *ctx, const spate_state_desc *d) {
  return declare(ctx, d, true);
}

static spate_state *declare(spate_ctx *ctx, const spate_state_desc *d, bool broadcast) {
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
  if (!d || !d->name || !d->schema ||
      (d->kind == SPATE_STATE_MAP && !d->key_schema) ||
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
    if (p->states[i]->broadcast == broadcast && strcmp(ks_state_name(p->states[i]->ks), d->name) == 0)
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
  return p && p->keyed && p->has_key ? &p->key : NULL;
}

int64_t spate_ctx_processing_time(const spate_ctx *ctx) { return sp_clock_now(ctx->clock); }

static int timer_call(spate_ctx *ctx, int64_t ts, bool event, bool del, const char *api) {
  proc_op *p = keyed_of(ctx);
  int rc = need_key(ctx, p, api);
  if (rc < 0) return rc;
  if (!p->on_timer)
    return spate_ctx_fail(ctx, "%s: the process function has no timer function", api);
  timer_queue *q = event ? p->event_timers : p->proc_timers;
  rc = del ? tq_delete(q, p->key_group, ts, p->key.data, p->key.len, NULL, 0)
           : tq_register(q, p->key_group, ts, p->key.data, p->key.len, NULL, 0);
  if (rc < 0) return spate_ctx_fail(ctx, "%s: %s", api, spate_strerror(rc));
  return event || del ? 0 : schedule_proc(p);
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

/* Checks the state is usable now (a key is current) and of the kind the call needs. */
static int usable_rw(spate_state *s, spate_state_kind kind, const char *api, bool write) {
  if (!s) return SPATE_EINVAL;
  spate_ctx *ctx = &s->p->op->ctx;
  if (s->broadcast) { /* readable anywhere, writable only by the broadcast side */
    if (write && !s->p->in_broadcast_fn)
      return spate_ctx_fail(ctx, "%s: broadcast state '%s' is read-only outside the broadcast "
                            "side's function", api, ks_state_name(s->ks));
    return kind && s->kind != kind
               ? spate_ctx_fail(ctx, "%s: state '%s' is not of that kind", api, ks_state_name(s->ks))
               : 0;
  }
  if (!s->p->has_key) return spate_ctx_fail(ctx, "%s: there is no current key here", api);
  if (kind && s->kind != kind)
    return spate_ctx_fail(ctx, "%s: state '%s' is not of that kind", api, ks_state_name(s->ks));
  return 0;
}

static int usable(spate_state *s, spate_state_kind kind, const char *api) {
  return usable_rw(s, kind, api, false);
}
static int writable(spate_state *s, spate_state_kind kind, const char *api) {
  return usable_rw(s, kind, api, true);
}

/* Turns a backend error into a context error (a UDF returns it and the job fails with it). */
static int checked(spate_state *s, int rc) {
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
  _Static_assert(sizeof(ks_list_iter) <= sizeof(spate_state_iter), "iterator too large");
  int rc = usable(s, SPATE_STATE_LIST, "spate_list_iter");
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
  _Static_assert(sizeof(ks_map_iter) <= sizeof(spate_state_iter), "iterator too large");
  int rc = usable(s, SPATE_STATE_MAP, "spate_map_iter");
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

/* ---- interval join --------------------------------------------------------------------------- *
 * Flink's IntervalJoinOperator: each side's elements wait in a map state keyed by (timestamp,
 * sequence number) until the watermark passes the last moment they could still match: a left
 * element at t matches right ones in [t + lower, t + upper] and is cleaned up at t + upper (t
 * when upper <= 0); a right element at t matches left ones in [t - upper, t - lower] and is
 * cleaned up at t - lower (t when lower >= 0). Elements behind the watermark are dropped. */

static int join_setup(proc_op *p) {
  op_t *op = p->op;
  if (p->window_join) { /* list states, one per side, under the window as namespace */
    for (int side = 0; side < 2; side++) {
      spate_state_desc d = {.name = side ? "window-join-right" : "window-join-left",
                            .kind = SPATE_STATE_LIST,
                            .schema = sg_edge_schema(op->nodes, &op->node->inputs[side])};
      if (!(p->buf[side] = spate_ctx_state(&op->ctx, &d)))
        return op_fail(op, SPATE_ESTATE, "window join: %s", op->ctx.error);
    }
    if (!p->wsession) return 0;
    spate_schema *ws = NULL; /* the key's open sessions: (start, end) rows */
    char err2[64];
    if (spate_schema_parse("start BIGINT NOT NULL, end BIGINT NOT NULL", &ws, err2, sizeof err2) < 0)
      return op_fail(op, SPATE_ENOMEM, "window join: %s", err2);
    spate_state_desc d = {.name = "window-join-sessions", .kind = SPATE_STATE_LIST, .schema = ws};
    p->sessions = spate_ctx_state(&op->ctx, &d);
    p->jkey = spate_rb_new(ws);
    spate_schema_free(ws);
    if (!p->sessions || !p->jkey)
      return op_fail(op, SPATE_ESTATE, "window join: %s", op->ctx.has_error ? op->ctx.error : "out of memory");
    return 0;
  }
  spate_schema *k = NULL;
  char err[64];
  if (spate_schema_parse("ts BIGINT NOT NULL, seq BIGINT NOT NULL", &k, err, sizeof err) < 0)
    return op_fail(op, SPATE_ENOMEM, "interval join: %s", err);
  p->jkey = spate_rb_new(k);
  for (int side = 0; side < 2 && p->jkey; side++) {
    spate_state_desc d = {.name = side ? "interval-join-right" : "interval-join-left",
                          .kind = SPATE_STATE_MAP,
                          .schema = sg_edge_schema(op->nodes, &op->node->inputs[side]),
                          .key_schema = k};
    p->buf[side] = spate_ctx_state(&op->ctx, &d);
  }
  spate_schema_free(k);
  if (!p->jkey || !p->buf[0] || !p->buf[1])
    return op_fail(op, op->ctx.has_error ? SPATE_ESTATE : SPATE_ENOMEM, "interval join: %s",
                   op->ctx.has_error ? op->ctx.error : "out of memory");
  return 0;
}

/* Saturating arithmetic: timestamps near the ends of the range must not overflow. */
static int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}
static int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_sub_overflow(a, b, &r) ? (b < 0 ? INT64_MAX : INT64_MIN) : r;
}

static int64_t cleanup_time(const proc_op *p, int side, int64_t ts) {
  if (side == 0) return p->upper > 0 ? sat_add(ts, p->upper) : ts;
  return p->lower < 0 ? sat_sub(ts, p->lower) : ts;
}

static int join_element(spate_ctx *ctx, int side, const spate_row *in, spate_collector *out) {
  proc_op *p = keyed_of(ctx);
  int64_t ts = ctx->ts, wm = ctx->watermark;
  if (ts == INT64_MIN)
    return spate_ctx_fail(ctx, "interval join: the record has no timestamp (assign event time "
                          "before joining)");
  if (wm != INT64_MIN && ts < wm) return 0; /* late: dropped, as in Flink */
  spate_rb_begin(p->jkey);
  spate_rb_set_bigint(p->jkey, 0, ts);
  spate_rb_set_bigint(p->jkey, 1, p->seq++);
  spate_row key;
  if (spate_rb_finish(p->jkey, &key) < 0)
    return spate_ctx_fail(ctx, "interval join: %s", spate_rb_error(p->jkey));
  int rc = spate_map_put(p->buf[side], &key, in);
  if (rc < 0) return rc;
  spate_state_iter it;
  if ((rc = spate_map_iter(p->buf[1 - side], &it)) < 0) return rc;
  spate_row ok, orow;
  while (spate_map_next(&it, &ok, &orow)) {
    int64_t ots = spate_row_bigint(&ok, 0);
    int64_t diff = side == 0 ? sat_sub(ots, ts) : sat_sub(ts, ots); /* right.ts - left.ts */
    if (diff < p->lower || diff > p->upper) continue;
    spate_row_builder *b = spate_collect_begin(out);
    rc = side == 0 ? p->join(ctx, in, &orow, b) : p->join(ctx, &orow, in, b);
    if (rc < 0) return rc;
    int64_t saved = ctx->ts;
    ctx->ts = ots > ts ? ots : ts;
    rc = spate_collect_emit(out);
    ctx->ts = saved;
    if (rc < 0) return rc;
  }
  return spate_ctx_register_event_timer(ctx, cleanup_time(p, side, ts));
}

static int join_left(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return join_element(ctx, 0, in, out);
}
static int join_right(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return join_element(ctx, 1, in, out);
}

/* Drops, for the current key, every buffered element whose cleanup time has come. */
static int join_cleanup(spate_ctx *ctx, int64_t now, spate_time_domain d, spate_collector *out) {
  proc_op *p = keyed_of(ctx);
  for (int side = 0; side < 2; side++) {
    int64_t *doomed = NULL;
    size_t n = 0, cap = 0;
    spate_state_iter it;
    int rc = spate_map_iter(p->buf[side], &it);
    spate_row k, v;
    while (rc >= 0 && spate_map_next(&it, &k, &v)) {
      if (cleanup_time(p, side, spate_row_bigint(&k, 0)) > now) continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 16;
        int64_t *g = sp_realloc(doomed, cap * 2 * sizeof *g);
        if (!g) {
          rc = SPATE_ENOMEM;
          break;
        }
        doomed = g;
      }
      doomed[2 * n] = spate_row_bigint(&k, 0);
      doomed[2 * n + 1] = spate_row_bigint(&k, 1);
      n++;
    }
    for (size_t i = 0; rc >= 0 && i < n; i++) {
      spate_rb_begin(p->jkey);
      spate_rb_set_bigint(p->jkey, 0, doomed[2 * i]);
      spate_rb_set_bigint(p->jkey, 1, doomed[2 * i + 1]);
      spate_row key;
      rc = spate_rb_finish(p->jkey, &key);
      if (rc >= 0) rc = spate_map_remove(p->buf[side], &key);
    }
    sp_free(doomed);
    if (rc < 0) return rc;
  }
  return 0;
}

/* ---- window join -------------------------------------------------------------------------------- *
 * Flink's window join over tumbling or sliding event-time windows: each element goes into the
 * list state of its side under every window it belongs to (the window [start, end) encoded as
 * 16 bytes is the namespace), with an event-time timer at end - 1 under the same namespace.
 * When that timer fires, every (left, right) pair of the window is joined, then both lists go. */

static int64_t floor_mod(int64_t x, int64_t m) { return ((x % m) + m) % m; }

static void encode_ns(uint8_t ns[16], int64_t start, int64_t end) {
  for (int i = 0; i < 8; i++) {
    ns[i] = (uint8_t)((uint64_t)start >> (8 * i));
    ns[8 + i] = (uint8_t)((uint64_t)end >> (8 * i));
  }
}

/* ---- session windows for joins: the key's open sessions are a list of (start, end) rows;
 * an element's window [ts, ts + gap) absorbs every session it intersects (Flink's
 * TimeWindow.intersects), whose buffered elements and timers move to the merged window. */
typedef struct win_span {
  int64_t start, end;
} win_span;

static int load_sessions(proc_op *p, win_span **out, int *n) {
  *out = NULL;
  *n = 0;
  spate_state_iter it;
  spate_row r;
  int rc = ks_set_namespace(p->backend, NULL, 0);
  if (rc >= 0) rc = spate_list_iter(p->sessions, &it);
  while (rc >= 0 && spate_list_next(&it, &r)) {
    win_span *g = sp_realloc(*out, sizeof *g * (size_t)(*n + 1));
    if (!g) return SPATE_ENOMEM;
    *out = g;
    g[*n] = (win_span){spate_row_bigint(&r, 0), spate_row_bigint(&r, 1)};
    (*n)++;
  }
  return rc;
}

static int store_sessions(proc_op *p, const win_span *w, int n) {
  int rc = ks_set_namespace(p->backend, NULL, 0);
  if (rc >= 0) rc = spate_state_clear(p->sessions);
  for (int i = 0; rc >= 0 && i < n; i++) {
    spate_rb_begin(p->jkey);
    spate_rb_set_bigint(p->jkey, 0, w[i].start);
    spate_rb_set_bigint(p->jkey, 1, w[i].end);
    spate_row r;
    rc = spate_rb_finish(p->jkey, &r);
    if (rc >= 0) rc = spate_list_add(p->sessions, &r);
  }
  return rc;
}

/* Moves one side's buffered elements from window `from` to window `to`. */
static int move_side(proc_op *p, int side, win_span from, win_span to) {
  uint8_t ns[16];
  encode_ns(ns, from.start, from.end);
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
  encode_ns(ns, to.start, to.end);
  if (rc >= 0) rc = ks_set_namespace(p->backend, ns, sizeof ns);
  for (size_t i = 0; rc >= 0 && i < n; i++) rc = spate_list_add(p->buf[side], &copies[i]);
  for (size_t i = 0; i < n; i++) spate_row_free(&copies[i]);
  sp_free(copies);
  return rc;
}

static int wj_session_element(spate_ctx *ctx, proc_op *p, int side, const spate_row *in,
                              int64_t ts) {
  win_span m = {ts, sat_add(ts, p->wsize)};
  win_span *open;
  int n, rc = load_sessions(p, &open, &n);
  bool grew = true;
  while (rc >= 0 && grew) { /* absorb every session the growing window intersects */
    grew = false;
    for (int i = 0; i < n; i++)
      if (open[i].start <= m.end && open[i].end >= m.start &&
          (open[i].start < m.start || open[i].end > m.end)) {
        if (open[i].start < m.start) m.start = open[i].start;
        if (open[i].end > m.end) m.end = open[i].end;
        grew = true;
      }
  }
  if (rc >= 0 && m.end - 1 <= ctx->watermark) { /* Flink: the merged window is late: drop */
    sp_free(open);
    return ks_set_namespace(p->backend, NULL, 0);
  }
  int kept = 0;
  for (int i = 0; rc >= 0 && i < n; i++) {
    bool absorbed = open[i].start <= m.end && open[i].end >= m.start;
    if (!absorbed) {
      open[kept++] = open[i];
      continue;
    }
    if (open[i].start == m.start && open[i].end == m.end) continue; /* already the merged one */
    for (int sd = 0; rc >= 0 && sd < 2; sd++) rc = move_side(p, sd, open[i], m);
    uint8_t ns[16];
    encode_ns(ns, open[i].start, open[i].end);
    if (rc >= 0)
      rc = tq_delete(p->event_timers, p->key_group, open[i].end - 1, p->key.data, p->key.len, ns,
                     sizeof ns);
  }
  if (rc >= 0) {
    win_span *g = sp_realloc(open, sizeof *g * (size_t)(kept + 1));
    if (!g) rc = SPATE_ENOMEM;
    else {
      open = g;
      open[kept++] = m;
      rc = store_sessions(p, open, kept);
    }
  }
  uint8_t ns[16];
  encode_ns(ns, m.start, m.end);
  if (rc >= 0) rc = ks_set_namespace(p->backend, ns, sizeof ns);
  if (rc >= 0) rc = spate_list_add(p->buf[side], in);
  if (rc >= 0)
    rc = tq_register(p->event_timers, p->key_group, m.end - 1, p->key.data, p->key.len, ns, sizeof ns);
  sp_free(open);
  int r2 = ks_set_namespace(p->backend, NULL, 0);
  return rc < 0 ? rc : r2;
}

/* After a session fires: it leaves the key's open sessions. */
static int forget_session(proc_op *p, win_span w) {
  win_span *open;
  int n, rc = load_sessions(p, &open, &n), kept = 0;
  for (int i = 0; rc >= 0 && i < n; i++)
    if (open[i].start != w.start || open[i].end != w.end) open[kept++] = open[i];
  if (rc >= 0) rc = store_sessions(p, open, kept);
  sp_free(open);
  return rc;
}

static int wj_element(spate_ctx *ctx, int side, const spate_row *in) {
  proc_op *p = keyed_of(ctx);
  int64_t ts = ctx->ts, wm = ctx->watermark;
  if (ts == INT64_MIN)
    return spate_ctx_fail(ctx, "window join: the record has no timestamp (assign event time "
                          "before joining)");
  if (p->wsession) return wj_session_element(ctx, p, side, in, ts);
  int64_t last = sat_sub(ts, floor_mod(sat_sub(ts, p->woffset), p->wslide));
  int rc = 0;
  int64_t first = sat_sub(ts, p->wsize);
  for (int64_t start = last; rc >= 0 && start > first; ) {
    int64_t end = sat_add(start, p->wsize);
    if (end - 1 <= wm) { /* the window has fired already: late, dropped */
      if (__builtin_sub_overflow(start, p->wslide, &start)) break;
      continue;
    }
    uint8_t ns[16];
    encode_ns(ns, start, end);
    rc = ks_set_namespace(p->backend, ns, sizeof ns);
    if (rc >= 0) rc = spate_list_add(p->buf[side], in);
    if (rc >= 0)
      rc = tq_register(p->event_timers, p->key_group, end - 1, p->key.data, p->key.len, ns,
                       sizeof ns);
    if (__builtin_sub_overflow(start, p->wslide, &start)) break;
  }
  int r2 = ks_set_namespace(p->backend, NULL, 0);
  return rc < 0 ? rc : r2;
}

static int wj_left(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return wj_element(ctx, 0, in);
}
static int wj_right(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return wj_element(ctx, 1, in);
}

static int wj_fire(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  proc_op *p = keyed_of(ctx);
  if (p->timer_ns_len != 16) return spate_ctx_fail(ctx, "window join: bad timer namespace");
  spate_time_window w = {0, 0};
  for (int i = 0; i < 8; i++) {
    w.start |= (int64_t)((uint64_t)p->timer_ns[i] << (8 * i));
    w.end |= (int64_t)((uint64_t)p->timer_ns[8 + i] << (8 * i));
  }
  int rc = p->wsession ? forget_session(p, (win_span){w.start, w.end}) : 0;
  if (rc >= 0) rc = ks_set_namespace(p->backend, p->timer_ns, 16);
  if (rc >= 0 && p->cogroup) { /* both sides at once, either may be empty */
    spate_window_elements le = {0}, re = {0};
    if ((rc = ks_list_get(p->buf[0]->ks, &le.it)) >= 0 && (rc = ks_list_get(p->buf[1]->ks, &re.it)) >= 0)
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
