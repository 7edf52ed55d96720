/*
 * rest_routes.c: the REST endpoint's core routes (the CLI's and a client's: overview, jobs,
 * submission, cancel, result, savepoints, stop, checkpoints, disposal, TaskManagers, shutdown)
 * and their handlers: check the body, call the cluster's operation, reply with Flink's JSON.
 * Matching paths and checking their parameters is rest_router.c's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "rest/rest_json.h"
#include "rest/rest_requests.h"
#include "rest/rest_server_internal.h"

static int reply_op_error(rest_request *req, int rc, const char *err) {
  return rest_reply_op_error(req, rc, err);
}

static int64_t now_ms(void) { return sp_wall_ms(); }

/* ---- read-only routes ---- */

static int h_config(rest_request *req, char **p) {
  rest_dashboard_features f = {.web_submit = req->server->web_submit,
                               .web_cancel = req->server->web_cancel};
  return rest_reply_json(req, MHD_HTTP_OK, rest_json_config(req->server->refresh_interval, &f));
}

/* list_jobs into l; replies on error and returns false. */
static bool list_jobs(rest_request *req, rest_job_list *l, int *reply) {
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->list_jobs(req->server->ctx, l, err, sizeof err);
  if (rc < 0) *reply = reply_op_error(req, rc, err);
  return rc == 0;
}

static int h_overview(rest_request *req, char **p) {
  rest_cluster_overview o = {0};
  rest_job_list l = {0};
  char err[SP_ERRMSG_MAX] = "";
  int reply = MHD_NO;
  int rc = req->server->ops->overview(req->server->ctx, &o, err, sizeof err);
  if (rc < 0)
    reply = reply_op_error(req, rc, err);
  else if (list_jobs(req, &l, &reply))
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_overview(&o, &l));
  rest_job_list_free(&l);
  return reply;
}

static int h_jobs(rest_request *req, char **p) {
  rest_job_list l = {0};
  int reply = MHD_NO;
  if (list_jobs(req, &l, &reply)) reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_job_ids(&l));
  rest_job_list_free(&l);
  return reply;
}

static int h_jobs_overview(rest_request *req, char **p) {
  rest_job_list l = {0};
  int reply = MHD_NO;
  if (list_jobs(req, &l, &reply))
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_jobs_overview(&l, now_ms()));
  rest_job_list_free(&l);
  return reply;
}

static int h_job(rest_request *req, char **p) {
  rest_job_details d = {0};
  snprintf(d.job.id, sizeof d.job.id, "%s", p[0]);
  d.job.end_time = -1;
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->job_details(req->server->ctx, p[0], &d, err, sizeof err), reply;
  if (rc < 0)
    reply = reply_op_error(req, rc, err);
  else
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_job_details(&d, now_ms()));
  rest_job_details_free(&d);
  return reply;
}

static int h_cancel(rest_request *req, char **p) {
  const char *mode = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "mode");
  if (mode && strcmp(mode, "stop") == 0)
    return rest_reply_error(req, MHD_HTTP_BAD_REQUEST,
                            "The termination mode 'stop' is no longer supported: stop a job with "
                            "POST /jobs/:jobid/stop");
  if (mode && strcmp(mode, "cancel") != 0)
    return rest_reply_error(req, MHD_HTTP_BAD_REQUEST,
                            "Invalid value '%s' of query parameter 'mode': it must be 'cancel'",
                            mode);
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->cancel_job(req->server->ctx, p[0], err, sizeof err);
  if (rc < 0) return reply_op_error(req, rc, err);
  return rest_reply_json(req, MHD_HTTP_ACCEPTED, json_object());
}

static int h_execution_result(rest_request *req, char **p) {
  rest_job_result r = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->job_result(req->server->ctx, p[0], &r, err, sizeof err), reply;
  if (rc < 0)
    reply = reply_op_error(req, rc, err);
  else
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_execution_result(p[0], &r));
  rest_job_result_free(&r);
  return reply;
}

static int h_taskmanagers(rest_request *req, char **p) {
  rest_taskmanager_list l = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->taskmanagers(req->server->ctx, &l, err, sizeof err), reply;
  if (rc < 0)
    reply = reply_op_error(req, rc, err);
  else
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_taskmanagers(&l));
  rest_taskmanager_list_free(&l);
  return reply;
}

static int h_shutdown(rest_request *req, char **p) {
  req->shutdown = true; /* on_completed calls ops->shutdown once the reply went out */
  return rest_reply_json(req, MHD_HTTP_OK, json_object());
}

/* ---- submission ---- */

static const rest_upload *find_upload(rest_request *req, const char *name) {
  for (size_t i = 0; i < req->n_files; i++)
    if (strcmp(req->files[i].name, name) == 0) return &req->files[i];
  return NULL;
}

/* Reads an uploaded file whole into *out (sp_free). */
static int read_upload(const rest_upload *f, void **out, char *err, size_t err_len) {
  FILE *fp = fopen(f->path, "rb");
  if (!fp) return sp_err(err, err_len, SPATE_EIO, "cannot read the uploaded '%s'", f->name);
  void *buf = sp_malloc(f->size ? f->size : 1);
  size_t n = buf ? fread(buf, 1, f->size, fp) : 0;
  fclose(fp);
  if (!buf || n != f->size) {
    sp_free(buf);
    return sp_err(err, err_len, buf ? SPATE_EIO : SPATE_ENOMEM, "cannot read the uploaded '%s'",
                  f->name);
  }
  *out = buf;
  return 0;
}

static int h_submit(rest_request *req, char **p) {
  if (!req->saw_request)
    return rest_reply_error(req, MHD_HTTP_BAD_REQUEST,
                            "Request does not contain the 'request' field (a JSON "
                            "JobSubmitRequestBody)");
  rest_submit_request sr;
  char err[SP_ERRMSG_MAX] = "";
  int rc = rest_decode_submit_request(req->body ? req->body : "", req->len, &sr, err, sizeof err);
  const rest_upload *graph = NULL;
  const char **paths = NULL;
  size_t n_paths = 0;
  if (rc == 0) {
    graph = find_upload(req, sr.job_graph_file);
    if (!graph)
      rc = sp_err(err, sizeof err, SPATE_EINVAL,
                  "field 'jobGraphFileName': no uploaded file is named '%s'", sr.job_graph_file);
  }
  if (rc == 0) {
    paths = sp_calloc(sr.n_jars + sr.n_artifacts + 1, sizeof *paths);
    if (!paths) rc = sp_err(err, sizeof err, SPATE_ENOMEM, "out of memory");
  }
  for (size_t i = 0; rc == 0 && i < sr.n_jars + sr.n_artifacts; i++) {
    bool jar = i < sr.n_jars;
    const char *name = jar ? sr.jar_files[i] : sr.artifact_files[i - sr.n_jars];
    const rest_upload *f = find_upload(req, name);
    if (!f)
      rc = sp_err(err, sizeof err, SPATE_EINVAL, "field '%s[%zu]': no uploaded file is named '%s'",
                  jar ? "jobJarFileNames" : "jobArtifactFileNames", jar ? i : i - sr.n_jars, name);
    else
      paths[n_paths++] = f->path;
  }
  void *bytes = NULL;
  if (rc == 0) rc = read_upload(graph, &bytes, err, sizeof err);
  char job_id[REST_ID_LEN + 1] = "";
  if (rc == 0)
    rc = req->server->ops->submit_job(req->server->ctx, bytes, graph->size, paths, n_paths, job_id,
                                      err, sizeof err);
  sp_free(bytes);
  sp_free(paths);
  rest_submit_request_free(&sr);
  if (rc < 0) return reply_op_error(req, rc, err);
  char url[64];
  snprintf(url, sizeof url, "/jobs/%s", job_id);
  return rest_reply_json(req, MHD_HTTP_ACCEPTED, json_pack("{s:s}", "jobUrl", url));
}

/* ---- asynchronous operations ---- */

static int trigger(rest_request *req, const rest_op_request *op) {
  char id[REST_ID_LEN + 1], err[SP_ERRMSG_MAX] = "";
  int rc = rest_operations_trigger(req->server->operations, op, id, err, sizeof err);
  if (rc < 0) return reply_op_error(req, rc, err);
  return rest_reply_json(req, MHD_HTTP_ACCEPTED, json_pack("{s:s}", "request-id", id));
}

int rest_reply_bad_body(rest_request *req, int rc, const char *err) {
  return rest_reply_error(req, rc == SPATE_EINVAL ? MHD_HTTP_BAD_REQUEST : rest_status_of(rc), "%s",
                          err);
}

/* The job must exist before an operation on it is triggered (Flink answers 404 at once). */
static bool job_exists(rest_request *req, const char *job_id, int *reply) {
  rest_job_result r = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->job_result(req->server->ctx, job_id, &r, err, sizeof err);
  rest_job_result_free(&r);
  if (rc < 0) *reply = reply_op_error(req, rc, err);
  return rc == 0;
}

static int h_savepoint(rest_request *req, char **p) {
  rest_savepoint_request r;
  char err[SP_ERRMSG_MAX] = "";
  int rc = rest_decode_savepoint_request(req->body ? req->body : "", req->len, &r, err, sizeof err),
      reply = MHD_NO;
  if (rc < 0)
    reply = rest_reply_bad_body(req, rc, err);
  else if (job_exists(req, p[0], &reply)) {
    rest_op_request op = {.kind = REST_OP_SAVEPOINT,
                          .job_id = p[0],
                          .path = r.target_directory,
                          .flag = r.cancel_job,
                          .format = r.format,
                          .trigger_id = r.trigger_id};
    reply = trigger(req, &op);
  }
  rest_savepoint_request_free(&r);
  return reply;
}

static int h_stop(rest_request *req, char **p) {
  rest_stop_request r;
  char err[SP_ERRMSG_MAX] = "";
  int rc = rest_decode_stop_request(req->body ? req->body : "", req->len, &r, err, sizeof err),
      reply = MHD_NO;
  if (rc < 0)
    reply = rest_reply_bad_body(req, rc, err);
  else if (job_exists(req, p[0], &reply)) {
    rest_op_request op = {.kind = REST_OP_STOP,
                          .job_id = p[0],
                          .path = r.target_directory,
                          .flag = r.drain,
                          .format = r.format,
                          .trigger_id = r.trigger_id};
    reply = trigger(req, &op);
  }
  rest_stop_request_free(&r);
  return reply;
}

static int h_checkpoint(rest_request *req, char **p) {
  rest_checkpoint_request r;
  char err[SP_ERRMSG_MAX] = "";
  int rc =
          rest_decode_checkpoint_request(req->body ? req->body : "", req->len, &r, err, sizeof err),
      reply = MHD_NO;
  if (rc < 0)
    reply = rest_reply_bad_body(req, rc, err);
  else if (job_exists(req, p[0], &reply)) {
    rest_op_request op = {.kind = REST_OP_CHECKPOINT,
                          .job_id = p[0],
                          .checkpoint_type = r.type,
                          .trigger_id = r.trigger_id};
    reply = trigger(req, &op);
  }
  rest_checkpoint_request_free(&r);
  return reply;
}

static int h_dispose(rest_request *req, char **p) {
  rest_disposal_request r;
  char err[SP_ERRMSG_MAX] = "";
  int rc = rest_decode_disposal_request(req->body ? req->body : "", req->len, &r, err, sizeof err),
      reply;
  if (rc < 0) {
    reply = rest_reply_bad_body(req, rc, err);
  } else {
    rest_op_request op = {
        .kind = REST_OP_DISPOSAL, .path = r.savepoint_path, .trigger_id = r.trigger_id};
    reply = trigger(req, &op);
  }
  rest_disposal_request_free(&r);
  return reply;
}

static int poll_op(rest_request *req, rest_op_kind kind, const char *job_id, const char *tid) {
  json_t *res = rest_operations_result(req->server->operations, kind, job_id, tid);
  if (!res)
    return rest_reply_error(req, MHD_HTTP_NOT_FOUND,
                            "Operation not found under key: %s%s%s (no such trigger id)",
                            job_id ? job_id : "", job_id ? "/" : "", tid);
  return rest_reply_json(req, MHD_HTTP_OK, res);
}

static int h_savepoint_status(rest_request *req, char **p) {
  return poll_op(req, REST_OP_SAVEPOINT, p[0], p[1]);
}
static int h_checkpoint_status(rest_request *req, char **p) {
  return poll_op(req, REST_OP_CHECKPOINT, p[0], p[1]);
}
static int h_dispose_status(rest_request *req, char **p) {
  return poll_op(req, REST_OP_DISPOSAL, NULL, p[0]);
}

/* ---- the table ---- */

static const rest_route_def routes[] = {
    {"GET", "config", h_config},
    {"GET", "overview", h_overview},
    {"GET", "jobs", h_jobs},
    {"POST", "jobs", h_submit},
    {"GET", "jobs/overview", h_jobs_overview},
    {"GET", "jobs/:jobid", h_job},
    {"PATCH", "jobs/:jobid", h_cancel},
    {"GET", "jobs/:jobid/execution-result", h_execution_result},
    {"POST", "jobs/:jobid/savepoints", h_savepoint},
    {"GET", "jobs/:jobid/savepoints/:triggerid", h_savepoint_status},
    {"POST", "jobs/:jobid/stop", h_stop},
    {"POST", "jobs/:jobid/checkpoints", h_checkpoint},
    {"GET", "jobs/:jobid/checkpoints/:triggerid", h_checkpoint_status},
    {"POST", "savepoint-disposal", h_dispose},
    {"GET", "savepoint-disposal/:triggerid", h_dispose_status},
    {"GET", "taskmanagers", h_taskmanagers},
    {"DELETE", "cluster", h_shutdown},
};

const rest_route_table rest_routes_core = {routes, sizeof routes / sizeof routes[0]};
