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
  /* cumulative since the task started; busy = elapsed - idle - backpressured */
  uint64_t busy_ns, idle_ns, backpressured_ns;
  int64_t input_watermark; /* currentInputWatermark; INT64_MIN: none yet */
} task_metrics_view;

/* Any thread, while the task is not freed: the task's figures now. */
void task_metrics_read(const task *t, task_metrics_view *out);
/* The operators of the chain in chain order (head first): their number, their StreamGraph node
 * ids (jobgraph_operator_id names them) and their figures. */
int task_metrics_operators(const task *t);
int task_metrics_operator_node(const task *t, int i);
void task_metrics_read_operator(const task *t, int i, task_op_metrics *out);
#endif
