/*
 * sql_parse_expr.c: expressions, by precedence climbing over Calcite's operator precedences
 * (lowest first): OR 22, AND 24, NOT 26 (prefix), IS NULL/TRUE/... 28 (postfix), comparisons
 * and IS [NOT] DISTINCT FROM 30, BETWEEN/LIKE/SIMILAR/IN 32, + - 40, * / % || 60, unary + - 80,
 * then member access and item access on a primary. Binary operators associate to the left.
 *
 * Primaries: literals (numbers, strings, X'..', TRUE/FALSE/NULL/UNKNOWN, DATE/TIME/TIMESTAMP
 * '...', INTERVAL), identifiers, function calls with DISTINCT/ALL, COUNT(*), FILTER and OVER,
 * Calcite's special call syntaxes (CAST, TRY_CAST, EXTRACT, TRIM, SUBSTRING, POSITION, OVERLAY,
 * FLOOR/CEIL TO, TIMESTAMPADD/DIFF, JSON_VALUE, JSON_QUERY), CASE, EXISTS, scalar subqueries,
 * constructors ROW(...), (a, b), ARRAY[...], MAP[...], and the argument forms of table functions
 * (name => value, TABLE t PARTITION BY k, DESCRIPTOR(c)). Window specifications and ORDER BY
 * items live here too, as calls and queries share them.
 */
#include <string.h>

#include "sql/sql_keywords.h"
#include "sql/sql_parser_int.h"

enum {
  PREC_OR = 22,
  PREC_AND = 24,
  PREC_NOT = 26,
  PREC_IS = 28,
  PREC_CMP = 30,
  PREC_LIKE = 32,
  PREC_ADD = 40,
  PREC_MUL = 60,
  PREC_UNARY = 80
};

static sql_node *binary_expr(sql_parser *p, int min_prec);
static sql_node *unary_expr(sql_parser *p);

sql_node *sqlp_expr(sql_parser *p) {
  if (!sqlp_enter(p)) return NULL;
  sql_node *n = binary_expr(p, 0);
  sqlp_leave(p);
  return n;
}

/* Expressions separated by commas, up to the caller's closing token. */
static int expr_list(sql_parser *p, sqlp_vec *v) {
  do {
    sql_node *e = sqlp_expr(p);
    if (!e || sqlp_push(p, v, e)) return 0;
  } while (sqlp_accept_op(p, SQL_OP_COMMA));
  return 1;
}

static sql_node *mk_binary(sql_parser *p, const sql_token *at, sql_op_kind op, sql_node *l,
                           sql_node *r) {
  sql_node *n = sqlp_node(p, SQL_BINARY, at);
  if (!n) return NULL;
  n->line = l->line;
  n->col = l->col;
  n->u.binary.op = op;
  n->u.binary.left = l;
  n->u.binary.right = r;
  return n;
}

static sql_node *mk_unary(sql_parser *p, const sql_token *at, sql_op_kind op, sql_node *arg) {
  sql_node *n = sqlp_node(p, SQL_UNARY, at);
  if (!n) return NULL;
  n->u.unary.op = op;
  n->u.unary.arg = arg;
  return n;
}

/* IS [NOT] NULL / TRUE / FALSE / UNKNOWN / DISTINCT FROM x, at IS. */
static sql_node *is_expr(sql_parser *p, sql_node *left) {
  const sql_token *at = sqlp_tok(p);
  sqlp_advance(p); /* IS */
  int neg = sqlp_accept(p, "NOT");
  sql_op_kind op;
  if (sqlp_accept(p, "NULL"))
    op = neg ? SQL_OPK_IS_NOT_NULL : SQL_OPK_IS_NULL;
  else if (sqlp_accept(p, "TRUE"))
    op = neg ? SQL_OPK_IS_NOT_TRUE : SQL_OPK_IS_TRUE;
  else if (sqlp_accept(p, "FALSE"))
    op = neg ? SQL_OPK_IS_NOT_FALSE : SQL_OPK_IS_FALSE;
  else if (sqlp_accept(p, "UNKNOWN"))
    op = neg ? SQL_OPK_IS_NOT_UNKNOWN : SQL_OPK_IS_UNKNOWN;
  else if (sqlp_accept(p, "DISTINCT")) {
    if (!sqlp_require(p, "FROM")) return NULL;
    sql_node *r = binary_expr(p, PREC_CMP + 1);
    if (!r) return NULL;
    return mk_binary(p, at, neg ? SQL_OPK_IS_NOT_DISTINCT_FROM : SQL_OPK_IS_DISTINCT_FROM, left, r);
  } else {
    return sqlp_fail(p);
  }
  sql_node *n = mk_unary(p, at, op, left);
  if (n) {
    n->line = left->line;
    n->col = left->col;
  }
  return n;
}

/* [NOT] BETWEEN / LIKE / SIMILAR TO / IN, after the optional NOT (negated says). */
static sql_node *pattern_expr(sql_parser *p, sql_node *left, int negated) {
  const sql_token *at = sqlp_tok(p);
  if (sqlp_accept(p, "BETWEEN")) {
    sql_node *n = sqlp_node(p, SQL_BETWEEN, at);
    if (!n) return NULL;
    n->line = left->line;
    n->col = left->col;
    n->u.between.negated = negated;
    n->u.between.arg = left;
    if (sqlp_accept(p, "ASYMMETRIC"))
      n->u.between.symmetry = 1;
    else if (sqlp_accept(p, "SYMMETRIC"))
      n->u.between.symmetry = 2;
    if (!(n->u.between.low = binary_expr(p, PREC_LIKE + 1))) return NULL;
    if (!sqlp_require(p, "AND")) return NULL;
    if (!(n->u.between.high = binary_expr(p, PREC_LIKE + 1))) return NULL;
    return n;
  }
  int similar = 0;
  if (sqlp_accept(p, "LIKE") || (similar = sqlp_accept(p, "SIMILAR"))) {
    if (similar && !sqlp_require(p, "TO")) return NULL;
    sql_node *n = sqlp_node(p, SQL_LIKE, at);
    if (!n) return NULL;
    n->line = left->line;
    n->col = left->col;
    n->u.like.similar = similar;
    n->u.like.negated = negated;
    n->u.like.arg = left;
    if (!(n->u.like.pattern = binary_expr(p, PREC_LIKE + 1))) return NULL;
    if (sqlp_accept(p, "ESCAPE") && !(n->u.like.escape = binary_expr(p, PREC_LIKE + 1)))
      return NULL;
    return n;
  }
  if (sqlp_accept(p, "IN")) {
    sql_node *n = sqlp_node(p, SQL_IN, at);
    if (!n) return NULL;
    n->line = left->line;
    n->col = left->col;
    n->u.in.negated = negated;
    n->u.in.arg = left;
    if (!sqlp_require_op(p, SQL_OP_LPAREN)) return NULL;
    if (sqlp_at_query_start(p)) {
      if (!(n->u.in.query = sqlp_query(p))) return NULL;
    } else {
      sqlp_vec v = {0};
      if (!expr_list(p, &v)) return NULL;
      n->u.in.list = sqlp_list(&v);
    }
    if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
    return n;
  }
  return sqlp_fail(p);
}

/* The binary operator at the current token: its precedence and kind; 0 when none. */
static int binop_at(sql_parser *p, sql_op_kind *op) {
  const sql_token *t = sqlp_tok(p);
  if (t->kind == SQL_TK_OP) {
    switch (t->op) {
    case SQL_OP_EQ: *op = SQL_OPK_EQ; return PREC_CMP;
    case SQL_OP_NE:
    case SQL_OP_NE2: *op = SQL_OPK_NE; return PREC_CMP;
    case SQL_OP_LT: *op = SQL_OPK_LT; return PREC_CMP;
    case SQL_OP_LE: *op = SQL_OPK_LE; return PREC_CMP;
    case SQL_OP_GT: *op = SQL_OPK_GT; return PREC_CMP;
    case SQL_OP_GE: *op = SQL_OPK_GE; return PREC_CMP;
    case SQL_OP_PLUS: *op = SQL_OPK_PLUS; return PREC_ADD;
    case SQL_OP_MINUS: *op = SQL_OPK_MINUS; return PREC_ADD;
    case SQL_OP_STAR: *op = SQL_OPK_MUL; return PREC_MUL;
    case SQL_OP_SLASH: *op = SQL_OPK_DIV; return PREC_MUL;
    case SQL_OP_PERCENT: *op = SQL_OPK_MOD; return PREC_MUL;
    case SQL_OP_CONCAT: *op = SQL_OPK_CONCAT; return PREC_MUL;
    default: return 0;
    }
  }
  *op = SQL_OPK_NONE;
  if (sqlp_at(p, "OR")) return *op = SQL_OPK_OR, PREC_OR;
  if (sqlp_at(p, "AND")) return *op = SQL_OPK_AND, PREC_AND;
  if (sqlp_at(p, "IS")) return PREC_IS;
  if (sqlp_at(p, "BETWEEN") || sqlp_at(p, "LIKE") || sqlp_at(p, "SIMILAR") || sqlp_at(p, "IN"))
    return PREC_LIKE;
  if (sqlp_at(p, "NOT") && (sqlp_at_k(p, 1, "BETWEEN") || sqlp_at_k(p, 1, "LIKE") ||
                            sqlp_at_k(p, 1, "SIMILAR") || sqlp_at_k(p, 1, "IN")))
    return PREC_LIKE;
  return 0;
}

/* Records the operators that could continue an expression here, for error messages. */
static void expect_operators(sql_parser *p) {
  static const char *const ops[] = {"\"AND\"", "\"OR\"",      "\"IS\"", "\"BETWEEN\"", "\"LIKE\"",
                                    "\"IN\"",  "\"NOT\"",     "\"=\"",  "\"<>\"",      "\"<\"",
                                    "\">\"",   "\"+\"",       "\"-\"",  "\"*\"",       "\"/\"",
                                    "\"||\"",  "\"SIMILAR\"", "\".\"",  "\"[\""};
  if (p->pos < p->far) return;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) sqlp_expect(p, ops[i]);
}

static sql_node *binary_expr(sql_parser *p, int min_prec) {
  sql_node *left;
  if (sqlp_at(p, "NOT") && min_prec <= PREC_NOT + 1) {
    /* Prefix NOT binds looser than everything but AND and OR: NOT a = b is NOT (a = b). */
    const sql_token *at = sqlp_tok(p);
    sqlp_advance(p);
    if (!sqlp_enter(p)) return NULL;
    sql_node *arg = binary_expr(p, PREC_NOT + 1);
    sqlp_leave(p);
    if (!arg || !(left = mk_unary(p, at, SQL_OPK_NOT, arg))) return NULL;
  } else {
    left = unary_expr(p);
    if (!left) return NULL;
  }
  for (;;) {
    sql_op_kind op;
    const sql_token *at = sqlp_tok(p);
    int prec = binop_at(p, &op);
    if (prec == 0) {
      expect_operators(p);
      return left;
    }
    if (prec < min_prec) return left;
    sql_node *n;
    if (prec == PREC_IS) {
      n = is_expr(p, left);
    } else if (prec == PREC_LIKE) {
      int negated = sqlp_accept(p, "NOT");
      n = pattern_expr(p, left, negated);
    } else {
      sqlp_advance(p);
      sql_node *right = binary_expr(p, prec + 1);
      if (!right) return NULL;
      n = mk_binary(p, at, op, left, right);
    }
    if (!n) return NULL;
    left = n;
  }
}

/* --- primaries --- */

static sql_node *literal(sql_parser *p, sql_lit_kind kind, const sql_token *at, const char *text,
                         size_t len) {
  sql_node *n = sqlp_node(p, SQL_LITERAL, at);
  if (!n) return NULL;
  n->u.lit.kind = kind;
  n->u.lit.text = text;
  n->u.lit.text_len = len;
  return n;
}

/* DATE '...', TIME '...', TIMESTAMP '...', TIMESTAMP WITH LOCAL TIME ZONE '...'. */
static sql_node *datetime_literal(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sql_lit_kind kind = sqlp_at(p, "DATE")   ? SQL_LIT_DATE
                      : sqlp_at(p, "TIME") ? SQL_LIT_TIME
                                           : SQL_LIT_TIMESTAMP;
  sqlp_advance(p);
  if (kind == SQL_LIT_TIMESTAMP && sqlp_at(p, "WITH")) {
    sqlp_advance(p);
    if (!sqlp_require(p, "LOCAL") || !sqlp_require(p, "TIME") || !sqlp_require(p, "ZONE"))
      return NULL;
    kind = SQL_LIT_TIMESTAMP_LTZ;
  }
  const sql_token *s = sqlp_tok(p);
  if (s->kind != SQL_TK_STRING) {
    sqlp_expect(p, "<QUOTED_STRING>");
    return sqlp_fail(p);
  }
  sqlp_advance(p);
  return literal(p, kind, at, s->text, s->text_len);
}

static sql_node *interval_literal(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sqlp_advance(p); /* INTERVAL */
  int negative = 0;
  if (sqlp_accept_op(p, SQL_OP_MINUS))
    negative = 1;
  else
    sqlp_accept_op(p, SQL_OP_PLUS);
  const sql_token *s = sqlp_tok(p);
  if (s->kind != SQL_TK_STRING) {
    sqlp_expect(p, "<QUOTED_STRING>");
    return sqlp_fail(p);
  }
  sqlp_advance(p);
  sql_node *n = literal(p, SQL_LIT_INTERVAL, at, s->text, s->text_len);
  if (!n) return NULL;
  n->u.lit.negative = negative;
  if (!sqlp_interval_qual(p, &n->u.lit.qual, 1)) return NULL;
  return n;
}

sql_node *sqlp_order_item(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sql_node *e = sqlp_expr(p);
  if (!e) return NULL;
  sql_node *n = sqlp_node(p, SQL_ORDER_ITEM, at);
  if (!n) return NULL;
  n->u.order.arg = e;
  if (sqlp_accept(p, "DESC"))
    n->u.order.desc = 1;
  else
    sqlp_accept(p, "ASC");
  if (sqlp_accept(p, "NULLS")) {
    if (sqlp_accept(p, "FIRST"))
      n->u.order.nulls = SQL_NULLS_FIRST;
    else if (sqlp_require(p, "LAST"))
      n->u.order.nulls = SQL_NULLS_LAST;
    else
      return NULL;
  }
  return n;
}

static int order_list(sql_parser *p, sqlp_vec *v) {
  do {
    sql_node *o = sqlp_order_item(p);
    if (!o || sqlp_push(p, v, o)) return 0;
  } while (sqlp_accept_op(p, SQL_OP_COMMA));
  return 1;
}

static sql_node *frame_bound(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sql_node *b = sqlp_node(p, SQL_FRAME_BOUND, at);
  if (!b) return NULL;
  if (sqlp_accept(p, "UNBOUNDED")) {
    if (sqlp_accept(p, "PRECEDING"))
      b->u.bound.kind = SQL_BOUND_UNBOUNDED_PRECEDING;
    else if (sqlp_require(p, "FOLLOWING"))
      b->u.bound.kind = SQL_BOUND_UNBOUNDED_FOLLOWING;
    else
      return NULL;
    return b;
  }
  if (sqlp_accept(p, "CURRENT")) {
    if (!sqlp_require(p, "ROW")) return NULL;
    b->u.bound.kind = SQL_BOUND_CURRENT_ROW;
    return b;
  }
  /* The offset stops before AND, which belongs to BETWEEN ... AND ... */
  if (!sqlp_enter(p)) return NULL;
  b->u.bound.offset = binary_expr(p, PREC_AND + 1);
  sqlp_leave(p);
  if (!b->u.bound.offset) return NULL;
  if (sqlp_accept(p, "PRECEDING"))
    b->u.bound.kind = SQL_BOUND_PRECEDING;
  else if (sqlp_require(p, "FOLLOWING"))
    b->u.bound.kind = SQL_BOUND_FOLLOWING;
  else
    return NULL;
  return b;
}

sql_node *sqlp_window_spec(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sql_node *w = sqlp_node(p, SQL_WINDOW_SPEC, at);
  if (!w) return NULL;
  if (sqlp_at_name(p) && !sqlp_at(p, "PARTITION")) {
    if (!(w->u.window.ref = sqlp_compound(p, 0))) return NULL;
  }
  if (sqlp_accept(p, "PARTITION")) {
    if (!sqlp_require(p, "BY")) return NULL;
    sqlp_vec v = {0};
    if (!expr_list(p, &v)) return NULL;
    w->u.window.partition = sqlp_list(&v);
  }
  if (sqlp_accept(p, "ORDER")) {
    if (!sqlp_require(p, "BY")) return NULL;
    sqlp_vec v = {0};
    if (!order_list(p, &v)) return NULL;
    w->u.window.order = sqlp_list(&v);
  }
  if (sqlp_accept(p, "ROWS"))
    w->u.window.frame = SQL_FRAME_ROWS;
  else if (sqlp_accept(p, "RANGE"))
    w->u.window.frame = SQL_FRAME_RANGE;
  if (w->u.window.frame) {
    if (sqlp_accept(p, "BETWEEN")) {
      if (!(w->u.window.lower = frame_bound(p))) return NULL;
      if (!sqlp_require(p, "AND")) return NULL;
      if (!(w->u.window.upper = frame_bound(p))) return NULL;
    } else if (!(w->u.window.lower = frame_bound(p))) {
      return NULL;
    }
  }
  return w;
}

/* A call's argument: name => value, TABLE t [PARTITION BY ..] [ORDER BY ..], DESCRIPTOR(..),
 * or an expression. */
static sql_node *call_arg(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  const sql_token *next = sqlp_peek(p, 1);
  if (sqlp_at_name(p) && next->kind == SQL_TK_OP && next->op == SQL_OP_ARROW) {
    sql_node *n = sqlp_node(p, SQL_NAMED_ARG, at);
    if (!n) return NULL;
    sqlp_name(p, &n->u.named.name);
    sqlp_advance(p); /* => */
    if (!sqlp_enter(p)) return NULL;
    n->u.named.value = call_arg(p);
    sqlp_leave(p);
    if (!n->u.named.value) return NULL;
    return n;
  }
  if (sqlp_at(p, "TABLE")) {
    sqlp_advance(p);
    sql_node *n = sqlp_node(p, SQL_TABLE_ARG, at);
    if (!n || !(n->u.table_arg.name = sqlp_compound(p, 0))) return NULL;
    for (int k = 0; k < 2; k++) {
      int part = sqlp_accept(p, "PARTITION");
      if (!part && !sqlp_accept(p, "ORDER")) break;
      if (!sqlp_require(p, "BY")) return NULL;
      sqlp_vec v = {0};
      /* One column, or a parenthesised list: a bare comma would end the argument. */
      if (sqlp_accept_op(p, SQL_OP_LPAREN)) {
        do {
          sql_node *c = sqlp_compound(p, 0);
          if (!c || sqlp_push(p, &v, c)) return NULL;
        } while (sqlp_accept_op(p, SQL_OP_COMMA));
        if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
      } else {
        sql_node *c = sqlp_compound(p, 0);
        if (!c || sqlp_push(p, &v, c)) return NULL;
      }
      if (part)
        n->u.table_arg.partition = sqlp_list(&v);
      else
        n->u.table_arg.order = sqlp_list(&v);
    }
    return n;
  }
  if (sqlp_at(p, "DESCRIPTOR") && next->kind == SQL_TK_OP && next->op == SQL_OP_LPAREN) {
    sqlp_advance(p);
    sqlp_advance(p);
    sql_node *n = sqlp_node(p, SQL_DESCRIPTOR, at);
    if (!n) return NULL;
    sqlp_vec v = {0};
    do {
      sql_node *c = sqlp_compound(p, 0);
      if (!c || sqlp_push(p, &v, c)) return NULL;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
    n->u.descriptor.names = sqlp_list(&v);
    return n;
  }
  return sqlp_expr(p);
}

/* After the closing parenthesis of a call: FILTER (WHERE ...) and OVER. */
static sql_node *call_suffix(sql_parser *p, sql_node *call) {
  if (sqlp_accept(p, "FILTER")) {
    if (!sqlp_require_op(p, SQL_OP_LPAREN) || !sqlp_require(p, "WHERE")) return NULL;
    if (!(call->u.call.filter = sqlp_expr(p))) return NULL;
    if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
  }
  if (sqlp_accept(p, "OVER")) {
    if (sqlp_accept_op(p, SQL_OP_LPAREN)) {
      if (!sqlp_enter(p)) return NULL;
      call->u.call.over = sqlp_window_spec(p);
      sqlp_leave(p);
      if (!call->u.call.over || !sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
    } else if (!(call->u.call.over = sqlp_compound(p, 0))) {
      return NULL;
    }
  }
  return call;
}

static sql_node *name_node(sql_parser *p, const sql_token *at) {
  sql_node *id = sqlp_node(p, SQL_IDENT, at);
  if (!id) return NULL;
  id->u.ident.parts = sql_arena_alloc(p->arena, sizeof(sql_name));
  if (!id->u.ident.parts) return sqlp_oom(p);
  id->u.ident.parts[0].s = at->text;
  id->u.ident.nparts = 1;
  return id;
}

/* name ( [DISTINCT|ALL] args ) with the suffixes; at the "(" with name parsed. */
static sql_node *plain_call(sql_parser *p, sql_node *name) {
  sql_node *c = sqlp_node(p, SQL_CALL, sqlp_tok(p));
  if (!c) return NULL;
  c->line = name->line;
  c->col = name->col;
  c->u.call.name = name;
  sqlp_advance(p); /* ( */
  if (sqlp_accept(p, "DISTINCT"))
    c->u.call.quantifier = SQL_QUANT_DISTINCT;
  else if (sqlp_accept(p, "ALL"))
    c->u.call.quantifier = SQL_QUANT_ALL;
  if (sqlp_accept_op(p, SQL_OP_STAR)) {
    c->u.call.star = 1;
  } else if (!sqlp_at_op(p, SQL_OP_RPAREN) || c->u.call.quantifier) {
    sqlp_vec v = {0};
    do {
      sql_node *a = call_arg(p);
      if (!a || sqlp_push(p, &v, a)) return NULL;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
    c->u.call.args = sqlp_list(&v);
  }
  if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
  return call_suffix(p, c);
}

/* A special-syntax call at its keyword (followed by "("): the form decides the grammar. */
static sql_node *special_call(sql_parser *p, sql_call_form form) {
  const sql_token *at = sqlp_tok(p);
  sql_node *name = name_node(p, at);
  sql_node *c = sqlp_node(p, SQL_CALL, at);
  if (!name || !c) return NULL;
  c->u.call.name = name;
  c->u.call.form = form;
  sqlp_advance(p); /* the keyword */
  sqlp_advance(p); /* ( */
  sqlp_vec v = {0};
  sql_node *e;
#define ARG(expr)                                          \
  do {                                                     \
    if (!(e = (expr)) || sqlp_push(p, &v, e)) return NULL; \
  } while (0)
  switch (form) {
  case SQL_FORM_EXTRACT:
    if (!sqlp_unit(p, &c->u.call.unit) || !sqlp_require(p, "FROM")) return NULL;
    ARG(sqlp_expr(p));
    break;
  case SQL_FORM_TRIM:
    if (sqlp_accept(p, "BOTH"))
      c->u.call.trim = SQL_TRIM_BOTH;
    else if (sqlp_accept(p, "LEADING"))
      c->u.call.trim = SQL_TRIM_LEADING;
    else if (sqlp_accept(p, "TRAILING"))
      c->u.call.trim = SQL_TRIM_TRAILING;
    if (sqlp_accept(p, "FROM")) {
      ARG(sqlp_expr(p));
    } else {
      ARG(sqlp_expr(p));
      if (sqlp_accept(p, "FROM")) {
        c->u.call.has_chars = 1;
        ARG(sqlp_expr(p));
      } else if (c->u.call.trim) {
        return sqlp_fail(p);
      }
    }
    break;
  case SQL_FORM_SUBSTRING:
    ARG(sqlp_expr(p));
    if (sqlp_accept(p, "FROM")) {
      ARG(sqlp_expr(p));
      if (sqlp_accept(p, "FOR")) ARG(sqlp_expr(p));
    } else if (sqlp_require_op(p, SQL_OP_COMMA)) {
      ARG(sqlp_expr(p));
      if (sqlp_accept_op(p, SQL_OP_COMMA)) ARG(sqlp_expr(p));
    } else {
      return NULL;
    }
    break;
  case SQL_FORM_POSITION:
    if (!sqlp_enter(p)) return NULL;
    e = binary_expr(p, PREC_LIKE + 1);
    sqlp_leave(p);
    if (!e || sqlp_push(p, &v, e) || !sqlp_require(p, "IN")) return NULL;
    ARG(sqlp_expr(p));
    if (sqlp_accept(p, "FROM")) ARG(sqlp_expr(p));
    break;
  case SQL_FORM_OVERLAY:
    ARG(sqlp_expr(p));
    if (!sqlp_require(p, "PLACING")) return NULL;
    ARG(sqlp_expr(p));
    if (!sqlp_require(p, "FROM")) return NULL;
    ARG(sqlp_expr(p));
    if (sqlp_accept(p, "FOR")) ARG(sqlp_expr(p));
    break;
  case SQL_FORM_FLOOR_TO:
  case SQL_FORM_CEIL_TO:
    ARG(sqlp_expr(p));
    if (sqlp_accept(p, "TO")) {
      if (!sqlp_unit(p, &c->u.call.unit)) return NULL;
    } else {
      c->u.call.form = SQL_FORM_PLAIN; /* FLOOR(x): an ordinary call */
    }
    break;
  case SQL_FORM_TIMESTAMPADD:
  case SQL_FORM_TIMESTAMPDIFF:
    if (!sqlp_unit(p, &c->u.call.unit) || !sqlp_require_op(p, SQL_OP_COMMA)) return NULL;
    ARG(sqlp_expr(p));
    if (!sqlp_require_op(p, SQL_OP_COMMA)) return NULL;
    ARG(sqlp_expr(p));
    break;
  case SQL_FORM_JSON_VALUE:
  case SQL_FORM_JSON_QUERY: {
    ARG(sqlp_expr(p));
    if (!sqlp_require_op(p, SQL_OP_COMMA)) return NULL;
    ARG(sqlp_expr(p));
    if (sqlp_accept(p, "RETURNING") && !(c->u.call.json.returning = sqlp_type(p))) return NULL;
    if (form == SQL_FORM_JSON_QUERY) {
      if (sqlp_accept(p, "WITHOUT")) {
        sqlp_accept(p, "ARRAY");
        if (!sqlp_require(p, "WRAPPER")) return NULL;
        c->u.call.json.wrapper = 1;
      } else if (sqlp_accept(p, "WITH")) {
        /* WITH ARRAY WRAPPER is WITH UNCONDITIONAL ARRAY WRAPPER in the standard. */
        c->u.call.json.wrapper = 3;
        if (sqlp_accept(p, "CONDITIONAL"))
          c->u.call.json.wrapper = 2;
        else
          sqlp_accept(p, "UNCONDITIONAL");
        sqlp_accept(p, "ARRAY");
        if (!sqlp_require(p, "WRAPPER")) return NULL;
      }
    }
    /* Up to two behaviours: ... ON EMPTY, then ... ON ERROR. */
    for (int k = 0; k < 2; k++) {
      int b = 0;
      sql_node *dflt = NULL;
      if (sqlp_accept(p, "NULL"))
        b = 1;
      else if (sqlp_accept(p, "ERROR"))
        b = 2;
      else if (form == SQL_FORM_JSON_VALUE && sqlp_accept(p, "DEFAULT")) {
        b = 3;
        if (!(dflt = sqlp_expr(p))) return NULL;
      } else if (form == SQL_FORM_JSON_QUERY && sqlp_accept(p, "EMPTY")) {
        if (sqlp_accept(p, "ARRAY"))
          b = 3;
        else if (sqlp_require(p, "OBJECT"))
          b = 4;
        else
          return NULL;
      }
      if (!b) break;
      if (!sqlp_require(p, "ON")) return NULL;
      if (k == 0 && sqlp_accept(p, "EMPTY")) {
        c->u.call.json.on_empty = b;
        c->u.call.json.empty_default = dflt;
      } else if (sqlp_require(p, "ERROR")) {
        c->u.call.json.on_error = b;
        c->u.call.json.error_default = dflt;
        break;
      } else {
        return NULL;
      }
    }
    break;
  }
  default: break;
  }
#undef ARG
  if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
  c->u.call.args = sqlp_list(&v);
  return c;
}

/* Reserved words that name ordinary functions (Calcite's built-ins with reserved names). */
static int reserved_function(const sql_token *t) {
  static const char *const names[] = {"ABS",
                                      "ARRAY_MAX_CARDINALITY",
                                      "AVG",
                                      "CARDINALITY",
                                      "CHARACTER_LENGTH",
                                      "CHAR_LENGTH",
                                      "CLASSIFIER",
                                      "COALESCE",
                                      "COLLECT",
                                      "CONVERT",
                                      "CORR",
                                      "COUNT",
                                      "COVAR_POP",
                                      "COVAR_SAMP",
                                      "CUME_DIST",
                                      "CURRENT_DATE",
                                      "CURRENT_TIME",
                                      "CURRENT_TIMESTAMP",
                                      "DAY",
                                      "DENSE_RANK",
                                      "ELEMENT",
                                      "EVERY",
                                      "EXP",
                                      "FIRST_VALUE",
                                      "FUSION",
                                      "GROUPING",
                                      "HOUR",
                                      "INTERSECTION",
                                      "LAG",
                                      "LAST_VALUE",
                                      "LEAD",
                                      "LEFT",
                                      "LN",
                                      "LOCALTIME",
                                      "LOCALTIMESTAMP",
                                      "LOWER",
                                      "MAX",
                                      "MIN",
                                      "MINUTE",
                                      "MOD",
                                      "MONTH",
                                      "NTH_VALUE",
                                      "NTILE",
                                      "NULLIF",
                                      "OCTET_LENGTH",
                                      "PERCENTILE_CONT",
                                      "PERCENTILE_DISC",
                                      "PERCENT_RANK",
                                      "POWER",
                                      "RANK",
                                      "REGR_COUNT",
                                      "REGR_SXX",
                                      "REGR_SYY",
                                      "RIGHT",
                                      "ROW_NUMBER",
                                      "SECOND",
                                      "SOME",
                                      "SQRT",
                                      "STDDEV_POP",
                                      "STDDEV_SAMP",
                                      "SUM",
                                      "TRANSLATE",
                                      "TRUNCATE",
                                      "UPPER",
                                      "USER",
                                      "VAR_POP",
                                      "VAR_SAMP",
                                      "YEAR"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (sqlp_tok_is(t, names[i])) return 1;
  return 0;
}

static int niladic(const sql_token *t) {
  static const char *const names[] = {
      "CURRENT_DATE",    "CURRENT_TIME",   "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP",
      "CURRENT_USER",    "SESSION_USER",   "SYSTEM_USER",       "USER",      "CURRENT_ROLE",
      "CURRENT_CATALOG", "CURRENT_SCHEMA", "CURRENT_PATH"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (sqlp_tok_is(t, names[i])) return 1;
  return 0;
}

/* ROW(...), ARRAY[...], MAP[...]: at the keyword. */
static sql_node *constructor(sql_parser *p, int kind) {
  const sql_token *at = sqlp_tok(p);
  sqlp_advance(p);
  sql_op close = kind == SQL_CTOR_ROW ? SQL_OP_RPAREN : SQL_OP_RBRACKET;
  sqlp_advance(p); /* ( or [ */
  sql_node *n = sqlp_node(p, SQL_CTOR, at);
  if (!n) return NULL;
  n->u.ctor.kind = kind;
  if (!sqlp_at_op(p, close)) {
    sqlp_vec v = {0};
    if (!expr_list(p, &v)) return NULL;
    n->u.ctor.items = sqlp_list(&v);
  }
  if (!sqlp_require_op(p, close)) return NULL;
  return n;
}

static sql_node *case_expr(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  sqlp_advance(p);
  sql_node *n = sqlp_node(p, SQL_CASE, at);
  if (!n) return NULL;
  if (!sqlp_at(p, "WHEN") && !(n->u.case_.operand = sqlp_expr(p))) return NULL;
  sqlp_vec whens = {0}, thens = {0};
  if (!sqlp_require(p, "WHEN")) return NULL;
  do {
    sql_node *w = sqlp_expr(p);
    if (!w || sqlp_push(p, &whens, w) || !sqlp_require(p, "THEN")) return NULL;
    sql_node *t = sqlp_expr(p);
    if (!t || sqlp_push(p, &thens, t)) return NULL;
  } while (sqlp_accept(p, "WHEN"));
  n->u.case_.whens = sqlp_list(&whens);
  n->u.case_.thens = sqlp_list(&thens);
  if (sqlp_accept(p, "ELSE") && !(n->u.case_.else_ = sqlp_expr(p))) return NULL;
  if (!sqlp_require(p, "END")) return NULL;
  return n;
}

static void expect_expression(sql_parser *p) {
  if (p->pos < p->far) return;
  static const char *const starts[] = {"<IDENTIFIER>",
                                       "<QUOTED_IDENTIFIER>",
                                       "<UNSIGNED_INTEGER_LITERAL>",
                                       "<QUOTED_STRING>",
                                       "\"(\"",
                                       "\"-\"",
                                       "\"CASE\"",
                                       "\"CAST\"",
                                       "\"NOT\"",
                                       "\"NULL\"",
                                       "\"TRUE\"",
                                       "\"FALSE\"",
                                       "\"INTERVAL\"",
                                       "\"EXISTS\"",
                                       "\"ROW\"",
                                       "\"ARRAY\""};
  for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) sqlp_expect(p, starts[i]);
}

static sql_node *primary(sql_parser *p) {
  const sql_token *t = sqlp_tok(p);
  const sql_token *next = sqlp_peek(p, 1);
  int paren_next = next->kind == SQL_TK_OP && next->op == SQL_OP_LPAREN;
  int bracket_next = next->kind == SQL_TK_OP && next->op == SQL_OP_LBRACKET;
  switch (t->kind) {
  case SQL_TK_INTEGER: sqlp_advance(p); return literal(p, SQL_LIT_INTEGER, t, t->text, t->text_len);
  case SQL_TK_DECIMAL: sqlp_advance(p); return literal(p, SQL_LIT_DECIMAL, t, t->text, t->text_len);
  case SQL_TK_APPROX: sqlp_advance(p); return literal(p, SQL_LIT_APPROX, t, t->text, t->text_len);
  case SQL_TK_STRING: sqlp_advance(p); return literal(p, SQL_LIT_STRING, t, t->text, t->text_len);
  case SQL_TK_BINARY: sqlp_advance(p); return literal(p, SQL_LIT_BINARY, t, t->text, t->text_len);
  case SQL_TK_OP:
    if (t->op == SQL_OP_LPAREN) {
      sqlp_advance(p);
      if (sqlp_at_query_start(p) && !sqlp_at_op(p, SQL_OP_LPAREN)) {
        sql_node *n = sqlp_node(p, SQL_SUBQUERY, t);
        if (!n || !(n->u.query.query = sqlp_query(p))) return NULL;
        if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
        return n;
      }
      sqlp_vec v = {0};
      if (!expr_list(p, &v)) return NULL;
      if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
      if (v.n == 1) return v.v[0];
      sql_node *n = sqlp_node(p, SQL_CTOR, t);
      if (!n) return NULL;
      n->u.ctor.kind = SQL_CTOR_PAREN;
      n->u.ctor.items = sqlp_list(&v);
      return n;
    }
    break;
  case SQL_TK_QIDENT: break;
  case SQL_TK_WORD:
    if (sqlp_at(p, "TRUE")) return sqlp_advance(p), literal(p, SQL_LIT_TRUE, t, "TRUE", 4);
    if (sqlp_at(p, "FALSE")) return sqlp_advance(p), literal(p, SQL_LIT_FALSE, t, "FALSE", 5);
    if (sqlp_at(p, "NULL")) return sqlp_advance(p), literal(p, SQL_LIT_NULL, t, "NULL", 4);
    if (sqlp_at(p, "UNKNOWN")) return sqlp_advance(p), literal(p, SQL_LIT_UNKNOWN, t, "UNKNOWN", 7);
    if ((sqlp_at(p, "DATE") || sqlp_at(p, "TIME") || sqlp_at(p, "TIMESTAMP")) && !paren_next)
      return datetime_literal(p);
    if (sqlp_at(p, "INTERVAL")) return interval_literal(p);
    if (sqlp_at(p, "CASE")) return case_expr(p);
    if ((sqlp_at(p, "CAST") || sqlp_at(p, "TRY_CAST")) && paren_next) {
      sql_node *n = sqlp_node(p, SQL_CAST, t);
      if (!n) return NULL;
      n->u.cast.try_cast = sqlp_at(p, "TRY_CAST");
      sqlp_advance(p);
      sqlp_advance(p);
      if (!(n->u.cast.arg = sqlp_expr(p)) || !sqlp_require(p, "AS")) return NULL;
      if (!(n->u.cast.type = sqlp_type(p)) || !sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
      return n;
    }
    if (sqlp_at(p, "EXISTS") && paren_next) {
      sqlp_advance(p);
      sqlp_advance(p);
      sql_node *n = sqlp_node(p, SQL_EXISTS, t);
      if (!n || !(n->u.query.query = sqlp_query(p))) return NULL;
      if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
      return n;
    }
    if (sqlp_at(p, "ROW") && paren_next) return constructor(p, SQL_CTOR_ROW);
    if (sqlp_at(p, "ARRAY") && bracket_next) return constructor(p, SQL_CTOR_ARRAY);
    if (sqlp_at(p, "MAP") && bracket_next) return constructor(p, SQL_CTOR_MAP);
    if (paren_next) {
      static const struct {
        const char *kw;
        sql_call_form form;
      } forms[] = {{"EXTRACT", SQL_FORM_EXTRACT},
                   {"TRIM", SQL_FORM_TRIM},
                   {"SUBSTRING", SQL_FORM_SUBSTRING},
                   {"POSITION", SQL_FORM_POSITION},
                   {"OVERLAY", SQL_FORM_OVERLAY},
                   {"FLOOR", SQL_FORM_FLOOR_TO},
                   {"CEIL", SQL_FORM_CEIL_TO},
                   {"CEILING", SQL_FORM_CEIL_TO},
                   {"TIMESTAMPADD", SQL_FORM_TIMESTAMPADD},
                   {"TIMESTAMPDIFF", SQL_FORM_TIMESTAMPDIFF},
                   {"JSON_VALUE", SQL_FORM_JSON_VALUE},
                   {"JSON_QUERY", SQL_FORM_JSON_QUERY}};
      for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        if (sqlp_at(p, forms[i].kw)) {
          if (!sqlp_enter(p)) return NULL;
          sql_node *n = special_call(p, forms[i].form);
          sqlp_leave(p);
          return n;
        }
      if (reserved_function(t)) {
        sql_node *name = name_node(p, t);
        if (!name) return NULL;
        sqlp_advance(p);
        if (!sqlp_enter(p)) return NULL;
        sql_node *n = plain_call(p, name);
        sqlp_leave(p);
        return n;
      }
    }
    if (niladic(t)) {
      sqlp_advance(p);
      sql_node *name = name_node(p, t);
      sql_node *c = sqlp_node(p, SQL_CALL, t);
      if (!name || !c) return NULL;
      c->u.call.name = name;
      c->u.call.form = SQL_FORM_NILADIC;
      return c;
    }
    break;
  default: break;
  }
  if (sqlp_at_name(p)) {
    sql_node *id = sqlp_compound(p, 0);
    if (!id) return NULL;
    if (sqlp_at_op(p, SQL_OP_LPAREN)) {
      if (!sqlp_enter(p)) return NULL;
      sql_node *n = plain_call(p, id);
      sqlp_leave(p);
      return n;
    }
    sqlp_expect(p, "\"(\"");
    return id;
  }
  expect_expression(p);
  return sqlp_fail(p);
}

/* Unary + and -, then a primary with its member and item accesses. */
static sql_node *unary_expr(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  if (sqlp_at_op(p, SQL_OP_MINUS) || sqlp_at_op(p, SQL_OP_PLUS)) {
    sql_op_kind op = at->op == SQL_OP_MINUS ? SQL_OPK_NEG : SQL_OPK_POS;
    sqlp_advance(p);
    if (!sqlp_enter(p)) return NULL;
    sql_node *arg = unary_expr(p);
    sqlp_leave(p);
    return arg ? mk_unary(p, at, op, arg) : NULL;
  }
  sql_node *n = primary(p);
  while (n) {
    const sql_token *t = sqlp_tok(p);
    if (sqlp_accept_op(p, SQL_OP_LBRACKET)) {
      sql_node *item = sqlp_node(p, SQL_ITEM, t);
      if (!item || !(item->u.item.index = sqlp_expr(p))) return NULL;
      if (!sqlp_require_op(p, SQL_OP_RBRACKET)) return NULL;
      item->line = n->line;
      item->col = n->col;
      item->u.item.arg = n;
      n = item;
    } else if (sqlp_at_op(p, SQL_OP_DOT)) {
      sqlp_advance(p);
      sql_node *f = sqlp_node(p, SQL_FIELD, t);
      if (!f) return NULL;
      if (!sqlp_name(p, &f->u.field.name)) return sqlp_fail(p);
      f->line = n->line;
      f->col = n->col;
      f->u.field.arg = n;
      n = f;
    } else {
      break;
    }
  }
  return n;
}
