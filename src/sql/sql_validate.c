/*
 * sql_validate.c: the expression validator's core (sql_validate.h): literals decoded and checked
 * as Calcite's parser and Flink's type factory type them, column references, the operators
 * (arithmetic, comparisons, logic, IS, BETWEEN, IN, LIKE), CASE and CAST. Function calls go to
 * sql_functions.c, type merging and cast tables are sql_type_rules.c's.
 *
 * Messages are Calcite's where Flink lets Calcite validate (Cannot apply '+' to arguments of
 * type ..., Column 'x' not found in any table) and Flink's where Flink checks (Cast function
 * cannot convert value of type ...). Type names in Calcite's messages are Calcite's (INTEGER,
 * VARCHAR(2147483647)). Flink validates with implicit type coercion disabled, so operands must
 * be of comparable families: '1' = 1 is refused, as in Flink.
 */
#include "sql/sql_validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_validate_int.h"

int sqlv_fail(sqlv_ctx *c, const sql_node *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
  va_end(ap);
  c->err->line = n ? n->line : 0;
  c->err->col = n ? n->col : 0;
  return SPATE_EINVAL;
}

static sql_expr *new_expr(sqlv_ctx *c, const sql_node *n, sql_expr_kind kind) {
  sql_expr *e = sql_arena_alloc(c->arena, sizeof *e);
  if (!e) return NULL;
  e->kind = kind;
  e->line = n->line;
  e->col = n->col;
  return e;
}

sql_expr *sqlv_call(sqlv_ctx *c, const sql_node *n, sql_fn fn, int nargs) {
  sql_expr *e = new_expr(c, n, SQL_E_CALL);
  if (!e) return NULL;
  e->u.call.fn = fn;
  e->u.call.nargs = nargs;
  e->u.call.args = sql_arena_alloc(c->arena, sizeof *e->u.call.args * (size_t)(nargs + 1));
  return e->u.call.args ? e : NULL;
}

/* --- literals --- */

/* Exact numerics: INT when the value fits, else BIGINT, else DECIMAL(digits, 0) up to 38
 * digits; a literal with a point is DECIMAL(p, s) of its digits, as Calcite types them. */
static int numeric_literal(sqlv_ctx *c, const sql_node *n, sql_expr *e) {
  const char *t = n->u.lit.text;
  size_t len = n->u.lit.text_len;
  char digits[128];
  size_t nd = 0;
  int scale = 0;
  bool point = false;
  for (size_t i = 0; i < len; i++) {
    if (t[i] == '.') {
      point = true;
      continue;
    }
    if (!isdigit((unsigned char)t[i]) || nd + 1 >= sizeof digits)
      return sqlv_fail(c, n, "Numeric literal '%.*s' out of range", (int)len, t);
    if (point) scale++;
    if (nd == 0 && t[i] == '0') continue; /* leading zeros count for nothing */
    digits[nd++] = t[i];
  }
  digits[nd] = 0;
  int precision = (int)nd;
  if (precision < scale) precision = scale;
  if (precision == 0) precision = 1;
  if (precision > 38) return sqlv_fail(c, n, "Numeric literal '%.*s' out of range", (int)len, t);
  e->u.lit.kind = n->u.lit.kind;
  if (n->u.lit.kind == SQL_LIT_INTEGER && nd <= 19) {
    errno = 0;
    unsigned long long v = nd ? strtoull(digits, NULL, 10) : 0;
    if (errno == 0 && v <= 9223372036854775807ULL) {
      e->u.lit.i = (int64_t)v;
      e->type = sqlv_type(c->arena, v <= 2147483647ULL ? SQL_T_INT : SQL_T_BIGINT, 0, false);
      return e->type ? 0 : SPATE_ENOMEM;
    }
  }
  e->u.lit.kind = SQL_LIT_DECIMAL;
  e->u.lit.digits = sql_arena_strndup(c->arena, nd ? digits : "0", nd ? nd : 1);
  e->type = sqlv_decimal(c->arena, precision, scale, false);
  return e->type && e->u.lit.digits ? 0 : SPATE_ENOMEM;
}

static int read_int(const char **p, const char *end, int min_digits, int max_digits, long *out) {
  int nd = 0;
  long v = 0;
  while (*p < end && isdigit((unsigned char)**p) && nd < max_digits) {
    v = v * 10 + (**p - '0');
    (*p)++;
    nd++;
  }
  *out = v;
  return nd >= min_digits ? 0 : -1;
}

static int64_t days_from_civil(long y, long m, long d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int64_t)era * 146097 + doe - 719468;
}

static bool valid_date(long y, long m, long d) {
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 0 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return false;
  if (m == 2 && d == 29) return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return true;
}

static int parse_date(const char **p, const char *end, int64_t *days) {
  long y, m, d;
  if (read_int(p, end, 1, 4, &y) || *p >= end || **p != '-') return -1;
  (*p)++;
  if (read_int(p, end, 1, 2, &m) || *p >= end || **p != '-') return -1;
  (*p)++;
  if (read_int(p, end, 1, 2, &d) || !valid_date(y, m, d)) return -1;
  *days = days_from_civil(y, m, d);
  return 0;
}

/* HH:mm:ss[.fff...]: nanoseconds of the day and the number of fractional digits. */
static int parse_time(const char **p, const char *end, int64_t *nanos, int *frac) {
  long h, mi, s = 0;
  if (read_int(p, end, 1, 2, &h) || *p >= end || **p != ':') return -1;
  (*p)++;
  if (read_int(p, end, 1, 2, &mi)) return -1;
  if (*p < end && **p == ':') {
    (*p)++;
    if (read_int(p, end, 1, 2, &s)) return -1;
  }
  if (h > 23 || mi > 59 || s > 59) return -1;
  int64_t ns = 0;
  *frac = 0;
  if (*p < end && **p == '.') {
    (*p)++;
    while (*p < end && isdigit((unsigned char)**p)) {
      if (*frac >= 9) return -1;
      ns = ns * 10 + (**p - '0');
      (*frac)++;
      (*p)++;
    }
    for (int k = *frac; k < 9; k++) ns *= 10;
  }
  *nanos = ((int64_t)h * 3600 + mi * 60 + s) * 1000000000LL + ns;
  return 0;
}

static int datetime_literal(sqlv_ctx *c, const sql_node *n, sql_expr *e) {
  const char *t = n->u.lit.text, *p = t, *end = t + n->u.lit.text_len;
  while (p < end && *p == ' ') p++;
  while (end > p && end[-1] == ' ') end--;
  int frac = 0, rc = -1;
  int64_t days = 0, nanos = 0;
  const char *what = "DATE", *format = "yyyy-MM-dd";
  sql_type_kind kind = SQL_T_DATE;
  switch (n->u.lit.kind) {
  case SQL_LIT_DATE:
    rc = parse_date(&p, end, &days);
    e->u.lit.i = days;
    break;
  case SQL_LIT_TIME:
    what = "TIME";
    format = "HH:mm:ss";
    kind = SQL_T_TIME;
    rc = parse_time(&p, end, &nanos, &frac);
    e->u.lit.i = nanos;
    break;
  default:
    what = n->u.lit.kind == SQL_LIT_TIMESTAMP ? "TIMESTAMP" : "TIMESTAMP WITH LOCAL TIME ZONE";
    format = "yyyy-MM-dd HH:mm:ss";
    kind = n->u.lit.kind == SQL_LIT_TIMESTAMP ? SQL_T_TIMESTAMP : SQL_T_TIMESTAMP_LTZ;
    rc = parse_date(&p, end, &days);
    if (!rc && p < end && (*p == ' ' || *p == 'T')) {
      p++;
      rc = parse_time(&p, end, &nanos, &frac);
    }
    e->u.lit.i = days * 86400 + nanos / 1000000000LL;
    e->u.lit.nanos = (int32_t)(nanos % 1000000000LL);
    break;
  }
  if (rc || p != end)
    return sqlv_fail(c, n, "Illegal %s literal '%.*s': not in format '%s'", what,
                     (int)n->u.lit.text_len, t, format);
  e->u.lit.kind = n->u.lit.kind;
  e->type = sqlv_type(c->arena, kind, frac, false);
  return e->type ? 0 : SPATE_ENOMEM;
}

static int64_t unit_millis(sql_unit u) {
  switch (u) {
  case SQL_UNIT_DAY: return 86400000LL;
  case SQL_UNIT_HOUR: return 3600000LL;
  case SQL_UNIT_MINUTE: return 60000LL;
  default: return 1000LL;
  }
}

/* INTERVAL 'text' qualifier: the fields the qualifier names, separated as SQL writes them
 * ('1-2' YEAR TO MONTH, '1 02:03:04.5' DAY TO SECOND); a leading field within its precision. */
static int interval_literal(sqlv_ctx *c, const sql_node *n, sql_expr *e) {
  sql_interval_qual q = n->u.lit.qual;
  const char *t = n->u.lit.text, *p = t, *end = t + n->u.lit.text_len;
  char qname[96];
  snprintf(qname, sizeof qname, "INTERVAL %s%s%s", sql_unit_name(q.start),
           q.end != SQL_UNIT_NONE ? " TO " : "",
           q.end != SQL_UNIT_NONE ? sql_unit_name(q.end) : "");
  bool field_ok = q.start == SQL_UNIT_YEAR || q.start == SQL_UNIT_MONTH ||
                  q.start == SQL_UNIT_DAY || q.start == SQL_UNIT_HOUR ||
                  q.start == SQL_UNIT_MINUTE || q.start == SQL_UNIT_SECOND;
  bool ym_start = q.start == SQL_UNIT_YEAR || q.start == SQL_UNIT_MONTH;
  if (!field_ok ||
      (q.end != SQL_UNIT_NONE && (q.end <= q.start || q.end > SQL_UNIT_SECOND ||
                                  q.end == SQL_UNIT_WEEK || ym_start != (q.end == SQL_UNIT_MONTH))))
    return sqlv_fail(c, n, "Unsupported interval qualifier %s", qname);
  while (p < end && *p == ' ') p++;
  while (end > p && end[-1] == ' ') end--;
  int sign = n->u.lit.negative ? -1 : 1;
  if (p < end && (*p == '-' || *p == '+')) sign *= *p++ == '-' ? -1 : 1;
  bool ym = q.start == SQL_UNIT_YEAR || q.start == SQL_UNIT_MONTH;
  sql_unit last = q.end != SQL_UNIT_NONE ? q.end : q.start;
  static const char seps[] = {0, 0, 0, '-', 0, 0, ' ', ':', ':'}; /* before each unit */
  int64_t total = 0;
  long lead = 0;
  bool first = true;
  for (sql_unit u = q.start;; u++) {
    if (u == SQL_UNIT_QUARTER || u == SQL_UNIT_WEEK) continue;
    if (!first) {
      char sep = seps[u];
      if (p >= end || *p != sep) goto bad;
      p++;
    }
    long v;
    if (read_int(&p, end, 1, 10, &v)) goto bad;
    if (first) lead = v;
    if (ym)
      total += u == SQL_UNIT_YEAR ? (int64_t)v * 12 : v;
    else
      total += (int64_t)v * unit_millis(u);
    if (!first && ((u == SQL_UNIT_MONTH && v > 11) || (u == SQL_UNIT_HOUR && v > 23) ||
                   ((u == SQL_UNIT_MINUTE || u == SQL_UNIT_SECOND) && v > 59)))
      return sqlv_fail(c, n, "Illegal interval literal format '%.*s' for %s",
                       (int)n->u.lit.text_len, t, qname);
    first = false;
    if (u == last) break;
  }
  if (last == SQL_UNIT_SECOND && p < end && *p == '.') {
    p++;
    long ms = 0;
    int nd = 0;
    while (p < end && isdigit((unsigned char)*p) && nd < 9) {
      if (nd < 3) ms = ms * 10 + (*p - '0');
      nd++;
      p++;
    }
    if (nd == 0) goto bad;
    for (int k = nd; k < 3; k++) ms *= 10;
    total += ms;
  }
  if (p != end) goto bad;
  int prec = q.start_precision < 0 ? 2 : q.start_precision > 10 ? 10 : q.start_precision;
  int64_t limit = 1;
  for (int k = 0; k < prec; k++) limit *= 10;
  if (lead >= limit)
    return sqlv_fail(c, n, "Interval field value %ld exceeds precision of %s(%d) field", lead,
                     sql_unit_name(q.start), prec);
  e->u.lit.kind = SQL_LIT_INTERVAL;
  e->u.lit.i = sign * total;
  e->u.lit.qual = q;
  sql_type *ty = sqlv_type(c->arena, SQL_T_INTERVAL, 0, false);
  if (!ty) return SPATE_ENOMEM;
  /* Flink types interval literals as the widest of their family */
  ty->qual.start = ym ? SQL_UNIT_YEAR : SQL_UNIT_DAY;
  ty->qual.end = ym ? SQL_UNIT_MONTH : SQL_UNIT_SECOND;
  ty->qual.start_precision = 2;
  ty->qual.frac_precision = ym ? -1 : 3;
  e->type = ty;
  return 0;
bad:
  return sqlv_fail(c, n, "Illegal interval literal format '%.*s' for %s", (int)n->u.lit.text_len, t,
                   qname);
}

static int literal(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  sql_expr *e = new_expr(c, n, SQL_E_LITERAL);
  if (!e) return SPATE_ENOMEM;
  *out = e;
  e->u.lit.kind = n->u.lit.kind;
  switch (n->u.lit.kind) {
  case SQL_LIT_INTEGER:
  case SQL_LIT_DECIMAL: return numeric_literal(c, n, e);
  case SQL_LIT_APPROX:
    e->u.lit.d = strtod(n->u.lit.text, NULL);
    e->type = sqlv_type(c->arena, SQL_T_DOUBLE, 0, false);
    break;
  case SQL_LIT_STRING:
    e->u.lit.s = n->u.lit.text;
    e->u.lit.len = n->u.lit.text_len;
    /* Calcite counts characters, not bytes */
    {
      int chars = 0;
      for (size_t i = 0; i < n->u.lit.text_len; i++)
        if (((unsigned char)n->u.lit.text[i] & 0xC0) != 0x80) chars++;
      e->type = sqlv_type(c->arena, SQL_T_CHAR, chars, false);
    }
    break;
  case SQL_LIT_BINARY: {
    size_t hex = n->u.lit.text_len;
    if (hex % 2)
      return sqlv_fail(c, n, "Binary literal string must contain an even number of hexits");
    char *bytes = sql_arena_alloc(c->arena, hex / 2 + 1);
    if (!bytes) return SPATE_ENOMEM;
    for (size_t i = 0; i < hex / 2; i++) {
      char two[3] = {n->u.lit.text[2 * i], n->u.lit.text[2 * i + 1], 0};
      bytes[i] = (char)strtol(two, NULL, 16);
    }
    e->u.lit.s = bytes;
    e->u.lit.len = hex / 2;
    e->type = sqlv_type(c->arena, SQL_T_BINARY, (int)(hex / 2), false);
    break;
  }
  case SQL_LIT_TRUE:
  case SQL_LIT_FALSE:
    e->u.lit.b = n->u.lit.kind == SQL_LIT_TRUE;
    e->type = sqlv_type(c->arena, SQL_T_BOOLEAN, 0, false);
    break;
  case SQL_LIT_UNKNOWN: e->type = sqlv_type(c->arena, SQL_T_BOOLEAN, 0, true); break;
  case SQL_LIT_NULL: e->type = sqlv_type(c->arena, SQL_T_NULL, 0, true); break;
  case SQL_LIT_DATE:
  case SQL_LIT_TIME:
  case SQL_LIT_TIMESTAMP:
  case SQL_LIT_TIMESTAMP_LTZ: return datetime_literal(c, n, e);
  case SQL_LIT_INTERVAL: return interval_literal(c, n, e);
  default: return sqlv_fail(c, n, "Unsupported literal");
  }
  return e->type ? 0 : SPATE_ENOMEM;
}

/* --- column references --- */

static int column_ref(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  const typeof(n->u.ident) *id = &n->u.ident;
  if (id->star) return sqlv_fail(c, n, "Unknown identifier '*'");
  if (id->nparts > 2)
    return sqlv_fail(c, n, "Column '%s.%s.%s' not found in any table", id->parts[0].s,
                     id->parts[1].s, id->parts[2].s);
  const char *qual = id->nparts == 2 ? id->parts[0].s : NULL;
  const char *name = id->parts[id->nparts - 1].s;
  int found = -1;
  bool qual_known = false;
  for (int i = 0; i < c->scope->ncols; i++) {
    const sql_scope_column *col = &c->scope->cols[i];
    if (qual && (!col->qualifier || strcmp(col->qualifier, qual) != 0)) continue;
    qual_known = true;
    if (strcmp(col->name, name) != 0) continue;
    if (found >= 0) return sqlv_fail(c, n, "Column '%s' is ambiguous", name);
    found = i;
  }
  if (found >= 0) {
    sql_expr *e = new_expr(c, n, SQL_E_COLUMN);
    if (!e) return SPATE_ENOMEM;
    e->u.column = found;
    e->type = c->scope->cols[found].type;
    *out = e;
    return 0;
  }
  if (qual && !qual_known) return sqlv_fail(c, n, "Table '%s' not found", qual);
  if (qual) return sqlv_fail(c, n, "Column '%s' not found in table '%s'", name, qual);
  return sqlv_fail(c, n, "Column '%s' not found in any table", name);
}

/* --- operators --- */

static void tname(const sql_type *t, char *buf, size_t cap) {
  char inner[256];
  sql_calcite_type_name(t, inner, sizeof inner);
  snprintf(buf, cap, "<%s>", inner);
}

static int cannot_apply_binary(sqlv_ctx *c, const sql_node *n, const char *op, const sql_type *l,
                               const sql_type *r, const char *forms) {
  char a[300], b[300];
  tname(l, a, sizeof a);
  tname(r, b, sizeof b);
  return sqlv_fail(c, n, "Cannot apply '%s' to arguments of type '%s %s %s'. Supported form(s): %s",
                   op, a, op, b, forms);
}

static const char *arith_forms(sql_op_kind op) {
  switch (op) {
  case SQL_OPK_PLUS:
    return "'<NUMERIC> + <NUMERIC>'\n'<DATETIME_INTERVAL> + <DATETIME_INTERVAL>'\n'<DATETIME> + "
           "<DATETIME_INTERVAL>'\n'<DATETIME_INTERVAL> + <DATETIME>'";
  case SQL_OPK_MINUS:
    return "'<NUMERIC> - <NUMERIC>'\n'<DATETIME_INTERVAL> - <DATETIME_INTERVAL>'\n'<DATETIME> - "
           "<DATETIME_INTERVAL>'";
  case SQL_OPK_MUL:
    return "'<NUMERIC> * <NUMERIC>'\n'<DATETIME_INTERVAL> * <NUMERIC>'\n'<NUMERIC> * "
           "<DATETIME_INTERVAL>'";
  case SQL_OPK_DIV: return "'<NUMERIC> / <NUMERIC>'\n'<DATETIME_INTERVAL> / <NUMERIC>'";
  default: return "'<EXACT_NUMERIC> % <EXACT_NUMERIC>'";
  }
}

/* An untyped NULL operand takes the other operand's type (Calcite infers it), nullable. */
static const sql_type *infer_null(sqlv_ctx *c, const sql_type *t, const sql_type *other) {
  if (!sqlv_is_null(t) || sqlv_is_null(other)) return t;
  return sql_type_with_nullable(other, true, c->arena);
}

static const sql_type *arith_type(sqlv_ctx *c, sql_op_kind op, const sql_type *l,
                                  const sql_type *r) {
  bool nullable = l->nullable || r->nullable;
  sql_arena *a = c->arena;
  if (sqlv_is_numeric(l) && sqlv_is_numeric(r)) {
    int p1, s1, p2, s2, p, s;
    if (op == SQL_OPK_MOD) {
      if (!sqlv_is_exact(l) || !sqlv_is_exact(r)) return NULL;
      if (l->kind == SQL_T_DECIMAL || r->kind == SQL_T_DECIMAL) {
        sqlv_as_decimal(l, &p1, &s1);
        sqlv_as_decimal(r, &p2, &s2);
        sqlv_decimal_mod(p1, s1, p2, s2, &p, &s);
        return sqlv_decimal(a, p, s, nullable);
      }
      return sql_type_with_nullable(r, nullable, a); /* Calcite: the divisor's type */
    }
    if ((l->kind == SQL_T_DECIMAL || r->kind == SQL_T_DECIMAL) && sqlv_is_exact(l) &&
        sqlv_is_exact(r)) {
      sqlv_as_decimal(l, &p1, &s1);
      sqlv_as_decimal(r, &p2, &s2);
      if (op == SQL_OPK_MUL)
        sqlv_decimal_mul(p1, s1, p2, s2, &p, &s);
      else if (op == SQL_OPK_DIV)
        sqlv_decimal_div(p1, s1, p2, s2, &p, &s);
      else
        sqlv_decimal_add(p1, s1, p2, s2, &p, &s);
      return sqlv_decimal(a, p, s, nullable);
    }
    const sql_type *two[2] = {l, r};
    bool oom;
    return sql_type_common(two, 2, a, &oom);
  }
  if (op == SQL_OPK_MOD) return NULL;
  bool li = sqlv_is_interval(l), ri = sqlv_is_interval(r);
  if ((op == SQL_OPK_PLUS || op == SQL_OPK_MINUS) && li && ri) {
    const sql_type *two[2] = {l, r};
    bool oom;
    return sql_type_common(two, 2, a, &oom);
  }
  if ((op == SQL_OPK_PLUS || op == SQL_OPK_MINUS) && sqlv_is_datetime(l) && ri)
    return sql_type_with_nullable(l, nullable, a);
  if (op == SQL_OPK_PLUS && li && sqlv_is_datetime(r))
    return sql_type_with_nullable(r, nullable, a);
  if ((op == SQL_OPK_MUL || op == SQL_OPK_DIV) && li && sqlv_is_numeric(r))
    return sql_type_with_nullable(l, nullable, a);
  if (op == SQL_OPK_MUL && sqlv_is_numeric(l) && ri) return sql_type_with_nullable(r, nullable, a);
  return NULL;
}

/* Whether two types may be compared: numerics together, character strings together, binary
 * strings together, the same datetime family (timestamps with and without time zone together),
 * intervals of one kind, and otherwise the same type. */
static bool comparable(const sql_type *l, const sql_type *r) {
  if (sqlv_is_null(l) || sqlv_is_null(r)) return true;
  if (sqlv_is_numeric(l)) return sqlv_is_numeric(r);
  if (sqlv_is_character(l)) return sqlv_is_character(r);
  if (sqlv_is_binary(l)) return sqlv_is_binary(r);
  if (sqlv_is_timestamp(l)) return sqlv_is_timestamp(r);
  if (l->kind == SQL_T_INTERVAL)
    return r->kind == SQL_T_INTERVAL && sqlv_is_year_month(l) == sqlv_is_year_month(r);
  if (l->kind != r->kind) return false;
  if (l->kind == SQL_T_MAP || l->kind == SQL_T_MULTISET) return false;
  bool oom;
  sql_arena scratch = {0};
  const sql_type *two[2] = {l, r};
  bool ok = sql_type_common(two, 2, &scratch, &oom) != NULL;
  sql_arena_free(&scratch);
  return ok;
}

static const sql_type *bool_type(sqlv_ctx *c, bool nullable) {
  return sqlv_type(c->arena, SQL_T_BOOLEAN, 0, nullable);
}

static sql_fn binary_fn(sql_op_kind op) {
  switch (op) {
  case SQL_OPK_OR: return SQL_FN_OR;
  case SQL_OPK_AND: return SQL_FN_AND;
  case SQL_OPK_EQ: return SQL_FN_EQ;
  case SQL_OPK_NE: return SQL_FN_NE;
  case SQL_OPK_LT: return SQL_FN_LT;
  case SQL_OPK_LE: return SQL_FN_LE;
  case SQL_OPK_GT: return SQL_FN_GT;
  case SQL_OPK_GE: return SQL_FN_GE;
  case SQL_OPK_IS_DISTINCT_FROM: return SQL_FN_IS_DISTINCT_FROM;
  case SQL_OPK_IS_NOT_DISTINCT_FROM: return SQL_FN_IS_NOT_DISTINCT_FROM;
  case SQL_OPK_PLUS: return SQL_FN_PLUS;
  case SQL_OPK_MINUS: return SQL_FN_MINUS;
  case SQL_OPK_MUL: return SQL_FN_TIMES;
  case SQL_OPK_DIV: return SQL_FN_DIVIDE;
  case SQL_OPK_MOD: return SQL_FN_MOD;
  case SQL_OPK_CONCAT: return SQL_FN_CONCAT_OP;
  default: return SQL_FN_NONE;
  }
}

static bool is_boolean(const sql_type *t) { return t->kind == SQL_T_BOOLEAN || sqlv_is_null(t); }

/* The || operator: CHAR(a) || CHAR(b) is CHAR(a + b), anything else VARCHAR(a + b), capped. */
const sql_type *sqlv_concat_type(sqlv_ctx *c, const sql_type *l, const sql_type *r, bool chars) {
  long len = (long)l->length + r->length;
  if (len > SQL_MAX_LENGTH) len = SQL_MAX_LENGTH;
  sql_type_kind k =
      chars ? (l->kind == SQL_T_CHAR && r->kind == SQL_T_CHAR ? SQL_T_CHAR : SQL_T_VARCHAR)
            : (l->kind == SQL_T_BINARY && r->kind == SQL_T_BINARY ? SQL_T_BINARY : SQL_T_VARBINARY);
  return sqlv_type(c->arena, k, (int)len, l->nullable || r->nullable);
}

static int binary(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  sql_op_kind op = n->u.binary.op;
  sql_expr *e = sqlv_call(c, n, binary_fn(op), 2);
  if (!e) return SPATE_ENOMEM;
  int rc = sqlv_expr(c, n->u.binary.left, &e->u.call.args[0]);
  if (!rc) rc = sqlv_expr(c, n->u.binary.right, &e->u.call.args[1]);
  if (rc) return rc;
  const sql_type *l = e->u.call.args[0]->type, *r = e->u.call.args[1]->type;
  const char *text = sql_opk_text(op);
  switch (op) {
  case SQL_OPK_AND:
  case SQL_OPK_OR:
    if (!is_boolean(l) || !is_boolean(r))
      return cannot_apply_binary(
          c, n, text, l, r,
          op == SQL_OPK_AND ? "'<BOOLEAN> AND <BOOLEAN>'" : "'<BOOLEAN> OR <BOOLEAN>'");
    e->type = bool_type(c, l->nullable || r->nullable);
    break;
  case SQL_OPK_EQ:
  case SQL_OPK_NE:
  case SQL_OPK_LT:
  case SQL_OPK_LE:
  case SQL_OPK_GT:
  case SQL_OPK_GE:
  case SQL_OPK_IS_DISTINCT_FROM:
  case SQL_OPK_IS_NOT_DISTINCT_FROM: {
    if (sqlv_is_null(l) && sqlv_is_null(r)) return sqlv_fail(c, n, "Illegal use of 'NULL'");
    if (!comparable(l, r)) {
      char forms[200];
      snprintf(forms, sizeof forms, "'<COMPARABLE_TYPE> %s <COMPARABLE_TYPE>'", text);
      return cannot_apply_binary(c, n, text, l, r, forms);
    }
    bool distinct = op == SQL_OPK_IS_DISTINCT_FROM || op == SQL_OPK_IS_NOT_DISTINCT_FROM;
    e->type = bool_type(c, !distinct && (l->nullable || r->nullable));
    break;
  }
  case SQL_OPK_CONCAT: {
    if (sqlv_is_null(l) && sqlv_is_null(r)) return sqlv_fail(c, n, "Illegal use of 'NULL'");
    l = infer_null(c, l, r);
    r = infer_null(c, r, l);
    bool chars = sqlv_is_character(l) && sqlv_is_character(r);
    if (!chars && !(sqlv_is_binary(l) && sqlv_is_binary(r)))
      return cannot_apply_binary(c, n, text, l, r, "'<STRING> || <STRING>'\n'<ARRAY> || <ARRAY>'");
    e->type = sqlv_concat_type(c, l, r, chars);
    break;
  }
  default: {
    if (sqlv_is_null(l) && sqlv_is_null(r)) return sqlv_fail(c, n, "Illegal use of 'NULL'");
    l = infer_null(c, l, r);
    r = infer_null(c, r, l);
    if (!l || !r) return SPATE_ENOMEM;
    e->type = arith_type(c, op, l, r);
    if (!e->type) return cannot_apply_binary(c, n, text, l, r, arith_forms(op));
    break;
  }
  }
  if (!e->type) return SPATE_ENOMEM;
  *out = e;
  return 0;
}

static int unary(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  sql_op_kind op = n->u.unary.op;
  sql_expr *arg;
  int rc = sqlv_expr(c, n->u.unary.arg, &arg);
  if (rc) return rc;
  const sql_type *t = arg->type;
  char a[300];
  tname(t, a, sizeof a);
  if (op == SQL_OPK_POS) {
    if (!sqlv_is_numeric(t) && !sqlv_is_interval(t) && !sqlv_is_null(t))
      return sqlv_fail(c, n,
                       "Cannot apply '+' to arguments of type '+%s'. Supported form(s): "
                       "'+<NUMERIC>'\n'+<DATETIME_INTERVAL>'",
                       a);
    *out = arg;
    return 0;
  }
  static const struct {
    sql_op_kind op;
    sql_fn fn;
    const char *text;
  } ops[] = {
      {SQL_OPK_NEG, SQL_FN_NEGATE, "-"},
      {SQL_OPK_NOT, SQL_FN_NOT, "NOT"},
      {SQL_OPK_IS_NULL, SQL_FN_IS_NULL, "IS NULL"},
      {SQL_OPK_IS_NOT_NULL, SQL_FN_IS_NOT_NULL, "IS NOT NULL"},
      {SQL_OPK_IS_TRUE, SQL_FN_IS_TRUE, "IS TRUE"},
      {SQL_OPK_IS_NOT_TRUE, SQL_FN_IS_NOT_TRUE, "IS NOT TRUE"},
      {SQL_OPK_IS_FALSE, SQL_FN_IS_FALSE, "IS FALSE"},
      {SQL_OPK_IS_NOT_FALSE, SQL_FN_IS_NOT_FALSE, "IS NOT FALSE"},
      {SQL_OPK_IS_UNKNOWN, SQL_FN_IS_UNKNOWN, "IS UNKNOWN"},
      {SQL_OPK_IS_NOT_UNKNOWN, SQL_FN_IS_NOT_UNKNOWN, "IS NOT UNKNOWN"},
  };
  size_t k = 0;
  while (k < sizeof ops / sizeof ops[0] && ops[k].op != op) k++;
  if (k == sizeof ops / sizeof ops[0]) return sqlv_fail(c, n, "Unsupported operator");
  sql_expr *e = sqlv_call(c, n, ops[k].fn, 1);
  if (!e) return SPATE_ENOMEM;
  e->u.call.args[0] = arg;
  switch (op) {
  case SQL_OPK_NEG:
    if (sqlv_is_null(t)) return sqlv_fail(c, n, "Illegal use of 'NULL'");
    if (!sqlv_is_numeric(t) && !sqlv_is_interval(t))
      return sqlv_fail(c, n,
                       "Cannot apply '-' to arguments of type '-%s'. Supported form(s): "
                       "'-<NUMERIC>'\n'-<DATETIME_INTERVAL>'",
                       a);
    e->type = t;
    break;
  case SQL_OPK_NOT:
    if (!is_boolean(t))
      return sqlv_fail(c, n,
                       "Cannot apply 'NOT' to arguments of type 'NOT %s'. Supported form(s): "
                       "'NOT<BOOLEAN>'",
                       a);
    e->type = bool_type(c, t->nullable);
    break;
  case SQL_OPK_IS_NULL:
  case SQL_OPK_IS_NOT_NULL: e->type = bool_type(c, false); break;
  default:
    if (!is_boolean(t))
      return sqlv_fail(c, n,
                       "Cannot apply '%s' to arguments of type '%s %s'. Supported form(s): "
                       "'<BOOLEAN> %s'",
                       ops[k].text, a, ops[k].text, ops[k].text);
    e->type = bool_type(c, false);
    break;
  }
  if (!e->type) return SPATE_ENOMEM;
  *out = e;
  return 0;
}

static int between(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  sql_expr *e = sqlv_call(c, n, SQL_FN_BETWEEN, 3);
  if (!e) return SPATE_ENOMEM;
  e->u.call.flags = (n->u.between.negated ? SQL_CALL_NEGATED : 0) |
                    (n->u.between.symmetry == 2 ? SQL_CALL_SYMMETRIC : 0);
  const sql_node *parts[3] = {n->u.between.arg, n->u.between.low, n->u.between.high};
  bool nullable = false;
  for (int i = 0; i < 3; i++) {
    int rc = sqlv_expr(c, parts[i], &e->u.call.args[i]);
    if (rc) return rc;
    nullable |= e->u.call.args[i]->type->nullable;
  }
  const sql_type *x = e->u.call.args[0]->type, *lo = e->u.call.args[1]->type,
                 *hi = e->u.call.args[2]->type;
  if (!comparable(x, lo) || !comparable(x, hi) || !comparable(lo, hi)) {
    const char *word = n->u.between.symmetry == 2 ? "BETWEEN SYMMETRIC" : "BETWEEN ASYMMETRIC";
    const char *neg = n->u.between.negated ? "NOT " : "";
    char a[300], b[300], d[300];
    tname(x, a, sizeof a);
    tname(lo, b, sizeof b);
    tname(hi, d, sizeof d);
    return sqlv_fail(c, n,
                     "Cannot apply '%s%s' to arguments of type '%s %s%s %s AND %s'. Supported "
                     "form(s): '<COMPARABLE_TYPE> %s%s <COMPARABLE_TYPE> AND <COMPARABLE_TYPE>'",
                     neg, word, a, neg, word, b, d, neg, word);
  }
  e->type = bool_type(c, nullable);
  if (!e->type) return SPATE_ENOMEM;
  *out = e;
  return 0;
}

static int in_list(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  if (n->u.in.query) return sqlv_fail(c, n, "Subqueries are not supported in this expression yet");
  int m = n->u.in.list.n;
  sql_expr *e = sqlv_call(c, n, SQL_FN_IN, m + 1);
  if (!e) return SPATE_ENOMEM;
  e->u.call.flags = n->u.in.negated ? SQL_CALL_NEGATED : 0;
  int rc = sqlv_expr(c, n->u.in.arg, &e->u.call.args[0]);
  bool nullable = !rc && e->u.call.args[0]->type->nullable;
  for (int i = 0; i < m && !rc; i++) {
    rc = sqlv_expr(c, n->u.in.list.v[i], &e->u.call.args[i + 1]);
    if (!rc) nullable |= e->u.call.args[i + 1]->type->nullable;
  }
  if (rc) return rc;
  const sql_type **types = sql_arena_alloc(c->arena, sizeof *types * (size_t)(m + 1));
  if (!types) return SPATE_ENOMEM;
  for (int i = 0; i < m; i++) types[i] = e->u.call.args[i + 1]->type;
  bool oom;
  const sql_type *common = sql_type_common(types, m, c->arena, &oom);
  if (oom) return SPATE_ENOMEM;
  if (!common) return sqlv_fail(c, n, "Values passed to IN operator must have compatible types");
  if (!comparable(e->u.call.args[0]->type, common))
    return sqlv_fail(c, n, "Values in expression list must have compatible types");
  e->type = bool_type(c, nullable);
  if (!e->type) return SPATE_ENOMEM;
  *out = e;
  return 0;
}

static int like(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  int m = n->u.like.escape ? 3 : 2;
  sql_expr *e = sqlv_call(c, n, n->u.like.similar ? SQL_FN_SIMILAR_TO : SQL_FN_LIKE, m);
  if (!e) return SPATE_ENOMEM;
  e->u.call.flags = n->u.like.negated ? SQL_CALL_NEGATED : 0;
  const sql_node *parts[3] = {n->u.like.arg, n->u.like.pattern, n->u.like.escape};
  bool ok = true, nullable = false;
  for (int i = 0; i < m; i++) {
    int rc = sqlv_expr(c, parts[i], &e->u.call.args[i]);
    if (rc) return rc;
    const sql_type *t = e->u.call.args[i]->type;
    ok &= sqlv_is_character(t) || sqlv_is_null(t);
    nullable |= t->nullable;
  }
  if (!ok) {
    const char *word = n->u.like.similar ? (n->u.like.negated ? "NOT SIMILAR TO" : "SIMILAR TO")
                                         : (n->u.like.negated ? "NOT LIKE" : "LIKE");
    char a[300], b[300], d[320] = "";
    tname(e->u.call.args[0]->type, a, sizeof a);
    tname(e->u.call.args[1]->type, b, sizeof b);
    if (m == 3) {
      char t3[300];
      tname(e->u.call.args[2]->type, t3, sizeof t3);
      snprintf(d, sizeof d, " ESCAPE %s", t3);
    }
    return sqlv_fail(c, n,
                     "Cannot apply '%s' to arguments of type '%s %s %s%s'. Supported form(s): "
                     "'<STRING> %s <STRING>'\n'<STRING> %s <STRING> ESCAPE <STRING>'",
                     word, a, word, b, d, word, word);
  }
  e->type = bool_type(c, nullable);
  if (!e->type) return SPATE_ENOMEM;
  *out = e;
  return 0;
}

/* CASE: WHEN conditions are BOOLEAN (a simple CASE compares its operand with each WHEN value);
 * the result is the common type of the THEN and ELSE values, nullable when one of them is or
 * when there is no ELSE. */
static int case_expr(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  int m = n->u.case_.whens.n;
  bool simple = n->u.case_.operand != NULL;
  sql_expr *e = sqlv_call(c, n, SQL_FN_CASE, 2 * m + 1 + (simple ? 1 : 0));
  if (!e) return SPATE_ENOMEM;
  int base = 0, rc = 0;
  if (simple) {
    rc = sqlv_expr(c, n->u.case_.operand, &e->u.call.args[0]);
    if (rc) return rc;
    base = 1;
  }
  const sql_type **types = sql_arena_alloc(c->arena, sizeof *types * (size_t)(m + 1));
  if (!types) return SPATE_ENOMEM;
  for (int i = 0; i < m; i++) {
    const sql_node *w = n->u.case_.whens.v[i];
    sql_expr *we, *te;
    if ((rc = sqlv_expr(c, w, &we))) return rc;
    if (simple) {
      if (!comparable(e->u.call.args[0]->type, we->type))
        return sqlv_fail(c, w, "Illegal mixing of types in CASE or COALESCE statement");
    } else if (!is_boolean(we->type)) {
      return sqlv_fail(c, w, "Expected a boolean type");
    }
    if ((rc = sqlv_expr(c, n->u.case_.thens.v[i], &te))) return rc;
    e->u.call.args[base + 2 * i] = we;
    e->u.call.args[base + 2 * i + 1] = te;
    types[i] = te->type;
  }
  sql_expr *el;
  if (n->u.case_.else_) {
    if ((rc = sqlv_expr(c, n->u.case_.else_, &el))) return rc;
  } else {
    el = new_expr(c, n, SQL_E_LITERAL);
    if (!el || !(el->type = sqlv_type(c->arena, SQL_T_NULL, 0, true))) return SPATE_ENOMEM;
    el->u.lit.kind = SQL_LIT_NULL;
  }
  e->u.call.args[base + 2 * m] = el;
  types[m] = el->type;
  bool oom;
  const sql_type *t = sql_type_common(types, m + 1, c->arena, &oom);
  if (oom) return SPATE_ENOMEM;
  if (!t) return sqlv_fail(c, n, "Illegal mixing of types in CASE or COALESCE statement");
  if (sqlv_is_null(t))
    return sqlv_fail(c, n, "ELSE clause or at least one THEN clause must be non-NULL");
  e->type = t;
  *out = e;
  return 0;
}

static int cast(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  sql_expr *e = new_expr(c, n, SQL_E_CAST);
  if (!e) return SPATE_ENOMEM;
  int rc = sqlv_expr(c, n->u.cast.arg, &e->u.cast.arg);
  if (rc) return rc;
  sql_type *to;
  char msg[512];
  rc = sql_type_resolve(n->u.cast.type, c->arena, &to, msg, sizeof msg);
  if (rc == SPATE_EINVAL) return sqlv_fail(c, n->u.cast.type, "%s", msg);
  if (rc) return rc;
  const sql_type *from = e->u.cast.arg->type;
  if (!sql_type_can_cast(from, to, true)) {
    char a[300], b[300];
    sql_calcite_type_name(from, a, sizeof a);
    sql_calcite_type_name(to, b, sizeof b);
    return sqlv_fail(c, n, "Cast function cannot convert value of type %s to type %s", a, b);
  }
  e->u.cast.try_cast = n->u.cast.try_cast != 0;
  /* the result keeps the operand's nullability; TRY_CAST gives NULL on failure */
  e->type = sql_type_with_nullable(to, e->u.cast.try_cast || from->nullable, c->arena);
  if (!e->type) return SPATE_ENOMEM;
  *out = e;
  return 0;
}

int sqlv_expr(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  switch (n->kind) {
  case SQL_LITERAL: return literal(c, n, out);
  case SQL_IDENT: return column_ref(c, n, out);
  case SQL_BINARY: return binary(c, n, out);
  case SQL_UNARY: return unary(c, n, out);
  case SQL_BETWEEN: return between(c, n, out);
  case SQL_IN: return in_list(c, n, out);
  case SQL_LIKE: return like(c, n, out);
  case SQL_CASE: return case_expr(c, n, out);
  case SQL_CAST: return cast(c, n, out);
  case SQL_CALL: return sqlv_function(c, n, out);
  case SQL_EXISTS:
  case SQL_SUBQUERY: return sqlv_fail(c, n, "Subqueries are not supported in this expression yet");
  case SQL_CTOR:
    return sqlv_fail(c, n,
                     "ROW, ARRAY and MAP constructors are not supported by the validator yet");
  case SQL_ITEM:
  case SQL_FIELD:
    return sqlv_fail(c, n, "Element and field access are not supported by the validator yet");
  default: return sqlv_fail(c, n, "Unexpected %s in an expression", sql_kind_name(n->kind));
  }
}

int sql_validate_expr(const sql_node *e, const sql_scope *scope, sql_arena *arena, sql_expr **out,
                      sql_verror *err) {
  return sql_validate_expr_in(e, scope, NULL, arena, out, err);
}

int sql_validate_expr_in(const sql_node *e, const sql_scope *scope,
                         const struct sql_catalog *catalog, sql_arena *arena, sql_expr **out,
                         sql_verror *err) {
  sqlv_ctx c = {.scope = scope, .arena = arena, .err = err, .catalog = catalog};
  *out = NULL;
  err->msg[0] = 0;
  err->line = err->col = 0;
  sql_expr *r = NULL;
  int rc = sqlv_expr(&c, e, &r);
  if (rc == 0) *out = r;
  return rc;
}
