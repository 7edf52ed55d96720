/*
 * sql_compile.c: typed expressions to calc programs (sql_compile.h, operators/sql_program.h).
 *
 * One pass over each tree: every node gets a fresh register of the kind its SQL type maps to,
 * operands are cast to the type the operation computes in (the result type for arithmetic,
 * the common type for comparisons, IN, BETWEEN and the branches of CASE), control flow is
 * forward jumps patched once their target is known. AND and OR skip their right operand when
 * the left one decides, so `b <> 0 AND a / b > 1` does not divide by zero.
 *
 * Common sub-expressions: an expression computed on every path (not in the part of an AND, OR,
 * CASE or COALESCE that runs only on some) keeps its register, which an equal expression later
 * in the calc (in its condition or any projection) reuses instead of computing it again; RAND is
 * computed each time it appears.
 *
 * Constant folding: a CALL or CAST subtree without columns and without processing-time or
 * random functions is evaluated here, through the interpreter itself over an empty row, and
 * becomes one constant; when that evaluation fails the subtree is compiled as it is, and the
 * failure happens (with its message) when a row is evaluated.
 */
#include "sql/sql_compile.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/err.h"
#include "operators/sql_program.h"
#include "sql/sql_compile_int.h"
#include "sql/sql_rel.h"
#include "sql/sql_row_schema.h"
#include "sql/sql_udf.h"
#include "types/row_kind.h"

int sqlc_fail(sqlc *c, const sql_expr *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sqlc_fail(sqlc *c, const sql_expr *e, const char *fmt, ...) {
  if (c->rc) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
  va_end(ap);
  c->err->line = e ? e->line : 0;
  c->err->col = e ? e->col : 0;
  c->rc = SPATE_EINVAL;
  return -1;
}

int sqlc_oom(sqlc *c) {
  if (!c->rc) {
    snprintf(c->err->msg, sizeof c->err->msg, "out of memory while compiling an expression");
    c->rc = SPATE_ENOMEM;
  }
  return -1;
}

int sqlc_new_reg(sqlc *c, sqlp_reg r) {
  if (c->nregs >= SQLP_MAX_REGS)
    return sqlc_fail(c, NULL, "expression too large: more than %d values", SQLP_MAX_REGS);
  if (c->nregs == c->regcap) {
    uint32_t cap = c->regcap ? c->regcap * 2 : 32;
    sqlp_reg *n = sp_realloc(c->regs, cap * sizeof *n);
    if (!n) return sqlc_oom(c);
    c->regs = n;
    c->regcap = cap;
  }
  c->regs[c->nregs] = r;
  return (int)c->nregs++;
}

int sqlc_emit(sqlc *c, int op, int dst, int a, int b, int d, int64_t imm) {
  if (c->rc) return -1;
  if (c->nins >= SQLP_MAX_INS)
    return sqlc_fail(c, NULL, "expression too large: more than %d instructions", SQLP_MAX_INS);
  if (c->nins == c->inscap) {
    uint32_t cap = c->inscap ? c->inscap * 2 : 64;
    sqlp_ins *n = sp_realloc(c->ins, cap * sizeof *n);
    if (!n) return sqlc_oom(c);
    c->ins = n;
    c->inscap = cap;
  }
  sqlp_ins *in = &c->ins[c->nins];
  in->op = (uint8_t)op;
  in->dst = (uint16_t)(dst < 0 ? SQLP_NONE : dst);
  in->a = (uint16_t)(a < 0 ? SQLP_NONE : a);
  in->b = (uint16_t)(b < 0 ? SQLP_NONE : b);
  in->c = (uint16_t)(d < 0 ? SQLP_NONE : d);
  in->imm = imm;
  return (int)c->nins++;
}

/* Points jump instruction j at the next instruction to be emitted. */
void sqlc_patch(sqlc *c, int j) {
  if (j >= 0) c->ins[j].imm = c->nins;
}

/* ---- types ------------------------------------------------------------------------------ */

bool sqlc_type_reg(const sql_type *t, sqlp_reg *r) {
  memset(r, 0, sizeof *r);
  switch (t->kind) {
  case SQL_T_BOOLEAN: r->kind = SQLP_BOOL; break;
  case SQL_T_TINYINT: r->kind = SQLP_I8; break;
  case SQL_T_SMALLINT: r->kind = SQLP_I16; break;
  case SQL_T_INT: r->kind = SQLP_I32; break;
  case SQL_T_BIGINT: r->kind = SQLP_I64; break;
  case SQL_T_FLOAT:
  case SQL_T_REAL: r->kind = SQLP_F32; break;
  case SQL_T_DOUBLE: r->kind = SQLP_F64; break;
  case SQL_T_DECIMAL:
    r->kind = SQLP_DEC;
    r->precision = (uint8_t)t->precision;
    r->scale = (uint8_t)t->scale;
    break;
  case SQL_T_CHAR:
  case SQL_T_VARCHAR:
  case SQL_T_STRING: r->kind = SQLP_STR; break;
  case SQL_T_BINARY:
  case SQL_T_VARBINARY:
  case SQL_T_BYTES: r->kind = SQLP_BIN; break;
  case SQL_T_DATE: r->kind = SQLP_DATE; break;
  case SQL_T_TIME:
    r->kind = SQLP_TIME;
    r->precision = (uint8_t)t->precision;
    break;
  case SQL_T_TIMESTAMP:
    r->kind = SQLP_TS;
    r->precision = (uint8_t)t->precision;
    break;
  case SQL_T_TIMESTAMP_LTZ:
    r->kind = SQLP_TS_LTZ;
    r->precision = (uint8_t)t->precision;
    break;
  case SQL_T_INTERVAL:
    r->kind = t->qual.start == SQL_UNIT_YEAR || t->qual.start == SQL_UNIT_MONTH ? SQLP_IVL_YM
                                                                                : SQLP_IVL_DT;
    break;
  default: return false;
  }
  return true;
}

static bool field_reg(const schema_field *f, sqlp_reg *r) {
  r->kind = (uint8_t)sqlp_kind_of_field(f);
  r->precision = r->scale = 0;
  if (r->kind == SQLP_DEC) {
    r->precision = f->precision;
    r->scale = f->scale;
  } else if (r->kind == SQLP_TS || r->kind == SQLP_TS_LTZ || r->kind == SQLP_TIME) {
    r->precision = f->precision;
  }
  return r->kind != 0;
}

/* ---- constants ---------------------------------------------------------------------------- */

static int add_const(sqlc *c, const sqlp_reg *r, const sqlp_val *v) {
  int reg = sqlc_new_reg(c, *r);
  if (reg < 0) return -1;
  sp_writer *w = &c->consts;
  sp_put_u32(w, (uint32_t)reg);
  switch (r->kind) {
  case SQLP_F32:
  case SQLP_F64: {
    uint64_t bits;
    memcpy(&bits, &v->d, 8);
    sp_put_u64(w, bits);
    break;
  }
  case SQLP_DEC: {
    unsigned __int128 u = (unsigned __int128)v->x;
    sp_put_u64(w, (uint64_t)u);
    sp_put_u64(w, (uint64_t)(u >> 64));
    break;
  }
  case SQLP_STR:
  case SQLP_BIN: sp_put_blob(w, v->p, v->len); break;
  case SQLP_TS:
  case SQLP_TS_LTZ:
    sp_put_i64(w, v->i);
    sp_put_i32(w, v->nanos);
    break;
  default: sp_put_i64(w, v->i); break;
  }
  if (w->failed) return sqlc_oom(c);
  if (sqlc_emit(c, SQLP_CONST, reg, -1, -1, -1, c->nconsts) < 0) return -1;
  c->nconsts++;
  return reg;
}

int sqlc_const_str(sqlc *c, const char *s) {
  sqlp_val v = {.p = (const uint8_t *)s, .len = (uint32_t)strlen(s)};
  sqlp_reg r = sqlc_reg_k(SQLP_STR, 0, 0);
  return add_const(c, &r, &v);
}

int sqlc_const_int(sqlc *c, int kind, int64_t i) {
  sqlp_val v = {.i = i};
  sqlp_reg r = sqlc_reg_k(kind, 0, 0);
  return add_const(c, &r, &v);
}

int sqlc_null(sqlc *c, const sqlp_reg *r) {
  int reg = sqlc_new_reg(c, *r);
  if (reg < 0 || sqlc_emit(c, SQLP_NULL, reg, -1, -1, -1, 0) < 0) return -1;
  return reg;
}

static bool parse_digits(const char *s, spate_int128 *out) {
  bool neg = *s == '-';
  if (*s == '-' || *s == '+') s++;
  spate_int128 v = 0;
  if (!*s) return false;
  for (; *s; s++) {
    if (!isdigit((unsigned char)*s) || __builtin_mul_overflow(v, 10, &v) ||
        __builtin_add_overflow(v, *s - '0', &v))
      return false;
  }
  *out = neg ? -v : v;
  return true;
}

static int literal(sqlc *c, const sql_expr *e, const sqlp_reg *want) {
  const sql_literal_value *l = &e->u.lit;
  sqlp_reg r;
  if (l->kind == SQL_LIT_NULL || l->kind == SQL_LIT_UNKNOWN || sqlc_is_null_type(e)) {
    if (want) return sqlc_null(c, want);
    r = sqlc_reg_k(SQLP_BOOL, 0, 0);
    return sqlc_null(c, &r);
  }
  if (!sqlc_type_reg(e->type, &r)) return sqlc_fail(c, e, "literal of an unsupported type");
  sqlp_val v = {0};
  switch (l->kind) {
  case SQL_LIT_INTEGER:
    if (r.kind == SQLP_DEC) {
      v.x = l->i;
      break;
    }
    v.i = l->i;
    break;
  case SQL_LIT_DECIMAL:
    if (!parse_digits(l->digits, &v.x)) return sqlc_fail(c, e, "bad DECIMAL literal");
    if (r.kind != SQLP_DEC) return sqlc_fail(c, e, "DECIMAL literal of another type");
    break;
  case SQL_LIT_APPROX: v.d = l->d; break;
  case SQL_LIT_STRING:
  case SQL_LIT_BINARY:
    v.p = (const uint8_t *)l->s;
    v.len = (uint32_t)l->len;
    break;
  case SQL_LIT_TRUE: v.i = 1; break;
  case SQL_LIT_FALSE: v.i = 0; break;
  case SQL_LIT_DATE: v.i = l->i; break;
  case SQL_LIT_TIME: v.i = l->i / 1000000; break;
  case SQL_LIT_TIMESTAMP:
  case SQL_LIT_TIMESTAMP_LTZ:
    v.i = l->i * 1000 + l->nanos / 1000000;
    v.nanos = l->nanos % 1000000;
    if (l->kind == SQL_LIT_TIMESTAMP_LTZ) v.i = sqlp_tz_utc(c->tz, v.i);
    break;
  case SQL_LIT_INTERVAL: v.i = l->i; break;
  default: return sqlc_fail(c, e, "unsupported literal");
  }
  return add_const(c, &r, &v);
}

/* ---- expressions ------------------------------------------------------------------------ */

int sqlc_expr(sqlc *c, const sql_expr *e);

int sqlc_op2(sqlc *c, int op, int kind, int a, int b, int64_t imm) {
  int d = sqlc_new_reg(c, sqlc_reg_k(kind, 0, 0));
  if (d < 0 || sqlc_emit(c, op, d, a, b, -1, imm) < 0) return -1;
  return d;
}

/* AND / OR with the right operand skipped when the left decides. */
static int logic(sqlc *c, const sql_expr *const *args, int n, bool is_or) {
  int acc = sqlc_expr_kind(c, args[0], SQLP_BOOL);
  for (int i = 1; i < n && acc >= 0; i++) {
    int d = sqlc_new_reg(c, sqlc_reg_k(SQLP_BOOL, 0, 0));
    if (d < 0 || sqlc_emit(c, SQLP_MOVE, d, acc, -1, -1, 0) < 0) return -1;
    int t = sqlc_op2(c, SQLP_IS, SQLP_BOOL, acc, -1, is_or ? SQLP_IS_TRUE : SQLP_IS_FALSE);
    int j = t < 0 ? -1 : sqlc_emit(c, SQLP_JUMP_TRUE, -1, t, -1, -1, 0);
    c->cond++; /* the right operand runs only when the left does not decide */
    int r = j < 0 ? -1 : sqlc_expr_kind(c, args[i], SQLP_BOOL);
    c->cond--;
    if (r < 0 || sqlc_emit(c, is_or ? SQLP_OR : SQLP_AND, d, acc, r, -1, 0) < 0) return -1;
    sqlc_patch(c, j);
    acc = d;
  }
  return acc;
}

int sqlc_not(sqlc *c, int r) { return r < 0 ? -1 : sqlc_op2(c, SQLP_NOT, SQLP_BOOL, r, -1, 0); }

/* CASE / IF: pairs (cond, value) then the else value, into one register of the result. */
static int branches(sqlc *c, const sql_expr *e, sql_expr *const *args, int n) {
  sqlp_reg R;
  if (!sqlc_type_reg(e->type, &R)) {
    if (!sqlc_is_null_type(e)) return sqlc_fail(c, e, "conditional of an unsupported type");
    R = sqlc_reg_k(SQLP_BOOL, 0, 0);
  }
  int d = sqlc_new_reg(c, R);
  if (d < 0) return -1;
  int ends[256], nends = 0;
  if (n / 2 > 255) return sqlc_fail(c, e, "too many WHEN branches");
  /* the simple form CASE x WHEN v THEN ...: the operand first (an even count of arguments) */
  const sql_expr *operand = n % 2 == 0 ? args[0] : NULL;
  int first = operand ? 1 : 0, cond0 = c->cond;
  for (int i = first; i + 1 < n; i += 2) {
    int cond =
        operand ? sqlc_cmp(c, operand, args[i], SQLP_EQ) : sqlc_expr_kind(c, args[i], SQLP_BOOL);
    int skip = cond < 0 ? -1 : sqlc_emit(c, SQLP_JUMP_NOT_TRUE, -1, cond, -1, -1, 0);
    c->cond = cond0 + 1; /* all but the first condition run on some paths only */
    int v = skip < 0 ? -1 : sqlc_expr_to(c, args[i + 1], &R);
    if (v < 0 || sqlc_emit(c, SQLP_MOVE, d, v, -1, -1, 0) < 0) return -1;
    if ((ends[nends++] = sqlc_emit(c, SQLP_JUMP, -1, -1, -1, -1, 0)) < 0) return -1;
    sqlc_patch(c, skip);
  }
  c->cond = cond0 + 1;
  int v = sqlc_expr_to(c, args[n - 1], &R);
  c->cond = cond0;
  if (v < 0 || sqlc_emit(c, SQLP_MOVE, d, v, -1, -1, 0) < 0) return -1;
  for (int i = 0; i < nends; i++) sqlc_patch(c, ends[i]);
  return d;
}

static int coalesce(sqlc *c, const sql_expr *e, sql_expr *const *args, int n) {
  sqlp_reg R;
  if (!sqlc_type_reg(e->type, &R)) {
    if (!sqlc_is_null_type(e)) return sqlc_fail(c, e, "COALESCE of an unsupported type");
    R = sqlc_reg_k(SQLP_BOOL, 0, 0);
  }
  int d = sqlc_new_reg(c, R);
  if (d < 0) return -1;
  int ends[256], nends = 0;
  if (n > 256) return sqlc_fail(c, e, "too many COALESCE operands");
  for (int i = 0; i < n; i++) {
    c->cond += i == 1; /* operands after the first run while the value is NULL only */
    int v = sqlc_expr_to(c, args[i], &R);
    if (v < 0 || sqlc_emit(c, SQLP_MOVE, d, v, -1, -1, 0) < 0) return -1;
    if (i + 1 < n && (ends[nends++] = sqlc_emit(c, SQLP_JUMP_NOT_NULL, -1, d, -1, -1, 0)) < 0)
      return -1;
  }
  if (n > 1) c->cond--;
  for (int i = 0; i < nends; i++) sqlc_patch(c, ends[i]);
  return d;
}

static int call(sqlc *c, const sql_expr *e) {
  int fn = e->u.call.fn, n = e->u.call.nargs;
  sql_expr *const *args = e->u.call.args;
  if (e->aggregate)
    return sqlc_fail(c, e, "aggregate function %s cannot be evaluated in a projection or filter",
                     sql_fn_name(fn));
  switch (fn) {
  case SQL_FN_UDF: return sqlc_udf_call(c, e);
  case SQL_FN_PLUS: return sqlc_arith(c, e, SQLP_ADD);
  case SQL_FN_MINUS: return sqlc_arith(c, e, SQLP_SUB);
  case SQL_FN_TIMES: return sqlc_arith(c, e, SQLP_MUL);
  case SQL_FN_DIVIDE: return sqlc_arith(c, e, SQLP_DIV);
  case SQL_FN_MOD:
  case SQL_FN_MOD_FN: return sqlc_arith(c, e, SQLP_MOD);
  case SQL_FN_NEGATE: {
    sqlp_reg R;
    if (!sqlc_type_reg(e->type, &R)) return sqlc_fail(c, e, "negation of an unsupported type");
    int a = sqlc_expr_to(c, args[0], &R);
    int d = a < 0 ? -1 : sqlc_new_reg(c, R);
    if (d < 0 || sqlc_emit(c, SQLP_NEG, d, a, -1, -1, 0) < 0) return -1;
    return d;
  }
  case SQL_FN_EQ: return sqlc_cmp(c, args[0], args[1], SQLP_EQ);
  case SQL_FN_NE: return sqlc_cmp(c, args[0], args[1], SQLP_NE);
  case SQL_FN_LT: return sqlc_cmp(c, args[0], args[1], SQLP_LT);
  case SQL_FN_LE: return sqlc_cmp(c, args[0], args[1], SQLP_LE);
  case SQL_FN_GT: return sqlc_cmp(c, args[0], args[1], SQLP_GT);
  case SQL_FN_GE: return sqlc_cmp(c, args[0], args[1], SQLP_GE);
  case SQL_FN_IS_DISTINCT_FROM: return sqlc_cmp(c, args[0], args[1], SQLP_DISTINCT);
  case SQL_FN_IS_NOT_DISTINCT_FROM: return sqlc_cmp(c, args[0], args[1], SQLP_NOT_DISTINCT);
  case SQL_FN_AND: return logic(c, (const sql_expr *const *)args, n, false);
  case SQL_FN_OR: return logic(c, (const sql_expr *const *)args, n, true);
  case SQL_FN_NOT: return sqlc_not(c, sqlc_expr_kind(c, args[0], SQLP_BOOL));
  case SQL_FN_IS_NULL:
  case SQL_FN_IS_NOT_NULL: {
    int a = sqlc_is_null_type(args[0]) ? sqlc_null(c, &(sqlp_reg){SQLP_BOOL, 0, 0})
                                       : sqlc_expr(c, args[0]);
    return a < 0 ? -1
                 : sqlc_op2(c, SQLP_IS, SQLP_BOOL, a, -1,
                            fn == SQL_FN_IS_NULL ? SQLP_IS_NULL : SQLP_IS_NOT_NULL);
  }
  case SQL_FN_IS_TRUE:
  case SQL_FN_IS_NOT_TRUE:
  case SQL_FN_IS_FALSE:
  case SQL_FN_IS_NOT_FALSE:
  case SQL_FN_IS_UNKNOWN:
  case SQL_FN_IS_NOT_UNKNOWN: {
    int a = sqlc_expr_kind(c, args[0], SQLP_BOOL);
    int how = fn == SQL_FN_IS_TRUE        ? SQLP_IS_TRUE
              : fn == SQL_FN_IS_NOT_TRUE  ? SQLP_IS_NOT_TRUE
              : fn == SQL_FN_IS_FALSE     ? SQLP_IS_FALSE
              : fn == SQL_FN_IS_NOT_FALSE ? SQLP_IS_NOT_FALSE
              : fn == SQL_FN_IS_UNKNOWN   ? SQLP_IS_NULL
                                          : SQLP_IS_NOT_NULL;
    return a < 0 ? -1 : sqlc_op2(c, SQLP_IS, SQLP_BOOL, a, -1, how);
  }
  case SQL_FN_BETWEEN: {
    sqlp_reg t;
    if (!sqlc_common(c, (const sql_expr *const *)args, 3, &t)) return -1;
    int x = sqlc_expr_to(c, args[0], &t), lo = x < 0 ? -1 : sqlc_expr_to(c, args[1], &t);
    int hi = lo < 0 ? -1 : sqlc_expr_to(c, args[2], &t);
    if (hi < 0) return -1;
    int r1 = sqlc_op2(c, SQLP_CMP, SQLP_BOOL, x, lo, SQLP_GE),
        r2 = sqlc_op2(c, SQLP_CMP, SQLP_BOOL, x, hi, SQLP_LE);
    int r = r2 < 0 ? -1 : sqlc_op2(c, SQLP_AND, SQLP_BOOL, r1, r2, 0);
    if (r >= 0 && (e->u.call.flags & SQL_CALL_SYMMETRIC)) {
      int s1 = sqlc_op2(c, SQLP_CMP, SQLP_BOOL, x, hi, SQLP_GE),
          s2 = sqlc_op2(c, SQLP_CMP, SQLP_BOOL, x, lo, SQLP_LE);
      int s = s2 < 0 ? -1 : sqlc_op2(c, SQLP_AND, SQLP_BOOL, s1, s2, 0);
      r = s < 0 ? -1 : sqlc_op2(c, SQLP_OR, SQLP_BOOL, r, s, 0);
    }
    return e->u.call.flags & SQL_CALL_NEGATED ? sqlc_not(c, r) : r;
  }
  case SQL_FN_IN: {
    sqlp_reg t;
    if (!sqlc_common(c, (const sql_expr *const *)args, n, &t)) return -1;
    int x = sqlc_expr_to(c, args[0], &t), r = -1;
    for (int i = 1; i < n && x >= 0; i++) {
      int v = sqlc_expr_to(c, args[i], &t);
      int eq = v < 0 ? -1 : sqlc_op2(c, SQLP_CMP, SQLP_BOOL, x, v, SQLP_EQ);
      if (eq < 0) return -1;
      r = r < 0 ? eq : sqlc_op2(c, SQLP_OR, SQLP_BOOL, r, eq, 0);
      if (r < 0) return -1;
    }
    if (x < 0 || r < 0) return -1;
    return e->u.call.flags & SQL_CALL_NEGATED ? sqlc_not(c, r) : r;
  }
  case SQL_FN_CASE: return branches(c, e, args, n);
  case SQL_FN_IF: return branches(c, e, args, n);
  case SQL_FN_COALESCE:
  case SQL_FN_IFNULL: return coalesce(c, e, args, n);
  case SQL_FN_NULLIF: {
    sqlp_reg R;
    if (!sqlc_type_reg(e->type, &R)) return sqlc_fail(c, e, "NULLIF of an unsupported type");
    int v = sqlc_expr_to(c, args[0], &R);
    int eq = v < 0 ? -1 : sqlc_cmp(c, args[0], args[1], SQLP_EQ);
    int d = eq < 0 ? -1 : sqlc_new_reg(c, R);
    if (d < 0 || sqlc_emit(c, SQLP_MOVE, d, v, -1, -1, 0) < 0) return -1;
    int j = sqlc_emit(c, SQLP_JUMP_NOT_TRUE, -1, eq, -1, -1, 0);
    if (j < 0 || sqlc_emit(c, SQLP_NULL, d, -1, -1, -1, 0) < 0) return -1;
    sqlc_patch(c, j);
    return d;
  }
  case SQL_FN_CURRENT_TIMESTAMP:
  case SQL_FN_NOW:
  case SQL_FN_LOCALTIMESTAMP:
  case SQL_FN_CURRENT_DATE:
  case SQL_FN_CURRENT_TIME:
  case SQL_FN_LOCALTIME:
  case SQL_FN_PROCTIME:
  case SQL_FN_CURRENT_ROW_TIMESTAMP:
  case SQL_FN_DATE_FORMAT:
  case SQL_FN_EXTRACT:
  case SQL_FN_TIMESTAMPADD:
  case SQL_FN_TIMESTAMPDIFF:
  case SQL_FN_TO_TIMESTAMP:
  case SQL_FN_TO_TIMESTAMP_LTZ:
  case SQL_FN_UNIX_TIMESTAMP:
  case SQL_FN_TO_DATE:
  case SQL_FN_FROM_UNIXTIME: return sqlc_temporal_call(c, e);
  case SQL_FN_FLOOR:
  case SQL_FN_CEIL: return sqlc_temporal_call(c, e);
  case SQL_FN_ABS:
  case SQL_FN_SIGN:
  case SQL_FN_POWER:
  case SQL_FN_SQRT:
  case SQL_FN_EXP:
  case SQL_FN_LN:
  case SQL_FN_LOG10:
  case SQL_FN_ROUND: return sqlc_math_call(c, e);
  case SQL_FN_MD5:
  case SQL_FN_SHA256:
    return sqlc_fail(c, e, "function %s is not supported: no digest library is linked",
                     sql_fn_name(fn));
  case SQL_FN_RAND: {
    sqlp_reg F = sqlc_reg_k(SQLP_F64, 0, 0);
    int seed = n > 0 ? sqlc_expr_kind(c, args[0], SQLP_I32) : -1;
    if (n > 0 && seed < 0) return -1;
    return sqlc_to_result(c, e, sqlc_call_fn(c, e, SQLP_FN_RAND, 0, seed, -1, -1, &F));
  }
  case SQL_FN_JSON_VALUE:
  case SQL_FN_JSON_QUERY: {
    /* the defaults only (NULL ON EMPTY, NULL ON ERROR, WITHOUT WRAPPER): the typed tree does
     * not carry the clauses; JSON_VALUE's RETURNING type is a TRY_CAST of the text */
    sqlp_reg S = sqlc_reg_k(SQLP_STR, 0, 0), R;
    int a = sqlc_expr_kind(c, args[0], SQLP_STR),
        b = a < 0 ? -1 : sqlc_expr_kind(c, args[1], SQLP_STR);
    int r = b < 0 ? -1
                  : sqlc_call_fn(c, e,
                                 fn == SQL_FN_JSON_VALUE ? SQLP_FN_JSON_VALUE : SQLP_FN_JSON_QUERY,
                                 0, a, b, -1, &S);
    if (r < 0 || !sqlc_type_reg(e->type, &R) || sqlc_same_reg(&R, &S)) return r;
    if (!sqlp_castable(SQLP_STR, R.kind))
      return sqlc_fail(c, e, "JSON_VALUE RETURNING this type is not supported yet");
    int d = sqlc_new_reg(c, R);
    if (d < 0 || sqlc_emit(c, SQLP_CAST, d, r, -1, -1, 1) < 0) return -1;
    return d;
  }
  default: return sqlc_string_call(c, e);
  }
}

static int eval_const_row(sql_expr *const *exprs, const char *const *names, int n,
                          const sqlp_tz *tz, bool fold, int64_t now_ms, spate_schema **schema,
                          uint8_t **row, size_t *len, sql_verror *err);

/* Folds a constant subtree into one constant; -2 when it cannot be folded (compile it). */
static int fold(sqlc *c, const sql_expr *e) {
  sqlp_reg R;
  if (!sqlc_type_reg(e->type, &R)) return -2;
  sql_expr *one[1] = {(sql_expr *)e};
  const char *name[1] = {"c"};
  spate_schema *s = NULL;
  uint8_t *row = NULL;
  size_t len;
  sql_verror ferr;
  int rc = eval_const_row(one, name, 1, c->tz, false, 0, &s, &row, &len, &ferr);
  if (rc == SPATE_ENOMEM) return sqlc_oom(c);
  if (rc) return -2;
  int r = -2;
  spate_row rv = {row, (uint32_t)len, 1};
  sqlp_reg fr;
  if (field_reg(&s->fields[0], &fr) && sqlc_same_reg(&fr, &R)) {
    if (spate_row_is_null(&rv, 0)) {
      r = sqlc_null(c, &R);
    } else {
      sqlp_val v;
      sqlp_load(&R, &rv, 0, &v);
      r = add_const(c, &R, &v);
    }
  }
  schema_unref(s);
  sp_free(row);
  return r;
}

/* ---- common sub-expressions ------------------------------------------------------------------- */

/* e's depth, or cap + 1 when deeper: only expressions up to CSE_DEPTH deep are remembered, so
 * that a huge expression costs no quadratic search. */
#define CSE_DEPTH 16
#define CSE_MAX 256
static int depth_capped(const sql_expr *e, int cap) {
  if (cap < 0) return 1;
  int d = 0;
  if (e->kind == SQL_E_CAST) {
    d = depth_capped(e->u.cast.arg, cap - 1);
  } else if (e->kind == SQL_E_CALL) {
    for (int i = 0; i < e->u.call.nargs && d <= cap; i++) {
      int k = depth_capped(e->u.call.args[i], cap - 1);
      if (k > d) d = k;
    }
  }
  return d + 1;
}

/* Whether e gives the same value wherever it is computed for one row: RAND and a C function
 * declared non-deterministic do not. */
static bool repeatable(const sql_expr *e) {
  if (e->kind == SQL_E_CAST) return repeatable(e->u.cast.arg);
  if (e->kind != SQL_E_CALL) return true;
  if (e->u.call.fn == SQL_FN_RAND) return false;
  if (e->u.call.fn == SQL_FN_UDF && !e->u.call.udf->deterministic) return false;
  for (int i = 0; i < e->u.call.nargs; i++)
    if (!repeatable(e->u.call.args[i])) return false;
  return true;
}

static int cse_find(sqlc *c, const sql_expr *e, int depth) {
  for (uint32_t i = 0; i < c->ncse; i++)
    if (c->cse[i].depth == depth && sql_expr_equal(c->cse[i].e, e)) return c->cse[i].reg;
  return -1;
}

static void cse_add(sqlc *c, const sql_expr *e, int depth, int reg) {
  if (c->ncse == c->cse_cap) {
    uint32_t cap = c->cse_cap ? c->cse_cap * 2 : 16;
    struct sqlc_cse *v = cap <= CSE_MAX ? sp_realloc(c->cse, sizeof *v * cap) : NULL;
    if (!v) return; /* not remembered: computed again where it recurs */
    c->cse = v;
    c->cse_cap = cap;
  }
  c->cse[c->ncse++] = (struct sqlc_cse){e, depth, reg};
}

static int expr_once(sqlc *c, const sql_expr *e);

int sqlc_expr(sqlc *c, const sql_expr *e) {
  if (c->rc) return -1;
  if (e->kind == SQL_E_LITERAL) return expr_once(c, e);
  int depth = depth_capped(e, CSE_DEPTH);
  bool cse = depth <= CSE_DEPTH && repeatable(e);
  int r = cse ? cse_find(c, e, depth) : -1;
  if (r >= 0) return r;
  r = expr_once(c, e);
  if (r >= 0 && cse && c->cond == 0) cse_add(c, e, depth, r);
  return r;
}

static int expr_once(sqlc *c, const sql_expr *e) {
  switch (e->kind) {
  case SQL_E_LITERAL: return literal(c, e, NULL);
  case SQL_E_COLUMN: {
    if (e->u.column < 0 || e->u.column >= c->in->nfields)
      return sqlc_fail(c, e, "column %d is not a field of the input", e->u.column);
    sqlp_reg r;
    const schema_field *f = &c->in->fields[e->u.column];
    if (!field_reg(f, &r))
      return sqlc_fail(c, e, "column '%s' has a type expressions cannot use yet", f->name);
    int d = sqlc_new_reg(c, r);
    if (d < 0 || sqlc_emit(c, SQLP_LOAD, d, -1, -1, -1, e->u.column) < 0) return -1;
    return d;
  }
  default: break;
  }
  if (c->fold && sql_expr_is_constant(e)) {
    int r = fold(c, e);
    if (r != -2) return r;
  }
  if (e->kind == SQL_E_CAST) return sqlc_cast(c, e);
  return call(c, e);
}

/* ---- programs ------------------------------------------------------------------------------ */

static void cc_free(sqlc *c) {
  sp_free(c->cse);
  sp_writer_free(&c->udfs);
  sp_free(c->regs);
  sp_free(c->ins);
  sp_writer_free(&c->consts);
  sql_arena_free(&c->arena);
}

/* Writes the program bytes of c over input and output. */
static int finish(sqlc *c, const spate_schema *output, uint8_t **prog, size_t *prog_len) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u32(&w, SQLP_MAGIC);
  schema_encode(&w, c->in);
  schema_encode(&w, output);
  sp_put_str(&w, c->tz->name);
  sp_put_u32(&w, c->nregs);
  for (uint32_t k = 0; k < c->nregs; k++) {
    sp_put_u8(&w, c->regs[k].kind);
    sp_put_u8(&w, c->regs[k].precision);
    sp_put_u8(&w, c->regs[k].scale);
  }
  sp_put_u32(&w, c->nconsts);
  sp_put_bytes(&w, c->consts.data, c->consts.len);
  sp_put_u32(&w, c->nudfs);
  sp_put_bytes(&w, c->udfs.data, c->udfs.len);
  sp_put_u32(&w, c->nins);
  for (uint32_t k = 0; k < c->nins; k++) {
    const sqlp_ins *in = &c->ins[k];
    sp_put_u8(&w, in->op);
    sp_put_u32(&w, in->dst);
    sp_put_u32(&w, in->a);
    sp_put_u32(&w, in->b);
    sp_put_u32(&w, in->c);
    sp_put_i64(&w, in->imm);
  }
  if (w.failed) {
    sp_writer_free(&w);
    return sqlc_oom(c);
  }
  *prog = sp_writer_take(&w, prog_len);
  return 0;
}

/* Whether e can be NULL although its operands are not: Flink's functions that give NULL for
 * values they cannot handle (DECIMAL overflow, a failed TRY_CAST or parse, an index out of
 * range), which the validator's types do not show. Conservative: unknown calls say yes. */
static bool may_be_null(const sql_expr *e) {
  switch (e->kind) {
  case SQL_E_LITERAL:
  case SQL_E_COLUMN: return false;
  case SQL_E_CAST: return true;
  default: break;
  }
  if (e->type->kind == SQL_T_DECIMAL) return true;
  switch (e->u.call.fn) {
  case SQL_FN_PLUS:
  case SQL_FN_MINUS:
  case SQL_FN_TIMES:
  case SQL_FN_DIVIDE:
  case SQL_FN_MOD:
  case SQL_FN_MOD_FN:
  case SQL_FN_NEGATE:
  case SQL_FN_CONCAT_OP:
  case SQL_FN_EQ:
  case SQL_FN_NE:
  case SQL_FN_LT:
  case SQL_FN_LE:
  case SQL_FN_GT:
  case SQL_FN_GE:
  case SQL_FN_IS_DISTINCT_FROM:
  case SQL_FN_IS_NOT_DISTINCT_FROM:
  case SQL_FN_AND:
  case SQL_FN_OR:
  case SQL_FN_NOT:
  case SQL_FN_IS_NULL:
  case SQL_FN_IS_NOT_NULL:
  case SQL_FN_IS_TRUE:
  case SQL_FN_IS_NOT_TRUE:
  case SQL_FN_IS_FALSE:
  case SQL_FN_IS_NOT_FALSE:
  case SQL_FN_IS_UNKNOWN:
  case SQL_FN_IS_NOT_UNKNOWN:
  case SQL_FN_BETWEEN:
  case SQL_FN_IN:
  case SQL_FN_LIKE:
  case SQL_FN_CASE:
  case SQL_FN_COALESCE:
  case SQL_FN_IF:
  case SQL_FN_IFNULL:
  case SQL_FN_CONCAT:
  case SQL_FN_UPPER:
  case SQL_FN_LOWER:
  case SQL_FN_INITCAP:
  case SQL_FN_CHAR_LENGTH:
  case SQL_FN_TRIM:
  case SQL_FN_LTRIM:
  case SQL_FN_RTRIM:
  case SQL_FN_POSITION:
  case SQL_FN_REPLACE:
  case SQL_FN_EXTRACT:
  case SQL_FN_TIMESTAMPADD:
  case SQL_FN_TIMESTAMPDIFF:
  case SQL_FN_ABS:
  case SQL_FN_FLOOR:
  case SQL_FN_CEIL:
  case SQL_FN_CURRENT_TIMESTAMP:
  case SQL_FN_NOW:
  case SQL_FN_LOCALTIMESTAMP:
  case SQL_FN_CURRENT_DATE:
  case SQL_FN_CURRENT_TIME:
  case SQL_FN_LOCALTIME:
  case SQL_FN_PROCTIME:
  case SQL_FN_CURRENT_ROW_TIMESTAMP:
  case SQL_FN_RAND: break;
  default: return true;
  }
  for (int i = 0; i < e->u.call.nargs; i++)
    if (may_be_null(e->u.call.args[i])) return true;
  return false;
}

static int compile_calc(const spate_schema *input, bool updating, const sqlp_tz *tz, bool fold_,
                        const sql_expr *filter, sql_expr *const *projs, const char *const *names,
                        int nproj, uint8_t **prog, size_t *prog_len, spate_schema **out_schema,
                        sql_verror *err) {
  *prog = NULL;
  *out_schema = NULL;
  memset(err, 0, sizeof *err);
  if (updating && (input->nfields == 0 || input->fields[input->nfields - 1].type != SPATE_TINYINT))
    return snprintf(err->msg, sizeof err->msg, "an updating input needs its row kind last"),
           SPATE_EINVAL;
  sqlc c = {.in = input, .tz = tz, .fold = fold_, .err = err};
  sp_writer_init(&c.consts);
  sp_writer_init(&c.udfs);
  spate_schema *out = NULL;
  const sql_type **types = sp_calloc(nproj ? (size_t)nproj : 1, sizeof *types);
  if (!types) {
    cc_free(&c);
    return SPATE_ENOMEM;
  }
  for (int i = 0; i < nproj; i++) {
    types[i] = projs[i]->type;
    if (sqlc_is_null_type(projs[i])) {
      sqlc_fail(&c, projs[i],
                "Illegal use of 'NULL': a column of its own needs a type (CAST(NULL AS ...))");
      goto done;
    }
  }
  int rc = sql_row_schema(names, types, nproj, updating, &out, err->msg, sizeof err->msg);
  if (rc) {
    c.rc = rc;
    goto done;
  }
  /* a NOT NULL type whose value can still come out NULL (see may_be_null) is declared
   * nullable: the schema is ours alone until returned */
  for (int i = 0; i < nproj; i++)
    if (!out->fields[i].nullable && may_be_null(projs[i])) out->fields[i].nullable = true;
  if (filter) {
    int f = sqlc_expr_kind(&c, filter, SQLP_BOOL);
    if (f < 0 || sqlc_emit(&c, SQLP_FILTER, -1, f, -1, -1, 0) < 0) goto done;
  }
  for (int i = 0; i < nproj; i++) {
    const sql_expr *e = projs[i];
    const schema_field *of = &out->fields[i];
    if (e->kind == SQL_E_COLUMN && e->u.column >= 0 && e->u.column < input->nfields &&
        schema_type_equal(&input->fields[e->u.column], of)) {
      if (sqlc_emit(&c, SQLP_COPY, -1, e->u.column, -1, -1, i) < 0) goto done;
      continue;
    }
    sqlp_reg R;
    if (!field_reg(of, &R)) {
      sqlc_fail(&c, e, "projection '%s' has a type expressions cannot produce yet", names[i]);
      goto done;
    }
    int r = sqlc_expr_to(&c, e, &R);
    if (r < 0 || sqlc_emit(&c, SQLP_OUT, -1, r, -1, -1, i) < 0) goto done;
  }
  if (updating && sqlc_emit(&c, SQLP_COPY, -1, input->nfields - 1, -1, -1, out->nfields - 1) < 0)
    goto done;
  finish(&c, out, prog, prog_len);
done:
  sp_free(types);
  rc = c.rc;
  cc_free(&c);
  if (rc) {
    if (out) schema_unref(out);
    return rc;
  }
  *out_schema = out;
  return 0;
}

int sql_compile_calc(const spate_schema *input, bool updating, const char *time_zone,
                     const sql_expr *filter, sql_expr *const *projs, const char *const *names,
                     int nproj, uint8_t **prog, size_t *prog_len, spate_schema **out_schema,
                     sql_verror *err) {
  sqlp_tz tz;
  memset(err, 0, sizeof *err);
  *prog = NULL;
  *out_schema = NULL;
  int rc = sqlp_tz_parse(time_zone, &tz, err->msg, sizeof err->msg);
  if (rc) return rc;
  rc = compile_calc(input, updating, &tz, true, filter, projs, names, nproj, prog, prog_len,
                    out_schema, err);
  sqlp_tz_free(&tz);
  return rc;
}

static int eval_const_row(sql_expr *const *exprs, const char *const *names, int n,
                          const sqlp_tz *tz, bool fold_, int64_t now_ms, spate_schema **schema,
                          uint8_t **row, size_t *len, sql_verror *err) {
  *schema = NULL;
  *row = NULL;
  spate_schema *in = schema_new(0, NULL, NULL, NULL);
  if (!in) return SPATE_ENOMEM;
  uint8_t *prog = NULL;
  size_t plen = 0;
  spate_schema *out = NULL;
  sqlp_program *p = NULL;
  spate_row_builder b;
  bool b_init = false;
  char msg[512];
  int rc = compile_calc(in, false, tz, fold_, NULL, exprs, names, n, &prog, &plen, &out, err);
  if (rc) goto done;
  if ((rc = sqlp_decode(prog, plen, &p, msg, sizeof msg))) {
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    goto done;
  }
  if ((rc = sqlp_open_udfs(p, 0, 1, NULL,
                           NULL))) { /* a deterministic C function, called here once */
    snprintf(err->msg, sizeof err->msg, "%s", p->err);
    goto done;
  }
  if ((rc = rb_init(&b, out))) goto done;
  b_init = true;
  static const uint64_t empty = 0;
  spate_row none = {(const uint8_t *)&empty, 0, 0};
  rc = sqlp_eval(p, &none, now_ms, &b);
  if (rc < 0) {
    snprintf(err->msg, sizeof err->msg, "%s", p->err);
    err->line = exprs[0]->line;
    err->col = exprs[0]->col;
    goto done;
  }
  spate_row r;
  if (spate_rb_finish(&b, &r) < 0) {
    snprintf(err->msg, sizeof err->msg, "%s", spate_rb_error(&b));
    rc = SPATE_EINVAL;
    goto done;
  }
  *row = sp_malloc(r.len ? r.len : 1);
  if (!*row) {
    rc = SPATE_ENOMEM;
    goto done;
  }
  memcpy(*row, r.data, r.len);
  *len = r.len;
  *schema = out;
  out = NULL;
  rc = 0;
done:
  if (b_init) rb_destroy(&b);
  sqlp_free(p);
  sp_free(prog);
  if (out) schema_unref(out);
  schema_unref(in);
  return rc;
}

int sql_eval_constant_row(sql_expr *const *exprs, const char *const *names, int n,
                          const char *time_zone, int64_t now_ms, spate_schema **schema,
                          uint8_t **row, size_t *len, sql_verror *err) {
  sqlp_tz tz;
  memset(err, 0, sizeof *err);
  *schema = NULL;
  *row = NULL;
  int rc = sqlp_tz_parse(time_zone, &tz, err->msg, sizeof err->msg);
  if (rc) return rc;
  rc = eval_const_row(exprs, names, n, &tz, true, now_ms, schema, row, len, err);
  sqlp_tz_free(&tz);
  return rc;
}
