/*
 * test_rest_jobs.c: the REST endpoint's job, vertex and subtask routes on a real JobManager
 * (ResourceManager, Dispatcher, JobMasters, cluster view, REST server) and a real TaskManager
 * (TaskExecutor with its data server), each with its own RPC service on loopback, in one process.
 * Two jobs run on them:
 *  - "rest-jobs-running": a rate-limited generator (parallelism 1) rebalanced into a map and a
 *    discarding sink (parallelism 2), checkpointed (one checkpoint taken through the gateway);
 *  - "rest-jobs-failover": a bounded generator into a map that fails once, restarted fully and
 *    then finished.
 * Every route's JSON is checked key by key and type by type against Flink's (reference
 * flink-operations.md §1.2, §1.3): the exact set of keys, each key's JSON type, and the values
 * the cluster determines (ids, states, attempts, the TaskManager's id and data endpoint, the
 * recorded failure). Also the status codes: 404 for an unknown job, vertex, subtask or attempt,
 * 400 for malformed ids and query parameters, 202 for the GET cancel, 409 cancelling it again,
 * 501 from a cluster that does not implement the jobs part's operations.
 * The tests run in order on one cluster; the last one cancels the running job.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/testkit.h"

#include "api/api.h"
#include "base/alloc.h"
#include "base/config.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/jobmanager_gateway.h"
#include "cluster/messages.h"
#include "graph/stream_graph.h"
#include "net/shuffle_net.h"
#include "rest/jobmanager_rest.h"
#include "rest/jobmanager_rest_tm.h"
#include "rest/rest_client.h"
#include "rest/rest_server.h"
#include "spate/spate.h"

#define RUNNING_ID "11111111111111111111111111111111"
#define FAILOVER_ID "22222222222222222222222222222222"
#define UNKNOWN_ID "33333333333333333333333333333333"

/* ---- the jobs' functions (resolved by the TaskExecutor in this program) ---------------------- */

static _Atomic bool g_failed; /* the failover job's map failed once */

int rj_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out);
int rj_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

int rj_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
int rj_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_field(out, 0, in, 0);
  return 0;
}

int rj_fail_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
int rj_fail_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  static _Thread_local int64_t seen;
  if (++seen == 100 && !atomic_exchange(&g_failed, true))
    return spate_ctx_fail(ctx, "injected failure");
  spate_rb_set_field(out, 0, in, 0);
  return 0;
}

/* ---- the cluster ----------------------------------------------------------------------------- */

typedef struct cluster {
  rpc_service *jm_rpc, *tm_rpc;
  cluster_view *view;
  resource_manager *rm;
  dispatcher *d;
  jm_gateway *gw;
  void *rest;
  int rest_port;
  shuffle_env *shuffle;
  shuffle_net *data;
  task_executor *te;
  rest_client client;
  char ckpt_dir[256];
  char tm_id[600];    /* its id in /taskmanagers (jmr_tm_id of the TaskExecutor's address) */
  char endpoint[600]; /* its data server */
} cluster;

static cluster g_c;

static void set(sp_config *cfg, const char *key, const char *value) {
  char err[SP_ERRMSG_MAX];
  if (sp_config_set(cfg, key, value, "test", err, sizeof err) < 0) fail_msg("%s", err);
}

/* Encodes the job (sp_free): running (true) or failover (false). */
static uint8_t *job_bytes(bool running, size_t *len) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "n BIGINT");
  if (running) {
    spate_stream *src = spate_parallelism(spate_generate_rate_limited(env, s, rj_gen, -1, 50.0), 1);
    spate_discard(spate_parallelism(spate_map(spate_rebalance(src), rj_map, s), 2));
  } else {
    spate_stream *src = spate_parallelism(spate_generate(env, s, rj_gen, 2000), 1);
    spate_discard(spate_map(src, rj_fail_map, s));
  }
  assert_null(spate_env_error(env));
  stream_graph *g = env->g;
  sp_free(g->job_name);
  g->job_name = sp_strdup(running ? "rest-jobs-running" : "rest-jobs-failover");
  g->default_parallelism = running ? 2 : 1;
  g->buffer_timeout_ms = 0;
  sp_config *cfg = sp_config_new();
  set(cfg, "restart-strategy.type", "fixed-delay");
  set(cfg, "restart-strategy.fixed-delay.attempts", "1");
  set(cfg, "restart-strategy.fixed-delay.delay", "0 ms");
  if (running) {
    set(cfg, "execution.checkpointing.interval", "1 h"); /* checkpoints only when asked */
    set(cfg, "state.checkpoints.dir", g_c.ckpt_dir);
    set(cfg, "parallelism.default", "2");
  } else {
    set(cfg, "jobmanager.execution.failover-strategy", "full");
  }
  assert_int_equal(sg_set_config(g, cfg), 0);
  sp_config_free(cfg);
  job_graph *jg = NULL;
  char err[SP_ERRMSG_MAX];
  if (jobgraph_build(g, &jg, err, sizeof err) < 0) fail_msg("%s", err);
  memcpy(jg->job_id, running ? RUNNING_ID : FAILOVER_ID, sizeof jg->job_id);
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(jobgraph_encode(jg, &w), 0);
  jobgraph_free(jg);
  spate_env_free(env);
  return sp_writer_take(&w, len);
}

static void submit(bool running) {
  size_t len;
  uint8_t *bytes = job_bytes(running, &len);
  char id[33], err[SP_ERRMSG_MAX];
  if (jm_gateway_submit(g_c.gw, bytes, len, NULL, id, err, sizeof err) < 0) fail_msg("%s", err);
  sp_free(bytes);
}

/* The job's status in the view ("" unknown), into out. */
static void job_status(const char *id, char *out, size_t len) {
  cluster_view_lock(g_c.view);
  cv_job *j = cluster_view_find(g_c.view, id);
  snprintf(out, len, "%s", j ? j->status : "");
  cluster_view_unlock(g_c.view);
}

static bool status_is(const char *id, const char *want) {
  char s[32];
  job_status(id, s, sizeof s);
  return strcmp(s, want) == 0;
}

/* The job ended (its final status, end time and result are in the view: the status alone is
 * set a moment before). */
static bool job_done(const char *id) {
  cluster_view_lock(g_c.view);
  cv_job *j = cluster_view_find(g_c.view, id);
  bool done = j && j->done;
  cluster_view_unlock(g_c.view);
  return done;
}

/* Every subtask of the job's current attempt RUNNING. */
static bool all_running(const char *id) {
  cluster_view_lock(g_c.view);
  cv_job *j = cluster_view_find(g_c.view, id);
  bool all = j && j->ntasks > 0;
  for (int i = 0; all && i < j->ntasks; i++) all = j->exec[i] == TS_RUNNING;
  cluster_view_unlock(g_c.view);
  return all;
}

static int setup_cluster(void **state) {
  (void)state;
  char err[SP_ERRMSG_MAX];
  tk_mkdtemp(g_c.ckpt_dir, sizeof g_c.ckpt_dir, "spate-rest-jobs-");
  /* the JobManager */
  assert_int_equal(rpc_service_create(NULL, &g_c.jm_rpc), 0);
  if (rpc_service_listen(g_c.jm_rpc, "127.0.0.1", 0, "127.0.0.1", err, sizeof err) < 0)
    fail_msg("%s", err);
  assert_int_equal(cluster_view_create(&g_c.view), 0);
  rm_options ro = {.slot_wait_ms = tk_timeout_ms(), .view = g_c.view};
  assert_int_equal(rm_start(g_c.jm_rpc, &ro, &g_c.rm), 0);
  assert_int_equal(dispatcher_start(g_c.jm_rpc, NULL, g_c.view, &g_c.d), 0);
  assert_int_equal(jm_gateway_create(g_c.jm_rpc, NULL, g_c.view, &g_c.gw), 0);
  sp_config *cfg = sp_config_new();
  set(cfg, "rest.port", "0");
  set(cfg, "rest.bind-address", "localhost");
  if (jobmanager_rest_start(cfg, g_c.gw, &g_c.rest, &g_c.rest_port, err, sizeof err) < 0)
    fail_msg("%s", err);
  sp_config_free(cfg);
  assert_int_equal(rest_client_init(&g_c.client, "localhost", g_c.rest_port, 0, NULL), 0);
  /* the TaskManager */
  assert_int_equal(rpc_service_create(NULL, &g_c.tm_rpc), 0);
  if (rpc_service_listen(g_c.tm_rpc, "127.0.0.1", 0, "127.0.0.1", err, sizeof err) < 0)
    fail_msg("%s", err);
  assert_int_equal(shuffle_env_create(&g_c.shuffle), 0);
  if (shuffle_net_start(g_c.shuffle, "127.0.0.1", 0, "127.0.0.1", &g_c.data, err, sizeof err) < 0)
    fail_msg("%s", err);
  snprintf(g_c.endpoint, sizeof g_c.endpoint, "%s", shuffle_net_address(g_c.data));
  char rm[600];
  snprintf(rm, sizeof rm, "%s/%s", rpc_service_address(g_c.jm_rpc), RM_ADDRESS);
  task_config tc = {.buffer_size = 32768, .buffers_per_channel = 2, .floating_buffers = 8};
  te_options to = {.rm_address = rm, .data_address = g_c.endpoint};
  assert_int_equal(te_start(g_c.tm_rpc, g_c.shuffle, 0, 4, &tc, &to, &g_c.te), 0);
  char tm_address[600];
  snprintf(tm_address, sizeof tm_address, "%s/taskexecutor-0", rpc_service_address(g_c.tm_rpc));
  jmr_tm_id(tm_address, g_c.tm_id);
  TK_AWAIT(({
             cluster_view_lock(g_c.view);
             int n = g_c.view->ntms;
             cluster_view_unlock(g_c.view);
             n == 1;
           }),
           "the TaskManager registered");
  /* the jobs */
  submit(false);
  TK_AWAIT(job_done(FAILOVER_ID), "the failover job ended (status %s)", ({
             static char s[32];
             job_status(FAILOVER_ID, s, sizeof s);
             s;
           }));
  if (!status_is(FAILOVER_ID, "FINISHED")) fail_msg("the failover job did not finish");
  submit(true);
  TK_AWAIT(all_running(RUNNING_ID), "every subtask of the running job RUNNING");
  int64_t id;
  if (jm_gateway_snapshot(g_c.gw, RUNNING_ID, JM_CHECKPOINT, NULL, &id, NULL, err, sizeof err) < 0)
    fail_msg("checkpoint: %s", err);
  return 0;
}

static int teardown_cluster(void **state) {
  (void)state;
  rest_client_free(&g_c.client);
  jobmanager_rest_stop(g_c.rest);
  char err[SP_ERRMSG_MAX];
  jm_gateway_cancel(g_c.gw, RUNNING_ID, err, sizeof err); /* may have ended */
  jm_gateway_wait_done(g_c.gw, RUNNING_ID, tk_timeout_ms());
  dispatcher_stop(g_c.d);
  te_stop(g_c.te);
  rm_stop(g_c.rm);
  jm_gateway_free(g_c.gw);
  rpc_service_destroy(g_c.tm_rpc);
  rpc_service_destroy(g_c.jm_rpc);
  shuffle_net_stop(g_c.data);
  shuffle_env_destroy(g_c.shuffle);
  cluster_view_free(g_c.view);
  tk_rm_rf(g_c.ckpt_dir);
  return 0;
}

/* ---- requests and JSON checks ------------------------------------------------------------------ */

/* GET path; its status into *status, its JSON body returned (new reference). */
static json_t *get(const char *path, long *status) {
  json_t *out = NULL;
  char err[1024];
  *status = 0;
  rest_request_json(&g_c.client, "GET", path, NULL, status, &out, err, sizeof err);
  if (*status == 0) fail_msg("GET %s: no answer: %s", path, err);
  return out;
}

/* GET path answered 200: its body. */
static json_t *get_ok(const char *path) {
  long status;
  json_t *b = get(path, &status);
  if (status != 200) {
    char *text = b ? json_dumps(b, 0) : NULL;
    fail_msg("GET %s: HTTP %ld: %s", path, status, text ? text : "");
  }
  return b;
}

/* GET path answered want_status with {"errors": [message containing want]}. */
static void get_error(const char *path, long want_status, const char *want) {
  long status;
  json_t *b = get(path, &status);
  if (status != want_status) fail_msg("GET %s: HTTP %ld, expected %ld", path, status, want_status);
  json_t *errors = json_object_get(b, "errors");
  if (!json_is_array(errors) || json_array_size(errors) != 1)
    fail_msg("GET %s: no {\"errors\": [message]}", path);
  const char *msg = json_string_value(json_array_get(errors, 0));
  if (!msg || !strstr(msg, want)) fail_msg("GET %s: error '%s' lacks '%s'", path, msg, want);
  json_decref(b);
}

/* Whether v has JSON type t: s string, i integer, n number, b bool, o object, a array, z null,
 * S string or null. */
static bool has_type(json_t *v, char t) {
  switch (t) {
  case 's': return json_is_string(v);
  case 'i': return json_is_integer(v);
  case 'n': return json_is_number(v);
  case 'b': return json_is_boolean(v);
  case 'o': return json_is_object(v);
  case 'a': return json_is_array(v);
  case 'z': return json_is_null(v);
  case 'S': return json_is_string(v) || json_is_null(v);
  default: return false;
  }
}

/* Asserts that o (what) is an object with exactly the keys of spec ("key:t key:t ...", types as
 * has_type), each of its type. */
static void check_keys(json_t *o, const char *what, const char *spec) {
  if (!json_is_object(o)) fail_msg("%s is not an object", what);
  size_t n = 0;
  char key[128];
  for (const char *p = spec; *p;) {
    while (*p == ' ') p++;
    if (!*p) break;
    const char *colon = strchr(p, ':');
    assert_non_null(colon);
    snprintf(key, sizeof key, "%.*s", (int)(colon - p), p);
    json_t *v = json_object_get(o, key);
    if (!v) fail_msg("%s lacks key '%s'", what, key);
    if (!has_type(v, colon[1])) fail_msg("%s: key '%s' is not of type '%c'", what, key, colon[1]);
    n++;
    p = colon + 2;
  }
  if (json_object_size(o) != n) {
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
      if (!strstr(spec, k)) fail_msg("%s has an unexpected key '%s'", what, k);
    }
    fail_msg("%s has %zu keys, expected %zu", what, json_object_size(o), n);
  }
}

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

static bool is_hex32(const char *s) {
  if (strlen(s) != 32) return false;
  for (int i = 0; i < 32; i++)
    if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) return false;
  return true;
}

#define EXEC_STATES                                                                         \
  "CREATED:i SCHEDULED:i DEPLOYING:i RUNNING:i FINISHED:i CANCELING:i CANCELED:i FAILED:i " \
  "RECONCILING:i INITIALIZING:i"
#define IO_METRICS                                                                          \
  "read-bytes:i read-bytes-complete:b write-bytes:i write-bytes-complete:b read-records:i " \
  "read-records-complete:b write-records:i write-records-complete:b "                       \
  "accumulated-backpressured-time:i accumulated-idle-time:i accumulated-busy-time:n"
#define ATTEMPT                                                                          \
  "subtask:i status:s attempt:i host:s endpoint:s start-time:i start_time:i end-time:i " \
  "duration:i metrics:o taskmanager-id:s status-duration:o other-concurrent-attempts:a"
#define STATUS_DURATION "CREATED:i SCHEDULED:i DEPLOYING:i INITIALIZING:i RUNNING:i"
#define STATUS_DURATION_OBJECTS "CREATED:o SCHEDULED:o DEPLOYING:o INITIALIZING:o RUNNING:o"

/* The vertex ids of a job, from /jobs/:jobid (n of them). */
static void vertex_ids(const char *job, char ids[][33], size_t n) {
  char path[128];
  snprintf(path, sizeof path, "/jobs/%s", job);
  json_t *d = get_ok(path);
  json_t *vs = json_object_get(d, "vertices");
  assert_int_equal(json_array_size(vs), n);
  for (size_t i = 0; i < n; i++) snprintf(ids[i], 33, "%s", str(json_array_get(vs, i), "id"));
  json_decref(d);
}

/* Checks a SubtaskExecutionAttemptDetailsInfo of a subtask that ran on the TaskManager. */
static void check_attempt(json_t *a, const char *what, int subtask, int attempt,
                          const char *status) {
  check_keys(a, what, ATTEMPT);
  check_keys(json_object_get(a, "metrics"), "attempt metrics", IO_METRICS);
  check_keys(json_object_get(a, "status-duration"), "status-duration", STATUS_DURATION);
  assert_int_equal(integer(a, "subtask"), subtask);
  assert_int_equal(integer(a, "attempt"), attempt);
  assert_string_equal(str(a, "status"), status);
  assert_string_equal(str(a, "endpoint"), g_c.endpoint);
  assert_string_equal(str(a, "host"), g_c.endpoint);
  assert_string_equal(str(a, "taskmanager-id"), g_c.tm_id);
  assert_true(integer(a, "start-time") > 0);
  assert_int_equal(integer(a, "start-time"), integer(a, "start_time"));
  assert_true(integer(a, "duration") >= 0);
  json_t *sd = json_object_get(a, "status-duration");
  assert_true(integer(sd, "CREATED") >= 0);
  assert_int_equal(integer(sd, "INITIALIZING"), -1); /* Spate has no INITIALIZING state */
}

/* Checks AggregatedTaskDetailsInfo over n running subtasks: {metrics: {7 IO figures: stats},
 * status-duration: {5 states: stats}}, stats being {min, max, avg, sum, median, p25, p75, p95}. */
static void check_aggregated(json_t *agg, int n) {
  check_keys(agg, "aggregated", "metrics:o status-duration:o");
  static const char *const stats = "min:i max:i avg:i sum:i median:i p25:i p75:i p95:i";
  json_t *m = json_object_get(agg, "metrics");
  check_keys(m, "aggregated metrics",
             "read-bytes:o write-bytes:o read-records:o write-records:o "
             "accumulated-backpressured-time:o accumulated-busy-time:o accumulated-idle-time:o");
  const char *k;
  json_t *v;
  json_object_foreach(m, k, v) check_keys(v, k, stats);
  json_t *d = json_object_get(agg, "status-duration");
  check_keys(d, "aggregated status-duration", STATUS_DURATION_OBJECTS);
  json_object_foreach(d, k, v) check_keys(v, k, stats);
  /* every subtask was created and runs: CREATED lasted >= 0 ms each, INITIALIZING never */
  json_t *created = json_object_get(d, "CREATED"), *init = json_object_get(d, "INITIALIZING");
  assert_true(integer(created, "min") >= 0);
  assert_true(integer(created, "min") <= integer(created, "median"));
  assert_true(integer(created, "median") <= integer(created, "max"));
  assert_true(integer(created, "sum") >= integer(created, "max"));
  assert_int_equal(integer(init, "sum"), -n);
  assert_int_equal(integer(init, "p95"), -1);
}

/* ---- the tests ------------------------------------------------------------------------------- */

static void test_job_details_and_plan(void **state) {
  (void)state;
  json_t *d = get_ok("/jobs/" RUNNING_ID);
  check_keys(d, "JobDetailsInfo",
             "jid:s name:s isStoppable:b state:s job-type:s start-time:i end-time:i duration:i "
             "maxParallelism:i now:i timestamps:o vertices:a status-counts:o plan:o");
  assert_string_equal(str(d, "jid"), RUNNING_ID);
  assert_string_equal(str(d, "name"), "rest-jobs-running");
  assert_string_equal(str(d, "state"), "RUNNING");
  assert_string_equal(str(d, "job-type"), "STREAMING");
  assert_int_equal(integer(d, "end-time"), -1);
  check_keys(json_object_get(d, "timestamps"), "timestamps",
             "INITIALIZING:i CREATED:i RUNNING:i FAILING:i FAILED:i CANCELLING:i CANCELED:i "
             "FINISHED:i RESTARTING:i SUSPENDED:i RECONCILING:i");
  assert_true(integer(json_object_get(d, "timestamps"), "RUNNING") > 0);
  assert_int_equal(integer(json_object_get(d, "timestamps"), "FAILED"), 0);
  json_t *vs = json_object_get(d, "vertices");
  assert_int_equal(json_array_size(vs), 2);
  static const int parallelism[] = {1, 2};
  for (size_t i = 0; i < 2; i++) {
    json_t *v = json_array_get(vs, i);
    check_keys(v, "vertex",
               "id:s name:s maxParallelism:i parallelism:i status:s start-time:i end-time:i "
               "duration:i tasks:o metrics:o");
    check_keys(json_object_get(v, "tasks"), "vertex tasks", EXEC_STATES);
    check_keys(json_object_get(v, "metrics"), "vertex metrics", IO_METRICS);
    assert_true(is_hex32(str(v, "id")));
    assert_int_equal(integer(v, "parallelism"), parallelism[i]);
    assert_string_equal(str(v, "status"), "RUNNING");
    assert_int_equal(integer(json_object_get(v, "tasks"), "RUNNING"), parallelism[i]);
    assert_true(integer(v, "start-time") > 0);
    assert_int_equal(integer(v, "end-time"), -1);
  }
  check_keys(json_object_get(d, "status-counts"), "status-counts", EXEC_STATES);
  assert_int_equal(integer(json_object_get(d, "status-counts"), "RUNNING"), 2);
  /* the plan: JobVertexIDs as node ids and input ids, so the dashboard matches them */
  json_t *plan = json_object_get(d, "plan");
  check_keys(plan, "plan", "jid:s name:s type:s nodes:a");
  json_t *nodes = json_object_get(plan, "nodes");
  assert_int_equal(json_array_size(nodes), 2);
  const char *v0 = str(json_array_get(vs, 0), "id"), *v1 = str(json_array_get(vs, 1), "id");
  json_t *n0 = json_array_get(nodes, 0), *n1 = json_array_get(nodes, 1);
  assert_string_equal(str(n0, "id"), v0);
  assert_true(integer(n0, "maxParallelism") > 0);
  assert_string_equal(str(n1, "id"), v1);
  assert_null(json_object_get(n0, "inputs")); /* Flink leaves it out for sources */
  json_t *in = json_array_get(json_object_get(n1, "inputs"), 0);
  check_keys(in, "plan input", "num:i id:s ship_strategy:s exchange:s");
  assert_string_equal(str(in, "id"), v0);
  /* GET /jobs/:jobid/plan serves the same plan */
  json_t *p = get_ok("/jobs/" RUNNING_ID "/plan");
  check_keys(p, "JobPlanInfo", "plan:o");
  assert_true(json_equal(json_object_get(p, "plan"), plan));
  json_decref(p);
  json_decref(d);
}

static void test_jobs_overview(void **state) {
  (void)state;
  json_t *o = get_ok("/jobs/overview");
  json_t *jobs = json_object_get(o, "jobs");
  assert_int_equal(json_array_size(jobs), 2);
  for (size_t i = 0; i < 2; i++) {
    json_t *j = json_array_get(jobs, i);
    check_keys(j, "JobDetails",
               "jid:s name:s start-time:i end-time:i duration:i state:s last-modification:i "
               "tasks:o pending-operators:i");
    check_keys(json_object_get(j, "tasks"), "JobDetails tasks",
               "total:i created:i scheduled:i deploying:i running:i finished:i canceling:i "
               "canceled:i failed:i reconciling:i initializing:i");
    assert_int_equal(integer(j, "pending-operators"), 0);
  }
  json_t *f = json_array_get(jobs, 0), *r = json_array_get(jobs, 1);
  assert_string_equal(str(f, "jid"), FAILOVER_ID);
  assert_string_equal(str(f, "state"), "FINISHED");
  assert_int_equal(integer(json_object_get(f, "tasks"), "finished"), 1);
  assert_true(integer(f, "end-time") >= integer(f, "start-time"));
  assert_string_equal(str(r, "state"), "RUNNING");
  assert_int_equal(integer(json_object_get(r, "tasks"), "total"), 3);
  assert_int_equal(integer(json_object_get(r, "tasks"), "running"), 3);
  json_decref(o);
}

static void test_job_config(void **state) {
  (void)state;
  json_t *c = get_ok("/jobs/" RUNNING_ID "/config");
  check_keys(c, "JobConfigInfo", "jid:s name:s execution-config:o");
  assert_string_equal(str(c, "jid"), RUNNING_ID);
  assert_string_equal(str(c, "name"), "rest-jobs-running");
  json_t *e = json_object_get(c, "execution-config");
  check_keys(e, "execution-config",
             "execution-mode:s restart-strategy:s job-parallelism:i object-reuse-mode:b "
             "user-config:o");
  assert_string_equal(str(e, "execution-mode"), "PIPELINED");
  assert_non_null(strstr(str(e, "restart-strategy"), "FixedDelay"));
  assert_int_equal(integer(e, "job-parallelism"), 2);
  json_t *u = json_object_get(e, "user-config");
  assert_string_equal(str(u, "restart-strategy.type"), "fixed-delay");
  assert_string_equal(str(u, "execution.checkpointing.interval"), "1 h");
  /* the failover job sets no parallelism.default */
  json_t *f = get_ok("/jobs/" FAILOVER_ID "/config");
  assert_int_equal(integer(json_object_get(f, "execution-config"), "job-parallelism"), -1);
  json_decref(f);
  json_decref(c);
}

static void test_vertex_details(void **state) {
  (void)state;
  char ids[2][33], path[256];
  vertex_ids(RUNNING_ID, ids, 2);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s", RUNNING_ID, ids[1]);
  json_t *v = get_ok(path);
  check_keys(v, "JobVertexDetailsInfo",
             "id:s name:s parallelism:i maxParallelism:i now:i subtasks:a aggregated:o");
  check_aggregated(json_object_get(v, "aggregated"), 2);
  assert_string_equal(str(v, "id"), ids[1]);
  assert_int_equal(integer(v, "parallelism"), 2);
  json_t *subtasks = json_object_get(v, "subtasks");
  assert_int_equal(json_array_size(subtasks), 2);
  for (int s = 0; s < 2; s++) {
    json_t *a = json_array_get(subtasks, (size_t)s);
    check_attempt(a, "subtask", s, 0, "RUNNING");
    assert_int_equal(integer(a, "end-time"), -1);
    assert_true(integer(json_object_get(a, "status-duration"), "RUNNING") >= 0);
  }
  json_decref(v);
  /* the TaskManager's id is the one /taskmanagers lists */
  json_t *tms = get_ok("/taskmanagers");
  assert_string_equal(str(json_array_get(json_object_get(tms, "taskmanagers"), 0), "id"),
                      g_c.tm_id);
  json_decref(tms);
}

static void test_subtask_times_and_taskmanagers(void **state) {
  (void)state;
  char ids[2][33], path[256];
  vertex_ids(RUNNING_ID, ids, 2);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasktimes", RUNNING_ID, ids[1]);
  json_t *t = get_ok(path);
  check_keys(t, "SubtasksTimesInfo", "id:s name:s now:i subtasks:a");
  assert_int_equal(json_array_size(json_object_get(t, "subtasks")), 2);
  for (size_t s = 0; s < 2; s++) {
    json_t *e = json_array_get(json_object_get(t, "subtasks"), s);
    check_keys(e, "subtask times", "subtask:i host:s endpoint:s duration:i timestamps:o");
    json_t *ts = json_object_get(e, "timestamps");
    check_keys(ts, "timestamps", EXEC_STATES);
    assert_int_equal(integer(e, "subtask"), (json_int_t)s);
    assert_true(integer(ts, "CREATED") > 0);
    assert_true(integer(ts, "DEPLOYING") >= integer(ts, "CREATED"));
    assert_true(integer(ts, "RUNNING") >= integer(ts, "DEPLOYING"));
    assert_int_equal(integer(ts, "FINISHED"), 0);
  }
  json_decref(t);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/taskmanagers", RUNNING_ID, ids[1]);
  json_t *m = get_ok(path);
  check_keys(m, "JobVertexTaskManagersInfo", "id:s name:s now:i taskmanagers:a");
  json_t *tms = json_object_get(m, "taskmanagers");
  assert_int_equal(json_array_size(tms), 1);
  json_t *tm = json_array_get(tms, 0);
  check_keys(tm, "vertex taskmanager",
             "host:s endpoint:s status:s start-time:i end-time:i duration:i metrics:o "
             "status-counts:o taskmanager-id:s aggregated:o");
  check_aggregated(json_object_get(tm, "aggregated"), 2);
  check_keys(json_object_get(tm, "metrics"), "vertex taskmanager metrics", IO_METRICS);
  check_keys(json_object_get(tm, "status-counts"), "vertex taskmanager status-counts", EXEC_STATES);
  assert_string_equal(str(tm, "taskmanager-id"), g_c.tm_id);
  assert_string_equal(str(tm, "endpoint"), g_c.endpoint);
  assert_string_equal(str(tm, "status"), "RUNNING");
  assert_int_equal(integer(json_object_get(tm, "status-counts"), "RUNNING"), 2);
  assert_int_equal(integer(tm, "end-time"), -1);
  json_decref(m);
}

static void test_subtasks_and_attempts(void **state) {
  (void)state;
  char ids[2][33], path[256];
  vertex_ids(RUNNING_ID, ids, 2);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/1", RUNNING_ID, ids[1]);
  json_t *a = get_ok(path);
  check_attempt(a, "subtask 1", 1, 0, "RUNNING");
  json_decref(a);
  snprintf(path, sizeof path, "/v1/jobs/%s/vertices/%s/subtasks/1/attempts/0", RUNNING_ID, ids[1]);
  a = get_ok(path);
  check_attempt(a, "subtask 1 attempt 0", 1, 0, "RUNNING");
  json_decref(a);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/2", RUNNING_ID, ids[1]);
  get_error(path, 404, "Invalid subtask index 2");
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/1/attempts/1", RUNNING_ID, ids[1]);
  get_error(path, 404, "Attempt 1 of subtask 1 not found");
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/x", RUNNING_ID, ids[1]);
  get_error(path, 400, "subtask index");
  /* the failover job's subtask: attempt 1 finished, attempt 0 kept with its final state */
  char fids[1][33];
  vertex_ids(FAILOVER_ID, fids, 1);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/0", FAILOVER_ID, fids[0]);
  a = get_ok(path);
  check_attempt(a, "failover subtask", 0, 1, "FINISHED");
  assert_true(integer(a, "end-time") >= integer(a, "start-time"));
  json_decref(a);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/0/attempts/0", FAILOVER_ID, fids[0]);
  a = get_ok(path);
  check_attempt(a, "failed attempt", 0, 0, "FAILED");
  assert_true(integer(a, "end-time") > 0);
  json_decref(a);
}

static void test_exceptions(void **state) {
  (void)state;
  json_t *e = get_ok("/jobs/" FAILOVER_ID "/exceptions");
  check_keys(e, "JobExceptionsInfoWithHistory",
             "root-exception:S timestamp:i all-exceptions:a truncated:b exceptionHistory:o");
  json_t *h = json_object_get(e, "exceptionHistory");
  check_keys(h, "exceptionHistory", "entries:a truncated:b");
  assert_false(json_is_true(json_object_get(h, "truncated")));
  json_t *entries = json_object_get(h, "entries");
  assert_int_equal(json_array_size(entries), 1);
  json_t *x = json_array_get(entries, 0);
  check_keys(x, "exception history entry",
             "exceptionName:s stacktrace:s timestamp:i taskName:s location:s endpoint:s "
             "taskManagerId:s failureLabels:o concurrentExceptions:a");
  assert_string_equal(str(x, "exceptionName"), "TaskFailure");
  assert_non_null(strstr(str(x, "stacktrace"), "injected failure"));
  char name[600];
  json_t *d = get_ok("/jobs/" FAILOVER_ID);
  snprintf(name, sizeof name, "%s (1/1)",
           str(json_array_get(json_object_get(d, "vertices"), 0), "name"));
  assert_string_equal(str(x, "taskName"), name);
  assert_true(integer(x, "timestamp") >= integer(d, "start-time"));
  json_decref(d);
  assert_string_equal(str(x, "endpoint"), g_c.endpoint);
  assert_string_equal(str(x, "location"), g_c.endpoint);
  assert_string_equal(str(x, "taskManagerId"), g_c.tm_id);
  assert_int_equal(json_object_size(json_object_get(x, "failureLabels")), 0);
  assert_int_equal(json_array_size(json_object_get(x, "concurrentExceptions")), 0);
  /* the legacy keys */
  assert_string_equal(str(e, "root-exception"), str(x, "stacktrace"));
  json_t *all = json_object_get(e, "all-exceptions");
  assert_int_equal(json_array_size(all), 1);
  check_keys(json_array_get(all, 0), "all-exceptions entry",
             "exception:s task:s location:s endpoint:s timestamp:i taskManagerId:s");
  json_decref(e);
  /* maxExceptions */
  e = get_ok("/jobs/" FAILOVER_ID "/exceptions?maxExceptions=0");
  h = json_object_get(e, "exceptionHistory");
  assert_int_equal(json_array_size(json_object_get(h, "entries")), 0);
  assert_true(json_is_true(json_object_get(h, "truncated")));
  json_decref(e);
  get_error("/jobs/" FAILOVER_ID "/exceptions?maxExceptions=x", 400, "maxExceptions");
  /* a job that never failed */
  e = get_ok("/jobs/" RUNNING_ID "/exceptions");
  assert_true(json_is_null(json_object_get(e, "root-exception")));
  assert_true(json_is_null(json_object_get(e, "timestamp")));
  assert_int_equal(
      json_array_size(json_object_get(json_object_get(e, "exceptionHistory"), "entries")), 0);
  json_decref(e);
}

static void test_accumulators(void **state) {
  (void)state;
  json_t *a = get_ok("/jobs/" RUNNING_ID "/accumulators");
  check_keys(a, "JobAccumulatorsInfo",
             "job-accumulators:a user-task-accumulators:a serialized-user-task-accumulators:o");
  json_decref(a);
  char ids[2][33], path[256];
  vertex_ids(RUNNING_ID, ids, 2);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/accumulators", RUNNING_ID, ids[1]);
  a = get_ok(path);
  check_keys(a, "JobVertexAccumulatorsInfo", "id:s user-accumulators:a");
  assert_string_equal(str(a, "id"), ids[1]);
  json_decref(a);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/accumulators", RUNNING_ID, ids[1]);
  a = get_ok(path);
  check_keys(a, "SubtasksAllAccumulatorsInfo", "id:s parallelism:i subtasks:a");
  assert_int_equal(json_array_size(json_object_get(a, "subtasks")), 2);
  check_keys(json_array_get(json_object_get(a, "subtasks"), 1), "subtask accumulators",
             "subtask:i attempt:i host:s endpoint:s user-accumulators:a");
  json_decref(a);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/0/attempts/0/accumulators", RUNNING_ID,
           ids[1]);
  a = get_ok(path);
  check_keys(a, "SubtaskExecutionAttemptAccumulatorsInfo",
             "subtask:i attempt:i id:s user-accumulators:a");
  json_decref(a);
}

static void test_errors(void **state) {
  (void)state;
  char ids[2][33], path[256];
  vertex_ids(RUNNING_ID, ids, 2);
  static const char *const job_routes[] = {
      "", "/plan", "/config", "/exceptions", "/accumulators", "/yarn-cancel"};
  for (size_t i = 0; i < sizeof job_routes / sizeof job_routes[0]; i++) {
    snprintf(path, sizeof path, "/jobs/%s%s", UNKNOWN_ID, job_routes[i]);
    get_error(path, 404, "Job " UNKNOWN_ID " not found");
    snprintf(path, sizeof path, "/jobs/nothex%s", job_routes[i]);
    get_error(path, 400, "invalid job id");
  }
  static const char *const vertex_routes[] = {"",
                                              "/subtasktimes",
                                              "/taskmanagers",
                                              "/accumulators",
                                              "/subtasks/accumulators",
                                              "/subtasks/0",
                                              "/subtasks/0/attempts/0"};
  for (size_t i = 0; i < sizeof vertex_routes / sizeof vertex_routes[0]; i++) {
    snprintf(path, sizeof path, "/jobs/%s/vertices/%s%s", RUNNING_ID, UNKNOWN_ID, vertex_routes[i]);
    get_error(path, 404, "Vertex " UNKNOWN_ID " not found");
    snprintf(path, sizeof path, "/jobs/%s/vertices/%s%s", UNKNOWN_ID, ids[1], vertex_routes[i]);
    get_error(path, 404, "Job " UNKNOWN_ID " not found");
    snprintf(path, sizeof path, "/jobs/%s/vertices/%.31sg%s", RUNNING_ID, ids[1], vertex_routes[i]);
    get_error(path, 400, "invalid vertex id");
  }
  get_error("/jobs/" RUNNING_ID "/yarn-stop", 400, "no longer supported");
}

/* A cluster whose table leaves the jobs part's operations NULL (as another JobManager or a test
 * table may): those routes answer 501 naming what is not supported. */
static int stub_list(void *c, rest_job_list *o, char *e, size_t n) {
  return (void)c, (void)o, (void)e, (void)n, 0;
}
static int stub_overview(void *c, rest_cluster_overview *o, char *e, size_t n) {
  return (void)c, (void)o, (void)e, (void)n, 0;
}
static int stub_details(void *c, const char *j, rest_job_details *o, char *e, size_t n) {
  return (void)c, (void)j, (void)o, (void)e, (void)n, 0;
}
static int stub_cancel(void *c, const char *j, char *e, size_t n) {
  return (void)c, (void)j, (void)e, (void)n, 0;
}
static int stub_result(void *c, const char *j, rest_job_result *o, char *e, size_t n) {
  return (void)c, (void)j, (void)o, (void)e, (void)n, 0;
}
static int stub_submit(void *c, const void *g, size_t l, const char *const *a, size_t na, char *id,
                       char *e, size_t n) {
  return (void)c, (void)g, (void)l, (void)a, (void)na, (void)id, (void)e, (void)n, 0;
}
static int stub_savepoint(void *c, const char *j, const char *d, bool f, rest_savepoint_format fmt,
                          char **loc, char *e, size_t n) {
  return (void)c, (void)j, (void)d, (void)f, (void)fmt, (void)loc, (void)e, (void)n, 0;
}
static int stub_checkpoint(void *c, const char *j, rest_checkpoint_type t, int64_t *id, char *e,
                           size_t n) {
  return (void)c, (void)j, (void)t, (void)id, (void)e, (void)n, 0;
}
static int stub_dispose(void *c, const char *p, char *e, size_t n) {
  return (void)c, (void)p, (void)e, (void)n, 0;
}
static int stub_tms(void *c, rest_taskmanager_list *o, char *e, size_t n) {
  return (void)c, (void)o, (void)e, (void)n, 0;
}
static void stub_shutdown(void *c) { (void)c; }

static void test_operations_not_set(void **state) {
  (void)state;
  static const rest_cluster_ops ops = {.list_jobs = stub_list,
                                       .overview = stub_overview,
                                       .job_details = stub_details,
                                       .cancel_job = stub_cancel,
                                       .job_result = stub_result,
                                       .submit_job = stub_submit,
                                       .savepoint = stub_savepoint,
                                       .stop_job = stub_savepoint,
                                       .checkpoint = stub_checkpoint,
                                       .dispose_savepoint = stub_dispose,
                                       .taskmanagers = stub_tms,
                                       .shutdown = stub_shutdown};
  rest_server_config cfg = {.bind_address = "localhost", .ops = &ops};
  rest_server *server = NULL;
  char err[SP_ERRMSG_MAX];
  if (rest_server_start(&cfg, &server, err, sizeof err) < 0) fail_msg("%s", err);
  rest_client saved = g_c.client;
  assert_int_equal(rest_client_init(&g_c.client, "localhost", rest_server_port(server), 0, NULL),
                   0);
  static const char *const paths[] = {
      "/jobs/" UNKNOWN_ID "/config", "/jobs/" UNKNOWN_ID "/exceptions",
      "/jobs/" UNKNOWN_ID "/accumulators", "/jobs/" UNKNOWN_ID "/vertices/" UNKNOWN_ID,
      "/jobs/" UNKNOWN_ID "/vertices/" UNKNOWN_ID "/subtasks/0/attempts/0"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    get_error(paths[i], 501, "Not supported by this endpoint");
  rest_client_free(&g_c.client);
  g_c.client = saved;
  rest_server_stop(server);
}

/* Last: GET yarn-cancel cancels the running job (202 {}), and again once it ended is 409. */
static void test_yarn_cancel(void **state) {
  (void)state;
  long status;
  json_t *b = get("/jobs/" RUNNING_ID "/yarn-cancel", &status);
  assert_int_equal(status, 202);
  assert_true(json_is_object(b) && json_object_size(b) == 0);
  json_decref(b);
  TK_AWAIT(job_done(RUNNING_ID), "the running job cancelled");
  json_t *d = get_ok("/jobs/" RUNNING_ID);
  assert_string_equal(str(d, "state"), "CANCELED");
  assert_true(integer(json_object_get(d, "timestamps"), "CANCELLING") > 0);
  assert_true(integer(d, "end-time") > 0);
  json_t *v = json_array_get(json_object_get(d, "vertices"), 1);
  assert_string_equal(str(v, "status"), "CANCELED");
  /* every subtask ended: the vertex's end is the latest of theirs, its duration up to it */
  assert_true(integer(v, "end-time") >= integer(v, "start-time"));
  assert_int_equal(integer(v, "duration"), integer(v, "end-time") - integer(v, "start-time"));
  json_decref(d);
  get_error("/jobs/" RUNNING_ID "/yarn-cancel", 409, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_job_details_and_plan),
      cmocka_unit_test(test_jobs_overview),
      cmocka_unit_test(test_job_config),
      cmocka_unit_test(test_vertex_details),
      cmocka_unit_test(test_subtask_times_and_taskmanagers),
      cmocka_unit_test(test_subtasks_and_attempts),
      cmocka_unit_test(test_exceptions),
      cmocka_unit_test(test_accumulators),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_operations_not_set),
      cmocka_unit_test(test_yarn_cancel),
  };
  return cmocka_run_group_tests(tests, setup_cluster, teardown_cluster);
}
