/*
 * rest_routes_jobs.c: the REST endpoint's routes about a job and its vertices and subtasks
 * (Flink's JobPlanHandler, JobConfigHandler, JobExceptionsHandler, JobAccumulatorsHandler,
 * JobVertexDetailsHandler, SubtasksTimesHandler, JobVertexTaskManagersHandler,
 * SubtaskCurrentAttemptDetailsHandler, SubtaskExecutionAttemptDetailsHandler and the vertex
 * accumulator handlers, ClientCoordinationHandler, and the GET cancel Flink keeps for YARN's
 * proxy): check the path, call
 * the cluster's operation (rest_cluster_ops' jobs part; NULL answers 501), reply with Flink's
 * JSON (rest_json_jobs.c). Path parameters are checked by rest_router.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "rest/rest_json.h"
#include "rest/rest_json_jobs.h"
#include "rest/rest_requests.h"
#include "rest/rest_server_internal.h"

/* Flink's default of maxExceptions (JobExceptionsHandler.MAX_NUMBER_EXCEPTION_TO_REPORT). */
#define MAX_EXCEPTIONS_DEFAULT 20

static int not_supported(rest_request *req, const char *what) {
  return rest_reply_error(req, MHD_HTTP_NOT_IMPLEMENTED, "Not supported by this endpoint: %s",
                          what);
}

/* ---- the job ------------------------------------------------------------------------------ */

static int h_plan(rest_request *req, char **p) {
  rest_job_details d = {0};
  snprintf(d.job.id, sizeof d.job.id, "%s", p[0]);
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->job_details(req->server->ctx, p[0], &d, err, sizeof err), reply;
  if (rc < 0) {
    reply = rest_reply_op_error(req, rc, err);
  } else {
    json_t *plan = rest_json_plan(&d);
    reply = rest_reply_json(req, MHD_HTTP_OK, plan ? json_pack("{s:o}", "plan", plan) : NULL);
  }
  rest_job_details_free(&d);
  return reply;
}

static int h_config(rest_request *req, char **p) {
  if (!req->server->ops->job_config) return not_supported(req, "job configuration");
  rest_job_config c = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->job_config(req->server->ctx, p[0], &c, err, sizeof err), reply;
  if (rc < 0)
    reply = rest_reply_op_error(req, rc, err);
  else
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_job_config(p[0], &c));
  rest_job_config_free(&c);
  return reply;
}

/* Query parameter maxExceptions: a non-negative int, default 20; false (replied 400) if bad. */
static bool max_exceptions(rest_request *req, int *out, int *reply) {
  const char *q = rest_query(req, "maxExceptions");
  *out = MAX_EXCEPTIONS_DEFAULT;
  if (!q) return true;
  char *end;
  errno = 0;
  long v = strtol(q, &end, 10);
  if (!*q || *end || errno || v < 0 || v > 0x7fffffff) {
    *reply = rest_reply_error(req, MHD_HTTP_BAD_REQUEST,
                              "Bad request, could not parse parameters: invalid value '%.80s' of "
                              "query parameter 'maxExceptions': it must be a non-negative int",
                              q);
    return false;
  }
  *out = (int)v;
  return true;
}

static int h_exceptions(rest_request *req, char **p) {
  if (!req->server->ops->job_exceptions) return not_supported(req, "job exceptions");
  int max, reply = MHD_NO;
  if (!max_exceptions(req, &max, &reply)) return reply;
  rest_exception_history h = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->job_exceptions(req->server->ctx, p[0], &h, err, sizeof err);
  if (rc < 0)
    reply = rest_reply_op_error(req, rc, err);
  else
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_exceptions(&h, max));
  rest_exception_history_free(&h);
  return reply;
}

/* The user accumulators of the job (vertex NULL), a vertex (subtask -1) or a subtask into l;
 * replies on error and returns false. */
static bool accumulators(rest_request *req, const char *job, const char *vertex, int subtask,
                         rest_accumulator_list *l, int *reply) {
  if (!req->server->ops->user_accumulators) {
    *reply = not_supported(req, "accumulators");
    return false;
  }
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->user_accumulators(req->server->ctx, job, vertex, subtask, l, err,
                                               sizeof err);
  if (rc < 0) *reply = rest_reply_op_error(req, rc, err);
  return rc == 0;
}

static int h_accumulators(rest_request *req, char **p) {
  rest_accumulator_list l = {0};
  int reply = MHD_NO;
  if (accumulators(req, p[0], NULL, -1, &l, &reply))
    reply = rest_reply_json(req, MHD_HTTP_OK, rest_json_job_accumulators(&l));
  rest_accumulator_list_free(&l);
  return reply;
}

/* GET /jobs/:jobid/yarn-cancel: cancels as PATCH /jobs/:jobid does (the dashboard's cancel
 * button uses it: YARN's proxy passes only GET). */
static int h_yarn_cancel(rest_request *req, char **p) {
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->cancel_job(req->server->ctx, p[0], err, sizeof err);
  if (rc < 0) return rest_reply_op_error(req, rc, err);
  return rest_reply_json(req, MHD_HTTP_ACCEPTED, json_object());
}

/* GET /jobs/:jobid/yarn-stop: Flink's legacy stop (TerminationMode STOP), refused as it is. */
static int h_yarn_stop(rest_request *req, char **p) {
  (void)p;
  return rest_reply_error(req, MHD_HTTP_BAD_REQUEST,
                          "The termination mode 'stop' is no longer supported: stop a job with "
                          "POST /jobs/:jobid/stop");
}

/* POST /jobs/:jobid/coordinators/:operatorid: a client's request to an operator's coordinator
 * (Flink's ClientCoordinationHandler; Spate's: a collect sink's rows, connectors/collect_remote.h). */
static int h_coordination(rest_request *req, char **p) {
  if (!req->server->ops->coordination) return not_supported(req, "operator coordinators");
  char err[SP_ERRMSG_MAX] = "", *request = NULL, *result = NULL;
  int rc = rest_decode_coordination_request(req->body ? req->body : "", req->len, &request, err,
                                            sizeof err),
      reply;
  if (rc < 0) return rest_reply_bad_body(req, rc, err);
  rc = req->server->ops->coordination(req->server->ctx, p[0], p[1], request, &result, err,
                                      sizeof err);
  if (rc < 0)
    reply = rest_reply_op_error(req, rc, err);
  else
    reply = rest_reply_json(req, MHD_HTTP_OK,
                            json_pack("{s:s}", "serializedCoordinationResult", result));
  sp_free(request);
  sp_free(result);
  return reply;
}

/* ---- vertices and subtasks ---------------------------------------------------------------- */

/* The vertex p[1] of job p[0] into d; replies on error and returns false. */
static bool vertex(rest_request *req, char **p, rest_vertex_details *d, int *reply) {
  if (!req->server->ops->job_vertex) {
    *reply = not_supported(req, "job vertices");
    return false;
  }
  char err[SP_ERRMSG_MAX] = "";
  int rc = req->server->ops->job_vertex(req->server->ctx, p[0], p[1], d, err, sizeof err);
  if (rc < 0) *reply = rest_reply_op_error(req, rc, err);
  return rc == 0;
}

typedef json_t *(*vertex_body_fn)(const rest_vertex_details *d, int64_t now);

static int vertex_route(rest_request *req, char **p, vertex_body_fn body) {
  rest_vertex_details d = {0};
  int reply = MHD_NO;
  if (vertex(req, p, &d, &reply)) reply = rest_reply_json(req, MHD_HTTP_OK, body(&d, sp_wall_ms()));
  rest_vertex_details_free(&d);
  return reply;
}

static int h_vertex(rest_request *req, char **p) {
  return vertex_route(req, p, rest_json_vertex_details);
}
static int h_subtask_times(rest_request *req, char **p) {
  return vertex_route(req, p, rest_json_subtask_times);
}
static int h_vertex_taskmanagers(rest_request *req, char **p) {
  return vertex_route(req, p, rest_json_vertex_taskmanagers);
}

/* Subtask index p[2] of d; replies 404 and returns NULL when the vertex has no such subtask. */
static const rest_subtask_info *subtask(rest_request *req, const rest_vertex_details *d, char **p,
                                        int *reply) {
  long index = strtol(p[2], NULL, 10); /* checked by the router: a non-negative int */
  if ((size_t)index < d->n_subtasks) return &d->subtasks[index];
  *reply = rest_reply_error(
      req, MHD_HTTP_NOT_FOUND, "Invalid subtask index %ld: vertex %s has %zu subtasks (0 to %zu)",
      index, d->vertex.id, d->n_subtasks, d->n_subtasks ? d->n_subtasks - 1 : 0);
  return NULL;
}

/* Attempt p[3] of subtask s (the current one or a prior one kept); replies 404 and returns NULL
 * when there is no such attempt. */
static const rest_attempt_info *attempt(rest_request *req, const rest_subtask_info *s, char **p,
                                        int *reply) {
  long number = strtol(p[3], NULL, 10);
  if (s->current.attempt == number) return &s->current;
  for (size_t k = 0; k < s->n_prior; k++)
    if (s->prior[k].attempt == number) return &s->prior[k];
  *reply = rest_reply_error(req, MHD_HTTP_NOT_FOUND,
                            "Attempt %ld of subtask %s not found (the current attempt is %d)",
                            number, p[2], s->current.attempt);
  return NULL;
}

static int h_subtask(rest_request *req, char **p) {
  rest_vertex_details d = {0};
  int reply = MHD_NO;
  const rest_subtask_info *s;
  if (vertex(req, p, &d, &reply) && (s = subtask(req, &d, p, &reply)))
    reply = rest_reply_json(req, MHD_HTTP_OK,
                            rest_json_attempt(&s->current, (int)(s - d.subtasks), sp_wall_ms()));
  rest_vertex_details_free(&d);
  return reply;
}

static int h_attempt(rest_request *req, char **p) {
  rest_vertex_details d = {0};
  int reply = MHD_NO;
  const rest_subtask_info *s;
  const rest_attempt_info *a;
  if (vertex(req, p, &d, &reply) && (s = subtask(req, &d, p, &reply)) &&
      (a = attempt(req, s, p, &reply)))
    reply = rest_reply_json(req, MHD_HTTP_OK,
                            rest_json_attempt(a, (int)(s - d.subtasks), sp_wall_ms()));
  rest_vertex_details_free(&d);
  return reply;
}

/* JobVertexAccumulatorsInfo: {id, user-accumulators}. */
static int h_vertex_accumulators(rest_request *req, char **p) {
  rest_vertex_details d = {0};
  rest_accumulator_list l = {0};
  int reply = MHD_NO;
  if (vertex(req, p, &d, &reply) && accumulators(req, p[0], p[1], -1, &l, &reply))
    reply = rest_reply_json(req, MHD_HTTP_OK,
                            json_pack("{s:s, s:o*}", "id", d.vertex.id, "user-accumulators",
                                      rest_json_accumulator_array(&l)));
  rest_accumulator_list_free(&l);
  rest_vertex_details_free(&d);
  return reply;
}

/* SubtasksAllAccumulatorsInfo: {id, parallelism, subtasks: [{subtask, attempt, host, endpoint,
 * user-accumulators}]}. */
static int h_subtasks_accumulators(rest_request *req, char **p) {
  rest_vertex_details d = {0};
  int reply = MHD_NO;
  if (!vertex(req, p, &d, &reply)) {
    rest_vertex_details_free(&d);
    return reply;
  }
  json_t *subtasks = json_array();
  bool ok = subtasks != NULL;
  for (size_t i = 0; ok && i < d.n_subtasks; i++) {
    rest_accumulator_list l = {0};
    ok = accumulators(req, p[0], p[1], (int)i, &l, &reply);
    const rest_attempt_info *a = &d.subtasks[i].current;
    const char *endpoint = a->endpoint ? a->endpoint : "(unassigned)";
    json_t *o = ok ? json_pack("{s:i, s:i, s:s, s:s, s:o*}", "subtask", (int)i, "attempt",
                               a->attempt, "host", endpoint, "endpoint", endpoint,
                               "user-accumulators", rest_json_accumulator_array(&l))
                   : NULL;
    rest_accumulator_list_free(&l);
    if (!ok) break; /* replied */
    if (!o || json_array_append_new(subtasks, o)) {
      reply = rest_reply_json(req, MHD_HTTP_OK, NULL); /* 500 */
      ok = false;
    }
  }
  if (ok)
    reply = rest_reply_json(req, MHD_HTTP_OK,
                            json_pack("{s:s, s:i, s:o}", "id", d.vertex.id, "parallelism",
                                      d.vertex.parallelism, "subtasks", subtasks));
  else
    json_decref(subtasks);
  rest_vertex_details_free(&d);
  return reply;
}

/* SubtaskExecutionAttemptAccumulatorsInfo: {subtask, attempt, id, user-accumulators}. */
static int h_attempt_accumulators(rest_request *req, char **p) {
  rest_vertex_details d = {0};
  rest_accumulator_list l = {0};
  int reply = MHD_NO;
  const rest_subtask_info *s;
  const rest_attempt_info *a;
  if (vertex(req, p, &d, &reply) && (s = subtask(req, &d, p, &reply)) &&
      (a = attempt(req, s, p, &reply)) &&
      accumulators(req, p[0], p[1], (int)(s - d.subtasks), &l, &reply))
    reply = rest_reply_json(
        req, MHD_HTTP_OK,
        json_pack("{s:i, s:i, s:s, s:o*}", "subtask", (int)(s - d.subtasks), "attempt", a->attempt,
                  "id", d.vertex.id, "user-accumulators", rest_json_accumulator_array(&l)));
  rest_accumulator_list_free(&l);
  rest_vertex_details_free(&d);
  return reply;
}

/* ---- the table ---------------------------------------------------------------------------- */

#define VERTEX "jobs/:jobid/vertices/:vertexid"
static const rest_route_def routes[] = {
    {"GET", "jobs/:jobid/plan", h_plan},
    {"GET", "jobs/:jobid/config", h_config},
    {"GET", "jobs/:jobid/exceptions", h_exceptions},
    {"GET", "jobs/:jobid/accumulators", h_accumulators},
    {"GET", "jobs/:jobid/yarn-cancel", h_yarn_cancel},
    {"GET", "jobs/:jobid/yarn-stop", h_yarn_stop},
    {"POST", "jobs/:jobid/coordinators/:operatorid", h_coordination},
    {"GET", VERTEX, h_vertex},
    {"GET", VERTEX "/subtasktimes", h_subtask_times},
    {"GET", VERTEX "/taskmanagers", h_vertex_taskmanagers},
    {"GET", VERTEX "/accumulators", h_vertex_accumulators},
    {"GET", VERTEX "/subtasks/accumulators", h_subtasks_accumulators},
    {"GET", VERTEX "/subtasks/:subtaskindex", h_subtask},
    {"GET", VERTEX "/subtasks/:subtaskindex/attempts/:attempt", h_attempt},
    {"GET", VERTEX "/subtasks/:subtaskindex/attempts/:attempt/accumulators",
     h_attempt_accumulators},
};

const rest_route_table rest_routes_jobs = {routes, sizeof routes / sizeof routes[0]};
