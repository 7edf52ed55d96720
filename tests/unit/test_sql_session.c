/*
 * test_sql_session.c: the SQL session's statements that need no planner: SET and RESET over the
 * configuration, the catalog's DDL (CREATE/DROP/ALTER TABLE and VIEW, CREATE/DROP FUNCTION) with
 * Flink's checks and messages, SHOW, DESCRIBE and SHOW CREATE TABLE, parse errors with their
 * positions, and the refusal of what needs the planner.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/config.h"
#include "sql/sql_session.h"

typedef struct fixture {
  sp_config *base;
  sql_session *s;
  sql_result r;
  sql_error_kind kind;
  sp_strbuf err;
} fixture;

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

/* Runs one statement, keeping its result or error in the fixture. */
static int run(fixture *f, const char *sql) {
  sql_result_free(&f->r);
  f->err.len = 0;
  if (f->err.data) f->err.data[0] = 0;
  return sql_session_execute(f->s, sql, strlen(sql), 1, 1, &f->r, &f->kind, &f->err);
}

static void ok(fixture *f, const char *sql) {
  int rc = run(f, sql);
  if (rc) fail_msg("%s\n-> %s: %s", sql, sql_error_kind_name(f->kind), f->err.data);
}

static void fails(fixture *f, const char *sql, sql_error_kind kind, const char *message) {
  assert_int_not_equal(run(f, sql), 0);
  if (f->kind != kind || !strstr(f->err.data, message))
    fail_msg("%s\n-> %s: %s\nexpected %s containing: %s", sql, sql_error_kind_name(f->kind),
             f->err.data, sql_error_kind_name(kind), message);
}

static const char *cell(fixture *f, int64_t row, int col) {
  assert_int_equal(f->r.kind, SQL_RESULT_TABLE);
  assert_true(row < f->r.nrows);
  assert_true(col < f->r.ncols);
  return f->r.rows[row][col];
}

static const char *ORDERS =
    "CREATE TABLE orders (\n"
    "  order_id BIGINT,\n"
    "  price DECIMAL(10, 2) NOT NULL COMMENT 'in euros',\n"
    "  buyer STRING,\n"
    "  ts TIMESTAMP(3),\n"
    "  ptime AS PROCTIME(),\n"
    "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,\n"
    "  PRIMARY KEY (order_id) NOT ENFORCED\n"
    ") WITH ('connector' = 'datagen', 'rows-per-second' = '10')";

static void create_and_describe(void **state) {
  fixture *f = *state;
  ok(f, ORDERS);
  assert_int_equal(f->r.kind, SQL_RESULT_INFO);
  assert_string_equal(f->r.message, "Execute statement succeeded.");
  ok(f, "DESCRIBE orders");
  assert_int_equal(f->r.ncols, 6);
  assert_string_equal(f->r.names[0], "name");
  assert_string_equal(f->r.names[5], "watermark");
  assert_int_equal(f->r.nrows, 5);
  /* the primary key's column is NOT NULL and carries the key */
  assert_string_equal(cell(f, 0, 0), "order_id");
  assert_string_equal(cell(f, 0, 1), "BIGINT");
  assert_string_equal(cell(f, 0, 2), "FALSE");
  assert_string_equal(cell(f, 0, 3), "PRI(order_id)");
  assert_string_equal(cell(f, 1, 1), "DECIMAL(10, 2)");
  assert_string_equal(cell(f, 1, 2), "FALSE");
  assert_string_equal(cell(f, 1, 3), "");
  assert_string_equal(cell(f, 2, 1), "STRING");
  assert_string_equal(cell(f, 2, 2), "TRUE");
  /* the event-time attribute and its watermark */
  assert_string_equal(cell(f, 3, 1), "TIMESTAMP(3) *ROWTIME*");
  assert_non_null(strstr(cell(f, 3, 5), "INTERVAL '5' SECOND"));
  assert_string_equal(cell(f, 2, 5), "");
  /* the processing-time attribute, a computed column */
  assert_string_equal(cell(f, 4, 1), "TIMESTAMP_LTZ(3) *PROCTIME*");
  assert_string_equal(cell(f, 4, 2), "FALSE");
  assert_string_equal(cell(f, 4, 4), "AS PROCTIME()");
  /* the same under its full name */
  ok(f, "DESCRIBE default_catalog.default_database.orders");
  assert_int_equal(f->r.nrows, 5);
}

/* DESCRIBE shows the type the validator derives for any computed column. */
static void computed_columns(void **state) {
  fixture *f = *state;
  ok(f,
     "CREATE TABLE t (\n"
     "  a INT NOT NULL, b BIGINT, p DECIMAL(10, 2), s STRING, ts TIMESTAMP(3),\n"
     "  m STRING METADATA FROM 'topic',\n"
     "  c1 AS a + b, c2 AS p * 2, c3 AS UPPER(s) || m, c4 AS a / 2,\n"
     "  c5 AS CASE WHEN a > 0 THEN p ELSE 0 END, c6 AS ts + INTERVAL '1' HOUR,\n"
     "  c7 AS CHAR_LENGTH(s), c8 AS TRY_CAST(s AS INT), c9 AS a = 1,\n"
     "  c10 AS TO_TIMESTAMP_LTZ(b, 3),\n"
     "  WATERMARK FOR c6 AS c6 - INTERVAL '1' SECOND\n"
     ") WITH ()");
  ok(f, "DESCRIBE t");
  static const char *const want[][3] = {
      {"c1", "BIGINT", "TRUE"},
      {"c2", "DECIMAL(21, 2)", "TRUE"},
      {"c3", "STRING", "TRUE"},
      {"c4", "INT", "FALSE"},
      {"c5", "DECIMAL(12, 2)", "TRUE"},
      {"c6", "TIMESTAMP(3) *ROWTIME*", "TRUE"},
      {"c7", "INT", "TRUE"},
      {"c8", "INT", "TRUE"},
      {"c9", "BOOLEAN", "FALSE"},
      {"c10", "TIMESTAMP_LTZ(3)", "TRUE"},
  };
  assert_int_equal(f->r.nrows, 16);
  for (int k = 0; k < 10; k++) {
    assert_string_equal(cell(f, 6 + k, 0), want[k][0]);
    assert_string_equal(cell(f, 6 + k, 1), want[k][1]);
    assert_string_equal(cell(f, 6 + k, 2), want[k][2]);
  }
}

static void create_errors(void **state) {
  fixture *f = *state;
  ok(f, ORDERS);
  fails(f, ORDERS, SQL_ERR_VALIDATION,
        "Table (or view) default_database.orders already exists in Catalog default_catalog.");
  ok(f, "CREATE TABLE IF NOT EXISTS orders (x INT) WITH ('connector' = 'datagen')");
  ok(f, "DESCRIBE orders"); /* still the first definition */
  assert_int_equal(f->r.nrows, 5);
  fails(f, "CREATE TABLE t (a INT, b STRING, a BIGINT) WITH ()", SQL_ERR_VALIDATION,
        "Schema must not contain duplicate column names. Found duplicates: [a]");
  fails(f, "CREATE TABLE t (a INT, WATERMARK FOR ts AS ts) WITH ()", SQL_ERR_VALIDATION,
        "Invalid column name 'ts' for rowtime attribute in watermark declaration. Available "
        "columns are: [a]");
  fails(f, "CREATE TABLE t (a BIGINT, WATERMARK FOR a AS a) WITH ()", SQL_ERR_VALIDATION,
        "but the time field type is BIGINT");
  fails(f, "CREATE TABLE t (ts TIMESTAMP(6), WATERMARK FOR ts AS ts) WITH ()", SQL_ERR_VALIDATION,
        "but the time field type is TIMESTAMP(6)");
  fails(f, "CREATE TABLE t (a INT, PRIMARY KEY (b) NOT ENFORCED) WITH ()", SQL_ERR_VALIDATION,
        "Column 'b' does not exist.");
  fails(f, "CREATE TABLE t (a INT, b AS a, PRIMARY KEY (b) NOT ENFORCED) WITH ()",
        SQL_ERR_VALIDATION, "A PRIMARY KEY constraint must be declared on physical columns.");
  fails(f, "CREATE TABLE t (a INT PRIMARY KEY) WITH ()", SQL_ERR_VALIDATION,
        "the only supported mode is the NOT ENFORCED mode");
  fails(f, "CREATE TABLE t (a DECIMAL(40, 2)) WITH ()", SQL_ERR_VALIDATION,
        "Decimal precision must be between 1 and 38 (both inclusive).");
  fails(f, "CREATE TABLE t (a TIMESTAMP(3), b AS a + 1) WITH ()", SQL_ERR_VALIDATION,
        "At line 1, column 38: Cannot apply '+' to arguments of type '<TIMESTAMP(3)> + "
        "<INTEGER>'. Supported form(s): '<NUMERIC> + <NUMERIC>'");
  /* a computed column sees physical and metadata columns only, as in Flink */
  fails(f, "CREATE TABLE t (a INT, b AS a + 1, c AS b * 2) WITH ()", SQL_ERR_VALIDATION,
        "At line 1, column 41: Column 'b' not found in any table");
  fails(f, "CREATE TABLE t (a BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS a) WITH ()",
        SQL_ERR_VALIDATION,
        "Invalid data type of expression for watermark definition. The field must be of type "
        "TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the "
        "watermark expression type is BIGINT");
  fails(f, "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - 5) WITH ()",
        SQL_ERR_VALIDATION, "Cannot apply '-' to arguments of type '<TIMESTAMP(3)> - <INTEGER>'");
  fails(f, "CREATE TABLE other_catalog.db.t (a INT) WITH ()", SQL_ERR_VALIDATION,
        "A catalog with name [other_catalog] does not exist.");
  /* nothing of the failed statements stayed behind */
  ok(f, "SHOW TABLES");
  assert_int_equal(f->r.nrows, 1);
  assert_string_equal(cell(f, 0, 0), "orders");
}

static void show_and_drop(void **state) {
  fixture *f = *state;
  ok(f, "CREATE TABLE b_table (x INT) WITH ('connector' = 'datagen')");
  ok(f, "CREATE TEMPORARY TABLE a_table (x INT) WITH ('connector' = 'datagen')");
  ok(f, "CREATE VIEW c_view AS SELECT x FROM b_table");
  ok(f, "SHOW TABLES");
  assert_string_equal(f->r.names[0], "table name");
  assert_int_equal(f->r.nrows, 3); /* tables and views, sorted */
  assert_string_equal(cell(f, 0, 0), "a_table");
  assert_string_equal(cell(f, 1, 0), "b_table");
  assert_string_equal(cell(f, 2, 0), "c_view");
  ok(f, "SHOW VIEWS");
  assert_string_equal(f->r.names[0], "view name");
  assert_int_equal(f->r.nrows, 1);
  ok(f, "SHOW TABLES LIKE '%_table'");
  assert_int_equal(f->r.nrows, 2);
  ok(f, "SHOW TABLES NOT LIKE 'a%'");
  assert_int_equal(f->r.nrows, 2);
  assert_string_equal(cell(f, 0, 0), "b_table");
  ok(f, "SHOW CATALOGS");
  assert_string_equal(cell(f, 0, 0), "default_catalog");
  ok(f, "SHOW CURRENT DATABASE");
  assert_string_equal(cell(f, 0, 0), "default_database");
  fails(f, "DROP TABLE c_view", SQL_ERR_VALIDATION,
        "Table with identifier 'default_catalog.default_database.c_view' does not exist.");
  ok(f, "DROP VIEW c_view");
  ok(f, "DROP TABLE b_table");
  fails(f, "DROP TABLE b_table", SQL_ERR_VALIDATION,
        "Table with identifier 'default_catalog.default_database.b_table' does not exist.");
  ok(f, "DROP TABLE IF EXISTS b_table");
  ok(f, "DROP TEMPORARY TABLE a_table");
  ok(f, "SHOW TABLES");
  assert_int_equal(f->r.nrows, 0);
  fails(f, "DESCRIBE nothing", SQL_ERR_VALIDATION, "doesn't exist");
}

static void alter_and_show_create(void **state) {
  fixture *f = *state;
  ok(f, ORDERS);
  ok(f, "ALTER TABLE orders SET ('rows-per-second' = '100', 'number-of-rows' = '5')");
  ok(f, "ALTER TABLE orders RESET ('number-of-rows')");
  ok(f, "SHOW CREATE TABLE orders");
  assert_int_equal(f->r.kind, SQL_RESULT_TEXT);
  const char *text = f->r.message;
  assert_non_null(strstr(text, "CREATE TABLE `default_catalog`.`default_database`.`orders` (\n"));
  assert_non_null(strstr(text, "  `order_id` BIGINT NOT NULL,\n"));
  assert_non_null(strstr(text, "  `price` DECIMAL(10, 2) NOT NULL COMMENT 'in euros',\n"));
  assert_non_null(strstr(text, "  `ptime` AS PROCTIME(),\n"));
  assert_non_null(strstr(text, "  WATERMARK FOR `ts` AS "));
  assert_non_null(
      strstr(text, "  CONSTRAINT `PK_order_id` PRIMARY KEY (`order_id`) NOT ENFORCED\n"));
  assert_non_null(strstr(text,
                         "NOT ENFORCED\n)\nWITH (\n  'connector' = 'datagen',\n  "
                         "'rows-per-second' = '100'\n)"));
  assert_null(strstr(text, "number-of-rows"));
  fails(f, "ALTER TABLE orders RESET ('connector')", SQL_ERR_VALIDATION, "connector");
  ok(f,
     "CREATE TABLE logs (dt STRING, msg STRING) COMMENT 'app''s logs' PARTITIONED BY (dt) "
     "WITH ('connector' = 'filesystem', 'path' = '/tmp/logs', 'format' = 'csv')");
  ok(f, "SHOW CREATE TABLE logs");
  assert_non_null(strstr(f->r.message,
                         "  `msg` STRING\n)\nCOMMENT 'app''s logs'\nPARTITIONED BY "
                         "(`dt`)\nWITH (\n  'connector' = 'filesystem',\n"));
  fails(f, "CREATE TABLE p (a INT) PARTITIONED BY (b) WITH ()", SQL_ERR_VALIDATION,
        "Partition column 'b' not defined in the table schema. Available columns: ['a']");
  ok(f, "ALTER TABLE orders RENAME TO orders2");
  ok(f, "SHOW TABLES");
  assert_int_equal(f->r.nrows, 2);
  assert_string_equal(cell(f, 0, 0), "logs");
  assert_string_equal(cell(f, 1, 0), "orders2");
  fails(f, "ALTER TABLE orders SET ('a' = 'b')", SQL_ERR_VALIDATION, "doesn't exist");
  ok(f, "ALTER TABLE IF EXISTS orders SET ('a' = 'b')");
}

static void set_and_reset(void **state) {
  fixture *f = *state;
  const sp_config *c = sql_session_config(f->s);
  assert_int_equal(sp_config_duration_ms(c, "table.exec.state.ttl"), 0);
  ok(f, "SET 'table.exec.state.ttl' = '1 h'");
  assert_string_equal(f->r.message, "Execute statement succeeded.");
  assert_null(f->r.warning);
  c = sql_session_config(f->s);
  assert_int_equal(sp_config_duration_ms(c, "table.exec.state.ttl"), 3600000);
  ok(f, "SET 'sql-client.execution.result-mode' = 'tableau'");
  ok(f, "SET 'no.such.key' = 'x'");
  assert_non_null(f->r.warning);
  assert_non_null(strstr(f->r.warning, "'no.such.key' is not a configuration key"));
  ok(f, "SET");
  assert_string_equal(f->r.names[0], "key");
  assert_string_equal(f->r.names[1], "value");
  assert_int_equal(f->r.nrows, 3); /* sorted by key */
  assert_string_equal(cell(f, 0, 0), "no.such.key");
  assert_string_equal(cell(f, 1, 0), "sql-client.execution.result-mode");
  assert_string_equal(cell(f, 2, 0), "table.exec.state.ttl");
  assert_string_equal(cell(f, 2, 1), "1 h");
  fails(f, "SET 'table.exec.state.ttl' = 'soon'", SQL_ERR_VALIDATION, "table.exec.state.ttl");
  ok(f, "RESET 'table.exec.state.ttl'");
  c = sql_session_config(f->s);
  assert_int_equal(sp_config_duration_ms(c, "table.exec.state.ttl"), 0);
  ok(f, "RESET");
  ok(f, "SET");
  assert_int_equal(f->r.nrows, 0);
}

static void errors_and_commands(void **state) {
  fixture *f = *state;
  fails(f, "SELECT * FORM orders", SQL_ERR_PARSE,
        "SQL parse failed. Encountered \"FORM\" at line 1, column 10.");
  /* positions count from where the statement starts in its script */
  sql_result_free(&f->r);
  f->err.len = 0;
  const char *sql = "SELEC 1";
  assert_int_not_equal(sql_session_execute(f->s, sql, strlen(sql), 7, 3, &f->r, &f->kind, &f->err),
                       0);
  assert_non_null(strstr(f->err.data, "at line 7, column 3."));
  ok(f, "CREATE TABLE t (a INT) WITH ('connector' = 'datagen')");
  fails(f, "SELECT nope FROM t", SQL_ERR_VALIDATION,
        "SQL validation failed. At line 1, column 8: Column 'nope' not found in any table");
  fails(f, "INSERT INTO nope SELECT a FROM t", SQL_ERR_VALIDATION, "Object 'nope' not found");
  fails(f, "SELECT a FROM t ORDER BY a", SQL_ERR_TABLE,
        "Sort on a non-time-attribute field is not supported.");
  ok(f, "QUIT");
  assert_int_equal(f->r.kind, SQL_RESULT_QUIT);
  ok(f, "HELP");
  assert_int_equal(f->r.kind, SQL_RESULT_HELP);
  ok(f, "USE CATALOG default_catalog");
  fails(f, "USE other_db", SQL_ERR_VALIDATION, "A database with name [other_db] does not exist");
}

/* CREATE FUNCTION loads the library: the test functions' (tests/udf/test_functions.c). */
static void functions(void **state) {
  fixture *f = *state;
  const char *build = getenv("SPATE_BUILD_DIR");
  char sql[1024];
  snprintf(sql, sizeof sql,
           "CREATE FUNCTION my_upper AS 'shout' LANGUAGE C USING JAR "
           "'%s/tests/libspate_test_udfs.so'",
           build ? build : "build");
  ok(f, sql);
  fails(f, "CREATE FUNCTION other AS 'shout' LANGUAGE C USING JAR '/nonexistent/libudf.so'",
        SQL_ERR_VALIDATION,
        "Function 'other': cannot load the library '/nonexistent/libudf.so': No such file or "
        "directory");
  snprintf(sql, sizeof sql,
           "CREATE FUNCTION other AS 'no_such_symbol' LANGUAGE C USING JAR "
           "'%s/tests/libspate_test_udfs.so'",
           build ? build : "build");
  fails(f, sql, SQL_ERR_VALIDATION, "has no symbol 'no_such_symbol'");
  ok(f, "CREATE TEMPORARY FUNCTION IF NOT EXISTS my_upper AS 'other' LANGUAGE C");
  fails(f, "CREATE FUNCTION my_upper AS 'x' LANGUAGE C", SQL_ERR_VALIDATION, "already exists");
  fails(f, "CREATE FUNCTION j AS 'com.example.J' LANGUAGE JAVA", SQL_ERR_VALIDATION,
        "not LANGUAGE JAVA");
  ok(f, "SHOW USER FUNCTIONS");
  assert_int_equal(f->r.nrows, 1);
  assert_string_equal(cell(f, 0, 0), "my_upper");
  ok(f, "DROP FUNCTION my_upper");
  fails(f, "DROP FUNCTION my_upper", SQL_ERR_VALIDATION, "does not exist");
  ok(f, "DROP FUNCTION IF EXISTS my_upper");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(create_and_describe, setup, teardown),
      cmocka_unit_test_setup_teardown(create_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(computed_columns, setup, teardown),
      cmocka_unit_test_setup_teardown(show_and_drop, setup, teardown),
      cmocka_unit_test_setup_teardown(alter_and_show_create, setup, teardown),
      cmocka_unit_test_setup_teardown(set_and_reset, setup, teardown),
      cmocka_unit_test_setup_teardown(errors_and_commands, setup, teardown),
      cmocka_unit_test_setup_teardown(functions, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
