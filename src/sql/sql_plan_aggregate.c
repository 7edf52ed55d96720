/*
 * sql_plan_aggregate.c: GROUP BY, HAVING and DISTINCT as Calcite's SqlToRelConverter plans them:
 * a calc computing the group keys and every aggregate's argument and FILTER condition, the
 * aggregation over its columns (SQL_REL_AGGREGATE, updating; or SQL_REL_WINDOW_AGG over a window
 * table function grouped by window_start and window_end, insert-only), then a calc of the select
 * list and HAVING over the aggregation's output, where a column not grouped is Calcite's
 * "Expression 'x' is not being grouped".
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_plan_int.h"

bool sqlq_has_aggregate(const sql_expr *e) {
  if (!e) return false;
  if (e->kind == SQL_E_CALL) {
    if (e->aggregate) return true;
    for (int i = 0; i < e->u.call.nargs; i++)
      if (sqlq_has_aggregate(e->u.call.args[i])) return true;
  }
  return e->kind == SQL_E_CAST && sqlq_has_aggregate(e->u.cast.arg);
}

/* The aggregation being planned: group expressions and aggregate calls over the input. */
typedef struct agg_plan {
  int ngroup;
  sql_expr **group; /* over the input */
  int naggs, cap;
  sql_expr **aggs; /* the distinct aggregate calls found */
  /* window aggregation: which group entries are window_start / window_end / window_time */
  int wstart, wend, wtime;
  sqlq_grouping *g;       /* the grouping sets */
  sqlq_expand_keys *k;    /* the keys against them ($e), once the aggregation is built */
  const sql_type **types; /* the aggregation's output types */
} agg_plan;

static int collect_aggs(sql_planner *p, agg_plan *a, const sql_expr *e) {
  if (!e) return 0;
  if (e->kind == SQL_E_CAST) return collect_aggs(p, a, e->u.cast.arg);
  if (e->kind != SQL_E_CALL) return 0;
  if (sqlq_is_grouping_fn(e)) return sqlq_check_grouping_fn(p, a->g, e);
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
    if (!v) return sqlq_oom(p);
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
                          const int *map_agg, const sql_expr *e, int *bad) {
  for (int i = 0; i < a->ngroup; i++)
    if (map_group[i] >= 0 && sql_expr_equal(a->group[i], e))
      return sql_expr_column(p->arena, map_group[i], a->types[map_group[i]]);
  if (sqlq_is_grouping_fn(e)) return sqlq_grouping_value(p, a->g, a->k, e);
  if (e->kind == SQL_E_CALL && e->aggregate)
    for (int i = 0; i < a->naggs; i++)
      if (sql_expr_equal(a->aggs[i], e)) return sql_expr_column(p->arena, map_agg[i], e->type);
  if (e->kind == SQL_E_COLUMN) {
    if (*bad < 0) *bad = e->u.column;
    return NULL;
  }
  sql_expr *c = sql_arena_alloc(p->arena, sizeof *c);
  if (!c) return NULL;
  *c = *e;
  if (e->kind == SQL_E_CAST) {
    c->u.cast.arg = over_agg(p, a, map_group, map_agg, e->u.cast.arg, bad);
    return c->u.cast.arg ? c : NULL;
  }
  if (e->kind == SQL_E_CALL && e->u.call.nargs > 0) {
    c->u.call.args = sql_arena_alloc(p->arena, sizeof *c->u.call.args * (size_t)e->u.call.nargs);
    if (!c->u.call.args) return NULL;
    for (int i = 0; i < e->u.call.nargs; i++) {
      c->u.call.args[i] = over_agg(p, a, map_group, map_agg, e->u.call.args[i], bad);
      if (!c->u.call.args[i]) return NULL;
    }
  }
  return c;
}

sql_agg_kind sqlq_agg_kind_of(const sql_expr *e) {
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

const char *sqlq_numbered(sql_planner *p, const char *prefix, int i) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s%d", prefix, i);
  return sql_arena_strndup(p->arena, buf, strlen(buf));
}

/* GROUP BY (plain or over a window table function), HAVING and the select list over it. */
int sqlq_plan_aggregate(sql_planner *p, const sql_node *sel, const from_item *f, const sql_scope *s,
                        select_list *items, sql_expr *having, sql_rel **out) {
  sqlq_grouping g;
  int rc0 = sqlq_grouping_sets(p, sel, s, &g);
  if (rc0) return rc0;
  agg_plan a = {.wstart = -1, .wend = -1, .wtime = -1, .g = &g};
  a.ngroup = g.ngroup;
  a.group = g.group;
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
    /* not grouped by the window: a plain aggregation over the function's rows */
    windowed = a.wstart >= 0 && a.wend >= 0;
    if (!windowed) a.wstart = a.wend = a.wtime = -1;
    for (int st = 0; windowed && st < g.nsets; st++)
      for (int i = 0; i < a.ngroup; i++)
        if ((i == a.wstart || i == a.wend || i == a.wtime) && !(g.sets[st] & (1ull << i)))
          return sql_plan_fail(p, g.nodes[i], false,
                               "Window aggregations with GROUPING SETS, ROLLUP or CUBE require "
                               "window_start and window_end in the GROUP BY clause, not in the "
                               "GROUPING SETS, ROLLUP or CUBE");
  }
  /* the calc before the aggregation: group keys, then the aggregates' arguments and filters */
  sql_rel *below = windowed ? in->inputs[0] : in;
  sql_expr **pp = NULL;
  const char **pn = NULL;
  int np = 0, pcap = 0;
  int *gcol = sql_arena_alloc(p->arena, sizeof *gcol * (size_t)(a.ngroup + 1));
  if (!gcol) return sqlq_oom(p);
  int ngroup_keys = 0;
  for (int i = 0; i < a.ngroup; i++) {
    if (i == a.wstart || i == a.wend || i == a.wtime) {
      gcol[i] = -1;
      continue;
    }
    sql_expr *e = a.group[i];
    /* group keys of a window aggregation read the table function's input columns */
    if (windowed && e->kind == SQL_E_COLUMN && e->u.column >= below->ncols)
      return sql_plan_fail(p, sel, false, "window_time cannot be grouped on here");
    const char *name = e->kind == SQL_E_COLUMN ? in->names[e->u.column] : sqlq_numbered(p, "$f", i);
    gcol[i] = pre_column(p, &pp, &pn, &np, &pcap, e, name);
    if (gcol[i] < 0) return sqlq_oom(p);
    ngroup_keys++;
  }
  /* a group key listed twice as the same column counts once: the calc keeps it deduplicated */
  int time_pre = -1;
  if (windowed) {
    int tc = in->u.tvf.time_col;
    sql_expr *te = sql_expr_column(p->arena, tc, below->types[tc]);
    if (!te) return sqlq_oom(p);
    time_pre = pre_column(p, &pp, &pn, &np, &pcap, te, below->names[tc]);
    if (time_pre < 0) return sqlq_oom(p);
  }
  sql_agg_call *calls = sql_arena_alloc(p->arena, sizeof *calls * (size_t)(a.naggs + 1));
  if (!calls) return sqlq_oom(p);
  for (int i = 0; i < a.naggs; i++) {
    sql_expr *c = a.aggs[i];
    calls[i].kind = sqlq_agg_kind_of(c);
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
                                    : sqlq_numbered(p, "$f", np));
      if (calls[i].arg < 0) return sqlq_oom(p);
    }
    if (c->u.call.filter) {
      calls[i].filter =
          pre_column(p, &pp, &pn, &np, &pcap, c->u.call.filter, sqlq_numbered(p, "$f", np));
      if (calls[i].filter < 0) return sqlq_oom(p);
    }
    /* named as Calcite names it: after the select item that is exactly this call, else $fN */
    calls[i].name = NULL;
    for (int k = 0; k < items->n && !calls[i].name; k++)
      if (sql_expr_equal(items->exprs[k], c)) calls[i].name = items->names[k];
    if (!calls[i].name) calls[i].name = sqlq_numbered(p, "$f", ngroup_keys + i);
    if (!calls[i].name) return sqlq_oom(p);
  }
  if (np == 0) { /* COUNT(*) alone still needs a row: Calcite's $f0 = 0 */
    sql_expr *zero = sql_arena_alloc(p->arena, sizeof *zero);
    sql_type *it = sql_arena_alloc(p->arena, sizeof *it);
    if (!zero || !it) return sqlq_oom(p);
    it->kind = SQL_T_INT;
    zero->kind = SQL_E_LITERAL;
    zero->u.lit.kind = SQL_LIT_INTEGER;
    zero->type = it;
    if (pre_column(p, &pp, &pn, &np, &pcap, zero, "$f0") < 0) return sqlq_oom(p);
  }
  sql_rel *pre = sqlq_new_calc(p, below, np);
  if (!pre) return sqlq_oom(p);
  for (int i = 0; i < np; i++) sqlq_calc_set(pre, i, pp[i], pn[i]);
  /* the aggregation: group keys first (in the calc's order 0..ngroup_keys), then ... */
  int nout;
  sql_rel *agg;
  int *map_group = sql_arena_alloc(p->arena, sizeof *map_group * (size_t)(a.ngroup + 1));
  int *map_agg = sql_arena_alloc(p->arena, sizeof *map_agg * (size_t)(a.naggs + 1));
  if (!map_group || !map_agg) return sqlq_oom(p);
  int *keys = sql_arena_alloc(p->arena, sizeof *keys * (size_t)(ngroup_keys + 1));
  if (!keys) return sqlq_oom(p);
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
  if (windowed && in->u.tvf.window == SQL_WINDOW_SESSION) {
    /* the operator keeps sessions per group key: that is Flink's partitioned session when the
     * PARTITION BY columns are the group keys, and its global session when there are neither */
    bool same = in->u.tvf.npartition == nk;
    for (int i = 0; same && i < in->u.tvf.npartition; i++) {
      bool found = false;
      for (int j = 0; j < nk; j++) {
        const sql_expr *ke = pp[keys[j]];
        found |= ke->kind == SQL_E_COLUMN && ke->u.column == in->u.tvf.partition[i];
      }
      same &= found;
    }
    if (!same)
      return sql_plan_fail(p, sel, true,
                           "A SESSION window aggregation must group by exactly its PARTITION BY "
                           "columns (besides window_start and window_end) in Spate yet");
  }
  /* grouping sets: an expand below the aggregation, its $e one more key */
  sqlq_expand_keys ek = {.nkeys = nk, .keys = keys, .nsets = g.nsets, .ecol = -1};
  ek.key_of = sql_arena_alloc(p->arena, sizeof *ek.key_of * (size_t)(a.ngroup + 1));
  ek.ids = sql_arena_alloc(p->arena, sizeof *ek.ids * (size_t)(g.nsets + 1));
  if (!ek.key_of || !ek.ids) return sqlq_oom(p);
  for (int i = 0; i < a.ngroup; i++) ek.key_of[i] = map_group[i];
  for (int st = 0; st < g.nsets; st++) {
    for (int i = 0; i < a.ngroup; i++)
      if (ek.key_of[i] >= 0 && !(g.sets[st] & (1ull << i)))
        ek.ids[st] |= 1ull << (nk - 1 - ek.key_of[i]);
    if (g.dup[st] > 0) { /* a copy of a set: its number above the key bits */
      if (nk > 48 || g.dup[st] >= 1 << 15)
        return sql_plan_fail(p, sel, true, "Too many copies of a grouping set");
      ek.ids[st] |= (uint64_t)g.dup[st] << nk;
    }
  }
  sql_rel *aggin = pre;
  if (g.nsets > 1) {
    if (windowed && in->u.tvf.window == SQL_WINDOW_SESSION)
      return sql_plan_fail(p, sel, true,
                           "GROUPING SETS, ROLLUP and CUBE over a SESSION window are not "
                           "supported by Spate's SQL planner yet");
    aggin = sqlq_new_expand(p, pre, &ek);
    int *k2 = sql_arena_alloc(p->arena, sizeof *k2 * (size_t)(nk + 2));
    if (!aggin || !k2) return sqlq_oom(p);
    memcpy(k2, keys, sizeof *k2 * (size_t)nk);
    k2[nk] = np; /* $e, the expand's last column */
    ek.ecol = nk;
    ek.etype = aggin->types[np];
    keys = k2;
    nk++;
  }
  a.k = &ek;
  if (windowed) {
    nout = nk + 3 + a.naggs;
    agg = sql_rel_new(p, SQL_REL_WINDOW_AGG, nout, 1);
    if (!agg) return sqlq_oom(p);
    agg->u.window.window = in->u.tvf.window;
    agg->u.window.time_col = time_pre;
    agg->u.window.proctime = in->u.tvf.proctime;
    agg->u.window.size = in->u.tvf.size;
    agg->u.window.slide = in->u.tvf.slide;
    agg->u.window.offset = in->u.tvf.offset;
    agg->u.window.has_offset = in->u.tvf.has_offset;
    agg->u.window.tvf = in;
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
    if (!agg) return sqlq_oom(p);
    agg->u.agg.ngroup = nk;
    agg->u.agg.group = keys;
    agg->u.agg.naggs = a.naggs;
    agg->u.agg.aggs = calls;
    for (int i = 0; i < a.naggs; i++) map_agg[i] = nk + i;
    agg->updating = true;
  }
  agg->inputs[0] = aggin;
  for (int j = 0; j < nk; j++) {
    agg->names[j] = aggin->names[keys[j]];
    agg->types[j] = aggin->types[keys[j]];
  }
  int off = windowed ? nk + 3 : nk;
  for (int i = 0; i < a.naggs; i++) {
    agg->names[off + i] = calls[i].name;
    agg->types[off + i] = calls[i].type;
  }
  /* the select list and HAVING over the aggregation */
  a.types = agg->types;
  sql_rel *post = sqlq_new_calc(p, agg, items->n);
  if (!post) return sqlq_oom(p);
  for (int i = 0; i < items->n; i++) {
    int bad = -1;
    sql_expr *e = over_agg(p, &a, map_group, map_agg, items->exprs[i], &bad);
    if (!e) {
      if (bad < 0) return sqlq_oom(p);
      return sql_plan_fail(p, sqlq_item_expr(items->nodes[i]), false,
                           "Expression '%s' is not being grouped", in->names[bad]);
    }
    if (sqlq_renull(p, e)) return sqlq_oom(p);
    sqlq_calc_set(post, i, e, items->names[i]);
  }
  if (having) {
    int bad = -1;
    post->u.calc.filter = over_agg(p, &a, map_group, map_agg, having, &bad);
    if (!post->u.calc.filter) {
      if (bad < 0) return sqlq_oom(p);
      return sql_plan_fail(p, sel->u.select.having, false, "Expression '%s' is not being grouped",
                           in->names[bad]);
    }
    if (sqlq_renull(p, post->u.calc.filter)) return sqlq_oom(p);
  }
  *out = post;
  return 0;
}

int sqlq_plan_distinct(sql_planner *p, sql_rel *in, sql_rel **out) {
  sql_rel *agg = sql_rel_new(p, SQL_REL_AGGREGATE, in->ncols, 1);
  if (!agg) return sqlq_oom(p);
  agg->inputs[0] = in;
  agg->updating = true;
  agg->u.agg.ngroup = in->ncols;
  agg->u.agg.group = sql_arena_alloc(p->arena, sizeof(int) * (size_t)(in->ncols + 1));
  if (!agg->u.agg.group) return sqlq_oom(p);
  for (int i = 0; i < in->ncols; i++) {
    agg->u.agg.group[i] = i;
    agg->names[i] = in->names[i];
    agg->types[i] = in->types[i];
  }
  *out = agg;
  return 0;
}
