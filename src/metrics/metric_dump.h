/*
 * metric_dump.h: a process's metrics as values, Flink's MetricDump: what a TaskManager sends
 * its JobManager when asked (Flink's MetricQueryService), what the JobManager's metric store
 * keeps for its REST endpoint, and what a reporter may render. Each entry names its scope the
 * way Flink's QueryScopeInfo does (JobManager, TaskManager, job, task, operator) and carries one
 * value of its kind.
 *
 * The registry (metric_registry.h) fills a dump; metric_dump_encode/decode carry it over RPC.
 * The decoder trusts nothing: counts, lengths, kinds and ids are checked, and an error names the
 * entry and the field.
 */
#ifndef SPATE_METRICS_METRIC_DUMP_H
#define SPATE_METRICS_METRIC_DUMP_H
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

/* Flink's QueryScopeInfo categories. */
typedef enum metric_scope {
  METRIC_SCOPE_JM,       /* the JobManager process */
  METRIC_SCOPE_TM,       /* the TaskManager process */
  METRIC_SCOPE_JOB,      /* a job (on the JobManager: numRestarts, checkpoints) */
  METRIC_SCOPE_TASK,     /* a subtask (job, vertex, subtask index, attempt) */
  METRIC_SCOPE_OPERATOR, /* an operator of a subtask (as task, plus the operator's name) */
} metric_scope;

typedef enum metric_kind {
  METRIC_COUNTER,
  METRIC_GAUGE,
  METRIC_METER,
  METRIC_HISTOGRAM,
} metric_kind;

/* Flink's HistogramStatistics as reported: the count and these figures. */
typedef struct metric_histogram_stats {
  int64_t count;
  double min, max, mean, stddev;
  double p50, p75, p90, p95, p98, p99, p999;
} metric_histogram_stats;

typedef struct metric_dump_entry {
  metric_scope scope;
  char job_id[33];      /* JOB, TASK, OPERATOR; "" otherwise */
  char vertex_id[33];   /* TASK, OPERATOR: the JobVertexID */
  int subtask, attempt; /* TASK, OPERATOR */
  char *operator_name;  /* OPERATOR (owned); NULL otherwise */
  char *name;           /* the metric's name, e.g. "numRecordsIn" (owned) */
  metric_kind kind;
  int64_t count;               /* COUNTER */
  double rate;                 /* METER: events per second */
  char *gauge;                 /* GAUGE: the value as Flink prints it (owned) */
  metric_histogram_stats hist; /* HISTOGRAM */
} metric_dump_entry;

typedef struct metric_dump {
  metric_dump_entry *entries;
  size_t n, cap;
} metric_dump;

/* Appends a zeroed entry (subtask, attempt -1) and returns it; NULL when out of memory. The
 * caller sets its owned strings with sp_strdup. */
metric_dump_entry *metric_dump_add(metric_dump *d);
void metric_dump_free(metric_dump *d);
/* The entry's value as Flink's REST metric endpoints print it (counters as integers, gauges as
 * their text, meters as their rate, histograms as their mean...): into buf, which it returns. */
const char *metric_dump_value(const metric_dump_entry *e, char *buf, size_t len);
/* A double as Flink prints one (Java's Double.toString for the common cases: integral values
 * keep ".0", NaN and infinities by name), into buf. */
void metric_dump_double(double v, char *buf, size_t len);

int metric_dump_encode(const metric_dump *d, sp_writer *w);
int metric_dump_decode(const void *data, size_t len, metric_dump *out, char *err, size_t err_len);
#endif
