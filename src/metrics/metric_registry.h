/*
 * metric_registry.h: the metrics of one process (Flink's MetricRegistry and metric groups): the
 * JobManager's and TaskManager's groups, a job's group under either, a subtask's group under a
 * TaskManager's job group, an operator's group under its subtask's. Each group carries Flink's
 * scope variables (<host>, <tm_id>, <job_id>, <job_name>, <task_id>, <task_name>,
 * <task_attempt_id>, <task_attempt_num>, <subtask_index>, <operator_id>, <operator_name>) and
 * names its metrics by the configured scope format (metrics.scope.*, scope_format.h).
 *
 * Metric types are Flink's: a counter, a gauge (integer, floating point or text), a meter (the
 * rate of a count over 60 s, Flink's MeterView) and a histogram (its statistics). Every value is
 * read through a callback when someone asks (a reporter, a dump for the REST endpoint), so what
 * is measured keeps its own cells (a task's in runtime/task_metrics.h) and the record path
 * never touches the registry. Meters and the time-per-second gauges (busyTimeMsPerSecond: the
 * milliseconds per second a cumulative nanosecond count grew over the last update interval)
 * are updated by the registry's view updater thread every 5 s (Flink's
 * MetricOptions.VIEW_UPDATE_INTERVAL), on the monotonic clock: the figures they rate are real
 * time and real counts, not a job's processing time.
 *
 * Thread safety: one mutex guards groups and metrics. Registration is rare (a task starting),
 * reads come from reporter threads; callbacks run under the mutex, so removing a group (which
 * takes it) guarantees no callback of its metrics runs afterwards: the owner of what they read
 * may free it once metric_group_release returned. Callbacks must not call into the registry
 * (except a group's sync function, metric_group_set_sync).
 * Lock order: the registry's mutex before any lock a callback takes.
 */
#ifndef SPATE_METRICS_METRIC_REGISTRY_H
#define SPATE_METRICS_METRIC_REGISTRY_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "metrics/metric_dump.h"

typedef struct metric_registry metric_registry;
typedef struct metric_group metric_group;

/* Flink's group kinds; their logical scopes: jobmanager, jobmanager.job, taskmanager,
 * taskmanager.job, taskmanager.job.task, taskmanager.job.task.operator. */
typedef enum metric_group_kind {
  MG_JM,
  MG_JM_JOB,
  MG_TM,
  MG_TM_JOB,
  MG_TASK,
  MG_OPERATOR,
} metric_group_kind;
#define MG_KINDS 6

/* Flink truncates operator names in metric scopes to this many characters
 * (MetricOptions.METRICS_OPERATOR_NAME_MAX_LENGTH's default). */
#define METRIC_OPERATOR_NAME_MAX 80

/* Default update interval of meters and time-per-second gauges, and a meter's time span. */
#define METRIC_VIEW_INTERVAL_MS 5000
#define METRIC_METER_SPAN_S 60

/* Creates a registry with the scope formats of cfg (metrics.scope.*; NULL: Flink's defaults)
 * and starts its view updater. view_interval_ms <= 0: METRIC_VIEW_INTERVAL_MS. Errors (a bad
 * scope format) name the key. */
int metric_registry_create(const sp_config *cfg, int64_t view_interval_ms, metric_registry **out,
                           char *err, size_t err_len);
/* Stops the view updater and frees every group left. Reporters must be stopped first. */
void metric_registry_free(metric_registry *reg);
/* Updates every meter and time-per-second gauge now (what the view updater does each
 * interval). */
void metric_registry_update_views(metric_registry *reg);
/* How many times the views were updated (tests await an update through it). */
uint64_t metric_registry_view_updates(metric_registry *reg);

/* ---- groups: each call returns a reference (NULL when out of memory or reg/parent is NULL);
 * a group that exists already (same kind, parent and identity) is shared and its count of
 * references grows. A group holds a reference on its parent, so a job's group lives while one
 * of its subtasks' groups does. metric_group_release drops one; the last removes the group with
 * its metrics and drops its reference on the parent. ---- */
metric_group *metric_group_jm(metric_registry *reg, const char *host);
metric_group *metric_group_tm(metric_registry *reg, const char *host, const char *tm_id);
/* A job under a JobManager's or TaskManager's group (identity: job_id). */
metric_group *metric_group_job(metric_group *parent, const char *job_id, const char *job_name);
/* A subtask under a TaskManager's job group (identity: attempt_id). vertex_id is the
 * JobVertexID (32 hex), attempt_id the execution attempt's id (32 hex). */
metric_group *metric_group_task(metric_group *job, const char *vertex_id, const char *task_name,
                                const char *attempt_id, int attempt_num, int subtask_index);
/* An operator of a subtask (identity: operator_id). */
metric_group *metric_group_operator(metric_group *task, const char *operator_id,
                                    const char *operator_name);
void metric_group_release(metric_group *g);
metric_group_kind metric_group_kind_of(const metric_group *g);
/* The registry g belongs to (a TaskExecutor reaches its process's registry through its group). */
metric_registry *metric_group_registry(const metric_group *g);
/* Metrics that appear while the group lives (a task's user metrics, registered by its
 * functions' open): fn is called under the registry's lock before every read of the registry
 * and every view update, and may register metrics on g (the lock is recursive); it must not
 * remove groups. */
void metric_group_set_sync(metric_group *g, void (*fn)(void *arg, metric_group *g), void *arg);
/* The value of a scope variable of g or its parents ("<job_id>"), or NULL. */
const char *metric_group_variable(const metric_group *g, const char *name);

/* ---- metrics: name is the metric's name in its group (it may hold dots, as
 * "Status.JVM.CPU.Load"). 0, SPATE_EINVAL when the group already has a metric of that name
 * (Flink keeps the first, and so does this), SPATE_ENOMEM. ---- */
typedef int64_t (*metric_long_fn)(void *arg);
typedef double (*metric_double_fn)(void *arg);
/* Writes the gauge's text into buf (NUL-terminated, at most len bytes). */
typedef void (*metric_text_fn)(void *arg, char *buf, size_t len);
typedef void (*metric_hist_fn)(void *arg, metric_histogram_stats *out);

/* A counter whose count fn reads. */
int metric_counter_fn(metric_group *g, const char *name, metric_long_fn fn, void *arg);
/* A counter the registry keeps: the cell to add to (atomically; rare events and user counters,
 * not per record), valid until the group is removed. NULL on error. */
_Atomic int64_t *metric_counter(metric_group *g, const char *name);
int metric_gauge_long(metric_group *g, const char *name, metric_long_fn fn, void *arg);
int metric_gauge_double(metric_group *g, const char *name, metric_double_fn fn, void *arg);
int metric_gauge_text(metric_group *g, const char *name, metric_text_fn fn, void *arg);
/* A meter (Flink's MeterView) over the count fn reads: its rate per second over the last
 * METRIC_METER_SPAN_S seconds (over the time since it was registered, until that long passed). */
int metric_meter(metric_group *g, const char *name, metric_long_fn count, void *arg);
/* A gauge of the milliseconds per second the cumulative nanoseconds ns reads grew over the last
 * view interval (Flink's TimerGauge as busyTimeMsPerSecond reads it), in [0, 1000]. */
int metric_time_per_second(metric_group *g, const char *name, metric_long_fn ns, void *arg);
int metric_histogram(metric_group *g, const char *name, metric_hist_fn fn, void *arg);

/* ---- reading (reporters, the REST endpoint's dump) ---- */

/* One metric's value as read now. */
typedef struct metric_sample {
  const metric_group *group;
  const char *name;
  metric_kind kind;
  bool numeric;                /* counters, meters, numeric gauges: value holds it */
  double value;                /* counter: the count; meter: the rate; gauges: the number */
  int64_t count;               /* counter: the count */
  char text[256];              /* the value as Flink prints it (gauges of text: the text) */
  metric_histogram_stats hist; /* histograms */
} metric_sample;

/* Calls fn for every metric, group by group, under the registry's lock (fn must not call into
 * the registry). */
void metric_registry_each(metric_registry *reg, void (*fn)(void *arg, const metric_sample *s),
                          void *arg);
/* Appends every metric to out as Flink's MetricDump with its QueryScopeInfo. 0 or
 * SPATE_ENOMEM (out then holds what was added). */
int metric_registry_dump(metric_registry *reg, metric_dump *out);

/* The metric's identifier by the group's scope format: "localhost.taskmanager.tm-1.Job.Map.0
 * .numRecordsIn" with the configured delimiter (reporters that name metrics by their scope, the
 * slf4j reporter). Into buf, which it returns. */
const char *metric_identifier(const metric_group *g, const char *name, char *buf, size_t len);
/* The group's logical scope joined by delim ("taskmanager_job_task" for '_'). */
const char *metric_logical_scope(const metric_group *g, char delim, char *buf, size_t len);
/* The group's scope variables with their parents' (names without <>, values), at most max;
 * returns how many. */
int metric_group_variables(const metric_group *g, const char **names, const char **values, int max);
#endif
