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
#include "sql/sql_rel.h"

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

static int oom(sql_planner *p) {
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
static sql_rel *new_calc(sql_planner *p, sql_rel *in, int ncols) {
  sql_rel *c = sql_rel_new(p, SQL_REL_CALC, ncols, 1);
  if (!c) return NULL;
  c->inputs[0] = in;
  c->updating = in->updating;
  c->u.calc.nproj = ncols;
  c->u.calc.projs = sql_arena_alloc(p->arena, sizeof *c->u.calc.projs * (size_t)(ncols + 1));
  return c->u.calc.projs ? c : NULL;
}

/* Sets column i of calc c to projection e named name (time attributes of bare columns kept). */
static void calc_set(sql_rel *c, int i, sql_expr *e, const char *name) {
  c->u.calc.projs[i] = e;
  c->names[i] = name;
  c->types[i] = e->type;
  c->attrs[i] = e->kind == SQL_E_COLUMN ? c->inputs[0]->attrs[e->u.column] : SQL_ATTR_NONE;
  if (e->kind == SQL_E_CALL && e->proctime) c->attrs[i] = SQL_ATTR_PROCTIME;
}

/* ---- the columns a FROM item makes visible ---------------------------------------------------- */

typedef struct from_item {
  sql_rel *rel;
  const char **quals; /* per column: the qualifier (table name or alias), or NULL */
} from_item;

static int scope_of(sql_planner *p, const from_item *f, sql_scope *s) {
  sql_scope_column *cols =
      sql_arena_alloc(p->arena, sizeof *cols * (size_t)(f->rel->ncols > 0 ? f->rel->ncols : 1));
  if (!cols) return oom(p);
  for (int i = 0; i < f->rel->ncols; i++) {
    cols[i].name = f->rel->names[i];
    cols[i].type = f->rel->types[i];
    cols[i].qualifier = f->quals ? f->quals[i] : NULL;
  }
  s->cols = cols;
  s->ncols = f->rel->ncols;
  return 0;
}

static int set_quals(sql_planner *p, from_item *f, const char *q) {
  f->quals = sql_arena_alloc(p->arena, sizeof *f->quals * (size_t)(f->rel->ncols + 1));
  if (!f->quals) return oom(p);
  for (int i = 0; i < f->rel->ncols; i++) f->quals[i] = q;
  return 0;
}

static int validate(sql_planner *p, const sql_node *e, const sql_scope *s, sql_expr **out) {
  sql_verror verr = {0};
  int rc = sql_validate_expr(e, s, p->arena, out, &verr);
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
  sql_rel *c = new_calc(p, *rel, names->n);
  if (!c) return oom(p);
  for (int i = 0; i < names->n; i++) {
    sql_expr *e = sql_expr_column(p->arena, i, (*rel)->types[i]);
    if (!e) return oom(p);
    calc_set(c, i, e, names->v[i].s);
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
  if (!scan) return oom(p);
  scan->u.scan.table = t;
  int *phys_of = sql_arena_alloc(p->arena, sizeof *phys_of * (size_t)t->ncols);
  if (!phys_of) return oom(p);
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
    if (!cols) return oom(p);
    for (int k = 0; k < nphys; k++)
      cols[k] = (sql_scope_column){scan->names[k], scan->types[k], NULL};
    sql_scope s = {cols, nphys};
    sql_rel *c = new_calc(p, scan, t->ncols);
    if (!c) return oom(p);
    for (int i = 0; i < t->ncols; i++) {
      sql_expr *e = NULL;
      if (phys_of[i] >= 0) {
        e = sql_expr_column(p->arena, phys_of[i], scan->types[phys_of[i]]);
        if (!e) return oom(p);
      } else {
        int rc = validate(p, t->cols[i].expr, &s, &e);
        if (rc) return rc;
      }
      calc_set(c, i, e, t->cols[i].name);
      if (t->cols[i].proctime) c->attrs[i] = SQL_ATTR_PROCTIME;
    }
    rel = c;
  }
  if (t->rowtime >= 0 && t->watermark) {
    sql_scope_column *cols = sql_arena_alloc(p->arena, sizeof *cols * (size_t)t->ncols);
    if (!cols) return oom(p);
    for (int i = 0; i < t->ncols; i++)
      cols[i] = (sql_scope_column){rel->names[i], rel->types[i], NULL};
    sql_scope s = {cols, t->ncols};
    sql_expr *we = NULL;
    int rc = validate(p, t->watermark, &s, &we);
    if (rc) return rc;
    sql_rel *w = sql_rel_new(p, SQL_REL_WATERMARK, t->ncols, 1);
    if (!w) return oom(p);
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
static int plan_named(sql_planner *p, const sql_node *ident, from_item *f) {
  if (ident->u.ident.nparts == 1)
    for (sql_cte *c = p->ctes; c; c = c->next)
      if (strcmp(c->name, ident->u.ident.parts[0].s) == 0) {
        sql_cte *saved = p->ctes;
        p->ctes = c->next; /* an item sees the items before it */
        int rc = plan_query(p, c->item->u.with_item.query, &f->rel);
        p->ctes = saved;
        if (!rc) rc = rename_columns(p, &f->rel, &c->item->u.with_item.columns, ident);
        return rc ? rc : set_quals(p, f, c->name);
      }
  char err[512];
  const char *name = sql_catalog_object_name(ident, err, sizeof err);
  if (!name) return sql_plan_fail(p, ident, false, "%s", err);
  sql_table *t = sql_catalog_find(p->catalog, name);
  if (!t) {
    sp_strbuf full = {0};
    sql_catalog_full_name(name, &full);
    int rc = sql_plan_fail(p, ident, false, "Object '%s' not found", name);
    sp_strbuf_free(&full);
    return rc;
  }
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
  return rc ? rc : set_quals(p, f, t->name);
}

/* ---- window table functions ------------------------------------------------------------------- */

static const sql_node *unnamed(const sql_node *a) {
  return a && a->kind == SQL_NAMED_ARG ? a->u.named.value : a;
}

/* An INTERVAL argument in milliseconds. */
static int interval_arg(sql_planner *p, const sql_node *a, const char *what, int64_t *ms) {
  sql_scope none = {NULL, 0};
  sql_expr *e = NULL;
  int rc = validate(p, a, &none, &e);
  if (rc) return rc;
  if (e->kind != SQL_E_LITERAL || e->u.lit.kind != SQL_LIT_INTERVAL ||
      e->type->qual.start < SQL_UNIT_DAY)
    return sql_plan_fail(p, a, false,
                         "The %s of a window table function must be a day-time interval literal "
                         "such as INTERVAL '10' MINUTES",
                         what);
  *ms = e->u.lit.i;
  if (*ms <= 0 && strcmp(what, "offset") != 0)
    return sql_plan_fail(p, a, false, "The %s of a window must be positive", what);
  return 0;
}

static int plan_window_tvf(sql_planner *p, const sql_node *tf, from_item *f) {
  const sql_node *call = tf->u.table_func.call;
  if (!call || call->kind != SQL_CALL)
    return sql_plan_fail(p, tf, true, "This table function is not supported");
  const char *fname = call->u.call.name->u.ident.parts[call->u.call.name->u.ident.nparts - 1].s;
  sql_window_kind kind = strcasecmp(fname, "TUMBLE") == 0     ? SQL_WINDOW_TUMBLE
                         : strcasecmp(fname, "HOP") == 0      ? SQL_WINDOW_HOP
                         : strcasecmp(fname, "CUMULATE") == 0 ? SQL_WINDOW_CUMULATE
                         : strcasecmp(fname, "SESSION") == 0  ? SQL_WINDOW_SESSION
                                                              : 0;
  if (!kind)
    return sql_plan_fail(p, call, false, "No match found for function signature %s", fname);
  const sql_list *args = &call->u.call.args;
  int need = kind == SQL_WINDOW_TUMBLE || kind == SQL_WINDOW_SESSION ? 3 : 4;
  if (args->n < need || args->n > need + 1)
    return sql_plan_fail(p, call, false, "Invalid number of arguments to function '%s'", fname);
  const sql_node *data = unnamed(args->v[0]), *desc = unnamed(args->v[1]);
  if (!data || data->kind != SQL_TABLE_ARG)
    return sql_plan_fail(p, args->v[0], false,
                         "The first argument of %s must be a table: TABLE <name>", fname);
  if (data->u.table_arg.partition.n > 0)
    return sql_plan_fail(p, data, true, "Partitioned session windows are not supported yet");
  from_item in = {0};
  int rc = plan_named(p, data->u.table_arg.name, &in);
  if (rc) return rc;
  if (in.rel->updating)
    return sql_plan_fail(p, data, true, "Window table functions take an insert-only input");
  if (!desc || desc->kind != SQL_DESCRIPTOR || desc->u.descriptor.names.n != 1)
    return sql_plan_fail(p, args->v[1], false,
                         "The second argument of %s must be DESCRIPTOR(<time attribute>)", fname);
  const sql_node *col = desc->u.descriptor.names.v[0];
  const char *cname = col->u.ident.parts[col->u.ident.nparts - 1].s;
  int tc = -1;
  for (int i = 0; i < in.rel->ncols; i++)
    if (strcmp(in.rel->names[i], cname) == 0) tc = i;
  if (tc < 0) return sql_plan_fail(p, col, false, "Column '%s' not found in any table", cname);
  if (in.rel->attrs[tc] == SQL_ATTR_NONE)
    return sql_plan_fail(p, col, false,
                         "The window function %s(TABLE table_name, DESCRIPTOR(timecol), ...) "
                         "requires the timecol to be a time attribute type, but is %s.",
                         fname, "not a time attribute (declare a WATERMARK or PROCTIME())");
  sql_rel *w = sql_rel_new(p, SQL_REL_WINDOW_TVF, in.rel->ncols + 3, 1);
  if (!w) return oom(p);
  w->inputs[0] = in.rel;
  w->u.tvf.window = kind;
  w->u.tvf.time_col = tc;
  w->u.tvf.proctime = in.rel->attrs[tc] == SQL_ATTR_PROCTIME;
  int a = 2;
  if (kind == SQL_WINDOW_HOP) {
    rc = interval_arg(p, unnamed(args->v[a++]), "slide", &w->u.tvf.slide);
    if (!rc) rc = interval_arg(p, unnamed(args->v[a++]), "size", &w->u.tvf.size);
  } else if (kind == SQL_WINDOW_CUMULATE) {
    rc = interval_arg(p, unnamed(args->v[a++]), "step", &w->u.tvf.slide);
    if (!rc) rc = interval_arg(p, unnamed(args->v[a++]), "size", &w->u.tvf.size);
  } else {
    rc = interval_arg(p, unnamed(args->v[a++]), kind == SQL_WINDOW_SESSION ? "gap" : "size",
                      &w->u.tvf.size);
  }
  if (!rc && a < args->n) rc = interval_arg(p, unnamed(args->v[a]), "offset", &w->u.tvf.offset);
  if (rc) return rc;
  if (kind == SQL_WINDOW_HOP && w->u.tvf.size % w->u.tvf.slide != 0)
    return sql_plan_fail(p, call, false,
                         "HOP table function based aggregate requires size must be an integral "
                         "multiple of slide, but got size %lld ms and slide %lld ms.",
                         (long long)w->u.tvf.size, (long long)w->u.tvf.slide);
  if (kind == SQL_WINDOW_CUMULATE && w->u.tvf.size % w->u.tvf.slide != 0)
    return sql_plan_fail(p, call, false,
                         "CUMULATE table function based aggregate requires maxSize must be an "
                         "integral multiple of step, but got maxSize %lld ms and step %lld ms.",
                         (long long)w->u.tvf.size, (long long)w->u.tvf.slide);
  for (int i = 0; i < in.rel->ncols; i++) {
    w->names[i] = in.rel->names[i];
    w->types[i] = in.rel->types[i];
    w->attrs[i] = in.rel->attrs[i];
  }
  /* window_start and window_end are TIMESTAMP(3), window_time the time attribute's type */
  sql_type *ts = sql_arena_alloc(p->arena, sizeof *ts);
  if (!ts) return oom(p);
  /* TIMESTAMP_LTZ(3) over a TIMESTAMP_LTZ or processing-time attribute */
  ts->kind = in.rel->types[tc]->kind == SQL_T_TIMESTAMP_LTZ || w->u.tvf.proctime
                 ? SQL_T_TIMESTAMP_LTZ
                 : SQL_T_TIMESTAMP;
  ts->precision = 3;
  ts->nullable = false;
  const sql_type *tt = ts; /* window_time: the time attribute's kind, precision 3 */
  int n = in.rel->ncols;
  w->names[n] = "window_start";
  w->names[n + 1] = "window_end";
  w->names[n + 2] = "window_time";
  w->types[n] = w->types[n + 1] = ts;
  w->types[n + 2] = tt;
  w->attrs[n + 2] = w->u.tvf.proctime ? SQL_ATTR_PROCTIME : SQL_ATTR_ROWTIME;
  w->attrs[tc] = SQL_ATTR_NONE; /* the window's time replaces the input's */
  f->rel = w;
  return set_quals(p, f, NULL);
}

/* ---- FROM ------------------------------------------------------------------------------------- */

static int plan_from(sql_planner *p, const sql_node *n, from_item *f) {
  switch (n->kind) {
  case SQL_TABLE_REF: return plan_named(p, n->u.table_ref.name, f);
  case SQL_IDENT: return plan_named(p, n, f);
  case SQL_SUBQUERY: {
    int rc = plan_query(p, n->u.query.query, &f->rel);
    return rc ? rc : set_quals(p, f, NULL);
  }
  case SQL_TABLE_FUNC: return plan_window_tvf(p, n, f);
  case SQL_ALIAS: {
    int rc = plan_from(p, n->u.alias.arg, f);
    if (!rc) rc = rename_columns(p, &f->rel, &n->u.alias.columns, n);
    return rc ? rc : set_quals(p, f, n->u.alias.name.s);
  }
  case SQL_JOIN:
    return sql_plan_fail(p, n, true, "Joins are not supported by Spate's SQL planner yet");
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

static const sql_node *item_expr(const sql_node *item) {
  return item->kind == SQL_ALIAS ? item->u.alias.arg : item;
}

/* The select list expanded (stars) and validated over scope s: n expressions and names. */
typedef struct select_list {
  int n;
  sql_expr **exprs;
  const char **names;
  const sql_node **nodes;
} select_list;

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
  if (!out->exprs || !out->names || !out->nodes) return oom(p);
  out->n = 0;
  for (int i = 0; i < items->n; i++) {
    const sql_node *it = items->v[i];
    if (it->kind == SQL_IDENT && it->u.ident.star) {
      const char *q = it->u.ident.nparts >= 1 ? it->u.ident.parts[0].s : NULL;
      bool any = false;
      for (int c = 0; c < f->rel->ncols; c++) {
        if (q && (!f->quals || !f->quals[c] || strcmp(f->quals[c], q) != 0)) continue;
        sql_expr *e = sql_expr_column(p->arena, c, f->rel->types[c]);
        if (!e) return oom(p);
        out->exprs[out->n] = e;
        out->names[out->n] = f->rel->names[c];
        out->nodes[out->n++] = it;
        any = true;
      }
      if (q && !any) return sql_plan_fail(p, it, false, "Table '%s' not found", q);
      continue;
    }
    sql_expr *e = NULL;
    int rc = validate(p, item_expr(it), s, &e);
    if (rc) return rc;
    out->exprs[out->n] = e;
    out->names[out->n] = item_name(p, it, out->n);
    if (!out->names[out->n]) return oom(p);
    out->nodes[out->n++] = it;
  }
  /* Calcite makes duplicate output names unique: a, a0, a1 ... */
  for (int i = 0; i < out->n; i++)
    for (int j = 0, k = 0; j < i; j++)
      if (strcmp(out->names[i], out->names[j]) == 0) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s%d", out->names[j], k++);
        out->names[i] = sql_arena_strndup(p->arena, buf, strlen(buf));
        if (!out->names[i]) return oom(p);
        j = -1; /* check the new name again */
      }
  return 0;
}

static bool has_aggregate(const sql_expr *e) {
  if (!e) return false;
  if (e->kind == SQL_E_CALL) {
    if (e->aggregate) return true;
    for (int i = 0; i < e->u.call.nargs; i++)
      if (has_aggregate(e->u.call.args[i])) return true;
  }
  return e->kind == SQL_E_CAST && has_aggregate(e->u.cast.arg);
}

/* The aggregation being planned: group expressions and aggregate calls over the input. */
typedef struct agg_plan {
  int ngroup;
  sql_expr **group; /* over the input */
  int naggs, cap;
  sql_expr **aggs; /* the distinct aggregate calls found */
  /* window aggregation: which group entries are window_start / window_end / window_time */
  int wstart, wend, wtime;
} agg_plan;

static int collect_aggs(sql_planner *p, agg_plan *a, const sql_expr *e) {
  if (!e) return 0;
  if (e->kind == SQL_E_CAST) return collect_aggs(p, a, e->u.cast.arg);
  if (e->kind != SQL_E_CALL) return 0;
  if (!e->aggregate) {
    for (int i = 0; i < e->u.call.nargs; i++) {
      int rc = collect_aggs(p, a, e->u.call.args[i]);
      if (rc) return rc;
    }
    return 0;
  }
  for (int i = 0; i < a->naggs; i++)
    if (sql_expr_equal(a->aggs[i], e)) return 0;
  if (a->naggs == a->cap) {
    int cap = a->cap ? a->cap * 2 : 8;
    sql_expr **v = sql_arena_alloc(p->arena, sizeof *v * (size_t)cap);
    if (!v) return oom(p);
    if (a->naggs) memcpy(v, a->aggs, sizeof *v * (size_t)a->naggs);
    a->aggs = v;
    a->cap = cap;
  }
  a->aggs[a->naggs++] = (sql_expr *)e;
  return 0;
}

/* e over the aggregate's output: aggregate calls and group expressions become its columns;
 * a column of the input left over is not grouped. map_group[i] and map_agg[i] are the output
 * columns of group expression i and aggregate i. */
static sql_expr *over_agg(sql_planner *p, const agg_plan *a, const int *map_group,
                          const int *map_agg, const sql_expr *e, const sql_rel *in, int *bad) {
  for (int i = 0; i < a->ngroup; i++)
    if (map_group[i] >= 0 && sql_expr_equal(a->group[i], e))
      return sql_expr_column(p->arena, map_group[i], e->type);
  if (e->kind == SQL_E_CALL && e->aggregate)
    for (int i = 0; i < a->naggs; i++)
      if (sql_expr_equal(a->aggs[i], e)) return sql_expr_column(p->arena, map_agg[i], e->type);
  if (e->kind == SQL_E_COLUMN) {
    if (*bad < 0) *bad = e->u.column;
    (void)in;
    return NULL;
  }
  sql_expr *c = sql_arena_alloc(p->arena, sizeof *c);
  if (!c) return NULL;
  *c = *e;
  if (e->kind == SQL_E_CAST) {
    c->u.cast.arg = over_agg(p, a, map_group, map_agg, e->u.cast.arg, in, bad);
    return c->u.cast.arg ? c : NULL;
  }
  if (e->kind == SQL_E_CALL && e->u.call.nargs > 0) {
    c->u.call.args = sql_arena_alloc(p->arena, sizeof *c->u.call.args * (size_t)e->u.call.nargs);
    if (!c->u.call.args) return NULL;
    for (int i = 0; i < e->u.call.nargs; i++) {
      c->u.call.args[i] = over_agg(p, a, map_group, map_agg, e->u.call.args[i], in, bad);
      if (!c->u.call.args[i]) return NULL;
    }
  }
  return c;
}

static sql_agg_kind agg_kind_of(const sql_expr *e) {
  switch (e->u.call.fn) {
  case SQL_FN_COUNT: return (e->u.call.flags & SQL_CALL_STAR) ? SQL_AGG_COUNT_STAR : SQL_AGG_COUNT;
  case SQL_FN_SUM: return SQL_AGG_SUM;
  case SQL_FN_MIN: return SQL_AGG_MIN;
  case SQL_FN_MAX: return SQL_AGG_MAX;
  case SQL_FN_AVG: return SQL_AGG_AVG;
  default: return 0;
  }
}

/* Adds e to the projections of pre (deduplicated); returns its column or -1 out of memory. */
static int pre_column(sql_planner *p, sql_expr ***projs, const char ***names, int *n, int *cap,
                      sql_expr *e, const char *name) {
  for (int i = 0; i < *n; i++)
    if (sql_expr_equal((*projs)[i], e)) return i;
  if (*n == *cap) {
    int c = *cap ? *cap * 2 : 8;
    sql_expr **v = sql_arena_alloc(p->arena, sizeof *v * (size_t)c);
    const char **nm = sql_arena_alloc(p->arena, sizeof *nm * (size_t)c);
    if (!v || !nm) return -1;
    if (*n) {
      memcpy(v, *projs, sizeof *v * (size_t)*n);
      memcpy(nm, *names, sizeof *nm * (size_t)*n);
    }
    *projs = v;
    *names = nm;
    *cap = c;
  }
  (*projs)[*n] = e;
  (*names)[*n] = name;
  return (*n)++;
}

static const char *numbered(sql_planner *p, const char *prefix, int i) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s%d", prefix, i);
  return sql_arena_strndup(p->arena, buf, strlen(buf));
}

/* GROUP BY (plain or over a window table function), HAVING and the select list over it. */
static int plan_aggregate(sql_planner *p, const sql_node *sel, const from_item *f,
                          const sql_scope *s, select_list *items, sql_expr *having, sql_rel **out) {
  agg_plan a = {.wstart = -1, .wend = -1, .wtime = -1};
  const sql_list *gb = &sel->u.select.group_by;
  a.group = sql_arena_alloc(p->arena, sizeof *a.group * (size_t)(gb->n + 1));
  if (!a.group) return oom(p);
  for (int i = 0; i < gb->n; i++) {
    if (gb->v[i]->kind == SQL_GROUPING)
      return sql_plan_fail(p, gb->v[i], true,
                           "GROUPING SETS, ROLLUP and CUBE are not supported by Spate's SQL "
                           "planner yet");
    sql_expr *e = NULL;
    int rc = validate(p, gb->v[i], s, &e);
    if (rc) return rc;
    if (has_aggregate(e))
      return sql_plan_fail(p, gb->v[i], false,
                           "Aggregate expression is illegal in GROUP BY clause");
    bool dup = false;
    for (int j = 0; j < a.ngroup; j++) dup |= sql_expr_equal(a.group[j], e);
    if (!dup) a.group[a.ngroup++] = e;
  }
  for (int i = 0; i < items->n; i++) {
    int rc = collect_aggs(p, &a, items->exprs[i]);
    if (rc) return rc;
  }
  if (having) {
    int rc = collect_aggs(p, &a, having);
    if (rc) return rc;
  }
  sql_rel *in = f->rel;
  bool windowed = false;
  if (in->kind == SQL_REL_WINDOW_TVF) {
    int n = in->inputs[0]->ncols;
    for (int i = 0; i < a.ngroup; i++)
      if (a.group[i]->kind == SQL_E_COLUMN) {
        int c = a.group[i]->u.column;
        if (c == n) a.wstart = i;
        if (c == n + 1) a.wend = i;
        if (c == n + 2) a.wtime = i;
      }
    if (a.wstart < 0 || a.wend < 0)
      return sql_plan_fail(p, sel, true,
                           "A window table function is only supported under an aggregation "
                           "grouped by window_start and window_end");
    windowed = true;
  }
  /* the calc before the aggregation: group keys, then the aggregates' arguments and filters */
  sql_rel *below = windowed ? in->inputs[0] : in;
  sql_expr **pp = NULL;
  const char **pn = NULL;
  int np = 0, pcap = 0;
  int *gcol = sql_arena_alloc(p->arena, sizeof *gcol * (size_t)(a.ngroup + 1));
  if (!gcol) return oom(p);
  int ngroup_keys = 0;
  for (int i = 0; i < a.ngroup; i++) {
    if (i == a.wstart || i == a.wend || i == a.wtime) {
      gcol[i] = -1;
      continue;
    }
    sql_expr *e = a.group[i];
    if (windowed) {
      int bad = -1;
      (void)bad;
      /* group keys of a window aggregation read the table function's input columns */
      if (e->kind == SQL_E_COLUMN && e->u.column >= below->ncols)
        return sql_plan_fail(p, sel, false, "window_time cannot be grouped on here");
    }
    const char *name = e->kind == SQL_E_COLUMN ? in->names[e->u.column] : numbered(p, "$f", i);
    gcol[i] = pre_column(p, &pp, &pn, &np, &pcap, e, name);
    if (gcol[i] < 0) return oom(p);
    ngroup_keys++;
  }
  /* a group key listed twice as the same column counts once: the calc keeps it deduplicated */
  int time_pre = -1;
  if (windowed) {
    int tc = in->u.tvf.time_col;
    sql_expr *te = sql_expr_column(p->arena, tc, below->types[tc]);
    if (!te) return oom(p);
    time_pre = pre_column(p, &pp, &pn, &np, &pcap, te, below->names[tc]);
    if (time_pre < 0) return oom(p);
  }
  sql_agg_call *calls = sql_arena_alloc(p->arena, sizeof *calls * (size_t)(a.naggs + 1));
  if (!calls) return oom(p);
  for (int i = 0; i < a.naggs; i++) {
    sql_expr *c = a.aggs[i];
    calls[i].kind = agg_kind_of(c);
    if (!calls[i].kind)
      return sql_plan_fail(p, NULL, true, "The aggregate function %s is not supported yet",
                           sql_fn_name(c->u.call.fn));
    calls[i].type = c->type;
    calls[i].distinct = (c->u.call.flags & SQL_CALL_DISTINCT) != 0;
    calls[i].arg = calls[i].filter = -1;
    if (c->u.call.nargs > 0) {
      if (windowed && c->u.call.args[0]->kind == SQL_E_COLUMN &&
          c->u.call.args[0]->u.column >= below->ncols)
        return sql_plan_fail(p, NULL, true, "Aggregating window columns is not supported");
      calls[i].arg = pre_column(p, &pp, &pn, &np, &pcap, c->u.call.args[0],
                                c->u.call.args[0]->kind == SQL_E_COLUMN
                                    ? below->names[c->u.call.args[0]->u.column]
                                    : numbered(p, "$f", np));
      if (calls[i].arg < 0) return oom(p);
    }
    if (c->u.call.filter) {
      calls[i].filter =
          pre_column(p, &pp, &pn, &np, &pcap, c->u.call.filter, numbered(p, "$f", np));
      if (calls[i].filter < 0) return oom(p);
    }
    /* named as Calcite names it: after the select item that is exactly this call, else $fN */
    calls[i].name = NULL;
    for (int k = 0; k < items->n && !calls[i].name; k++)
      if (sql_expr_equal(items->exprs[k], c)) calls[i].name = items->names[k];
    if (!calls[i].name) calls[i].name = numbered(p, "$f", ngroup_keys + i);
    if (!calls[i].name) return oom(p);
  }
  if (np == 0) { /* COUNT(*) alone still needs a row: Calcite's $f0 = 0 */
    sql_expr *zero = sql_arena_alloc(p->arena, sizeof *zero);
    sql_type *it = sql_arena_alloc(p->arena, sizeof *it);
    if (!zero || !it) return oom(p);
    it->kind = SQL_T_INT;
    zero->kind = SQL_E_LITERAL;
    zero->u.lit.kind = SQL_LIT_INTEGER;
    zero->type = it;
    if (pre_column(p, &pp, &pn, &np, &pcap, zero, "$f0") < 0) return oom(p);
  }
  sql_rel *pre = new_calc(p, below, np);
  if (!pre) return oom(p);
  for (int i = 0; i < np; i++) calc_set(pre, i, pp[i], pn[i]);
  /* the aggregation: group keys first (in the calc's order 0..ngroup_keys), then ... */
  int nout;
  sql_rel *agg;
  int *map_group = sql_arena_alloc(p->arena, sizeof *map_group * (size_t)(a.ngroup + 1));
  int *map_agg = sql_arena_alloc(p->arena, sizeof *map_agg * (size_t)(a.naggs + 1));
  if (!map_group || !map_agg) return oom(p);
  int *keys = sql_arena_alloc(p->arena, sizeof *keys * (size_t)(ngroup_keys + 1));
  if (!keys) return oom(p);
  int nk = 0;
  for (int i = 0; i < a.ngroup; i++)
    if (gcol[i] >= 0) {
      bool seen = false;
      for (int j = 0; j < nk; j++) seen |= keys[j] == gcol[i];
      if (!seen) keys[nk++] = gcol[i];
    }
  for (int i = 0; i < a.ngroup; i++) {
    map_group[i] = -1;
    for (int j = 0; j < nk; j++)
      if (gcol[i] == keys[j]) map_group[i] = j;
  }
  if (windowed) {
    nout = nk + 3 + a.naggs;
    agg = sql_rel_new(p, SQL_REL_WINDOW_AGG, nout, 1);
    if (!agg) return oom(p);
    agg->u.window.window = in->u.tvf.window;
    agg->u.window.time_col = time_pre;
    agg->u.window.proctime = in->u.tvf.proctime;
    agg->u.window.size = in->u.tvf.size;
    agg->u.window.slide = in->u.tvf.slide;
    agg->u.window.offset = in->u.tvf.offset;
    agg->u.window.ngroup = nk;
    agg->u.window.group = keys;
    agg->u.window.naggs = a.naggs;
    agg->u.window.aggs = calls;
    int n = below->ncols;
    for (int k = 0; k < 3; k++) {
      agg->names[nk + k] = in->names[n + k];
      agg->types[nk + k] = in->types[n + k];
    }
    agg->attrs[nk + 2] = in->attrs[n + 2];
    if (a.wstart >= 0) map_group[a.wstart] = nk;
    if (a.wend >= 0) map_group[a.wend] = nk + 1;
    if (a.wtime >= 0) map_group[a.wtime] = nk + 2;
    for (int i = 0; i < a.naggs; i++) map_agg[i] = nk + 3 + i;
    agg->updating = false;
  } else {
    nout = nk + a.naggs;
    agg = sql_rel_new(p, SQL_REL_AGGREGATE, nout, 1);
    if (!agg) return oom(p);
    agg->u.agg.ngroup = nk;
    agg->u.agg.group = keys;
    agg->u.agg.naggs = a.naggs;
    agg->u.agg.aggs = calls;
    for (int i = 0; i < a.naggs; i++) map_agg[i] = nk + i;
    agg->updating = true;
  }
  agg->inputs[0] = pre;
  for (int j = 0; j < nk; j++) {
    agg->names[j] = pre->names[keys[j]];
    agg->types[j] = pre->types[keys[j]];
  }
  int off = windowed ? nk + 3 : nk;
  for (int i = 0; i < a.naggs; i++) {
    agg->names[off + i] = calls[i].name;
    agg->types[off + i] = calls[i].type;
  }
  /* the select list and HAVING over the aggregation */
  sql_rel *post = new_calc(p, agg, items->n);
  if (!post) return oom(p);
  for (int i = 0; i < items->n; i++) {
    int bad = -1;
    sql_expr *e = over_agg(p, &a, map_group, map_agg, items->exprs[i], in, &bad);
    if (!e) {
      if (bad < 0) return oom(p);
      return sql_plan_fail(p, item_expr(items->nodes[i]), false,
                           "Expression '%s' is not being grouped", in->names[bad]);
    }
    calc_set(post, i, e, items->names[i]);
  }
  if (having) {
    int bad = -1;
    post->u.calc.filter = over_agg(p, &a, map_group, map_agg, having, in, &bad);
    if (!post->u.calc.filter) {
      if (bad < 0) return oom(p);
      return sql_plan_fail(p, sel->u.select.having, false, "Expression '%s' is not being grouped",
                           in->names[bad]);
    }
  }
  *out = post;
  return 0;
}

static int plan_distinct(sql_planner *p, sql_rel *in, sql_rel **out) {
  sql_rel *agg = sql_rel_new(p, SQL_REL_AGGREGATE, in->ncols, 1);
  if (!agg) return oom(p);
  agg->inputs[0] = in;
  agg->updating = true;
  agg->u.agg.ngroup = in->ncols;
  agg->u.agg.group = sql_arena_alloc(p->arena, sizeof(int) * (size_t)(in->ncols + 1));
  if (!agg->u.agg.group) return oom(p);
  for (int i = 0; i < in->ncols; i++) {
    agg->u.agg.group[i] = i;
    agg->names[i] = in->names[i];
    agg->types[i] = in->types[i];
  }
  *out = agg;
  return 0;
}

static int check_boolean(sql_planner *p, const sql_expr *e, const sql_node *n, const char *clause) {
  if (e->type->kind == SQL_T_BOOLEAN || e->type->kind == SQL_T_NULL) return 0;
  char t[128];
  sql_calcite_type_name(e->type, t, sizeof t);
  return sql_plan_fail(p, n, false, "%s clause must be a condition", clause);
}

static int plan_select(sql_planner *p, const sql_node *sel, sql_rel **out) {
  from_item f = {0};
  int rc;
  if (sel->u.select.from) {
    rc = plan_from(p, sel->u.select.from, &f);
  } else { /* SELECT without FROM reads one row of Calcite's VALUES { 0 } */
    sql_rel *v = sql_rel_new(p, SQL_REL_VALUES, 1, 0);
    if (!v) return oom(p);
    sql_type *it = sql_arena_alloc(p->arena, sizeof *it);
    sql_expr *zero = sql_arena_alloc(p->arena, sizeof *zero);
    sql_expr ***rows = sql_arena_alloc(p->arena, sizeof *rows);
    sql_expr **row = sql_arena_alloc(p->arena, sizeof *row);
    if (!it || !zero || !rows || !row) return oom(p);
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
    rc = set_quals(p, &f, NULL);
  }
  if (rc) return rc;
  if (f.rel->kind == SQL_REL_WINDOW_TVF && sel->u.select.group_by.n == 0)
    return sql_plan_fail(p, sel, true,
                         "Window table functions are supported under a window aggregation "
                         "(GROUP BY window_start, window_end, ...) only, yet");
  sql_scope s;
  rc = scope_of(p, &f, &s);
  if (rc) return rc;
  sql_rel *rel = f.rel;
  if (sel->u.select.where) {
    sql_expr *w = NULL;
    rc = validate(p, sel->u.select.where, &s, &w);
    if (rc) return rc;
    if (has_aggregate(w))
      return sql_plan_fail(p, sel->u.select.where, false,
                           "Aggregate expression is illegal in WHERE clause");
    rc = check_boolean(p, w, sel->u.select.where, "WHERE");
    if (rc) return rc;
    if (rel->kind == SQL_REL_WINDOW_TVF)
      return sql_plan_fail(p, sel->u.select.where, true,
                           "WHERE over a window table function is not supported yet; filter "
                           "in a view of the table instead");
    sql_rel *c = new_calc(p, rel, rel->ncols);
    if (!c) return oom(p);
    for (int i = 0; i < rel->ncols; i++) {
      sql_expr *e = sql_expr_column(p->arena, i, rel->types[i]);
      if (!e) return oom(p);
      calc_set(c, i, e, rel->names[i]);
    }
    c->u.calc.filter = w;
    rel = c;
    f.rel = rel;
  }
  select_list items;
  rc = expand_select(p, sel, &f, &s, &items);
  if (rc) return rc;
  sql_expr *having = NULL;
  if (sel->u.select.having) {
    rc = validate(p, sel->u.select.having, &s, &having);
    if (rc) return rc;
    rc = check_boolean(p, having, sel->u.select.having, "HAVING");
    if (rc) return rc;
  }
  bool aggregating = sel->u.select.group_by.n > 0 || having != NULL;
  for (int i = 0; i < items.n && !aggregating; i++) aggregating = has_aggregate(items.exprs[i]);
  if (aggregating) {
    rc = plan_aggregate(p, sel, &f, &s, &items, having, &rel);
  } else {
    sql_rel *c = new_calc(p, rel, items.n);
    if (!c) return oom(p);
    for (int i = 0; i < items.n; i++) calc_set(c, i, items.exprs[i], items.names[i]);
    rel = c;
  }
  if (rc) return rc;
  if (sel->u.select.quantifier == SQL_QUANT_DISTINCT) rc = plan_distinct(p, rel, &rel);
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
  sql_rel *c = new_calc(p, in, in->ncols);
  if (!c) return oom(p);
  for (int i = 0; i < in->ncols; i++) {
    sql_expr *e = sql_expr_column(p->arena, i, in->types[i]);
    if (!e) return oom(p);
    if (!same_type(in->types[i], types[i])) {
      sql_expr *cast = sql_arena_alloc(p->arena, sizeof *cast);
      if (!cast) return oom(p);
      cast->kind = SQL_E_CAST;
      cast->type = types[i];
      cast->u.cast.arg = e;
      e = cast;
    }
    calc_set(c, i, e, in->names[i]);
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
  if (!types || !col) return oom(p);
  for (int c = 0; c < ncols; c++) {
    for (int i = 0; i < n; i++) col[i] = rels[i]->types[c];
    bool nomem = false;
    types[c] = sql_type_common(col, n, p->arena, &nomem);
    if (nomem) return oom(p);
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
  if (!r) return oom(p);
  r->u.values.nrows = rows->n;
  r->u.values.rows = sql_arena_alloc(p->arena, sizeof *r->u.values.rows * (size_t)rows->n);
  const sql_type **col = sql_arena_alloc(p->arena, sizeof *col * (size_t)rows->n);
  if (!r->u.values.rows || !col) return oom(p);
  sql_scope none = {NULL, 0};
  for (int i = 0; i < rows->n; i++) {
    const sql_node *row = rows->v[i];
    int n = row->kind == SQL_CTOR ? row->u.ctor.items.n : 1;
    if (n != ncols) return sql_plan_fail(p, row, false, "Column count mismatch in VALUES");
    sql_expr **exprs = sql_arena_alloc(p->arena, sizeof *exprs * (size_t)ncols);
    if (!exprs) return oom(p);
    for (int c = 0; c < ncols; c++) {
      const sql_node *item = row->kind == SQL_CTOR ? row->u.ctor.items.v[c] : row;
      int rc = validate(p, item, &none, &exprs[c]);
      if (rc) return rc;
    }
    r->u.values.rows[i] = exprs;
  }
  for (int c = 0; c < ncols; c++) {
    for (int i = 0; i < rows->n; i++) col[i] = r->u.values.rows[i][c]->type;
    bool nomem = false;
    const sql_type *t = sql_type_common(col, rows->n, p->arena, &nomem);
    if (nomem) return oom(p);
    if (!t) return sql_plan_fail(p, v, false, "Type mismatch in column %d of VALUES", c + 1);
    if (t->kind == SQL_T_NULL)
      return sql_plan_fail(p, v, false, "Illegal use of 'NULL': column %d of VALUES has no type",
                           c + 1);
    r->types[c] = t;
    r->names[c] = numbered(p, "EXPR$", c);
    if (!r->names[c]) return oom(p);
    /* each cell cast to the column's type where it differs */
    for (int i = 0; i < rows->n; i++) {
      sql_expr *e = r->u.values.rows[i][c];
      if (same_type(e->type, t)) continue;
      sql_expr *cast = sql_arena_alloc(p->arena, sizeof *cast);
      if (!cast) return oom(p);
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
  if (!u) return oom(p);
  u->inputs[0] = in[0];
  u->inputs[1] = in[1];
  u->updating = in[0]->updating || in[1]->updating;
  for (int i = 0; i < u->ncols; i++) {
    u->names[i] = in[0]->names[i];
    u->types[i] = types[i];
  }
  if (!n->u.setop.all) return plan_distinct(p, u, out);
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
    if (!items) return oom(p);
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
  sp_strbuf full = {0};
  sql_catalog_full_name(name, &full);
  if (q->ncols != nphys) {
    rc = sql_plan_fail(p, ins->u.insert.query, false,
                       "Column types of query result and sink for '%s' do not match.\nCause: "
                       "Different number of columns.",
                       full.data ? full.data : name);
    sp_strbuf_free(&full);
    return rc;
  }
  /* the query's columns cast implicitly to the sink's types, as Flink's planner does */
  const sql_type **types = sql_arena_alloc(p->arena, sizeof *types * (size_t)(nphys + 1));
  if (!types) return oom(p);
  for (int i = 0, k = 0; i < t->ncols; i++)
    if (t->cols[i].kind == SQL_COLUMN_PHYSICAL) {
      if (!sql_type_can_cast(q->types[k], t->cols[i].type, false) &&
          q->types[k]->kind != SQL_T_NULL) {
        sp_strbuf qt = {0}, st = {0};
        sql_type_format(q->types[k], &qt);
        sql_type_format(t->cols[i].type, &st);
        rc = sql_plan_fail(p, ins->u.insert.query, false,
                           "Column types of query result and sink for '%s' do not match.\nCause: "
                           "Incompatible types for sink column '%s' at position %d.\n\nQuery "
                           "schema: [..., %s: %s, ...]\nSink schema:  [..., %s: %s, ...]",
                           full.data ? full.data : name, t->cols[i].name, k, q->names[k],
                           qt.data ? qt.data : "?", t->cols[i].name, st.data ? st.data : "?");
        sp_strbuf_free(&qt);
        sp_strbuf_free(&st);
        sp_strbuf_free(&full);
        return rc;
      }
      types[k++] = t->cols[i].type;
    }
  sp_strbuf_free(&full);
  rc = cast_columns(p, &q, types);
  if (rc) return rc;
  sql_rel *s = sql_rel_new(p, SQL_REL_SINK, q->ncols, 1);
  if (!s) return oom(p);
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
