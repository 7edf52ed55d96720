/*
 * job_metrics.h: a job's metrics on its JobManager (Flink's JobManagerJobMetricGroup): restarts,
 * time in the current status, and the checkpoint statistics gauges. The JobMaster writes the
 * figures on its own thread as things happen (a restart, a status switch, a checkpoint event);
 * the gauges read them on reporter threads, so every figure is an atomic (the external path sits
 * behind a mutex).
 *
 *   numRestarts, fullRestarts (global restarts only), restartingTime, runningTime, uptime,
 *   downtime (ms; 0 unless in that status; Flink's deprecated uptime/downtime as well),
 *   lastCheckpointDuration (ms), lastCheckpointSize (bytes), lastCheckpointFullSize,
 *   lastCompletedCheckpointId, lastCheckpointExternalPath ("n/a" before the first),
 *   lastCheckpointRestoreTimestamp (-1: not restored), numberOfCompletedCheckpoints,
 *   numberOfFailedCheckpoints, numberOfInProgressCheckpoints, totalNumberOfCheckpoints.
 * Savepoints count as checkpoints in the counts, as in Flink's CheckpointStatsTracker.
 */
#ifndef SPATE_CLUSTER_JOB_METRICS_H
#define SPATE_CLUSTER_JOB_METRICS_H
#include <stdbool.h>
#include <stdint.h>

#include "base/bytes.h"
#include "graph/stream_graph.h"
#include "metrics/metric_registry.h"

typedef struct job_metrics job_metrics;

/* The job's group under jm (the JobManager's group) with its metrics; NULL when jm is NULL or
 * out of memory (every update below then does nothing). */
job_metrics *job_metrics_create(metric_group *jm, const job_graph *jg);
/* Removes the group, then frees the figures. */
void job_metrics_free(job_metrics *m);
/* A restart of the job (global: every subtask) or of one failover region. */
void job_metrics_restarted(job_metrics *m, bool global);
/* The job switched to status (Flink's JobStatus name) at now_ms (epoch ms). */
void job_metrics_status(job_metrics *m, const char *status, int64_t now_ms);
/* A checkpoint was triggered (0), completed (1) or failed (2); completed ones read the last
 * record of the coordinator's statistics (ckpt_coord_stats: n records of i64 id, i64 duration,
 * i64 sync, i64 async, i64 alignment, u64 size, u8 unaligned). */
void job_metrics_checkpoint(job_metrics *m, int event, int64_t id, const char *path,
                            const sp_writer *stats, uint32_t nstats);
#endif
