/*
 * rest_routes_cluster.c: the REST endpoint's cluster-level routes: the JobManager's
 * configuration (secrets masked), environment, log files and thread dump, served from this
 * process (the REST server runs in the JobManager), and one TaskManager's details, log files
 * and thread dump, which the cluster's operations fetch from the TaskManager's process.
 *
 * Log file names from a path (/logs/:filename) are confined to the log directory by
 * base/log_files.h (CVE-2020-17519): a name with a separator, "..", an encoded character or
 * outside the directory once links are resolved is 400; a missing file 404.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log_files.h"
#include "rest/rest_cluster_json.h"
#include "rest/rest_server_internal.h"

/* A file's reply: its text, preceded by a note when only its tail is sent. */
static int reply_file(rest_request *req, const sp_log_data *d) {
  if (!d->truncated) return rest_reply_text(req, MHD_HTTP_OK, d->data, d->len);
  char note[160];
  int n = snprintf(note, sizeof note,
                   "[... the first %lld of %lld bytes are left out; the last %zu follow ...]\n",
                   (long long)(d->size - (int64_t)d->len), (long long)d->size, d->len);
  char *text = sp_malloc((size_t)n + d->len);
  if (!text) return rest_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
  memcpy(text, note, (size_t)n);
  memcpy(text + n, d->data, d->len);
  int rc = rest_reply_text(req, MHD_HTTP_OK, text, (size_t)n + d->len);
  sp_free(text);
  return rc;
}

/* ---- the JobManager (this process) ---- */

static int h_jm_config(rest_request *req, char **p) {
  (void)p;
  return rest_reply_json(req, MHD_HTTP_OK, rest_json_cluster_config(req->server->config));
}

static int h_jm_environment(rest_request *req, char **p) {
  (void)p;
  return rest_reply_json(req, MHD_HTTP_OK, rest_json_environment());
}

static int h_jm_logs(rest_request *req, char **p) {
  (void)p;
  char dir[PATH_MAX], err[SP_ERRMSG_MAX];
  sp_log_file_list l = {0};
  /* no log directory (a process logging to stderr): no files, as Flink's empty list */
  if (sp_log_files_dir(dir, sizeof dir) == 0 && sp_log_files_list(dir, &l, err, sizeof err) < 0)
    return rest_reply_op_error(req, SPATE_EIO, err);
  int rc = rest_reply_json(req, MHD_HTTP_OK, rest_json_log_list(&l));
  sp_log_file_list_free(&l);
  return rc;
}

/* Serves one of this process's files: kind's, or the named one of the log directory. */
static int jm_file(rest_request *req, rest_log_kind kind, const char *name) {
  char path[PATH_MAX], dir[PATH_MAX], err[SP_ERRMSG_MAX] = "";
  int rc;
  if (kind == REST_LOG_MAIN) {
    rc = sp_log_files_log(path, sizeof path);
    if (rc < 0) sp_err(err, sizeof err, rc, "The JobManager has no log file (it logs to stderr)");
  } else if (kind == REST_LOG_STDOUT) {
    rc = sp_log_files_stdout(path, sizeof path);
    if (rc < 0) sp_err(err, sizeof err, rc, "The JobManager has no .out file");
  } else {
    rc = sp_log_files_dir(dir, sizeof dir);
    if (rc < 0)
      sp_err(err, sizeof err, rc, "The JobManager has no log directory");
    else
      rc = sp_log_files_resolve(dir, name, path, sizeof path, err, sizeof err);
  }
  sp_log_data d = {0};
  if (rc == 0) rc = sp_log_files_read(path, 8u << 20, &d, err, sizeof err);
  int reply = rc < 0 ? rest_reply_op_error(req, rc, err) : reply_file(req, &d);
  sp_log_data_free(&d);
  return reply;
}

static int h_jm_log(rest_request *req, char **p) {
  (void)p;
  return jm_file(req, REST_LOG_MAIN, NULL);
}
static int h_jm_stdout(rest_request *req, char **p) {
  (void)p;
  return jm_file(req, REST_LOG_STDOUT, NULL);
}
static int h_jm_named(rest_request *req, char **p) { return jm_file(req, REST_LOG_NAMED, p[0]); }

static int h_jm_thread_dump(rest_request *req, char **p) {
  (void)p;
  thread_dump d = {0};
  int rc = thread_dump_take(&d);
  int reply = rc < 0 ? rest_reply_op_error(req, rc, "cannot take a thread dump")
                     : rest_reply_json(req, MHD_HTTP_OK, rest_json_thread_dump(&d));
  thread_dump_free(&d);
  return reply;
}

/* ---- one TaskManager (the cluster's operations) ---- */

static int unsupported(rest_request *req, const char *what) {
  return rest_reply_error(req, 501, "Not supported by this endpoint: %s", what);
}

static int h_tm_details(rest_request *req, char **p) {
  const rest_cluster_ops *ops = req->server->ops;
  if (!ops->taskmanager_details) return unsupported(req, "TaskManager details");
  rest_taskmanager_details d = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = ops->taskmanager_details(req->server->ctx, p[0], &d, err, sizeof err);
  int reply = rc < 0 ? rest_reply_op_error(req, rc, err)
                     : rest_reply_json(req, MHD_HTTP_OK, rest_json_taskmanager_details(&d));
  rest_taskmanager_details_free(&d);
  return reply;
}

static int h_tm_logs(rest_request *req, char **p) {
  const rest_cluster_ops *ops = req->server->ops;
  if (!ops->taskmanager_logs) return unsupported(req, "TaskManager logs");
  sp_log_file_list l = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = ops->taskmanager_logs(req->server->ctx, p[0], &l, err, sizeof err);
  int reply = rc < 0 ? rest_reply_op_error(req, rc, err)
                     : rest_reply_json(req, MHD_HTTP_OK, rest_json_log_list(&l));
  sp_log_file_list_free(&l);
  return reply;
}

static int tm_file(rest_request *req, const char *tm, rest_log_kind kind, const char *name) {
  const rest_cluster_ops *ops = req->server->ops;
  if (!ops->taskmanager_log) return unsupported(req, "TaskManager log files");
  sp_log_data d = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = ops->taskmanager_log(req->server->ctx, tm, kind, name, &d, err, sizeof err);
  int reply = rc < 0 ? rest_reply_op_error(req, rc, err) : reply_file(req, &d);
  sp_log_data_free(&d);
  return reply;
}

static int h_tm_log(rest_request *req, char **p) { return tm_file(req, p[0], REST_LOG_MAIN, NULL); }
static int h_tm_stdout(rest_request *req, char **p) {
  return tm_file(req, p[0], REST_LOG_STDOUT, NULL);
}
static int h_tm_named(rest_request *req, char **p) {
  /* refused here already, so that a bad name never travels to the TaskManager */
  char err[SP_ERRMSG_MAX];
  if (sp_log_files_check_name(p[1], err, sizeof err) < 0)
    return rest_reply_error(req, MHD_HTTP_BAD_REQUEST, "%s", err);
  return tm_file(req, p[0], REST_LOG_NAMED, p[1]);
}

static int h_tm_thread_dump(rest_request *req, char **p) {
  const rest_cluster_ops *ops = req->server->ops;
  if (!ops->taskmanager_thread_dump) return unsupported(req, "TaskManager thread dumps");
  thread_dump d = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = ops->taskmanager_thread_dump(req->server->ctx, p[0], &d, err, sizeof err);
  int reply = rc < 0 ? rest_reply_op_error(req, rc, err)
                     : rest_reply_json(req, MHD_HTTP_OK, rest_json_thread_dump(&d));
  thread_dump_free(&d);
  return reply;
}

static const rest_route_def routes[] = {
    {"GET", "jobmanager/config", h_jm_config},
    {"GET", "jobmanager/environment", h_jm_environment},
    {"GET", "jobmanager/logs", h_jm_logs},
    {"GET", "jobmanager/log", h_jm_log},
    {"GET", "jobmanager/stdout", h_jm_stdout},
    {"GET", "jobmanager/logs/:filename", h_jm_named},
    {"GET", "jobmanager/thread-dump", h_jm_thread_dump},
    {"GET", "taskmanagers/:taskmanagerid", h_tm_details},
    {"GET", "taskmanagers/:taskmanagerid/logs", h_tm_logs},
    {"GET", "taskmanagers/:taskmanagerid/log", h_tm_log},
    {"GET", "taskmanagers/:taskmanagerid/stdout", h_tm_stdout},
    {"GET", "taskmanagers/:taskmanagerid/logs/:filename", h_tm_named},
    {"GET", "taskmanagers/:taskmanagerid/thread-dump", h_tm_thread_dump},
};

const rest_route_table rest_routes_cluster = {routes, sizeof routes / sizeof routes[0]};
