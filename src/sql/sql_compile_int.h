/*
 * sql_compile_int.h: what the expression compiler's files share (sql_compile.c: the state,
 * registers, instructions, constants, expressions and programs; sql_compile_calls.c: the
 * built-in functions' calls; sql_compile_udf.c: calls of C user functions;
 * sql_compile_arith.c: arithmetic, comparisons and casts). Each function returns a register
 * index, or -1 after recording the error on the state (the first one wins).
 */
#ifndef SPATE_SQL_SQL_COMPILE_INT_H
#define SPATE_SQL_SQL_COMPILE_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "base/bytes.h"
#include "operators/sql_program.h"
#include "sql/sql_arena.h"
#include "sql/sql_validate.h"
#include "types/schema.h"

/* One compilation: the registers and instructions so far, the encoded constants, an arena for
 * common types, the session time zone, and the first error (rc, with its message in err). */
typedef struct sqlc {
  const spate_schema *in;
  sqlp_reg *regs;
  uint32_t nregs, regcap;
  sqlp_ins *ins;
  uint32_t nins, inscap;
  sp_writer consts;
  uint32_t nconsts;
  sql_arena arena;
  const sqlp_tz *tz; /* the session time zone (the caller's) */
  bool fold;
  /* Common sub-expressions: the register of each expression computed on every path through
   * the program (outside the parts of AND, OR, CASE and COALESCE that run only on some), which
   * an equal expression later reuses, as Flink's generated code reuses them. cond > 0 while
   * compiling a part that runs only on some paths: what it computes is not remembered. */
  struct sqlc_cse {
    const sql_expr *e;
    int depth, reg;
  } * cse;
  uint32_t ncse, cse_cap;
  int cond;
  sp_writer udfs; /* the user function table's entries (sql_program.h's byte form) */
  uint32_t nudfs;
  const struct sql_udf *udf_list[SQLP_MAX_UDFS]; /* which function each entry is */
  sql_verror *err;
  int rc;
} sqlc;

static inline sqlp_reg sqlc_reg_k(int kind, int precision, int scale) {
  sqlp_reg r = {(uint8_t)kind, (uint8_t)precision, (uint8_t)scale};
  return r;
}
static inline bool sqlc_same_reg(const sqlp_reg *x, const sqlp_reg *y) {
  return x->kind == y->kind && x->precision == y->precision && x->scale == y->scale;
}
static inline bool sqlc_is_ivl(const sqlp_reg *r) {
  return r->kind == SQLP_IVL_YM || r->kind == SQLP_IVL_DT;
}
static inline bool sqlc_is_null_type(const sql_expr *e) { return e->type->kind == SQL_T_NULL; }

/* Records an error at e's position (e may be NULL); returns -1. */
int sqlc_fail(sqlc *c, const sql_expr *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sqlc_oom(sqlc *c);
/* A new register of type r; an instruction (its index); a forward jump j pointed here. */
int sqlc_new_reg(sqlc *c, sqlp_reg r);
int sqlc_emit(sqlc *c, int op, int dst, int a, int b, int d, int64_t imm);
void sqlc_patch(sqlc *c, int j);
/* The register type of a SQL type; false for types programs cannot hold. */
bool sqlc_type_reg(const sql_type *t, sqlp_reg *r);
/* Constants and NULL in a new register. */
int sqlc_const_str(sqlc *c, const char *s);
int sqlc_const_int(sqlc *c, int kind, int64_t i);
int sqlc_null(sqlc *c, const sqlp_reg *r);
/* An expression; as a register of type want (cast when it differs); of a parameterless kind. */
int sqlc_expr(sqlc *c, const sql_expr *e);
int sqlc_expr_to(sqlc *c, const sql_expr *e, const sqlp_reg *want);
int sqlc_expr_kind(sqlc *c, const sql_expr *e, int kind);
/* Arithmetic (+ - * / %, MOD: how is SQLP_ADD ...) and CAST of e (sql_compile_arith.c, with
 * sqlc_expr_to, sqlc_common and sqlc_cmp). */
int sqlc_arith(sqlc *c, const sql_expr *e, int how);
int sqlc_cast(sqlc *c, const sql_expr *e);
/* The register type of the common type of n expressions (false after recording an error). */
bool sqlc_common(sqlc *c, const sql_expr *const *es, int n, sqlp_reg *out);
/* x how y (SQLP_EQ ...) in their common type; NOT r; dst of kind <- op(a, b, imm). */
int sqlc_cmp(sqlc *c, const sql_expr *x, const sql_expr *y, int how);
int sqlc_not(sqlc *c, int r);
int sqlc_op2(sqlc *c, int op, int kind, int a, int b, int64_t imm);

/* The calls of built-in functions by family (sql_compile_calls.c); a call of program function
 * fn (unit in the upper bits) into a new register of type R; r cast to e's type if it differs. */
int sqlc_call_fn(sqlc *c, const sql_expr *e, int fn, int unit, int a, int b, int d_,
                 const sqlp_reg *R);
int sqlc_to_result(sqlc *c, const sql_expr *e, int r);
int sqlc_string_call(sqlc *c, const sql_expr *e);
int sqlc_temporal_call(sqlc *c, const sql_expr *e);
int sqlc_math_call(sqlc *c, const sql_expr *e);
/* A call of a C user function (sql_compile_udf.c). */
int sqlc_udf_call(sqlc *c, const sql_expr *e);
#endif
