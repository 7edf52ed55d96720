/*
 * sql_compile_arith.c: the expression compiler's arithmetic, comparisons and casts
 * (sql_compile_int.h): operands brought to the type an operation computes in (the result type
 * for arithmetic, with DECIMAL operands keeping their own scale and integers their natural
 * DECIMAL, MOD of integers in the wider operand type; the common type for comparisons),
 * date and time plus or minus an interval, interval arithmetic, and CAST/TRY_CAST.
 */
#include <stdio.h>

#include "operators/sql_program.h"
#include "sql/sql_compile_int.h"

static const char *type_name(const sql_type *t, char *buf, size_t cap) {
  sql_calcite_type_name(t, buf, cap);
  return buf;
}

/* The natural DECIMAL of an exact integer register (Flink: INT is DECIMAL(10, 0), ...). */
static sqlp_reg dec_of(const sqlp_reg *r) {
  switch (r->kind) {
  case SQLP_I8: return sqlc_reg_k(SQLP_DEC, 3, 0);
  case SQLP_I16: return sqlc_reg_k(SQLP_DEC, 5, 0);
  case SQLP_I32: return sqlc_reg_k(SQLP_DEC, 10, 0);
  case SQLP_I64: return sqlc_reg_k(SQLP_DEC, 19, 0);
  default: return *r;
  }
}

/* e as a register of type want (a cast when its own type differs). */
int sqlc_expr_to(sqlc *c, const sql_expr *e, const sqlp_reg *want) {
  if (c->rc) return -1;
  if (sqlc_is_null_type(e) || (e->kind == SQL_E_LITERAL &&
                               (e->u.lit.kind == SQL_LIT_NULL || e->u.lit.kind == SQL_LIT_UNKNOWN)))
    return sqlc_null(c, want);
  int r = sqlc_expr(c, e);
  if (r < 0) return -1;
  if (sqlc_same_reg(&c->regs[r], want)) return r;
  if (!sqlp_castable(c->regs[r].kind, want->kind))
    return sqlc_fail(c, e, "cannot convert %s to %s here", sqlp_kind_name(c->regs[r].kind),
                     sqlp_kind_name(want->kind));
  int d = sqlc_new_reg(c, *want);
  if (d < 0 || sqlc_emit(c, SQLP_CAST, d, r, -1, -1, 0) < 0) return -1;
  return d;
}

int sqlc_expr_kind(sqlc *c, const sql_expr *e, int kind) {
  sqlp_reg r = sqlc_reg_k(kind, 0, 0);
  return sqlc_expr_to(c, e, &r);
}

/* The register type of the common type of n expressions (comparisons, IN, BETWEEN). */
bool sqlc_common(sqlc *c, const sql_expr *const *es, int n, sqlp_reg *out) {
  const sql_type *ts[64];
  int k = 0;
  for (int i = 0; i < n && k < 64; i++)
    if (!sqlc_is_null_type(es[i])) ts[k++] = es[i]->type;
  if (k == 0) {
    *out = sqlc_reg_k(SQLP_BOOL, 0, 0);
    return true;
  }
  bool oomf = false;
  const sql_type *t = sql_type_common(ts, k, &c->arena, &oomf);
  if (oomf) {
    sqlc_oom(c);
    return false;
  }
  if (!t || !sqlc_type_reg(t, out)) {
    char a[96];
    sqlc_fail(c, es[0], "no common type for comparing %s", type_name(ts[0], a, sizeof a));
    return false;
  }
  return true;
}

int sqlc_cmp(sqlc *c, const sql_expr *x, const sql_expr *y, int how) {
  const sql_expr *pair[2] = {x, y};
  sqlp_reg t;
  if (!sqlc_common(c, pair, 2, &t)) return -1;
  int a = sqlc_expr_to(c, x, &t), b = a < 0 ? -1 : sqlc_expr_to(c, y, &t);
  if (b < 0) return -1;
  int d = sqlc_new_reg(c, sqlc_reg_k(SQLP_BOOL, 0, 0));
  if (d < 0 || sqlc_emit(c, SQLP_CMP, d, a, b, -1, how) < 0) return -1;
  return d;
}

int sqlc_arith(sqlc *c, const sql_expr *e, int how) {
  sqlp_reg R;
  const sql_expr *x = e->u.call.args[0], *y = e->u.call.args[1];
  if (!sqlc_type_reg(e->type, &R)) return sqlc_fail(c, e, "arithmetic of an unsupported type");
  if (R.kind == SQLP_DATE || R.kind == SQLP_TIME || R.kind == SQLP_TS || R.kind == SQLP_TS_LTZ) {
    sqlp_reg tx, ty;
    bool xt = sqlc_type_reg(x->type, &tx) && !sqlc_is_ivl(&tx);
    const sql_expr *t = xt ? x : y, *iv = xt ? y : x;
    if (!sqlc_type_reg(iv->type, &ty) || !sqlc_is_ivl(&ty) || (!xt && how == SQLP_SUB))
      return sqlc_fail(c, e, "unsupported date and time arithmetic");
    int a = sqlc_expr_to(c, t, &R), b = a < 0 ? -1 : sqlc_expr_to(c, iv, &ty);
    if (b < 0) return -1;
    int d = sqlc_new_reg(c, R);
    if (d < 0 || sqlc_emit(c, SQLP_TIME_ADD, d, a, b, -1, how == SQLP_SUB ? -1 : 1) < 0) return -1;
    return d;
  }
  if (sqlc_is_ivl(&R)) {
    int a, b;
    if (how == SQLP_ADD || how == SQLP_SUB) {
      a = sqlc_expr_to(c, x, &R);
      b = a < 0 ? -1 : sqlc_expr_to(c, y, &R);
    } else {
      sqlp_reg tx;
      bool x_ivl = sqlc_type_reg(x->type, &tx) && sqlc_is_ivl(&tx);
      const sql_expr *iv = x_ivl ? x : y, *num = x_ivl ? y : x;
      if (!x_ivl && how == SQLP_DIV) return sqlc_fail(c, e, "a number divided by an interval");
      sqlp_reg nr;
      if (!sqlc_type_reg(num->type, &nr)) return sqlc_fail(c, e, "interval times a non-number");
      if (nr.kind == SQLP_F32) nr = sqlc_reg_k(SQLP_F64, 0, 0);
      a = sqlc_expr_to(c, iv, &R);
      b = a < 0 ? -1 : sqlc_expr_to(c, num, &nr);
    }
    if (b < 0) return -1;
    int d = sqlc_new_reg(c, R);
    if (d < 0 || sqlc_emit(c, SQLP_ARITH, d, a, b, -1, how) < 0) return -1;
    return d;
  }
  if (R.kind < SQLP_I8 || R.kind > SQLP_DEC) return sqlc_fail(c, e, "arithmetic of non-numbers");
  int a, b;
  if (R.kind == SQLP_DEC) {
    /* the operands keep their own scale; integers become their natural DECIMAL */
    sqlp_reg tx, ty;
    if (!sqlc_type_reg(x->type, &tx) || !sqlc_type_reg(y->type, &ty))
      return sqlc_fail(c, e, "arithmetic of non-numbers");
    if (sqlc_is_null_type(x)) tx = R;
    if (sqlc_is_null_type(y)) ty = R;
    tx = dec_of(&tx);
    ty = dec_of(&ty);
    if (tx.kind != SQLP_DEC) tx = R;
    if (ty.kind != SQLP_DEC) ty = R;
    a = sqlc_expr_to(c, x, &tx);
    b = a < 0 ? -1 : sqlc_expr_to(c, y, &ty);
  } else {
    /* MOD of integers has the divisor's type in Flink but is Java's % of the operands' own types:
     * computed in the wider of the two (a BIGINT dividend is not cut to an INT divisor's type),
     * the remainder then narrowed, where it always fits */
    sqlp_reg W = R, tx, ty;
    if (how == SQLP_MOD && R.kind >= SQLP_I8 && R.kind <= SQLP_I64) {
      if (sqlc_type_reg(x->type, &tx) && tx.kind >= SQLP_I8 && tx.kind <= SQLP_I64 &&
          tx.kind > W.kind)
        W = tx;
      if (sqlc_type_reg(y->type, &ty) && ty.kind >= SQLP_I8 && ty.kind <= SQLP_I64 &&
          ty.kind > W.kind)
        W = ty;
    }
    a = sqlc_expr_to(c, x, &W);
    b = a < 0 ? -1 : sqlc_expr_to(c, y, &W);
    if (W.kind != R.kind) {
      if (b < 0) return -1;
      int w = sqlc_new_reg(c, W);
      if (w < 0 || sqlc_emit(c, SQLP_ARITH, w, a, b, -1, how) < 0) return -1;
      return sqlc_to_result(c, e, w);
    }
  }
  if (b < 0) return -1;
  int d = sqlc_new_reg(c, R);
  if (d < 0 || sqlc_emit(c, SQLP_ARITH, d, a, b, -1, how) < 0) return -1;
  return d;
}

/* CAST and TRY_CAST: the operand's register converted (try: NULL when it fails). */
int sqlc_cast(sqlc *c, const sql_expr *e) {
  sqlp_reg R;
  char tn[96];
  if (!sqlc_type_reg(e->type, &R))
    return sqlc_fail(c, e, "CAST to %s is not supported yet", type_name(e->type, tn, sizeof tn));
  const sql_expr *x = e->u.cast.arg;
  if (sqlc_is_null_type(x)) return sqlc_null(c, &R);
  int a = sqlc_expr(c, x);
  if (a < 0) return -1;
  if (sqlc_same_reg(&c->regs[a], &R)) return a;
  if (!sqlp_castable(c->regs[a].kind, R.kind)) {
    char fn_[96];
    return sqlc_fail(c, e, "CAST from %s to %s is not supported yet",
                     type_name(x->type, fn_, sizeof fn_), type_name(e->type, tn, sizeof tn));
  }
  int d = sqlc_new_reg(c, R);
  if (d < 0 || sqlc_emit(c, SQLP_CAST, d, a, -1, -1, e->u.cast.try_cast ? 1 : 0) < 0) return -1;
  return d;
}
