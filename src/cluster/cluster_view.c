/*
 * cluster_view.c: the JobManager's view of its jobs and TaskManagers for other threads
 * (cluster_view.h). Jobs are kept after they end (the REST endpoint lists terminated jobs), in
 * order of arrival.
 */
#define _GNU_SOURCE /* strcasestr */
#include "cluster/cluster_view.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "spate/spate.h"

int cluster_view_create(cluster_view **out) {
  cluster_view *v = sp_calloc(1, sizeof *v);
  if (!v) return SPATE_ENOMEM;
  pthread_mutex_init(&v->mu, NULL);
  pthread_cond_init(&v->changed, NULL);
  v->exception_history = 16; /* web.exception-history-size's default */
  *out = v;
  return 0;
}

static void free_tms(cluster_view *v) {
  for (int i = 0; i < v->ntms; i++) {
    sp_free(v->tms[i].address);
    sp_free(v->tms[i].data);
  }
  sp_free(v->tms);
  v->tms = NULL;
  v->ntms = 0;
}

void cluster_view_free(cluster_view *v) {
  if (!v) return;
  for (int j = 0; j < v->njobs; j++) {
    cv_job *job = &v->jobs[j];
    for (int k = 0; k < job->nvertices; k++) {
      sp_free(job->vertices[k].name);
      sp_free(job->vertices[k].operator_ids);
    }
    sp_free(job->vertices);
    sp_free(job->name);
    sp_free(job->plan_json);
    sp_free(job->failure);
    sp_free(job->exec);
    cv_subtasks_free(job);
    cv_failures_free(job);
    sp_free(job->restart_strategy);
    for (int k = 0; k < job->nconfig * 2; k++) sp_free(job->config_kv[k]);
    sp_free(job->config_kv);
    ckpt_stats_unref(job->checkpoints);
  }
  sp_free(v->jobs);
  free_tms(v);
  pthread_mutex_destroy(&v->mu);
  pthread_cond_destroy(&v->changed);
  sp_free(v);
}

cv_job *cluster_view_find(cluster_view *v, const char *job_id) {
  for (int j = v->njobs - 1; j >= 0; j--) /* a resubmitted id: the latest */
    if (strcmp(v->jobs[j].id, job_id) == 0) return &v->jobs[j];
  return NULL;
}

static void record_status(cv_job *job, const char *status, int64_t now_ms) {
  snprintf(job->status, sizeof job->status, "%s", status);
  job->last_modification_ms = now_ms;
  for (int i = 0; i < job->nhistory; i++)
    if (strcmp(job->history[i].status, status) == 0) return;
  if (job->nhistory < CV_MAX_STATUS) {
    snprintf(job->history[job->nhistory].status, sizeof job->history[0].status, "%s", status);
    job->history[job->nhistory++].at_ms = now_ms;
  }
}

void cv_job_added(cluster_view *v, const job_graph *jg, int64_t now_ms) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  cv_job *shown = cluster_view_find(v, jg->job_id);
  cv_job *nj =
      shown && !shown->done ? NULL : sp_realloc(v->jobs, sizeof *nj * (size_t)(v->njobs + 1));
  if (nj) {
    v->jobs = nj;
    cv_job *job = &v->jobs[v->njobs];
    memset(job, 0, sizeof *job);
    snprintf(job->id, sizeof job->id, "%s", jg->job_id);
    job->name = sp_strdup(jg->job_name ? jg->job_name : "");
    job->start_ms = now_ms;
    job->end_ms = -1;
    job->stoppable = true;
    job->parallelism = -1;
    job->plan_json = jobgraph_plan_json_rest(jg); /* what the REST endpoint serves */
    job->vertices = sp_calloc((size_t)jg->nvertices + 1, sizeof *job->vertices);
    int ntasks = 0;
    for (int k = 0; k < jg->nvertices; k++) ntasks += jg->vertices[k].parallelism;
    job->exec = sp_calloc((size_t)ntasks + 1, sizeof *job->exec);
    if (job->vertices && job->exec) {
      job->nvertices = jg->nvertices;
      job->ntasks = ntasks;
      if (!cv_subtasks_init(job, now_ms)) job->ntasks = 0; /* shows no subtasks rather than none */
      for (int k = 0; k < jg->nvertices; k++) {
        cv_vertex *cv = &job->vertices[k];
        jobgraph_vertex_id(jg, k, cv->id);
        cv->name = sp_strdup(jg->vertices[k].name ? jg->vertices[k].name : "");
        const jg_vertex *jv = &jg->vertices[k];
        if ((cv->operator_ids = sp_malloc((size_t)jv->nnodes * 32 + 1))) {
          for (int i = 0; i < jv->nnodes; i++) {
            char oid[33];
            jobgraph_operator_id(jg, jv->nodes[i], oid);
            memcpy(cv->operator_ids + 32 * i, oid, 32);
          }
          cv->operator_ids[32 * jv->nnodes] = 0;
        }
        cv->parallelism = jg->vertices[k].parallelism;
        cv->max_parallelism = jg->nodes[jg->vertices[k].head].max_parallelism;
        cv->tasks[TS_CREATED] = cv->parallelism;
        cv->start_ms = cv->end_ms = -1;
      }
    }
    record_status(job, "CREATED", now_ms);
    v->njobs++;
  }
  pthread_mutex_unlock(&v->mu);
}

void cv_job_status(cluster_view *v, const char *job_id, const char *status, int64_t now_ms) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  cv_job *job = cluster_view_find(v, job_id);
  if (job && !job->done) record_status(job, status, now_ms);
  pthread_mutex_unlock(&v->mu);
}

void cv_task_state(cluster_view *v, const char *job_id, int vertex, int subtask, task_state to,
                   int64_t now_ms) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  cv_job *job = cluster_view_find(v, job_id);
  if (job && vertex >= 0 && vertex < job->nvertices) {
    int index = subtask;
    for (int k = 0; k < vertex; k++) index += job->vertices[k].parallelism;
    cv_vertex *cv = &job->vertices[vertex];
    if (subtask >= 0 && subtask < cv->parallelism && index < job->ntasks) {
      cv->tasks[job->exec[index]]--;
      cv->tasks[to]++;
      job->exec[index] = to;
      cv_subtask_switch(job, index, to, now_ms);
      if (to == TS_RUNNING && cv->start_ms < 0) cv->start_ms = now_ms;
      if (task_state_terminal(to)) cv->end_ms = now_ms;
    }
  }
  pthread_mutex_unlock(&v->mu);
}

void cv_job_new_attempt(cluster_view *v, const char *job_id) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  cv_job *job = cluster_view_find(v, job_id);
  if (job) {
    for (int k = 0; k < job->nvertices; k++) {
      memset(job->vertices[k].tasks, 0, sizeof job->vertices[k].tasks);
      job->vertices[k].tasks[TS_CREATED] = job->vertices[k].parallelism;
      job->vertices[k].end_ms = -1;
    }
    int64_t now_ms = sp_wall_ms();
    for (int i = 0; i < job->ntasks; i++) {
      job->exec[i] = TS_CREATED;
      cv_subtask_switch(job, i, TS_CREATED, now_ms);
    }
  }
  pthread_mutex_unlock(&v->mu);
}

void cv_job_done(cluster_view *v, const char *job_id, const char *status, int64_t runtime_ms,
                 const char *failure, int64_t now_ms) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  cv_job *job = cluster_view_find(v, job_id);
  if (job && !job->done) {
    record_status(job, status, now_ms);
    job->done = true;
    job->end_ms = now_ms;
    job->runtime_ms = runtime_ms;
    if (failure && failure[0]) job->failure = sp_strdup(failure);
    pthread_cond_broadcast(&v->changed);
  }
  pthread_mutex_unlock(&v->mu);
}

void cv_job_checkpoint_stats(cluster_view *v, const char *job_id, ckpt_stats *st) {
  if (!v || !st) return;
  pthread_mutex_lock(&v->mu);
  cv_job *job = cluster_view_find(v, job_id);
  if (job && !job->done) {
    ckpt_stats_ref(st);
    ckpt_stats_unref(job->checkpoints);
    job->checkpoints = st;
  }
  pthread_mutex_unlock(&v->mu);
}

ckpt_stats *cluster_view_checkpoint_stats(cluster_view *v, const char *job_id, bool *found) {
  pthread_mutex_lock(&v->mu);
  cv_job *job = cluster_view_find(v, job_id);
  ckpt_stats *st = job ? job->checkpoints : NULL;
  if (st) ckpt_stats_ref(st);
  *found = job != NULL;
  pthread_mutex_unlock(&v->mu);
  return st;
}

void cv_job_done_all(cluster_view *v, const char *status, int64_t now_ms) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  for (int j = 0; j < v->njobs; j++)
    if (!v->jobs[j].done) {
      record_status(&v->jobs[j], status, now_ms);
      v->jobs[j].done = true;
      v->jobs[j].end_ms = now_ms;
    }
  pthread_cond_broadcast(&v->changed);
  pthread_mutex_unlock(&v->mu);
}

void cv_taskmanagers_begin(cluster_view *v) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  free_tms(v);
}

void cv_taskmanager_add(cluster_view *v, const char *address, const char *data, int slots,
                        int free_slots, int64_t last_heartbeat_ms) {
  if (!v) return;
  cv_taskmanager *n = sp_realloc(v->tms, sizeof *n * (size_t)(v->ntms + 1));
  if (!n) return;
  v->tms = n;
  cv_taskmanager *tm = &v->tms[v->ntms];
  tm->address = sp_strdup(address);
  tm->data = sp_strdup(data ? data : "");
  if (!tm->address || !tm->data) {
    sp_free(tm->address);
    sp_free(tm->data);
    return;
  }
  tm->slots = slots;
  tm->free_slots = free_slots;
  tm->last_heartbeat_ms = last_heartbeat_ms;
  v->ntms++;
}

void cv_taskmanagers_end(cluster_view *v) {
  if (!v) return;
  pthread_mutex_unlock(&v->mu);
}

/* Masks the values of keys that look secret, as Flink's configuration endpoints do. */
static bool secret_key(const char *key) {
  static const char *const words[] = {"password", "secret",      "fs.azure.account.key", "apikey",
                                      "api-key",  "auth-params", "service-key",          "token"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcasestr(key, words[i])) return true;
  return false;
}

typedef struct kv_collect {
  char **kv;
  int n, cap;
  bool failed;
} kv_collect;

static void collect_kv(void *arg, const char *key, const char *value) {
  kv_collect *c = arg;
  if (c->failed) return;
  if (c->n == c->cap) {
    int nc = c->cap ? c->cap * 2 : 16;
    char **p = sp_realloc(c->kv, sizeof *p * (size_t)nc * 2);
    if (!p) {
      c->failed = true;
      return;
    }
    c->kv = p;
    c->cap = nc;
  }
  c->kv[2 * c->n] = sp_strdup(key);
  c->kv[2 * c->n + 1] = sp_strdup(secret_key(key) ? "******" : value ? value : "");
  c->n++;
}

void cv_job_execution_config(cluster_view *v, const char *job_id, const sp_config *job_cfg,
                             const char *restart_strategy) {
  if (!v) return;
  kv_collect c = {0};
  if (job_cfg) sp_config_each(job_cfg, collect_kv, &c);
  int parallelism = job_cfg && sp_config_is_set(job_cfg, "parallelism.default")
                        ? (int)sp_config_int(job_cfg, "parallelism.default")
                        : -1;
  pthread_mutex_lock(&v->mu);
  cv_job *job = cluster_view_find(v, job_id);
  if (job) {
    sp_free(job->restart_strategy);
    job->restart_strategy = restart_strategy ? sp_strdup(restart_strategy) : NULL;
    job->parallelism = parallelism;
    for (int k = 0; k < job->nconfig * 2; k++) sp_free(job->config_kv[k]);
    sp_free(job->config_kv);
    job->config_kv = c.kv;
    job->nconfig = c.n;
    c.kv = NULL;
    c.n = 0;
  }
  pthread_mutex_unlock(&v->mu);
  for (int k = 0; k < c.n * 2; k++) sp_free(c.kv[k]);
  sp_free(c.kv);
}
