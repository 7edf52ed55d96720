/*
 * rest_remote.h: a cluster's REST endpoint as the target a job is submitted to (api.h's
 * api_remote): POST /jobs through the REST client, then GET /jobs/:jobid/execution-result for its
 * end. `spate run -m` (cli/main.c) and the SQL client's jobs on a cluster (sql/sql_execute.c)
 * submit through it.
 */
#ifndef SPATE_REST_REST_REMOTE_H
#define SPATE_REST_REST_REMOTE_H
#include <stdbool.h>

#include "api/api.h"

/* The submission target of a REST endpoint; host is copied. */
typedef struct rest_remote {
  api_remote api;
  char host[256];
  int port;
} rest_remote;
/* detached: the submission returns at once (the job's end is not awaited). */
void rest_remote_init(rest_remote *r, const char *host, int port, bool detached);
#endif
