/*
 * user_metrics.h: the metrics a user function registers through its context (Flink's
 * RuntimeContext.getMetricGroup(): counters, gauges, meters, histograms), kept per operator of a
 * subtask (spate_ctx.metrics) for the metric registry to read from other threads.
 *
 * Registration (spate_ctx_counter, ...) runs on the task thread, usually in a UDF's open
 * function; a name registered again returns the metric it already names. The list only grows
 * while the task lives: a new metric is appended and published with a release store, so a reader
 * walking the list with acquire loads sees every metric whole. Metrics are freed with the
 * operator, after the task's thread ended.
 *
 * Values: counters, gauges and meters are single-writer cells (base/sw_cell.h): updated by the
 * UDF on the task thread with plain loads and stores, read whole elsewhere. A histogram keeps
 * the last `window` values (Flink's DescriptiveStatisticsHistogram) behind a mutex that is only
 * contended while a reader copies the window out.
 */
#ifndef SPATE_RUNTIME_USER_METRICS_H
#define SPATE_RUNTIME_USER_METRICS_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "base/sw_cell.h"
#include "spate/spate.h"

typedef enum user_metric_kind {
  USER_COUNTER = 0,
  USER_GAUGE = 1,
  USER_METER = 2,
  USER_HISTOGRAM = 3,
} user_metric_kind;

#define USER_METRIC_NAME_MAX 128
#define USER_HISTOGRAM_WINDOW_MAX (1 << 20)

typedef struct user_metric user_metric;
struct user_metric {
  _Atomic(user_metric *) next;
  user_metric_kind kind;
  char name[USER_METRIC_NAME_MAX];
  sw_i64 count;           /* counter: its value; meter: events marked; histogram: values recorded */
  _Atomic uint64_t gauge; /* gauge: the bits of its double */
  /* histogram: the ring of the last `window` values */
  pthread_mutex_t mu;
  int64_t *ring;
  uint32_t window, filled, pos;
};

typedef struct user_metrics {
  _Atomic(user_metric *) head;
  user_metric *tail; /* the task thread's */
  _Atomic int count;
} user_metrics;

/* Frees every metric (the task's thread has ended; nobody reads any more). */
void user_metrics_free(user_metrics *m);
int user_metrics_count(const user_metrics *m);
/* The i-th metric in registration order, or NULL. */
const user_metric *user_metrics_get(const user_metrics *m, int i);
/* The histogram's statistics now (any thread): count, min, max, mean, stddev (sample, n - 1),
 * and the quantiles 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.999 of the values in its window, with
 * the estimate Flink's DescriptiveStatisticsHistogramStatistics uses (Apache Commons Math's
 * Percentile: position p(n + 1), linear between neighbours). SPATE_ENOMEM if the copy of the
 * window cannot be allocated. */
typedef struct user_histogram_stats {
  uint64_t count; /* values ever recorded (Flink's Histogram.getCount) */
  uint32_t size;  /* values in the window */
  int64_t min, max;
  double mean, stddev;
  double quantiles[7]; /* at user_histogram_quantiles */
} user_histogram_stats;
extern const double user_histogram_quantiles[7];
int user_histogram_read(const user_metric *h, user_histogram_stats *out);
#endif
