/*
 * sql_compile.h: the expression compiler: typed expressions (sql_validate.h) to the calc
 * program the OP_SQL_CALC operator runs (operators/sql_program.h), once per query, as Flink's
 * planner generates the code of a Calc.
 *
 * The planner validates a query's filter and projections over the scope of its input, whose
 * columns are the fields of the input's row schema (sql_row_schema.h) in order: a column
 * reference's index is the input field's index. Implicit conversions the validator's types
 * imply (operands of arithmetic and comparisons brought to their common type) become casts
 * in the program; a projection that is a bare column of the output field's type becomes a
 * copy of the field. Literal-only subtrees are folded into constants (with no processing-time
 * function or non-deterministic C user function inside), unless evaluating them fails, which
 * is then left to run time. Calls of C user functions (sql_udf.h) name the function's library
 * and symbol in the program, whose operator loads it where it runs; folding one loads it here.
 *
 * Not compiled, each refused with a message naming the function: aggregate calls (the planner
 * moves them out), MD5 and SHA256 (no digest library among DESIGN.md's dependencies), FLOOR/CEIL of
 * an interval or a TIME, values of composite types (ARRAY, MAP, MULTISET, ROW),
 * and BYTES concatenation.
 *
 * The session time zone is UTC, a fixed offset or a region of the system's time zone database
 * (operators/sql_program.h: sqlp_tz_parse), which must then be installed where programs run.
 *
 * JSON_VALUE and JSON_QUERY are compiled with Flink's default clauses (NULL ON EMPTY, NULL ON
 * ERROR, WITHOUT WRAPPER) whatever the query says: the typed tree does not carry the clauses.
 * RAND is java.util.Random's sequence, seeded once per operator by a seed that stays the same.
 *
 * Errors are values: SPATE_EINVAL with the message and the offending node's position in err,
 * or SPATE_ENOMEM.
 */
#ifndef SPATE_SQL_SQL_COMPILE_H
#define SPATE_SQL_SQL_COMPILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/sql_validate.h"
#include "types/schema.h"

/* Compiles a calc over rows of `input`: the filter (NULL: every row passes) and nproj
 * projections named names[i]. When updating, input's last field is the row kind
 * ($row_kind, types/row_kind.h), which becomes the output's last field unchanged. time_zone is
 * the session's table.local-time-zone (NULL: UTC; an unknown zone is SPATE_EINVAL).
 *
 * On success returns 0 with *prog (prog_len bytes, the caller frees with sp_free: the single
 * BLOBS entry of the node's op_sql_calc_params) and *out_schema (the caller's reference: the
 * node's output schema, sql_row_schema of the projections' names and types). */
int sql_compile_calc(const spate_schema *input, bool updating, const char *time_zone,
                     const sql_expr *filter, sql_expr *const *projs, const char *const *names,
                     int nproj, uint8_t **prog, size_t *prog_len, spate_schema **out_schema,
                     sql_verror *err);

/* Evaluates n expressions that reference no column (VALUES rows, option constants) into one
 * row of *schema (fields names[i] of the expressions' types), at processing time now_ms in
 * time_zone. Returns 0 with *row (len bytes, the caller frees with sp_free) and *schema (the
 * caller's reference); SPATE_EINVAL with the message when compiling or evaluating fails (a
 * failing CAST, a division by zero), or SPATE_ENOMEM. */
int sql_eval_constant_row(sql_expr *const *exprs, const char *const *names, int n,
                          const char *time_zone, int64_t now_ms, spate_schema **schema,
                          uint8_t **row, size_t *len, sql_verror *err);
#endif
