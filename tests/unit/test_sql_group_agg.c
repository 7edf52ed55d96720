/*
 * test_sql_group_agg.c: OP_SQL_GROUP_AGG driven through the operator harness, its changelogs
 * compared with Flink's:
 *  - the dynamic-tables page's clicks example (SELECT user, COUNT(url) ... GROUP BY user) and
 *    GroupAggFunction's first row / update / unchanged-result rules;
 *  - retraction inputs: -U/-D subtract, a key's last retraction emits -D and clears the key, a
 *    retraction for a key without state is dropped; MIN/MAX with retraction find the next
 *    extreme; COUNT(DISTINCT), SUM(DISTINCT) under retraction;
 *  - FILTER (WHERE ...), NULL arguments, SUM of nothing NULL, AVG of INT with integer division,
 *    of DOUBLE and DECIMAL; a global aggregation keyed on a constant;
 *  - table.exec.state.ttl on the harness's manual clock: expired keys start over, and results
 *    equal to the previous ones are still emitted;
 *  - a checkpoint and restore in the middle of a changelog (maps included), and rescaling;
 *  - refused parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "base/hash.h"
#include "harness.h"
#include "sql_agg_harness.h"

#define NUL INT64_MIN /* a NULL value in the row helpers */

/* A row of "k STRING NOT NULL, v INT, f BOOLEAN[, $row_kind]" (f: -1 NULL, 0, 1). */
static spate_row in_row(spate_row_builder *b, int kind, const char *k, int64_t v, int f) {
  spate_row r;
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, k, strlen(k));
  if (v != NUL) spate_rb_set_int(b, 1, (int32_t)v);
  if (f >= 0) spate_rb_set_bool(b, 2, f == 1);
  if (b->nfields == 4) spate_rb_set_tinyint(b, 3, (int8_t)kind);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  return r;
}

#define IN_APPEND "k STRING NOT NULL, v INT, f BOOLEAN"
#define IN_UPDATING "k STRING NOT NULL, v INT, f BOOLEAN, `$row_kind` TINYINT NOT NULL"

typedef struct fixture {
  spate_env *env;
  harness h;
  spate_row_builder *b;
  size_t seen;
} fixture;

#define MAX_PARALLELISM 128

/* Opens subtask `subtask` of a group aggregation of `parallelism` over the input schema `in`,
 * keyed (and grouped) by field 0, from the old subtasks' snapshots (nold 0: fresh). */
static void open_at(fixture *x, const char *in, const char *out, op_sql_group_agg_params *p,
                    int parallelism, int subtask, const snap_section *old, int nold) {
  memset(x, 0, sizeof *x);
  x->env = spate_env_create();
  spate_env_set_parallelism(x->env, parallelism);
  const spate_schema *is = spate_env_schema(x->env, in);
  const spate_schema *os = spate_env_schema(x->env, out);
  assert_non_null(is);
  assert_non_null(os);
  spate_stream *src = spate_from_rows(x->env, is, NULL, 0);
  spate_stream *agg = sql_agg_node(spate_key_by(src, 0), OP_SQL_GROUP_AGG, p, os);
  assert_non_null(agg);
  agg = spate_max_parallelism(agg, MAX_PARALLELISM);
  int rc = harness_open_restored(&x->h, x->env, agg, subtask, old, nold);
  if (rc < 0) fail_msg("open: %s", x->h.err);
  x->b = spate_rb_new(is);
}

static void open_agg(fixture *x, const char *in, const char *out, op_sql_group_agg_params *p,
                     const snap_section *old, int nold) {
  open_at(x, in, out, p, 1, 0, old, nold);
}

static void close_agg(fixture *x) {
  spate_rb_free(x->b);
  harness_close(&x->h);
  spate_env_free(x->env);
}

static void feed(fixture *x, int kind, const char *k, int64_t v, int f) {
  spate_row r = in_row(x->b, kind, k, v, f);
  int rc = harness_element(&x->h, 0, 1, &r);
  if (rc < 0) fail_msg("process: %s", x->h.err);
}

static void expect(fixture *x, const char *changelog) {
  x->seen = sql_agg_expect(&x->h, x->seen, changelog);
}

/* ---- Flink's examples ------------------------------------------------------------------------ */

/* The brief's GroupAggFunction example: SELECT k, SUM(v) ... GROUP BY k. */
static void test_sum_updates(void **state) {
  op_sql_group_agg_params p = {.group_fields = SQL_LIST(0),
                               .agg_kinds = SQL_LIST(SQL_AGG_SUM),
                               .agg_args = SQL_LIST(1),
                               .agg_distinct = SQL_LIST(0),
                               .agg_filters = SQL_LIST(-1),
                               .update_before = true};
  fixture x;
  open_agg(&x, IN_APPEND, "k STRING NOT NULL, s INT, `$row_kind` TINYINT NOT NULL", &p, NULL, 0);
  feed(&x, 0, "a", 1, -1);
  feed(&x, 0, "b", 2, -1);
  feed(&x, 0, "a", 3, -1);
  expect(&x, "+I[a, 1]; +I[b, 2]; -U[a, 1]; +U[a, 4]");
  feed(&x, 0, "a", 0, -1); /* the same result: nothing (no TTL) */
  expect(&x, "");
  close_agg(&x);
}

/* Flink's "Dynamic Tables" page: clicks(user, url), SELECT user, COUNT(url) FROM clicks GROUP BY
 * user gives +I(Mary, 1) +I(Bob, 1) -U(Mary, 1) +U(Mary, 2) +I(Liz, 1) -U(Bob, 1) +U(Bob, 2);
 * url is the INT field here (COUNT counts it whatever its value). Without update_before only
 * +U. */
static void test_clicks_count(void **state) {
  op_sql_group_agg_params p = {.group_fields = SQL_LIST(0),
                               .agg_kinds = SQL_LIST(SQL_AGG_COUNT),
                               .agg_args = SQL_LIST(1),
                               .agg_distinct = SQL_LIST(0),
                               .agg_filters = SQL_LIST(-1),
                               .update_before = true};
  const char *users[] = {"Mary", "Bob", "Mary", "Liz", "Bob"};
  for (int ub = 1; ub >= 0; ub--) {
    p.update_before = ub;
    fixture x;
    open_agg(&x, IN_APPEND,
             "user STRING NOT NULL, cnt BIGINT NOT NULL, `$row_kind` TINYINT NOT NULL", &p, NULL,
             0);
    for (int i = 0; i < 5; i++) feed(&x, 0, users[i], i, -1);
    expect(&x, ub ? "+I[Mary, 1]; +I[Bob, 1]; -U[Mary, 1]; +U[Mary, 2]; +I[Liz, 1]; -U[Bob, 1]; "
                    "+U[Bob, 2]"
                  : "+I[Mary, 1]; +I[Bob, 1]; +U[Mary, 2]; +I[Liz, 1]; +U[Bob, 2]");
    close_agg(&x);
  }
}

/* ---- retractions ----------------------------------------------------------------------------- */

/* COUNT(*), COUNT(v), SUM(v), MIN(v), MAX(v), AVG(v) over an updating input (a macro: the
 * lists are compound literals of the caller's block) */
#define FIVE_AGGS                                                                        \
  {                                                                                      \
    .input_updating = true, .group_fields = SQL_LIST(0),                                 \
    .agg_kinds = SQL_LIST(SQL_AGG_COUNT_STAR, SQL_AGG_COUNT, SQL_AGG_SUM, SQL_AGG_MIN,   \
                          SQL_AGG_MAX, SQL_AGG_AVG),                                     \
    .agg_args = SQL_LIST(-1, 1, 1, 1, 1, 1), .agg_distinct = SQL_LIST(0, 0, 0, 0, 0, 0), \
    .agg_filters = SQL_LIST(-1, -1, -1, -1, -1, -1), .update_before = true               \
  }
#define FIVE_OUT                                                                             \
  "k STRING NOT NULL, n BIGINT NOT NULL, c BIGINT NOT NULL, s INT, mi INT, ma INT, av INT, " \
  "`$row_kind` TINYINT NOT NULL"

static void test_retractions(void **state) {
  op_sql_group_agg_params p = FIVE_AGGS;
  fixture x;
  open_agg(&x, IN_UPDATING, FIVE_OUT, &p, NULL, 0);
  feed(&x, ROW_KIND_DELETE, "a", 9, -1); /* nothing to retract from: dropped */
  expect(&x, "");
  feed(&x, ROW_KIND_INSERT, "a", 5, -1);
  feed(&x, ROW_KIND_INSERT, "a", 3, -1);
  feed(&x, ROW_KIND_INSERT, "a", 7, -1);
  expect(&x,
         "+I[a, 1, 1, 5, 5, 5, 5]; -U[a, 1, 1, 5, 5, 5, 5]; +U[a, 2, 2, 8, 3, 5, 4]; "
         "-U[a, 2, 2, 8, 3, 5, 4]; +U[a, 3, 3, 15, 3, 7, 5]");
  /* retracting the minimum finds the next one; the maximum's copy count matters */
  feed(&x, ROW_KIND_UPDATE_BEFORE, "a", 3, -1);
  feed(&x, ROW_KIND_UPDATE_AFTER, "a", 7, -1);
  feed(&x, ROW_KIND_DELETE, "a", 7, -1);
  expect(&x,
         "-U[a, 3, 3, 15, 3, 7, 5]; +U[a, 2, 2, 12, 5, 7, 6]; "
         "-U[a, 2, 2, 12, 5, 7, 6]; +U[a, 3, 3, 19, 5, 7, 6]; "
         "-U[a, 3, 3, 19, 5, 7, 6]; +U[a, 2, 2, 12, 5, 7, 6]");
  feed(&x, ROW_KIND_DELETE, "a", 7, -1);
  expect(&x, "-U[a, 2, 2, 12, 5, 7, 6]; +U[a, 1, 1, 5, 5, 5, 5]");
  /* the last row retracted: -D of the last result, then the key starts over */
  feed(&x, ROW_KIND_DELETE, "a", 5, -1);
  feed(&x, ROW_KIND_UPDATE_BEFORE, "a", 5, -1);
  feed(&x, ROW_KIND_INSERT, "a", 2, -1);
  expect(&x, "-D[a, 1, 1, 5, 5, 5, 5]; +I[a, 1, 1, 2, 2, 2, 2]");
  close_agg(&x);
}

/* The same changes without update_before (Flink's [I,UA,D] aggregation in front of a sink that
 * takes no -U): +U alone, and still -D of the last result when the key empties; a SUM whose
 * result does not change emits nothing. */
static void test_update_after_only(void **state) {
  op_sql_group_agg_params p = FIVE_AGGS;
  p.update_before = false;
  fixture x;
  open_agg(&x, IN_UPDATING, FIVE_OUT, &p, NULL, 0);
  feed(&x, ROW_KIND_INSERT, "a", 5, -1);
  feed(&x, ROW_KIND_INSERT, "a", 3, -1);
  feed(&x, ROW_KIND_INSERT, "a", 7, -1);
  expect(&x, "+I[a, 1, 1, 5, 5, 5, 5]; +U[a, 2, 2, 8, 3, 5, 4]; +U[a, 3, 3, 15, 3, 7, 5]");
  feed(&x, ROW_KIND_UPDATE_BEFORE, "a", 3, -1);
  feed(&x, ROW_KIND_UPDATE_AFTER, "a", 7, -1);
  feed(&x, ROW_KIND_DELETE, "a", 7, -1);
  feed(&x, ROW_KIND_DELETE, "a", 7, -1);
  expect(&x,
         "+U[a, 2, 2, 12, 5, 7, 6]; +U[a, 3, 3, 19, 5, 7, 6]; +U[a, 2, 2, 12, 5, 7, 6]; "
         "+U[a, 1, 1, 5, 5, 5, 5]");
  feed(&x, ROW_KIND_DELETE, "a", 5, -1);
  feed(&x, ROW_KIND_INSERT, "a", 2, -1);
  expect(&x, "-D[a, 1, 1, 5, 5, 5, 5]; +I[a, 1, 1, 2, 2, 2, 2]");
  close_agg(&x);

  op_sql_group_agg_params q = {.group_fields = SQL_LIST(0),
                               .agg_kinds = SQL_LIST(SQL_AGG_SUM),
                               .agg_args = SQL_LIST(1),
                               .agg_distinct = SQL_LIST(0),
                               .agg_filters = SQL_LIST(-1)};
  open_agg(&x, IN_APPEND, "k STRING NOT NULL, s INT, `$row_kind` TINYINT NOT NULL", &q, NULL, 0);
  feed(&x, 0, "a", 1, -1);
  feed(&x, 0, "a", 0, -1); /* the same result: nothing */
  feed(&x, 0, "a", 2, -1);
  expect(&x, "+I[a, 1]; +U[a, 3]");
  close_agg(&x);
}

/* NULL arguments are skipped by all but COUNT(*); SUM, MIN, MAX, AVG of no value are NULL. */
static void test_nulls(void **state) {
  op_sql_group_agg_params p = FIVE_AGGS;
  fixture x;
  open_agg(&x, IN_UPDATING, FIVE_OUT, &p, NULL, 0);
  feed(&x, ROW_KIND_INSERT, "a", NUL, -1);
  feed(&x, ROW_KIND_INSERT, "a", 4, -1);
  feed(&x, ROW_KIND_DELETE, "a", 4, -1);
  expect(&x,
         "+I[a, 1, 0, null, null, null, null]; -U[a, 1, 0, null, null, null, null]; "
         "+U[a, 2, 1, 4, 4, 4, 4]; -U[a, 2, 1, 4, 4, 4, 4]; "
         "+U[a, 1, 0, null, null, null, null]");
  close_agg(&x);
}

/* AVG of INT is INT with Java's truncating division; of DOUBLE a double; of DECIMAL(10, 2) a
 * DECIMAL(38, 6) rounded half up (Flink's avg type). */
static void test_avg_types(void **state) {
  op_sql_group_agg_params p = {
      .group_fields = SQL_LIST(0),
      .agg_kinds = SQL_LIST(SQL_AGG_AVG, SQL_AGG_AVG, SQL_AGG_AVG, SQL_AGG_SUM),
      .agg_args = SQL_LIST(1, 2, 3, 3),
      .agg_distinct = SQL_LIST(0, 0, 0, 0),
      .agg_filters = SQL_LIST(-1, -1, -1, -1),
      .update_before = true};
  spate_env *env = spate_env_create();
  const spate_schema *is =
      spate_env_schema(env, "k STRING NOT NULL, i INT, d DOUBLE, m DECIMAL(10, 2)");
  const spate_schema *os = spate_env_schema(
      env,
      "k STRING NOT NULL, ai INT, ad DOUBLE, am DECIMAL(38, 6), sm DECIMAL(38, 2), "
      "`$row_kind` TINYINT NOT NULL");
  spate_stream *agg =
      sql_agg_node(spate_key_by(spate_from_rows(env, is, NULL, 0), 0), OP_SQL_GROUP_AGG, &p, os);
  harness h;
  assert_int_equal(harness_open(&h, env, agg), 0);
  spate_row_builder *b = spate_rb_new(is);
  const int64_t is_[] = {1, 2, -7}, ms[] = {100, 101, 201};
  for (int i = 0; i < 3; i++) {
    spate_row r;
    spate_rb_begin(b);
    spate_rb_set_string(b, 0, "a", 1);
    spate_rb_set_int(b, 1, (int32_t)is_[i]);
    spate_rb_set_double(b, 2, (double)is_[i]);
    spate_rb_set_decimal(b, 3, ms[i]);
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(harness_element(&h, 0, 1, &r), 0);
  }
  /* 1 | 1.5, 3/2 = 1 | -4/3 = -1 (toward zero), -1.333..., (1 + 1.01 + 2.01) / 3 = 1.34 */
  sql_agg_expect(&h, 0,
                 "+I[a, 1, 1.0, 1.000000, 1.00]; -U[a, 1, 1.0, 1.000000, 1.00]; "
                 "+U[a, 1, 1.5, 1.005000, 2.01]; -U[a, 1, 1.5, 1.005000, 2.01]; "
                 "+U[a, -1, -1.3333333333333333, 1.340000, 4.02]");
  spate_rb_free(b);
  harness_close(&h);
  spate_env_free(env);
}

/* COUNT(DISTINCT v), SUM(DISTINCT v) under retraction, and COUNT(*) FILTER (WHERE f). */
static void test_distinct_and_filter(void **state) {
  op_sql_group_agg_params p = {
      .input_updating = true,
      .group_fields = SQL_LIST(0),
      .agg_kinds = SQL_LIST(SQL_AGG_COUNT, SQL_AGG_SUM, SQL_AGG_COUNT_STAR),
      .agg_args = SQL_LIST(1, 1, -1),
      .agg_distinct = SQL_LIST(1, 1, 0),
      .agg_filters = SQL_LIST(-1, -1, 2),
      .update_before = true};
  fixture x;
  open_agg(&x, IN_UPDATING,
           "k STRING NOT NULL, cd BIGINT NOT NULL, sd INT, cf BIGINT NOT NULL, "
           "`$row_kind` TINYINT NOT NULL",
           &p, NULL, 0);
  feed(&x, ROW_KIND_INSERT, "a", 1, 1);
  feed(&x, ROW_KIND_INSERT, "a", 1, 0);  /* the same value, FILTER false: no change */
  feed(&x, ROW_KIND_INSERT, "a", 2, -1); /* FILTER NULL does not count */
  expect(&x, "+I[a, 1, 1, 1]; -U[a, 1, 1, 1]; +U[a, 2, 3, 1]");
  feed(&x, ROW_KIND_DELETE, "a", 1, 1); /* one 1 is left */
  expect(&x, "-U[a, 2, 3, 1]; +U[a, 2, 3, 0]");
  feed(&x, ROW_KIND_DELETE, "a", 1, 0);
  expect(&x, "-U[a, 2, 3, 0]; +U[a, 1, 2, 0]");
  close_agg(&x);
}

/* No GROUP BY: the planner keys on a constant field (key_spec needs a field) and lists no group
 * fields. */
static void test_global(void **state) {
  op_sql_group_agg_params p = {.group_fields = SQL_LIST(),
                               .agg_kinds = SQL_LIST(SQL_AGG_COUNT_STAR, SQL_AGG_MAX),
                               .agg_args = SQL_LIST(-1, 1),
                               .agg_distinct = SQL_LIST(0, 0),
                               .agg_filters = SQL_LIST(-1, -1),
                               .update_before = true};
  fixture x;
  open_agg(&x, IN_APPEND, "n BIGINT NOT NULL, m INT, `$row_kind` TINYINT NOT NULL", &p, NULL, 0);
  feed(&x, 0, "c", 4, -1);
  feed(&x, 0, "c", 9, -1);
  expect(&x, "+I[1, 4]; -U[1, 4]; +U[2, 9]");
  close_agg(&x);
}

/* ---- state TTL ------------------------------------------------------------------------------- */

static void test_ttl(void **state) {
  op_sql_group_agg_params p = {.input_updating = true,
                               .group_fields = SQL_LIST(0),
                               .agg_kinds = SQL_LIST(SQL_AGG_MAX),
                               .agg_args = SQL_LIST(1),
                               .agg_distinct = SQL_LIST(0),
                               .agg_filters = SQL_LIST(-1),
                               .state_ttl_ms = 1000,
                               .update_before = true};
  fixture x;
  open_agg(&x, IN_UPDATING, "k STRING NOT NULL, m INT, `$row_kind` TINYINT NOT NULL", &p, NULL, 0);
  feed(&x, ROW_KIND_INSERT, "a", 5, -1);
  feed(&x, ROW_KIND_INSERT, "a", 3, -1); /* unchanged, but TTL is on: emitted */
  expect(&x, "+I[a, 5]; -U[a, 5]; +U[a, 5]");
  assert_int_equal(harness_processing_time(&x.h, 999), 0); /* written at 0: alive until 1000 */
  feed(&x, ROW_KIND_INSERT, "a", 6, -1);
  expect(&x, "-U[a, 5]; +U[a, 6]");
  assert_int_equal(harness_processing_time(&x.h, 999 + 1000), 0); /* expired */
  feed(&x, ROW_KIND_DELETE, "a", 6, -1);                          /* its state is gone: dropped */
  feed(&x, ROW_KIND_INSERT, "a", 1, -1);
  expect(&x, "+I[a, 1]");
  close_agg(&x);
}

/* ---- checkpoints ----------------------------------------------------------------------------- */

static void test_checkpoint_restore(void **state) {
  op_sql_group_agg_params p = {.input_updating = true,
                               .group_fields = SQL_LIST(0),
                               .agg_kinds = SQL_LIST(SQL_AGG_MIN, SQL_AGG_COUNT, SQL_AGG_SUM),
                               .agg_args = SQL_LIST(1, 1, 1),
                               .agg_distinct = SQL_LIST(0, 1, 0),
                               .agg_filters = SQL_LIST(-1, -1, -1),
                               .update_before = true};
  const char *out =
      "k STRING NOT NULL, mi INT, cd BIGINT NOT NULL, s INT, "
      "`$row_kind` TINYINT NOT NULL";
  fixture x;
  open_agg(&x, IN_UPDATING, out, &p, NULL, 0);
  feed(&x, ROW_KIND_INSERT, "a", 2, -1);
  feed(&x, ROW_KIND_INSERT, "a", 1, -1);
  feed(&x, ROW_KIND_INSERT, "b", 8, -1);
  expect(&x, "+I[a, 2, 1, 2]; -U[a, 2, 1, 2]; +U[a, 1, 2, 3]; +I[b, 8, 1, 8]");
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(harness_snapshot(&x.h, 1, &w), 0);
  feed(&x, ROW_KIND_INSERT, "a", 0, -1); /* after the checkpoint: lost by the restore */
  close_agg(&x);

  snap_section sec = {w.data, w.len};
  open_agg(&x, IN_UPDATING, out, &p, &sec, 1);
  feed(&x, ROW_KIND_DELETE, "a", 1, -1); /* the minimum's map and the distinct map came back */
  feed(&x, ROW_KIND_INSERT, "b", 8, -1);
  feed(&x, ROW_KIND_DELETE, "b", 8, -1);
  feed(&x, ROW_KIND_DELETE, "b", 8, -1);
  expect(&x,
         "-U[a, 1, 2, 3]; +U[a, 2, 1, 2]; -U[b, 8, 1, 8]; +U[b, 8, 1, 16]; "
         "-U[b, 8, 1, 16]; +U[b, 8, 1, 8]; -D[b, 8, 1, 8]");
  close_agg(&x);
  sp_writer_free(&w);
}

/* A savepoint of one subtask restored at parallelism 2: each key's state is where its records
 * now go (the HASH partitioner's subtask of its key group). */
static void test_rescale(void **state) {
  op_sql_group_agg_params p = {.input_updating = true,
                               .group_fields = SQL_LIST(0),
                               .agg_kinds = SQL_LIST(SQL_AGG_SUM),
                               .agg_args = SQL_LIST(1),
                               .agg_distinct = SQL_LIST(0),
                               .agg_filters = SQL_LIST(-1),
                               .update_before = true};
  const char *out = "k STRING NOT NULL, s INT, `$row_kind` TINYINT NOT NULL";
  const char *keys[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
  fixture x;
  open_at(&x, IN_UPDATING, out, &p, 1, 0, NULL, 0);
  for (int i = 0; i < 8; i++) feed(&x, ROW_KIND_INSERT, keys[i], i + 1, -1);
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(harness_snapshot(&x.h, 1, &w), 0);
  close_agg(&x);
  snap_section sec = {w.data, w.len};
  int seen[2] = {0, 0};
  for (int sub = 0; sub < 2; sub++) {
    open_at(&x, IN_UPDATING, out, &p, 2, sub, &sec, 1);
    sp_strbuf want = {0};
    sp_strbuf_add(&want, "");
    for (int i = 0; i < 8; i++) {
      spate_row r = in_row(x.b, ROW_KIND_DELETE, keys[i], i + 1, -1);
      int f = 0;
      int kg = sp_key_group(row_fields_java_hash(&r, &f, 1, x.h.op->in_schema), MAX_PARALLELISM);
      if (sp_operator_index(MAX_PARALLELISM, 2, kg) != sub) continue;
      seen[sub]++;
      feed(&x, ROW_KIND_DELETE, keys[i], i + 1, -1); /* the last row of its key: -D */
      char line[32];
      snprintf(line, sizeof line, "%s-D[%s, %d]", want.len ? "; " : "", keys[i], i + 1);
      sp_strbuf_add(&want, line);
    }
    expect(&x, want.data);
    sp_strbuf_free(&want);
    close_agg(&x);
  }
  assert_true(seen[0] > 0 && seen[1] > 0 && seen[0] + seen[1] == 8);
  sp_writer_free(&w);
}

/* Allocation failures anywhere in processing (keyed state, maps, builders, the previous
 * result's copy) fail the call with a message; nothing crashes or leaks (ASan). */
static void test_allocation_failures(void **state) {
  op_sql_group_agg_params p = {.input_updating = true,
                               .group_fields = SQL_LIST(0),
                               .agg_kinds = SQL_LIST(SQL_AGG_COUNT, SQL_AGG_MIN, SQL_AGG_AVG),
                               .agg_args = SQL_LIST(1, 1, 1),
                               .agg_distinct = SQL_LIST(1, 0, 0),
                               .agg_filters = SQL_LIST(-1, -1, 2),
                               .update_before = true};
  int failures = 0;
  for (int k = 1; k < 400; k++) {
    spate_env *env = spate_env_create();
    const spate_schema *is = spate_env_schema(env, IN_UPDATING);
    const spate_schema *os = spate_env_schema(
        env, "k STRING NOT NULL, c BIGINT NOT NULL, m INT, a INT, `$row_kind` TINYINT NOT NULL");
    spate_stream *agg =
        sql_agg_node(spate_key_by(spate_from_rows(env, is, NULL, 0), 0), OP_SQL_GROUP_AGG, &p, os);
    spate_row_builder *b = spate_rb_new(is);
    harness h;
    int rc = harness_open(&h, env, agg); /* the job graph's failures are not this test's */
    assert_int_equal(rc, 0);
    sp_alloc_fail_after(k, 0);
    for (int i = 0; rc >= 0 && i < 12; i++) {
      spate_row r =
          in_row(b, i % 3 == 2 ? ROW_KIND_DELETE : ROW_KIND_INSERT, i % 2 ? "a" : "b", i / 2, 1);
      rc = harness_element(&h, 0, 1, &r);
    }
    sp_alloc_fail_after(0, 0);
    if (rc < 0) {
      failures++;
      if (!h.err[0]) fail_msg("allocation %d failed without a message (rc %d)", k, rc);
    }
    spate_rb_free(b);
    harness_close(&h);
    spate_env_free(env);
    if (rc >= 0) break;
  }
  assert_true(failures > 3);
}

/* ---- refused parameters ---------------------------------------------------------------------- */

static void refused(op_sql_group_agg_params *p, const char *in, const char *out,
                    const char *needle) {
  spate_env *env = spate_env_create();
  const spate_schema *is = spate_env_schema(env, in), *os = spate_env_schema(env, out);
  spate_stream *agg =
      sql_agg_node(spate_key_by(spate_from_rows(env, is, NULL, 0), 0), OP_SQL_GROUP_AGG, p, os);
  harness h;
  assert_true(harness_open(&h, env, agg) < 0);
  if (!strstr(h.err, needle)) fail_msg("'%s' does not say '%s'", h.err, needle);
  harness_close(&h);
  spate_env_free(env);
}

static void test_refused(void **state) {
  const char *out = "k STRING NOT NULL, s INT, `$row_kind` TINYINT NOT NULL";
  op_sql_group_agg_params p = {.group_fields = SQL_LIST(0),
                               .agg_kinds = SQL_LIST(SQL_AGG_SUM),
                               .agg_args = SQL_LIST(1),
                               .agg_distinct = SQL_LIST(0),
                               .agg_filters = SQL_LIST(-1)};
  p.input_updating = true;
  refused(&p, IN_APPEND, out, "not $row_kind");
  p.input_updating = false;
  refused(&p, IN_APPEND, "k STRING NOT NULL, s BIGINT, `$row_kind` TINYINT NOT NULL",
          "not the argument's");
  refused(&p, IN_APPEND, "k STRING NOT NULL, s INT", "group fields");
  p.agg_args = SQL_LIST(0);
  refused(&p, IN_APPEND, out, "not numeric");
  p.agg_args = SQL_LIST(1);
  p.agg_filters = SQL_LIST(1);
  refused(&p, IN_APPEND, out, "FILTER");
  p.agg_filters = SQL_LIST(-1, -1);
  refused(&p, IN_APPEND, out, "differ in length");
  p.agg_filters = SQL_LIST();
  refused(&p, IN_APPEND, out, "differ in length");
  p.agg_filters = SQL_LIST(-1);
  p.agg_kinds = SQL_LIST(42);
  refused(&p, IN_APPEND, out, "unknown aggregate");
  p.agg_kinds = SQL_LIST(SQL_AGG_SUM);
  p.group_fields = SQL_LIST(1);
  refused(&p, IN_APPEND, out, "not of the input's type");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sum_updates),
      cmocka_unit_test(test_clicks_count),
      cmocka_unit_test(test_retractions),
      cmocka_unit_test(test_update_after_only),
      cmocka_unit_test(test_nulls),
      cmocka_unit_test(test_avg_types),
      cmocka_unit_test(test_distinct_and_filter),
      cmocka_unit_test(test_global),
      cmocka_unit_test(test_ttl),
      cmocka_unit_test(test_checkpoint_restore),
      cmocka_unit_test(test_rescale),
      cmocka_unit_test(test_allocation_failures),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
