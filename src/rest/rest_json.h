/*
 * rest_json.h: Flink's JSON response bodies, built from the structs the cluster's operations fill
 * (rest_server.h). Each returns a new jansson reference, NULL when out of memory. Times are epoch
 * ms; `now` is the server's wall clock, which durations of running jobs are measured to.
 */
#ifndef SPATE_REST_REST_JSON_H
#define SPATE_REST_REST_JSON_H
#include <jansson.h>
#include <stdint.h>

#include "rest/rest_server.h"

/* /config's features (DashboardConfiguration.Features). */
typedef struct rest_dashboard_features {
  bool web_submit, web_cancel, web_rescale, web_history;
} rest_dashboard_features;
/* GET /config: DashboardConfiguration (the history server's with web_history true). */
json_t *rest_json_config(int refresh_interval_ms, const rest_dashboard_features *features);
/* GET /overview: ClusterOverviewWithVersion (job counts from jobs). */
json_t *rest_json_overview(const rest_cluster_overview *o, const rest_job_list *jobs);
/* GET /jobs: JobIdsWithStatusOverview. */
json_t *rest_json_job_ids(const rest_job_list *jobs);
/* GET /jobs/overview: MultipleJobsDetails. */
json_t *rest_json_jobs_overview(const rest_job_list *jobs, int64_t now);
/* GET /jobs/:jobid: JobDetailsInfo. */
json_t *rest_json_job_details(const rest_job_details *d, int64_t now);
/* GET /jobs/:jobid/execution-result: JobExecutionResultResponseBody. */
json_t *rest_json_execution_result(const char *job_id, const rest_job_result *r);
/* GET /taskmanagers: TaskManagersInfo. */
json_t *rest_json_taskmanagers(const rest_taskmanager_list *l);
/* One TaskManagerInfo of /taskmanagers (and the base of /taskmanagers/:id). */
json_t *rest_json_taskmanager(const rest_taskmanager_info *t);
/* ResourceProfileInfo: cpu cores, memory in MB. */
json_t *rest_json_resource(double cpu, int64_t managed, int64_t network);
/* ErrorResponseBody: {"errors": [message]}. */
json_t *rest_json_errors(const char *message);

/* A vertex's aggregate status from its subtasks' states, as Flink's ExecutionJobVertex
 * getAggregateJobVertexState: FAILED, CANCELING, CANCELED, INITIALIZING, RUNNING if any subtask
 * is (in that order), FINISHED when all are (some: RUNNING), else CREATED. */
rest_exec_state rest_vertex_status(const int tasks[REST_EXEC_STATES], int parallelism);
#endif
