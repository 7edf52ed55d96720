/*
 * rest_json_jobs.c: Flink's JSON bodies of the job, vertex and subtask routes (rest_json_jobs.h):
 * IOMetricsInfo, SubtaskExecutionAttemptDetailsInfo, JobVertexDetailsInfo, SubtasksTimesInfo,
 * JobVertexTaskManagersInfo (both with AggregatedTaskDetailsInfo), JobConfigInfo,
 * JobExceptionsInfoWithHistory and the accumulator bodies, with Flink's key names (reference
 * flink-operations.md §1.2, §1.3, and what the web dashboard reads) and the rules its handlers
 * derive times and durations by.
 */
#include "rest/rest_json_jobs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "rest/rest_json.h"

#define UNASSIGNED "(unassigned)"

json_t *rest_json_io_metrics(const rest_io_metrics *m) {
  return json_pack("{s:I, s:b, s:I, s:b, s:I, s:b, s:I, s:b, s:I, s:I, s:f}", "read-bytes",
                   (json_int_t)m->read_bytes, "read-bytes-complete", m->read_bytes_complete,
                   "write-bytes", (json_int_t)m->write_bytes, "write-bytes-complete",
                   m->write_bytes_complete, "read-records", (json_int_t)m->read_records,
                   "read-records-complete", m->read_records_complete, "write-records",
                   (json_int_t)m->write_records, "write-records-complete",
                   m->write_records_complete, "accumulated-backpressured-time",
                   (json_int_t)m->backpressured_ms, "accumulated-idle-time", (json_int_t)m->idle_ms,
                   "accumulated-busy-time", isfinite(m->busy_ms) ? m->busy_ms : 0.0);
}

json_t *rest_json_plan(const rest_job_details *d) {
  json_t *plan = d->plan_json ? json_loads(d->plan_json, 0, NULL) : NULL;
  if (!plan)
    plan = json_pack("{s:s, s:s, s:s, s:[]}", "jid", d->job.id, "name",
                     d->job.name ? d->job.name : "", "type", "STREAMING", "nodes");
  return plan;
}

/* ---- attempts ---------------------------------------------------------------------------- */

/* Epoch ms a entered s, 0 if never. */
static int64_t ts(const rest_attempt_info *a, rest_exec_state s) { return a->timestamps[s]; }

static bool terminal(rest_exec_state s) {
  return s == REST_EXEC_FINISHED || s == REST_EXEC_CANCELED || s == REST_EXEC_FAILED;
}

/* Flink's start-time: when it started deploying, -1 if it has not. */
static int64_t start_time(const rest_attempt_info *a) {
  return ts(a, REST_EXEC_DEPLOYING) > 0 ? ts(a, REST_EXEC_DEPLOYING) : -1;
}

/* Flink's end-time: when it reached its terminal state, -1 while it has not. */
static int64_t end_time(const rest_attempt_info *a) {
  return terminal(a->state) && ts(a, a->state) > 0 ? ts(a, a->state) : -1;
}

static int64_t run_duration(int64_t start, int64_t end, int64_t now) {
  return start > 0 ? (end > 0 ? end : now) - start : -1;
}

/* The lifecycle order Flink's StatusDurationUtils measures states in; a state ends when a later
 * one begins. */
static const rest_exec_state lifecycle[] = {REST_EXEC_CREATED, REST_EXEC_SCHEDULED,
                                            REST_EXEC_DEPLOYING, REST_EXEC_INITIALIZING,
                                            REST_EXEC_RUNNING};

/* When a left state lifecycle[i]: the first later state it entered (the terminal ones and
 * CANCELING after RUNNING), 0 if it has not left it. */
static int64_t state_end(const rest_attempt_info *a, size_t i) {
  size_t n = sizeof lifecycle / sizeof lifecycle[0];
  for (size_t k = i + 1; k < n; k++)
    if (ts(a, lifecycle[k]) > 0) return ts(a, lifecycle[k]);
  static const rest_exec_state after[] = {REST_EXEC_FINISHED, REST_EXEC_CANCELING,
                                          REST_EXEC_CANCELED, REST_EXEC_FAILED};
  int64_t first = 0;
  for (size_t k = 0; k < sizeof after / sizeof after[0]; k++)
    if (ts(a, after[k]) > 0 && (first == 0 || ts(a, after[k]) < first)) first = ts(a, after[k]);
  return first;
}

/* status-duration: {CREATED, SCHEDULED, DEPLOYING, INITIALIZING, RUNNING -> ms}, -1 for a state
 * never entered (or entered and left with no time recorded), as StatusDurationUtils. */
static int64_t state_duration(const rest_attempt_info *a, size_t i, int64_t now) {
  int64_t start = ts(a, lifecycle[i]);
  int64_t end = a->state == lifecycle[i] ? now : state_end(a, i);
  return start == 0 || end == 0 ? -1 : end - start;
}

static json_t *status_duration(const rest_attempt_info *a, int64_t now) {
  json_t *o = json_object();
  for (size_t i = 0; o && i < sizeof lifecycle / sizeof lifecycle[0]; i++) {
    if (json_object_set_new(o, rest_exec_state_name(lifecycle[i]),
                            json_integer(state_duration(a, i, now)))) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

json_t *rest_json_attempt(const rest_attempt_info *a, int subtask, int64_t now) {
  int64_t start = start_time(a), end = end_time(a);
  const char *endpoint = a->endpoint ? a->endpoint : UNASSIGNED;
  return json_pack(
      "{s:i, s:s, s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:o*, s:s, s:o*, s:[]}", "subtask", subtask,
      "status", rest_exec_state_name(a->state), "attempt", a->attempt, "host", endpoint, "endpoint",
      endpoint, "start-time", (json_int_t)start, "start_time", (json_int_t)start, "end-time",
      (json_int_t)end, "duration", (json_int_t)run_duration(start, end, now), "metrics",
      rest_json_io_metrics(&a->metrics), "taskmanager-id", a->tm_id ? a->tm_id : UNASSIGNED,
      "status-duration", status_duration(a, now), "other-concurrent-attempts");
}

/* ---- aggregated figures (Flink's AggregatedTaskDetailsInfo) -------------------------------- */

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The p-th percentile (0 < p <= 100) of sorted v[n] (n > 0) as Flink computes it (commons-math
 * Percentile, its default estimation: position p(n+1)/100, interpolated between neighbours). */
static int64_t percentile(const int64_t *v, size_t n, double p) {
  double pos = p * (double)(n + 1) / 100.0;
  if (pos < 1) return v[0];
  if (pos >= (double)n) return v[n - 1];
  size_t lo = (size_t)pos;
  return (int64_t)((double)v[lo - 1] + (pos - (double)lo) * (double)(v[lo] - v[lo - 1]));
}

/* {min, max, avg, sum, median, p25, p75, p95} of v[n] (sorted in place); all 0 for none. */
static json_t *stats(int64_t *v, size_t n) {
  int64_t sum = 0;
  for (size_t i = 0; i < n; i++) sum += v[i];
  if (n) qsort(v, n, sizeof *v, cmp_i64);
  return json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "min", (json_int_t)(n ? v[0] : 0), "max",
      (json_int_t)(n ? v[n - 1] : 0), "avg", (json_int_t)(n ? sum / (int64_t)n : 0), "sum",
      (json_int_t)sum, "median", (json_int_t)(n ? percentile(v, n, 50) : 0), "p25",
      (json_int_t)(n ? percentile(v, n, 25) : 0), "p75", (json_int_t)(n ? percentile(v, n, 75) : 0),
      "p95", (json_int_t)(n ? percentile(v, n, 95) : 0));
}

/* IO figure k of m, in AggregatedTaskDetailsInfo's order of metrics. */
static int64_t io_figure(const rest_io_metrics *m, int k) {
  switch (k) {
  case 0: return m->read_bytes;
  case 1: return m->write_bytes;
  case 2: return m->read_records;
  case 3: return m->write_records;
  case 4: return m->backpressured_ms;
  case 5: return isfinite(m->busy_ms) ? (int64_t)m->busy_ms : 0;
  default: return m->idle_ms;
  }
}

/* "aggregated": {metrics: {name: stats}, status-duration: {state: stats}} over attempts a[n]. */
static json_t *aggregated(const rest_attempt_info *const *a, size_t n, int64_t now) {
  static const char *const names[] = {"read-bytes",
                                      "write-bytes",
                                      "read-records",
                                      "write-records",
                                      "accumulated-backpressured-time",
                                      "accumulated-busy-time",
                                      "accumulated-idle-time"};
  int64_t *v = sp_calloc(n + 1, sizeof *v);
  json_t *metrics = json_object(), *durations = json_object();
  bool ok = v && metrics && durations;
  for (int k = 0; ok && k < 7; k++) {
    for (size_t i = 0; i < n; i++) v[i] = io_figure(&a[i]->metrics, k);
    json_t *st = stats(v, n);
    ok = st && json_object_set_new(metrics, names[k], st) == 0;
  }
  for (size_t s = 0; ok && s < sizeof lifecycle / sizeof lifecycle[0]; s++) {
    for (size_t i = 0; i < n; i++) v[i] = state_duration(a[i], s, now);
    json_t *st = stats(v, n);
    ok = st && json_object_set_new(durations, rest_exec_state_name(lifecycle[s]), st) == 0;
  }
  sp_free(v);
  if (!ok) {
    json_decref(metrics);
    json_decref(durations);
    return NULL;
  }
  return json_pack("{s:o, s:o}", "metrics", metrics, "status-duration", durations);
}

/* ---- vertices ---------------------------------------------------------------------------- */

/* Appends o (consumed) to arr; false (arr freed) if o is NULL or cannot be appended. */
static bool append(json_t *arr, json_t *o) {
  if (o && json_array_append_new(arr, o) == 0) return true;
  json_decref(arr);
  return false;
}

json_t *rest_json_vertex_details(const rest_vertex_details *d, int64_t now) {
  json_t *subtasks = json_array();
  const rest_attempt_info **all = sp_calloc(d->n_subtasks + 1, sizeof *all);
  for (size_t i = 0; subtasks && all && i < d->n_subtasks; i++) {
    all[i] = &d->subtasks[i].current;
    if (!append(subtasks, rest_json_attempt(all[i], (int)i, now))) subtasks = NULL;
  }
  json_t *agg = subtasks && all ? aggregated(all, d->n_subtasks, now) : NULL;
  sp_free(all);
  const rest_vertex_info *v = &d->vertex;
  if (!agg) {
    json_decref(subtasks);
    return NULL;
  }
  return json_pack("{s:s, s:s, s:i, s:i, s:I, s:o, s:o}", "id", v->id, "name", v->name,
                   "parallelism", v->parallelism, "maxParallelism",
                   v->max_parallelism > 0 ? v->max_parallelism : -1, "now", (json_int_t)now,
                   "subtasks", subtasks, "aggregated", agg);
}

json_t *rest_json_subtask_times(const rest_vertex_details *d, int64_t now) {
  json_t *subtasks = json_array();
  for (size_t i = 0; subtasks && i < d->n_subtasks; i++) {
    const rest_attempt_info *a = &d->subtasks[i].current;
    json_t *stamps = json_object();
    for (int s = 0; stamps && s < REST_EXEC_STATES; s++)
      if (json_object_set_new(stamps, rest_exec_state_name((rest_exec_state)s),
                              json_integer(a->timestamps[s]))) {
        json_decref(stamps);
        stamps = NULL;
      }
    /* Flink: from CREATED to the terminal state's time, or to now */
    int64_t start = ts(a, REST_EXEC_CREATED), end = end_time(a);
    const char *endpoint = a->endpoint ? a->endpoint : UNASSIGNED;
    json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:o*}", "subtask", (int)i, "host", endpoint,
                          "endpoint", endpoint, "duration",
                          (json_int_t)(start > 0 ? (end > 0 ? end : now) - start : -1),
                          "timestamps", stamps);
    if (!append(subtasks, o)) return NULL;
  }
  return subtasks ? json_pack("{s:s, s:s, s:I, s:o}", "id", d->vertex.id, "name", d->vertex.name,
                              "now", (json_int_t)now, "subtasks", subtasks)
                  : NULL;
}

static void add_metrics(rest_io_metrics *sum, const rest_io_metrics *m, bool first) {
  sum->read_bytes += m->read_bytes;
  sum->write_bytes += m->write_bytes;
  sum->read_records += m->read_records;
  sum->write_records += m->write_records;
  sum->backpressured_ms += m->backpressured_ms;
  sum->idle_ms += m->idle_ms;
  sum->busy_ms += isfinite(m->busy_ms) ? m->busy_ms : 0;
  sum->read_bytes_complete = (first || sum->read_bytes_complete) && m->read_bytes_complete;
  sum->write_bytes_complete = (first || sum->write_bytes_complete) && m->write_bytes_complete;
  sum->read_records_complete = (first || sum->read_records_complete) && m->read_records_complete;
  sum->write_records_complete = (first || sum->write_records_complete) && m->write_records_complete;
}

/* The subtasks of d on the TaskManager of subtask `first` (the first on it), as one entry. */
static json_t *taskmanager_entry(const rest_vertex_details *d, size_t first, int64_t now) {
  const rest_attempt_info *f = &d->subtasks[first].current;
  int counts[REST_EXEC_STATES] = {0}, n = 0;
  int64_t start = -1, end = -1;
  bool all_terminal = true;
  rest_io_metrics sum = {0};
  const rest_attempt_info **on = sp_calloc(d->n_subtasks + 1, sizeof *on);
  if (!on) return NULL;
  for (size_t i = first; i < d->n_subtasks; i++) {
    const rest_attempt_info *a = &d->subtasks[i].current;
    bool same = (a->tm_id && f->tm_id) ? strcmp(a->tm_id, f->tm_id) == 0 : !a->tm_id && !f->tm_id;
    if (!same) continue;
    on[n] = a;
    counts[a->state]++;
    add_metrics(&sum, &a->metrics, n++ == 0);
    int64_t s = start_time(a), e = end_time(a);
    if (s > 0 && (start < 0 || s < start)) start = s;
    if (e < 0) all_terminal = false;
    if (e > end) end = e;
  }
  if (!all_terminal) end = -1;
  const char *endpoint = f->endpoint ? f->endpoint : UNASSIGNED;
  json_t *status_counts = json_object();
  for (int s = 0; status_counts && s < REST_EXEC_STATES; s++)
    if (json_object_set_new(status_counts, rest_exec_state_name((rest_exec_state)s),
                            json_integer(counts[s]))) {
      json_decref(status_counts);
      status_counts = NULL;
    }
  json_t *agg = aggregated(on, (size_t)n, now);
  sp_free(on);
  return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o*, s:o*, s:s, s:o*}", "host", endpoint,
                   "endpoint", endpoint, "status",
                   rest_exec_state_name(rest_vertex_status(counts, n)), "start-time",
                   (json_int_t)start, "end-time", (json_int_t)end, "duration",
                   (json_int_t)run_duration(start, end, now), "metrics", rest_json_io_metrics(&sum),
                   "status-counts", status_counts, "taskmanager-id",
                   f->tm_id ? f->tm_id : UNASSIGNED, "aggregated", agg);
}

json_t *rest_json_vertex_taskmanagers(const rest_vertex_details *d, int64_t now) {
  json_t *tms = json_array();
  for (size_t i = 0; tms && i < d->n_subtasks; i++) {
    const char *tm = d->subtasks[i].current.tm_id;
    bool seen = false;
    for (size_t k = 0; k < i && !seen; k++) {
      const char *o = d->subtasks[k].current.tm_id;
      seen = (tm && o) ? strcmp(tm, o) == 0 : !tm && !o;
    }
    if (!seen && !append(tms, taskmanager_entry(d, i, now))) return NULL;
  }
  return tms ? json_pack("{s:s, s:s, s:I, s:o}", "id", d->vertex.id, "name", d->vertex.name, "now",
                         (json_int_t)now, "taskmanagers", tms)
             : NULL;
}

/* ---- job configuration, exceptions, accumulators ------------------------------------------ */

json_t *rest_json_job_config(const char *job_id, const rest_job_config *c) {
  json_t *user = json_object();
  for (size_t i = 0; user && i < c->n; i++)
    if (json_object_set_new(user, c->user_config[i].key, json_string(c->user_config[i].value))) {
      json_decref(user);
      user = NULL;
    }
  return json_pack(
      "{s:s, s:s, s:{s:s, s:s, s:i, s:b, s:o*}}", "jid", job_id, "name", c->name ? c->name : "",
      "execution-config", "execution-mode", "PIPELINED", "restart-strategy",
      c->restart_strategy ? c->restart_strategy : "Cluster level default restart strategy",
      "job-parallelism", c->parallelism, "object-reuse-mode", c->object_reuse, "user-config", user);
}

/* ExceptionInfo (concurrent) or RootExceptionInfo (root: with concurrentExceptions). */
static json_t *exception_info(const rest_exception *e, bool root) {
  json_t *o = json_pack("{s:s, s:s, s:I, s:s*, s:s*, s:s*, s:s*, s:{}}", "exceptionName", e->name,
                        "stacktrace", e->stacktrace, "timestamp", (json_int_t)e->timestamp,
                        "taskName", e->task, "location", e->endpoint, "endpoint", e->endpoint,
                        "taskManagerId", e->tm_id, "failureLabels");
  if (!o || !root) return o;
  json_t *conc = json_array();
  for (size_t i = 0; conc && i < e->n_concurrent; i++)
    if (!append(conc, exception_info(&e->concurrent[i], false))) conc = NULL;
  if (!conc || json_object_set_new(o, "concurrentExceptions", conc)) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* The legacy all-exceptions entry of a task failure. */
static json_t *legacy_exception(const rest_exception *e) {
  const char *endpoint = e->endpoint ? e->endpoint : UNASSIGNED;
  return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "exception", e->stacktrace, "task", e->task,
                   "location", endpoint, "endpoint", endpoint, "timestamp",
                   (json_int_t)e->timestamp, "taskManagerId", e->tm_id ? e->tm_id : UNASSIGNED);
}

json_t *rest_json_exceptions(const rest_exception_history *h, int max_exceptions) {
  size_t max = max_exceptions < 0 ? 0 : (size_t)max_exceptions;
  json_t *entries = json_array(), *all = json_array();
  bool truncated = h->truncated || h->n > max;
  size_t nall = 0;
  for (size_t i = 0; entries && all && i < h->n && i < max; i++) {
    const rest_exception *e = &h->entries[i];
    if (!append(entries, exception_info(e, true))) entries = NULL;
    for (size_t k = 0; all && k <= e->n_concurrent; k++) {
      const rest_exception *t = k == 0 ? e : &e->concurrent[k - 1];
      if (!t->task) continue;
      if (nall++ >= max) {
        truncated = true;
        continue;
      }
      if (!append(all, legacy_exception(t))) all = NULL;
    }
  }
  if (!entries || !all) {
    json_decref(entries);
    json_decref(all);
    return NULL;
  }
  const rest_exception *latest = h->n ? &h->entries[0] : NULL;
  return json_pack("{s:o, s:o, s:o, s:b, s:{s:o, s:b}}", "root-exception",
                   latest ? json_string(latest->stacktrace) : json_null(), "timestamp",
                   latest ? json_integer(latest->timestamp) : json_null(), "all-exceptions", all,
                   "truncated", truncated, "exceptionHistory", "entries", entries, "truncated",
                   truncated);
}

json_t *rest_json_accumulator_array(const rest_accumulator_list *l) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < l->n; i++)
    if (!append(arr, json_pack("{s:s, s:s, s:s}", "name", l->items[i].name, "type",
                               l->items[i].type, "value", l->items[i].value)))
      return NULL;
  return arr;
}

json_t *rest_json_job_accumulators(const rest_accumulator_list *l) {
  return json_pack("{s:[], s:o*, s:{}}", "job-accumulators", "user-task-accumulators",
                   rest_json_accumulator_array(l), "serialized-user-task-accumulators");
}
