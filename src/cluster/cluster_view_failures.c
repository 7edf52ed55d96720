/*
 * cluster_view_failures.c: the exception history of a job in the JobManager's view
 * (cluster_view.h), what GET /jobs/:jobid/exceptions shows: root failures, oldest first, each
 * with the failures of the same failover as its concurrent ones. At most exception_history roots
 * (web.exception-history-size) and as many concurrent failures per root are kept; beyond, the
 * oldest go and the job's history is marked truncated.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "cluster/cluster_view.h"

static void failure_free(cv_failure *f) {
  sp_free(f->message);
  sp_free(f->task);
  sp_free(f->location);
  sp_free(f->tm_id);
  for (int k = 0; k < f->nconcurrent; k++) failure_free(&f->concurrent[k]);
  sp_free(f->concurrent);
  memset(f, 0, sizeof *f);
}

void cv_failures_free(cv_job *job) {
  for (int i = 0; i < job->nfailures; i++) failure_free(&job->failures[i]);
  sp_free(job->failures);
  job->failures = NULL;
  job->nfailures = 0;
}

/* Fills f for subtask (vertex, subtask) of job's current attempt, or the job (vertex -1). */
static bool describe(const cv_job *job, int vertex, int subtask, const char *message,
                     int64_t now_ms, cv_failure *f) {
  memset(f, 0, sizeof *f);
  f->at_ms = now_ms;
  f->message = sp_strdup(message && message[0] ? message : "unknown failure");
  if (!f->message) return false;
  if (vertex < 0 || vertex >= job->nvertices || subtask < 0 ||
      subtask >= job->vertices[vertex].parallelism)
    return true;
  const cv_vertex *cv = &job->vertices[vertex];
  char name[600];
  snprintf(name, sizeof name, "%s (%d/%d)", cv->name, subtask + 1, cv->parallelism);
  f->task = sp_strdup(name);
  int index = subtask;
  for (int k = 0; k < vertex; k++) index += job->vertices[k].parallelism;
  if (job->subtasks && index < job->ntasks) {
    const cv_attempt *a = &job->subtasks[index].cur;
    if (a->endpoint) f->location = sp_strdup(a->endpoint);
    if (a->tm_id) f->tm_id = sp_strdup(a->tm_id);
  }
  return f->task != NULL;
}

void cv_job_failure(cluster_view *v, const char *job_id, int vertex, int subtask,
                    const char *message, bool concurrent, int64_t now_ms) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  cv_job *job = cluster_view_find(v, job_id);
  int limit = v->exception_history > 0 ? v->exception_history : 1;
  cv_failure f;
  if (!job || !describe(job, vertex, subtask, message, now_ms, &f)) {
    if (job) failure_free(&f);
    pthread_mutex_unlock(&v->mu);
    return;
  }
  if (concurrent && job->nfailures > 0) {
    cv_failure *root = &job->failures[job->nfailures - 1];
    cv_failure *n = root->nconcurrent < limit
                        ? sp_realloc(root->concurrent, sizeof *n * (size_t)(root->nconcurrent + 1))
                        : NULL;
    if (n) {
      root->concurrent = n;
      n[root->nconcurrent++] = f;
    } else {
      failure_free(&f); /* more than the history keeps */
    }
  } else {
    if (job->nfailures == limit) {
      failure_free(&job->failures[0]);
      memmove(&job->failures[0], &job->failures[1], sizeof f * (size_t)(job->nfailures - 1));
      job->nfailures--;
      job->failures_truncated = true;
    }
    cv_failure *n = sp_realloc(job->failures, sizeof *n * (size_t)(job->nfailures + 1));
    if (n) {
      job->failures = n;
      n[job->nfailures++] = f;
    } else {
      failure_free(&f);
    }
  }
  pthread_mutex_unlock(&v->mu);
}
