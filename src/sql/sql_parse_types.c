/*
 * sql_parse_types.c: Flink's data types as DDL and CAST write them, and time units.
 *
 * Accepted: BOOLEAN, TINYINT, SMALLINT, INT/INTEGER, BIGINT, FLOAT, REAL, DOUBLE [PRECISION],
 * DECIMAL/DEC/NUMERIC [(p [, s])], CHAR/CHARACTER [(n)], VARCHAR/CHAR VARYING [(n)], STRING,
 * BINARY [(n)], VARBINARY/BINARY VARYING [(n)], BYTES, DATE, TIME [(p)] [WITHOUT TIME ZONE],
 * TIMESTAMP [(p)] [WITHOUT TIME ZONE | WITH LOCAL TIME ZONE], TIMESTAMP_LTZ [(p)], INTERVAL
 * qualifiers, ARRAY<T>, T ARRAY, MULTISET<T>, T MULTISET, MAP<K, V>, ROW<name T ['comment'],
 * ...> and ROW(name T, ...), and a user-defined type's name; each may end in NOT NULL or NULL.
 *
 * The parser keeps the numbers as written; whether they are in range (DECIMAL precision 1..38,
 * TIMESTAMP precision 0..9, a CHAR length of at least 1) is the validator's check, with Flink's
 * messages, as in Flink where those errors come from the logical types and not the grammar.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/sql_parser_int.h"

static const struct {
  const char *word;
  sql_unit unit;
} unit_words[] = {
    {"YEAR", SQL_UNIT_YEAR},
    {"YEARS", SQL_UNIT_YEAR},
    {"QUARTER", SQL_UNIT_QUARTER},
    {"QUARTERS", SQL_UNIT_QUARTER},
    {"MONTH", SQL_UNIT_MONTH},
    {"MONTHS", SQL_UNIT_MONTH},
    {"WEEK", SQL_UNIT_WEEK},
    {"WEEKS", SQL_UNIT_WEEK},
    {"DAY", SQL_UNIT_DAY},
    {"DAYS", SQL_UNIT_DAY},
    {"HOUR", SQL_UNIT_HOUR},
    {"HOURS", SQL_UNIT_HOUR},
    {"MINUTE", SQL_UNIT_MINUTE},
    {"MINUTES", SQL_UNIT_MINUTE},
    {"SECOND", SQL_UNIT_SECOND},
    {"SECONDS", SQL_UNIT_SECOND},
    {"MILLISECOND", SQL_UNIT_MILLISECOND},
    {"MICROSECOND", SQL_UNIT_MICROSECOND},
    {"NANOSECOND", SQL_UNIT_NANOSECOND},
    {"DOW", SQL_UNIT_DOW},
    {"DOY", SQL_UNIT_DOY},
    {"ISODOW", SQL_UNIT_ISODOW},
    {"ISOYEAR", SQL_UNIT_ISOYEAR},
    {"EPOCH", SQL_UNIT_EPOCH},
    {"DECADE", SQL_UNIT_DECADE},
    {"CENTURY", SQL_UNIT_CENTURY},
    {"MILLENNIUM", SQL_UNIT_MILLENNIUM},
};

int sqlp_unit(sql_parser *p, sql_unit *out) {
  for (size_t i = 0; i < sizeof unit_words / sizeof unit_words[0]; i++)
    if (sqlp_at(p, unit_words[i].word)) {
      *out = unit_words[i].unit;
      sqlp_advance(p);
      return 1;
    }
  static const char *const shown[] = {"\"YEAR\"",   "\"QUARTER\"", "\"MONTH\"",
                                      "\"WEEK\"",   "\"DAY\"",     "\"HOUR\"",
                                      "\"MINUTE\"", "\"SECOND\"",  "\"MILLISECOND\""};
  for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) sqlp_expect(p, shown[i]);
  sqlp_fail(p);
  return 0;
}

/* An unsigned integer literal that fits an int; records the expectation otherwise. */
static int small_int(sql_parser *p, int *out) {
  const sql_token *t = sqlp_tok(p);
  if (t->kind != SQL_TK_INTEGER) {
    sqlp_expect(p, "<UNSIGNED_INTEGER_LITERAL>");
    sqlp_fail(p);
    return 0;
  }
  if (t->text_len > 9) {
    sqlp_error_at(p, t->line, t->col, "Numeric literal '%s' out of range", t->text);
    return 0;
  }
  *out = atoi(t->text);
  sqlp_advance(p);
  return 1;
}

/* "(" n ")" when present; *out stays as it is otherwise. */
static int opt_precision(sql_parser *p, int *out) {
  if (!sqlp_accept_op(p, SQL_OP_LPAREN)) return 1;
  return small_int(p, out) && sqlp_require_op(p, SQL_OP_RPAREN);
}

/* A unit of an interval qualifier: YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND (and
 * their plurals, which Flink accepts). */
static int qual_unit(sql_parser *p, sql_unit *u) {
  if (!sqlp_unit(p, u)) return 0;
  if (*u > SQL_UNIT_SECOND) {
    p->pos--; /* report the error at the unit, which an interval cannot use */
    sqlp_fail(p);
    return 0;
  }
  return 1;
}

int sqlp_interval_qual(sql_parser *p, sql_interval_qual *q, int allow_start_precision) {
  q->start_precision = q->frac_precision = -1;
  q->end = SQL_UNIT_NONE;
  if (!qual_unit(p, &q->start)) return 0;
  if (allow_start_precision && sqlp_accept_op(p, SQL_OP_LPAREN)) {
    if (!small_int(p, &q->start_precision)) return 0;
    if (q->start == SQL_UNIT_SECOND && sqlp_accept_op(p, SQL_OP_COMMA)) {
      if (!small_int(p, &q->frac_precision)) return 0;
    }
    if (!sqlp_require_op(p, SQL_OP_RPAREN)) return 0;
  }
  if (!sqlp_accept(p, "TO")) return 1;
  /* The ends SQL allows after each start. */
  static const char *const after_year[] = {"MONTH", "MONTHS", NULL};
  static const char *const after_day[] = {"HOUR",   "HOURS",   "MINUTE", "MINUTES",
                                          "SECOND", "SECONDS", NULL};
  static const char *const after_hour[] = {"MINUTE", "MINUTES", "SECOND", "SECONDS", NULL};
  static const char *const after_minute[] = {"SECOND", "SECONDS", NULL};
  const char *const *ends = q->start == SQL_UNIT_YEAR     ? after_year
                            : q->start == SQL_UNIT_DAY    ? after_day
                            : q->start == SQL_UNIT_HOUR   ? after_hour
                            : q->start == SQL_UNIT_MINUTE ? after_minute
                                                          : NULL;
  int ok = 0;
  for (int i = 0; ends && ends[i]; i++)
    if (sqlp_at(p, ends[i])) ok = 1;
  if (!ok) {
    /* Records the singular ends as expected; none can match here. */
    for (int i = 0; ends && ends[i]; i += 2) sqlp_accept(p, ends[i]);
    sqlp_fail(p);
    return 0;
  }
  sqlp_unit(p, &q->end);
  if (q->end == SQL_UNIT_SECOND && sqlp_accept_op(p, SQL_OP_LPAREN)) {
    if (!small_int(p, &q->frac_precision) || !sqlp_require_op(p, SQL_OP_RPAREN)) return 0;
  }
  return 1;
}

static sql_node *type_node(sql_parser *p, const sql_token *at, sql_type_kind kind) {
  sql_node *t = sqlp_node(p, SQL_TYPE, at);
  if (!t) return NULL;
  t->u.type.kind = kind;
  t->u.type.precision = t->u.type.scale = -1;
  t->u.type.nullable = 1;
  return t;
}

static int nullability(sql_parser *p, sql_node *t) {
  if (sqlp_at(p, "NOT") && sqlp_at_k(p, 1, "NULL")) {
    sqlp_advance(p);
    sqlp_advance(p);
    t->u.type.nullable = 0;
  } else if (sqlp_accept(p, "NULL")) {
    t->u.type.nullable = 1;
  } else {
    sqlp_expect(p, "\"NOT\"");
  }
  return 1;
}

/* Reads a closing ">" of ARRAY<...>, MAP<...>, ROW<...>. */
static int close_angle(sql_parser *p) { return sqlp_require_op(p, SQL_OP_GT); }

/* The fields of ROW<...> or ROW(...), up to the closing token. */
static int row_fields(sql_parser *p, sql_node *t, sql_op close) {
  sqlp_vec v = {0};
  if (!sqlp_at_op(p, close)) {
    do {
      const sql_token *at = sqlp_tok(p);
      sql_node *f = sqlp_node(p, SQL_ROW_FIELD, at);
      if (!f) return 0;
      if (!sqlp_name(p, &f->u.row_field.name)) {
        sqlp_fail(p);
        return 0;
      }
      if (!(f->u.row_field.type = sqlp_type(p))) return 0;
      if (sqlp_tok(p)->kind == SQL_TK_STRING) f->u.row_field.comment = sqlp_string(p);
      if (sqlp_push(p, &v, f)) return 0;
    } while (sqlp_accept_op(p, SQL_OP_COMMA));
  }
  t->u.type.fields = sqlp_list(&v);
  return close == SQL_OP_GT ? close_angle(p) : sqlp_require_op(p, close);
}

static sql_node *base_type(sql_parser *p) {
  const sql_token *at = sqlp_tok(p);
  static const struct {
    const char *word;
    sql_type_kind kind;
  } simple[] = {
      {"BOOLEAN", SQL_T_BOOLEAN}, {"TINYINT", SQL_T_TINYINT}, {"SMALLINT", SQL_T_SMALLINT},
      {"INT", SQL_T_INT},         {"INTEGER", SQL_T_INT},     {"BIGINT", SQL_T_BIGINT},
      {"FLOAT", SQL_T_FLOAT},     {"REAL", SQL_T_REAL},       {"STRING", SQL_T_STRING},
      {"BYTES", SQL_T_BYTES},     {"DATE", SQL_T_DATE}};
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (sqlp_at(p, simple[i].word)) {
      sqlp_advance(p);
      return type_node(p, at, simple[i].kind);
    }
  if (sqlp_accept(p, "DOUBLE")) {
    sqlp_accept(p, "PRECISION");
    return type_node(p, at, SQL_T_DOUBLE);
  }
  if (sqlp_at(p, "DECIMAL") || sqlp_at(p, "DEC") || sqlp_at(p, "NUMERIC")) {
    sqlp_advance(p);
    sql_node *t = type_node(p, at, SQL_T_DECIMAL);
    if (!t) return NULL;
    if (sqlp_accept_op(p, SQL_OP_LPAREN)) {
      if (!small_int(p, &t->u.type.precision)) return NULL;
      if (sqlp_accept_op(p, SQL_OP_COMMA) && !small_int(p, &t->u.type.scale)) return NULL;
      if (!sqlp_require_op(p, SQL_OP_RPAREN)) return NULL;
    }
    return t;
  }
  if (sqlp_at(p, "CHAR") || sqlp_at(p, "CHARACTER") || sqlp_at(p, "VARCHAR")) {
    sql_type_kind k = sqlp_at(p, "VARCHAR") ? SQL_T_VARCHAR : SQL_T_CHAR;
    sqlp_advance(p);
    if (k == SQL_T_CHAR && sqlp_accept(p, "VARYING")) k = SQL_T_VARCHAR;
    sql_node *t = type_node(p, at, k);
    if (!t || !opt_precision(p, &t->u.type.precision)) return NULL;
    return t;
  }
  if (sqlp_at(p, "BINARY") || sqlp_at(p, "VARBINARY")) {
    sql_type_kind k = sqlp_at(p, "VARBINARY") ? SQL_T_VARBINARY : SQL_T_BINARY;
    sqlp_advance(p);
    if (k == SQL_T_BINARY && sqlp_accept(p, "VARYING")) k = SQL_T_VARBINARY;
    sql_node *t = type_node(p, at, k);
    if (!t || !opt_precision(p, &t->u.type.precision)) return NULL;
    return t;
  }
  if (sqlp_at(p, "TIME") || sqlp_at(p, "TIMESTAMP") || sqlp_at(p, "TIMESTAMP_LTZ")) {
    sql_type_kind k = sqlp_at(p, "TIME")        ? SQL_T_TIME
                      : sqlp_at(p, "TIMESTAMP") ? SQL_T_TIMESTAMP
                                                : SQL_T_TIMESTAMP_LTZ;
    sqlp_advance(p);
    sql_node *t = type_node(p, at, k);
    if (!t || !opt_precision(p, &t->u.type.precision)) return NULL;
    if (k == SQL_T_TIMESTAMP_LTZ) return t;
    if (sqlp_accept(p, "WITHOUT")) {
      if (!sqlp_require(p, "TIME") || !sqlp_require(p, "ZONE")) return NULL;
    } else if (k == SQL_T_TIMESTAMP && sqlp_accept(p, "WITH")) {
      if (!sqlp_require(p, "LOCAL") || !sqlp_require(p, "TIME") || !sqlp_require(p, "ZONE"))
        return NULL;
      t->u.type.kind = SQL_T_TIMESTAMP_LTZ;
    }
    return t;
  }
  if (sqlp_accept(p, "INTERVAL")) {
    sql_node *t = type_node(p, at, SQL_T_INTERVAL);
    if (!t || !sqlp_interval_qual(p, &t->u.type.qual, 1)) return NULL;
    return t;
  }
  if (sqlp_at(p, "ARRAY") || sqlp_at(p, "MULTISET")) {
    sql_type_kind k = sqlp_at(p, "ARRAY") ? SQL_T_ARRAY : SQL_T_MULTISET;
    sqlp_advance(p);
    sql_node *t = type_node(p, at, k);
    if (!t || !sqlp_require_op(p, SQL_OP_LT)) return NULL;
    if (!(t->u.type.elem = sqlp_type(p)) || !close_angle(p)) return NULL;
    return t;
  }
  if (sqlp_at(p, "MAP") && sqlp_peek(p, 1)->kind == SQL_TK_OP && sqlp_peek(p, 1)->op == SQL_OP_LT) {
    sqlp_advance(p);
    sqlp_advance(p);
    sql_node *t = type_node(p, at, SQL_T_MAP);
    if (!t || !(t->u.type.key = sqlp_type(p)) || !sqlp_require_op(p, SQL_OP_COMMA)) return NULL;
    if (!(t->u.type.value = sqlp_type(p)) || !close_angle(p)) return NULL;
    return t;
  }
  if (sqlp_accept(p, "ROW")) {
    sql_node *t = type_node(p, at, SQL_T_ROW);
    if (!t) return NULL;
    if (sqlp_accept_op(p, SQL_OP_LT)) {
      if (!row_fields(p, t, SQL_OP_GT)) return NULL;
    } else if (sqlp_require_op(p, SQL_OP_LPAREN)) {
      if (!row_fields(p, t, SQL_OP_RPAREN)) return NULL;
    } else {
      return NULL;
    }
    return t;
  }
  if (sqlp_at_name(p)) {
    sql_node *t = type_node(p, at, SQL_T_USER);
    if (!t || !(t->u.type.name = sqlp_compound(p, 0))) return NULL;
    return t;
  }
  static const char *const starts[] = {"\"BOOLEAN\"",   "\"INT\"",     "\"BIGINT\"", "\"DOUBLE\"",
                                       "\"DECIMAL\"",   "\"VARCHAR\"", "\"STRING\"", "\"BYTES\"",
                                       "\"TIMESTAMP\"", "\"ARRAY\"",   "\"MAP\"",    "\"ROW\""};
  for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) sqlp_expect(p, starts[i]);
  sqlp_expect(p, "<IDENTIFIER>");
  return sqlp_fail(p);
}

sql_node *sqlp_type(sql_parser *p) {
  if (!sqlp_enter(p)) return NULL;
  sql_node *t = base_type(p);
  if (t) nullability(p, t);
  /* T ARRAY, T MULTISET, each with its own nullability. */
  while (t && (sqlp_at(p, "ARRAY") || sqlp_at(p, "MULTISET"))) {
    const sql_token *at = sqlp_tok(p);
    sql_node *c = type_node(p, at, sqlp_at(p, "ARRAY") ? SQL_T_ARRAY : SQL_T_MULTISET);
    sqlp_advance(p);
    if (!c) break;
    c->line = t->line;
    c->col = t->col;
    c->u.type.elem = t;
    t = c;
    nullability(p, t);
  }
  if (t && !sqlp_at(p, "ARRAY")) sqlp_expect(p, "\"ARRAY\"");
  sqlp_leave(p);
  return p->rc ? NULL : t;
}
