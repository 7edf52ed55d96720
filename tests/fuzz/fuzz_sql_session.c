/*
 * fuzz_sql_session.c: a SQL session (src/sql/sql_session.c) running a script of arbitrary text:
 * the catalog's DDL, SET/RESET, SHOW and DESCRIBE on whatever trees the parser accepts, and
 * queries, INSERTs and EXPLAIN through the planner, the expression compiler, the table factories
 * and the translation into a JobGraph (a dry run: no job runs). The
 * input is split as a script and its statements run in order in one session, so that later
 * statements meet the tables, views, functions and settings of earlier ones.
 *
 * Contracts checked: a statement either succeeds with a result of a known kind (a table's rows
 * have its column count) or fails with a message and a kind of error; the session stays usable
 * (SHOW TABLES and SET; succeed at the end), and nothing leaks when it is freed.
 */
#include "fuzz.h"

#include "base/config.h"
#include "base/err.h"
#include "sql/sql_script.h"
#include "sql/sql_session.h"

static void run(sql_session *s, const char *text, size_t len, int line, int col) {
  sql_result r = {0};
  sql_error_kind kind;
  sp_strbuf err = {0};
  int rc = sql_session_execute(s, text, len, line, col, &r, &kind, &err);
  if (rc) {
    FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
    FUZZ_CHECK(rc == SPATE_ENOMEM || err.len > 0, "a failure without a message");
    FUZZ_CHECK(r.nrows == 0 && r.message == NULL, "a failure left a result");
  } else {
    FUZZ_CHECK(r.kind >= SQL_RESULT_INFO && r.kind <= SQL_RESULT_CLEAR, "kind %d", r.kind);
    if (r.kind == SQL_RESULT_TABLE)
      for (int64_t i = 0; i < r.nrows; i++) FUZZ_CHECK(r.rows[i] != NULL, "a missing row");
  }
  sql_result_free(&r);
  sp_free(err.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024) return 0;
  const char *text = (const char *)data;
  sp_config *base = sp_config_new();
  sql_session *s = NULL;
  FUZZ_CHECK(base && sql_session_new(base, &s) == 0, "out of memory");
  sql_session_set_dry_run(s, true); /* plans and builds every query's job, runs none */
  sql_script_stmt *st = NULL;
  int n = 0;
  FUZZ_CHECK(sql_split_script(text, size, &st, &n) == 0, "split failed");
  for (int i = 0; i < n && i < 64; i++) run(s, text + st[i].off, st[i].len, st[i].line, st[i].col);
  sp_free(st);
  static const char show[] = "SHOW TABLES", set[] = "SET";
  sql_result r = {0};
  sql_error_kind kind;
  sp_strbuf err = {0};
  FUZZ_CHECK(sql_session_execute(s, show, sizeof show - 1, 1, 1, &r, &kind, &err) == 0,
             "SHOW TABLES failed: %s", err.data);
  sql_result_free(&r);
  FUZZ_CHECK(sql_session_execute(s, set, sizeof set - 1, 1, 1, &r, &kind, &err) == 0,
             "SET; failed: %s", err.data);
  sql_result_free(&r);
  sp_free(err.data);
  sql_session_free(s);
  sp_config_free(base);
  return 0;
}
