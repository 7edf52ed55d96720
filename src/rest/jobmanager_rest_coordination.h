/*
 * jobmanager_rest_coordination.h: the JobManager's side of POST /jobs/:jobid/coordinators/
 * :operatorid (rest_cluster_ops.coordination; Flink's ClientCoordinationHandler). Spate's one
 * coordinator a client talks to is a collect sink's (connectors/collect_remote.h): the request
 * goes to the TaskManager that runs the sink's subtask (cluster/taskmanager_info.h,
 * TM_INFO_COLLECT), which answers from the rows it keeps. ctx is the JobManager's jm_gateway.
 */
#ifndef SPATE_REST_JOBMANAGER_REST_COORDINATION_H
#define SPATE_REST_JOBMANAGER_REST_COORDINATION_H
#include <stddef.h>

int jm_rest_coordination(void *ctx, const char *job_id, const char *operator_id,
                         const char *request, char **result, char *err, size_t err_len);
#endif
