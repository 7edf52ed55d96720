/*
 * task_cells.h: the figures a task keeps for readers on other threads (its time accounting,
 * bytes in and out, input watermark) and the task's accessors the metric readers
 * (task_metrics.c) use. Only runtime/ includes it: the registry reads through task_metrics.h.
 */
#ifndef SPATE_RUNTIME_TASK_CELLS_H
#define SPATE_RUNTIME_TASK_CELLS_H
#include "base/sw_cell.h"
#include "graph/stream_graph.h"
#include "runtime/task_time.h"

typedef struct task task;
typedef struct op_t op_t;

/* Written by the task thread only (single-writer cells, the seqlock of task_time). */
typedef struct task_cells {
  task_time time;         /* busy, idle, backpressured */
  sw_u64 bytes_in;        /* per buffer read from the input channels */
  sw_u64 bytes_out;       /* per buffer handed to the result partitions */
  sw_i64 input_watermark; /* what the valve last forwarded; INT64_MIN: none yet */
} task_cells;

const task_cells *task_cells_of(const task *t);
const jg_vertex *task_vertex(const task *t);
/* The chain's operators (*ops, by position in the vertex) once the task has built and wired
 * them (with their outputs); 0 before. They stay until task_join_free. */
int task_wired_ops(const task *t, op_t *const **ops);
#endif
