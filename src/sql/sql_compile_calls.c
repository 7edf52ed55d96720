/*
 * sql_compile_calls.c: the expression compiler's calls of built-in functions (sql_compile.h):
 * string, time and math functions, each an SQLP_CALL of the program's function with its
 * operands brought to the kinds the function takes, and the result cast to the validator's
 * type where the function's own differs.
 */
#include <string.h>

#include "sql/sql_compile_int.h"

int sqlc_call_fn(sqlc *c, const sql_expr *e, int fn, int unit, int a, int b, int d_,
                 const sqlp_reg *R) {
  if (c->rc) return -1;
  int d = sqlc_new_reg(c, *R);
  if (d < 0 || sqlc_emit(c, SQLP_CALL, d, a, b, d_, (int64_t)fn | (int64_t)unit << 16) < 0)
    return -1;
  (void)e;
  return d;
}

/* A call's result cast to the validator's type when the function's own differs. */
int sqlc_to_result(sqlc *c, const sql_expr *e, int r) {
  sqlp_reg R;
  if (r < 0) return -1;
  if (!sqlc_type_reg(e->type, &R) || sqlc_same_reg(&R, &c->regs[r])) return r;
  int d = sqlc_new_reg(c, R);
  if (d < 0 || sqlc_emit(c, SQLP_CAST, d, r, -1, -1, 0) < 0) return -1;
  return d;
}

static int arg_str(sqlc *c, const sql_expr *e, int i) {
  return i < e->u.call.nargs ? sqlc_expr_kind(c, e->u.call.args[i], SQLP_STR) : -1;
}
static int arg_i32(sqlc *c, const sql_expr *e, int i) {
  return i < e->u.call.nargs ? sqlc_expr_kind(c, e->u.call.args[i], SQLP_I32) : -1;
}

/* A temporal operand: DATE, TIMESTAMP or TIMESTAMP_LTZ as it is, a string as TIMESTAMP(3). */
static int arg_temporal(sqlc *c, const sql_expr *x) {
  sqlp_reg r;
  if (!sqlc_type_reg(x->type, &r) || r.kind == SQLP_STR) r = sqlc_reg_k(SQLP_TS, 3, 0);
  if (r.kind != SQLP_DATE && r.kind != SQLP_TS && r.kind != SQLP_TS_LTZ)
    return sqlc_fail(c, x, "a date or timestamp is needed here");
  return sqlc_expr_to(c, x, &r);
}

int sqlc_string_call(sqlc *c, const sql_expr *e) {
  int fn = e->u.call.fn, n = e->u.call.nargs;
  sqlp_reg S = sqlc_reg_k(SQLP_STR, 0, 0), I = sqlc_reg_k(SQLP_I32, 0, 0),
           B = sqlc_reg_k(SQLP_BOOL, 0, 0);
  int a, b, r;
  switch (fn) {
  case SQL_FN_CONCAT_OP:
  case SQL_FN_CONCAT: {
    sqlp_reg R;
    if (sqlc_type_reg(e->type, &R) && R.kind == SQLP_BIN)
      return sqlc_fail(c, e, "concatenation of BYTES is not supported yet");
    r = arg_str(c, e, 0);
    for (int i = 1; i < n && r >= 0; i++) {
      b = arg_str(c, e, i);
      r = b < 0 ? -1 : sqlc_call_fn(c, e, SQLP_FN_CONCAT, 0, r, b, -1, &S);
    }
    return r;
  }
  case SQL_FN_CONCAT_WS: {
    int sep = arg_str(c, e, 0);
    if (sep < 0) return -1;
    if (n == 1) return sqlc_const_str(c, "");
    int acc = arg_str(c, e, 1);
    int nul = acc < 0 ? -1 : sqlc_null(c, &S);
    for (int i = 2; i < n && acc >= 0; i++) {
      b = arg_str(c, e, i);
      acc = b < 0 ? -1 : sqlc_call_fn(c, e, SQLP_FN_CONCAT_WS, 0, sep, acc, b, &S);
    }
    if (n == 2 && acc >= 0) acc = sqlc_call_fn(c, e, SQLP_FN_CONCAT_WS, 0, sep, acc, nul, &S);
    if (acc < 0) return -1;
    /* every string NULL: '' (a NULL separator stays NULL) */
    int d = sqlc_new_reg(c, S);
    if (d < 0 || sqlc_emit(c, SQLP_MOVE, d, acc, -1, -1, 0) < 0) return -1;
    int j1 = sqlc_emit(c, SQLP_JUMP_NOT_NULL, -1, d, -1, -1, 0);
    int sn = sqlc_op2(c, SQLP_IS, SQLP_BOOL, sep, -1, SQLP_IS_NULL);
    int j2 = sn < 0 ? -1 : sqlc_emit(c, SQLP_JUMP_TRUE, -1, sn, -1, -1, 0);
    int empty = j2 < 0 ? -1 : sqlc_const_str(c, "");
    if (empty < 0 || sqlc_emit(c, SQLP_MOVE, d, empty, -1, -1, 0) < 0) return -1;
    sqlc_patch(c, j1);
    sqlc_patch(c, j2);
    return d;
  }
  case SQL_FN_UPPER:
  case SQL_FN_LOWER:
  case SQL_FN_INITCAP:
    a = arg_str(c, e, 0);
    return a < 0 ? -1
                 : sqlc_call_fn(c, e,
                                fn == SQL_FN_UPPER   ? SQLP_FN_UPPER
                                : fn == SQL_FN_LOWER ? SQLP_FN_LOWER
                                                     : SQLP_FN_INITCAP,
                                0, a, -1, -1, &S);
  case SQL_FN_CHAR_LENGTH:
    a = arg_str(c, e, 0);
    return sqlc_to_result(c, e,
                          a < 0 ? -1 : sqlc_call_fn(c, e, SQLP_FN_CHAR_LENGTH, 0, a, -1, -1, &I));
  case SQL_FN_TRIM:
  case SQL_FN_LTRIM:
  case SQL_FN_RTRIM: {
    int side = fn == SQL_FN_LTRIM   ? 2
               : fn == SQL_FN_RTRIM ? 3
               : e->u.call.trim     ? e->u.call.trim
                                    : 1;
    int chars = n == 2 ? arg_str(c, e, 0) : sqlc_const_str(c, " ");
    int x = chars < 0 ? -1 : arg_str(c, e, n - 1);
    return x < 0 ? -1 : sqlc_call_fn(c, e, SQLP_FN_TRIM, side, chars, x, -1, &S);
  }
  case SQL_FN_SUBSTRING: {
    int x = arg_str(c, e, 0), from = x < 0 ? -1 : arg_i32(c, e, 1);
    int len = n > 2 && from >= 0 ? arg_i32(c, e, 2) : -1;
    if (from < 0 || (n > 2 && len < 0)) return -1;
    return sqlc_call_fn(c, e, SQLP_FN_SUBSTRING, 0, x, from, len, &S);
  }
  case SQL_FN_POSITION: {
    a = arg_str(c, e, 0);
    b = a < 0 ? -1 : arg_str(c, e, 1);
    int from = n > 2 && b >= 0 ? arg_i32(c, e, 2) : -1;
    if (b < 0 || (n > 2 && from < 0)) return -1;
    return sqlc_to_result(c, e, sqlc_call_fn(c, e, SQLP_FN_POSITION, 0, a, b, from, &I));
  }
  case SQL_FN_REPLACE:
  case SQL_FN_REGEXP_REPLACE:
  case SQL_FN_LPAD:
  case SQL_FN_RPAD: {
    bool pad = fn == SQL_FN_LPAD || fn == SQL_FN_RPAD;
    a = arg_str(c, e, 0);
    b = a < 0 ? -1 : pad ? arg_i32(c, e, 1) : arg_str(c, e, 1);
    int x = b < 0 ? -1 : arg_str(c, e, 2);
    if (x < 0) return -1;
    int f = fn == SQL_FN_REPLACE ? SQLP_FN_REPLACE
            : fn == SQL_FN_LPAD  ? SQLP_FN_LPAD
            : fn == SQL_FN_RPAD  ? SQLP_FN_RPAD
                                 : SQLP_FN_REGEXP_REPLACE;
    return sqlc_call_fn(c, e, f, 0, a, b, x, &S);
  }
  case SQL_FN_REGEXP:
    a = arg_str(c, e, 0);
    b = a < 0 ? -1 : arg_str(c, e, 1);
    return b < 0 ? -1 : sqlc_call_fn(c, e, SQLP_FN_REGEXP, 0, a, b, -1, &B);
  case SQL_FN_REGEXP_EXTRACT:
  case SQL_FN_SPLIT_INDEX: {
    a = arg_str(c, e, 0);
    b = a < 0 ? -1 : arg_str(c, e, 1);
    int x = n > 2 && b >= 0 ? arg_i32(c, e, 2) : -1;
    if (b < 0 || (n > 2 && x < 0)) return -1;
    if (fn == SQL_FN_SPLIT_INDEX && n < 3) return sqlc_fail(c, e, "SPLIT_INDEX needs an index");
    return sqlc_call_fn(c, e,
                        fn == SQL_FN_SPLIT_INDEX ? SQLP_FN_SPLIT_INDEX : SQLP_FN_REGEXP_EXTRACT, 0,
                        a, b, x, &S);
  }
  case SQL_FN_LIKE:
  case SQL_FN_SIMILAR_TO: {
    a = arg_str(c, e, 0);
    b = a < 0 ? -1 : arg_str(c, e, 1);
    int x = n > 2 && b >= 0 ? arg_str(c, e, 2) : -1;
    if (b < 0 || (n > 2 && x < 0)) return -1;
    r = sqlc_call_fn(c, e, fn == SQL_FN_LIKE ? SQLP_FN_LIKE : SQLP_FN_SIMILAR, 0, a, b, x, &B);
    return e->u.call.flags & SQL_CALL_NEGATED ? sqlc_not(c, r) : r;
  }
  default: return sqlc_fail(c, e, "function %s is not supported yet", sql_fn_name(fn));
  }
}

static int64_t unit_ms(int unit) {
  switch (unit) {
  case SQL_UNIT_WEEK: return 7 * 86400000LL;
  case SQL_UNIT_DAY: return 86400000LL;
  case SQL_UNIT_HOUR: return 3600000;
  case SQL_UNIT_MINUTE: return 60000;
  case SQL_UNIT_SECOND: return 1000;
  case SQL_UNIT_MILLISECOND: return 1;
  default: return 0;
  }
}

int sqlc_temporal_call(sqlc *c, const sql_expr *e) {
  int fn = e->u.call.fn, n = e->u.call.nargs, unit = e->u.call.unit;
  sql_expr *const *args = e->u.call.args;
  sqlp_reg R;
  bool typed = sqlc_type_reg(e->type, &R);
  int a, b;
  switch (fn) {
  case SQL_FN_CURRENT_TIMESTAMP:
  case SQL_FN_NOW:
  case SQL_FN_PROCTIME:
  case SQL_FN_CURRENT_ROW_TIMESTAMP: {
    sqlp_reg t = sqlc_reg_k(SQLP_TS_LTZ, 3, 0);
    return sqlc_to_result(c, e, sqlc_call_fn(c, e, SQLP_FN_NOW, 0, -1, -1, -1, &t));
  }
  case SQL_FN_LOCALTIMESTAMP: {
    sqlp_reg t = sqlc_reg_k(SQLP_TS, 3, 0);
    return sqlc_to_result(c, e, sqlc_call_fn(c, e, SQLP_FN_LOCALTS, 0, -1, -1, -1, &t));
  }
  case SQL_FN_CURRENT_DATE: {
    sqlp_reg t = sqlc_reg_k(SQLP_DATE, 0, 0);
    return sqlc_call_fn(c, e, SQLP_FN_CURRENT_DATE, 0, -1, -1, -1, &t);
  }
  case SQL_FN_CURRENT_TIME:
  case SQL_FN_LOCALTIME: {
    sqlp_reg t = sqlc_reg_k(SQLP_TIME, 0, 0);
    return sqlc_to_result(c, e, sqlc_call_fn(c, e, SQLP_FN_CURRENT_TIME, 0, -1, -1, -1, &t));
  }
  case SQL_FN_EXTRACT: {
    sqlp_reg t;
    if (!sqlc_type_reg(args[0]->type, &t))
      return sqlc_fail(c, e, "EXTRACT from this type is not supported");
    if (t.kind == SQLP_IVL_YM && unit != SQL_UNIT_YEAR && unit != SQL_UNIT_QUARTER &&
        unit != SQL_UNIT_MONTH)
      return sqlc_fail(c, e, "EXTRACT %s from a year-month interval is not supported",
                       sql_unit_name(unit));
    if (t.kind == SQLP_IVL_DT && (unit < SQL_UNIT_DAY || unit > SQL_UNIT_MILLISECOND) &&
        unit != SQL_UNIT_EPOCH)
      return sqlc_fail(c, e, "EXTRACT %s from a day-time interval is not supported",
                       sql_unit_name(unit));
    a = sqlc_expr(c, args[0]);
    sqlp_reg I = sqlc_reg_k(SQLP_I64, 0, 0);
    return a < 0 ? -1 : sqlc_call_fn(c, e, SQLP_FN_EXTRACT, unit, a, -1, -1, &I);
  }
  case SQL_FN_FLOOR:
  case SQL_FN_CEIL: {
    sqlp_reg t;
    if (!typed || !sqlc_type_reg(args[0]->type, &t))
      return sqlc_fail(c, e, "unsupported FLOOR/CEIL");
    if (sqlc_is_ivl(&t)) return sqlc_fail(c, e, "FLOOR/CEIL of an interval is not supported yet");
    if (unit == SQL_UNIT_NONE) {
      if (t.kind == SQLP_DATE || t.kind == SQLP_TIME || t.kind == SQLP_TS)
        return sqlc_fail(c, e, "FLOOR/CEIL of a date or time needs a unit");
      a = sqlc_expr(c, args[0]);
      return a < 0 ? -1
                   : sqlc_call_fn(c, e, fn == SQL_FN_FLOOR ? SQLP_FN_FLOOR : SQLP_FN_CEIL, 0, a, -1,
                                  -1, &R);
    }
    if (t.kind == SQLP_TIME) return sqlc_fail(c, e, "FLOOR/CEIL of a TIME is not supported yet");
    a = sqlc_expr(c, args[0]);
    return sqlc_to_result(
        c, e,
        a < 0 ? -1
              : sqlc_call_fn(c, e, fn == SQL_FN_FLOOR ? SQLP_FN_FLOOR_TIME : SQLP_FN_CEIL_TIME,
                             unit, a, -1, -1, &c->regs[a]));
  }
  case SQL_FN_TIMESTAMPADD: {
    if (!typed) return sqlc_fail(c, e, "unsupported TIMESTAMPADD");
    int64_t months = unit == SQL_UNIT_YEAR      ? 12
                     : unit == SQL_UNIT_QUARTER ? 3
                     : unit == SQL_UNIT_MONTH   ? 1
                                                : 0;
    int64_t ms = unit_ms(unit);
    if (!months && !ms)
      return sqlc_fail(c, e, "TIMESTAMPADD by %s is not supported", sql_unit_name(unit));
    int step = sqlc_const_int(c, months ? SQLP_IVL_YM : SQLP_IVL_DT, months ? months : ms);
    int count = step < 0 ? -1 : sqlc_expr_kind(c, args[0], SQLP_I64);
    int iv = count < 0 ? -1
                       : sqlc_op2(c, SQLP_ARITH, months ? SQLP_IVL_YM : SQLP_IVL_DT, step, count,
                                  SQLP_MUL);
    int t = iv < 0 ? -1 : sqlc_expr_to(c, args[1], &R);
    if (t < 0) return -1;
    int d = sqlc_new_reg(c, R);
    if (d < 0 || sqlc_emit(c, SQLP_TIME_ADD, d, t, iv, -1, 1) < 0) return -1;
    return d;
  }
  case SQL_FN_TIMESTAMPDIFF: {
    const sql_expr *pair[2] = {args[0], args[1]};
    sqlp_reg t;
    if (!sqlc_common(c, pair, 2, &t)) return -1;
    if (t.kind != SQLP_DATE && t.kind != SQLP_TS && t.kind != SQLP_TS_LTZ)
      return sqlc_fail(c, e, "TIMESTAMPDIFF of a TIME is not supported yet");
    a = sqlc_expr_to(c, args[0], &t);
    b = a < 0 ? -1 : sqlc_expr_to(c, args[1], &t);
    sqlp_reg I = sqlc_reg_k(SQLP_I32, 0, 0);
    return b < 0 ? -1 : sqlc_call_fn(c, e, SQLP_FN_TSDIFF, unit, a, b, -1, &I);
  }
  case SQL_FN_DATE_FORMAT: {
    sqlp_reg S = sqlc_reg_k(SQLP_STR, 0, 0);
    a = arg_temporal(c, args[0]);
    b = a < 0 ? -1 : arg_str(c, e, 1);
    return b < 0 ? -1 : sqlc_call_fn(c, e, SQLP_FN_DATE_FORMAT, 0, a, b, -1, &S);
  }
  case SQL_FN_UNIX_TIMESTAMP: {
    sqlp_reg I = sqlc_reg_k(SQLP_I64, 0, 0);
    a = n > 0 ? arg_str(c, e, 0) : -1;
    b = n > 1 && a >= 0 ? arg_str(c, e, 1) : -1;
    if ((n > 0 && a < 0) || (n > 1 && b < 0)) return -1;
    return sqlc_call_fn(c, e, SQLP_FN_UNIX_TIMESTAMP, 0, a, b, -1, &I);
  }
  case SQL_FN_FROM_UNIXTIME: {
    sqlp_reg S = sqlc_reg_k(SQLP_STR, 0, 0);
    a = sqlc_expr_kind(c, args[0], SQLP_I64);
    b = n > 1 && a >= 0 ? arg_str(c, e, 1) : -1;
    if (a < 0 || (n > 1 && b < 0)) return -1;
    return sqlc_call_fn(c, e, SQLP_FN_FROM_UNIXTIME, 0, a, b, -1, &S);
  }
  case SQL_FN_TO_TIMESTAMP:
  case SQL_FN_TO_DATE: {
    sqlp_reg T = sqlc_reg_k(SQLP_TS, 3, 0);
    a = arg_str(c, e, 0);
    b = n > 1 && a >= 0 ? arg_str(c, e, 1) : -1;
    if (a < 0 || (n > 1 && b < 0)) return -1;
    if (fn == SQL_FN_TO_DATE && n == 1) { /* as TRY_CAST(s AS DATE) */
      sqlp_reg D = sqlc_reg_k(SQLP_DATE, 0, 0);
      int d = sqlc_new_reg(c, D);
      if (d < 0 || sqlc_emit(c, SQLP_CAST, d, a, -1, -1, 1) < 0) return -1;
      return d;
    }
    return sqlc_to_result(c, e, sqlc_call_fn(c, e, SQLP_FN_TO_TIMESTAMP, 0, a, b, -1, &T));
  }
  case SQL_FN_TO_TIMESTAMP_LTZ: {
    sqlp_reg t;
    if (!sqlc_type_reg(args[0]->type, &t)) return sqlc_fail(c, e, "unsupported TO_TIMESTAMP_LTZ");
    if (t.kind == SQLP_F32) t = sqlc_reg_k(SQLP_F64, 0, 0);
    a = sqlc_expr_to(c, args[0], &t);
    b = a < 0 ? -1 : n > 1 ? arg_i32(c, e, 1) : sqlc_const_int(c, SQLP_I32, 3);
    sqlp_reg T = sqlc_reg_k(SQLP_TS_LTZ, 3, 0);
    return b < 0 ? -1
                 : sqlc_to_result(c, e,
                                  sqlc_call_fn(c, e, SQLP_FN_TO_TIMESTAMP_LTZ, 0, a, b, -1, &T));
  }
  default: return sqlc_fail(c, e, "function %s is not supported yet", sql_fn_name(fn));
  }
}

int sqlc_math_call(sqlc *c, const sql_expr *e) {
  int fn = e->u.call.fn, n = e->u.call.nargs;
  sql_expr *const *args = e->u.call.args;
  sqlp_reg R, F = sqlc_reg_k(SQLP_F64, 0, 0);
  if (!sqlc_type_reg(e->type, &R)) return sqlc_fail(c, e, "unsupported %s", sql_fn_name(fn));
  int a, b;
  switch (fn) {
  case SQL_FN_ABS:
  case SQL_FN_SIGN:
    if (sqlc_is_ivl(&R)) return sqlc_fail(c, e, "ABS of an interval is not supported yet");
    a = sqlc_expr_to(c, args[0], &R);
    return a < 0 ? -1
                 : sqlc_call_fn(c, e, fn == SQL_FN_ABS ? SQLP_FN_ABS : SQLP_FN_SIGN, 0, a, -1, -1,
                                &R);
  case SQL_FN_POWER:
  case SQL_FN_SQRT:
  case SQL_FN_EXP:
  case SQL_FN_LN:
  case SQL_FN_LOG10: {
    int f = fn == SQL_FN_POWER  ? SQLP_FN_POWER
            : fn == SQL_FN_SQRT ? SQLP_FN_SQRT
            : fn == SQL_FN_EXP  ? SQLP_FN_EXP
            : fn == SQL_FN_LN   ? SQLP_FN_LN
                                : SQLP_FN_LOG10;
    a = sqlc_expr_to(c, args[0], &F);
    b = fn == SQL_FN_POWER && a >= 0 ? sqlc_expr_to(c, args[1], &F) : -1;
    if (a < 0 || (fn == SQL_FN_POWER && b < 0)) return -1;
    return sqlc_call_fn(c, e, f, 0, a, b, -1, &F);
  }
  case SQL_FN_ROUND: {
    a = sqlc_expr(c, args[0]);
    b = n > 1 && a >= 0 ? sqlc_expr_kind(c, args[1], SQLP_I32) : -1;
    if (a < 0 || (n > 1 && b < 0)) return -1;
    return sqlc_call_fn(c, e, SQLP_FN_ROUND, 0, a, b, -1, &R);
  }
  default: return sqlc_fail(c, e, "function %s is not supported yet", sql_fn_name(fn));
  }
}
