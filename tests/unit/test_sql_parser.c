/*
 * test_sql_parser.c: the SQL parser's queries and expressions (src/sql/): a table of statements
 * and the canonical SQL each must print back (which shows precedence and structure), realistic
 * Flink queries (window aggregation, Top-N, interval and temporal joins, GROUPING SETS),
 * window table functions with positional and named arguments, the keyword rules, and that every
 * canonical text parses back to itself. DDL, errors and scripts are in test_sql_parser_ddl.c
 * and test_sql_parser_errors.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "sql/sql_keywords.h"
#include "sql/sql_parser.h"

/* Parses sql, unparses it, checks the text, and checks that the text parses to itself. */
static void check_canonical(const char *sql, const char *want) {
  sql_ast *ast = NULL;
  char err[2048];
  int rc = sql_parse_statement(sql, strlen(sql), (sql_pos){1, 1}, &ast, err, sizeof err);
  if (rc) fail_msg("parse of [%s] failed: %s", sql, err);
  sp_strbuf sb = {0};
  assert_int_equal(sql_unparse(ast->root, &sb), 0);
  if (strcmp(sb.data, want) != 0) fail_msg("[%s]\n  gave [%s]\n  want [%s]", sql, sb.data, want);
  sql_ast *again = NULL;
  rc = sql_parse_statement(sb.data, sb.len, (sql_pos){1, 1}, &again, err, sizeof err);
  if (rc) fail_msg("canonical [%s] does not parse: %s", sb.data, err);
  sp_strbuf sb2 = {0};
  assert_int_equal(sql_unparse(again->root, &sb2), 0);
  assert_string_equal(sb2.data, sb.data);
  sp_strbuf_free(&sb2);
  sp_strbuf_free(&sb);
  sql_ast_free(again);
  sql_ast_free(ast);
}

static const char *const cases[][2] = {
    /* precedence: * over +, comparisons over NOT over AND over OR, IS lowest of the rest */
    {"SELECT a + b * 2 AS x, c FROM t WHERE a > 1 AND NOT b = 2 OR c IS NULL",
     "SELECT `a` + (`b` * 2) AS `x`, `c` FROM `t` WHERE ((`a` > 1) AND (NOT (`b` = 2))) OR (`c` "
     "IS NULL)"},
    {"SELECT -1, - - a, NOT NOT TRUE, a || b || c, a - b - c, a - (b - c) FROM t",
     "SELECT -1, -(-`a`), NOT (NOT TRUE), (`a` || `b`) || `c`, (`a` - `b`) - `c`, `a` - (`b` - "
     "`c`) FROM `t`"},
    {"select a % 2 = 0 is not true, a = b is null, a <> b, a != b, -a.b * c from t",
     "SELECT ((`a` % 2) = 0) IS NOT TRUE, (`a` = `b`) IS NULL, `a` <> `b`, `a` <> `b`, "
     "(-`a`.`b`) * `c` FROM `t`"},
    {"SELECT a BETWEEN 1 AND 2 AND b NOT LIKE 'x%' ESCAPE '\\' AND c IN (1, 2) AND d NOT IN "
     "(SELECT x FROM y) AND EXISTS (SELECT 1) FROM t",
     "SELECT ((((`a` BETWEEN 1 AND 2) AND (`b` NOT LIKE 'x%' ESCAPE '\\')) AND (`c` IN (1, 2))) "
     "AND (`d` NOT IN (SELECT `x` FROM `y`))) AND EXISTS (SELECT 1) FROM `t`"},
    {"SELECT a NOT BETWEEN SYMMETRIC b + 1 AND c * 2, s SIMILAR TO '[a-z]+', x IS DISTINCT "
     "FROM y, x IS NOT DISTINCT FROM y + 1 FROM t",
     "SELECT `a` NOT BETWEEN SYMMETRIC (`b` + 1) AND (`c` * 2), `s` SIMILAR TO '[a-z]+', `x` IS "
     "DISTINCT FROM `y`, `x` IS NOT DISTINCT FROM (`y` + 1) FROM `t`"},
    /* literals */
    {"SELECT DATE '2020-01-01', TIME '10:00:00', TIMESTAMP '2020-01-01 00:00:00', INTERVAL "
     "'1 02:03' DAY TO MINUTE, INTERVAL '10' SECOND(3), X'0aff', 1e3, 1.5E-2, .5, 'a' 'b', "
     "TRUE, UNKNOWN, NULL, 'it''s'",
     "SELECT DATE '2020-01-01', TIME '10:00:00', TIMESTAMP '2020-01-01 00:00:00', INTERVAL "
     "'1 02:03' DAY TO MINUTE, INTERVAL '10' SECOND(3), X'0AFF', 1E3, 1.5E-2, .5, 'ab', TRUE, "
     "UNKNOWN, NULL, 'it''s'"},
    {"SELECT INTERVAL '2' MINUTES, INTERVAL -'1' DAY, INTERVAL '1-2' YEAR TO MONTH, INTERVAL "
     "'1.5' SECOND(2, 3), U&'\\0041x', TIMESTAMP WITH LOCAL TIME ZONE '2020-01-01 00:00:00'",
     "SELECT INTERVAL '2' MINUTE, INTERVAL -'1' DAY, INTERVAL '1-2' YEAR TO MONTH, INTERVAL "
     "'1.5' SECOND(2, 3), 'Ax', TIMESTAMP WITH LOCAL TIME ZONE '2020-01-01 00:00:00'"},
    /* special call syntaxes */
    {"SELECT EXTRACT(YEAR FROM ts), TRIM(BOTH ' ' FROM s), TRIM(s), TRIM(LEADING FROM s), "
     "SUBSTRING(s FROM 2 FOR 3), SUBSTRING(s, 2), POSITION('a' IN s), OVERLAY(s PLACING 'x' "
     "FROM 1 FOR 2), FLOOR(ts TO HOUR), FLOOR(x), CEIL(ts TO DAY), CEILING(ts TO MINUTE) FROM t",
     "SELECT EXTRACT(YEAR FROM `ts`), TRIM(BOTH ' ' FROM `s`), TRIM(`s`), TRIM(LEADING FROM "
     "`s`), SUBSTRING(`s` FROM 2 FOR 3), SUBSTRING(`s` FROM 2), POSITION('a' IN `s`), "
     "OVERLAY(`s` PLACING 'x' FROM 1 FOR 2), FLOOR(`ts` TO HOUR), FLOOR(`x`), CEIL(`ts` TO DAY), "
     "CEILING(`ts` TO MINUTE) FROM `t`"},
    {"SELECT TIMESTAMPADD(DAY, 1, ts), TIMESTAMPDIFF(HOUR, a, b), CURRENT_TIMESTAMP, "
     "CURRENT_DATE, LOCALTIMESTAMP, PROCTIME(), CURRENT_ROW_TIMESTAMP(), CAST(a AS INT), "
     "TRY_CAST(b AS DOUBLE), CAST(c AS DECIMAL(10, 2) NOT NULL) FROM t",
     "SELECT TIMESTAMPADD(DAY, 1, `ts`), TIMESTAMPDIFF(HOUR, `a`, `b`), CURRENT_TIMESTAMP, "
     "CURRENT_DATE, LOCALTIMESTAMP, PROCTIME(), CURRENT_ROW_TIMESTAMP(), CAST(`a` AS INT), "
     "TRY_CAST(`b` AS DOUBLE), CAST(`c` AS DECIMAL(10, 2) NOT NULL) FROM `t`"},
    {"SELECT JSON_VALUE(s, '$.a' RETURNING INT DEFAULT 0 ON EMPTY ERROR ON ERROR), "
     "JSON_QUERY(s, '$.b' WITH ARRAY WRAPPER EMPTY ARRAY ON ERROR), JSON_VALUE(s, '$.c') FROM t",
     "SELECT JSON_VALUE(`s`, '$.a' RETURNING INT DEFAULT 0 ON EMPTY ERROR ON ERROR), "
     "JSON_QUERY(`s`, '$.b' WITH UNCONDITIONAL ARRAY WRAPPER EMPTY ARRAY ON ERROR), "
     "JSON_VALUE(`s`, '$.c') FROM `t`"},
    /* CASE, constructors, member and item access */
    {"SELECT CASE WHEN a = 1 THEN 'x' ELSE 'y' END, CASE a WHEN 1 THEN 2 END, a[1], m['k'], "
     "ARRAY[1, 2], MAP['a', 1], ROW(1, 'a'), (1, 2), a.b.c, f(x).y, (a).b, arr[1][2] FROM t",
     "SELECT CASE WHEN `a` = 1 THEN 'x' ELSE 'y' END, CASE `a` WHEN 1 THEN 2 END, `a`[1], "
     "`m`['k'], ARRAY[1, 2], MAP['a', 1], ROW(1, 'a'), (1, 2), `a`.`b`.`c`, F(`x`).`y`, "
     "(`a`).`b`, `arr`[1][2] FROM `t`"},
    /* aggregates */
    {"select count(*), count(distinct bidder), sum(price) filter (where price > 10), "
     "myUdf(`x`, 1) from bid group by auction having count(*) > 1",
     "SELECT COUNT(*), COUNT(DISTINCT `bidder`), SUM(`price`) FILTER (WHERE `price` > 10), "
     "MYUDF(`x`, 1) FROM `bid` GROUP BY `auction` HAVING COUNT(*) > 1"},
    /* set operations: INTERSECT binds tighter, all left-associative */
    {"SELECT a FROM t UNION SELECT b FROM u INTERSECT SELECT c FROM v",
     "SELECT `a` FROM `t` UNION (SELECT `b` FROM `u` INTERSECT SELECT `c` FROM `v`)"},
    {"SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 3 MINUS SELECT 4 UNION DISTINCT SELECT 5",
     "(((SELECT 1 UNION ALL SELECT 2) EXCEPT SELECT 3) EXCEPT SELECT 4) UNION SELECT 5"},
    {"(SELECT a FROM t UNION SELECT b FROM u) INTERSECT ALL SELECT c FROM v",
     "(SELECT `a` FROM `t` UNION SELECT `b` FROM `u`) INTERSECT ALL SELECT `c` FROM `v`"},
    {"SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1 LIMIT 3",
     "SELECT `a` FROM `t` UNION ALL SELECT `b` FROM `u` ORDER BY 1 LIMIT 3"},
    {"SELECT a FROM t OFFSET 2 ROWS FETCH FIRST 5 ROWS ONLY",
     "SELECT `a` FROM `t` LIMIT 5 OFFSET 2"},
    {"WITH w (a) AS (SELECT 1), v AS (SELECT * FROM w) SELECT a FROM v ORDER BY a DESC NULLS "
     "LAST, b NULLS FIRST LIMIT 10",
     "WITH `w` (`a`) AS (SELECT 1), `v` AS (SELECT * FROM `w`) SELECT `a` FROM `v` ORDER BY `a` "
     "DESC NULLS LAST, `b` NULLS FIRST LIMIT 10"},
    {"VALUES (1, 'a'), (2, 'b')", "VALUES (1, 'a'), (2, 'b')"},
    {"(SELECT a FROM t ORDER BY a) LIMIT 1", "(SELECT `a` FROM `t` ORDER BY `a`) LIMIT 1"},
    {"SELECT (1).a, ('x').b, (1.5)[1] FROM t", "SELECT (1).`a`, ('x').`b`, 1.5[1] FROM `t`"},
    {"SELECT * FROM (VALUES (1), (2)) AS v(x)", "SELECT * FROM (VALUES (1), (2)) AS `v` (`x`)"},
    {"SELECT DISTINCT t.*, u.a.* FROM cat.db.t AS t, u",
     "SELECT DISTINCT `t`.*, `u`.`a`.* FROM `cat`.`db`.`t` AS `t`, `u`"},
    /* joins */
    {"SELECT * FROM a LEFT JOIN b ON a.x = b.x CROSS JOIN UNNEST(b.arr) AS u (e), c",
     "SELECT * FROM `a` LEFT JOIN `b` ON `a`.`x` = `b`.`x` CROSS JOIN UNNEST(`b`.`arr`) AS `u` "
     "(`e`), `c`"},
    {"SELECT * FROM t1 JOIN t2 USING (a) NATURAL JOIN t3 RIGHT OUTER JOIN t4 ON TRUE FULL JOIN "
     "t5 ON t5.k = t4.k",
     "SELECT * FROM `t1` INNER JOIN `t2` USING (`a`) NATURAL INNER JOIN `t3` RIGHT JOIN `t4` ON "
     "TRUE FULL JOIN `t5` ON `t5`.`k` = `t4`.`k`"},
    {"SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) ON a.y = b.y, (d, e)",
     "SELECT * FROM `a` INNER JOIN (`b` INNER JOIN `c` ON `b`.`x` = `c`.`x`) ON `a`.`y` = "
     "`b`.`y`, (`d`, `e`)"},
    {"SELECT * FROM t, LATERAL TABLE(split(t.a)) AS T(x, y) LEFT JOIN LATERAL TABLE(f(t.b)) ON "
     "TRUE",
     "SELECT * FROM `t`, LATERAL TABLE(SPLIT(`t`.`a`)) AS `T` (`x`, `y`) LEFT JOIN LATERAL "
     "TABLE(F(`t`.`b`)) ON TRUE"},
    {"SELECT * FROM (b AS x) AS y, (c)", "SELECT * FROM (`b` AS `x`) AS `y`, `c`"},
    {"SELECT * FROM UNNEST(ARRAY[1, 2]) WITH ORDINALITY AS x(v, i)",
     "SELECT * FROM UNNEST(ARRAY[1, 2]) WITH ORDINALITY AS `x` (`v`, `i`)"},
    /* OVER windows */
    {"SELECT a, SUM(b) OVER (PARTITION BY a ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR "
     "PRECEDING AND CURRENT ROW) FROM t",
     "SELECT `a`, SUM(`b`) OVER (PARTITION BY `a` ORDER BY `ts` RANGE BETWEEN INTERVAL '1' HOUR "
     "PRECEDING AND CURRENT ROW) FROM `t`"},
    {"SELECT a, SUM(b) OVER w, MAX(b) OVER (w ROWS UNBOUNDED PRECEDING) FROM t WINDOW w AS "
     "(PARTITION BY a ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)",
     "SELECT `a`, SUM(`b`) OVER `w`, MAX(`b`) OVER (`w` ROWS UNBOUNDED PRECEDING) FROM `t` "
     "WINDOW `w` AS (PARTITION BY `a` ORDER BY `ts` ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)"},
    /* grouping */
    {"SELECT a, b, count(*) FROM t GROUP BY GROUPING SETS ((a, b), (a), ())",
     "SELECT `a`, `b`, COUNT(*) FROM `t` GROUP BY GROUPING SETS ((`a`, `b`), `a`, ())"},
    {"SELECT a FROM t GROUP BY ROLLUP (a, b), CUBE (c), GROUPING SETS (ROLLUP (d), e)",
     "SELECT `a` FROM `t` GROUP BY ROLLUP(`a`, `b`), CUBE(`c`), GROUPING SETS (ROLLUP(`d`), `e`)"},
    /* subqueries */
    {"SELECT (SELECT MAX(x) FROM u), a FROM t WHERE a IN (SELECT b FROM u) AND NOT EXISTS "
     "(SELECT 1 FROM v WHERE v.k = t.k)",
     "SELECT (SELECT MAX(`x`) FROM `u`), `a` FROM `t` WHERE (`a` IN (SELECT `b` FROM `u`)) AND "
     "(NOT EXISTS (SELECT 1 FROM `v` WHERE `v`.`k` = `t`.`k`))"},
};

static void canonical_forms(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    check_canonical(cases[i][0], cases[i][1]);
}

/* Realistic Flink streaming queries. */
static void flink_queries(void **state) {
  (void)state;
  /* a tumbling window aggregation (Nexmark q5's inner part) */
  check_canonical(
      "SELECT auction, window_start, window_end, COUNT(*) AS num\n"
      "FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))\n"
      "GROUP BY auction, window_start, window_end",
      "SELECT `auction`, `window_start`, `window_end`, COUNT(*) AS `num` FROM "
      "TABLE(TUMBLE(TABLE `bid`, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND)) GROUP BY "
      "`auction`, `window_start`, `window_end`");
  /* Top-N with ROW_NUMBER */
  check_canonical(
      "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY category ORDER BY price DESC) "
      "AS rownum FROM product) WHERE rownum <= 3",
      "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY `category` ORDER BY `price` "
      "DESC) AS `rownum` FROM `product`) WHERE `rownum` <= 3");
  /* an interval join */
  check_canonical(
      "SELECT o.id, s.ship_time FROM orders o, shipments s WHERE o.id = s.order_id AND "
      "o.order_time BETWEEN s.ship_time - INTERVAL '4' HOUR AND s.ship_time",
      "SELECT `o`.`id`, `s`.`ship_time` FROM `orders` AS `o`, `shipments` AS `s` WHERE (`o`.`id` "
      "= `s`.`order_id`) AND (`o`.`order_time` BETWEEN (`s`.`ship_time` - INTERVAL '4' HOUR) AND "
      "`s`.`ship_time`)");
  /* a temporal join */
  check_canonical(
      "SELECT o.id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur "
      "= r.cur",
      "SELECT `o`.`id`, `r`.`rate` FROM `orders` AS `o` INNER JOIN `rates` FOR SYSTEM_TIME AS OF "
      "`o`.`ts` AS `r` ON `o`.`cur` = `r`.`cur`");
  /* Nexmark q7-style: a window join of a max back onto bids, `date` backquoted */
  check_canonical(
      "SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra FROM bid B JOIN (SELECT "
      "MAX(price) AS maxprice, window_end AS `date` FROM TABLE(TUMBLE(TABLE bid, "
      "DESCRIPTOR(dateTime), INTERVAL '10' SECOND)) GROUP BY window_start, window_end) B1 ON "
      "B.price = B1.maxprice WHERE B.dateTime BETWEEN B1.`date` - INTERVAL '10' SECOND AND "
      "B1.`date`",
      "SELECT `B`.`auction`, `B`.`price`, `B`.`bidder`, `B`.`dateTime`, `B`.`extra` FROM `bid` "
      "AS `B` INNER JOIN (SELECT MAX(`price`) AS `maxprice`, `window_end` AS `date` FROM "
      "TABLE(TUMBLE(TABLE `bid`, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND)) GROUP BY "
      "`window_start`, `window_end`) AS `B1` ON `B`.`price` = `B1`.`maxprice` WHERE "
      "`B`.`dateTime` BETWEEN (`B1`.`date` - INTERVAL '10' SECOND) AND `B1`.`date`");
  /* a GROUPING SETS query over a cumulative window, multi-line with comments */
  check_canonical(
      "-- daily totals per channel, growing every hour\n"
      "SELECT channel, window_end, SUM(price) /* cents */\n"
      "FROM TABLE(CUMULATE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '1' HOUR, INTERVAL '1' "
      "DAY))\n"
      "GROUP BY window_start, window_end, GROUPING SETS ((channel), ())",
      "SELECT `channel`, `window_end`, SUM(`price`) FROM TABLE(CUMULATE(TABLE `bid`, "
      "DESCRIPTOR(`dateTime`), INTERVAL '1' HOUR, INTERVAL '1' DAY)) GROUP BY `window_start`, "
      "`window_end`, GROUPING SETS (`channel`, ())");
}

/* Window table functions with positional and named arguments, PARTITION BY for SESSION. */
static void window_tvfs(void **state) {
  (void)state;
  check_canonical(
      "SELECT * FROM TABLE(HOP(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(dateTime), SLIDE => "
      "INTERVAL '5' MINUTE, SIZE => INTERVAL '10' MINUTES))",
      "SELECT * FROM TABLE(HOP(`DATA` => TABLE `Bid`, `TIMECOL` => DESCRIPTOR(`dateTime`), "
      "`SLIDE` => INTERVAL '5' MINUTE, `SIZE` => INTERVAL '10' MINUTE))");
  check_canonical(
      "SELECT * FROM TABLE(SESSION(TABLE Bid PARTITION BY auction, DESCRIPTOR(dateTime), "
      "INTERVAL '10' SECOND))",
      "SELECT * FROM TABLE(SESSION(TABLE `Bid` PARTITION BY `auction`, DESCRIPTOR(`dateTime`), "
      "INTERVAL '10' SECOND))");
  check_canonical(
      "SELECT * FROM TABLE(SESSION(TABLE Bid PARTITION BY (auction, bidder), "
      "DESCRIPTOR(dateTime), INTERVAL '10' SECOND))",
      "SELECT * FROM TABLE(SESSION(TABLE `Bid` PARTITION BY (`auction`, `bidder`), "
      "DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))");
  /* the tree: TABLE_FUNC > CALL with a TABLE_ARG, a DESCRIPTOR and a named INTERVAL */
  const char *sql =
      "SELECT * FROM TABLE(TUMBLE(DATA => TABLE t, TIMECOL => DESCRIPTOR(ts), "
      "SIZE => INTERVAL '1' MINUTE))";
  sql_ast *ast;
  char err[1024];
  assert_int_equal(sql_parse_statement(sql, strlen(sql), (sql_pos){0, 0}, &ast, err, sizeof err),
                   0);
  const sql_node *from = ast->root->u.select.from;
  assert_int_equal(from->kind, SQL_TABLE_FUNC);
  const sql_node *call = from->u.table_func.call;
  assert_int_equal(call->kind, SQL_CALL);
  assert_string_equal(call->u.call.name->u.ident.parts[0].s, "TUMBLE");
  assert_int_equal(call->u.call.args.n, 3);
  const sql_node *a0 = call->u.call.args.v[0], *a1 = call->u.call.args.v[1];
  const sql_node *a2 = call->u.call.args.v[2];
  assert_int_equal(a0->kind, SQL_NAMED_ARG);
  assert_string_equal(a0->u.named.name.s, "DATA");
  assert_int_equal(a0->u.named.value->kind, SQL_TABLE_ARG);
  assert_int_equal(a1->u.named.value->kind, SQL_DESCRIPTOR);
  assert_int_equal(a2->u.named.value->kind, SQL_LITERAL);
  assert_int_equal(a2->u.named.value->u.lit.kind, SQL_LIT_INTERVAL);
  assert_int_equal(a2->u.named.value->u.lit.qual.start, SQL_UNIT_MINUTE);
  /* positions are 1-based, Calcite's */
  assert_int_equal(call->line, 1);
  assert_int_equal(call->col, 21);
  assert_int_equal(a2->u.named.value->col, 80);
  sql_ast_free(ast);
}

/* Reserved words need backquotes; Flink's non-reserved keywords and Nexmark's columns do not. */
static void keywords_and_identifiers(void **state) {
  (void)state;
  static const char *const reserved[] = {
      "value",  "time",    "timestamp", "date",      "current", "year",
      "month",  "day",     "hour",      "minute",    "second",  "count",
      "sum",    "comment", "position",  "language",  "result",  "window",
      "string", "bytes",   "raw",       "watermark", "tables",  "TIMESTAMP_LTZ"};
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
    char sql[128], err[2048];
    sql_ast *ast = NULL;
    assert_true(sql_is_reserved(reserved[i], strlen(reserved[i])));
    snprintf(sql, sizeof sql, "SELECT %s FROM t", reserved[i]);
    assert_int_not_equal(
        sql_parse_statement(sql, strlen(sql), (sql_pos){0, 0}, &ast, err, sizeof err), 0);
    assert_null(ast);
    /* TIME, TIMESTAMP and DATE start a literal: the error is then at what follows */
    if (strcasecmp(reserved[i], "time") != 0 && strcasecmp(reserved[i], "timestamp") != 0 &&
        strcasecmp(reserved[i], "date") != 0) {
      char want[160];
      snprintf(want, sizeof want, "SQL parse failed. Encountered \"%s\" at line 1, column 8.",
               reserved[i]);
      assert_memory_equal(err, want, strlen(want));
    }
    snprintf(sql, sizeof sql, "SELECT `%s` FROM t", reserved[i]);
    assert_int_equal(sql_parse_statement(sql, strlen(sql), (sql_pos){0, 0}, &ast, err, sizeof err),
                     0);
    sql_ast_free(ast);
  }
  check_canonical(
      "SELECT data, key, name, type, status, text, state, json, session, tumble, hop, "
      "window_start, window_end, `timestamp`, auction, bidder, price, dateTime, extra, channel, "
      "url, category, seller, reserve, expires, itemName, description, initialBid, emailAddress, "
      "creditCard, city, id, `date` FROM t",
      "SELECT `data`, `key`, `name`, `type`, `status`, `text`, `state`, `json`, `session`, "
      "`tumble`, `hop`, `window_start`, `window_end`, `timestamp`, `auction`, `bidder`, `price`, "
      "`dateTime`, `extra`, `channel`, `url`, `category`, `seller`, `reserve`, `expires`, "
      "`itemName`, `description`, `initialBid`, `emailAddress`, `creditCard`, `city`, `id`, "
      "`date` FROM `t`");
  /* USER is a niladic function, as in Calcite */
  check_canonical("SELECT user, CURRENT_USER FROM t", "SELECT USER, CURRENT_USER FROM `t`");
  /* keywords are case-insensitive; unquoted identifiers keep their case; `` escapes ` */
  check_canonical("select MyCol, `a``b` FrOm MyTable", "SELECT `MyCol`, `a``b` FROM `MyTable`");
  /* the table is sorted, so the binary search finds every entry */
  for (int i = 1; i < sql_reserved_count(); i++)
    assert_true(strcmp(sql_reserved_word(i - 1), sql_reserved_word(i)) < 0);
  for (int i = 0; i < sql_reserved_count(); i++)
    assert_true(sql_is_reserved(sql_reserved_word(i), strlen(sql_reserved_word(i))));
}

/* Expressions and types on their own (computed columns, CAST targets). */
static void expressions_and_types(void **state) {
  (void)state;
  static const char *const exprs[][2] = {
      {"a + b * c - d / e % f", "(`a` + (`b` * `c`)) - ((`d` / `e`) % `f`)"},
      {"NOT a OR b AND c", "(NOT `a`) OR (`b` AND `c`)"},
      {"ts - INTERVAL '5' SECOND", "`ts` - INTERVAL '5' SECOND"},
  };
  for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
    sql_ast *ast;
    char err[1024];
    assert_int_equal(sql_parse_expression(exprs[i][0], strlen(exprs[i][0]), (sql_pos){0, 0}, &ast,
                                          err, sizeof err),
                     0);
    sp_strbuf sb = {0};
    assert_int_equal(sql_unparse(ast->root, &sb), 0);
    assert_string_equal(sb.data, exprs[i][1]);
    sp_strbuf_free(&sb);
    sql_ast_free(ast);
  }
  static const char *const types[][2] = {
      {"INTEGER NOT NULL", "INT NOT NULL"},
      {"DEC(10)", "DECIMAL(10)"},
      {"NUMERIC(38, 18)", "DECIMAL(38, 18)"},
      {"DOUBLE PRECISION", "DOUBLE"},
      {"CHARACTER VARYING(5)", "VARCHAR(5)"},
      {"BINARY VARYING", "VARBINARY"},
      {"TIMESTAMP(3) WITHOUT TIME ZONE", "TIMESTAMP(3)"},
      {"TIMESTAMP(6) WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ(6)"},
      {"TIME(0)", "TIME(0)"},
      {"INTERVAL DAY(2) TO SECOND(3)", "INTERVAL DAY(2) TO SECOND(3)"},
      {"INTERVAL YEAR TO MONTH NULL", "INTERVAL YEAR TO MONTH"},
      {"INT ARRAY NOT NULL", "ARRAY<INT> NOT NULL"},
      {"STRING NOT NULL MULTISET", "MULTISET<STRING NOT NULL>"},
      {"ARRAY<ARRAY<BIGINT>>", "ARRAY<ARRAY<BIGINT>>"},
      {"MAP<STRING, ROW<a INT NOT NULL 'x', b BYTES>>",
       "MAP<STRING, ROW<`a` INT NOT NULL 'x', `b` BYTES>>"},
      {"ROW(a INT, `b c` VARCHAR(3))", "ROW<`a` INT, `b c` VARCHAR(3)>"},
      {"my_cat.my_type", "`my_cat`.`my_type`"},
  };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    sql_ast *ast;
    char err[1024];
    int rc =
        sql_parse_type(types[i][0], strlen(types[i][0]), (sql_pos){0, 0}, &ast, err, sizeof err);
    if (rc) fail_msg("%s: %s", types[i][0], err);
    sp_strbuf sb = {0};
    assert_int_equal(sql_unparse(ast->root, &sb), 0);
    assert_string_equal(sb.data, types[i][1]);
    sp_strbuf_free(&sb);
    sql_ast_free(ast);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(canonical_forms),       cmocka_unit_test(flink_queries),
      cmocka_unit_test(window_tvfs),           cmocka_unit_test(keywords_and_identifiers),
      cmocka_unit_test(expressions_and_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
