/*
 * task_metric_groups.h: a running subtask's metrics in its TaskManager's registry: the task group
 * (Flink's TaskMetricGroup) under the TaskManager's job group, and one operator group per
 * operator of its chain, with the gauges, counters and meters that read runtime/task_metrics.h.
 * The TaskExecutor registers them when it started the task and removes them before it frees
 * the task (the registry guarantees no reader runs the callbacks after removal).
 *
 * Task scope: numRecordsIn/Out, numBytesIn/Out (counters) and their PerSecond meters,
 * busyTimeMsPerSecond, idleTimeMsPerSecond, backPressuredTimeMsPerSecond (per-second rates of
 * the cumulative nanoseconds over the view updater's interval: they sum to about 1000),
 * currentInputWatermark. Operator scope: numRecordsIn/Out and PerSecond meters,
 * currentInputWatermark, currentOutputWatermark, numLateRecordsDropped; and the user metrics of
 * the operator's functions (spate_ctx_counter, gauge, meter, histogram) as they appear: its
 * group's sync function registers them at the next read.
 */
#ifndef SPATE_CLUSTER_TASK_METRIC_GROUPS_H
#define SPATE_CLUSTER_TASK_METRIC_GROUPS_H
#include "graph/stream_graph.h"
#include "metrics/metric_registry.h"
#include "runtime/task.h"

typedef struct task_metric_groups task_metric_groups;

/* Registers subtask `subtask` (attempt `attempt`) of vertex `vertex` of jg, running as t, under
 * tm (the TaskManager's group; NULL: nothing, returns NULL). NULL also when out of memory: the
 * task runs unmeasured. */
task_metric_groups *task_metric_groups_add(metric_group *tm, const job_graph *jg, int vertex,
                                           int subtask, int attempt, task *t);
/* Removes them (NULL: nothing); afterwards nothing reads t through them. */
void task_metric_groups_remove(task_metric_groups *m);
#endif
