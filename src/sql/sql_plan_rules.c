/*
 * sql_plan_rules.c: the rewrite rules Spate's planner applies to a relational plan, the ones of
 * Flink's optimizer that matter for the shapes it plans (sql_rel.h):
 *  - CalcMergeRule: a calc over a calc becomes one calc, the outer projections and condition
 *    rewritten over the inner input (the inner condition ANDed before the outer one);
 *  - a filter that is literally TRUE is dropped, one that is FALSE or NULL stays (it keeps no row);
 *  - projection and filter push-down (sql_plan_pushdown.c): past watermark assigners, into
 *    scans and into the inputs of a UNION ALL;
 *  - a calc that projects its input's columns in order without a condition is removed
 *    (CalcRemoveRule), unless it renames them at the root, where the names show.
 *  - ReduceExpressionsRule, for subexpressions of type INT NOT NULL without columns or
 *    functions that change between rows: evaluated (as the compiler would) into their literal,
 *    so the plan shows `>(a, 2)` for `a > 1 + 1` as Flink's does. Other constant
 *    subexpressions are left to the expression compiler, which folds them all.
 *  - OVER windows split out of calcs and made Top-N or deduplications (sql_plan_over.c).
 * The rules work on a copy: the tree given stays as it was (EXPLAIN prints both). Which
 * relations update is derived again over the result.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "sql/sql_compile.h"
#include "sql/sql_rel.h"
#include "sql/sql_udf.h"
#include "types/row.h"

static bool is_identity(const sql_rel *c) {
  const sql_rel *in = c->inputs[0];
  if (c->u.calc.filter || c->ncols != in->ncols) return false;
  for (int i = 0; i < c->ncols; i++) {
    const sql_expr *e = c->u.calc.projs[i];
    if (e->kind != SQL_E_COLUMN || e->u.column != i) return false;
  }
  return true;
}

static bool same_names(const sql_rel *a, const sql_rel *b) {
  for (int i = 0; i < a->ncols; i++)
    if (strcmp(a->names[i], b->names[i]) != 0) return false;
  return true;
}

/* Whether merging would evaluate an expensive or non-deterministic inner projection more than
 * once: Flink keeps such calcs apart (FlinkCalcMergeRule's isMergeable). */
typedef struct col_count {
  int col, n;
} col_count;

static bool count_col(void *arg, int c) {
  col_count *k = arg;
  k->n += c == k->col;
  return false;
}

static int uses(const sql_expr *e, int col) {
  col_count k = {col, 0};
  sql_expr_find_column(e, count_col, &k);
  return k.n;
}

static bool nondeterministic(const sql_expr *e) {
  if (!e || e->kind == SQL_E_LITERAL || e->kind == SQL_E_COLUMN) return false;
  if (e->kind == SQL_E_CAST) return nondeterministic(e->u.cast.arg);
  if (e->u.call.fn == SQL_FN_RAND || e->proctime) return true;
  if (e->u.call.fn == SQL_FN_UDF && !e->u.call.udf->deterministic) return true;
  for (int i = 0; i < e->u.call.nargs; i++)
    if (nondeterministic(e->u.call.args[i])) return true;
  return false;
}

static bool mergeable(const sql_rel *outer, const sql_rel *inner) {
  for (int c = 0; c < inner->ncols; c++) {
    const sql_expr *e = inner->u.calc.projs[c];
    if (e->kind == SQL_E_COLUMN || e->kind == SQL_E_LITERAL) continue;
    int n = uses(outer->u.calc.filter, c);
    for (int i = 0; i < outer->ncols; i++) n += uses(outer->u.calc.projs[i], c);
    if (n > 1 && nondeterministic(e)) return false;
  }
  return true;
}

static int merge(sql_planner *p, sql_rel *outer) {
  sql_rel *inner = outer->inputs[0];
  for (int i = 0; i < outer->ncols; i++) {
    outer->u.calc.projs[i] = sql_expr_subst(p->arena, outer->u.calc.projs[i], inner->u.calc.projs);
    if (!outer->u.calc.projs[i]) return SPATE_ENOMEM;
  }
  sql_expr *f = NULL;
  if (outer->u.calc.filter) {
    f = sql_expr_subst(p->arena, outer->u.calc.filter, inner->u.calc.projs);
    if (!f) return SPATE_ENOMEM;
  }
  if (inner->u.calc.filter || f) {
    outer->u.calc.filter = sql_expr_and(p->arena, inner->u.calc.filter, f);
    if (!outer->u.calc.filter) return SPATE_ENOMEM;
  }
  outer->inputs[0] = inner->inputs[0];
  return 0;
}

/* ---- ReduceExpressionsRule ------------------------------------------------------------------- */

/* e with its reducible subexpressions replaced by their literals (a copy where one changed). */
static sql_expr *reduce(sql_planner *p, sql_expr *e) {
  if (!e || e->kind == SQL_E_LITERAL || e->kind == SQL_E_COLUMN) return e;
  if (e->type && e->type->kind == SQL_T_INT && !e->type->nullable && sql_expr_is_constant(e)) {
    sql_expr *one[1] = {e};
    const char *name[1] = {"c"};
    spate_schema *s = NULL;
    uint8_t *row = NULL;
    size_t len = 0;
    sql_verror err;
    if (sql_eval_constant_row(one, name, 1, NULL, 0, &s, &row, &len, &err) == 0) {
      spate_row r = {row, (uint32_t)len, 1};
      sql_expr *lit = NULL;
      if (s->nfields == 1 && s->fields[0].type == SPATE_INT && !spate_row_is_null(&r, 0) &&
          (lit = sql_arena_alloc(p->arena, sizeof *lit))) {
        lit->kind = SQL_E_LITERAL;
        lit->type = e->type;
        lit->line = e->line;
        lit->col = e->col;
        lit->u.lit.kind = SQL_LIT_INTEGER;
        lit->u.lit.i = spate_row_int(&r, 0);
      }
      schema_unref(s);
      sp_free(row);
      if (lit) return lit;
    }
    return e; /* evaluating fails (a division by zero): left to run time */
  }
  if (e->kind == SQL_E_CAST) {
    sql_expr *a = reduce(p, e->u.cast.arg);
    if (a == e->u.cast.arg) return e;
    sql_expr *c = sql_arena_alloc(p->arena, sizeof *c);
    if (!c) return e;
    *c = *e;
    c->u.cast.arg = a;
    return c;
  }
  sql_expr **args = NULL;
  for (int i = 0; i < e->u.call.nargs; i++) {
    sql_expr *a = reduce(p, e->u.call.args[i]);
    if (a == e->u.call.args[i]) continue;
    if (!args) {
      args = sql_arena_alloc(p->arena, sizeof *args * (size_t)e->u.call.nargs);
      if (!args) return e;
      memcpy(args, e->u.call.args, sizeof *args * (size_t)e->u.call.nargs);
    }
    args[i] = a;
  }
  if (!args) return e;
  sql_expr *c = sql_arena_alloc(p->arena, sizeof *c);
  if (!c) return e;
  *c = *e;
  c->u.call.args = args;
  return c;
}

/* A copy of the tree: nodes, their input arrays and projection arrays (expressions are shared:
 * the rules replace them, never change them). */
static sql_rel *copy_tree(sql_planner *p, const sql_rel *r) {
  sql_rel *c = sql_arena_alloc(p->arena, sizeof *c);
  if (!c) return NULL;
  *c = *r;
  c->inputs = sql_arena_alloc(p->arena, sizeof *c->inputs * (size_t)(r->ninputs + 1));
  if (!c->inputs) return NULL;
  for (int i = 0; i < r->ninputs; i++)
    if (!(c->inputs[i] = copy_tree(p, r->inputs[i]))) return NULL;
  if (r->kind == SQL_REL_CALC) {
    c->u.calc.projs = sql_arena_alloc(p->arena, sizeof *c->u.calc.projs * (size_t)(r->ncols + 1));
    if (!c->u.calc.projs) return NULL;
    memcpy(c->u.calc.projs, r->u.calc.projs, sizeof *c->u.calc.projs * (size_t)r->ncols);
  }
  return c;
}

static int rewrite(sql_planner *p, sql_rel **rel, bool root) {
  sql_rel *r = *rel;
  for (int i = 0; i < r->ninputs; i++) {
    int rc = rewrite(p, &r->inputs[i], false);
    if (rc) return rc;
  }
  if (r->kind != SQL_REL_CALC) return 0;
  if (sql_expr_is_true(r->u.calc.filter)) r->u.calc.filter = NULL;
  bool filtered = false;
  int rc = sql_plan_split_over(p, r, &filtered);
  if (!rc && filtered) rc = rewrite(p, &r->inputs[0]->inputs[0], false);
  if (rc) return rc;
  while (r->inputs[0]->kind == SQL_REL_CALC && mergeable(r, r->inputs[0])) {
    rc = merge(p, r);
    if (rc) return rc;
    if (sql_expr_is_true(r->u.calc.filter)) r->u.calc.filter = NULL;
  }
  for (int i = 0; i < r->ncols; i++) r->u.calc.projs[i] = reduce(p, r->u.calc.projs[i]);
  r->u.calc.filter = reduce(p, r->u.calc.filter);
  bool moved = false;
  switch (r->inputs[0]->kind) {
  case SQL_REL_WATERMARK:
    rc = sql_plan_transpose_watermark(p, r, &moved);
    /* the pruning calc below the assigner merges and reaches the scan */
    if (rc == 0 && moved) rc = rewrite(p, &r->inputs[0]->inputs[0], false);
    break;
  case SQL_REL_SCAN: rc = sql_plan_push_into_scan(p, r); break;
  case SQL_REL_UNION:
    rc = sql_plan_push_into_union(p, rel, &moved);
    if (rc == 0 && moved)
      for (int i = 0; rc == 0 && i < (*rel)->ninputs; i++)
        rc = rewrite(p, &(*rel)->inputs[i], false);
    return rc;
  default: break;
  }
  if (rc) return rc;
  if (is_identity(r) && (!root || same_names(r, r->inputs[0]))) *rel = r->inputs[0];
  return 0;
}

/* Whether r updates, from whether its inputs do (set already): a Rank updates where the window
 * it replaced did not, and what is above it then updates too. */
static void refresh_node(sql_rel *r) {
  bool in = false;
  for (int i = 0; i < r->ninputs; i++) in |= r->inputs[i]->updating;
  switch (r->kind) {
  case SQL_REL_SCAN:
  case SQL_REL_VALUES:
  case SQL_REL_WINDOW_TVF:
  case SQL_REL_WINDOW_AGG: r->updating = false; break;
  case SQL_REL_AGGREGATE:
  case SQL_REL_RANK: r->updating = true; break;
  case SQL_REL_DEDUPLICATE: break; /* as sql_plan_rank made it */
  case SQL_REL_JOIN: r->updating = in || r->u.join.type != SQL_JOIN_INNER; break;
  default: r->updating = in; break;
  }
}

static void refresh_updating(sql_rel *r) {
  for (int i = 0; i < r->ninputs; i++) refresh_updating(r->inputs[i]);
  refresh_node(r);
}

/* The Top-N rules over the rewritten tree, where each window has the one calc above it that
 * all calcs merged into (Flink's rule sees the merged calc too): a calc an identity after them
 * goes. */
static int rank_pass(sql_planner *p, sql_rel **rel, bool root) {
  sql_rel *r = *rel;
  for (int i = 0; i < r->ninputs; i++) {
    int rc = rank_pass(p, &r->inputs[i], false);
    if (rc) return rc;
  }
  refresh_node(r); /* a Rank below makes this update: the rule reads it */
  if (r->kind != SQL_REL_CALC || r->inputs[0]->kind != SQL_REL_OVER) return 0;
  int rc = sql_plan_rank(p, rel);
  if (rc) return rc;
  if (is_identity(r) && (!root || same_names(r, r->inputs[0]))) *rel = r->inputs[0];
  return 0;
}

int sql_plan_optimize(sql_planner *p, const sql_rel *logical, sql_rel **out) {
  *out = copy_tree(p, logical);
  if (!*out) return SPATE_ENOMEM;
  bool root = (*out)->kind != SQL_REL_SINK;
  int rc = rewrite(p, out, root);
  if (!rc) rc = rank_pass(p, out, root);
  if (!rc) refresh_updating(*out);
  if (!rc) rc = sql_plan_check_over(p, *out);
  return rc;
}
