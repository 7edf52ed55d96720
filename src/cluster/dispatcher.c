/*
 * dispatcher.c: accepts job submissions, runs one JobMaster per job, and hands each job's result
 * to whoever submitted it. A job graph that does not decode is answered with a FAILED result at
 * once; nothing is started for it.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/job_result.h"
#include "cluster/messages.h"

typedef struct d_job {
  struct d_job *next;
  char id[33];
  char *reply;
  job_master *jm;
} d_job;

struct dispatcher {
  rpc_service *rpc;
  rpc_endpoint *ep;
  char *blob_server; /* "host:port" of the BlobServer, or NULL */
  cluster_view *view;
  char *failover;               /* the cluster's failover strategy, or NULL */
  int checkpoint_history;       /* the cluster's web.checkpoints.history (0: the default) */
  hb_settings hb;               /* JobMaster <-> TaskExecutor heartbeats (interval 0: none) */
  struct metric_group *metrics; /* the JobManager's metric group, or NULL */
  d_job *jobs;
};

static void reply_failed(dispatcher *d, const char *reply, const char *msg) {
  sp_writer res, w;
  sp_writer_init(&res);
  sp_put_str(&res, "00000000000000000000000000000000");
  sp_put_str(&res, "");
  sp_put_u8(&res, SPATE_JOB_FAILED);
  sp_put_str(&res, msg);
  sp_put_i64(&res, 0);
  sp_put_u32(&res, 0);
  sp_put_u32(&res, 0);
  sp_writer_init(&w);
  sp_put_blob(&w, res.data, res.len);
  sp_writer_free(&res);
  rpc_send(d->rpc, reply, MSG_JOB_RESULT, &w);
}

static void submit(dispatcher *d, sp_reader *r) {
  char *reply = sp_get_str(r);
  uint32_t len;
  const void *bytes = sp_get_blob(r, &len);
  bool events = sp_get_u8(r) != 0;
  char *blob_key = sp_get_str(r);
  if (!sp_reader_ok(r) || !reply || !blob_key) {
    SP_ERROR("dispatcher", "malformed job submission: %s", r->error);
    sp_free(reply);
    sp_free(blob_key);
    return;
  }
  char err[SP_ERRMSG_MAX];
  job_graph *jg = NULL;
  int rc = jobgraph_decode(bytes, len, &jg, err, sizeof err);
  if (rc < 0) {
    char msg[SP_ERRMSG_MAX + 64];
    snprintf(msg, sizeof msg, "job submission rejected: %s", err);
    reply_failed(d, reply, msg);
    sp_free(reply);
    sp_free(blob_key);
    return;
  }
  SP_INFO("dispatcher", "Received JobGraph submission '%s' (%s).", jg->job_name, jg->job_id);
  d_job *j = sp_calloc(1, sizeof *j);
  if (!j) {
    jobgraph_free(jg);
    reply_failed(d, reply, "out of memory");
    sp_free(reply);
    sp_free(blob_key);
    return;
  }
  snprintf(j->id, sizeof j->id, "%s", jg->job_id);
  j->reply = reply;
  j->next = d->jobs;
  d->jobs = j;
  jm_context ctx = {.blob_key = blob_key,
                    .blob_server = d->blob_server,
                    .view = d->view,
                    .failover_strategy = d->failover,
                    .checkpoint_history = d->checkpoint_history,
                    .heartbeats = d->hb,
                    .metrics = d->metrics};
  cv_job_added(d->view, jg, sp_wall_ms());
  rc = jm_start(d->rpc, jg, bytes, len, events ? reply : NULL, &ctx, &j->jm); /* takes jg */
  sp_free(blob_key);
  blob_key = NULL;
  if (rc < 0) {
    reply_failed(d, reply, "could not start the JobMaster");
    d->jobs = j->next;
    sp_free(j->reply);
    sp_free(j);
  }
}

static d_job *find(dispatcher *d, const char *id, d_job ***link) {
  for (d_job **pp = &d->jobs; *pp; pp = &(*pp)->next)
    if (strcmp((*pp)->id, id) == 0) {
      if (link) *link = pp;
      return *pp;
    }
  return NULL;
}

static void handle(void *self, uint32_t type, sp_reader *r) {
  dispatcher *d = self;
  switch (type) {
  case MSG_SUBMIT_JOB: submit(d, r); break;
  case MSG_JOB_DONE: {
    char *id = sp_get_str(r);
    uint32_t len;
    const void *res = sp_get_blob(r, &len);
    d_job **link = NULL;
    d_job *j = id && sp_reader_ok(r) ? find(d, id, &link) : NULL;
    if (j) {
      *link = j->next;
      jm_stop(j->jm); /* the JobMaster's thread has returned from its last handler */
      sp_writer w;
      sp_writer_init(&w);
      sp_put_blob(&w, res, len);
      rpc_send(d->rpc, j->reply, MSG_JOB_RESULT, &w);
      sp_free(j->reply);
      sp_free(j);
    }
    sp_free(id);
    break;
  }
  case MSG_CANCEL_JOB: {
    char *id = sp_get_str(r);
    if (id && find(d, id, NULL)) {
      char addr[64];
      snprintf(addr, sizeof addr, "jobmaster-%s", id);
      sp_writer w;
      sp_writer_init(&w);
      rpc_send(d->rpc, addr, MSG_CANCEL_JOB, &w);
    }
    sp_free(id);
    break;
  }
  default: SP_WARN("dispatcher", "ignoring unexpected message %u", type);
  }
}

int dispatcher_start(rpc_service *rpc, const char *blob_server, cluster_view *view,
                     dispatcher **out) {
  dispatcher *d = sp_calloc(1, sizeof *d);
  if (!d) return SPATE_ENOMEM;
  d->rpc = rpc;
  d->view = view;
  if (blob_server && !(d->blob_server = sp_strdup(blob_server))) {
    sp_free(d);
    return SPATE_ENOMEM;
  }
  int rc = rpc_endpoint_start(rpc, DISPATCHER_ADDRESS, handle, d, &d->ep);
  if (rc < 0) {
    sp_free(d);
    return rc;
  }
  *out = d;
  return 0;
}

void dispatcher_stop(dispatcher *d) {
  if (!d) return;
  rpc_endpoint_stop(d->ep);
  while (d->jobs) {
    d_job *j = d->jobs;
    d->jobs = j->next;
    jm_stop(j->jm);
    sp_free(j->reply);
    sp_free(j);
  }
  sp_free(d->blob_server);
  sp_free(d->failover);
  sp_free(d);
}

void dispatcher_set_heartbeats(dispatcher *d, const hb_settings *hb) { d->hb = *hb; }
void dispatcher_set_metrics(dispatcher *d, struct metric_group *jm_group) { d->metrics = jm_group; }

void dispatcher_set_checkpoint_history(dispatcher *d, int history) {
  d->checkpoint_history = history;
}

int dispatcher_set_failover_strategy(dispatcher *d, const char *strategy) {
  char *s = sp_strdup(strategy);
  if (!s) return SPATE_ENOMEM;
  sp_free(d->failover);
  d->failover = s;
  return 0;
}
