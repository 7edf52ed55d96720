/*
 * test_heartbeat_monitor.c: cluster/heartbeat_monitor.h on a manual clock: a silent target times
 * out after heartbeat.timeout and not before; hearing from it starts the timeout again and
 * forgets failed RPCs; heartbeat.rpc-failure-threshold failed RPCs in a row make it unreachable
 * at once; a threshold of -1 leaves only the timeout; a send that fails at once counts.
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
#include "base/clock.h"
#include "cluster/heartbeat_monitor.h"
#include "cluster/rpc.h"

#define MS 1000000LL

/* What the monitor reported lost. */
typedef struct losses {
  int n;
  char target[64], reason[512];
} losses;

static void on_lost(void *ctx, const char *target, const char *reason) {
  losses *l = ctx;
  l->n++;
  snprintf(l->target, sizeof l->target, "%s", target);
  snprintf(l->reason, sizeof l->reason, "%s", reason);
}

static hb_monitor monitor(int threshold) {
  hb_monitor m;
  hb_monitor_init(
      &m, &(hb_settings){.interval_ms = 10, .timeout_ms = 50, .failure_threshold = threshold},
      "TaskManager");
  return m;
}

static void test_times_out_after_the_timeout_not_before(void **state) {
  (void)state;
  hb_monitor m = monitor(2);
  losses l = {0};
  assert_int_equal(hb_monitor_add(&m, "tm-a", 1000 * MS), 0);
  assert_int_equal(hb_monitor_add(&m, "tm-b", 1020 * MS), 0);
  assert_int_equal(hb_monitor_add(&m, "tm-a", 1040 * MS), 0); /* already there: unchanged */
  hb_monitor_expire(&m, 1049 * MS, on_lost, &l);
  assert_int_equal(l.n, 0);
  hb_monitor_expire(&m, 1050 * MS, on_lost, &l); /* tm-a: 50 ms silent */
  assert_int_equal(l.n, 1);
  assert_string_equal(l.target, "tm-a");
  assert_string_equal(l.reason, "The heartbeat of TaskManager with id tm-a timed out.");
  assert_int_equal(hb_monitor_find(&m, "tm-a"), -1); /* removed before it was reported */
  assert_true(hb_monitor_find(&m, "tm-b") >= 0);
  hb_monitor_expire(&m, 1069 * MS, on_lost, &l);
  assert_int_equal(l.n, 1);
  hb_monitor_expire(&m, 1070 * MS, on_lost, &l);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.target, "tm-b");
  assert_int_equal(m.n, 0);
  hb_monitor_free(&m);
}

static void test_hearing_resets_the_timeout(void **state) {
  (void)state;
  hb_monitor m = monitor(2);
  losses l = {0};
  assert_int_equal(hb_monitor_add(&m, "tm-a", 0), 0);
  for (int64_t t = 40; t <= 400; t += 40) { /* heard every 40 ms: never 50 ms silent */
    assert_true(hb_monitor_heard(&m, "tm-a", t * MS));
    hb_monitor_expire(&m, (t + 49) * MS, on_lost, &l);
  }
  assert_int_equal(l.n, 0);
  assert_false(hb_monitor_heard(&m, "unknown", 400 * MS));
  hb_monitor_expire(&m, 450 * MS, on_lost, &l);
  assert_int_equal(l.n, 1);
  assert_true(hb_monitor_remove(&m, "tm-a") == false); /* gone already */
  hb_monitor_free(&m);
}

static void test_failure_threshold(void **state) {
  (void)state;
  hb_monitor m = monitor(2);
  losses l = {0};
  assert_int_equal(hb_monitor_add(&m, "tm-a", 0), 0);
  assert_false(hb_monitor_rpc_failed(&m, "tm-a", "could not connect", on_lost, &l));
  /* an answer in between: the failures are forgotten */
  assert_true(hb_monitor_heard(&m, "tm-a", 10 * MS));
  assert_false(hb_monitor_rpc_failed(&m, "tm-a", "could not connect", on_lost, &l));
  assert_int_equal(l.n, 0);
  /* the second in a row makes it unreachable at once, long before the timeout */
  assert_true(hb_monitor_rpc_failed(&m, "tm-a", "connection refused", on_lost, &l));
  assert_int_equal(l.n, 1);
  assert_string_equal(l.target, "tm-a");
  assert_non_null(strstr(l.reason, "TaskManager with id tm-a is no longer reachable"));
  assert_non_null(strstr(l.reason, "2 heartbeat RPCs in a row failed"));
  assert_non_null(strstr(l.reason, "connection refused"));
  assert_int_equal(hb_monitor_find(&m, "tm-a"), -1);
  /* failures of a target not monitored count for nothing */
  assert_false(hb_monitor_rpc_failed(&m, "tm-a", "x", on_lost, &l));
  assert_int_equal(l.n, 1);
  hb_monitor_free(&m);
}

static void test_threshold_minus_one_disables(void **state) {
  (void)state;
  hb_monitor m = monitor(-1);
  losses l = {0};
  assert_int_equal(hb_monitor_add(&m, "tm-a", 0), 0);
  for (int i = 0; i < 100; i++)
    assert_false(hb_monitor_rpc_failed(&m, "tm-a", "connection refused", on_lost, &l));
  assert_int_equal(l.n, 0);
  hb_monitor_expire(&m, 49 * MS, on_lost, &l);
  assert_int_equal(l.n, 0);
  hb_monitor_expire(&m, 50 * MS, on_lost, &l); /* only the timeout tells */
  assert_int_equal(l.n, 1);
  assert_non_null(strstr(l.reason, "timed out"));
  hb_monitor_free(&m);
}

/* The endpoint the heartbeat requests are for: counts what arrives. */
static int g_requests;
static void count(void *self, uint32_t type, sp_reader *r) {
  (void)self;
  (void)r;
  if (type == 42) g_requests++;
}

static void test_send_all_counts_failed_sends(void **state) {
  (void)state;
  sp_clock *clock = sp_clock_manual(0);
  rpc_service *rpc;
  assert_int_equal(rpc_service_create(clock, &rpc), 0);
  rpc_endpoint *ep;
  assert_int_equal(rpc_endpoint_start(rpc, "there", count, NULL, &ep), 0);
  hb_monitor m = monitor(2);
  losses l = {0};
  assert_int_equal(hb_monitor_add(&m, "there", 0), 0);
  assert_int_equal(hb_monitor_add(&m, "nowhere", 0), 0); /* no such endpoint: sends fail */
  sp_writer req;
  sp_writer_init(&req);
  sp_put_str(&req, "me");
  hb_monitor_send_all(&m, rpc, "me", 42, &req, on_lost, &l);
  assert_int_equal(l.n, 0);
  hb_monitor_send_all(&m, rpc, "me", 42, &req, on_lost, &l);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.target, "nowhere");
  assert_int_equal(m.n, 1);
  assert_int_equal(rpc_flush(rpc, "there"), 0);
  assert_int_equal(g_requests, 2);
  sp_writer_free(&req);
  hb_monitor_free(&m);
  rpc_endpoint_stop(ep);
  rpc_service_destroy(rpc);
  sp_clock_free(clock);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_times_out_after_the_timeout_not_before),
      cmocka_unit_test(test_hearing_resets_the_timeout),
      cmocka_unit_test(test_failure_threshold),
      cmocka_unit_test(test_threshold_minus_one_disables),
      cmocka_unit_test(test_send_all_counts_failed_sends),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
