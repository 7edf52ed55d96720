/*
 * rest_remote.c: the REST endpoint as a job's submission target (rest_remote.h).
 */
#include "rest/rest_remote.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "rest/rest_client.h"
#include "rest/rest_server.h"

static spate_job_status status_of(rest_job_state s) {
  return s == REST_JOB_FINISHED   ? SPATE_JOB_FINISHED
         : s == REST_JOB_CANCELED ? SPATE_JOB_CANCELED
                                  : SPATE_JOB_FAILED;
}

static int rest_submit(void *arg, const void *graph, size_t len, const char *artifact,
                       const char *job_id, char *err, size_t err_len) {
  rest_remote *r = arg;
  char got[REST_ID_LEN + 1];
  int rc = rest_submit_job(r->host, r->port, graph, len, artifact, got, err, err_len);
  if (rc == 0 && strcmp(got, job_id) != 0)
    return sp_err(err, err_len, SPATE_EIO, "the cluster answered with job id %s, not %s", got,
                  job_id);
  return rc;
}

static int rest_wait(void *arg, const char *job_id, spate_job_status *status, int64_t *runtime_ms,
                     char **failure, char *err, size_t err_len) {
  rest_remote *r = arg;
  rest_job_result res = {0};
  int rc = rest_wait_job_result(r->host, r->port, job_id, 0, &res, err, err_len);
  if (rc == 0) {
    *status = status_of(res.state);
    *runtime_ms = res.net_runtime;
    *failure = res.failure;
    res.failure = NULL;
  }
  rest_job_result_free(&res);
  return rc;
}

void rest_remote_init(rest_remote *r, const char *host, int port, bool detached) {
  memset(r, 0, sizeof *r);
  snprintf(r->host, sizeof r->host, "%s", host);
  r->port = port;
  r->api = (api_remote){.arg = r, .detached = detached, .submit = rest_submit, .wait = rest_wait};
}
