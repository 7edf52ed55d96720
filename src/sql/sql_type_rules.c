/*
 * sql_type_rules.c: Flink's rules between logical types, for the validator: families, the
 * common type of several types (LogicalTypeMerging.findCommonType), the decimal precision and
 * scale of arithmetic (findAdditionDecimalType and its siblings, with adjustPrecisionScale), the
 * implicit and explicit cast tables (LogicalTypeCasts), and the names Calcite prints for types
 * in its messages. Written from Flink's documented rules; see sql_validate.h.
 */
#include <stdio.h>
#include <string.h>

#include "sql/sql_validate_int.h"

sql_type *sqlv_type(sql_arena *a, sql_type_kind kind, int precision, bool nullable) {
  sql_type *t = sql_arena_alloc(a, sizeof *t);
  if (!t) return NULL;
  t->kind = kind;
  t->nullable = nullable;
  if (kind == SQL_T_CHAR || kind == SQL_T_VARCHAR || kind == SQL_T_BINARY ||
      kind == SQL_T_VARBINARY)
    t->length = precision;
  else
    t->precision = precision;
  return t;
}

sql_type *sqlv_decimal(sql_arena *a, int precision, int scale, bool nullable) {
  sql_type *t = sqlv_type(a, SQL_T_DECIMAL, precision, nullable);
  if (t) t->scale = scale;
  return t;
}

bool sqlv_is_integer(const sql_type *t) {
  return t->kind == SQL_T_TINYINT || t->kind == SQL_T_SMALLINT || t->kind == SQL_T_INT ||
         t->kind == SQL_T_BIGINT;
}
bool sqlv_is_exact(const sql_type *t) { return sqlv_is_integer(t) || t->kind == SQL_T_DECIMAL; }
bool sqlv_is_numeric(const sql_type *t) {
  return sqlv_is_exact(t) || t->kind == SQL_T_FLOAT || t->kind == SQL_T_DOUBLE;
}
bool sqlv_is_character(const sql_type *t) {
  return t->kind == SQL_T_CHAR || t->kind == SQL_T_VARCHAR;
}
bool sqlv_is_binary(const sql_type *t) {
  return t->kind == SQL_T_BINARY || t->kind == SQL_T_VARBINARY;
}
bool sqlv_is_timestamp(const sql_type *t) {
  return t->kind == SQL_T_TIMESTAMP || t->kind == SQL_T_TIMESTAMP_LTZ;
}
bool sqlv_is_datetime(const sql_type *t) {
  return t->kind == SQL_T_DATE || t->kind == SQL_T_TIME || sqlv_is_timestamp(t);
}
bool sqlv_is_interval(const sql_type *t) { return t->kind == SQL_T_INTERVAL; }
bool sqlv_is_year_month(const sql_type *t) {
  return t->kind == SQL_T_INTERVAL &&
         (t->qual.start == SQL_UNIT_YEAR || t->qual.start == SQL_UNIT_MONTH);
}
bool sqlv_is_null(const sql_type *t) { return t->kind == SQL_T_NULL; }

bool sqlv_as_decimal(const sql_type *t, int *precision, int *scale) {
  *scale = 0;
  switch (t->kind) {
  case SQL_T_TINYINT: *precision = 3; return true;
  case SQL_T_SMALLINT: *precision = 5; return true;
  case SQL_T_INT: *precision = 10; return true;
  case SQL_T_BIGINT: *precision = 19; return true;
  case SQL_T_DECIMAL:
    *precision = t->precision;
    *scale = t->scale;
    return true;
  default: return false;
  }
}

/* Above precision 38 the scale gives way, keeping at least 6 fractional digits (or the scale
 * there was, if less), so that the integral part is not cut (Flink follows Hive and Spark). */
static void adjust(int precision, int scale, int *p, int *s) {
  if (precision <= 38) {
    *p = precision;
    *s = scale;
    return;
  }
  int digits = precision - scale;
  int min_scale = scale < 6 ? scale : 6;
  int adjusted = 38 - digits;
  *p = 38;
  *s = adjusted > min_scale ? adjusted : min_scale;
}

static int max_i(int a, int b) { return a > b ? a : b; }
static int min_i(int a, int b) { return a < b ? a : b; }

void sqlv_decimal_add(int p1, int s1, int p2, int s2, int *p, int *s) {
  int scale = max_i(s1, s2);
  adjust(max_i(p1 - s1, p2 - s2) + scale + 1, scale, p, s);
}
void sqlv_decimal_mul(int p1, int s1, int p2, int s2, int *p, int *s) {
  adjust(p1 + p2 + 1, s1 + s2, p, s);
}
void sqlv_decimal_div(int p1, int s1, int p2, int s2, int *p, int *s) {
  int scale = max_i(6, s1 + p2 + 1);
  adjust(p1 - s1 + s2 + scale, scale, p, s);
}
void sqlv_decimal_mod(int p1, int s1, int p2, int s2, int *p, int *s) {
  int scale = max_i(s1, s2);
  adjust(min_i(p1 - s1, p2 - s2) + scale, scale, p, s);
}

const char *sqlv_family_name(const sql_type *t) {
  if (sqlv_is_numeric(t)) return "NUMERIC";
  if (sqlv_is_character(t)) return "CHARACTER";
  if (sqlv_is_binary(t)) return "BINARY";
  switch (t->kind) {
  case SQL_T_BOOLEAN: return "BOOLEAN";
  case SQL_T_DATE: return "DATE";
  case SQL_T_TIME: return "TIME";
  case SQL_T_TIMESTAMP:
  case SQL_T_TIMESTAMP_LTZ: return "TIMESTAMP";
  case SQL_T_INTERVAL: return sqlv_is_year_month(t) ? "INTERVAL_YEAR_MONTH" : "INTERVAL_DAY_TIME";
  case SQL_T_NULL: return "NULL";
  case SQL_T_ARRAY: return "ARRAY";
  case SQL_T_MULTISET: return "MULTISET";
  case SQL_T_MAP: return "MAP";
  case SQL_T_ROW: return "ROW";
  default: return "ANY";
  }
}

static const char *unit_word(sql_unit u) {
  const char *w = sql_unit_name(u);
  return w ? w : "?";
}

void sql_calcite_type_name(const sql_type *t, char *buf, size_t cap) {
  char a[256], b[256];
  switch (t->kind) {
  case SQL_T_BOOLEAN: snprintf(buf, cap, "BOOLEAN"); break;
  case SQL_T_TINYINT: snprintf(buf, cap, "TINYINT"); break;
  case SQL_T_SMALLINT: snprintf(buf, cap, "SMALLINT"); break;
  case SQL_T_INT: snprintf(buf, cap, "INTEGER"); break;
  case SQL_T_BIGINT: snprintf(buf, cap, "BIGINT"); break;
  case SQL_T_FLOAT: snprintf(buf, cap, "FLOAT"); break;
  case SQL_T_DOUBLE: snprintf(buf, cap, "DOUBLE"); break;
  case SQL_T_DECIMAL: snprintf(buf, cap, "DECIMAL(%d, %d)", t->precision, t->scale); break;
  case SQL_T_CHAR: snprintf(buf, cap, "CHAR(%d)", t->length); break;
  case SQL_T_VARCHAR: snprintf(buf, cap, "VARCHAR(%d)", t->length); break;
  case SQL_T_BINARY: snprintf(buf, cap, "BINARY(%d)", t->length); break;
  case SQL_T_VARBINARY: snprintf(buf, cap, "VARBINARY(%d)", t->length); break;
  case SQL_T_DATE: snprintf(buf, cap, "DATE"); break;
  case SQL_T_TIME: snprintf(buf, cap, "TIME(%d)", t->precision); break;
  case SQL_T_TIMESTAMP: snprintf(buf, cap, "TIMESTAMP(%d)", t->precision); break;
  case SQL_T_TIMESTAMP_LTZ:
    snprintf(buf, cap, "TIMESTAMP_WITH_LOCAL_TIME_ZONE(%d)", t->precision);
    break;
  case SQL_T_INTERVAL:
    if (t->qual.end != SQL_UNIT_NONE)
      snprintf(buf, cap, "INTERVAL %s TO %s", unit_word(t->qual.start), unit_word(t->qual.end));
    else
      snprintf(buf, cap, "INTERVAL %s", unit_word(t->qual.start));
    break;
  case SQL_T_NULL: snprintf(buf, cap, "NULL"); break;
  case SQL_T_ARRAY:
  case SQL_T_MULTISET:
    sql_calcite_type_name(t->elem, a, sizeof a);
    snprintf(buf, cap, "%s %s", a, t->kind == SQL_T_ARRAY ? "ARRAY" : "MULTISET");
    break;
  case SQL_T_MAP:
    sql_calcite_type_name(t->key, a, sizeof a);
    sql_calcite_type_name(t->value, b, sizeof b);
    snprintf(buf, cap, "(%s, %s) MAP", a, b);
    break;
  case SQL_T_ROW: {
    size_t n = (size_t)snprintf(buf, cap, "RecordType(");
    for (int i = 0; i < t->nfields && n < cap; i++) {
      sql_calcite_type_name(t->field_types[i], a, sizeof a);
      n += (size_t)snprintf(buf + n, cap - n, "%s%s %s", i ? ", " : "", a, t->field_names[i]);
    }
    if (n < cap) snprintf(buf + n, cap - n, ")");
    break;
  }
  default: snprintf(buf, cap, "ANY"); break;
  }
}

/* --- casts (LogicalTypeCasts) --- */

static bool same_kind_children_cast(const sql_type *f, const sql_type *t, bool expl) {
  switch (f->kind) {
  case SQL_T_ARRAY:
  case SQL_T_MULTISET: return sql_type_can_cast(f->elem, t->elem, expl);
  case SQL_T_MAP:
    return sql_type_can_cast(f->key, t->key, expl) && sql_type_can_cast(f->value, t->value, expl);
  case SQL_T_ROW:
    if (f->nfields != t->nfields) return false;
    for (int i = 0; i < f->nfields; i++)
      if (!sql_type_can_cast(f->field_types[i], t->field_types[i], expl)) return false;
    return true;
  default: return true;
  }
}

static bool constructed(const sql_type *t) {
  return t->kind == SQL_T_ARRAY || t->kind == SQL_T_MULTISET || t->kind == SQL_T_MAP ||
         t->kind == SQL_T_ROW;
}

static bool single_field_interval(const sql_type *t) { return t->qual.end == SQL_UNIT_NONE; }

/* The implicit table: safe widening only. */
static bool implicit(const sql_type *f, const sql_type *t) {
  if (f->kind == t->kind) {
    if (f->kind == SQL_T_INTERVAL) return sqlv_is_year_month(f) == sqlv_is_year_month(t);
    return true;
  }
  switch (t->kind) {
  case SQL_T_VARCHAR: return f->kind == SQL_T_CHAR;
  case SQL_T_VARBINARY: return f->kind == SQL_T_BINARY;
  case SQL_T_DECIMAL: return sqlv_is_numeric(f);
  case SQL_T_SMALLINT: return f->kind == SQL_T_TINYINT;
  case SQL_T_INT: return f->kind == SQL_T_TINYINT || f->kind == SQL_T_SMALLINT;
  case SQL_T_BIGINT:
    return f->kind == SQL_T_TINYINT || f->kind == SQL_T_SMALLINT || f->kind == SQL_T_INT;
  case SQL_T_FLOAT: return sqlv_is_exact(f);
  case SQL_T_DOUBLE: return sqlv_is_numeric(f);
  case SQL_T_DATE: return f->kind == SQL_T_TIMESTAMP;
  case SQL_T_TIME: return f->kind == SQL_T_TIMESTAMP;
  default: return false;
  }
}

/* The explicit table, on top of the implicit one. */
static bool explicit_only(const sql_type *f, const sql_type *t) {
  bool chars = sqlv_is_character(f);
  switch (t->kind) {
  case SQL_T_CHAR:
  case SQL_T_VARCHAR: return true; /* every predefined and constructed type prints */
  case SQL_T_BOOLEAN: return chars || sqlv_is_integer(f);
  case SQL_T_BINARY:
  case SQL_T_VARBINARY: return chars || sqlv_is_binary(f);
  case SQL_T_TINYINT:
  case SQL_T_SMALLINT:
  case SQL_T_INT:
  case SQL_T_BIGINT:
  case SQL_T_FLOAT:
  case SQL_T_DOUBLE:
  case SQL_T_DECIMAL: return chars || sqlv_is_numeric(f) || f->kind == SQL_T_BOOLEAN;
  case SQL_T_DATE: return chars || sqlv_is_timestamp(f);
  case SQL_T_TIME: return chars || sqlv_is_timestamp(f);
  case SQL_T_TIMESTAMP:
  case SQL_T_TIMESTAMP_LTZ: return chars || sqlv_is_datetime(f);
  case SQL_T_INTERVAL: return chars;
  default: return false;
  }
}

bool sql_type_can_cast(const sql_type *f, const sql_type *t, bool expl) {
  if (f->kind == SQL_T_NULL) return true;
  if (f->kind == SQL_T_INTERVAL && sqlv_is_exact(t)) return single_field_interval(f);
  if (sqlv_is_exact(f) && t->kind == SQL_T_INTERVAL) return single_field_interval(t);
  if (constructed(f) || constructed(t)) {
    if (f->kind == t->kind) return same_kind_children_cast(f, t, expl);
    return expl && (t->kind == SQL_T_CHAR || t->kind == SQL_T_VARCHAR) && f->kind != SQL_T_MAP &&
           f->kind != SQL_T_MULTISET;
  }
  if (implicit(f, t)) return true;
  return expl && explicit_only(f, t);
}

/* --- the common type (LogicalTypeMerging.findCommonType) --- */

static int numeric_rank(sql_type_kind k) {
  switch (k) {
  case SQL_T_TINYINT: return 1;
  case SQL_T_SMALLINT: return 2;
  case SQL_T_INT: return 3;
  case SQL_T_BIGINT: return 4;
  default: return 0;
  }
}

/* Two types of one family merged; the result is written into *r (nullability ignored). Returns
 * false when they have no common type. */
static bool merge(sql_type *r, const sql_type *t, sql_arena *a, bool *oom) {
  if (sqlv_is_character(r) || sqlv_is_binary(r)) {
    bool chars = sqlv_is_character(r);
    if (chars != sqlv_is_character(t) || (!chars && !sqlv_is_binary(t))) return false;
    int len = r->length > t->length ? r->length : t->length;
    sql_type_kind fixed = chars ? SQL_T_CHAR : SQL_T_BINARY;
    if (r->kind == fixed && t->kind == fixed && r->length == t->length) return true;
    r->kind = chars ? SQL_T_VARCHAR : SQL_T_VARBINARY;
    r->length = len;
    return true;
  }
  if (sqlv_is_numeric(r)) {
    if (!sqlv_is_numeric(t)) return false;
    bool r_approx = !sqlv_is_exact(r), t_approx = !sqlv_is_exact(t);
    if (r_approx || t_approx) {
      /* a DECIMAL met by an approximate type gives DOUBLE */
      if (r->kind == SQL_T_DECIMAL || t->kind == SQL_T_DECIMAL || r->kind == SQL_T_DOUBLE ||
          t->kind == SQL_T_DOUBLE)
        r->kind = SQL_T_DOUBLE;
      else
        r->kind = SQL_T_FLOAT;
      r->precision = r->scale = 0;
      return true;
    }
    if (r->kind == SQL_T_DECIMAL || t->kind == SQL_T_DECIMAL) {
      int p1, s1, p2, s2;
      sqlv_as_decimal(r, &p1, &s1);
      sqlv_as_decimal(t, &p2, &s2);
      int s = s1 > s2 ? s1 : s2;
      int digits = (p1 - s1) > (p2 - s2) ? p1 - s1 : p2 - s2;
      int p = digits + s;
      if (p > 38) p = 38;
      if (s > p) s = p;
      r->kind = SQL_T_DECIMAL;
      r->precision = p;
      r->scale = s;
      return true;
    }
    if (numeric_rank(t->kind) > numeric_rank(r->kind)) r->kind = t->kind;
    return true;
  }
  switch (r->kind) {
  case SQL_T_BOOLEAN:
  case SQL_T_DATE: return t->kind == r->kind;
  case SQL_T_TIME:
    if (t->kind != SQL_T_TIME) return false;
    if (t->precision > r->precision) r->precision = t->precision;
    return true;
  case SQL_T_TIMESTAMP:
  case SQL_T_TIMESTAMP_LTZ:
    if (!sqlv_is_timestamp(t)) return false;
    if (t->kind == SQL_T_TIMESTAMP_LTZ) r->kind = SQL_T_TIMESTAMP_LTZ;
    if (t->precision > r->precision) r->precision = t->precision;
    return true;
  case SQL_T_INTERVAL:
    if (t->kind != SQL_T_INTERVAL || sqlv_is_year_month(r) != sqlv_is_year_month(t)) return false;
    if (sqlv_is_year_month(r)) {
      r->qual.start = SQL_UNIT_YEAR;
      r->qual.end = SQL_UNIT_MONTH;
    } else {
      r->qual.start = SQL_UNIT_DAY;
      r->qual.end = SQL_UNIT_SECOND;
      if (t->qual.frac_precision > r->qual.frac_precision)
        r->qual.frac_precision = t->qual.frac_precision;
      if (r->qual.frac_precision < 0) r->qual.frac_precision = 6;
    }
    if (t->qual.start_precision > r->qual.start_precision)
      r->qual.start_precision = t->qual.start_precision;
    return true;
  case SQL_T_ARRAY:
  case SQL_T_MULTISET: {
    if (t->kind != r->kind) return false;
    const sql_type *two[2] = {r->elem, t->elem};
    const sql_type *e = sql_type_common(two, 2, a, oom);
    if (!e) return false;
    r->elem = (sql_type *)e;
    return true;
  }
  case SQL_T_MAP: {
    if (t->kind != SQL_T_MAP) return false;
    const sql_type *k2[2] = {r->key, t->key}, *v2[2] = {r->value, t->value};
    const sql_type *k = sql_type_common(k2, 2, a, oom);
    const sql_type *v = k ? sql_type_common(v2, 2, a, oom) : NULL;
    if (!v) return false;
    r->key = (sql_type *)k;
    r->value = (sql_type *)v;
    return true;
  }
  case SQL_T_ROW: {
    if (t->kind != SQL_T_ROW || t->nfields != r->nfields) return false;
    sql_type **fields = sql_arena_alloc(a, sizeof *fields * (size_t)(r->nfields + 1));
    if (!fields) {
      *oom = true;
      return false;
    }
    for (int i = 0; i < r->nfields; i++) {
      const sql_type *f2[2] = {r->field_types[i], t->field_types[i]};
      if (!(fields[i] = (sql_type *)sql_type_common(f2, 2, a, oom))) return false;
    }
    r->field_types = fields;
    return true;
  }
  default: return false;
  }
}

const sql_type *sql_type_common(const sql_type *const *types, int n, sql_arena *a, bool *oom) {
  *oom = false;
  bool nullable = false;
  sql_type *r = NULL;
  for (int i = 0; i < n; i++) {
    if (types[i]->nullable) nullable = true;
    if (types[i]->kind == SQL_T_NULL) continue;
    if (!r) {
      if (!(r = sql_arena_alloc(a, sizeof *r))) {
        *oom = true;
        return NULL;
      }
      *r = *types[i];
      continue;
    }
    if (!merge(r, types[i], a, oom)) return NULL;
  }
  if (!r) { /* only NULLs: the NULL type */
    if (!(r = sqlv_type(a, SQL_T_NULL, 0, true))) *oom = true;
    return r;
  }
  r->nullable = nullable;
  return r;
}
