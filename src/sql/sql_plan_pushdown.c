/*
 * sql_plan_pushdown.c: projection and filter push-down, the rules of Flink's optimizer that move
 * a calc's work towards the sources (sql_rel.h), applied by sql_plan_rules.c to each calc once
 * its inputs are rewritten and it is merged with the calcs below it:
 *  - ProjectWatermarkAssignerTransposeRule: a calc over a watermark assigner that does not use
 *    every column gets a calc below the assigner that keeps only the columns it uses and the
 *    rowtime column (in the order of first use; in input order when the calc has a condition,
 *    as ProjectFilterTransposeRule leaves them); that calc then merges with the table's calc of
 *    computed columns and reaches the scan;
 *  - PushProjectIntoTableSourceScanRule: a calc over the scan of a source that reads selected
 *    columns (SupportsProjectionPushDown: filesystem) makes it read only the columns the calc
 *    uses (the first one when it uses none); the plan shows project=[...] and, the source also
 *    reading metadata, metadata=[]. A calc that then only passes its input through goes away;
 *  - PushFilterIntoTableSourceScanRule: the calc's condition is offered to a source that takes
 *    filters (SupportsFilterPushDown); Flink's filesystem source accepts every conjunct and still
 *    leaves them to the calc, so the plan shows filter=[...] in the scan and the calc's where;
 *  - ProjectSetOpTransposeRule and FilterSetOpTransposeRule: a calc over a UNION ALL goes into
 *    each input (when its columns come out of every input with the union's types), where it
 *    merges with what is there.
 * Datagen, socket and nexmark sources have neither ability (Flink's DataGenTableSource supports
 * only limit push-down), so their scans read every column and a calc above picks.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_connectors.h"
#include "sql/sql_rel.h"

/* The input columns some expressions use, in the order of first use. */
typedef struct used {
  int n;
  int *cols;
  bool *seen;
} used;

static int used_init(sql_planner *p, used *u, int ncols) {
  u->n = 0;
  u->cols = sql_arena_alloc(p->arena, sizeof *u->cols * (size_t)(ncols + 1));
  u->seen = sql_arena_alloc(p->arena, (size_t)ncols + 1);
  return u->cols && u->seen ? 0 : SPATE_ENOMEM;
}

static void use_col(used *u, int c) {
  if (u->seen[c]) return;
  u->seen[c] = true;
  u->cols[u->n++] = c;
}

static bool use_found(void *u, int c) {
  use_col(u, c);
  return false;
}

static void use(used *u, const sql_expr *e) { sql_expr_find_column(e, use_found, u); }

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* The columns calc c uses (see the file's comment for their order). */
static int calc_uses(sql_planner *p, const sql_rel *c, used *u) {
  int rc = used_init(p, u, c->inputs[0]->ncols);
  if (rc) return rc;
  for (int i = 0; i < c->ncols; i++) use(u, c->u.calc.projs[i]);
  use(u, c->u.calc.filter);
  if (c->u.calc.filter) qsort(u->cols, (size_t)u->n, sizeof *u->cols, cmp_int);
  return 0;
}

/* Rewrites calc c over in, whose column k is column cols[k] of c's old input (of nold columns). */
static int remap_calc(sql_planner *p, sql_rel *c, sql_rel *in, int nold, const int *cols, int n) {
  sql_expr **subst = sql_arena_alloc(p->arena, sizeof *subst * (size_t)(nold + 1));
  if (!subst) return SPATE_ENOMEM;
  for (int k = 0; k < n; k++)
    if (!(subst[cols[k]] = sql_expr_column(p->arena, k, in->types[k]))) return SPATE_ENOMEM;
  for (int i = 0; i < c->ncols; i++)
    if (!(c->u.calc.projs[i] = sql_expr_subst(p->arena, c->u.calc.projs[i], subst)))
      return SPATE_ENOMEM;
  if (c->u.calc.filter && !(c->u.calc.filter = sql_expr_subst(p->arena, c->u.calc.filter, subst)))
    return SPATE_ENOMEM;
  c->inputs[0] = in;
  return 0;
}

int sql_plan_transpose_watermark(sql_planner *p, sql_rel *c, bool *moved) {
  *moved = false;
  sql_rel *w = c->inputs[0], *x = w->inputs[0];
  used u;
  int rc = calc_uses(p, c, &u);
  if (rc) return rc;
  use_col(&u, w->u.watermark.column);
  if (u.n == w->ncols) return 0;
  int nold = w->ncols;
  sql_rel *pc = sql_rel_new(p, SQL_REL_CALC, u.n, 1);
  if (!pc) return SPATE_ENOMEM;
  pc->inputs[0] = x;
  pc->updating = x->updating;
  pc->u.calc.nproj = u.n;
  pc->u.calc.projs = sql_arena_alloc(p->arena, sizeof *pc->u.calc.projs * (size_t)(u.n + 1));
  const char **names = sql_arena_alloc(p->arena, sizeof *names * (size_t)(u.n + 1));
  const sql_type **types = sql_arena_alloc(p->arena, sizeof *types * (size_t)(u.n + 1));
  uint8_t *attrs = sql_arena_alloc(p->arena, (size_t)u.n + 1);
  if (!pc->u.calc.projs || !names || !types || !attrs) return SPATE_ENOMEM;
  int rowtime = -1;
  for (int k = 0; k < u.n; k++) {
    int i = u.cols[k];
    if (!(pc->u.calc.projs[k] = sql_expr_column(p->arena, i, x->types[i]))) return SPATE_ENOMEM;
    pc->names[k] = names[k] = x->names[i];
    pc->types[k] = types[k] = x->types[i];
    pc->attrs[k] = x->attrs[i];
    attrs[k] = w->attrs[i];
    if (i == w->u.watermark.column) rowtime = k;
  }
  w->inputs[0] = pc;
  w->ncols = u.n;
  w->names = names;
  w->types = types;
  w->attrs = attrs;
  w->u.watermark.column = rowtime;
  rc = remap_calc(p, c, w, nold, u.cols, u.n);
  *moved = rc == 0;
  return rc;
}

/* Scan s reading every physical column again, calc c over it rewritten accordingly: the rules
 * push into a scan each time a calc over it merged with another, from the columns up. */
static int unproject(sql_planner *p, sql_rel *c, sql_rel *s) {
  if (!s->u.scan.physical) {
    s->u.scan.nphysical = s->ncols;
    s->u.scan.physical = s->names;
    s->u.scan.physical_types = s->types;
  }
  if (!s->u.scan.projected) return 0;
  int n = s->u.scan.nphysical, nold = s->ncols;
  const int *proj = s->u.scan.project;
  s->ncols = n;
  s->names = s->u.scan.physical;
  s->types = s->u.scan.physical_types;
  if (!(s->attrs = sql_arena_alloc(p->arena, (size_t)n + 1))) return SPATE_ENOMEM;
  s->u.scan.projected = false;
  sql_expr **subst = sql_arena_alloc(p->arena, sizeof *subst * (size_t)(nold + 1));
  if (!subst) return SPATE_ENOMEM;
  for (int k = 0; k < nold; k++)
    if (!(subst[k] = sql_expr_column(p->arena, proj[k], s->types[proj[k]]))) return SPATE_ENOMEM;
  for (int i = 0; i < c->ncols; i++)
    if (!(c->u.calc.projs[i] = sql_expr_subst(p->arena, c->u.calc.projs[i], subst)))
      return SPATE_ENOMEM;
  if (c->u.calc.filter && !(c->u.calc.filter = sql_expr_subst(p->arena, c->u.calc.filter, subst)))
    return SPATE_ENOMEM;
  return 0;
}

int sql_plan_push_into_scan(sql_planner *p, sql_rel *c) {
  sql_rel *s = c->inputs[0];
  bool can_project, can_filter;
  sql_source_abilities(s->u.scan.table, &can_project, &can_filter);
  int rc = unproject(p, c, s);
  if (rc) return rc;
  s->u.scan.filter = can_filter ? c->u.calc.filter : NULL;
  if (!can_project) return 0;
  used u;
  rc = calc_uses(p, c, &u);
  if (rc) return rc;
  if (u.n == s->ncols) return 0;
  if (u.n == 0) u.cols[u.n++] = 0; /* a source cannot read no column: Flink reads the first */
  int nold = s->ncols;
  const char **names = sql_arena_alloc(p->arena, sizeof *names * (size_t)(u.n + 1));
  const sql_type **types = sql_arena_alloc(p->arena, sizeof *types * (size_t)(u.n + 1));
  uint8_t *attrs = sql_arena_alloc(p->arena, (size_t)u.n + 1);
  if (!names || !types || !attrs) return SPATE_ENOMEM;
  for (int k = 0; k < u.n; k++) {
    names[k] = s->names[u.cols[k]];
    types[k] = s->types[u.cols[k]];
    attrs[k] = s->attrs[u.cols[k]];
  }
  s->ncols = u.n;
  s->names = names;
  s->types = types;
  s->attrs = attrs;
  s->u.scan.projected = true;
  s->u.scan.nproject = u.n;
  s->u.scan.project = u.cols;
  return remap_calc(p, c, s, nold, u.cols, u.n);
}

/* A copy of calc c over in, an input of the union c reads. */
static int calc_over(sql_planner *p, const sql_rel *c, sql_rel *in, sql_rel **out) {
  sql_rel *n = sql_rel_new(p, SQL_REL_CALC, c->ncols, 1);
  if (!n) return SPATE_ENOMEM;
  n->inputs[0] = in;
  n->updating = in->updating;
  n->u.calc.nproj = c->ncols;
  n->u.calc.projs = sql_arena_alloc(p->arena, sizeof *n->u.calc.projs * (size_t)(c->ncols + 1));
  if (!n->u.calc.projs) return SPATE_ENOMEM;
  sql_expr **subst = sql_arena_alloc(p->arena, sizeof *subst * (size_t)(in->ncols + 1));
  if (!subst) return SPATE_ENOMEM;
  for (int i = 0; i < in->ncols; i++)
    if (!(subst[i] = sql_expr_column(p->arena, i, in->types[i]))) return SPATE_ENOMEM;
  for (int i = 0; i < c->ncols; i++) {
    const sql_expr *e = c->u.calc.projs[i];
    if (!(n->u.calc.projs[i] = sql_expr_subst(p->arena, e, subst))) return SPATE_ENOMEM;
    n->names[i] = c->names[i];
    n->types[i] = n->u.calc.projs[i]->type;
    n->attrs[i] = c->attrs[i];
  }
  if (c->u.calc.filter && !(n->u.calc.filter = sql_expr_subst(p->arena, c->u.calc.filter, subst)))
    return SPATE_ENOMEM;
  *out = n;
  return 0;
}

int sql_plan_push_into_union(sql_planner *p, sql_rel **rel, bool *moved) {
  sql_rel *c = *rel, *un = c->inputs[0];
  *moved = false;
  /* every input has the union's column types (a union that widens a type keeps the calc above
   * it: the copies would type their columns apart) */
  for (int k = 0; k < un->ninputs; k++)
    for (int i = 0; i < un->ncols; i++)
      if (!sql_type_same(un->inputs[k]->types[i], un->types[i]) ||
          un->inputs[k]->attrs[i] != un->attrs[i])
        return 0;
  sql_rel **ins = sql_arena_alloc(p->arena, sizeof *ins * (size_t)(un->ninputs + 1));
  if (!ins) return SPATE_ENOMEM;
  for (int k = 0; k < un->ninputs; k++) {
    int rc = calc_over(p, c, un->inputs[k], &ins[k]);
    if (rc) return rc;
  }
  un->inputs = ins;
  un->ncols = c->ncols;
  un->names = c->names;
  un->types = c->types;
  un->attrs = c->attrs;
  *rel = un;
  *moved = true;
  return 0;
}

/* ---- the scan's digest ------------------------------------------------------------------------ */

/* The conjuncts of e, left to right. */
static int conjuncts(const sql_expr *e, const char *const *names, sp_strbuf *out, int *n) {
  if (e->kind == SQL_E_CALL && e->u.call.fn == SQL_FN_AND) {
    for (int i = 0; i < e->u.call.nargs; i++) {
      int rc = conjuncts(e->u.call.args[i], names, out, n);
      if (rc) return rc;
    }
    return 0;
  }
  /* Flink's FilterPushDownSpec joins the accepted predicates as and(and(p1, p2), p3) */
  sp_strbuf one = {0};
  int rc = sql_expr_format(e, names, SQL_EXPR_DIGEST, &one);
  if (rc == 0 && *n > 0) {
    sp_strbuf joined = {0};
    rc = sp_strbuf_add(&joined, "and(");
    if (rc == 0) rc = sp_strbuf_append(&joined, out->data, out->len);
    if (rc == 0) rc = sp_strbuf_add(&joined, ", ");
    if (rc == 0) rc = sp_strbuf_add(&joined, one.data ? one.data : "");
    if (rc == 0) rc = sp_strbuf_add(&joined, ")");
    if (rc == 0) {
      out->len = 0;
      rc = sp_strbuf_append(out, joined.data, joined.len);
    }
    sp_strbuf_free(&joined);
  } else if (rc == 0) {
    rc = sp_strbuf_add(out, one.data ? one.data : "");
  }
  sp_strbuf_free(&one);
  (*n)++;
  return rc;
}

int sql_scan_digest(const sql_rel *s, sp_strbuf *out) {
  int rc = 0;
  if (s->u.scan.filter) {
    sp_strbuf f = {0};
    int n = 0;
    rc = conjuncts(s->u.scan.filter, s->u.scan.physical, &f, &n);
    if (rc == 0) rc = sp_strbuf_add(out, ", filter=[");
    if (rc == 0) rc = sp_strbuf_add(out, f.data ? f.data : "");
    if (rc == 0) rc = sp_strbuf_add(out, "]");
    sp_strbuf_free(&f);
  }
  if (rc == 0 && s->u.scan.projected) {
    rc = sp_strbuf_add(out, ", project=[");
    for (int i = 0; rc == 0 && i < s->ncols; i++) {
      if (i) rc = sp_strbuf_add(out, ", ");
      if (rc == 0) rc = sp_strbuf_add(out, s->names[i]);
    }
    if (rc == 0) rc = sp_strbuf_add(out, "], metadata=[]");
  }
  return rc;
}
