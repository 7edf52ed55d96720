/*
 * test_sql_rank.c: OP_SQL_RANK and OP_SQL_DEDUPLICATE driven through the operator harness, their
 * changelogs compared with what Flink's Top-N and deduplicate functions emit for the same rows
 * in the same order:
 *  - the append strategy with the row number (rows shifted down by -U/+U, the last +I while the
 *    top is not full, a row tying the last one dropped, sort keys past the top pruned), without
 *    it (-D of the row pushed out, then +I), with an offset (positions updated with different
 *    rows, as Flink does), and rows 1 to 1 (FastTop1Function: -U/+U of a strictly better row);
 *  - the retract strategy, numbered and not, over an updating input: rows moving up when one
 *    is retracted, a row the state does not hold retracting nothing;
 *  - NULLs sorted where the ORDER BY puts them; -U left out without update_before; a singleton
 *    input's constant key field left out; table.exec.state.ttl; a checkpoint and restore;
 *  - deduplication: first and last row on processing time and on event time (ties kept by the
 *    earlier row for the first, taken by the later for the last);
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

#define NUL INT64_MIN

#define IN_APPEND "k INT, s INT, v STRING NOT NULL"
#define IN_UPDATING "k INT, s INT, v STRING NOT NULL, `$row_kind` TINYINT NOT NULL"
#define OUT_NUMBERED \
  "k INT, s INT, v STRING NOT NULL, rn BIGINT NOT NULL, `$row_kind` TINYINT NOT NULL"
#define OUT_PLAIN "k INT, s INT, v STRING NOT NULL, `$row_kind` TINYINT NOT NULL"

enum {
  I = ROW_KIND_INSERT,
  UB = ROW_KIND_UPDATE_BEFORE,
  UA = ROW_KIND_UPDATE_AFTER,
  D = ROW_KIND_DELETE
};

typedef struct fixture {
  spate_env *env;
  harness h;
  spate_row_builder *b;
  size_t seen;
} fixture;

static int open_node(fixture *x, op_kind kind, const char *in, const char *out, const void *p,
                     int key_field, const snap_section *old) {
  memset(x, 0, sizeof *x);
  x->env = spate_env_create();
  const spate_schema *is = spate_env_schema(x->env, in), *os = spate_env_schema(x->env, out);
  assert_non_null(is);
  assert_non_null(os);
  x->b = spate_rb_new(is);
  spate_stream *s =
      sql_agg_node(spate_key_by(spate_from_rows(x->env, is, NULL, 0), key_field), kind, p, os);
  if (!s) {
    snprintf(x->h.err, sizeof x->h.err, "%s", spate_env_error(x->env));
    return SPATE_EINVAL;
  }
  return harness_open_restored(&x->h, x->env, s, 0, old, old ? 1 : 0);
}

static void open_rank(fixture *x, const char *in, const char *out, op_sql_rank_params *p,
                      const snap_section *old) {
  if (open_node(x, OP_SQL_RANK, in, out, p, 0, old) < 0) fail_msg("open: %s", x->h.err);
}

static void close_node(fixture *x) {
  spate_rb_free(x->b);
  harness_close(&x->h);
  spate_env_free(x->env);
}

/* A row (k, s, v) of kind (ignored for an insert-only input). */
static void feed(fixture *x, int kind, int64_t k, int64_t s, const char *v) {
  spate_row_builder *b = x->b;
  spate_row r;
  spate_rb_begin(b);
  if (k != NUL) spate_rb_set_int(b, 0, (int32_t)k);
  if (s != NUL) spate_rb_set_int(b, 1, (int32_t)s);
  spate_rb_set_string(b, 2, v, strlen(v));
  if (b->nfields == 4) spate_rb_set_tinyint(b, 3, (int8_t)kind);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  if (harness_element(&x->h, 0, 1, &r) < 0) fail_msg("process: %s", x->h.err);
}

static void expect(fixture *x, const char *changelog) {
  x->seen = sql_agg_expect(&x->h, x->seen, changelog);
}

/* ORDER BY s, ascending unless desc, NULLs first when nulls_first. */
#define ORDER_S(desc, nulls_first)                           \
  .order_fields = SQL_LIST(1), .order_desc = SQL_LIST(desc), \
  .order_nulls_first = SQL_LIST(nulls_first)

static void test_append_numbered(void **state) {
  op_sql_rank_params p = {.strategy = OP_SQL_RANK_APPEND,
                          ORDER_S(0, 1),
                          .rank_start = 1,
                          .rank_end = 2,
                          .output_number = true,
                          .update_before = true};
  fixture x;
  open_rank(&x, IN_APPEND, OUT_NUMBERED, &p, NULL);
  feed(&x, I, 1, 5, "a");
  expect(&x, "+I[1, 5, a, 1]");
  feed(&x, I, 1, 3, "b");
  expect(&x, "-U[1, 5, a, 1]; +U[1, 3, b, 1]; +I[1, 5, a, 2]");
  feed(&x, I, 1, 4, "c"); /* a moves to rank 3: replaced at 2, no -D (as Flink) */
  expect(&x, "-U[1, 5, a, 2]; +U[1, 4, c, 2]");
  feed(&x, I, 1, 4, "tie"); /* ties the last row of the top: dropped */
  feed(&x, I, 1, 9, "d");
  expect(&x, "");
  feed(&x, I, 1, 1, "e");
  expect(&x, "-U[1, 3, b, 1]; +U[1, 1, e, 1]; -U[1, 4, c, 2]; +U[1, 3, b, 2]");
  feed(&x, I, 2, 7, "other key");
  expect(&x, "+I[2, 7, other key, 1]");
  close_node(&x);
}

static void test_append_unnumbered(void **state) {
  op_sql_rank_params p = {
      .strategy = OP_SQL_RANK_APPEND, ORDER_S(0, 1), .rank_start = 1, .rank_end = 2};
  fixture x;
  open_rank(&x, IN_APPEND, OUT_PLAIN, &p, NULL);
  feed(&x, I, 1, 5, "a");
  feed(&x, I, 1, 3, "b");
  expect(&x, "+I[1, 5, a]; +I[1, 3, b]");
  feed(&x, I, 1, 4, "c");
  expect(&x, "-D[1, 5, a]; +I[1, 4, c]");
  feed(&x, I, 1, 4, "tie");
  expect(&x, "");
  feed(&x, I, 1, 1, "e");
  expect(&x, "-D[1, 4, c]; +I[1, 1, e]");
  close_node(&x);
}

/* Ranks 2 to 3 without the number: Flink numbers the rows all the same and updates positions,
 * so a -U and its +U may be different rows. */
static void test_append_offset(void **state) {
  op_sql_rank_params p = {.strategy = OP_SQL_RANK_APPEND,
                          ORDER_S(0, 1),
                          .rank_start = 2,
                          .rank_end = 3,
                          .update_before = true};
  fixture x;
  open_rank(&x, IN_APPEND, OUT_PLAIN, &p, NULL);
  feed(&x, I, 1, 5, "a");
  expect(&x, ""); /* rank 1: not in the range */
  feed(&x, I, 1, 3, "b");
  expect(&x, "+I[1, 5, a]");
  feed(&x, I, 1, 4, "c");
  expect(&x, "-U[1, 5, a]; +U[1, 4, c]; +I[1, 5, a]");
  close_node(&x);
}

static void test_append_top1(void **state) {
  op_sql_rank_params p = {.strategy = OP_SQL_RANK_APPEND,
                          ORDER_S(1, 0),
                          .rank_start = 1,
                          .rank_end = 1,
                          .output_number = true,
                          .update_before = true};
  fixture x;
  open_rank(&x, IN_APPEND, OUT_NUMBERED, &p, NULL);
  feed(&x, I, 1, 5, "a");
  feed(&x, I, 1, 3, "smaller");
  feed(&x, I, 1, 5, "tie");
  expect(&x, "+I[1, 5, a, 1]");
  feed(&x, I, 1, 8, "b");
  expect(&x, "-U[1, 5, a, 1]; +U[1, 8, b, 1]");
  close_node(&x);
}

/* DESC NULLS LAST, then without -U. */
static void test_nulls_and_no_update_before(void **state) {
  op_sql_rank_params p = {.strategy = OP_SQL_RANK_APPEND,
                          ORDER_S(1, 0),
                          .rank_start = 1,
                          .rank_end = 2,
                          .output_number = true};
  fixture x;
  open_rank(&x, IN_APPEND, OUT_NUMBERED, &p, NULL);
  feed(&x, I, 1, NUL, "x");
  feed(&x, I, 1, 1, "y");
  expect(&x, "+I[1, null, x, 1]; +U[1, 1, y, 1]; +I[1, null, x, 2]");
  feed(&x, I, 1, 2, "z");
  expect(&x, "+U[1, 2, z, 1]; +U[1, 1, y, 2]");
  close_node(&x);
  /* NULLS FIRST ascending: a NULL enters before everything */
  op_sql_rank_params q = {.strategy = OP_SQL_RANK_APPEND,
                          ORDER_S(0, 1),
                          .rank_start = 1,
                          .rank_end = 1,
                          .output_number = true,
                          .update_before = true};
  open_rank(&x, IN_APPEND, OUT_NUMBERED, &q, NULL);
  feed(&x, I, 1, -4, "a");
  feed(&x, I, 1, NUL, "n");
  expect(&x, "+I[1, -4, a, 1]; -U[1, -4, a, 1]; +U[1, null, n, 1]");
  close_node(&x);
}

static void test_retract_numbered(void **state) {
  op_sql_rank_params p = {.strategy = OP_SQL_RANK_RETRACT,
                          ORDER_S(0, 1),
                          .rank_start = 1,
                          .rank_end = 2,
                          .output_number = true,
                          .update_before = true};
  fixture x;
  open_rank(&x, IN_UPDATING, OUT_NUMBERED, &p, NULL);
  feed(&x, I, 1, 5, "a");
  feed(&x, I, 1, 3, "b");
  expect(&x, "+I[1, 5, a, 1]; -U[1, 5, a, 1]; +U[1, 3, b, 1]; +I[1, 5, a, 2]");
  feed(&x, UA, 1, 7, "c"); /* rank 3: out of the top, but kept */
  expect(&x, "");
  feed(&x, D, 1, 3, "b"); /* a and c move up */
  expect(&x, "-U[1, 3, b, 1]; +U[1, 5, a, 1]; -U[1, 5, a, 2]; +U[1, 7, c, 2]");
  feed(&x, UB, 1, 5, "a"); /* the top no longer full: its last rank deleted */
  expect(&x, "-U[1, 5, a, 1]; +U[1, 7, c, 1]; -D[1, 7, c, 2]");
  feed(&x, D, 1, 9, "never there");
  feed(&x, D, 1, 7, "not this one"); /* a tie of c, but another row */
  expect(&x, "");
  close_node(&x);
}

static void test_retract_unnumbered(void **state) {
  op_sql_rank_params p = {.strategy = OP_SQL_RANK_RETRACT,
                          ORDER_S(0, 1),
                          .rank_start = 1,
                          .rank_end = 2,
                          .update_before = true};
  fixture x;
  open_rank(&x, IN_UPDATING, OUT_PLAIN, &p, NULL);
  feed(&x, I, 1, 5, "a");
  feed(&x, I, 1, 3, "b");
  expect(&x, "+I[1, 5, a]; +I[1, 3, b]");
  feed(&x, I, 1, 4, "c");
  expect(&x, "-D[1, 5, a]; +I[1, 4, c]");
  feed(&x, I, 1, 9, "d");
  expect(&x, "");
  feed(&x, D, 1, 3, "b"); /* a comes back into the top */
  expect(&x, "-D[1, 3, b]; +I[1, 5, a]");
  feed(&x, D, 1, 9, "d"); /* out of the top */
  expect(&x, "");
  close_node(&x);
}

/* No PARTITION BY: the input's last field is the planner's constant key, left out. */
static void test_singleton(void **state) {
  op_sql_rank_params p = {.strategy = OP_SQL_RANK_APPEND,
                          ORDER_S(0, 1),
                          .rank_start = 1,
                          .rank_end = 1,
                          .singleton = true,
                          .update_before = true};
  fixture x;
  if (open_node(&x, OP_SQL_RANK, "k INT, s INT, v STRING NOT NULL, c INT NOT NULL",
                "k INT, s INT, v STRING NOT NULL, `$row_kind` TINYINT NOT NULL", &p, 3, NULL) < 0)
    fail_msg("open: %s", x.h.err);
  spate_row r;
  for (int i = 0; i < 2; i++) {
    spate_rb_begin(x.b);
    spate_rb_set_int(x.b, 0, i + 1);
    spate_rb_set_int(x.b, 1, 10 - i);
    spate_rb_set_string(x.b, 2, "v", 1);
    spate_rb_set_int(x.b, 3, 0);
    assert_int_equal(spate_rb_finish(x.b, &r), 0);
    assert_int_equal(harness_element(&x.h, 0, 1, &r), 0);
  }
  expect(&x, "+I[1, 10, v]; -U[1, 10, v]; +U[2, 9, v]");
  close_node(&x);
}

static void test_ttl_and_restore(void **state) {
  op_sql_rank_params p = {.strategy = OP_SQL_RANK_APPEND,
                          ORDER_S(0, 1),
                          .rank_start = 1,
                          .rank_end = 2,
                          .output_number = true,
                          .update_before = true,
                          .state_ttl_ms = 1000};
  fixture x;
  open_rank(&x, IN_APPEND, OUT_NUMBERED, &p, NULL);
  feed(&x, I, 1, 5, "a");
  assert_int_equal(harness_processing_time(&x.h, 2000), 0); /* a expired */
  feed(&x, I, 1, 7, "b");
  expect(&x, "+I[1, 5, a, 1]; +I[1, 7, b, 1]");
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(harness_snapshot(&x.h, 1, &w), 0);
  feed(&x, I, 1, 1, "lost"); /* after the checkpoint: lost by the restore */
  close_node(&x);

  snap_section sec = {w.data, w.len};
  open_rank(&x, IN_APPEND, OUT_NUMBERED, &p, &sec);
  feed(&x, I, 1, 6, "c"); /* b is there */
  expect(&x, "-U[1, 7, b, 1]; +U[1, 6, c, 1]; +I[1, 7, b, 2]");
  close_node(&x);
  sp_writer_free(&w);
}

static void test_refused(void **state) {
  fixture x;
  op_sql_rank_params p = {.strategy = 7, ORDER_S(0, 1), .rank_start = 1, .rank_end = 2};
  assert_true(open_node(&x, OP_SQL_RANK, IN_APPEND, OUT_PLAIN, &p, 0, NULL) < 0);
  assert_non_null(strstr(x.h.err, "unknown strategy 7"));
  close_node(&x);
  p = (op_sql_rank_params){
      .strategy = OP_SQL_RANK_RETRACT, ORDER_S(0, 1), .rank_start = 1, .rank_end = 2};
  assert_true(open_node(&x, OP_SQL_RANK, IN_APPEND, OUT_PLAIN, &p, 0, NULL) < 0);
  assert_non_null(strstr(x.h.err, "the input is updating but has no $row_kind field"));
  close_node(&x);
  p = (op_sql_rank_params){
      .strategy = OP_SQL_RANK_APPEND, ORDER_S(0, 1), .rank_start = 3, .rank_end = 2};
  assert_true(open_node(&x, OP_SQL_RANK, IN_APPEND, OUT_PLAIN, &p, 0, NULL) < 0);
  assert_non_null(strstr(x.h.err, "the range [3, 2] keeps no row"));
  close_node(&x);
  p = (op_sql_rank_params){.strategy = OP_SQL_RANK_APPEND,
                           ORDER_S(0, 1),
                           .rank_start = 1,
                           .rank_end = 2,
                           .output_number = true};
  assert_true(open_node(&x, OP_SQL_RANK, IN_APPEND, OUT_PLAIN, &p, 0, NULL) < 0);
  assert_non_null(strstr(x.h.err, "the output must be the 3 data fields, the number and"));
  close_node(&x);
  op_sql_deduplicate_params d = {.time_field = 2};
  assert_true(open_node(&x, OP_SQL_DEDUPLICATE, IN_APPEND, IN_APPEND, &d, 0, NULL) < 0);
  assert_non_null(strstr(x.h.err, "the time field 2 is not a timestamp"));
  close_node(&x);
}

/* ---- deduplication ------------------------------------------------------------------------ */

#define TS_IN "k INT, ts TIMESTAMP(3) NOT NULL, v STRING NOT NULL"
#define TS_OUT "k INT, ts TIMESTAMP(3) NOT NULL, v STRING NOT NULL, `$row_kind` TINYINT NOT NULL"

static void feed_ts(fixture *x, int64_t k, int64_t ms, const char *v) {
  spate_row r;
  spate_rb_begin(x->b);
  spate_rb_set_int(x->b, 0, (int32_t)k);
  spate_rb_set_timestamp(x->b, 1, ms);
  spate_rb_set_string(x->b, 2, v, strlen(v));
  assert_int_equal(spate_rb_finish(x->b, &r), 0);
  if (harness_element(&x->h, 0, ms, &r) < 0) fail_msg("process: %s", x->h.err);
}

static void open_dedup(fixture *x, const char *in, const char *out, op_sql_deduplicate_params *p) {
  if (open_node(x, OP_SQL_DEDUPLICATE, in, out, p, 0, NULL) < 0) fail_msg("open: %s", x->h.err);
}

static void test_dedup_proctime(void **state) {
  op_sql_deduplicate_params first = {.time_field = -1};
  fixture x;
  open_dedup(&x, TS_IN, "k INT, ts TIMESTAMP(3) NOT NULL, v STRING NOT NULL", &first);
  feed_ts(&x, 1, 5, "a");
  feed_ts(&x, 1, 1, "b");
  feed_ts(&x, 2, 9, "c");
  expect(&x, "[1, 1970-01-01T00:00:00.005, a]; [2, 1970-01-01T00:00:00.009, c]");
  close_node(&x);
  op_sql_deduplicate_params last = {.time_field = -1, .keep_last = true, .update_before = true};
  open_dedup(&x, TS_IN, TS_OUT, &last);
  feed_ts(&x, 1, 5, "a");
  feed_ts(&x, 1, 1, "b");
  feed_ts(&x, 1, 1, "b"); /* the same row again: nothing */
  expect(&x,
         "+I[1, 1970-01-01T00:00:00.005, a]; -U[1, 1970-01-01T00:00:00.005, a]; "
         "+U[1, 1970-01-01T00:00:00.001, b]");
  close_node(&x);
}

static void test_dedup_rowtime(void **state) {
  op_sql_deduplicate_params last = {.time_field = 1, .keep_last = true, .update_before = true};
  fixture x;
  open_dedup(&x, TS_IN, TS_OUT, &last);
  feed_ts(&x, 1, 10, "a");
  feed_ts(&x, 1, 5, "older");
  expect(&x, "+I[1, 1970-01-01T00:00:00.010, a]");
  feed_ts(&x, 1, 10, "tie"); /* the later row of a tie is the last */
  expect(&x, "-U[1, 1970-01-01T00:00:00.010, a]; +U[1, 1970-01-01T00:00:00.010, tie]");
  close_node(&x);
  op_sql_deduplicate_params first = {.time_field = 1};
  open_dedup(&x, TS_IN, TS_OUT, &first);
  feed_ts(&x, 1, 10, "a");
  feed_ts(&x, 1, 12, "later");
  feed_ts(&x, 1, 10, "tie"); /* the earlier row of a tie stays first */
  expect(&x, "+I[1, 1970-01-01T00:00:00.010, a]");
  feed_ts(&x, 1, 4, "earlier"); /* out of order: replaces it, without -U */
  expect(&x, "+U[1, 1970-01-01T00:00:00.004, earlier]");
  close_node(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_append_numbered),
      cmocka_unit_test(test_append_unnumbered),
      cmocka_unit_test(test_append_offset),
      cmocka_unit_test(test_append_top1),
      cmocka_unit_test(test_nulls_and_no_update_before),
      cmocka_unit_test(test_retract_numbered),
      cmocka_unit_test(test_retract_unnumbered),
      cmocka_unit_test(test_singleton),
      cmocka_unit_test(test_ttl_and_restore),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_dedup_proctime),
      cmocka_unit_test(test_dedup_rowtime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
