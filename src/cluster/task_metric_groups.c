/*
 * task_metric_groups.c: a subtask's task and operator metric groups (task_metric_groups.h).
 * Every callback reads the task's cells through runtime/task_metrics.h; none is on the record
 * path.
 */
#include "cluster/task_metric_groups.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "runtime/task_metrics.h"

/* What an operator's callbacks read: the task and the operator's place in the chain; and how
 * many of its user metrics are registered (its group's sync function adds the others). */
typedef struct user_ref user_ref;
typedef struct op_ref {
  task *t;
  int index;
  int nuser;
  user_ref *users; /* what the user metrics' callbacks read, newest first */
} op_ref;

/* One user metric: operator index's metric m. */
struct user_ref {
  user_ref *next;
  task *t;
  int index, m;
};

struct task_metric_groups {
  metric_group *job, *task;
  int nops;
  metric_group **ops;
  op_ref *refs;
  task *t;
};

/* Flink reports "no watermark yet" as Long.MIN_VALUE. */
static task_metrics_view read_task(void *arg) {
  task_metrics_view v;
  task_metrics_read(arg, &v);
  return v;
}
static int64_t t_records_in(void *a) { return (int64_t)read_task(a).records_in; }
static int64_t t_records_out(void *a) { return (int64_t)read_task(a).records_out; }
static int64_t t_bytes_in(void *a) { return (int64_t)read_task(a).bytes_in; }
static int64_t t_bytes_out(void *a) { return (int64_t)read_task(a).bytes_out; }
static int64_t t_busy(void *a) { return (int64_t)read_task(a).busy_ns; }
static int64_t t_idle(void *a) { return (int64_t)read_task(a).idle_ns; }
static int64_t t_bp(void *a) { return (int64_t)read_task(a).backpressured_ns; }
static int64_t t_input_wm(void *a) { return read_task(a).input_watermark; }

static task_op_metrics read_op(void *arg) {
  op_ref *r = arg;
  task_op_metrics m;
  task_metrics_read_operator(r->t, r->index, &m);
  return m;
}
static int64_t o_records_in(void *a) { return (int64_t)read_op(a).records_in; }
static int64_t o_records_out(void *a) { return (int64_t)read_op(a).records_out; }
static int64_t o_late(void *a) { return (int64_t)read_op(a).late_records_dropped; }
static int64_t o_input_wm(void *a) { return read_op(a).input_watermark; }
static int64_t o_output_wm(void *a) { return read_op(a).output_watermark; }

static task_user_metric read_user(void *arg) {
  user_ref *u = arg;
  task_user_metric m;
  if (task_metrics_read_user(u->t, u->index, u->m, &m) < 0) memset(&m, 0, sizeof m);
  return m;
}
static int64_t u_count(void *a) { return read_user(a).count; }
static double u_value(void *a) { return read_user(a).value; }
static void u_hist(void *a, metric_histogram_stats *out) {
  task_user_metric m = read_user(a);
  const user_histogram_stats *h = &m.hist; /* quantiles at 0.5 0.75 0.9 0.95 0.98 0.99 0.999 */
  *out = (metric_histogram_stats){.count = (int64_t)h->count,
                                  .min = (double)h->min,
                                  .max = (double)h->max,
                                  .mean = h->mean,
                                  .stddev = h->stddev,
                                  .p50 = h->quantiles[0],
                                  .p75 = h->quantiles[1],
                                  .p90 = h->quantiles[2],
                                  .p95 = h->quantiles[3],
                                  .p98 = h->quantiles[4],
                                  .p99 = h->quantiles[5],
                                  .p999 = h->quantiles[6]};
}

/* The operator group's sync function: registers the user metrics its functions added since
 * (under the registry's lock; their number only grows). A name the group has already (a
 * built-in metric's) is skipped with the registry's warning, as Flink does. */
static void sync_user_metrics(void *arg, metric_group *g) {
  op_ref *r = arg;
  int n = task_metrics_user_count(r->t, r->index);
  for (; r->nuser < n; r->nuser++) {
    task_user_metric m;
    user_ref *u = sp_calloc(1, sizeof *u);
    if (!u || task_metrics_read_user(r->t, r->index, r->nuser, &m) < 0) {
      sp_free(u);
      return; /* out of memory: tried again at the next read */
    }
    *u = (user_ref){.next = r->users, .t = r->t, .index = r->index, .m = r->nuser};
    r->users = u;
    switch (m.kind) {
    case USER_COUNTER: metric_counter_fn(g, m.name, u_count, u); break;
    case USER_GAUGE: metric_gauge_double(g, m.name, u_value, u); break;
    case USER_METER: metric_meter(g, m.name, u_count, u); break;
    case USER_HISTOGRAM: metric_histogram(g, m.name, u_hist, u); break;
    }
  }
}

/* The execution attempt's id as 32 hex digits (Flink's ExecutionAttemptID names one attempt of
 * one subtask): derived from the job, the vertex, the subtask and the attempt. */
static void attempt_id(const job_graph *jg, const char *vertex_id, int subtask, int attempt,
                       char out[33]) {
  char key[128];
  int n = snprintf(key, sizeof key, "%s/%s/%d/%d", jg->job_id, vertex_id, subtask, attempt);
  sp_hex_id(key, (size_t)n, 0, out);
}

static int add_task_metrics(metric_group *g, task *t) {
  int rc = metric_counter_fn(g, "numRecordsIn", t_records_in, t);
  if (rc == 0) rc = metric_counter_fn(g, "numRecordsOut", t_records_out, t);
  if (rc == 0) rc = metric_counter_fn(g, "numBytesIn", t_bytes_in, t);
  if (rc == 0) rc = metric_counter_fn(g, "numBytesOut", t_bytes_out, t);
  if (rc == 0) rc = metric_meter(g, "numRecordsInPerSecond", t_records_in, t);
  if (rc == 0) rc = metric_meter(g, "numRecordsOutPerSecond", t_records_out, t);
  if (rc == 0) rc = metric_meter(g, "numBytesInPerSecond", t_bytes_in, t);
  if (rc == 0) rc = metric_meter(g, "numBytesOutPerSecond", t_bytes_out, t);
  if (rc == 0) rc = metric_time_per_second(g, "busyTimeMsPerSecond", t_busy, t);
  if (rc == 0) rc = metric_time_per_second(g, "idleTimeMsPerSecond", t_idle, t);
  if (rc == 0) rc = metric_time_per_second(g, "backPressuredTimeMsPerSecond", t_bp, t);
  if (rc == 0) rc = metric_gauge_long(g, "currentInputWatermark", t_input_wm, t);
  return rc;
}

static int add_operator_metrics(metric_group *g, op_ref *r) {
  int rc = metric_counter_fn(g, "numRecordsIn", o_records_in, r);
  if (rc == 0) rc = metric_counter_fn(g, "numRecordsOut", o_records_out, r);
  if (rc == 0) rc = metric_meter(g, "numRecordsInPerSecond", o_records_in, r);
  if (rc == 0) rc = metric_meter(g, "numRecordsOutPerSecond", o_records_out, r);
  if (rc == 0) rc = metric_gauge_long(g, "currentInputWatermark", o_input_wm, r);
  if (rc == 0) rc = metric_gauge_long(g, "currentOutputWatermark", o_output_wm, r);
  if (rc == 0) rc = metric_counter_fn(g, "numLateRecordsDropped", o_late, r);
  return rc;
}

task_metric_groups *task_metric_groups_add(metric_group *tm, const job_graph *jg, int vertex,
                                           int subtask, int attempt, task *t) {
  if (!tm) return NULL;
  task_metric_groups *m = sp_calloc(1, sizeof *m);
  if (!m) return NULL;
  m->t = t;
  const jg_vertex *v = &jg->vertices[vertex];
  char vid[33], aid[33];
  jobgraph_vertex_id(jg, vertex, vid);
  attempt_id(jg, vid, subtask, attempt, aid);
  m->job = metric_group_job(tm, jg->job_id, jg->job_name ? jg->job_name : "");
  m->task = metric_group_task(m->job, vid, v->name, aid, attempt, subtask);
  int rc = m->task ? add_task_metrics(m->task, t) : SPATE_ENOMEM;
  int nops = task_metrics_operators(t);
  if (rc == 0 && nops > 0) {
    m->ops = sp_calloc((size_t)nops, sizeof *m->ops);
    m->refs = sp_calloc((size_t)nops, sizeof *m->refs);
    if (!m->ops || !m->refs) rc = SPATE_ENOMEM;
  }
  for (int i = 0; rc == 0 && i < nops; i++) {
    int node = task_metrics_operator_node(t, i);
    char oid[33];
    jobgraph_operator_id(jg, node, oid);
    m->refs[i] = (op_ref){.t = t, .index = i};
    m->ops[i] = metric_group_operator(m->task, oid, jg->nodes[node].name);
    m->nops = i + 1;
    rc = m->ops[i] ? add_operator_metrics(m->ops[i], &m->refs[i]) : SPATE_ENOMEM;
    if (rc == 0) metric_group_set_sync(m->ops[i], sync_user_metrics, &m->refs[i]);
  }
  if (rc < 0) {
    task_metric_groups_remove(m);
    return NULL;
  }
  return m;
}

void task_metric_groups_remove(task_metric_groups *m) {
  if (!m) return;
  for (int i = 0; i < m->nops; i++) metric_group_release(m->ops[i]);
  metric_group_release(m->task);
  metric_group_release(m->job);
  for (int i = 0; m->refs && i < m->nops; i++)
    while (m->refs[i].users) {
      user_ref *u = m->refs[i].users;
      m->refs[i].users = u->next;
      sp_free(u);
    }
  sp_free(m->ops);
  sp_free(m->refs);
  sp_free(m);
}
