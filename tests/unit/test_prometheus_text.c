/*
 * test_prometheus_text.c: the Prometheus exposition of a registry (metrics/prometheus_text.h)
 * and its HTTP server (metrics/prometheus_reporter.h): Flink's names and labels, label value
 * filtering and escaping, one HELP and TYPE per family with all its series after it, summaries
 * for histograms, text gauges left out, excluded variables; / and /metrics served, other paths
 * 404.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/err.h"
#include "metrics/metric_registry.h"
#include "metrics/prometheus_reporter.h"
#include "metrics/prometheus_text.h"

static int64_t value_of(void *arg) { return *(int64_t *)arg; }
static void text_of(void *arg, char *buf, size_t len) { snprintf(buf, len, "%s", (char *)arg); }
static void hist_of(void *arg, metric_histogram_stats *out) {
  (void)arg;
  *out = (metric_histogram_stats){
      .count = 10, .p50 = 1, .p75 = 2, .p95 = 3, .p98 = 4, .p99 = 5, .p999 = 6};
}

typedef struct fixture {
  metric_registry *reg;
  metric_group *tm1, *tm2, *job, *task, *op;
  int64_t n;
} fixture;

static int setup(void **state) {
  fixture *f = sp_calloc(1, sizeof *f);
  char err[256];
  assert_int_equal(metric_registry_create(NULL, 60000, &f->reg, err, sizeof err), 0);
  f->n = 12;
  f->tm1 = metric_group_tm(f->reg, "host", "tm-1");
  f->tm2 = metric_group_tm(f->reg, "host", "tm-2");
  f->job = metric_group_job(f->tm1, "0123456789abcdef0123456789abcdef", "Word \"Count\"\\ 1");
  f->task = metric_group_task(f->job, "fedcba9876543210fedcba9876543210", "Source: x -> Map",
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 1);
  f->op = metric_group_operator(f->task, "11111111111111111111111111111111", "Map");
  /* the same family in two TaskManagers: one TYPE line, two series */
  metric_gauge_long(f->tm1, "Status.JVM.CPU.Time", value_of, &f->n);
  metric_gauge_long(f->tm2, "Status.JVM.CPU.Time", value_of, &f->n);
  metric_counter_fn(f->task, "numRecordsIn", value_of, &f->n);
  metric_meter(f->task, "numRecordsInPerSecond", value_of, &f->n);
  metric_counter_fn(f->op, "numRecordsIn", value_of, &f->n);
  metric_gauge_text(f->tm1, "someText", text_of, "not a number");
  metric_histogram(f->op, "latency", hist_of, NULL);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  metric_group_release(f->op);
  metric_group_release(f->task);
  metric_group_release(f->job);
  metric_group_release(f->tm1);
  metric_group_release(f->tm2);
  metric_registry_free(f->reg);
  sp_free(f);
  return 0;
}

static int count_of(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

static char *render(fixture *f, bool filter, const char *excluded) {
  sp_strbuf sb = {0};
  prometheus_options opt = {.filter_label_values = filter, .excluded = excluded};
  assert_int_equal(prometheus_render(f->reg, &opt, &sb), 0);
  assert_non_null(sb.data);
  return sb.data;
}

static void test_names_types_and_families(void **state) {
  fixture *f = *state;
  char *t = render(f, true, NULL);
  /* names: flink_ + logical scope + name, dots to '_' */
  assert_int_equal(count_of(t, "# TYPE flink_taskmanager_Status_JVM_CPU_Time gauge\n"), 1);
  assert_int_equal(count_of(t,
                            "# HELP flink_taskmanager_Status_JVM_CPU_Time "
                            "Status.JVM.CPU.Time (scope: taskmanager)\n"),
                   1);
  assert_int_equal(count_of(t,
                            "flink_taskmanager_Status_JVM_CPU_Time{host=\"host\",tm_id=\"tm_1\"}"
                            " 12.0\n"),
                   1);
  assert_int_equal(count_of(t,
                            "flink_taskmanager_Status_JVM_CPU_Time{host=\"host\",tm_id=\"tm_2\"}"
                            " 12.0\n"),
                   1);
  /* the two series follow their one TYPE line, nothing in between */
  const char *type = strstr(t, "# TYPE flink_taskmanager_Status_JVM_CPU_Time gauge\n");
  const char *s1 = strstr(type, "\n") + 1;
  assert_int_equal(strncmp(s1, "flink_taskmanager_Status_JVM_CPU_Time{", 38), 0);
  const char *s2 = strstr(s1, "\n") + 1;
  assert_int_equal(strncmp(s2, "flink_taskmanager_Status_JVM_CPU_Time{", 38), 0);
  assert_int_equal(count_of(t, "# TYPE flink_taskmanager_job_task_numRecordsIn gauge\n"), 1);
  assert_int_equal(count_of(t, "# TYPE flink_taskmanager_job_task_numRecordsInPerSecond gauge\n"),
                   1);
  assert_int_equal(count_of(t, "# TYPE flink_taskmanager_job_task_operator_numRecordsIn gauge\n"),
                   1);
  /* text gauges are not numbers: left out */
  assert_null(strstr(t, "someText"));
  /* every TYPE line names a family once */
  assert_int_equal(count_of(t, "# TYPE "), 5);
  assert_int_equal(count_of(t, "# HELP "), 5);
  sp_free(t);
}

static void test_labels_filtered_and_escaped(void **state) {
  fixture *f = *state;
  char *t = render(f, true, NULL);
  /* Flink's default filterLabelValueCharacters: characters outside [a-zA-Z0-9:_] become '_' */
  assert_non_null(strstr(
      t,
      "flink_taskmanager_job_task_numRecordsIn{host=\"host\",tm_id=\"tm_1\",job_id=\""
      "0123456789abcdef0123456789abcdef\",job_name=\"Word__Count___1\",task_id=\""
      "fedcba9876543210fedcba9876543210\",task_name=\"Source:_x____Map\",task_attempt_id=\""
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",task_attempt_num=\"0\",subtask_index=\"1\"} 12.0\n"));
  sp_free(t);
  /* unfiltered: backslash and double quote escaped */
  t = render(f, false, "<tm_id>;task_attempt_id");
  assert_non_null(strstr(t, "job_name=\"Word \\\"Count\\\"\\\\ 1\""));
  assert_non_null(strstr(t, "task_name=\"Source: x -> Map\""));
  /* excluded variables are no labels */
  assert_null(strstr(t, "tm_id="));
  assert_null(strstr(t, "task_attempt_id="));
  assert_non_null(strstr(t, "task_attempt_num="));
  sp_free(t);
}

static void test_histogram_as_summary(void **state) {
  fixture *f = *state;
  char *t = render(f, true, NULL);
  assert_int_equal(count_of(t, "# TYPE flink_taskmanager_job_task_operator_latency summary\n"), 1);
  static const char *const q[] = {"0.5\"} 1.0",  "0.75\"} 2.0", "0.95\"} 3.0",
                                  "0.98\"} 4.0", "0.99\"} 5.0", "0.999\"} 6.0"};
  for (int i = 0; i < 6; i++) {
    char want[64];
    snprintf(want, sizeof want, ",quantile=\"%s\n", q[i]);
    assert_int_equal(count_of(t, want), 1);
  }
  assert_int_equal(count_of(t, "flink_taskmanager_job_task_operator_latency_count{"), 1);
  assert_non_null(strstr(t, "operator_name=\"Map\"} 10.0\n"));
  sp_free(t);
}

/* GET path from 127.0.0.1:port; the whole answer (status line, headers, body). */
static char *http_get(int port, const char *method, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  char req[256];
  int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n", method, path);
  assert_int_equal(write(fd, req, (size_t)n), n);
  sp_strbuf sb = {0};
  char buf[4096];
  ssize_t got;
  while ((got = read(fd, buf, sizeof buf)) > 0) sp_strbuf_append(&sb, buf, (size_t)got);
  close(fd);
  sp_strbuf_add(&sb, "");
  return sb.data;
}

static void test_http_server(void **state) {
  fixture *f = *state;
  prometheus_reporter *r = NULL;
  char err[256];
  prometheus_options opt = {.filter_label_values = true};
  assert_int_equal(prometheus_reporter_start(f->reg, 0, 0, &opt, &r, err, sizeof err), 0);
  int port = prometheus_reporter_port(r);
  assert_true(port > 0);
  /* a second reporter on the taken port alone cannot start, and says so */
  prometheus_reporter *r2 = NULL;
  int rc = prometheus_reporter_start(f->reg, port, port, &opt, &r2, err, sizeof err);
  assert_int_equal(rc, SPATE_EIO);
  assert_non_null(strstr(err, "Prometheus reporter"));
  for (const char *const *p = (const char *const[]){"/", "/metrics", NULL}; *p; p++) {
    char *t = http_get(port, "GET", *p);
    assert_non_null(strstr(t, "HTTP/1.0 200") ? t : strstr(t, "HTTP/1.1 200"));
    assert_non_null(strstr(t, "text/plain; version=0.0.4"));
    assert_non_null(strstr(t, "# TYPE flink_taskmanager_job_task_numRecordsIn gauge\n"));
    sp_free(t);
  }
  char *t = http_get(port, "GET", "/other");
  assert_non_null(strstr(t, " 404 "));
  sp_free(t);
  prometheus_reporter_stop(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_names_types_and_families, setup, teardown),
      cmocka_unit_test_setup_teardown(test_labels_filtered_and_escaped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_histogram_as_summary, setup, teardown),
      cmocka_unit_test_setup_teardown(test_http_server, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
