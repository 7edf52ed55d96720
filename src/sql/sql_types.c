/*
 * sql_types.c: resolving declared types into Flink's logical types, and their summary strings
 * (sql_types.h). The messages for refused bounds are Flink's (the constructors of DecimalType,
 * TimestampType, ... in flink-table-common), prefixed with the type's position.
 */
#include "sql/sql_types.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

static int fail(const sql_node *n, char *err, size_t cap, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sp_err(err, cap, SPATE_EINVAL, "%s (the type at line %d, column %d)", msg, n->line,
                n->col);
}

static const char *unit_word(sql_unit u) {
  switch (u) {
  case SQL_UNIT_YEAR: return "YEAR";
  case SQL_UNIT_MONTH: return "MONTH";
  case SQL_UNIT_DAY: return "DAY";
  case SQL_UNIT_HOUR: return "HOUR";
  case SQL_UNIT_MINUTE: return "MINUTE";
  case SQL_UNIT_SECOND: return "SECOND";
  default: return "?";
  }
}

static bool year_month(sql_unit u) { return u == SQL_UNIT_YEAR || u == SQL_UNIT_MONTH; }

/* Fills in an interval qualifier's precisions and checks Flink's bounds: the leading field's
 * precision 1..6 (YEAR: 1..4), the fractional one 0..9. */
static int resolve_interval(const sql_node *n, sql_interval_qual *q, char *err, size_t cap) {
  if (q->end != SQL_UNIT_NONE && year_month(q->start) != year_month(q->end))
    return fail(n, err, cap, "Interval qualifier %s TO %s mixes year-month and day-time fields",
                unit_word(q->start), unit_word(q->end));
  if (year_month(q->start)) {
    if (q->start_precision < 0) q->start_precision = 2;
    if (q->start_precision < 1 || q->start_precision > 4)
      return fail(n, err, cap,
                  "Year precision of year-month intervals must be between 1 and 4 (both "
                  "inclusive).");
    q->frac_precision = -1;
    return 0;
  }
  if (q->start_precision < 0) q->start_precision = 2;
  bool second = q->start == SQL_UNIT_SECOND || q->end == SQL_UNIT_SECOND;
  if (second && q->frac_precision < 0) q->frac_precision = 6;
  if (q->start_precision < 1 || q->start_precision > 6)
    return fail(n, err, cap,
                "Day precision of day-time intervals must be between 1 and 6 (both inclusive).");
  if (second && (q->frac_precision < 0 || q->frac_precision > 9))
    return fail(n, err, cap,
                "Fractional precision of day-time intervals must be between 0 and 9 (both "
                "inclusive).");
  return 0;
}

static int resolve(const sql_node *n, sql_arena *a, sql_type **out, char *err, size_t cap);

int sql_type_resolve(const sql_node *node, sql_arena *arena, sql_type **out, char *err,
                     size_t cap) {
  *out = NULL;
  if (!node || node->kind != SQL_TYPE) return sp_err(err, cap, SPATE_EINVAL, "not a data type");
  return resolve(node, arena, out, err, cap);
}

static int length_of(const sql_node *n, const char *what, int given, int *out, char *err,
                     size_t cap) {
  if (given < 0) given = 1;
  if (given < 1)
    return fail(n, err, cap, "%s length must be between 1 and %d (both inclusive).", what,
                SQL_MAX_LENGTH);
  *out = given;
  return 0;
}

static int resolve(const sql_node *n, sql_arena *a, sql_type **out, char *err, size_t cap) {
  sql_type *t = sql_arena_alloc(a, sizeof *t);
  if (!t) return SPATE_ENOMEM;
  t->kind = n->u.type.kind;
  t->nullable = n->u.type.nullable != 0;
  int rc = 0;
  switch (n->u.type.kind) {
  case SQL_T_REAL: t->kind = SQL_T_FLOAT; break;
  case SQL_T_STRING:
    t->kind = SQL_T_VARCHAR;
    t->length = SQL_MAX_LENGTH;
    break;
  case SQL_T_BYTES:
    t->kind = SQL_T_VARBINARY;
    t->length = SQL_MAX_LENGTH;
    break;
  case SQL_T_CHAR:
    rc = length_of(n, "Character string", n->u.type.precision, &t->length, err, cap);
    break;
  case SQL_T_VARCHAR:
    rc = length_of(n, "Variable character string", n->u.type.precision, &t->length, err, cap);
    break;
  case SQL_T_BINARY:
    rc = length_of(n, "Binary string", n->u.type.precision, &t->length, err, cap);
    break;
  case SQL_T_VARBINARY:
    rc = length_of(n, "Variable binary string", n->u.type.precision, &t->length, err, cap);
    break;
  case SQL_T_DECIMAL:
    t->precision = n->u.type.precision < 0 ? 10 : n->u.type.precision;
    t->scale = n->u.type.scale < 0 ? 0 : n->u.type.scale;
    if (t->precision < 1 || t->precision > 38)
      rc = fail(n, err, cap, "Decimal precision must be between 1 and 38 (both inclusive).");
    else if (t->scale > t->precision)
      rc = fail(n, err, cap,
                "Decimal scale must be between 0 and the precision %d (both inclusive).",
                t->precision);
    break;
  case SQL_T_TIME:
    t->precision = n->u.type.precision < 0 ? 0 : n->u.type.precision;
    if (t->precision > 9)
      rc = fail(n, err, cap, "Time precision must be between 0 and 9 (both inclusive).");
    break;
  case SQL_T_TIMESTAMP:
  case SQL_T_TIMESTAMP_LTZ:
    t->precision = n->u.type.precision < 0 ? 6 : n->u.type.precision;
    if (t->precision > 9)
      rc = fail(n, err, cap, "%s precision must be between 0 and 9 (both inclusive).",
                n->u.type.kind == SQL_T_TIMESTAMP ? "Timestamp" : "Local zoned timestamp");
    break;
  case SQL_T_INTERVAL:
    t->qual = n->u.type.qual;
    rc = resolve_interval(n, &t->qual, err, cap);
    break;
  case SQL_T_ARRAY:
  case SQL_T_MULTISET: rc = resolve(n->u.type.elem, a, &t->elem, err, cap); break;
  case SQL_T_MAP:
    rc = resolve(n->u.type.key, a, &t->key, err, cap);
    if (!rc) rc = resolve(n->u.type.value, a, &t->value, err, cap);
    break;
  case SQL_T_ROW:
    t->nfields = n->u.type.fields.n;
    t->field_names = sql_arena_alloc(a, sizeof *t->field_names * (size_t)(n->u.type.fields.n + 1));
    t->field_types = sql_arena_alloc(a, sizeof *t->field_types * (size_t)(n->u.type.fields.n + 1));
    t->field_comments =
        sql_arena_alloc(a, sizeof *t->field_comments * (size_t)(n->u.type.fields.n + 1));
    if (!t->field_names || !t->field_types || !t->field_comments) return SPATE_ENOMEM;
    for (int i = 0; i < n->u.type.fields.n && !rc; i++) {
      const sql_node *f = n->u.type.fields.v[i];
      for (int j = 0; j < i; j++)
        if (strcmp(t->field_names[j], f->u.row_field.name.s) == 0)
          return fail(f, err, cap, "Field names must be unique. Found duplicates: [%s]",
                      f->u.row_field.name.s);
      t->field_names[i] = f->u.row_field.name.s;
      t->field_comments[i] = f->u.row_field.comment;
      rc = resolve(f->u.row_field.type, a, &t->field_types[i], err, cap);
    }
    break;
  case SQL_T_USER: rc = fail(n, err, cap, "User-defined types are not supported by Spate"); break;
  default: break;
  }
  if (rc) return rc;
  *out = t;
  return 0;
}

static int put(sp_strbuf *sb, const char *fmt, ...) {
  char buf[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return sp_strbuf_append(sb, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static int format(const sql_type *t, sp_strbuf *sb, bool top_nullability);

static int format_interval(const sql_interval_qual *q, sp_strbuf *sb) {
  if (year_month(q->start)) {
    if (q->start == SQL_UNIT_MONTH) return put(sb, "INTERVAL MONTH");
    return q->end == SQL_UNIT_MONTH ? put(sb, "INTERVAL YEAR(%d) TO MONTH", q->start_precision)
                                    : put(sb, "INTERVAL YEAR(%d)", q->start_precision);
  }
  /* Flink's DayTimeIntervalType: the day precision shows on DAY, the fractional one on SECOND */
  int rc = 0;
  if (q->start == SQL_UNIT_DAY)
    rc = put(sb, "INTERVAL DAY(%d)", q->start_precision);
  else if (q->start == SQL_UNIT_SECOND)
    return put(sb, "INTERVAL SECOND(%d)", q->frac_precision);
  else
    rc = put(sb, "INTERVAL %s", unit_word(q->start));
  if (rc || q->end == SQL_UNIT_NONE) return rc;
  if (q->end == SQL_UNIT_SECOND) return put(sb, " TO SECOND(%d)", q->frac_precision);
  return put(sb, " TO %s", unit_word(q->end));
}

static int format(const sql_type *t, sp_strbuf *sb, bool top_nullability) {
  int rc = 0;
  switch (t->kind) {
  case SQL_T_BOOLEAN: rc = put(sb, "BOOLEAN"); break;
  case SQL_T_NULL: rc = put(sb, "NULL"); break;
  case SQL_T_TINYINT: rc = put(sb, "TINYINT"); break;
  case SQL_T_SMALLINT: rc = put(sb, "SMALLINT"); break;
  case SQL_T_INT: rc = put(sb, "INT"); break;
  case SQL_T_BIGINT: rc = put(sb, "BIGINT"); break;
  case SQL_T_FLOAT: rc = put(sb, "FLOAT"); break;
  case SQL_T_DOUBLE: rc = put(sb, "DOUBLE"); break;
  case SQL_T_DECIMAL: rc = put(sb, "DECIMAL(%d, %d)", t->precision, t->scale); break;
  case SQL_T_CHAR: rc = put(sb, "CHAR(%d)", t->length); break;
  case SQL_T_VARCHAR:
    rc = t->length == SQL_MAX_LENGTH ? put(sb, "STRING") : put(sb, "VARCHAR(%d)", t->length);
    break;
  case SQL_T_BINARY: rc = put(sb, "BINARY(%d)", t->length); break;
  case SQL_T_VARBINARY:
    rc = t->length == SQL_MAX_LENGTH ? put(sb, "BYTES") : put(sb, "VARBINARY(%d)", t->length);
    break;
  case SQL_T_DATE: rc = put(sb, "DATE"); break;
  case SQL_T_TIME: rc = put(sb, "TIME(%d)", t->precision); break;
  case SQL_T_TIMESTAMP: rc = put(sb, "TIMESTAMP(%d)", t->precision); break;
  case SQL_T_TIMESTAMP_LTZ: rc = put(sb, "TIMESTAMP_LTZ(%d)", t->precision); break;
  case SQL_T_INTERVAL: rc = format_interval(&t->qual, sb); break;
  case SQL_T_ARRAY:
  case SQL_T_MULTISET:
    rc = put(sb, t->kind == SQL_T_ARRAY ? "ARRAY<" : "MULTISET<");
    if (!rc) rc = format(t->elem, sb, true);
    if (!rc) rc = put(sb, ">");
    break;
  case SQL_T_MAP:
    rc = put(sb, "MAP<");
    if (!rc) rc = format(t->key, sb, true);
    if (!rc) rc = put(sb, ", ");
    if (!rc) rc = format(t->value, sb, true);
    if (!rc) rc = put(sb, ">");
    break;
  case SQL_T_ROW:
    rc = put(sb, "ROW<");
    for (int i = 0; i < t->nfields && !rc; i++) {
      if (i) rc = put(sb, ", ");
      /* names in backquotes, a backquote doubled, as Flink's EncodingUtils.escapeIdentifier */
      if (!rc) rc = sp_strbuf_add(sb, "`");
      for (const char *p = t->field_names[i]; *p && !rc; p++)
        rc = sp_strbuf_append(sb, p, 1) || (*p == '`' ? sp_strbuf_append(sb, "`", 1) : 0);
      if (!rc) rc = sp_strbuf_add(sb, "` ");
      if (!rc) rc = format(t->field_types[i], sb, true);
      if (!rc && t->field_comments[i]) rc = put(sb, " '%s'", t->field_comments[i]);
    }
    if (!rc) rc = put(sb, ">");
    break;
  default: rc = put(sb, "?"); break;
  }
  if (!rc && top_nullability && !t->nullable) rc = put(sb, " NOT NULL");
  return rc ? SPATE_ENOMEM : 0;
}

int sql_type_format(const sql_type *t, sp_strbuf *out) { return format(t, out, true); }
int sql_type_format_bare(const sql_type *t, sp_strbuf *out) { return format(t, out, false); }

sql_type *sql_type_with_nullable(const sql_type *t, bool n, sql_arena *arena) {
  if (t->nullable == n) return (sql_type *)t;
  sql_type *c = sql_arena_alloc(arena, sizeof *c);
  if (!c) return NULL;
  *c = *t;
  c->nullable = n;
  return c;
}
