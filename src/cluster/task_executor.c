/*
 * task_executor.c: runs subtasks in slots. A job's graph is decoded and its artifact loaded once
 * per TaskExecutor and shared by the job's tasks; both are released when its last task exits.
 *
 * Task threads report state switches through the listener, which only sends messages: to the
 * JobMaster, and (at the end) a TASK_EXITED to this TaskExecutor, whose thread then joins the
 * task. So every piece of TaskExecutor state is touched by its own thread only.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "cluster/components.h"
#include "cluster/messages.h"
#include "connectors/registry.h"
#include "operators/registry.h"

typedef struct te_job {
  struct te_job *next;
  job_graph *jg;
  void *dl;
  int tasks; /* live tasks of this job */
} te_job;

typedef struct te_task {
  struct te_task *next;
  task_executor *te;
  te_job *job;
  task *t;
  char jm[64];
  int vertex, subtask;
} te_task;

struct task_executor {
  rpc_service *rpc;
  rpc_endpoint *ep;
  shuffle_env *shuffle;
  task_config cfg;
  char address[48];
  te_job *jobs;
  te_task *tasks;
};

static void send_state(rpc_service *rpc, const char *jm, int vertex, int subtask, task_state st,
                       const char *error, const task *t) {
  sp_writer w, rep;
  sp_writer_init(&w);
  sp_writer_init(&rep);
  if (t && task_state_terminal(st)) task_report(t, &rep);
  sp_put_i32(&w, vertex);
  sp_put_i32(&w, subtask);
  sp_put_u8(&w, (uint8_t)st);
  sp_put_str(&w, error ? error : "");
  sp_put_blob(&w, rep.data, rep.len);
  sp_writer_free(&rep);
  rpc_send(rpc, jm, MSG_TASK_STATE, &w);
}

static void listener(void *arg, task *t, task_state from, task_state to) {
  te_task *tt = arg;
  send_state(tt->te->rpc, tt->jm, tt->vertex, tt->subtask, to,
             to == TS_FAILED ? task_error(t) : NULL, t);
  if (task_state_terminal(to)) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_u64(&w, (uint64_t)(uintptr_t)tt);
    rpc_send(tt->te->rpc, tt->te->address, MSG_TASK_EXITED, &w);
  }
}

static void release_job(task_executor *te, te_job *job) {
  if (--job->tasks > 0) return;
  for (te_job **pp = &te->jobs; *pp; pp = &(*pp)->next)
    if (*pp == job) {
      *pp = job->next;
      break;
    }
  if (job->dl) dlclose(job->dl);
  jobgraph_free(job->jg);
  sp_free(job);
}

static void submit_task(task_executor *te, sp_reader *r) {
  char *jm = sp_get_str(r);
  uint32_t len;
  const void *bytes = sp_get_blob(r, &len);
  int32_t vertex = sp_get_i32(r), subtask = sp_get_i32(r), attempt = sp_get_i32(r);
  sp_get_i32(r); /* slot: one task per vertex per slot; nothing to enforce in one process */
  if (!sp_reader_ok(r) || !jm) {
    SP_ERROR("taskexecutor", "%s: malformed task submission: %s", te->address, r->error);
    sp_free(jm);
    return;
  }
  char err[SP_ERRMSG_MAX] = "";
  job_graph *jg = NULL;
  int rc = jobgraph_decode(bytes, len, &jg, err, sizeof err);
  te_job *job = NULL;
  if (rc == 0) {
    for (job = te->jobs; job && strcmp(job->jg->job_id, jg->job_id) != 0; job = job->next) {
    }
    if (job) {
      jobgraph_free(jg);
    } else if (!(job = sp_calloc(1, sizeof *job))) {
      jobgraph_free(jg);
      rc = sp_err(err, sizeof err, SPATE_ENOMEM, "out of memory");
    } else {
      job->jg = jg;
      job->dl = dlopen(jg->artifact, RTLD_NOW);
      if (!job->dl) {
        rc = sp_err(err, sizeof err, SPATE_ENOENT, "cannot load job artifact '%s': %s",
                    jg->artifact ? jg->artifact : "(program)", dlerror());
        jobgraph_free(jg);
        sp_free(job);
        job = NULL;
      } else {
        job->next = te->jobs;
        te->jobs = job;
      }
    }
  }
  if (rc == 0 && (vertex < 0 || vertex >= job->jg->nvertices || subtask < 0 ||
                  subtask >= job->jg->vertices[vertex].parallelism))
    rc = sp_err(err, sizeof err, SPATE_EINVAL, "task %d/%d does not exist in the job", vertex, subtask);
  te_task *tt = NULL;
  if (rc == 0 && !(tt = sp_calloc(1, sizeof *tt))) rc = sp_err(err, sizeof err, SPATE_ENOMEM, "out of memory");
  if (rc == 0) {
    tt->te = te;
    tt->job = job;
    tt->vertex = vertex;
    tt->subtask = subtask;
    snprintf(tt->jm, sizeof tt->jm, "%s", jm);
    job->tasks++;
    rc = task_start(job->jg, vertex, subtask, attempt, te->shuffle, job->dl, &te->cfg, listener,
                    tt, &tt->t);
    if (rc < 0) {
      sp_err(err, sizeof err, rc, "could not start task: %s", spate_strerror(rc));
      release_job(te, job);
      sp_free(tt);
    } else {
      tt->next = te->tasks;
      te->tasks = tt;
    }
  }
  if (rc < 0) {
    SP_ERROR("taskexecutor", "%s: %s", te->address, err);
    send_state(te->rpc, jm, vertex, subtask, TS_FAILED, err, NULL);
  }
  sp_free(jm);
}

static void handle(void *self, uint32_t type, sp_reader *r) {
  task_executor *te = self;
  switch (type) {
  case MSG_SUBMIT_TASK:
    submit_task(te, r);
    break;
  case MSG_CANCEL_TASK: {
    char *job = sp_get_str(r);
    int32_t vertex = sp_get_i32(r), subtask = sp_get_i32(r);
    for (te_task *tt = te->tasks; job && tt; tt = tt->next)
      if (tt->vertex == vertex && tt->subtask == subtask && strcmp(tt->job->jg->job_id, job) == 0)
        task_cancel(tt->t);
    sp_free(job);
    break;
  }
  case MSG_TASK_EXITED: {
    te_task *target = (te_task *)(uintptr_t)sp_get_u64(r);
    for (te_task **pp = &te->tasks; *pp; pp = &(*pp)->next)
      if (*pp == target) { /* only pointers this TaskExecutor handed out are accepted */
        *pp = target->next;
        task_join_free(target->t);
        release_job(te, target->job);
        sp_free(target);
        break;
      }
    break;
  }
  case MSG_RELEASE_PARTITIONS: {
    char *job = sp_get_str(r);
    if (job) shuffle_env_release_job(te->shuffle, job);
    sp_free(job);
    break;
  }
  default:
    SP_WARN("taskexecutor", "ignoring unexpected message %u", type);
  }
}

/* Everything this TaskExecutor can run: transformations and connectors. */
static const op_vtable *vtable_for(op_kind kind) {
  const op_vtable *vt = op_vtable_for(kind);
  return vt ? vt : connector_vtable_for(kind);
}

int te_start(rpc_service *rpc, shuffle_env *shuffle, int index, int slots, const task_config *cfg,
             task_executor **out) {
  task_executor *te = sp_calloc(1, sizeof *te);
  if (!te) return SPATE_ENOMEM;
  te->rpc = rpc;
  te->shuffle = shuffle;
  te->cfg = *cfg;
  te->cfg.vtable_for = vtable_for;
  snprintf(te->address, sizeof te->address, "taskexecutor-%d", index);
  int rc = rpc_endpoint_start(rpc, te->address, handle, te, &te->ep);
  if (rc < 0) {
    sp_free(te);
    return rc;
  }
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, te->address);
  sp_put_i32(&w, slots);
  rc = rpc_send(rpc, RM_ADDRESS, MSG_REGISTER_TASK_EXECUTOR, &w);
  if (rc < 0) {
    te_stop(te);
    return rc;
  }
  *out = te;
  return 0;
}

void te_stop(task_executor *te) {
  if (!te) return;
  rpc_endpoint_stop(te->ep); /* no more messages: tasks that exit now are joined below */
  for (te_task *tt = te->tasks; tt; tt = tt->next) task_cancel(tt->t);
  while (te->tasks) {
    te_task *tt = te->tasks;
    te->tasks = tt->next;
    task_join_free(tt->t);
    release_job(te, tt->job);
    sp_free(tt);
  }
  sp_free(te);
}
