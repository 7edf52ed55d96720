/*
 * test_rest_metrics.c: the REST endpoint's metric routes (rest/rest_routes_metrics.c) over real
 * HTTP on loopback, reading a metric store filled here with dumps of a JobManager and two
 * TaskManagers (the fake cluster answers the other operations). Checked key by key and type by
 * type: the bare arrays of ids and of {"id","value"} (values as strings, unknown names left out)
 * for the JobManager, a TaskManager, a job, a vertex ("0.numRecordsIn", "0.Source__X...") and a
 * subtask; aggregations over subtasks, TaskManagers and jobs with get, agg and subtasks ranges;
 * watermarks per subtask; backpressure levels from backPressuredTimeMsPerSecond and "deprecated"
 * without metrics; 400 naming a bad parameter; 501 without a metric store; /v1 paths.
 */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/testkit.h"

#include "base/alloc.h"
#include "cluster/metric_store.h"
#include "rest/rest_client.h"
#include "rest/rest_server.h"
#include "support/rest_fake_cluster.h"

#define JOB "0123456789abcdef0123456789abcdef"
#define JOB2 "fedcba9876543210fedcba9876543210"
#define VTX "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb"
#define VTX2 "cccccccccccccccccccccccccccccccc"
#define BASE "/jobs/" JOB "/vertices/" VTX

typedef struct fixture {
  fake_cluster f; /* first: the operations' ctx */
  metric_store *store;
  rest_cluster_ops ops;
  rest_server *server;
  rest_client client;
  bool no_store; /* under f.lock: the operation answers NULL */
} fixture;

static metric_store *op_metric_store(void *ctx) {
  fixture *x = ctx;
  pthread_mutex_lock(&x->f.lock);
  metric_store *s = x->no_store ? NULL : x->store;
  pthread_mutex_unlock(&x->f.lock);
  return s;
}

static metric_dump_entry *entry(metric_dump *d, metric_scope scope, const char *job, int subtask,
                                const char *op, const char *name) {
  metric_dump_entry *e = metric_dump_add(d);
  assert_non_null(e);
  e->scope = scope;
  e->name = sp_strdup(name);
  if (job) snprintf(e->job_id, sizeof e->job_id, "%s", job);
  if (scope == METRIC_SCOPE_TASK || scope == METRIC_SCOPE_OPERATOR) {
    snprintf(e->vertex_id, sizeof e->vertex_id, "%s", VTX);
    e->subtask = subtask;
    e->attempt = 0;
  }
  if (op) e->operator_name = sp_strdup(op);
  return e;
}

static void counter(metric_dump *d, metric_scope scope, const char *job, int subtask,
                    const char *op, const char *name, int64_t v) {
  metric_dump_entry *e = entry(d, scope, job, subtask, op, name);
  e->kind = METRIC_COUNTER;
  e->count = v;
}

static void gauge(metric_dump *d, metric_scope scope, const char *job, int subtask,
                  const char *name, const char *v) {
  metric_dump_entry *e = entry(d, scope, job, subtask, NULL, name);
  e->kind = METRIC_GAUGE;
  e->gauge = sp_strdup(v);
}

/* TaskManager tm runs subtasks first..first+1 of VTX; subtask s is backpressured bp[s] ms/s. */
static void tm_dump(metric_dump *d, int first, const char *load) {
  static const int bp[] = {800, 300, 50, 0};
  gauge(d, METRIC_SCOPE_TM, NULL, -1, "Status.JVM.CPU.Load", load);
  for (int s = first; s < first + 2; s++) {
    counter(d, METRIC_SCOPE_TASK, JOB, s, NULL, "numRecordsIn", 10 * (s + 1));
    char v[32];
    snprintf(v, sizeof v, "%d", bp[s]);
    gauge(d, METRIC_SCOPE_TASK, JOB, s, "backPressuredTimeMsPerSecond", v);
    snprintf(v, sizeof v, "%d", (1000 - bp[s]) / 2);
    gauge(d, METRIC_SCOPE_TASK, JOB, s, "idleTimeMsPerSecond", v);
    gauge(d, METRIC_SCOPE_TASK, JOB, s, "busyTimeMsPerSecond", v);
    snprintf(v, sizeof v, "%d", 1000 + s);
    gauge(d, METRIC_SCOPE_TASK, JOB, s, "currentInputWatermark", v);
    counter(d, METRIC_SCOPE_OPERATOR, JOB, s, "Source: X", "numRecordsOut", 7);
    gauge(d, METRIC_SCOPE_TASK, JOB, s, "phase", "RUNNING"); /* not a number */
  }
}

static int setup(void **state) {
  fixture *x = calloc(1, sizeof *x);
  assert_non_null(x);
  fake_cluster_init(&x->f);
  assert_int_equal(metric_store_create(&x->store), 0);
  metric_dump jm = {0}, tm1 = {0}, tm2 = {0};
  gauge(&jm, METRIC_SCOPE_JM, NULL, -1, "numRegisteredTaskManagers", "2");
  gauge(&jm, METRIC_SCOPE_JM, NULL, -1, "taskSlotsTotal", "4");
  gauge(&jm, METRIC_SCOPE_JOB, JOB, -1, "numRestarts", "1");
  gauge(&jm, METRIC_SCOPE_JOB, JOB2, -1, "numRestarts", "3");
  tm_dump(&tm1, 0, "0.25");
  tm_dump(&tm2, 2, "0.75");
  assert_int_equal(metric_store_put(x->store, NULL, &jm), 0);
  assert_int_equal(metric_store_put(x->store, "tm-1", &tm1), 0);
  assert_int_equal(metric_store_put(x->store, "tm-2", &tm2), 0);
  metric_store_set_updated(x->store, 1600000000000);
  metric_dump_free(&jm);
  metric_dump_free(&tm1);
  metric_dump_free(&tm2);
  x->ops = fake_cluster_ops;
  x->ops.metric_store = op_metric_store;
  rest_server_config cfg = {.bind_address = "localhost", .port = 0, .ops = &x->ops, .ctx = x};
  char err[1024];
  if (rest_server_start(&cfg, &x->server, err, sizeof err) < 0) fail_msg("start: %s", err);
  assert_int_equal(rest_client_init(&x->client, "localhost", rest_server_port(x->server), 0, NULL),
                   0);
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fixture *x = *state;
  rest_server_stop(x->server);
  rest_client_free(&x->client);
  metric_store_free(x->store);
  fake_cluster_destroy(&x->f);
  free(x);
  return 0;
}

static json_t *call(fixture *x, const char *path, long want) {
  json_t *out = NULL;
  char err[1024];
  long status = 0;
  rest_request_json(&x->client, "GET", path, NULL, &status, &out, err, sizeof err);
  if (status != want) fail_msg("GET %s: HTTP %ld, expected %ld (%s)", path, status, want, err);
  return out;
}

/* The array's element with "id" == id, or NULL; fails unless arr is an array of objects whose
 * keys are exactly the strings "id" and (if with_value) "value". */
static json_t *find(json_t *arr, const char *id, bool with_value) {
  assert_true(json_is_array(arr));
  json_t *hit = NULL, *o;
  size_t i;
  json_array_foreach(arr, i, o) {
    assert_true(json_is_object(o));
    assert_int_equal(json_object_size(o), with_value ? 2 : 1);
    assert_true(json_is_string(json_object_get(o, "id")));
    if (with_value) assert_true(json_is_string(json_object_get(o, "value")));
    if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0) hit = o;
  }
  return hit;
}

static const char *value_of(json_t *arr, const char *id) {
  json_t *o = find(arr, id, true);
  if (!o) fail_msg("no metric '%s' in the answer", id);
  return json_string_value(json_object_get(o, "value"));
}

static void test_collections(void **state) {
  fixture *x = *state;
  json_t *a = call(x, "/jobmanager/metrics", 200);
  assert_int_equal(json_array_size(a), 2);
  assert_non_null(find(a, "numRegisteredTaskManagers", false));
  json_decref(a);
  a = call(x, "/v1/jobmanager/metrics?get=taskSlotsTotal,nosuch,numRegisteredTaskManagers", 200);
  assert_int_equal(json_array_size(a), 2); /* the unknown name is left out */
  assert_string_equal(value_of(a, "taskSlotsTotal"), "4");
  assert_string_equal(value_of(a, "numRegisteredTaskManagers"), "2");
  json_decref(a);

  a = call(x, "/taskmanagers/tm-2/metrics?get=Status.JVM.CPU.Load", 200);
  assert_int_equal(json_array_size(a), 1);
  assert_string_equal(value_of(a, "Status.JVM.CPU.Load"), "0.75");
  json_decref(a);
  a = call(x, "/taskmanagers/tm-9/metrics", 200); /* as Flink: none, not 404 */
  assert_int_equal(json_array_size(a), 0);
  json_decref(a);

  a = call(x, "/jobs/" JOB "/metrics?get=numRestarts", 200);
  assert_string_equal(value_of(a, "numRestarts"), "1");
  json_decref(a);

  a = call(x, BASE "/metrics", 200);
  assert_int_equal(json_array_size(a), 4 * 7);
  assert_non_null(find(a, "3.numRecordsIn", false));
  assert_non_null(find(a, "0.Source__X.numRecordsOut", false));
  json_decref(a);
  a = call(x, BASE "/metrics?get=2.numRecordsIn,1.Source__X.numRecordsOut", 200);
  assert_string_equal(value_of(a, "2.numRecordsIn"), "30");
  assert_string_equal(value_of(a, "1.Source__X.numRecordsOut"), "7");
  json_decref(a);

  a = call(x, BASE "/subtasks/3/metrics?get=numRecordsIn,Source__X.numRecordsOut", 200);
  assert_int_equal(json_array_size(a), 2);
  assert_string_equal(value_of(a, "numRecordsIn"), "40");
  assert_string_equal(value_of(a, "Source__X.numRecordsOut"), "7");
  json_decref(a);
}

/* The aggregate object of id in arr, with exactly the keys "id" and those in keys. */
static json_t *aggregate(json_t *arr, const char *id, const char *const *keys) {
  assert_true(json_is_array(arr));
  json_t *o;
  size_t i;
  json_array_foreach(arr, i, o) {
    if (strcmp(json_string_value(json_object_get(o, "id")), id) != 0) continue;
    size_t n = 0;
    for (; keys[n]; n++)
      if (!json_is_real(json_object_get(o, keys[n]))) fail_msg("'%s' not a number", keys[n]);
    assert_int_equal(json_object_size(o), n + 1);
    return o;
  }
  fail_msg("no aggregate of '%s'", id);
  return NULL;
}

static double fig(json_t *o, const char *key) { return json_real_value(json_object_get(o, key)); }

static void test_aggregations(void **state) {
  fixture *x = *state;
  static const char *const all[] = {"min", "max", "avg", "sum", "skew", NULL};
  static const char *const minmax[] = {"min", "max", NULL};
  json_t *a = call(x, BASE "/subtasks/metrics?get=numRecordsIn", 200);
  json_t *o = aggregate(a, "numRecordsIn", all);
  assert_true(fig(o, "min") == 10 && fig(o, "max") == 40 && fig(o, "sum") == 100);
  assert_true(fig(o, "avg") == 25);
  assert_true(fabs(fig(o, "skew") - 40.0) < 1e-9); /* mean |dev| 10 over mean 25 */
  json_decref(a);
  a = call(x, BASE "/subtasks/metrics?get=numRecordsIn,nosuch&agg=min,max&subtasks=0,2-3", 200);
  assert_int_equal(json_array_size(a), 1);
  o = aggregate(a, "numRecordsIn", minmax);
  assert_true(fig(o, "min") == 10 && fig(o, "max") == 40);
  json_decref(a);
  a = call(x, BASE "/subtasks/metrics?get=phase,numRecordsIn&agg=sum&subtasks=1-2", 200);
  assert_int_equal(json_array_size(a), 1); /* a text metric cannot be aggregated: left out */
  assert_true(fig(json_array_get(a, 0), "sum") == 50);
  json_decref(a);
  a = call(x, BASE "/subtasks/metrics", 200); /* no get: the ids available */
  assert_int_equal(json_array_size(a), 7);
  assert_non_null(find(a, "Source__X.numRecordsOut", false));
  json_decref(a);

  a = call(x, "/taskmanagers/metrics?get=Status.JVM.CPU.Load&agg=avg,max", 200);
  static const char *const avgmax[] = {"max", "avg", NULL};
  o = aggregate(a, "Status.JVM.CPU.Load", avgmax);
  assert_true(fig(o, "avg") == 0.5 && fig(o, "max") == 0.75);
  json_decref(a);
  a = call(x, "/taskmanagers/metrics?get=Status.JVM.CPU.Load&agg=sum&taskmanagers=tm-1", 200);
  assert_true(fig(json_array_get(a, 0), "sum") == 0.25);
  json_decref(a);

  a = call(x, "/jobs/metrics?get=numRestarts&agg=sum", 200);
  assert_true(fig(json_array_get(a, 0), "sum") == 4);
  json_decref(a);
  a = call(x, "/jobs/metrics?get=numRestarts&agg=sum&jobs=" JOB2, 200);
  assert_true(fig(json_array_get(a, 0), "sum") == 3);
  json_decref(a);
}

static void assert_bad(fixture *x, const char *path, const char *want) {
  json_t *b = call(x, path, 400);
  const char *msg = json_string_value(json_array_get(json_object_get(b, "errors"), 0));
  assert_non_null(msg);
  if (!strstr(msg, want)) fail_msg("GET %s: '%s' does not name '%s'", path, msg, want);
  json_decref(b);
}

static void test_bad_parameters(void **state) {
  fixture *x = *state;
  assert_bad(x, BASE "/subtasks/metrics?get=numRecordsIn&agg=median", "(agg)");
  assert_bad(x, BASE "/subtasks/metrics?get=numRecordsIn&subtasks=1,x", "(subtasks)");
  assert_bad(x, BASE "/subtasks/metrics?subtasks=9-5", "(subtasks)");
  assert_bad(x, "/jobs/metrics?jobs=123", "(jobs)");
  assert_bad(x, "/taskmanagers/metrics?agg=min,foo", "(agg)");
  assert_bad(x, "/jobs/xyz/vertices/" VTX "/metrics", "job id");
  assert_bad(x, BASE "/subtasks/-1/metrics", "subtask index");
}

static void test_watermarks_and_backpressure(void **state) {
  fixture *x = *state;
  json_t *a = call(x, BASE "/watermarks", 200);
  assert_int_equal(json_array_size(a), 4);
  for (int s = 0; s < 4; s++) {
    char id[64], v[16];
    snprintf(id, sizeof id, "%d.currentInputWatermark", s);
    snprintf(v, sizeof v, "%d", 1000 + s);
    assert_string_equal(value_of(a, id), v);
  }
  json_decref(a);

  json_t *b = call(x, BASE "/backpressure", 200);
  assert_string_equal(json_string_value(json_object_get(b, "status")), "ok");
  assert_string_equal(json_string_value(json_object_get(b, "backpressure-level")), "high");
  assert_int_equal(json_integer_value(json_object_get(b, "end-timestamp")), 1600000000000);
  assert_int_equal(json_object_size(b), 4);
  json_t *subs = json_object_get(b, "subtasks");
  assert_int_equal(json_array_size(subs), 4);
  static const char *const levels[] = {"high", "low", "ok", "ok"};
  static const double ratios[] = {0.8, 0.3, 0.05, 0};
  for (int s = 0; s < 4; s++) {
    json_t *st = json_array_get(subs, (size_t)s);
    assert_int_equal(json_integer_value(json_object_get(st, "subtask")), s);
    assert_string_equal(json_string_value(json_object_get(st, "backpressure-level")), levels[s]);
    assert_true(json_is_real(json_object_get(st, "ratio")));
    assert_true(fabs(json_real_value(json_object_get(st, "ratio")) - ratios[s]) < 1e-9);
    double idle = json_real_value(json_object_get(st, "idleRatio"));
    double busy = json_real_value(json_object_get(st, "busyRatio"));
    assert_true(fabs(idle + busy + ratios[s] - 1.0) < 0.01);
  }
  json_decref(b);
  b = call(x, "/jobs/" JOB "/vertices/" VTX2 "/backpressure", 200);
  assert_string_equal(json_string_value(json_object_get(b, "status")), "deprecated");
  assert_int_equal(json_object_size(b), 1);
  json_decref(b);
  a = call(x, "/jobs/" JOB "/vertices/" VTX2 "/watermarks", 200);
  assert_int_equal(json_array_size(a), 0);
  json_decref(a);
}

static void test_without_a_store(void **state) {
  fixture *x = *state;
  pthread_mutex_lock(&x->f.lock);
  x->no_store = true;
  pthread_mutex_unlock(&x->f.lock);
  static const char *const paths[] = {"/jobmanager/metrics", "/taskmanagers/metrics",
                                      BASE "/subtasks/metrics", BASE "/backpressure",
                                      BASE "/watermarks"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    json_t *b = call(x, paths[i], 501);
    const char *msg = json_string_value(json_array_get(json_object_get(b, "errors"), 0));
    assert_non_null(msg);
    assert_non_null(strstr(msg, "Not supported by this endpoint"));
    json_decref(b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_collections, setup, teardown),
      cmocka_unit_test_setup_teardown(test_aggregations, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_parameters, setup, teardown),
      cmocka_unit_test_setup_teardown(test_watermarks_and_backpressure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_without_a_store, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
