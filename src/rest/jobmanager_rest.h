/*
 * jobmanager_rest.h: the REST endpoint of a JobManager process (rest_server.h's operations on
 * the JobManager's gateway), as standalone_hooks (cluster/standalone.h) start and stop it.
 */
#ifndef SPATE_REST_JOBMANAGER_REST_H
#define SPATE_REST_JOBMANAGER_REST_H
#include <stddef.h>

#include "base/config.h"
#include "cluster/jobmanager_gateway.h"

/* Serves the REST API on rest.bind-address:rest.port for the JobManager behind gw. */
int jobmanager_rest_start(const sp_config *cfg, jm_gateway *gw, void **handle, int *port, char *err,
                          size_t err_len);
void jobmanager_rest_stop(void *handle);
#endif
