/*
 * jobmanager_rest_jobs.h: the JobManager's operations of the REST endpoint's jobs part
 * (rest_cluster_ops' job_vertex, job_config, job_exceptions, user_accumulators; rest_server.h),
 * read from its cluster view (cluster/cluster_view.h). ctx is the JobManager's jm_gateway.
 */
#ifndef SPATE_REST_JOBMANAGER_REST_JOBS_H
#define SPATE_REST_JOBMANAGER_REST_JOBS_H
#include <stddef.h>

#include "rest/rest_jobs_model.h"

int jm_rest_job_vertex(void *ctx, const char *job_id, const char *vertex_id,
                       rest_vertex_details *out, char *err, size_t err_len);
int jm_rest_job_config(void *ctx, const char *job_id, rest_job_config *out, char *err,
                       size_t err_len);
int jm_rest_job_exceptions(void *ctx, const char *job_id, rest_exception_history *out, char *err,
                           size_t err_len);
/* The user accumulators: none yet (the metrics part fills them from user counters); checks
 * that the job and vertex exist. */
int jm_rest_user_accumulators(void *ctx, const char *job_id, const char *vertex_id, int subtask,
                              rest_accumulator_list *out, char *err, size_t err_len);
#endif
