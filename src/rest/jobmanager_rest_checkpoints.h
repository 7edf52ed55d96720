/*
 * jobmanager_rest_checkpoints.h: the checkpoint statistics operations of a real JobManager's
 * REST endpoint (rest_cluster_ops.checkpoint_stats / checkpoint_details), which read the
 * statistics each job's checkpoint coordinator keeps, through the JobManager's cluster view.
 * ctx is the JobManager's gateway (jm_gateway).
 */
#ifndef SPATE_REST_JOBMANAGER_REST_CHECKPOINTS_H
#define SPATE_REST_JOBMANAGER_REST_CHECKPOINTS_H
#include <stddef.h>
#include <stdint.h>

#include "checkpoint/checkpoint_stats.h"

int jm_rest_checkpoint_stats(void *ctx, const char *job_id, ckpt_stats_snapshot *out, char *err,
                             size_t err_len);
int jm_rest_checkpoint_details(void *ctx, const char *job_id, int64_t checkpoint_id,
                               ckpt_stats_snapshot *out, char *err, size_t err_len);
#endif
