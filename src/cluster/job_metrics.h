/*
 * job_metrics.h: a job's metrics on its JobManager (Flink's JobManagerJobMetricGroup): restarts,
 * time in the current status, and the checkpoint statistics gauges. The JobMaster writes the
 * figures on its own thread as things happen (a restart, a status switch, a checkpoint event);
 * the gauges read them on reporter threads, so every figure is an atomic (the external path sits
 * behind a mutex).
 *
 *   numRestarts, fullRestarts (global restarts only), restartingTime, runningTime, uptime,
 *   downtime (ms; 0 unless in that status; Flink's deprecated uptime/downtime as well);
 *   and the checkpoint gauges of Flink's CheckpointStatsTracker, read from the job's tracker
 *   (checkpoint/checkpoint_stats.h, ckpt_stats_read_gauges): lastCheckpointDuration,
 *   lastCheckpointSize, lastCheckpointFullSize, lastCheckpointRestoreTimestamp,
 *   lastCheckpointExternalPath, lastCompletedCheckpointId, numberOfCompletedCheckpoints,
 *   numberOfFailedCheckpoints, numberOfInProgressCheckpoints, totalNumberOfCheckpoints.
 */
#ifndef SPATE_CLUSTER_JOB_METRICS_H
#define SPATE_CLUSTER_JOB_METRICS_H
#include <stdbool.h>
#include <stdint.h>

#include "checkpoint/checkpoint_stats.h"
#include "graph/stream_graph.h"
#include "metrics/metric_registry.h"

typedef struct job_metrics job_metrics;

/* The job's group under jm (the JobManager's group) with its metrics, reading the checkpoint
 * statistics of tracker (a reference is taken; NULL: no checkpoint gauges); NULL when jm is NULL
 * or out of memory (every update below then does nothing). */
job_metrics *job_metrics_create(metric_group *jm, const job_graph *jg, ckpt_stats *tracker);
/* Removes the group, then frees the figures and drops the tracker. */
void job_metrics_free(job_metrics *m);
/* A restart of the job (global: every subtask) or of one failover region. */
void job_metrics_restarted(job_metrics *m, bool global);
/* The job switched to status (Flink's JobStatus name) at now_ms (epoch ms). */
void job_metrics_status(job_metrics *m, const char *status, int64_t now_ms);
#endif
