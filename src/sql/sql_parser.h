/*
 * sql_parser.h: Flink SQL's parser, the entry points the SQL client, validator and tests call.
 *
 * The parser is hand-written recursive descent (sql_parse_*.c); sql_parse_core.c says why. It
 * parses one statement (or one expression) into a sql_ast (sql_ast.h) that the caller owns and
 * frees with sql_ast_free. Errors are values: a negative SPATE_E* code and a message in Flink's
 * words, e.g.
 *
 *   SQL parse failed. Encountered "FORM" at line 1, column 10.
 *   Was expecting one of:
 *       <EOF>
 *       "FROM" ...
 *
 * The parser never aborts, never longjmps, and bounds its recursion (SQL_MAX_DEPTH nested
 * expressions or queries, SQL_MAX_HEIGHT levels of tree), so any input gets a tree or a message.
 */
#ifndef SPATE_SQL_PARSER_H
#define SPATE_SQL_PARSER_H
#include <stddef.h>

#include "sql/sql_ast.h"

/* Nesting the parser follows before it refuses: parentheses, subqueries, CASE, calls ... */
#define SQL_MAX_DEPTH 200
/* The height a tree may reach, left-deep chains (a + b + c ...) included, so that recursive
 * walkers of the tree (unparser, validator, planner) stay within their stacks. */
#define SQL_MAX_HEIGHT 1000

/* Where a statement starts in its script: positions in messages and nodes count from here. */
typedef struct sql_pos {
  int line, col; /* 1-based; {0, 0} means {1, 1} */
} sql_pos;

/* Parses one statement: src[0, len) holds exactly one statement, optionally ended by ';'.
 * On success returns 0 and *out (free with sql_ast_free). On error returns SPATE_EINVAL (bad
 * SQL) or SPATE_ENOMEM, *out NULL, and a message in err (cap bytes, always terminated). */
int sql_parse_statement(const char *src, size_t len, sql_pos start, sql_ast **out, char *err,
                        size_t cap);

/* Parses one expression (a computed column, a watermark, a test), as sql_parse_statement. */
int sql_parse_expression(const char *src, size_t len, sql_pos start, sql_ast **out, char *err,
                         size_t cap);

/* Parses one data type ("DECIMAL(10, 2) NOT NULL", "ROW<a INT>"), as sql_parse_statement. */
int sql_parse_type(const char *src, size_t len, sql_pos start, sql_ast **out, char *err,
                   size_t cap);
#endif
