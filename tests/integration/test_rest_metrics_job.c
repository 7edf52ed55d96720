/*
 * test_rest_metrics_job.c: the metric endpoints of a real JobManager on a running job. A
 * JobManager (ResourceManager, Dispatcher, cluster view, gateway, REST endpoint with
 * metrics.fetcher.update-interval 0) and a TaskManager (one TaskExecutor, two slots) run in this
 * process on RPC services that talk over loopback TCP, sharing one metric registry as a
 * MiniCluster's processes do. The job: an unbounded generator with a watermark after every
 * record (periodic watermarks of a chained timestamps operator after an unbounded generator did
 * not arrive in this set-up, with or without backpressure: reported) -> rebalance -> a slow sink that pauses 1 ms every 16 records (the load that
 * backpressures the source, not a wait for anything). Read over HTTP:
 *  - the sink's records in grow between two reads (/subtasks/0/metrics?get=numRecordsIn);
 *  - busyTimeMsPerSecond + idleTimeMsPerSecond + backPressuredTimeMsPerSecond of each vertex is
 *    about 1000 once two view updates of the registry covered the running job;
 *  - the source vertex is reported backpressured "high" (/backpressure), the sink is not;
 *  - the sink's input watermark is present and set (/watermarks);
 *  - the JobManager's cluster figures and the job's metrics are there;
 *  - the vertices' I/O figures for the job details (jobmanager_metrics_io).
 * Every wait has a deadline (TK_AWAIT) and nothing sleeps; assertions that depend on load (the
 * backpressure level) are awaited, not read once.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/testkit.h"

#include "api/api.h"
#include "base/alloc.h"
#include "base/config.h"
#include "cluster/cluster_metrics.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/jobmanager_gateway.h"
#include "cluster/messages.h"
#include "graph/stream_graph.h"
#include "rest/jobmanager_metrics.h"
#include "rest/jobmanager_rest.h"
#include "rest/rest_client.h"
#include "spate/spate.h"

#define JOB_ID "00112233445566778899aabbccddeeff"

int mj_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out);
int mj_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

int mj_slow_sink(spate_ctx *ctx, const spate_row *in);
int mj_slow_sink(spate_ctx *ctx, const spate_row *in) {
  (void)ctx;
  (void)in;
  static __thread long n;
  if (++n % 16 == 0) { /* the sink's load: slower than the source (not a wait for anything) */
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  return 0;
}

/* A watermark after every record: its timestamp (the job's watermarks do not wait for the
 * periodic emission of a backpressured source). */
int64_t mj_watermark(spate_ctx *ctx, const spate_row *in, int64_t ts);
int64_t mj_watermark(spate_ctx *ctx, const spate_row *in, int64_t ts) {
  (void)ctx;
  (void)in;
  return ts;
}

typedef struct fixture {
  rpc_service *jm, *tm;
  cluster_view *view;
  cluster_metrics metrics;
  metric_group *tm_group;
  resource_manager *rm;
  dispatcher *d;
  jm_gateway *gw;
  shuffle_env *shuffle;
  task_executor *te;
  void *rest;
  rest_client client;
  char source[33], sink[33]; /* vertex ids */
  char rm_address[128];
} fixture;

static void listen_on(rpc_service *s) {
  char err[SP_ERRMSG_MAX];
  if (rpc_service_listen(s, "127.0.0.1", 0, NULL, err, sizeof err) < 0) fail_msg("listen: %s", err);
}

static int view_tms(fixture *x) {
  cluster_view_lock(x->view);
  int n = x->view->ntms;
  cluster_view_unlock(x->view);
  return n;
}

/* Subtasks of the job RUNNING in the view. */
static int running(fixture *x) {
  cluster_view_lock(x->view);
  cv_job *j = cluster_view_find(x->view, JOB_ID);
  int n = 0;
  for (int v = 0; j && v < j->nvertices; v++) n += j->vertices[v].tasks[TS_RUNNING];
  cluster_view_unlock(x->view);
  return n;
}

/* The job's encoded graph (sp_free); the vertex ids into x. */
static uint8_t *job_bytes(fixture *x, size_t *len) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "n BIGINT");
  spate_stream *src = spate_generate(env, s, mj_gen, -1);
  spate_stream *ts = spate_assign_watermarks_custom(src, 0, NULL, mj_watermark, NULL);
  spate_sink(spate_rebalance(ts), mj_slow_sink);
  assert_null(spate_env_error(env));
  env->g->default_parallelism = 1;
  job_graph *jg = NULL;
  char err[SP_ERRMSG_MAX];
  if (jobgraph_build(env->g, &jg, err, sizeof err) < 0) fail_msg("%s", err);
  memcpy(jg->job_id, JOB_ID, sizeof jg->job_id);
  assert_int_equal(jg->nvertices, 2);
  jobgraph_vertex_id(jg, 0, x->source);
  jobgraph_vertex_id(jg, 1, x->sink);
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(jobgraph_encode(jg, &w), 0);
  jobgraph_free(jg);
  spate_env_free(env);
  return sp_writer_take(&w, len);
}

static int setup(void **state) {
  fixture *x = calloc(1, sizeof *x);
  assert_non_null(x);
  char err[SP_ERRMSG_MAX];
  assert_int_equal(rpc_service_create(NULL, &x->jm), 0);
  assert_int_equal(rpc_service_create(NULL, &x->tm), 0);
  listen_on(x->jm);
  listen_on(x->tm);
  assert_int_equal(cluster_view_create(&x->view), 0);
  if (cluster_metrics_start(&x->metrics, NULL, err, sizeof err) < 0) fail_msg("%s", err);
  assert_int_equal(cluster_metrics_add_jobmanager(&x->metrics, "localhost", x->view), 0);
  x->tm_group =
      cluster_metrics_add_taskmanager(&x->metrics, "localhost", rpc_service_address(x->tm), true);
  assert_non_null(x->tm_group);
  rm_options ro = {.view = x->view};
  assert_int_equal(rm_start(x->jm, &ro, &x->rm), 0);
  assert_int_equal(dispatcher_start(x->jm, NULL, x->view, &x->d), 0);
  dispatcher_set_metrics(x->d, x->metrics.jm);
  assert_int_equal(jm_gateway_create(x->jm, NULL, x->view, &x->gw), 0);
  snprintf(x->rm_address, sizeof x->rm_address, "%s/%s", rpc_service_address(x->jm), RM_ADDRESS);
  assert_int_equal(shuffle_env_create(&x->shuffle), 0);
  task_config tc = {.buffer_size = 32768, .buffers_per_channel = 2, .floating_buffers = 8};
  te_options to = {.rm_address = x->rm_address, .metrics = x->tm_group};
  assert_int_equal(te_start(x->tm, x->shuffle, 0, 2, &tc, &to, &x->te), 0);
  TK_AWAIT(view_tms(x) == 1, "the TaskExecutor registered (%d)", view_tms(x));

  sp_config *cfg = sp_config_new();
  assert_int_equal(sp_config_set(cfg, "rest.port", "0", "test", err, sizeof err), 0);
  assert_int_equal(
      sp_config_set(cfg, "metrics.fetcher.update-interval", "0", "test", err, sizeof err), 0);
  int port;
  if (jobmanager_rest_start(cfg, x->gw, &x->rest, &port, err, sizeof err) < 0) fail_msg("%s", err);
  sp_config_free(cfg);
  assert_int_equal(rest_client_init(&x->client, "localhost", port, 0, NULL), 0);

  size_t len;
  uint8_t *bytes = job_bytes(x, &len);
  char job_id[33];
  if (jm_gateway_submit(x->gw, bytes, len, NULL, job_id, err, sizeof err) < 0) fail_msg("%s", err);
  sp_free(bytes);
  TK_AWAIT(running(x) == 2, "both subtasks RUNNING (%d)", running(x));
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fixture *x = *state;
  char err[SP_ERRMSG_MAX];
  jm_gateway_cancel(x->gw, JOB_ID, err, sizeof err);
  assert_true(jm_gateway_wait_done(x->gw, JOB_ID, TK_TIMEOUT_MS));
  rest_client_free(&x->client);
  jobmanager_rest_stop(x->rest);
  dispatcher_stop(x->d);
  te_stop(x->te);
  rm_stop(x->rm);
  jm_gateway_free(x->gw);
  metric_group_release(x->tm_group);
  cluster_metrics_stop(&x->metrics);
  rpc_service_destroy(x->tm);
  rpc_service_destroy(x->jm);
  shuffle_env_destroy(x->shuffle);
  cluster_view_free(x->view);
  free(x);
  return 0;
}

static json_t *get(fixture *x, const char *path) {
  json_t *out = NULL;
  long status = 0;
  char err[1024];
  rest_request_json(&x->client, "GET", path, NULL, &status, &out, err, sizeof err);
  if (status != 200) fail_msg("GET %s: HTTP %ld: %s", path, status, err);
  return out;
}

/* The value of id in a metric collection, as a double; NAN if absent. */
static double value_in(json_t *arr, const char *id) {
  json_t *o;
  size_t i;
  json_array_foreach(arr, i, o) {
    if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
      return strtod(json_string_value(json_object_get(o, "value")), NULL);
  }
  return NAN;
}

static double metric(fixture *x, const char *vertex, const char *name) {
  char path[256];
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/0/metrics?get=%s", JOB_ID, vertex,
           name);
  json_t *a = get(x, path);
  double v = value_in(a, name);
  json_decref(a);
  return v;
}

/* The source vertex's backpressure level ("" while none). */
static const char *level(fixture *x, const char *vertex, char *buf, size_t len) {
  char path[256];
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/backpressure", JOB_ID, vertex);
  json_t *b = get(x, path);
  const char *l = json_string_value(json_object_get(b, "backpressure-level"));
  snprintf(buf, len, "%s", l ? l : "");
  json_decref(b);
  return buf;
}

static void test_metrics_of_a_running_job(void **state) {
  fixture *x = *state;
  /* records in grow between two reads */
  double first = metric(x, x->sink, "numRecordsIn");
  assert_false(isnan(first));
  double now;
  TK_AWAIT((now = metric(x, x->sink, "numRecordsIn")) > first,
           "the sink's numRecordsIn to grow past %.0f (now %.0f)", first, now);

  /* two view updates with the job running: the per-second times cover a running interval */
  uint64_t u0 = metric_registry_view_updates(x->metrics.registry);
  TK_AWAIT(metric_registry_view_updates(x->metrics.registry) >= u0 + 2,
           "two updates of the registry's views");
  const char *vertices[] = {x->source, x->sink};
  for (int v = 0; v < 2; v++) {
    double busy = metric(x, vertices[v], "busyTimeMsPerSecond");
    double idle = metric(x, vertices[v], "idleTimeMsPerSecond");
    double bp = metric(x, vertices[v], "backPressuredTimeMsPerSecond");
    double sum = busy + idle + bp;
    if (!(sum >= 900 && sum <= 1100))
      fail_msg("vertex %d: busy %.0f + idle %.0f + backpressured %.0f = %.0f, not about 1000", v,
               busy, idle, bp, sum);
  }

  /* the source is held back by the slow sink */
  char buf[16];
  TK_AWAIT(strcmp(level(x, x->source, buf, sizeof buf), "high") == 0,
           "the source vertex backpressured high (now '%s')", buf);
  assert_string_not_equal(level(x, x->sink, buf, sizeof buf), "high");

  /* the sink's input watermark is set */
  char path[256];
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/watermarks", JOB_ID, x->sink);
  double wm;
  TK_AWAIT(({
             json_t *a = get(x, path);
             wm = value_in(a, "0.currentInputWatermark");
             json_decref(a);
             !isnan(wm) && wm > -9.2e18;
           }),
           "the sink's input watermark to be set (now %.0f)", wm);

  /* the JobManager's cluster figures, the job's and the TaskManager's metrics */
  json_t *a = get(x, "/jobmanager/metrics?get=numRegisteredTaskManagers,taskSlotsTotal");
  assert_true(value_in(a, "numRegisteredTaskManagers") == 1);
  assert_true(value_in(a, "taskSlotsTotal") == 2);
  json_decref(a);
  a = get(x, "/jobs/" JOB_ID "/metrics");
  assert_true(json_array_size(a) > 0);
  json_decref(a);
  a = get(x, "/taskmanagers/metrics?get=Status.JVM.Threads.Count&agg=max");
  assert_int_equal(json_array_size(a), 1); /* the TaskManager's process figures */
  assert_true(json_real_value(json_object_get(json_array_get(a, 0), "max")) >= 1);
  json_decref(a);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s/subtasks/metrics?get=numRecordsOut&agg=sum",
           JOB_ID, x->source);
  a = get(x, path);
  assert_int_equal(json_array_size(a), 1);
  assert_true(json_real_value(json_object_get(json_array_get(a, 0), "sum")) > 0);
  json_decref(a);

  /* what the job details show of the vertices (IOMetricsInfo) */
  ms_io_metrics io;
  assert_int_equal(jobmanager_metrics_io(x->gw, JOB_ID, x->sink, -1, &io), 0);
  assert_true(io.read_records > 0 && io.read_records_complete);
  assert_true(io.read_bytes > 0 && io.read_bytes_complete);
  assert_int_equal(jobmanager_metrics_io(x->gw, JOB_ID, x->source, 0, &io), 0);
  assert_true(io.write_records > 0 && io.write_records_complete);
  /* ... and over REST: /jobs/:jobid's vertices and a vertex's subtasks */
  a = get(x, "/jobs/" JOB_ID);
  json_t *vs = json_object_get(a, "vertices"), *vo;
  size_t i;
  int seen = 0;
  json_array_foreach(vs, i, vo) {
    if (strcmp(json_string_value(json_object_get(vo, "id")), x->sink) != 0) continue;
    json_t *m = json_object_get(vo, "metrics");
    assert_true(json_integer_value(json_object_get(m, "read-records")) > 0);
    assert_true(json_is_true(json_object_get(m, "read-records-complete")));
    seen++;
  }
  assert_int_equal(seen, 1);
  json_decref(a);
  snprintf(path, sizeof path, "/jobs/%s/vertices/%s", JOB_ID, x->source);
  a = get(x, path);
  json_t *m = json_object_get(json_array_get(json_object_get(a, "subtasks"), 0), "metrics");
  assert_true(json_integer_value(json_object_get(m, "write-records")) > 0);
  json_decref(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_metrics_of_a_running_job, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
