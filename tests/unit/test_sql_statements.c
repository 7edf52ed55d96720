/*
 * test_sql_statements.c: the SQL parser's statements (src/sql/sql_parse_stmt.c): CREATE TABLE
 * with every column kind and type, views, functions, DROP, ALTER, INSERT, statement sets,
 * EXECUTE, EXPLAIN and the SQL client's statements, each checked by its canonical text (which
 * must parse back to itself) and, for CREATE TABLE, by the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "sql/sql_parser.h"

static sql_ast *parse_ok(const char *sql) {
  sql_ast *ast = NULL;
  char err[2048];
  int rc = sql_parse_statement(sql, strlen(sql), (sql_pos){1, 1}, &ast, err, sizeof err);
  if (rc) fail_msg("parse of [%s] failed: %s", sql, err);
  return ast;
}

static void check_canonical(const char *sql, const char *want) {
  sql_ast *ast = parse_ok(sql);
  sp_strbuf sb = {0};
  assert_int_equal(sql_unparse(ast->root, &sb), 0);
  if (strcmp(sb.data, want) != 0) fail_msg("[%s]\n  gave [%s]\n  want [%s]", sql, sb.data, want);
  sql_ast *again = parse_ok(sb.data);
  sp_strbuf sb2 = {0};
  assert_int_equal(sql_unparse(again->root, &sb2), 0);
  assert_string_equal(sb2.data, sb.data);
  sp_strbuf_free(&sb2);
  sp_strbuf_free(&sb);
  sql_ast_free(again);
  sql_ast_free(ast);
}

static const char *const full_table =
    "CREATE TEMPORARY TABLE IF NOT EXISTS cat.db.orders (\n"
    "  id BIGINT NOT NULL COMMENT 'the id',\n"
    "  b BOOLEAN, ti TINYINT, si SMALLINT, i INTEGER, f FLOAT, r REAL, d DOUBLE,\n"
    "  price DECIMAL(10, 2), c CHAR(3), v VARCHAR(20), s STRING, bi BINARY(4), vb VARBINARY,\n"
    "  byt BYTES, dt DATE, tm TIME(3), ts TIMESTAMP(3), ltz TIMESTAMP_LTZ(3),\n"
    "  iv INTERVAL DAY TO SECOND(3), arr ARRAY<INT NOT NULL>, arr2 STRING ARRAY,\n"
    "  ms MULTISET<STRING>, m MAP<STRING, ARRAY<INT>>, rw ROW<a INT, b STRING 'c'>,\n"
    "  proc AS PROCTIME(),\n"
    "  total AS price * 2 COMMENT 'computed',\n"
    "  off BIGINT METADATA FROM 'offset' VIRTUAL,\n"
    "  `timestamp` TIMESTAMP_LTZ(3) METADATA,\n"
    "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,\n"
    "  CONSTRAINT pk PRIMARY KEY (id, dt) NOT ENFORCED\n"
    ") COMMENT 'orders' PARTITIONED BY (dt) WITH (\n"
    "  'connector' = 'filesystem', 'path' = '/tmp/o', 'format' = 'csv'\n"
    ")";

static void create_table(void **state) {
  (void)state;
  check_canonical(
      full_table,
      "CREATE TEMPORARY TABLE IF NOT EXISTS `cat`.`db`.`orders` (`id` BIGINT NOT NULL COMMENT "
      "'the id', `b` BOOLEAN, `ti` TINYINT, `si` SMALLINT, `i` INT, `f` FLOAT, `r` REAL, `d` "
      "DOUBLE, `price` DECIMAL(10, 2), `c` CHAR(3), `v` VARCHAR(20), `s` STRING, `bi` BINARY(4), "
      "`vb` VARBINARY, `byt` BYTES, `dt` DATE, `tm` TIME(3), `ts` TIMESTAMP(3), `ltz` "
      "TIMESTAMP_LTZ(3), `iv` INTERVAL DAY TO SECOND(3), `arr` ARRAY<INT NOT NULL>, `arr2` "
      "ARRAY<STRING>, `ms` MULTISET<STRING>, `m` MAP<STRING, ARRAY<INT>>, `rw` ROW<`a` INT, `b` "
      "STRING 'c'>, `proc` AS PROCTIME(), `total` AS `price` * 2 COMMENT 'computed', `off` "
      "BIGINT METADATA FROM 'offset' VIRTUAL, `timestamp` TIMESTAMP_LTZ(3) METADATA, WATERMARK "
      "FOR `ts` AS `ts` - INTERVAL '5' SECOND, CONSTRAINT `pk` PRIMARY KEY (`id`, `dt`) NOT "
      "ENFORCED) COMMENT 'orders' PARTITIONED BY (`dt`) WITH ('connector' = 'filesystem', "
      "'path' = '/tmp/o', 'format' = 'csv')");
  /* the tree keeps what the validator needs, with positions */
  sql_ast *ast = parse_ok(full_table);
  const sql_node *ct = ast->root;
  assert_int_equal(ct->kind, SQL_CREATE_TABLE);
  assert_true(ct->u.create_table.temporary);
  assert_true(ct->u.create_table.if_not_exists);
  assert_int_equal(ct->u.create_table.name->u.ident.nparts, 3);
  assert_int_equal(ct->u.create_table.columns.n, 29);
  const sql_node *id = ct->u.create_table.columns.v[0];
  assert_int_equal(id->line, 2);
  assert_int_equal(id->col, 3);
  assert_int_equal(id->u.column.kind, SQL_COLUMN_PHYSICAL);
  assert_int_equal(id->u.column.type->u.type.kind, SQL_T_BIGINT);
  assert_int_equal(id->u.column.type->u.type.nullable, 0);
  assert_string_equal(id->u.column.comment, "the id");
  const sql_node *price = ct->u.create_table.columns.v[8];
  assert_int_equal(price->u.column.type->u.type.kind, SQL_T_DECIMAL);
  assert_int_equal(price->u.column.type->u.type.precision, 10);
  assert_int_equal(price->u.column.type->u.type.scale, 2);
  const sql_node *proc = ct->u.create_table.columns.v[25];
  assert_int_equal(proc->u.column.kind, SQL_COLUMN_COMPUTED);
  assert_int_equal(proc->u.column.expr->kind, SQL_CALL);
  const sql_node *off = ct->u.create_table.columns.v[27];
  assert_int_equal(off->u.column.kind, SQL_COLUMN_METADATA);
  assert_string_equal(off->u.column.metadata_key, "offset");
  assert_true(off->u.column.is_virtual);
  assert_int_equal(ct->u.create_table.watermarks.n, 1);
  const sql_node *wm = ct->u.create_table.watermarks.v[0];
  assert_int_equal(wm->line, 12);
  assert_int_equal(wm->u.watermark.expr->kind, SQL_BINARY);
  const sql_node *pk = ct->u.create_table.constraints.v[0];
  assert_string_equal(pk->u.pk.name.s, "pk");
  assert_int_equal(pk->u.pk.columns.n, 2);
  assert_int_equal(pk->u.pk.enforced, 0);
  assert_int_equal(ct->u.create_table.options.n, 3);
  assert_string_equal(ct->u.create_table.options.v[1]->u.option.key, "path");
  assert_string_equal(ct->u.create_table.options.v[1]->u.option.value, "/tmp/o");
  sql_ast_free(ast);

  check_canonical(
      "CREATE TABLE t (id INT PRIMARY KEY NOT ENFORCED, c INT CONSTRAINT k PRIMARY "
      "KEY NOT ENFORCED)",
      "CREATE TABLE `t` (`id` INT PRIMARY KEY NOT ENFORCED, `c` INT CONSTRAINT `k` "
      "PRIMARY KEY NOT ENFORCED)");
  /* ENFORCED (or nothing) parses; the validator rejects it with Flink's message */
  check_canonical("CREATE TABLE t (a INT, PRIMARY KEY (a))",
                  "CREATE TABLE `t` (`a` INT, PRIMARY KEY (`a`) ENFORCED)");
  check_canonical("CREATE TABLE t2 WITH ('connector' = 'blackhole') AS SELECT * FROM t",
                  "CREATE TABLE `t2` WITH ('connector' = 'blackhole') AS SELECT * FROM `t`");
}

static const char *const statements[][2] = {
    {"CREATE VIEW v (a, b) COMMENT 'v' AS SELECT 1, 2",
     "CREATE VIEW `v` (`a`, `b`) COMMENT 'v' AS SELECT 1, 2"},
    {"create temporary view if not exists v as select * from t where a > 0",
     "CREATE TEMPORARY VIEW IF NOT EXISTS `v` AS SELECT * FROM `t` WHERE `a` > 0"},
    {"CREATE FUNCTION f AS 'com.example.F'", "CREATE FUNCTION `f` AS 'com.example.F'"},
    {"CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS f AS 'sym' LANGUAGE C USING JAR '/x.so', "
     "JAR '/y.so'",
     "CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS `f` AS 'sym' LANGUAGE C USING JAR '/x.so', "
     "JAR '/y.so'"},
    {"CREATE TEMPORARY FUNCTION db.f AS 'x.Y' LANGUAGE JAVA",
     "CREATE TEMPORARY FUNCTION `db`.`f` AS 'x.Y' LANGUAGE JAVA"},
    {"DROP TABLE IF EXISTS cat.db.t", "DROP TABLE IF EXISTS `cat`.`db`.`t`"},
    {"DROP TEMPORARY VIEW IF EXISTS v", "DROP TEMPORARY VIEW IF EXISTS `v`"},
    {"DROP TEMPORARY SYSTEM FUNCTION f", "DROP TEMPORARY SYSTEM FUNCTION `f`"},
    {"DROP FUNCTION IF EXISTS f", "DROP FUNCTION IF EXISTS `f`"},
    {"ALTER TABLE t SET ('a' = 'b', 'c' = 'd')", "ALTER TABLE `t` SET ('a' = 'b', 'c' = 'd')"},
    {"ALTER TABLE IF EXISTS t RESET ('a', 'b')", "ALTER TABLE IF EXISTS `t` RESET ('a', 'b')"},
    {"ALTER TABLE t RENAME TO u", "ALTER TABLE `t` RENAME TO `u`"},
    {"INSERT INTO sink SELECT * FROM src", "INSERT INTO `sink` SELECT * FROM `src`"},
    {"INSERT OVERWRITE t PARTITION (dt = '2020', hr = 10) (a, b) SELECT 1, 2",
     "INSERT OVERWRITE `t` PARTITION (`dt` = '2020', `hr` = 10) (`a`, `b`) SELECT 1, 2"},
    {"INSERT INTO t VALUES (1, 'a'), (2, 'b')", "INSERT INTO `t` VALUES (1, 'a'), (2, 'b')"},
    {"INSERT INTO t (SELECT 1 UNION SELECT 2)", "INSERT INTO `t` SELECT 1 UNION SELECT 2"},
    {"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT * FROM b; INSERT INTO c SELECT * FROM d; "
     "END;",
     "EXECUTE STATEMENT SET BEGIN INSERT INTO `a` SELECT * FROM `b`; INSERT INTO `c` SELECT * "
     "FROM `d`; END"},
    {"EXECUTE INSERT INTO a SELECT 1", "EXECUTE INSERT INTO `a` SELECT 1"},
    {"EXECUTE SELECT 1", "EXECUTE SELECT 1"},
    {"BEGIN STATEMENT SET;", "BEGIN STATEMENT SET"},
    {"END;", "END"},
    {"EXPLAIN SELECT * FROM t", "EXPLAIN SELECT * FROM `t`"},
    {"EXPLAIN PLAN FOR SELECT 1", "EXPLAIN PLAN FOR SELECT 1"},
    {"EXPLAIN CHANGELOG_MODE, ESTIMATED_COST, PLAN_ADVICE, JSON_EXECUTION_PLAN INSERT INTO a "
     "SELECT 1",
     "EXPLAIN ESTIMATED_COST, CHANGELOG_MODE, JSON_EXECUTION_PLAN, PLAN_ADVICE INSERT INTO `a` "
     "SELECT 1"},
    {"EXPLAIN STATEMENT SET BEGIN INSERT INTO a SELECT 1; END",
     "EXPLAIN STATEMENT SET BEGIN INSERT INTO `a` SELECT 1; END"},
    {"SET 'execution.runtime-mode' = 'streaming'", "SET 'execution.runtime-mode' = 'streaming'"},
    {"SET", "SET"},
    {"RESET 'parallelism.default'", "RESET 'parallelism.default'"},
    {"RESET;", "RESET"},
    {"SHOW TABLES", "SHOW TABLES"},
    {"SHOW TABLES FROM db NOT LIKE 'a%'", "SHOW TABLES FROM `db` NOT LIKE 'a%'"},
    {"SHOW VIEWS", "SHOW VIEWS"},
    {"SHOW FUNCTIONS", "SHOW FUNCTIONS"},
    {"SHOW USER FUNCTIONS", "SHOW USER FUNCTIONS"},
    {"SHOW CATALOGS", "SHOW CATALOGS"},
    {"SHOW DATABASES", "SHOW DATABASES"},
    {"SHOW CURRENT CATALOG", "SHOW CURRENT CATALOG"},
    {"SHOW CURRENT DATABASE", "SHOW CURRENT DATABASE"},
    {"SHOW JOBS", "SHOW JOBS"},
    {"SHOW MODULES", "SHOW MODULES"},
    {"SHOW FULL MODULES", "SHOW FULL MODULES"},
    {"SHOW CREATE TABLE t", "SHOW CREATE TABLE `t`"},
    {"SHOW CREATE VIEW db.v", "SHOW CREATE VIEW `db`.`v`"},
    {"SHOW COLUMNS IN t LIKE 'a%'", "SHOW COLUMNS FROM `t` LIKE 'a%'"},
    {"DESCRIBE t", "DESCRIBE `t`"},
    {"DESC EXTENDED cat.db.t", "DESCRIBE EXTENDED `cat`.`db`.`t`"},
    {"USE CATALOG c", "USE CATALOG `c`"},
    {"USE db", "USE `db`"},
    {"USE catalog", "USE `catalog`"},
    {"USE catalog.db", "USE `catalog`.`db`"},
    {"EXPLAIN EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; END",
     "EXPLAIN EXECUTE STATEMENT SET BEGIN INSERT INTO `a` SELECT 1; END"},
    {"QUIT", "QUIT"},
    {"exit;", "EXIT"},
    {"HELP", "HELP"},
    {"CLEAR", "CLEAR"},
};

static void other_statements(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof statements / sizeof statements[0]; i++)
    check_canonical(statements[i][0], statements[i][1]);
  /* a client command word is an identifier elsewhere */
  check_canonical("SELECT quit, help FROM exit", "SELECT `quit`, `help` FROM `exit`");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(create_table),
      cmocka_unit_test(other_statements),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
