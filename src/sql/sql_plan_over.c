/*
 * sql_plan_over.c: windowed calls (OVER) in the optimized plan, as Flink's optimizer treats them:
 *  - Calcite's ProjectToWindowRule: a calc's windowed calls go into a window relation below it
 *    (SQL_REL_OVER: the input's columns, then w0$o0, w0$o1, ... one per distinct call), and the
 *    calc's projections read those columns;
 *  - FlinkLogicalRankRule: a calc whose condition bounds the ROW_NUMBER of the window below it
 *    by literals (rn <= N, rn < N, rn = N, or a lower bound rn >= M / rn > M with an upper one,
 *    rn BETWEEN M AND N, ANDed with conditions not on the number) over a window of that one call
 *    becomes a Rank with rankRange=[rankStart=M, rankEnd=N]; the conjuncts on the number leave
 *    the condition, and the number is an output column only when the calc projects it (Flink's
 *    outputRankNumber, the "no ranking output" optimization), as a literal when the range is one
 *    row (ConstantRankNumberColumnRemoveRule);
 *  - StreamPhysicalDeduplicateRule (RankUtil.canConvertToDeduplicate): a Rank of rows 1 to 1,
 *    without its number in the output, ordered on one time attribute of an insert-only input, is
 *    a Deduplicate keeping the first row (ascending) or the last (descending), on processing
 *    or event time.
 * A window left over is an OVER aggregation: checked as Flink's StreamExecOverAggregate checks
 * it (aggregates ordered on one time attribute, a frame ending at the current row, an
 * insert-only input), its frame read into the relation.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_plan_int.h"

/* A table (or validation) error at expression e's position. */
#define FAIL_AT(p, e, table, ...) \
  sql_plan_fail((p), &(sql_node){.line = (e)->line, .col = (e)->col}, (table), __VA_ARGS__)

bool sql_expr_has_over(const sql_expr *e) {
  if (!e || e->kind == SQL_E_LITERAL || e->kind == SQL_E_COLUMN) return false;
  if (e->kind == SQL_E_CAST) return sql_expr_has_over(e->u.cast.arg);
  if (e->u.call.over) return true;
  for (int i = 0; i < e->u.call.nargs; i++)
    if (sql_expr_has_over(e->u.call.args[i])) return true;
  return false;
}

/* ---- ProjectToWindowRule --------------------------------------------------------------------- */

typedef struct over_calls {
  sql_expr **v; /* the distinct windowed calls */
  int n, cap;
  const sql_over *window; /* the first call's: every call must have the same */
  const sql_expr *other;  /* a call with another window, or NULL */
} over_calls;

static int collect(sql_planner *p, const sql_expr *e, over_calls *c) {
  if (!e || e->kind == SQL_E_LITERAL || e->kind == SQL_E_COLUMN) return 0;
  if (e->kind == SQL_E_CAST) return collect(p, e->u.cast.arg, c);
  if (!e->u.call.over) {
    for (int i = 0; i < e->u.call.nargs; i++) {
      int rc = collect(p, e->u.call.args[i], c);
      if (rc) return rc;
    }
    return 0;
  }
  for (int i = 0; i < c->n; i++)
    if (sql_expr_equal(c->v[i], e)) return 0;
  if (!c->window) c->window = e->u.call.over;
  sql_expr probe = *e;
  probe.u.call.over = (sql_over *)c->window;
  if (!c->other && !sql_expr_equal(&probe, e)) c->other = e;
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 4;
    sql_expr **v = sql_arena_alloc(p->arena, sizeof *v * (size_t)cap);
    if (!v) return SPATE_ENOMEM;
    if (c->n) memcpy(v, c->v, sizeof *v * (size_t)c->n);
    c->v = v;
    c->cap = cap;
  }
  c->v[c->n++] = (sql_expr *)e;
  return 0;
}

/* e with each windowed call replaced by its column (base + its index among calls). */
static sql_expr *replace_calls(sql_planner *p, sql_expr *e, const over_calls *c, int base) {
  if (!e || e->kind == SQL_E_LITERAL || e->kind == SQL_E_COLUMN) return e;
  if (e->kind == SQL_E_CALL && e->u.call.over) {
    for (int i = 0; i < c->n; i++)
      if (sql_expr_equal(c->v[i], e)) return sql_expr_column(p->arena, base + i, e->type);
    return NULL;
  }
  sql_expr *x = sql_arena_alloc(p->arena, sizeof *x);
  if (!x) return NULL;
  *x = *e;
  if (e->kind == SQL_E_CAST) {
    x->u.cast.arg = replace_calls(p, e->u.cast.arg, c, base);
    return x->u.cast.arg ? x : NULL;
  }
  x->u.call.args =
      sql_arena_alloc(p->arena, sizeof *x->u.call.args * (size_t)(e->u.call.nargs + 1));
  if (!x->u.call.args) return NULL;
  for (int i = 0; i < e->u.call.nargs; i++)
    if (!(x->u.call.args[i] = replace_calls(p, e->u.call.args[i], c, base))) return NULL;
  return x;
}

/* The input column e is, or -1. */
static int column_of(const sql_expr *e) { return e->kind == SQL_E_COLUMN ? e->u.column : -1; }

static bool mark_used(void *used, int col) {
  ((bool *)used)[col] = true;
  return false;
}

/* The calc under the window: c's condition (a WHERE filters before the window) and the input
 * columns c reads, as Flink's ProjectWindowTransposeRule prunes them; c's projections then read
 * its columns. */
static int below_window(sql_planner *p, sql_rel *c, bool *filtered) {
  sql_rel *in = c->inputs[0];
  bool *used = sql_arena_alloc(p->arena, (size_t)in->ncols + 1);
  if (!used) return sqlq_oom(p);
  memset(used, 0, (size_t)in->ncols + 1);
  for (int i = 0; i < c->ncols; i++) sql_expr_find_column(c->u.calc.projs[i], mark_used, used);
  int n = 0;
  for (int i = 0; i < in->ncols; i++) n += used[i];
  if (n == in->ncols && !c->u.calc.filter) return 0;
  if (n == 0) used[0] = true, n = 1; /* a row of something */
  sql_rel *f = sqlq_new_calc(p, in, n);
  sql_expr **subst = sql_arena_alloc(p->arena, sizeof *subst * (size_t)(in->ncols + 1));
  if (!f || !subst) return sqlq_oom(p);
  for (int i = 0, k = 0; i < in->ncols; i++) {
    if (!used[i]) continue;
    sql_expr *e = sql_expr_column(p->arena, i, in->types[i]);
    if (!e || !(subst[i] = sql_expr_column(p->arena, k, in->types[i]))) return sqlq_oom(p);
    sqlq_calc_set(f, k++, e, in->names[i]);
  }
  f->u.calc.filter = c->u.calc.filter;
  c->u.calc.filter = NULL;
  for (int i = 0; i < c->ncols; i++)
    if (!(c->u.calc.projs[i] = sql_expr_subst(p->arena, c->u.calc.projs[i], subst)))
      return sqlq_oom(p);
  c->inputs[0] = f;
  *filtered = true;
  return 0;
}

int sql_plan_split_over(sql_planner *p, sql_rel *c, bool *filtered) {
  *filtered = false;
  bool any = false;
  for (int i = 0; i < c->ncols && !any; i++) any = sql_expr_has_over(c->u.calc.projs[i]);
  if (!any) return 0;
  if (c->u.calc.filter && sql_expr_has_over(c->u.calc.filter))
    return FAIL_AT(p, c->u.calc.filter, false,
                   "Windowed aggregate expression is illegal in WHERE clause");
  int rc = below_window(p, c, filtered);
  if (rc) return rc;
  over_calls calls = {0};
  for (int i = 0; !rc && i < c->ncols; i++) rc = collect(p, c->u.calc.projs[i], &calls);
  if (rc) return rc;
  if (calls.other)
    return FAIL_AT(p, calls.other, true,
                   "Over Agg: Unsupported use of OVER windows. All aggregates must be computed on "
                   "the same window. please re-check the over window statement.");
  const sql_over *w = calls.window;
  sql_rel *in = c->inputs[0];
  sql_rel *o = sql_rel_new(p, SQL_REL_OVER, in->ncols + calls.n, 1);
  if (!o) return sqlq_oom(p);
  o->inputs[0] = in;
  o->updating = in->updating;
  for (int i = 0; i < in->ncols; i++) {
    o->names[i] = in->names[i];
    o->types[i] = in->types[i];
    o->attrs[i] = in->attrs[i];
  }
  for (int i = 0; i < calls.n; i++) {
    char name[32];
    snprintf(name, sizeof name, "w0$o%d", i);
    o->names[in->ncols + i] = sql_arena_strndup(p->arena, name, strlen(name));
    if (!o->names[in->ncols + i]) return sqlq_oom(p);
    o->types[in->ncols + i] = calls.v[i]->type;
    o->attrs[in->ncols + i] = SQL_ATTR_NONE;
  }
  int np = w->npartition, no = w->norder;
  o->u.over.npartition = np;
  o->u.over.norder = no;
  o->u.over.partition = sql_arena_alloc(p->arena, sizeof(int) * (size_t)(np + 1));
  o->u.over.order = sql_arena_alloc(p->arena, sizeof(int) * (size_t)(no + 1));
  o->u.over.desc = w->desc;
  o->u.over.nulls_first = w->nulls_first;
  if (!o->u.over.partition || !o->u.over.order) return sqlq_oom(p);
  for (int i = 0; i < np; i++)
    if ((o->u.over.partition[i] = column_of(w->partition[i])) < 0)
      return FAIL_AT(p, w->partition[i], true,
                     "PARTITION BY of an OVER window must name columns in Spate yet");
  for (int i = 0; i < no; i++)
    if ((o->u.over.order[i] = column_of(w->order[i])) < 0)
      return FAIL_AT(p, w->order[i], true,
                     "ORDER BY of an OVER window must name columns in Spate yet");
  o->u.over.ncalls = calls.n;
  o->u.over.calls = calls.v;
  o->u.over.frame = w->frame;
  o->u.over.lower = w->lower;
  o->u.over.upper = w->upper;
  o->u.over.lower_offset = w->lower_offset;
  for (int i = 0; i < c->ncols; i++)
    if (!(c->u.calc.projs[i] = replace_calls(p, c->u.calc.projs[i], &calls, in->ncols)))
      return sqlq_oom(p);
  c->inputs[0] = o;
  return 0;
}

/* ---- FlinkLogicalRankRule -------------------------------------------------------------------- */

/* The conjuncts of e (AND flattened) into v (up to cap); how many there are. */
static int conjuncts(sql_expr *e, sql_expr **v, int n, int cap) {
  if (!e) return n;
  if (e->kind == SQL_E_CALL && e->u.call.fn == SQL_FN_AND && !e->u.call.over) {
    for (int i = 0; i < e->u.call.nargs; i++) n = conjuncts(e->u.call.args[i], v, n, cap);
    return n;
  }
  if (n < cap) v[n] = e;
  return n + 1;
}

static bool int_literal(const sql_expr *e, int64_t *v) {
  if (e->kind == SQL_E_CAST) e = e->u.cast.arg;
  if (e->kind != SQL_E_LITERAL || e->u.lit.kind != SQL_LIT_INTEGER) return false;
  *v = e->u.lit.i;
  return true;
}

/* A conjunct's bound on the row number (Flink's LimitPredicate boundaries). */
typedef enum bound_kind { NO_BOUND, LOWER, UPPER, BOTH } bound_kind;
typedef struct bound {
  bound_kind kind;
  int64_t lo, hi;
} bound;

/* The bounds conjunct e puts on column rn by a literal (BETWEEN is two), into b; how many. */
static int rank_bounds(const sql_expr *e, int rn, bound *b) {
  if (e->kind != SQL_E_CALL || e->u.call.over) return 0;
  const sql_expr *const *a = (const sql_expr *const *)e->u.call.args;
  int64_t x, y;
  if (e->u.call.fn == SQL_FN_BETWEEN && e->u.call.flags == 0 && column_of(a[0]) == rn &&
      int_literal(a[1], &x) && int_literal(a[2], &y)) {
    b[0] = (bound){LOWER, x, 0};
    b[1] = (bound){UPPER, 0, y};
    return 2;
  }
  if (e->u.call.nargs != 2) return 0;
  sql_fn fn = e->u.call.fn;
  if (column_of(a[1]) == rn && int_literal(a[0], &x)) { /* 3 >= rn is rn <= 3 */
    switch (fn) {
    case SQL_FN_LT: fn = SQL_FN_GT; break;
    case SQL_FN_LE: fn = SQL_FN_GE; break;
    case SQL_FN_GT: fn = SQL_FN_LT; break;
    case SQL_FN_GE: fn = SQL_FN_LE; break;
    default: break;
    }
  } else if (!(column_of(a[0]) == rn && int_literal(a[1], &x))) {
    return 0;
  }
  switch (fn) {
  case SQL_FN_LE: *b = (bound){UPPER, 0, x}; return 1;
  case SQL_FN_LT: *b = (bound){UPPER, 0, x - 1}; return 1;
  case SQL_FN_GE: *b = (bound){LOWER, x, 0}; return 1;
  case SQL_FN_GT: *b = (bound){LOWER, x + 1, 0}; return 1;
  case SQL_FN_EQ: *b = (bound){BOTH, x, x}; return 1;
  default: return 0;
  }
}

static bool is_col(void *col, int c) { return c == *(const int *)col; }

static bool reads(const sql_expr *e, int col) { return sql_expr_find_column(e, is_col, &col); }

/* The offset of a frame's lower bound (validated as a literal): rows (an integer) or, for
 * RANGE, an INTERVAL of days to seconds in ms; -1 with the error set otherwise. */
static int64_t bound_offset(sql_planner *p, const sql_node *b, const sql_expr *e, bool rows) {
  if (!e || e->kind != SQL_E_LITERAL ||
      (rows ? e->u.lit.kind != SQL_LIT_INTEGER
            : e->u.lit.kind != SQL_LIT_INTERVAL || e->type->qual.start < SQL_UNIT_DAY) ||
      e->u.lit.i < 0) {
    sql_plan_fail(p, b, true,
                  rows ? "The offset of an OVER ROWS window must be a non-negative integer"
                       : "The offset of an OVER RANGE window must be a non-negative INTERVAL of "
                         "days to seconds");
    return -1;
  }
  return e->u.lit.i;
}

/* Whether r may delete rows (before the changelog inference sets its kinds): as
 * sql_plan_changelog's first pass decides. */
static bool deletes(const sql_rel *r) {
  switch (r->kind) {
  case SQL_REL_RANK:
  case SQL_REL_DEDUPLICATE: return r->updating;
  case SQL_REL_JOIN:
    if (r->u.join.type != SQL_JOIN_INNER) return true;
    break;
  case SQL_REL_AGGREGATE: return r->inputs[0]->updating;
  case SQL_REL_CALC:
  case SQL_REL_UNION:
  case SQL_REL_WATERMARK:
  case SQL_REL_EXPAND: break;
  default: return false;
  }
  for (int i = 0; i < r->ninputs; i++)
    if (deletes(r->inputs[i])) return true;
  return false;
}

int sql_plan_check_over(sql_planner *p, sql_rel *r) {
  for (int i = 0; i < r->ninputs; i++) {
    int rc = sql_plan_check_over(p, r->inputs[i]);
    if (rc) return rc;
  }
  if (r->kind != SQL_REL_OVER) return 0;
  sql_rel *o = r;
  const sql_rel *in = r->inputs[0];
  const sql_expr *call = o->u.over.calls[0];
  for (int i = 0; i < o->u.over.ncalls; i++)
    if (o->u.over.calls[i]->u.call.fn >= SQL_FN_ROW_NUMBER &&
        o->u.over.calls[i]->u.call.fn <= SQL_FN_DENSE_RANK)
      call = o->u.over.calls[i];
  bool rank_fn = call->u.call.fn >= SQL_FN_ROW_NUMBER && call->u.call.fn <= SQL_FN_DENSE_RANK;
  if (rank_fn && (o->u.over.norder == 0 || in->attrs[o->u.over.order[0]] == SQL_ATTR_NONE))
    return FAIL_AT(p, call, true,
                   "OVER windows' ordering in stream mode must be defined on a time attribute.");
  if (rank_fn)
    return FAIL_AT(p, call, true,
                   "%s() OVER is only supported in Spate as a Top-N or deduplication: filter the "
                   "number with <=, <, = or BETWEEN in the enclosing query",
                   sql_fn_name(call->u.call.fn));
  /* the changelog first, as Flink's optimizer finds it before the exec node's checks */
  if (in->updating) {
    sp_strbuf node = {0};
    const sql_rel *from = in;
    while (from->kind == SQL_REL_CALC && from->inputs[0]->updating) from = from->inputs[0];
    if (sql_rel_describe(from, &node)) return sqlq_oom(p);
    int rc = FAIL_AT(p, call, true,
                     "StreamPhysicalOverAggregate doesn't support consuming %s changes which is "
                     "produced by node %s",
                     deletes(from) ? "update and delete" : "update", node.data ? node.data : "");
    sp_strbuf_free(&node);
    return rc;
  }
  /* StreamExecOverAggregate's checks, in its order */
  if (o->u.over.norder != 1)
    return FAIL_AT(p, call, true, "The window can only be ordered by a single time column.");
  if (o->u.over.desc[0])
    return FAIL_AT(p, call, true, "The window can only be ordered in ASCENDING mode.");
  if (in->attrs[o->u.over.order[0]] == SQL_ATTR_NONE)
    return FAIL_AT(p, call, true,
                   "OVER windows' ordering in stream mode must be defined on a time attribute.");
  for (int i = 0; i < o->u.over.ncalls; i++) {
    const sql_expr *c = o->u.over.calls[i];
    if (!sqlq_agg_kind_of(c))
      return FAIL_AT(p, c, true, "The aggregate function %s is not supported yet",
                     sql_fn_name(c->u.call.fn));
    for (int a = 0; a < c->u.call.nargs; a++)
      if (column_of(c->u.call.args[a]) < 0)
        return FAIL_AT(p, c->u.call.args[a], true,
                       "The arguments of an OVER aggregation must be columns in Spate yet");
    if (c->u.call.filter)
      return FAIL_AT(p, c, true, "FILTER in an OVER aggregation is not supported in Spate yet");
  }
  o->u.over.aggs = sql_arena_alloc(p->arena, sizeof *o->u.over.aggs * (size_t)o->u.over.ncalls);
  if (!o->u.over.aggs) return sqlq_oom(p);
  for (int i = 0; i < o->u.over.ncalls; i++) {
    const sql_expr *c = o->u.over.calls[i];
    o->u.over.aggs[i] = (sql_agg_call){.kind = sqlq_agg_kind_of(c),
                                       .arg = c->u.call.nargs ? column_of(c->u.call.args[0]) : -1,
                                       .filter = -1,
                                       .type = c->type,
                                       .name = o->names[in->ncols + i]};
  }
  /* the frame: none is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW; Flink runs frames
   * from a preceding bound to the current row only */
  o->u.over.rows = o->u.over.frame == SQL_FRAME_ROWS;
  o->u.over.preceding = -1;
  const sql_node *lo = o->u.over.lower, *hi = o->u.over.upper;
  if (o->u.over.frame) {
    if ((hi && hi->u.bound.kind != SQL_BOUND_CURRENT_ROW) ||
        lo->u.bound.kind == SQL_BOUND_FOLLOWING ||
        lo->u.bound.kind == SQL_BOUND_UNBOUNDED_FOLLOWING)
      return sql_plan_fail(p, hi ? hi : lo, true,
                           "OVER RANGE FOLLOWING windows are not supported yet.");
    if (lo->u.bound.kind == SQL_BOUND_CURRENT_ROW)
      return sql_plan_fail(p, lo, true,
                           "An OVER window from the current row to the current row is not "
                           "supported: its lower bound must be PRECEDING");
    if (lo->u.bound.kind == SQL_BOUND_PRECEDING &&
        (o->u.over.preceding = bound_offset(p, lo, o->u.over.lower_offset, o->u.over.rows)) < 0)
      return SPATE_EINVAL;
  }
  return 0;
}

/* 1 when column col of r is the window_start of a window table function below it (through
 * calcs that project it as it is), 2 for its window_end, 0 otherwise. */
static int window_bound_column(const sql_rel *r, int col) {
  while (r->kind == SQL_REL_CALC) {
    const sql_expr *e = r->u.calc.projs[col];
    if (e->kind != SQL_E_COLUMN) return 0;
    col = e->u.column;
    r = r->inputs[0];
  }
  if (r->kind != SQL_REL_WINDOW_TVF) return 0;
  int k = col - r->inputs[0]->ncols; /* window_start, window_end, window_time */
  return k == 0 ? 1 : k == 1 ? 2 : 0;
}

int sql_plan_rank(sql_planner *p, sql_rel **rel) {
  sql_rel *c = *rel;
  if (c->kind != SQL_REL_CALC || c->inputs[0]->kind != SQL_REL_OVER) return 0;
  sql_rel *o = c->inputs[0];
  const sql_rel *in = o->inputs[0];
  int rn = in->ncols;
  if (o->u.over.ncalls != 1 || o->u.over.calls[0]->u.call.fn < SQL_FN_ROW_NUMBER ||
      o->u.over.calls[0]->u.call.fn > SQL_FN_DENSE_RANK)
    return 0;
  sql_expr *v[64];
  int n = conjuncts(c->u.calc.filter, v, 0, 64);
  if (n > 64) return 0;
  bound b[4];
  int nb = 0;
  sql_expr *rest = NULL;
  for (int i = 0; i < n; i++) {
    bound one[2];
    int k = rank_bounds(v[i], rn, one);
    for (int j = 0; j < k && nb < 4; j++) b[nb++] = one[j];
    if (!k && !(rest = sql_expr_and(p->arena, rest, v[i]))) return sqlq_oom(p);
  }
  /* Flink's shapes: [upper], [lower, upper] in either order, [both]; anything else (and a
   * condition still reading the number) leaves a plain filter over the window */
  int64_t lo, hi;
  if (nb == 1 && b[0].kind == UPPER) {
    lo = 1;
    hi = b[0].hi;
  } else if (nb == 1 && b[0].kind == BOTH) {
    lo = b[0].lo;
    hi = b[0].hi;
  } else if (nb == 2 && b[0].kind == LOWER && b[1].kind == UPPER) {
    lo = b[0].lo;
    hi = b[1].hi;
  } else if (nb == 2 && b[0].kind == UPPER && b[1].kind == LOWER) {
    lo = b[1].lo;
    hi = b[0].hi;
  } else if (nb == 1 && b[0].kind == LOWER && !reads(rest, rn)) {
    return FAIL_AT(p, c->u.calc.filter, true,
                   "Rank end is not specified. Currently rank only support TopN, which means the "
                   "rank end must be specified.");
  } else {
    return 0;
  }
  if (reads(rest, rn)) return 0;
  const sql_expr *call = o->u.over.calls[0];
  if (o->u.over.norder == 0)
    return FAIL_AT(p, call, true,
                   "Over Agg: The window rank function requires order by clause with "
                   "non-constant fields. please re-check the over window statement.");
  int bounds = 0;
  for (int i = 0; i < o->u.over.npartition; i++)
    bounds |= window_bound_column(in, o->u.over.partition[i]);
  if (bounds == 3)
    return FAIL_AT(p, call, true,
                   "Window Top-N and window deduplication (PARTITION BY window_start, window_end "
                   "over a window table function) are not supported in Spate yet");
  if (hi <= 0)
    return FAIL_AT(p, c->u.calc.filter, true, "Rank end should not less than zero, but now is %lld",
                   (long long)hi);
  if (lo > hi)
    return FAIL_AT(p, c->u.calc.filter, true,
                   "Rank start '%lld' can't greater than rank end '%lld'.", (long long)lo,
                   (long long)hi);
  bool number = false;
  for (int i = 0; i < c->ncols && !number; i++) number = reads(c->u.calc.projs[i], rn);
  /* ConstantRankNumberColumnRemoveRule: the one row's number is a constant of the calc */
  if (number && lo == hi && call->u.call.fn == SQL_FN_ROW_NUMBER) {
    sql_expr *lit = sql_arena_alloc(p->arena, sizeof *lit);
    if (!lit) return sqlq_oom(p);
    lit->kind = SQL_E_LITERAL;
    lit->type = o->types[rn];
    lit->u.lit.kind = SQL_LIT_INTEGER;
    lit->u.lit.i = lo;
    sql_expr **subst = sql_arena_alloc(p->arena, sizeof *subst * (size_t)(rn + 1));
    if (!subst) return sqlq_oom(p);
    for (int i = 0; i < rn; i++)
      if (!(subst[i] = sql_expr_column(p->arena, i, in->types[i]))) return sqlq_oom(p);
    subst[rn] = lit;
    for (int i = 0; i < c->ncols; i++)
      if (!(c->u.calc.projs[i] = sql_expr_subst(p->arena, c->u.calc.projs[i], subst)))
        return sqlq_oom(p);
    number = false;
  }
  int ord = o->u.over.order[0];
  bool dedup = call->u.call.fn == SQL_FN_ROW_NUMBER && lo == 1 && hi == 1 && !number &&
               o->u.over.norder == 1 && in->attrs[ord] != SQL_ATTR_NONE && !in->updating;
  sql_rel *r =
      sql_rel_new(p, dedup ? SQL_REL_DEDUPLICATE : SQL_REL_RANK, in->ncols + (number ? 1 : 0), 1);
  if (!r) return sqlq_oom(p);
  for (int i = 0; i < r->ncols; i++) {
    r->names[i] = o->names[i];
    r->types[i] = o->types[i];
    r->attrs[i] = o->attrs[i];
  }
  for (int i = 0; number && i < c->ncols; i++) /* the number named as the calc projects it */
    if (column_of(c->u.calc.projs[i]) == rn) r->names[rn] = c->names[i];
  r->inputs[0] = o->inputs[0];
  r->u.over = o->u.over;
  r->u.over.ncalls = 0;
  r->u.over.calls = NULL;
  r->u.over.rank_fn = call->u.call.fn;
  r->u.over.rank_start = lo;
  r->u.over.rank_end = hi;
  r->u.over.output_number = number;
  r->u.over.keep_last = dedup && o->u.over.desc[0];
  r->u.over.proctime = dedup && in->attrs[ord] == SQL_ATTR_PROCTIME;
  /* a Deduplicate keeping the first row on processing time inserts only */
  r->updating = !(dedup && r->u.over.proctime && !r->u.over.keep_last);
  c->inputs[0] = r;
  c->updating = r->updating;
  c->u.calc.filter = rest;
  return 0;
}
