/*
 * test_sql_window_agg.c: OP_SQL_WINDOW_AGG driven through the operator harness on Flink's Bid
 * table, with the results of Flink's "Window Aggregation" page as expected output:
 *  - TUMBLE, HOP, CUMULATE: SELECT window_start, window_end, SUM(price) ... GROUP BY
 *    window_start, window_end (a global aggregation: keyed on a constant field);
 *  - SESSION with and without PARTITION BY supplier_id;
 * the input's watermarks are bidtime - 1 s after each row, as the page's table declares, and
 * the end of input brings the final watermark. Also: rows of fired slices are dropped as late,
 * window_time and the result's timestamp are end - 1, sessions that merge fold their
 * accumulators and distinct maps, processing time on the harness's manual clock, a checkpoint
 * taken with open windows and restored, and refused parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"
#include "sql_agg_harness.h"

#define T0 1586937600000LL /* 2020-04-15 08:00 UTC */
#define MINUTE 60000LL

/* Bid, with the constant g a planner keys a global aggregation on */
#define BID                                                                                      \
  "bidtime TIMESTAMP(3) NOT NULL, price DECIMAL(10, 2), item STRING, supplier_id STRING, g INT " \
  "NOT NULL"
enum { F_TIME, F_PRICE, F_ITEM, F_SUPPLIER, F_G };

typedef struct bid {
  int minute; /* after 08:00 */
  int64_t cents;
  const char *item, *supplier;
} bid;

/* Flink's Bid table */
static const bid bids[] = {{5, 400, "C", "supplier1"},  {7, 200, "A", "supplier1"},
                           {9, 500, "D", "supplier2"},  {11, 300, "B", "supplier2"},
                           {13, 100, "E", "supplier1"}, {17, 600, "F", "supplier2"}};

typedef struct fixture {
  spate_env *env;
  harness h;
  spate_row_builder *b;
} fixture;

static void open_agg(fixture *x, int key_field, op_sql_window_agg_params *p, const char *out,
                     const snap_section *old, int nold) {
  memset(x, 0, sizeof *x);
  x->env = spate_env_create();
  const spate_schema *is = spate_env_schema(x->env, BID);
  const spate_schema *os = spate_env_schema(x->env, out);
  assert_non_null(is);
  assert_non_null(os);
  spate_stream *src = spate_from_rows(x->env, is, NULL, 0);
  spate_stream *agg = sql_agg_node(spate_key_by(src, key_field), OP_SQL_WINDOW_AGG, p, os);
  assert_non_null(agg);
  if (harness_open_restored(&x->h, x->env, agg, 0, old, nold) < 0) fail_msg("open: %s", x->h.err);
  x->b = spate_rb_new(is);
}

static void close_agg(fixture *x) {
  spate_rb_free(x->b);
  harness_close(&x->h);
  spate_env_free(x->env);
}

static void feed(fixture *x, const bid *d, bool watermark) {
  spate_row r;
  spate_row_builder *b = x->b;
  int64_t t = T0 + d->minute * MINUTE;
  spate_rb_begin(b);
  spate_rb_set_timestamp(b, F_TIME, t);
  spate_rb_set_decimal(b, F_PRICE, d->cents);
  spate_rb_set_string(b, F_ITEM, d->item, strlen(d->item));
  spate_rb_set_string(b, F_SUPPLIER, d->supplier, strlen(d->supplier));
  spate_rb_set_int(b, F_G, 0);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  if (harness_element(&x->h, 0, t, &r) < 0) fail_msg("process: %s", x->h.err);
  if (watermark && harness_watermark(&x->h, t - 1000) < 0) fail_msg("watermark: %s", x->h.err);
}

/* The Bid table in order, each row followed by its watermark, then the end of input. */
static void feed_bids(fixture *x) {
  for (size_t i = 0; i < sizeof bids / sizeof bids[0]; i++) feed(x, &bids[i], true);
  if (harness_watermark(&x->h, INT64_MAX) < 0) fail_msg("watermark: %s", x->h.err);
}

/* SUM(price) over windows of `kind` on `time` (-1: processing time), grouped by `groups` */
#define SUM_PRICE(kind, time, groups)                                                             \
  .window = kind, .time_field = time, .group_fields = groups, .agg_kinds = SQL_LIST(SQL_AGG_SUM), \
  .agg_args = SQL_LIST(F_PRICE), .agg_distinct = SQL_LIST(0), .agg_filters = SQL_LIST(-1),        \
  .emit_start = true, .emit_end = true
#define WINDOW_SUM_OUT                                                                 \
  "window_start TIMESTAMP(3) NOT NULL, window_end TIMESTAMP(3) NOT NULL, total_price " \
  "DECIMAL(38, 2)"

static void test_tumble(void **state) {
  op_sql_window_agg_params p = {SUM_PRICE(SQL_WINDOW_TUMBLE, F_TIME, SQL_LIST()),
                                .size = 10 * MINUTE};
  fixture x;
  open_agg(&x, F_G, &p, WINDOW_SUM_OUT, NULL, 0);
  feed_bids(&x);
  sql_agg_expect(&x.h, 0,
                 "[2020-04-15T08:00, 2020-04-15T08:10, 11.00]; "
                 "[2020-04-15T08:10, 2020-04-15T08:20, 10.00]");
  /* the first fired on the watermark after 08:11 (08:10:59), stamped end - 1, before it */
  assert_int_equal(x.h.events[3].type, HARNESS_RECORD);
  assert_int_equal(x.h.events[3].ts, T0 + 10 * MINUTE - 1);
  assert_int_equal(x.h.events[4].type, HARNESS_WATERMARK);
  assert_int_equal(x.h.events[4].ts, T0 + 11 * MINUTE - 1000);
  close_agg(&x);
}

static void test_hop(void **state) {
  op_sql_window_agg_params p = {SUM_PRICE(SQL_WINDOW_HOP, F_TIME, SQL_LIST()), .size = 10 * MINUTE,
                                .slide = 5 * MINUTE};
  fixture x;
  open_agg(&x, F_G, &p, WINDOW_SUM_OUT, NULL, 0);
  feed_bids(&x);
  sql_agg_expect(&x.h, 0,
                 "[2020-04-15T08:00, 2020-04-15T08:10, 11.00]; "
                 "[2020-04-15T08:05, 2020-04-15T08:15, 15.00]; "
                 "[2020-04-15T08:10, 2020-04-15T08:20, 10.00]; "
                 "[2020-04-15T08:15, 2020-04-15T08:25, 6.00]");
  close_agg(&x);
}

static void test_cumulate(void **state) {
  op_sql_window_agg_params p = {SUM_PRICE(SQL_WINDOW_CUMULATE, F_TIME, SQL_LIST()),
                                .size = 10 * MINUTE, .step = 2 * MINUTE};
  fixture x;
  open_agg(&x, F_G, &p, WINDOW_SUM_OUT, NULL, 0);
  feed_bids(&x);
  sql_agg_expect(&x.h, 0,
                 "[2020-04-15T08:00, 2020-04-15T08:06, 4.00]; "
                 "[2020-04-15T08:00, 2020-04-15T08:08, 6.00]; "
                 "[2020-04-15T08:00, 2020-04-15T08:10, 11.00]; "
                 "[2020-04-15T08:10, 2020-04-15T08:12, 3.00]; "
                 "[2020-04-15T08:10, 2020-04-15T08:14, 4.00]; "
                 "[2020-04-15T08:10, 2020-04-15T08:16, 4.00]; "
                 "[2020-04-15T08:10, 2020-04-15T08:18, 10.00]; "
                 "[2020-04-15T08:10, 2020-04-15T08:20, 10.00]");
  close_agg(&x);
}

static void test_session(void **state) {
  /* without partition keys */
  op_sql_window_agg_params p = {SUM_PRICE(SQL_WINDOW_SESSION, F_TIME, SQL_LIST()),
                                .gap = 2 * MINUTE};
  fixture x;
  open_agg(&x, F_G, &p, WINDOW_SUM_OUT, NULL, 0);
  feed_bids(&x);
  sql_agg_expect(&x.h, 0,
                 "[2020-04-15T08:05, 2020-04-15T08:15, 15.00]; "
                 "[2020-04-15T08:17, 2020-04-15T08:19, 6.00]");
  close_agg(&x);
  /* PARTITION BY supplier_id: the group field comes first in the output */
  op_sql_window_agg_params q = {SUM_PRICE(SQL_WINDOW_SESSION, F_TIME, SQL_LIST(F_SUPPLIER)),
                                .gap = 2 * MINUTE};
  open_agg(&x, F_SUPPLIER, &q, "supplier_id STRING, " WINDOW_SUM_OUT, NULL, 0);
  feed_bids(&x);
  sql_agg_expect(&x.h, 0,
                 "[supplier1, 2020-04-15T08:05, 2020-04-15T08:09, 6.00]; "
                 "[supplier2, 2020-04-15T08:09, 2020-04-15T08:13, 8.00]; "
                 "[supplier1, 2020-04-15T08:13, 2020-04-15T08:15, 1.00]; "
                 "[supplier2, 2020-04-15T08:17, 2020-04-15T08:19, 6.00]");
  close_agg(&x);
}

/* Two sessions bridged by a later row merge: sums add, COUNT(DISTINCT item) merges its maps,
 * MAX keeps the larger; window_time is end - 1. */
static void test_session_merge(void **state) {
  op_sql_window_agg_params p = {
      .window = SQL_WINDOW_SESSION,
      .gap = 2 * MINUTE,
      .time_field = F_TIME,
      .group_fields = SQL_LIST(),
      .agg_kinds = SQL_LIST(SQL_AGG_SUM, SQL_AGG_COUNT, SQL_AGG_MAX, SQL_AGG_COUNT_STAR),
      .agg_args = SQL_LIST(F_PRICE, F_ITEM, F_PRICE, -1),
      .agg_distinct = SQL_LIST(0, 1, 0, 0),
      .agg_filters = SQL_LIST(-1, -1, -1, -1),
      .emit_time = true};
  fixture x;
  open_agg(&x, F_G, &p,
           "window_time TIMESTAMP(3) NOT NULL, s DECIMAL(38, 2), items BIGINT NOT NULL, "
           "m DECIMAL(10, 2), n BIGINT NOT NULL",
           NULL, 0);
  const bid rows[] = {
      {5, 400, "C", "s"}, {9, 500, "C", "s"}, {9, 100, "D", "s"}, {7, 200, "D", "s"}};
  for (int i = 0; i < 4; i++) feed(&x, &rows[i], false);
  assert_int_equal(harness_watermark(&x.h, INT64_MAX), 0);
  sql_agg_expect(&x.h, 0, "[2020-04-15T08:10:59.999, 12.00, 2, 5.00, 4]");
  close_agg(&x);
}

/* A row whose slice fired is late: dropped and counted. */
static void test_late(void **state) {
  op_sql_window_agg_params p = {SUM_PRICE(SQL_WINDOW_HOP, F_TIME, SQL_LIST()), .size = 10 * MINUTE,
                                .slide = 5 * MINUTE};
  fixture x;
  open_agg(&x, F_G, &p, WINDOW_SUM_OUT, NULL, 0);
  feed(&x, &bids[0], false);                                          /* 08:05 */
  assert_int_equal(harness_watermark(&x.h, T0 + 10 * MINUTE - 1), 0); /* [08:00, 08:10) fires */
  const bid late = {9, 700, "L", "s"}, fine = {10, 50, "M", "s"};
  feed(&x, &late, false); /* its slice [08:05, 08:10) fired, though [08:05, 08:15) did not */
  feed(&x, &fine, false);
  assert_int_equal(sw_get(&x.h.op->late_records_dropped), 1);
  assert_int_equal(harness_watermark(&x.h, INT64_MAX), 0);
  sql_agg_expect(&x.h, 0,
                 "[2020-04-15T08:00, 2020-04-15T08:10, 4.00]; "
                 "[2020-04-15T08:05, 2020-04-15T08:15, 4.50]; "
                 "[2020-04-15T08:10, 2020-04-15T08:20, 0.50]");
  close_agg(&x);
}

/* Processing time: windows by the task's clock, fired when it passes end - 1. */
static void test_processing_time(void **state) {
  op_sql_window_agg_params p = {SUM_PRICE(SQL_WINDOW_TUMBLE, -1, SQL_LIST(F_SUPPLIER)), .size = 10};
  fixture x;
  open_agg(&x, F_SUPPLIER, &p,
           "supplier_id STRING, window_start TIMESTAMP_LTZ(3) NOT NULL, window_end "
           "TIMESTAMP_LTZ(3) NOT NULL, total_price DECIMAL(38, 2)",
           NULL, 0);
  assert_int_equal(harness_processing_time(&x.h, 3), 0);
  feed(&x, &bids[0], false);
  feed(&x, &bids[2], false);
  assert_int_equal(harness_processing_time(&x.h, 8), 0);
  feed(&x, &bids[1], false);
  assert_int_equal(harness_watermark(&x.h, INT64_MAX), 0); /* event time changes nothing */
  assert_int_equal(harness_processing_time(&x.h, 9), 0);
  sql_agg_expect(&x.h, 0,
                 "[supplier1, 1970-01-01T00:00:00Z, 1970-01-01T00:00:00.010Z, 6.00]; "
                 "[supplier2, 1970-01-01T00:00:00Z, 1970-01-01T00:00:00.010Z, 5.00]");
  close_agg(&x);
}

/* A checkpoint with open windows: restored, they fire with what was in them. */
static void test_checkpoint_restore(void **state) {
  op_sql_window_agg_params p = {SUM_PRICE(SQL_WINDOW_SESSION, F_TIME, SQL_LIST(F_SUPPLIER)),
                                .gap = 2 * MINUTE};
  const char *out = "supplier_id STRING, " WINDOW_SUM_OUT;
  fixture x;
  open_agg(&x, F_SUPPLIER, &p, out, NULL, 0);
  for (int i = 0; i < 3; i++) feed(&x, &bids[i], true);
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(harness_snapshot(&x.h, 1, &w), 0);
  close_agg(&x);
  snap_section sec = {w.data, w.len};
  open_agg(&x, F_SUPPLIER, &p, out, &sec, 1);
  for (int i = 3; i < 6; i++) feed(&x, &bids[i], true);
  assert_int_equal(harness_watermark(&x.h, INT64_MAX), 0);
  sql_agg_expect(&x.h, 0,
                 "[supplier1, 2020-04-15T08:05, 2020-04-15T08:09, 6.00]; "
                 "[supplier2, 2020-04-15T08:09, 2020-04-15T08:13, 8.00]; "
                 "[supplier1, 2020-04-15T08:13, 2020-04-15T08:15, 1.00]; "
                 "[supplier2, 2020-04-15T08:17, 2020-04-15T08:19, 6.00]");
  close_agg(&x);
  sp_writer_free(&w);
}

static void refused(op_sql_window_agg_params *p, int key, const char *out, const char *needle) {
  spate_env *env = spate_env_create();
  const spate_schema *is = spate_env_schema(env, BID), *os = spate_env_schema(env, out);
  spate_stream *agg =
      sql_agg_node(spate_key_by(spate_from_rows(env, is, NULL, 0), key), OP_SQL_WINDOW_AGG, p, os);
  harness h;
  assert_true(harness_open(&h, env, agg) < 0);
  if (!strstr(h.err, needle)) fail_msg("'%s' does not say '%s'", h.err, needle);
  harness_close(&h);
  spate_env_free(env);
}

static void test_refused(void **state) {
  op_sql_window_agg_params p = {SUM_PRICE(SQL_WINDOW_HOP, F_TIME, SQL_LIST()), .size = 10 * MINUTE,
                                .slide = 3 * MINUTE};
  refused(&p, F_G, WINDOW_SUM_OUT, "multiple of the slide");
  p.slide = 5 * MINUTE;
  p.input_updating = true;
  refused(&p, F_G, WINDOW_SUM_OUT, "append-only");
  p.input_updating = false;
  p.time_field = F_PRICE;
  refused(&p, F_G, WINDOW_SUM_OUT, "time attribute");
  p.time_field = F_TIME;
  p.group_fields = SQL_LIST(F_ITEM);
  refused(&p, F_SUPPLIER, "item STRING, " WINDOW_SUM_OUT, "is not key field");
  p.group_fields = SQL_LIST();
  refused(&p, F_G,
          "window_start BIGINT NOT NULL, window_end TIMESTAMP(3) NOT NULL, s DECIMAL(38, 2)",
          "window column");
  p.window = 9;
  refused(&p, F_G, WINDOW_SUM_OUT, "unknown window kind");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tumble),          cmocka_unit_test(test_hop),
      cmocka_unit_test(test_cumulate),        cmocka_unit_test(test_session),
      cmocka_unit_test(test_session_merge),   cmocka_unit_test(test_late),
      cmocka_unit_test(test_processing_time), cmocka_unit_test(test_checkpoint_restore),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
