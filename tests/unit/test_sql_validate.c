/*
 * test_sql_validate.c: the expression validator (sql_validate.h): a table of expressions over a
 * fixed scope (a column of every type) with the summary string of their derived type, Flink's
 * rules for numeric promotion, DECIMAL precision and scale, common types, casts, functions and
 * nullability; a table of bad expressions with Flink's (or Calcite's) message and the position
 * of the offending node; and the decoded values of literals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "sql/sql_parser.h"
#include "sql/sql_validate.h"

/* The scope: name and declared type of each column. */
static const char *const columns[][2] = {
    {"x", "BOOLEAN"},
    {"xn", "BOOLEAN NOT NULL"},
    {"ti", "TINYINT"},
    {"si", "SMALLINT"},
    {"i", "INT"},
    {"inn", "INT NOT NULL"},
    {"b", "BIGINT"},
    {"bn", "BIGINT NOT NULL"},
    {"f", "FLOAT"},
    {"d", "DOUBLE"},
    {"d10_2", "DECIMAL(10, 2)"},
    {"d5_1", "DECIMAL(5, 1)"},
    {"d38_10", "DECIMAL(38, 10)"},
    {"c", "CHAR(3)"},
    {"v", "VARCHAR(10)"},
    {"s", "STRING"},
    {"sn", "STRING NOT NULL"},
    {"by", "BYTES"},
    {"dt", "DATE"},
    {"tm", "TIME"},
    {"ts", "TIMESTAMP(3)"},
    {"ts6", "TIMESTAMP(6)"},
    {"ltz", "TIMESTAMP_LTZ(3)"},
    {"iv", "INTERVAL DAY TO SECOND(3)"},
    {"ym", "INTERVAL YEAR TO MONTH"},
    {"arr", "ARRAY<INT>"},
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))

typedef struct fixture {
  sql_arena arena;
  sql_scope_column cols[NCOLS];
  sql_scope scope;
  sql_ast *types[NCOLS];
} fixture;

static int setup(void **state) {
  fixture *f = sp_calloc(1, sizeof *f);
  for (int i = 0; i < NCOLS; i++) {
    char err[512];
    assert_int_equal(sql_parse_type(columns[i][1], strlen(columns[i][1]), (sql_pos){0, 0},
                                    &f->types[i], err, sizeof err),
                     0);
    sql_type *t;
    assert_int_equal(sql_type_resolve(f->types[i]->root, &f->arena, &t, err, sizeof err), 0);
    f->cols[i].name = columns[i][0];
    f->cols[i].type = t;
  }
  f->scope.cols = f->cols;
  f->scope.ncols = NCOLS;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (int i = 0; i < NCOLS; i++) sql_ast_free(f->types[i]);
  sql_arena_free(&f->arena);
  sp_free(f);
  return 0;
}

/* Parses and validates text; returns the validator's rc, *out and the error. */
static int validate(fixture *f, const char *text, sql_ast **ast, sql_expr **out, sql_verror *err) {
  char perr[1024];
  int rc = sql_parse_expression(text, strlen(text), (sql_pos){0, 0}, ast, perr, sizeof perr);
  if (rc) fail_msg("%s: %s", text, perr);
  return sql_validate_expr((*ast)->root, &f->scope, &(*ast)->arena, out, err);
}

/* Returns 1 (after printing why) when text does not validate to type. */
static int expect_type(fixture *f, const char *text, const char *type) {
  sql_ast *ast;
  sql_expr *e;
  sql_verror err;
  int bad = 0;
  if (validate(f, text, &ast, &e, &err)) {
    print_error("%s: at %d:%d: %s\n", text, err.line, err.col, err.msg);
    sql_ast_free(ast);
    return 1;
  }
  sp_strbuf sb = {0};
  assert_int_equal(sql_type_format(e->type, &sb), 0);
  if (strcmp(sb.data, type) != 0) {
    print_error("%s: got %s, expected %s\n", text, sb.data, type);
    bad = 1;
  }
  sp_strbuf_free(&sb);
  sql_ast_free(ast);
  return bad;
}

static void typed(void **state) {
  static const char *const cases[][2] = {
      /* literals */
      {"1", "INT NOT NULL"},
      {"2147483648", "BIGINT NOT NULL"},
      {"99999999999999999999", "DECIMAL(20, 0) NOT NULL"},
      {"1.50", "DECIMAL(3, 2) NOT NULL"},
      {"0.05", "DECIMAL(2, 2) NOT NULL"},
      {"1e3", "DOUBLE NOT NULL"},
      {"'abc'", "CHAR(3) NOT NULL"},
      {"TRUE", "BOOLEAN NOT NULL"},
      {"NULL", "NULL"},
      {"DATE '2024-02-29'", "DATE NOT NULL"},
      {"TIME '12:34:56'", "TIME(0) NOT NULL"},
      {"TIMESTAMP '2024-01-01 10:00:00.123'", "TIMESTAMP(3) NOT NULL"},
      {"TIMESTAMP '2024-01-01 10:00:00'", "TIMESTAMP(0) NOT NULL"},
      {"TIMESTAMP WITH LOCAL TIME ZONE '2024-01-01 10:00:00.5'", "TIMESTAMP_LTZ(1) NOT NULL"},
      {"INTERVAL '5' SECOND", "INTERVAL DAY(2) TO SECOND(3) NOT NULL"},
      {"INTERVAL '1 02:03:04.5' DAY TO SECOND", "INTERVAL DAY(2) TO SECOND(3) NOT NULL"},
      {"INTERVAL '1-2' YEAR TO MONTH", "INTERVAL YEAR(2) TO MONTH NOT NULL"},
      {"X'0aFF'", "BINARY(2) NOT NULL"},
      {"-1", "INT NOT NULL"},
      /* columns and arithmetic */
      {"i", "INT"},
      {"i + b", "BIGINT"},
      {"inn + bn", "BIGINT NOT NULL"},
      {"ti + ti", "TINYINT"},
      {"i + 1", "INT"},
      {"inn * 2", "INT NOT NULL"},
      {"i / i", "INT"},
      {"b / i", "BIGINT"},
      {"i + f", "FLOAT"},
      {"f + d", "DOUBLE"},
      {"d10_2 + d", "DOUBLE"},
      {"d10_2 + f", "DOUBLE"},
      {"d10_2 * d5_1", "DECIMAL(16, 3)"},
      {"d10_2 + d5_1", "DECIMAL(11, 2)"},
      {"d10_2 - i", "DECIMAL(13, 2)"},
      {"d10_2 / d5_1", "DECIMAL(17, 8)"},
      {"d10_2 % d5_1", "DECIMAL(6, 2)"},
      {"d38_10 * d38_10", "DECIMAL(38, 6)"},
      {"d38_10 + 1.5", "DECIMAL(38, 9)"}, /* the scale gives way */
      {"i % b", "BIGINT"},
      {"b % i", "INT"},
      {"-d10_2", "DECIMAL(10, 2)"},
      {"i + NULL", "INT"},
      {"ts + INTERVAL '1' HOUR", "TIMESTAMP(3)"},
      {"ts6 - iv", "TIMESTAMP(6)"},
      {"dt + INTERVAL '1' DAY", "DATE"},
      {"DATE '2024-01-01' + INTERVAL '1' DAY", "DATE NOT NULL"},
      {"INTERVAL '1' DAY + ltz", "TIMESTAMP_LTZ(3)"},
      {"iv * 2", "INTERVAL DAY(2) TO SECOND(3)"},
      {"ym + ym", "INTERVAL YEAR(2) TO MONTH"},
      {"c || c", "CHAR(6)"},
      {"c || v", "VARCHAR(13)"},
      {"s || 'x'", "STRING"},
      /* comparisons and logic */
      {"i = b", "BOOLEAN"},
      {"inn = 1", "BOOLEAN NOT NULL"},
      {"d10_2 < f", "BOOLEAN"},
      {"v <> c", "BOOLEAN"},
      {"ts < ltz", "BOOLEAN"},
      {"i IS DISTINCT FROM b", "BOOLEAN NOT NULL"},
      {"i BETWEEN 1 AND b", "BOOLEAN"},
      {"inn NOT BETWEEN 1 AND 2", "BOOLEAN NOT NULL"},
      {"i IN (1, 2, b)", "BOOLEAN"},
      {"s LIKE 'a%'", "BOOLEAN"},
      {"sn SIMILAR TO 'a+'", "BOOLEAN NOT NULL"},
      {"i IS NULL", "BOOLEAN NOT NULL"},
      {"x IS NOT TRUE", "BOOLEAN NOT NULL"},
      {"x IS UNKNOWN", "BOOLEAN NOT NULL"},
      {"x AND xn", "BOOLEAN"},
      {"xn OR NOT xn", "BOOLEAN NOT NULL"},
      {"x AND NULL", "BOOLEAN"},
      /* conditionals */
      {"CASE WHEN x THEN i ELSE b END", "BIGINT"},
      {"CASE WHEN xn THEN inn ELSE bn END", "BIGINT NOT NULL"},
      {"CASE WHEN xn THEN inn END", "INT"},
      {"CASE WHEN x THEN 'a' ELSE 'abc' END", "VARCHAR(3) NOT NULL"},
      {"CASE WHEN x THEN 'ab' ELSE 'cd' END", "CHAR(2) NOT NULL"},
      {"CASE i WHEN 1 THEN d10_2 WHEN 2 THEN d5_1 ELSE 0 END", "DECIMAL(12, 2)"},
      {"CASE WHEN x THEN ts ELSE ltz END", "TIMESTAMP_LTZ(3)"},
      {"CASE WHEN x THEN NULL ELSE s END", "STRING"},
      {"COALESCE(i, inn)", "INT NOT NULL"}, /* nullable only if all are */
      {"COALESCE(i, b)", "BIGINT"},
      {"COALESCE(i, bn, 0)", "BIGINT NOT NULL"},
      {"NULLIF(inn, 1)", "INT"},
      {"IF(x, 1, 2.5)", "DECIMAL(11, 1) NOT NULL"},
      {"IFNULL(i, 0)", "INT NOT NULL"},
      /* casts */
      {"CAST(s AS INT)", "INT"},
      {"CAST(sn AS INT)", "INT NOT NULL"},
      {"TRY_CAST(sn AS INT)", "INT"},
      {"CAST(i AS DECIMAL(5, 2))", "DECIMAL(5, 2)"},
      {"CAST(ts AS DATE)", "DATE"},
      {"CAST(NULL AS DATE)", "DATE"},
      {"CAST(xn AS INT)", "INT NOT NULL"},
      {"CAST(arr AS STRING)", "STRING"},
      /* string functions */
      {"CONCAT(v, c)", "VARCHAR(13)"},
      {"CONCAT_WS('-', s, v)", "STRING"},
      {"UPPER(c)", "CHAR(3)"},
      {"lower(v)", "VARCHAR(10)"},
      {"CHAR_LENGTH(s)", "INT"},
      {"CHARACTER_LENGTH(sn)", "INT NOT NULL"},
      {"TRIM(BOTH 'x' FROM v)", "VARCHAR(10)"},
      {"TRIM(c)", "VARCHAR(3)"},
      {"SUBSTRING(v FROM 2 FOR 3)", "VARCHAR(10)"},
      {"SUBSTRING(sn, 2)", "STRING NOT NULL"},
      {"POSITION('a' IN s)", "INT"},
      {"REPLACE(s, 'a', 'b')", "STRING"},
      {"REGEXP(s, 'a.*')", "BOOLEAN"},
      {"REGEXP_EXTRACT(sn, 'a(.)', 1)", "STRING"},
      {"REGEXP_REPLACE(sn, 'a', 'b')", "STRING NOT NULL"},
      {"SPLIT_INDEX(s, ',', 0)", "STRING"},
      {"LPAD(s, 5, '*')", "STRING"},
      {"INITCAP(v)", "VARCHAR(10)"},
      {"MD5(s)", "CHAR(32)"},
      {"SHA256(sn)", "CHAR(64) NOT NULL"},
      /* temporal functions */
      {"CURRENT_TIMESTAMP", "TIMESTAMP_LTZ(3) NOT NULL"},
      {"NOW()", "TIMESTAMP_LTZ(3) NOT NULL"},
      {"LOCALTIMESTAMP", "TIMESTAMP(3) NOT NULL"},
      {"CURRENT_DATE", "DATE NOT NULL"},
      {"CURRENT_TIME", "TIME(0) NOT NULL"},
      {"PROCTIME()", "TIMESTAMP_LTZ(3) NOT NULL"},
      {"CURRENT_ROW_TIMESTAMP()", "TIMESTAMP_LTZ(3) NOT NULL"},
      {"DATE_FORMAT(ts, 'yyyy-MM-dd')", "STRING"},
      {"EXTRACT(YEAR FROM dt)", "BIGINT"},
      {"FLOOR(ts TO HOUR)", "TIMESTAMP(3)"},
      {"CEIL(ltz TO DAY)", "TIMESTAMP_LTZ(3)"},
      {"TIMESTAMPADD(DAY, 1, ts)", "TIMESTAMP(3)"},
      {"TIMESTAMPDIFF(SECOND, ts, ts6)", "INT"},
      {"TO_TIMESTAMP(s)", "TIMESTAMP(3)"},
      {"TO_TIMESTAMP(sn, 'yyyy')", "TIMESTAMP(3)"},
      {"TO_TIMESTAMP_LTZ(b, 3)", "TIMESTAMP_LTZ(3)"},
      {"TO_TIMESTAMP_LTZ(bn, 3)", "TIMESTAMP_LTZ(3) NOT NULL"},
      {"UNIX_TIMESTAMP()", "BIGINT NOT NULL"},
      {"UNIX_TIMESTAMP(s)", "BIGINT"},
      {"TO_DATE(s)", "DATE"},
      {"FROM_UNIXTIME(b)", "STRING"},
      /* math */
      {"ABS(d10_2)", "DECIMAL(10, 2)"},
      {"MOD(b, inn)", "INT"},
      {"POWER(i, 2)", "DOUBLE"},
      {"SQRT(d)", "DOUBLE"},
      {"EXP(inn)", "DOUBLE NOT NULL"},
      {"LN(d)", "DOUBLE"},
      {"LOG10(i)", "DOUBLE"},
      {"ROUND(d10_2, 1)", "DECIMAL(10, 1)"},
      {"ROUND(d10_2)", "DECIMAL(9, 0)"},
      {"ROUND(d)", "DOUBLE"},
      {"FLOOR(d10_2)", "DECIMAL(10, 0)"},
      {"CEIL(d)", "DOUBLE"},
      {"RAND()", "DOUBLE NOT NULL"},
      {"SIGN(i)", "INT"},
      /* JSON */
      {"JSON_VALUE(s, '$.a')", "STRING"},
      {"JSON_VALUE(s, '$.a' RETURNING INT)", "INT"},
      {"JSON_QUERY(s, '$.a')", "STRING"},
      /* aggregates */
      {"COUNT(*)", "BIGINT NOT NULL"},
      {"COUNT(DISTINCT s)", "BIGINT NOT NULL"},
      {"SUM(inn)", "INT"},
      {"SUM(d10_2)", "DECIMAL(38, 2)"},
      {"AVG(i)", "INT"},
      {"AVG(d10_2)", "DECIMAL(38, 6)"},
      {"AVG(d38_10)", "DECIMAL(38, 10)"},
      {"MIN(s)", "STRING"},
      {"MAX(ts)", "TIMESTAMP(3)"},
      {"SUM(i) + 1", "INT"},
  };
  fixture *f = *state;
  int failures = 0;
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
    failures += expect_type(f, cases[k][0], cases[k][1]);
  assert_int_equal(failures, 0);
}

static void bad(void **state) {
  static const struct {
    const char *text;
    int line, col;
    const char *msg;
  } cases[] = {
      /* an operator's error points where its call starts: its left operand, as Calcite's */
      {"nope + 1", 1, 1, "Column 'nope' not found in any table"},
      {"I", 1, 1, "Column 'I' not found in any table"},
      {"t.i", 1, 1, "Table 't' not found"},
      {"i + s", 1, 1,
       "Cannot apply '+' to arguments of type '<INTEGER> + <VARCHAR(2147483647)>'. Supported "
       "form(s): '<NUMERIC> + <NUMERIC>'\n'<DATETIME_INTERVAL> + <DATETIME_INTERVAL>'\n'<DATETIME> "
       "+ <DATETIME_INTERVAL>'\n'<DATETIME_INTERVAL> + <DATETIME>'"},
      {"ts + 1", 1, 1, "Cannot apply '+' to arguments of type '<TIMESTAMP(3)> + <INTEGER>'."},
      {"d % 2", 1, 1,
       "Cannot apply '%' to arguments of type '<DOUBLE> % <INTEGER>'. Supported form(s): "
       "'<EXACT_NUMERIC> % <EXACT_NUMERIC>'"},
      {"-s", 1, 1, "Cannot apply '-' to arguments of type '-<VARCHAR(2147483647)>'."},
      {"i = s", 1, 1,
       "Cannot apply '=' to arguments of type '<INTEGER> = <VARCHAR(2147483647)>'. Supported "
       "form(s): '<COMPARABLE_TYPE> = <COMPARABLE_TYPE>'"},
      {"'1' = 1", 1, 1, "Cannot apply '=' to arguments of type '<CHAR(1)> = <INTEGER>'."},
      {"dt < ts", 1, 1, "Cannot apply '<' to arguments of type '<DATE> < <TIMESTAMP(3)>'."},
      {"i AND x", 1, 1, "Cannot apply 'AND' to arguments of type '<INTEGER> AND <BOOLEAN>'."},
      {"NOT i", 1, 1, "Cannot apply 'NOT' to arguments of type 'NOT <INTEGER>'."},
      {"i IS TRUE", 1, 1, "Cannot apply 'IS TRUE' to arguments of type '<INTEGER> IS TRUE'."},
      {"i LIKE 'a'", 1, 1, "Cannot apply 'LIKE' to arguments of type '<INTEGER> LIKE <CHAR(1)>'."},
      {"i BETWEEN 'a' AND 2", 1, 1,
       "Cannot apply 'BETWEEN ASYMMETRIC' to arguments of type '<INTEGER> BETWEEN ASYMMETRIC "
       "<CHAR(1)> AND <INTEGER>'."},
      {"i IN (1, 'a')", 1, 1, "Values passed to IN operator must have compatible types"},
      {"CASE WHEN x THEN 1 ELSE 'a' END", 1, 1,
       "Illegal mixing of types in CASE or COALESCE statement"},
      {"CASE WHEN i THEN 1 END", 1, 11, "Expected a boolean type"},
      {"CASE WHEN x THEN NULL END", 1, 1,
       "ELSE clause or at least one THEN clause must be non-NULL"},
      {"COALESCE(i, s)", 1, 1, "Illegal mixing of types in CASE or COALESCE statement"},
      {"NULLIF(i, s)", 1, 1,
       "Cannot apply 'NULLIF' to arguments of type 'NULLIF(<INTEGER>, <VARCHAR(2147483647)>)'."},
      {"CAST(x AS DATE)", 1, 1, "Cast function cannot convert value of type BOOLEAN to type DATE"},
      {"CAST(i AS DATE)", 1, 1, "Cast function cannot convert value of type INTEGER to type DATE"},
      {"CAST(dt AS TIME)", 1, 1, "Cast function cannot convert value of type DATE to type TIME(0)"},
      {"CAST(i AS DECIMAL(40, 2))", 1, 11,
       "Decimal precision must be between 1 and 38 (both inclusive)."},
      {"NULL + NULL", 1, 1, "Illegal use of 'NULL'"},
      {"foo(i)", 1, 1, "No match found for function signature foo(<NUMERIC>)"},
      {"bar(s, ts, x)", 1, 1,
       "No match found for function signature bar(<CHARACTER>, <TIMESTAMP>, <BOOLEAN>)"},
      {"UPPER(i)", 1, 1,
       "Cannot apply 'UPPER' to arguments of type 'UPPER(<INTEGER>)'. Supported form(s): "
       "'UPPER(<CHARACTER>)'"},
      {"UPPER(s, s)", 1, 1,
       "Invalid number of arguments to function 'UPPER'. Was expecting 1 arguments"},
      {"IFNULL(inn, 'a')", 1, 1, "Invalid function call:\nIFNULL(INT NOT NULL, CHAR(1) NOT NULL)"},
      {"SUBSTRING(s FROM 'a')", 1, 1,
       "Cannot apply 'SUBSTRING' to arguments of type 'SUBSTRING(<VARCHAR(2147483647)>, "
       "<CHAR(1)>)'."},
      {"EXTRACT(DAY FROM s)", 1, 1, "Cannot apply 'EXTRACT' to arguments of type"},
      {"SUM(s)", 1, 1, "Cannot apply 'SUM' to arguments of type 'SUM(<VARCHAR(2147483647)>)'."},
      {"SUM(COUNT(i))", 1, 5, "Aggregate expressions cannot be nested"},
      {"UPPER(DISTINCT s)", 1, 1, "DISTINCT/ALL not allowed with UPPER function"},
      {"DATE '2023-02-29'", 1, 1, "Illegal DATE literal '2023-02-29': not in format 'yyyy-MM-dd'"},
      {"TIME '25:00:00'", 1, 1, "Illegal TIME literal '25:00:00': not in format 'HH:mm:ss'"},
      {"TIMESTAMP '2020-01-01 x'", 1, 1, "Illegal TIMESTAMP literal '2020-01-01 x'"},
      {"INTERVAL '1:2' DAY", 1, 1, "Illegal interval literal format '1:2' for INTERVAL DAY"},
      {"INTERVAL '100' DAY", 1, 1, "Interval field value 100 exceeds precision of DAY(2) field"},
      {"INTERVAL '1-13' YEAR TO MONTH", 1, 1,
       "Illegal interval literal format '1-13' for INTERVAL YEAR TO MONTH"},
      {"123456789012345678901234567890123456789", 1, 1,
       "Numeric literal '123456789012345678901234567890123456789' out of range"},
      {"i +\n  (s || 1)", 2, 4,
       "Cannot apply '||' to arguments of type '<VARCHAR(2147483647)> || <INTEGER>'."},
      {"(SELECT 1)", 1, 1, "Subqueries are not supported"},
      {"ROW(1, 2)", 1, 1, "constructors are not supported"},
      {"ROW_NUMBER()", 1, 1, "OVER clause is necessary for window functions"},
      {"UPPER(s) OVER (ORDER BY ts)", 1, 1, "OVER must be applied to aggregate function"},
      {"1 + RANK() OVER (PARTITION BY i)", 1, 5,
       "RANK or DENSE_RANK functions require ORDER BY clause in window specification"},
      {"ROW_NUMBER() OVER (ORDER BY nope)", 1, 29, "Column 'nope' not found in any table"},
      {"COUNT(DISTINCT i) OVER (ORDER BY ts)", 1, 1, "DISTINCT in an OVER aggregation"},
  };
  fixture *f = *state;
  int failures = 0;
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    sql_ast *ast;
    sql_expr *e;
    sql_verror err;
    int rc = validate(f, cases[k].text, &ast, &e, &err);
    if (rc != SPATE_EINVAL) {
      print_error("%s: validated (rc %d)\n", cases[k].text, rc);
      failures++;
    } else if (!strstr(err.msg, cases[k].msg)) {
      print_error("%s:\n got: %s\nwant: %s\n", cases[k].text, err.msg, cases[k].msg);
      failures++;
    } else if (err.line != cases[k].line || err.col != cases[k].col) {
      print_error("%s: at %d:%d, expected %d:%d\n", cases[k].text, err.line, err.col, cases[k].line,
                  cases[k].col);
      failures++;
    }
    sql_ast_free(ast);
  }
  assert_int_equal(failures, 0);
}

static void tree_and_values(void **state) {
  fixture *f = *state;
  sql_ast *ast;
  sql_expr *e;
  sql_verror err;
  assert_int_equal(validate(f, "i + 2147483648 * 1.25", &ast, &e, &err), 0);
  assert_int_equal(e->kind, SQL_E_CALL);
  assert_int_equal(e->u.call.fn, SQL_FN_PLUS);
  assert_int_equal(e->u.call.args[0]->kind, SQL_E_COLUMN);
  assert_int_equal(e->u.call.args[0]->u.column, 4);
  const sql_expr *mul = e->u.call.args[1];
  assert_int_equal(mul->u.call.fn, SQL_FN_TIMES);
  assert_int_equal(mul->u.call.args[0]->u.lit.i, 2147483648LL);
  assert_string_equal(mul->u.call.args[1]->u.lit.digits, "125");
  assert_int_equal(mul->col, 5);
  sql_ast_free(ast);

  assert_int_equal(validate(f, "DATE '1970-01-02'", &ast, &e, &err), 0);
  assert_int_equal(e->u.lit.i, 1);
  sql_ast_free(ast);
  assert_int_equal(validate(f, "TIMESTAMP '1970-01-01 00:01:00.25'", &ast, &e, &err), 0);
  assert_int_equal(e->u.lit.i, 60);
  assert_int_equal(e->u.lit.nanos, 250000000);
  sql_ast_free(ast);
  assert_int_equal(validate(f, "INTERVAL -'1 00:00:01.5' DAY TO SECOND", &ast, &e, &err), 0);
  assert_int_equal(e->u.lit.i, -(86400000LL + 1500));
  sql_ast_free(ast);
  assert_int_equal(validate(f, "INTERVAL '2-3' YEAR TO MONTH", &ast, &e, &err), 0);
  assert_int_equal(e->u.lit.i, 27);
  sql_ast_free(ast);

  /* aggregates are flagged, PROCTIME() is a processing-time attribute */
  assert_int_equal(validate(f, "SUM(i) + COUNT(*)", &ast, &e, &err), 0);
  assert_false(e->aggregate);
  assert_true(e->u.call.args[0]->aggregate);
  assert_true(e->u.call.args[1]->u.call.flags & SQL_CALL_STAR);
  sql_ast_free(ast);
  assert_int_equal(validate(f, "PROCTIME()", &ast, &e, &err), 0);
  assert_true(e->proctime);
  assert_int_equal(e->u.call.fn, SQL_FN_PROCTIME);
  sql_ast_free(ast);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(typed, setup, teardown),
      cmocka_unit_test_setup_teardown(bad, setup, teardown),
      cmocka_unit_test_setup_teardown(tree_and_values, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
