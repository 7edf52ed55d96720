/*
 * job_master.c: schedules and supervises one job.
 *
 * Life of a job: CREATED -> RUNNING when the JobMaster starts and asks the ResourceManager for
 * slots; with slots it deploys every subtask (slot sharing: slot k of a sharing group holds
 * subtask k of every vertex in that group, so a job needs as many slots per group as the group's
 * highest parallelism). A subtask that fails turns the job FAILING: the others are cancelled, and
 * when all are terminal the job is FAILED with the first failure as its cause. A cancel request
 * does the same through CANCELLING to CANCELED. When all subtasks are FINISHED the job is.
 * Then slots and partitions are released and the result goes to the Dispatcher.
 *
 * Checkpoints (Flink's CheckpointCoordinator, in the JobMaster): with
 * execution.checkpointing.interval set, a timer triggers checkpoint n at the source subtasks
 * (respecting min pause and max concurrent checkpoints); every subtask acknowledges once its
 * state file is written; then the metadata is written atomically, the checkpoint is complete,
 * and every subtask is notified (two-phase-commit sinks commit). A checkpoint that expires or is
 * declined is aborted; more consecutive failures than tolerable fail the job.
 *
 * Failover: a failed subtask cancels the others (RUNNING -> RESTARTING); if the restart strategy
 * allows, after its backoff every subtask is deployed again as a new attempt (with its own
 * partitions) restoring the latest completed checkpoint (falling back to older ones that load,
 * else the savepoint the job started from). Otherwise the job fails as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "checkpoint/storage.h"
#include "cluster/components.h"
#include "cluster/messages.h"
#include "cluster/restart_strategy.h"
#include "graph/op_params.h"
#include "runtime/result_partition.h"

typedef enum job_status {
  JOB_CREATED,
  JOB_RUNNING,
  JOB_FAILING,
  JOB_FAILED,
  JOB_CANCELLING,
  JOB_CANCELED,
  JOB_FINISHED,
  JOB_RESTARTING,
} job_status;

static const char *job_status_name(job_status s) {
  static const char *n[] = {"CREATED",  "RUNNING",  "FAILING",   "FAILED",
                            "CANCELLING", "CANCELED", "FINISHED", "RESTARTING"};
  return n[s];
}

enum { RETAIN_NONE = 0, RETAIN_DELETE_ON_CANCEL = 1, RETAIN_ON_CANCEL = 2 };

typedef struct ckpt_settings {
  int64_t interval_ms; /* <= 0: no periodic checkpoints */
  int64_t timeout_ms, min_pause_ms, aligned_timeout_ms;
  int max_concurrent, tolerable;
  bool exactly_once, unaligned;
  int retention;
  int num_retained;
  char dir[4096];       /* <state.checkpoints.dir>/<job id>, or "" */
  char savepoint_dir[4096];
  char restore[4096];   /* execution.savepoint.path, resolved to a checkpoint directory */
  bool allow_non_restored;
} ckpt_settings;

typedef struct ckpt_ack {
  bool got;
  bool finished; /* the subtask had finished: no state, not run again on restore */
  char *file;
  uint64_t length, checksum;
  int64_t sync_ms, async_ms, align_ms;
  bool unaligned;
} ckpt_ack;

typedef struct pending_ckpt {
  struct pending_ckpt *next;
  int64_t id, timestamp, start_ms;
  bool savepoint, stop;
  char dir[4096];
  char reply[64];       /* savepoints: who asked */
  uint32_t flags;       /* the barrier's options */
  int nacks;
  ckpt_ack *acks;       /* by task index */
} pending_ckpt;

typedef struct completed_ckpt {
  int64_t id;
  char dir[4096];
} completed_ckpt;

typedef struct execution {
  task_state state;
  char te[48];     /* TaskExecutor address once deployed */
  uint8_t *report; /* final report */
  size_t report_len;
} execution;

struct job_master {
  rpc_service *rpc;
  rpc_endpoint *ep;
  char address[64];
  job_graph *jg;
  uint8_t *bytes;
  size_t len;
  job_status status;
  execution **exec;   /* [vertex][subtask] */
  int remaining;      /* executions not yet terminal */
  int64_t start_ms;
  char *error;        /* first failure */
  bool done;
  int attempt;        /* execution attempt: 0, then one more per restart */
  int restarts;
  int ntasks;         /* subtasks of all vertices */
  char (*slot_te)[48];/* slot assignment per task index, kept across restarts */
  int *slot_no;
  restart_strategy *restart;
  ckpt_settings ck;
  int64_t next_id;
  pending_ckpt *pending;
  int npending;
  int64_t last_done_ms;   /* end of the last completed checkpoint (min pause) */
  int failures;           /* consecutive failed checkpoints */
  completed_ckpt *completed; /* retained, oldest first */
  int ncompleted;
  char restore_dir[4096];  /* what the current attempt restores ("" none) */
  bool timer_running;
  int64_t restart_at;      /* when the restart being prepared is due (clock_deadline_ms) */
  bool final_commits;      /* a two-phase-commit sink committed its last output (end of input) */
  sp_writer stats;         /* completed checkpoints' stats, as in the job result */
  uint32_t nstats;
  char *client;            /* where job events go (spate_job_listener), or NULL */
  bool awaiting_slots;     /* slots were requested and not offered yet */
};

/* Processing time of the cluster (a manual clock in tests): checkpoint timestamps, min pause,
 * restart strategies. Durations reported in statistics are measured on the monotonic clock. */
static int64_t clock_now(const job_master *jm) { return sp_clock_now(rpc_service_clock(jm->rpc)); }
/* The cluster clock's deadline time in ms (monotonic on the system clock), as delayed messages
 * are due on it. */
static int64_t clock_deadline_ms(const job_master *jm) {
  return sp_clock_mono_ns(rpc_service_clock(jm->rpc)) / 1000000;
}

static int task_index(const job_master *jm, int v, int s) {
  int k = 0;
  for (int i = 0; i < v; i++) k += jm->jg->vertices[i].parallelism;
  return k + s;
}

/* ---- events for the client that submitted the job (spate_job_listener) ---------------------- */

typedef struct job_event {
  spate_job_event_type type;
  const char *state, *task, *path, *message;
  int vertex, subtask;
  int64_t id;
  bool savepoint;
} job_event;

static void send_event(job_master *jm, const job_event *e) {
  if (!jm->client) return;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, (uint8_t)e->type);
  sp_put_str(&w, e->state);
  sp_put_str(&w, e->task);
  sp_put_i32(&w, e->vertex);
  sp_put_i32(&w, e->subtask);
  sp_put_i32(&w, jm->attempt);
  sp_put_i64(&w, e->id);
  sp_put_u8(&w, e->savepoint);
  sp_put_str(&w, e->path);
  sp_put_str(&w, e->message);
  rpc_send(jm->rpc, jm->client, MSG_JOB_EVENT, &w); /* a client that left wants none */
}

static void set_status(job_master *jm, job_status to) {
  SP_INFO("jobmaster", "Job %s (%s) switched from state %s to %s.", jm->jg->job_name,
          jm->jg->job_id, job_status_name(jm->status), job_status_name(to));
  jm->status = to;
  send_event(jm, &(job_event){.type = SPATE_EVENT_JOB_STATUS,
                              .state = job_status_name(to),
                              .message = to == JOB_FAILED ? jm->error : NULL});
}

static bool checkpointable(const job_master *jm);
static void start_timer(job_master *jm);

/* Records a subtask's switch (why: the failure, when it failed). */
static void exec_switch_why(job_master *jm, int v, int s, task_state to, const char *why) {
  execution *e = &jm->exec[v][s];
  if (task_state_terminal(e->state)) return; /* terminal states are final */
  const jg_vertex *vx = &jm->jg->vertices[v];
  if (to != TS_FAILED)
    SP_INFO("jobmaster", "%s (%d/%d) (%.16s_%d_%d_%d) switched from %s to %s.", vx->name, s + 1,
            vx->parallelism, jm->jg->job_id, v, s, jm->attempt, task_state_name(e->state),
            task_state_name(to));
  if (!task_state_terminal(e->state) && task_state_terminal(to)) jm->remaining--;
  e->state = to;
  /* periodic checkpoints start once every task runs, before the listener hears of the last one:
   * a program that awaits that event and then moves a manual clock by the interval gets one */
  if (jm->status == JOB_RUNNING && checkpointable(jm)) start_timer(jm);
  if (jm->client) {
    char name[600];
    snprintf(name, sizeof name, "%s (%d/%d)", vx->name, s + 1, vx->parallelism);
    send_event(jm, &(job_event){.type = SPATE_EVENT_TASK_STATE,
                                .state = task_state_name(to),
                                .task = name,
                                .vertex = v,
                                .subtask = s,
                                .message = why});
  }
}

static void exec_switch(job_master *jm, int v, int s, task_state to) {
  exec_switch_why(jm, v, s, to, NULL);
}

/* The collect sinks' rows of one job, gathered from the subtasks' reports in subtask order. */
typedef struct collected {
  const sg_node *node;
  char *name;
  uint32_t count;
  sp_writer rows; /* count blobs */
} collected;

/* Appends one report's collect results to the matching sinks. */
static void gather_collected(sp_reader *r, collected *c, int nc) {
  uint32_t m = sp_get_u32(r);
  for (uint32_t i = 0; i < m && sp_reader_ok(r); i++) {
    char *name = sp_get_str(r);
    uint32_t count = sp_get_u32(r);
    size_t start = r->pos;
    for (uint32_t k = 0; k < count && sp_reader_ok(r); k++) {
      uint32_t bl;
      sp_get_blob(r, &bl);
    }
    for (int k = 0; name && sp_reader_ok(r) && k < nc; k++)
      if (strcmp(c[k].name, name) == 0) {
        sp_put_bytes(&c[k].rows, r->data + start, r->pos - start);
        c[k].count += count;
        break;
      }
    sp_free(name);
  }
}

/* Encodes the job result for the client. */
static void encode_result(job_master *jm, sp_writer *w) {
  const job_graph *jg = jm->jg;
  spate_job_status st = jm->status == JOB_FINISHED   ? SPATE_JOB_FINISHED
                        : jm->status == JOB_CANCELED ? SPATE_JOB_CANCELED
                                                     : SPATE_JOB_FAILED;
  sp_put_str(w, jg->job_id);
  sp_put_str(w, jg->job_name);
  sp_put_u8(w, (uint8_t)st);
  sp_put_str(w, st == SPATE_JOB_FAILED ? (jm->error ? jm->error : "unknown failure") : NULL);
  sp_put_i64(w, sp_wall_ms() - jm->start_ms);
  /* per-operator metrics summed over subtasks, in node order; collected rows in subtask order */
  uint64_t *in = sp_calloc((size_t)jg->nnodes + 1, 8), *out = sp_calloc((size_t)jg->nnodes + 1, 8),
           *bp = sp_calloc((size_t)jg->nnodes + 1, 8);
  collected *coll = sp_calloc((size_t)jg->nnodes + 1, sizeof *coll);
  int ncoll = 0;
  for (int i = 0; coll && i < jg->nnodes; i++)
    if (jg->nodes[i].kind == OP_SINK_COLLECT) {
      op_collect_params p;
      char err[SP_ERRMSG_MAX];
      if (op_collect_params_load(&jg->nodes[i], &p, err, sizeof err) < 0 || !p.name) continue;
      collected *c = &coll[ncoll];
      c->name = op_params_take_str(&p.name);
      c->node = &jg->nodes[i];
      sp_writer_init(&c->rows);
      ncoll++;
    }
  for (int v = 0; in && out && bp && coll && v < jg->nvertices; v++)
    for (int s = 0; s < jg->vertices[v].parallelism; s++) {
      execution *e = &jm->exec[v][s];
      if (!e->report) continue;
      sp_reader r;
      sp_reader_init(&r, e->report, e->report_len);
      uint32_t n = sp_get_u32(&r);
      for (uint32_t i = 0; i < n && sp_reader_ok(&r); i++) {
        int32_t node = sp_get_i32(&r);
        uint64_t a = sp_get_u64(&r), b = sp_get_u64(&r), c = sp_get_u64(&r);
        if (node >= 0 && node < jg->nnodes) {
          in[node] += a;
          out[node] += b;
          bp[node] += c;
        }
      }
      gather_collected(&r, coll, ncoll);
    }
  sp_put_u32(w, (uint32_t)jg->nnodes);
  for (int i = 0; i < jg->nnodes; i++) {
    sp_put_i32(w, i);
    sp_put_str(w, jg->nodes[i].name);
    sp_put_u64(w, in ? in[i] : 0);
    sp_put_u64(w, out ? out[i] : 0);
    sp_put_u64(w, bp ? bp[i] : 0);
  }
  sp_put_u32(w, (uint32_t)ncoll);
  for (int k = 0; k < ncoll; k++) {
    collected *c = &coll[k];
    sp_put_str(w, c->name);
    schema_encode(w, jg->nodes[c->node->inputs[0].source].out_schema);
    sp_put_u32(w, c->count);
    sp_put_bytes(w, c->rows.data, c->rows.len);
    if (c->rows.failed) w->failed = true;
    sp_writer_free(&c->rows);
    sp_free(c->name);
  }
  sp_free(coll);
  sp_free(in);
  sp_free(out);
  sp_free(bp);
  sp_put_i32(w, jm->restarts);
  sp_put_u32(w, jm->nstats);
  sp_put_bytes(w, jm->stats.data, jm->stats.len);
}

/* Sends payload (consumed) once to every TaskExecutor that runs a subtask of the current
 * attempt. */
static void send_to_executors(job_master *jm, uint32_t type, sp_writer *payload) {
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      const char *te = jm->exec[v][s].te;
      bool seen = !te[0];
      for (int pv = 0; !seen && pv <= v; pv++)
        for (int ps = 0; ps < jm->jg->vertices[pv].parallelism && !(pv == v && ps >= s); ps++)
          if (strcmp(jm->exec[pv][ps].te, te) == 0) {
            seen = true;
            break;
          }
      if (seen) continue;
      sp_writer w;
      sp_writer_init(&w);
      sp_put_bytes(&w, payload->data, payload->len);
      rpc_send(jm->rpc, te, type, &w);
    }
  sp_writer_free(payload);
}

/* Each TaskExecutor that ran a subtask of the current attempt drops its partitions. */
static void release_partitions(job_master *jm) {
  char key[48];
  snprintf(key, sizeof key, "%s-%d", jm->jg->job_id, jm->attempt);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, key);
  send_to_executors(jm, MSG_RELEASE_PARTITIONS, &w);
}

static void abort_pending(job_master *jm, const char *why, bool notify);
static void all_terminal(job_master *jm);

static void complete(job_master *jm) {
  if (jm->done) return;
  jm->done = true;
  if (jm->status == JOB_FAILING || jm->status == JOB_CREATED || jm->status == JOB_RESTARTING)
    set_status(jm, JOB_FAILED);
  else if (jm->status == JOB_CANCELLING)
    set_status(jm, JOB_CANCELED);
  else if (jm->status == JOB_RUNNING)
    set_status(jm, JOB_FINISHED);
  abort_pending(jm, "the job ended", false);
  /* checkpoints outlive the job only when externalized (and not deleted on cancellation) */
  bool keep = jm->ck.retention == RETAIN_ON_CANCEL ||
              (jm->ck.retention == RETAIN_DELETE_ON_CANCEL && jm->status != JOB_CANCELED);
  if (!keep && jm->ck.dir[0]) {
    char err[SP_ERRMSG_MAX];
    for (int i = 0; i < jm->ncompleted; i++) ckpt_discard(jm->completed[i].dir, err, sizeof err);
    ckpt_discard(jm->ck.dir, err, sizeof err);
  } else if (jm->ncompleted) {
    SP_INFO("jobmaster", "Retaining %d checkpoint%s of job %s; the latest is %s.", jm->ncompleted,
            jm->ncompleted == 1 ? "" : "s", jm->jg->job_id,
            jm->completed[jm->ncompleted - 1].dir);
  }
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  rpc_send(jm->rpc, RM_ADDRESS, MSG_RELEASE_SLOTS, &w);
  release_partitions(jm);
  sp_writer res;
  sp_writer_init(&res);
  encode_result(jm, &res);
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  sp_put_blob(&w, res.data, res.len);
  sp_writer_free(&res);
  rpc_send(jm->rpc, DISPATCHER_ADDRESS, MSG_JOB_DONE, &w);
}

static void cancel_all(job_master *jm) {
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      execution *e = &jm->exec[v][s];
      if (task_state_terminal(e->state)) continue;
      if (!e->te[0]) { /* never deployed */
        exec_switch(jm, v, s, TS_CANCELED);
        continue;
      }
      exec_switch(jm, v, s, TS_CANCELING);
      sp_writer w;
      sp_writer_init(&w);
      sp_put_str(&w, jm->jg->job_id);
      sp_put_i32(&w, v);
      sp_put_i32(&w, s);
      sp_put_i32(&w, jm->attempt);
      if (rpc_send(jm->rpc, e->te, MSG_CANCEL_TASK, &w) < 0) exec_switch(jm, v, s, TS_CANCELED);
    }
  if (jm->remaining == 0) all_terminal(jm);
}

/* A failure of the running job: restart if the strategy allows, else fail the job. */
static void fail_job(job_master *jm, const char *why) {
  if (jm->status != JOB_RUNNING && jm->status != JOB_CREATED) {
    if (!jm->error) jm->error = sp_strdup(why);
    return;
  }
  abort_pending(jm, why, false);
  int64_t delay = 0;
  if (jm->status == JOB_RUNNING && jm->final_commits) {
    /* Flink takes a final checkpoint before such a sink commits; Spate's sinks commit at the
     * end of their input, so replaying from an earlier checkpoint would publish twice */
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s (not restarted: a two-phase-commit sink already committed its "
             "final output at the end of its input, and restarting from the last checkpoint "
             "would publish it again)", why);
    sp_free(jm->error);
    jm->error = sp_strdup(msg);
    set_status(jm, JOB_FAILING);
    cancel_all(jm);
    return;
  }
  if (jm->status == JOB_RUNNING && jm->restart &&
      restart_strategy_on_failure(jm->restart, clock_now(jm), &delay)) {
    SP_INFO("jobmaster", "Job %s (%s) fails: %s. Restarting in %lld ms (%s).", jm->jg->job_name,
            jm->jg->job_id, why, (long long)delay, restart_strategy_describe(jm->restart));
    sp_free(jm->error);
    jm->error = sp_strdup(why); /* kept in case the restart does not happen */
    jm->restart_at = clock_deadline_ms(jm) + delay; /* the backoff runs from the failure */
    set_status(jm, JOB_RESTARTING);
    cancel_all(jm);
    return;
  }
  if (jm->status == JOB_RUNNING) { /* the failure that ends the job is the one reported */
    sp_free(jm->error);
    jm->error = NULL;
  }
  if (!jm->error) jm->error = sp_strdup(why);
  if (jm->restart && jm->status == JOB_RUNNING) {
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s (recovery is suppressed by %s)", jm->error,
             restart_strategy_describe(jm->restart));
    sp_free(jm->error);
    jm->error = sp_strdup(msg);
  }
  set_status(jm, JOB_FAILING);
  cancel_all(jm);
}

/* The first slot of vertex v's sharing group: groups take consecutive slot ranges, in order of
 * first appearance, each as wide as the group's highest parallelism. */
static int group_offset(const job_graph *jg, int v) {
  int offset = 0;
  for (int g = 0; g < jg->nvertices; g++) {
    const char *name = jg->vertices[g].slot_group;
    bool first = true;
    for (int h = 0; h < g && first; h++)
      if (strcmp(jg->vertices[h].slot_group, name) == 0) first = false;
    if (!first) continue;
    if (strcmp(name, jg->vertices[v].slot_group) == 0) return offset;
    int maxp = 0;
    for (int h = g; h < jg->nvertices; h++)
      if (strcmp(jg->vertices[h].slot_group, name) == 0 && jg->vertices[h].parallelism > maxp)
        maxp = jg->vertices[h].parallelism;
    offset += maxp;
  }
  return offset;
}

static void deploy(job_master *jm);

static void slots_offer(job_master *jm, sp_reader *r) {
  uint8_t ok = sp_get_u8(r);
  char *error = sp_get_str(r);
  uint32_t n = sp_get_u32(r);
  if (!jm->awaiting_slots) { /* deploying twice would start every subtask twice */
    SP_WARN("jobmaster", "Job %s: dropping a slot offer it did not ask for.", jm->jg->job_id);
    sp_free(error);
    return;
  }
  jm->awaiting_slots = false;
  /* an offered slot takes 8 bytes at least: an (empty) address and its number */
  if (sp_reader_ok(r) && ok && n > (r->len - r->pos) / 8)
    sp_reader_fail(r, "more slots than the offer holds");
  if (!sp_reader_ok(r) || !ok) {
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "malformed slot offer: %s", r->error);
    fail_job(jm, !sp_reader_ok(r) ? msg : error && error[0] ? error : "no slots");
    sp_free(error);
    return;
  }
  sp_free(error);
  char (*slots)[48] = sp_calloc(n + 1, sizeof *slots);
  int *slot_no = sp_calloc(n + 1, sizeof *slot_no);
  for (uint32_t i = 0; slots && slot_no && i < n; i++) {
    char *a = sp_get_str(r);
    slot_no[i] = sp_get_i32(r);
    if (sp_reader_ok(r) && (!a || strlen(a) >= sizeof slots[i]))
      sp_reader_fail(r, "slot without a valid TaskExecutor address");
    snprintf(slots[i], sizeof slots[i], "%s", a ? a : "");
    sp_free(a);
  }
  if (!slots || !slot_no || !sp_reader_ok(r)) {
    sp_free(slots);
    sp_free(slot_no);
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "malformed slot offer: %s", r->error);
    fail_job(jm, sp_reader_ok(r) ? "out of memory" : msg);
    return;
  }
  if (jm->status != JOB_RUNNING) { /* cancelled while waiting for slots */
    sp_free(slots);
    sp_free(slot_no);
    cancel_all(jm);
    return;
  }
  const job_graph *jg = jm->jg;
  for (int v = 0; v < jg->nvertices; v++) {
    int offset = group_offset(jg, v);
    for (int s = 0; s < jg->vertices[v].parallelism; s++) {
      uint32_t k = (uint32_t)(offset + s);
      if (k >= n) {
        sp_free(slots);
        sp_free(slot_no);
        fail_job(jm, "slot offer smaller than requested");
        return;
      }
      int t = task_index(jm, v, s);
      snprintf(jm->slot_te[t], sizeof jm->slot_te[t], "%s", slots[k]);
      jm->slot_no[t] = slot_no[k];
    }
  }
  sp_free(slots);
  sp_free(slot_no);
  deploy(jm);
}

/* Deploys every subtask of the current attempt to its slot. */
static void deploy(job_master *jm) {
  const job_graph *jg = jm->jg;
  if (jm->restore_dir[0])
    SP_INFO("jobmaster", "Job %s (%s): attempt %d restores %s.", jg->job_name, jg->job_id,
            jm->attempt, jm->restore_dir);
  for (int v = 0; v < jg->nvertices && jm->status == JOB_RUNNING; v++)
    for (int s = 0; s < jg->vertices[v].parallelism && jm->status == JOB_RUNNING; s++) {
      int t = task_index(jm, v, s);
      execution *e = &jm->exec[v][s];
      exec_switch(jm, v, s, TS_SCHEDULED);
      snprintf(e->te, sizeof e->te, "%s", jm->slot_te[t]);
      exec_switch(jm, v, s, TS_DEPLOYING);
      sp_writer w;
      sp_writer_init(&w);
      sp_put_str(&w, jm->address);
      sp_put_blob(&w, jm->bytes, (uint32_t)jm->len);
      sp_put_i32(&w, v);
      sp_put_i32(&w, s);
      sp_put_i32(&w, jm->attempt);
      sp_put_i32(&w, jm->slot_no[t]);
      sp_put_str(&w, jm->restore_dir);
      if (rpc_send(jm->rpc, e->te, MSG_SUBMIT_TASK, &w) < 0) {
        exec_switch(jm, v, s, TS_FAILED);
        fail_job(jm, "TaskExecutor is gone");
      }
    }
}

/* ---- checkpoints ------------------------------------------------------------------------------ */

static bool all_running(const job_master *jm) {
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++)
      if (jm->exec[v][s].state != TS_RUNNING) return false;
  return true;
}

/* Checkpoints go on while tasks finish (FLIP-147): every task is RUNNING or FINISHED, and one
 * at least still runs. */
static bool checkpointable(const job_master *jm) {
  bool running = false;
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      task_state st = jm->exec[v][s].state;
      if (st == TS_RUNNING)
        running = true;
      else if (st != TS_FINISHED)
        return false;
    }
  return running;
}

/* Whether the running subtask (v, s) gets the trigger: sources do, and so does a task all of
 * whose producers have finished (no barrier can reach it any more). */
static bool trigger_target(const job_master *jm, int v, int s) {
  const job_graph *jg = jm->jg;
  if (jm->exec[v][s].state != TS_RUNNING) return false;
  const jg_vertex *vx = &jg->vertices[v];
  if (vx->ninputs == 0) return true;
  int maxp = 1;
  for (int i = 0; i < jg->nvertices; i++)
    if (jg->vertices[i].parallelism > maxp) maxp = jg->vertices[i].parallelism;
  int *peers = sp_calloc((size_t)maxp, sizeof *peers), *subs = sp_calloc((size_t)maxp, sizeof *subs);
  bool all_done = peers && subs;
  for (int k = 0; all_done && k < vx->ninputs; k++) {
    const jg_edge *e = &jg->edges[vx->inputs[k]];
    int n = rp_producers_of(e->part, jg->vertices[e->source_vertex].parallelism, vx->parallelism,
                            s, peers, subs);
    for (int c = 0; c < n; c++)
      if (jm->exec[e->source_vertex][peers[c]].state != TS_FINISHED) all_done = false;
  }
  sp_free(peers);
  sp_free(subs);
  return all_done;
}

/* A subtask that finished without taking checkpoint p counts as finished in it. Its
 * acknowledgement, had it taken the checkpoint, would have arrived first: the TaskExecutor
 * sends it before the task may report FINISHED. */
static void mark_finished(job_master *jm, pending_ckpt *p, int t) {
  if (p->acks[t].got) return;
  p->acks[t].got = true;
  p->acks[t].finished = true;
  p->nacks++;
}

static void send_self_after(job_master *jm, uint32_t type, int64_t value, int64_t delay_ms) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i64(&w, value);
  rpc_send_after(jm->rpc, jm->address, type, &w, delay_ms);
}

/* Tells every TaskExecutor running the current attempt that checkpoint id completed/aborted. */
static void notify_tasks(job_master *jm, int64_t id, bool complete) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  sp_put_i32(&w, jm->attempt);
  sp_put_i64(&w, id);
  sp_put_u8(&w, complete);
  send_to_executors(jm, MSG_NOTIFY_CHECKPOINT, &w);
}

static void pending_free(job_master *jm, pending_ckpt *p) {
  for (int i = 0; i < jm->ntasks; i++) sp_free(p->acks[i].file);
  sp_free(p->acks);
  sp_free(p);
}

static void unlink_pending(job_master *jm, pending_ckpt *p) {
  for (pending_ckpt **pp = &jm->pending; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      jm->npending--;
      return;
    }
}

/* Answers whoever asked for savepoint or checkpoint `id` (0: it never started). */
static void snapshot_reply(job_master *jm, const char *reply, int64_t id, const char *path,
                           const char *err) {
  if (!reply || !reply[0]) return;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i64(&w, id);
  sp_put_str(&w, path ? path : "");
  sp_put_str(&w, err ? err : "");
  rpc_send(jm->rpc, reply, MSG_SNAPSHOT_DONE, &w);
}

/* Drops a pending checkpoint: its files go, the tasks are told, requesters answered. */
static void abort_one(job_master *jm, pending_ckpt *p, const char *why, bool notify) {
  unlink_pending(jm, p);
  SP_WARN("jobmaster", "%s %lld of job %s failed: %s", p->savepoint ? "Savepoint" : "Checkpoint",
          (long long)p->id, jm->jg->job_id, why);
  char err[SP_ERRMSG_MAX];
  ckpt_discard(p->dir, err, sizeof err);
  if (notify) notify_tasks(jm, p->id, false);
  char msg[SP_ERRMSG_MAX];
  snprintf(msg, sizeof msg, "%s %lld failed: %s", p->savepoint ? "savepoint" : "checkpoint",
           (long long)p->id, why);
  snapshot_reply(jm, p->reply, p->id, NULL, msg);
  send_event(jm, &(job_event){.type = SPATE_EVENT_CHECKPOINT_FAILED,
                              .id = p->id,
                              .savepoint = p->savepoint,
                              .message = why});
  pending_free(jm, p);
}

static void abort_pending(job_master *jm, const char *why, bool notify) {
  while (jm->pending) abort_one(jm, jm->pending, why, notify);
}

/* A checkpoint failed (Flink's CheckpointFailureManager): more consecutive failures than
 * execution.checkpointing.tolerable-failed-checkpoints fail the job over. */
static void count_failure(job_master *jm, const char *why) {
  jm->failures++;
  if (jm->failures > jm->ck.tolerable && jm->status == JOB_RUNNING) {
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg,
             "Exceeded checkpoint tolerable failure threshold (%d). The latest checkpoint failed: %s",
             jm->ck.tolerable, why);
    fail_job(jm, msg);
  }
}

/* A checkpoint failed (expired, declined, its metadata not written): fail the job past the
 * tolerable count. */
static void checkpoint_failed(job_master *jm, pending_ckpt *p, const char *why) {
  bool savepoint = p->savepoint, stop = p->stop;
  abort_one(jm, p, why, true);
  if (stop && jm->status == JOB_RUNNING) { /* its sources may have stopped: fail over */
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "stop-with-savepoint failed: %s", why);
    fail_job(jm, msg);
    return;
  }
  if (savepoint) return; /* savepoints do not count (Flink) */
  count_failure(jm, why);
}

/* A checkpoint that could not even start (its directory cannot be created): it fails like one
 * that started, and counts. */
static void trigger_failed(job_master *jm, const char *why) {
  SP_WARN("jobmaster", "Failed to trigger checkpoint %lld for job %s: %s", (long long)jm->next_id,
          jm->jg->job_id, why);
  send_event(jm, &(job_event){.type = SPATE_EVENT_CHECKPOINT_FAILED,
                              .id = jm->next_id,
                              .message = why});
  count_failure(jm, why);
}

static pending_ckpt *find_pending(job_master *jm, int64_t id) {
  for (pending_ckpt *p = jm->pending; p; p = p->next)
    if (p->id == id) return p;
  return NULL;
}

static void send_trigger(job_master *jm, const pending_ckpt *p, int v, int s) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  sp_put_i32(&w, jm->attempt);
  sp_put_i32(&w, v);
  sp_put_i32(&w, s);
  sp_put_i64(&w, p->id);
  sp_put_i64(&w, p->timestamp);
  sp_put_u32(&w, p->flags);
  sp_put_i64(&w, p->savepoint ? 0 : jm->ck.aligned_timeout_ms);
  sp_put_str(&w, p->dir);
  rpc_send(jm->rpc, jm->exec[v][s].te, MSG_TRIGGER_CHECKPOINT, &w);
}

/* Starts checkpoint (or savepoint) next_id at the source subtasks. */
static int trigger(job_master *jm, bool savepoint, const char *dir, const char *reply, bool stop,
                   char *err, size_t err_len) {
  pending_ckpt *p = sp_calloc(1, sizeof *p);
  if (!p || !(p->acks = sp_calloc((size_t)jm->ntasks, sizeof *p->acks))) {
    sp_free(p);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  p->id = ++jm->next_id;
  p->timestamp = clock_now(jm);
  p->start_ms = sp_mono_ms(); /* durations are measured, not clock time */
  p->savepoint = savepoint;
  p->stop = stop;
  snprintf(p->reply, sizeof p->reply, "%s", reply ? reply : "");
  int n;
  if (savepoint) {
    uint8_t rnd[6];
    uint64_t x = (uint64_t)sp_mono_ns() ^ ((uint64_t)p->id << 40);
    for (int i = 0; i < 6; i++) rnd[i] = (uint8_t)((x >> (8 * i)) ^ (x >> 29));
    n = snprintf(p->dir, sizeof p->dir, "%s/savepoint-%.6s-%02x%02x%02x%02x%02x%02x", dir,
                 jm->jg->job_id, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
  } else {
    n = snprintf(p->dir, sizeof p->dir, "%s/chk-%lld", jm->ck.dir, (long long)p->id);
  }
  int rc = n < 0 || (size_t)n >= sizeof p->dir
               ? sp_err(err, err_len, SPATE_EINVAL, "checkpoint directory path is too long")
               : ckpt_mkdirs(p->dir, err, err_len);
  if (rc < 0) {
    pending_free(jm, p);
    return rc;
  }
  p->next = jm->pending;
  jm->pending = p;
  jm->npending++;
  uint32_t flags = savepoint ? BARRIER_SAVEPOINT | (stop ? BARRIER_STOP : 0)
                   : !jm->ck.exactly_once ? BARRIER_AT_LEAST_ONCE
                   : jm->ck.unaligned ? BARRIER_UNALIGNED
                                      : 0;
  SP_INFO("jobmaster", "Triggering %s %lld (type=%s) @ %lld for job %s.",
          savepoint ? "savepoint" : "checkpoint", (long long)p->id,
          savepoint ? "SAVEPOINT" : flags & BARRIER_UNALIGNED ? "UNALIGNED_CHECKPOINT"
                                                              : "CHECKPOINT",
          (long long)p->timestamp, jm->jg->job_id);
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++)
      if (jm->exec[v][s].state == TS_FINISHED) mark_finished(jm, p, task_index(jm, v, s));
  p->flags = flags;
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++)
      if (trigger_target(jm, v, s)) send_trigger(jm, p, v, s);
  send_self_after(jm, MSG_CKPT_EXPIRE, p->id, jm->ck.timeout_ms);
  send_event(jm, &(job_event){.type = SPATE_EVENT_CHECKPOINT_TRIGGERED,
                              .id = p->id,
                              .savepoint = savepoint,
                              .path = p->dir});
  return 0;
}

/* The periodic timer: trigger when allowed, then wait for the next period. */
static void on_timer(job_master *jm, int32_t attempt) {
  if (attempt != jm->attempt || jm->status != JOB_RUNNING) {
    if (attempt == jm->attempt) jm->timer_running = false;
    return;
  }
  int64_t now = clock_now(jm), next = jm->ck.interval_ms;
  int64_t pause_left = jm->last_done_ms + jm->ck.min_pause_ms - now;
  bool go = false;
  if (!checkpointable(jm)) {
    SP_DEBUG("jobmaster", "Tasks are being deployed; checkpoint skipped.");
  } else if (jm->npending >= jm->ck.max_concurrent) {
    /* wait for the running ones */
  } else if (jm->ck.min_pause_ms > 0 && jm->last_done_ms && pause_left > 0) {
    next = pause_left;
  } else {
    go = true;
  }
  /* the next tick is set before this one triggers: the trigger's events may make a program move
   * a manual clock, and the schedule must not depend on when that happens */
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i32(&w, jm->attempt);
  rpc_send_after(jm->rpc, jm->address, MSG_CKPT_TIMER, &w, next);
  char err[SP_ERRMSG_MAX];
  if (go && trigger(jm, false, NULL, NULL, false, err, sizeof err) < 0) trigger_failed(jm, err);
}

static void start_timer(job_master *jm) {
  if (jm->timer_running || jm->ck.interval_ms <= 0 || !jm->ck.dir[0]) return;
  jm->timer_running = true;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i32(&w, jm->attempt);
  rpc_send_after(jm->rpc, jm->address, MSG_CKPT_TIMER, &w, jm->ck.interval_ms);
}

/* Every subtask acknowledged: write the metadata, then the checkpoint is complete. */
static void finalize(job_master *jm, pending_ckpt *p) {
  int64_t fin_start = sp_mono_ms();
  ckpt_metadata m = {0};
  snprintf(m.job_id, sizeof m.job_id, "%s", jm->jg->job_id);
  m.id = p->id;
  m.timestamp = p->timestamp;
  m.savepoint = p->savepoint;
  m.files = sp_calloc((size_t)jm->ntasks + 1, sizeof *m.files);
  m.finished = sp_calloc((size_t)jm->ntasks + 1, sizeof *m.finished);
  bool oom = false;
  uint64_t size = 0;
  int64_t sync = 0, async = 0, align = 0;
  bool unaligned = false;
  for (int v = 0; m.files && v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      ckpt_ack *a = &p->acks[task_index(jm, v, s)];
      if (a->sync_ms > sync) sync = a->sync_ms;
      if (a->async_ms > async) async = a->async_ms;
      if (a->align_ms > align) align = a->align_ms;
      unaligned |= a->unaligned;
      if (a->finished && m.finished) {
        char *chain = jobgraph_chain_uids(jm->jg, v);
        if (!chain) {
          oom = true;
          continue;
        }
        m.finished[m.nfinished++] =
            (ckpt_finished){chain, s, jm->jg->vertices[v].parallelism};
        continue;
      }
      if (!a->file || !a->file[0]) continue;
      ckpt_file *f = &m.files[m.nfiles++];
      f->name = a->file;
      f->vertex = v;
      f->subtask = s;
      f->parallelism = jm->jg->vertices[v].parallelism;
      f->length = a->length;
      f->checksum = a->checksum;
      size += a->length;
    }
  char err[SP_ERRMSG_MAX];
  int rc = m.files && m.finished && !oom
               ? ckpt_write_metadata(p->dir, &m, err, sizeof err)
               : sp_err(err, sizeof err, SPATE_ENOMEM, "out of memory");
  sp_free(m.files); /* the names belong to the acks */
  for (int i = 0; m.finished && i < m.nfinished; i++) sp_free(m.finished[i].head_uid);
  sp_free(m.finished);
  if (rc < 0) {
    checkpoint_failed(jm, p, err);
    return;
  }
  unlink_pending(jm, p);
  int64_t now = sp_mono_ms();
  SP_INFO("jobmaster",
          "Completed %s %lld for job %s (%llu bytes, checkpointDuration=%lld ms, "
          "finalizationTime=%lld ms).",
          p->savepoint ? "savepoint" : "checkpoint", (long long)p->id, jm->jg->job_id,
          (unsigned long long)size, (long long)(now - p->start_ms), (long long)(now - fin_start));
  /* older pending checkpoints are subsumed (Flink) */
  for (pending_ckpt *q = jm->pending, *nx; q; q = nx) {
    nx = q->next;
    if (q->id < p->id && !q->savepoint) abort_one(jm, q, "subsumed by a newer checkpoint", true);
  }
  sp_put_i64(&jm->stats, p->id);
  sp_put_i64(&jm->stats, now - p->start_ms);
  sp_put_i64(&jm->stats, sync);
  sp_put_i64(&jm->stats, async);
  sp_put_i64(&jm->stats, align);
  sp_put_u64(&jm->stats, size);
  sp_put_u8(&jm->stats, unaligned);
  jm->nstats++;
  notify_tasks(jm, p->id, true);
  snapshot_reply(jm, p->reply, p->id, p->dir, NULL);
  send_event(jm, &(job_event){.type = SPATE_EVENT_CHECKPOINT_COMPLETED,
                              .id = p->id,
                              .savepoint = p->savepoint,
                              .path = p->dir});
  if (p->savepoint) {
    /* stop: the sources ended after the barrier; the job finishes as their end flows down */
  } else {
    jm->failures = 0;
    jm->last_done_ms = clock_now(jm);
    completed_ckpt *c = sp_realloc(jm->completed, sizeof *c * (size_t)(jm->ncompleted + 1));
    if (c) {
      jm->completed = c;
      c[jm->ncompleted].id = p->id;
      snprintf(c[jm->ncompleted].dir, sizeof c->dir, "%s", p->dir);
      jm->ncompleted++;
    }
    while (jm->ncompleted > jm->ck.num_retained) { /* state.checkpoints.num-retained */
      ckpt_discard(jm->completed[0].dir, err, sizeof err);
      memmove(jm->completed, jm->completed + 1, sizeof *jm->completed * (size_t)--jm->ncompleted);
    }
  }
  pending_free(jm, p);
}

static void on_ack(job_master *jm, sp_reader *r) {
  int32_t attempt = sp_get_i32(r), v = sp_get_i32(r), s = sp_get_i32(r);
  int64_t id = sp_get_i64(r);
  char *file = sp_get_str(r);
  uint64_t length = sp_get_u64(r), checksum = sp_get_u64(r);
  int64_t sync = sp_get_i64(r), async = sp_get_i64(r), align = sp_get_i64(r);
  uint8_t unaligned = sp_get_u8(r);
  pending_ckpt *p = find_pending(jm, id);
  if (!sp_reader_ok(r) || attempt != jm->attempt || !p || v < 0 || v >= jm->jg->nvertices ||
      s < 0 || s >= jm->jg->vertices[v].parallelism) {
    sp_free(file); /* late: the checkpoint was aborted, or an old attempt's */
    return;
  }
  ckpt_ack *a = &p->acks[task_index(jm, v, s)];
  if (a->got) {
    sp_free(file);
    return;
  }
  *a = (ckpt_ack){.got = true,
                  .file = file,
                  .length = length,
                  .checksum = checksum,
                  .sync_ms = sync,
                  .async_ms = async,
                  .align_ms = align,
                  .unaligned = unaligned != 0};
  if (++p->nacks == jm->ntasks) finalize(jm, p);
}

static void on_decline(job_master *jm, sp_reader *r) {
  int32_t attempt = sp_get_i32(r), v = sp_get_i32(r), s = sp_get_i32(r);
  int64_t id = sp_get_i64(r);
  char *reason = sp_get_str(r);
  pending_ckpt *p = find_pending(jm, id);
  if (sp_reader_ok(r) && attempt == jm->attempt && p && v >= 0 && v < jm->jg->nvertices) {
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "declined by %s (%d/%d): %s", jm->jg->vertices[v].name, s + 1,
             jm->jg->vertices[v].parallelism, reason ? reason : "");
    checkpoint_failed(jm, p, msg);
  }
  sp_free(reason);
}

static void on_expire(job_master *jm, int64_t id) {
  pending_ckpt *p = find_pending(jm, id);
  if (p) checkpoint_failed(jm, p, "Checkpoint expired before completing.");
}

static void on_savepoint(job_master *jm, sp_reader *r) {
  char *reply = sp_get_str(r), *dir = sp_get_str(r);
  uint8_t stop = sp_get_u8(r);
  char err[SP_ERRMSG_MAX] = "", path[4096] = "";
  int rc = 0;
  if (!sp_reader_ok(r) || !reply)
    rc = sp_err(err, sizeof err, SPATE_EINVAL, "malformed savepoint request");
  else if (jm->status != JOB_RUNNING || !all_running(jm))
    rc = sp_err(err, sizeof err, SPATE_ESTATE,
                "job %s is not running (all tasks must be RUNNING to take a savepoint)",
                jm->jg->job_id);
  else if (!(dir && dir[0]) && !jm->ck.savepoint_dir[0])
    rc = sp_err(err, sizeof err, SPATE_EINVAL,
                "no savepoint directory: give one or set state.savepoints.dir");
  else
    rc = ckpt_path_from_uri(dir && dir[0] ? dir : jm->ck.savepoint_dir, path, sizeof path, err,
                            sizeof err);
  if (rc == 0) rc = trigger(jm, true, path, reply, stop != 0, err, sizeof err);
  if (rc < 0) snapshot_reply(jm, reply, 0, NULL, err);
  sp_free(reply);
  sp_free(dir);
}

/* A checkpoint now, on request (Flink's manual checkpoint, `flink checkpoint <job id>`): the
 * periodic settings apply, and it counts like a periodic one. */
static void on_checkpoint_request(job_master *jm, sp_reader *r) {
  char *reply = sp_get_str(r);
  char err[SP_ERRMSG_MAX] = "";
  int rc = 0;
  if (!sp_reader_ok(r) || !reply)
    rc = sp_err(err, sizeof err, SPATE_EINVAL, "malformed checkpoint request");
  else if (jm->status != JOB_RUNNING || !checkpointable(jm))
    rc = sp_err(err, sizeof err, SPATE_ESTATE,
                "job %s is not running (its tasks must be RUNNING or FINISHED to take a "
                "checkpoint)", jm->jg->job_id);
  if (rc == 0 && (rc = trigger(jm, false, NULL, reply, false, err, sizeof err)) < 0) {
    snapshot_reply(jm, reply, 0, NULL, err);
    trigger_failed(jm, err);
  } else if (rc < 0) {
    snapshot_reply(jm, reply, 0, NULL, err);
  }
  sp_free(reply);
}

/* ---- failover ---------------------------------------------------------------------------------- */

/* Which checkpoint an attempt restores: the newest retained one that loads, else the savepoint
 * or checkpoint the job was started from. */
static void choose_restore(job_master *jm) {
  int64_t newest_bad = 0; /* the newest checkpoint that could not be restored */
  for (int i = jm->ncompleted - 1; i >= 0; i--) {
    ckpt_loaded *l = NULL;
    char err[SP_ERRMSG_MAX];
    if (ckpt_load(jm->completed[i].dir, true, &l, err, sizeof err) == 0) {
      ckpt_loaded_free(l);
      snprintf(jm->restore_dir, sizeof jm->restore_dir, "%s", jm->completed[i].dir);
      if (newest_bad)
        SP_WARN("jobmaster", "Job %s falls back from checkpoint %lld to checkpoint %lld: output "
                "that exactly-once sinks committed with the checkpoints after %lld (up to %lld) "
                "may be published again.", jm->jg->job_id, (long long)newest_bad,
                (long long)jm->completed[i].id, (long long)jm->completed[i].id,
                (long long)newest_bad);
      return;
    }
    SP_WARN("jobmaster", "Checkpoint %lld (%s) cannot be restored (%s); trying an older one.",
            (long long)jm->completed[i].id, jm->completed[i].dir, err);
    if (!newest_bad) newest_bad = jm->completed[i].id;
  }
  snprintf(jm->restore_dir, sizeof jm->restore_dir, "%s", jm->ck.restore);
  if (newest_bad)
    SP_WARN("jobmaster", "Job %s falls back from checkpoint %lld to %s: output that "
            "exactly-once sinks committed since may be published again.", jm->jg->job_id,
            (long long)newest_bad, jm->ck.restore[0] ? jm->ck.restore : "its start");
}

/* Every subtask is terminal: finish the job, or restart it once the backoff has passed. The
 * backoff counts from the failure, while the tasks are being cancelled (Flink's DefaultScheduler
 * schedules the restart at the failure and runs it after the cancellation too): a slow
 * cancellation does not add to it, and a manual clock advanced by the backoff once the job is
 * RESTARTING restarts it whenever the cancellation ends. */
static void all_terminal(job_master *jm) {
  if (jm->status != JOB_RESTARTING) {
    complete(jm);
    return;
  }
  release_partitions(jm);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i32(&w, jm->attempt);
  int64_t left = jm->restart_at - clock_deadline_ms(jm);
  rpc_send_after(jm->rpc, jm->address, MSG_RESTART, &w, left > 0 ? left : 0);
}

static void on_restart(job_master *jm, int32_t attempt) {
  if (attempt != jm->attempt || jm->status != JOB_RESTARTING) return;
  jm->attempt++;
  jm->restarts++;
  jm->timer_running = false;
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      execution *e = &jm->exec[v][s];
      sp_free(e->report);
      *e = (execution){.state = TS_CREATED};
    }
  jm->remaining = jm->ntasks;
  choose_restore(jm);
  set_status(jm, JOB_RUNNING);
  deploy(jm);
}

static void task_update(job_master *jm, sp_reader *r) {
  int32_t v = sp_get_i32(r), s = sp_get_i32(r);
  uint8_t st = sp_get_u8(r);
  char *error = sp_get_str(r);
  uint32_t len;
  const void *report = sp_get_blob(r, &len);
  if (!sp_reader_ok(r) || v < 0 || v >= jm->jg->nvertices || s < 0 ||
      s >= jm->jg->vertices[v].parallelism || st > TS_FAILED) {
    SP_WARN("jobmaster", "dropping malformed task update: %s", r->error);
    sp_free(error);
    return;
  }
  execution *e = &jm->exec[v][s];
  if (task_state_terminal(e->state) || /* e.g. cancelled before deployment */
      (e->state == TS_CANCELING && !task_state_terminal((task_state)st))) {
    /* a subtask being cancelled only ends: a RUNNING sent before the cancel reached it does not
     * make it running again (Flink's Execution ignores it too) */
    sp_free(error);
    return;
  }
  if (st == TS_FAILED) {
    const jg_vertex *vx = &jm->jg->vertices[v];
    SP_WARN("jobmaster", "%s (%d/%d) (%.16s_%d_%d_%d) switched from %s to FAILED: %s",
            vx->name, s + 1, vx->parallelism, jm->jg->job_id, v, s, jm->attempt,
            task_state_name(e->state), error ? error : "");
  }
  if (e->state != (task_state)st)
    exec_switch_why(jm, v, s, (task_state)st, st == TS_FAILED ? error : NULL);
  if (task_state_terminal((task_state)st) && len) {
    e->report = sp_malloc(len);
    if (e->report) {
      memcpy(e->report, report, len);
      e->report_len = len;
    }
  }
  if (st == TS_FAILED) fail_job(jm, error && error[0] ? error : "task failed");
  if (st == TS_CANCELED && jm->status == JOB_RUNNING) { /* nobody asked: treat as a failure */
    char msg[600];
    const jg_vertex *vx = &jm->jg->vertices[v];
    snprintf(msg, sizeof msg, "%s (%d/%d) was canceled while the job was running", vx->name,
             s + 1, vx->parallelism);
    fail_job(jm, msg);
  }
  sp_free(error);
  if (jm->status == JOB_RUNNING && checkpointable(jm)) start_timer(jm);
  if (st == TS_FINISHED)
    for (int i = 0; i < jm->jg->vertices[v].nnodes; i++) {
      op_kind k = jm->jg->nodes[jm->jg->vertices[v].nodes[i]].kind;
      /* with checkpoints such sinks commit their last output through a final checkpoint */
      if ((k == OP_SINK_FILE || k == OP_SINK_TWO_PHASE) && jm->ck.interval_ms <= 0)
        jm->final_commits = true;
    }
  if (st == TS_FINISHED && jm->status == JOB_RUNNING)
    for (pending_ckpt *p = jm->pending, *nx; p; p = nx) {
      nx = p->next;
      /* finished without taking it: finished in it. Tasks whose producers have now all
       * finished get no barrier any more: they take it as sources do. */
      mark_finished(jm, p, task_index(jm, v, s));
      for (int v2 = 0; v2 < jm->jg->nvertices; v2++)
        for (int s2 = 0; s2 < jm->jg->vertices[v2].parallelism; s2++)
          if (!p->acks[task_index(jm, v2, s2)].got && jm->jg->vertices[v2].ninputs &&
              trigger_target(jm, v2, s2))
            send_trigger(jm, p, v2, s2);
      if (p->nacks == jm->ntasks) finalize(jm, p);
    }
  if (jm->remaining == 0) all_terminal(jm);
}

static void handle(void *self, uint32_t type, sp_reader *r) {
  job_master *jm = self;
  switch (type) {
  case MSG_SLOTS_OFFER:
    slots_offer(jm, r);
    break;
  case MSG_TASK_STATE:
    task_update(jm, r);
    break;
  case MSG_CANCEL_JOB:
    if (jm->status == JOB_RUNNING || jm->status == JOB_RESTARTING) {
      bool waiting = jm->status == JOB_RESTARTING && jm->remaining == 0;
      abort_pending(jm, "the job is being cancelled", false);
      set_status(jm, JOB_CANCELLING);
      if (waiting) /* between attempts: nothing runs */
        complete(jm);
      else
        cancel_all(jm);
    }
    break;
  case MSG_ACK_CHECKPOINT:
    on_ack(jm, r);
    break;
  case MSG_DECLINE_CHECKPOINT:
    on_decline(jm, r);
    break;
  case MSG_CKPT_TIMER:
    on_timer(jm, sp_get_i32(r));
    break;
  case MSG_CKPT_EXPIRE:
    on_expire(jm, sp_get_i64(r));
    break;
  case MSG_RESTART:
    on_restart(jm, sp_get_i32(r));
    break;
  case MSG_TRIGGER_SAVEPOINT:
    on_savepoint(jm, r);
    break;
  case MSG_REQUEST_CHECKPOINT:
    on_checkpoint_request(jm, r);
    break;
  default:
    SP_WARN("jobmaster", "ignoring unexpected message %u", type);
  }
}

/* Whether two chains ('\n'-joined uids, jobgraph_chain_uids) have an operator in common. */
static bool chains_share_uid(const char *a, const char *b) {
  for (const char *u = a; *u;) {
    size_t n = strcspn(u, "\n");
    for (const char *c = b; *c;) {
      size_t k = strcspn(c, "\n");
      if (k == n && memcmp(c, u, n) == 0) return true;
      c += k + (c[k] ? 1 : 0);
    }
    u += n + (u[n] ? 1 : 0);
  }
  return false;
}

/* Checks that the state of the checkpoint being restored maps onto this job: every operator
 * state finds its operator by uid (unless --allow-non-restored-state), max parallelism is
 * unchanged, and in-flight data of an unaligned checkpoint meets the same parallelism. */
static int check_restore(job_master *jm, const ckpt_loaded *l, char *err, size_t err_len) {
  const job_graph *jg = jm->jg;
  for (int i = 0; i < l->nops; i++) {
    const ckpt_loaded_op *op = &l->ops[i];
    if (!op->has_state) continue; /* stateless operators may come and go */
    const sg_node *n = NULL;
    for (int k = 0; k < jg->nnodes && !n; k++)
      if (strcmp(jg->nodes[k].uid, op->uid) == 0) n = &jg->nodes[k];
    if (!n) {
      if (jm->ck.allow_non_restored) {
        SP_WARN("jobmaster", "Skipping state of operator uid '%s' in %s: no such operator in "
                "the job (--allow-non-restored-state).", op->uid, l->dir);
        continue;
      }
      return sp_err(err, err_len, SPATE_ESTATE,
                    "Failed to rollback to checkpoint/savepoint %s. Cannot map checkpoint/"
                    "savepoint state for operator uid '%s' to the new program, because the "
                    "operator is not available in the new program. If you want to allow to skip "
                    "this, you can set the --allowNonRestoredState option on the CLI (-n).",
                    l->dir, op->uid);
    }
    if (op->max_parallelism != n->max_parallelism)
      return sp_err(err, err_len, SPATE_ESTATE,
                    "Failed to rollback to checkpoint/savepoint %s: operator '%s' (uid %s) was "
                    "checkpointed with max parallelism %d but now has %d; the max parallelism "
                    "of an operator cannot change",
                    l->dir, n->name, n->uid, op->max_parallelism, n->max_parallelism);
  }
  for (int f = 0; f < l->meta.nfinished; f++) {
    const ckpt_finished *fin = &l->meta.finished[f];
    size_t head_len = strcspn(fin->head_uid, "\n");
    for (int v = 0; v < jg->nvertices; v++) {
      char *chain = jobgraph_chain_uids(jg, v);
      if (!chain) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
      bool same = strcmp(chain, fin->head_uid) == 0;
      /* a task that shares an operator with a finished one must be that same chain */
      bool overlaps = chains_share_uid(chain, fin->head_uid);
      sp_free(chain);
      if (overlaps && !same)
        return sp_err(err, err_len, SPATE_ESTATE,
                      "%s was taken when the task starting with operator uid '%.*s' had "
                      "finished, and '%s' now chains its operators differently; restore with "
                      "the same chaining", l->dir, (int)head_len, fin->head_uid,
                      jg->vertices[v].name);
    }
  }
  for (int c = 0; c < l->nchannels; c++) {
    const ckpt_loaded_channel *ch = &l->channels[c];
    bool found = false;
    for (int v = 0; v < jg->nvertices; v++)
      found |= strcmp(jg->nodes[jg->vertices[v].head].uid, ch->head_uid) == 0;
    if (!found)
      return sp_err(err, err_len, SPATE_ESTATE,
                    "%s holds in-flight data of an unaligned checkpoint for the task that "
                    "starts with operator uid '%s', and no task of the job starts with it any "
                    "more (the chaining changed); restore from a savepoint or an aligned "
                    "checkpoint", l->dir, ch->head_uid);
    for (int v = 0; v < jg->nvertices; v++)
      if (strcmp(jg->nodes[jg->vertices[v].head].uid, ch->head_uid) == 0 &&
          jg->vertices[v].parallelism != ch->parallelism)
        return sp_err(err, err_len, SPATE_ESTATE,
                      "%s is an unaligned checkpoint with in-flight data for '%s' at "
                      "parallelism %d; it cannot be restored at parallelism %d (rescale from a "
                      "savepoint or an aligned checkpoint)",
                      l->dir, jg->vertices[v].name, ch->parallelism, jg->vertices[v].parallelism);
  }
  return 0;
}

/* Reads the job's checkpointing, restart and restore settings. */
static int configure(job_master *jm, char *err, size_t err_len) {
  sp_config *cfg = NULL;
  int rc = jobgraph_config(jm->jg, &cfg, err, err_len);
  if (rc < 0) return rc;
  ckpt_settings *ck = &jm->ck;
  ck->interval_ms = sp_config_is_set(cfg, "execution.checkpointing.interval")
                        ? sp_config_duration_ms(cfg, "execution.checkpointing.interval")
                        : 0;
  ck->timeout_ms = sp_config_duration_ms(cfg, "execution.checkpointing.timeout");
  ck->min_pause_ms = sp_config_duration_ms(cfg, "execution.checkpointing.min-pause");
  ck->max_concurrent = (int)sp_config_int(cfg, "execution.checkpointing.max-concurrent-checkpoints");
  ck->tolerable = (int)sp_config_int(cfg, "execution.checkpointing.tolerable-failed-checkpoints");
  const char *mode = sp_config_str(cfg, "execution.checkpointing.mode");
  ck->exactly_once = !mode || strcasecmp(mode, "AT_LEAST_ONCE") != 0;
  ck->unaligned = sp_config_bool(cfg, "execution.checkpointing.unaligned.enabled");
  ck->aligned_timeout_ms =
      sp_config_duration_ms(cfg, "execution.checkpointing.aligned-checkpoint-timeout");
  const char *ret = sp_config_str(cfg, "execution.checkpointing.externalized-checkpoint-retention");
  ck->retention = !ret                                         ? RETAIN_NONE
                  : strcasecmp(ret, "RETAIN_ON_CANCELLATION") == 0 ? RETAIN_ON_CANCEL
                  : strcasecmp(ret, "DELETE_ON_CANCELLATION") == 0 ? RETAIN_DELETE_ON_CANCEL
                                                                   : RETAIN_NONE;
  ck->num_retained = (int)sp_config_int(cfg, "state.checkpoints.num-retained");
  if (ck->num_retained < 1) ck->num_retained = 1;
  if (ck->max_concurrent < 1) ck->max_concurrent = 1;
  ck->allow_non_restored = sp_config_bool(cfg, "execution.savepoint.ignore-unclaimed-state");
  char path[4096];
  /* the job's checkpoint directory, also without periodic checkpoints (manual ones use it) */
  const char *dir = sp_config_str(cfg, "state.checkpoints.dir");
  if (rc == 0) {
    if (!dir) { /* Flink keeps them in the JobManager; Spate needs a place on disk */
      const char *tmp = getenv("TMPDIR");
      snprintf(path, sizeof path, "%s/spate-checkpoints", tmp && tmp[0] ? tmp : "/tmp");
      if (ck->interval_ms > 0)
        SP_INFO("jobmaster", "state.checkpoints.dir is not set; checkpoints go to %s.", path);
    } else {
      rc = ckpt_path_from_uri(dir, path, sizeof path, err, err_len);
    }
    int n = rc == 0 ? snprintf(ck->dir, sizeof ck->dir, "%s/%s", path, jm->jg->job_id) : 0;
    if (n < 0 || (size_t)n >= sizeof ck->dir)
      rc = sp_err(err, err_len, SPATE_EINVAL, "state.checkpoints.dir is too long");
  }
  /* periodic checkpoints need their storage before the job runs (Flink initializes the base
   * locations when its coordinator starts and fails the job if it cannot) */
  if (rc == 0 && ck->interval_ms > 0) {
    char why[SP_ERRMSG_MAX];
    if (ckpt_mkdirs(ck->dir, why, sizeof why) < 0)
      rc = sp_err(err, err_len, SPATE_EIO,
                  "Failed to create checkpoint storage at checkpoint coordinator side "
                  "(state.checkpoints.dir %s): %s", dir ? dir : path, why);
  }
  const char *sdir = sp_config_str(cfg, "state.savepoints.dir");
  if (rc == 0 && sdir) {
    rc = ckpt_path_from_uri(sdir, path, sizeof path, err, err_len);
    if (rc == 0) snprintf(ck->savepoint_dir, sizeof ck->savepoint_dir, "%s", path);
  }
  if (rc == 0)
    rc = restart_strategy_from_config(cfg, ck->interval_ms > 0, &jm->restart, err, err_len);
  const char *restore = sp_config_str(cfg, "execution.savepoint.path");
  if (rc == 0 && restore && restore[0]) {
    ckpt_loaded *l = NULL;
    rc = ckpt_path_from_uri(restore, path, sizeof path, err, err_len);
    if (rc == 0) rc = ckpt_load(path, true, &l, err, err_len);
    if (rc == 0) rc = check_restore(jm, l, err, err_len);
    if (rc == 0) {
      snprintf(ck->restore, sizeof ck->restore, "%s", l->dir);
      snprintf(jm->restore_dir, sizeof jm->restore_dir, "%s", l->dir);
      SP_INFO("jobmaster", "Starting job %s from %s %lld (%s).", jm->jg->job_id,
              l->meta.savepoint ? "savepoint" : "checkpoint", (long long)l->meta.id, l->dir);
      /* new checkpoints continue the numbering, as Flink's restored coordinator does */
      jm->next_id = l->meta.id;
    }
    ckpt_loaded_free(l);
  }
  if (rc == 0 && (ck->interval_ms > 0 || jm->restore_dir[0]))
    for (int i = 0; i < jm->jg->nnodes; i++) {
      const sg_node *n = &jm->jg->nodes[i];
      if (sg_uid_generated(n))
        SP_WARN("jobmaster", "Operator '%s' has no uid; its state is mapped by the generated uid "
                "'%s', which changes when the job graph changes shape. Set one with spate_uid.",
                n->name, n->uid);
      if (n->kind == OP_SRC_SOCKET && ck->interval_ms > 0)
        SP_WARN("jobmaster", "Source '%s' reads a socket, which cannot be replayed: records "
                "it read after the last checkpoint are lost when the job recovers.", n->name);
    }
  if (rc == 0 && ck->interval_ms > 0)
    SP_INFO("jobmaster", "Checkpointing job %s every %lld ms (%s%s) into %s; restart strategy %s.",
            jm->jg->job_id, (long long)ck->interval_ms,
            ck->exactly_once ? "EXACTLY_ONCE" : "AT_LEAST_ONCE", ck->unaligned ? ", unaligned" : "",
            ck->dir, restart_strategy_describe(jm->restart));
  sp_config_free(cfg);
  return rc;
}

int jm_start(rpc_service *rpc, job_graph *jg, const void *bytes, size_t len, const char *client,
             job_master **out) {
  job_master *jm = sp_calloc(1, sizeof *jm);
  if (!jm) {
    jobgraph_free(jg);
    return SPATE_ENOMEM;
  }
  jm->rpc = rpc;
  if (client && !(jm->client = sp_strdup(client))) {
    sp_free(jm);
    jobgraph_free(jg);
    return SPATE_ENOMEM;
  }
  jm->jg = jg;
  jm->start_ms = sp_wall_ms();
  snprintf(jm->address, sizeof jm->address, "jobmaster-%s", jg->job_id);
  jm->bytes = sp_malloc(len);
  jm->exec = sp_calloc((size_t)jg->nvertices, sizeof *jm->exec);
  int rc = jm->bytes && jm->exec ? 0 : SPATE_ENOMEM;
  for (int v = 0; rc == 0 && v < jg->nvertices; v++) {
    jm->exec[v] = sp_calloc((size_t)jg->vertices[v].parallelism, sizeof **jm->exec);
    if (!jm->exec[v]) rc = SPATE_ENOMEM;
    jm->remaining += jg->vertices[v].parallelism;
  }
  jm->ntasks = jm->remaining;
  jm->slot_te = sp_calloc((size_t)jm->ntasks + 1, sizeof *jm->slot_te);
  jm->slot_no = sp_calloc((size_t)jm->ntasks + 1, sizeof *jm->slot_no);
  if (!jm->slot_te || !jm->slot_no) rc = SPATE_ENOMEM;
  sp_writer_init(&jm->stats);
  if (rc == 0) {
    memcpy(jm->bytes, bytes, len);
    jm->len = len;
    rc = rpc_endpoint_start(rpc, jm->address, handle, jm, &jm->ep);
  }
  if (rc < 0) {
    jm_stop(jm);
    return rc;
  }
  SP_INFO("jobmaster", "Initializing job '%s' (%s): %d vertices, %d slots needed.", jg->job_name,
          jg->job_id, jg->nvertices, jobgraph_slots_needed(jg));
  set_status(jm, JOB_RUNNING);
  char err[SP_ERRMSG_MAX];
  if (configure(jm, err, sizeof err) < 0) {
    jm->error = sp_strdup(err);
    set_status(jm, JOB_FAILING);
    complete(jm);
    *out = jm;
    return 0;
  }
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jg->job_id);
  sp_put_str(&w, jm->address);
  sp_put_i32(&w, jobgraph_slots_needed(jg));
  jm->awaiting_slots = true;
  rpc_send(rpc, RM_ADDRESS, MSG_REQUEST_SLOTS, &w);
  *out = jm;
  return 0;
}

void jm_stop(job_master *jm) {
  if (!jm) return;
  if (jm->ep) rpc_endpoint_stop(jm->ep);
  if (jm->exec)
    for (int v = 0; v < jm->jg->nvertices; v++) {
      if (!jm->exec[v]) continue;
      for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) sp_free(jm->exec[v][s].report);
      sp_free(jm->exec[v]);
    }
  sp_free(jm->exec);
  sp_free(jm->bytes);
  sp_free(jm->error);
  sp_free(jm->client);
  sp_free(jm->slot_te);
  sp_free(jm->slot_no);
  sp_free(jm->completed);
  sp_writer_free(&jm->stats);
  if (jm->restart) restart_strategy_free(jm->restart);
  while (jm->pending) {
    pending_ckpt *p = jm->pending;
    jm->pending = p->next;
    pending_free(jm, p);
  }
  jobgraph_free(jm->jg);
  sp_free(jm);
}
