/*
 * sql_functions.c: the validator's built-in functions: the table of names (with Flink's aliases),
 * arities, Calcite's signature text for messages, and each function's operand checks and return
 * type as Flink's documentation "System (Built-in) Functions" gives them (CHAR_LENGTH is INT,
 * UPPER keeps its argument's type, EXTRACT is BIGINT, TO_TIMESTAMP is TIMESTAMP(3), ...).
 *
 * Operand checks accept an untyped NULL wherever a value is expected. A function Flink does not
 * have gets Calcite's "No match found for function signature f(<NUMERIC>)"; operands of the wrong
 * family Calcite's "Cannot apply 'F' to arguments of type 'F(<INTEGER>)'. Supported form(s):
 * ...", or Flink's "Invalid function call:\nF(INT NOT NULL)" for the functions Flink types with
 * its own inference (IFNULL). Aggregates are typed as Flink's LogicalTypeMerging types them
 * (findSumAggType, findAvgAggType) and flagged.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"
#include "sql/sql_catalog.h"
#include "sql/sql_udf.h"
#include "sql/sql_validate_int.h"

typedef struct fn_def {
  const char *name;
  sql_fn fn;
  int min, max;    /* arguments (max -1: any number) */
  const char *sig; /* Calcite's supported form(s), for messages */
  bool aggregate;
  bool flink_stack; /* typed by Flink's own inference: Flink's message on bad operands */
} fn_def;

static const fn_def defs[] = {
    {"COALESCE", SQL_FN_COALESCE, 1, -1, "'COALESCE(<ANY>, ...)'", false, false},
    {"NULLIF", SQL_FN_NULLIF, 2, 2, "'NULLIF(<COMPARABLE_TYPE>, <COMPARABLE_TYPE>)'", false, false},
    {"IF", SQL_FN_IF, 3, 3, "'IF(<BOOLEAN>, <ANY>, <ANY>)'", false, false},
    {"IFNULL", SQL_FN_IFNULL, 2, 2, "", false, true},
    {"CONCAT", SQL_FN_CONCAT, 1, -1, "'CONCAT(<CHARACTER>, ...)'", false, false},
    {"CONCAT_WS", SQL_FN_CONCAT_WS, 2, -1, "'CONCAT_WS(<CHARACTER>, <CHARACTER>, ...)'", false,
     false},
    {"UPPER", SQL_FN_UPPER, 1, 1, "'UPPER(<CHARACTER>)'", false, false},
    {"LOWER", SQL_FN_LOWER, 1, 1, "'LOWER(<CHARACTER>)'", false, false},
    {"INITCAP", SQL_FN_INITCAP, 1, 1, "'INITCAP(<CHARACTER>)'", false, false},
    {"CHAR_LENGTH", SQL_FN_CHAR_LENGTH, 1, 1, "'CHAR_LENGTH(<CHARACTER>)'", false, false},
    {"CHARACTER_LENGTH", SQL_FN_CHAR_LENGTH, 1, 1, "'CHARACTER_LENGTH(<CHARACTER>)'", false, false},
    {"TRIM", SQL_FN_TRIM, 1, 2, "'TRIM(<CHARACTER>)'", false, false},
    {"LTRIM", SQL_FN_LTRIM, 1, 1, "'LTRIM(<CHARACTER>)'", false, false},
    {"RTRIM", SQL_FN_RTRIM, 1, 1, "'RTRIM(<CHARACTER>)'", false, false},
    {"SUBSTRING", SQL_FN_SUBSTRING, 2, 3,
     "'SUBSTRING(<CHARACTER> FROM <INTEGER>)'\n'SUBSTRING(<CHARACTER> FROM <INTEGER> FOR "
     "<INTEGER>)'",
     false, false},
    {"SUBSTR", SQL_FN_SUBSTRING, 2, 3,
     "'SUBSTR(<CHARACTER>, <INTEGER>)'\n'SUBSTR(<CHARACTER>, <INTEGER>, <INTEGER>)'", false, false},
    {"POSITION", SQL_FN_POSITION, 2, 3, "'POSITION(<STRING> IN <STRING>)'", false, false},
    {"REPLACE", SQL_FN_REPLACE, 3, 3, "'REPLACE(<CHARACTER>, <CHARACTER>, <CHARACTER>)'", false,
     false},
    {"REGEXP", SQL_FN_REGEXP, 2, 2, "'REGEXP(<CHARACTER>, <CHARACTER>)'", false, false},
    {"REGEXP_EXTRACT", SQL_FN_REGEXP_EXTRACT, 2, 3,
     "'REGEXP_EXTRACT(<CHARACTER>, <CHARACTER>)'\n'REGEXP_EXTRACT(<CHARACTER>, <CHARACTER>, "
     "<INTEGER>)'",
     false, false},
    {"REGEXP_REPLACE", SQL_FN_REGEXP_REPLACE, 3, 3,
     "'REGEXP_REPLACE(<CHARACTER>, <CHARACTER>, <CHARACTER>)'", false, false},
    {"SPLIT_INDEX", SQL_FN_SPLIT_INDEX, 3, 3, "'SPLIT_INDEX(<CHARACTER>, <CHARACTER>, <INTEGER>)'",
     false, false},
    {"LPAD", SQL_FN_LPAD, 3, 3, "'LPAD(<CHARACTER>, <INTEGER>, <CHARACTER>)'", false, false},
    {"RPAD", SQL_FN_RPAD, 3, 3, "'RPAD(<CHARACTER>, <INTEGER>, <CHARACTER>)'", false, false},
    {"MD5", SQL_FN_MD5, 1, 1, "'MD5(<CHARACTER>)'", false, false},
    {"SHA256", SQL_FN_SHA256, 1, 1, "'SHA256(<CHARACTER>)'", false, false},
    {"CURRENT_TIMESTAMP", SQL_FN_CURRENT_TIMESTAMP, 0, 0, "'CURRENT_TIMESTAMP'", false, false},
    {"NOW", SQL_FN_NOW, 0, 0, "'NOW()'", false, false},
    {"LOCALTIMESTAMP", SQL_FN_LOCALTIMESTAMP, 0, 0, "'LOCALTIMESTAMP'", false, false},
    {"CURRENT_DATE", SQL_FN_CURRENT_DATE, 0, 0, "'CURRENT_DATE'", false, false},
    {"CURRENT_TIME", SQL_FN_CURRENT_TIME, 0, 0, "'CURRENT_TIME'", false, false},
    {"LOCALTIME", SQL_FN_LOCALTIME, 0, 0, "'LOCALTIME'", false, false},
    {"PROCTIME", SQL_FN_PROCTIME, 0, 0, "'PROCTIME()'", false, false},
    {"CURRENT_ROW_TIMESTAMP", SQL_FN_CURRENT_ROW_TIMESTAMP, 0, 0, "'CURRENT_ROW_TIMESTAMP()'",
     false, false},
    {"DATE_FORMAT", SQL_FN_DATE_FORMAT, 2, 2,
     "'DATE_FORMAT(<TIMESTAMP>, <CHARACTER>)'\n'DATE_FORMAT(<CHARACTER>, <CHARACTER>)'", false,
     false},
    {"EXTRACT", SQL_FN_EXTRACT, 1, 1, "'EXTRACT(<DATETIME_INTERVAL>)'\n'EXTRACT(<DATETIME>)'",
     false, false},
    {"FLOOR", SQL_FN_FLOOR, 1, 1, "'FLOOR(<NUMERIC>)'\n'FLOOR(<DATETIME_INTERVAL>)'", false, false},
    {"CEIL", SQL_FN_CEIL, 1, 1, "'CEIL(<NUMERIC>)'\n'CEIL(<DATETIME_INTERVAL>)'", false, false},
    {"CEILING", SQL_FN_CEIL, 1, 1, "'CEILING(<NUMERIC>)'\n'CEILING(<DATETIME_INTERVAL>)'", false,
     false},
    {"TIMESTAMPADD", SQL_FN_TIMESTAMPADD, 2, 2, "'TIMESTAMPADD(<ANY>, <INTEGER>, <DATETIME>)'",
     false, false},
    {"TIMESTAMPDIFF", SQL_FN_TIMESTAMPDIFF, 2, 2, "'TIMESTAMPDIFF(<ANY>, <DATETIME>, <DATETIME>)'",
     false, false},
    {"TO_TIMESTAMP", SQL_FN_TO_TIMESTAMP, 1, 2,
     "'TO_TIMESTAMP(<CHARACTER>)'\n'TO_TIMESTAMP(<CHARACTER>, <CHARACTER>)'", false, false},
    {"TO_TIMESTAMP_LTZ", SQL_FN_TO_TIMESTAMP_LTZ, 1, 2,
     "'TO_TIMESTAMP_LTZ(<NUMERIC>)'\n'TO_TIMESTAMP_LTZ(<NUMERIC>, <INTEGER>)'", false, false},
    {"UNIX_TIMESTAMP", SQL_FN_UNIX_TIMESTAMP, 0, 2,
     "'UNIX_TIMESTAMP()'\n'UNIX_TIMESTAMP(<CHARACTER>)'\n'UNIX_TIMESTAMP(<CHARACTER>, "
     "<CHARACTER>)'",
     false, false},
    {"TO_DATE", SQL_FN_TO_DATE, 1, 2, "'TO_DATE(<CHARACTER>)'\n'TO_DATE(<CHARACTER>, <CHARACTER>)'",
     false, false},
    {"FROM_UNIXTIME", SQL_FN_FROM_UNIXTIME, 1, 2,
     "'FROM_UNIXTIME(<INTEGER>)'\n'FROM_UNIXTIME(<INTEGER>, <CHARACTER>)'", false, false},
    {"ABS", SQL_FN_ABS, 1, 1, "'ABS(<NUMERIC>)'\n'ABS(<DATETIME_INTERVAL>)'", false, false},
    {"MOD", SQL_FN_MOD_FN, 2, 2, "'MOD(<EXACT_NUMERIC>, <EXACT_NUMERIC>)'", false, false},
    {"POWER", SQL_FN_POWER, 2, 2, "'POWER(<NUMERIC>, <NUMERIC>)'", false, false},
    {"SQRT", SQL_FN_SQRT, 1, 1, "'SQRT(<NUMERIC>)'", false, false},
    {"EXP", SQL_FN_EXP, 1, 1, "'EXP(<NUMERIC>)'", false, false},
    {"LN", SQL_FN_LN, 1, 1, "'LN(<NUMERIC>)'", false, false},
    {"LOG10", SQL_FN_LOG10, 1, 1, "'LOG10(<NUMERIC>)'", false, false},
    {"ROUND", SQL_FN_ROUND, 1, 2, "'ROUND(<NUMERIC>)'\n'ROUND(<NUMERIC>, <INTEGER>)'", false,
     false},
    {"RAND", SQL_FN_RAND, 0, 1, "'RAND()'\n'RAND(<INTEGER>)'", false, false},
    {"SIGN", SQL_FN_SIGN, 1, 1, "'SIGN(<NUMERIC>)'", false, false},
    {"JSON_VALUE", SQL_FN_JSON_VALUE, 2, 2, "'JSON_VALUE(<CHARACTER>, <CHARACTER>)'", false, false},
    {"JSON_QUERY", SQL_FN_JSON_QUERY, 2, 2, "'JSON_QUERY(<CHARACTER>, <CHARACTER>)'", false, false},
    {"COUNT", SQL_FN_COUNT, 0, -1, "'COUNT(<ANY>)'", true, false},
    {"SUM", SQL_FN_SUM, 1, 1, "'SUM(<NUMERIC>)'", true, false},
    {"MIN", SQL_FN_MIN, 1, 1, "'MIN(<COMPARABLE_TYPE>)'", true, false},
    {"MAX", SQL_FN_MAX, 1, 1, "'MAX(<COMPARABLE_TYPE>)'", true, false},
    {"AVG", SQL_FN_AVG, 1, 1, "'AVG(<NUMERIC>)'", true, false},
    {"GROUPING", SQL_FN_GROUPING, 1, -1, "'GROUPING(<ANY>, ...)'", true, false},
    {"GROUPING_ID", SQL_FN_GROUPING_ID, 1, -1, "'GROUPING_ID(<ANY>, ...)'", true, false},
    {"GROUP_ID", SQL_FN_GROUP_ID, 0, 0, "'GROUP_ID()'", true, false},
    {"ROW_NUMBER", SQL_FN_ROW_NUMBER, 0, 0, "'ROW_NUMBER()'", false, false},
    {"RANK", SQL_FN_RANK, 0, 0, "'RANK()'", false, false},
    {"DENSE_RANK", SQL_FN_DENSE_RANK, 0, 0, "'DENSE_RANK()'", false, false},
};

static const fn_def *find(const char *name) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
    if (strcasecmp(defs[i].name, name) == 0) return &defs[i];
  return NULL;
}

sql_fn sqlv_lookup(const char *name) {
  const fn_def *d = find(name);
  return d ? d->fn : SQL_FN_NONE;
}

const char *sql_fn_name(sql_fn fn) {
  static const char *const ops[] = {
      [SQL_FN_PLUS] = "+",          [SQL_FN_MINUS] = "-",
      [SQL_FN_TIMES] = "*",         [SQL_FN_DIVIDE] = "/",
      [SQL_FN_MOD] = "%",           [SQL_FN_NEGATE] = "-",
      [SQL_FN_CONCAT_OP] = "||",    [SQL_FN_EQ] = "=",
      [SQL_FN_NE] = "<>",           [SQL_FN_LT] = "<",
      [SQL_FN_LE] = "<=",           [SQL_FN_GT] = ">",
      [SQL_FN_GE] = ">=",           [SQL_FN_AND] = "AND",
      [SQL_FN_OR] = "OR",           [SQL_FN_NOT] = "NOT",
      [SQL_FN_BETWEEN] = "BETWEEN", [SQL_FN_IN] = "IN",
      [SQL_FN_LIKE] = "LIKE",       [SQL_FN_SIMILAR_TO] = "SIMILAR TO",
      [SQL_FN_CASE] = "CASE",
  };
  if (fn > 0 && (size_t)fn < sizeof ops / sizeof ops[0] && ops[fn]) return ops[fn];
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
    if (defs[i].fn == fn) return defs[i].name;
  return "?";
}

/* --- operand checks --- */

static bool f_str(const sql_type *t) { return sqlv_is_character(t) || sqlv_is_null(t); }
static bool f_num(const sql_type *t) { return sqlv_is_numeric(t) || sqlv_is_null(t); }
static bool f_int(const sql_type *t) { return sqlv_is_integer(t) || sqlv_is_null(t); }
static bool f_bool(const sql_type *t) { return t->kind == SQL_T_BOOLEAN || sqlv_is_null(t); }
static bool f_dt(const sql_type *t) { return sqlv_is_datetime(t) || sqlv_is_null(t); }

static int name_of_call(const sql_node *n, char *buf, size_t cap) {
  const sql_node *id = n->u.call.name;
  if (!id || id->kind != SQL_IDENT || id->u.ident.nparts < 1) {
    snprintf(buf, cap, "?");
    return -1;
  }
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < id->u.ident.nparts && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? "." : "", id->u.ident.parts[i].s);
  return id->u.ident.nparts == 1 ? 0 : -1;
}

static int cannot_apply(sqlv_ctx *c, const sql_node *n, const fn_def *d, sql_expr *e) {
  char args[700];
  size_t k = 0;
  args[0] = 0;
  for (int i = 0; i < e->u.call.nargs && k < sizeof args; i++) {
    char t[300];
    if (d->flink_stack) {
      sp_strbuf sb = {0};
      sql_type_format(e->u.call.args[i]->type, &sb);
      snprintf(t, sizeof t, "%s", sb.data ? sb.data : "?");
      sp_free(sb.data);
    } else {
      sql_calcite_type_name(e->u.call.args[i]->type, t, sizeof t);
    }
    k += (size_t)snprintf(args + k, sizeof args - k, d->flink_stack ? "%s%s" : "%s<%s>",
                          i ? ", " : "", t);
  }
  if (d->flink_stack) return sqlv_fail(c, n, "Invalid function call:\n%s(%s)", d->name, args);
  return sqlv_fail(c, n, "Cannot apply '%s' to arguments of type '%s(%s)'. Supported form(s): %s",
                   d->name, d->name, args, d->sig);
}

static bool any_nullable(const sql_expr *e) {
  for (int i = 0; i < e->u.call.nargs; i++)
    if (e->u.call.args[i]->type->nullable) return true;
  return false;
}

static const sql_type *arg_t(const sql_expr *e, int i) { return e->u.call.args[i]->type; }

/* VARCHAR(n) of the same nullability: TRIM and SUBSTRING of a string of length n. */
static const sql_type *varying(sqlv_ctx *c, const sql_type *t, bool nullable) {
  int len = sqlv_is_null(t) ? SQL_MAX_LENGTH : t->length;
  return sqlv_type(c->arena, SQL_T_VARCHAR, len, nullable);
}

static const sql_type *common_of(sqlv_ctx *c, sql_expr *e, int from, int to, bool *oom) {
  const sql_type **types = sql_arena_alloc(c->arena, sizeof *types * (size_t)(to - from + 1));
  if (!types) {
    *oom = true;
    return NULL;
  }
  for (int i = from; i < to; i++) types[i - from] = arg_t(e, i);
  return sql_type_common(types, to - from, c->arena, oom);
}

/* ROUND's digits when they are a literal (clamped: beyond 38 they change nothing), else 0. */
static int round_digits(const sql_expr *r) {
  int sign = 1;
  if (r->kind == SQL_E_CALL && r->u.call.fn == SQL_FN_NEGATE) {
    sign = -1;
    r = r->u.call.args[0];
  }
  if (r->kind != SQL_E_LITERAL || r->u.lit.kind != SQL_LIT_INTEGER) return 0;
  return sign * (int)(r->u.lit.i > 100 ? 100 : r->u.lit.i);
}

/* The return type of a call whose operands are validated; NULL with *bad set when the operands
 * do not fit the function. */
static const sql_type *type_call(sqlv_ctx *c, const sql_node *n, sql_expr *e, bool *bad) {
  sql_arena *a = c->arena;
  int m = e->u.call.nargs;
  bool nl = any_nullable(e), oom = false;
#define NEED(cond) \
  do {             \
    if (!(cond)) { \
      *bad = true; \
      return NULL; \
    }              \
  } while (0)
  switch (e->u.call.fn) {
  case SQL_FN_COALESCE: {
    const sql_type *t = common_of(c, e, 0, m, &oom);
    if (!t && !oom) sqlv_fail(c, n, "Illegal mixing of types in CASE or COALESCE statement");
    if (!t) return NULL;
    bool all = true;
    for (int i = 0; i < m; i++) all &= arg_t(e, i)->nullable;
    return sql_type_with_nullable(t, all, a);
  }
  case SQL_FN_NULLIF: {
    const sql_type *two[2] = {arg_t(e, 0), arg_t(e, 1)};
    NEED(!sqlv_is_null(two[0]) && sql_type_common(two, 2, a, &oom));
    return sql_type_with_nullable(two[0], true, a);
  }
  case SQL_FN_IF: {
    NEED(f_bool(arg_t(e, 0)));
    const sql_type *t = common_of(c, e, 1, 3, &oom);
    NEED(t || oom);
    return t;
  }
  case SQL_FN_IFNULL: {
    const sql_type *t = common_of(c, e, 0, 2, &oom);
    NEED(t || oom);
    return t ? sql_type_with_nullable(t, arg_t(e, 1)->nullable, a) : NULL;
  }
  case SQL_FN_CONCAT: {
    long len = 0;
    for (int i = 0; i < m; i++) {
      NEED(f_str(arg_t(e, i)));
      len += sqlv_is_null(arg_t(e, i)) ? 0 : arg_t(e, i)->length;
    }
    if (len > SQL_MAX_LENGTH) len = SQL_MAX_LENGTH;
    return sqlv_type(a, SQL_T_VARCHAR, (int)(len ? len : 1), nl);
  }
  case SQL_FN_CONCAT_WS:
  case SQL_FN_REPLACE:
  case SQL_FN_REGEXP_REPLACE:
    for (int i = 0; i < m; i++) NEED(f_str(arg_t(e, i)));
    return sqlv_type(a, SQL_T_VARCHAR, SQL_MAX_LENGTH, nl);
  case SQL_FN_UPPER:
  case SQL_FN_LOWER:
  case SQL_FN_INITCAP: NEED(sqlv_is_character(arg_t(e, 0))); return arg_t(e, 0);
  case SQL_FN_CHAR_LENGTH: NEED(f_str(arg_t(e, 0))); return sqlv_type(a, SQL_T_INT, 0, nl);
  case SQL_FN_TRIM:
  case SQL_FN_LTRIM:
  case SQL_FN_RTRIM:
    for (int i = 0; i < m; i++) NEED(f_str(arg_t(e, i)));
    return varying(c, arg_t(e, m - 1), nl);
  case SQL_FN_SUBSTRING:
    NEED(f_str(arg_t(e, 0)) && f_int(arg_t(e, 1)) && (m < 3 || f_int(arg_t(e, 2))));
    return varying(c, arg_t(e, 0), nl);
  case SQL_FN_POSITION:
    NEED(f_str(arg_t(e, 0)) && f_str(arg_t(e, 1)) && (m < 3 || f_int(arg_t(e, 2))));
    return sqlv_type(a, SQL_T_INT, 0, nl);
  case SQL_FN_REGEXP:
    NEED(f_str(arg_t(e, 0)) && f_str(arg_t(e, 1)));
    return sqlv_type(a, SQL_T_BOOLEAN, 0, nl);
  case SQL_FN_REGEXP_EXTRACT:
  case SQL_FN_SPLIT_INDEX:
    NEED(f_str(arg_t(e, 0)) && f_str(arg_t(e, 1)));
    NEED(m < 3 || f_int(arg_t(e, 2)));
    return sqlv_type(a, SQL_T_VARCHAR, SQL_MAX_LENGTH, true);
  case SQL_FN_LPAD:
  case SQL_FN_RPAD:
    NEED(f_str(arg_t(e, 0)) && f_int(arg_t(e, 1)) && f_str(arg_t(e, 2)));
    return sqlv_type(a, SQL_T_VARCHAR, SQL_MAX_LENGTH, nl);
  case SQL_FN_MD5:
  case SQL_FN_SHA256:
    NEED(f_str(arg_t(e, 0)) || sqlv_is_binary(arg_t(e, 0)));
    return sqlv_type(a, SQL_T_CHAR, e->u.call.fn == SQL_FN_MD5 ? 32 : 64, nl);
  case SQL_FN_CURRENT_TIMESTAMP:
  case SQL_FN_NOW:
  case SQL_FN_CURRENT_ROW_TIMESTAMP: return sqlv_type(a, SQL_T_TIMESTAMP_LTZ, 3, false);
  case SQL_FN_PROCTIME: e->proctime = true; return sqlv_type(a, SQL_T_TIMESTAMP_LTZ, 3, false);
  case SQL_FN_LOCALTIMESTAMP: return sqlv_type(a, SQL_T_TIMESTAMP, 3, false);
  case SQL_FN_CURRENT_DATE: return sqlv_type(a, SQL_T_DATE, 0, false);
  case SQL_FN_CURRENT_TIME:
  case SQL_FN_LOCALTIME: return sqlv_type(a, SQL_T_TIME, 0, false);
  case SQL_FN_DATE_FORMAT:
    NEED((sqlv_is_timestamp(arg_t(e, 0)) || f_str(arg_t(e, 0))) && f_str(arg_t(e, 1)));
    return sqlv_type(a, SQL_T_VARCHAR, SQL_MAX_LENGTH, nl);
  case SQL_FN_EXTRACT:
    NEED(f_dt(arg_t(e, 0)) || sqlv_is_interval(arg_t(e, 0)));
    return sqlv_type(a, SQL_T_BIGINT, 0, nl);
  case SQL_FN_FLOOR:
  case SQL_FN_CEIL: {
    const sql_type *t = arg_t(e, 0);
    if (e->u.call.unit != SQL_UNIT_NONE) {
      NEED(sqlv_is_datetime(t) || sqlv_is_interval(t));
      return t;
    }
    NEED(sqlv_is_numeric(t) || sqlv_is_interval(t));
    if (t->kind == SQL_T_DECIMAL) return sqlv_decimal(a, t->precision, 0, t->nullable);
    return t;
  }
  case SQL_FN_TIMESTAMPADD:
    NEED(f_int(arg_t(e, 0)) && sqlv_is_datetime(arg_t(e, 1)));
    return sql_type_with_nullable(arg_t(e, 1), nl, a);
  case SQL_FN_TIMESTAMPDIFF:
    NEED(sqlv_is_datetime(arg_t(e, 0)) && sqlv_is_datetime(arg_t(e, 1)));
    return sqlv_type(a, SQL_T_INT, 0, nl);
  case SQL_FN_TO_TIMESTAMP:
    for (int i = 0; i < m; i++) NEED(f_str(arg_t(e, i)));
    return sqlv_type(a, SQL_T_TIMESTAMP, 3, true);
  case SQL_FN_TO_TIMESTAMP_LTZ:
    NEED(f_num(arg_t(e, 0)) && (m < 2 || f_int(arg_t(e, 1))));
    return sqlv_type(a, SQL_T_TIMESTAMP_LTZ, 3, nl);
  case SQL_FN_UNIX_TIMESTAMP:
    for (int i = 0; i < m; i++) NEED(f_str(arg_t(e, i)));
    return sqlv_type(a, SQL_T_BIGINT, 0, nl);
  case SQL_FN_TO_DATE:
    for (int i = 0; i < m; i++) NEED(f_str(arg_t(e, i)));
    return sqlv_type(a, SQL_T_DATE, 0, nl);
  case SQL_FN_FROM_UNIXTIME:
    NEED(f_int(arg_t(e, 0)) && (m < 2 || f_str(arg_t(e, 1))));
    return sqlv_type(a, SQL_T_VARCHAR, SQL_MAX_LENGTH, nl);
  case SQL_FN_ABS:
  case SQL_FN_SIGN:
    NEED(sqlv_is_numeric(arg_t(e, 0)) ||
         (e->u.call.fn == SQL_FN_ABS && sqlv_is_interval(arg_t(e, 0))));
    return arg_t(e, 0);
  case SQL_FN_MOD_FN: {
    const sql_type *l = arg_t(e, 0), *r = arg_t(e, 1);
    NEED(sqlv_is_exact(l) && sqlv_is_exact(r));
    if (l->kind == SQL_T_DECIMAL || r->kind == SQL_T_DECIMAL) {
      int p1, s1, p2, s2, p, s;
      sqlv_as_decimal(l, &p1, &s1);
      sqlv_as_decimal(r, &p2, &s2);
      sqlv_decimal_mod(p1, s1, p2, s2, &p, &s);
      return sqlv_decimal(a, p, s, nl);
    }
    return sql_type_with_nullable(r, nl, a);
  }
  case SQL_FN_POWER:
  case SQL_FN_SQRT:
  case SQL_FN_EXP:
  case SQL_FN_LN:
  case SQL_FN_LOG10:
    for (int i = 0; i < m; i++) NEED(f_num(arg_t(e, i)));
    return sqlv_type(a, SQL_T_DOUBLE, 0, nl);
  case SQL_FN_ROUND: {
    const sql_type *t = arg_t(e, 0);
    NEED(sqlv_is_numeric(t) && (m < 2 || f_int(arg_t(e, 1))));
    if (t->kind != SQL_T_DECIMAL) return sql_type_with_nullable(t, nl, a);
    int r = m < 2 ? 0 : round_digits(e->u.call.args[1]);
    if (r >= t->scale) return sql_type_with_nullable(t, nl, a);
    if (r < 0) {
      int p = 1 + t->precision - t->scale;
      return sqlv_decimal(a, p > 38 ? 38 : p, 0, nl);
    }
    return sqlv_decimal(a, 1 + t->precision - t->scale + r, r, nl);
  }
  case SQL_FN_RAND: NEED(m < 1 || f_int(arg_t(e, 0))); return sqlv_type(a, SQL_T_DOUBLE, 0, false);
  case SQL_FN_JSON_VALUE: {
    NEED(f_str(arg_t(e, 0)) && f_str(arg_t(e, 1)));
    const sql_node *ret = n->u.call.json.returning;
    if (!ret) return sqlv_type(a, SQL_T_VARCHAR, SQL_MAX_LENGTH, true);
    sql_type *t;
    char msg[512];
    int rc = sql_type_resolve(ret, a, &t, msg, sizeof msg);
    if (rc) {
      *bad = rc == SPATE_EINVAL;
      if (*bad) sqlv_fail(c, ret, "%s", msg);
      return NULL;
    }
    return sql_type_with_nullable(t, true, a);
  }
  case SQL_FN_JSON_QUERY:
    NEED(f_str(arg_t(e, 0)) && f_str(arg_t(e, 1)));
    return sqlv_type(a, SQL_T_VARCHAR, SQL_MAX_LENGTH, true);
  case SQL_FN_COUNT:
  case SQL_FN_GROUPING:
  case SQL_FN_GROUPING_ID:
  case SQL_FN_GROUP_ID:
  case SQL_FN_ROW_NUMBER:
  case SQL_FN_RANK:
  case SQL_FN_DENSE_RANK: return sqlv_type(a, SQL_T_BIGINT, 0, false);
  case SQL_FN_SUM:
  case SQL_FN_AVG: {
    const sql_type *t = arg_t(e, 0);
    NEED(sqlv_is_numeric(t));
    if (t->kind != SQL_T_DECIMAL) return sql_type_with_nullable(t, true, a);
    if (e->u.call.fn == SQL_FN_SUM) return sqlv_decimal(a, 38, t->scale, true);
    int p, s;
    sqlv_decimal_div(38, t->scale, 20, 0, &p, &s);
    return sqlv_decimal(a, p, s, true);
  }
  case SQL_FN_MIN:
  case SQL_FN_MAX:
    NEED(!sqlv_is_null(arg_t(e, 0)) && arg_t(e, 0)->kind != SQL_T_MAP &&
         arg_t(e, 0)->kind != SQL_T_MULTISET);
    return sql_type_with_nullable(arg_t(e, 0), true, a);
  default: *bad = true; return NULL;
  }
#undef NEED
}

/* The catalog's user function a call names (`f`, or `db.f` / `cat.db.f` of the current
 * database), or NULL. A temporary system function comes before the built-in ones (system_only),
 * other catalog functions after them, as Flink's FunctionCatalog resolves names. */
static const sql_function *user_function(sqlv_ctx *c, const sql_node *n, bool system_only) {
  if (!c->catalog || !n->u.call.name) return NULL;
  char err[256];
  const char *name = sql_catalog_object_name(n->u.call.name, err, sizeof err);
  const sql_function *f = name ? sql_catalog_find_function(c->catalog, name) : NULL;
  if (!f || !f->udf || (system_only && !f->system)) return NULL;
  return f;
}

/* Types a call of C function f: its arguments must cast implicitly to the declared types
 * (Flink's "Invalid function call" otherwise); the result is the declared type, nullable also
 * when an argument declared NOT NULL may be NULL (the call is then NULL without eval). */
static int udf_call(sqlv_ctx *c, const sql_node *n, const sql_function *f, sql_expr *e,
                    sql_expr **out) {
  const sql_udf *u = f->udf;
  int m = e->u.call.nargs;
  if (n->u.call.star)
    return sqlv_fail(c, n, "Only COUNT accepts '*' as its argument, not %s", f->name);
  if (n->u.call.quantifier == SQL_QUANT_DISTINCT)
    return sqlv_fail(c, n, "DISTINCT/ALL not allowed with %s function", f->name);
  if (n->u.call.filter)
    return sqlv_fail(c, n, "FILTER must not be applied to non-aggregate function %s", f->name);
  bool fits = m == u->nargs, null_in = false;
  for (int i = 0; i < m && fits; i++) {
    const sql_type *t = e->u.call.args[i]->type;
    fits = sql_type_can_cast(t, u->arg_types[i], false);
    if (!u->arg_types[i]->nullable && (t->nullable || sqlv_is_null(t))) null_in = true;
  }
  if (!fits) {
    char args[700];
    size_t k = 0;
    args[0] = 0;
    for (int i = 0; i < m && k < sizeof args; i++) {
      sp_strbuf sb = {0};
      if (sql_type_format(e->u.call.args[i]->type, &sb)) return SPATE_ENOMEM;
      k += (size_t)snprintf(args + k, sizeof args - k, "%s%s", i ? ", " : "", sb.data);
      sp_free(sb.data);
    }
    return sqlv_fail(c, n, "Invalid function call:\n%s(%s)", f->name, args);
  }
  e->u.call.fn = SQL_FN_UDF;
  e->u.call.udf = u;
  e->type = null_in ? sql_type_with_nullable(u->result_type, true, c->arena) : u->result_type;
  if (!e->type) return SPATE_ENOMEM;
  *out = e;
  return 0;
}

/* The OVER clause of call n, validated into e->over: the window's keys over the same scope,
 * aggregates not allowed in them (Spate plans no window over an aggregation), and e no longer an
 * aggregate of the query: the window computes it per row. */
static int over(sqlv_ctx *c, const sql_node *n, sql_expr *e) {
  const sql_node *w = n->u.call.over;
  if (w->kind == SQL_IDENT) { /* OVER w: a window of the SELECT's WINDOW clause */
    const sql_list *wdefs = c->scope->windows;
    const char *name = w->u.ident.parts[w->u.ident.nparts - 1].s;
    const sql_node *found = NULL;
    for (int i = 0; wdefs && i < wdefs->n && !found; i++)
      if (strcmp(wdefs->v[i]->u.window_def.name.s, name) == 0)
        found = wdefs->v[i]->u.window_def.spec;
    if (!found) return sqlv_fail(c, w, "Window '%s' not found", name);
    w = found;
  }
  if (w->kind != SQL_WINDOW_SPEC || w->u.window.ref)
    return sqlv_fail(c, w,
                     "A window extending another (OVER (w ...)) is not supported in Spate "
                     "yet");
  if (e->u.call.flags & SQL_CALL_DISTINCT)
    return sqlv_fail(c, n, "DISTINCT in an OVER aggregation is not supported in Spate yet");
  sql_over *o = sql_arena_alloc(c->arena, sizeof *o);
  if (!o) return SPATE_ENOMEM;
  const sql_list *part = &w->u.window.partition, *ord = &w->u.window.order;
  o->npartition = part->n;
  o->norder = ord->n;
  o->partition = sql_arena_alloc(c->arena, sizeof *o->partition * (size_t)(part->n + 1));
  o->order = sql_arena_alloc(c->arena, sizeof *o->order * (size_t)(ord->n + 1));
  o->desc = sql_arena_alloc(c->arena, (size_t)ord->n + 1);
  o->nulls_first = sql_arena_alloc(c->arena, (size_t)ord->n + 1);
  if (!o->partition || !o->order || !o->desc || !o->nulls_first) return SPATE_ENOMEM;
  for (int i = 0; i < part->n; i++) {
    int rc = sqlv_expr(c, part->v[i], &o->partition[i]);
    if (rc) return rc;
    if (o->partition[i]->aggregate)
      return sqlv_fail(c, part->v[i],
                       "Aggregate expressions in a window are not supported in "
                       "Spate yet");
  }
  for (int i = 0; i < ord->n; i++) {
    const sql_node *it = ord->v[i];
    const sql_node *x = it->kind == SQL_ORDER_ITEM ? it->u.order.arg : it;
    int rc = sqlv_expr(c, x, &o->order[i]);
    if (rc) return rc;
    if (o->order[i]->aggregate)
      return sqlv_fail(c, x, "Aggregate expressions in a window are not supported in Spate yet");
    o->desc[i] = it->kind == SQL_ORDER_ITEM && it->u.order.desc;
    int nulls = it->kind == SQL_ORDER_ITEM ? it->u.order.nulls : SQL_NULLS_DEFAULT;
    o->nulls_first[i] = nulls == SQL_NULLS_DEFAULT ? !o->desc[i] : nulls == SQL_NULLS_FIRST;
  }
  if (e->u.call.fn >= SQL_FN_ROW_NUMBER && e->u.call.fn <= SQL_FN_DENSE_RANK && w->u.window.frame)
    return sqlv_fail(c, n, "ROW/RANGE not allowed with RANK, DENSE_RANK or ROW_NUMBER functions");
  if ((e->u.call.fn == SQL_FN_RANK || e->u.call.fn == SQL_FN_DENSE_RANK) && ord->n == 0)
    return sqlv_fail(c, n,
                     "RANK or DENSE_RANK functions require ORDER BY clause in window "
                     "specification");
  o->frame = w->u.window.frame;
  o->lower = w->u.window.lower;
  o->upper = w->u.window.upper;
  const sql_node *b[2] = {o->lower, o->upper};
  sql_expr **off[2] = {&o->lower_offset, &o->upper_offset};
  for (int i = 0; i < 2; i++)
    if (b[i] && b[i]->u.bound.offset) {
      int rc = sqlv_expr(c, b[i]->u.bound.offset, off[i]);
      if (rc) return rc;
      if ((*off[i])->kind != SQL_E_LITERAL)
        return sqlv_fail(c, b[i]->u.bound.offset, "Window boundary must be a literal");
    }
  e->u.call.over = o;
  e->aggregate = false;
  return 0;
}

int sqlv_function(sqlv_ctx *c, const sql_node *n, sql_expr **out) {
  char name[256];
  bool simple = name_of_call(n, name, sizeof name) == 0;
  const sql_function *uf = user_function(c, n, true);
  const fn_def *d = simple && !uf ? find(name) : NULL;
  if (!uf && !d) uf = user_function(c, n, false);
  bool window_fn = d && d->fn >= SQL_FN_ROW_NUMBER && d->fn <= SQL_FN_DENSE_RANK;
  if (window_fn && !n->u.call.over)
    return sqlv_fail(c, n, "OVER clause is necessary for window functions");
  if (n->u.call.over && !window_fn && !(d && d->aggregate))
    return sqlv_fail(c, n, "OVER must be applied to aggregate function");
  int m = n->u.call.args.n;
  /* TRIM's character list is optional: [chars?, x] */
  sql_expr *e = sqlv_call(c, n, d ? d->fn : SQL_FN_NONE, m);
  if (!e) return SPATE_ENOMEM;
  for (int i = 0; i < m; i++) {
    int rc = sqlv_expr(c, n->u.call.args.v[i], &e->u.call.args[i]);
    if (rc) return rc;
  }
  if (uf) return udf_call(c, n, uf, e, out);
  if (!d) {
    char args[700];
    size_t k = 0;
    args[0] = 0;
    for (int i = 0; i < m && k < sizeof args; i++)
      k += (size_t)snprintf(args + k, sizeof args - k, "%s<%s>", i ? ", " : "",
                            sqlv_family_name(e->u.call.args[i]->type));
    return sqlv_fail(c, n, "No match found for function signature %s(%s)", name, args);
  }
  e->u.call.unit = n->u.call.unit;
  e->u.call.trim = n->u.call.trim;
  e->aggregate = d->aggregate;
  if (n->u.call.star) {
    if (d->fn != SQL_FN_COUNT)
      return sqlv_fail(c, n, "Only COUNT accepts '*' as its argument, not %s", d->name);
    e->u.call.flags |= SQL_CALL_STAR;
  } else if (d->fn == SQL_FN_COUNT && m == 0) {
    return sqlv_fail(c, n,
                     "Invalid number of arguments to function 'COUNT'. Was expecting 1 "
                     "arguments");
  }
  if (n->u.call.quantifier == SQL_QUANT_DISTINCT) {
    if (!d->aggregate) return sqlv_fail(c, n, "DISTINCT/ALL not allowed with %s function", d->name);
    e->u.call.flags |= SQL_CALL_DISTINCT;
  }
  if (n->u.call.filter && !d->aggregate)
    return sqlv_fail(c, n, "FILTER must not be applied to non-aggregate function %s", d->name);
  if (n->u.call.filter) {
    sql_expr *f = NULL;
    int frc = sqlv_expr(c, n->u.call.filter, &f);
    if (frc) return frc;
    if (f->aggregate)
      return sqlv_fail(c, n->u.call.filter, "Aggregate expressions cannot be nested");
    if (f->type->kind != SQL_T_BOOLEAN && f->type->kind != SQL_T_NULL)
      return sqlv_fail(c, n->u.call.filter, "FILTER expression must be of type BOOLEAN");
    e->u.call.filter = f;
  }
  if (m < d->min || (d->max >= 0 && m > d->max)) {
    if (d->min == d->max)
      return sqlv_fail(c, n,
                       "Invalid number of arguments to function '%s'. Was expecting %d arguments",
                       d->name, d->min);
    return sqlv_fail(c, n, "Invalid number of arguments to function '%s'", d->name);
  }
  for (int i = 0; i < m && d->aggregate; i++)
    if (e->u.call.args[i]->aggregate)
      return sqlv_fail(c, n->u.call.args.v[i], "Aggregate expressions cannot be nested");
  bool bad = false;
  c->err->msg[0] = 0;
  const sql_type *t = type_call(c, n, e, &bad);
  if (!t) {
    if (c->err->msg[0]) return SPATE_EINVAL;
    if (!bad) return SPATE_ENOMEM;
    return cannot_apply(c, n, d, e);
  }
  e->type = t;
  if (n->u.call.over) {
    int rc = over(c, n, e);
    if (rc) return rc;
  }
  *out = e;
  return 0;
}
