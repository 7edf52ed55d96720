/*
 * sql_plan_join.c: a join in FROM as a regular join (SQL_REL_JOIN), as Calcite's
 * SqlToRelConverter and Flink's join rules plan it.
 *
 * The join's columns are the left input's, then the right's; an outer join makes the padded
 * side's columns nullable (a LEFT join the right's, a RIGHT join the left's, a FULL join both).
 * Names that repeat get Calcite's suffixes in the join's row type (the second `id` is `id0`),
 * which is what `SELECT *` shows, while the names a query may write stay the inputs' own: an
 * unqualified name both sides have is ambiguous, `t.id` picks one. Time attributes do not pass a
 * regular join (Flink materializes them into plain timestamps).
 *
 * The condition (ON, or TRUE for CROSS JOIN and a comma) splits as Flink's JoinInfo: each
 * conjunct `l = r` of a left column and a right column of the same type is a key (both inputs are
 * hashed on their key columns), the rest is the residual condition the join evaluates per
 * pair. A WHERE over an inner join joins its condition (sqlq_join_where), as Flink's optimizer
 * pushes a filter into an inner join, so `FROM a, b WHERE a.k = b.k` has its key.
 *
 * A join without a key runs on one task, both inputs brought to it (Flink's singleton
 * distribution). USING and NATURAL joins do not plan yet.
 */
#include <stdio.h>
#include <string.h>

#include "sql/sql_plan_int.h"

/* Whether type a and b hold the same values in the same row fields (nullability aside): key
 * columns are hashed and compared as row bytes on both sides. */
static bool same_key_type(const sql_type *a, const sql_type *b) {
  if (a->kind != b->kind) return false;
  switch (a->kind) {
  case SQL_T_DECIMAL: return a->precision == b->precision && a->scale == b->scale;
  case SQL_T_CHAR:
  case SQL_T_VARCHAR:
  case SQL_T_BINARY:
  case SQL_T_VARBINARY: return true;
  case SQL_T_TIME:
  case SQL_T_TIMESTAMP:
  case SQL_T_TIMESTAMP_LTZ: return a->precision == b->precision;
  case SQL_T_ARRAY:
  case SQL_T_MAP:
  case SQL_T_MULTISET:
  case SQL_T_ROW: return false;
  default: return true;
  }
}

/* Adds the conjuncts of e to r's keys or residual. */
static int split(sql_planner *p, sql_rel *r, sql_expr *e, int nleft) {
  if (e->kind == SQL_E_CALL && e->u.call.fn == SQL_FN_AND) {
    for (int i = 0; i < e->u.call.nargs; i++) {
      int rc = split(p, r, e->u.call.args[i], nleft);
      if (rc) return rc;
    }
    return 0;
  }
  if (sql_expr_is_true(e)) return 0;
  if (e->kind == SQL_E_CALL && e->u.call.fn == SQL_FN_EQ && e->u.call.nargs == 2 &&
      e->u.call.args[0]->kind == SQL_E_COLUMN && e->u.call.args[1]->kind == SQL_E_COLUMN) {
    int a = e->u.call.args[0]->u.column, b = e->u.call.args[1]->u.column;
    if (a >= nleft && b < nleft) {
      int t = a;
      a = b;
      b = t;
    }
    if (a < nleft && b >= nleft && same_key_type(r->types[a], r->types[b])) {
      r->u.join.lkeys[r->u.join.nkeys] = a;
      r->u.join.rkeys[r->u.join.nkeys++] = b - nleft;
      return 0;
    }
  }
  r->u.join.residual = sql_expr_and(p->arena, r->u.join.residual, e);
  return r->u.join.residual ? 0 : sqlq_oom(p);
}

/* (Re)computes r's keys and residual from its condition. */
static int split_condition(sql_planner *p, sql_rel *r) {
  int nleft = r->inputs[0]->ncols, cap = r->ncols + 1;
  r->u.join.nkeys = 0;
  r->u.join.residual = NULL;
  r->u.join.lkeys = sql_arena_alloc(p->arena, sizeof *r->u.join.lkeys * (size_t)cap);
  r->u.join.rkeys = sql_arena_alloc(p->arena, sizeof *r->u.join.rkeys * (size_t)cap);
  if (!r->u.join.lkeys || !r->u.join.rkeys) return sqlq_oom(p);
  return r->u.join.cond ? split(p, r, r->u.join.cond, nleft) : 0;
}

static bool pads(int type, int side) {
  return type == SQL_JOIN_FULL || (type == SQL_JOIN_LEFT && side == 1) ||
         (type == SQL_JOIN_RIGHT && side == 0);
}

int sqlq_plan_join(sql_planner *p, const sql_node *n, from_item *f) {
  if (n->u.join.natural || n->u.join.cond_kind == SQL_COND_USING)
    return sql_plan_fail(p, n, true,
                         "%s joins are not supported by Spate's SQL planner yet: write the "
                         "condition with ON",
                         n->u.join.natural ? "NATURAL" : "USING");
  from_item in[2] = {{0}, {0}};
  int rc = sqlq_plan_from(p, n->u.join.left, &in[0]);
  if (!rc) rc = sqlq_plan_from(p, n->u.join.right, &in[1]);
  if (rc) return rc;
  int type = n->u.join.type;
  if (type == SQL_JOIN_CROSS || type == SQL_JOIN_COMMA) type = SQL_JOIN_INNER;
  int nl = in[0].rel->ncols, nr = in[1].rel->ncols, nc = nl + nr;
  sql_rel *j = sql_rel_new(p, SQL_REL_JOIN, nc, 2);
  f->quals = sql_arena_alloc(p->arena, sizeof *f->quals * (size_t)(nc + 1));
  f->scope_names = sql_arena_alloc(p->arena, sizeof *f->scope_names * (size_t)(nc + 1));
  if (!j || !f->quals || !f->scope_names) return sqlq_oom(p);
  j->inputs[0] = in[0].rel;
  j->inputs[1] = in[1].rel;
  j->u.join.type = type;
  j->updating = type != SQL_JOIN_INNER || in[0].rel->updating || in[1].rel->updating;
  for (int side = 0, c = 0; side < 2; side++) {
    const sql_rel *r = in[side].rel;
    for (int i = 0; i < r->ncols; i++, c++) {
      j->types[c] =
          pads(type, side) ? sql_type_with_nullable(r->types[i], true, p->arena) : r->types[i];
      if (!j->types[c]) return sqlq_oom(p);
      j->attrs[c] = SQL_ATTR_NONE;
      f->quals[c] = in[side].quals ? in[side].quals[i] : NULL;
      f->scope_names[c] = in[side].scope_names ? in[side].scope_names[i] : r->names[i];
      /* Calcite's SqlValidatorUtil.uniquify: name, name0, name1, ... */
      const char *name = r->names[i];
      for (int k = 0, clash = 1; clash;) {
        clash = 0;
        for (int e = 0; e < c && !clash; e++) clash = strcmp(j->names[e], name) == 0;
        if (clash && !(name = sqlq_numbered(p, r->names[i], k++))) return sqlq_oom(p);
      }
      j->names[c] = name;
    }
  }
  f->rel = j;
  if (n->u.join.cond_kind == SQL_COND_ON) {
    sql_scope s;
    rc = sqlq_scope_of(p, f, &s);
    if (rc) return rc;
    sql_expr *e = NULL;
    if ((rc = sqlq_validate(p, n->u.join.on, &s, &e))) return rc;
    if (sqlq_has_aggregate(e))
      return sql_plan_fail(p, n->u.join.on, false, "Aggregate expression is illegal in ON clause");
    if (e->type->kind != SQL_T_BOOLEAN && e->type->kind != SQL_T_NULL)
      return sql_plan_fail(p, n->u.join.on, false, "ON clause must be a condition");
    j->u.join.cond = e;
  }
  return split_condition(p, j);
}

int sqlq_join_where(sql_planner *p, sql_rel *join, sql_expr *where) {
  join->u.join.cond = sql_expr_and(p->arena, join->u.join.cond, where);
  if (!join->u.join.cond) return sqlq_oom(p);
  return split_condition(p, join);
}
