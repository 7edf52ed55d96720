/*
 * sql_plan_int.h: what the query planner's files share (sql_plan_query.c: tables, FROM, SELECT,
 * VALUES, set operations, INSERT; sql_plan_aggregate.c: GROUP BY, HAVING, DISTINCT and window
 * aggregation; sql_plan_window.c: window table functions).
 */
#ifndef SPATE_SQL_SQL_PLAN_INT_H
#define SPATE_SQL_SQL_PLAN_INT_H
#include "sql/sql_rel.h"

/* A FROM item: its relation and the qualifier (table name or alias) of each column. */
typedef struct from_item {
  sql_rel *rel;
  const char **quals;       /* per column: the qualifier (table name or alias), or NULL */
  const char **scope_names; /* per column: the name a query writes, when it is not the
                               relation's (a join's second `id` is `id0` in its row type); NULL:
                               the relation's names */
} from_item;

/* The select list expanded (stars) and validated over scope s: n expressions and names. */
typedef struct select_list {
  int n;
  sql_expr **exprs;
  const char **names;
  const sql_node **nodes;
} select_list;

static inline const sql_node *sqlq_item_expr(const sql_node *item) {
  return item->kind == SQL_ALIAS ? item->u.alias.arg : item;
}

int sqlq_oom(sql_planner *p); /* SPATE_ENOMEM */
/* A calc of ncols projections over in; sqlq_calc_set fills column i (time attributes of bare
 * columns kept). */
sql_rel *sqlq_new_calc(sql_planner *p, sql_rel *in, int ncols);
void sqlq_calc_set(sql_rel *c, int i, sql_expr *e, const char *name);
/* Every column of f qualified by q. */
int sqlq_set_quals(sql_planner *p, from_item *f, const char *q);
/* The validator over scope s, its error kept as the planner's. */
int sqlq_validate(sql_planner *p, const sql_node *e, const sql_scope *s, sql_expr **out);
/* A name in FROM: a WITH item, a view or a table. */
int sqlq_plan_named(sql_planner *p, const sql_node *ident, from_item *f);
/* Any FROM item. */
int sqlq_plan_from(sql_planner *p, const sql_node *n, from_item *f);
/* The columns f makes visible to expressions. */
int sqlq_scope_of(sql_planner *p, const from_item *f, sql_scope *s);

/* sql_plan_join.c: a JOIN (or comma) in FROM as a regular join; a WHERE over an inner join
 * joins its condition (the keys and the residual split again). */
int sqlq_plan_join(sql_planner *p, const sql_node *n, from_item *f);
int sqlq_join_where(sql_planner *p, sql_rel *join, sql_expr *where);
/* prefix followed by i, in the arena. */
const char *sqlq_numbered(sql_planner *p, const char *prefix, int i);
bool sqlq_has_aggregate(const sql_expr *e);
/* The operators' kind of aggregate call e (COUNT(*) apart from COUNT), 0 for no aggregate. */
sql_agg_kind sqlq_agg_kind_of(const sql_expr *e);

/* sql_plan_window.c: TUMBLE, HOP, CUMULATE, SESSION(TABLE t, DESCRIPTOR(col), ...) in FROM. */
int sqlq_plan_window_tvf(sql_planner *p, const sql_node *tf, from_item *f);
/* sql_plan_aggregate.c: the aggregation of a SELECT (plain, or a window aggregation over a
 * window table function) with its HAVING, and DISTINCT over a relation. */
int sqlq_plan_aggregate(sql_planner *p, const sql_node *sel, const from_item *f, const sql_scope *s,
                        select_list *items, sql_expr *having, sql_rel **out);
int sqlq_plan_distinct(sql_planner *p, sql_rel *in, sql_rel **out);

/* sql_plan_grouping.c: GROUP BY's grouping sets and the grouping functions. */
typedef struct sqlq_grouping {
  int ngroup;
  sql_expr **group;       /* the distinct group expressions, in order of first appearance */
  const sql_node **nodes; /* where each was written */
  int nsets;
  uint64_t *sets; /* per set, bit i: group expression i is in it; in Calcite's order */
  int *dup;       /* per set: its copy number (GROUP_ID), 0 for a set's first listing */
} sqlq_grouping;
/* The group expressions and grouping sets of sel's GROUP BY, validated over s. Plain GROUP BY
 * a, b gives one set of every expression. */
int sqlq_grouping_sets(sql_planner *p, const sql_node *sel, const sql_scope *s, sqlq_grouping *g);
/* The aggregation's keys against the grouping sets: the keys (columns of the calc below),
 * key_of[i] the key of group expression i (-1: window_start, window_end or window_time, which
 * are in every set), ids[s] the expand id of set s, ecol the aggregation's output column of $e
 * (-1: one set, no expand). */
typedef struct sqlq_expand_keys {
  int nkeys;
  int *keys;
  int *key_of;
  int nsets;
  uint64_t *ids;
  int ecol;
  const sql_type *etype;
} sqlq_expand_keys;
/* An expand over in (SQL_REL_EXPAND): in's columns, keys absent from a set nullable, then $e. */
sql_rel *sqlq_new_expand(sql_planner *p, sql_rel *in, const sqlq_expand_keys *k);
bool sqlq_is_grouping_fn(const sql_expr *e);
/* Checks that the arguments of grouping function e are group expressions (Calcite's message). */
int sqlq_check_grouping_fn(sql_planner *p, const sqlq_grouping *g, const sql_expr *e);
/* Grouping function e over the aggregation's output: a constant, or a CASE over $e. */
sql_expr *sqlq_grouping_value(sql_planner *p, const sqlq_grouping *g, const sqlq_expand_keys *k,
                              const sql_expr *e);
/* Widens the types of e's calls and casts to nullable where an operand became nullable (a group
 * key absent from a grouping set), as Calcite types them over the aggregation. */
int sqlq_renull(sql_planner *p, sql_expr *e);
#endif
