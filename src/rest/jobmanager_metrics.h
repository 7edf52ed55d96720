/*
 * jobmanager_metrics.h: a JobManager's metrics for its REST endpoint: the metric fetcher
 * (cluster/metric_fetcher.h) that jobmanager_rest.c starts with the endpoint, attaches to the
 * gateway, and the rest_cluster_ops operation that reads it.
 */
#ifndef SPATE_REST_JOBMANAGER_METRICS_H
#define SPATE_REST_JOBMANAGER_METRICS_H
#include <stddef.h>

#include "base/config.h"
#include "cluster/jobmanager_gateway.h"
#include "cluster/metric_store.h"
#include "rest/rest_jobs_model.h"

/* Starts the fetcher of gw's JobManager (metrics.fetcher.update-interval from cfg) and attaches
 * it to gw; 0 or a negative SPATE_E* with a message. */
int jobmanager_metrics_start(const sp_config *cfg, jm_gateway *gw, char *err, size_t err_len);
/* Detaches and frees it (after the REST server stopped). */
void jobmanager_metrics_stop(jm_gateway *gw);
/* rest_cluster_ops.metric_store on ctx = the gateway. */
metric_store *jobmanager_metric_store(void *ctx);

/* For the job details (IOMetricsInfo of /jobs/:jobid and of a vertex's subtasks) and the user
 * accumulators, on ctx = the gateway: the store fetched if stale, then metric_store_io /
 * metric_store_user_counters (cluster/metric_store.h). Without a fetcher: zeros (incomplete) and
 * no counters. */
int jobmanager_metrics_io(void *ctx, const char *job_id, const char *vertex_id, int subtask,
                          ms_io_metrics *out);
int jobmanager_metrics_user_counters(void *ctx, const char *job_id, const char *vertex_id,
                                     int subtask, ms_list *out);

/* The job details' IOMetricsInfo from the store: of each vertex of d (summed over its subtasks),
 * of each subtask of a vertex's details. Call without the cluster view's lock (a fetch reads
 * the view). */
void jobmanager_metrics_fill_job(void *ctx, rest_job_details *d);
void jobmanager_metrics_fill_vertex(void *ctx, const char *job_id, rest_vertex_details *d);
/* The user counters as Flink's user accumulators ({name, "LongCounter", sum}) into out. */
int jobmanager_metrics_fill_accumulators(void *ctx, const char *job_id, const char *vertex_id,
                                         int subtask, rest_accumulator_list *out);
#endif
