/*
 * test_sql_expr.c: SQL expressions end to end below the planner: parsed (sql_parser.h),
 * validated over a scope with a column of most types (sql_validate.h), compiled into a calc
 * program (sql_compile.h), decoded and evaluated over one row (operators/sql_program.h), the
 * result printed as Flink's print sink shows it (Java's toString of the value).
 *
 * Expected values follow Flink's documentation "System (Built-in) Functions" (the examples
 * given there are marked "doc") and the cases of flink-table-planner's ScalarFunctionsTest,
 * CastFunctionsITCase and ScalarOperatorsTest where they apply ("sft", "cast", "sot"). Also:
 * the filter, column copies, an updating input's row kind, constant rows, folding, the
 * processing-time functions against the given clock, and the decoder's refusals.
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
#include "operators/sql_program.h"
#include "sql/sql_compile.h"
#include "sql/sql_parser.h"
#include "sql/sql_row_schema.h"
#include "sql/sql_validate.h"
#include "types/decimal.h"

#include "graph/op_params.h"
#include "harness.h"

static const char *const columns[][2] = {
    {"x", "BOOLEAN"},
    {"xn", "BOOLEAN"},
    {"ti", "TINYINT"},
    {"si", "SMALLINT"},
    {"i", "INT"},
    {"im", "INT"},
    {"n", "INT"},
    {"b", "BIGINT"},
    {"f", "FLOAT"},
    {"d", "DOUBLE"},
    {"d10_2", "DECIMAL(10, 2)"},
    {"d5_1", "DECIMAL(5, 1)"},
    {"d38", "DECIMAL(38, 0)"},
    {"s", "STRING"},
    {"sn", "STRING"},
    {"u", "STRING"},
    {"dt", "DATE"},
    {"tm", "TIME"},
    {"ts", "TIMESTAMP(3)"},
    {"ts6", "TIMESTAMP(6)"},
    {"ltz", "TIMESTAMP_LTZ(3)"},
    {"by", "BYTES"},
    {"c", "CHAR(3)"},
    {"v", "VARCHAR(10)"},
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))

/* 2024-01-02 03:04:05.678 UTC */
#define TS_MS INT64_C(1704164645678)
/* the processing time the cases run at: 2024-03-01 10:20:30.400 UTC */
#define NOW_MS INT64_C(1709288430400)

typedef struct fixture {
  sql_arena arena;
  sql_scope_column cols[NCOLS];
  sql_scope scope;
  sql_ast *types[NCOLS];
  spate_schema *in;
  spate_row_builder *rb;
  spate_row row;
} fixture;

static void fill_row(fixture *f) {
  spate_row_builder *b = f->rb;
  spate_rb_begin(b);
  spate_rb_set_bool(b, 0, true);
  spate_rb_set_tinyint(b, 2, 127);
  spate_rb_set_smallint(b, 3, 32767);
  spate_rb_set_int(b, 4, 42);
  spate_rb_set_int(b, 5, INT32_MAX);
  spate_rb_set_bigint(b, 7, INT64_MAX);
  spate_rb_set_float(b, 8, 1.5f);
  spate_rb_set_double(b, 9, 2.5);
  spate_rb_set_decimal(b, 10, 1234);
  spate_rb_set_decimal(b, 11, -25);
  spate_rb_set_decimal(b, 12, dec_pow10(37));
  spate_rb_set_string(b, 13, "Hello World", 11);
  spate_rb_set_string(b, 15, "h\xc3\xa9llo w\xc3\xb6rld", 13);
  spate_rb_set_date(b, 16, 19782); /* 2024-02-29 */
  spate_rb_set_time(b, 17, 45296000);
  spate_rb_set_timestamp(b, 18, TS_MS);
  spate_rb_set_timestamp_nanos(b, 19, TS_MS, 901000);
  spate_rb_set_timestamp(b, 20, TS_MS);
  spate_rb_set_bytes(b, 21, "\x01\x02", 2);
  spate_rb_set_string(b, 22, "ab ", 3);
  spate_rb_set_string(b, 23, "xyz", 3);
  assert_int_equal(spate_rb_finish(b, &f->row), 0);
}

static int setup(void **state) {
  fixture *f = sp_calloc(1, sizeof *f);
  const char *names[NCOLS];
  const sql_type *types[NCOLS];
  for (int i = 0; i < NCOLS; i++) {
    char err[512];
    assert_int_equal(sql_parse_type(columns[i][1], strlen(columns[i][1]), (sql_pos){0, 0},
                                    &f->types[i], err, sizeof err),
                     0);
    sql_type *t;
    assert_int_equal(sql_type_resolve(f->types[i]->root, &f->arena, &t, err, sizeof err), 0);
    f->cols[i].name = columns[i][0];
    f->cols[i].type = t;
    names[i] = columns[i][0];
    types[i] = t;
  }
  f->scope.cols = f->cols;
  f->scope.ncols = NCOLS;
  char err[512];
  assert_int_equal(sql_row_schema(names, types, NCOLS, false, &f->in, err, sizeof err), 0);
  f->rb = spate_rb_new(f->in);
  fill_row(f);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (int i = 0; i < NCOLS; i++) sql_ast_free(f->types[i]);
  spate_rb_free(f->rb);
  schema_unref(f->in);
  sql_arena_free(&f->arena);
  sp_free(f);
  return 0;
}

/* Evaluates text as one projection over the fixture's row (or, with filter_text, as a filter
 * too); the printed value into out, or "!" and the error. Returns 0 when it evaluated. */
static int run(fixture *f, const char *text, const char *tz, char *out, size_t cap) {
  char perr[1024];
  sql_ast *ast;
  if (sql_parse_expression(text, strlen(text), (sql_pos){0, 0}, &ast, perr, sizeof perr)) {
    snprintf(out, cap, "!parse: %s", perr);
    return -1;
  }
  sql_expr *e;
  sql_verror err;
  int rc = sql_validate_expr(ast->root, &f->scope, &ast->arena, &e, &err);
  if (rc) {
    snprintf(out, cap, "!validate: %s", err.msg);
    sql_ast_free(ast);
    return -1;
  }
  uint8_t *prog;
  size_t len;
  spate_schema *os;
  const char *name = "r";
  rc = sql_compile_calc(f->in, false, tz, NULL, &e, &name, 1, &prog, &len, &os, &err);
  sql_ast_free(ast);
  if (rc) {
    snprintf(out, cap, "!%s", err.msg);
    return -1;
  }
  sqlp_program *p;
  char derr[512];
  rc = sqlp_decode(prog, len, &p, derr, sizeof derr);
  sp_free(prog);
  if (rc) {
    snprintf(out, cap, "!decode: %s", derr);
    schema_unref(os);
    return -1;
  }
  spate_row_builder *b = spate_rb_new(os);
  rc = sqlp_eval(p, &f->row, NOW_MS, b);
  /* twice: the second evaluation reuses the scratch and compiled patterns */
  if (rc == 1) rc = sqlp_eval(p, &f->row, NOW_MS, b);
  if (rc < 0) {
    snprintf(out, cap, "!%s", p->err);
  } else {
    spate_row r;
    if (spate_rb_finish(b, &r) < 0) {
      snprintf(out, cap, "!row: %s", spate_rb_error(b));
      rc = -1;
    } else {
      sp_strbuf sb = {0};
      assert_int_equal(row_format_field(&sb, &r, 0, os), 0);
      snprintf(out, cap, "%s", sb.data ? sb.data : "");
      sp_strbuf_free(&sb);
      rc = 0;
    }
  }
  spate_rb_free(b);
  sqlp_free(p);
  schema_unref(os);
  return rc;
}

typedef struct xcase {
  const char *expr, *want; /* want "!..." : an error whose message starts with ... */
} xcase;

static int check_cases(fixture *f, const xcase *cases, size_t n, const char *tz) {
  int bad = 0;
  for (size_t k = 0; k < n; k++) {
    char got[1200];
    run(f, cases[k].expr, tz, got, sizeof got);
    const char *w = cases[k].want;
    bool ok = w[0] == '!' ? strncmp(got, w, strlen(w)) == 0 : strcmp(got, w) == 0;
    if (!ok) {
      print_error("%s: got [%s], expected [%s]\n", cases[k].expr, got, w);
      bad++;
    }
  }
  return bad;
}

static void scalars(void **state) {
  fixture *f = *state;
  static const xcase cases[] = {
      /* literals and columns */
      {"1", "1"},
      {"i", "42"},
      {"n", "null"},
      {"s", "Hello World"},
      {"d10_2", "12.34"},
      {"1.50", "1.50"},
      {"1e3", "1000.0"},
      {"TRUE", "true"},
      {"DATE '2024-02-29'", "2024-02-29"},
      {"TIMESTAMP '2024-01-01 10:00:00.123'", "2024-01-01T10:00:00.123"},
      {"ts", "2024-01-02T03:04:05.678"},
      {"ltz", "2024-01-02T03:04:05.678Z"},
      /* integer arithmetic: Java's wrapping (sot: testArithmetic overflow cases) */
      {"i + 1", "43"},
      {"im + 1", "-2147483648"},
      {"b + 1", "-9223372036854775808"},
      {"ti + ti", "-2"},
      {"i * 2 - 4", "80"},
      {"i / 5", "8"},
      {"-i / 5", "-8"},
      {"i % 5", "2"},
      {"-i % 5", "-2"},
      {"MOD(i, 5)", "2"},
      {"i / 0", "!/ by zero"},
      {"i % 0", "!/ by zero"},
      {"n / 0", "null"}, /* NULL before the division */
      {"i + n", "null"},
      {"-i", "-42"},
      /* floating point */
      {"d * 2", "5.0"},
      {"d / 0", "Infinity"},
      {"f + 1", "2.5"},
      {"i + d", "44.5"},
      {"CAST(1 AS DOUBLE) / 3", "0.3333333333333333"},
      /* DECIMAL: Flink's result types, HALF_UP, NULL on overflow */
      {"d10_2 + 1", "13.34"},
      {"d10_2 + d5_1", "9.84"},
      {"d10_2 * d5_1", "-30.850"},
      {"d10_2 / d5_1", "-4.93600000"},
      {"d10_2 % 5", "2.34"},
      {"d10_2 - 12.345", "-0.005"},
      {"d38 * 100", "null"}, /* DECIMAL(38, 0) overflow */
      {"d38 + 1", "10000000000000000000000000000000000001"},
      {"CAST(1 AS DECIMAL(10, 2)) / 3", "0.3333333333333"}, /* DECIMAL(21, 13) */
      {"d10_2 / 0", "!Division by zero"},
      {"-d10_2", "-12.34"},
      /* comparisons across numeric types */
      {"i = 42", "true"},
      {"i = 42.0", "true"},
      {"d10_2 > 12.3", "true"},
      {"d10_2 < d", "false"},
      {"ti > i", "true"},
      {"b > d", "true"},
      {"s = 'Hello World'", "true"},
      {"s < 'Hello'", "false"},
      {"c = 'ab '", "true"},
      {"n = 1", "null"},
      {"n <> 1", "null"},
      {"dt < DATE '2024-03-01'", "true"},
      {"ts = TIMESTAMP '2024-01-02 03:04:05.678'", "true"},
      {"ts6 > ts", "true"},
      {"ltz = ts", "true"}, /* UTC session */
      /* three-valued logic */
      {"x AND xn", "null"},
      {"NOT x AND xn", "false"},
      {"x OR xn", "true"},
      {"NOT x OR xn", "null"},
      {"NOT xn", "null"},
      {"xn IS NULL", "true"},
      {"xn IS UNKNOWN", "true"},
      {"xn IS NOT TRUE", "true"},
      {"xn IS FALSE", "false"},
      {"x IS TRUE", "true"},
      {"x IS NOT FALSE", "true"},
      {"i IS NOT NULL", "true"},
      {"n IS DISTINCT FROM 1", "true"},
      {"n IS NOT DISTINCT FROM NULL", "true"},
      {"i IS DISTINCT FROM 42", "false"},
      {"n = 0 OR i / 0 > 1", "!/ by zero"},
      {"i = 0 AND i / 0 > 1", "false"}, /* AND skips its right side */
      /* BETWEEN, IN */
      {"i BETWEEN 40 AND 50", "true"},
      {"i BETWEEN 50 AND 40", "false"},
      {"i BETWEEN SYMMETRIC 50 AND 40", "true"},
      {"i NOT BETWEEN 40 AND 50", "false"},
      {"n BETWEEN 1 AND 2", "null"},
      {"12 NOT BETWEEN 15 AND 12", "true"},             /* doc */
      {"12 NOT BETWEEN SYMMETRIC 15 AND 12", "false"},  /* doc */
      {"12 NOT BETWEEN NULL AND 15", "null"},           /* doc */
      {"12 NOT BETWEEN 15 AND NULL", "true"},           /* doc */
      {"12 NOT BETWEEN SYMMETRIC 12 AND NULL", "null"}, /* doc */
      {"'a\\%' LIKE 'a\\%'", "true"},                   /* no default escape (FLINK-39424) */
      {"i IN (1, 42, 3)", "true"},
      {"i IN (1, 2)", "false"},
      {"i IN (1, n)", "null"},
      {"i IN (42, n)", "true"},
      {"i NOT IN (1, 2)", "true"},
      {"s IN ('a', 'Hello World')", "true"},
      /* conditionals */
      {"CASE WHEN i > 40 THEN 'big' ELSE 'small' END", "big"},
      {"CASE WHEN i > 50 THEN 'big' END", "null"},
      {"CASE i WHEN 1 THEN 'one' WHEN 42 THEN 'answer' ELSE 'other' END", "answer"},
      {"CASE WHEN xn THEN 1 WHEN x THEN 2 ELSE 3 END", "2"},
      {"CASE WHEN x THEN d10_2 ELSE 0 END", "12.34"},
      {"COALESCE(n, i, 7)", "42"},
      {"COALESCE(n, NULL, 7)", "7"},
      {"COALESCE(sn, 'x')", "x"},
      {"NULLIF(i, 42)", "null"},
      {"NULLIF(i, 1)", "42"},
      {"IF(i > 1, 'a', 'b')", "a"},
      {"IF(xn, 'a', 'b')", "b"},
      {"IFNULL(n, 5)", "5"},
      /* math (doc) */
      {"ABS(-i)", "42"},
      {"ABS(d5_1)", "2.5"},
      {"SIGN(d5_1)", "-1.0"},
      {"SIGN(-i)", "-1"},
      {"POWER(2, 10)", "1024.0"},
      {"SQRT(16)", "4.0"},
      {"LN(1)", "0.0"},
      {"LOG10(1000)", "3.0"},
      {"EXP(0)", "1.0"},
      {"ROUND(d10_2, 1)", "12.3"},
      {"ROUND(12.345, 2)", "12.35"},
      {"ROUND(d5_1)", "-3"},
      {"ROUND(125, -1)", "130"},
      {"ROUND(d, 0)", "3.0"},
      /* a carry into a digit the operand has not: DECIMAL(1, 1) to DECIMAL(1, 0), (2, 1) to (2, 0) */
      {"ROUND(0.5)", "1"},
      {"ROUND(-0.5)", "-1"},
      {"ROUND(9.5)", "10"},
      {"ROUND(0.95, 1)", "1.0"},
      {"CEIL(0.5)", "1"},
      {"FLOOR(-0.5)", "-1"},
      {"FLOOR(d5_1)", "-3"},
      {"CEIL(d5_1)", "-2"},
      {"FLOOR(d)", "2.0"},
      {"CEIL(d)", "3.0"},
      /* java.util.Random(42): 0.7275636800328681, then 0.6832234717598454 (the second row) */
      {"RAND(42)", "0.6832234717598454"},
      {"RAND() < 1", "true"},
  };
  assert_int_equal(check_cases(f, cases, sizeof cases / sizeof cases[0], NULL), 0);
}

static void casts(void **state) {
  fixture *f = *state;
  static const xcase cases[] = {
      /* numeric to numeric: Java's narrowing (cast: numeric cases) */
      {"CAST(300 AS TINYINT)", "44"},
      {"CAST(im AS SMALLINT)", "-1"},
      {"CAST(d AS INT)", "2"},
      {"CAST(-2.7 AS INT)", "-2"},
      {"CAST(1e20 AS INT)", "2147483647"},
      {"CAST(d10_2 AS INT)", "12"},
      {"CAST(d10_2 AS DECIMAL(3, 1))", "12.3"},
      {"CAST(12.35 AS DECIMAL(3, 1))", "12.4"}, /* HALF_UP */
      {"CAST(-12.35 AS DECIMAL(3, 1))", "-12.4"},
      {"CAST(d10_2 AS DECIMAL(2, 0))", "12"},
      {"CAST(1234.5 AS DECIMAL(3, 0))", "null"}, /* overflow is NULL */
      {"CAST(d AS DECIMAL(5, 2))", "2.50"},
      {"CAST(0.125 AS DOUBLE)", "0.125"},
      {"CAST(i AS DOUBLE)", "42.0"},
      {"CAST(i AS BOOLEAN)", "true"},
      {"CAST(0 AS BOOLEAN)", "false"},
      {"CAST(x AS INT)", "1"},
      /* to strings */
      {"CAST(i AS STRING)", "42"},
      {"CAST(d AS STRING)", "2.5"},
      {"CAST(1e10 AS STRING)", "1.0E10"},
      {"CAST(d10_2 AS STRING)", "12.34"},
      {"CAST(x AS STRING)", "TRUE"},
      {"CAST(dt AS STRING)", "2024-02-29"},
      {"CAST(tm AS STRING)", "12:34:56"},
      {"CAST(ts AS STRING)", "2024-01-02 03:04:05.678"},
      {"CAST(ts6 AS STRING)", "2024-01-02 03:04:05.678901"},
      {"CAST(TIMESTAMP '2024-01-01 10:00:00' AS STRING)", "2024-01-01 10:00:00"},
      /* from strings */
      {"CAST('123' AS INT)", "123"},
      {"CAST(' 123 ' AS INT)", "123"},
      {"CAST('-5' AS BIGINT)", "-5"},
      {"CAST('1.5' AS DOUBLE)", "1.5"},
      {"CAST('1.25' AS DECIMAL(3, 1))", "1.3"},
      {"CAST('true' AS BOOLEAN)", "true"},
      {"CAST('no' AS BOOLEAN)", "false"},
      {"CAST('2024-02-29' AS DATE)", "2024-02-29"},
      {"CAST('12:34:56' AS TIME)", "12:34:56"},
      {"CAST('2024-01-02 03:04:05.678' AS TIMESTAMP(3))", "2024-01-02T03:04:05.678"},
      {"CAST('2024-01-02T03:04:05' AS TIMESTAMP(3))", "2024-01-02T03:04:05"},
      {"CAST('abc' AS INT)", "!Could not cast 'abc' to INT"},
      {"CAST('300' AS TINYINT)", "!Could not cast '300' to TINYINT"},
      {"CAST('2024-02-30' AS DATE)", "!Could not cast '2024-02-30' to DATE"},
      {"CAST('maybe' AS BOOLEAN)", "!Could not cast 'maybe' to BOOLEAN"},
      {"TRY_CAST('abc' AS INT)", "null"},
      {"TRY_CAST('2024-02-30' AS DATE)", "null"},
      {"TRY_CAST('12' AS INT)", "12"},
      {"CAST(sn AS INT)", "null"},
      {"CAST('ab' AS BYTES)", "[97, 98]"},
      {"CAST(CAST('ab' AS BYTES) AS STRING)", "ab"},
      /* between temporal types */
      {"CAST(ts AS DATE)", "2024-01-02"},
      {"CAST(ts AS TIME)", "03:04:05"},
      {"CAST(dt AS TIMESTAMP(3))", "2024-02-29T00:00"},
      {"CAST(ts6 AS TIMESTAMP(3))", "2024-01-02T03:04:05.678"},
      {"CAST(ts AS TIMESTAMP_LTZ(3))", "2024-01-02T03:04:05.678Z"},
  };
  assert_int_equal(check_cases(f, cases, sizeof cases / sizeof cases[0], NULL), 0);
}

static void strings(void **state) {
  fixture *f = *state;
  static const xcase cases[] = {
      {"UPPER(s)", "HELLO WORLD"},
      {"LOWER(s)", "hello world"},
      {"CHAR_LENGTH(u)", "11"}, /* code points, not bytes */
      {"CHAR_LENGTH(s)", "11"},
      {"SUBSTRING(s FROM 7)", "World"},
      {"SUBSTRING(s FROM 1 FOR 5)", "Hello"},
      {"SUBSTRING(u, 2, 3)", "\xc3\xa9ll"},
      {"SUBSTRING(s, 0, 3)", "Hel"},
      {"SUBSTRING(s, 20)", ""},
      {"SUBSTRING(s, -5)", "World"},
      {"TRIM('  ab  ')", "ab"},
      {"TRIM(LEADING 'x' FROM 'xxabxx')", "abxx"},
      {"TRIM(TRAILING 'x' FROM 'xxabxx')", "xxab"},
      {"TRIM(BOTH 'xy' FROM 'xyabyx')", "ab"},
      {"LTRIM('  ab ')", "ab "},
      {"RTRIM(' ab  ')", " ab"},
      {"POSITION('World' IN s)", "7"},
      {"POSITION('x' IN s)", "0"},
      {"POSITION('w' IN u)", "7"},
      {"POSITION('o' IN s FROM 6)", "8"},
      {"POSITION('o' IN s FROM 20)", "0"},
      {"CONCAT(s, '!', 'x')", "Hello World!x"},
      {"CONCAT(s, sn)", "null"},
      {"s || '!'", "Hello World!"},
      {"CONCAT_WS('-', 'a', sn, 'b')", "a-b"}, /* doc: NULL arguments are skipped */
      {"CONCAT_WS('-', sn, sn)", ""},
      {"CONCAT_WS(sn, 'a', 'b')", "null"},
      {"CONCAT_WS('-', 'a')", "a"},
      {"REPLACE(s, 'o', '0')", "Hell0 W0rld"},
      {"REPLACE(s, '', 'x')", "Hello World"},
      {"s LIKE 'Hello%'", "true"},
      {"s LIKE 'H_llo World'", "true"},
      {"s LIKE 'hello%'", "false"},
      {"s NOT LIKE '%x%'", "true"},
      {"'100%' LIKE '100!%' ESCAPE '!'", "true"},
      {"'100x' LIKE '100!%' ESCAPE '!'", "false"},
      {"'a_c' LIKE 'a!_c' ESCAPE '!'", "true"},
      {"sn LIKE 'a%'", "null"},
      {"u LIKE 'h_llo%'", "true"},
      {"s SIMILAR TO 'Hel+o%'", "true"},
      {"s SIMILAR TO '(Hello|Bye) World'", "true"},
      {"s SIMILAR TO 'Hello'", "false"},
      {"REGEXP(s, 'W.r')", "true"},
      {"REGEXP(s, '^W')", "false"},
      {"REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)', 2)", "bar"}, /* doc */
      {"REGEXP_EXTRACT('abc123', '[a-z]+([0-9]+)', 1)", "123"},
      {"REGEXP_EXTRACT('abc', 'x(.)', 1)", "null"},
      {"REGEXP_REPLACE('foobar', 'oo|ar', '')", "fb"}, /* doc */
      {"REGEXP_REPLACE('abc123', '[0-9]', 'X')", "abcXXX"},
      {"REGEXP_REPLACE('a1b2', '([a-z])([0-9])', '$2$1')", "1a2b"},
      {"REGEXP_REPLACE('a1', '\\d', '#')", "a#"},
      {"SPLIT_INDEX('Jack,John,Mary', ',', 2)", "Mary"}, /* doc */
      {"SPLIT_INDEX('Jack,John,Mary', ',', 3)", "null"},
      {"SPLIT_INDEX('Jack,John,Mary', ',', -1)", "null"},
      {"LPAD('hi', 4, '?\?')", "?\?hi"}, /* doc */
      {"LPAD('hi', 1, '?\?')", "h"},     /* doc */
      {"RPAD('hi', 4, '?\?')", "hi?\?"}, /* doc */
      {"RPAD('hi', 5, 'ab')", "hiaba"},
      {"LPAD('hi', -1, 'x')", "null"},
      {"INITCAP('hello wORLD-abc')", "Hello World-Abc"},
      /* Java's case mapping of letters beyond ASCII (one-to-one mappings: 'ß' stays) */
      {"UPPER('zürich')", "ZÜRICH"},
      {"LOWER('ÆØÅ Straße')", "æøå straße"},
      {"INITCAP('élan vital')", "Élan Vital"},
      {"MD5(s)", "!function MD5 is not supported"},
      /* JSON (doc), with the default clauses */
      {"JSON_VALUE('{\"a\": true}', '$.a')", "true"},
      {"JSON_VALUE('{\"a.b\": [0.998, 0.996]}', '$[''a.b''][0]')", "0.998"},
      {"JSON_VALUE('{\"a\": {\"b\": \"x\"}}', 'lax $.a.b')", "x"},
      {"JSON_VALUE('{\"a\": 1}', '$.b')", "null"},
      {"JSON_VALUE('{\"a\": [1]}', '$.a')", "null"},
      {"JSON_VALUE('not json', '$.a')", "null"},
      {"JSON_VALUE('{\"a\": \"12\"}', '$.a' RETURNING INT)", "12"},
      {"JSON_QUERY('{\"a\": {\"b\": 1}}', '$.a')", "{\"b\":1}"},
      {"JSON_QUERY('[1, 2]', '$')", "[1,2]"},
      {"JSON_QUERY('{\"a\": 1}', '$.a')", "null"},
  };
  assert_int_equal(check_cases(f, cases, sizeof cases / sizeof cases[0], NULL), 0);
}

static void temporal(void **state) {
  fixture *f = *state;
  static const xcase cases[] = {
      {"EXTRACT(YEAR FROM dt)", "2024"},
      {"EXTRACT(MONTH FROM dt)", "2"},
      {"EXTRACT(DAY FROM dt)", "29"},
      {"EXTRACT(QUARTER FROM dt)", "1"},
      {"EXTRACT(DOY FROM dt)", "60"},
      {"EXTRACT(DOW FROM dt)", "5"}, /* a Thursday: Sunday is 1 */
      {"EXTRACT(WEEK FROM dt)", "9"},
      {"EXTRACT(HOUR FROM ts)", "3"},
      {"EXTRACT(MINUTE FROM ts)", "4"},
      {"EXTRACT(SECOND FROM ts)", "5"},
      {"EXTRACT(MILLISECOND FROM ts)", "5678"},
      {"EXTRACT(HOUR FROM tm)", "12"},
      {"EXTRACT(EPOCH FROM ts)", "1704164645"},
      {"EXTRACT(DAY FROM INTERVAL '2 03:04:05.5' DAY TO SECOND)", "2"},
      {"EXTRACT(HOUR FROM INTERVAL '2 03:04:05.5' DAY TO SECOND)", "3"},
      {"EXTRACT(SECOND FROM INTERVAL '2 03:04:05.5' DAY TO SECOND)", "5"},
      {"EXTRACT(YEAR FROM INTERVAL '3-7' YEAR TO MONTH)", "3"},
      {"EXTRACT(MONTH FROM INTERVAL '3-7' YEAR TO MONTH)", "7"},
      {"FLOOR(ts TO HOUR)", "2024-01-02T03:00"},
      {"CEIL(ts TO HOUR)", "2024-01-02T04:00"},
      {"FLOOR(ts TO MONTH)", "2024-01-01T00:00"},
      {"FLOOR(dt TO YEAR)", "2024-01-01"},
      {"CEIL(dt TO MONTH)", "2024-03-01"},
      {"ts + INTERVAL '1' HOUR", "2024-01-02T04:04:05.678"},
      {"ts - INTERVAL '1' DAY", "2024-01-01T03:04:05.678"},
      {"dt + INTERVAL '1' DAY", "2024-03-01"},
      {"dt + INTERVAL '1' YEAR", "2025-02-28"},
      {"ts + INTERVAL '1' MONTH", "2024-02-02T03:04:05.678"},
      {"TIMESTAMPADD(DAY, 3, dt)", "2024-03-03"},
      {"TIMESTAMPADD(MONTH, 1, TIMESTAMP '2024-01-31 00:00:00')", "2024-02-29T00:00"},
      {"TIMESTAMPADD(HOUR, -2, ts)", "2024-01-02T01:04:05.678"},
      {"TIMESTAMPADD(DAY, 2147483647, ts)", "!TIMESTAMP arithmetic out of range"},
      {"ROUND(d, 400)", "2.5"},
      {"TIMESTAMPDIFF(DAY, TIMESTAMP '2024-01-01 00:00:00', ts)", "1"},
      {"TIMESTAMPDIFF(MONTH, DATE '2024-01-31', DATE '2024-02-29')", "0"},
      {"TIMESTAMPDIFF(MONTH, DATE '2024-01-29', DATE '2024-02-29')", "1"},
      {"TIMESTAMPDIFF(HOUR, ts, TIMESTAMP '2024-01-01 03:04:05.678')", "-24"},
      {"DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss')", "2024-01-02 03:04:05"},
      {"DATE_FORMAT(ts, 'yy/M/d EEE MMM hh a SSS')", "24/1/2 Tue Jan 03 AM 678"},
      {"DATE_FORMAT('2024-05-06 07:08:09', 'dd.MM.yyyy')", "06.05.2024"},
      {"DATE_FORMAT(ts, 'yyyy ''at'' HH')", "2024 at 03"},
      {"UNIX_TIMESTAMP('2024-01-02 03:04:05')", "1704164645"},
      {"UNIX_TIMESTAMP('2024/01/02', 'yyyy/MM/dd')", "1704153600"},
      {"UNIX_TIMESTAMP('garbage')", "-9223372036854775808"}, /* doc: Long.MIN_VALUE */
      {"FROM_UNIXTIME(44)", "1970-01-01 00:00:44"},          /* doc (UTC) */
      {"FROM_UNIXTIME(1704164645, 'yyyy-MM-dd')", "2024-01-02"},
      {"TO_TIMESTAMP('2024-01-02 03:04:05')", "2024-01-02T03:04:05"},
      {"TO_TIMESTAMP('2024-01-02 03:04:05.5')", "2024-01-02T03:04:05.500"},
      {"TO_TIMESTAMP('02/01/2024', 'dd/MM/yyyy')", "2024-01-02T00:00"},
      {"TO_TIMESTAMP('nonsense')", "null"},
      {"TO_DATE('2024-02-29')", "2024-02-29"},
      {"TO_DATE('29.02.2024', 'dd.MM.yyyy')", "2024-02-29"},
      {"TO_TIMESTAMP_LTZ(1704164645678, 3)", "2024-01-02T03:04:05.678Z"},
      {"TO_TIMESTAMP_LTZ(1704164645, 0)", "2024-01-02T03:04:05Z"},
      {"TO_TIMESTAMP_LTZ(1, 2)", "!The precision value '2'"},
      /* processing time: the clock the evaluation is given */
      {"CURRENT_TIMESTAMP", "2024-03-01T10:20:30.400Z"},
      {"NOW()", "2024-03-01T10:20:30.400Z"},
      {"LOCALTIMESTAMP", "2024-03-01T10:20:30.400"},
      {"CURRENT_DATE", "2024-03-01"},
      {"CURRENT_TIME", "10:20:30"}, /* TIME(0) */
      {"UNIX_TIMESTAMP()", "1709288430"},
  };
  assert_int_equal(check_cases(f, cases, sizeof cases / sizeof cases[0], NULL), 0);
  /* the session time zone: a fixed offset */
  static const xcase tz[] = {
      {"LOCALTIMESTAMP", "2024-03-01T18:20:30.400"},
      {"CURRENT_TIMESTAMP", "2024-03-01T10:20:30.400Z"},
      {"CAST(ltz AS STRING)", "2024-01-02 11:04:05.678"},
      {"CAST(ltz AS TIMESTAMP(3))", "2024-01-02T11:04:05.678"},
      {"EXTRACT(HOUR FROM ltz)", "11"},
      {"FROM_UNIXTIME(0)", "1970-01-01 08:00:00"},
      {"UNIX_TIMESTAMP('1970-01-01 08:00:00')", "0"},
      {"TIMESTAMP WITH LOCAL TIME ZONE '1970-01-01 08:00:00'", "1970-01-01T00:00:00Z"},
  };
  assert_int_equal(check_cases(f, tz, sizeof tz / sizeof tz[0], "+08:00"), 0);
  /* a region of the time zone database: offsets by the instant, Java's gaps and overlaps */
  static const xcase ny[] = {
      {"CAST(ltz AS STRING)", "2024-01-01 22:04:05.678"}, /* EST */
      {"LOCALTIMESTAMP", "2024-03-01T05:20:30.400"},
      {"CAST(TIMESTAMP '2024-07-01 12:00:00' AS TIMESTAMP_LTZ(3))",
       "2024-07-01T16:00:00Z"}, /* EDT */
      {"CAST(TIMESTAMP '2024-03-10 02:30:00' AS TIMESTAMP_LTZ(3))",
       "2024-03-10T07:30:00Z"}, /* gap */
      {"CAST(TIMESTAMP '2024-11-03 01:30:00' AS TIMESTAMP_LTZ(3))",
       "2024-11-03T05:30:00Z"}, /* overlap */
      {"EXTRACT(HOUR FROM CAST(TIMESTAMP '2024-07-01 12:00:00' AS TIMESTAMP_LTZ(3)))", "12"},
      {"UNIX_TIMESTAMP('2024-07-01 00:00:00')", "1719806400"},
  };
  assert_int_equal(check_cases(f, ny, sizeof ny / sizeof ny[0], "America/New_York"), 0);
  static const xcase sh[] = {
      {"FROM_UNIXTIME(0)", "1970-01-01 08:00:00"},
      {"CURRENT_DATE", "2024-03-01"},
  };
  assert_int_equal(check_cases(f, sh, sizeof sh / sizeof sh[0], "Asia/Shanghai"), 0);
  char out[600];
  run(f, "LOCALTIMESTAMP", "Mars/Olympus", out, sizeof out);
  assert_non_null(strstr(out, "Invalid time zone 'Mars/Olympus'"));
  run(f, "LOCALTIMESTAMP", "../../etc/passwd", out, sizeof out);
  assert_non_null(strstr(out, "Invalid time zone"));
  sqlp_tz zone;
  char err[256];
  assert_int_equal(sqlp_tz_parse("GMT-05:30", &zone, err, sizeof err), 0);
  assert_int_equal(zone.fixed_s, -(5 * 3600 + 30 * 60));
  assert_int_equal(sqlp_tz_parse("UTC+8", &zone, err, sizeof err), 0);
  assert_int_equal(zone.fixed_s, 8 * 3600);
  assert_int_equal(sqlp_tz_parse("+25:00", &zone, err, sizeof err), SPATE_EINVAL);
  assert_int_equal(sqlp_tz_parse("Europe/Paris", &zone, err, sizeof err), 0);
  assert_true(zone.n > 100);
  sqlp_tz_free(&zone);
}

static void refused(void **state) {
  fixture *f = *state;
  static const xcase cases[] = {
      {"SUM(i)", "!aggregate function SUM"},
      {"NULL", "!Illegal use of 'NULL'"},
  };
  assert_int_equal(check_cases(f, cases, sizeof cases / sizeof cases[0], NULL), 0);
}

/* Parses and validates text into e (the ast kept in *ast). */
static sql_expr *expr(fixture *f, const char *text, sql_ast **ast) {
  char perr[512];
  assert_int_equal(
      sql_parse_expression(text, strlen(text), (sql_pos){0, 0}, ast, perr, sizeof perr), 0);
  sql_expr *e;
  sql_verror err;
  int rc = sql_validate_expr((*ast)->root, &f->scope, &(*ast)->arena, &e, &err);
  if (rc) fail_msg("%s: %s", text, err.msg);
  return e;
}

static void calc(void **state) {
  fixture *f = *state;
  sql_ast *a1, *a2, *a3, *a4;
  sql_expr *filter = expr(f, "i > 40 AND s LIKE 'H%'", &a1);
  sql_expr *projs[3] = {expr(f, "s", &a2), expr(f, "i * 2", &a3), expr(f, "ts", &a4)};
  const char *names[3] = {"s", "twice", "ts"};
  uint8_t *prog;
  size_t len;
  spate_schema *os;
  sql_verror err;
  assert_int_equal(
      sql_compile_calc(f->in, false, NULL, filter, projs, names, 3, &prog, &len, &os, &err), 0);
  char *txt = schema_to_string(os);
  assert_string_equal(txt, "s STRING, twice INT, ts TIMESTAMP(3)");
  sp_free(txt);
  sqlp_program *p;
  char derr[256];
  assert_int_equal(sqlp_decode(prog, len, &p, derr, sizeof derr), 0);
  /* bare columns of the output's type are copies (a fixed-width one's specialized) */
  int copies = 0;
  for (uint32_t k = 0; k < p->nins; k++)
    copies += p->ins[k].op == SQLP_COPY || p->ins[k].op == SQLP_X_COPY_SLOT;
  assert_int_equal(copies, 2);
  spate_row_builder *b = spate_rb_new(os);
  assert_int_equal(sqlp_eval(p, &f->row, 0, b), 1);
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  sp_strbuf sb = {0};
  assert_int_equal(row_format(&sb, &r, os), 0);
  assert_string_equal(sb.data, "(Hello World,84,2024-01-02T03:04:05.678)");
  sp_strbuf_free(&sb);
  /* a row the filter drops: all NULL */
  spate_row_builder *nb = spate_rb_new(f->in);
  spate_rb_begin(nb);
  spate_row nr;
  assert_int_equal(spate_rb_finish(nb, &nr), 0);
  assert_int_equal(sqlp_eval(p, &nr, 0, b), 0);
  spate_rb_free(nb);
  spate_rb_free(b);
  sqlp_free(p);
  /* every truncation of the program is refused, with a message */
  for (size_t cut = 0; cut < len; cut++) {
    derr[0] = 0;
    assert_int_equal(sqlp_decode(prog, cut, &p, derr, sizeof derr), SPATE_ECORRUPT);
    assert_true(derr[0] != 0);
  }
  sp_free(prog);
  schema_unref(os);
  sql_ast_free(a1);
  sql_ast_free(a2);
  sql_ast_free(a3);
  sql_ast_free(a4);
}

static void updating(void **state) {
  fixture *f = *state;
  (void)f;
  spate_schema *in;
  char err[256];
  assert_int_equal(spate_schema_parse("a INT, `$row_kind` TINYINT NOT NULL", &in, err, sizeof err),
                   0);
  sql_scope_column cols[1];
  sql_arena arena = {0};
  sql_type t = {.kind = SQL_T_INT, .nullable = true};
  cols[0].name = "a";
  cols[0].type = &t;
  sql_scope scope = {cols, 1, NULL};
  sql_ast *ast;
  char perr[256];
  assert_int_equal(sql_parse_expression("a + 1", 5, (sql_pos){0, 0}, &ast, perr, sizeof perr), 0);
  sql_expr *e;
  sql_verror verr;
  assert_int_equal(sql_validate_expr(ast->root, &scope, &ast->arena, &e, &verr), 0);
  const char *name = "b";
  uint8_t *prog;
  size_t len;
  spate_schema *os;
  assert_int_equal(sql_compile_calc(in, true, NULL, NULL, &e, &name, 1, &prog, &len, &os, &verr),
                   0);
  char *txt = schema_to_string(os);
  assert_string_equal(txt, "b INT, `$row_kind` TINYINT NOT NULL");
  sp_free(txt);
  sqlp_program *p;
  assert_int_equal(sqlp_decode(prog, len, &p, err, sizeof err), 0);
  spate_row_builder *ib = spate_rb_new(in), *ob = spate_rb_new(os);
  spate_rb_begin(ib);
  spate_rb_set_int(ib, 0, 5);
  spate_rb_set_tinyint(ib, 1, 3); /* -D */
  spate_row r;
  assert_int_equal(spate_rb_finish(ib, &r), 0);
  assert_int_equal(sqlp_eval(p, &r, 0, ob), 1);
  assert_int_equal(spate_rb_finish(ob, &r), 0);
  assert_int_equal(spate_row_int(&r, 0), 6);
  assert_int_equal(spate_row_tinyint(&r, 1), 3);
  spate_rb_free(ib);
  spate_rb_free(ob);
  sqlp_free(p);
  sp_free(prog);
  schema_unref(os);
  schema_unref(in);
  sql_ast_free(ast);
  sql_arena_free(&arena);
}

static void constants(void **state) {
  fixture *f = *state;
  sql_ast *a1, *a2, *a3;
  sql_expr *es[3] = {expr(f, "1 + 2", &a1), expr(f, "UPPER('abc') || 'd'", &a2),
                     expr(f, "CAST('2024-01-01' AS DATE) + INTERVAL '1' DAY", &a3)};
  const char *names[3] = {"a", "b", "c"};
  spate_schema *s;
  uint8_t *row;
  size_t len;
  sql_verror err;
  assert_int_equal(sql_eval_constant_row(es, names, 3, NULL, 0, &s, &row, &len, &err), 0);
  spate_row r = {row, (uint32_t)len, 3};
  sp_strbuf sb = {0};
  assert_int_equal(row_format(&sb, &r, s), 0);
  assert_string_equal(sb.data, "(3,ABCd,2024-01-02)");
  sp_strbuf_free(&sb);
  sp_free(row);
  schema_unref(s);
  /* a failing constant fails with its message */
  sql_ast *a4;
  sql_expr *bad = expr(f, "CAST('x' AS INT)", &a4);
  assert_int_equal(sql_eval_constant_row(&bad, names, 1, NULL, 0, &s, &row, &len, &err),
                   SPATE_EINVAL);
  assert_non_null(strstr(err.msg, "Could not cast 'x' to INT"));
  /* folding: a literal-only subtree is one constant in a calc */
  const char *n1 = "r";
  uint8_t *prog;
  spate_schema *os;
  assert_int_equal(
      sql_compile_calc(f->in, false, NULL, NULL, &es[1], &n1, 1, &prog, &len, &os, &err), 0);
  sqlp_program *p;
  char derr[256];
  assert_int_equal(sqlp_decode_generic(prog, len, &p, derr, sizeof derr), 0);
  assert_int_equal(p->nins, 2); /* CONST, OUT */
  sqlp_free(p);
  /* specialized, the constant is loaded once into its register: OUT alone */
  assert_int_equal(sqlp_decode(prog, len, &p, derr, sizeof derr), 0);
  assert_int_equal(p->nins, 1);
  sqlp_free(p);
  sp_free(prog);
  schema_unref(os);
  /* ... but not when it fails: that is left to run time */
  assert_int_equal(sql_compile_calc(f->in, false, NULL, NULL, &bad, &n1, 1, &prog, &len, &os, &err),
                   0);
  sp_free(prog);
  schema_unref(os);
  sql_ast_free(a1);
  sql_ast_free(a2);
  sql_ast_free(a3);
  sql_ast_free(a4);
}

/* Random expressions over the fixture's columns (a fixed-seed generator over a grammar of
 * operators, functions and casts): whatever validates compiles or is refused with a message,
 * and whatever compiles evaluates over the row and over a row of NULLs to a value or an error
 * with a message, without a sanitizer report. */
static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static unsigned rnd(unsigned n) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (unsigned)(rng_state % n);
}

/* Appends pre, arg, post. */
static void add3(sp_strbuf *sb, const char *pre, const char *arg, const char *post) {
  sp_strbuf_add(sb, pre);
  sp_strbuf_add(sb, arg);
  sp_strbuf_add(sb, post);
}

static void gen(sp_strbuf *sb, int depth) {
  static const char *const leaves[] = {"i",
                                       "n",
                                       "ti",
                                       "si",
                                       "im",
                                       "b",
                                       "f",
                                       "d",
                                       "d10_2",
                                       "d5_1",
                                       "d38",
                                       "s",
                                       "sn",
                                       "u",
                                       "dt",
                                       "tm",
                                       "ts",
                                       "ts6",
                                       "ltz",
                                       "x",
                                       "xn",
                                       "c",
                                       "v",
                                       "1",
                                       "-7",
                                       "0",
                                       "2.5",
                                       "1e3",
                                       "'a%b'",
                                       "'2024-01-02'",
                                       "'12'",
                                       "NULL",
                                       "TRUE",
                                       "DATE '2024-02-29'",
                                       "TIMESTAMP '2024-01-01 10:00:00'",
                                       "INTERVAL '2' HOUR",
                                       "INTERVAL '1' MONTH",
                                       "CURRENT_TIMESTAMP"};
  static const char *const bin[] = {
      "+", "-", "*", "/", "%", "=", "<>", "<", ">=", "AND", "OR", "||", "IS DISTINCT FROM"};
  static const char *const fn1[] = {"UPPER",   "LOWER", "CHAR_LENGTH", "ABS",  "SIGN",
                                    "SQRT",    "LN",    "FLOOR",       "CEIL", "ROUND",
                                    "INITCAP", "LTRIM", "NOT"};
  static const char *const fn2[] = {"CONCAT", "COALESCE",    "NULLIF",      "IFNULL",
                                    "POWER",  "MOD",         "REGEXP",      "POSITION",
                                    "ROUND",  "DATE_FORMAT", "SPLIT_INDEX", "JSON_VALUE"};
  static const char *const types[] = {
      "INT",          "BIGINT",        "TINYINT",         "DOUBLE",  "FLOAT",
      "STRING",       "DECIMAL(5, 2)", "DECIMAL(38, 10)", "BOOLEAN", "DATE",
      "TIMESTAMP(3)", "TIME",          "TIMESTAMP_LTZ(6)"};
  if (depth <= 0 || rnd(4) == 0) {
    sp_strbuf_add(sb, leaves[rnd(sizeof leaves / sizeof *leaves)]);
    return;
  }
  switch (rnd(9)) {
  case 0:
  case 1:
    sp_strbuf_add(sb, "(");
    gen(sb, depth - 1);
    add3(sb, " ", bin[rnd(sizeof bin / sizeof *bin)], " ");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, ")");
    break;
  case 2:
    add3(sb, "", fn1[rnd(sizeof fn1 / sizeof *fn1)], "(");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, ")");
    break;
  case 3:
    add3(sb, "", fn2[rnd(sizeof fn2 / sizeof *fn2)], "(");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, ", ");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, ")");
    break;
  case 4:
    add3(sb, "", rnd(2) ? "CAST" : "TRY_CAST", "(");
    gen(sb, depth - 1);
    add3(sb, " AS ", types[rnd(sizeof types / sizeof *types)], ")");
    break;
  case 5:
    sp_strbuf_add(sb, "CASE WHEN ");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, " THEN ");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, " ELSE ");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, " END");
    break;
  case 6:
    gen(sb, depth - 1);
    sp_strbuf_add(sb, rnd(2) ? " BETWEEN " : " NOT BETWEEN SYMMETRIC ");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, " AND ");
    gen(sb, depth - 1);
    break;
  case 7:
    gen(sb, depth - 1);
    sp_strbuf_add(sb, rnd(2) ? " IN (" : " LIKE ");
    gen(sb, depth - 1);
    break;
  default:
    add3(sb, "", rnd(2) ? "SUBSTRING" : "LPAD", "(");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, ", ");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, ", ");
    gen(sb, depth - 1);
    sp_strbuf_add(sb, ")");
    break;
  }
}

static void random_expressions(void **state) {
  fixture *f = *state;
  int validated = 0, evaluated = 0;
  spate_row_builder *nb = spate_rb_new(f->in);
  spate_rb_begin(nb);
  spate_row nulls;
  assert_int_equal(spate_rb_finish(nb, &nulls), 0);
  for (int k = 0; k < 3000; k++) {
    sp_strbuf sb = {0};
    gen(&sb, 1 + (int)rnd(4));
    /* an unclosed IN list from the generator: close it */
    int open = 0;
    for (size_t j = 0; j < sb.len; j++) open += sb.data[j] == '(' ? 1 : sb.data[j] == ')' ? -1 : 0;
    while (open-- > 0) sp_strbuf_add(&sb, ")");
    char perr[512];
    sql_ast *ast;
    if (sql_parse_expression(sb.data, sb.len, (sql_pos){0, 0}, &ast, perr, sizeof perr)) {
      sp_strbuf_free(&sb);
      continue;
    }
    sql_expr *e;
    sql_verror err;
    if (sql_validate_expr(ast->root, &f->scope, &ast->arena, &e, &err) == 0 && !e->aggregate) {
      validated++;
      uint8_t *prog;
      size_t len;
      spate_schema *os;
      const char *name = "r";
      int rc = sql_compile_calc(f->in, false, "+05:30", e, &e, &name, 1, &prog, &len, &os, &err);
      if (rc == 0 && e->type->kind != SQL_T_BOOLEAN) {
        /* not usable as a filter: compile it as a projection only */
        sp_free(prog);
        schema_unref(os);
        rc = -1;
      }
      if (rc != 0)
        rc = sql_compile_calc(f->in, false, "+05:30", NULL, &e, &name, 1, &prog, &len, &os, &err);
      if (rc) {
        if (err.msg[0] == 0) fail_msg("%s: refused without a message", sb.data);
      } else {
        sqlp_program *p;
        char derr[256];
        if (sqlp_decode(prog, len, &p, derr, sizeof derr)) fail_msg("%s: %s", sb.data, derr);
        spate_row_builder *b = spate_rb_new(os);
        for (int pass = 0; pass < 2; pass++) {
          p->err[0] = 0;
          rc = sqlp_eval(p, pass ? &nulls : &f->row, NOW_MS, b);
          if (rc < 0 && p->err[0] == 0) fail_msg("%s: failed without a message", sb.data);
          if (rc == 1) {
            spate_row r;
            if (spate_rb_finish(b, &r) == 0) evaluated++;
          }
        }
        spate_rb_free(b);
        sqlp_free(p);
        sp_free(prog);
        schema_unref(os);
      }
    }
    sql_ast_free(ast);
    sp_strbuf_free(&sb);
  }
  spate_rb_free(nb);
  print_message("random expressions: %d validated, %d evaluations built a row\n", validated,
                evaluated);
  assert_true(validated > 300);
  assert_true(evaluated > 300);
}

/* OP_SQL_CALC in a job: the program as the node's parameter, records in, projected records
 * out with their timestamps, the harness's clock as processing time, and a failure naming the
 * operator. */
static void calc_operator(void **state) {
  (void)state;
  spate_env *env = spate_env_create();
  const spate_schema *in = spate_env_schema(env, "i INT, s STRING");
  sql_arena arena = {0};
  sql_type ti = {.kind = SQL_T_INT, .nullable = true};
  sql_type ts = {.kind = SQL_T_VARCHAR, .nullable = true, .length = SQL_MAX_LENGTH};
  sql_scope_column cols[2] = {{"i", &ti, NULL}, {"s", &ts, NULL}};
  sql_scope scope = {cols, 2, NULL};
  const char *texts[4] = {"10 / i > 1", "UPPER(s)", "i + 1", "CURRENT_TIMESTAMP"};
  sql_ast *asts[4];
  sql_expr *es[4];
  for (int k = 0; k < 4; k++) {
    char perr[256];
    sql_verror verr;
    assert_int_equal(sql_parse_expression(texts[k], strlen(texts[k]), (sql_pos){0, 0}, &asts[k],
                                          perr, sizeof perr),
                     0);
    assert_int_equal(sql_validate_expr(asts[k]->root, &scope, &asts[k]->arena, &es[k], &verr), 0);
  }
  const char *names[3] = {"u", "j", "now"};
  uint8_t *prog;
  size_t len;
  spate_schema *out;
  sql_verror err;
  assert_int_equal(
      sql_compile_calc(in, false, NULL, es[0], es + 1, names, 3, &prog, &len, &out, &err), 0);
  spate_stream *src = spate_from_rows(env, in, NULL, 0);
  spate_stream *calc = api_one_input(src, OP_SQL_CALC, "sql", "Calc", NULL, out);
  assert_non_null(calc);
  op_blob blob = {prog, (uint32_t)len};
  op_sql_calc_params prm = {.program = {1, &blob}};
  assert_true(api_set_params(env, calc->node, &prm));
  harness h;
  assert_int_equal(harness_open(&h, env, calc), 0);
  spate_row_builder *b = spate_rb_new(in);
  spate_row r;
  spate_rb_begin(b);
  spate_rb_set_int(b, 0, 2);
  spate_rb_set_string(b, 1, "ab", 2);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_int_equal(harness_element(&h, 0, 77, &r), 0);
  spate_rb_begin(b);
  spate_rb_set_int(b, 0, 20); /* 10 / 20 = 0: filtered out */
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_int_equal(harness_element(&h, 0, 78, &r), 0);
  assert_int_equal(harness_processing_time(&h, 5000), 0);
  spate_rb_begin(b);
  spate_rb_set_int(b, 0, 1);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_int_equal(harness_element(&h, 0, 79, &r), 0);
  assert_int_equal(h.nevents, 2);
  assert_int_equal(h.events[0].ts, 77);
  sp_strbuf sb = {0};
  assert_int_equal(row_format(&sb, &h.events[0].row, out), 0);
  assert_string_equal(sb.data, "(AB,3,1970-01-01T00:00:00Z)");
  sp_strbuf_free(&sb);
  assert_int_equal(h.events[1].ts, 79);
  assert_int_equal(row_format(&sb, &h.events[1].row, out), 0);
  assert_string_equal(sb.data, "(null,2,1970-01-01T00:00:05Z)");
  sp_strbuf_free(&sb);
  /* integer division by zero fails the task, naming the operator */
  spate_rb_begin(b);
  spate_rb_set_int(b, 0, 0);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_true(harness_element(&h, 0, 80, &r) < 0);
  assert_non_null(strstr(h.err, "/ by zero"));
  assert_non_null(strstr(h.err, "Calc"));
  harness_close(&h);
  spate_rb_free(b);
  sp_free(prog);
  schema_unref(out);
  for (int k = 0; k < 4; k++) sql_ast_free(asts[k]);
  sql_arena_free(&arena);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(scalars, setup, teardown),
      cmocka_unit_test_setup_teardown(casts, setup, teardown),
      cmocka_unit_test_setup_teardown(strings, setup, teardown),
      cmocka_unit_test_setup_teardown(temporal, setup, teardown),
      cmocka_unit_test_setup_teardown(refused, setup, teardown),
      cmocka_unit_test_setup_teardown(calc, setup, teardown),
      cmocka_unit_test_setup_teardown(updating, setup, teardown),
      cmocka_unit_test_setup_teardown(constants, setup, teardown),
      cmocka_unit_test(calc_operator),
      cmocka_unit_test_setup_teardown(random_expressions, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
