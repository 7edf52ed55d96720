/*
 * sql_plan_window.c: window table functions in FROM (Flink's Windowing TVFs): TUMBLE, HOP,
 * CUMULATE and SESSION over a table's time attribute, with Flink's checks of their arguments.
 * The relation they make (SQL_REL_WINDOW_TVF) runs only under a window aggregation, which takes
 * its place (sql_plan_aggregate.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "sql/sql_plan_int.h"

/* ---- window table functions ------------------------------------------------------------------- */

static const sql_node *unnamed(const sql_node *a) {
  return a && a->kind == SQL_NAMED_ARG ? a->u.named.value : a;
}

/* An INTERVAL argument in milliseconds. */
static int interval_arg(sql_planner *p, const sql_node *a, const char *what, int64_t *ms,
                        sql_interval_qual *q) {
  sql_scope none = {NULL, 0, NULL};
  sql_expr *e = NULL;
  int rc = sqlq_validate(p, a, &none, &e);
  if (rc) return rc;
  if (e->kind != SQL_E_LITERAL || e->u.lit.kind != SQL_LIT_INTERVAL ||
      e->type->qual.start < SQL_UNIT_DAY)
    return sql_plan_fail(p, a, false,
                         "The %s of a window table function must be a day-time interval literal "
                         "such as INTERVAL '10' MINUTES",
                         what);
  *ms = e->u.lit.i;
  *q = a->kind == SQL_LITERAL ? a->u.lit.qual : e->type->qual; /* as written: MINUTE */
  if (*ms <= 0 && strcmp(what, "offset") != 0)
    return sql_plan_fail(p, a, false, "The %s of a window must be positive", what);
  return 0;
}

int sqlq_plan_window_tvf(sql_planner *p, const sql_node *tf, from_item *f) {
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
  if (data->u.table_arg.partition.n > 0 && kind != SQL_WINDOW_SESSION)
    return sql_plan_fail(p, data, false,
                         "Only the SESSION window table function takes PARTITION BY");
  from_item in = {0};
  int rc = sqlq_plan_named(p, data->u.table_arg.name, &in);
  if (rc) return rc;
  const sql_list *part = &data->u.table_arg.partition;
  int *pcols = sql_arena_alloc(p->arena, sizeof *pcols * (size_t)(part->n + 1));
  if (!pcols) return sqlq_oom(p);
  for (int i = 0; i < part->n; i++) {
    const sql_node *id = part->v[i];
    if (id->kind != SQL_IDENT)
      return sql_plan_fail(p, id, false, "PARTITION BY of a window table function takes columns");
    const char *pn = id->u.ident.parts[id->u.ident.nparts - 1].s;
    pcols[i] = -1;
    for (int c = 0; c < in.rel->ncols; c++)
      if (strcmp(in.rel->names[c], pn) == 0) pcols[i] = c;
    if (pcols[i] < 0) return sql_plan_fail(p, id, false, "Column '%s' not found in any table", pn);
  }
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
  if (!w) return sqlq_oom(p);
  w->inputs[0] = in.rel;
  w->u.tvf.window = kind;
  w->u.tvf.time_col = tc;
  w->u.tvf.proctime = in.rel->attrs[tc] == SQL_ATTR_PROCTIME;
  w->u.tvf.npartition = part->n;
  w->u.tvf.partition = pcols;
  int a = 2;
  sql_interval_qual *q = w->u.tvf.quals;
  if (kind == SQL_WINDOW_HOP) {
    rc = interval_arg(p, unnamed(args->v[a++]), "slide", &w->u.tvf.slide, &q[1]);
    if (!rc) rc = interval_arg(p, unnamed(args->v[a++]), "size", &w->u.tvf.size, &q[0]);
  } else if (kind == SQL_WINDOW_CUMULATE) {
    rc = interval_arg(p, unnamed(args->v[a++]), "step", &w->u.tvf.slide, &q[1]);
    if (!rc) rc = interval_arg(p, unnamed(args->v[a++]), "size", &w->u.tvf.size, &q[0]);
  } else {
    rc = interval_arg(p, unnamed(args->v[a++]), kind == SQL_WINDOW_SESSION ? "gap" : "size",
                      &w->u.tvf.size, &q[0]);
  }
  if (!rc && a < args->n) {
    rc = interval_arg(p, unnamed(args->v[a]), "offset", &w->u.tvf.offset, &q[2]);
    w->u.tvf.has_offset = true;
  }
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
  if (!ts) return sqlq_oom(p);
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
  return sqlq_set_quals(p, f, NULL);
}
