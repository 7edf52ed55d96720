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
  const char **quals; /* per column: the qualifier (table name or alias), or NULL */
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
/* prefix followed by i, in the arena. */
const char *sqlq_numbered(sql_planner *p, const char *prefix, int i);
bool sqlq_has_aggregate(const sql_expr *e);

/* sql_plan_window.c: TUMBLE, HOP, CUMULATE, SESSION(TABLE t, DESCRIPTOR(col), ...) in FROM. */
int sqlq_plan_window_tvf(sql_planner *p, const sql_node *tf, from_item *f);
/* sql_plan_aggregate.c: the aggregation of a SELECT (plain, or a window aggregation over a
 * window table function) with its HAVING, and DISTINCT over a relation. */
int sqlq_plan_aggregate(sql_planner *p, const sql_node *sel, const from_item *f, const sql_scope *s,
                        select_list *items, sql_expr *having, sql_rel **out);
int sqlq_plan_distinct(sql_planner *p, sql_rel *in, sql_rel **out);
#endif
