/*
 * task_metrics.h: what a running task measures about itself, for the metric registry of its
 * process (metrics/) to read from other threads: Flink's task and operator I/O metrics, the
 * time the task spends busy, idle and backpressured, its watermarks, and the metrics its user
 * functions registered.
 *
 * The task thread is the only writer. It keeps plain per-task cells and stores them with relaxed
 * atomics (no read-modify-write, no shared cache line between tasks), so the record path pays
 * nothing beyond an increment; a reader on another thread gets each value whole, possibly a
 * little stale. Time is accounted per batch and per park, never per record.
 */
#ifndef SPATE_RUNTIME_TASK_METRICS_H
#define SPATE_RUNTIME_TASK_METRICS_H
#include <stdbool.h>
#include <stdint.h>
#include "runtime/user_metrics.h"

typedef struct task task;

/* One operator of the task's chain. */
typedef struct task_op_metrics {
  uint64_t records_in, records_out; /* numRecordsIn, numRecordsOut */
  uint64_t late_records_dropped;    /* numLateRecordsDropped (window operators; else 0) */
  int64_t input_watermark;          /* currentInputWatermark; INT64_MIN: none yet */
  int64_t output_watermark;         /* currentOutputWatermark; INT64_MIN: none yet */
} task_op_metrics;

/* The whole task (Flink's task scope: the chain's head in, its tails out). */
typedef struct task_metrics_view {
  uint64_t records_in, records_out; /* numRecordsIn (head), numRecordsOut (to other tasks) */
  uint64_t bytes_in, bytes_out;     /* numBytesIn, numBytesOut (element bytes on exchanges) */
  /* cumulative since the task started running (0 before); busy = elapsed - idle -
   * backpressured exactly, as all four are read at one moment (a wait in progress counts up to
   * the read). Idle: parked waiting for input (a source: for something to emit); backpressured:
   * waiting for a free output buffer. The registry turns them into busyTimeMsPerSecond,
   * idleTimeMsPerSecond and backPressuredTimeMsPerSecond. */
  uint64_t busy_ns, idle_ns, backpressured_ns;
  uint64_t elapsed_ns;     /* since the task began running, up to its end once it ended */
  int64_t input_watermark; /* currentInputWatermark; INT64_MIN: none yet */
} task_metrics_view;

/* Any thread, while the task is not freed (also after it ended, until task_join_free): the task's
 * figures now. Records and watermarks read 0 / INT64_MIN until the task has built its chain.
 * Inside the task listener's call for a terminal state the figures are final: that is where a
 * TaskExecutor keeps what must outlive the task (the job's accumulators, final metrics). */
void task_metrics_read(const task *t, task_metrics_view *out);
/* The operators of the chain in chain order (head first): their number, their StreamGraph node
 * ids (jobgraph_operator_id names them) and their figures. */
int task_metrics_operators(const task *t);
int task_metrics_operator_node(const task *t, int i);
void task_metrics_read_operator(const task *t, int i, task_op_metrics *out);

/* The metrics the user functions of operator i registered (spate_ctx_counter, ...; usually in
 * their open functions, so all are there once the task is RUNNING), in registration order. Their
 * number only grows. Counters double as the job's accumulators (name and value). */
typedef struct task_user_metric {
  const char *name; /* valid until task_join_free */
  user_metric_kind kind;
  int64_t count;             /* counter: its value; meter: events marked (reporters derive the
                                rate, Flink's MeterView); histogram: values ever recorded */
  double value;              /* gauge: the value last set */
  user_histogram_stats hist; /* histogram: the statistics of its window now */
} task_user_metric;
int task_metrics_user_count(const task *t, int i);
/* Metric m of operator i: 0, SPATE_ENOENT if there is no such metric, SPATE_ENOMEM if a
 * histogram's window could not be copied. */
int task_metrics_read_user(const task *t, int i, int m, task_user_metric *out);
#endif
