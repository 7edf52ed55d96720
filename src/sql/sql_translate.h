/*
 * sql_translate.h: an optimized relational plan (sql_rel.h) into a Spate job: one StreamGraph node
 * per physical relation on a DataStream environment (api/api.h), with the SQL operators'
 * parameters (compiled expressions, aggregate calls), the connectors' sources and sinks, key-by
 * edges before aggregations, and uids derived from the plan (the relation's place in the tree
 * and its kind), so that the same query restores from its savepoints.
 */
#ifndef SPATE_SQL_SQL_TRANSLATE_H
#define SPATE_SQL_SQL_TRANSLATE_H
#include "spate/spate.h"
#include "sql/sql_rel.h"

/* The client's result: the sink a SELECT's rows are collected under, every column cast to its
 * SQL text (STRING), the row kind last for an updating query. */
#define SQL_RESULT_COLLECT "sql-result"

/* Adds the plan rooted at the sink relation root to env. Returns 0, or SPATE_EINVAL with the
 * error in p (a TableException: what cannot run), or SPATE_ENOMEM. */
int sql_translate(sql_planner *p, const sql_rel *root, spate_env *env);
#endif
