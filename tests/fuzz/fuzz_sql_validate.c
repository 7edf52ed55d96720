/*
 * fuzz_sql_validate.c: the expression validator (src/sql/sql_validate.c) over whatever
 * expression the parser accepts. The input is parsed as one expression; a tree is validated over
 * a fixed scope with a column of every kind of type (the names the seeds use: i, b, d10_2, s,
 * ts, ...).
 *
 * Contracts checked: validation either succeeds with a typed tree whose every node has a type
 * that prints as a summary string and a position inside the input, or fails with SPATE_EINVAL,
 * a message and a position; nothing leaks when the trees are freed.
 */
#include "fuzz.h"

#include "base/err.h"
#include "sql/sql_parser.h"
#include "sql/sql_validate.h"

static const char *const columns[][2] = {
    {"x", "BOOLEAN"},
    {"ti", "TINYINT"},
    {"si", "SMALLINT"},
    {"i", "INT"},
    {"inn", "INT NOT NULL"},
    {"b", "BIGINT"},
    {"f", "FLOAT"},
    {"d", "DOUBLE"},
    {"d10_2", "DECIMAL(10, 2)"},
    {"d38", "DECIMAL(38, 18)"},
    {"c", "CHAR(3)"},
    {"v", "VARCHAR(10)"},
    {"s", "STRING"},
    {"by", "BYTES"},
    {"dt", "DATE"},
    {"tm", "TIME"},
    {"ts", "TIMESTAMP(3)"},
    {"ltz", "TIMESTAMP_LTZ(3)"},
    {"iv", "INTERVAL DAY TO SECOND(3)"},
    {"ym", "INTERVAL YEAR TO MONTH"},
    {"arr", "ARRAY<INT>"},
    {"m", "MAP<STRING, INT>"},
    {"r", "ROW<a INT, b STRING>"},
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))

/* Walks the typed tree: every node typed, printable, positioned. */
static void check(const sql_expr *e, int depth) {
  FUZZ_CHECK(e && e->type, "a node without a type");
  FUZZ_CHECK(e->line >= 1 && e->col >= 1, "a node at %d:%d", e->line, e->col);
  FUZZ_CHECK(depth < 5000, "too deep");
  sp_strbuf sb = {0};
  FUZZ_CHECK(sql_type_format(e->type, &sb) == 0 && sb.len > 0, "an unprintable type");
  sp_strbuf_free(&sb);
  if (e->kind == SQL_E_CALL)
    for (int i = 0; i < e->u.call.nargs; i++) check(e->u.call.args[i], depth + 1);
  else if (e->kind == SQL_E_CAST)
    check(e->u.cast.arg, depth + 1);
  else if (e->kind == SQL_E_COLUMN)
    FUZZ_CHECK(e->u.column >= 0 && e->u.column < NCOLS, "column %d", e->u.column);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16 * 1024) return 0;
  sql_arena arena = {0};
  sql_ast *types[NCOLS] = {0};
  sql_scope_column cols[NCOLS];
  char err[1024];
  for (int i = 0; i < NCOLS; i++) {
    sql_type *t = NULL;
    FUZZ_CHECK(sql_parse_type(columns[i][1], strlen(columns[i][1]), (sql_pos){0, 0}, &types[i], err,
                              sizeof err) == 0 &&
                   sql_type_resolve(types[i]->root, &arena, &t, err, sizeof err) == 0,
               "scope type %s: %s", columns[i][1], err);
    cols[i].name = columns[i][0];
    cols[i].type = t;
  }
  sql_scope scope = {cols, NCOLS, NULL};
  sql_ast *ast = NULL;
  if (sql_parse_expression((const char *)data, size, (sql_pos){0, 0}, &ast, err, sizeof err) == 0) {
    sql_expr *e = NULL;
    sql_verror verr;
    int rc = sql_validate_expr(ast->root, &scope, &ast->arena, &e, &verr);
    if (rc) {
      FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
      FUZZ_CHECK(rc == SPATE_ENOMEM || verr.msg[0], "a failure without a message");
      FUZZ_CHECK(rc == SPATE_ENOMEM || (verr.line >= 1 && verr.col >= 1), "error at %d:%d",
                 verr.line, verr.col);
      FUZZ_CHECK(e == NULL, "a failure left a tree");
    } else {
      check(e, 0);
    }
    sql_ast_free(ast);
  }
  for (int i = 0; i < NCOLS; i++) sql_ast_free(types[i]);
  sql_arena_free(&arena);
  return 0;
}
