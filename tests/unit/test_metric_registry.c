/*
 * test_metric_registry.c: the metric registry (metrics/metric_registry.h): metric types, groups
 * with their scope variables, scope formats and identifiers, meters and time-per-second views,
 * removal, the dump (Flink's QueryScopeInfo), the slf4j report text and the configuration of
 * reporters (pattern keys metrics.reporter.<name>.*).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/config.h"
#include "base/err.h"
#include "metrics/metric_registry.h"
#include "metrics/metric_reporters.h"
#include "metrics/slf4j_reporter.h"

static int64_t value_of(void *arg) { return *(int64_t *)arg; }
static double half(void *arg) { return (double)*(int64_t *)arg / 2.0; }
static void text_of(void *arg, char *buf, size_t len) { snprintf(buf, len, "%s", (char *)arg); }
static void hist_of(void *arg, metric_histogram_stats *out) {
  (void)arg;
  *out = (metric_histogram_stats){.count = 4, .min = 1, .max = 9, .mean = 5, .p50 = 4, .p999 = 9};
}

/* The sample named name of the group with variable var=val, copied out of the registry. */
typedef struct find_ctx {
  const char *name, *var, *val;
  metric_sample found;
  int hits;
} find_ctx;

static void find_one(void *arg, const metric_sample *s) {
  find_ctx *c = arg;
  const char *v = c->var ? metric_group_variable(s->group, c->var) : NULL;
  if (strcmp(s->name, c->name) == 0 && (!c->var || (v && strcmp(v, c->val) == 0))) {
    c->found = *s;
    c->hits++;
  }
}

static int find(metric_registry *reg, const char *name, const char *var, const char *val,
                metric_sample *out) {
  find_ctx c = {.name = name, .var = var, .val = val};
  metric_registry_each(reg, find_one, &c);
  if (out) *out = c.found;
  return c.hits;
}

static metric_registry *registry(const sp_config *cfg) {
  metric_registry *reg = NULL;
  char err[256];
  assert_int_equal(metric_registry_create(cfg, 60000, &reg, err, sizeof err), 0);
  return reg;
}

static void test_types_and_values(void **state) {
  (void)state;
  metric_registry *reg = registry(NULL);
  metric_group *tm = metric_group_tm(reg, "host1", "tm-1");
  assert_non_null(tm);
  int64_t n = 42;
  assert_int_equal(metric_counter_fn(tm, "c", value_of, &n), 0);
  assert_int_equal(metric_gauge_long(tm, "gl", value_of, &n), 0);
  assert_int_equal(metric_gauge_double(tm, "gd", half, &n), 0);
  assert_int_equal(metric_gauge_text(tm, "gt", text_of, "hello"), 0);
  assert_int_equal(metric_histogram(tm, "h", hist_of, NULL), 0);
  _Atomic int64_t *cell = metric_counter(tm, "cell");
  assert_non_null(cell);
  *cell += 3;
  /* a second metric of the same name is refused, the first stays */
  assert_int_equal(metric_gauge_long(tm, "c", value_of, &n), SPATE_EINVAL);

  metric_sample s;
  assert_int_equal(find(reg, "c", NULL, NULL, &s), 1);
  assert_int_equal(s.kind, METRIC_COUNTER);
  assert_int_equal(s.count, 42);
  n = 50;
  assert_int_equal(find(reg, "c", NULL, NULL, &s), 1);
  assert_int_equal(s.count, 50); /* read when asked */
  assert_int_equal(find(reg, "gl", NULL, NULL, &s), 1);
  assert_int_equal(s.kind, METRIC_GAUGE);
  assert_string_equal(s.text, "50");
  assert_int_equal(find(reg, "gd", NULL, NULL, &s), 1);
  assert_string_equal(s.text, "25.0"); /* Java's Double.toString */
  assert_int_equal(find(reg, "gt", NULL, NULL, &s), 1);
  assert_false(s.numeric);
  assert_string_equal(s.text, "hello");
  assert_int_equal(find(reg, "h", NULL, NULL, &s), 1);
  assert_int_equal(s.kind, METRIC_HISTOGRAM);
  assert_int_equal(s.hist.count, 4);
  assert_int_equal(find(reg, "cell", NULL, NULL, &s), 1);
  assert_int_equal(s.count, 3);
  metric_group_release(tm);
  assert_int_equal(find(reg, "c", NULL, NULL, NULL), 0);
  metric_registry_free(reg);
}

static void test_groups_identifiers_and_removal(void **state) {
  (void)state;
  metric_registry *reg = registry(NULL);
  metric_group *tm = metric_group_tm(reg, "host1", "tm-1");
  metric_group *job = metric_group_job(tm, "0123456789abcdef0123456789abcdef", "Word Count");
  metric_group *task = metric_group_task(job, "fedcba9876543210fedcba9876543210", "Map",
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 2, 3);
  metric_group *op = metric_group_operator(task, "11111111111111111111111111111111", "Map");
  assert_non_null(op);
  /* wrong parents are refused */
  assert_null(metric_group_task(tm, "v", "n", "a", 0, 0));
  assert_null(metric_group_operator(job, "o", "n"));
  int64_t n = 7;
  assert_int_equal(metric_counter_fn(task, "numRecordsIn", value_of, &n), 0);
  assert_int_equal(metric_counter_fn(op, "numRecordsIn", value_of, &n), 0);

  char buf[512];
  assert_string_equal(metric_identifier(task, "numRecordsIn", buf, sizeof buf),
                      "host1.taskmanager.tm-1.Word Count.Map.3.numRecordsIn");
  assert_string_equal(metric_identifier(op, "numRecordsIn", buf, sizeof buf),
                      "host1.taskmanager.tm-1.Word Count.Map.3.numRecordsIn");
  assert_string_equal(metric_logical_scope(op, '_', buf, sizeof buf),
                      "taskmanager_job_task_operator");
  assert_string_equal(metric_group_variable(op, "<job_name>"), "Word Count");
  assert_string_equal(metric_group_variable(op, "<task_attempt_num>"), "2");
  assert_string_equal(metric_group_variable(op, "<subtask_index>"), "3");
  assert_null(metric_group_variable(op, "job_name")); /* names carry their <> */
  const char *names[16], *values[16];
  int nv = metric_group_variables(op, names, values, 16);
  assert_int_equal(nv, 11);
  assert_string_equal(names[0], "host");
  assert_string_equal(names[10], "operator_name");

  /* a second reference to the same job shares it */
  metric_group *job2 = metric_group_job(tm, "0123456789abcdef0123456789abcdef", "Word Count");
  assert_ptr_equal(job, job2);
  metric_group_release(job2);
  /* the task's group keeps its job alive; removing the task removes its metrics only */
  metric_group_release(job);
  assert_int_equal(find(reg, "numRecordsIn", NULL, NULL, NULL), 2);
  metric_group_release(op);
  assert_int_equal(
      find(reg, "numRecordsIn", "<operator_id>", "11111111111111111111111111111111", NULL), 0);
  assert_int_equal(find(reg, "numRecordsIn", NULL, NULL, NULL), 1);
  metric_group_release(task);
  assert_int_equal(find(reg, "numRecordsIn", NULL, NULL, NULL), 0);
  /* the job group went with its last task: a new one starts empty */
  job = metric_group_job(tm, "0123456789abcdef0123456789abcdef", "Word Count");
  assert_non_null(job);
  metric_group_release(job);
  metric_group_release(tm);
  metric_registry_free(reg);
}

/* A group's sync function registers metrics that appeared since the last read (a task's user
 * metrics), under the registry's lock, before every read. */
typedef struct late_ctx {
  int appeared, registered, calls;
  int64_t value;
} late_ctx;

static void sync_late(void *arg, metric_group *g) {
  late_ctx *c = arg;
  c->calls++;
  for (; c->registered < c->appeared; c->registered++) {
    char name[32];
    snprintf(name, sizeof name, "user%d", c->registered);
    assert_int_equal(metric_counter_fn(g, name, value_of, &c->value), 0);
  }
}

static void test_sync_registers_late_metrics(void **state) {
  (void)state;
  metric_registry *reg = registry(NULL);
  metric_group *tm = metric_group_tm(reg, "h", "t");
  late_ctx c = {.value = 3};
  metric_group_set_sync(tm, sync_late, &c);
  assert_int_equal(find(reg, "user0", NULL, NULL, NULL), 0);
  c.appeared = 2;
  metric_sample s;
  assert_int_equal(find(reg, "user1", NULL, NULL, &s), 1);
  assert_int_equal(s.count, 3);
  assert_int_equal(find(reg, "user0", NULL, NULL, NULL), 1);
  metric_dump d = {0};
  assert_int_equal(metric_registry_dump(reg, &d), 0);
  assert_int_equal(d.n, 2);
  metric_dump_free(&d);
  assert_true(c.calls >= 3);
  assert_ptr_equal(metric_group_registry(tm), reg);
  metric_group_release(tm);
  metric_registry_free(reg);
}

static void test_scope_formats_from_config(void **state) {
  (void)state;
  sp_config *cfg = sp_config_new();
  char err[256];
  assert_int_equal(sp_config_set(cfg, "metrics.scope.delimiter", "/", NULL, err, sizeof err), 0);
  assert_int_equal(sp_config_set(cfg, "metrics.scope.task", "*.<task_id>.x", NULL, err, sizeof err),
                   0);
  /* the older name of the jm.job key */
  assert_int_equal(sp_config_set(cfg, "metrics.scope.jm-job", "jm.<job_id>", NULL, err, sizeof err),
                   0);
  metric_registry *reg = registry(cfg);
  metric_group *jm = metric_group_jm(reg, "h");
  metric_group *jmjob = metric_group_job(jm, "ab", "J");
  metric_group *tm = metric_group_tm(reg, "h", "t");
  metric_group *job = metric_group_job(tm, "ab", "J");
  metric_group *task = metric_group_task(job, "v1", "Map", "a1", 0, 1);
  char buf[256];
  assert_string_equal(metric_identifier(jm, "numRunningJobs", buf, sizeof buf),
                      "h/jobmanager/numRunningJobs");
  assert_string_equal(metric_identifier(jmjob, "numRestarts", buf, sizeof buf),
                      "jm/ab/numRestarts");
  /* "*" inherits the parent's scope (h/taskmanager/t/J) */
  assert_string_equal(metric_identifier(task, "m", buf, sizeof buf), "h/taskmanager/t/J/v1/x/m");
  metric_group_release(task);
  metric_group_release(job);
  metric_group_release(tm);
  metric_group_release(jmjob);
  metric_group_release(jm);
  metric_registry_free(reg);
  /* an empty component is refused, naming the key */
  assert_int_equal(sp_config_set(cfg, "metrics.scope.tm", "<host>..x", NULL, err, sizeof err), 0);
  metric_registry *bad = NULL;
  assert_int_equal(metric_registry_create(cfg, 0, &bad, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "metrics.scope.tm"));
  assert_null(bad);
  sp_config_free(cfg);
}

static void test_meter_and_time_per_second(void **state) {
  (void)state;
  metric_registry *reg = registry(NULL);
  metric_group *tm = metric_group_tm(reg, "h", "t");
  int64_t count = 0, ns = 0;
  assert_int_equal(metric_meter(tm, "rate", value_of, &count), 0);
  assert_int_equal(metric_time_per_second(tm, "busy", value_of, &ns), 0);
  metric_sample s;
  assert_int_equal(find(reg, "rate", NULL, NULL, &s), 1);
  assert_int_equal(s.kind, METRIC_METER);
  assert_true(s.value == 0.0); /* no update yet */
  uint64_t before = metric_registry_view_updates(reg);
  count = 1000000;
  ns = INT64_C(1000000000000); /* far more than the time that passes: clamped to 1000 */
  metric_registry_update_views(reg);
  assert_true(metric_registry_view_updates(reg) > before);
  assert_int_equal(find(reg, "rate", NULL, NULL, &s), 1);
  assert_true(s.value > 0.0);
  assert_int_equal(find(reg, "busy", NULL, NULL, &s), 1);
  assert_int_equal(s.kind, METRIC_GAUGE);
  assert_string_equal(s.text, "1000");
  /* nothing grew: the time per second of the last interval is 0 */
  metric_registry_update_views(reg);
  assert_int_equal(find(reg, "busy", NULL, NULL, &s), 1);
  assert_string_equal(s.text, "0");
  metric_group_release(tm);
  metric_registry_free(reg);
}

static void test_dump_scope_info(void **state) {
  (void)state;
  metric_registry *reg = registry(NULL);
  metric_group *jm = metric_group_jm(reg, "h");
  metric_group *jmjob = metric_group_job(jm, "0123456789abcdef0123456789abcdef", "J");
  metric_group *tm = metric_group_tm(reg, "h", "t");
  metric_group *job = metric_group_job(tm, "0123456789abcdef0123456789abcdef", "J");
  metric_group *task =
      metric_group_task(job, "fedcba9876543210fedcba9876543210", "Map", "a1", 1, 2);
  metric_group *op = metric_group_operator(task, "o1", "Map op");
  int64_t n = 5;
  metric_gauge_long(jm, "numRunningJobs", value_of, &n);
  metric_gauge_long(jmjob, "numRestarts", value_of, &n);
  metric_gauge_text(tm, "txt", text_of, "x");
  metric_counter_fn(task, "numRecordsIn", value_of, &n);
  metric_meter(op, "numRecordsOutPerSecond", value_of, &n);
  metric_histogram(op, "h", hist_of, NULL);
  metric_dump d = {0};
  assert_int_equal(metric_registry_dump(reg, &d), 0);
  assert_int_equal(d.n, 6);
  int seen = 0;
  for (size_t i = 0; i < d.n; i++) {
    const metric_dump_entry *e = &d.entries[i];
    if (strcmp(e->name, "numRunningJobs") == 0) {
      assert_int_equal(e->scope, METRIC_SCOPE_JM);
      assert_string_equal(e->gauge, "5");
      seen |= 1;
    } else if (strcmp(e->name, "numRestarts") == 0) {
      assert_int_equal(e->scope, METRIC_SCOPE_JOB);
      assert_string_equal(e->job_id, "0123456789abcdef0123456789abcdef");
      seen |= 2;
    } else if (strcmp(e->name, "txt") == 0) {
      assert_int_equal(e->scope, METRIC_SCOPE_TM);
      assert_string_equal(e->gauge, "x");
      seen |= 4;
    } else if (strcmp(e->name, "numRecordsIn") == 0) {
      assert_int_equal(e->scope, METRIC_SCOPE_TASK);
      assert_int_equal(e->kind, METRIC_COUNTER);
      assert_int_equal(e->count, 5);
      assert_string_equal(e->vertex_id, "fedcba9876543210fedcba9876543210");
      assert_int_equal(e->subtask, 2);
      assert_int_equal(e->attempt, 1);
      assert_null(e->operator_name);
      seen |= 8;
    } else if (strcmp(e->name, "numRecordsOutPerSecond") == 0) {
      assert_int_equal(e->scope, METRIC_SCOPE_OPERATOR);
      assert_int_equal(e->kind, METRIC_METER);
      assert_string_equal(e->operator_name, "Map op");
      assert_int_equal(e->subtask, 2);
      seen |= 16;
    } else if (strcmp(e->name, "h") == 0) {
      assert_int_equal(e->kind, METRIC_HISTOGRAM);
      assert_int_equal(e->hist.count, 4);
      seen |= 32;
    }
  }
  assert_int_equal(seen, 63);
  /* the dump survives its codec */
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(metric_dump_encode(&d, &w), 0);
  metric_dump back = {0};
  char err[256];
  assert_int_equal(metric_dump_decode(w.data, w.len, &back, err, sizeof err), 0);
  assert_int_equal(back.n, d.n);
  sp_writer_free(&w);
  metric_dump_free(&back);
  metric_dump_free(&d);
  metric_group_release(op);
  metric_group_release(task);
  metric_group_release(job);
  metric_group_release(tm);
  metric_group_release(jmjob);
  metric_group_release(jm);
  metric_registry_free(reg);
}

/* metric_dump_decode refuses every truncation and a bad magic, naming the problem. */
static void test_dump_decode_errors(void **state) {
  (void)state;
  metric_dump d = {0};
  metric_dump_entry *e = metric_dump_add(&d);
  e->scope = METRIC_SCOPE_OPERATOR;
  snprintf(e->job_id, sizeof e->job_id, "0123456789abcdef0123456789abcdef");
  e->operator_name = sp_strdup("Map");
  e->name = sp_strdup("numRecordsIn");
  e->kind = METRIC_GAUGE;
  e->gauge = sp_strdup("12");
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(metric_dump_encode(&d, &w), 0);
  char err[256];
  for (size_t len = 0; len < w.len; len++) {
    metric_dump back = {0};
    err[0] = 0;
    assert_int_equal(metric_dump_decode(w.data, len, &back, err, sizeof err), SPATE_EINVAL);
    assert_true(err[0] != 0);
    metric_dump_free(&back);
  }
  w.data[0] = 'X';
  metric_dump back = {0};
  assert_int_equal(metric_dump_decode(w.data, w.len, &back, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "magic"));
  metric_dump_free(&back);
  sp_writer_free(&w);
  metric_dump_free(&d);
}

static void test_slf4j_report_text(void **state) {
  (void)state;
  metric_registry *reg = registry(NULL);
  metric_group *tm = metric_group_tm(reg, "h", "t");
  int64_t n = 9;
  metric_counter_fn(tm, "c", value_of, &n);
  metric_gauge_text(tm, "g", text_of, "v");
  metric_meter(tm, "m", value_of, &n);
  metric_histogram(tm, "hist", hist_of, NULL);
  sp_strbuf sb = {0};
  assert_int_equal(slf4j_report(reg, &sb), 0);
  const char *t = sb.data;
  const char *start = strstr(t, "=========================== Starting metrics report");
  const char *counters = strstr(t, "-- Counters ---");
  const char *gauges = strstr(t, "-- Gauges ---");
  const char *meters = strstr(t, "-- Meters ---");
  const char *hists = strstr(t, "-- Histograms ---");
  const char *end = strstr(t, "=========================== Finished metrics report");
  assert_true(start && counters && gauges && meters && hists && end);
  assert_true(start < counters && counters < gauges && gauges < meters && meters < hists &&
              hists < end);
  const char *c = strstr(t, "h.taskmanager.t.c: 9\n");
  assert_true(c && c > counters && c < gauges);
  const char *g = strstr(t, "h.taskmanager.t.g: v\n");
  assert_true(g && g > gauges && g < meters);
  const char *m = strstr(t, "h.taskmanager.t.m: 0.0\n");
  assert_true(m && m > meters && m < hists);
  assert_non_null(strstr(t,
                         "h.taskmanager.t.hist: count=4, min=1.0, max=9.0, mean=5.0, "
                         "stddev=0.0, p50=4.0, p75=0.0, p95=0.0, p98=0.0, p99=0.0, p999=9.0\n"));
  sp_strbuf_free(&sb);
  metric_group_release(tm);
  metric_registry_free(reg);
}

static void test_reporter_config_keys(void **state) {
  (void)state;
  sp_config *cfg = sp_config_new();
  char err[256];
  /* keys with a reporter name in them are typed by their pattern */
  assert_int_equal(sp_config_set(cfg, "metrics.reporter.prom.factory.class",
                                 "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                                 NULL, err, sizeof err),
                   0);
  assert_int_equal(sp_config_set(cfg, "metrics.reporter.prom.port", "0", NULL, err, sizeof err), 0);
  assert_int_equal(
      sp_config_set(cfg, "metrics.reporter.log.interval", "2 s", NULL, err, sizeof err), 0);
  assert_int_equal(sp_config_duration_ms(cfg, "metrics.reporter.log.interval"), 2000);
  assert_int_equal(sp_config_duration_ms(cfg, "metrics.reporter.other.interval"), 10000);
  assert_string_equal(sp_config_str(cfg, "metrics.reporter.other.port"), "9249");
  assert_int_equal(
      sp_config_set(cfg, "metrics.reporter.log.interval", "soon", NULL, err, sizeof err),
      SPATE_EINVAL);
  assert_non_null(strstr(err, "metrics.reporter.log.interval"));
  assert_int_equal(sp_config_set(cfg, "metrics.reporter.x.y.port", "1", NULL, err, sizeof err),
                   SPATE_EINVAL); /* "*" is one component */
  assert_int_equal(sp_config_set(cfg, "metrics.reporter..port", "1", NULL, err, sizeof err),
                   SPATE_EINVAL);
  assert_int_equal(sp_config_set(cfg, "metrics.reporter.prom.bogus", "1", NULL, err, sizeof err),
                   SPATE_EINVAL);
  assert_non_null(strstr(err, "unknown configuration key"));
  /* a copy keeps every key under its own name */
  sp_config *copy = sp_config_clone(cfg);
  assert_int_equal(sp_config_duration_ms(copy, "metrics.reporter.log.interval"), 2000);
  sp_config_free(copy);

  metric_registry *reg = registry(NULL);
  metric_reporters *r = NULL;
  assert_int_equal(metric_reporters_start(reg, cfg, &r, err, sizeof err), 0);
  assert_true(metric_reporters_prometheus_port(r) > 0); /* port 0: the kernel's pick */
  metric_reporters_stop(r);
  /* an allow-list leaves the others out */
  assert_int_equal(sp_config_set(cfg, "metrics.reporters", "nothing", NULL, err, sizeof err), 0);
  assert_int_equal(metric_reporters_start(reg, cfg, &r, err, sizeof err), 0);
  assert_int_equal(metric_reporters_prometheus_port(r), -1);
  metric_reporters_stop(r);
  /* an unknown kind and a bad range are refused, naming the key */
  assert_int_equal(sp_config_set(cfg, "metrics.reporters", "prom,jmx", NULL, err, sizeof err), 0);
  assert_int_equal(
      sp_config_set(cfg, "metrics.reporter.jmx.factory.class",
                    "org.apache.flink.metrics.jmx.JMXReporterFactory", NULL, err, sizeof err),
      0);
  assert_int_equal(metric_reporters_start(reg, cfg, &r, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "metrics.reporter.jmx.factory.class"));
  assert_int_equal(sp_config_set(cfg, "metrics.reporters", "prom", NULL, err, sizeof err), 0);
  assert_int_equal(
      sp_config_set(cfg, "metrics.reporter.prom.port", "9260-9250", NULL, err, sizeof err), 0);
  assert_int_equal(metric_reporters_start(reg, cfg, &r, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "metrics.reporter.prom.port"));
  metric_registry_free(reg);
  sp_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_types_and_values),
      cmocka_unit_test(test_groups_identifiers_and_removal),
      cmocka_unit_test(test_sync_registers_late_metrics),
      cmocka_unit_test(test_scope_formats_from_config),
      cmocka_unit_test(test_meter_and_time_per_second),
      cmocka_unit_test(test_dump_scope_info),
      cmocka_unit_test(test_dump_decode_errors),
      cmocka_unit_test(test_slf4j_report_text),
      cmocka_unit_test(test_reporter_config_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
