/*
 * test_metric_fetcher.c: the JobManager's metric fetcher (cluster/metric_fetcher.h) against a
 * real TaskExecutor over TCP: a JobManager RPC service (ResourceManager, cluster view, fetcher)
 * and a TaskManager RPC service (TaskExecutor) in this process, each listening on loopback. The
 * process's metric source is a stand-in that counts its calls, so a value that grows shows a new
 * round trip. Checked:
 *  - a fetch brings the TaskManager's dump (TaskManager and subtask scopes) and the JobManager's
 *    own with the cluster figures; records in grow between two reads with update-interval 0;
 *  - with a long update interval a second read is served from the store without asking again;
 *  - a TaskManager that swallows the request and one that cannot be reached are skipped after
 *    the fetch timeout (the fetch returns; the live TaskManager's metrics are there);
 *  - the REST endpoint of a JobManager (rest/jobmanager_rest.c) serves the fetched metrics on
 *    /jobmanager/metrics, /taskmanagers/:id/metrics and a subtask's metrics.
 * Waits have deadlines (TK_AWAIT); nothing sleeps.
 */
#define _GNU_SOURCE
#include <pthread.h>
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

#include "base/alloc.h"
#include "base/config.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/jobmanager_gateway.h"
#include "cluster/messages.h"
#include "cluster/metric_fetcher.h"
#include "cluster/metric_query.h"
#include "rest/jobmanager_metrics.h"
#include "rest/jobmanager_rest.h"
#include "rest/rest_client.h"

#define JOB "0123456789abcdef0123456789abcdef"
#define VTX "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb"

static _Atomic int64_t g_calls;

static void put_gauge(metric_dump *d, metric_scope scope, const char *name, const char *v) {
  metric_dump_entry *e = metric_dump_add(d);
  e->scope = scope;
  e->kind = METRIC_GAUGE;
  e->name = sp_strdup(name);
  e->gauge = sp_strdup(v);
}

/* The process's metrics: a TaskManager gauge, a JobManager gauge, and a subtask's numRecordsIn
 * that grows by 10 with every call. */
static int source(void *ctx, metric_dump *out) {
  (void)ctx;
  int64_t n = atomic_fetch_add(&g_calls, 1) + 1;
  put_gauge(out, METRIC_SCOPE_TM, "Status.JVM.Threads.Count", "7");
  put_gauge(out, METRIC_SCOPE_JM, "Status.JVM.CPU.Load", "0.5");
  metric_dump_entry *e = metric_dump_add(out);
  e->scope = METRIC_SCOPE_TASK;
  memcpy(e->job_id, JOB, 33);
  memcpy(e->vertex_id, VTX, 33);
  e->subtask = 0;
  e->attempt = 0;
  e->kind = METRIC_COUNTER;
  e->name = sp_strdup("numRecordsIn");
  e->count = 10 * n;
  return 0;
}

typedef struct cluster {
  rpc_service *jm, *tm;
  cluster_view *view;
  resource_manager *rm;
  shuffle_env *shuffle;
  task_executor *te;
  char rm_address[128];
  rpc_endpoint *silent;
  _Atomic int silent_requests;
} cluster;

static void silent_handle(void *self, uint32_t type, sp_reader *r) {
  (void)r;
  cluster *c = self;
  if (type == MSG_METRICS_REQUEST) atomic_fetch_add(&c->silent_requests, 1);
  tk_notify();
}

static int view_tms(cluster *c) {
  cluster_view_lock(c->view);
  int n = c->view->ntms;
  cluster_view_unlock(c->view);
  return n;
}

static void listen_on(rpc_service *s) {
  char err[SP_ERRMSG_MAX];
  if (rpc_service_listen(s, "127.0.0.1", 0, NULL, err, sizeof err) < 0) fail_msg("listen: %s", err);
}

static int setup(void **state) {
  cluster *c = calloc(1, sizeof *c);
  assert_non_null(c);
  metric_query_set_source(source, NULL);
  assert_int_equal(rpc_service_create(NULL, &c->jm), 0);
  assert_int_equal(rpc_service_create(NULL, &c->tm), 0);
  listen_on(c->jm);
  listen_on(c->tm);
  assert_int_equal(cluster_view_create(&c->view), 0);
  rm_options ro = {.view = c->view};
  assert_int_equal(rm_start(c->jm, &ro, &c->rm), 0);
  snprintf(c->rm_address, sizeof c->rm_address, "%s/%s", rpc_service_address(c->jm), RM_ADDRESS);
  assert_int_equal(shuffle_env_create(&c->shuffle), 0);
  task_config tc = {.buffer_size = 32768, .buffers_per_channel = 2, .floating_buffers = 8};
  te_options to = {.rm_address = c->rm_address};
  assert_int_equal(te_start(c->tm, c->shuffle, 0, 2, &tc, &to, &c->te), 0);
  TK_AWAIT(view_tms(c) == 1, "the TaskExecutor registered (%d TaskManagers)", view_tms(c));
  *state = c;
  return 0;
}

static int teardown(void **state) {
  cluster *c = *state;
  if (c->silent) rpc_endpoint_stop(c->silent);
  te_stop(c->te);
  rm_stop(c->rm);
  rpc_service_destroy(c->tm);
  rpc_service_destroy(c->jm);
  shuffle_env_destroy(c->shuffle);
  cluster_view_free(c->view);
  metric_query_set_source(NULL, NULL);
  free(c);
  return 0;
}

/* The value of id in a component of s, as a number (-1: absent). */
static long long value(metric_store *s, ms_scope q, const char *id) {
  ms_list l = {0};
  assert_int_equal(metric_store_get(s, &q, &l), 0);
  const char *v = ms_list_get(&l, id);
  long long x = v ? atoll(v) : -1;
  ms_list_free(&l);
  return x;
}

static const ms_scope subtask0 = {
    .level = MS_SUBTASK, .job_id = JOB, .vertex_id = VTX, .subtask = 0};

/* The TaskExecutor's qualified address, as the view has it. */
static void te_address(cluster *c, char *out, size_t cap) {
  cluster_view_lock(c->view);
  snprintf(out, cap, "%s", c->view->tms[0].address);
  cluster_view_unlock(c->view);
}

static void test_fetch_round_trip(void **state) {
  cluster *c = *state;
  metric_fetcher_options o = {.update_interval_ms = 0};
  metric_fetcher *f;
  assert_int_equal(metric_fetcher_create(c->jm, c->view, &o, &f), 0);
  metric_store *s = metric_fetcher_update(f);
  char tm[256];
  te_address(c, tm, sizeof tm);
  ms_scope q = {.level = MS_TM, .tm_id = tm};
  assert_int_equal(value(s, q, "Status.JVM.Threads.Count"), 7);
  q = (ms_scope){.level = MS_JM};
  assert_int_equal(value(s, q, "numRegisteredTaskManagers"), 1);
  assert_int_equal(value(s, q, "taskSlotsTotal"), 2);
  assert_int_equal(value(s, q, "numRunningJobs"), 0);
  long long first = value(s, subtask0, "numRecordsIn");
  assert_true(first > 0);
  metric_fetcher_update(f);
  long long second = value(s, subtask0, "numRecordsIn");
  if (second <= first) fail_msg("records in did not grow: %lld then %lld", first, second);
  assert_true(metric_store_updated(s) > 0);
  metric_fetcher_free(f);
}

static void test_update_interval_caches(void **state) {
  cluster *c = *state;
  metric_fetcher_options o = {.update_interval_ms = 3600 * 1000};
  metric_fetcher *f;
  assert_int_equal(metric_fetcher_create(c->jm, c->view, &o, &f), 0);
  metric_store *s = metric_fetcher_update(f);
  long long first = value(s, subtask0, "numRecordsIn");
  int64_t calls = atomic_load(&g_calls);
  assert_true(first > 0);
  assert_ptr_equal(metric_fetcher_update(f), s);
  assert_int_equal(atomic_load(&g_calls), calls); /* nobody was asked again */
  assert_int_equal(value(s, subtask0, "numRecordsIn"), first);
  metric_fetcher_free(f);
}

static void register_tm(cluster *c, const char *address) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, address);
  sp_put_i32(&w, 1);
  sp_put_str(&w, "");
  sp_put_i64(&w, 0);
  assert_int_equal(rpc_send(c->jm, RM_ADDRESS, MSG_REGISTER_TASK_EXECUTOR, &w), 0);
}

static void test_silent_and_unreachable_skipped(void **state) {
  cluster *c = *state;
  assert_int_equal(rpc_endpoint_start(c->tm, "taskexecutor-silent", silent_handle, c, &c->silent),
                   0);
  char silent[256];
  snprintf(silent, sizeof silent, "%s/taskexecutor-silent", rpc_service_address(c->tm));
  register_tm(c, silent);
  register_tm(c, "127.0.0.1:1/taskexecutor-gone"); /* port 1: nobody listens */
  TK_AWAIT(view_tms(c) == 3, "three TaskManagers registered (%d)", view_tms(c));
  metric_fetcher_options o = {.update_interval_ms = 0, .timeout_ms = 300};
  metric_fetcher *f;
  assert_int_equal(metric_fetcher_create(c->jm, c->view, &o, &f), 0);
  metric_store *s = metric_fetcher_update(f); /* returns after the timeout at the latest */
  assert_true(value(s, subtask0, "numRecordsIn") > 0);
  TK_AWAIT(atomic_load(&c->silent_requests) >= 1, "the silent TaskManager was asked");
  ms_list tms = {0};
  ms_scope q = {.level = MS_TM};
  assert_int_equal(metric_store_components(s, &q, &tms), 0);
  assert_int_equal(tms.n, 1); /* only the TaskExecutor answered */
  ms_list_free(&tms);
  q = (ms_scope){.level = MS_JM};
  assert_int_equal(value(s, q, "numRegisteredTaskManagers"), 3);
  metric_fetcher_free(f);
}

static json_t *get(const rest_client *rc, const char *path) {
  json_t *out = NULL;
  long status = 0;
  char err[1024];
  rest_request_json(rc, "GET", path, NULL, &status, &out, err, sizeof err);
  if (status != 200) fail_msg("GET %s: HTTP %ld: %s", path, status, err);
  return out;
}

static long long rest_value(const rest_client *rc, const char *path) {
  json_t *a = get(rc, path);
  assert_int_equal(json_array_size(a), 1);
  const char *v = json_string_value(json_object_get(json_array_get(a, 0), "value"));
  assert_non_null(v);
  long long x = atoll(v);
  json_decref(a);
  return x;
}

static void test_rest_serves_fetched_metrics(void **state) {
  cluster *c = *state;
  jm_gateway *gw;
  assert_int_equal(jm_gateway_create(c->jm, NULL, c->view, &gw), 0);
  sp_config *cfg = sp_config_new();
  char err[SP_ERRMSG_MAX];
  assert_int_equal(sp_config_set(cfg, "rest.port", "0", "test", err, sizeof err), 0);
  assert_int_equal(
      sp_config_set(cfg, "metrics.fetcher.update-interval", "0", "test", err, sizeof err), 0);
  void *rest;
  int port;
  if (jobmanager_rest_start(cfg, gw, &rest, &port, err, sizeof err) < 0) fail_msg("%s", err);
  rest_client rc;
  assert_int_equal(rest_client_init(&rc, "localhost", port, 0, NULL), 0);

  assert_int_equal(rest_value(&rc, "/jobmanager/metrics?get=numRegisteredTaskManagers"), 1);
  /* the TaskManager's REST id, as the store names it */
  ms_list ids = {0};
  ms_scope q = {.level = MS_TM};
  assert_int_equal(metric_store_components(jobmanager_metric_store(gw), &q, &ids), 0);
  assert_int_equal(ids.n, 1);
  assert_int_equal(strlen(ids.m[0].id), 32);
  char path[256];
  snprintf(path, sizeof path, "/taskmanagers/%s/metrics?get=Status.JVM.Threads.Count", ids.m[0].id);
  assert_int_equal(rest_value(&rc, path), 7);
  ms_list_free(&ids);
  const char *sub = "/jobs/" JOB "/vertices/" VTX "/subtasks/0/metrics?get=numRecordsIn";
  long long first = rest_value(&rc, sub), second = rest_value(&rc, sub);
  if (second <= first) fail_msg("records in did not grow over REST: %lld then %lld", first, second);

  rest_client_free(&rc);
  jobmanager_rest_stop(rest);
  sp_config_free(cfg);
  jm_gateway_free(gw);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fetch_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_update_interval_caches, setup, teardown),
      cmocka_unit_test_setup_teardown(test_silent_and_unreachable_skipped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rest_serves_fetched_metrics, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
