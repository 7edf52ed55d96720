/*
 * sql_parse_query.c: queries. A query is WITH items and a body; a body is set operations over
 * SELECTs, VALUES and parenthesised queries, INTERSECT binding tighter than UNION and EXCEPT
 * (MINUS is EXCEPT), all left-associative; ORDER BY, LIMIT, OFFSET and FETCH follow the body.
 *
 * FROM takes table references joined by commas (loosest) and by JOIN forms: [INNER] JOIN,
 * LEFT/RIGHT/FULL [OUTER] JOIN with ON or USING, CROSS JOIN, NATURAL joins. A table reference
 * is a name (cat.db.t) with FOR SYSTEM_TIME AS OF, a derived table, TABLE(f(...)) (window table
 * functions: TUMBLE, HOP, CUMULATE, SESSION), LATERAL TABLE(f(...)), LATERAL (query),
 * UNNEST(...) [WITH ORDINALITY], or a parenthesised join; each may take [AS] alias [(columns)].
 * MATCH_RECOGNIZE, TABLESAMPLE and PIVOT are not parsed.
 */
#include <string.h>

#include "sql/sql_parser_int.h"

int sqlp_at_query_start(const sql_parser *p) {
  return sqlp_at(p, "SELECT") || sqlp_at(p, "WITH") || sqlp_at(p, "VALUES") ||
         sqlp_at_op(p, SQL_OP_LPAREN);
}

static sql_node *query_body(sql_parser *p);
static sql_node *from_clause(sql_parser *p);

/* Whether the tokens ahead are name(.name)*.* : a select item t.* */
static int at_qualified_star(const sql_parser *p) {
  int k = 0;
  for (;;) {
    const sql_token *t = sqlp_peek(p, k);
    if (t->kind != SQL_TK_WORD && t->kind != SQL_TK_QIDENT) return 0;
    const sql_token *dot = sqlp_peek(p, k + 1);
    if (dot->kind != SQL_TK_OP || dot->op != SQL_OP_DOT) return 0;
    const sql_token *after = sqlp_peek(p, k + 2);
    if (after->kind == SQL_TK_OP && after->op == SQL_OP_STAR) return 1;
    k += 2;
  }
}

/* [AS] alias, or nothing: wraps arg in SQL_ALIAS. Columns (c1, c2) when allowed. */
static sql_node *opt_alias(sql_parser *p, sql_node *arg, int allow_columns) {
  const sql_token *at = sqlp_tok(p);
  int as = sqlp_accept(p, "AS");
  if (!as && !sqlp_at_name(p)) {
    sqlp_expect(p, "<IDENTIFIER>");
    sqlp_expect(p, "<QUOTED_IDENTIFIER>");
    return arg;
  }
  sql_node *a = sqlp_node(p, SQL_ALIAS, at);
  if (!a) return NULL;
  a->line = arg->line;
  a->col = arg->col;
  a->u.alias.arg = arg;
  if (!sqlp_name(p, &a->u.alias.name)) return sqlp_fail(p);
  if (allow_columns && sqlp_at_op(p, SQL_OP_LPAREN)) {
    if (!sqlp_name_list(p, &a->u.alias.columns)) return NULL;
  }
  return a;
}

static sql_node *select_item(sql_parser *p) {
  if (sqlp_at_op(p, SQL_OP_STAR) || at_qualified_star(p)) return sqlp_compound(p, 1);
  sql_node *e = sqlp_expr(p);
  if (!e) return NULL;
  return opt_alias(p, e, 0);
}

/* One grouping element: GROUPING SETS (...), ROLLUP (...), CUBE (...), (), or an expression. */
static sql_node *grouping_element(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  int kind = 0;
  if (sqlp_at(p, "GROUPING") && sqlp_at_k(p, 1, "SETS")) {
    sqlp_advance(p);
    kind = SQL_GROUPING_SETS;
  } else if (sqlp_at(p, "ROLLUP")) {
    kind = SQL_ROLLUP;
  } else if (sqlp_at(p, "CUBE")) {
    kind = SQL_CUBE;
  }
  if (kind) {
    sqlp_advance(p);
    sql_node *g = sqlp_node(p, SQL_GROUPING, at);
    if (!g || !sqlp_require_op(p, SQL_OP_LPAREN)) return NULL;
    g->u.grouping.kind = kind;
    sqlp_vec v = {0};
    if (!sqlp_enter(p)) return NULL;
    do {
      sql_node *e = grouping_element(p);
      if (!e || sqlp_push(p, &v, e)) {
        sqlp_leave(p);
        return NULL;
      }
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    sqlp_leave(p);
    if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
    g->u.grouping.items = sqlp_list(&v);
    return g;
  }
  const sql_token *next = sqlp_peek(p, 1);
  if (sqlp_at_op(p, SQL_OP_LPAREN) && next->kind == SQL_TK_OP && next->op == SQL_OP_RPAREN) {
    sqlp_advance(p);
    sqlp_advance(p);
    sql_node *empty = sqlp_node(p, SQL_CTOR, at);
    if (empty) empty->u.ctor.kind = SQL_CTOR_PAREN;
    return empty;
  }
  return sqlp_expr(p);
}

static sql_node *select_query(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sqlp_advance(p); /* SELECT */
  sql_node *s = sqlp_node(p, SQL_SELECT, at);
  if (!s) return NULL;
  if (sqlp_accept(p, "DISTINCT"))
    s->u.select.quantifier = SQL_QUANT_DISTINCT;
  else if (sqlp_accept(p, "ALL"))
    s->u.select.quantifier = SQL_QUANT_ALL;
  sqlp_vec items = {0};
  do {
    sql_node *it = select_item(p);
    if (!it || sqlp_push(p, &items, it)) return NULL;
  } while (sqlp_accept_op(p, SQL_OP_COMMA));
  s->u.select.items = sqlp_list(&items);
  if (sqlp_accept(p, "FROM") && !(s->u.select.from = from_clause(p))) return NULL;
  if (sqlp_accept(p, "WHERE") && !(s->u.select.where = sqlp_expr(p))) return NULL;
  if (sqlp_accept(p, "GROUP")) {
    if (!sqlp_require(p, "BY")) return NULL;
    sqlp_vec g = {0};
    do {
      sql_node *e = grouping_element(p);
      if (!e || sqlp_push(p, &g, e)) return NULL;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    s->u.select.group_by = sqlp_list(&g);
  }
  if (sqlp_accept(p, "HAVING") && !(s->u.select.having = sqlp_expr(p))) return NULL;
  if (sqlp_accept(p, "WINDOW")) {
    sqlp_vec w = {0};
    do {
      const sql_token *wat = sqlp_tok(p);
      sql_node *d = sqlp_node(p, SQL_WINDOW_DEF, wat);
      if (!d) return NULL;
      if (!sqlp_name(p, &d->u.window_def.name)) return sqlp_fail(p);
      if (!sqlp_require(p, "AS") || !sqlp_require_op(p, SQL_OP_LPAREN)) return NULL;
      if (!(d->u.window_def.spec = sqlp_window_spec(p))) return NULL;
      if (!sqlp_require_op(p, SQL_OP_RPAREN) || sqlp_push(p, &w, d)) return NULL;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    s->u.select.windows = sqlp_list(&w);
  }
  return s;
}

static sql_node *values_query(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sqlp_advance(p); /* VALUES */
  sql_node *v = sqlp_node(p, SQL_VALUES, at);
  if (!v) return NULL;
  sqlp_vec rows = {0};
  do {
    const sql_token *rat = sqlp_tok(p);
    sql_node *row = sqlp_node(p, SQL_CTOR, rat);
    if (!row) return NULL;
    row->u.ctor.kind = SQL_CTOR_ROW;
    int explicit_row = sqlp_accept(p, "ROW");
    if (!sqlp_require_op(p, SQL_OP_LPAREN)) return NULL;
    (void)explicit_row;
    sqlp_vec items = {0};
    do {
      sql_node *e = sqlp_expr(p);
      if (!e || sqlp_push(p, &items, e)) return NULL;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
    row->u.ctor.items = sqlp_list(&items);
    if (sqlp_push(p, &rows, row)) return NULL;
  } while (sqlp_accept_op(p, SQL_OP_COMMA));
  v->u.values.rows = sqlp_list(&rows);
  return v;
}

static sql_node *query_primary(sql_parser *p) {
  if (sqlp_at(p, "SELECT")) return select_query(p);
  if (sqlp_at(p, "VALUES")) return values_query(p);
  if (sqlp_accept_op(p, SQL_OP_LPAREN)) {
    sql_node *q = sqlp_query(p);
    if (!q || !sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
    return q;
  }
  sqlp_expect(p, "\"SELECT\"");
  sqlp_expect(p, "\"VALUES\"");
  sqlp_expect(p, "\"WITH\"");
  sqlp_expect(p, "\"(\"");
  return sqlp_fail(p);
}

static int setop_quantifier(sql_parser *p) {
  if (sqlp_accept(p, "ALL")) return 1;
  sqlp_accept(p, "DISTINCT");
  return 0;
}

static sql_node *intersect_chain(sql_parser *p) {
  sql_node *left = query_primary(p);
  while (left) {
    const sql_token *at = sqlp_tok(p);
    if (!sqlp_accept(p, "INTERSECT")) break;
    sql_node *n = sqlp_node(p, SQL_SETOP, at);
    if (!n) return NULL;
    n->line = left->line;
    n->col = left->col;
    n->u.setop.op = SQL_SETOP_INTERSECT;
    n->u.setop.all = setop_quantifier(p);
    n->u.setop.left = left;
    if (!(n->u.setop.right = query_primary(p))) return NULL;
    left = n;
  }
  return left;
}

static sql_node *query_body(sql_parser *p) {
  sql_node *left = intersect_chain(p);
  while (left) {
    const sql_token *at = sqlp_tok(p);
    int op = 0;
    if (sqlp_accept(p, "UNION"))
      op = SQL_SETOP_UNION;
    else if (sqlp_accept(p, "EXCEPT") || sqlp_accept(p, "MINUS"))
      op = SQL_SETOP_EXCEPT;
    if (!op) break;
    sql_node *n = sqlp_node(p, SQL_SETOP, at);
    if (!n) return NULL;
    n->line = left->line;
    n->col = left->col;
    n->u.setop.op = op;
    n->u.setop.all = setop_quantifier(p);
    n->u.setop.left = left;
    if (!(n->u.setop.right = intersect_chain(p))) return NULL;
    left = n;
  }
  return left;
}

/* ORDER BY, LIMIT, OFFSET, FETCH after a body: into the SELECT, or an SQL_ORDERED around it. */
static sql_node *order_and_limit(sql_parser *p, sql_node *body) {
  const sql_token *at = sqlp_tok(p);
  sqlp_vec order = {0};
  sql_node *offset = NULL, *fetch = NULL;
  if (sqlp_accept(p, "ORDER")) {
    if (!sqlp_require(p, "BY")) return NULL;
    do {
      sql_node *o = sqlp_order_item(p);
      if (!o || sqlp_push(p, &order, o)) return NULL;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
  }
  if (sqlp_accept(p, "LIMIT")) {
    if (!(fetch = sqlp_expr(p))) return NULL;
  }
  if (sqlp_accept(p, "OFFSET")) {
    if (!(offset = sqlp_expr(p))) return NULL;
    if (!sqlp_accept(p, "ROWS")) sqlp_accept(p, "ROW");
  }
  if (!fetch && sqlp_accept(p, "FETCH")) {
    if (!sqlp_accept(p, "FIRST") && !sqlp_require(p, "NEXT")) return NULL;
    if (!(fetch = sqlp_expr(p))) return NULL;
    if (!sqlp_accept(p, "ROWS") && !sqlp_require(p, "ROW")) return NULL;
    if (!sqlp_require(p, "ONLY")) return NULL;
  }
  if (!order.n && !offset && !fetch) return body;
  if (body->kind == SQL_SELECT && !body->u.select.order.n && !body->u.select.offset &&
      !body->u.select.fetch) {
    body->u.select.order = sqlp_list(&order);
    body->u.select.offset = offset;
    body->u.select.fetch = fetch;
    return body;
  }
  sql_node *o = sqlp_node(p, SQL_ORDERED, at);
  if (!o) return NULL;
  o->line = body->line;
  o->col = body->col;
  o->u.ordered.query = body;
  o->u.ordered.order = sqlp_list(&order);
  o->u.ordered.offset = offset;
  o->u.ordered.fetch = fetch;
  return o;
}

sql_node *sqlp_query(sql_parser *p) {
  if (!sqlp_enter(p)) return NULL;
  sql_node *result = NULL;
  const sql_token *at = sqlp_tok(p);
  if (sqlp_accept(p, "WITH")) {
    sql_node *w = sqlp_node(p, SQL_WITH, at);
    if (!w) goto out;
    sqlp_vec items = {0};
    do {
      const sql_token *iat = sqlp_tok(p);
      sql_node *it = sqlp_node(p, SQL_WITH_ITEM, iat);
      if (!it) goto out;
      if (!sqlp_name(p, &it->u.with_item.name)) {
        sqlp_fail(p);
        goto out;
      }
      if (sqlp_at_op(p, SQL_OP_LPAREN) && !sqlp_name_list(p, &it->u.with_item.columns)) goto out;
      if (!sqlp_require(p, "AS") || !sqlp_require_op(p, SQL_OP_LPAREN)) goto out;
      if (!(it->u.with_item.query = sqlp_query(p))) goto out;
      if (!sqlp_require_op(p, SQL_OP_RPAREN) || sqlp_push(p, &items, it)) goto out;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    w->u.with.items = sqlp_list(&items);
    sql_node *body = query_body(p);
    if (!body || !(w->u.with.body = order_and_limit(p, body))) goto out;
    result = w;
  } else {
    sql_node *body = query_body(p);
    if (body) result = order_and_limit(p, body);
  }
out:
  sqlp_leave(p);
  return p->rc ? NULL : result;
}

/* --- FROM --- */

static sql_node *table_primary(sql_parser *p);

/* TABLE ( call ), at the "(": the call is a table function such as TUMBLE(...). */
static sql_node *table_function(sql_parser *p, const sql_token *at, int lateral) {
  if (!sqlp_require_op(p, SQL_OP_LPAREN)) return NULL;
  sql_node *n = sqlp_node(p, SQL_TABLE_FUNC, at);
  if (!n) return NULL;
  n->u.table_func.lateral = lateral;
  if (!(n->u.table_func.call = sqlp_expr(p))) return NULL;
  if (n->u.table_func.call->kind != SQL_CALL) {
    const sql_node *c = n->u.table_func.call;
    return sqlp_error_at(p, c->line, c->col, "Expected a function call in TABLE(...)");
  }
  if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
  return n;
}

static sql_node *table_primary(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sql_node *t = NULL;
  if (!sqlp_enter(p)) return NULL;
  if (sqlp_accept(p, "LATERAL")) {
    if (sqlp_accept(p, "TABLE")) {
      t = table_function(p, at, 1);
    } else if (sqlp_require_op(p, SQL_OP_LPAREN)) {
      t = sqlp_node(p, SQL_LATERAL, at);
      if (t && (!(t->u.query.query = sqlp_query(p)) || !sqlp_require_op(p, SQL_OP_RPAREN)))
        t = NULL;
    }
  } else if (sqlp_at(p, "TABLE") && sqlp_peek(p, 1)->kind == SQL_TK_OP &&
             sqlp_peek(p, 1)->op == SQL_OP_LPAREN) {
    sqlp_advance(p);
    t = table_function(p, at, 0);
  } else if (sqlp_accept(p, "UNNEST")) {
    t = sqlp_node(p, SQL_UNNEST, at);
    if (t && sqlp_require_op(p, SQL_OP_LPAREN)) {
      sqlp_vec v = {0};
      do {
        sql_node *e = sqlp_expr(p);
        if (!e || sqlp_push(p, &v, e)) {
          t = NULL;
          break;
        }
      } while (sqlp_accept_op(p, SQL_OP_COMMA));
      if (t && sqlp_require_op(p, SQL_OP_RPAREN)) {
        t->u.unnest.args = sqlp_list(&v);
        if (sqlp_accept(p, "WITH")) {
          if (sqlp_require(p, "ORDINALITY"))
            t->u.unnest.with_ordinality = 1;
          else
            t = NULL;
        }
      } else {
        t = NULL;
      }
    } else {
      t = NULL;
    }
  } else if (sqlp_at_op(p, SQL_OP_LPAREN)) {
    const sql_token *next = sqlp_peek(p, 1);
    if (sqlp_tok_is(next, "SELECT") || sqlp_tok_is(next, "WITH") || sqlp_tok_is(next, "VALUES") ||
        (next->kind == SQL_TK_OP && next->op == SQL_OP_LPAREN)) {
      sqlp_advance(p);
      t = sqlp_node(p, SQL_SUBQUERY, at);
      if (t && (!(t->u.query.query = sqlp_query(p)) || !sqlp_require_op(p, SQL_OP_RPAREN)))
        t = NULL;
    } else {
      sqlp_advance(p); /* a parenthesised join */
      t = from_clause(p);
      if (t && !sqlp_require_op(p, SQL_OP_RPAREN)) t = NULL;
    }
  } else if (sqlp_at_name(p)) {
    sql_node *name = sqlp_compound(p, 0);
    if (name && (t = sqlp_node(p, SQL_TABLE_REF, at))) {
      t->u.table_ref.name = name;
      const sql_token *fat = sqlp_tok(p);
      if (sqlp_accept(p, "FOR")) {
        sql_node *s = sqlp_node(p, SQL_SNAPSHOT, fat);
        if (!s || !sqlp_require(p, "SYSTEM_TIME") || !sqlp_require(p, "AS") ||
            !sqlp_require(p, "OF")) {
          t = NULL;
        } else {
          s->line = t->line;
          s->col = t->col;
          s->u.snapshot.table = t;
          /* The period is an expression up to the alias. */
          t = (s->u.snapshot.period = sqlp_expr(p)) ? s : NULL;
        }
      }
    }
  } else {
    sqlp_expect(p, "<IDENTIFIER>");
    sqlp_expect(p, "<QUOTED_IDENTIFIER>");
    sqlp_expect(p, "\"(\"");
    sqlp_expect(p, "\"LATERAL\"");
    sqlp_expect(p, "\"TABLE\"");
    sqlp_expect(p, "\"UNNEST\"");
    sqlp_fail(p);
  }
  sqlp_leave(p);
  if (!t || p->rc) return NULL;
  return opt_alias(p, t, 1);
}

/* table_primary joined by JOIN forms (left-associative). */
static sql_node *join_chain(sql_parser *p) {
  sql_node *left = table_primary(p);
  while (left) {
    const sql_token *at = sqlp_tok(p);
    int natural = sqlp_accept(p, "NATURAL");
    int type = 0;
    if (sqlp_accept(p, "CROSS")) {
      if (!sqlp_require(p, "JOIN")) return NULL;
      type = SQL_JOIN_CROSS;
    } else if (sqlp_accept(p, "INNER")) {
      if (!sqlp_require(p, "JOIN")) return NULL;
      type = SQL_JOIN_INNER;
    } else if (sqlp_at(p, "LEFT") || sqlp_at(p, "RIGHT") || sqlp_at(p, "FULL")) {
      type = sqlp_at(p, "LEFT")    ? SQL_JOIN_LEFT
             : sqlp_at(p, "RIGHT") ? SQL_JOIN_RIGHT
                                   : SQL_JOIN_FULL;
      sqlp_advance(p);
      sqlp_accept(p, "OUTER");
      if (!sqlp_require(p, "JOIN")) return NULL;
    } else if (sqlp_accept(p, "JOIN")) {
      type = SQL_JOIN_INNER;
    }
    if (!type) {
      sqlp_expect(p, "\"LEFT\"");
      sqlp_expect(p, "\"RIGHT\"");
      sqlp_expect(p, "\"FULL\"");
      if (natural) return sqlp_fail(p);
      break;
    }
    sql_node *j = sqlp_node(p, SQL_JOIN, at);
    if (!j) return NULL;
    j->line = left->line;
    j->col = left->col;
    j->u.join.type = type;
    j->u.join.natural = natural;
    j->u.join.left = left;
    if (!(j->u.join.right = table_primary(p))) return NULL;
    if (type != SQL_JOIN_CROSS && !natural) {
      if (sqlp_accept(p, "ON")) {
        j->u.join.cond_kind = SQL_COND_ON;
        if (!(j->u.join.on = sqlp_expr(p))) return NULL;
      } else if (sqlp_accept(p, "USING")) {
        j->u.join.cond_kind = SQL_COND_USING;
        if (!sqlp_name_list(p, &j->u.join.using)) return NULL;
      }
    }
    left = j;
  }
  return left;
}

static sql_node *from_clause(sql_parser *p) {
  sql_node *left = join_chain(p);
  while (left) {
    const sql_token *at = sqlp_tok(p);
    if (!sqlp_accept_op(p, SQL_OP_COMMA)) break;
    sql_node *j = sqlp_node(p, SQL_JOIN, at);
    if (!j) return NULL;
    j->line = left->line;
    j->col = left->col;
    j->u.join.type = SQL_JOIN_COMMA;
    j->u.join.left = left;
    if (!(j->u.join.right = join_chain(p))) return NULL;
    left = j;
  }
  return left;
}
