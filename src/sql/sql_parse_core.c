/*
 * sql_parse_core.c: the parser's machinery (token tests, expected-token bookkeeping, error
 * messages, nodes and lists, names) and its entry points.
 *
 * Why hand-written recursive descent rather than a generated parser (bison, lemon): Flink's
 * users see Calcite's messages, which name the exact line and column and list the tokens that
 * could have come there; keeping that list per position is natural in a predictive parser and
 * awkward in an LALR one. Expressions use precedence climbing with Calcite's precedences.
 * Flink's many non-reserved keywords (DATA, KEY, TYPE, SESSION, ...) stay identifiers simply
 * because the parser matches keywords by their text where the grammar expects them and asks
 * sql_keywords.c only whether a word may be an identifier; an LALR grammar needs an explicit
 * rule for each such word. And there is no generator to build, pin or vendor. The cost is that
 * the grammar lives in code: the files sql_parse_*.c follow Flink's Parser.tdd/parserImpls.ftl
 * and Calcite's Parser.jj by statement family, and the tests pin the accepted language.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"
#include "sql/sql_keywords.h"
#include "sql/sql_parser_int.h"

int sqlp_tok_is(const sql_token *t, const char *kw) {
  return t->kind == SQL_TK_WORD && strlen(kw) == t->len && strncasecmp(t->text, kw, t->len) == 0;
}

int sqlp_at(const sql_parser *p, const char *kw) { return sqlp_tok_is(sqlp_tok(p), kw); }
int sqlp_at_k(const sql_parser *p, int k, const char *kw) {
  return sqlp_tok_is(sqlp_peek(p, k), kw);
}
int sqlp_at_op(const sql_parser *p, sql_op op) {
  const sql_token *t = sqlp_tok(p);
  return t->kind == SQL_TK_OP && t->op == op;
}

void sqlp_expect(sql_parser *p, const char *what) {
  if (p->pos < p->far) return;
  if (p->pos > p->far) {
    p->far = p->pos;
    p->nexpected = 0;
  }
  for (int i = 0; i < p->nexpected; i++)
    if (strcmp(p->expected[i], what) == 0) return;
  if (p->nexpected < SQLP_MAX_EXPECTED) p->expected[p->nexpected++] = what;
}

/* The quoted display forms of keywords live in the arena: "\"FROM\"". */
static const char *quoted(sql_parser *p, const char *s) {
  size_t n = strlen(s);
  char *q = sql_arena_alloc(p->arena, n + 3);
  if (!q) return "\"?\"";
  q[0] = '"';
  memcpy(q + 1, s, n);
  q[n + 1] = '"';
  return q;
}

int sqlp_accept(sql_parser *p, const char *kw) {
  if (sqlp_at(p, kw)) {
    sqlp_advance(p);
    return 1;
  }
  if (p->pos >= p->far) sqlp_expect(p, quoted(p, kw));
  return 0;
}

int sqlp_accept_op(sql_parser *p, sql_op op) {
  if (sqlp_at_op(p, op)) {
    sqlp_advance(p);
    return 1;
  }
  if (p->pos >= p->far) sqlp_expect(p, quoted(p, sql_op_text(op)));
  return 0;
}

int sqlp_require(sql_parser *p, const char *kw) {
  if (sqlp_accept(p, kw)) return 1;
  sqlp_fail(p);
  return 0;
}

int sqlp_require_op(sql_parser *p, sql_op op) {
  if (sqlp_accept_op(p, op)) return 1;
  sqlp_fail(p);
  return 0;
}

void *sqlp_fail(sql_parser *p) {
  if (p->rc) return NULL;
  p->rc = SPATE_EINVAL;
  p->syntax = 1;
  if (p->pos > p->far) {
    p->far = p->pos;
    p->nexpected = 0;
  }
  return NULL;
}

void *sqlp_error_at(sql_parser *p, int line, int col, const char *fmt, ...) {
  if (p->rc) return NULL;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  p->rc = sp_err(p->err, p->errcap, SPATE_EINVAL, "SQL parse failed. %s at line %d, column %d.",
                 msg, line, col);
  return NULL;
}

void *sqlp_oom(sql_parser *p) {
  if (p->rc) return NULL;
  p->rc = sp_err(p->err, p->errcap, SPATE_ENOMEM, "SQL parse failed. Out of memory.");
  return NULL;
}

int sqlp_enter(sql_parser *p) {
  if (p->rc) return 0;
  if (p->depth >= SQL_MAX_DEPTH) {
    const sql_token *t = sqlp_tok(p);
    sqlp_error_at(p, t->line, t->col, "Nesting deeper than %d levels", SQL_MAX_DEPTH);
    return 0;
  }
  p->depth++;
  return 1;
}

sql_node *sqlp_node(sql_parser *p, sql_kind kind, const sql_token *t) {
  sql_node *n = sql_arena_alloc(p->arena, sizeof *n);
  if (!n) return sqlp_oom(p);
  n->kind = kind;
  n->line = t->line;
  n->col = t->col;
  return n;
}

int sqlp_push(sql_parser *p, sqlp_vec *v, sql_node *n) {
  if (v->n == v->cap) {
    int cap = v->cap ? v->cap * 2 : 4;
    sql_node **nv = sql_arena_alloc(p->arena, (size_t)cap * sizeof *nv);
    if (!nv) {
      sqlp_oom(p);
      return -1;
    }
    if (v->n) memcpy(nv, v->v, (size_t)v->n * sizeof *nv);
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->n++] = n;
  return 0;
}

char *sqlp_strdup(sql_parser *p, const char *s, size_t n) {
  char *d = sql_arena_strndup(p->arena, s, n);
  if (!d) sqlp_oom(p);
  return d;
}

int sqlp_at_name(const sql_parser *p) {
  const sql_token *t = sqlp_tok(p);
  if (t->kind == SQL_TK_QIDENT) return 1;
  return t->kind == SQL_TK_WORD && !sql_is_reserved(t->text, t->len);
}

int sqlp_name(sql_parser *p, sql_name *out) {
  const sql_token *t = sqlp_tok(p);
  if (sqlp_at_name(p)) {
    out->s = t->text;
    out->quoted = t->kind == SQL_TK_QIDENT;
    sqlp_advance(p);
    return 1;
  }
  sqlp_expect(p, "<IDENTIFIER>");
  sqlp_expect(p, "<QUOTED_IDENTIFIER>");
  return 0;
}

sql_node *sqlp_compound(sql_parser *p, int allow_star) {
  const sql_token *start = sqlp_tok(p);
  sql_name parts[64];
  int n = 0, star = 0;
  if (allow_star && sqlp_at_op(p, SQL_OP_STAR)) {
    sqlp_advance(p);
    star = 1;
  } else {
    if (!sqlp_name(p, &parts[n])) return sqlp_fail(p);
    n++;
    while (sqlp_at_op(p, SQL_OP_DOT)) {
      const sql_token *after = sqlp_peek(p, 1);
      if (allow_star && after->kind == SQL_TK_OP && after->op == SQL_OP_STAR) {
        sqlp_advance(p);
        sqlp_advance(p);
        star = 1;
        break;
      }
      sqlp_advance(p);
      if (n == 64)
        return sqlp_error_at(p, start->line, start->col, "Identifier has more than 64 parts");
      if (!sqlp_name(p, &parts[n])) return sqlp_fail(p);
      n++;
    }
    sqlp_expect(p, "\".\"");
  }
  sql_node *id = sqlp_node(p, SQL_IDENT, start);
  if (!id) return NULL;
  if (n) {
    id->u.ident.parts = sql_arena_alloc(p->arena, (size_t)n * sizeof(sql_name));
    if (!id->u.ident.parts) return sqlp_oom(p);
    memcpy(id->u.ident.parts, parts, (size_t)n * sizeof(sql_name));
  }
  id->u.ident.nparts = n;
  id->u.ident.star = star;
  return id;
}

int sqlp_name_list(sql_parser *p, sql_name_list *out) {
  sql_name tmp[256];
  int n = 0;
  if (!sqlp_require_op(p, SQL_OP_LPAREN)) return 0;
  do {
    if (n == 256) {
      const sql_token *t = sqlp_tok(p);
      sqlp_error_at(p, t->line, t->col, "More than 256 names in a list");
      return 0;
    }
    if (!sqlp_name(p, &tmp[n])) {
      sqlp_fail(p);
      return 0;
    }
    n++;
  } while (sqlp_accept_op(p, SQL_OP_COMMA));
  if (!sqlp_require_op(p, SQL_OP_RPAREN)) return 0;
  out->v = sql_arena_alloc(p->arena, (size_t)n * sizeof(sql_name));
  if (!out->v) {
    sqlp_oom(p);
    return 0;
  }
  memcpy(out->v, tmp, (size_t)n * sizeof(sql_name));
  out->n = n;
  return 1;
}

const char *sqlp_string(sql_parser *p) {
  const sql_token *t = sqlp_tok(p);
  if (t->kind == SQL_TK_STRING) {
    sqlp_advance(p);
    return t->text;
  }
  sqlp_expect(p, "<QUOTED_STRING>");
  return sqlp_fail(p);
}

/* Orders the expected tokens as listed: <EOF> first, then quoted tokens, then classes. */
static int cmp_expected(const void *a, const void *b) {
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  int ex = strcmp(x, "<EOF>") == 0, ey = strcmp(y, "<EOF>") == 0;
  if (ex != ey) return ey - ex;
  return strcmp(x, y);
}

static void syntax_message(sql_parser *p) {
  const sql_token *t = &p->t[p->far < p->n ? p->far : p->n - 1];
  char image[256];
  if (t->kind == SQL_TK_EOF) {
    snprintf(image, sizeof image, "<EOF>");
  } else {
    size_t len = t->len > 120 ? 120 : t->len; /* the token as written, escaped as JavaCC does */
    sql_escape_image(p->src + t->off, len, image, sizeof image);
  }
  sp_strbuf sb = {0};
  char head[400];
  snprintf(head, sizeof head, "SQL parse failed. Encountered \"%s\" at line %d, column %d.", image,
           t->line, t->col);
  int rc = sp_strbuf_add(&sb, head);
  if (p->nexpected > 0) {
    qsort(p->expected, (size_t)p->nexpected, sizeof p->expected[0], cmp_expected);
    rc |= sp_strbuf_add(&sb, "\nWas expecting one of:");
    for (int i = 0; i < p->nexpected; i++) {
      rc |= sp_strbuf_add(&sb, "\n    ");
      rc |= sp_strbuf_add(&sb, p->expected[i]);
      if (strcmp(p->expected[i], "<EOF>") != 0) rc |= sp_strbuf_add(&sb, " ...");
    }
  }
  if (rc == 0) {
    sp_err(p->err, p->errcap, SPATE_EINVAL, "%s", sb.data);
  } else {
    sp_err(p->err, p->errcap, SPATE_EINVAL, "%s", head);
  }
  sp_strbuf_free(&sb);
}

/* Rejects trees taller than SQL_MAX_HEIGHT. The walk itself stops at that depth, so it cannot
 * exhaust the stack on the trees it rejects. */
static int too_tall(const sql_node *n, int depth, const sql_node **where) {
  if (!n) return 0;
  if (depth > SQL_MAX_HEIGHT) {
    *where = n;
    return 1;
  }
  const sql_node *kids[16];
  int k = sql_node_children(n, kids, 16);
  if (k <= 16) {
    for (int i = 0; i < k; i++)
      if (too_tall(kids[i], depth + 1, where)) return 1;
    return 0;
  }
  const sql_node **all = sp_malloc((size_t)k * sizeof *all);
  if (!all) return 0; /* cannot check: let it pass rather than fail a valid statement */
  sql_node_children(n, all, k);
  int r = 0;
  for (int i = 0; i < k && !r; i++) r = too_tall(all[i], depth + 1, where);
  sp_free(all);
  return r;
}

typedef enum { ENTRY_STATEMENT, ENTRY_EXPRESSION, ENTRY_TYPE } entry_kind;

static int parse_entry(entry_kind what, const char *src, size_t len, sql_pos start, sql_ast **out,
                       char *err, size_t cap) {
  *out = NULL;
  if (cap) err[0] = 0;
  sql_ast *ast = sp_calloc(1, sizeof *ast);
  if (!ast) return sp_err(err, cap, SPATE_ENOMEM, "SQL parse failed. Out of memory.");
  sql_token_list toks;
  char lexmsg[SP_ERRMSG_MAX];
  int rc = sql_lex(&ast->arena, src, len, start.line > 0 ? start.line : 1,
                   start.col > 0 ? start.col : 1, &toks, lexmsg, sizeof lexmsg);
  if (rc) {
    sp_err(err, cap, rc, "SQL parse failed. %s", lexmsg);
    sql_ast_free(ast);
    return rc;
  }
  sql_parser p = {.arena = &ast->arena, .t = toks.v, .n = toks.n, .err = err, .errcap = cap};
  p.src = src;
  sql_node *root = NULL;
  if (what == ENTRY_STATEMENT) {
    root = sqlp_statement(&p);
  } else {
    root = what == ENTRY_EXPRESSION ? sqlp_expr(&p) : sqlp_type(&p);
    if (root && sqlp_tok(&p)->kind != SQL_TK_EOF) {
      sqlp_expect(&p, "<EOF>");
      root = sqlp_fail(&p);
    }
  }
  if (!root && !p.rc) sqlp_fail(&p);
  if (p.rc == 0) {
    const sql_node *where = NULL;
    if (too_tall(root, 1, &where))
      sqlp_error_at(&p, where->line, where->col, "Expression or query nested deeper than %d levels",
                    SQL_MAX_HEIGHT);
  }
  if (p.rc) {
    if (p.syntax) syntax_message(&p);
    rc = p.rc;
    sql_ast_free(ast);
    return rc;
  }
  ast->root = root;
  *out = ast;
  return 0;
}

int sql_parse_statement(const char *src, size_t len, sql_pos start, sql_ast **out, char *err,
                        size_t cap) {
  return parse_entry(ENTRY_STATEMENT, src, len, start, out, err, cap);
}

int sql_parse_expression(const char *src, size_t len, sql_pos start, sql_ast **out, char *err,
                         size_t cap) {
  return parse_entry(ENTRY_EXPRESSION, src, len, start, out, err, cap);
}

int sql_parse_type(const char *src, size_t len, sql_pos start, sql_ast **out, char *err,
                   size_t cap) {
  return parse_entry(ENTRY_TYPE, src, len, start, out, err, cap);
}
