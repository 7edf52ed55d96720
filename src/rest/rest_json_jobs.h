/*
 * rest_json_jobs.h: Flink's JSON bodies of the job, vertex and subtask routes (the jobs part,
 * rest_routes_jobs.c), built from rest_jobs_model.h's structs. Each returns a new jansson
 * reference, NULL when out of memory. `now` is the server's wall clock (epoch ms).
 */
#ifndef SPATE_REST_REST_JSON_JOBS_H
#define SPATE_REST_REST_JSON_JOBS_H
#include <jansson.h>
#include <stdint.h>

#include "rest/rest_jobs_model.h"

/* IOMetricsInfo. */
json_t *rest_json_io_metrics(const rest_io_metrics *m);
/* The plan object of a job's details (its plan_json, or an empty plan). */
json_t *rest_json_plan(const rest_job_details *d);
/* SubtaskExecutionAttemptDetailsInfo of attempt a of subtask `subtask`; other: its other
 * concurrent attempts (Spate runs one attempt at a time: none). */
json_t *rest_json_attempt(const rest_attempt_info *a, int subtask, int64_t now);
/* JobVertexDetailsInfo: GET /jobs/:jobid/vertices/:vertexid. */
json_t *rest_json_vertex_details(const rest_vertex_details *d, int64_t now);
/* SubtasksTimesInfo: .../subtasktimes. */
json_t *rest_json_subtask_times(const rest_vertex_details *d, int64_t now);
/* JobVertexTaskManagersInfo: .../taskmanagers. */
json_t *rest_json_vertex_taskmanagers(const rest_vertex_details *d, int64_t now);
/* JobConfigInfo: GET /jobs/:jobid/config. */
json_t *rest_json_job_config(const char *job_id, const rest_job_config *c);
/* JobExceptionsInfoWithHistory, at most max_exceptions entries (and legacy all-exceptions). */
json_t *rest_json_exceptions(const rest_exception_history *h, int max_exceptions);
/* [{name, type, value}]. */
json_t *rest_json_accumulator_array(const rest_accumulator_list *l);
/* JobAccumulatorsInfo: GET /jobs/:jobid/accumulators. */
json_t *rest_json_job_accumulators(const rest_accumulator_list *l);
#endif
