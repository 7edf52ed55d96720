/*
 * test_sql_over_agg.c: OP_SQL_OVER_AGG driven through the operator harness, its output compared
 * with what Flink's over-aggregate functions emit for the same rows, watermarks and clock:
 *  - event time, ROWS 1 PRECEDING: rows wait for the watermark, then come out in time order
 *    (not arrival order), each with the sum and count of itself and the row before;
 *  - event time, RANGE 2 s PRECEDING: the rows of one timestamp share one result, rows older
 *    than the frame leave it (MAX retracted through its value counts);
 *  - event time, unbounded: a row at or before the watermark is late and dropped (counted);
 *  - processing time: ROWS unbounded at once; RANGE 1 s PRECEDING per millisecond, when the
 *    clock passes it;
 *  - a checkpoint with rows waiting and their timers, restored;
 *  - refused parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "harness.h"
#include "sql_agg_harness.h"

#define IN "k INT NOT NULL, v INT, ts TIMESTAMP(3) NOT NULL"
#define OUT_SUM_COUNT "k INT NOT NULL, v INT, ts TIMESTAMP(3) NOT NULL, s INT, c BIGINT NOT NULL"
#define OUT_MAX "k INT NOT NULL, v INT, ts TIMESTAMP(3) NOT NULL, m INT"

typedef struct fixture {
  spate_env *env;
  harness h;
  spate_row_builder *b;
  size_t seen;
} fixture;

static int open_over(fixture *x, const char *out, op_sql_over_agg_params *p,
                     const snap_section *old) {
  memset(x, 0, sizeof *x);
  x->env = spate_env_create();
  const spate_schema *is = spate_env_schema(x->env, IN), *os = spate_env_schema(x->env, out);
  assert_non_null(is);
  assert_non_null(os);
  x->b = spate_rb_new(is);
  spate_stream *s =
      sql_agg_node(spate_key_by(spate_from_rows(x->env, is, NULL, 0), 0), OP_SQL_OVER_AGG, p, os);
  if (!s) {
    snprintf(x->h.err, sizeof x->h.err, "%s", spate_env_error(x->env));
    return SPATE_EINVAL;
  }
  return harness_open_restored(&x->h, x->env, s, 0, old, old ? 1 : 0);
}

static void open_ok(fixture *x, const char *out, op_sql_over_agg_params *p,
                    const snap_section *old) {
  if (open_over(x, out, p, old) < 0) fail_msg("open: %s", x->h.err);
}

static void close_over(fixture *x) {
  spate_rb_free(x->b);
  harness_close(&x->h);
  spate_env_free(x->env);
}

/* A row (k, v, ts in seconds). */
static void feed(fixture *x, int k, int v, int64_t sec) {
  spate_row r;
  spate_rb_begin(x->b);
  spate_rb_set_int(x->b, 0, k);
  spate_rb_set_int(x->b, 1, v);
  spate_rb_set_timestamp(x->b, 2, sec * 1000);
  assert_int_equal(spate_rb_finish(x->b, &r), 0);
  if (harness_element(&x->h, 0, sec * 1000, &r) < 0) fail_msg("process: %s", x->h.err);
}

static void watermark(fixture *x, int64_t sec) {
  if (harness_watermark(&x->h, sec * 1000) < 0) fail_msg("watermark: %s", x->h.err);
}

static void expect(fixture *x, const char *rows) { x->seen = sql_agg_expect(&x->h, x->seen, rows); }

#define SUM_COUNT                                                                      \
  .agg_kinds = SQL_LIST(SQL_AGG_SUM, SQL_AGG_COUNT_STAR), .agg_args = SQL_LIST(1, -1), \
  .agg_distinct = SQL_LIST(0, 0), .agg_filters = SQL_LIST(-1, -1)
#define MAX_V                                                                               \
  .agg_kinds = SQL_LIST(SQL_AGG_MAX), .agg_args = SQL_LIST(1), .agg_distinct = SQL_LIST(0), \
  .agg_filters = SQL_LIST(-1)

#define T(s) "1970-01-01T00:00:0" #s
#define T0 "1970-01-01T00:00" /* Java's LocalDateTime drops zero seconds */

static void test_rowtime_rows(void **state) {
  op_sql_over_agg_params p = {.time_field = 2, .rows = true, .preceding = 1, SUM_COUNT};
  fixture x;
  open_ok(&x, OUT_SUM_COUNT, &p, NULL);
  feed(&x, 1, 10, 3);
  feed(&x, 1, 20, 1); /* earlier, arrives later */
  feed(&x, 2, 5, 2);
  expect(&x, ""); /* waiting for the watermark */
  watermark(&x, 2);
  expect(&x, "[1, 20, " T(1) ", 20, 1]; [2, 5, " T(2) ", 5, 1]");
  feed(&x, 1, 30, 4);
  watermark(&x, 9);
  expect(&x, "[1, 10, " T(3) ", 30, 2]; [1, 30, " T(4) ", 40, 2]");
  close_over(&x);
}

static void test_rowtime_range(void **state) {
  op_sql_over_agg_params p = {.time_field = 2, .rows = false, .preceding = 2000, MAX_V};
  fixture x;
  open_ok(&x, OUT_MAX, &p, NULL);
  feed(&x, 1, 50, 1);
  feed(&x, 1, 7, 3);
  feed(&x, 1, 9, 3);
  watermark(&x, 3); /* both rows of 3 s share the frame [1 s, 3 s] */
  expect(&x, "[1, 50, " T(1) ", 50]; [1, 7, " T(3) ", 50]; [1, 9, " T(3) ", 50]");
  feed(&x, 1, 8, 4); /* the frame [2 s, 4 s]: 50 left it */
  watermark(&x, 4);
  expect(&x, "[1, 8, " T(4) ", 9]");
  feed(&x, 1, 99, 2); /* at or before the last time processed for its key: late */
  watermark(&x, 9);
  expect(&x, "");
  assert_int_equal(sw_get(&x.h.op->late_records_dropped), 1);
  close_over(&x);
}

static void test_rowtime_unbounded_late(void **state) {
  op_sql_over_agg_params p = {.time_field = 2, .rows = false, .preceding = -1, SUM_COUNT};
  fixture x;
  open_ok(&x, OUT_SUM_COUNT, &p, NULL);
  feed(&x, 1, 1, 2);
  feed(&x, 1, 2, 2);
  watermark(&x, 2);
  feed(&x, 1, 100, 2); /* at the watermark: late */
  feed(&x, 1, 4, 5);
  watermark(&x, 6);
  expect(&x, "[1, 1, " T(2) ", 3, 2]; [1, 2, " T(2) ", 3, 2]; [1, 4, " T(5) ", 7, 3]");
  assert_int_equal(sw_get(&x.h.op->late_records_dropped), 1);
  close_over(&x);
}

static void test_proctime(void **state) {
  op_sql_over_agg_params rows = {.time_field = -1, .rows = true, .preceding = -1, SUM_COUNT};
  fixture x;
  open_ok(&x, OUT_SUM_COUNT, &rows, NULL);
  feed(&x, 1, 1, 0);
  feed(&x, 1, 2, 0);
  expect(&x, "[1, 1, " T0 ", 1, 1]; [1, 2, " T0 ", 3, 2]"); /* at once */
  close_over(&x);
  op_sql_over_agg_params range = {.time_field = -1, .rows = false, .preceding = 1000, SUM_COUNT};
  open_ok(&x, OUT_SUM_COUNT, &range, NULL);
  assert_int_equal(harness_processing_time(&x.h, 100), 0);
  feed(&x, 1, 1, 0);
  feed(&x, 1, 2, 0);
  expect(&x, ""); /* the millisecond is not over */
  assert_int_equal(harness_processing_time(&x.h, 101), 0);
  expect(&x, "[1, 1, " T0 ", 3, 2]; [1, 2, " T0 ", 3, 2]");
  assert_int_equal(harness_processing_time(&x.h, 1100), 0);
  feed(&x, 1, 4, 0); /* the frame [100 ms, 1100 ms] still holds both */
  assert_int_equal(harness_processing_time(&x.h, 1101), 0);
  expect(&x, "[1, 4, " T0 ", 7, 3]");
  assert_int_equal(harness_processing_time(&x.h, 1200), 0);
  feed(&x, 1, 8, 0); /* [200 ms, 1200 ms]: the first two left */
  assert_int_equal(harness_processing_time(&x.h, 1201), 0);
  expect(&x, "[1, 8, " T0 ", 12, 2]");
  close_over(&x);
}

static void test_restore(void **state) {
  op_sql_over_agg_params p = {.time_field = 2, .rows = true, .preceding = 1, SUM_COUNT};
  fixture x;
  open_ok(&x, OUT_SUM_COUNT, &p, NULL);
  feed(&x, 1, 10, 1);
  watermark(&x, 1);
  feed(&x, 1, 20, 2); /* waiting when the checkpoint is taken */
  expect(&x, "[1, 10, " T(1) ", 10, 1]");
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(harness_snapshot(&x.h, 1, &w), 0);
  close_over(&x);
  snap_section sec = {w.data, w.len};
  open_ok(&x, OUT_SUM_COUNT, &p, &sec);
  feed(&x, 1, 30, 3);
  watermark(&x, 5);
  expect(&x, "[1, 20, " T(2) ", 30, 2]; [1, 30, " T(3) ", 50, 2]");
  close_over(&x);
  sp_writer_free(&w);
}

static void test_refused(void **state) {
  fixture x;
  op_sql_over_agg_params p = {.time_field = 1, .rows = true, .preceding = 1, SUM_COUNT};
  assert_true(open_over(&x, OUT_SUM_COUNT, &p, NULL) < 0);
  assert_non_null(strstr(x.h.err, "the time field 1 is not a timestamp"));
  close_over(&x);
  p = (op_sql_over_agg_params){.time_field = 2, .rows = true, .preceding = -5, SUM_COUNT};
  assert_true(open_over(&x, OUT_SUM_COUNT, &p, NULL) < 0);
  assert_non_null(strstr(x.h.err, "preceding -5 is negative"));
  close_over(&x);
  p = (op_sql_over_agg_params){.time_field = 2, .rows = true, .preceding = 1, SUM_COUNT};
  assert_true(open_over(&x, OUT_MAX, &p, NULL) < 0);
  assert_non_null(strstr(x.h.err, "the output must be the 3 data fields and 2 results"));
  close_over(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rowtime_rows),
      cmocka_unit_test(test_rowtime_range),
      cmocka_unit_test(test_rowtime_unbounded_late),
      cmocka_unit_test(test_proctime),
      cmocka_unit_test(test_restore),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
