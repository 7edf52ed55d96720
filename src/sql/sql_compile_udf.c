/*
 * sql_compile_udf.c: calls of C user functions (sql_udf.h) in calc programs: each function a
 * program calls gets one entry in the program's user function table (its name, library path,
 * symbol, the type strings the planner read from its descriptor and what they declare NOT
 * NULL), and each call becomes one SQLP_UDF instruction over a block of consecutive registers
 * that holds its arguments, each cast to its declared type as the validator allowed.
 */
#include <string.h>

#include "base/bytes.h"
#include "base/err.h"
#include "sql/sql_compile_int.h"
#include "sql/sql_udf.h"

/* The table entry of u, added when the program does not call it yet; -1 on error. */
static int entry(sqlc *c, const sql_udf *u, const sql_expr *e) {
  for (uint32_t k = 0; k < c->nudfs; k++)
    if (c->udf_list[k] == u) return (int)k;
  if (c->nudfs >= SQLP_MAX_UDFS)
    return sqlc_fail(c, e, "more than %d user functions in one expression list", SQLP_MAX_UDFS);
  const spate_sql_function *d = u->def;
  uint32_t not_null = u->result_type->nullable ? 0 : 1u << 31;
  sp_put_str(&c->udfs, u->name);
  sp_put_str(&c->udfs, u->library);
  sp_put_str(&c->udfs, u->symbol);
  sp_put_u8(&c->udfs, (uint8_t)u->nargs);
  for (int i = 0; i < u->nargs; i++) {
    sp_put_str(&c->udfs, d->arg_types[i]);
    if (!u->arg_types[i]->nullable) not_null |= 1u << i;
  }
  sp_put_str(&c->udfs, d->result_type);
  sp_put_u32(&c->udfs, not_null);
  if (c->udfs.failed) return sqlc_oom(c);
  c->udf_list[c->nudfs] = u;
  return (int)c->nudfs++;
}

int sqlc_udf_call(sqlc *c, const sql_expr *e) {
  const sql_udf *u = e->u.call.udf;
  sqlp_reg R, P[SQL_UDF_MAX_ARGS];
  int args[SQL_UDF_MAX_ARGS];
  if (!sqlc_type_reg(e->type, &R) || e->u.call.nargs != u->nargs)
    return sqlc_fail(c, e, "function %s cannot be called here", u->name);
  int k = entry(c, u, e);
  if (k < 0) return -1;
  for (int i = 0; i < u->nargs; i++) {
    if (!sqlc_type_reg(u->arg_types[i], &P[i]))
      return sqlc_fail(c, e, "function %s has an argument type programs lack", u->name);
    if ((args[i] = sqlc_expr_to(c, e->u.call.args[i], &P[i])) < 0) return -1;
  }
  /* the arguments' block: fresh registers, one after the other */
  int first = 0;
  for (int i = 0; i < u->nargs; i++) {
    int r = sqlc_new_reg(c, P[i]);
    if (r < 0) return -1;
    if (i == 0) first = r;
  }
  for (int i = 0; i < u->nargs; i++)
    if (sqlc_emit(c, SQLP_MOVE, first + i, args[i], -1, -1, 0) < 0) return -1;
  int d = sqlc_new_reg(c, R);
  if (d < 0 || sqlc_emit(c, SQLP_UDF, d, first, u->nargs, -1, k) < 0) return -1;
  return d;
}
