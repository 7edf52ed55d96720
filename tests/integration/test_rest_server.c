/*
 * test_rest_server.c: the JobManager's REST endpoint (rest/rest_server.h) over real HTTP on
 * loopback, with the fake cluster's table of jobs behind it (support/rest_fake_cluster.h). What
 * is under test is the HTTP and JSON layer: Flink's paths (also under /v1), status codes, the
 * JSON keys and their types, the {"errors": [...]} bodies, the trigger-id flow of asynchronous
 * operations, multipart job submission (the files arrive intact, bad uploads are refused), body
 * limits, and bad input answered with 400 naming the field. Also the client (rest_client.h):
 * rest_submit_job, rest_wait_job_result, and the message of a refused connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "support/testkit.h"

#include "base/alloc.h"
#include "rest/rest_client.h"
#include "rest/rest_requests.h"
#include "rest/rest_server.h"
#include "support/rest_fake_cluster.h"

#define RUNNING FAKE_JOB_RUNNING

typedef struct fixture {
  fake_cluster f;
  rest_server *server;
  rest_client client;
  char upload_dir[256];
} fixture;

/* Starts a server on a free port of localhost with the limits given (0: defaults). */
static fixture *start(size_t max_json, size_t max_content, size_t max_ops) {
  fixture *x = calloc(1, sizeof *x);
  assert_non_null(x);
  fake_cluster_init(&x->f);
  tk_mkdtemp(x->upload_dir, sizeof x->upload_dir, "spate-rest-test-");
  rest_server_config cfg = {.bind_address = "localhost",
                            .port = 0,
                            .ops = &fake_cluster_ops,
                            .ctx = &x->f,
                            .upload_dir = x->upload_dir,
                            .max_json_length = max_json,
                            .max_content_length = max_content,
                            .max_operations = max_ops,
                            .web_cancel = true};
  char err[1024];
  int rc = rest_server_start(&cfg, &x->server, err, sizeof err);
  if (rc < 0) fail_msg("rest_server_start: %s", err);
  assert_true(rest_server_port(x->server) > 0);
  assert_int_equal(rest_client_init(&x->client, "localhost", rest_server_port(x->server), 0, NULL),
                   0);
  return x;
}

static void stop(fixture *x) {
  fake_cluster_gate(&x->f, false);
  rest_server_stop(x->server);
  rest_client_free(&x->client);
  fake_cluster_destroy(&x->f);
  tk_rm_rf(x->upload_dir);
  free(x);
}

static int setup(void **state) {
  *state = start(0, 0, 0);
  return 0;
}

static int teardown(void **state) {
  stop(*state);
  return 0;
}

/* One request; the answer's status into *status and its JSON body (new reference). */
static json_t *call(fixture *x, const char *method, const char *path, const char *body,
                    long *status) {
  json_t *out = NULL;
  char err[1024];
  *status = 0;
  rest_request_json(&x->client, method, path, body, status, &out, err, sizeof err);
  if (*status == 0) fail_msg("%s %s: no answer: %s", method, path, err);
  return out;
}

/* Asserts an error answer: status and {"errors": [message containing want]}. */
static void assert_error(fixture *x, const char *method, const char *path, const char *body,
                         long want_status, const char *want) {
  long status;
  json_t *b = call(x, method, path, body, &status);
  if (status != want_status)
    fail_msg("%s %s: HTTP %ld, expected %ld", method, path, status, want_status);
  json_t *errors = json_object_get(b, "errors");
  assert_true(json_is_array(errors));
  assert_int_equal(json_array_size(errors), 1);
  const char *msg = json_string_value(json_array_get(errors, 0));
  assert_non_null(msg);
  if (!strstr(msg, want))
    fail_msg("%s %s: error '%s' does not contain '%s'", method, path, msg, want);
  json_decref(b);
}

/* The fake's fields written by the server's threads are read under its lock: the HTTP exchange
 * orders them, but ThreadSanitizer does not see through sockets. */
#define FAKE_READ(x, expr)              \
  ({                                    \
    pthread_mutex_lock(&(x)->f.lock);   \
    __typeof__(expr) v_ = (expr);       \
    pthread_mutex_unlock(&(x)->f.lock); \
    v_;                                 \
  })

static const char *str(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_string(v)) fail_msg("key '%s' is not a string", key);
  return json_string_value(v);
}

static json_int_t integer(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_integer(v)) fail_msg("key '%s' is not an integer", key);
  return json_integer_value(v);
}

static void test_config_and_overview(void **state) {
  fixture *x = *state;
  long status;
  json_t *c = call(x, "GET", "/config", NULL, &status);
  assert_int_equal(status, 200);
  assert_int_equal(integer(c, "refresh-interval"), 3000);
  str(c, "timezone-name");
  integer(c, "timezone-offset");
  assert_string_equal(str(c, "flink-version"), "0.1.0");
  str(c, "flink-revision");
  json_t *features = json_object_get(c, "features");
  assert_true(json_is_false(json_object_get(features, "web-submit")));
  assert_true(json_is_true(json_object_get(features, "web-cancel")));
  assert_true(json_is_boolean(json_object_get(features, "web-rescale")));
  assert_true(json_is_boolean(json_object_get(features, "web-history")));
  json_decref(c);

  /* /v1 serves the same paths */
  json_t *o = call(x, "GET", "/v1/overview", NULL, &status);
  assert_int_equal(status, 200);
  assert_int_equal(integer(o, "taskmanagers"), 2);
  assert_int_equal(integer(o, "slots-total"), 8);
  assert_int_equal(integer(o, "slots-available"), 3);
  assert_int_equal(integer(o, "jobs-running"), 3); /* RUNNING, RESTARTING, CREATED */
  assert_int_equal(integer(o, "jobs-finished"), 1);
  assert_int_equal(integer(o, "jobs-cancelled"), 0);
  assert_int_equal(integer(o, "jobs-failed"), 1);
  str(o, "flink-version");
  str(o, "flink-commit");
  json_decref(o);
}

static void test_jobs_and_overview(void **state) {
  fixture *x = *state;
  long status;
  json_t *j = call(x, "GET", "/jobs", NULL, &status);
  assert_int_equal(status, 200);
  json_t *jobs = json_object_get(j, "jobs");
  assert_int_equal(json_array_size(jobs), 5);
  assert_string_equal(str(json_array_get(jobs, 0), "id"), RUNNING);
  assert_string_equal(str(json_array_get(jobs, 0), "status"), "RUNNING");
  assert_string_equal(str(json_array_get(jobs, 2), "status"), "CREATED");
  json_decref(j);

  json_t *o = call(x, "GET", "/v1/jobs/overview/", NULL, &status); /* a trailing slash too */
  assert_int_equal(status, 200);
  jobs = json_object_get(o, "jobs");
  assert_int_equal(json_array_size(jobs), 5);
  json_t *done = json_array_get(jobs, 3);
  assert_string_equal(str(done, "jid"), FAKE_JOB_FINISHED);
  assert_string_equal(str(done, "name"), "WordCount");
  assert_string_equal(str(done, "state"), "FINISHED");
  assert_int_equal(integer(done, "end-time") - integer(done, "start-time"), 5000);
  assert_int_equal(integer(done, "duration"), 5000);
  integer(done, "last-modification");
  json_t *tasks = json_object_get(done, "tasks");
  assert_int_equal(integer(tasks, "total"), 2);
  assert_int_equal(integer(tasks, "finished"), 2);
  static const char *const lower[] = {"created",     "scheduled",   "deploying", "running",
                                      "finished",    "canceling",   "canceled",  "failed",
                                      "reconciling", "initializing"};
  for (size_t i = 0; i < sizeof lower / sizeof lower[0]; i++) integer(tasks, lower[i]);
  assert_int_equal(integer(json_array_get(jobs, 0), "end-time"), -1);
  assert_true(integer(json_array_get(jobs, 0), "duration") > 0);
  json_decref(o);
}

static void test_job_details(void **state) {
  fixture *x = *state;
  long status;
  json_t *d = call(x, "GET", "/jobs/" RUNNING, NULL, &status);
  assert_int_equal(status, 200);
  assert_string_equal(str(d, "jid"), RUNNING);
  assert_string_equal(str(d, "name"), "State machine job");
  assert_true(json_is_boolean(json_object_get(d, "isStoppable")));
  assert_string_equal(str(d, "state"), "RUNNING");
  assert_int_equal(integer(d, "end-time"), -1);
  assert_true(integer(d, "now") >= integer(d, "start-time"));
  integer(d, "duration");
  json_t *ts = json_object_get(d, "timestamps");
  assert_int_equal(json_object_size(ts), 11);
  assert_int_equal(integer(ts, "RUNNING"), integer(d, "start-time"));
  assert_int_equal(integer(ts, "CANCELLING"), 0);
  json_t *v = json_array_get(json_object_get(d, "vertices"), 0);
  assert_string_equal(str(v, "id"), "bc764cd8ddf7a0cff126f51c16239658");
  assert_string_equal(str(v, "name"), "Source: Socket Stream -> Map");
  assert_int_equal(integer(v, "parallelism"), 2);
  assert_string_equal(str(v, "status"), "RUNNING"); /* one running, one finished */
  assert_int_equal(integer(json_object_get(v, "tasks"), "RUNNING"), 1);
  integer(v, "start-time");
  integer(v, "end-time");
  integer(v, "duration");
  assert_int_equal(integer(json_object_get(d, "status-counts"), "RUNNING"), 1);
  assert_string_equal(str(json_object_get(d, "plan"), "name"), "plan");
  json_decref(d);
}

static void test_errors(void **state) {
  fixture *x = *state;
  assert_error(x, "GET", "/jobs/cca7bc1061d61cf15238e92312c2fc2f", NULL, 404,
               "Job cca7bc1061d61cf15238e92312c2fc2f not found");
  assert_error(x, "GET", "/jobs/xyz", NULL, 400, "invalid job id 'xyz'");
  assert_error(x, "GET", "/jobs/" RUNNING "0", NULL, 400, "invalid job id");
  assert_error(x, "GET", "/jobs/" RUNNING "/savepoints/nothex", NULL, 400, "invalid trigger id");
  assert_error(x, "GET", "/nothing/here", NULL, 404, "Not found: /nothing/here");
  assert_error(x, "GET", "/v2/jobs", NULL, 404, "Not found: /v2/jobs");
  assert_error(x, "GET", "/jobs/" RUNNING "/vertices", NULL, 404, "Not found");
  assert_error(x, "PUT", "/jobs", NULL, 405, "Method PUT is not allowed for /jobs");
  assert_error(x, "DELETE", "/v1/jobs/" RUNNING, NULL, 405, "allowed: GET, PATCH");
  /* uppercase hex is a job id too, as Flink's JobID.fromHexString */
  long status;
  json_t *d = call(x, "GET", "/jobs/CCA7BC1061D61CF15238E92312C2FC20", NULL, &status);
  assert_int_equal(status, 200);
  json_decref(d);
}

static void test_cancel(void **state) {
  fixture *x = *state;
  long status;
  assert_error(x, "PATCH", "/jobs/" RUNNING "?mode=stop", NULL, 400, "POST /jobs/:jobid/stop");
  assert_error(x, "PATCH", "/jobs/" RUNNING "?mode=bogus", NULL, 400, "'mode'");
  assert_int_equal(fake_cluster_state(&x->f, RUNNING), REST_JOB_RUNNING);
  json_t *b = call(x, "PATCH", "/jobs/" RUNNING "?mode=cancel", NULL, &status);
  assert_int_equal(status, 202);
  assert_true(json_is_object(b) && json_object_size(b) == 0);
  json_decref(b);
  assert_int_equal(fake_cluster_state(&x->f, RUNNING), REST_JOB_CANCELED);
  assert_error(x, "PATCH", "/jobs/" RUNNING, NULL, 409, "already CANCELED");
  assert_error(x, "PATCH", "/jobs/00000000000000000000000000000000", NULL, 404, "not found");
}

static void test_execution_result(void **state) {
  fixture *x = *state;
  long status;
  json_t *r = call(x, "GET", "/jobs/" RUNNING "/execution-result", NULL, &status);
  assert_int_equal(status, 200);
  assert_string_equal(str(json_object_get(r, "status"), "id"), "IN_PROGRESS");
  assert_null(json_object_get(r, "job-execution-result"));
  json_decref(r);
  r = call(x, "GET", "/jobs/" FAKE_JOB_FINISHED "/execution-result", NULL, &status);
  assert_string_equal(str(json_object_get(r, "status"), "id"), "COMPLETED");
  json_t *res = json_object_get(r, "job-execution-result");
  assert_string_equal(str(res, "id"), FAKE_JOB_FINISHED);
  assert_string_equal(str(res, "application-status"), "SUCCEEDED");
  assert_int_equal(integer(res, "net-runtime"), 5000);
  assert_int_equal(integer(json_object_get(res, "accumulator-results"), "records"), 42);
  assert_null(json_object_get(res, "failure-cause"));
  json_decref(r);
  r = call(x, "GET", "/jobs/" FAKE_JOB_FAILED "/execution-result", NULL, &status);
  res = json_object_get(r, "job-execution-result");
  assert_string_equal(str(res, "application-status"), "FAILED");
  json_t *cause = json_object_get(res, "failure-cause");
  str(cause, "class");
  assert_non_null(strstr(str(cause, "stack-trace"), "java.lang.RuntimeException: boom"));
  str(cause, "serialized-throwable");
  json_decref(r);
  assert_error(x, "GET", "/jobs/00000000000000000000000000000000/execution-result", NULL, 404,
               "not found");
}

/* Polls path until the operation COMPLETED; its "operation" (new reference). */
static json_t *await_completed(fixture *x, const char *path) {
  json_t *body = NULL;
  const char *id = NULL;
  long status;
  TK_AWAIT((json_decref(body), body = call(x, "GET", path, NULL, &status),
            id = json_string_value(json_object_get(json_object_get(body, "status"), "id")),
            id && strcmp(id, "COMPLETED") == 0),
           "operation %s to complete", path);
  assert_int_equal(status, 200);
  json_t *op = json_incref(json_object_get(body, "operation"));
  json_decref(body);
  return op;
}

/* POSTs body to path expecting 202 {"request-id"}; the trigger id into tid. */
static void trigger(fixture *x, const char *path, const char *body, char *tid) {
  long status;
  json_t *r = call(x, "POST", path, body, &status);
  if (status != 202) fail_msg("POST %s: HTTP %ld", path, status);
  const char *id = str(r, "request-id");
  assert_true(rest_is_id(id));
  strcpy(tid, id);
  json_decref(r);
}

static void test_savepoint_flow(void **state) {
  fixture *x = *state;
  char tid[33], path[160];
  long status;
  fake_cluster_gate(&x->f, true);
  trigger(x, "/jobs/" RUNNING "/savepoints",
          "{\"target-directory\":\"/tmp/sp\",\"cancel-job\":false,\"formatType\":\"NATIVE\"}", tid);
  TK_AWAIT(fake_cluster_blocked(&x->f) == 1, "the savepoint to reach the cluster");
  snprintf(path, sizeof path, "/jobs/" RUNNING "/savepoints/%s", tid);
  json_t *r = call(x, "GET", path, NULL, &status);
  assert_int_equal(status, 200);
  assert_string_equal(str(json_object_get(r, "status"), "id"), "IN_PROGRESS");
  assert_true(json_is_null(json_object_get(r, "operation")));
  json_decref(r);
  fake_cluster_gate(&x->f, false);
  json_t *op = await_completed(x, path);
  assert_string_equal(str(op, "location"), "file:/tmp/sp/savepoint-cca7bc-0123456789ab");
  json_decref(op);
  char fmt[16];
  pthread_mutex_lock(&x->f.lock);
  memcpy(fmt, x->f.last_format, sizeof fmt);
  pthread_mutex_unlock(&x->f.lock);
  assert_string_equal(fmt, "NATIVE");
  assert_false(FAKE_READ(x, x->f.last_flag));
  assert_int_equal(fake_cluster_state(&x->f, RUNNING), REST_JOB_RUNNING);

  /* the same trigger under another job, or an unknown one: 404 */
  snprintf(path, sizeof path, "/jobs/" FAKE_JOB_FAILED "/savepoints/%s", tid);
  assert_error(x, "GET", path, NULL, 404, "Operation not found");
  assert_error(x, "GET", "/jobs/" RUNNING "/savepoints/00000000000000000000000000000000", NULL, 404,
               "Operation not found");
  /* a savepoint of an unknown job: 404 at once */
  assert_error(x, "POST", "/jobs/00000000000000000000000000000000/savepoints", "{}", 404,
               "not found");

  /* a failed savepoint (no directory, none configured): COMPLETED with a failure-cause */
  trigger(x, "/jobs/" RUNNING "/savepoints", "", tid);
  snprintf(path, sizeof path, "/v1/jobs/" RUNNING "/savepoints/%s", tid);
  op = await_completed(x, path);
  json_t *cause = json_object_get(op, "failure-cause");
  assert_non_null(strstr(str(cause, "stack-trace"), "No savepoint directory"));
  str(cause, "class");
  str(cause, "serialized-throwable");
  assert_null(json_object_get(op, "location"));
  json_decref(op);

  /* cancel-job: the job ends CANCELED; a trigger id chosen by the client is idempotent */
  const char *mine = "abcdefabcdefabcdefabcdefabcdef01";
  char body[256];
  snprintf(body, sizeof body,
           "{\"target-directory\":\"/tmp/sp\",\"cancel-job\":true,\"triggerId\":\"%s\"}", mine);
  trigger(x, "/jobs/" RUNNING "/savepoints", body, tid);
  assert_string_equal(tid, mine);
  snprintf(path, sizeof path, "/jobs/" RUNNING "/savepoints/%s", mine);
  json_decref(await_completed(x, path));
  trigger(x, "/jobs/" RUNNING "/savepoints", body, tid);
  assert_string_equal(tid, mine);
  assert_int_equal(fake_cluster_state(&x->f, RUNNING), REST_JOB_CANCELED);
  assert_true(FAKE_READ(x, x->f.last_flag));
}

static void test_stop_checkpoint_dispose(void **state) {
  fixture *x = *state;
  char tid[33], path[160];
  /* stop: camelCase keys, polled at the savepoints path */
  trigger(x, "/jobs/" FAKE_JOB_RESTARTING "/stop", "{\"targetDirectory\":\"/sp\",\"drain\":true}",
          tid);
  snprintf(path, sizeof path, "/jobs/" FAKE_JOB_RESTARTING "/savepoints/%s", tid);
  json_t *op = await_completed(x, path);
  assert_string_equal(str(op, "location"), "file:/sp/savepoint-222222-0123456789ab");
  json_decref(op);
  assert_true(FAKE_READ(x, x->f.last_flag));
  pthread_mutex_lock(&x->f.lock);
  bool canonical = strcmp(x->f.last_format, "CANONICAL") == 0;
  pthread_mutex_unlock(&x->f.lock);
  assert_true(canonical);
  assert_int_equal(fake_cluster_state(&x->f, FAKE_JOB_RESTARTING), REST_JOB_FINISHED);
  assert_error(x, "POST", "/jobs/" RUNNING "/stop", "{\"target-directory\":\"/sp\"}", 400,
               "unknown field 'target-directory'");

  /* checkpoint */
  trigger(x, "/jobs/" RUNNING "/checkpoints", "{\"checkpointType\":\"FULL\"}", tid);
  snprintf(path, sizeof path, "/jobs/" RUNNING "/checkpoints/%s", tid);
  op = await_completed(x, path);
  assert_int_equal(integer(op, "checkpointId"), 26);
  json_decref(op);
  assert_int_equal(FAKE_READ(x, x->f.last_checkpoint_type), REST_CHECKPOINT_FULL);
  snprintf(path, sizeof path, "/jobs/" RUNNING "/savepoints/%s", tid); /* not a savepoint */
  assert_error(x, "GET", path, NULL, 404, "Operation not found");
  assert_error(x, "POST", "/jobs/" RUNNING "/checkpoints", "{\"checkpointType\":\"HALF\"}", 400,
               "field 'checkpointType' must be one of CONFIGURED, FULL, INCREMENTAL");

  /* disposal: {} on success, failure-cause when there is no such savepoint */
  trigger(x, "/savepoint-disposal", "{\"savepoint-path\":\"/sp/savepoint-1\"}", tid);
  snprintf(path, sizeof path, "/savepoint-disposal/%s", tid);
  op = await_completed(x, path);
  assert_true(json_is_object(op) && json_object_size(op) == 0);
  json_decref(op);
  trigger(x, "/v1/savepoint-disposal", "{\"savepoint-path\":\"/sp/missing\"}", tid);
  snprintf(path, sizeof path, "/savepoint-disposal/%s", tid);
  op = await_completed(x, path);
  assert_non_null(strstr(str(json_object_get(op, "failure-cause"), "stack-trace"),
                         "/sp/missing does not exist"));
  json_decref(op);
  assert_error(x, "POST", "/savepoint-disposal", "{}", 400, "field 'savepoint-path' is required");
}

static void test_bad_bodies(void **state) {
  fixture *x = *state;
  const char *sp = "/jobs/" RUNNING "/savepoints";
  assert_error(x, "POST", sp, "{\"target-directory\": ", 400, "not valid JSON");
  assert_error(x, "POST", sp, "[1,2]", 400, "must be a JSON object, not an array");
  assert_error(x, "POST", sp, "{\"cancel-job\":\"yes\"}", 400,
               "field 'cancel-job' must be a boolean, not a string");
  assert_error(x, "POST", sp, "{\"target-directory\":7}", 400,
               "field 'target-directory' must be a string, not an integer");
  assert_error(x, "POST", sp, "{\"formatType\":\"ZIP\"}", 400,
               "field 'formatType' must be one of CANONICAL, NATIVE");
  assert_error(x, "POST", sp, "{\"triggerId\":\"abc\"}", 400, "field 'triggerId'");
  assert_error(x, "POST", sp, "{\"a\":1,\"a\":2}", 400, "not valid JSON");
  assert_error(x, "POST", "/jobs/" RUNNING "/stop", "{\"drain\":1}", 400,
               "field 'drain' must be a boolean");
}

static void test_body_limit(void **state) {
  fixture *x = start(256, 4096, 0);
  char body[600];
  snprintf(body, sizeof body, "{\"target-directory\":\"%0500d\"}", 0);
  assert_error(x, "POST", "/jobs/" RUNNING "/savepoints", body, 413, "exceeds the limit of 256");
  /* the server still answers afterwards */
  long status;
  json_decref(call(x, "GET", "/jobs", NULL, &status));
  assert_int_equal(status, 200);
  /* an upload over max_content_length */
  char big[8192];
  memset(big, 'x', sizeof big);
  memcpy(big, "SPATEGRAPH", 10);
  char id[33], err[1024];
  int rc = rest_submit_job("localhost", rest_server_port(x->server), big, sizeof big, NULL, id, err,
                           sizeof err);
  assert_int_equal(rc, SPATE_EIO);
  if (!strstr(err, "exceeds the limit of 4096")) fail_msg("%s", err);
  assert_int_equal(FAKE_READ(x, x->f.submissions), 0);
  stop(x);
}

/* The number of entries in dir besides . and .. */
static int entries(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static void test_submit(void **state) {
  fixture *x = *state;
  /* a job object of 300 KB with every byte value: it must arrive intact */
  size_t art_len = 300 * 1024;
  unsigned char *art = malloc(art_len);
  for (size_t i = 0; i < art_len; i++) art[i] = (unsigned char)(i * 7 + i / 251);
  char art_path[300];
  snprintf(art_path, sizeof art_path, "%s/job.so", x->upload_dir);
  FILE *fp = fopen(art_path, "wb");
  assert_int_equal(fwrite(art, 1, art_len, fp), art_len);
  fclose(fp);
  unsigned char graph[1000];
  memcpy(graph, "SPATEGRAPH", 10);
  for (size_t i = 10; i < sizeof graph; i++) graph[i] = (unsigned char)(i ^ 0x5a);
  char id[33], err[1024];
  int rc = rest_submit_job("localhost", rest_server_port(x->server), graph, sizeof graph, art_path,
                           id, err, sizeof err);
  if (rc < 0) fail_msg("rest_submit_job: %s", err);
  assert_true(rest_is_id(id));
  assert_int_equal(fake_cluster_state(&x->f, id), REST_JOB_RUNNING);
  assert_int_equal(FAKE_READ(x, x->f.submissions), 1);
  assert_int_equal(FAKE_READ(x, x->f.graph_len), sizeof graph);
  assert_memory_equal(FAKE_READ(x, x->f.graph), graph, sizeof graph);
  assert_int_equal(FAKE_READ(x, x->f.n_artifacts), 1);
  assert_int_equal(FAKE_READ(x, x->f.artifact_len), art_len);
  assert_memory_equal(FAKE_READ(x, x->f.artifact), art, art_len);
  unlink(art_path);
  free(art);
  TK_AWAIT(entries(x->upload_dir) == 0, "the upload directory to be removed");

  /* a graph that does not decode: 400 with the cluster's message */
  rc = rest_submit_job("localhost", rest_server_port(x->server), "garbage", 7, NULL, id, err,
                       sizeof err);
  assert_int_equal(rc, SPATE_EINVAL);
  assert_non_null(strstr(err, "the job graph does not decode"));
}

/* A raw multipart POST /jobs with the parts given (name, filename or NULL, data). */
static long raw_submit(fixture *x, int n, const char *const *names, const char *const *files,
                       const char *const *data, char *answer, size_t cap) {
  CURL *h = curl_easy_init();
  curl_mime *mime = curl_mime_init(h);
  for (int i = 0; i < n; i++) {
    curl_mimepart *p = curl_mime_addpart(mime);
    curl_mime_name(p, names[i]);
    curl_mime_data(p, data[i], CURL_ZERO_TERMINATED);
    if (files[i]) curl_mime_filename(p, files[i]);
  }
  char url[128];
  snprintf(url, sizeof url, "http://localhost:%d/jobs", rest_server_port(x->server));
  FILE *out = fmemopen(answer, cap, "w");
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  assert_int_equal(curl_easy_perform(h), CURLE_OK);
  fclose(out);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_mime_free(mime);
  curl_easy_cleanup(h);
  return status;
}

static void test_bad_uploads(void **state) {
  fixture *x = *state;
  char answer[2048];
  {
    const char *names[] = {"file_0"}, *files[] = {"g.bin"}, *data[] = {"SPATEGRAPH"};
    assert_int_equal(raw_submit(x, 1, names, files, data, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "'request' field"));
  }
  {
    const char *names[] = {"request", "file_0"}, *files[] = {NULL, "g.bin"},
               *data[] = {"{\"jobGraphFileName\":\"other.bin\"}", "SPATEGRAPH"};
    assert_int_equal(raw_submit(x, 2, names, files, data, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "field 'jobGraphFileName': no uploaded file is named"));
  }
  {
    const char *names[] = {"request", "file_0"}, *files[] = {NULL, "g.bin"},
               *data[] = {"{\"jobGraphFileName\":\"g.bin\",\"jobJarFileNames\":[\"job.so\"]}",
                          "SPATEGRAPH"};
    assert_int_equal(raw_submit(x, 2, names, files, data, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "field 'jobJarFileNames[0]': no uploaded file"));
  }
  {
    const char *names[] = {"request", "file_0"}, *files[] = {NULL, "g.bin"},
               *data[] = {"{\"jobGraphFileName\":\"g.bin\",\"jobJarFileNames\":\"job.so\"}",
                          "SPATEGRAPH"};
    assert_int_equal(raw_submit(x, 2, names, files, data, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "field 'jobJarFileNames' must be an array"));
  }
  {
    /* a path in the file name is reduced to its last component (CVE-2020-17518) */
    const char *names[] = {"request", "file_0"}, *files[] = {NULL, "../../../tmp/evil.bin"},
               *data[] = {"{\"jobGraphFileName\":\"evil.bin\"}", "SPATEGRAPH-evil"};
    assert_int_equal(raw_submit(x, 2, names, files, data, answer, sizeof answer), 202);
    assert_non_null(strstr(answer, "\"jobUrl\":\"/jobs/"));
    assert_int_equal(FAKE_READ(x, x->f.graph_len), 15);
  }
  {
    const char *names[] = {"request", "file_0", "file_1"}, *files[] = {NULL, "g.bin", "g.bin"},
               *data[] = {"{\"jobGraphFileName\":\"g.bin\"}", "SPATEGRAPH", "SPATEGRAPH"};
    assert_int_equal(raw_submit(x, 3, names, files, data, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "uploaded twice"));
  }
  /* not multipart at all */
  assert_error(x, "POST", "/jobs", "{\"jobGraphFileName\":\"g\"}", 400, "multipart/form-data");
  TK_AWAIT(entries(x->upload_dir) == 0, "the upload directories to be removed");
}

static void test_taskmanagers(void **state) {
  fixture *x = *state;
  long status;
  json_t *b = call(x, "GET", "/taskmanagers", NULL, &status);
  assert_int_equal(status, 200);
  json_t *tms = json_object_get(b, "taskmanagers");
  assert_int_equal(json_array_size(tms), 2);
  json_t *t = json_array_get(tms, 0);
  assert_string_equal(str(t, "id"), "localhost:6122-tm0");
  assert_string_equal(str(t, "path"), "spate://localhost:6122/taskmanager_0");
  assert_int_equal(integer(t, "dataPort"), 6200);
  integer(t, "jmxPort");
  integer(t, "timeSinceLastHeartbeat");
  assert_int_equal(integer(t, "slotsNumber"), 4);
  assert_int_equal(integer(t, "freeSlots"), 1);
  json_t *total = json_object_get(t, "totalResource");
  assert_true(json_is_number(json_object_get(total, "cpuCores")));
  assert_int_equal(integer(total, "managedMemory"), 128);
  assert_int_equal(integer(json_object_get(t, "freeResource"), "managedMemory"), 32);
  json_t *hw = json_object_get(t, "hardware");
  assert_int_equal(integer(hw, "cpuCores"), 2);
  integer(hw, "physicalMemory");
  integer(hw, "freeMemory");
  integer(hw, "managedMemory");
  json_t *mem = json_object_get(t, "memoryConfiguration");
  static const char *const keys[] = {"frameworkHeap",     "taskHeap",      "frameworkOffHeap",
                                     "taskOffHeap",       "networkMemory", "managedMemory",
                                     "jvmMetaspace",      "jvmOverhead",   "totalFlinkMemory",
                                     "totalProcessMemory"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) integer(mem, keys[i]);
  json_decref(b);
}

static void test_operation_limit(void **state) {
  fixture *x = start(0, 0, 1);
  char tid[33];
  fake_cluster_gate(&x->f, true);
  trigger(x, "/jobs/" RUNNING "/checkpoints", "{}", tid);
  assert_error(x, "POST", "/jobs/" RUNNING "/checkpoints", "{}", 503,
               "Too many asynchronous operations in progress");
  fake_cluster_gate(&x->f, false);
  char path[160];
  snprintf(path, sizeof path, "/jobs/" RUNNING "/checkpoints/%s", tid);
  json_decref(await_completed(x, path));
  /* the completed one makes room */
  trigger(x, "/jobs/" RUNNING "/checkpoints", "{}", tid);
  snprintf(path, sizeof path, "/jobs/" RUNNING "/checkpoints/%s", tid);
  json_t *op = await_completed(x, path);
  assert_int_equal(integer(op, "checkpointId"), 27);
  json_decref(op);
  stop(x);
}

static void test_shutdown(void **state) {
  fixture *x = *state;
  long status;
  json_t *b = call(x, "DELETE", "/cluster", NULL, &status);
  assert_int_equal(status, 200);
  assert_true(json_is_object(b) && json_object_size(b) == 0);
  json_decref(b);
  assert_true(fake_cluster_await_shutdown(&x->f, TK_TIMEOUT_MS));
}

static void test_client(void **state) {
  fixture *x = *state;
  rest_job_result r = {0};
  char err[1024];
  int port = rest_server_port(x->server);
  assert_int_equal(
      rest_wait_job_result("localhost", port, FAKE_JOB_FINISHED, 0, &r, err, sizeof err), 0);
  assert_true(r.done);
  assert_int_equal(r.state, REST_JOB_FINISHED);
  assert_int_equal(r.net_runtime, 5000);
  assert_string_equal(r.accumulators_json, "{\"records\":42}");
  rest_job_result_free(&r);
  assert_int_equal(rest_wait_job_result("localhost", port, FAKE_JOB_FAILED, 0, &r, err, sizeof err),
                   0);
  assert_int_equal(r.state, REST_JOB_FAILED);
  assert_non_null(strstr(r.failure, "boom"));
  rest_job_result_free(&r);
  /* a job that never ends, with a deadline */
  int rc = rest_wait_job_result("localhost", port, RUNNING, 30, &r, err, sizeof err);
  assert_int_equal(rc, SPATE_EIO);
  assert_non_null(strstr(err, "did not finish within 30 ms"));
  rest_job_result_free(&r);
  rc = rest_wait_job_result("localhost", port, "00000000000000000000000000000000", 0, &r, err,
                            sizeof err);
  assert_int_equal(rc, SPATE_ENOENT);
  rest_job_result_free(&r);

  /* a closed port: the message names the address */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  getsockname(fd, (struct sockaddr *)&a, &al);
  int closed = ntohs(a.sin_port);
  close(fd); /* bound, never listening, now closed: nothing accepts there */
  rest_client c;
  rest_client_init(&c, "127.0.0.1", closed, 0, NULL);
  long status;
  json_t *body;
  rc = rest_request_json(&c, "GET", "/jobs", NULL, &status, &body, err, sizeof err);
  assert_int_equal(rc, SPATE_EIO);
  char want[128];
  snprintf(want, sizeof want, "Could not connect to the JobManager at 127.0.0.1:%d", closed);
  if (!strstr(err, want) || !strstr(err, "(rest.address:rest.port)")) fail_msg("%s", err);
  rest_client_free(&c);

  char *host;
  int p;
  assert_int_equal(rest_parse_address("[::1]:8081", &host, &p, err, sizeof err), 0);
  assert_string_equal(host, "::1");
  assert_int_equal(p, 8081);
  sp_free(host);
  assert_int_equal(rest_parse_address("localhost", &host, &p, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "'localhost'"));
  assert_int_equal(rest_parse_address("localhost:99999", &host, &p, err, sizeof err), SPATE_EINVAL);
}

static void test_bind_errors(void **state) {
  fixture *x = *state;
  fake_cluster f;
  fake_cluster_init(&f);
  rest_server_config cfg = {.bind_address = "localhost",
                            .port = rest_server_port(x->server),
                            .ops = &fake_cluster_ops,
                            .ctx = &f};
  rest_server *s;
  char err[1024], want[64];
  assert_int_equal(rest_server_start(&cfg, &s, err, sizeof err), SPATE_EIO);
  snprintf(want, sizeof want, "localhost:%d", cfg.port);
  if (!strstr(err, want) || !strstr(err, "in use")) fail_msg("%s", err);
  cfg.bind_address = "no-such-host.invalid";
  cfg.port = 0;
  assert_int_equal(rest_server_start(&cfg, &s, err, sizeof err), SPATE_EIO);
  assert_non_null(strstr(err, "no-such-host.invalid"));
  rest_cluster_ops partial = fake_cluster_ops;
  partial.checkpoint = NULL;
  cfg.ops = &partial;
  cfg.bind_address = "localhost";
  assert_int_equal(rest_server_start(&cfg, &s, err, sizeof err), SPATE_EINVAL);
  fake_cluster_destroy(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_config_and_overview, setup, teardown),
      cmocka_unit_test_setup_teardown(test_jobs_and_overview, setup, teardown),
      cmocka_unit_test_setup_teardown(test_job_details, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_execution_result, setup, teardown),
      cmocka_unit_test_setup_teardown(test_savepoint_flow, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stop_checkpoint_dispose, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_bodies, setup, teardown),
      cmocka_unit_test(test_body_limit),
      cmocka_unit_test_setup_teardown(test_submit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_uploads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_taskmanagers, setup, teardown),
      cmocka_unit_test(test_operation_limit),
      cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bind_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
