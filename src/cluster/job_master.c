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
 * Checkpoints: the checkpoint coordinator (checkpoint/coordinator.c) decides when to trigger and
 * when a checkpoint is complete; the JobMaster owns its timers and messages: it passes the
 * acknowledgements, declines, expiries and finished tasks on, and sends the triggers and
 * notifications the coordinator asks for. Too many failed checkpoints fail the job over.
 *
 * Failover: a failed subtask cancels the others (RUNNING -> RESTARTING); if the restart strategy
 * allows, after its backoff every subtask is deployed again as a new attempt (with its own
 * partitions) restoring the latest completed checkpoint (falling back to older ones that load,
 * else the savepoint the job started from; checkpoint/restore.c chooses and checks). Otherwise
 * the job fails as before. Region failover (only the failed subtask's pipelined region restarts)
 * is in failover_regions.c, heartbeats with the job's TaskExecutors and losing one in
 * job_master_heartbeats.c; both share this file's state through job_master_internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "checkpoint/coordinator.h"
#include "checkpoint/restore.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/job_master_internal.h"
#include "cluster/job_result.h"
#include "cluster/messages.h"
#include "cluster/restart_strategy.h"

static const char *job_status_name(job_status s) {
  static const char *n[] = {"CREATED",    "RUNNING",  "FAILING",  "FAILED",
                            "CANCELLING", "CANCELED", "FINISHED", "RESTARTING"};
  return n[s];
}

/* ---- events for the client that submitted the job (spate_job_listener) ---------------------- */

typedef struct job_event {
  spate_job_event_type type;
  const char *state, *task, *path, *message;
  int vertex, subtask;
  int attempt; /* task events: the execution's attempt (others carry the job's) */
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
  sp_put_i32(&w, e->type == SPATE_EVENT_TASK_STATE ? e->attempt : jm->attempt);
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
  cv_job_status(jm->view, jm->jg->job_id, job_status_name(to), sp_wall_ms());
  job_metrics_status(jm->metrics, job_status_name(to), sp_wall_ms());
  send_event(jm, &(job_event){.type = SPATE_EVENT_JOB_STATUS,
                              .state = job_status_name(to),
                              .message = to == JOB_FAILED ? jm->error : NULL});
}

/* Records a subtask's switch (why: the failure, when it failed). */
void jm_exec_switch_why(job_master *jm, int v, int s, task_state to, const char *why) {
  execution *e = &jm->exec[v][s];
  if (task_state_terminal(e->state)) return; /* terminal states are final */
  const jg_vertex *vx = &jm->jg->vertices[v];
  if (to != TS_FAILED)
    SP_INFO("jobmaster", "%s (%d/%d) (%.16s_%d_%d_%d) switched from %s to %s.", vx->name, s + 1,
            vx->parallelism, jm->jg->job_id, v, s, e->attempt, task_state_name(e->state),
            task_state_name(to));
  if (!task_state_terminal(e->state) && task_state_terminal(to)) jm->remaining--;
  if (to == TS_FAILED) { /* the exception history (GET /jobs/:jobid/exceptions) */
    cv_job_failure(jm->view, jm->jg->job_id, v, s, why && why[0] ? why : "task failed",
                   jm->failover_open, sp_wall_ms());
    jm->failover_open = true;
  }
  e->state = to;
  cv_task_state(jm->view, jm->jg->job_id, v, s, to, sp_wall_ms());
  /* periodic checkpoints start once every task runs, before the listener hears of the last one:
   * a program that awaits that event and then moves a manual clock by the interval gets one */
  if (jm->status == JOB_RUNNING && ckpt_coord_checkpointable(jm->coord))
    ckpt_coord_start_timer(jm->coord);
  if (jm->client) {
    char name[600];
    snprintf(name, sizeof name, "%s (%d/%d)", vx->name, s + 1, vx->parallelism);
    send_event(jm, &(job_event){.type = SPATE_EVENT_TASK_STATE,
                                .state = task_state_name(to),
                                .task = name,
                                .vertex = v,
                                .subtask = s,
                                .attempt = e->attempt,
                                .message = why});
  }
}

void jm_exec_switch(job_master *jm, int v, int s, task_state to) {
  jm_exec_switch_why(jm, v, s, to, NULL);
}

/* Sends payload (consumed) once to every TaskExecutor that runs a subtask of the current
 * attempt. */
static void send_to_executors(job_master *jm, uint32_t type, sp_writer *payload) {
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      const char *te = jm->exec[v][s].te;
      bool seen = !te;
      for (int pv = 0; !seen && pv <= v; pv++)
        for (int ps = 0; ps < jm->jg->vertices[pv].parallelism && !(pv == v && ps >= s); ps++)
          if (jm->exec[pv][ps].te && strcmp(jm->exec[pv][ps].te, te) == 0) {
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

/* Each TaskExecutor that ran a subtask of the attempt drops that attempt's partitions. */
void jm_release_attempt(job_master *jm, int attempt) {
  char key[48];
  snprintf(key, sizeof key, "%s-%d", jm->jg->job_id, attempt);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, key);
  send_to_executors(jm, MSG_RELEASE_PARTITIONS, &w);
}

/* The same for every attempt the subtasks run as (regions restart on their own). */
static void release_partitions(job_master *jm) {
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      int a = jm->exec[v][s].attempt;
      bool seen = false;
      for (int pv = 0; pv <= v && !seen; pv++)
        for (int ps = 0; ps < jm->jg->vertices[pv].parallelism && !(pv == v && ps >= s); ps++)
          if (jm->exec[pv][ps].attempt == a) {
            seen = true;
            break;
          }
      if (!seen) jm_release_attempt(jm, a);
    }
}

/* Encodes the job result for the client (jr_encode) from the subtasks' reports. */
static void encode_result(job_master *jm, sp_writer *w) {
  spate_job_status st = jm->status == JOB_FINISHED   ? SPATE_JOB_FINISHED
                        : jm->status == JOB_CANCELED ? SPATE_JOB_CANCELED
                                                     : SPATE_JOB_FAILED;
  jr_report *reports = sp_calloc((size_t)jm->ntasks + 1, sizeof *reports);
  if (!reports) {
    w->failed = true;
    return;
  }
  for (int v = 0, t = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++, t++)
      reports[t] = (jr_report){jm->exec[v][s].report, jm->exec[v][s].report_len};
  uint32_t nstats;
  const sp_writer *stats = ckpt_coord_stats(jm->coord, &nstats);
  jr_encode(w, jm->jg, st, jm->error, sp_wall_ms() - jm->start_ms, reports, jm->restarts, stats,
            nstats);
  sp_free(reports);
}

static void complete(job_master *jm) {
  if (jm->done) return;
  jm->done = true;
  if (jm->status == JOB_FAILING || jm->status == JOB_CREATED || jm->status == JOB_RESTARTING)
    set_status(jm, JOB_FAILED);
  else if (jm->status == JOB_CANCELLING)
    set_status(jm, JOB_CANCELED);
  else if (jm->status == JOB_RUNNING)
    set_status(jm, JOB_FINISHED);
  ckpt_coord_job_ended(jm->coord, jm->status == JOB_CANCELED);
  cv_job_done(jm->view, jm->jg->job_id, job_status_name(jm->status), sp_wall_ms() - jm->start_ms,
              jm->status == JOB_FAILED ? jm->error : NULL, sp_wall_ms());
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

void jm_cancel_execution(job_master *jm, int v, int s) {
  execution *e = &jm->exec[v][s];
  if (task_state_terminal(e->state)) return;
  if (!e->te) { /* never deployed */
    jm_exec_switch(jm, v, s, TS_CANCELED);
    return;
  }
  jm_exec_switch(jm, v, s, TS_CANCELING);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  sp_put_i32(&w, v);
  sp_put_i32(&w, s);
  sp_put_i32(&w, e->attempt);
  if (rpc_send(jm->rpc, e->te, MSG_CANCEL_TASK, &w) < 0) jm_exec_switch(jm, v, s, TS_CANCELED);
}

static void cancel_all(job_master *jm) {
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) jm_cancel_execution(jm, v, s);
  if (jm->remaining == 0) jm_all_terminal(jm);
}

/* A failure of the running job: restart if the strategy allows, else fail the job. */
void jm_fail_job(job_master *jm, const char *why) {
  if ((jm->status == JOB_RUNNING || jm->status == JOB_CREATED) && !jm->failover_open) {
    /* a failure of the job as a whole (a subtask's was recorded as it switched to FAILED) */
    cv_job_failure(jm->view, jm->jg->job_id, -1, -1, why, false, sp_wall_ms());
    jm->failover_open = true;
  }
  if (jm->status != JOB_RUNNING && jm->status != JOB_CREATED) {
    if (!jm->error) jm->error = sp_strdup(why);
    return;
  }
  ckpt_coord_abort_pending(jm->coord, why);
  int64_t delay = 0;
  if (jm->status == JOB_RUNNING && jm->final_commits) {
    /* Flink takes a final checkpoint before such a sink commits; Spate's sinks commit at the
     * end of their input, so replaying from an earlier checkpoint would publish twice */
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg,
             "%s (not restarted: a two-phase-commit sink already committed its "
             "final output at the end of its input, and restarting from the last checkpoint "
             "would publish it again)",
             why);
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
    jm->error = sp_strdup(why);                     /* kept in case the restart does not happen */
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

static void free_strs(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) sp_free(v[i]);
  sp_free(v);
}

/* Asks the ResourceManager for the job's slots (after releasing those it holds, if any). */
static void request_slots(job_master *jm) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  rpc_send(jm->rpc, RM_ADDRESS, MSG_RELEASE_SLOTS, &w);
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  sp_put_str(&w, jm->address);
  sp_put_i32(&w, jobgraph_slots_needed(jm->jg));
  jm->awaiting_slots = true;
  rpc_send(jm->rpc, RM_ADDRESS, MSG_REQUEST_SLOTS, &w);
}

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
    jm_fail_job(jm, !sp_reader_ok(r) ? msg : error && error[0] ? error : "no slots");
    sp_free(error);
    return;
  }
  sp_free(error);
  char **slots = sp_calloc(n + 1, sizeof *slots), **datas = sp_calloc(n + 1, sizeof *datas);
  int *slot_no = sp_calloc(n + 1, sizeof *slot_no);
  for (uint32_t i = 0; slots && datas && slot_no && i < n && sp_reader_ok(r); i++) {
    slots[i] = sp_get_str(r);
    slot_no[i] = sp_get_i32(r);
    datas[i] = sp_get_str(r);
    if (sp_reader_ok(r) && (!slots[i] || !slots[i][0] || !datas[i]))
      sp_reader_fail(r, "slot without a valid TaskExecutor address");
  }
  if (!slots || !datas || !slot_no || !sp_reader_ok(r)) {
    free_strs(slots, n);
    free_strs(datas, n);
    sp_free(slot_no);
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "malformed slot offer: %s", r->error);
    jm_fail_job(jm, sp_reader_ok(r) ? "out of memory" : msg);
    return;
  }
  if (jm->status != JOB_RUNNING) { /* cancelled while waiting for slots */
    free_strs(slots, n);
    free_strs(datas, n);
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
        free_strs(slots, n);
        free_strs(datas, n);
        sp_free(slot_no);
        jm_fail_job(jm, "slot offer smaller than requested");
        return;
      }
      int t = task_index(jm, v, s);
      sp_free(jm->slot_te[t]);
      sp_free(jm->slot_data[t]);
      jm->slot_te[t] = sp_strdup(slots[k]);
      jm->slot_data[t] = sp_strdup(datas[k]);
      jm->slot_no[t] = slot_no[k];
      if (!jm->slot_te[t] || !jm->slot_data[t]) {
        free_strs(slots, n);
        free_strs(datas, n);
        sp_free(slot_no);
        jm_fail_job(jm, "out of memory");
        return;
      }
    }
  }
  free_strs(slots, n);
  free_strs(datas, n);
  sp_free(slot_no);
  jm->slots_lost = false;
  jm_heartbeats_watch(jm);
  deploy(jm);
}

/* Deploys every subtask of the current attempt to its slot. */
static void deploy(job_master *jm) { jm_deploy_region(jm, -1); }

/* Deploys the subtasks of a region (-1: all) as attempt jm->attempt. */
void jm_deploy_region(job_master *jm, int region) {
  const job_graph *jg = jm->jg;
  if (jm->restore_dir[0]) {
    SP_INFO("jobmaster", "Job %s (%s): attempt %d restores %s.", jg->job_name, jg->job_id,
            jm->attempt, jm->restore_dir);
    ckpt_coord_restored(jm->coord, jm->restore_dir); /* the checkpoint statistics' "restored" */
  }
  jm->failover_open = false; /* failures from now on are new roots */
  for (int v = 0; v < jg->nvertices && jm->status == JOB_RUNNING; v++)
    for (int s = 0; s < jg->vertices[v].parallelism && jm->status == JOB_RUNNING; s++) {
      int t = task_index(jm, v, s);
      if (region >= 0 && jm->region[t] != region) continue;
      execution *e = &jm->exec[v][s];
      e->attempt = jm->attempt;
      jm_exec_switch(jm, v, s, TS_SCHEDULED);
      e->te = jm->slot_te[t];
      cv_task_deployed(jm->view, jg->job_id, v, s, e->te, jm->slot_data[t]);
      jm_exec_switch(jm, v, s, TS_DEPLOYING);
      sp_writer w;
      sp_writer_init(&w);
      sp_put_str(&w, jm->address);
      sp_put_blob(&w, jm->bytes, (uint32_t)jm->len);
      sp_put_i32(&w, v);
      sp_put_i32(&w, s);
      sp_put_i32(&w, e->attempt);
      sp_put_i32(&w, jm->slot_no[t]);
      sp_put_str(&w, jm->restore_dir);
      sp_put_str(&w, jm->blob_key ? jm->blob_key : "");
      sp_put_str(&w, jm->blob_server ? jm->blob_server : "");
      sp_put_u32(&w, (uint32_t)jm->ntasks);
      for (int k = 0; k < jm->ntasks; k++) sp_put_str(&w, jm->slot_data[k]);
      if (rpc_send(jm->rpc, e->te, MSG_SUBMIT_TASK, &w) < 0) {
        jm_exec_switch(jm, v, s, TS_FAILED);
        jm_fail_job(jm, "TaskExecutor is gone");
      }
    }
}

/* ---- checkpoints: the coordinator's hooks and messages (checkpoint/coordinator.h) ------------ */

static task_state hook_task_state(void *ctx, int v, int s) {
  const job_master *jm = ctx;
  return jm->exec[v][s].state;
}

static void send_trigger(void *ctx, int v, int s, int64_t id, int64_t timestamp, uint32_t flags,
                         int64_t aligned_timeout_ms, const char *dir) {
  job_master *jm = ctx;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  sp_put_i32(&w, jm->exec[v][s].attempt);
  sp_put_i32(&w, v);
  sp_put_i32(&w, s);
  sp_put_i64(&w, id);
  sp_put_i64(&w, timestamp);
  sp_put_u32(&w, flags);
  sp_put_i64(&w, aligned_timeout_ms);
  sp_put_str(&w, dir);
  rpc_send(jm->rpc, jm->exec[v][s].te, MSG_TRIGGER_CHECKPOINT, &w);
}

/* Tells every TaskExecutor running the current attempt that checkpoint id completed/aborted. */
static void notify_tasks(void *ctx, int64_t id, bool complete) {
  job_master *jm = ctx;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  sp_put_i32(&w, -1); /* every running subtask of the job, whatever its region's attempt */
  sp_put_i64(&w, id);
  sp_put_u8(&w, complete);
  send_to_executors(jm, MSG_NOTIFY_CHECKPOINT, &w);
}

/* Answers whoever asked for savepoint or checkpoint `id` (0: it never started). */
static void snapshot_reply(void *ctx, const char *reply, int64_t id, const char *path,
                           const char *err) {
  job_master *jm = ctx;
  if (!reply || !reply[0]) return;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i64(&w, id);
  sp_put_str(&w, path ? path : "");
  sp_put_str(&w, err ? err : "");
  rpc_send(jm->rpc, reply, MSG_SNAPSHOT_DONE, &w);
}

static void checkpoint_event(void *ctx, ckpt_event_type type, int64_t id, bool savepoint,
                             const char *path, const char *message) {
  static const spate_job_event_type types[] = {
      [CKPT_EVENT_TRIGGERED] = SPATE_EVENT_CHECKPOINT_TRIGGERED,
      [CKPT_EVENT_COMPLETED] = SPATE_EVENT_CHECKPOINT_COMPLETED,
      [CKPT_EVENT_FAILED] = SPATE_EVENT_CHECKPOINT_FAILED,
  };
  send_event(
      ctx,
      &(job_event){
          .type = types[type], .id = id, .savepoint = savepoint, .path = path, .message = message});
}

/* The coordinator fails the job over only while it runs. */
static void checkpoint_fail_job(void *ctx, const char *why) {
  job_master *jm = ctx;
  if (jm->status == JOB_RUNNING) jm_fail_job(jm, why);
}

static void expire_after(void *ctx, int64_t id, int64_t delay_ms) {
  job_master *jm = ctx;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i64(&w, id);
  rpc_send_after(jm->rpc, jm->name, MSG_CKPT_EXPIRE, &w, delay_ms);
}

/* The periodic timer's next tick, for the current attempt (a restart leaves the old one's). */
static void tick_after(void *ctx, int64_t delay_ms) {
  job_master *jm = ctx;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i32(&w, jm->attempt);
  rpc_send_after(jm->rpc, jm->name, MSG_CKPT_TIMER, &w, delay_ms);
}

static void on_ack(job_master *jm, sp_reader *r) {
  int32_t attempt = sp_get_i32(r), v = sp_get_i32(r), s = sp_get_i32(r);
  int64_t id = sp_get_i64(r);
  char *file = sp_get_str(r);
  uint64_t length = sp_get_u64(r), checksum = sp_get_u64(r);
  int64_t sync = sp_get_i64(r), async = sp_get_i64(r), align = sp_get_i64(r);
  int64_t first_barrier = sp_get_i64(r);
  uint8_t unaligned = sp_get_u8(r);
  if (!sp_reader_ok(r) || v < 0 || v >= jm->jg->nvertices || s < 0 ||
      s >= jm->jg->vertices[v].parallelism || attempt != jm->exec[v][s].attempt) {
    sp_free(file); /* an old attempt's */
    return;
  }
  ckpt_coord_ack(jm->coord, v, s, id, file, length, checksum, sync, async, align, first_barrier,
                 unaligned != 0);
}

static void on_decline(job_master *jm, sp_reader *r) {
  int32_t attempt = sp_get_i32(r), v = sp_get_i32(r), s = sp_get_i32(r);
  int64_t id = sp_get_i64(r);
  char *reason = sp_get_str(r);
  if (sp_reader_ok(r) && v >= 0 && v < jm->jg->nvertices && s >= 0 &&
      s < jm->jg->vertices[v].parallelism && attempt == jm->exec[v][s].attempt)
    ckpt_coord_decline(jm->coord, v, s, id, reason);
  sp_free(reason);
}

static void on_savepoint(job_master *jm, sp_reader *r) {
  char *reply = sp_get_str(r), *dir = sp_get_str(r);
  uint8_t stop = sp_get_u8(r); /* SAVEPOINT_* */
  if (!sp_reader_ok(r) || !reply || stop > SAVEPOINT_STOP_DRAIN) {
    char err[SP_ERRMSG_MAX] = "";
    sp_err(err, sizeof err, SPATE_EINVAL, "malformed savepoint request");
    snapshot_reply(jm, reply, 0, NULL, err);
  } else {
    ckpt_coord_savepoint(jm->coord, jm->status == JOB_RUNNING, reply, dir, stop != SAVEPOINT_ONLY,
                         stop == SAVEPOINT_STOP_DRAIN);
  }
  sp_free(reply);
  sp_free(dir);
}

/* A checkpoint now, on request (Flink's manual checkpoint, `flink checkpoint <job id>`). */
static void on_checkpoint_request(job_master *jm, sp_reader *r) {
  char *reply = sp_get_str(r);
  if (!sp_reader_ok(r) || !reply) {
    char err[SP_ERRMSG_MAX] = "";
    sp_err(err, sizeof err, SPATE_EINVAL, "malformed checkpoint request");
    snapshot_reply(jm, reply, 0, NULL, err);
  } else {
    ckpt_coord_checkpoint(jm->coord, jm->status == JOB_RUNNING, reply);
  }
  sp_free(reply);
}

/* ---- failover ---------------------------------------------------------------------------------- */

/* Every subtask is terminal: finish the job, or restart it once the backoff has passed. The
 * backoff counts from the failure, while the tasks are being cancelled (Flink's DefaultScheduler
 * schedules the restart at the failure and runs it after the cancellation too): a slow
 * cancellation does not add to it, and a manual clock advanced by the backoff once the job is
 * RESTARTING restarts it whenever the cancellation ends. */
void jm_all_terminal(job_master *jm) {
  if (jm->status == JOB_RUNNING && jm->regions_restarting > 0)
    return; /* a region restarts: the job goes on */
  if (jm->status != JOB_RESTARTING) {
    complete(jm);
    return;
  }
  release_partitions(jm);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i32(&w, jm->attempt);
  int64_t left = jm->restart_at - clock_deadline_ms(jm);
  rpc_send_after(jm->rpc, jm->name, MSG_RESTART, &w, left > 0 ? left : 0);
}

static void on_restart(job_master *jm, int32_t attempt) {
  if (attempt != jm->attempt || jm->status != JOB_RESTARTING) return;
  jm->attempt++;
  jm->restarts++;
  job_metrics_restarted(jm->metrics, true);
  ckpt_coord_new_attempt(jm->coord);
  cv_job_new_attempt(jm->view, jm->jg->job_id);
  for (int g = 0; g < jm->nregions; g++) jm->region_restarting[g] = false;
  jm->regions_restarting = 0;
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      execution *e = &jm->exec[v][s];
      sp_free(e->report);
      *e = (execution){.state = TS_CREATED};
    }
  jm->remaining = jm->ntasks;
  int ncompleted;
  const ckpt_completed *completed = ckpt_coord_completed(jm->coord, &ncompleted);
  char err[SP_ERRMSG_MAX];
  if (ckpt_restore_choose(jm->jg, completed, ncompleted, jm->restore_uri, jm->restore_from,
                          &jm->bad_restores, jm->restore_dir, sizeof jm->restore_dir, err,
                          sizeof err) < 0) {
    sp_free(jm->error); /* nothing is left to restore: the job fails */
    jm->error = sp_strdup(err);
    complete(jm);
    return;
  }
  set_status(jm, JOB_RUNNING);
  if (!jm->slots_lost) {
    deploy(jm);
    return;
  }
  /* a TaskManager is gone: the job runs on the slots the ResourceManager has now, waiting for
   * them up to slot.request.timeout */
  request_slots(jm);
}

/* A subtask found the checkpoint this attempt restores corrupt (its TaskExecutor verified the
 * state files it reads). Retrying it cannot help, so the restart strategy is not asked: the
 * checkpoint is marked bad and the whole job restarts at once from the next one
 * ckpt_restore_choose finds (every region must restore the same checkpoint), or fails if none
 * is left. The subtask's FAILED follows and finds the job restarting already. */
static void restore_corrupt(job_master *jm, sp_reader *r) {
  char *dir = sp_get_str(r), *why = sp_get_str(r);
  if (sp_reader_ok(r) && dir && why && jm->restore_dir[0] && strcmp(dir, jm->restore_dir) == 0 &&
      (jm->status == JOB_RUNNING || jm->status == JOB_CREATED) && !jm->final_commits) {
    SP_WARN("jobmaster", "Job %s (%s): checkpoint %s cannot be restored: %s", jm->jg->job_name,
            jm->jg->job_id, dir, why);
    if (ckpt_restore_mark_bad(&jm->bad_restores, dir, why) == 0) {
      ckpt_coord_abort_pending(jm->coord, why);
      sp_free(jm->error);
      jm->error = sp_strdup(why); /* kept in case nothing is left to restore */
      jm->restart_at = clock_deadline_ms(jm);
      set_status(jm, JOB_RESTARTING);
      cancel_all(jm);
    }
  }
  sp_free(dir);
  sp_free(why);
}

static void task_update(job_master *jm, sp_reader *r) {
  int32_t v = sp_get_i32(r), s = sp_get_i32(r), attempt = sp_get_i32(r);
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
  if (!e->te || attempt != e->attempt || /* a late report of an earlier attempt */
      task_state_terminal(e->state) ||   /* e.g. cancelled before deployment */
      (e->state == TS_CANCELING && !task_state_terminal((task_state)st))) {
    /* a subtask being cancelled only ends: a RUNNING sent before the cancel reached it does not
     * make it running again (Flink's Execution ignores it too) */
    sp_free(error);
    return;
  }
  if (st == TS_FAILED) {
    const jg_vertex *vx = &jm->jg->vertices[v];
    SP_WARN("jobmaster", "%s (%d/%d) (%.16s_%d_%d_%d) switched from %s to FAILED: %s", vx->name,
            s + 1, vx->parallelism, jm->jg->job_id, v, s, jm->attempt, task_state_name(e->state),
            error ? error : "");
  }
  if (e->state != (task_state)st)
    jm_exec_switch_why(jm, v, s, (task_state)st, st == TS_FAILED ? error : NULL);
  if (task_state_terminal((task_state)st) && len) {
    e->report = sp_malloc(len);
    if (e->report) {
      memcpy(e->report, report, len);
      e->report_len = len;
    }
  }
  int region = jm->region ? jm->region[task_index(jm, v, s)] : -1;
  bool region_restarts = region >= 0 && jm->region_restarting[region];
  if (st == TS_FAILED) jm_fail_task(jm, v, s, error && error[0] ? error : "task failed");
  if (st == TS_CANCELED && jm->status == JOB_RUNNING && !region_restarts) {
    /* nobody asked: treat as a failure */
    char msg[600];
    const jg_vertex *vx = &jm->jg->vertices[v];
    snprintf(msg, sizeof msg, "%s (%d/%d) was canceled while the job was running", vx->name, s + 1,
             vx->parallelism);
    jm_fail_task(jm, v, s, msg);
  }
  sp_free(error);
  if (region >= 0 && task_state_terminal((task_state)st)) jm_region_check_done(jm, region);
  if (jm->status == JOB_RUNNING && ckpt_coord_checkpointable(jm->coord))
    ckpt_coord_start_timer(jm->coord);
  if (st == TS_FINISHED)
    for (int i = 0; i < jm->jg->vertices[v].nnodes; i++) {
      op_kind k = jm->jg->nodes[jm->jg->vertices[v].nodes[i]].kind;
      /* with checkpoints such sinks commit their last output through a final checkpoint */
      if ((k == OP_SINK_FILE || k == OP_SINK_TWO_PHASE) && ckpt_coord_interval_ms(jm->coord) <= 0)
        jm->final_commits = true;
    }
  if (st == TS_FINISHED && jm->status == JOB_RUNNING) ckpt_coord_task_finished(jm->coord, v, s);
  if (jm->remaining == 0) jm_all_terminal(jm);
}

static void handle(void *self, uint32_t type, sp_reader *r) {
  job_master *jm = self;
  switch (type) {
  case MSG_SLOTS_OFFER: slots_offer(jm, r); break;
  case MSG_TASK_STATE: task_update(jm, r); break;
  case MSG_RESTORE_CORRUPT: restore_corrupt(jm, r); break;
  case MSG_CANCEL_JOB:
    if (jm->status == JOB_RUNNING || jm->status == JOB_RESTARTING) {
      bool waiting = jm->status == JOB_RESTARTING && jm->remaining == 0;
      ckpt_coord_abort_pending(jm->coord, "the job is being cancelled");
      set_status(jm, JOB_CANCELLING);
      if (waiting) /* between attempts: nothing runs */
        complete(jm);
      else
        cancel_all(jm);
    }
    break;
  case MSG_ACK_CHECKPOINT: on_ack(jm, r); break;
  case MSG_DECLINE_CHECKPOINT: on_decline(jm, r); break;
  case MSG_CKPT_TIMER:
    /* a tick of an earlier attempt's timer is dropped */
    if (sp_get_i32(r) == jm->attempt) ckpt_coord_on_timer(jm->coord, jm->status == JOB_RUNNING);
    break;
  case MSG_CKPT_EXPIRE: ckpt_coord_expire(jm->coord, sp_get_i64(r)); break;
  case MSG_RESTART: on_restart(jm, sp_get_i32(r)); break;
  case MSG_RESTART_REGION: {
    int32_t region = sp_get_i32(r), token = sp_get_i32(r);
    if (sp_reader_ok(r)) jm_on_restart_region(jm, region, token);
    break;
  }
  case MSG_TRIGGER_SAVEPOINT: on_savepoint(jm, r); break;
  case MSG_REQUEST_CHECKPOINT: on_checkpoint_request(jm, r); break;
  case MSG_TM_LOST:
  case MSG_JM_HB_TICK:
  case MSG_JM_HEARTBEAT_REPLY:
  case MSG_RM_JM_HEARTBEAT:
  case MSG_UNDELIVERED: jm_taskmanager_message(jm, type, r); break;
  default: SP_WARN("jobmaster", "ignoring unexpected message %u", type);
  }
}

/* Reads the job's checkpointing, restart and restore settings. */
static int configure(job_master *jm, char *err, size_t err_len) {
  sp_config *cfg = NULL;
  int rc = jobgraph_config(jm->jg, &cfg, err, err_len);
  if (rc < 0) return rc;
  /* the checkpoint history's length is the JobManager's setting unless the job sets its own */
  if (jm->checkpoint_history > 0 && !sp_config_is_set(cfg, "web.checkpoints.history")) {
    char n[24];
    snprintf(n, sizeof n, "%d", jm->checkpoint_history);
    rc = sp_config_set(cfg, "web.checkpoints.history", n, "JobManager", err, err_len);
  }
  if (rc == 0) rc = ckpt_coord_configure(jm->coord, cfg, err, err_len);
  int64_t interval_ms = ckpt_coord_interval_ms(jm->coord);
  bool allow_non_restored = sp_config_bool(cfg, "execution.savepoint.ignore-unclaimed-state");
  /* the job's own setting, else the cluster's, else region (Flink's default) */
  const char *strategy = sp_config_is_set(cfg, "jobmanager.execution.failover-strategy")
                             ? sp_config_str(cfg, "jobmanager.execution.failover-strategy")
                         : jm->failover_default ? jm->failover_default
                                                : "region";
  jm->region_mode = strcmp(strategy, "region") == 0;
  if (rc == 0) rc = restart_strategy_from_config(cfg, interval_ms > 0, &jm->restart, err, err_len);
  if (rc == 0)
    cv_job_execution_config(jm->view, jm->jg->job_id, cfg,
                            jm->restart ? restart_strategy_describe(jm->restart) : NULL);
  const char *restore = sp_config_str(cfg, "execution.savepoint.path");
  if (rc == 0 && restore && restore[0]) {
    int64_t id = 0;
    if (!(jm->restore_uri = sp_strdup(restore)))
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
    if (rc == 0)
      rc = ckpt_restore_open(jm->jg, restore, allow_non_restored, jm->restore_from,
                             sizeof jm->restore_from, &id, err, err_len);
    if (rc == 0) {
      snprintf(jm->restore_dir, sizeof jm->restore_dir, "%s", jm->restore_from);
      /* new checkpoints continue the numbering, as Flink's restored coordinator does */
      ckpt_coord_continue_from(jm->coord, id);
    }
  }
  if (rc == 0 && (interval_ms > 0 || jm->restore_dir[0]))
    for (int i = 0; i < jm->jg->nnodes; i++) {
      const sg_node *n = &jm->jg->nodes[i];
      if (sg_uid_generated(n))
        SP_WARN("jobmaster",
                "Operator '%s' has no uid; its state is mapped by the generated uid "
                "'%s', which changes when the job graph changes shape. Set one with spate_uid.",
                n->name, n->uid);
      if (n->kind == OP_SRC_SOCKET && interval_ms > 0)
        SP_WARN("jobmaster",
                "Source '%s' reads a socket, which cannot be replayed: records "
                "it read after the last checkpoint are lost when the job recovers.",
                n->name);
    }
  if (rc == 0 && interval_ms > 0) {
    char how[4400];
    ckpt_coord_describe(jm->coord, how, sizeof how);
    SP_INFO("jobmaster", "Checkpointing job %s %s; restart strategy %s.", jm->jg->job_id, how,
            restart_strategy_describe(jm->restart));
  }
  sp_config_free(cfg);
  return rc;
}

int jm_start(rpc_service *rpc, job_graph *jg, const void *bytes, size_t len, const char *client,
             const jm_context *ctx, job_master **out) {
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
  snprintf(jm->name, sizeof jm->name, "jobmaster-%s", jg->job_id);
  jm->address = rpc_address_of(rpc, jm->name);
  if (ctx && ctx->blob_key && ctx->blob_key[0]) {
    jm->blob_key = sp_strdup(ctx->blob_key);
    jm->blob_server = sp_strdup(ctx->blob_server ? ctx->blob_server : "");
  }
  jm->view = ctx ? ctx->view : NULL;
  hb_monitor_init(&jm->hb, ctx ? &ctx->heartbeats : NULL, "TaskManager");
  hb_monitor_init(&jm->hb_rm, ctx ? &ctx->heartbeats : NULL, "ResourceManager");
  if (ctx) jm->checkpoint_history = ctx->checkpoint_history;
  if (ctx && ctx->failover_strategy) jm->failover_default = sp_strdup(ctx->failover_strategy);
  jm->bytes = sp_malloc(len);
  jm->exec = sp_calloc((size_t)jg->nvertices, sizeof *jm->exec);
  int rc = jm->bytes && jm->exec ? 0 : SPATE_ENOMEM;
  for (int v = 0; rc == 0 && v < jg->nvertices; v++) {
    jm->exec[v] = sp_calloc((size_t)jg->vertices[v].parallelism, sizeof **jm->exec);
    if (!jm->exec[v]) rc = SPATE_ENOMEM;
    jm->remaining += jg->vertices[v].parallelism;
  }
  jm->ntasks = jm->remaining;
  if (rc == 0) rc = jm_compute_regions(jm);
  jm->slot_te = sp_calloc((size_t)jm->ntasks + 1, sizeof *jm->slot_te);
  jm->slot_data = sp_calloc((size_t)jm->ntasks + 1, sizeof *jm->slot_data);
  jm->slot_no = sp_calloc((size_t)jm->ntasks + 1, sizeof *jm->slot_no);
  if (!jm->slot_te || !jm->slot_data || !jm->slot_no || !jm->address) rc = SPATE_ENOMEM;
  if (ctx && ctx->blob_key && ctx->blob_key[0] && (!jm->blob_key || !jm->blob_server))
    rc = SPATE_ENOMEM;
  ckpt_coord_hooks hooks = {.ctx = jm,
                            .task_state = hook_task_state,
                            .send_trigger = send_trigger,
                            .notify = notify_tasks,
                            .reply = snapshot_reply,
                            .event = checkpoint_event,
                            .fail_job = checkpoint_fail_job,
                            .expire_after = expire_after,
                            .tick_after = tick_after};
  if (rc == 0) rc = ckpt_coord_create(jg, rpc_service_clock(rpc), &hooks, &jm->coord);
  if (rc == 0)
    jm->metrics = job_metrics_create(ctx ? ctx->metrics : NULL, jg, ckpt_coord_tracker(jm->coord));
  if (rc == 0) cv_job_checkpoint_stats(jm->view, jg->job_id, ckpt_coord_tracker(jm->coord));
  if (rc == 0) {
    memcpy(jm->bytes, bytes, len);
    jm->len = len;
    rc = rpc_endpoint_start(rpc, jm->name, handle, jm, &jm->ep);
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
    cv_job_failure(jm->view, jg->job_id, -1, -1, err, false, sp_wall_ms());
    jm->error = sp_strdup(err);
    set_status(jm, JOB_FAILING);
    complete(jm);
    *out = jm;
    return 0;
  }
  jm_heartbeats_start(jm); /* before the slots: from their offer on the rounds must run */
  request_slots(jm);
  *out = jm;
  return 0;
}

void jm_stop(job_master *jm) {
  if (!jm) return;
  if (jm->ep) rpc_endpoint_stop(jm->ep);
  job_metrics_free(jm->metrics);
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
  sp_free(jm->restore_uri);
  ckpt_restore_bad_free(&jm->bad_restores);
  free_strs(jm->slot_te, jm->ntasks);
  free_strs(jm->slot_data, jm->ntasks);
  sp_free(jm->slot_no);
  sp_free(jm->address);
  sp_free(jm->blob_key);
  sp_free(jm->blob_server);
  sp_free(jm->failover_default);
  if (jm->restart) restart_strategy_free(jm->restart);
  ckpt_coord_free(jm->coord);
  hb_monitor_free(&jm->hb);
  hb_monitor_free(&jm->hb_rm);
  sp_free(jm->region);
  sp_free(jm->region_restarting);
  sp_free(jm->region_token);
  sp_free(jm->region_restart_at);
  jobgraph_free(jm->jg);
  sp_free(jm);
}
