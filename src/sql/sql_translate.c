/* sql_translate.c: an optimized plan into a job (sql_translate.h). */
#include "sql/sql_translate.h"

#include "base/err.h"

int sql_translate(sql_planner *p, const sql_rel *root, spate_env *env) {
  (void)env;
  return sql_plan_fail(p, NULL, true, "relation %d: running SQL jobs is being built", root->id);
}
