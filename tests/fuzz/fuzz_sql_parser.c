/*
 * fuzz_sql_parser.c: the SQL parser (src/sql/) on arbitrary text. The input is split as a
 * script (sql/sql_script.c) and each statement parsed at its script position.
 *
 * Contracts checked: a parse either gives a tree or SPATE_EINVAL/SPATE_ENOMEM with a message
 * that starts "SQL parse failed." and names a position; a tree's canonical text parses again and
 * prints the same text (the unparser and parser agree); every node's children are reachable.
 */
#include "fuzz.h"

#include "base/err.h"
#include "sql/sql_parser.h"
#include "sql/sql_script.h"

static void parse_one(const char *text, size_t len, sql_pos at) {
  sql_ast *ast = NULL;
  char err[4096];
  int rc = sql_parse_statement(text, len, at, &ast, err, sizeof err);
  if (rc) {
    FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
    FUZZ_CHECK(ast == NULL, "a failed parse returned a tree");
    FUZZ_CHECK(strncmp(err, "SQL parse failed.", 17) == 0, "message: %s", err);
    FUZZ_CHECK(rc == SPATE_ENOMEM || strstr(err, "line ") != NULL, "no position: %s", err);
    return;
  }
  sp_strbuf once = {0}, twice = {0};
  FUZZ_CHECK(sql_unparse(ast->root, &once) == 0, "unparse failed");
  sql_ast *again = NULL;
  rc = sql_parse_statement(once.data, once.len, (sql_pos){1, 1}, &again, err, sizeof err);
  FUZZ_CHECK(rc == 0, "canonical text does not parse: [%s]: %s", once.data, err);
  FUZZ_CHECK(sql_unparse(again->root, &twice) == 0, "unparse failed");
  FUZZ_CHECK(strcmp(once.data, twice.data) == 0, "unstable: [%s] then [%s]", once.data, twice.data);
  sp_strbuf_free(&once);
  sp_strbuf_free(&twice);
  sql_ast_free(again);
  sql_ast_free(ast);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024) return 0; /* the parser is linear; bigger inputs only slow the search */
  const char *text = (const char *)data;
  sql_script_stmt *st = NULL;
  int n = 0;
  FUZZ_CHECK(sql_split_script(text, size, &st, &n) == 0, "split failed");
  for (int i = 0; i < n; i++) {
    FUZZ_CHECK(st[i].off + st[i].len <= size, "statement out of bounds");
    parse_one(text + st[i].off, st[i].len, (sql_pos){st[i].line, st[i].col});
  }
  sp_free(st);
  /* The whole input as one statement too: the parser must cope with ';' and anything else. */
  parse_one(text, size, (sql_pos){1, 1});
  return 0;
}
