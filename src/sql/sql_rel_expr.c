/*
 * sql_rel_expr.c: what the planner does with typed expressions (sql_rel.h): substitution of
 * column references (merging calcs, rewriting over an aggregate's output), structural equality
 * (finding GROUP BY expressions in the SELECT list) and the two printed forms of plans: Calcite's
 * RexNode form of the abstract syntax tree ($0, +($1, 1)) and Flink's SQL-like form of the
 * optimized plans ((b + 1)).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_rel.h"
#include "sql/sql_udf.h"

sql_expr *sql_expr_column(sql_arena *a, int i, const sql_type *t) {
  sql_expr *e = sql_arena_alloc(a, sizeof *e);
  if (!e) return NULL;
  e->kind = SQL_E_COLUMN;
  e->u.column = i;
  e->type = t;
  return e;
}

bool sql_expr_find_column(const sql_expr *e, bool (*fn)(void *arg, int col), void *arg) {
  if (!e || e->kind == SQL_E_LITERAL) return false;
  if (e->kind == SQL_E_COLUMN) return fn(arg, e->u.column);
  if (e->kind == SQL_E_CAST) return sql_expr_find_column(e->u.cast.arg, fn, arg);
  for (int i = 0; i < e->u.call.nargs; i++)
    if (sql_expr_find_column(e->u.call.args[i], fn, arg)) return true;
  if (sql_expr_find_column(e->u.call.filter, fn, arg)) return true;
  const sql_over *o = e->u.call.over;
  for (int i = 0; o && i < o->npartition; i++)
    if (sql_expr_find_column(o->partition[i], fn, arg)) return true;
  for (int i = 0; o && i < o->norder; i++)
    if (sql_expr_find_column(o->order[i], fn, arg)) return true;
  return false;
}

sql_expr *sql_expr_and(sql_arena *a, sql_expr *x, sql_expr *y) {
  if (!x) return y;
  if (!y) return x;
  sql_expr *e = sql_arena_alloc(a, sizeof *e);
  sql_expr **args = sql_arena_alloc(a, sizeof *args * 2);
  sql_type *t = sql_arena_alloc(a, sizeof *t);
  if (!e || !args || !t) return NULL;
  t->kind = SQL_T_BOOLEAN;
  t->nullable = x->type->nullable || y->type->nullable;
  args[0] = x;
  args[1] = y;
  e->kind = SQL_E_CALL;
  e->type = t;
  e->line = x->line;
  e->col = x->col;
  e->u.call.fn = SQL_FN_AND;
  e->u.call.nargs = 2;
  e->u.call.args = args;
  return e;
}

sql_expr *sql_expr_subst(sql_arena *a, const sql_expr *e, sql_expr *const *subst) {
  if (!e) return NULL;
  if (e->kind == SQL_E_COLUMN && subst) return sql_expr_subst(a, subst[e->u.column], NULL);
  sql_expr *c = sql_arena_alloc(a, sizeof *c);
  if (!c) return NULL;
  *c = *e;
  if (e->kind == SQL_E_CALL && e->u.call.nargs > 0) {
    c->u.call.args = sql_arena_alloc(a, sizeof *c->u.call.args * (size_t)e->u.call.nargs);
    if (!c->u.call.args) return NULL;
    for (int i = 0; i < e->u.call.nargs; i++) {
      c->u.call.args[i] = sql_expr_subst(a, e->u.call.args[i], subst);
      if (!c->u.call.args[i]) return NULL;
    }
  }
  if (e->kind == SQL_E_CALL && e->u.call.over) {
    const sql_over *o = e->u.call.over;
    sql_over *n = sql_arena_alloc(a, sizeof *n);
    if (!n) return NULL;
    *n = *o;
    n->partition = sql_arena_alloc(a, sizeof *n->partition * (size_t)(o->npartition + 1));
    n->order = sql_arena_alloc(a, sizeof *n->order * (size_t)(o->norder + 1));
    if (!n->partition || !n->order) return NULL;
    for (int i = 0; i < o->npartition; i++)
      if (!(n->partition[i] = sql_expr_subst(a, o->partition[i], subst))) return NULL;
    for (int i = 0; i < o->norder; i++)
      if (!(n->order[i] = sql_expr_subst(a, o->order[i], subst))) return NULL;
    c->u.call.over = n;
  }
  if (e->kind == SQL_E_CALL && e->u.call.filter) {
    c->u.call.filter = sql_expr_subst(a, e->u.call.filter, subst);
    if (!c->u.call.filter) return NULL;
  } else if (e->kind == SQL_E_CAST) {
    c->u.cast.arg = sql_expr_subst(a, e->u.cast.arg, subst);
    if (!c->u.cast.arg) return NULL;
  }
  return c;
}

static bool type_equal(const sql_type *a, const sql_type *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind || a->nullable != b->nullable || a->length != b->length ||
      a->precision != b->precision || a->scale != b->scale)
    return false;
  if (a->kind == SQL_T_ARRAY || a->kind == SQL_T_MULTISET) return type_equal(a->elem, b->elem);
  if (a->kind == SQL_T_MAP) return type_equal(a->key, b->key) && type_equal(a->value, b->value);
  if (a->kind == SQL_T_ROW) {
    if (a->nfields != b->nfields) return false;
    for (int i = 0; i < a->nfields; i++)
      if (strcmp(a->field_names[i], b->field_names[i]) != 0 ||
          !type_equal(a->field_types[i], b->field_types[i]))
        return false;
  }
  if (a->kind == SQL_T_INTERVAL) return memcmp(&a->qual, &b->qual, sizeof a->qual) == 0;
  return true;
}

bool sql_type_same(const sql_type *a, const sql_type *b) { return type_equal(a, b); }

static bool literal_equal(const sql_literal_value *a, const sql_literal_value *b) {
  if (a->kind != b->kind || a->i != b->i || a->nanos != b->nanos || a->b != b->b ||
      a->len != b->len)
    return false;
  if (a->d != b->d && !(a->d != a->d && b->d != b->d)) return false;
  if ((a->s == NULL) != (b->s == NULL) || (a->s && memcmp(a->s, b->s, a->len) != 0)) return false;
  if ((a->digits == NULL) != (b->digits == NULL) || (a->digits && strcmp(a->digits, b->digits)))
    return false;
  /* INTERVAL '60' SECOND and INTERVAL '1' MINUTE print apart */
  return a->kind != SQL_LIT_INTERVAL ||
         (a->qual.start == b->qual.start && a->qual.end == b->qual.end);
}

/* A bound's kind, NULL (no BETWEEN's upper bound) being the current row. */
static int bound_kind(const sql_node *b) { return b ? b->u.bound.kind : SQL_BOUND_CURRENT_ROW; }

/* Whether two frame bounds as written are the same (their offsets the same text). */
static bool bound_equal(const sql_node *a, const sql_node *b) {
  if (bound_kind(a) != bound_kind(b)) return false;
  if (!a || !b) return true; /* both the current row */
  if (!a->u.bound.offset || !b->u.bound.offset) return a->u.bound.offset == b->u.bound.offset;
  sp_strbuf x = {0}, y = {0};
  bool same = sql_unparse(a->u.bound.offset, &x) == 0 && sql_unparse(b->u.bound.offset, &y) == 0 &&
              x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
  sp_strbuf_free(&x);
  sp_strbuf_free(&y);
  return same;
}

static bool over_equal(const sql_over *a, const sql_over *b) {
  if (!a || !b) return a == b;
  if (a->npartition != b->npartition || a->norder != b->norder) return false;
  /* no frame is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW, as Calcite makes it */
  bool a_all = !a->frame || (a->frame == SQL_FRAME_RANGE &&
                             bound_kind(a->lower) == SQL_BOUND_UNBOUNDED_PRECEDING &&
                             bound_kind(a->upper) == SQL_BOUND_CURRENT_ROW);
  bool b_all = !b->frame || (b->frame == SQL_FRAME_RANGE &&
                             bound_kind(b->lower) == SQL_BOUND_UNBOUNDED_PRECEDING &&
                             bound_kind(b->upper) == SQL_BOUND_CURRENT_ROW);
  if (a_all != b_all) return false;
  if (!a_all && (a->frame != b->frame || !bound_equal(a->lower, b->lower) ||
                 !bound_equal(a->upper, b->upper)))
    return false;
  for (int i = 0; i < a->npartition; i++)
    if (!sql_expr_equal(a->partition[i], b->partition[i])) return false;
  for (int i = 0; i < a->norder; i++)
    if (!sql_expr_equal(a->order[i], b->order[i]) || a->desc[i] != b->desc[i] ||
        a->nulls_first[i] != b->nulls_first[i])
      return false;
  return true;
}

bool sql_expr_equal(const sql_expr *a, const sql_expr *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind || !type_equal(a->type, b->type)) return false;
  switch (a->kind) {
  case SQL_E_LITERAL: return literal_equal(&a->u.lit, &b->u.lit);
  case SQL_E_COLUMN: return a->u.column == b->u.column;
  case SQL_E_CAST:
    return a->u.cast.try_cast == b->u.cast.try_cast && sql_expr_equal(a->u.cast.arg, b->u.cast.arg);
  case SQL_E_CALL:
    if (a->u.call.fn != b->u.call.fn || a->u.call.flags != b->u.call.flags ||
        a->u.call.unit != b->u.call.unit || a->u.call.trim != b->u.call.trim ||
        a->u.call.nargs != b->u.call.nargs)
      return false;
    /* RAND and non-deterministic user functions are not the same value twice (the clock
     * functions are: they read the time once per record) */
    if (a->u.call.fn == SQL_FN_RAND) return false;
    if (a->u.call.fn == SQL_FN_UDF &&
        (a->u.call.udf != b->u.call.udf || !a->u.call.udf->deterministic))
      return false;
    for (int i = 0; i < a->u.call.nargs; i++)
      if (!sql_expr_equal(a->u.call.args[i], b->u.call.args[i])) return false;
    if ((a->u.call.filter == NULL) != (b->u.call.filter == NULL)) return false;
    if (a->u.call.filter && !sql_expr_equal(a->u.call.filter, b->u.call.filter)) return false;
    return over_equal(a->u.call.over, b->u.call.over);
  }
  return false;
}

bool sql_expr_is_constant(const sql_expr *e) {
  switch (e->kind) {
  case SQL_E_LITERAL: return true;
  case SQL_E_COLUMN: return false;
  case SQL_E_CAST: return sql_expr_is_constant(e->u.cast.arg);
  default: break;
  }
  if (e->u.call.fn == SQL_FN_UDF && !e->u.call.udf->deterministic) return false;
  if (e->u.call.over) return false; /* a value per row of its window */
  switch (e->u.call.fn) {
  case SQL_FN_CURRENT_TIMESTAMP:
  case SQL_FN_NOW:
  case SQL_FN_LOCALTIMESTAMP:
  case SQL_FN_CURRENT_DATE:
  case SQL_FN_CURRENT_TIME:
  case SQL_FN_LOCALTIME:
  case SQL_FN_PROCTIME:
  case SQL_FN_CURRENT_ROW_TIMESTAMP:
  case SQL_FN_RAND:
  case SQL_FN_UNIX_TIMESTAMP: return false;
  default: break;
  }
  if (e->aggregate || e->proctime) return false;
  for (int i = 0; i < e->u.call.nargs; i++)
    if (!sql_expr_is_constant(e->u.call.args[i])) return false;
  return true;
}

bool sql_expr_is_true(const sql_expr *e) {
  return e && e->kind == SQL_E_LITERAL && e->u.lit.kind == SQL_LIT_TRUE;
}

/* ---- printing --------------------------------------------------------------------------------- */

static int add(sp_strbuf *sb, const char *s) { return sp_strbuf_add(sb, s); }

static int addf(sp_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int addf(sp_strbuf *sb, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return add(sb, buf);
}

static int type_text(const sql_type *t, sp_strbuf *sb) {
  return t ? sql_type_format(t, sb) : add(sb, "NULL");
}

static int literal_text(const sql_expr *e, bool calcite, bool digest, sp_strbuf *sb) {
  /* style REX and PHYSICAL print literals as Calcite does */
  const sql_literal_value *l = &e->u.lit;
  switch (l->kind) {
  case SQL_LIT_INTEGER: return addf(sb, "%" PRId64, l->i);
  case SQL_LIT_DECIMAL: {
    /* digits is the unscaled value; put the point scale digits from the end */
    const char *d = l->digits ? l->digits : "0";
    int scale = e->type ? e->type->scale : 0;
    bool neg = d[0] == '-';
    if (neg) d++;
    int n = (int)strlen(d);
    int rc = neg ? add(sb, "-") : 0;
    if (scale <= 0) return rc ? rc : add(sb, d);
    if (n <= scale) {
      rc = rc ? rc : add(sb, "0.");
      for (int i = n; !rc && i < scale; i++) rc = add(sb, "0");
      return rc ? rc : add(sb, d);
    }
    rc = rc ? rc : sp_strbuf_append(sb, d, (size_t)(n - scale));
    rc = rc ? rc : add(sb, ".");
    return rc ? rc : add(sb, d + n - scale);
  }
  case SQL_LIT_APPROX: return addf(sb, "%.17g", l->d);
  case SQL_LIT_STRING: {
    int rc = add(sb, calcite ? "_UTF-16LE'" : "'");
    for (size_t i = 0; !rc && i < l->len; i++)
      rc = l->s[i] == '\'' ? add(sb, "''") : sp_strbuf_append(sb, &l->s[i], 1);
    rc = rc ? rc : add(sb, "'");
    /* a condition offered to a source comes back from Flink's expressions as a STRING literal */
    return rc || !digest ? rc : add(sb, ":VARCHAR(2147483647) CHARACTER SET \"UTF-16LE\"");
  }
  case SQL_LIT_BINARY: {
    int rc = add(sb, "X'");
    for (size_t i = 0; !rc && i < l->len; i++) rc = addf(sb, "%02X", (unsigned char)l->s[i]);
    return rc ? rc : add(sb, "'");
  }
  case SQL_LIT_TRUE: return add(sb, "true");
  case SQL_LIT_FALSE: return add(sb, "false");
  case SQL_LIT_NULL:
  case SQL_LIT_UNKNOWN: {
    if (!calcite || !e->type || e->type->kind == SQL_T_NULL) return add(sb, "null");
    int rc = add(sb, "null:");
    return rc ? rc : type_text(e->type, sb);
  }
  case SQL_LIT_INTERVAL: { /* Calcite's digest names the qualifier: 10000:INTERVAL SECOND */
    int rc = addf(sb, "%" PRId64 ":INTERVAL", l->i);
    const sql_interval_qual *q = &l->qual;
    if (rc || !calcite || q->start == SQL_UNIT_NONE) return rc;
    rc = addf(sb, " %s", sql_unit_name(q->start));
    return rc || q->end == SQL_UNIT_NONE ? rc : addf(sb, " TO %s", sql_unit_name(q->end));
  }
  default: {
    /* DATE, TIME, TIMESTAMP literals print as their SQL text */
    return add(sb, l->s ? l->s : "?");
  }
  }
}

/* Operators Flink prints infix in plans. */
static bool infix(sql_fn fn) {
  switch (fn) {
  case SQL_FN_PLUS:
  case SQL_FN_MINUS:
  case SQL_FN_TIMES:
  case SQL_FN_DIVIDE:
  case SQL_FN_MOD:
  case SQL_FN_CONCAT_OP:
  case SQL_FN_EQ:
  case SQL_FN_NE:
  case SQL_FN_LT:
  case SQL_FN_LE:
  case SQL_FN_GT:
  case SQL_FN_GE:
  case SQL_FN_AND:
  case SQL_FN_OR: return true;
  default: return false;
  }
}

static bool postfix(sql_fn fn) { return fn >= SQL_FN_IS_NULL && fn <= SQL_FN_IS_NOT_UNKNOWN; }

static const char *postfix_text(sql_fn fn) {
  switch (fn) {
  case SQL_FN_IS_NULL: return "IS NULL";
  case SQL_FN_IS_NOT_NULL: return "IS NOT NULL";
  case SQL_FN_IS_TRUE: return "IS TRUE";
  case SQL_FN_IS_NOT_TRUE: return "IS NOT TRUE";
  case SQL_FN_IS_FALSE: return "IS FALSE";
  case SQL_FN_IS_NOT_FALSE: return "IS NOT FALSE";
  case SQL_FN_IS_UNKNOWN: return "IS UNKNOWN";
  default: return "IS NOT UNKNOWN";
  }
}

static int fmt(const sql_expr *e, const char *const *names, sql_expr_style style, sp_strbuf *sb);

static int fmt_bound(const sql_node *b, const sql_expr *offset, const char *const *names,
                     sql_expr_style style, sp_strbuf *sb) {
  switch (b->u.bound.kind) {
  case SQL_BOUND_UNBOUNDED_PRECEDING: return add(sb, "UNBOUNDED PRECEDING");
  case SQL_BOUND_UNBOUNDED_FOLLOWING: return add(sb, "UNBOUNDED FOLLOWING");
  case SQL_BOUND_CURRENT_ROW: return add(sb, "CURRENT ROW");
  default: break;
  }
  int rc = offset ? fmt(offset, names, style, sb) : 0;
  return rc ? rc : add(sb, b->u.bound.kind == SQL_BOUND_PRECEDING ? " PRECEDING" : " FOLLOWING");
}

/* Calcite's RexOver window: " OVER (PARTITION BY $0 ORDER BY $1 DESC NULLS LAST)", the nulls
 * always said, then the frame. */
static int fmt_over(const sql_over *o, const char *const *names, sql_expr_style style,
                    sp_strbuf *sb) {
  int rc = add(sb, " OVER (");
  for (int i = 0; !rc && i < o->npartition; i++) {
    rc = add(sb, i ? ", " : "PARTITION BY ");
    rc = rc ? rc : fmt(o->partition[i], names, style, sb);
  }
  for (int i = 0; !rc && i < o->norder; i++) {
    rc = add(sb, i ? ", " : o->npartition ? " ORDER BY " : "ORDER BY ");
    rc = rc ? rc : fmt(o->order[i], names, style, sb);
    rc = rc ? rc : add(sb, o->desc[i] ? " DESC" : "");
    rc = rc ? rc : add(sb, o->nulls_first[i] ? " NULLS FIRST" : " NULLS LAST");
  }
  /* Calcite's RexWindow leaves out a frame of all rows up to the current one (RANGE
   * UNBOUNDED PRECEDING, the default) and says only the lower bound when the upper one is the
   * current row */
  const sql_node *lo = o->lower, *hi = o->upper;
  bool to_current = !hi || hi->u.bound.kind == SQL_BOUND_CURRENT_ROW;
  if (!rc && o->frame &&
      !(o->frame == SQL_FRAME_RANGE && lo->u.bound.kind == SQL_BOUND_UNBOUNDED_PRECEDING &&
        to_current)) {
    rc = add(sb, o->frame == SQL_FRAME_ROWS ? " ROWS " : " RANGE ");
    if (!rc && !to_current) rc = add(sb, "BETWEEN ");
    rc = rc ? rc : fmt_bound(lo, o->lower_offset, names, style, sb);
    if (!rc && !to_current) {
      rc = add(sb, " AND ");
      rc = rc ? rc : fmt_bound(hi, o->upper_offset, names, style, sb);
    }
  }
  return rc ? rc : add(sb, ")");
}

static int fmt(const sql_expr *e, const char *const *names, sql_expr_style style, sp_strbuf *sb) {
  int rc = 0;
  bool calcite = style != SQL_EXPR_EXEC;
  switch (e->kind) {
  case SQL_E_LITERAL: return literal_text(e, calcite, style == SQL_EXPR_DIGEST, sb);
  case SQL_E_COLUMN:
    if (style == SQL_EXPR_REX || !names) return addf(sb, "$%d", e->u.column);
    return add(sb, names[e->u.column]);
  case SQL_E_CAST:
    rc = add(sb, e->u.cast.try_cast ? "TRY_CAST(" : "CAST(");
    rc = rc ? rc : fmt(e->u.cast.arg, names, style, sb);
    rc = rc ? rc : add(sb, calcite ? "):" : " AS ");
    rc = rc ? rc : type_text(e->type, sb);
    return rc ? rc : (calcite ? 0 : add(sb, ")"));
  case SQL_E_CALL: break;
  }
  sql_fn fn = e->u.call.fn;
  const char *name = fn == SQL_FN_NEGATE ? "-"
                     : fn == SQL_FN_UDF  ? e->u.call.udf->name
                                         : sql_fn_name(fn);
  int n = e->u.call.nargs;
  if (!calcite && infix(fn) && n == 2) {
    rc = add(sb, "(");
    rc = rc ? rc : fmt(e->u.call.args[0], names, style, sb);
    rc = rc ? rc : addf(sb, " %s ", name);
    rc = rc ? rc : fmt(e->u.call.args[1], names, style, sb);
    return rc ? rc : add(sb, ")");
  }
  if (!calcite && postfix(fn) && n == 1) {
    rc = add(sb, "(");
    rc = rc ? rc : fmt(e->u.call.args[0], names, style, sb);
    rc = rc ? rc : addf(sb, " %s)", postfix_text(fn));
    return rc;
  }
  if (fn == SQL_FN_IN && (e->u.call.flags & SQL_CALL_SEARCH) && n > 1) {
    rc = add(sb, "SEARCH(");
    rc = rc ? rc : fmt(e->u.call.args[0], names, style, sb);
    rc = rc ? rc : add(sb, ", Sarg[");
    for (int i = 1; !rc && i < n; i++) {
      if (i > 1) rc = add(sb, ", ");
      rc = rc ? rc : fmt(e->u.call.args[i], names, style, sb);
    }
    return rc ? rc : add(sb, "])");
  }
  if (calcite && postfix(fn)) name = postfix_text(fn);
  if (fn == SQL_FN_NOT && !calcite) name = "NOT";
  rc = add(sb, name);
  if (e->u.call.flags & SQL_CALL_NEGATED) rc = rc ? rc : add(sb, "_NOT");
  rc = rc ? rc : add(sb, "(");
  if (!rc && (fn == SQL_FN_EXTRACT ||
              ((fn == SQL_FN_FLOOR || fn == SQL_FN_CEIL) && e->u.call.unit != SQL_UNIT_NONE)))
    rc = addf(sb, "FLAG(%s), ", sql_unit_name(e->u.call.unit));
  if ((e->u.call.flags & SQL_CALL_DISTINCT)) rc = rc ? rc : add(sb, "DISTINCT ");
  if ((e->u.call.flags & SQL_CALL_STAR) && n == 0) rc = rc ? rc : add(sb, "*");
  for (int i = 0; !rc && i < n; i++) {
    if (i > 0) rc = add(sb, ", ");
    rc = rc ? rc : fmt(e->u.call.args[i], names, style, sb);
  }
  rc = rc ? rc : add(sb, ")");
  return rc || !e->u.call.over ? rc : fmt_over(e->u.call.over, names, style, sb);
}

int sql_expr_format(const sql_expr *e, const char *const *names, sql_expr_style style,
                    sp_strbuf *out) {
  return fmt(e, names, style, out) ? SPATE_ENOMEM : 0;
}
