/*
 * rest_json_checkpoints.h: Flink's JSON bodies of the checkpoint statistics endpoints
 * (CheckpointingStatistics, CheckpointConfigInfo, CheckpointStatistics with its tasks,
 * TaskCheckpointStatisticsWithSubtaskDetails), built from a copy of a job's checkpoint
 * statistics (checkpoint/checkpoint_stats.h). Each returns a new jansson reference, NULL when
 * out of memory.
 *
 * Polymorphic entries carry their type both as "className" (current Flink) and as "@class"
 * (Flink up to 1.14), so dashboards of either age read them.
 */
#ifndef SPATE_REST_REST_JSON_CHECKPOINTS_H
#define SPATE_REST_REST_JSON_CHECKPOINTS_H
#include <jansson.h>

#include "checkpoint/checkpoint_stats.h"

/* GET /jobs/:jobid/checkpoints: counts, summary, latest, history (s from ckpt_stats_read). */
json_t *rest_json_checkpointing_statistics(const ckpt_stats_snapshot *s);
/* GET /jobs/:jobid/checkpoints/config. */
json_t *rest_json_checkpoint_config(const ckpt_stats_config *c);
/* GET /jobs/:jobid/checkpoints/details/:checkpointid: s->history[0] with its tasks map (s from
 * ckpt_stats_read_checkpoint). */
json_t *rest_json_checkpoint_details(const ckpt_stats_snapshot *s);
/* GET /jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid: vertex v of
 * s->history[0]. */
json_t *rest_json_task_checkpoint_details(const ckpt_stats_snapshot *s, int v);
#endif
