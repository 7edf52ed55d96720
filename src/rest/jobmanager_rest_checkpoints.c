/*
 * jobmanager_rest_checkpoints.c: a JobManager's checkpoint statistics for its REST endpoint
 * (jobmanager_rest_checkpoints.h). The cluster view holds a reference to each job's tracker;
 * an operation takes its own reference under the view's lock, lets go of the view, and copies
 * the statistics under the tracker's lock, so a REST thread never holds both locks and never
 * waits on the JobMaster.
 */
#include "rest/jobmanager_rest_checkpoints.h"

#include <string.h>

#include "base/err.h"
#include "cluster/jobmanager_gateway.h"

/* The job's tracker with a reference, or NULL with the error set. */
static ckpt_stats *tracker(void *ctx, const char *job_id, int *rc, char *err, size_t err_len) {
  bool found;
  ckpt_stats *st = cluster_view_checkpoint_stats(jm_gateway_view(ctx), job_id, &found);
  if (!found)
    *rc = sp_err(err, err_len, SPATE_ENOENT, "Job %s not found", job_id);
  else if (!st) /* the job failed before its JobMaster could set checkpointing up */
    *rc = sp_err(err, err_len, SPATE_ENOENT, "Checkpointing has not been enabled for job %s.",
                 job_id);
  return st;
}

int jm_rest_checkpoint_stats(void *ctx, const char *job_id, ckpt_stats_snapshot *out, char *err,
                             size_t err_len) {
  int rc = 0;
  ckpt_stats *st = tracker(ctx, job_id, &rc, err, err_len);
  if (!st) return rc;
  rc = ckpt_stats_read(st, out);
  ckpt_stats_unref(st);
  return rc < 0 ? sp_err(err, err_len, rc, "out of memory") : 0;
}

int jm_rest_checkpoint_details(void *ctx, const char *job_id, int64_t checkpoint_id,
                               ckpt_stats_snapshot *out, char *err, size_t err_len) {
  int rc = 0;
  ckpt_stats *st = tracker(ctx, job_id, &rc, err, err_len);
  if (!st) return rc;
  rc = ckpt_stats_read_checkpoint(st, checkpoint_id, out);
  ckpt_stats_unref(st);
  if (rc == SPATE_ENOENT)
    return sp_err(err, err_len, rc, "Could not find checkpointing statistics for checkpoint %lld.",
                  (long long)checkpoint_id);
  return rc < 0 ? sp_err(err, err_len, rc, "out of memory") : 0;
}
