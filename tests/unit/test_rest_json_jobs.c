/*
 * test_rest_json_jobs.c: the jobs part's JSON bodies (rest/rest_json_jobs.h) from hand-made
 * structs, for what a running cluster does not show on demand: a failure of the job as a whole
 * (no task: taskName, endpoint, location and taskManagerId left out, as Flink omits null fields),
 * concurrent failures, maxExceptions truncating the history; exact aggregated figures (min, max,
 * avg, sum and Flink's percentiles) over subtasks with known IO metrics and state times; an
 * unassigned subtask ("(unassigned)", -1 times).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rest/rest_json_jobs.h"

static json_int_t integer(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_integer(v)) fail_msg("key '%s' is not an integer", key);
  return json_integer_value(v);
}

static void test_exceptions(void **state) {
  (void)state;
  rest_exception_history h = {0};
  /* newest first: a task failure with a concurrent one, then an older failure of the job */
  rest_exception *root = rest_exception_add(&h, NULL, "TaskFailure", "TaskFailure: boom",
                                            "Map (1/2)", "host:2", "host:1/taskexecutor-0", 300);
  assert_non_null(root);
  assert_non_null(rest_exception_add(&h, root, "TaskFailure", "TaskFailure: lost", "Map (2/2)",
                                     NULL, NULL, 301));
  assert_non_null(
      rest_exception_add(&h, NULL, "JobFailure", "JobFailure: no slots", NULL, NULL, NULL, 100));
  json_t *j = rest_json_exceptions(&h, 20);
  assert_non_null(j);
  json_t *entries = json_object_get(json_object_get(j, "exceptionHistory"), "entries");
  assert_int_equal(json_array_size(entries), 2);
  json_t *task = json_array_get(entries, 0), *job = json_array_get(entries, 1);
  assert_string_equal(json_string_value(json_object_get(task, "taskName")), "Map (1/2)");
  assert_string_equal(json_string_value(json_object_get(task, "endpoint")), "host:2");
  json_t *conc = json_object_get(task, "concurrentExceptions");
  assert_int_equal(json_array_size(conc), 1);
  json_t *c = json_array_get(conc, 0);
  assert_string_equal(json_string_value(json_object_get(c, "taskName")), "Map (2/2)");
  assert_null(json_object_get(c, "endpoint"));             /* never deployed: left out */
  assert_null(json_object_get(c, "concurrentExceptions")); /* only roots have them */
  /* the job's own failure: no task fields at all */
  for (const char *const *k =
           (const char *const[]){"taskName", "endpoint", "location", "taskManagerId", NULL};
       *k; k++)
    assert_null(json_object_get(job, *k));
  assert_string_equal(json_string_value(json_object_get(job, "exceptionName")), "JobFailure");
  assert_int_equal(json_array_size(json_object_get(job, "concurrentExceptions")), 0);
  assert_false(json_is_true(json_object_get(json_object_get(j, "exceptionHistory"), "truncated")));
  /* legacy keys: the newest root, and the task failures */
  assert_string_equal(json_string_value(json_object_get(j, "root-exception")), "TaskFailure: boom");
  assert_int_equal(integer(j, "timestamp"), 300);
  assert_int_equal(json_array_size(json_object_get(j, "all-exceptions")), 2);
  json_decref(j);
  /* maxExceptions 1: the newest root only, truncated */
  j = rest_json_exceptions(&h, 1);
  json_t *hist = json_object_get(j, "exceptionHistory");
  assert_int_equal(json_array_size(json_object_get(hist, "entries")), 1);
  assert_true(json_is_true(json_object_get(hist, "truncated")));
  assert_int_equal(json_array_size(json_object_get(j, "all-exceptions")), 1);
  json_decref(j);
  rest_exception_history_free(&h);
}

/* A vertex of n subtasks: subtask i read (i + 1) * 100 records, was CREATED at 1000, SCHEDULED at
 * 1000 + 10 * (i + 1) and is RUNNING since 5000; the last one is unassigned (CREATED only). */
static void make_vertex(rest_vertex_details *d, size_t n) {
  assert_int_equal(rest_vertex_details_init(d, "Map", n), 0);
  snprintf(d->vertex.id, sizeof d->vertex.id, "%s", "0123456789abcdef0123456789abcdef");
  d->vertex.parallelism = (int)n;
  for (size_t i = 0; i < n; i++) {
    rest_attempt_info *a = &d->subtasks[i].current;
    a->timestamps[REST_EXEC_CREATED] = 1000;
    a->metrics.read_records = (int64_t)(i + 1) * 100;
    if (i + 1 == n) continue;
    assert_int_equal(rest_attempt_set_location(a, "tm-1", "host:2"), 0);
    a->state = REST_EXEC_RUNNING;
    a->timestamps[REST_EXEC_SCHEDULED] = 1000 + 10 * (int64_t)(i + 1);
    a->timestamps[REST_EXEC_DEPLOYING] = 4000;
    a->timestamps[REST_EXEC_RUNNING] = 5000;
  }
}

static void test_vertex_aggregated(void **state) {
  (void)state;
  rest_vertex_details d = {0};
  make_vertex(&d, 5);
  json_t *j = rest_json_vertex_details(&d, 6000);
  assert_non_null(j);
  json_t *agg = json_object_get(j, "aggregated");
  /* read-records 100..500: Flink's percentiles at position p(n+1)/100 */
  json_t *rr = json_object_get(json_object_get(agg, "metrics"), "read-records");
  assert_int_equal(integer(rr, "min"), 100);
  assert_int_equal(integer(rr, "max"), 500);
  assert_int_equal(integer(rr, "sum"), 1500);
  assert_int_equal(integer(rr, "avg"), 300);
  assert_int_equal(integer(rr, "median"), 300);
  assert_int_equal(integer(rr, "p25"), 150);
  assert_int_equal(integer(rr, "p75"), 450);
  assert_int_equal(integer(rr, "p95"), 500);
  /* CREATED lasted 10, 20, 30, 40 ms for the four scheduled subtasks, and the unassigned one is
   * still CREATED: 5000 ms up to now */
  json_t *cr = json_object_get(json_object_get(agg, "status-duration"), "CREATED");
  assert_int_equal(integer(cr, "min"), 10);
  assert_int_equal(integer(cr, "max"), 5000);
  assert_int_equal(integer(cr, "sum"), 5100);
  /* the unassigned subtask */
  json_t *last = json_array_get(json_object_get(j, "subtasks"), 4);
  assert_string_equal(json_string_value(json_object_get(last, "host")), "(unassigned)");
  assert_string_equal(json_string_value(json_object_get(last, "taskmanager-id")), "(unassigned)");
  assert_int_equal(integer(last, "start-time"), -1);
  assert_int_equal(integer(last, "duration"), -1);
  json_decref(j);
  /* per TaskManager: the assigned four on tm-1, the unassigned one apart */
  j = rest_json_vertex_taskmanagers(&d, 6000);
  json_t *tms = json_object_get(j, "taskmanagers");
  assert_int_equal(json_array_size(tms), 2);
  json_t *tm = json_array_get(tms, 0);
  assert_string_equal(json_string_value(json_object_get(tm, "taskmanager-id")), "tm-1");
  assert_int_equal(integer(json_object_get(tm, "status-counts"), "RUNNING"), 4);
  assert_int_equal(integer(json_object_get(tm, "metrics"), "read-records"), 1000);
  assert_int_equal(integer(tm, "start-time"), 4000);
  assert_int_equal(integer(tm, "duration"), 2000);
  json_t *un = json_array_get(tms, 1);
  assert_string_equal(json_string_value(json_object_get(un, "status")), "CREATED");
  json_decref(j);
  rest_vertex_details_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exceptions),
      cmocka_unit_test(test_vertex_aggregated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
