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
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "cluster/components.h"
#include "cluster/messages.h"

typedef enum job_status {
  JOB_CREATED,
  JOB_RUNNING,
  JOB_FAILING,
  JOB_FAILED,
  JOB_CANCELLING,
  JOB_CANCELED,
  JOB_FINISHED,
} job_status;

static const char *job_status_name(job_status s) {
  static const char *n[] = {"CREATED",    "RUNNING",  "FAILING", "FAILED",
                            "CANCELLING", "CANCELED", "FINISHED"};
  return n[s];
}

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
};

static void set_status(job_master *jm, job_status to) {
  SP_INFO("jobmaster", "Job %s (%s) switched from state %s to %s.", jm->jg->job_name,
          jm->jg->job_id, job_status_name(jm->status), job_status_name(to));
  jm->status = to;
}

static void exec_switch(job_master *jm, int v, int s, task_state to) {
  execution *e = &jm->exec[v][s];
  if (task_state_terminal(e->state)) return; /* terminal states are final */
  const jg_vertex *vx = &jm->jg->vertices[v];
  if (to != TS_FAILED)
    SP_INFO("jobmaster", "%s (%d/%d) (%.16s_%d_%d_0) switched from %s to %s.", vx->name, s + 1,
            vx->parallelism, jm->jg->job_id, v, s, task_state_name(e->state), task_state_name(to));
  if (!task_state_terminal(e->state) && task_state_terminal(to)) jm->remaining--;
  e->state = to;
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
      sp_reader pr;
      sp_reader_init(&pr, jg->nodes[i].params, jg->nodes[i].params_len);
      collected *c = &coll[ncoll];
      c->name = sp_get_str(&pr);
      if (!c->name) continue;
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
}

static void complete(job_master *jm) {
  if (jm->done) return;
  jm->done = true;
  if (jm->status == JOB_FAILING || jm->status == JOB_CREATED)
    set_status(jm, JOB_FAILED);
  else if (jm->status == JOB_CANCELLING)
    set_status(jm, JOB_CANCELED);
  else if (jm->status == JOB_RUNNING)
    set_status(jm, JOB_FINISHED);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jm->jg->job_id);
  rpc_send(jm->rpc, RM_ADDRESS, MSG_RELEASE_SLOTS, &w);
  /* each TaskExecutor that ran a subtask drops the job's partitions */
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
      sp_writer_init(&w);
      sp_put_str(&w, jm->jg->job_id);
      rpc_send(jm->rpc, te, MSG_RELEASE_PARTITIONS, &w);
    }
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
      if (rpc_send(jm->rpc, e->te, MSG_CANCEL_TASK, &w) < 0) exec_switch(jm, v, s, TS_CANCELED);
    }
  if (jm->remaining == 0) complete(jm);
}

static void fail_job(job_master *jm, const char *why) {
  if (!jm->error) jm->error = sp_strdup(why);
  if (jm->status == JOB_RUNNING || jm->status == JOB_CREATED) {
    set_status(jm, JOB_FAILING);
    cancel_all(jm);
  }
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

static void slots_offer(job_master *jm, sp_reader *r) {
  uint8_t ok = sp_get_u8(r);
  char *error = sp_get_str(r);
  uint32_t n = sp_get_u32(r);
  if (!sp_reader_ok(r) || !ok) {
    fail_job(jm, error && error[0] ? error : "no slots");
    sp_free(error);
    return;
  }
  sp_free(error);
  char (*slots)[48] = sp_calloc(n + 1, sizeof *slots);
  int *slot_no = sp_calloc(n + 1, sizeof *slot_no);
  for (uint32_t i = 0; slots && slot_no && i < n; i++) {
    char *a = sp_get_str(r);
    slot_no[i] = sp_get_i32(r);
    snprintf(slots[i], sizeof slots[i], "%s", a ? a : "");
    sp_free(a);
  }
  if (!slots || !slot_no || !sp_reader_ok(r)) {
    sp_free(slots);
    sp_free(slot_no);
    fail_job(jm, "malformed slot offer");
    return;
  }
  if (jm->status != JOB_RUNNING) { /* cancelled while waiting for slots */
    sp_free(slots);
    sp_free(slot_no);
    cancel_all(jm);
    return;
  }
  const job_graph *jg = jm->jg;
  for (int v = 0; v < jg->nvertices && jm->status == JOB_RUNNING; v++) {
    int offset = group_offset(jg, v);
    for (int s = 0; s < jg->vertices[v].parallelism && jm->status == JOB_RUNNING; s++) {
      uint32_t k = (uint32_t)(offset + s);
      if (k >= n) {
        fail_job(jm, "slot offer smaller than requested");
        break;
      }
      execution *e = &jm->exec[v][s];
      exec_switch(jm, v, s, TS_SCHEDULED);
      snprintf(e->te, sizeof e->te, "%s", slots[k]);
      exec_switch(jm, v, s, TS_DEPLOYING);
      sp_writer w;
      sp_writer_init(&w);
      sp_put_str(&w, jm->address);
      sp_put_blob(&w, jm->bytes, jm->len);
      sp_put_i32(&w, v);
      sp_put_i32(&w, s);
      sp_put_i32(&w, 0);
      sp_put_i32(&w, slot_no[k]);
      if (rpc_send(jm->rpc, e->te, MSG_SUBMIT_TASK, &w) < 0) {
        exec_switch(jm, v, s, TS_FAILED);
        fail_job(jm, "TaskExecutor is gone");
      }
    }
  }
  sp_free(slots);
  sp_free(slot_no);
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
  if (task_state_terminal(e->state)) { /* e.g. cancelled before deployment */
    sp_free(error);
    return;
  }
  if (st == TS_FAILED) {
    const jg_vertex *vx = &jm->jg->vertices[v];
    SP_WARN("jobmaster", "%s (%d/%d) (%.16s_%d_%d_0) switched from %s to FAILED: %s", vx->name,
            s + 1, vx->parallelism, jm->jg->job_id, v, s, task_state_name(e->state),
            error ? error : "");
  }
  if (e->state != (task_state)st) exec_switch(jm, v, s, (task_state)st);
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
  if (jm->remaining == 0) complete(jm);
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
    if (jm->status == JOB_RUNNING) {
      set_status(jm, JOB_CANCELLING);
      cancel_all(jm);
    }
    break;
  default:
    SP_WARN("jobmaster", "ignoring unexpected message %u", type);
  }
}

int jm_start(rpc_service *rpc, job_graph *jg, const void *bytes, size_t len, job_master **out) {
  job_master *jm = sp_calloc(1, sizeof *jm);
  if (!jm) {
    jobgraph_free(jg);
    return SPATE_ENOMEM;
  }
  jm->rpc = rpc;
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
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, jg->job_id);
  sp_put_str(&w, jm->address);
  sp_put_i32(&w, jobgraph_slots_needed(jg));
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
  jobgraph_free(jm->jg);
  sp_free(jm);
}
