/*
 * test_metric_store.c: the JobManager's metric store (cluster/metric_store.h) and the metric
 * endpoints' query parameters and aggregations (rest/rest_metric_params.h), on dumps built here:
 *  - histograms as Flink's eleven figures ("latency_p99", ...);
 *  - components and their ids as Flink's REST shows them: the JobManager, a TaskManager, a job,
 *    a vertex ("0.numRecordsIn", "0.Source__X.numRecordsOut"), a subtask ("Map.numRecordsOut");
 *  - only a subtask's latest attempt is shown; a source's new dump replaces its old one; a
 *    TaskManager that left is forgotten, the JobManager never;
 *  - a vertex's and a subtask's I/O figures (IOMetricsInfo) and their completeness, a job's
 *    user counters summed over subtasks;
 *  - get, agg and subtasks parsed strictly (ranges, bad input named), jobs checked as ids;
 *  - min, max, sum, avg and Flink's skew; values that are not finite numbers are skipped.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/err.h"
#include "cluster/metric_store.h"
#include "rest/rest_metric_params.h"

#define JOB "0123456789abcdef0123456789abcdef"
#define JOB2 "fedcba9876543210fedcba9876543210"
#define VTX "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb"

static metric_dump_entry *add(metric_dump *d, metric_scope scope, const char *name) {
  metric_dump_entry *e = metric_dump_add(d);
  assert_non_null(e);
  e->scope = scope;
  e->name = sp_strdup(name);
  return e;
}

static void counter(metric_dump *d, metric_scope scope, const char *job, int subtask, int attempt,
                    const char *op, const char *name, int64_t v) {
  metric_dump_entry *e = add(d, scope, name);
  if (job) snprintf(e->job_id, sizeof e->job_id, "%s", job);
  if (scope == METRIC_SCOPE_TASK || scope == METRIC_SCOPE_OPERATOR) {
    snprintf(e->vertex_id, sizeof e->vertex_id, "%s", VTX);
    e->subtask = subtask;
    e->attempt = attempt;
  }
  if (op) e->operator_name = sp_strdup(op);
  e->kind = METRIC_COUNTER;
  e->count = v;
}

static void gauge(metric_dump *d, metric_scope scope, const char *job, int subtask,
                  const char *name, const char *v) {
  counter(d, scope, job, subtask, 0, NULL, name, 0);
  metric_dump_entry *e = &d->entries[d->n - 1];
  e->kind = METRIC_GAUGE;
  e->gauge = sp_strdup(v);
}

/* A TaskManager running subtasks 0 and 1 of VTX (attempt 0), a chain "Source: X" -> "Map". */
static void tm_dump(metric_dump *d, int64_t base) {
  gauge(d, METRIC_SCOPE_TM, NULL, -1, "Status.JVM.CPU.Load", "0.25");
  for (int s = 0; s < 2; s++) {
    counter(d, METRIC_SCOPE_TASK, JOB, s, 0, NULL, "numRecordsIn", base + s);
    counter(d, METRIC_SCOPE_TASK, JOB, s, 0, NULL, "numRecordsOut", 2 * (base + s));
    counter(d, METRIC_SCOPE_TASK, JOB, s, 0, NULL, "numBytesIn", 10);
    counter(d, METRIC_SCOPE_TASK, JOB, s, 0, NULL, "numBytesOut", 20);
    counter(d, METRIC_SCOPE_OPERATOR, JOB, s, 0, "Source: X", "numRecordsOut", 7);
    counter(d, METRIC_SCOPE_OPERATOR, JOB, s, 0, "Map", "numRecordsOut", 8);
    counter(d, METRIC_SCOPE_OPERATOR, JOB, s, 0, "Map", "wordsSeen", 100 + s);
  }
}

static metric_store *filled(void) {
  metric_store *s;
  assert_int_equal(metric_store_create(&s), 0);
  metric_dump jm = {0}, tm = {0};
  gauge(&jm, METRIC_SCOPE_JM, NULL, -1, "numRegisteredTaskManagers", "1");
  gauge(&jm, METRIC_SCOPE_JOB, JOB, -1, "numRestarts", "2");
  gauge(&jm, METRIC_SCOPE_JOB, JOB2, -1, "numRestarts", "4");
  tm_dump(&tm, 5);
  assert_int_equal(metric_store_put(s, NULL, &jm), 0);
  assert_int_equal(metric_store_put(s, "tm-1", &tm), 0);
  metric_dump_free(&jm);
  metric_dump_free(&tm);
  return s;
}

static ms_list get(metric_store *s, ms_scope q) {
  ms_list l = {0};
  assert_int_equal(metric_store_get(s, &q, &l), 0);
  return l;
}

static void components_show_flink_ids(void **state) {
  (void)state;
  metric_store *s = filled();
  ms_list l = get(s, (ms_scope){.level = MS_JM});
  assert_int_equal(l.n, 1);
  assert_string_equal(ms_list_get(&l, "numRegisteredTaskManagers"), "1");
  ms_list_free(&l);

  l = get(s, (ms_scope){.level = MS_TM, .tm_id = "tm-1"});
  assert_int_equal(l.n, 1);
  assert_string_equal(ms_list_get(&l, "Status.JVM.CPU.Load"), "0.25");
  ms_list_free(&l);
  l = get(s, (ms_scope){.level = MS_TM, .tm_id = "tm-2"});
  assert_int_equal(l.n, 0);
  ms_list_free(&l);

  l = get(s, (ms_scope){.level = MS_JOB, .job_id = JOB});
  assert_int_equal(l.n, 1);
  assert_string_equal(ms_list_get(&l, "numRestarts"), "2");
  ms_list_free(&l);

  l = get(s, (ms_scope){.level = MS_TASK, .job_id = JOB, .vertex_id = VTX});
  assert_int_equal(l.n, 14); /* 2 subtasks x (4 task + 3 operator metrics) */
  assert_string_equal(ms_list_get(&l, "0.numRecordsIn"), "5");
  assert_string_equal(ms_list_get(&l, "1.numRecordsOut"), "12");
  assert_string_equal(ms_list_get(&l, "0.Source__X.numRecordsOut"), "7");
  assert_string_equal(ms_list_get(&l, "1.Map.numRecordsOut"), "8");
  assert_null(ms_list_get(&l, "0.Source: X.numRecordsOut"));
  ms_list_free(&l);

  l = get(s, (ms_scope){.level = MS_SUBTASK, .job_id = JOB, .vertex_id = VTX, .subtask = 1});
  assert_int_equal(l.n, 7);
  assert_string_equal(ms_list_get(&l, "numRecordsIn"), "6");
  assert_string_equal(ms_list_get(&l, "Map.wordsSeen"), "101");
  ms_list_free(&l);

  ms_list c = {0};
  ms_scope q = {.level = MS_SUBTASK, .job_id = JOB, .vertex_id = VTX};
  assert_int_equal(metric_store_components(s, &q, &c), 0);
  assert_int_equal(c.n, 2);
  assert_string_equal(c.m[0].id, "0");
  assert_string_equal(c.m[1].id, "1");
  ms_list_free(&c);
  q.level = MS_JOB;
  assert_int_equal(metric_store_components(s, &q, &c), 0);
  assert_int_equal(c.n, 2);
  ms_list_free(&c);
  q.level = MS_TM;
  assert_int_equal(metric_store_components(s, &q, &c), 0);
  assert_int_equal(c.n, 1);
  assert_string_equal(c.m[0].id, "tm-1");
  ms_list_free(&c);
  metric_store_free(s);
}

static void histograms_expand_as_flink(void **state) {
  (void)state;
  metric_store *s;
  assert_int_equal(metric_store_create(&s), 0);
  metric_dump d = {0};
  counter(&d, METRIC_SCOPE_OPERATOR, JOB, 0, 0, "Map", "latency", 0);
  metric_dump_entry *e = &d.entries[0];
  e->kind = METRIC_HISTOGRAM;
  e->hist = (metric_histogram_stats){
      .count = 5, .min = 1, .max = 9, .mean = 4.5, .p50 = 4, .p999 = 9, .stddev = 0.25};
  assert_int_equal(metric_store_put(s, "tm", &d), 0);
  metric_dump_free(&d);
  ms_list l =
      get(s, (ms_scope){.level = MS_SUBTASK, .job_id = JOB, .vertex_id = VTX, .subtask = 0});
  assert_int_equal(l.n, 11);
  assert_string_equal(ms_list_get(&l, "Map.latency_min"), "1");
  assert_string_equal(ms_list_get(&l, "Map.latency_max"), "9");
  assert_string_equal(ms_list_get(&l, "Map.latency_mean"), "4.5");
  assert_string_equal(ms_list_get(&l, "Map.latency_median"), "4.0");
  assert_string_equal(ms_list_get(&l, "Map.latency_stddev"), "0.25");
  assert_string_equal(ms_list_get(&l, "Map.latency_p999"), "9.0");
  assert_null(ms_list_get(&l, "Map.latency"));
  ms_list_free(&l);
  metric_store_free(s);
}

static void operator_names_filtered_as_flink(void **state) {
  (void)state;
  char out[128];
  metric_store_operator_name("Source: a.b, c", out, sizeof out);
  assert_string_equal(out, "Source__a_b__c");
  char longname[200];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  metric_store_operator_name(longname, out, sizeof out);
  assert_int_equal(strlen(out), 80);
}

static void latest_attempt_replaces_and_retains(void **state) {
  (void)state;
  metric_store *s = filled();
  /* subtask 0 restarted on another TaskManager: attempt 1 */
  metric_dump tm2 = {0};
  counter(&tm2, METRIC_SCOPE_TASK, JOB, 0, 1, NULL, "numRecordsIn", 1000);
  gauge(&tm2, METRIC_SCOPE_TM, NULL, -1, "Status.JVM.CPU.Load", "0.5");
  assert_int_equal(metric_store_put(s, "tm-2", &tm2), 0);
  metric_dump_free(&tm2);
  ms_list l =
      get(s, (ms_scope){.level = MS_SUBTASK, .job_id = JOB, .vertex_id = VTX, .subtask = 0});
  assert_int_equal(l.n, 1); /* attempt 0's metrics are gone from view */
  assert_string_equal(ms_list_get(&l, "numRecordsIn"), "1000");
  ms_list_free(&l);

  /* tm-1 answers again: its old entries are replaced, not added to */
  metric_dump tm = {0};
  tm_dump(&tm, 50);
  assert_int_equal(metric_store_put(s, "tm-1", &tm), 0);
  metric_dump_free(&tm);
  l = get(s, (ms_scope){.level = MS_SUBTASK, .job_id = JOB, .vertex_id = VTX, .subtask = 1});
  assert_string_equal(ms_list_get(&l, "numRecordsIn"), "51");
  assert_int_equal(l.n, 7);
  ms_list_free(&l);

  /* tm-2 leaves: its metrics go, the JobManager's stay */
  const char *ids[] = {"tm-1"};
  metric_store_retain_tms(s, ids, 1);
  l = get(s, (ms_scope){.level = MS_TM, .tm_id = "tm-2"});
  assert_int_equal(l.n, 0);
  ms_list_free(&l);
  l = get(s, (ms_scope){.level = MS_SUBTASK, .job_id = JOB, .vertex_id = VTX, .subtask = 0});
  assert_string_equal(ms_list_get(&l, "numRecordsIn"), "50");
  ms_list_free(&l);
  l = get(s, (ms_scope){.level = MS_JM});
  assert_int_equal(l.n, 1);
  ms_list_free(&l);
  metric_store_set_updated(s, 1234);
  assert_int_equal(metric_store_updated(s), 1234);
  metric_store_free(s);
}

static void io_metrics_and_user_counters(void **state) {
  (void)state;
  metric_store *s = filled();
  ms_io_metrics io;
  assert_int_equal(metric_store_io(s, JOB, VTX, -1, &io), 0);
  assert_int_equal(io.read_records, 5 + 6);
  assert_int_equal(io.write_records, 10 + 12);
  assert_int_equal(io.read_bytes, 20);
  assert_int_equal(io.write_bytes, 40);
  assert_true(io.read_records_complete && io.write_records_complete);
  assert_true(io.read_bytes_complete && io.write_bytes_complete);
  assert_true(isnan(io.accumulated_busy_ms)); /* no subtask reported it */
  assert_int_equal(metric_store_io(s, JOB, VTX, 1, &io), 0);
  assert_int_equal(io.read_records, 6);
  /* a vertex nobody reported: zeros, incomplete */
  assert_int_equal(metric_store_io(s, JOB2, VTX, -1, &io), 0);
  assert_int_equal(io.read_records, 0);
  assert_false(io.read_records_complete);

  ms_list l = {0};
  assert_int_equal(metric_store_user_counters(s, JOB, NULL, -1, &l), 0);
  assert_int_equal(l.n, 1); /* numRecordsOut of operators is Flink's, not the user's */
  assert_string_equal(ms_list_get(&l, "wordsSeen"), "201");
  ms_list_free(&l);
  assert_int_equal(metric_store_user_counters(s, JOB, VTX, 1, &l), 0);
  assert_string_equal(ms_list_get(&l, "wordsSeen"), "101");
  ms_list_free(&l);
  assert_int_equal(metric_store_user_counters(s, JOB, "ffffffffffffffffffffffffffffffff", -1, &l),
                   0);
  assert_int_equal(l.n, 0);
  ms_list_free(&l);
  metric_store_free(s);
}

static void query_parameters(void **state) {
  (void)state;
  char err[SP_ERRMSG_MAX];
  rest_name_list l;
  assert_int_equal(rest_name_list_parse(" a, b,,c ", &l), 0);
  assert_int_equal(l.n, 3);
  assert_string_equal(l.v[0], "a");
  assert_string_equal(l.v[2], "c");
  assert_true(rest_name_list_has(&l, "b"));
  rest_name_list_free(&l);
  assert_int_equal(rest_name_list_parse(NULL, &l), 0);
  assert_int_equal(l.n, 0);
  rest_name_list_free(&l);

  unsigned agg;
  assert_int_equal(rest_metric_parse_agg(NULL, &agg, err, sizeof err), 0);
  assert_int_equal(agg, REST_AGG_ALL);
  assert_int_equal(rest_metric_parse_agg("min,MAX,skew", &agg, err, sizeof err), 0);
  assert_int_equal(agg, REST_AGG_MIN | REST_AGG_MAX | REST_AGG_SKEW);
  assert_int_equal(rest_metric_parse_agg("min,median", &agg, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "(agg)"));
  assert_non_null(strstr(err, "median"));

  rest_index_ranges r;
  assert_int_equal(rest_metric_parse_subtasks("1,3,5-9", &r, err, sizeof err), 0);
  assert_int_equal(r.n, 3);
  assert_true(rest_index_ranges_has(&r, 1) && rest_index_ranges_has(&r, 3));
  assert_true(rest_index_ranges_has(&r, 5) && rest_index_ranges_has(&r, 9));
  assert_false(rest_index_ranges_has(&r, 2) || rest_index_ranges_has(&r, 10));
  rest_index_ranges_free(&r);
  assert_int_equal(rest_metric_parse_subtasks("", &r, err, sizeof err), 0);
  assert_int_equal(r.n, 0);
  rest_index_ranges_free(&r);
  assert_int_equal(rest_metric_parse_subtasks("0-2000000000", &r, err, sizeof err), 0);
  assert_true(rest_index_ranges_has(&r, 1999999999)); /* a range is not expanded */
  rest_index_ranges_free(&r);
  static const char *const bad[] = {"1,x", "9-5", "-1", "1-", "3-4-5", "99999999999", "1.5"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = 0;
    assert_int_equal(rest_metric_parse_subtasks(bad[i], &r, err, sizeof err), SPATE_EINVAL);
    assert_non_null(strstr(err, "(subtasks)"));
    assert_null(r.r);
  }

  assert_int_equal(
      rest_metric_parse_job_ids(JOB ",FEDCBA9876543210FEDCBA9876543210", &l, err, sizeof err), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.v[1], JOB2);
  rest_name_list_free(&l);
  assert_int_equal(rest_metric_parse_job_ids(JOB ",nothex", &l, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "(jobs)"));
  assert_non_null(strstr(err, "nothex"));
}

static void aggregations(void **state) {
  (void)state;
  rest_metric_agg a = {0};
  const char *values[] = {"1", "3.0", "NaN", "Infinity", "8", NULL};
  for (int i = 0; i < 6; i++) assert_int_equal(rest_metric_agg_add(&a, values[i]), 0);
  assert_int_equal(a.n, 3);
  assert_false(a.not_numeric);
  assert_true(rest_metric_agg_min(&a) == 1.0);
  assert_true(rest_metric_agg_max(&a) == 8.0);
  assert_true(rest_metric_agg_sum(&a) == 12.0);
  assert_true(rest_metric_agg_avg(&a) == 4.0);
  /* mean absolute deviation (3 + 1 + 4) / 3 over the mean 4, in percent */
  assert_true(fabs(rest_metric_agg_skew(&a) - (8.0 / 3.0) / 4.0 * 100.0) < 1e-9);
  assert_int_equal(rest_metric_agg_add(&a, "RUNNING"), 0);
  assert_true(a.not_numeric);
  rest_metric_agg_free(&a);
  assert_int_equal(rest_metric_agg_add(&a, ""), 0);
  assert_true(a.not_numeric);
  rest_metric_agg_free(&a);
  assert_int_equal(rest_metric_agg_add(&a, "0"), 0);
  assert_int_equal(rest_metric_agg_add(&a, "0"), 0);
  assert_true(rest_metric_agg_skew(&a) == 0.0); /* a mean of 0 has no skew */
  rest_metric_agg_free(&a);
  assert_int_equal(rest_metric_agg_add(&a, "0"), 0);
  assert_int_equal(rest_metric_agg_add(&a, "1000"), 0);
  assert_int_equal(rest_metric_agg_add(&a, "0"), 0);
  assert_int_equal(rest_metric_agg_add(&a, "0"), 0);
  assert_true(rest_metric_agg_skew(&a) == 100.0); /* capped */
  rest_metric_agg_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(components_show_flink_ids),
      cmocka_unit_test(operator_names_filtered_as_flink),
      cmocka_unit_test(histograms_expand_as_flink),
      cmocka_unit_test(latest_attempt_replaces_and_retains),
      cmocka_unit_test(io_metrics_and_user_counters),
      cmocka_unit_test(query_parameters),
      cmocka_unit_test(aggregations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
