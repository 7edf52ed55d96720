/*
 * rest_client.h: an HTTP client of the JobManager's REST endpoint, over libcurl: JSON requests
 * (GET, POST, PATCH, DELETE), multipart uploads (POST /jobs as Flink's RestClusterClient sends
 * them), polling of asynchronous operations, and the two calls a remote `spate run` makes:
 * rest_submit_job and rest_wait_job_result.
 *
 * Every call is bounded by the client's timeout (connection and whole exchange). Errors are a
 * negative SPATE_E* code with a message naming the JobManager's address:
 *   connection refused or unresolvable host: SPATE_EIO, "Could not connect to the JobManager at
 *     localhost:8081 (rest.address:rest.port): Connection refused"
 *   no answer in time: SPATE_EIO, "No response from the JobManager at host:port within N ms"
 *   an error status: the status's code (404 SPATE_ENOENT, 400 SPATE_EINVAL, 409 SPATE_ESTATE,
 *     else SPATE_EIO) and the server's {"errors": [...]} messages.
 * Thread-safe: a client holds only its address; each call uses its own curl handle.
 */
#ifndef SPATE_REST_REST_CLIENT_H
#define SPATE_REST_REST_CLIENT_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "rest/rest_server.h"

/* Flink's client.timeout default. */
#define REST_CLIENT_TIMEOUT_MS 60000

typedef struct rest_client {
  char *host; /* owned */
  int port;
  int64_t timeout_ms;
  const char *origin; /* how the address was given, for messages: "-m", "rest.address:rest.port" */
} rest_client;

/* 0 or SPATE_ENOMEM. timeout_ms <= 0: REST_CLIENT_TIMEOUT_MS. origin may be NULL. */
int rest_client_init(rest_client *c, const char *host, int port, int64_t timeout_ms,
                     const char *origin);
void rest_client_free(rest_client *c);

/* Parses "host:port" (the -m argument; "[v6]:port" for IPv6) into host (sp_malloc'd) and port.
 * SPATE_EINVAL with a message naming the text when it is not one. */
int rest_parse_address(const char *text, char **host, int *port, char *err, size_t err_len);

/* One request: method ("GET", "POST", ...), path ("/jobs/overview"), an optional JSON body.
 * On an answer, *status is its HTTP status and *body its JSON (new reference; NULL if the body
 * was empty); an error status is also returned as an error (see above) with *body set. */
int rest_request_json(const rest_client *c, const char *method, const char *path,
                      const char *json_body, long *status, json_t **body, char *err,
                      size_t err_len);

/* One part of a multipart upload: a file from disk (path) or bytes in memory (data, len),
 * sent as form field `field` with file name `filename`. */
typedef struct rest_upload_part {
  const char *field, *filename;
  const char *path;
  const void *data;
  size_t len;
} rest_upload_part;

/* POST of a multipart/form-data body: a "request" field holding request_json, then the parts. */
int rest_request_upload(const rest_client *c, const char *path, const char *request_json,
                        const rest_upload_part *parts, size_t n_parts, long *status, json_t **body,
                        char *err, size_t err_len);

/* Polls GET path (an asynchronous operation's status) until it is COMPLETED or the client's
 * timeout passed, backing off from 10 ms to 500 ms between polls. *operation is the result's
 * "operation" object (new reference). A failed operation is returned as SPATE_EIO with its
 * failure-cause's stack-trace as the message. */
int rest_await_operation(const rest_client *c, const char *path, json_t **operation, char *err,
                         size_t err_len);

/* Submits a job to the cluster at host:port as Flink's RestClusterClient does: POST /jobs with
 * the JobGraph's bytes (graph, len: graph/graph_codec.c's encoding) as jobGraphFileName and the
 * job's shared object (artifact_path, or NULL) as its one jobJarFileNames entry. Writes the new
 * job's id (33 bytes) into job_id. */
int rest_submit_job(const char *host, int port, const void *graph, size_t len,
                    const char *artifact_path, char *job_id, char *err, size_t err_len);

/* Waits for the job's end: polls GET /jobs/:jobid/execution-result (backing off from 10 ms to
 * 500 ms) until it is COMPLETED, or timeout_ms passed (SPATE_EIO "... did not finish within
 * N ms"; timeout_ms <= 0 waits without end). Fills out (zeroed by the caller; free it with
 * rest_job_result_free): state FINISHED/FAILED/CANCELED from application-status, net_runtime,
 * failure (the failure-cause's stack-trace), accumulators_json. */
int rest_wait_job_result(const char *host, int port, const char *job_id, int64_t timeout_ms,
                         rest_job_result *out, char *err, size_t err_len);
#endif
