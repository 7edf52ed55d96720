/*
 * test_sql_errors.c: what the SQL parser says about bad input (Flink's SqlParserException text
 * with line, column and the expected tokens; Calcite's lexical errors), its limits on nesting,
 * allocation failures, and the script splitter with the positions it keeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/err.h"
#include "sql/sql_parser.h"
#include "sql/sql_script.h"

static void expect_error(const char *sql, const char *want) {
  sql_ast *ast = (sql_ast *)1;
  char err[4096];
  int rc = sql_parse_statement(sql, strlen(sql), (sql_pos){1, 1}, &ast, err, sizeof err);
  if (rc == 0) fail_msg("[%s] parsed", sql);
  assert_int_equal(rc, SPATE_EINVAL);
  assert_null(ast);
  if (strcmp(err, want) != 0) fail_msg("[%s]\n  gave [%s]\n  want [%s]", sql, err, want);
}

static const char *const errors[][2] = {
    {"SELECT * FORM t",
     "SQL parse failed. Encountered \"FORM\" at line 1, column 10.\n"
     "Was expecting one of:\n"
     "    <EOF>\n    \",\" ...\n    \"EXCEPT\" ...\n    \"FETCH\" ...\n    \"FROM\" ...\n"
     "    \"GROUP\" ...\n    \"HAVING\" ...\n    \"INTERSECT\" ...\n    \"LIMIT\" ...\n"
     "    \"MINUS\" ...\n    \"OFFSET\" ...\n    \"ORDER\" ...\n    \"UNION\" ...\n"
     "    \"WHERE\" ...\n    \"WINDOW\" ..."},
    {"SELECT a,\nb +",
     "SQL parse failed. Encountered \"<EOF>\" at line 2, column 3.\n"
     "Was expecting one of:\n"
     "    \"(\" ...\n    \"-\" ...\n    \"ARRAY\" ...\n    \"CASE\" ...\n    \"CAST\" ...\n"
     "    \"EXISTS\" ...\n    \"FALSE\" ...\n    \"INTERVAL\" ...\n    \"NOT\" ...\n"
     "    \"NULL\" ...\n    \"ROW\" ...\n    \"TRUE\" ...\n    <IDENTIFIER> ...\n"
     "    <QUOTED_IDENTIFIER> ...\n    <QUOTED_STRING> ...\n"
     "    <UNSIGNED_INTEGER_LITERAL> ..."},
    {"CREATE TABLE t (a INT,",
     "SQL parse failed. Encountered \"<EOF>\" at line 1, column 22.\n"
     "Was expecting one of:\n"
     "    \"CONSTRAINT\" ...\n    \"PRIMARY\" ...\n    \"WATERMARK\" ...\n"
     "    <IDENTIFIER> ...\n    <QUOTED_IDENTIFIER> ..."},
    {"CREATE TABLE t (a INT) WITH ('k' = v)",
     "SQL parse failed. Encountered \"v\" at line 1, column 36.\n"
     "Was expecting one of:\n    <QUOTED_STRING> ..."},
    {"DROP TABLE IF t",
     "SQL parse failed. Encountered \"t\" at line 1, column 15.\n"
     "Was expecting one of:\n    \"EXISTS\" ..."},
    {"SELECT 1 FROM t WHERE a = 'x' 'y' AND", /* the joined literal, then the missing operand */
     "SQL parse failed. Encountered \"<EOF>\" at line 1, column 37.\n"
     "Was expecting one of:\n"
     "    \"(\" ...\n    \"-\" ...\n    \"ARRAY\" ...\n    \"CASE\" ...\n    \"CAST\" ...\n"
     "    \"EXISTS\" ...\n    \"FALSE\" ...\n    \"INTERVAL\" ...\n    \"NOT\" ...\n"
     "    \"NULL\" ...\n    \"ROW\" ...\n    \"TRUE\" ...\n    <IDENTIFIER> ...\n"
     "    <QUOTED_IDENTIFIER> ...\n    <QUOTED_STRING> ...\n"
     "    <UNSIGNED_INTEGER_LITERAL> ..."},
    {"SELECT 'it''s' + x FROM t t2 t3",
     "SQL parse failed. Encountered \"t3\" at line 1, column 30.\n"
     "Was expecting one of:\n"
     "    <EOF>\n    \",\" ...\n    \"CROSS\" ...\n    \"EXCEPT\" ...\n    \"FETCH\" ...\n"
     "    \"FULL\" ...\n    \"GROUP\" ...\n    \"HAVING\" ...\n    \"INNER\" ...\n"
     "    \"INTERSECT\" ...\n    \"JOIN\" ...\n    \"LEFT\" ...\n    \"LIMIT\" ...\n"
     "    \"MINUS\" ...\n    \"NATURAL\" ...\n    \"OFFSET\" ...\n    \"ORDER\" ...\n"
     "    \"RIGHT\" ...\n    \"UNION\" ...\n    \"WHERE\" ...\n    \"WINDOW\" ..."},
    {"SELECT INTERVAL '1' DAY TO YEAR",
     "SQL parse failed. Encountered \"YEAR\" at line 1, column 28.\n"
     "Was expecting one of:\n    \"HOUR\" ...\n    \"MINUTE\" ...\n    \"SECOND\" ..."},
    {"SELECT '\"q\"' x FROM",
     "SQL parse failed. Encountered \"<EOF>\" at line 1, column 19.\n"
     "Was expecting one of:\n    \"(\" ...\n    \"LATERAL\" ...\n"
     "    \"TABLE\" ...\n    \"UNNEST\" ...\n    <IDENTIFIER> ...\n"
     "    <QUOTED_IDENTIFIER> ..."},
    {"INSERT INTO t SELECT 1 2",
     "SQL parse failed. Encountered \"2\" at line 1, column 24.\n"
     "Was expecting one of:\n"
     "    <EOF>\n    \"*\" ...\n    \"+\" ...\n    \",\" ...\n    \"-\" ...\n"
     "    \".\" ...\n    \"/\" ...\n    \"<\" ...\n    \"<>\" ...\n    \"=\" ...\n"
     "    \">\" ...\n    \"AND\" ...\n    \"AS\" ...\n    \"BETWEEN\" ...\n"
     "    \"EXCEPT\" ...\n    \"FETCH\" ...\n    \"FROM\" ...\n    \"GROUP\" ...\n"
     "    \"HAVING\" ...\n    \"IN\" ...\n    \"INTERSECT\" ...\n    \"IS\" ...\n"
     "    \"LIKE\" ...\n    \"LIMIT\" ...\n    \"MINUS\" ...\n    \"NOT\" ...\n"
     "    \"OFFSET\" ...\n    \"OR\" ...\n    \"ORDER\" ...\n    \"SIMILAR\" ...\n"
     "    \"UNION\" ...\n    \"WHERE\" ...\n    \"WINDOW\" ...\n    \"[\" ...\n"
     "    \"||\" ...\n    <IDENTIFIER> ...\n    <QUOTED_IDENTIFIER> ..."},
    /* lexical errors name where the token starts */
    {"SELECT 'abc",
     "SQL parse failed. Lexical error at line 1, column 8.  Encountered: <EOF> "
     "after : \"\\'abc\""},
    {"SELECT 1 /* open\n",
     "SQL parse failed. Lexical error at line 1, column 10.  "
     "Encountered: <EOF> after : \"/* open\\n\""},
    {"SELECT\n  `abc",
     "SQL parse failed. Lexical error at line 2, column 3.  Encountered: <EOF> "
     "after : \"`abc\""},
    {"SELECT a # b",
     "SQL parse failed. Lexical error at line 1, column 10.  Encountered: \"#\" "
     "(35), after : \"\""},
    {"SELECT X'ABC'",
     "SQL parse failed. Binary literal string must contain an even number of "
     "hexits (at line 1, column 8)"},
    {"SELECT X'AZ'",
     "SQL parse failed. Binary literal string must contain only characters "
     "'0' - '9', 'A' - 'F' (at line 1, column 8)"},
    {"",
     "SQL parse failed. Encountered \"<EOF>\" at line 1, column 1.\n"
     "Was expecting one of:\n"
     "    \"(\" ...\n    \"ALTER\" ...\n    \"BEGIN\" ...\n    \"CREATE\" ...\n"
     "    \"DESC\" ...\n    \"DESCRIBE\" ...\n    \"DROP\" ...\n    \"END\" ...\n"
     "    \"EXECUTE\" ...\n    \"EXPLAIN\" ...\n    \"INSERT\" ...\n    \"RESET\" ...\n"
     "    \"SELECT\" ...\n    \"SET\" ...\n    \"SHOW\" ...\n    \"USE\" ...\n"
     "    \"VALUES\" ...\n    \"WITH\" ..."},
    {"EXPLAIN ESTIMATED_COST, ESTIMATED_COST SELECT 1",
     "SQL parse failed. Duplicate EXPLAIN DETAIL is not allowed at line 1, column 25."},
};

static void error_messages(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
    expect_error(errors[i][0], errors[i][1]);
}

/* Positions count from the statement's start in its script. */
static void positions_from_start(void **state) {
  (void)state;
  const char *sql = "SELECT a\nFROM t WHERE\n  b >";
  sql_ast *ast;
  char err[2048];
  assert_int_equal(sql_parse_statement(sql, strlen(sql), (sql_pos){10, 5}, &ast, err, sizeof err),
                   SPATE_EINVAL);
  assert_memory_equal(err, "SQL parse failed. Encountered \"<EOF>\" at line 12, column 5.",
                      strlen("SQL parse failed. Encountered \"<EOF>\" at line 12, column 5."));
  /* the first line starts at column 5, the others at column 1 */
  sql = "SELECT a FROM t";
  assert_int_equal(sql_parse_statement(sql, strlen(sql), (sql_pos){3, 5}, &ast, err, sizeof err),
                   0);
  const sql_node *from = ast->root->u.select.from;
  assert_int_equal(from->line, 3);
  assert_int_equal(from->col, 19);
  sql_ast_free(ast);
  /* multi-byte characters count once, tabs once */
  sql = "SELECT 'é',\t`ö` 1";
  assert_int_equal(sql_parse_statement(sql, strlen(sql), (sql_pos){1, 1}, &ast, err, sizeof err),
                   SPATE_EINVAL);
  assert_memory_equal(err, "SQL parse failed. Encountered \"1\" at line 1, column 17.",
                      strlen("SQL parse failed. Encountered \"1\" at line 1, column 17."));
}

static void nesting_limits(void **state) {
  (void)state;
  char err[2048];
  sql_ast *ast;
  /* 10,000 open parentheses: an error, not a stack overflow */
  size_t n = 10000;
  char *deep = sp_malloc(n + 32);
  strcpy(deep, "SELECT ");
  memset(deep + 7, '(', n);
  strcpy(deep + 7 + n, "1");
  assert_int_equal(sql_parse_statement(deep, strlen(deep), (sql_pos){0, 0}, &ast, err, sizeof err),
                   SPATE_EINVAL);
  assert_non_null(strstr(err, "Nesting deeper than 200 levels at line 1, column"));
  /* as deep subqueries, NOTs and minus signs */
  static const char *const units[] = {"(SELECT ", "NOT ", "-", "CAST(", "ARRAY["};
  for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
    char *s = sp_malloc(strlen(units[u]) * 5000 + 64);
    strcpy(s, "SELECT ");
    for (int i = 0; i < 5000; i++) strcat(s, units[u]);
    assert_int_equal(sql_parse_statement(s, strlen(s), (sql_pos){0, 0}, &ast, err, sizeof err),
                     SPATE_EINVAL);
    sp_free(s);
  }
  /* 150 levels are fine */
  n = 150;
  strcpy(deep, "SELECT ");
  memset(deep + 7, '(', n);
  memset(deep + 8 + n, ')', n);
  deep[7 + n] = '1';
  deep[8 + 2 * n] = 0;
  assert_int_equal(sql_parse_statement(deep, strlen(deep), (sql_pos){0, 0}, &ast, err, sizeof err),
                   0);
  sql_ast_free(ast);
  sp_free(deep);
  /* a 5,000-term sum is a left-deep tree 5,000 high: refused by the height check */
  char *sum = sp_malloc(5000 * 4 + 16);
  strcpy(sum, "SELECT 1");
  for (int i = 0; i < 5000; i++) strcat(sum, " + 1");
  assert_int_equal(sql_parse_statement(sum, strlen(sum), (sql_pos){0, 0}, &ast, err, sizeof err),
                   SPATE_EINVAL);
  assert_non_null(strstr(err, "nested deeper than 1000 levels"));
  sp_free(sum);
}

/* Every allocation failure gives SPATE_ENOMEM (or, for the message's own buffer, the short
 * message) and leaks nothing; the allocation counter comes back to where it was. */
static void allocation_failures(void **state) {
  (void)state;
  const char *sql =
      "SELECT a, COUNT(*) FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' "
      "MINUTE)) WHERE b IN (1, 2) GROUP BY a, window_start, window_end";
  int64_t before = sp_alloc_current();
  for (int k = 1; k < 200; k++) {
    sql_ast *ast = NULL;
    char err[2048];
    sp_alloc_fail_after(k, 1);
    int rc = sql_parse_statement(sql, strlen(sql), (sql_pos){0, 0}, &ast, err, sizeof err);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) {
      sql_ast_free(ast);
      break;
    }
    assert_int_equal(rc, SPATE_ENOMEM);
    assert_null(ast);
  }
  assert_int_equal(sp_alloc_current(), before);
}

static void split_script(void **state) {
  (void)state;
  const char *script =
      "-- a script\n"
      "SET 'a' = 'b;c';\n"
      "CREATE TABLE t (\n"
      "  `x;y` INT /* ; */\n"
      ") WITH ('connector' = 'datagen');\n"
      "\n"
      "  SELECT 1; ;  -- nothing between these\n"
      "EXECUTE STATEMENT SET BEGIN\n"
      "INSERT INTO a SELECT 1;\n"
      "INSERT INTO b SELECT 2;\n"
      "END;\n"
      "SELECT 'unterminated";
  sql_script_stmt *st;
  int n;
  assert_int_equal(sql_split_script(script, strlen(script), &st, &n), 0);
  assert_int_equal(n, 5);
  struct {
    const char *text;
    int line, col, terminated;
  } want[] = {
      {"SET 'a' = 'b;c'", 2, 1, 1},
      {"CREATE TABLE t (\n  `x;y` INT /* ; */\n) WITH ('connector' = 'datagen')", 3, 1, 1},
      {"SELECT 1", 7, 3, 1},
      {"EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND", 8, 1,
       1},
      {"SELECT 'unterminated", 12, 1, 0},
  };
  for (int i = 0; i < n; i++) {
    assert_int_equal(st[i].len, strlen(want[i].text));
    assert_memory_equal(script + st[i].off, want[i].text, st[i].len);
    assert_int_equal(st[i].line, want[i].line);
    assert_int_equal(st[i].col, want[i].col);
    assert_int_equal(st[i].terminated, want[i].terminated);
  }
  /* each statement parses where it stands; the last one's error is in script positions */
  for (int i = 0; i < 4; i++) {
    sql_ast *ast;
    char err[2048];
    int rc = sql_parse_statement(script + st[i].off, st[i].len, (sql_pos){st[i].line, st[i].col},
                                 &ast, err, sizeof err);
    if (rc) fail_msg("statement %d: %s", i, err);
    sql_ast_free(ast);
  }
  sql_ast *ast;
  char err[2048];
  assert_int_equal(sql_parse_statement(script + st[4].off, st[4].len,
                                       (sql_pos){st[4].line, st[4].col}, &ast, err, sizeof err),
                   SPATE_EINVAL);
  assert_string_equal(err,
                      "SQL parse failed. Lexical error at line 12, column 8.  Encountered: "
                      "<EOF> after : \"\\'unterminated\"");
  sp_free(st);
  /* only comments and blanks: no statement */
  const char *blank = "  -- x\n/* y */ ; ";
  assert_int_equal(sql_split_script(blank, strlen(blank), &st, &n), 0);
  assert_int_equal(n, 0);
  assert_null(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(error_messages), cmocka_unit_test(positions_from_start),
      cmocka_unit_test(nesting_limits), cmocka_unit_test(allocation_failures),
      cmocka_unit_test(split_script),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
