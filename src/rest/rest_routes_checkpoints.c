/*
 * rest_routes_checkpoints.c: the checkpoint statistics routes of the REST endpoint (Flink's
 * CheckpointingStatisticsHandler, CheckpointConfigHandler, CheckpointStatisticDetailsHandler and
 * TaskCheckpointStatisticDetailsHandler):
 *
 *   GET /jobs/:jobid/checkpoints                                           CheckpointingStatistics
 *   GET /jobs/:jobid/checkpoints/config                                    CheckpointConfigInfo
 *   GET /jobs/:jobid/checkpoints/details/:checkpointid                     CheckpointStatistics
 *   GET /jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid
 *                                                     TaskCheckpointStatisticsWithSubtaskDetails
 *
 * The statistics come from the cluster's checkpoint_stats / checkpoint_details operations
 * (rest_server.h); a table without them answers 501. Unknown jobs, checkpoints and vertices are
 * 404. (The manual trigger and its poll, POST .../checkpoints and GET .../checkpoints/:triggerid,
 * are core routes: rest_routes.c.)
 */
#include <stdio.h>
#include <stdlib.h>

#include "checkpoint/checkpoint_stats.h"
#include "rest/rest_json_checkpoints.h"
#include "rest/rest_server_internal.h"

static int not_supported(rest_request *req, const char *what) {
  return rest_reply_error(req, MHD_HTTP_NOT_IMPLEMENTED, "Not supported by this endpoint: %s",
                          what);
}

/* The job's statistics into s; replies on error and returns false. */
static bool read_stats(rest_request *req, const char *job_id, ckpt_stats_snapshot *s, int *reply) {
  const rest_cluster_ops *ops = req->server->ops;
  if (!ops->checkpoint_stats) {
    *reply = not_supported(req, "checkpoint statistics");
    return false;
  }
  char err[SP_ERRMSG_MAX] = "";
  int rc = ops->checkpoint_stats(req->server->ctx, job_id, s, err, sizeof err);
  if (rc < 0) *reply = rest_reply_op_error(req, rc, err);
  return rc == 0;
}

static int h_statistics(rest_request *req, char **p) {
  ckpt_stats_snapshot s = {0};
  int reply = MHD_NO;
  if (read_stats(req, p[0], &s, &reply))
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_checkpointing_statistics(&s));
  ckpt_stats_snapshot_free(&s);
  return reply;
}

static int h_config(rest_request *req, char **p) {
  ckpt_stats_snapshot s = {0};
  int reply = MHD_NO;
  if (read_stats(req, p[0], &s, &reply))
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_checkpoint_config(&s.config));
  ckpt_stats_snapshot_free(&s);
  return reply;
}

/* Checkpoint p[1] of job p[0] into s; replies on error and returns false. */
static bool read_checkpoint(rest_request *req, char **p, ckpt_stats_snapshot *s, int *reply) {
  const rest_cluster_ops *ops = req->server->ops;
  if (!ops->checkpoint_details) {
    *reply = not_supported(req, "checkpoint details");
    return false;
  }
  char err[SP_ERRMSG_MAX] = "";
  int64_t id = strtoll(p[1], NULL, 10); /* the router checked it is a long */
  int rc = ops->checkpoint_details(req->server->ctx, p[0], id, s, err, sizeof err);
  if (rc < 0) *reply = rest_reply_op_error(req, rc, err);
  return rc == 0;
}

static int h_details(rest_request *req, char **p) {
  ckpt_stats_snapshot s = {0};
  int reply = MHD_NO;
  if (read_checkpoint(req, p, &s, &reply))
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_checkpoint_details(&s));
  ckpt_stats_snapshot_free(&s);
  return reply;
}

static int h_task_details(rest_request *req, char **p) {
  ckpt_stats_snapshot s = {0};
  int reply = MHD_NO;
  if (read_checkpoint(req, p, &s, &reply)) {
    int v = ckpt_stats_find_vertex(&s, p[2]);
    if (v < 0)
      reply = rest_reply_error(req, MHD_HTTP_NOT_FOUND,
                               "There is no checkpoint statistics for task %s.", p[2]);
    else
      reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_task_checkpoint_details(&s, v));
  }
  ckpt_stats_snapshot_free(&s);
  return reply;
}

static const rest_route_def routes[] = {
    {"GET", "jobs/:jobid/checkpoints", h_statistics},
    {"GET", "jobs/:jobid/checkpoints/config", h_config},
    {"GET", "jobs/:jobid/checkpoints/details/:checkpointid", h_details},
    {"GET", "jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid", h_task_details},
};

const rest_route_table rest_routes_checkpoints = {routes, sizeof routes / sizeof routes[0]};
