/*
 * task.c: the task thread, its loop and its lifecycle. See task.h for the life of a task. What
 * the loop does with checkpoint barriers is decided by the barrier handler (barrier_handler.c);
 * the snapshot it takes and hands over is task_snapshot.c's.
 */
#include "runtime/task.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "runtime/barrier_handler.h"
#include "runtime/input_gate.h"
#include "runtime/mailbox.h"
#include "runtime/operator.h"
#include "runtime/task_cells.h"
#include "runtime/task_snapshot.h"
#include "runtime/timer_service.h"
#include "runtime/watermark_valve.h"
#include "state/keyed_state.h"
#include "types/row.h"

struct task {
  const job_graph *jg;
  const jg_vertex *v;
  int subtask, attempt;
  shuffle_env *shuffle;
  void *dl;
  task_config cfg;
  task_listener listener;
  void *listener_arg;
  char name[512];
  char attempt_id[64];
  char shuffle_key[48]; /* "<job id>-<attempt>": each attempt of a job has its own partitions */

  pthread_t thread;
  _Atomic bool cancel;
  sp_event event;         /* the task parks here; producers, mails and the clock notify it */
  sp_clock *clock;        /* processing time (cfg.clock or the system clock) */
  sp_clock_sub clock_sub; /* a manual clock's advances wake the task */
  mailbox mail;           /* control mails, run on this thread between batches */
  _Atomic int state;
  _Atomic bool wired; /* writers are set up: task_cancel may touch their pools */

  op_t **ops; /* by position in v->nodes */
  int nops;
  record_writer *writers; /* one per vertex output edge */
  int nwriters;
  input_gate *gates; /* one per vertex input edge */
  int ngates;
  watermark_valve valve; /* combines the input channels' watermarks and statuses */
  timer_service timers;  /* processing-time timers */
  uint64_t backpressure_ns;
  task_cells cells; /* what other threads read (task_metrics.h) */
  int64_t last_flush_ns;
  sp_writer collected; /* collect sinks' results, filled at the end */
  uint32_t ncollected;
  task_options opts;
  int pending_rc;           /* a failure inside a mail, returned by the loop */
  bool stop_requested;      /* a source took a stop-with-savepoint barrier: it ends now, without
                              the end of event time (Flink's stop without --drain; with it,
                              the end of event time went out before the barrier) */
  barrier_handler bh;       /* the checkpoint in progress: alignment, channel state */
  snapshot_returns returns; /* snapshots the writer is done with, to be freed on this thread */
  char error[SP_ERRMSG_MAX];
};

const char *task_state_name(task_state s) {
  static const char *names[] = {"CREATED",  "SCHEDULED", "DEPLOYING", "RUNNING",
                                "FINISHED", "CANCELING", "CANCELED",  "FAILED"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static void switch_state(task *t, task_state to) {
  task_state from = (task_state)atomic_exchange(&t->state, (int)to);
  if (to == TS_FAILED)
    SP_WARN("task", "%s (%s) switched from %s to %s with failure cause: %s", t->name, t->attempt_id,
            task_state_name(from), task_state_name(to), t->error);
  else /* the JobMaster logs every switch at INFO; the task's own view is for debugging */
    SP_DEBUG("task", "%s (%s) switched from %s to %s.", t->name, t->attempt_id,
             task_state_name(from), task_state_name(to));
  if (t->listener) t->listener(t->listener_arg, t, from, to);
}

static int node_pos(const task *t, int node) {
  for (int i = 0; i < t->v->nnodes; i++)
    if (t->v->nodes[i] == node) return i;
  return -1;
}

static void *dlsym_or_null(void *dl, const char *sym) { return dl && sym ? dlsym(dl, sym) : NULL; }

/* Buffers of a partition's pool; the settings are bounded when the job starts (execute.c). */
static uint32_t pool_size(const task_config *c, int nsub) {
  return (uint32_t)((uint64_t)nsub * (uint64_t)c->buffers_per_channel +
                    (uint64_t)c->floating_buffers + 1);
}

/* op_schedule of the task's operators. */
static int schedule(void *owner, op_t *op, int64_t due_ms, op_timer_fn fn) {
  task *t = owner;
  return timer_service_schedule(&t->timers, op, due_ms, fn);
}

/* The output of op that an edge with this side tag (NULL: main) reads from. */
static op_output *output_for(op_t *op, const char *tag, const spate_schema *schema) {
  if (!tag) return &op->out;
  for (int i = 0; i < op->nsides; i++)
    if (strcmp(op->sides[i].tag, tag) == 0) return &op->sides[i].out;
  op_side_output *n = sp_realloc(op->sides, sizeof *n * (size_t)(op->nsides + 1));
  if (!n) return NULL;
  op->sides = n;
  op_side_output *side = &op->sides[op->nsides++];
  memset(side, 0, sizeof *side);
  side->tag = tag;
  side->schema = schema;
  side->out.records_out = &side->records;
  return &side->out;
}

static int add_chained(op_output *o, op_t *succ, int input) {
  op_t **nc = sp_realloc(o->chained, sizeof *nc * (size_t)(o->nchained + 1));
  if (!nc) return SPATE_ENOMEM;
  o->chained = nc;
  int *ni = sp_realloc(o->chained_input, sizeof *ni * (size_t)(o->nchained + 1));
  if (!ni) return SPATE_ENOMEM;
  o->chained_input = ni;
  o->chained[o->nchained] = succ;
  o->chained_input[o->nchained] = input;
  o->nchained++;
  return 0;
}

/* ---- the barrier handler's hooks (barrier_handler.h) ----------------------------------------- */

/* The synchronous part: processing-time timers that are due fire first, so a checkpoint triggered
 * at processing time T holds (and its barrier follows) everything they emit: with a manual clock,
 * a completed checkpoint fences every timer due when it was triggered. Then every operator of the
 * chain writes its state (chain order). */
static int snapshot_hook(void *owner, int64_t id, task_snapshot **snap, int64_t *start_ns) {
  task *t = owner;
  int rc0 = timer_service_fire(&t->timers);
  if (rc0 < 0) return rc0;
  *start_ns = sp_mono_ns();
  return task_snapshot_take(t->ops, t->nops, t->v->parallelism, id, t->name, t->error,
                            sizeof t->error, snap);
}

static int forward_barrier(void *owner, int64_t id, const uint8_t *payload, uint32_t len) {
  task *t = owner;
  int rc = 0;
  for (int k = 0; rc == 0 && k < t->nwriters; k++)
    rc = rw_emit_barrier(&t->writers[k], id, payload, len);
  return rc;
}

/* A cancel marker downstream, so the tasks there stop aligning on checkpoint id too. */
static int forward_cancel(void *owner, int64_t id) {
  task *t = owner;
  for (int k = 0; k < t->nwriters; k++) {
    int rc = rw_broadcast_event(&t->writers[k], EL_CANCEL_BARRIER, &id, 8);
    if (rc < 0) return rc;
  }
  return 0;
}

/* The snapshot is complete (channel state included): hand it over for writing. */
static void hand_over(void *owner, const task_snapshot_done *d, task_snapshot *snap) {
  task *t = owner;
  if (t->cfg.on_snapshot) {
    snapshot_returns_handed_over(&t->returns);
    t->cfg.on_snapshot(t->listener_arg, t, d, snap);
  } else {
    task_snapshot_free(snap);
  }
}

static int restore(task *t);

/* Whether the key groups that edge e's HASH partitioner computes are those the vertex's head
 * operator computes for its own key: field keys (a selector could answer differently when called
 * twice), the same fields, and the same maximum parallelism. */
static bool same_key(const job_graph *jg, const jg_edge *e, const jg_vertex *v) {
  const sg_node *head = &jg->nodes[e->target_node];
  const key_spec *ek = &head->inputs[e->target_input].key, *nk = &head->key;
  if (e->part != PART_HASH || e->target_node != v->nodes[0] || ek->selector || nk->selector ||
      ek->nfields <= 0 || ek->nfields != nk->nfields || head->max_parallelism != v->max_parallelism)
    return false;
  for (int i = 0; i < ek->nfields; i++)
    if (ek->fields[i] != nk->fields[i]) return false;
  return true;
}

/* Builds operators, writers and gates. */
static int setup(task *t) {
  const job_graph *jg = t->jg;
  const jg_vertex *v = t->v;
  int rc;
  t->ops = sp_calloc((size_t)v->nnodes, sizeof *t->ops);
  t->writers = sp_calloc((size_t)v->noutputs + 1, sizeof *t->writers);
  t->gates = sp_calloc((size_t)v->ninputs + 1, sizeof *t->gates);
  if (!t->ops || !t->writers || !t->gates) return SPATE_ENOMEM;
  for (int i = 0; i < v->nnodes; i++) {
    rc = op_create(jg, v->nodes[i], t->subtask, t->cfg.vtable_for, t->dl, jg->artifact, t->error,
                   sizeof t->error, &t->cancel, &t->ops[i]);
    if (rc < 0) return rc;
    t->ops[i]->schedule = schedule;
    t->ops[i]->task = t;
    t->ops[i]->ctx.clock = t->clock;
    if (t->opts.restore_ops) t->ops[i]->restored = t->opts.restore_ops[i];
    t->ops[i]->checkpointing = t->opts.checkpointing;
    t->nops = i + 1;
  }
  int maxp = 1; /* scratch arrays for the wiring below hold one entry per peer subtask */
  for (int i = 0; i < jg->nvertices; i++)
    if (jg->vertices[i].parallelism > maxp) maxp = jg->vertices[i].parallelism;
  int *peers = sp_calloc((size_t)maxp, sizeof *peers);
  int *subs = sp_calloc((size_t)maxp, sizeof *subs);
  int *scratch = sp_calloc((size_t)maxp, sizeof *scratch);
  if (!peers || !subs || !scratch) {
    sp_free(peers);
    sp_free(subs);
    sp_free(scratch);
    return SPATE_ENOMEM;
  }
  rc = 0;
  /* record writers for edges leaving the vertex */
  for (int k = 0; rc == 0 && k < v->noutputs; k++) {
    const jg_edge *e = &jg->edges[v->outputs[k]];
    const jg_vertex *tv = &jg->vertices[e->target_vertex];
    int nsub = rp_consumers_of(e->part, v->parallelism, tv->parallelism, t->subtask, peers);
    const sg_node *target = &jg->nodes[e->target_node];
    const sg_edge *se = &target->inputs[e->target_input];
    const op_t *src = t->ops[node_pos(t, e->source_node)];
    rw_config c = {.partitioner = {.part = e->part,
                                   .nsub = nsub,
                                   .consumer_parallelism = tv->parallelism,
                                   .max_parallelism = tv->max_parallelism,
                                   .subtask = t->subtask,
                                   .schema = sg_edge_schema(jg->nodes, se)},
                   .flush_always = t->cfg.buffer_timeout_ms == 0,
                   .cancel = &t->cancel,
                   .backpressure_ns = &t->backpressure_ns,
                   .time = &t->cells.time,
                   .bytes_out = &t->cells.bytes_out,
                   .ctx = (spate_ctx *)&src->ctx,
                   .err = t->error,
                   .err_len = sizeof t->error};
    partitioner_config *pc = &c.partitioner;
    if (se->part == PART_HASH || se->part == PART_CUSTOM) {
      pc->nkey = se->key.nfields;
      pc->key_fields = se->key.fields;
      pc->key_schema = se->key.key_schema;
      if (se->key.selector) {
        pc->key_fn = (spate_key_fn)dlsym_or_null(t->dl, se->key.selector);
        if (!pc->key_fn) {
          rc = sp_err(t->error, sizeof t->error, SPATE_ENOENT,
                      "%s: key selector '%s' not found in %s", t->name, se->key.selector,
                      jg->artifact ? jg->artifact : "the program");
          break;
        }
      }
      if (se->part == PART_CUSTOM) {
        pc->custom_fn = (spate_partition_fn)dlsym_or_null(t->dl, se->partition_fn);
        if (!pc->custom_fn) {
          rc = sp_err(t->error, sizeof t->error, SPATE_ENOENT,
                      "%s: partitioner '%s' not found in %s", t->name,
                      se->partition_fn ? se->partition_fn : "(none)",
                      jg->artifact ? jg->artifact : "the program");
          break;
        }
      }
    }
    result_partition *rp;
    rc = shuffle_env_partition(t->shuffle, t->shuffle_key, e->id, t->subtask, nsub,
                               pool_size(&t->cfg, nsub), t->cfg.buffer_size, &rp);
    if (rc < 0) break;
    if ((rc = rw_init(&t->writers[k], rp, &c)) < 0) {
      rp_unref(rp);
      break;
    }
    t->nwriters = k + 1;
  }
  /* input gates for edges entering the vertex */
  for (int k = 0; rc == 0 && k < v->ninputs; k++) {
    const jg_edge *e = &jg->edges[v->inputs[k]];
    const jg_vertex *sv = &jg->vertices[e->source_vertex];
    input_gate *g = &t->gates[k];
    g->input = e->target_input;
    const spate_schema *carried =
        sg_edge_schema(jg->nodes, &jg->nodes[e->target_node].inputs[e->target_input]);
    g->nfields = carried ? (uint32_t)carried->nfields : 0;
    g->schema = carried;
    g->key_group_hint = same_key(jg, e, v);
    int n = rp_producers_of(e->part, sv->parallelism, v->parallelism, t->subtask, peers, subs);
    g->ch = sp_calloc((size_t)n + 1, sizeof *g->ch);
    if (!g->ch) {
      rc = SPATE_ENOMEM;
      break;
    }
    t->ngates = k + 1;
    int first = 0; /* the global subtask index of the source vertex's subtask 0 (placement) */
    for (int i = 0; i < e->source_vertex; i++) first += jg->vertices[i].parallelism;
    for (int c = 0; rc == 0 && c < n; c++) {
      int nsub = rp_consumers_of(e->part, sv->parallelism, v->parallelism, peers[c], scratch);
      shuffle_input in = {.job_key = t->shuffle_key,
                          .edge = e->id,
                          .producer_index = first + peers[c],
                          .producer = peers[c],
                          .sub = subs[c],
                          .nsub = nsub,
                          .buffers = pool_size(&t->cfg, nsub),
                          .size = t->cfg.buffer_size,
                          .credit = (uint32_t)t->cfg.buffers_per_channel,
                          .consumer = t->subtask,
                          .floating = (uint32_t)t->cfg.floating_buffers};
      result_partition *rp;
      int sub;
      char why[SP_ERRMSG_MAX / 2] = "";
      rc = shuffle_env_input(t->shuffle, &in, &rp, &sub, why, sizeof why);
      if (rc < 0 && why[0])
        sp_err(t->error, sizeof t->error, rc, "%s: cannot connect input %d to producer %d: %s",
               t->name, k, peers[c], why);
      if (rc == 0) {
        channel_connect(&g->ch[c], rp, sub, &t->event);
        g->ch[c].bytes_in = &t->cells.bytes_in;
        rp_unref(rp); /* the channel holds its own reference */
        g->nch = c + 1;
      }
    }
  }
  sp_free(peers);
  sp_free(subs);
  sp_free(scratch);
  if (rc < 0) return rc;
  int nch = 0; /* the valve numbers channels across gates */
  for (int g = 0; g < t->ngates; g++)
    for (int c = 0; c < t->gates[g].nch; c++) t->gates[g].ch[c].vidx = nch++;
  if ((rc = valve_init(&t->valve, nch)) < 0) return rc;
  bh_hooks hooks = {.owner = t,
                    .snapshot = snapshot_hook,
                    .forward_barrier = forward_barrier,
                    .forward_cancel = forward_cancel,
                    .hand_over = hand_over};
  if ((rc = bh_init(&t->bh, t->gates, t->ngates, t->opts.unaligned, t->opts.aligned_timeout_ms,
                    t->clock, t->name, &hooks)) < 0)
    return rc;
  /* chain wiring: successors inside the vertex, writers of edges leaving each node; edges that
   * read a side output are wired to that output instead of the main one */
  for (int i = 0; i < v->nnodes; i++) {
    op_t *op = t->ops[i];
    int node = v->nodes[i];
    for (int j = 0; j < v->nnodes; j++) {
      const sg_node *n = &jg->nodes[v->nodes[j]];
      for (int in = 0; in < n->ninputs; in++) {
        if (n->inputs[in].source != node) continue;
        op_output *o = output_for(op, n->inputs[in].side_tag, n->inputs[in].side_schema);
        if (!o || add_chained(o, t->ops[j], in) < 0) return SPATE_ENOMEM;
      }
    }
    for (int k = 0; k < v->noutputs; k++) {
      const jg_edge *e = &jg->edges[v->outputs[k]];
      if (e->source_node != node) continue;
      const sg_edge *se = &jg->nodes[e->target_node].inputs[e->target_input];
      op_output *o = output_for(op, se->side_tag, se->side_schema);
      record_writer **nw =
          o ? sp_realloc(o->writers, sizeof *nw * (size_t)(o->nwriters + 1)) : NULL;
      if (!nw) return SPATE_ENOMEM;
      o->writers = nw;
      o->writers[o->nwriters++] = &t->writers[k];
    }
  }
  /* a subtask restored as finished only passes its end on (task_main): its operators are
   * neither opened nor restored, so no user function runs (Flink's FinishedOperatorChain) */
  if (t->opts.finished) return restore(t);
  /* open tail first, so a head that emits in open finds its successors ready */
  for (int i = v->nnodes - 1; i >= 0; i--)
    if ((rc = op_open(t->ops[i])) < 0) return rc;
  return restore(t);
}

/* ---- checkpoints ------------------------------------------------------------------------------ */

/* Hands restored state to the operators, then replays the channel state of an unaligned
 * checkpoint: the records that were in flight to this subtask when it took its snapshot. */
static int restore(task *t) {
  int rc = 0;
  for (int i = 0; rc == 0 && !t->opts.finished && i < t->nops; i++) {
    op_t *op = t->ops[i];
    if (op->restored && op->vt->restore) rc = op->vt->restore(op, op->restored);
  }
  if (rc == 0 && !t->opts.finished && t->opts.channel_state.len) {
    sp_reader r;
    sp_reader_init(&r, t->opts.channel_state.data, t->opts.channel_state.len);
    uint64_t n = 0;
    while (rc == 0 && sp_reader_ok(&r) && r.pos < r.len) {
      uint32_t g = sp_get_u32(&r), len;
      const uint8_t *p = sp_get_blob(&r, &len);
      if (!sp_reader_ok(&r) || g >= (uint32_t)t->ngates || !p || len < 8) {
        rc = sp_err(t->error, sizeof t->error, SPATE_ECORRUPT,
                    "%s: channel state is malformed at byte %zu", t->name, r.pos);
        break;
      }
      /* Operators read rows in place: a record from the file is checked like restored keyed
       * state (the checksum only catches accidents). */
      char why[160];
      if (!t->gates[g].schema ||
          row_validate(p + 8, len - 8, t->gates[g].schema, false, why, sizeof why) < 0) {
        rc = sp_err(t->error, sizeof t->error, SPATE_ECORRUPT,
                    "%s: channel state record %llu at byte %zu is malformed: %s", t->name,
                    (unsigned long long)n, r.pos - len, t->gates[g].schema ? why : "no schema");
        break;
      }
      int64_t ts;
      memcpy(&ts, p, 8);
      spate_row row = {p + 8, len - 8, t->gates[g].nfields};
      t->ops[0]->input_key_group = -1; /* channel state keeps no key groups */
      rc = op_process(t->ops[0], t->gates[g].input, ts, &row);
      n++;
    }
    if (rc == 0)
      SP_INFO("task", "%s replayed %llu in-flight records from the checkpoint.", t->name,
              (unsigned long long)n);
  }
  for (int i = 0; i < t->nops; i++) t->ops[i]->restored = NULL;
  if (t->opts.release) t->opts.release(t->opts.release_arg);
  t->opts.release = NULL;
  t->opts.restore_ops = NULL;
  return rc;
}

void task_snapshot_return(task *t, task_snapshot *s) { snapshot_returns_push(&t->returns, s); }

typedef struct trigger_mail {
  el_barrier b;
  uint32_t len;
  uint8_t payload[];
} trigger_mail;

/* A trigger (bh_trigger); a source told to stop with it ends after the barrier. Told to drain
 * as well (Flink's stop --drain, FLIP-34), a source first emits the end of event time: every
 * event-time timer downstream fires and every window flushes before the barrier, so their
 * output precedes the savepoint and the savepoint holds no pending windows. */
static void trigger_mail_fn(void *owner, void *arg, bool run) {
  task *t = owner;
  trigger_mail *m = arg;
  if (run && atomic_load(&t->state) == TS_RUNNING && t->pending_rc == 0) {
    int rc = 0;
    if (t->v->ninputs == 0 &&
        (m->b.flags & (BARRIER_STOP | BARRIER_DRAIN)) == (BARRIER_STOP | BARRIER_DRAIN) &&
        bh_trigger_current(&t->bh, m->b.id))
      rc = op_watermark(t->ops[0], 0, INT64_MAX);
    if (rc == 0) rc = bh_trigger(&t->bh, m->payload, m->len);
    if (rc > 0 && t->v->ninputs == 0 && (m->b.flags & BARRIER_STOP)) t->stop_requested = true;
    if (rc < 0) t->pending_rc = rc;
  }
  sp_free(m);
}

int task_trigger_checkpoint(task *t, const el_barrier *b, const char *dir) {
  size_t dl = dir ? strlen(dir) : 0;
  trigger_mail *m = sp_malloc(sizeof *m + sizeof *b + dl);
  if (!m) return SPATE_ENOMEM;
  m->b = *b;
  m->b.dir_len = (uint32_t)dl;
  m->len = (uint32_t)(sizeof *b + dl);
  memcpy(m->payload, &m->b, sizeof *b);
  if (dl) memcpy(m->payload + sizeof *b, dir, dl);
  int rc = task_post(t, trigger_mail_fn, m);
  if (rc < 0) sp_free(m);
  return rc;
}

typedef struct notify_mail {
  int64_t id;
  bool complete;
} notify_mail;

static void notify_mail_fn(void *owner, void *arg, bool run) {
  task *t = owner;
  notify_mail *m = arg;
  if (run && t->pending_rc == 0) {
    int rc = 0;
    if (!m->complete) rc = bh_checkpoint_aborted(&t->bh, m->id);
    for (int i = 0; rc == 0 && i < t->nops; i++) {
      op_t *op = t->ops[i];
      if (m->complete && op->vt->notify_complete) rc = op->vt->notify_complete(op, m->id);
      if (!m->complete && op->vt->notify_aborted) rc = op->vt->notify_aborted(op, m->id);
    }
    if (rc < 0) t->pending_rc = rc;
  }
  sp_free(m);
}

int task_notify_checkpoint(task *t, int64_t id, bool complete) {
  notify_mail *m = sp_malloc(sizeof *m);
  if (!m) return SPATE_ENOMEM;
  m->id = id;
  m->complete = complete;
  int rc = task_post(t, notify_mail_fn, m);
  if (rc < 0) sp_free(m);
  return rc;
}

static void flush_all(task *t) {
  for (int k = 0; k < t->nwriters; k++) rw_flush(&t->writers[k]);
  t->last_flush_ns = sp_clock_mono_ns(t->clock);
}

static bool flush_due(task *t, int64_t now) {
  if (t->cfg.buffer_timeout_ms < 0) return false;
  return now - t->last_flush_ns >= t->cfg.buffer_timeout_ms * 1000000LL;
}

static bool any_dirty(task *t) {
  for (int k = 0; k < t->nwriters; k++)
    if (t->writers[k].dirty) return true;
  return false;
}

/* Parks the task until a producer, a mail, a cancel request, a returned snapshot or an advance of
 * a manual clock notifies its event, or until the earliest of its deadlines (the next timer, the
 * next buffer flush, the alignment timeout) passes on its clock. The caller took `token` before
 * it found nothing to do. */
static int park(task *t, uint32_t token) {
  for (int i = 0; i < t->nops; i++) /* what sinks buffered goes out before the task idles */
    if (t->ops[i]->vt->flush) {
      int rc = t->ops[i]->vt->flush(t->ops[i]);
      if (rc < 0) return rc;
    }
  for (int k = 0; k < t->nwriters; k++) /* and consumers learn of every full buffer */
    rw_wake_consumers(&t->writers[k]);
  int64_t left = timer_service_left_ns(&t->timers); /* clock ns; -1: no deadline */
  int64_t align_ms = bh_timeout_wait_ms(&t->bh);
  if (align_ms >= 0 && (left < 0 || align_ms * 1000000LL < left)) left = align_ms * 1000000LL;
  if (t->cfg.buffer_timeout_ms > 0 && any_dirty(t)) {
    int64_t flush_in =
        t->last_flush_ns + t->cfg.buffer_timeout_ms * 1000000LL - sp_clock_mono_ns(t->clock);
    if (flush_in < 0) flush_in = 0;
    if (left < 0 || flush_in < left) left = flush_in;
  }
  task_time_begin(&t->cells.time, TASK_WAIT_IDLE, sp_mono_ns());
  sp_event_wait(&t->event, token, left < 0 ? -1 : sp_clock_wait_ns(t->clock, left));
  task_time_end(&t->cells.time, TASK_WAIT_IDLE, sp_mono_ns());
  return 0;
}

/* After the end of input: sinks whose last output is committed by a checkpoint (FLIP-147's
 * final checkpoint) keep the task running, taking checkpoint triggers and notifications, until
 * that commit has happened; then the output ends (end_partitions). Its consumers are still
 * running meanwhile, so the final checkpoint's barrier reaches them through it. */
static bool awaiting_commit(const task *t) {
  for (int i = 0; i < t->nops; i++)
    if (t->ops[i]->awaiting_commit) return true;
  return false;
}

static int linger(task *t) {
  while (awaiting_commit(t)) {
    uint32_t token = sp_event_prepare(&t->event);
    if (mailbox_has_mail(&t->mail)) {
      mailbox_run(&t->mail, t);
      continue;
    }
    if (t->pending_rc < 0) return t->pending_rc;
    if (atomic_load(&t->cancel)) return SPATE_ECANCELED;
    snapshot_returns_free(&t->returns);
    task_time_begin(&t->cells.time, TASK_WAIT_IDLE, sp_mono_ns());
    sp_event_wait(&t->event, token, 100000000LL);
    task_time_end(&t->cells.time, TASK_WAIT_IDLE, sp_mono_ns());
  }
  return t->pending_rc;
}

/* The end of the task's output: consumers see their input end. */
static int end_partitions(task *t) {
  for (int k = 0; k < t->nwriters; k++) {
    int rc = rw_broadcast_event(&t->writers[k], EL_END_OF_PARTITION, NULL, 0);
    if (rc < 0) return rc;
  }
  flush_all(t);
  return 0;
}

/* The end of input: the final watermark of a bounded source, end_input of every operator, the
 * wait for the final checkpoint's commit of sinks that await it (linger), then the end of the
 * output: a sink's commit may still emit records (the file sink's partition commit info), so the
 * output ends only after it. */
static int finish(task *t) {
  int rc;
  /* a bounded source's end is the end of event time: every window and timer fires (Flink's
   * MAX_WATERMARK); other tasks get it from their inputs. A source stopped by a savepoint ends
   * without it: what is not fired yet is in the savepoint (a drained stop sent it before the
   * barrier). */
  if (t->v->ninputs == 0 && !t->stop_requested && (rc = op_watermark(t->ops[0], 0, INT64_MAX)) < 0)
    return rc;
  for (int i = 0; i < t->nops; i++)
    if ((rc = op_end_input(t->ops[i])) < 0) return rc;
  if ((rc = linger(t)) < 0) return rc;
  return end_partitions(t);
}

static bool input_available(task *t) {
  for (int g = 0; g < t->ngates; g++)
    for (int c = 0; c < t->gates[g].nch; c++) {
      input_channel *ch = &t->gates[g].ch[c];
      if (ch->finished || bh_blocked(&t->bh, ch->vidx)) continue;
      if ((ch->buf && ch->pos < ch->buf->size) || !sp_spsc_empty(&ch->rp->subs[ch->sub].queue) ||
          channel_failure(ch))
        return true;
    }
  return false;
}

/* Sources are polled in batches sized to take about a millisecond: large enough to amortise the
 * loop, small enough that timers, flushes and mails are not held up by a slow source. */
static int run_source(task *t) {
  op_t *head = t->ops[0];
  int budget = 64;
  for (;;) {
    if (mailbox_has_mail(&t->mail)) mailbox_run(&t->mail, t);
    if (t->pending_rc < 0) return t->pending_rc;
    if (atomic_load_explicit(&t->cancel, memory_order_relaxed)) return SPATE_ECANCELED;
    if (t->stop_requested) return 0; /* stop-with-savepoint: nothing after the barrier */
    snapshot_returns_free(&t->returns);
    /* the token comes before the poll: whatever changes after the poll found nothing (a mail,
     * the clock) makes a park below return at once */
    uint32_t token = sp_event_prepare(&t->event);
    int64_t start = sp_mono_ns();
    uint64_t bp_before = t->backpressure_ns;
    int rc = op_poll(head, budget);
    if (rc < 0) return rc;
    if (rc == SRC_END) return 0;
    int64_t took = sp_mono_ns() - start;
    /* a poll that found nothing spent its time in the source's own short wait: idle (less what
     * it spent backpressured, accounted already) */
    uint64_t bp = t->backpressure_ns - bp_before;
    if (rc == SRC_IDLE && (uint64_t)took > bp)
      task_time_add(&t->cells.time, TASK_WAIT_IDLE, (uint64_t)took - bp);
    if (took > 2000000 && budget > 1)
      budget /= 2;
    else if (took < 500000 && budget < 1024)
      budget *= 2;
    int fired = timer_service_fire(&t->timers);
    if (fired < 0) return fired;
    if (rc == SRC_IDLE || rc == SRC_WAIT || flush_due(t, sp_clock_mono_ns(t->clock))) flush_all(t);
    /* nothing until a mail, a timer or the clock: park (unless a timer just ran, which may have
     * given the source something to do) */
    if (rc == SRC_WAIT && fired == 0 && !mailbox_has_mail(&t->mail) && !atomic_load(&t->cancel) &&
        !snapshot_returns_pending(&t->returns) && (rc = park(t, token)) < 0)
      return rc;
  }
}

/* Hands what the valve decided to the head operator: status first, then the watermark. */
static int apply_valve(task *t, const valve_output *vo) {
  int rc = 0;
  if (vo->status_changed) rc = op_status(t->ops[0], vo->idle);
  if (vo->has_wm) sw_set_i64(&t->cells.input_watermark, vo->wm); /* the task's input watermark */
  if (rc == 0 && vo->has_wm) rc = op_watermark(t->ops[0], 0, vo->wm);
  return rc;
}

/* How many records ahead of the current one a keyed head operator is told of (op_vtable
 * prefetch): with the state's slot loaded at this distance and its entry at half of it
 * (ks_prefetch), about as many cache misses are in flight as the core overlaps. */
#define LOOK_AHEAD 8

static int run_inputs(task *t) {
  op_t *head = t->ops[0];
  int open_gates = 0;
  for (int g = 0; g < t->ngates; g++)
    if (t->gates[g].nch > t->gates[g].nfinished) open_gates++;
  while (open_gates > 0) {
    if (mailbox_has_mail(&t->mail)) mailbox_run(&t->mail, t);
    if (t->pending_rc < 0) return t->pending_rc;
    if (atomic_load_explicit(&t->cancel, memory_order_relaxed)) return SPATE_ECANCELED;
    snapshot_returns_free(&t->returns);
    if (t->bh.announcements) {
      int rc = bh_poll(&t->bh);
      if (rc < 0) return rc;
    }
    bool progress = false;
    for (int g = 0; g < t->ngates; g++) {
      input_gate *gate = &t->gates[g];
      for (int c = 0; c < gate->nch; c++) {
        input_channel *ch = &gate->ch[c];
        if (ch->finished || bh_blocked(&t->bh, ch->vidx)) continue;
        stream_element el;
        int r = 0, n = 0;
        /* Look-ahead for keyed heads (op_vtable.prefetch): the records up to LOOK_AHEAD
         * positions after the current one in its buffer are hinted to the operator, so that the
         * cache misses of their state lookups overlap. An operator whose state fits in the cache
         * declines a hint, and the rest of this turn's records go without (peeking is not free). */
        bool (*prefetch)(op_t *, int, int64_t, const spate_row *, int) =
            gate->key_group_hint ? head->vt->prefetch : NULL;
        uint32_t ahead = 0, ahead_buf = ch->nbufs;
        int hinted = 0; /* records hinted beyond the current one */
        while (n < 4096 && (r = channel_next(ch, &el)) == 1) {
          n++;
          if (el.tag == EL_RECORD) {
            if (prefetch) {
              if (ch->nbufs != ahead_buf) ahead = 0, hinted = 0, ahead_buf = ch->nbufs;
              hinted = hinted > 0 ? hinted - 1 : 0;
              stream_element la;
              while (hinted < LOOK_AHEAD && channel_peek(ch, &ahead, &la)) {
                if (la.tag != EL_RECORD || la.len < 8) continue;
                int64_t lts;
                memcpy(&lts, la.payload, 8);
                spate_row lrow = {la.payload + 8, la.len - 8, gate->nfields};
                if (!prefetch(head, gate->input, lts, &lrow, la.key_group)) {
                  prefetch = NULL;
                  break;
                }
                hinted++;
              }
            }
            int64_t ts;
            memcpy(&ts, el.payload, 8);
            spate_row row = {el.payload + 8, el.len - 8, gate->nfields};
            bh_capture(&t->bh, ch->vidx, (uint32_t)g, el.payload, el.len); /* in flight? */
            head->input_key_group = gate->key_group_hint ? el.key_group : -1;
            int rc = op_process(head, gate->input, ts, &row);
            if (rc < 0) return rc;
          } else if (el.tag == EL_BARRIER) {
            int rc = bh_on_barrier(&t->bh, ch->vidx, el.payload, el.len);
            if (rc < 0) return rc;
            if (bh_blocked(&t->bh, ch->vidx)) break;
          } else if (el.tag == EL_CANCEL_BARRIER && el.len == 8) {
            int64_t id;
            memcpy(&id, el.payload, 8);
            int rc = bh_on_cancel_barrier(&t->bh, id);
            if (rc < 0) return rc;
          } else if (el.tag == EL_WATERMARK && el.len == 8) {
            int64_t wm;
            memcpy(&wm, el.payload, 8);
            valve_output vo;
            valve_watermark(&t->valve, ch->vidx, wm, &vo);
            int rc = apply_valve(t, &vo);
            if (rc < 0) return rc;
          } else if (el.tag == EL_STATUS && el.len == 4) {
            uint32_t st;
            memcpy(&st, el.payload, 4);
            valve_output vo;
            valve_status(&t->valve, ch->vidx, st != 0, &vo);
            int rc = apply_valve(t, &vo);
            if (rc < 0) return rc;
          } else if (el.tag == EL_END_OF_PARTITION) {
            ch->finished = true;
            if (++gate->nfinished == gate->nch) open_gates--;
            valve_output vo;
            valve_finished(&t->valve, ch->vidx, &vo);
            int rc = apply_valve(t, &vo);
            if (rc == 0) rc = bh_on_end_of_partition(&t->bh, ch->vidx);
            if (rc < 0) return rc;
            break;
          }
        }
        if (r < 0) /* a failed network channel says why (the connection, the peer) */
          return sp_err(t->error, sizeof t->error, r,
                        "%s: cannot read input %d from producer channel %d: %s", t->name, g, c,
                        channel_failure(ch) ? channel_failure(ch) : spate_strerror(r));
        if (n) progress = true;
      }
    }
    int rc = timer_service_fire(&t->timers);
    if (rc < 0) return rc;
    if (flush_due(t, sp_clock_mono_ns(t->clock))) flush_all(t);
    if (!progress && open_gates > 0) {
      uint32_t token = sp_event_prepare(&t->event);
      if (input_available(t) || mailbox_has_mail(&t->mail) || atomic_load(&t->cancel)) continue;
      if ((rc = park(t, token)) < 0) return rc;
    }
  }
  return 0;
}

static void *task_main(void *arg) {
  task *t = arg;
  crash_thread_begin(t->name); /* a fatal signal on this thread names the task */
  switch_state(t, TS_DEPLOYING);
  int rc = setup(t);
  atomic_store_explicit(&t->wired, true, memory_order_release); /* task_cancel may wake pools */
  if (rc == 0 && atomic_load(&t->cancel)) rc = SPATE_ECANCELED;
  if (rc == 0) {
    task_time_start(&t->cells.time, sp_mono_ns());
    switch_state(t, TS_RUNNING);
    t->last_flush_ns = sp_clock_mono_ns(t->clock);
    if (t->opts.finished) { /* it ended before the checkpoint: only its end goes on */
      SP_INFO("task", "%s had finished when the checkpoint was taken; it is not run again.",
              t->name);
      for (int k = 0; rc == 0 && k < t->nwriters; k++)
        rc = rw_broadcast_event(&t->writers[k], EL_END_OF_PARTITION, NULL, 0);
      flush_all(t);
    } else {
      rc = t->v->ninputs == 0 ? run_source(t) : run_inputs(t);
      if (rc == 0) rc = finish(t);
    }
  }
  /* A task that completed its work is FINISHED even if a cancel came late; any failure after a
   * cancel request is part of cancelling (as Flink ignores exceptions while cancelling). */
  task_time_stop(&t->cells.time, sp_mono_ns()); /* no-op if it never ran */
  bool canceled = rc < 0 && (rc == SPATE_ECANCELED || atomic_load(&t->cancel));
  sp_writer_init(&t->collected);
  if (rc == 0) /* what collect sinks gathered goes into the final report */
    for (int i = 0; i < t->nops; i++)
      if (t->ops[i]->vt->report && t->ops[i]->impl) { /* opened (not restored as finished) */
        t->ops[i]->vt->report(t->ops[i], &t->collected);
        t->ncollected++;
      }
  /* A cancelled task still takes the mails posted before it stopped (the cancel request among
   * them, which an operator may have noticed through the flag first); then it takes no more. */
  if (canceled) mailbox_run(&t->mail, t);
  mailbox_close(&t->mail, t);
  if (canceled) {
    t->error[0] = 0;
    if (atomic_load(&t->state) != TS_CANCELING) switch_state(t, TS_CANCELING);
  } else if (rc < 0 && !t->error[0]) {
    sp_err(t->error, sizeof t->error, rc, "%s failed: %s", t->name, spate_strerror(rc));
  }
  /* release and close everything on this thread before the final report, so that user close
   * functions run where open ran and the job's end means everything is released */
  for (int k = 0; k < t->nwriters; k++) rw_release(&t->writers[k]);
  for (int g = 0; g < t->ngates; g++)
    for (int c = 0; c < t->gates[g].nch; c++) channel_close(&t->gates[g].ch[c]);
  bh_reset(&t->bh);
  snapshot_returns_await(&t->returns); /* the writer may still read operator state */
  for (int i = 0; i < t->nops; i++) op_close(t->ops[i]);
  crash_thread_end();
  switch_state(t, rc == 0 ? TS_FINISHED : canceled ? TS_CANCELED : TS_FAILED);
  return NULL;
}

static void wake_on_clock(void *arg) {
  task *t = arg;
  sp_event_notify(&t->event);
}

int task_start(const job_graph *jg, int vertex, int subtask, int attempt, shuffle_env *shuffle,
               void *dl, const task_config *cfg, const task_options *opts, task_listener listener,
               void *arg, task **out) {
  *out = NULL;
  task *t = sp_calloc(1, sizeof *t);
  if (!t) return SPATE_ENOMEM;
  t->jg = jg;
  t->v = &jg->vertices[vertex];
  t->subtask = subtask;
  t->attempt = attempt;
  t->shuffle = shuffle;
  t->dl = dl;
  t->cfg = *cfg;
  if (opts) t->opts = *opts;
  t->listener = listener;
  t->listener_arg = arg;
  snprintf(t->name, sizeof t->name, "%s (%d/%d)", t->v->name, subtask + 1, t->v->parallelism);
  snprintf(t->shuffle_key, sizeof t->shuffle_key, "%s-%d", jg->job_id, attempt);
  snprintf(t->attempt_id, sizeof t->attempt_id, "%.16s_%d_%d_%d", jg->job_id, vertex, subtask,
           attempt);
  sp_event_init(&t->event);
  t->clock = cfg->clock ? cfg->clock : sp_clock_system();
  timer_service_init(&t->timers, t->clock);
  t->clock_sub = (sp_clock_sub){.wake = wake_on_clock, .arg = t};
  sp_clock_subscribe(t->clock, &t->clock_sub);
  snapshot_returns_init(&t->returns, &t->event);
  mailbox_init(&t->mail, &t->event);
  sw_set_i64(&t->cells.input_watermark, INT64_MIN);
  atomic_store(&t->state, TS_CREATED);
  if (pthread_create(&t->thread, NULL, task_main, t) != 0) {
    sp_clock_unsubscribe(t->clock, &t->clock_sub);
    mailbox_destroy(&t->mail, t);
    sp_event_destroy(&t->event);
    sp_free(t);
    return SPATE_ENOMEM;
  }
  *out = t;
  return 0;
}

/* The cancel mail: on the task thread, report CANCELING when the request is taken. */
static void cancel_mail(void *owner, void *arg, bool run) {
  task *t = owner;
  if (!run || atomic_load(&t->state) != TS_RUNNING) return;
  SP_INFO("task", "Attempting to cancel task %s (%s).", t->name, t->attempt_id);
  switch_state(t, TS_CANCELING);
}

void task_cancel(task *t) {
  /* The flag ends waits that cannot take mails (a producer blocked on its pool); the mail does
   * the rest on the task thread. */
  mailbox_post(&t->mail, cancel_mail, NULL); /* fails only once the task has ended */
  atomic_store(&t->cancel, true); /* after the post: a task that sees the flag finds the mail */
  sp_event_notify(&t->event);
  if (!atomic_load_explicit(&t->wired, memory_order_acquire)) return; /* setup checks the flag */
  for (int k = 0; k < t->nwriters; k++)
    if (t->writers[k].rp) bufpool_wake(t->writers[k].rp->pool);
}

int task_post(task *t, void (*fn)(void *task, void *arg, bool run), void *arg) {
  return mailbox_post(&t->mail, fn, arg);
}

void task_join_free(task *t) {
  if (!t) return;
  pthread_join(t->thread, NULL);
  for (int k = 0; k < t->nwriters; k++) rw_destroy(&t->writers[k]);
  for (int g = 0; g < t->ngates; g++) sp_free(t->gates[g].ch);
  for (int i = 0; i < t->nops; i++) op_free(t->ops[i]);
  sp_free(t->ops);
  sp_free(t->writers);
  sp_free(t->gates);
  sp_writer_free(&t->collected);
  valve_destroy(&t->valve);
  timer_service_destroy(&t->timers);
  bh_destroy(&t->bh);
  if (t->opts.release) t->opts.release(t->opts.release_arg); /* never restored */
  mailbox_destroy(&t->mail, t);
  snapshot_returns_destroy(&t->returns);
  sp_clock_unsubscribe(t->clock, &t->clock_sub);
  sp_event_destroy(&t->event);
  sp_free(t);
}

const char *task_error(const task *t) { return t->error; }

void task_report(const task *t, sp_writer *w) {
  sp_put_u32(w, (uint32_t)t->nops);
  for (int i = 0; i < t->nops; i++) {
    sp_put_i32(w, t->v->nodes[i]);
    sp_put_u64(w, sw_get(&t->ops[i]->records_in));
    sp_put_u64(w, sw_get(&t->ops[i]->records_out));
    sp_put_u64(w, t->backpressure_ns);
  }
  sp_put_u32(w, t->ncollected);
  sp_put_bytes(w, t->collected.data, t->collected.len);
}

/* ---- for the metric readers (task_cells.h) ------------------------------------------------- */
const task_cells *task_cells_of(const task *t) { return &t->cells; }
const jg_vertex *task_vertex(const task *t) { return t->v; }

int task_wired_ops(const task *t, op_t *const **ops) {
  /* the ops and their outputs are built before wired is published, and stay until freed */
  if (!atomic_load_explicit((_Atomic bool *)&t->wired, memory_order_acquire)) return 0;
  *ops = t->ops;
  return t->nops;
}
