/*
 * jobmanager_rest_jobs.c: the JobManager's operations of the REST endpoint's jobs part
 * (jobmanager_rest_jobs.h): copies of what its cluster view holds about a vertex's subtasks and
 * their attempts, the job's execution configuration and its exception history, taken under the
 * view's lock. IO metrics and user accumulators come from the metric store
 * (jobmanager_metrics.h).
 */
#include "rest/jobmanager_rest_jobs.h"
#include "rest/jobmanager_rest_tm.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "cluster/jobmanager_gateway.h"
#include "rest/jobmanager_metrics.h"

static int not_found(char *err, size_t err_len, const char *job_id) {
  return sp_err(err, err_len, SPATE_ENOENT, "Job %s not found", job_id);
}

/* The vertex with JobVertexID vertex_id of job, or -1. */
static int find_vertex(const cv_job *job, const char *vertex_id) {
  for (int k = 0; k < job->nvertices; k++)
    if (strcmp(job->vertices[k].id, vertex_id) == 0) return k;
  return -1;
}

/* Copies attempt a of the view into out. */
static int copy_attempt(const cv_attempt *a, rest_attempt_info *out) {
  out->attempt = a->number;
  out->state = (rest_exec_state)a->state; /* ExecutionState ordinals match up to FAILED */
  for (int s = 0; s <= TS_FAILED; s++) out->timestamps[s] = a->ts[s];
  char tm[REST_ID_LEN + 1]; /* the id /taskmanagers shows (jobmanager_rest_tm.h) */
  if (a->tm_id) jmr_tm_id(a->tm_id, tm);
  return rest_attempt_set_location(out, a->tm_id ? tm : NULL, a->endpoint);
}

int jm_rest_job_vertex(void *ctx, const char *job_id, const char *vertex_id,
                       rest_vertex_details *out, char *err, size_t err_len) {
  cluster_view *v = jm_gateway_view(ctx);
  cluster_view_lock(v);
  cv_job *job = cluster_view_find(v, job_id);
  int k = job ? find_vertex(job, vertex_id) : -1;
  if (!job || k < 0) {
    cluster_view_unlock(v);
    return job ? sp_err(err, err_len, SPATE_ENOENT, "Vertex %s not found in job %s", vertex_id,
                        job_id)
               : not_found(err, err_len, job_id);
  }
  const cv_vertex *cv = &job->vertices[k];
  int first = 0;
  for (int i = 0; i < k; i++) first += job->vertices[i].parallelism;
  bool have = job->subtasks && first + cv->parallelism <= job->ntasks;
  int rc = rest_vertex_details_init(out, cv->name, have ? (size_t)cv->parallelism : 0);
  if (rc == 0) {
    snprintf(out->vertex.id, sizeof out->vertex.id, "%s", cv->id);
    out->vertex.parallelism = cv->parallelism;
    out->vertex.max_parallelism = cv->max_parallelism;
    out->vertex.start_time = cv->start_ms;
    out->vertex.end_time = cv->end_ms;
    for (int t = 0; t <= TS_FAILED; t++) out->vertex.tasks[t] = cv->tasks[t];
  }
  for (size_t s = 0; rc == 0 && s < out->n_subtasks; s++) {
    const cv_subtask *st = &job->subtasks[first + (int)s];
    rest_subtask_info *o = &out->subtasks[s];
    rc = copy_attempt(&st->cur, &o->current);
    if (rc == 0 && st->nprior) rc = rest_subtask_alloc_prior(o, (size_t)st->nprior);
    for (int p = 0; rc == 0 && p < st->nprior; p++) rc = copy_attempt(&st->prior[p], &o->prior[p]);
  }
  cluster_view_unlock(v);
  if (rc == 0) jobmanager_metrics_fill_vertex(ctx, job_id, out); /* outside the lock: it fetches */
  return rc < 0 ? sp_err(err, err_len, rc, "out of memory") : 0;
}

int jm_rest_job_config(void *ctx, const char *job_id, rest_job_config *out, char *err,
                       size_t err_len) {
  cluster_view *v = jm_gateway_view(ctx);
  cluster_view_lock(v);
  cv_job *job = cluster_view_find(v, job_id);
  if (!job) {
    cluster_view_unlock(v);
    return not_found(err, err_len, job_id);
  }
  int rc = 0;
  out->name = sp_strdup(job->name ? job->name : "");
  if (job->restart_strategy) out->restart_strategy = sp_strdup(job->restart_strategy);
  if (!out->name || (job->restart_strategy && !out->restart_strategy)) rc = SPATE_ENOMEM;
  out->parallelism = job->parallelism;
  out->object_reuse = false; /* Spate copies no records between chained operators anyway */
  for (int i = 0; rc == 0 && i < job->nconfig; i++)
    if (job->config_kv[2 * i] && job->config_kv[2 * i + 1])
      rc = rest_job_config_add(out, job->config_kv[2 * i], job->config_kv[2 * i + 1]);
  cluster_view_unlock(v);
  return rc < 0 ? sp_err(err, err_len, rc, "out of memory") : 0;
}

/* Flink's exceptionName of a failure: the exception a message names at its start
 * ("NoResourceAvailableException: ..."), else TaskFailure for a subtask's and JobFailure for the
 * job's as a whole (Spate's failures are messages, not exception classes). */
static void exception_name(const cv_failure *f, char *out, size_t len) {
  const char *m = f->message;
  size_t n = 0;
  while (isalnum((unsigned char)m[n]) || m[n] == '.' || m[n] == '_' || m[n] == '$') n++;
  if (n > 0 && n < len && m[n] == ':' &&
      ((n >= 9 && memcmp(m + n - 9, "Exception", 9) == 0) ||
       (n >= 5 && memcmp(m + n - 5, "Error", 5) == 0))) {
    memcpy(out, m, n);
    out[n] = 0;
    return;
  }
  snprintf(out, len, "%s", f->task ? "TaskFailure" : "JobFailure");
}

/* Appends f (root NULL) or a concurrent failure of root. */
static rest_exception *add_failure(rest_exception_history *h, rest_exception *root,
                                   const cv_failure *f) {
  char name[128];
  exception_name(f, name, sizeof name);
  size_t len = strlen(name) + strlen(f->message) + 3;
  char *trace = sp_malloc(len);
  if (!trace) return NULL;
  if (strncmp(f->message, name, strlen(name)) == 0)
    snprintf(trace, len, "%s", f->message); /* it starts with its name already */
  else
    snprintf(trace, len, "%s: %s", name, f->message);
  char tm[REST_ID_LEN + 1];
  if (f->tm_id) jmr_tm_id(f->tm_id, tm);
  rest_exception *e = rest_exception_add(h, root, name, trace, f->task, f->location,
                                         f->tm_id ? tm : NULL, f->at_ms);
  sp_free(trace);
  return e;
}

int jm_rest_job_exceptions(void *ctx, const char *job_id, rest_exception_history *out, char *err,
                           size_t err_len) {
  cluster_view *v = jm_gateway_view(ctx);
  cluster_view_lock(v);
  cv_job *job = cluster_view_find(v, job_id);
  if (!job) {
    cluster_view_unlock(v);
    return not_found(err, err_len, job_id);
  }
  int rc = 0;
  out->truncated = job->failures_truncated;
  for (int i = job->nfailures - 1; rc == 0 && i >= 0; i--) { /* newest first */
    const cv_failure *f = &job->failures[i];
    rest_exception *root = add_failure(out, NULL, f);
    if (!root) rc = SPATE_ENOMEM;
    for (int k = 0; rc == 0 && k < f->nconcurrent; k++)
      if (!add_failure(out, root, &f->concurrent[k])) rc = SPATE_ENOMEM;
  }
  cluster_view_unlock(v);
  return rc < 0 ? sp_err(err, err_len, rc, "out of memory") : 0;
}

int jm_rest_user_accumulators(void *ctx, const char *job_id, const char *vertex_id, int subtask,
                              rest_accumulator_list *out, char *err, size_t err_len) {
  cluster_view *v = jm_gateway_view(ctx);
  cluster_view_lock(v);
  cv_job *job = cluster_view_find(v, job_id);
  int k = job && vertex_id ? find_vertex(job, vertex_id) : -1, rc = 0;
  if (!job)
    rc = not_found(err, err_len, job_id);
  else if (vertex_id && k < 0)
    rc = sp_err(err, err_len, SPATE_ENOENT, "Vertex %s not found in job %s", vertex_id, job_id);
  else if (vertex_id && subtask >= job->vertices[k].parallelism)
    rc = sp_err(err, err_len, SPATE_ENOENT, "Subtask %d not found: vertex %s has %d subtasks",
                subtask, vertex_id, job->vertices[k].parallelism);
  cluster_view_unlock(v);
  /* the user counters from the metric store (outside the view's lock: it fetches) */
  if (rc == 0 && jobmanager_metrics_fill_accumulators(ctx, job_id, vertex_id, subtask, out) < 0)
    rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  return rc;
}
