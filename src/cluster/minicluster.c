/*
 * minicluster.c: starting and stopping the components, and the client side of a submission: a
 * "client-N" endpoint that receives the job's events (for its listener), the answers to
 * savepoint and checkpoint requests, and the JOB_RESULT, and wakes the waiting thread.
 *
 * Asked to (rest.bind-port set: `spate run --rest`), a MiniCluster also keeps a cluster view and
 * serves the REST API on it through the JobManager's REST hooks (standalone_get_hooks), so a
 * local job can be watched as on a standalone cluster.
 */
#include "cluster/minicluster.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "cluster/cluster_metrics.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/jobmanager_gateway.h"
#include "cluster/messages.h"
#include "cluster/standalone.h"

struct minicluster {
  rpc_service *rpc;
  shuffle_env *shuffle;
  resource_manager *rm;
  dispatcher *dispatcher;
  task_executor **tes;
  int ntes;
  _Atomic int next_client;
  cluster_view *view;       /* what the JobManager's cluster metrics (and REST) read */
  cluster_metrics metrics;  /* one registry: the JobManager's and the TaskManagers' groups */
  metric_group **tm_groups; /* per TaskManager, ngroups of them (NULL entries: none) */
  int ngroups;
  /* REST (NULL without): the gateway and the server's handle */
  jm_gateway *gw;
  void *rest;
};

struct mc_client {
  minicluster *mc;
  rpc_endpoint *ep;
  char job_id[33];
  char address[48];
  spate_job_listener listener; /* job events, called on the endpoint's thread */
  void *listener_arg;
  pthread_mutex_t mu; /* guards what follows */
  pthread_cond_t cond;
  bool done;
  spate_job_result *result;
  bool req_waiting, req_done; /* a savepoint or checkpoint request in flight, and its answer */
  int64_t req_id;
  char *req_path, *req_error;
};

int minicluster_start(int taskmanagers, int slots, const task_config *cfg, minicluster **out) {
  return minicluster_start_with(taskmanagers, slots, cfg, NULL, out);
}

/* Starts the REST endpoint of the MiniCluster (its view and gateway exist). */
static int start_rest(minicluster *mc, const sp_config *conf) {
  const standalone_hooks *h = standalone_get_hooks();
  char err[SP_ERRMSG_MAX];
  int port = 0;
  if (!h->rest_start) {
    SP_ERROR("minicluster", "This program cannot serve the REST API (rest.bind-port is set)");
    return SPATE_EINVAL;
  }
  int rc = h->rest_start(conf, mc->gw, &mc->rest, &port, err, sizeof err);
  if (rc < 0)
    SP_ERROR("minicluster", "Could not start the REST endpoint: %s", err);
  else
    SP_INFO("minicluster", "Rest endpoint listening at %s:%d", sp_config_str(conf, "rest.address"),
            port);
  return rc;
}

int minicluster_start_with(int taskmanagers, int slots, const task_config *cfg,
                           const sp_config *conf, minicluster **out) {
  *out = NULL;
  minicluster *mc = sp_calloc(1, sizeof *mc);
  if (!mc) return SPATE_ENOMEM;
  bool rest = conf && sp_config_is_set(conf, "rest.bind-port");
  char err[SP_ERRMSG_MAX];
  int rc = cluster_metrics_start(&mc->metrics, conf, err, sizeof err);
  if (rc < 0) SP_ERROR("minicluster", "%s", err);
  if (rc == 0) rc = cluster_view_create(&mc->view);
  if (rc == 0) rc = cluster_metrics_add_jobmanager(&mc->metrics, "localhost", mc->view);
  if (rc == 0) rc = rpc_service_create(cfg->clock, &mc->rpc);
  if (rc == 0) rc = shuffle_env_create(&mc->shuffle);
  rm_options ro = {.view = mc->view}; /* otherwise as a MiniCluster's: no waiting, no heartbeats */
  if (rc == 0) rc = rm_start(mc->rpc, &ro, &mc->rm);
  if (rc == 0 && !(mc->tes = sp_calloc((size_t)taskmanagers, sizeof *mc->tes))) rc = SPATE_ENOMEM;
  if (rc == 0 && !(mc->tm_groups = sp_calloc((size_t)taskmanagers, sizeof *mc->tm_groups)))
    rc = SPATE_ENOMEM;
  if (rc == 0) mc->ngroups = taskmanagers;
  for (int i = 0; rc == 0 && i < taskmanagers; i++) {
    char tm_id[48];
    snprintf(tm_id, sizeof tm_id, "taskexecutor-%d", i);
    mc->tm_groups[i] = cluster_metrics_add_taskmanager(&mc->metrics, "localhost", tm_id, true);
    te_options to = {.metrics = mc->tm_groups[i]};
    rc = te_start(mc->rpc, mc->shuffle, i, slots, cfg, &to, &mc->tes[i]);
    if (rc == 0) mc->ntes = i + 1;
  }
  if (rc == 0) rc = dispatcher_start(mc->rpc, NULL, mc->view, &mc->dispatcher);
  if (rc == 0) dispatcher_set_metrics(mc->dispatcher, mc->metrics.jm);
  if (rc == 0 && rest) rc = jm_gateway_create(mc->rpc, NULL, mc->view, &mc->gw);
  if (rc == 0 && rest) rc = start_rest(mc, conf);
  if (rc < 0) {
    minicluster_stop(mc);
    return rc;
  }
  cluster_metrics_start_reporters(&mc->metrics, conf);
  SP_INFO("minicluster", "MiniCluster started with %d TaskManager%s of %d slot%s.", taskmanagers,
          taskmanagers == 1 ? "" : "s", slots, slots == 1 ? "" : "s");
  *out = mc;
  return 0;
}

void minicluster_stop(minicluster *mc) {
  if (!mc) return;
  const standalone_hooks *h = standalone_get_hooks();
  if (mc->rest && h->rest_stop) h->rest_stop(mc->rest); /* first: it reads the view */
  metric_reporters_stop(mc->metrics.reporters);         /* nothing reads the groups any more */
  mc->metrics.reporters = NULL;
  dispatcher_stop(mc->dispatcher);
  for (int i = 0; i < mc->ntes; i++) te_stop(mc->tes[i]);
  sp_free(mc->tes);
  for (int i = 0; i < mc->ngroups; i++) metric_group_release(mc->tm_groups[i]);
  sp_free(mc->tm_groups);
  rm_stop(mc->rm);
  jm_gateway_free(mc->gw);
  shuffle_env_destroy(mc->shuffle);
  rpc_service_destroy(mc->rpc);
  cluster_metrics_stop(&mc->metrics);
  cluster_view_free(mc->view);
  sp_free(mc);
}

struct metric_registry *minicluster_metrics(minicluster *mc) {
  return mc->metrics.registry;
}

rpc_service *minicluster_rpc(minicluster *mc) { return mc->rpc; }

/* Why a decoded event breaks what spate.h promises a listener (a known type, the strings that
 * type has, no negative index), or NULL: listeners index by vertex and compare states. */
static const char *event_problem(const spate_job_event *e) {
  if (e->attempt < 0) return "negative attempt";
  switch (e->type) {
  case SPATE_EVENT_JOB_STATUS: return e->state ? NULL : "job status without a state";
  case SPATE_EVENT_TASK_STATE:
    if (!e->state || !e->task) return "task state without a state or task";
    return e->vertex >= 0 && e->subtask >= 0 ? NULL : "task state of a negative vertex or subtask";
  case SPATE_EVENT_CHECKPOINT_COMPLETED:
  case SPATE_EVENT_CHECKPOINT_TRIGGERED: return e->path ? NULL : "checkpoint event without a path";
  case SPATE_EVENT_CHECKPOINT_FAILED:
    return e->message ? NULL : "failed checkpoint without a reason";
  }
  return "unknown event type";
}

/* A job event from the JobMaster, handed to the listener. */
static void client_event(mc_client *c, sp_reader *r) {
  spate_job_event e = {.job_id = c->job_id};
  e.type = (spate_job_event_type)sp_get_u8(r);
  char *state = sp_get_str(r), *name = sp_get_str(r);
  e.vertex = sp_get_i32(r);
  e.subtask = sp_get_i32(r);
  e.attempt = sp_get_i32(r);
  e.checkpoint_id = sp_get_i64(r);
  e.savepoint = sp_get_u8(r) != 0;
  char *path = sp_get_str(r), *message = sp_get_str(r);
  e.state = state;
  e.task = name;
  e.path = path;
  e.message = message;
  const char *problem = sp_reader_ok(r) ? event_problem(&e) : r->error;
  if (problem)
    SP_WARN("client", "dropping malformed job event: %s", problem);
  else if (c->listener)
    c->listener(c->listener_arg, &e);
  sp_free(state);
  sp_free(name);
  sp_free(path);
  sp_free(message);
}

static void client_handle(void *self, uint32_t type, sp_reader *r) {
  mc_client *c = self;
  if (type == MSG_JOB_EVENT) {
    client_event(c, r);
    return;
  }
  if (type == MSG_SNAPSHOT_DONE) {
    int64_t id = sp_get_i64(r);
    char *path = sp_get_str(r), *error = sp_get_str(r);
    pthread_mutex_lock(&c->mu);
    sp_free(c->req_path);
    sp_free(c->req_error);
    c->req_id = id;
    c->req_path = path;
    c->req_error = error;
    c->req_done = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
    return;
  }
  if (type != MSG_JOB_RESULT) {
    SP_WARN("client", "%s: ignoring unexpected message %u", c->address, type);
    return;
  }
  uint32_t len;
  const void *bytes = sp_get_blob(r, &len);
  spate_job_result *res = NULL;
  char err[SP_ERRMSG_MAX], msg[SP_ERRMSG_MAX + 32];
  int rc = bytes ? jr_decode(bytes, len, &res, err, sizeof err) : SPATE_ECORRUPT;
  if (rc < 0) { /* the job's end is all the client knows */
    snprintf(msg, sizeof msg, "malformed job result: %s", bytes ? err : r->error);
    SP_ERROR("client", "%s: %s", c->address, msg);
    res = jr_new(c->job_id, NULL, SPATE_JOB_FAILED, msg);
  }
  pthread_mutex_lock(&c->mu);
  bool first = !c->done; /* a job has one result: later ones are not the submitter's */
  if (first) {
    c->result = res;
    c->done = true;
    pthread_cond_broadcast(&c->cond);
  }
  pthread_mutex_unlock(&c->mu);
  if (!first) {
    SP_WARN("client", "%s: dropping a second job result", c->address);
    spate_job_result_free(res);
  }
}

int minicluster_submit(minicluster *mc, const void *bytes, size_t len, const char *job_id,
                       spate_job_listener listener, void *listener_arg, mc_client **out) {
  *out = NULL;
  mc_client *c = sp_calloc(1, sizeof *c);
  if (!c) return SPATE_ENOMEM;
  c->mc = mc;
  c->listener = listener;
  c->listener_arg = listener_arg;
  snprintf(c->job_id, sizeof c->job_id, "%s", job_id);
  pthread_mutex_init(&c->mu, NULL);
  pthread_condattr_t ca; /* minicluster_wait_for waits on the monotonic clock */
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&c->cond, &ca);
  pthread_condattr_destroy(&ca);
  char *addr = c->address;
  snprintf(c->address, sizeof c->address, "client-%d", atomic_fetch_add(&mc->next_client, 1));
  int rc = rpc_endpoint_start(mc->rpc, addr, client_handle, c, &c->ep);
  if (rc == 0) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_str(&w, addr);
    sp_put_blob(&w, bytes, len);
    sp_put_u8(&w, listener != NULL);
    sp_put_str(&w, ""); /* the artifact is the graph's path, in this process */
    rc = rpc_send(mc->rpc, DISPATCHER_ADDRESS, MSG_SUBMIT_JOB, &w);
  }
  if (rc < 0) {
    if (c->ep) rpc_endpoint_stop(c->ep);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cond);
    sp_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

/* Sends a savepoint or checkpoint request (payload after the reply address) to the job's
 * JobMaster and waits for its answer or the end of the job. */
static int request(mc_client *c, uint32_t type, sp_writer *payload, int64_t *id, char *path,
                   size_t path_len, char *err, size_t err_len) {
  pthread_mutex_lock(&c->mu);
  if (c->req_waiting || c->done) {
    pthread_mutex_unlock(&c->mu);
    sp_writer_free(payload);
    return sp_err(
        err, err_len, SPATE_ESTATE,
        c->done ? "the job has ended" : "a savepoint or checkpoint is already in progress");
  }
  c->req_waiting = true;
  c->req_done = false;
  pthread_mutex_unlock(&c->mu);
  char jm[64];
  snprintf(jm, sizeof jm, "jobmaster-%s", c->job_id);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, c->address);
  sp_put_bytes(&w, payload->data, payload->len);
  sp_writer_free(payload);
  int rc = rpc_send(c->mc->rpc, jm, type, &w);
  pthread_mutex_lock(&c->mu);
  if (rc < 0) {
    rc = sp_err(err, err_len, SPATE_ESTATE, "job %s is not running", c->job_id);
  } else {
    /* the answer, or the end of the job (which answers pending requests first) */
    while (!c->req_done && !c->done) pthread_cond_wait(&c->cond, &c->mu);
    if (!c->req_done)
      rc = sp_err(err, err_len, SPATE_ESTATE, "the job ended before the %s completed",
                  type == MSG_TRIGGER_SAVEPOINT ? "savepoint" : "checkpoint");
    else if (c->req_error && c->req_error[0])
      rc = sp_err(err, err_len, SPATE_ESTATE, "%s", c->req_error);
    if (rc == 0 && path) snprintf(path, path_len, "%s", c->req_path ? c->req_path : "");
    if (rc == 0 && id) *id = c->req_id;
  }
  c->req_waiting = false;
  pthread_mutex_unlock(&c->mu);
  return rc;
}

int minicluster_savepoint(mc_client *c, const char *dir, bool stop, bool drain, char *path,
                          size_t path_len, char *err, size_t err_len) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, dir ? dir : "");
  sp_put_u8(&w, !stop ? SAVEPOINT_ONLY : drain ? SAVEPOINT_STOP_DRAIN : SAVEPOINT_STOP);
  return request(c, MSG_TRIGGER_SAVEPOINT, &w, NULL, path, path_len, err, err_len);
}

int minicluster_checkpoint(mc_client *c, int64_t *id, char *path, size_t path_len, char *err,
                           size_t err_len) {
  sp_writer w;
  sp_writer_init(&w);
  return request(c, MSG_REQUEST_CHECKPOINT, &w, id, path, path_len, err, err_len);
}

void minicluster_cancel(mc_client *c) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, c->job_id);
  rpc_send(c->mc->rpc, DISPATCHER_ADDRESS, MSG_CANCEL_JOB, &w);
}

bool minicluster_wait_for(mc_client *c, int64_t timeout_ms, spate_job_result **out) {
  pthread_mutex_lock(&c->mu);
  if (timeout_ms < 0) {
    while (!c->done) pthread_cond_wait(&c->cond, &c->mu);
  } else {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    int64_t ns = until.tv_nsec + (timeout_ms % 1000) * 1000000LL;
    until.tv_sec += (time_t)(timeout_ms / 1000 + ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    while (!c->done && pthread_cond_timedwait(&c->cond, &c->mu, &until) == 0) {
    }
  }
  bool done = c->done;
  pthread_mutex_unlock(&c->mu);
  if (!done) return false;
  rpc_endpoint_stop(c->ep);
  *out = c->result;
  sp_free(c->req_path);
  sp_free(c->req_error);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cond);
  sp_free(c);
  return true;
}

spate_job_result *minicluster_wait(mc_client *c) {
  spate_job_result *r = NULL;
  minicluster_wait_for(c, -1, &r);
  return r;
}
