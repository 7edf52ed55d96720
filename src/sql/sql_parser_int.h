/*
 * sql_parser_int.h: what the parser's files share (sql_parse_core.c, sql_parse_expr.c,
 * sql_parse_types.c, sql_parse_query.c, sql_parse_stmt.c). Not for use outside the parser.
 *
 * Conventions: every parse function returns the node it built, or NULL after recording an
 * error in the parser (p->rc != 0); callers return NULL at once when a callee did. A function
 * that tests for an optional token records what it looked for (sqlp_expect) at the current
 * position, so that a syntax error lists every token that could have come there, as JavaCC's
 * "Was expecting one of" does: the list kept is the one of the furthest position reached.
 */
#ifndef SPATE_SQL_PARSER_INT_H
#define SPATE_SQL_PARSER_INT_H
#include <stddef.h>

#include "sql/sql_ast.h"
#include "sql/sql_lexer.h"
#include "sql/sql_parser.h"

#define SQLP_MAX_EXPECTED 64

typedef struct sql_parser {
  sql_arena *arena;
  const char *src;    /* the text the tokens' offsets point into */
  const sql_token *t; /* n tokens, the last one EOF */
  int n, pos;
  int depth;  /* current nesting of parse_expr / parse_query calls */
  int rc;     /* 0, or the error recorded */
  int syntax; /* the error is "Encountered ..." built from far and expected */
  char *err;
  size_t errcap;
  int far; /* the furthest token position where something was expected */
  const char *expected[SQLP_MAX_EXPECTED];
  int nexpected;
} sql_parser;

/* A list under construction (arena memory, grown by doubling). */
typedef struct sqlp_vec {
  sql_node **v;
  int n, cap;
} sqlp_vec;

/* --- tokens (sql_parse_core.c) --- */
static inline const sql_token *sqlp_tok(const sql_parser *p) { return &p->t[p->pos]; }
static inline const sql_token *sqlp_peek(const sql_parser *p, int k) {
  int i = p->pos + k;
  return &p->t[i < p->n ? i : p->n - 1];
}
static inline void sqlp_advance(sql_parser *p) {
  if (p->pos < p->n - 1) p->pos++;
}
/* Whether token t is the unquoted word kw (kw in upper case). */
int sqlp_tok_is(const sql_token *t, const char *kw);
/* Whether the current token is kw / the token k ahead is kw; records nothing. */
int sqlp_at(const sql_parser *p, const char *kw);
int sqlp_at_k(const sql_parser *p, int k, const char *kw);
int sqlp_at_op(const sql_parser *p, sql_op op);
/* Records that `what` (a display form: "\"FROM\"", "<IDENTIFIER>") could come here. */
void sqlp_expect(sql_parser *p, const char *what);
/* Consumes keyword kw if it is next (returns 1); otherwise records it as expected. */
int sqlp_accept(sql_parser *p, const char *kw);
int sqlp_accept_op(sql_parser *p, sql_op op);
/* As accept, but a missing token is a syntax error (returns 0 with p->rc set). */
int sqlp_require(sql_parser *p, const char *kw);
int sqlp_require_op(sql_parser *p, sql_op op);
/* Records a syntax error at the current token; returns NULL for `return sqlp_fail(p);`. */
void *sqlp_fail(sql_parser *p);
/* Records an error with its own message at (line, col); returns NULL. */
void *sqlp_error_at(sql_parser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void *sqlp_oom(sql_parser *p);
/* Nesting guard: enter returns 0 (and records an error) past SQL_MAX_DEPTH. */
int sqlp_enter(sql_parser *p);
static inline void sqlp_leave(sql_parser *p) { p->depth--; }

/* --- nodes and lists (sql_parse_core.c) --- */
/* A zeroed node of kind positioned at token t; NULL (error recorded) when out of memory. */
sql_node *sqlp_node(sql_parser *p, sql_kind kind, const sql_token *t);
/* Appends n to the vector; returns 0 or -1 (error recorded). */
int sqlp_push(sql_parser *p, sqlp_vec *v, sql_node *n);
static inline sql_list sqlp_list(const sqlp_vec *v) { return (sql_list){v->v, v->n}; }
char *sqlp_strdup(sql_parser *p, const char *s, size_t n);

/* An identifier: a backquoted name or an unreserved word. Records <IDENTIFIER> otherwise. */
int sqlp_name(sql_parser *p, sql_name *out);
/* Whether the current token can be an identifier (no recording). */
int sqlp_at_name(const sql_parser *p);
/* A compound identifier a.b.c (SQL_IDENT), with a trailing .* when allow_star. */
sql_node *sqlp_compound(sql_parser *p, int allow_star);
/* ( name, name, ... ) */
int sqlp_name_list(sql_parser *p, sql_name_list *out);
/* A string literal's value (for option keys, comments, paths). */
const char *sqlp_string(sql_parser *p);

/* --- grammar (one file each) --- */
sql_node *sqlp_expr(sql_parser *p); /* sql_parse_expr.c */
sql_node *sqlp_type(sql_parser *p); /* sql_parse_types.c */
int sqlp_interval_qual(sql_parser *p, sql_interval_qual *q, int allow_start_precision);
int sqlp_unit(sql_parser *p, sql_unit *out);  /* a time unit word, plurals included */
sql_node *sqlp_query(sql_parser *p);          /* sql_parse_query.c: query with ORDER BY */
int sqlp_at_query_start(const sql_parser *p); /* SELECT, WITH, VALUES, ( */
sql_node *sqlp_order_item(sql_parser *p);
sql_node *sqlp_window_spec(sql_parser *p); /* after "(" of OVER ( ... ) or WINDOW w AS */
sql_node *sqlp_statement(sql_parser *p);   /* sql_parse_stmt.c */
#endif
