/*
 * sql_plan_grouping.c: GROUP BY's grouping elements (plain expressions, (), (a, b), GROUPING
 * SETS, ROLLUP, CUBE) into the distinct group expressions and the grouping sets over them, as
 * Calcite's validator expands them; and the grouping functions (GROUPING, GROUPING_ID, GROUP_ID)
 * over the expand id.
 *
 * With more than one grouping set the aggregation is Flink's: an Expand (SQL_REL_EXPAND) copies
 * each row once per set, the group keys absent from the set nulled and the set's expand id `$e`
 * appended; the aggregation groups by the keys and `$e`. The expand id of a set has bit
 * (nkeys - 1 - j) set when key j is absent (Flink's ExpandUtil), so the full set is 0 and the
 * empty set 2^nkeys - 1; sets are ordered by it, which is Calcite's order of grouping sets.
 * GROUPING(x, ...) and GROUPING_ID(x, ...) become a CASE over `$e` with one branch per set but
 * the last, consecutive branches of one value merged (SEARCH($e, Sarg[...])) and trailing ones
 * equal to the ELSE dropped, which is the form Flink's optimizer prints. A set listed again
 * (GROUPING SETS ((a), (a))) is a group of its own, as in Calcite: its copy number (GROUP_ID())
 * goes into the expand id above the key bits.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_plan_int.h"

enum { MAX_GROUP_EXPRS = 63, MAX_SETS = 4096 };

typedef struct set_list {
  int n, cap;
  uint64_t *v; /* bit i: group expression i present */
} set_list;

typedef struct gctx {
  sql_planner *p;
  const sql_scope *s;
  sqlq_grouping *g;
  int cap;
} gctx;

static int push_set(gctx *c, set_list *l, uint64_t m) {
  if (l->n >= MAX_SETS)
    return sql_plan_fail(c->p, NULL, true, "More than %d grouping sets are not supported",
                         MAX_SETS);
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 8;
    uint64_t *v = sql_arena_alloc(c->p->arena, sizeof *v * (size_t)cap);
    if (!v) return sqlq_oom(c->p);
    if (l->n) memcpy(v, l->v, sizeof *v * (size_t)l->n);
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = m;
  return 0;
}

/* The bit of expression n among the group expressions (added when new). */
static int expr_bit(gctx *c, const sql_node *n, uint64_t *bit) {
  sql_expr *e = NULL;
  int rc = sqlq_validate(c->p, n, c->s, &e);
  if (rc) return rc;
  if (sqlq_has_aggregate(e))
    return sql_plan_fail(c->p, n, false, "Aggregate expression is illegal in GROUP BY clause");
  sqlq_grouping *g = c->g;
  for (int i = 0; i < g->ngroup; i++)
    if (sql_expr_equal(g->group[i], e)) {
      *bit = 1ull << i;
      return 0;
    }
  if (g->ngroup == MAX_GROUP_EXPRS)
    return sql_plan_fail(c->p, n, true, "More than %d group expressions are not supported",
                         MAX_GROUP_EXPRS);
  if (g->ngroup == c->cap) {
    int cap = c->cap ? c->cap * 2 : 8;
    sql_expr **v = sql_arena_alloc(c->p->arena, sizeof *v * (size_t)cap);
    const sql_node **nv = sql_arena_alloc(c->p->arena, sizeof *nv * (size_t)cap);
    if (!v || !nv) return sqlq_oom(c->p);
    if (g->ngroup) {
      memcpy(v, g->group, sizeof *v * (size_t)g->ngroup);
      memcpy(nv, g->nodes, sizeof *nv * (size_t)g->ngroup);
    }
    g->group = v;
    g->nodes = nv;
    c->cap = cap;
  }
  g->nodes[g->ngroup] = n;
  g->group[g->ngroup] = e;
  *bit = 1ull << g->ngroup++;
  return 0;
}

static bool is_row(const sql_node *n) {
  return n->kind == SQL_CTOR && n->u.ctor.kind == SQL_CTOR_PAREN;
}

/* One item of ROLLUP or CUBE, or a set of GROUPING SETS: an expression or a row of them. */
static int item_mask(gctx *c, const sql_node *n, uint64_t *m) {
  *m = 0;
  if (!is_row(n)) return expr_bit(c, n, m);
  for (int i = 0; i < n->u.ctor.items.n; i++) {
    uint64_t b = 0;
    int rc = expr_bit(c, n->u.ctor.items.v[i], &b);
    if (rc) return rc;
    *m |= b;
  }
  return 0;
}

/* The grouping sets of one grouping element, appended to out. */
static int element_sets(gctx *c, const sql_node *n, set_list *out) {
  if (n->kind != SQL_GROUPING) {
    uint64_t m = 0;
    int rc = item_mask(c, n, &m);
    return rc ? rc : push_set(c, out, m);
  }
  const sql_list *items = &n->u.grouping.items;
  if (n->u.grouping.kind == SQL_GROUPING_SETS) {
    for (int i = 0; i < items->n; i++) {
      int rc = element_sets(c, items->v[i], out);
      if (rc) return rc;
    }
    return 0;
  }
  uint64_t *m = sql_arena_alloc(c->p->arena, sizeof *m * (size_t)(items->n + 1));
  if (!m) return sqlq_oom(c->p);
  for (int i = 0; i < items->n; i++) {
    if (items->v[i]->kind == SQL_GROUPING)
      return sql_plan_fail(c->p, items->v[i], false,
                           "ROLLUP and CUBE take expressions and rows of expressions");
    int rc = item_mask(c, items->v[i], &m[i]);
    if (rc) return rc;
  }
  if (n->u.grouping.kind == SQL_ROLLUP) {
    for (int k = items->n; k >= 0; k--) { /* every prefix, the longest first */
      uint64_t s = 0;
      for (int i = 0; i < k; i++) s |= m[i];
      int rc = push_set(c, out, s);
      if (rc) return rc;
    }
    return 0;
  }
  if (items->n > 12)
    return sql_plan_fail(c->p, n, true, "CUBE of more than 12 items is not supported");
  for (uint32_t sub = 0; sub < (1u << items->n); sub++) { /* the power set */
    uint64_t s = 0;
    for (int i = 0; i < items->n; i++)
      if (sub & (1u << i)) s |= m[i];
    int rc = push_set(c, out, s);
    if (rc) return rc;
  }
  return 0;
}

static uint64_t absent_id(uint64_t set, int ngroup) {
  uint64_t id = 0;
  for (int i = 0; i < ngroup; i++)
    if (!(set & (1ull << i))) id |= 1ull << (ngroup - 1 - i);
  return id;
}

int sqlq_grouping_sets(sql_planner *p, const sql_node *sel, const sql_scope *s, sqlq_grouping *g) {
  memset(g, 0, sizeof *g);
  gctx c = {p, s, g, 0};
  const sql_list *gb = &sel->u.select.group_by;
  set_list acc = {0};
  int rc = push_set(&c, &acc, 0);
  for (int i = 0; !rc && i < gb->n; i++) {
    /* the sets so far times this element's sets */
    set_list mine = {0}, next = {0};
    rc = element_sets(&c, gb->v[i], &mine);
    for (int a = 0; !rc && a < acc.n; a++)
      for (int b = 0; !rc && b < mine.n; b++) rc = push_set(&c, &next, acc.v[a] | mine.v[b]);
    acc = next;
  }
  if (rc) return rc;
  /* Calcite's order: by expand id (an insertion sort; there are few sets) */
  for (int i = 1; i < acc.n; i++) {
    uint64_t v = acc.v[i], id = absent_id(v, g->ngroup);
    int j = i;
    for (; j > 0 && absent_id(acc.v[j - 1], g->ngroup) > id; j--) acc.v[j] = acc.v[j - 1];
    acc.v[j] = v;
  }
  /* a set listed again is a group of its own: GROUP_ID() counts its copies */
  g->dup = sql_arena_alloc(p->arena, sizeof *g->dup * (size_t)(acc.n + 1));
  if (!g->dup) return sqlq_oom(p);
  for (int i = 1; i < acc.n; i++)
    if (acc.v[i] == acc.v[i - 1]) g->dup[i] = g->dup[i - 1] + 1;
  g->nsets = acc.n;
  g->sets = acc.v;
  return 0;
}

/* ---- the grouping functions ------------------------------------------------------------------- */

bool sqlq_is_grouping_fn(const sql_expr *e) {
  return e && e->kind == SQL_E_CALL &&
         (e->u.call.fn == SQL_FN_GROUPING || e->u.call.fn == SQL_FN_GROUPING_ID ||
          e->u.call.fn == SQL_FN_GROUP_ID);
}

int sqlq_check_grouping_fn(sql_planner *p, const sqlq_grouping *g, const sql_expr *e) {
  for (int k = 0; k < e->u.call.nargs; k++) {
    bool found = false;
    for (int i = 0; i < g->ngroup && !found; i++)
      found = sql_expr_equal(g->group[i], e->u.call.args[k]);
    if (!found) {
      if (p->err.msg[0]) return SPATE_EINVAL;
      snprintf(p->err.msg, sizeof p->err.msg,
               "Argument to GROUPING operator must be a grouped expression");
      p->err.line = e->u.call.args[k]->line;
      p->err.col = e->u.call.args[k]->col;
      p->table_error = false;
      return SPATE_EINVAL;
    }
  }
  if (e->u.call.nargs > 63)
    return sql_plan_fail(p, NULL, true, "GROUPING_ID of more than 63 arguments is not supported");
  return 0;
}

static sql_expr *bigint_lit(sql_planner *p, int64_t v) {
  sql_expr *l = sql_arena_alloc(p->arena, sizeof *l);
  sql_type *t = sql_arena_alloc(p->arena, sizeof *t);
  if (!l || !t) return NULL;
  t->kind = SQL_T_BIGINT;
  l->kind = SQL_E_LITERAL;
  l->type = t;
  l->u.lit.kind = SQL_LIT_INTEGER;
  l->u.lit.i = v;
  return l;
}

static sql_expr *call(sql_planner *p, sql_fn fn, const sql_type *t, int nargs) {
  sql_expr *c = sql_arena_alloc(p->arena, sizeof *c);
  if (!c) return NULL;
  c->kind = SQL_E_CALL;
  c->type = t;
  c->u.call.fn = fn;
  c->u.call.nargs = nargs;
  c->u.call.args = sql_arena_alloc(p->arena, sizeof *c->u.call.args * (size_t)(nargs + 1));
  return c->u.call.args ? c : NULL;
}

/* The value of grouping function e for set s. */
static int64_t value_in(const sqlq_grouping *g, const sqlq_expand_keys *k, const sql_expr *e,
                        int s) {
  if (e->u.call.fn == SQL_FN_GROUP_ID) return g->dup[s];
  int64_t v = 0;
  int n = e->u.call.nargs;
  for (int a = 0; a < n; a++) {
    int j = -1;
    for (int i = 0; i < g->ngroup && j < 0; i++)
      if (sql_expr_equal(g->group[i], e->u.call.args[a])) j = k->key_of[i];
    bool absent = j >= 0 && (k->ids[s] >> (k->nkeys - 1 - j)) & 1;
    if (absent) v |= (int64_t)1 << (n - 1 - a);
  }
  return v;
}

sql_expr *sqlq_grouping_value(sql_planner *p, const sqlq_grouping *g, const sqlq_expand_keys *k,
                              const sql_expr *e) {
  if (k->ecol < 0 || g->nsets < 2) return bigint_lit(p, value_in(g, k, e, 0));
  int n = g->nsets;
  int64_t *val = sql_arena_alloc(p->arena, sizeof *val * (size_t)n);
  if (!val) return NULL;
  for (int s = 0; s < n; s++) val[s] = value_in(g, k, e, s);
  int last = n - 1; /* branches 0..last-1, the ELSE val[n-1]; trailing ones equal to it dropped */
  while (last > 0 && val[last - 1] == val[n - 1]) last--;
  if (last == 0) return bigint_lit(p, val[n - 1]);
  sql_type *bt = sql_arena_alloc(p->arena, sizeof *bt);
  sql_type *bool_t = sql_arena_alloc(p->arena, sizeof *bool_t);
  if (!bt || !bool_t) return NULL;
  bt->kind = SQL_T_BIGINT;
  bool_t->kind = SQL_T_BOOLEAN;
  /* runs of equal values become one branch */
  int nb = 0;
  for (int s = 0; s < last; s++)
    if (s == 0 || val[s] != val[s - 1]) nb++;
  sql_expr *c = call(p, SQL_FN_CASE, bt, nb * 2 + 1);
  if (!c) return NULL;
  int b = 0;
  for (int s = 0; s < last;) {
    int t = s;
    while (t + 1 < last && val[t + 1] == val[s]) t++;
    sql_expr *col = sql_expr_column(p->arena, k->ecol, k->etype);
    sql_expr *cond;
    if (t == s) {
      cond = call(p, SQL_FN_EQ, bool_t, 2);
      if (!cond || !col || !(cond->u.call.args[1] = bigint_lit(p, (int64_t)k->ids[s]))) return NULL;
      cond->u.call.args[0] = col;
    } else {
      cond = call(p, SQL_FN_IN, bool_t, t - s + 2);
      if (!cond || !col) return NULL;
      cond->u.call.flags = SQL_CALL_SEARCH;
      cond->u.call.args[0] = col;
      for (int x = s; x <= t; x++)
        if (!(cond->u.call.args[x - s + 1] = bigint_lit(p, (int64_t)k->ids[x]))) return NULL;
    }
    c->u.call.args[b++] = cond;
    if (!(c->u.call.args[b++] = bigint_lit(p, val[s]))) return NULL;
    s = t + 1;
  }
  if (!(c->u.call.args[b] = bigint_lit(p, val[n - 1]))) return NULL;
  return c;
}

/* ---- the expand relation ---------------------------------------------------------------------- */

sql_rel *sqlq_new_expand(sql_planner *p, sql_rel *in, const sqlq_expand_keys *k) {
  sql_rel *x = sql_rel_new(p, SQL_REL_EXPAND, in->ncols + 1, 1);
  sql_type *et = sql_arena_alloc(p->arena, sizeof *et);
  if (!x || !et) return NULL;
  et->kind = SQL_T_BIGINT;
  x->inputs[0] = in;
  x->updating = in->updating;
  x->u.expand.nsets = k->nsets;
  x->u.expand.ids = k->ids;
  x->u.expand.nkeys = k->nkeys;
  x->u.expand.keys = k->keys;
  uint64_t all = 0;
  for (int s = 0; s < k->nsets; s++) all |= k->ids[s];
  for (int i = 0; i < in->ncols; i++) {
    x->names[i] = in->names[i];
    x->types[i] = in->types[i];
    x->attrs[i] = in->attrs[i];
  }
  /* a key absent from some set is nullable */
  for (int j = 0; j < k->nkeys; j++)
    if ((all >> (k->nkeys - 1 - j)) & 1) {
      int c = k->keys[j];
      x->types[c] = sql_type_with_nullable(in->types[c], true, p->arena);
      if (!x->types[c]) return NULL;
    }
  x->names[in->ncols] = "$e";
  x->types[in->ncols] = et;
  x->attrs[in->ncols] = SQL_ATTR_NONE;
  return x;
}

/* Whether a call of fn is null when an operand is (most are; IS ... and COALESCE-like are not). */
static bool strict(sql_fn fn) {
  switch (fn) {
  case SQL_FN_IS_NULL:
  case SQL_FN_IS_NOT_NULL:
  case SQL_FN_IS_TRUE:
  case SQL_FN_IS_NOT_TRUE:
  case SQL_FN_IS_FALSE:
  case SQL_FN_IS_NOT_FALSE:
  case SQL_FN_IS_UNKNOWN:
  case SQL_FN_IS_NOT_UNKNOWN:
  case SQL_FN_IS_DISTINCT_FROM:
  case SQL_FN_IS_NOT_DISTINCT_FROM:
  case SQL_FN_COALESCE:
  case SQL_FN_IFNULL:
  case SQL_FN_CASE:
  case SQL_FN_IF: return false;
  default: return true;
  }
}

int sqlq_renull(sql_planner *p, sql_expr *e) {
  if (!e || e->kind == SQL_E_LITERAL || e->kind == SQL_E_COLUMN) return 0;
  bool nullable = false;
  if (e->kind == SQL_E_CAST) {
    int rc = sqlq_renull(p, e->u.cast.arg);
    if (rc) return rc;
    nullable = e->u.cast.arg->type->nullable;
  } else {
    sql_fn fn = e->u.call.fn;
    bool all = e->u.call.nargs > 0;
    for (int i = 0; i < e->u.call.nargs; i++) {
      int rc = sqlq_renull(p, e->u.call.args[i]);
      if (rc) return rc;
      bool n = e->u.call.args[i]->type->nullable;
      all &= n;
      if (strict(fn)) nullable |= n;
    }
    if (fn == SQL_FN_COALESCE || fn == SQL_FN_IFNULL) nullable = all;
    if (fn == SQL_FN_CASE && e->u.call.nargs > 0) { /* the results: THENs and the ELSE */
      for (int i = 1; i < e->u.call.nargs; i += 2) nullable |= e->u.call.args[i]->type->nullable;
      nullable |= e->u.call.args[e->u.call.nargs - 1]->type->nullable;
    }
    if (fn == SQL_FN_IF && e->u.call.nargs == 3)
      nullable = e->u.call.args[1]->type->nullable || e->u.call.args[2]->type->nullable;
  }
  if (nullable && !e->type->nullable) {
    e->type = sql_type_with_nullable(e->type, true, p->arena);
    if (!e->type) return SPATE_ENOMEM;
  }
  return 0;
}
