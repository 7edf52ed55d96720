/*
 * sql_parse_stmt.c: statements. DDL (CREATE TABLE with physical, computed and metadata columns,
 * WATERMARK, PRIMARY KEY ... NOT ENFORCED, COMMENT, PARTITIONED BY, WITH options and CTAS;
 * CREATE VIEW; CREATE FUNCTION; DROP; ALTER TABLE SET/RESET/RENAME TO), DML (INSERT INTO and
 * OVERWRITE with PARTITION, statement sets, EXECUTE), EXPLAIN, and the client's statements (SET,
 * RESET, SHOW ..., DESCRIBE/DESC, USE [CATALOG], BEGIN STATEMENT SET, END, QUIT, EXIT, HELP,
 * CLEAR). A statement may end with one ';'. Grammar as in Flink's parserImpls.ftl.
 */
#include <string.h>

#include "sql/sql_parser_int.h"

static int if_not_exists(sql_parser *p) {
  if (!sqlp_at(p, "IF")) {
    sqlp_expect(p, "\"IF\"");
    return 0;
  }
  sqlp_advance(p);
  return sqlp_require(p, "NOT") && sqlp_require(p, "EXISTS") ? 1 : -1;
}

static int if_exists(sql_parser *p) {
  if (!sqlp_at(p, "IF")) {
    sqlp_expect(p, "\"IF\"");
    return 0;
  }
  sqlp_advance(p);
  return sqlp_require(p, "EXISTS") ? 1 : -1;
}

/* ( 'k' = 'v', ... ), or ( 'k', ... ) when keys_only (ALTER TABLE RESET). */
static int option_list(sql_parser *p, sql_list *out, int keys_only) {
  if (!sqlp_require_op(p, SQL_OP_LPAREN)) return 0;
  sqlp_vec v = {0};
  if (!sqlp_at_op(p, SQL_OP_RPAREN)) {
    do {
      const sql_token *at = sqlp_tok(p);
      sql_node *o = sqlp_node(p, SQL_OPTION, at);
      if (!o || !(o->u.option.key = sqlp_string(p))) return 0;
      if (!keys_only) {
        if (!sqlp_require_op(p, SQL_OP_EQ) || !(o->u.option.value = sqlp_string(p))) return 0;
      }
      if (sqlp_push(p, &v, o)) return 0;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
  }
  if (!sqlp_require_op(p, SQL_OP_RPAREN)) return 0;
  *out = sqlp_list(&v);
  return 1;
}

/* [CONSTRAINT name] PRIMARY KEY [(cols)] [NOT] ENFORCED, at CONSTRAINT or PRIMARY. */
static sql_node *primary_key(sql_parser *p, int inline_column) {
  const sql_token *at = sqlp_tok(p);
  sql_node *k = sqlp_node(p, SQL_PRIMARY_KEY, at);
  if (!k) return NULL;
  k->u.pk.enforced = 1;
  if (sqlp_accept(p, "CONSTRAINT") && !sqlp_name(p, &k->u.pk.name)) return sqlp_fail(p);
  if (!sqlp_require(p, "PRIMARY") || !sqlp_require(p, "KEY")) return NULL;
  if (!inline_column && !sqlp_name_list(p, &k->u.pk.columns)) return NULL;
  if (sqlp_at(p, "NOT") && sqlp_at_k(p, 1, "ENFORCED")) {
    sqlp_advance(p);
    sqlp_advance(p);
    k->u.pk.enforced = 0;
  } else {
    sqlp_expect(p, "\"NOT\"");
    sqlp_accept(p, "ENFORCED"); /* the validator rejects ENFORCED as Flink does */
  }
  return k;
}

static const char *opt_comment(sql_parser *p) {
  if (!sqlp_accept(p, "COMMENT")) return NULL;
  return sqlp_string(p);
}

/* One element of CREATE TABLE's parentheses, appended to the right list. */
static int table_element(sql_parser *p, sqlp_vec *cols, sqlp_vec *cons, sqlp_vec *wms) {
  const sql_token *at = sqlp_tok(p);
  if (sqlp_accept(p, "WATERMARK")) {
    sql_node *w = sqlp_node(p, SQL_WATERMARK, at);
    if (!w || !sqlp_require(p, "FOR")) return 0;
    if (!(w->u.watermark.column = sqlp_compound(p, 0)) || !sqlp_require(p, "AS")) return 0;
    if (!(w->u.watermark.expr = sqlp_expr(p))) return 0;
    return sqlp_push(p, wms, w) == 0;
  }
  if (sqlp_at(p, "CONSTRAINT") || sqlp_at(p, "PRIMARY")) {
    sql_node *k = primary_key(p, 0);
    return k && sqlp_push(p, cons, k) == 0;
  }
  sql_node *c = sqlp_node(p, SQL_COLUMN, at);
  if (!c) return 0;
  if (!sqlp_name(p, &c->u.column.name)) {
    sqlp_expect(p, "\"WATERMARK\"");
    sqlp_expect(p, "\"PRIMARY\"");
    sqlp_expect(p, "\"CONSTRAINT\"");
    sqlp_fail(p);
    return 0;
  }
  if (sqlp_accept(p, "AS")) {
    c->u.column.kind = SQL_COLUMN_COMPUTED;
    if (!(c->u.column.expr = sqlp_expr(p))) return 0;
  } else {
    c->u.column.kind = SQL_COLUMN_PHYSICAL;
    if (!(c->u.column.type = sqlp_type(p))) return 0;
    if (sqlp_accept(p, "METADATA")) {
      c->u.column.kind = SQL_COLUMN_METADATA;
      if (sqlp_accept(p, "FROM") && !(c->u.column.metadata_key = sqlp_string(p))) return 0;
      c->u.column.is_virtual = sqlp_accept(p, "VIRTUAL");
    } else if (sqlp_at(p, "CONSTRAINT") || sqlp_at(p, "PRIMARY")) {
      if (!(c->u.column.pk = primary_key(p, 1))) return 0;
    } else {
      sqlp_expect(p, "\"METADATA\"");
      sqlp_expect(p, "\"PRIMARY\"");
      sqlp_expect(p, "\"CONSTRAINT\"");
    }
  }
  if (sqlp_at(p, "COMMENT") && !(c->u.column.comment = opt_comment(p))) return 0;
  sqlp_expect(p, "\"COMMENT\"");
  return sqlp_push(p, cols, c) == 0;
}

static sql_node *create_table(sql_parser *p, const sql_token *at, int temporary) {
  sql_node *s = sqlp_node(p, SQL_CREATE_TABLE, at);
  if (!s) return NULL;
  s->u.create_table.temporary = temporary;
  int ine = if_not_exists(p);
  if (ine < 0) return NULL;
  s->u.create_table.if_not_exists = ine;
  if (!(s->u.create_table.name = sqlp_compound(p, 0))) return NULL;
  if (sqlp_accept_op(p, SQL_OP_LPAREN)) {
    sqlp_vec cols = {0}, cons = {0}, wms = {0};
    do {
      if (!table_element(p, &cols, &cons, &wms)) return NULL;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
    s->u.create_table.columns = sqlp_list(&cols);
    s->u.create_table.constraints = sqlp_list(&cons);
    s->u.create_table.watermarks = sqlp_list(&wms);
  }
  if (sqlp_at(p, "COMMENT") && !(s->u.create_table.comment = opt_comment(p))) return NULL;
  if (sqlp_accept(p, "PARTITIONED")) {
    if (!sqlp_require(p, "BY") || !sqlp_name_list(p, &s->u.create_table.partitioned_by))
      return NULL;
  }
  if (sqlp_accept(p, "WITH") && !option_list(p, &s->u.create_table.options, 0)) return NULL;
  if (sqlp_accept(p, "AS") && !(s->u.create_table.query = sqlp_query(p))) return NULL;
  return s;
}

static sql_node *create_view(sql_parser *p, const sql_token *at, int temporary) {
  sql_node *s = sqlp_node(p, SQL_CREATE_VIEW, at);
  if (!s) return NULL;
  s->u.create_view.temporary = temporary;
  int ine = if_not_exists(p);
  if (ine < 0) return NULL;
  s->u.create_view.if_not_exists = ine;
  if (!(s->u.create_view.name = sqlp_compound(p, 0))) return NULL;
  if (sqlp_at_op(p, SQL_OP_LPAREN) && !sqlp_name_list(p, &s->u.create_view.columns)) return NULL;
  if (sqlp_at(p, "COMMENT") && !(s->u.create_view.comment = opt_comment(p))) return NULL;
  if (!sqlp_require(p, "AS") || !(s->u.create_view.query = sqlp_query(p))) return NULL;
  return s;
}

static sql_node *create_function(sql_parser *p, const sql_token *at, int temporary, int system) {
  sql_node *s = sqlp_node(p, SQL_CREATE_FUNCTION, at);
  if (!s) return NULL;
  s->u.create_function.temporary = temporary;
  s->u.create_function.system = system;
  int ine = if_not_exists(p);
  if (ine < 0) return NULL;
  s->u.create_function.if_not_exists = ine;
  if (!(s->u.create_function.name = sqlp_compound(p, 0))) return NULL;
  if (!sqlp_require(p, "AS") || !(s->u.create_function.class_name = sqlp_string(p))) return NULL;
  if (sqlp_accept(p, "LANGUAGE")) {
    static const struct {
      const char *word;
      int lang;
    } langs[] = {{"JAVA", SQL_LANG_JAVA},
                 {"SCALA", SQL_LANG_SCALA},
                 {"PYTHON", SQL_LANG_PYTHON},
                 {"C", SQL_LANG_C}};
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
      if (sqlp_accept(p, langs[i].word)) s->u.create_function.language = langs[i].lang;
    if (!s->u.create_function.language) return sqlp_fail(p);
  }
  if (sqlp_accept(p, "USING")) {
    const char *jars[64];
    int n = 0;
    do {
      if (!sqlp_require(p, "JAR")) return NULL;
      if (n == 64) return sqlp_error_at(p, at->line, at->col, "More than 64 resources");
      if (!(jars[n++] = sqlp_string(p))) return NULL;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    s->u.create_function.jars = sql_arena_alloc(p->arena, (size_t)n * sizeof(char *));
    if (!s->u.create_function.jars) return sqlp_oom(p);
    memcpy(s->u.create_function.jars, jars, (size_t)n * sizeof(char *));
    s->u.create_function.njars = n;
  }
  return s;
}

static sql_node *create_stmt(sql_parser *p, const sql_token *at) {
  int temporary = sqlp_accept(p, "TEMPORARY");
  int system = temporary && sqlp_accept(p, "SYSTEM");
  if (!system && sqlp_accept(p, "TABLE")) return create_table(p, at, temporary);
  if (!system && sqlp_accept(p, "VIEW")) return create_view(p, at, temporary);
  if (sqlp_accept(p, "FUNCTION")) return create_function(p, at, temporary, system);
  return sqlp_fail(p);
}

static sql_node *drop_stmt(sql_parser *p, const sql_token *at) {
  sql_node *s = sqlp_node(p, SQL_DROP, at);
  if (!s) return NULL;
  s->u.drop.temporary = sqlp_accept(p, "TEMPORARY");
  s->u.drop.system = s->u.drop.temporary && sqlp_accept(p, "SYSTEM");
  if (!s->u.drop.system && sqlp_accept(p, "TABLE"))
    s->u.drop.object = SQL_OBJ_TABLE;
  else if (!s->u.drop.system && sqlp_accept(p, "VIEW"))
    s->u.drop.object = SQL_OBJ_VIEW;
  else if (sqlp_accept(p, "FUNCTION"))
    s->u.drop.object = SQL_OBJ_FUNCTION;
  else if (!s->u.drop.temporary && sqlp_accept(p, "DATABASE"))
    s->u.drop.object = SQL_OBJ_DATABASE;
  else if (!s->u.drop.temporary && sqlp_accept(p, "CATALOG"))
    s->u.drop.object = SQL_OBJ_CATALOG;
  else
    return sqlp_fail(p);
  int ie = if_exists(p);
  if (ie < 0) return NULL;
  s->u.drop.if_exists = ie;
  if (!(s->u.drop.name = sqlp_compound(p, 0))) return NULL;
  return s;
}

static sql_node *alter_stmt(sql_parser *p, const sql_token *at) {
  if (!sqlp_require(p, "TABLE")) return NULL;
  sql_node *s = sqlp_node(p, SQL_ALTER_TABLE, at);
  if (!s) return NULL;
  int ie = if_exists(p);
  if (ie < 0) return NULL;
  s->u.alter_table.if_exists = ie;
  if (!(s->u.alter_table.name = sqlp_compound(p, 0))) return NULL;
  if (sqlp_accept(p, "SET")) {
    s->u.alter_table.action = SQL_ALTER_SET;
    if (!option_list(p, &s->u.alter_table.options, 0)) return NULL;
  } else if (sqlp_accept(p, "RESET")) {
    s->u.alter_table.action = SQL_ALTER_RESET;
    if (!option_list(p, &s->u.alter_table.options, 1)) return NULL;
  } else if (sqlp_accept(p, "RENAME")) {
    s->u.alter_table.action = SQL_ALTER_RENAME;
    if (!sqlp_require(p, "TO") || !(s->u.alter_table.new_name = sqlp_compound(p, 0))) return NULL;
  } else {
    return sqlp_fail(p);
  }
  return s;
}

static sql_node *insert_stmt(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sqlp_advance(p); /* INSERT */
  sql_node *s = sqlp_node(p, SQL_INSERT, at);
  if (!s) return NULL;
  if (sqlp_accept(p, "OVERWRITE"))
    s->u.insert.overwrite = 1;
  else if (!sqlp_require(p, "INTO"))
    return NULL;
  if (!(s->u.insert.table = sqlp_compound(p, 0))) return NULL;
  if (sqlp_accept(p, "PARTITION")) {
    if (!sqlp_require_op(p, SQL_OP_LPAREN)) return NULL;
    sqlp_vec v = {0};
    do {
      const sql_token *kat = sqlp_tok(p);
      sql_node *kv = sqlp_node(p, SQL_NAMED_ARG, kat);
      if (!kv) return NULL;
      if (!sqlp_name(p, &kv->u.named.name)) return sqlp_fail(p);
      if (!sqlp_require_op(p, SQL_OP_EQ) || !(kv->u.named.value = sqlp_expr(p))) return NULL;
      if (kv->u.named.value->kind != SQL_LITERAL &&
          !(kv->u.named.value->kind == SQL_UNARY &&
            kv->u.named.value->u.unary.arg->kind == SQL_LITERAL))
        return sqlp_error_at(p, kv->u.named.value->line, kv->u.named.value->col,
                             "A partition value must be a literal");
      if (sqlp_push(p, &v, kv)) return NULL;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
    s->u.insert.partition = sqlp_list(&v);
  }
  /* A column list, unless the parenthesis opens the query itself. */
  if (sqlp_at_op(p, SQL_OP_LPAREN)) {
    const sql_token *next = sqlp_peek(p, 1);
    if (!sqlp_tok_is(next, "SELECT") && !sqlp_tok_is(next, "WITH") &&
        !sqlp_tok_is(next, "VALUES") && !(next->kind == SQL_TK_OP && next->op == SQL_OP_LPAREN) &&
        !sqlp_name_list(p, &s->u.insert.columns))
      return NULL;
  }
  if (!(s->u.insert.query = sqlp_query(p))) return NULL;
  return s;
}

/* STATEMENT SET BEGIN insert; ... END, after EXECUTE or EXPLAIN. */
static sql_node *statement_set(sql_parser *p, const sql_token *at) {
  if (!sqlp_require(p, "STATEMENT") || !sqlp_require(p, "SET") || !sqlp_require(p, "BEGIN"))
    return NULL;
  sql_node *s = sqlp_node(p, SQL_STATEMENT_SET, at);
  if (!s) return NULL;
  sqlp_vec v = {0};
  do {
    if (!sqlp_at(p, "INSERT")) {
      sqlp_expect(p, "\"INSERT\"");
      return sqlp_fail(p);
    }
    sql_node *ins = insert_stmt(p);
    if (!ins || sqlp_push(p, &v, ins) || !sqlp_require_op(p, SQL_OP_SEMICOLON)) return NULL;
  } while (!sqlp_accept(p, "END"));
  s->u.stmts.list = sqlp_list(&v);
  return s;
}

/* What EXECUTE and EXPLAIN take: INSERT, a statement set, or a query. */
static sql_node *dml_or_query(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  if (sqlp_at(p, "INSERT")) return insert_stmt(p);
  if (sqlp_at(p, "STATEMENT")) return statement_set(p, at);
  sqlp_expect(p, "\"INSERT\"");
  sqlp_expect(p, "\"STATEMENT\"");
  return sqlp_query(p);
}

static sql_node *explain_stmt(sql_parser *p, const sql_token *at) {
  sql_node *s = sqlp_node(p, SQL_EXPLAIN, at);
  if (!s) return NULL;
  if (sqlp_accept(p, "PLAN")) {
    if (!sqlp_require(p, "FOR")) return NULL;
    s->u.explain.details = SQL_EXPLAIN_PLAN_FOR;
  } else {
    static const struct {
      const char *word;
      int bit;
    } details[] = {{"ESTIMATED_COST", SQL_EXPLAIN_ESTIMATED_COST},
                   {"CHANGELOG_MODE", SQL_EXPLAIN_CHANGELOG_MODE},
                   {"JSON_EXECUTION_PLAN", SQL_EXPLAIN_JSON_EXECUTION_PLAN},
                   {"PLAN_ADVICE", SQL_EXPLAIN_PLAN_ADVICE}};
    for (;;) {
      int found = 0;
      for (size_t i = 0; i < sizeof details / sizeof details[0]; i++) {
        const sql_token *t = sqlp_tok(p);
        if (sqlp_accept(p, details[i].word)) {
          if (s->u.explain.details & details[i].bit)
            return sqlp_error_at(p, t->line, t->col, "Duplicate EXPLAIN DETAIL is not allowed");
          s->u.explain.details |= details[i].bit;
          found = 1;
          break;
        }
      }
      if (!found || !sqlp_accept_op(p, SQL_OP_COMMA)) break;
    }
  }
  const sql_token *ex = sqlp_tok(p);
  if (sqlp_accept(p, "EXECUTE")) {
    /* EXPLAIN EXECUTE STATEMENT SET ... explains what EXECUTE would run. */
    sql_node *e = sqlp_node(p, SQL_EXECUTE, ex);
    if (!e || !(e->u.execute.stmt = dml_or_query(p))) return NULL;
    s->u.explain.stmt = e;
    return s;
  }
  if (!(s->u.explain.stmt = dml_or_query(p))) return NULL;
  return s;
}

static sql_node *show_stmt(sql_parser *p, const sql_token *at) {
  sql_node *s = sqlp_node(p, SQL_SHOW, at);
  if (!s) return NULL;
  int like_ok = 0, from_ok = 0;
  if (sqlp_accept(p, "TABLES"))
    s->u.show.what = SQL_SHOW_TABLES, like_ok = from_ok = 1;
  else if (sqlp_accept(p, "VIEWS"))
    s->u.show.what = SQL_SHOW_VIEWS;
  else if (sqlp_accept(p, "FUNCTIONS"))
    s->u.show.what = SQL_SHOW_FUNCTIONS, like_ok = from_ok = 1;
  else if (sqlp_accept(p, "USER")) {
    if (!sqlp_require(p, "FUNCTIONS")) return NULL;
    s->u.show.what = SQL_SHOW_USER_FUNCTIONS, like_ok = from_ok = 1;
  } else if (sqlp_accept(p, "CATALOGS"))
    s->u.show.what = SQL_SHOW_CATALOGS;
  else if (sqlp_accept(p, "DATABASES"))
    s->u.show.what = SQL_SHOW_DATABASES;
  else if (sqlp_accept(p, "CURRENT")) {
    if (sqlp_accept(p, "CATALOG"))
      s->u.show.what = SQL_SHOW_CURRENT_CATALOG;
    else if (sqlp_require(p, "DATABASE"))
      s->u.show.what = SQL_SHOW_CURRENT_DATABASE;
    else
      return NULL;
  } else if (sqlp_accept(p, "JOBS"))
    s->u.show.what = SQL_SHOW_JOBS;
  else if (sqlp_accept(p, "MODULES"))
    s->u.show.what = SQL_SHOW_MODULES;
  else if (sqlp_accept(p, "FULL")) {
    if (!sqlp_require(p, "MODULES")) return NULL;
    s->u.show.what = SQL_SHOW_FULL_MODULES;
  } else if (sqlp_accept(p, "CREATE")) {
    if (sqlp_accept(p, "TABLE"))
      s->u.show.what = SQL_SHOW_CREATE_TABLE;
    else if (sqlp_require(p, "VIEW"))
      s->u.show.what = SQL_SHOW_CREATE_VIEW;
    else
      return NULL;
    if (!(s->u.show.name = sqlp_compound(p, 0))) return NULL;
  } else if (sqlp_accept(p, "COLUMNS")) {
    s->u.show.what = SQL_SHOW_COLUMNS;
    like_ok = 1;
    if (!sqlp_accept(p, "FROM") && !sqlp_require(p, "IN")) return NULL;
    if (!(s->u.show.name = sqlp_compound(p, 0))) return NULL;
  } else {
    return sqlp_fail(p);
  }
  if (from_ok && (sqlp_accept(p, "FROM") || sqlp_accept(p, "IN"))) {
    if (!(s->u.show.name = sqlp_compound(p, 0))) return NULL;
  }
  if (like_ok) {
    int neg = sqlp_at(p, "NOT") && sqlp_at_k(p, 1, "LIKE");
    if (neg) sqlp_advance(p);
    if (sqlp_accept(p, "LIKE")) {
      s->u.show.not_like = neg;
      if (!(s->u.show.like = sqlp_string(p))) return NULL;
    }
  }
  return s;
}

/* The single-word client commands, when the statement is just that word. */
static int client_command(const sql_parser *p) {
  const sql_token *next = sqlp_peek(p, 1);
  if (next->kind != SQL_TK_EOF && !(next->kind == SQL_TK_OP && next->op == SQL_OP_SEMICOLON))
    return 0;
  if (sqlp_at(p, "QUIT")) return SQL_CLIENT_QUIT;
  if (sqlp_at(p, "EXIT")) return SQL_CLIENT_EXIT;
  if (sqlp_at(p, "HELP")) return SQL_CLIENT_HELP;
  if (sqlp_at(p, "CLEAR")) return SQL_CLIENT_CLEAR;
  return 0;
}

static sql_node *statement_body(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  int cmd = client_command(p);
  if (cmd) {
    sqlp_advance(p);
    sql_node *s = sqlp_node(p, SQL_CLIENT, at);
    if (s) s->u.client.cmd = cmd;
    return s;
  }
  if (sqlp_accept(p, "CREATE")) return create_stmt(p, at);
  if (sqlp_accept(p, "DROP")) return drop_stmt(p, at);
  if (sqlp_accept(p, "ALTER")) return alter_stmt(p, at);
  if (sqlp_at(p, "INSERT")) return insert_stmt(p);
  if (sqlp_accept(p, "EXECUTE")) {
    sql_node *s = sqlp_node(p, SQL_EXECUTE, at);
    if (!s || !(s->u.execute.stmt = dml_or_query(p))) return NULL;
    return s;
  }
  if (sqlp_accept(p, "EXPLAIN")) return explain_stmt(p, at);
  if (sqlp_accept(p, "BEGIN")) {
    if (!sqlp_require(p, "STATEMENT") || !sqlp_require(p, "SET")) return NULL;
    return sqlp_node(p, SQL_BEGIN_STATEMENT_SET, at);
  }
  if (sqlp_accept(p, "END")) return sqlp_node(p, SQL_END, at);
  if (sqlp_accept(p, "SET") || sqlp_accept(p, "RESET")) {
    int reset = sqlp_tok_is(at, "RESET");
    sql_node *s = sqlp_node(p, reset ? SQL_RESET : SQL_SET, at);
    if (!s) return NULL;
    if (sqlp_tok(p)->kind == SQL_TK_STRING) {
      s->u.set.key = sqlp_string(p);
      if (!reset && (!sqlp_require_op(p, SQL_OP_EQ) || !(s->u.set.value = sqlp_string(p))))
        return NULL;
    } else {
      sqlp_expect(p, "<QUOTED_STRING>");
    }
    return s;
  }
  if (sqlp_accept(p, "SHOW")) return show_stmt(p, at);
  if (sqlp_accept(p, "DESCRIBE") || sqlp_accept(p, "DESC")) {
    sql_node *s = sqlp_node(p, SQL_DESCRIBE, at);
    if (!s) return NULL;
    s->u.describe.extended = sqlp_accept(p, "EXTENDED");
    if (!(s->u.describe.name = sqlp_compound(p, 0))) return NULL;
    return s;
  }
  if (sqlp_accept(p, "USE")) {
    sql_node *s = sqlp_node(p, SQL_USE, at);
    if (!s) return NULL;
    /* USE CATALOG c; but a database may itself be called catalog: USE catalog; */
    const sql_token *next = sqlp_peek(p, 1);
    if (sqlp_at(p, "CATALOG") && (next->kind == SQL_TK_WORD || next->kind == SQL_TK_QIDENT)) {
      sqlp_advance(p);
      s->u.use.catalog = 1;
    }
    if (!(s->u.use.name = sqlp_compound(p, 0))) return NULL;
    return s;
  }
  static const char *const starts[] = {"\"CREATE\"",  "\"DROP\"",     "\"ALTER\"", "\"INSERT\"",
                                       "\"EXECUTE\"", "\"EXPLAIN\"",  "\"SET\"",   "\"RESET\"",
                                       "\"SHOW\"",    "\"DESCRIBE\"", "\"USE\"",   "\"BEGIN\"",
                                       "\"END\""};
  if (!sqlp_at_query_start(p)) {
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) sqlp_expect(p, starts[i]);
  }
  return sqlp_query(p);
}

sql_node *sqlp_statement(sql_parser *p) {
  sql_node *s = statement_body(p);
  if (!s) return NULL;
  if (sqlp_at_op(p, SQL_OP_SEMICOLON)) sqlp_advance(p); /* not listed as expected */
  if (sqlp_tok(p)->kind != SQL_TK_EOF) {
    sqlp_expect(p, "<EOF>");
    return sqlp_fail(p);
  }
  return s;
}
