/*
 * sql_plan_query.c: a query's syntax tree into a relational plan (sql_rel.h), as Calcite's
 * SqlToRelConverter does for the shapes Spate runs: tables and views (with their computed columns
 * and watermark), subqueries in FROM, WITH, VALUES, UNION ALL, SELECT with WHERE, DISTINCT, GROUP
 * BY and HAVING, and window table functions under a window aggregation. Names resolve through
 * the FROM item's columns; expressions are typed by the validator, whose messages (with line and
 * column) are the errors. What Spate cannot run yet is refused with a TableException naming it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_parser.h"
#include "sql/sql_plan_int.h"

int sql_plan_fail(sql_planner *p, const sql_node *n, bool table, const char *fmt, ...) {
  if (p->err.msg[0]) return SPATE_EINVAL; /* the first error stays */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err.msg, sizeof p->err.msg, fmt, ap);
  va_end(ap);
  p->err.line = n ? n->line : 0;
  p->err.col = n ? n->col : 0;
  p->table_error = table;
  return SPATE_EINVAL;
}

int sqlq_oom(sql_planner *p) {
  (void)p;
  return SPATE_ENOMEM;
}

sql_rel *sql_rel_new(sql_planner *p, sql_rel_kind kind, int ncols, int ninputs) {
  sql_rel *r = sql_arena_alloc(p->arena, sizeof *r);
  if (!r) return NULL;
  r->kind = kind;
  r->id = p->next_id++;
  r->ncols = ncols;
  r->names = sql_arena_alloc(p->arena, sizeof *r->names * (size_t)(ncols + 1));
  r->types = sql_arena_alloc(p->arena, sizeof *r->types * (size_t)(ncols + 1));
  r->attrs = sql_arena_alloc(p->arena, (size_t)ncols + 1);
  r->ninputs = ninputs;
  r->inputs = sql_arena_alloc(p->arena, sizeof *r->inputs * (size_t)(ninputs + 1));
  if (!r->names || !r->types || !r->attrs || !r->inputs) return NULL;
  return r;
}

/* A calc of ncols projections over in (projections and names filled by the caller). */
sql_rel *sqlq_new_calc(sql_planner *p, sql_rel *in, int ncols) {
  sql_rel *c = sql_rel_new(p, SQL_REL_CALC, ncols, 1);
  if (!c) return NULL;
  c->inputs[0] = in;
  c->updating = in->updating;
  c->u.calc.nproj = ncols;
  c->u.calc.projs = sql_arena_alloc(p->arena, sizeof *c->u.calc.projs * (size_t)(ncols + 1));
  return c->u.calc.projs ? c : NULL;
}

/* Sets column i of calc c to projection e named name (time attributes of bare columns kept). */
void sqlq_calc_set(sql_rel *c, int i, sql_expr *e, const char *name) {
  c->u.calc.projs[i] = e;
  c->names[i] = name;
  c->types[i] = e->type;
  c->attrs[i] = e->kind == SQL_E_COLUMN ? c->inputs[0]->attrs[e->u.column] : SQL_ATTR_NONE;
  if (e->kind == SQL_E_CALL && e->proctime) c->attrs[i] = SQL_ATTR_PROCTIME;
}

static bool at_or_above(void *from, int c) { return c >= *(const int *)from; }

/* Whether e reads a column numbered from or above. */
static bool reads_from(const sql_expr *e, int from) {
  return sql_expr_find_column(e, at_or_above, &from);
}

/* ---- the columns a FROM item makes visible ---------------------------------------------------- */

int sqlq_scope_of(sql_planner *p, const from_item *f, sql_scope *s) {
  sql_scope_column *cols =
      sql_arena_alloc(p->arena, sizeof *cols * (size_t)(f->rel->ncols > 0 ? f->rel->ncols : 1));
  if (!cols) return sqlq_oom(p);
  for (int i = 0; i < f->rel->ncols; i++) {
    cols[i].name = f->scope_names ? f->scope_names[i] : f->rel->names[i];
    cols[i].type = f->rel->types[i];
    cols[i].qualifier = f->quals ? f->quals[i] : NULL;
  }
  s->cols = cols;
  s->ncols = f->rel->ncols;
  s->windows = NULL;
  return 0;
}

int sqlq_set_quals(sql_planner *p, from_item *f, const char *q) {
  f->quals = sql_arena_alloc(p->arena, sizeof *f->quals * (size_t)(f->rel->ncols + 1));
  if (!f->quals) return sqlq_oom(p);
  for (int i = 0; i < f->rel->ncols; i++) f->quals[i] = q;
  return 0;
}

int sqlq_validate(sql_planner *p, const sql_node *e, const sql_scope *s, sql_expr **out) {
  sql_verror verr = {0};
  int rc = sql_validate_expr_in(e, s, p->catalog, p->arena, out, &verr);
  if (rc == SPATE_EINVAL && !p->err.msg[0]) p->err = verr;
  return rc;
}

/* ---- tables and views ------------------------------------------------------------------------- */

typedef struct sql_cte {
  const char *name;
  const sql_node *item; /* SQL_WITH_ITEM */
  struct sql_cte *next;
} sql_cte;

static int plan_query(sql_planner *p, const sql_node *q, sql_rel **out);

/* Renames the columns of rel to names (a view's or a WITH item's column list). */
static int rename_columns(sql_planner *p, sql_rel **rel, const sql_name_list *names,
                          const sql_node *at) {
  if (names->n == 0) return 0;
  if (names->n != (*rel)->ncols)
    return sql_plan_fail(p, at, false,
                         "List of column aliases must have same degree as table; "
                         "table has %d columns, whereas alias list has %d columns",
                         (*rel)->ncols, names->n);
  sql_rel *c = sqlq_new_calc(p, *rel, names->n);
  if (!c) return sqlq_oom(p);
  for (int i = 0; i < names->n; i++) {
    sql_expr *e = sql_expr_column(p->arena, i, (*rel)->types[i]);
    if (!e) return sqlq_oom(p);
    sqlq_calc_set(c, i, e, names->v[i].s);
  }
  *rel = c;
  return 0;
}

/* The watermark delay of `rowtime - INTERVAL ...` or `rowtime`: what Spate's watermark assigner
 * runs (bounded out-of-orderness); other expressions are refused. */
static int watermark_delay(sql_planner *p, const sql_table *t, const sql_expr *e, int64_t *delay) {
  if (e->kind == SQL_E_COLUMN && e->u.column == t->rowtime) {
    *delay = 0;
    return 0;
  }
  if (e->kind == SQL_E_CALL && e->u.call.fn == SQL_FN_MINUS && e->u.call.nargs == 2 &&
      e->u.call.args[0]->kind == SQL_E_COLUMN && e->u.call.args[0]->u.column == t->rowtime &&
      e->u.call.args[1]->kind == SQL_E_LITERAL &&
      e->u.call.args[1]->u.lit.kind == SQL_LIT_INTERVAL &&
      e->u.call.args[1]->type->qual.start >= SQL_UNIT_DAY) {
    *delay = e->u.call.args[1]->u.lit.i;
    if (*delay >= 0) return 0;
  }
  return sql_plan_fail(p, t->watermark, true,
                       "Spate runs watermarks of the form `%s` or `%s - INTERVAL '...' unit` "
                       "(bounded out-of-orderness); this watermark expression is not supported "
                       "yet",
                       t->cols[t->rowtime].name, t->cols[t->rowtime].name);
}

static int plan_table(sql_planner *p, const sql_table *t, const sql_node *at, sql_rel **out) {
  int nphys = 0;
  for (int i = 0; i < t->ncols; i++) {
    if (t->cols[i].kind == SQL_COLUMN_METADATA)
      return sql_plan_fail(p, at, true,
                           "Table '%s' declares the metadata column '%s': Spate's connectors "
                           "expose no metadata yet",
                           t->name, t->cols[i].name);
    if (t->cols[i].kind == SQL_COLUMN_PHYSICAL) nphys++;
  }
  if (nphys == 0) return sql_plan_fail(p, at, true, "Table '%s' has no physical column", t->name);
  sql_rel *scan = sql_rel_new(p, SQL_REL_SCAN, nphys, 0);
  if (!scan) return sqlq_oom(p);
  scan->u.scan.table = t;
  int *phys_of = sql_arena_alloc(p->arena, sizeof *phys_of * (size_t)t->ncols);
  if (!phys_of) return sqlq_oom(p);
  for (int i = 0, k = 0; i < t->ncols; i++)
    if (t->cols[i].kind == SQL_COLUMN_PHYSICAL) {
      phys_of[i] = k;
      scan->names[k] = t->cols[i].name;
      scan->types[k] = t->cols[i].type;
      k++;
    } else {
      phys_of[i] = -1;
    }
  sql_rel *rel = scan;
  if (nphys != t->ncols) { /* computed columns: a calc over the physical ones */
    sql_scope_column *cols = sql_arena_alloc(p->arena, sizeof *cols * (size_t)nphys);
    if (!cols) return sqlq_oom(p);
    for (int k = 0; k < nphys; k++)
      cols[k] = (sql_scope_column){scan->names[k], scan->types[k], NULL};
    sql_scope s = {cols, nphys, NULL};
    sql_rel *c = sqlq_new_calc(p, scan, t->ncols);
    if (!c) return sqlq_oom(p);
    for (int i = 0; i < t->ncols; i++) {
      sql_expr *e = NULL;
      if (phys_of[i] >= 0) {
        e = sql_expr_column(p->arena, phys_of[i], scan->types[phys_of[i]]);
        if (!e) return sqlq_oom(p);
      } else {
        int rc = sqlq_validate(p, t->cols[i].expr, &s, &e);
        if (rc) return rc;
      }
      sqlq_calc_set(c, i, e, t->cols[i].name);
      if (t->cols[i].proctime) c->attrs[i] = SQL_ATTR_PROCTIME;
    }
    rel = c;
  }
  if (t->rowtime >= 0 && t->watermark) {
    sql_scope_column *cols = sql_arena_alloc(p->arena, sizeof *cols * (size_t)t->ncols);
    if (!cols) return sqlq_oom(p);
    for (int i = 0; i < t->ncols; i++)
      cols[i] = (sql_scope_column){rel->names[i], rel->types[i], NULL};
    sql_scope s = {cols, t->ncols, NULL};
    sql_expr *we = NULL;
    int rc = sqlq_validate(p, t->watermark, &s, &we);
    if (rc) return rc;
    sql_rel *w = sql_rel_new(p, SQL_REL_WATERMARK, t->ncols, 1);
    if (!w) return sqlq_oom(p);
    w->inputs[0] = rel;
    for (int i = 0; i < t->ncols; i++) {
      w->names[i] = rel->names[i];
      w->types[i] = rel->types[i];
      w->attrs[i] = rel->attrs[i];
    }
    w->attrs[t->rowtime] = SQL_ATTR_ROWTIME;
    w->u.watermark.column = t->rowtime;
    w->u.watermark.expr = t->watermark;
    rc = watermark_delay(p, t, we, &w->u.watermark.delay);
    if (rc) return rc;
    rel = w;
  }
  *out = rel;
  return 0;
}

/* A name in FROM: a WITH item, a view or a table. */
int sqlq_plan_named(sql_planner *p, const sql_node *ident, from_item *f) {
  if (ident->u.ident.nparts == 1)
    for (sql_cte *c = p->ctes; c; c = c->next)
      if (strcmp(c->name, ident->u.ident.parts[0].s) == 0) {
        sql_cte *saved = p->ctes;
        p->ctes = c->next; /* an item sees the items before it */
        int rc = plan_query(p, c->item->u.with_item.query, &f->rel);
        p->ctes = saved;
        if (!rc) rc = rename_columns(p, &f->rel, &c->item->u.with_item.columns, ident);
        return rc ? rc : sqlq_set_quals(p, f, c->name);
      }
  char err[512];
  const char *name = sql_catalog_object_name(ident, err, sizeof err);
  if (!name) return sql_plan_fail(p, ident, false, "%s", err);
  sql_table *t = sql_catalog_find(p->catalog, name);
  if (!t) return sql_plan_fail(p, ident, false, "Object '%s' not found", name);
  int rc;
  if (t->is_view) {
    const sql_node *v = t->ast->root;
    sql_cte *saved = p->ctes;
    p->ctes = NULL; /* a view sees the catalog only */
    rc = plan_query(p, v->u.create_view.query, &f->rel);
    p->ctes = saved;
    if (!rc) rc = rename_columns(p, &f->rel, &v->u.create_view.columns, ident);
  } else {
    rc = plan_table(p, t, ident, &f->rel);
  }
  return rc ? rc : sqlq_set_quals(p, f, t->name);
}

/* ---- FROM ------------------------------------------------------------------------------------- */

int sqlq_plan_from(sql_planner *p, const sql_node *n, from_item *f) {
  switch (n->kind) {
  case SQL_TABLE_REF: return sqlq_plan_named(p, n->u.table_ref.name, f);
  case SQL_IDENT: return sqlq_plan_named(p, n, f);
  case SQL_SUBQUERY: {
    int rc = plan_query(p, n->u.query.query, &f->rel);
    return rc ? rc : sqlq_set_quals(p, f, NULL);
  }
  case SQL_TABLE_FUNC: return sqlq_plan_window_tvf(p, n, f);
  case SQL_ALIAS: {
    int rc = sqlq_plan_from(p, n->u.alias.arg, f);
    if (!rc) rc = rename_columns(p, &f->rel, &n->u.alias.columns, n);
    f->scope_names = NULL; /* an aliased join is a table of its row type's names */
    return rc ? rc : sqlq_set_quals(p, f, n->u.alias.name.s);
  }
  case SQL_JOIN: return sqlq_plan_join(p, n, f);
  case SQL_SNAPSHOT:
    return sql_plan_fail(p, n, true,
                         "Temporal joins (FOR SYSTEM_TIME AS OF) are not supported yet");
  case SQL_UNNEST:
  case SQL_LATERAL:
    return sql_plan_fail(p, n, true, "%s is not supported by Spate's SQL planner yet",
                         n->kind == SQL_UNNEST ? "UNNEST" : "LATERAL");
  default: return sql_plan_fail(p, n, true, "This FROM item is not supported yet");
  }
}

/* ---- SELECT ------------------------------------------------------------------------------------ */

/* The name of select item i: its alias, its column's name, or Calcite's EXPR$i. */
static const char *item_name(sql_planner *p, const sql_node *item, int i) {
  if (item->kind == SQL_ALIAS) return item->u.alias.name.s;
  if (item->kind == SQL_IDENT) return item->u.ident.parts[item->u.ident.nparts - 1].s;
  char buf[32];
  snprintf(buf, sizeof buf, "EXPR$%d", i);
  return sql_arena_strndup(p->arena, buf, strlen(buf));
}

static int expand_select(sql_planner *p, const sql_node *sel, const from_item *f,
                         const sql_scope *s, select_list *out) {
  const sql_list *items = &sel->u.select.items;
  int cap = 0;
  for (int i = 0; i < items->n; i++) {
    const sql_node *it = items->v[i];
    cap += it->kind == SQL_IDENT && it->u.ident.star ? f->rel->ncols : 1;
  }
  out->exprs = sql_arena_alloc(p->arena, sizeof *out->exprs * (size_t)(cap + 1));
  out->names = sql_arena_alloc(p->arena, sizeof *out->names * (size_t)(cap + 1));
  out->nodes = sql_arena_alloc(p->arena, sizeof *out->nodes * (size_t)(cap + 1));
  if (!out->exprs || !out->names || !out->nodes) return sqlq_oom(p);
  out->n = 0;
  for (int i = 0; i < items->n; i++) {
    const sql_node *it = items->v[i];
    if (it->kind == SQL_IDENT && it->u.ident.star) {
      const char *q = it->u.ident.nparts >= 1 ? it->u.ident.parts[0].s : NULL;
      bool any = false;
      for (int c = 0; c < f->rel->ncols; c++) {
        if (q && (!f->quals || !f->quals[c] || strcmp(f->quals[c], q) != 0)) continue;
        sql_expr *e = sql_expr_column(p->arena, c, f->rel->types[c]);
        if (!e) return sqlq_oom(p);
        out->exprs[out->n] = e;
        out->names[out->n] = f->rel->names[c];
        out->nodes[out->n++] = it;
        any = true;
      }
      if (q && !any) return sql_plan_fail(p, it, false, "Table '%s' not found", q);
      continue;
    }
    sql_expr *e = NULL;
    int rc = sqlq_validate(p, sqlq_item_expr(it), s, &e);
    if (rc) return rc;
    out->exprs[out->n] = e;
    out->names[out->n] = item_name(p, it, out->n);
    if (!out->names[out->n]) return sqlq_oom(p);
    out->nodes[out->n++] = it;
  }
  /* Calcite makes duplicate output names unique: a, a0, a1 ... */
  for (int i = 0; i < out->n; i++)
    for (int j = 0, k = 0; j < i; j++)
      if (strcmp(out->names[i], out->names[j]) == 0) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s%d", out->names[j], k++);
        out->names[i] = sql_arena_strndup(p->arena, buf, strlen(buf));
        if (!out->names[i]) return sqlq_oom(p);
        j = -1; /* check the new name again */
      }
  return 0;
}

static int check_boolean(sql_planner *p, const sql_expr *e, const sql_node *n, const char *clause) {
  if (e->type->kind == SQL_T_BOOLEAN || e->type->kind == SQL_T_NULL) return 0;
  return sql_plan_fail(p, n, false, "%s clause must be a condition", clause);
}

static int plan_select(sql_planner *p, const sql_node *sel, sql_rel **out) {
  from_item f = {0};
  int rc;
  if (sel->u.select.from) {
    rc = sqlq_plan_from(p, sel->u.select.from, &f);
  } else { /* SELECT without FROM reads one row of Calcite's VALUES { 0 } */
    sql_rel *v = sql_rel_new(p, SQL_REL_VALUES, 1, 0);
    if (!v) return sqlq_oom(p);
    sql_type *it = sql_arena_alloc(p->arena, sizeof *it);
    sql_expr *zero = sql_arena_alloc(p->arena, sizeof *zero);
    sql_expr ***rows = sql_arena_alloc(p->arena, sizeof *rows);
    sql_expr **row = sql_arena_alloc(p->arena, sizeof *row);
    if (!it || !zero || !rows || !row) return sqlq_oom(p);
    it->kind = SQL_T_INT;
    zero->kind = SQL_E_LITERAL;
    zero->u.lit.kind = SQL_LIT_INTEGER;
    zero->type = it;
    row[0] = zero;
    rows[0] = row;
    v->names[0] = "ZERO";
    v->types[0] = it;
    v->u.values.nrows = 1;
    v->u.values.rows = rows;
    f.rel = v;
    rc = sqlq_set_quals(p, &f, NULL);
  }
  if (rc) return rc;
  sql_scope s;
  rc = sqlq_scope_of(p, &f, &s);
  if (rc) return rc;
  sql_rel *rel = f.rel;
  sql_expr *w = NULL;
  if (sel->u.select.where) {
    rc = sqlq_validate(p, sel->u.select.where, &s, &w);
    if (rc) return rc;
    if (sqlq_has_aggregate(w))
      return sql_plan_fail(p, sel->u.select.where, false,
                           "Aggregate expression is illegal in WHERE clause");
    if (sql_expr_has_over(w))
      return sql_plan_fail(p, sel->u.select.where, false,
                           "Windowed aggregate expression is illegal in WHERE clause");
    rc = check_boolean(p, w, sel->u.select.where, "WHERE");
    if (rc) return rc;
  }
  if (sel->u.select.where && rel->kind == SQL_REL_JOIN && rel->u.join.type == SQL_JOIN_INNER) {
    rc = sqlq_join_where(p, rel, w);
    if (rc) return rc;
  } else if (sel->u.select.where) {
    /* under a GROUP BY over a window table function, a filter of the table's columns goes
     * below the function (as Flink's optimizer pushes it), so that a window aggregation still
     * finds the function under it */
    bool grouped = rel->kind == SQL_REL_WINDOW_TVF && sel->u.select.group_by.n > 0;
    bool below = grouped && !reads_from(w, rel->inputs[0]->ncols);
    if (grouped && !below)
      return sql_plan_fail(p, sel->u.select.where, true,
                           "A filter on window_start, window_end or window_time under a window "
                           "aggregation is not supported yet");
    sql_rel *under = below ? rel->inputs[0] : rel;
    sql_rel *c = sqlq_new_calc(p, under, under->ncols);
    if (!c) return sqlq_oom(p);
    for (int i = 0; i < under->ncols; i++) {
      sql_expr *e = sql_expr_column(p->arena, i, under->types[i]);
      if (!e) return sqlq_oom(p);
      sqlq_calc_set(c, i, e, under->names[i]);
    }
    c->u.calc.filter = w;
    if (below) { /* a copy of the function over the filter */
      sql_rel *tvf = sql_arena_alloc(p->arena, sizeof *tvf);
      sql_rel **inputs = sql_arena_alloc(p->arena, sizeof *inputs);
      if (!tvf || !inputs) return sqlq_oom(p);
      *tvf = *rel;
      inputs[0] = c;
      tvf->inputs = inputs;
      c = tvf;
    }
    rel = c;
    f.rel = rel;
  }
  select_list items;
  s.windows = &sel->u.select.windows; /* OVER w in the select list */
  rc = expand_select(p, sel, &f, &s, &items);
  if (rc) return rc;
  sql_expr *having = NULL;
  if (sel->u.select.having) {
    rc = sqlq_validate(p, sel->u.select.having, &s, &having);
    if (rc) return rc;
    rc = check_boolean(p, having, sel->u.select.having, "HAVING");
    if (rc) return rc;
    if (sql_expr_has_over(having))
      return sql_plan_fail(p, sel->u.select.having, false,
                           "Windowed aggregate expression is illegal in HAVING clause");
  }
  bool aggregating = sel->u.select.group_by.n > 0 || having != NULL;
  for (int i = 0; i < items.n && !aggregating; i++)
    aggregating = sqlq_has_aggregate(items.exprs[i]);
  for (int i = 0; i < items.n && aggregating; i++)
    if (sql_expr_has_over(items.exprs[i]))
      return sql_plan_fail(p, items.nodes[i], true,
                           "An OVER window in a SELECT with GROUP BY or aggregates is not "
                           "supported in Spate yet: rank the aggregation in an enclosing query");
  if (aggregating) {
    rc = sqlq_plan_aggregate(p, sel, &f, &s, &items, having, &rel);
  } else if (f.rel->kind == SQL_REL_WINDOW_TVF && f.rel->u.tvf.window == SQL_WINDOW_SESSION) {
    return sql_plan_fail(p, sel, true,
                         "A SESSION window table function is only supported under a window "
                         "aggregation in Spate yet");
  } else {
    sql_rel *c = sqlq_new_calc(p, rel, items.n);
    if (!c) return sqlq_oom(p);
    for (int i = 0; i < items.n; i++) sqlq_calc_set(c, i, items.exprs[i], items.names[i]);
    rel = c;
  }
  if (rc) return rc;
  if (sel->u.select.quantifier == SQL_QUANT_DISTINCT) rc = sqlq_plan_distinct(p, rel, &rel);
  if (rc) return rc;
  if (sel->u.select.order.n > 0)
    return sql_plan_fail(p, sel->u.select.order.v[0], true,
                         "Sort on a non-time-attribute field is not supported.");
  if (sel->u.select.fetch || sel->u.select.offset)
    return sql_plan_fail(p, sel->u.select.fetch ? sel->u.select.fetch : sel->u.select.offset, true,
                         "LIMIT and OFFSET are not supported by Spate's SQL planner yet");
  *out = rel;
  return 0;
}

/* ---- VALUES and set operations ---------------------------------------------------------------- */

static bool same_type(const sql_type *a, const sql_type *b) {
  sp_strbuf x = {0}, y = {0};
  sql_type_format(a, &x);
  sql_type_format(b, &y);
  bool same = x.data && y.data && strcmp(x.data, y.data) == 0;
  sp_strbuf_free(&x);
  sp_strbuf_free(&y);
  return same;
}

/* Wraps column i of rel in a CAST to t where its type differs (a calc added once). */
static int cast_columns(sql_planner *p, sql_rel **rel, const sql_type *const *types) {
  sql_rel *in = *rel;
  bool need = false;
  for (int i = 0; i < in->ncols; i++) need |= !same_type(in->types[i], types[i]);
  if (!need) return 0;
  sql_rel *c = sqlq_new_calc(p, in, in->ncols);
  if (!c) return sqlq_oom(p);
  for (int i = 0; i < in->ncols; i++) {
    sql_expr *e = sql_expr_column(p->arena, i, in->types[i]);
    if (!e) return sqlq_oom(p);
    if (!same_type(in->types[i], types[i])) {
      sql_expr *cast = sql_arena_alloc(p->arena, sizeof *cast);
      if (!cast) return sqlq_oom(p);
      cast->kind = SQL_E_CAST;
      cast->type = types[i];
      cast->u.cast.arg = e;
      e = cast;
    }
    sqlq_calc_set(c, i, e, in->names[i]);
  }
  *rel = c;
  return 0;
}

static int common_types(sql_planner *p, sql_rel *const *rels, int n, const sql_node *at,
                        const sql_type ***out) {
  int ncols = rels[0]->ncols;
  for (int i = 1; i < n; i++)
    if (rels[i]->ncols != ncols)
      return sql_plan_fail(p, at, false, "Column count mismatch in UNION ALL");
  const sql_type **types = sql_arena_alloc(p->arena, sizeof *types * (size_t)(ncols + 1));
  const sql_type **col = sql_arena_alloc(p->arena, sizeof *col * (size_t)n);
  if (!types || !col) return sqlq_oom(p);
  for (int c = 0; c < ncols; c++) {
    for (int i = 0; i < n; i++) col[i] = rels[i]->types[c];
    bool nomem = false;
    types[c] = sql_type_common(col, n, p->arena, &nomem);
    if (nomem) return sqlq_oom(p);
    if (!types[c])
      return sql_plan_fail(p, at, false, "Type mismatch in column %d of UNION ALL", c + 1);
  }
  *out = types;
  return 0;
}

static int plan_values(sql_planner *p, const sql_node *v, sql_rel **out) {
  const sql_list *rows = &v->u.values.rows;
  if (rows->n == 0) return sql_plan_fail(p, v, false, "VALUES needs at least one row");
  const sql_node *first = rows->v[0];
  int ncols = first->kind == SQL_CTOR ? first->u.ctor.items.n : 1;
  sql_rel *r = sql_rel_new(p, SQL_REL_VALUES, ncols, 0);
  if (!r) return sqlq_oom(p);
  r->u.values.nrows = rows->n;
  r->u.values.rows = sql_arena_alloc(p->arena, sizeof *r->u.values.rows * (size_t)rows->n);
  const sql_type **col = sql_arena_alloc(p->arena, sizeof *col * (size_t)rows->n);
  if (!r->u.values.rows || !col) return sqlq_oom(p);
  sql_scope none = {NULL, 0, NULL};
  for (int i = 0; i < rows->n; i++) {
    const sql_node *row = rows->v[i];
    int n = row->kind == SQL_CTOR ? row->u.ctor.items.n : 1;
    if (n != ncols) return sql_plan_fail(p, row, false, "Column count mismatch in VALUES");
    sql_expr **exprs = sql_arena_alloc(p->arena, sizeof *exprs * (size_t)ncols);
    if (!exprs) return sqlq_oom(p);
    for (int c = 0; c < ncols; c++) {
      const sql_node *item = row->kind == SQL_CTOR ? row->u.ctor.items.v[c] : row;
      int rc = sqlq_validate(p, item, &none, &exprs[c]);
      if (rc) return rc;
    }
    r->u.values.rows[i] = exprs;
  }
  for (int c = 0; c < ncols; c++) {
    for (int i = 0; i < rows->n; i++) col[i] = r->u.values.rows[i][c]->type;
    bool nomem = false;
    const sql_type *t = sql_type_common(col, rows->n, p->arena, &nomem);
    if (nomem) return sqlq_oom(p);
    if (!t) return sql_plan_fail(p, v, false, "Type mismatch in column %d of VALUES", c + 1);
    if (t->kind == SQL_T_NULL)
      return sql_plan_fail(p, v, false, "Illegal use of 'NULL': column %d of VALUES has no type",
                           c + 1);
    r->types[c] = t;
    r->names[c] = sqlq_numbered(p, "EXPR$", c);
    if (!r->names[c]) return sqlq_oom(p);
    /* each cell cast to the column's type where it differs */
    for (int i = 0; i < rows->n; i++) {
      sql_expr *e = r->u.values.rows[i][c];
      if (same_type(e->type, t)) continue;
      sql_expr *cast = sql_arena_alloc(p->arena, sizeof *cast);
      if (!cast) return sqlq_oom(p);
      cast->kind = SQL_E_CAST;
      cast->type = t;
      cast->line = e->line;
      cast->col = e->col;
      cast->u.cast.arg = e;
      r->u.values.rows[i][c] = cast;
    }
  }
  *out = r;
  return 0;
}

static int plan_setop(sql_planner *p, const sql_node *n, sql_rel **out) {
  if (n->u.setop.op != SQL_SETOP_UNION)
    return sql_plan_fail(p, n, true, "%s is not supported by Spate's SQL planner yet",
                         n->u.setop.op == SQL_SETOP_INTERSECT ? "INTERSECT" : "EXCEPT");
  sql_rel *in[2];
  int rc = plan_query(p, n->u.setop.left, &in[0]);
  if (!rc) rc = plan_query(p, n->u.setop.right, &in[1]);
  if (rc) return rc;
  const sql_type **types = NULL;
  rc = common_types(p, in, 2, n, &types);
  if (!rc) rc = cast_columns(p, &in[0], types);
  if (!rc) rc = cast_columns(p, &in[1], types);
  if (rc) return rc;
  sql_rel *u = sql_rel_new(p, SQL_REL_UNION, in[0]->ncols, 2);
  if (!u) return sqlq_oom(p);
  u->inputs[0] = in[0];
  u->inputs[1] = in[1];
  u->updating = in[0]->updating || in[1]->updating;
  for (int i = 0; i < u->ncols; i++) {
    u->names[i] = in[0]->names[i];
    u->types[i] = types[i];
  }
  if (!n->u.setop.all) return sqlq_plan_distinct(p, u, out);
  *out = u;
  return 0;
}

static int plan_query(sql_planner *p, const sql_node *q, sql_rel **out) {
  switch (q->kind) {
  case SQL_SELECT: return plan_select(p, q, out);
  case SQL_VALUES: return plan_values(p, q, out);
  case SQL_SETOP: return plan_setop(p, q, out);
  case SQL_SUBQUERY: return plan_query(p, q->u.query.query, out);
  case SQL_WITH: {
    sql_cte *saved = p->ctes;
    sql_cte *items = sql_arena_alloc(p->arena, sizeof *items * (size_t)(q->u.with.items.n + 1));
    if (!items) return sqlq_oom(p);
    for (int i = 0; i < q->u.with.items.n; i++) {
      items[i].item = q->u.with.items.v[i];
      items[i].name = items[i].item->u.with_item.name.s;
      items[i].next = p->ctes;
      p->ctes = &items[i];
    }
    int rc = plan_query(p, q->u.with.body, out);
    p->ctes = saved;
    return rc;
  }
  case SQL_ORDERED:
    if (q->u.ordered.order.n > 0)
      return sql_plan_fail(p, q->u.ordered.order.v[0], true,
                           "Sort on a non-time-attribute field is not supported.");
    return sql_plan_fail(p, q, true,
                         "LIMIT and OFFSET are not supported by Spate's SQL planner yet");
  default: return sql_plan_fail(p, q, true, "This query is not supported yet");
  }
}

int sql_plan_query(sql_planner *p, const sql_node *query, sql_rel **out) {
  p->ctes = NULL;
  return plan_query(p, query, out);
}

/* ---- INSERT ----------------------------------------------------------------------------------- */

int sql_plan_insert(sql_planner *p, const sql_node *ins, sql_rel **out) {
  char err[512];
  const char *name = sql_catalog_object_name(ins->u.insert.table, err, sizeof err);
  if (!name) return sql_plan_fail(p, ins->u.insert.table, false, "%s", err);
  sql_table *t = sql_catalog_find(p->catalog, name);
  if (!t) return sql_plan_fail(p, ins->u.insert.table, false, "Object '%s' not found", name);
  if (t->is_view)
    return sql_plan_fail(p, ins->u.insert.table, false,
                         "View '%s' is not a table: INSERT needs one", name);
  if (ins->u.insert.partition.n > 0 || ins->u.insert.columns.n > 0)
    return sql_plan_fail(p, ins, true,
                         "INSERT with a PARTITION clause or a column list is not supported yet");
  sql_rel *q = NULL;
  int rc = sql_plan_query(p, ins->u.insert.query, &q);
  if (rc) return rc;
  int nphys = 0;
  for (int i = 0; i < t->ncols; i++) nphys += t->cols[i].kind == SQL_COLUMN_PHYSICAL;
  /* Flink's message: the cause, then both schemas in full */
  sp_strbuf qs = {0}, ss = {0};
  int brc = sp_strbuf_add(&qs, "[") | sp_strbuf_add(&ss, "[");
  for (int k = 0; k < q->ncols; k++) {
    brc |= sp_strbuf_add(&qs, k ? ", " : "") | sp_strbuf_add(&qs, q->names[k]) |
           sp_strbuf_add(&qs, ": ") | sql_type_format(q->types[k], &qs);
  }
  for (int i = 0, k = 0; i < t->ncols; i++)
    if (t->cols[i].kind == SQL_COLUMN_PHYSICAL) {
      brc |= sp_strbuf_add(&ss, k++ ? ", " : "") | sp_strbuf_add(&ss, t->cols[i].name) |
             sp_strbuf_add(&ss, ": ") | sql_type_format(t->cols[i].type, &ss);
    }
  brc |= sp_strbuf_add(&qs, "]") | sp_strbuf_add(&ss, "]");
  char cause[512] = "";
  if (q->ncols != nphys) snprintf(cause, sizeof cause, "Different number of columns.");
  /* the query's columns cast implicitly to the sink's types, as Flink's planner does */
  const sql_type **types = sql_arena_alloc(p->arena, sizeof *types * (size_t)(nphys + 1));
  if (!types || brc) {
    sp_strbuf_free(&qs);
    sp_strbuf_free(&ss);
    return sqlq_oom(p);
  }
  for (int i = 0, k = 0; !cause[0] && i < t->ncols; i++)
    if (t->cols[i].kind == SQL_COLUMN_PHYSICAL) {
      if (!sql_type_can_cast(q->types[k], t->cols[i].type, false) &&
          q->types[k]->kind != SQL_T_NULL)
        snprintf(cause, sizeof cause, "Incompatible types for sink column '%s' at position %d.",
                 t->cols[i].name, k);
      types[k++] = t->cols[i].type;
    }
  if (cause[0])
    rc = sql_plan_fail(p, NULL, false,
                       "Column types of query result and sink for '%s.%s.%s' do not match.\n"
                       "Cause: %s\n\nQuery schema: %s\nSink schema:  %s",
                       SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE, name, cause, qs.data, ss.data);
  sp_strbuf_free(&qs);
  sp_strbuf_free(&ss);
  if (rc) return rc;
  rc = cast_columns(p, &q, types);
  if (rc) return rc;
  sql_rel *s = sql_rel_new(p, SQL_REL_SINK, q->ncols, 1);
  if (!s) return sqlq_oom(p);
  s->inputs[0] = q;
  s->updating = q->updating;
  for (int i = 0, k = 0; i < t->ncols; i++)
    if (t->cols[i].kind == SQL_COLUMN_PHYSICAL) {
      s->names[k] = t->cols[i].name;
      s->types[k] = t->cols[i].type;
      k++;
    }
  s->u.sink.table = t;
  s->u.sink.overwrite = ins->u.insert.overwrite != 0;
  *out = s;
  return 0;
}
