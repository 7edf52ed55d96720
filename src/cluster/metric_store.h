/*
 * metric_store.h: Flink's MetricStore: the metrics a JobManager last fetched from itself and its
 * TaskManagers (metric_fetcher.h), kept per source and read by component, with the ids Flink's
 * REST metric endpoints show:
 *   JobManager, TaskManager, job        the metric's name ("numRestarts")
 *   task (a job vertex, all subtasks)   "<subtask>.<name>", "<subtask>.<operator>.<name>"
 *   subtask                             "<name>", "<operator>.<name>"
 * An operator's name is shown as Flink's MetricQueryService filters it: at most 80 characters,
 * ' ', '.', ':' and ',' replaced by '_' ("Source: X" becomes "Source__X"). Of a subtask's
 * attempts only the latest one's metrics are shown. Values are text as Flink's store keeps them:
 * counters as integers, gauges as their text, meters as their rate, and a histogram as eleven
 * metrics "<name>_min", "_max", "_mean", "_median", "_stddev", "_p75" ... "_p999".
 *
 * Thread-safe: the fetcher writes, REST threads read; every call takes the store's lock and
 * readers get copies.
 */
#ifndef SPATE_CLUSTER_METRIC_STORE_H
#define SPATE_CLUSTER_METRIC_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/metric_dump.h"

typedef struct metric_store metric_store;

/* One metric as REST shows it: its id and its value as text (both owned by the list). */
typedef struct ms_metric {
  char *id;
  char *value;
} ms_metric;

typedef struct ms_list {
  ms_metric *m;
  size_t n, cap;
} ms_list;

/* Adds (or, for an id present, replaces the value of) id = value; 0 or SPATE_ENOMEM. */
int ms_list_put(ms_list *l, const char *id, const char *value);
/* The value of id, or NULL. */
const char *ms_list_get(const ms_list *l, const char *id);
void ms_list_free(ms_list *l);

/* The component a query reads. */
typedef enum ms_level {
  MS_JM,      /* the JobManager */
  MS_TM,      /* TaskManager tm_id */
  MS_JOB,     /* job job_id */
  MS_TASK,    /* vertex vertex_id of job job_id, every subtask ("0.numRecordsIn") */
  MS_SUBTASK, /* subtask `subtask` of that vertex */
} ms_level;

typedef struct ms_scope {
  ms_level level;
  const char *tm_id;     /* MS_TM */
  const char *job_id;    /* MS_JOB, MS_TASK, MS_SUBTASK */
  const char *vertex_id; /* MS_TASK, MS_SUBTASK */
  int subtask;           /* MS_SUBTASK */
} ms_scope;

int metric_store_create(metric_store **out);
void metric_store_free(metric_store *s);

/* Replaces what the store holds from a source, tm_id (NULL: the JobManager itself), with the
 * entries of dump (copied). 0 or SPATE_ENOMEM (the source's old metrics are kept then). */
int metric_store_put(metric_store *s, const char *tm_id, const metric_dump *dump);
/* Forgets the TaskManagers whose ids are not among ids[0..n) (they left the cluster). */
void metric_store_retain_tms(metric_store *s, const char *const *ids, size_t n);
/* When the store was last filled (metric_store_set_updated; 0: never), epoch or mono ms as the
 * caller keeps them. */
int64_t metric_store_updated(metric_store *s);
void metric_store_set_updated(metric_store *s, int64_t at_ms);

/* The metrics of one component into out (empty if the store has none of it); 0 or
 * SPATE_ENOMEM. */
int metric_store_get(metric_store *s, const ms_scope *scope, ms_list *out);
/* The components of a level the store has metrics of, as ids into out (values ""): MS_TM the
 * TaskManager ids, MS_JOB the job ids, MS_SUBTASK the subtask indexes of scope's vertex in
 * ascending order ("0", "1", ...). 0 or SPATE_ENOMEM. */
int metric_store_components(metric_store *s, const ms_scope *scope, ms_list *out);

/* Flink's IOMetricsInfo of a vertex (subtask < 0: summed over its subtasks) or of one subtask,
 * from the task metrics numBytesIn/Out, numRecordsIn/Out and accumulated{Busy,Idle,
 * BackPressured}Time. A figure is complete when every subtask counted had it. */
typedef struct ms_io_metrics {
  int64_t read_bytes, write_bytes, read_records, write_records;
  bool read_bytes_complete, write_bytes_complete, read_records_complete, write_records_complete;
  int64_t accumulated_backpressured_ms, accumulated_idle_ms;
  double accumulated_busy_ms; /* NaN when unknown, as Flink */
} ms_io_metrics;
int metric_store_io(metric_store *s, const char *job_id, const char *vertex_id, int subtask,
                    ms_io_metrics *out);
/* The user counters of a job (vertex_id NULL: of every vertex; subtask < 0: of every subtask),
 * as Flink's user accumulators: every operator-scope counter that is not one of Flink's system
 * metrics, summed over the subtasks, into out (id the counter's name, value its sum). 0 or
 * SPATE_ENOMEM. */
int metric_store_user_counters(metric_store *s, const char *job_id, const char *vertex_id,
                               int subtask, ms_list *out);

/* An operator's name as Flink's MetricQueryService shows it (see above), into out. */
void metric_store_operator_name(const char *name, char *out, size_t cap);
#endif
