/*
 * cluster_view_tasks.c: the subtasks' execution attempts in the JobManager's view
 * (cluster_view.h), what the REST endpoint's vertex and subtask routes show: per subtask its
 * current attempt (number, state, TaskManager and data endpoint, when it entered each
 * ExecutionState) and the final records of up to CV_MAX_PRIOR_ATTEMPTS earlier attempts. Callers
 * hold the view's lock (cluster_view.c's writers) or take it (cv_task_deployed).
 */
#include <string.h>

#include "base/alloc.h"
#include "cluster/cluster_view.h"

bool cv_subtasks_init(cv_job *job, int64_t now_ms) {
  job->subtasks = sp_calloc((size_t)job->ntasks + 1, sizeof *job->subtasks);
  if (!job->subtasks) return false;
  for (int i = 0; i < job->ntasks; i++) job->subtasks[i].cur.ts[TS_CREATED] = now_ms;
  return true;
}

static void attempt_free(cv_attempt *a) {
  sp_free(a->tm_id);
  sp_free(a->endpoint);
  a->tm_id = a->endpoint = NULL;
}

void cv_subtasks_free(cv_job *job) {
  for (int i = 0; job->subtasks && i < job->ntasks; i++) {
    cv_subtask *st = &job->subtasks[i];
    attempt_free(&st->cur);
    for (int k = 0; k < st->nprior; k++) attempt_free(&st->prior[k]);
  }
  sp_free(job->subtasks);
  job->subtasks = NULL;
}

/* The current attempt becomes the newest prior one (dropping the oldest when full) and the next
 * attempt starts, CREATED at now_ms. */
static void next_attempt(cv_subtask *st, int64_t now_ms) {
  if (st->nprior == CV_MAX_PRIOR_ATTEMPTS) {
    attempt_free(&st->prior[0]);
    memmove(&st->prior[0], &st->prior[1], sizeof st->prior[0] * (CV_MAX_PRIOR_ATTEMPTS - 1));
    st->nprior--;
  }
  st->prior[st->nprior++] = st->cur;
  st->cur = (cv_attempt){.number = st->cur.number + 1, .state = TS_CREATED};
  st->cur.ts[TS_CREATED] = now_ms;
}

void cv_subtask_switch(cv_job *job, int index, task_state to, int64_t now_ms) {
  if (!job->subtasks || index < 0 || index >= job->ntasks) return;
  cv_subtask *st = &job->subtasks[index];
  if (to == TS_CREATED) {
    /* an attempt that never left CREATED is not restarted: it has not run yet */
    if (st->cur.state != TS_CREATED) next_attempt(st, now_ms);
    return;
  }
  st->cur.state = to;
  st->cur.ts[to] = now_ms;
}

void cv_task_deployed(cluster_view *v, const char *job_id, int vertex, int subtask,
                      const char *tm_id, const char *endpoint) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  cv_job *job = cluster_view_find(v, job_id);
  if (job && job->subtasks && vertex >= 0 && vertex < job->nvertices && subtask >= 0 &&
      subtask < job->vertices[vertex].parallelism) {
    int index = subtask;
    for (int k = 0; k < vertex; k++) index += job->vertices[k].parallelism;
    if (index < job->ntasks) {
      cv_attempt *a = &job->subtasks[index].cur;
      attempt_free(a);
      a->tm_id = tm_id && tm_id[0] ? sp_strdup(tm_id) : NULL;
      a->endpoint = endpoint && endpoint[0] ? sp_strdup(endpoint) : NULL;
    }
  }
  pthread_mutex_unlock(&v->mu);
}
