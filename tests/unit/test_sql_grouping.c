/*
 * test_sql_grouping.c: GROUPING SETS, ROLLUP and CUBE through a SQL session: the plans EXPLAIN
 * prints (the grouping sets Calcite lists, Flink's Expand with its $e ids, the grouping
 * functions as the CASE over $e of Flink's GroupingSetsTest plans), the results of a bounded
 * table (absent keys NULL, GROUPING values), and the errors (Calcite's messages where Calcite
 * checks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/config.h"
#include "base/strbuf.h"
#include "sql/sql_session.h"

typedef struct fixture {
  sp_config *base;
  sql_session *s;
  sql_result r;
  sql_error_kind kind;
  sp_strbuf err;
} fixture;

static const char *EMP =
    "CREATE TABLE emp (ename STRING, deptno INT NOT NULL, gender STRING) WITH ("
    "'connector' = 'datagen', 'number-of-rows' = '4', 'fields.deptno.kind' = 'sequence', "
    "'fields.deptno.start' = '10', 'fields.deptno.end' = '13', 'fields.gender.length' = '1', "
    "'fields.ename.length' = '3')";

static int setup(void **state) {
  fixture *f = sp_calloc(1, sizeof *f);
  f->base = sp_config_new();
  assert_int_equal(sql_session_new(f->base, &f->s), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  sql_result_free(&f->r);
  sp_free(f->err.data);
  sql_session_free(f->s);
  sp_config_free(f->base);
  sp_free(f);
  return 0;
}

static int run(fixture *f, const char *sql) {
  sql_result_free(&f->r);
  f->err.len = 0;
  if (f->err.data) f->err.data[0] = 0;
  return sql_session_execute(f->s, sql, strlen(sql), 1, 1, &f->r, &f->kind, &f->err);
}

static void ok(fixture *f, const char *sql) {
  if (run(f, sql)) fail_msg("%s\n-> %s: %s", sql, sql_error_kind_name(f->kind), f->err.data);
}

static void fails(fixture *f, const char *sql, sql_error_kind kind, const char *message) {
  assert_int_not_equal(run(f, sql), 0);
  if (f->kind != kind || !strstr(f->err.data, message))
    fail_msg("%s\n-> %s: %s\nexpected %s containing: %s", sql, sql_error_kind_name(f->kind),
             f->err.data, sql_error_kind_name(kind), message);
}

/* EXPLAIN sql holds each of the lines (whole lines of the plan, without their tree prefix). */
static void plan_has(fixture *f, const char *sql, const char *const *lines) {
  sp_strbuf q = {0};
  sp_strbuf_add(&q, "EXPLAIN ");
  sp_strbuf_add(&q, sql);
  ok(f, q.data);
  sp_free(q.data);
  const char *text = f->r.message;
  assert_non_null(text);
  for (int i = 0; lines[i]; i++) {
    const char *at = strstr(text, lines[i]);
    size_t n = strlen(lines[i]);
    if (!at || (at[n] != '\n' && at[n] != 0))
      fail_msg("the plan of %s\n%s\nhas no line ending in\n%s", sql, text, lines[i]);
  }
}

static void test_expand_ids(void **state) {
  fixture *f = *state;
  ok(f, EMP);
  /* GROUP BY a, CUBE (b, c): a in every set; the ids count the absent keys from the last */
  plan_has(f,
           "SELECT ename, deptno, gender, COUNT(*) AS c FROM emp GROUP BY ename, CUBE (deptno, "
           "gender)",
           (const char *const[]){
               "LogicalAggregate(group=[{0, 1, 2}], groups=[[{0, 1, 2}, {0, 1}, {0, 2}, {0}]], "
               "c=[COUNT()])",
               "Expand(projects=[{ename, deptno, gender, 0 AS $e}, {ename, deptno, null AS gender, "
               "1 AS $e}, {ename, null AS deptno, gender, 2 AS $e}, {ename, null AS deptno, null "
               "AS gender, 3 AS $e}])",
               "GroupAggregate(groupBy=[ename, deptno, gender, $e], select=[ename, deptno, gender, "
               "$e, COUNT(*) AS c])",
               NULL});
  /* nested: GROUPING SETS (a, ROLLUP (b, c)) is {a}, {b, c}, {b}, {} in the order of their ids */
  plan_has(f,
           "SELECT COUNT(*) AS c FROM emp GROUP BY GROUPING SETS (ename, ROLLUP (deptno, gender))",
           (const char *const[]){
               "LogicalAggregate(group=[{0, 1, 2}], groups=[[{0}, {1, 2}, {1}, {}]], c=[COUNT()])",
               "Expand(projects=[{ename, null AS deptno, null AS gender, 3 AS $e}, {null AS ename, "
               "deptno, gender, 4 AS $e}, {null AS ename, deptno, null AS gender, 5 AS $e}, {null "
               "AS ename, null AS deptno, null AS gender, 7 AS $e}])",
               NULL});
  /* Flink's GroupingSetsTest.testDuplicateArgumentToGrouping_id */
  plan_has(f,
           "SELECT deptno, gender, GROUPING_ID(deptno, gender, deptno), COUNT(*) AS c FROM emp "
           "WHERE deptno = 10 GROUP BY ROLLUP(gender, deptno)",
           (const char *const[]){
               "Calc(select=[deptno, gender, CASE(($e = 0), 0, ($e = 1), 5, 7) AS EXPR$2, c])",
               "Expand(projects=[{gender, deptno, 0 AS $e}, {gender, null AS deptno, 1 AS $e}, "
               "{null AS gender, null AS deptno, 3 AS $e}])",
               NULL});
  /* Flink's testCube: runs of one value merge into SEARCH, the last value is the ELSE */
  plan_has(f,
           "SELECT deptno, gender, GROUPING(deptno) AS gb, GROUPING(gender) AS gc, GROUP_ID() "
           "AS g FROM emp GROUP BY CUBE (deptno, gender)",
           (const char *const[]){
               "Calc(select=[deptno, gender, CASE(SEARCH($e, Sarg[0, 1]), 0, 1) AS gb, "
               "CASE(($e = 0), 0, ($e = 1), 1, ($e = 2), 0, 1) AS gc, 0 AS g])",
               NULL});
  /* one grouping set is a plain GROUP BY: no Expand, GROUPING is 0 */
  plan_has(f, "SELECT deptno, GROUPING(deptno) AS g FROM emp GROUP BY GROUPING SETS ((deptno))",
           (const char *const[]){"Calc(select=[deptno, 0 AS g])",
                                 "GroupAggregate(groupBy=[deptno], select=[deptno])", NULL});
  assert_null(strstr(f->r.message, "Expand"));
  /* a set listed twice is a group of its own, told apart by GROUP_ID() */
  plan_has(
      f, "SELECT deptno, GROUP_ID() AS g FROM emp GROUP BY GROUPING SETS ((deptno), (deptno), ())",
      (const char *const[]){
          "Calc(select=[deptno, CASE(($e = 0), 0, ($e = 2), 1, 0) AS g])",
          "Expand(projects=[{deptno, 0 AS $e}, {deptno, 2 AS $e}, {null AS deptno, 1 AS $e}])",
          NULL});
  plan_has(f, "SELECT COUNT(*) AS c FROM emp GROUP BY ()",
           (const char *const[]){"GroupAggregate(select=[COUNT(*) AS c])", NULL});
}

static void test_results(void **state) {
  fixture *f = *state;
  ok(f, EMP);
  ok(f, "SET 'sql-client.execution.result-mode' = 'table'");
  /* the rolled-up rows: deptno NULL and GROUPING 1, the total counting the four rows */
  ok(f,
     "SELECT deptno, deptno + 1 AS d1, COUNT(*) AS c, GROUPING(deptno) AS g FROM emp "
     "GROUP BY ROLLUP (deptno) HAVING GROUPING(deptno) = 1 OR deptno = 12");
  assert_int_equal(f->r.kind, SQL_RESULT_TABLE);
  /* the last value of each key: 12 with 1 row, and the total with 4 */
  int found = 0;
  for (int64_t i = 0; i < f->r.nrows; i++) {
    char **row = f->r.rows[i];
    int off = f->r.changelog ? 1 : 0;
    if (row[off] == NULL) {
      assert_null(row[off + 1]); /* deptno + 1 over the NULL key */
      assert_string_equal(row[off + 3], "1");
      if (strcmp(row[off + 2], "4") == 0) found |= 1;
    } else {
      assert_string_equal(row[off], "12");
      assert_string_equal(row[off + 1], "13");
      assert_string_equal(row[off + 3], "0");
      found |= 2;
    }
  }
  assert_int_equal(found, 3);
}

static void test_errors(void **state) {
  fixture *f = *state;
  ok(f, EMP);
  fails(f, "SELECT GROUPING(gender) FROM emp GROUP BY ROLLUP (deptno)", SQL_ERR_VALIDATION,
        "At line 1, column 17: Argument to GROUPING operator must be a grouped expression");
  fails(f, "SELECT COUNT(*) FROM emp GROUP BY CUBE (deptno, COUNT(*))", SQL_ERR_VALIDATION,
        "Aggregate expression is illegal in GROUP BY clause");
  fails(f, "SELECT GROUPING_ID() FROM emp GROUP BY deptno", SQL_ERR_VALIDATION,
        "Invalid number of arguments to function 'GROUPING_ID'");
  fails(f, "SELECT deptno FROM emp WHERE GROUPING(deptno) = 0 GROUP BY deptno", SQL_ERR_VALIDATION,
        "Aggregate expression is illegal in WHERE clause");
  fails(f, "SELECT ename FROM emp GROUP BY ROLLUP (deptno)", SQL_ERR_VALIDATION,
        "Expression 'ename' is not being grouped");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_expand_ids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_results, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
