/*
 * test_watermark_valve.c: the valve's semantics, scenario by scenario, as Flink's
 * StatusWatermarkValve behaves: minimum over channels, never backwards, idle channels excluded,
 * all-idle turns the output idle, a channel returning from idle counts only once aligned, and
 * finished channels stop holding the watermark back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "runtime/watermark_valve.h"

static watermark_valve v;
static valve_output out;

static int setup3(void **state) {
  (void)state;
  return valve_init(&v, 3);
}
static int teardown(void **state) {
  (void)state;
  valve_destroy(&v);
  return 0;
}

#define WM(ch, w) valve_watermark(&v, ch, w, &out)
#define EXPECT_WM(w)               \
  do {                             \
    assert_true(out.has_wm);       \
    assert_int_equal(out.wm, (w)); \
  } while (0)
#define EXPECT_NO_WM() assert_false(out.has_wm)

static void test_minimum_over_channels(void **state) {
  WM(0, 10);
  EXPECT_NO_WM(); /* channels 1 and 2 have no watermark yet */
  WM(1, 5);
  EXPECT_NO_WM();
  WM(2, 7);
  EXPECT_WM(5);
  WM(1, 12);
  EXPECT_WM(7);
  WM(2, 20);
  EXPECT_WM(10);
  WM(0, 9); /* a channel's watermark never goes back */
  EXPECT_NO_WM();
  assert_int_equal(v.ch[0].wm, 10);
}

static void test_idle_channel_excluded_and_all_idle(void **state) {
  WM(0, 3);
  WM(1, 4);
  WM(2, 1);
  EXPECT_WM(1);
  valve_status(&v, 2, true, &out); /* the laggard goes idle: the others decide */
  assert_false(out.status_changed);
  EXPECT_WM(3);
  valve_status(&v, 0, true, &out);
  EXPECT_WM(4);
  valve_status(&v, 1, true, &out); /* all idle: the output turns idle */
  assert_true(out.status_changed);
  assert_true(out.idle);
  EXPECT_NO_WM();
  valve_status(&v, 1, false, &out); /* one returns: active again */
  assert_true(out.status_changed);
  assert_false(out.idle);
}

static void test_returning_channel_counts_once_aligned(void **state) {
  WM(0, 10);
  WM(1, 10);
  WM(2, 10);
  EXPECT_WM(10);
  valve_status(&v, 2, true, &out);
  WM(0, 20);
  WM(1, 25);
  EXPECT_WM(20);
  valve_status(&v, 2, false, &out); /* back, but behind at 10: ignored, no going back */
  EXPECT_NO_WM();
  WM(2, 15); /* still behind 20 */
  EXPECT_NO_WM();
  WM(0, 30);
  EXPECT_WM(25); /* channel 2 still not aligned, so min(30, 25) */
  WM(2, 26);     /* caught up with the output (25): counts again, but channel 1 still holds 25 */
  EXPECT_NO_WM();
  WM(1, 40);
  EXPECT_WM(26); /* now channel 2 is the minimum */
  WM(2, 50);
  EXPECT_WM(30);
}

static void test_finished_channels(void **state) {
  WM(0, 5);
  WM(1, 100);
  WM(2, 100);
  EXPECT_WM(5);
  valve_finished(&v, 0, &out); /* the slow one ends: the others decide */
  EXPECT_WM(100);
  valve_status(&v, 1, true, &out);
  assert_false(out.status_changed);
  valve_finished(&v, 2, &out); /* the only unfinished channel is idle */
  assert_true(out.status_changed);
  assert_true(out.idle);
  WM(0, 1000); /* a finished channel is ignored */
  EXPECT_NO_WM();
}

static void test_all_idle_jumps_to_highest(void **state) {
  WM(0, 100);
  WM(1, 50);
  WM(2, 70);
  EXPECT_WM(50);
  valve_status(&v, 0, true, &out);
  EXPECT_NO_WM(); /* channel 1 still holds 50 */
  valve_status(&v, 2, true, &out);
  EXPECT_NO_WM();
  valve_status(&v, 1, true, &out); /* the holder goes idle last: up to 100, then idle */
  EXPECT_WM(100);
  assert_true(out.status_changed);
  assert_true(out.idle);
}

static void test_max_watermark_at_end(void **state) {
  WM(0, INT64_MAX);
  WM(1, INT64_MAX);
  EXPECT_NO_WM();
  WM(2, INT64_MAX);
  EXPECT_WM(INT64_MAX);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_minimum_over_channels, setup3, teardown),
      cmocka_unit_test_setup_teardown(test_idle_channel_excluded_and_all_idle, setup3, teardown),
      cmocka_unit_test_setup_teardown(test_returning_channel_counts_once_aligned, setup3, teardown),
      cmocka_unit_test_setup_teardown(test_finished_channels, setup3, teardown),
      cmocka_unit_test_setup_teardown(test_max_watermark_at_end, setup3, teardown),
      cmocka_unit_test_setup_teardown(test_all_idle_jumps_to_highest, setup3, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
