/*
 * test_sql_join.c: OP_SQL_JOIN driven through the operator harness, its changelogs compared with
 * what Flink's StreamingJoinOperator emits for the same inputs in the same order:
 *  - an inner join of insert-only inputs (an insert-only output);
 *  - a LEFT join: a padded row, retracted (-D) when a match comes and padded again (+I) when the
 *    last match goes;
 *  - a FULL join with a row there twice: each copy padded and unpadded;
 *  - an inner join over an updating input forwards the input's kind (-U, +U);
 *  - a NULL key matches nothing, though an outer side's row is padded and retracted;
 *  - table.exec.state.ttl on the harness's manual clock; a checkpoint and restore in the middle;
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

#define NUL INT64_MIN /* a NULL key */

#define L_APPEND "k INT, v STRING NOT NULL"
#define L_UPDATING "k INT, v STRING NOT NULL, `$row_kind` TINYINT NOT NULL"
#define R_APPEND "k INT, w STRING NOT NULL"
#define R_UPDATING "k INT, w STRING NOT NULL, `$row_kind` TINYINT NOT NULL"

typedef struct fixture {
  spate_env *env;
  harness h;
  spate_row_builder *b[2];
  size_t seen;
} fixture;

/* Opens a join of type over inputs of schemas l and r, keyed on field 0 each; out: the output
 * schema (from the restored snapshot old when given). */
static int open_join(fixture *x, const char *l, const char *r, const char *out,
                     op_sql_join_params *p, const snap_section *old) {
  memset(x, 0, sizeof *x);
  x->env = spate_env_create();
  const spate_schema *ls = spate_env_schema(x->env, l), *rs = spate_env_schema(x->env, r),
                     *os = spate_env_schema(x->env, out);
  assert_non_null(ls);
  assert_non_null(rs);
  assert_non_null(os);
  spate_stream *c = spate_connect(spate_key_by(spate_from_rows(x->env, ls, NULL, 0), 0),
                                  spate_key_by(spate_from_rows(x->env, rs, NULL, 0), 0));
  x->b[0] = spate_rb_new(ls);
  x->b[1] = spate_rb_new(rs);
  spate_stream *j = c ? sql_agg_node(c, OP_SQL_JOIN, p, os) : NULL;
  if (!j) {
    snprintf(x->h.err, sizeof x->h.err, "%s", spate_env_error(x->env));
    return SPATE_EINVAL;
  }
  return harness_open_restored(&x->h, x->env, j, 0, old, old ? 1 : 0);
}

static void open_ok(fixture *x, const char *l, const char *r, const char *out,
                    op_sql_join_params *p, const snap_section *old) {
  if (open_join(x, l, r, out, p, old) < 0) fail_msg("open: %s", x->h.err);
}

static void close_join(fixture *x) {
  for (int i = 0; i < 2; i++) spate_rb_free(x->b[i]);
  harness_close(&x->h);
  spate_env_free(x->env);
}

/* A row (k, s) of kind into input side. */
static void feed(fixture *x, int side, int kind, int64_t k, const char *s) {
  spate_row_builder *b = x->b[side];
  spate_row r;
  spate_rb_begin(b);
  if (k != NUL) spate_rb_set_int(b, 0, (int32_t)k);
  spate_rb_set_string(b, 1, s, strlen(s));
  if (b->nfields == 3) spate_rb_set_tinyint(b, 2, (int8_t)kind);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  if (harness_element(&x->h, side, 1, &r) < 0) fail_msg("process: %s", x->h.err);
}

static void expect(fixture *x, const char *changelog) {
  x->seen = sql_agg_expect(&x->h, x->seen, changelog);
}

#define OUT_APPEND "k INT, v STRING NOT NULL, k0 INT, w STRING NOT NULL"
#define OUT_INNER \
  "k INT, v STRING NOT NULL, k0 INT, w STRING NOT NULL, `$row_kind` TINYINT NOT NULL"
#define OUT_LEFT "k INT, v STRING NOT NULL, k0 INT, w STRING, `$row_kind` TINYINT NOT NULL"
#define OUT_FULL "k INT, v STRING, k0 INT, w STRING, `$row_kind` TINYINT NOT NULL"

enum {
  L = 0,
  R = 1,
  I = ROW_KIND_INSERT,
  UB = ROW_KIND_UPDATE_BEFORE,
  UA = ROW_KIND_UPDATE_AFTER,
  D = ROW_KIND_DELETE
};

static void test_inner_append(void **state) {
  op_sql_join_params p = {.join_type = OP_SQL_JOIN_INNER};
  fixture x;
  open_ok(&x, L_APPEND, R_APPEND, OUT_APPEND, &p, NULL);
  feed(&x, L, I, 1, "a");
  feed(&x, R, I, 2, "z"); /* no partner */
  expect(&x, "");
  feed(&x, R, I, 1, "x");
  feed(&x, R, I, 1, "y");
  feed(&x, L, I, 1, "b");
  expect(&x, "[1, a, 1, x]; [1, a, 1, y]; [1, b, 1, x]; [1, b, 1, y]");
  close_join(&x);
}

/* Flink's outer-join rules: a padded row goes (-D) when the first match comes and comes back
 * (+I) when the last match goes; outer joins emit +I and -D only. */
static void test_left_join(void **state) {
  op_sql_join_params p = {
      .join_type = OP_SQL_JOIN_LEFT, .right_updating = true, .output_updating = true};
  fixture x;
  open_ok(&x, L_APPEND, R_UPDATING, OUT_LEFT, &p, NULL);
  feed(&x, L, I, 1, "a");
  expect(&x, "+I[1, a, null, null]");
  feed(&x, R, I, 1, "x");
  expect(&x, "-D[1, a, null, null]; +I[1, a, 1, x]");
  feed(&x, R, UA, 1, "y"); /* the inner side of an outer join: +I, not +U */
  expect(&x, "+I[1, a, 1, y]");
  feed(&x, R, D, 1, "x");
  expect(&x, "-D[1, a, 1, x]");
  feed(&x, R, UB, 1, "y"); /* the inner side's retraction keeps its kind */
  expect(&x, "-U[1, a, 1, y]; +I[1, a, null, null]");
  feed(&x, R, I, 2, "z"); /* a right row without partner: nothing in a LEFT join */
  expect(&x, "");
  close_join(&x);
}

/* Each copy of a row that is there twice was padded on its own, and is unpadded on its own. */
static void test_full_join_duplicates(void **state) {
  op_sql_join_params p = {
      .join_type = OP_SQL_JOIN_FULL, .left_updating = true, .output_updating = true};
  fixture x;
  open_ok(&x, L_UPDATING, R_APPEND, OUT_FULL, &p, NULL);
  feed(&x, L, I, 1, "a");
  feed(&x, L, I, 1, "a");
  expect(&x, "+I[1, a, null, null]; +I[1, a, null, null]");
  feed(&x, R, I, 1, "x");
  expect(&x, "-D[1, a, null, null]; -D[1, a, null, null]; +I[1, a, 1, x]; +I[1, a, 1, x]");
  feed(&x, R, I, 2, "z");
  expect(&x, "+I[null, null, 2, z]");
  feed(&x, L, D, 1, "a"); /* one copy goes: x keeps a partner */
  expect(&x, "-D[1, a, 1, x]");
  feed(&x, L, UB, 1, "a"); /* the other: x is padded again; an outer side emits -D */
  expect(&x, "-D[1, a, 1, x]; +I[null, null, 1, x]");
  close_join(&x);
}

/* An inner join forwards its input's kind, as Flink does. */
static void test_inner_forwards_kinds(void **state) {
  op_sql_join_params p = {
      .join_type = OP_SQL_JOIN_INNER, .left_updating = true, .output_updating = true};
  fixture x;
  open_ok(&x, L_UPDATING, R_APPEND, OUT_INNER, &p, NULL);
  feed(&x, L, I, 1, "a");
  feed(&x, R, I, 1, "x");
  feed(&x, L, UB, 1, "a");
  feed(&x, L, UA, 1, "b");
  expect(&x, "+I[1, a, 1, x]; -U[1, a, 1, x]; +U[1, b, 1, x]");
  feed(&x, R, I, 1, "y");
  expect(&x, "+I[1, b, 1, y]");
  close_join(&x);
}

/* `=` filters NULL keys: they match nothing, yet an outer side's rows are padded. */
static void test_null_keys(void **state) {
  op_sql_join_params p = {
      .join_type = OP_SQL_JOIN_LEFT, .left_updating = true, .output_updating = true};
  fixture x;
  open_ok(&x, L_UPDATING, R_APPEND, OUT_LEFT, &p, NULL);
  feed(&x, L, I, NUL, "a");
  feed(&x, R, I, NUL, "x");
  feed(&x, L, I, NUL, "b");
  feed(&x, L, D, NUL, "a");
  expect(&x, "+I[null, a, null, null]; +I[null, b, null, null]; -D[null, a, null, null]");
  close_join(&x);
}

static void test_ttl(void **state) {
  op_sql_join_params p = {.join_type = OP_SQL_JOIN_INNER, .state_ttl_ms = 1000};
  fixture x;
  open_ok(&x, L_APPEND, R_APPEND, OUT_APPEND, &p, NULL);
  feed(&x, L, I, 1, "a");
  assert_int_equal(harness_processing_time(&x.h, 999), 0); /* written at 0: alive until 1000 */
  feed(&x, R, I, 1, "x");
  expect(&x, "[1, a, 1, x]");
  assert_int_equal(harness_processing_time(&x.h, 2000), 0); /* a and x expired */
  feed(&x, R, I, 1, "y");
  feed(&x, L, I, 1, "b");
  expect(&x, "[1, b, 1, y]");
  close_join(&x);
}

static void test_checkpoint_restore(void **state) {
  op_sql_join_params p = {.join_type = OP_SQL_JOIN_FULL, .output_updating = true};
  fixture x;
  open_ok(&x, L_APPEND, R_APPEND, OUT_FULL, &p, NULL);
  feed(&x, L, I, 1, "a");
  feed(&x, R, I, 2, "z");
  feed(&x, R, I, 1, "x");
  expect(&x, "+I[1, a, null, null]; +I[null, null, 2, z]; -D[1, a, null, null]; +I[1, a, 1, x]");
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(harness_snapshot(&x.h, 1, &w), 0);
  feed(&x, L, I, 2, "lost"); /* after the checkpoint: lost by the restore */
  close_join(&x);

  snap_section sec = {w.data, w.len};
  open_ok(&x, L_APPEND, R_APPEND, OUT_FULL, &p, &sec);
  feed(&x, L, I, 2, "b"); /* z is there, unmatched: its padded row goes */
  feed(&x, L, I, 1, "c"); /* x is there, matched already */
  expect(&x, "-D[null, null, 2, z]; +I[2, b, 2, z]; +I[1, c, 1, x]");
  close_join(&x);
  sp_writer_free(&w);
}

static void test_refused(void **state) {
  fixture x;
  op_sql_join_params p = {.join_type = 9};
  assert_true(open_join(&x, L_APPEND, R_APPEND, OUT_APPEND, &p, NULL) < 0);
  assert_non_null(strstr(x.h.err, "unknown join type 9"));
  close_join(&x);
  p = (op_sql_join_params){.join_type = OP_SQL_JOIN_INNER, .left_updating = true};
  assert_true(open_join(&x, L_APPEND, R_APPEND, OUT_APPEND, &p, NULL) < 0);
  assert_non_null(strstr(x.h.err, "input 0 is updating but has no $row_kind field"));
  close_join(&x);
  p = (op_sql_join_params){.join_type = OP_SQL_JOIN_INNER};
  assert_true(open_join(&x, L_APPEND, "k BIGINT, w STRING NOT NULL", OUT_APPEND, &p, NULL) < 0);
  assert_non_null(strstr(x.h.err, "the keys of the two streams have different schemas"));
  spate_rb_free(x.b[0]);
  spate_rb_free(x.b[1]);
  spate_env_free(x.env);
  p = (op_sql_join_params){.join_type = OP_SQL_JOIN_INNER, .output_updating = true};
  assert_true(open_join(&x, L_APPEND, R_APPEND, OUT_APPEND, &p, NULL) < 0);
  assert_non_null(strstr(x.h.err, "the output must be the 4 fields of both inputs and $row_kind"));
  close_join(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_inner_append),
      cmocka_unit_test(test_left_join),
      cmocka_unit_test(test_full_join_duplicates),
      cmocka_unit_test(test_inner_forwards_kinds),
      cmocka_unit_test(test_null_keys),
      cmocka_unit_test(test_ttl),
      cmocka_unit_test(test_checkpoint_restore),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
