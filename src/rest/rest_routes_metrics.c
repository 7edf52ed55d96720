/*
 * rest_routes_metrics.c: the REST endpoint's metric routes, read from the JobManager's metric
 * store (cluster/metric_store.h, through the cluster operation metric_store):
 *   GET /jobmanager/metrics, /taskmanagers/:taskmanagerid/metrics, /jobs/:jobid/metrics,
 *       /jobs/:jobid/vertices/:vertexid/metrics, .../subtasks/:subtaskindex/metrics
 *       Flink's MetricCollectionResponseBody, a bare array: without ?get= the ids the component
 *       has [{"id"}], with ?get=a,b [{"id","value"}] (values are strings; unknown ids omitted).
 *   GET /jobs/:jobid/vertices/:vertexid/subtasks/metrics (?subtasks=), /taskmanagers/metrics
 *       (?taskmanagers=), /jobs/metrics (?jobs=): AggregatedMetricsResponseBody
 *       [{"id","min","max","avg","sum","skew"}] over the components (?agg= picks the figures).
 *   GET /jobs/:jobid/vertices/:vertexid/watermarks: [{"id":"<i>.currentInputWatermark",...}].
 *   GET /jobs/:jobid/vertices/:vertexid/backpressure: JobVertexBackPressureInfo from
 *       backPressuredTimeMsPerSecond (Flink since 1.13): ratio = it / 1000, ok <= 0.10 < low <=
 *       0.5 < high; "deprecated" while the store has no subtask of the vertex.
 * Query parameters are parsed before the store is read (rest_metric_params.h): a bad one is 400
 * naming it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "cluster/metric_store.h"
#include "rest/rest_metric_params.h"
#include "rest/rest_server_internal.h"

/* The store, fetched if stale; replies 501 and returns NULL without one. */
static metric_store *store_of(rest_request *req, const char *path, int *reply) {
  metric_store *s = NULL;
  if (req->server->ops->metric_store) s = req->server->ops->metric_store(req->server->ctx);
  if (!s)
    *reply =
        rest_reply_error(req, MHD_HTTP_NOT_IMPLEMENTED, "Not supported by this endpoint: %s", path);
  return s;
}

static int bad_request(rest_request *req, const char *err) {
  return rest_reply_error(req, MHD_HTTP_BAD_REQUEST, "Bad request, could not parse parameters: %s",
                          err);
}

static json_t *metric_json(const char *id, const char *value) {
  json_t *o = json_object();
  if (!o) return NULL;
  json_object_set_new(o, "id", json_string(id));
  if (value) json_object_set_new(o, "value", json_string(value));
  return o;
}

/* ---- one component ---- */

static int collection(rest_request *req, const ms_scope *q, const char *path) {
  rest_name_list get;
  if (rest_name_list_parse(rest_query(req, "get"), &get) < 0) return MHD_NO;
  int reply = MHD_NO;
  metric_store *s = store_of(req, path, &reply);
  ms_list l = {0};
  json_t *arr = NULL;
  if (s && metric_store_get(s, q, &l) == 0 && (arr = json_array())) {
    if (get.n == 0)
      for (size_t i = 0; i < l.n; i++) json_array_append_new(arr, metric_json(l.m[i].id, NULL));
    for (size_t i = 0; i < get.n; i++) {
      const char *v = ms_list_get(&l, get.v[i]);
      if (v) json_array_append_new(arr, metric_json(get.v[i], v));
    }
    reply = rest_reply_json(req, MHD_HTTP_OK, arr);
  } else if (s) {
    reply = rest_reply_json(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
  }
  ms_list_free(&l);
  rest_name_list_free(&get);
  return reply;
}

static int h_jm_metrics(rest_request *req, char **p) {
  (void)p;
  ms_scope q = {.level = MS_JM};
  return collection(req, &q, "/jobmanager/metrics");
}

static int h_tm_metrics(rest_request *req, char **p) {
  ms_scope q = {.level = MS_TM, .tm_id = p[0]};
  return collection(req, &q, "/taskmanagers/:taskmanagerid/metrics");
}

static int h_job_metrics(rest_request *req, char **p) {
  ms_scope q = {.level = MS_JOB, .job_id = p[0]};
  return collection(req, &q, "/jobs/:jobid/metrics");
}

static int h_vertex_metrics(rest_request *req, char **p) {
  ms_scope q = {.level = MS_TASK, .job_id = p[0], .vertex_id = p[1]};
  return collection(req, &q, "/jobs/:jobid/vertices/:vertexid/metrics");
}

static int h_subtask_metrics(rest_request *req, char **p) {
  ms_scope q = {.level = MS_SUBTASK, .job_id = p[0], .vertex_id = p[1], .subtask = atoi(p[2])};
  return collection(req, &q, "/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex/metrics");
}

/* ---- aggregated over components ---- */

/* What selects the components of an aggregation (one of the three is set). */
typedef struct agg_filter {
  const rest_index_ranges *subtasks;
  const rest_name_list *names; /* job or TaskManager ids */
} agg_filter;

static bool selected(const agg_filter *f, const char *component) {
  if (f->subtasks)
    return f->subtasks->n == 0 || rest_index_ranges_has(f->subtasks, atoi(component));
  return f->names->n == 0 || rest_name_list_has(f->names, component);
}

static void put_figure(json_t *o, const char *key, double v) {
  json_object_set_new(o, key, json_real(isfinite(v) ? v : 0.0));
}

/* The aggregated metrics body of the components q (q->level MS_SUBTASK, MS_TM or MS_JOB), as
 * selected by f; NULL when out of memory. */
static json_t *aggregated(metric_store *s, ms_scope q, const agg_filter *f,
                          const rest_name_list *get, unsigned agg) {
  ms_list comps = {0}, *lists = NULL;
  size_t n = 0;
  json_t *arr = json_array();
  bool ok = arr && metric_store_components(s, &q, &comps) == 0;
  if (ok && comps.n && !(lists = sp_calloc(comps.n, sizeof *lists))) ok = false;
  for (size_t i = 0; ok && i < comps.n; i++) {
    if (!selected(f, comps.m[i].id)) continue;
    ms_scope c = q;
    if (q.level == MS_SUBTASK) c.subtask = atoi(comps.m[i].id);
    if (q.level == MS_TM) c.tm_id = comps.m[i].id;
    if (q.level == MS_JOB) c.job_id = comps.m[i].id;
    ok = metric_store_get(s, &c, &lists[n++]) == 0;
  }
  if (ok && get->n == 0) { /* the ids available in any of them */
    ms_list ids = {0};
    for (size_t i = 0; ok && i < n; i++)
      for (size_t k = 0; ok && k < lists[i].n; k++)
        ok = ms_list_put(&ids, lists[i].m[k].id, "") == 0;
    for (size_t k = 0; ok && k < ids.n; k++)
      json_array_append_new(arr, metric_json(ids.m[k].id, NULL));
    ms_list_free(&ids);
  }
  for (size_t g = 0; ok && g < get->n; g++) {
    rest_metric_agg a = {0};
    for (size_t i = 0; ok && i < n; i++)
      ok = rest_metric_agg_add(&a, ms_list_get(&lists[i], get->v[g])) == 0;
    if (ok && a.n > 0 && !a.not_numeric) { /* as Flink: a metric with a text value is left out */
      json_t *o = metric_json(get->v[g], NULL);
      if (agg & REST_AGG_MIN) put_figure(o, "min", rest_metric_agg_min(&a));
      if (agg & REST_AGG_MAX) put_figure(o, "max", rest_metric_agg_max(&a));
      if (agg & REST_AGG_AVG) put_figure(o, "avg", rest_metric_agg_avg(&a));
      if (agg & REST_AGG_SUM) put_figure(o, "sum", rest_metric_agg_sum(&a));
      if (agg & REST_AGG_SKEW) put_figure(o, "skew", rest_metric_agg_skew(&a));
      json_array_append_new(arr, o);
    }
    rest_metric_agg_free(&a);
  }
  for (size_t i = 0; i < n; i++) ms_list_free(&lists[i]);
  sp_free(lists);
  ms_list_free(&comps);
  if (!ok) {
    json_decref(arr);
    return NULL;
  }
  return arr;
}

/* Parses get and agg; replies 400 and returns false on a bad one. */
static bool agg_params(rest_request *req, rest_name_list *get, unsigned *agg, int *reply) {
  char err[SP_ERRMSG_MAX];
  memset(get, 0, sizeof *get);
  if (rest_metric_parse_agg(rest_query(req, "agg"), agg, err, sizeof err) < 0) {
    *reply = bad_request(req, err);
    return false;
  }
  if (rest_name_list_parse(rest_query(req, "get"), get) < 0) return false;
  return true;
}

static int reply_aggregated(rest_request *req, ms_scope q, const agg_filter *f,
                            const rest_name_list *get, unsigned agg, const char *path) {
  int reply = MHD_NO;
  metric_store *s = store_of(req, path, &reply);
  if (!s) return reply;
  return rest_reply_json(req, MHD_HTTP_OK, aggregated(s, q, f, get, agg));
}

static int h_subtasks_aggregated(rest_request *req, char **p) {
  rest_name_list get;
  unsigned agg;
  rest_index_ranges subtasks = {0};
  char err[SP_ERRMSG_MAX];
  int reply = MHD_NO;
  if (!agg_params(req, &get, &agg, &reply)) return reply;
  if (rest_metric_parse_subtasks(rest_query(req, "subtasks"), &subtasks, err, sizeof err) < 0) {
    reply = bad_request(req, err);
  } else {
    ms_scope q = {.level = MS_SUBTASK, .job_id = p[0], .vertex_id = p[1]};
    agg_filter f = {.subtasks = &subtasks};
    reply =
        reply_aggregated(req, q, &f, &get, agg, "/jobs/:jobid/vertices/:vertexid/subtasks/metrics");
  }
  rest_index_ranges_free(&subtasks);
  rest_name_list_free(&get);
  return reply;
}

static int h_tms_aggregated(rest_request *req, char **p) {
  (void)p;
  rest_name_list get, tms = {0};
  unsigned agg;
  int reply = MHD_NO;
  if (!agg_params(req, &get, &agg, &reply)) return reply;
  if (rest_name_list_parse(rest_query(req, "taskmanagers"), &tms) == 0) {
    ms_scope q = {.level = MS_TM};
    agg_filter f = {.names = &tms};
    reply = reply_aggregated(req, q, &f, &get, agg, "/taskmanagers/metrics");
  }
  rest_name_list_free(&tms);
  rest_name_list_free(&get);
  return reply;
}

static int h_jobs_aggregated(rest_request *req, char **p) {
  (void)p;
  rest_name_list get, jobs = {0};
  unsigned agg;
  char err[SP_ERRMSG_MAX];
  int reply = MHD_NO;
  if (!agg_params(req, &get, &agg, &reply)) return reply;
  if (rest_metric_parse_job_ids(rest_query(req, "jobs"), &jobs, err, sizeof err) < 0) {
    reply = bad_request(req, err);
  } else {
    ms_scope q = {.level = MS_JOB};
    agg_filter f = {.names = &jobs};
    reply = reply_aggregated(req, q, &f, &get, agg, "/jobs/metrics");
  }
  rest_name_list_free(&jobs);
  rest_name_list_free(&get);
  return reply;
}

/* ---- watermarks and backpressure ---- */

static int h_watermarks(rest_request *req, char **p) {
  int reply = MHD_NO;
  metric_store *s = store_of(req, "/jobs/:jobid/vertices/:vertexid/watermarks", &reply);
  if (!s) return reply;
  ms_scope q = {.level = MS_TASK, .job_id = p[0], .vertex_id = p[1]};
  ms_scope c = q;
  c.level = MS_SUBTASK;
  ms_list all = {0}, subs = {0};
  json_t *arr = json_array();
  bool ok = arr && metric_store_get(s, &q, &all) == 0 && metric_store_components(s, &c, &subs) == 0;
  for (size_t i = 0; ok && i < subs.n; i++) {
    char id[48];
    snprintf(id, sizeof id, "%s.currentInputWatermark", subs.m[i].id);
    const char *v = ms_list_get(&all, id);
    if (v) json_array_append_new(arr, metric_json(id, v));
  }
  ms_list_free(&all);
  ms_list_free(&subs);
  if (!ok) {
    json_decref(arr);
    arr = NULL;
  }
  return rest_reply_json(req, MHD_HTTP_OK, arr);
}

/* A "...MsPerSecond" metric of a subtask as a ratio of the second (absent: 0). */
static double per_second_ratio(const ms_list *l, const char *name) {
  const char *v = ms_list_get(l, name);
  char *end;
  double d = v && *v ? strtod(v, &end) : 0;
  if (!v || !*v || *end || !isfinite(d)) return 0;
  return d / 1000.0;
}

static const char *level_of(double ratio) {
  return ratio > 0.5 ? "high" : ratio > 0.10 ? "low" : "ok";
}

static int h_backpressure(rest_request *req, char **p) {
  int reply = MHD_NO;
  metric_store *s = store_of(req, "/jobs/:jobid/vertices/:vertexid/backpressure", &reply);
  if (!s) return reply;
  ms_scope q = {.level = MS_SUBTASK, .job_id = p[0], .vertex_id = p[1]};
  ms_list subs = {0};
  json_t *o = json_object(), *arr = json_array();
  bool ok = o && arr && metric_store_components(s, &q, &subs) == 0;
  double max_ratio = 0;
  for (size_t i = 0; ok && i < subs.n; i++) {
    ms_list l = {0};
    q.subtask = atoi(subs.m[i].id);
    ok = metric_store_get(s, &q, &l) == 0;
    double bp = per_second_ratio(&l, "backPressuredTimeMsPerSecond");
    json_t *st = json_object();
    ok = ok && st;
    if (ok) {
      /* attempt-number and other-concurrent-attempts only with concurrent attempts, as Flink
       * (speculative execution; Spate runs one attempt of a subtask at a time) */
      json_object_set_new(st, "subtask", json_integer(q.subtask));
      json_object_set_new(st, "backpressure-level", json_string(level_of(bp)));
      json_object_set_new(st, "ratio", json_real(bp));
      json_object_set_new(st, "idleRatio", json_real(per_second_ratio(&l, "idleTimeMsPerSecond")));
      json_object_set_new(st, "busyRatio", json_real(per_second_ratio(&l, "busyTimeMsPerSecond")));
      json_array_append_new(arr, st);
    }
    if (bp > max_ratio) max_ratio = bp;
    ms_list_free(&l);
  }
  if (ok && subs.n == 0) {
    json_object_set_new(o, "status", json_string("deprecated"));
    json_decref(arr);
  } else if (ok) {
    json_object_set_new(o, "status", json_string("ok"));
    json_object_set_new(o, "backpressure-level", json_string(level_of(max_ratio)));
    json_object_set_new(o, "end-timestamp", json_integer(metric_store_updated(s)));
    json_object_set_new(o, "subtasks", arr);
  } else {
    json_decref(arr);
    json_decref(o);
    o = NULL;
  }
  ms_list_free(&subs);
  return rest_reply_json(req, MHD_HTTP_OK, o);
}

/* ---- the table ---- */

static const rest_route_def routes[] = {
    {"GET", "jobmanager/metrics", h_jm_metrics},
    {"GET", "taskmanagers/metrics", h_tms_aggregated},
    {"GET", "taskmanagers/:taskmanagerid/metrics", h_tm_metrics},
    {"GET", "jobs/metrics", h_jobs_aggregated},
    {"GET", "jobs/:jobid/metrics", h_job_metrics},
    {"GET", "jobs/:jobid/vertices/:vertexid/metrics", h_vertex_metrics},
    {"GET", "jobs/:jobid/vertices/:vertexid/subtasks/metrics", h_subtasks_aggregated},
    {"GET", "jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex/metrics", h_subtask_metrics},
    {"GET", "jobs/:jobid/vertices/:vertexid/watermarks", h_watermarks},
    {"GET", "jobs/:jobid/vertices/:vertexid/backpressure", h_backpressure},
};

const rest_route_table rest_routes_metrics = {routes, sizeof routes / sizeof routes[0]};
