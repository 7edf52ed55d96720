/*
 * jobmanager_rest.c: the REST endpoint of a real JobManager: rest_cluster_ops implemented on the
 * JobManager's gateway and cluster view (cluster/jobmanager_gateway.h), and the hooks
 * standalone.c calls to start and stop it.
 */
#include "rest/jobmanager_rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "cluster/standalone.h"
#include "rest/job_archive.h"
#include "rest/jobmanager_metrics.h"
#include "rest/jobmanager_rest_checkpoints.h"
#include "rest/jobmanager_rest_coordination.h"
#include "rest/jobmanager_rest_jobs.h"
#include "rest/jobmanager_rest_tm.h"
#include "rest/rest_server.h"

/* Flink's ExecutionState ordinals match task_state up to FAILED. */
static rest_exec_state exec_state(task_state s) { return (rest_exec_state)s; }

static rest_job_state job_state(const char *name) {
  int s = rest_job_state_parse(name);
  return s < 0 ? REST_JOB_CREATED : (rest_job_state)s;
}

static void fill_summary(const cv_job *j, rest_job_summary *s) {
  snprintf(s->id, sizeof s->id, "%s", j->id);
  s->state = job_state(j->status);
  s->start_time = j->start_ms;
  s->end_time = j->done ? j->end_ms : -1;
  s->last_modification = j->last_modification_ms;
  for (int k = 0; k < j->nvertices; k++)
    for (int t = 0; t <= TS_FAILED; t++)
      s->tasks[exec_state((task_state)t)] += j->vertices[k].tasks[t];
}

/* A vertex's start-time and end-time as Flink's JobDetailsHandler takes them from its subtasks'
 * current attempts: the earliest DEPLOYING, and the latest terminal state's time once every
 * subtask is terminal (-1 when not set). Without subtask records, the view's own. */
static void vertex_times(const cv_job *j, int k, int64_t *start, int64_t *end) {
  const cv_vertex *cv = &j->vertices[k];
  int first = 0;
  for (int i = 0; i < k; i++) first += j->vertices[i].parallelism;
  if (!j->subtasks || first + cv->parallelism > j->ntasks) {
    *start = cv->start_ms;
    *end = cv->end_ms;
    return;
  }
  int64_t s = -1, e = -1;
  bool all_terminal = true;
  for (int t = first; t < first + cv->parallelism; t++) {
    const cv_attempt *a = &j->subtasks[t].cur;
    if (a->ts[TS_DEPLOYING] > 0 && (s < 0 || a->ts[TS_DEPLOYING] < s)) s = a->ts[TS_DEPLOYING];
    all_terminal = all_terminal && task_state_terminal(a->state);
    if (a->ts[a->state] > e) e = a->ts[a->state];
  }
  *start = s;
  *end = s > 0 && all_terminal ? e : -1;
}

static int op_list_jobs(void *ctx, rest_job_list *out, char *err, size_t err_len) {
  cluster_view *v = jm_gateway_view(ctx);
  int rc = 0;
  cluster_view_lock(v);
  for (int i = 0; i < v->njobs && rc == 0; i++) {
    rest_job_summary *s = rest_job_list_add(out, v->jobs[i].name);
    if (!s)
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
    else
      fill_summary(&v->jobs[i], s);
  }
  cluster_view_unlock(v);
  return rc;
}

static int op_overview(void *ctx, rest_cluster_overview *out, char *err, size_t err_len) {
  (void)err;
  (void)err_len;
  cluster_view *v = jm_gateway_view(ctx);
  cluster_view_lock(v);
  out->taskmanagers = v->ntms;
  for (int i = 0; i < v->ntms; i++) {
    out->slots_total += v->tms[i].slots;
    out->slots_available += v->tms[i].free_slots;
  }
  cluster_view_unlock(v);
  return 0;
}

static int op_job_details(void *ctx, const char *job_id, rest_job_details *out, char *err,
                          size_t err_len) {
  cluster_view *v = jm_gateway_view(ctx);
  int rc = 0;
  cluster_view_lock(v);
  cv_job *j = cluster_view_find(v, job_id);
  if (!j) {
    cluster_view_unlock(v);
    return sp_err(err, err_len, SPATE_ENOENT, "Job %s not found", job_id);
  }
  fill_summary(j, &out->job);
  rc = rest_job_details_set_name(out, j->name);
  out->stoppable = j->stoppable;
  for (int h = 0; h < j->nhistory; h++) {
    int s = rest_job_state_parse(j->history[h].status);
    if (s >= 0) out->timestamps[s] = j->history[h].at_ms;
  }
  for (int k = 0; rc == 0 && k < j->nvertices; k++) {
    rest_vertex_info *vi = rest_job_details_add_vertex(out, j->vertices[k].name);
    if (!vi) {
      rc = SPATE_ENOMEM;
      break;
    }
    snprintf(vi->id, sizeof vi->id, "%s", j->vertices[k].id); /* JobVertexID */
    vi->parallelism = j->vertices[k].parallelism;
    vi->max_parallelism = j->vertices[k].max_parallelism;
    vertex_times(j, k, &vi->start_time, &vi->end_time);
    for (int t = 0; t <= TS_FAILED; t++)
      vi->tasks[exec_state((task_state)t)] = j->vertices[k].tasks[t];
  }
  if (rc == 0 && j->plan_json && !(out->plan_json = sp_strdup(j->plan_json))) rc = SPATE_ENOMEM;
  cluster_view_unlock(v);
  if (rc == 0) jobmanager_metrics_fill_job(ctx, out); /* outside the view's lock: it fetches */
  return rc < 0 ? sp_err(err, err_len, rc, "out of memory") : 0;
}

static int op_cancel_job(void *ctx, const char *job_id, char *err, size_t err_len) {
  return jm_gateway_cancel(ctx, job_id, err, err_len);
}

static int op_job_result(void *ctx, const char *job_id, rest_job_result *out, char *err,
                         size_t err_len) {
  cluster_view *v = jm_gateway_view(ctx);
  cluster_view_lock(v);
  cv_job *j = cluster_view_find(v, job_id);
  int rc = 0;
  if (!j) {
    rc = sp_err(err, err_len, SPATE_ENOENT, "Job %s not found", job_id);
  } else if (j->done) {
    out->done = true;
    out->state = job_state(j->status);
    out->net_runtime = j->runtime_ms;
    if (j->failure && !(out->failure = sp_strdup(j->failure)))
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  cluster_view_unlock(v);
  return rc;
}

static int op_submit_job(void *ctx, const void *graph, size_t graph_len,
                         const char *const *artifacts, size_t n_artifacts, char *job_id, char *err,
                         size_t err_len) {
  if (n_artifacts > 1)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "a job has one shared object (its program and functions); got %zu files",
                  n_artifacts);
  return jm_gateway_submit(ctx, graph, graph_len, n_artifacts ? artifacts[0] : NULL, job_id, err,
                           err_len);
}

static int op_savepoint(void *ctx, const char *job_id, const char *target_dir, bool cancel_job,
                        rest_savepoint_format format, char **location, char *err, size_t err_len) {
  (void)format; /* Spate writes one savepoint format */
  int64_t id;
  int rc = jm_gateway_snapshot(ctx, job_id, JM_SAVEPOINT, target_dir, &id, location, err, err_len);
  if (rc == 0 && cancel_job) {
    char why[SP_ERRMSG_MAX];
    jm_gateway_cancel(ctx, job_id, why, sizeof why); /* it may have ended meanwhile */
  }
  return rc;
}

static int op_stop_job(void *ctx, const char *job_id, const char *target_dir, bool drain,
                       rest_savepoint_format format, char **location, char *err, size_t err_len) {
  (void)format;
  int64_t id;
  return jm_gateway_snapshot(ctx, job_id, drain ? JM_STOP_DRAIN : JM_STOP, target_dir, &id,
                             location, err, err_len);
}

static int op_checkpoint(void *ctx, const char *job_id, rest_checkpoint_type type,
                         int64_t *checkpoint_id, char *err, size_t err_len) {
  (void)type; /* Spate's checkpoints are full */
  return jm_gateway_snapshot(ctx, job_id, JM_CHECKPOINT, NULL, checkpoint_id, NULL, err, err_len);
}

static int op_dispose(void *ctx, const char *path, char *err, size_t err_len) {
  return jm_gateway_dispose(ctx, path, err, err_len);
}

static int op_taskmanagers(void *ctx, rest_taskmanager_list *out, char *err, size_t err_len) {
  cluster_view *v = jm_gateway_view(ctx);
  int rc = 0;
  cluster_view_lock(v);
  for (int i = 0; i < v->ntms && rc == 0; i++) {
    const cv_taskmanager *tm = &v->tms[i];
    char path[600], id[REST_ID_LEN + 1];
    snprintf(path, sizeof path, "spate://%s", tm->address);
    jmr_tm_id(tm->address, id);
    rest_taskmanager_info *ti = rest_taskmanager_list_add(out, id, path);
    if (!ti) {
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
      break;
    }
    const char *colon = strrchr(tm->data, ':');
    ti->data_port = colon ? atoi(colon + 1) : -1;
    ti->jmx_port = -1;
    ti->last_heartbeat = tm->last_heartbeat_ms;
    ti->slots = tm->slots;
    ti->free_slots = tm->free_slots;
  }
  cluster_view_unlock(v);
  if (rc == 0) jmr_tm_enrich(ctx, out); /* hardware figures from each process */
  return rc;
}

static void op_shutdown(void *ctx) {
  (void)ctx;
  standalone_request_shutdown();
}

static const rest_cluster_ops ops = {
    .list_jobs = op_list_jobs,
    .overview = op_overview,
    .job_details = op_job_details,
    .cancel_job = op_cancel_job,
    .job_result = op_job_result,
    .submit_job = op_submit_job,
    .savepoint = op_savepoint,
    .stop_job = op_stop_job,
    .checkpoint = op_checkpoint,
    .dispose_savepoint = op_dispose,
    .taskmanagers = op_taskmanagers,
    .shutdown = op_shutdown,
    /* the jobs part (jobmanager_rest_jobs.c) */
    .job_vertex = jm_rest_job_vertex,
    .job_config = jm_rest_job_config,
    .job_exceptions = jm_rest_job_exceptions,
    .user_accumulators = jm_rest_user_accumulators,
    .coordination = jm_rest_coordination,
    .checkpoint_stats = jm_rest_checkpoint_stats,
    .checkpoint_details = jm_rest_checkpoint_details,
    .metric_store = jobmanager_metric_store,
    /* the cluster part (jobmanager_rest_tm.c) */
    .taskmanager_details = jmr_taskmanager_details,
    .taskmanager_logs = jmr_taskmanager_logs,
    .taskmanager_log = jmr_taskmanager_log,
    .taskmanager_thread_dump = jmr_taskmanager_thread_dump,
};

/* The REST endpoint, the gateway its metric fetcher hangs on and, with
 * jobmanager.archive.fs.dir, the archiver of finished jobs. */
typedef struct jm_rest {
  rest_server *server;
  jm_gateway *gw;
  job_archiver *archiver;
} jm_rest;

int jobmanager_rest_start(const sp_config *cfg, jm_gateway *gw, void **handle, int *port, char *err,
                          size_t err_len) {
  rest_server_config rc;
  rest_server_config_from(&rc, cfg, &ops, gw);
  jm_rest *h = sp_calloc(1, sizeof *h);
  if (!h) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  h->gw = gw;
  int r = jobmanager_metrics_start(cfg, gw, err, err_len);
  if (r == 0) r = rest_server_start(&rc, &h->server, err, err_len);
  if (r == 0 && sp_config_is_set(cfg, "jobmanager.archive.fs.dir"))
    r = job_archiver_start(sp_config_str(cfg, "jobmanager.archive.fs.dir"), h->server,
                           jm_gateway_view(gw), &h->archiver, err, err_len);
  if (r < 0) {
    jobmanager_rest_stop(h);
    return r;
  }
  *handle = h;
  *port = rest_server_port(h->server);
  return 0;
}

void jobmanager_rest_stop(void *handle) {
  jm_rest *h = handle;
  if (!h) return;
  job_archiver_stop(h->archiver); /* before the server: it renders through the routes */
  rest_server_stop(h->server);
  jobmanager_metrics_stop(h->gw); /* after the server: no request reads it any more */
  sp_free(h);
}
