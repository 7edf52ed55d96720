/*
 * jobmanager_rest_coordination.c: a client's coordination request handed to the operator's
 * subtask on its TaskManager (jobmanager_rest_coordination.h).
 */
#include "rest/jobmanager_rest_coordination.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/err.h"
#include "base/strbuf.h"
#include "cluster/jobmanager_gateway.h"
#include "cluster/taskmanager_info.h"
#include "rest/jobmanager_rest_tm.h"

/* The vertex of job whose chain holds the operator, or -1. */
static int vertex_of(const cv_job *job, const char *operator_id) {
  for (int k = 0; k < job->nvertices; k++) {
    const char *ids = job->vertices[k].operator_ids;
    for (size_t i = 0; ids && ids[32 * i]; i++)
      if (strncmp(ids + 32 * i, operator_id, 32) == 0) return k;
  }
  return -1;
}

int jm_rest_coordination(void *ctx, const char *job_id, const char *operator_id,
                         const char *request, char **result, char *err, size_t err_len) {
  *result = NULL;
  cluster_view *v = jm_gateway_view(ctx);
  cluster_view_lock(v);
  cv_job *job = cluster_view_find(v, job_id);
  int k = job ? vertex_of(job, operator_id) : -1;
  char *tm = NULL;
  int rc = 0;
  if (!job) {
    rc = sp_err(err, err_len, SPATE_ENOENT, "Job %s not found", job_id);
  } else if (k < 0) {
    rc = sp_err(err, err_len, SPATE_ENOENT, "Operator %s not found in job %s", operator_id, job_id);
  } else {
    int first = 0; /* the operator's coordinator talks to its first subtask (collect sinks have
                      one) */
    for (int i = 0; i < k; i++) first += job->vertices[i].parallelism;
    const char *where =
        job->subtasks && first < job->ntasks ? job->subtasks[first].cur.tm_id : NULL;
    if (!where)
      rc = sp_err(err, err_len, SPATE_ESTATE,
                  "Coordinator of operator %s does not exist or the job vertex this operator "
                  "belongs to is not initialized.",
                  operator_id);
    else if (!(tm = sp_strdup(where)))
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  cluster_view_unlock(v);
  if (rc < 0) return rc;
  tm_info_reply r;
  rc = tm_info_request(jm_gateway_rpc(ctx), tm, TM_INFO_COLLECT, request, JMR_TM_TIMEOUT_MS, &r,
                       err, err_len);
  sp_free(tm);
  if (rc < 0) return rc;
  if (r.rc < 0) {
    rc = sp_err(err, err_len, r.rc, "%s", r.error);
  } else {
    sp_strbuf b = {0};
    rc = sp_base64_append(&b, r.file.data, r.file.len);
    if (rc == 0 && !b.data) rc = sp_strbuf_add(&b, "");
    if (rc < 0)
      sp_strbuf_free(&b);
    else
      *result = b.data;
    if (rc < 0) sp_err(err, err_len, rc, "out of memory");
  }
  tm_info_reply_free(&r);
  return rc;
}
