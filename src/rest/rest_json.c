/*
 * rest_json.c: Flink's JSON response bodies of the REST endpoint (rest_json.h). The key names and
 * their mixed styles (kebab-case, camelCase, lower- and upper-case state names) are Flink's, as
 * listed in the reference (flink-operations.md §1).
 */
#include "rest/rest_json.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "rest/rest_json_jobs.h"
#include "rest/rest_operations.h"

#ifndef SPATE_VERSION
#define SPATE_VERSION "0.1.0"
#endif
#ifndef SPATE_REVISION
#define SPATE_REVISION "unknown"
#endif
#ifndef SPATE_BUILD_DATE
#define SPATE_BUILD_DATE ""
#endif

json_t *rest_json_config(int refresh_interval_ms, const rest_dashboard_features *f) {
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  /* Flink: "<commit id> @ <commit date>"; a build that does not know them says "unknown" */
  const char *revision = strcmp(SPATE_REVISION, "unknown") == 0 || !SPATE_BUILD_DATE[0]
                             ? "unknown"
                             : SPATE_REVISION " @ " SPATE_BUILD_DATE;
  return json_pack("{s:i, s:s, s:I, s:s, s:s, s:{s:b, s:b, s:b, s:b}}", "refresh-interval",
                   refresh_interval_ms, "timezone-name", tm.tm_zone ? tm.tm_zone : "UTC",
                   "timezone-offset", (json_int_t)tm.tm_gmtoff * 1000, "flink-version",
                   SPATE_VERSION, "flink-revision", revision, "features", "web-submit",
                   f->web_submit, "web-cancel", f->web_cancel, "web-rescale", f->web_rescale,
                   "web-history", f->web_history);
}

json_t *rest_json_overview(const rest_cluster_overview *o, const rest_job_list *jobs) {
  int running = 0, finished = 0, cancelled = 0, failed = 0;
  for (size_t i = 0; i < jobs->n; i++) {
    switch (jobs->jobs[i].state) {
    case REST_JOB_FINISHED: finished++; break;
    case REST_JOB_CANCELED: cancelled++; break;
    case REST_JOB_FAILED: failed++; break;
    default: running++; break; /* every job not globally terminal */
    }
  }
  return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:s}", "taskmanagers", o->taskmanagers,
                   "slots-total", o->slots_total, "slots-available", o->slots_available,
                   "jobs-running", running, "jobs-finished", finished, "jobs-cancelled", cancelled,
                   "jobs-failed", failed, "flink-version", SPATE_VERSION, "flink-commit",
                   SPATE_REVISION);
}

json_t *rest_json_job_ids(const rest_job_list *jobs) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < jobs->n; i++) {
    json_t *j = json_pack("{s:s, s:s}", "id", jobs->jobs[i].id, "status",
                          rest_job_state_name(jobs->jobs[i].state));
    if (!j || json_array_append_new(arr, j)) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr ? json_pack("{s:o}", "jobs", arr) : NULL;
}

static int64_t duration(int64_t start, int64_t end, int64_t now) {
  if (start <= 0) return -1;
  return (end >= 0 ? end : now) - start;
}

/* {"CREATED": n, ...} (upper) or {"created": n, ..., "total": t} (lower). */
static json_t *task_counts(const int tasks[REST_EXEC_STATES], bool lower) {
  json_t *o = json_object();
  int total = 0;
  for (int s = 0; o && s < REST_EXEC_STATES; s++) {
    char name[32];
    snprintf(name, sizeof name, "%s", rest_exec_state_name((rest_exec_state)s));
    if (lower)
      for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    if (json_object_set_new(o, name, json_integer(tasks[s]))) {
      json_decref(o);
      return NULL;
    }
    total += tasks[s];
  }
  if (o && lower && json_object_set_new(o, "total", json_integer(total))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *job_overview(const rest_job_summary *j, int64_t now) {
  return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o*, s:i}", "jid", j->id, "name", j->name,
                   "state", rest_job_state_name(j->state), "start-time", (json_int_t)j->start_time,
                   "end-time", (json_int_t)j->end_time, "duration",
                   (json_int_t)duration(j->start_time, j->end_time, now), "last-modification",
                   (json_int_t)j->last_modification, "tasks", task_counts(j->tasks, true),
                   "pending-operators", 0);
}

json_t *rest_json_jobs_overview(const rest_job_list *jobs, int64_t now) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < jobs->n; i++) {
    json_t *j = job_overview(&jobs->jobs[i], now);
    if (!j || json_array_append_new(arr, j)) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr ? json_pack("{s:o}", "jobs", arr) : NULL;
}

rest_exec_state rest_vertex_status(const int tasks[REST_EXEC_STATES], int parallelism) {
  if (tasks[REST_EXEC_FAILED] > 0) return REST_EXEC_FAILED;
  if (tasks[REST_EXEC_CANCELING] > 0) return REST_EXEC_CANCELING;
  if (tasks[REST_EXEC_CANCELED] > 0) return REST_EXEC_CANCELED;
  if (tasks[REST_EXEC_INITIALIZING] > 0) return REST_EXEC_INITIALIZING;
  if (tasks[REST_EXEC_RUNNING] > 0) return REST_EXEC_RUNNING;
  if (tasks[REST_EXEC_FINISHED] > 0)
    return tasks[REST_EXEC_FINISHED] == parallelism ? REST_EXEC_FINISHED : REST_EXEC_RUNNING;
  return REST_EXEC_CREATED; /* SCHEDULED and DEPLOYING too: Flink's "all else collapses under
                               created" */
}

static json_t *vertex_json(const rest_vertex_info *v, int64_t now) {
  return json_pack("{s:s, s:s, s:i, s:i, s:s, s:I, s:I, s:I, s:o*, s:o*}", "id", v->id, "name",
                   v->name, "parallelism", v->parallelism, "maxParallelism",
                   v->max_parallelism > 0 ? v->max_parallelism : -1, "status",
                   rest_exec_state_name(rest_vertex_status(v->tasks, v->parallelism)), "start-time",
                   (json_int_t)v->start_time, "end-time", (json_int_t)v->end_time, "duration",
                   (json_int_t)duration(v->start_time, v->end_time, now), "tasks",
                   task_counts(v->tasks, false), "metrics", rest_json_io_metrics(&v->metrics));
}

json_t *rest_json_job_details(const rest_job_details *d, int64_t now) {
  const rest_job_summary *j = &d->job;
  json_t *vertices = json_array(), *timestamps = json_object(), *plan = NULL;
  int status_counts[REST_EXEC_STATES] = {0};
  bool ok = vertices && timestamps;
  for (size_t i = 0; ok && i < d->n_vertices; i++) {
    status_counts[rest_vertex_status(d->vertices[i].tasks, d->vertices[i].parallelism)]++;
    json_t *v = vertex_json(&d->vertices[i], now);
    ok = v && json_array_append_new(vertices, v) == 0;
  }
  for (int s = 0; ok && s < REST_JOB_STATES; s++)
    ok = json_object_set_new(timestamps, rest_job_state_name((rest_job_state)s),
                             json_integer(d->timestamps[s])) == 0;
  if (ok && d->plan_json) plan = json_loads(d->plan_json, 0, NULL);
  if (ok && !plan) plan = json_pack("{s:s, s:s, s:[]}", "jid", j->id, "name", j->name, "nodes");
  if (!ok || !plan) {
    json_decref(vertices);
    json_decref(timestamps);
    json_decref(plan);
    return NULL;
  }
  return json_pack("{s:s, s:s, s:b, s:s, s:s, s:I, s:I, s:I, s:i, s:I, s:o, s:o, s:o*, s:o}", "jid",
                   j->id, "name", j->name, "isStoppable", d->stoppable, "state",
                   rest_job_state_name(j->state), "job-type", "STREAMING", "start-time",
                   (json_int_t)j->start_time, "end-time", (json_int_t)j->end_time, "duration",
                   (json_int_t)duration(j->start_time, j->end_time, now), "maxParallelism", -1,
                   "now", (json_int_t)now, "timestamps", timestamps, "vertices", vertices,
                   "status-counts", task_counts(status_counts, false), "plan", plan);
}

json_t *rest_json_execution_result(const char *job_id, const rest_job_result *r) {
  if (!r->done) return json_pack("{s:{s:s}}", "status", "id", "IN_PROGRESS");
  const char *app = r->state == REST_JOB_FINISHED   ? "SUCCEEDED"
                    : r->state == REST_JOB_FAILED   ? "FAILED"
                    : r->state == REST_JOB_CANCELED ? "CANCELED"
                                                    : "UNKNOWN";
  json_t *acc = r->accumulators_json ? json_loads(r->accumulators_json, 0, NULL) : NULL;
  if (acc && !json_is_object(acc)) {
    json_decref(acc);
    acc = NULL;
  }
  if (!acc) acc = json_object();
  json_t *res = json_pack("{s:s, s:s, s:o*, s:I}", "id", job_id, "application-status", app,
                          "accumulator-results", acc, "net-runtime", (json_int_t)r->net_runtime);
  if (res && r->failure) {
    json_t *cause = rest_failure_cause(r->failure);
    if (!cause || json_object_set_new(res, "failure-cause", cause)) {
      json_decref(res);
      return NULL;
    }
  }
  return res ? json_pack("{s:{s:s}, s:o}", "status", "id", "COMPLETED", "job-execution-result", res)
             : NULL;
}

/* ResourceProfileInfo: cpu cores and memory in MB. */
json_t *rest_json_resource(double cpu, int64_t managed, int64_t network) {
  return json_pack("{s:f, s:I, s:I, s:I, s:I, s:{}}", "cpuCores", cpu, "taskHeapMemory",
                   (json_int_t)0, "taskOffHeapMemory", (json_int_t)0, "managedMemory",
                   (json_int_t)(managed >> 20), "networkMemory", (json_int_t)(network >> 20),
                   "extendedResources");
}

json_t *rest_json_taskmanager(const rest_taskmanager_info *t) {
  double share = t->slots > 0 ? (double)t->free_slots / t->slots : 0;
  return json_pack(
      "{s:s, s:s, s:i, s:i, s:I, s:i, s:i, s:o*, s:o*, s:{s:i, s:I, s:I, s:I},"
      " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:b}",
      "id", t->id, "path", t->path, "dataPort", t->data_port, "jmxPort", t->jmx_port,
      "timeSinceLastHeartbeat", (json_int_t)t->last_heartbeat, "slotsNumber", t->slots, "freeSlots",
      t->free_slots, "totalResource",
      rest_json_resource(t->cpu_cores, t->managed_memory, t->network_memory), "freeResource",
      rest_json_resource(t->cpu_cores * share, (int64_t)(t->managed_memory * share),
                         (int64_t)(t->network_memory * share)),
      "hardware", "cpuCores", t->cpu_cores, "physicalMemory", (json_int_t)t->physical_memory,
      "freeMemory", (json_int_t)t->free_memory, "managedMemory", (json_int_t)t->managed_memory,
      "memoryConfiguration", "frameworkHeap", (json_int_t)0, "taskHeap", (json_int_t)0,
      "frameworkOffHeap", (json_int_t)0, "taskOffHeap", (json_int_t)0, "networkMemory",
      (json_int_t)t->network_memory, "managedMemory", (json_int_t)t->managed_memory, "jvmMetaspace",
      (json_int_t)0, "jvmOverhead", (json_int_t)0, "totalFlinkMemory",
      (json_int_t)(t->network_memory + t->managed_memory), "totalProcessMemory",
      (json_int_t)(t->network_memory + t->managed_memory), "blocked", 0);
}

json_t *rest_json_taskmanagers(const rest_taskmanager_list *l) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < l->n; i++) {
    json_t *t = rest_json_taskmanager(&l->tms[i]);
    if (!t || json_array_append_new(arr, t)) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr ? json_pack("{s:o}", "taskmanagers", arr) : NULL;
}

json_t *rest_json_errors(const char *message) { return json_pack("{s:[s]}", "errors", message); }
