/*
 * test_sql_window_tvf.c: OP_SQL_WINDOW_TVF (a window table function read on its own) driven
 * through the operator harness on Flink's Bid table, with the rows of Flink's "Windowing TVF"
 * page as expected output: TUMBLE, HOP (each row's windows newest first, as Flink's sliding
 * assigner gives them) and CUMULATE. Also: a row behind the watermark is still emitted (Flink's
 * AlignedWindowTableFunctionOperator has no lateness), a NULL rowtime is dropped, records keep
 * their timestamp, processing time reads the harness's clock, and bad parameters are refused.
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

#define BID "bidtime TIMESTAMP(3), price DECIMAL(10, 2), item STRING"
#define OUT                                                                                  \
  BID ", window_start TIMESTAMP(3) NOT NULL, window_end TIMESTAMP(3) NOT NULL, window_time " \
      "TIMESTAMP(3) NOT NULL"
enum { F_TIME, F_PRICE, F_ITEM };

typedef struct bid {
  int minute; /* after 08:00; -1: a NULL bidtime */
  int64_t cents;
  const char *item;
} bid;

static const bid bids[] = {{5, 400, "C"},  {7, 200, "A"},  {9, 500, "D"},
                           {11, 300, "B"}, {13, 100, "E"}, {17, 600, "F"}};

typedef struct fixture {
  spate_env *env;
  harness h;
  spate_row_builder *b;
} fixture;

static spate_stream *tvf_node(spate_env *env, const op_sql_window_tvf_params *p, const char *out) {
  const spate_schema *is = spate_env_schema(env, BID);
  spate_schema *os = NULL;
  char err[256];
  assert_int_equal(spate_schema_parse(out, &os, err, sizeof err), 0);
  assert_true(api_keep_schema(env, os));
  spate_stream *s = api_one_input(spate_from_rows(env, is, NULL, 0), OP_SQL_WINDOW_TVF, "sql",
                                  "WindowTableFunction", NULL, os);
  assert_non_null(s);
  assert_true(api_set_params(env, s->node, p));
  return s;
}

static void open_tvf(fixture *x, const op_sql_window_tvf_params *p) {
  memset(x, 0, sizeof *x);
  x->env = spate_env_create();
  if (harness_open(&x->h, x->env, tvf_node(x->env, p, OUT)) < 0) fail_msg("open: %s", x->h.err);
  x->b = spate_rb_new(spate_env_schema(x->env, BID));
}

static void close_tvf(fixture *x) {
  spate_rb_free(x->b);
  harness_close(&x->h);
  spate_env_free(x->env);
}

static void feed(fixture *x, const bid *d, int64_t ts) {
  spate_row r;
  spate_row_builder *b = x->b;
  spate_rb_begin(b);
  if (d->minute < 0)
    spate_rb_set_null(b, F_TIME);
  else
    spate_rb_set_timestamp(b, F_TIME, T0 + d->minute * MINUTE);
  spate_rb_set_decimal(b, F_PRICE, d->cents);
  spate_rb_set_string(b, F_ITEM, d->item, strlen(d->item));
  assert_int_equal(spate_rb_finish(b, &r), 0);
  if (harness_element(&x->h, 0, ts, &r) < 0) fail_msg("process: %s", x->h.err);
}

static void feed_bids(fixture *x) {
  for (size_t i = 0; i < sizeof bids / sizeof bids[0]; i++) {
    feed(x, &bids[i], T0 + bids[i].minute * MINUTE);
    if (harness_watermark(&x->h, T0 + bids[i].minute * MINUTE - 1000) < 0)
      fail_msg("watermark: %s", x->h.err);
  }
}

static void test_tumble(void **state) {
  (void)state;
  op_sql_window_tvf_params p = {.window = SQL_WINDOW_TUMBLE, .size = 10 * MINUTE};
  fixture x;
  open_tvf(&x, &p);
  feed_bids(&x);
  sql_agg_expect(&x.h, 0,
                 "[2020-04-15T08:05, 4.00, C, 2020-04-15T08:00, 2020-04-15T08:10, "
                 "2020-04-15T08:09:59.999]; "
                 "[2020-04-15T08:07, 2.00, A, 2020-04-15T08:00, 2020-04-15T08:10, "
                 "2020-04-15T08:09:59.999]; "
                 "[2020-04-15T08:09, 5.00, D, 2020-04-15T08:00, 2020-04-15T08:10, "
                 "2020-04-15T08:09:59.999]; "
                 "[2020-04-15T08:11, 3.00, B, 2020-04-15T08:10, 2020-04-15T08:20, "
                 "2020-04-15T08:19:59.999]; "
                 "[2020-04-15T08:13, 1.00, E, 2020-04-15T08:10, 2020-04-15T08:20, "
                 "2020-04-15T08:19:59.999]; "
                 "[2020-04-15T08:17, 6.00, F, 2020-04-15T08:10, 2020-04-15T08:20, "
                 "2020-04-15T08:19:59.999]");
  /* the row keeps its timestamp; the watermark passes through after it */
  assert_int_equal(x.h.events[0].type, HARNESS_RECORD);
  assert_int_equal(x.h.events[0].ts, T0 + 5 * MINUTE);
  assert_int_equal(x.h.events[1].type, HARNESS_WATERMARK);
  assert_int_equal(x.h.events[1].ts, T0 + 5 * MINUTE - 1000);
  close_tvf(&x);
}

/* The windows of each row without their bidtime/price, for brevity. */
static char *windows_only(const harness *h) {
  sp_strbuf sb = {0};
  const spate_schema *s = h->op->node->out_schema;
  for (size_t i = 0; i < h->nevents; i++) {
    const harness_event *e = &h->events[i];
    if (e->type != HARNESS_RECORD) continue;
    if (sb.len) sp_strbuf_add(&sb, "; ");
    row_format_field(&sb, &e->row, F_ITEM, s);
    sp_strbuf_add(&sb, " ");
    row_format_field(&sb, &e->row, 3, s);
    sp_strbuf_add(&sb, "..");
    row_format_field(&sb, &e->row, 4, s);
  }
  if (!sb.data) sp_strbuf_add(&sb, "");
  return sb.data;
}

static void expect_windows(const harness *h, const char *want) {
  char *got = windows_only(h);
  assert_string_equal(got, want);
  sp_free(got);
}

static void test_hop(void **state) {
  (void)state;
  op_sql_window_tvf_params p = {.window = SQL_WINDOW_HOP, .size = 10 * MINUTE, .slide = 5 * MINUTE};
  fixture x;
  open_tvf(&x, &p);
  feed_bids(&x);
  expect_windows(&x.h,
                 "C 2020-04-15T08:05..2020-04-15T08:15; C 2020-04-15T08:00..2020-04-15T08:10; "
                 "A 2020-04-15T08:05..2020-04-15T08:15; A 2020-04-15T08:00..2020-04-15T08:10; "
                 "D 2020-04-15T08:05..2020-04-15T08:15; D 2020-04-15T08:00..2020-04-15T08:10; "
                 "B 2020-04-15T08:10..2020-04-15T08:20; B 2020-04-15T08:05..2020-04-15T08:15; "
                 "E 2020-04-15T08:10..2020-04-15T08:20; E 2020-04-15T08:05..2020-04-15T08:15; "
                 "F 2020-04-15T08:15..2020-04-15T08:25; F 2020-04-15T08:10..2020-04-15T08:20");
  close_tvf(&x);
}

static void test_cumulate(void **state) {
  (void)state;
  op_sql_window_tvf_params p = {
      .window = SQL_WINDOW_CUMULATE, .size = 10 * MINUTE, .step = 2 * MINUTE};
  fixture x;
  open_tvf(&x, &p);
  feed_bids(&x);
  expect_windows(&x.h,
                 "C 2020-04-15T08:00..2020-04-15T08:06; C 2020-04-15T08:00..2020-04-15T08:08; "
                 "C 2020-04-15T08:00..2020-04-15T08:10; A 2020-04-15T08:00..2020-04-15T08:08; "
                 "A 2020-04-15T08:00..2020-04-15T08:10; D 2020-04-15T08:00..2020-04-15T08:10; "
                 "B 2020-04-15T08:10..2020-04-15T08:12; B 2020-04-15T08:10..2020-04-15T08:14; "
                 "B 2020-04-15T08:10..2020-04-15T08:16; B 2020-04-15T08:10..2020-04-15T08:18; "
                 "B 2020-04-15T08:10..2020-04-15T08:20; E 2020-04-15T08:10..2020-04-15T08:14; "
                 "E 2020-04-15T08:10..2020-04-15T08:16; E 2020-04-15T08:10..2020-04-15T08:18; "
                 "E 2020-04-15T08:10..2020-04-15T08:20; F 2020-04-15T08:10..2020-04-15T08:18; "
                 "F 2020-04-15T08:10..2020-04-15T08:20");
  close_tvf(&x);
}

/* Behind the watermark still goes out; a NULL rowtime does not; an offset shifts windows. */
static void test_late_null_offset(void **state) {
  (void)state;
  op_sql_window_tvf_params p = {
      .window = SQL_WINDOW_TUMBLE, .size = 10 * MINUTE, .offset = 2 * MINUTE};
  fixture x;
  open_tvf(&x, &p);
  assert_int_equal(harness_watermark(&x.h, T0 + 30 * MINUTE), 0);
  feed(&x, &(bid){5, 400, "late"}, T0 + 5 * MINUTE);
  feed(&x, &(bid){-1, 100, "null"}, T0);
  feed(&x, &(bid){1, 100, "early"}, T0 + MINUTE);
  expect_windows(&x.h,
                 "late 2020-04-15T08:02..2020-04-15T08:12; "
                 "early 2020-04-15T07:52..2020-04-15T08:02");
  close_tvf(&x);
}

static void test_processing_time(void **state) {
  (void)state;
  op_sql_window_tvf_params p = {.window = SQL_WINDOW_TUMBLE, .size = 10, .time_field = -1};
  fixture x;
  open_tvf(&x, &p);
  assert_int_equal(harness_processing_time(&x.h, 23), 0);
  feed(&x, &(bid){-1, 100, "p"}, 0); /* its NULL bidtime does not matter */
  expect_windows(&x.h, "p 1970-01-01T00:00:00.020..1970-01-01T00:00:00.030");
  close_tvf(&x);
}

static void refused(const op_sql_window_tvf_params *p, const char *out, const char *needle) {
  spate_env *env = spate_env_create();
  harness h;
  assert_true(harness_open(&h, env, tvf_node(env, p, out)) < 0);
  if (!strstr(h.err, needle)) fail_msg("'%s' does not say '%s'", h.err, needle);
  harness_close(&h);
  spate_env_free(env);
}

static void test_refused(void **state) {
  (void)state;
  op_sql_window_tvf_params p = {.window = SQL_WINDOW_HOP, .size = 10 * MINUTE, .slide = 3 * MINUTE};
  refused(&p, OUT, "bad window");
  p.window = SQL_WINDOW_SESSION;
  refused(&p, OUT, "bad window");
  p.window = SQL_WINDOW_TUMBLE;
  p.time_field = F_PRICE;
  refused(&p, OUT, "time_field");
  p.time_field = F_TIME;
  refused(&p, BID ", window_start TIMESTAMP(3) NOT NULL", "three window fields");
  refused(&p,
          BID ", window_start BIGINT, window_end TIMESTAMP(3) NOT NULL, window_time TIMESTAMP(3)",
          "window column 'window_start'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tumble),          cmocka_unit_test(test_hop),
      cmocka_unit_test(test_cumulate),        cmocka_unit_test(test_late_null_offset),
      cmocka_unit_test(test_processing_time), cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
