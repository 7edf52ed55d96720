/*
 * minicluster.c: starting and stopping the components, and the client side of a submission: a
 * "client-N" endpoint that receives the JOB_RESULT and wakes the waiting thread.
 */
#include "cluster/minicluster.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "cluster/components.h"
#include "cluster/messages.h"

struct minicluster {
  rpc_service *rpc;
  shuffle_env *shuffle;
  resource_manager *rm;
  dispatcher *dispatcher;
  task_executor **tes;
  int ntes;
  _Atomic int next_client;
};

struct mc_client {
  minicluster *mc;
  rpc_endpoint *ep;
  char job_id[33];
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool done;
  spate_job_result *result;
  char address[48];
  bool sp_waiting, sp_done; /* a savepoint request in flight, and its answer */
  char *sp_path, *sp_error;
};

int minicluster_start(int taskmanagers, int slots, const task_config *cfg, minicluster **out) {
  *out = NULL;
  minicluster *mc = sp_calloc(1, sizeof *mc);
  if (!mc) return SPATE_ENOMEM;
  int rc = rpc_service_create(&mc->rpc);
  if (rc == 0) rc = shuffle_env_create(&mc->shuffle);
  if (rc == 0) rc = rm_start(mc->rpc, &mc->rm);
  if (rc == 0 && !(mc->tes = sp_calloc((size_t)taskmanagers, sizeof *mc->tes))) rc = SPATE_ENOMEM;
  for (int i = 0; rc == 0 && i < taskmanagers; i++) {
    rc = te_start(mc->rpc, mc->shuffle, i, slots, cfg, &mc->tes[i]);
    if (rc == 0) mc->ntes = i + 1;
  }
  if (rc == 0) rc = dispatcher_start(mc->rpc, &mc->dispatcher);
  if (rc < 0) {
    minicluster_stop(mc);
    return rc;
  }
  SP_INFO("minicluster", "MiniCluster started with %d TaskManager%s of %d slot%s.", taskmanagers,
          taskmanagers == 1 ? "" : "s", slots, slots == 1 ? "" : "s");
  *out = mc;
  return 0;
}

void minicluster_stop(minicluster *mc) {
  if (!mc) return;
  dispatcher_stop(mc->dispatcher);
  for (int i = 0; i < mc->ntes; i++) te_stop(mc->tes[i]);
  sp_free(mc->tes);
  rm_stop(mc->rm);
  shuffle_env_destroy(mc->shuffle);
  rpc_service_destroy(mc->rpc);
  sp_free(mc);
}

static void client_handle(void *self, uint32_t type, sp_reader *r) {
  mc_client *c = self;
  if (type == MSG_SAVEPOINT_DONE) {
    char *path = sp_get_str(r), *error = sp_get_str(r);
    pthread_mutex_lock(&c->mu);
    sp_free(c->sp_path);
    sp_free(c->sp_error);
    c->sp_path = path;
    c->sp_error = error;
    c->sp_done = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
    return;
  }
  if (type != MSG_JOB_RESULT) return;
  uint32_t len;
  const void *bytes = sp_get_blob(r, &len);
  spate_job_result *res = NULL;
  if (!bytes || jr_decode(bytes, len, &res) < 0)
    res = jr_new(c->job_id, NULL, SPATE_JOB_FAILED, "malformed job result");
  pthread_mutex_lock(&c->mu);
  c->result = res;
  c->done = true;
  pthread_cond_broadcast(&c->cond);
  pthread_mutex_unlock(&c->mu);
}

int minicluster_submit(minicluster *mc, const void *bytes, size_t len, const char *job_id,
                       mc_client **out) {
  *out = NULL;
  mc_client *c = sp_calloc(1, sizeof *c);
  if (!c) return SPATE_ENOMEM;
  c->mc = mc;
  snprintf(c->job_id, sizeof c->job_id, "%s", job_id);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cond, NULL);
  char *addr = c->address;
  snprintf(c->address, sizeof c->address, "client-%d", atomic_fetch_add(&mc->next_client, 1));
  int rc = rpc_endpoint_start(mc->rpc, addr, client_handle, c, &c->ep);
  if (rc == 0) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_str(&w, addr);
    sp_put_blob(&w, bytes, len);
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

int minicluster_savepoint(mc_client *c, const char *dir, bool stop, char *path, size_t path_len,
                          char *err, size_t err_len) {
  pthread_mutex_lock(&c->mu);
  if (c->sp_waiting || c->done) {
    pthread_mutex_unlock(&c->mu);
    return sp_err(err, err_len, SPATE_ESTATE,
                  c->done ? "the job has ended" : "a savepoint is already in progress");
  }
  c->sp_waiting = true;
  c->sp_done = false;
  pthread_mutex_unlock(&c->mu);
  char jm[64];
  snprintf(jm, sizeof jm, "jobmaster-%s", c->job_id);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, c->address);
  sp_put_str(&w, dir ? dir : "");
  sp_put_u8(&w, stop);
  int rc = rpc_send(c->mc->rpc, jm, MSG_TRIGGER_SAVEPOINT, &w);
  pthread_mutex_lock(&c->mu);
  if (rc < 0) {
    rc = sp_err(err, err_len, SPATE_ESTATE, "job %s is not running", c->job_id);
  } else {
    /* the answer, or the end of the job (which answers pending savepoints first) */
    while (!c->sp_done && !c->done) pthread_cond_wait(&c->cond, &c->mu);
    if (!c->sp_done)
      rc = sp_err(err, err_len, SPATE_ESTATE, "the job ended before the savepoint completed");
    else if (c->sp_error && c->sp_error[0])
      rc = sp_err(err, err_len, SPATE_ESTATE, "%s", c->sp_error);
    else
      snprintf(path, path_len, "%s", c->sp_path ? c->sp_path : "");
  }
  c->sp_waiting = false;
  pthread_mutex_unlock(&c->mu);
  return rc;
}

void minicluster_cancel(mc_client *c) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, c->job_id);
  rpc_send(c->mc->rpc, DISPATCHER_ADDRESS, MSG_CANCEL_JOB, &w);
}

spate_job_result *minicluster_wait(mc_client *c) {
  pthread_mutex_lock(&c->mu);
  while (!c->done) pthread_cond_wait(&c->cond, &c->mu);
  pthread_mutex_unlock(&c->mu);
  rpc_endpoint_stop(c->ep);
  spate_job_result *r = c->result;
  sp_free(c->sp_path);
  sp_free(c->sp_error);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cond);
  sp_free(c);
  return r;
}
