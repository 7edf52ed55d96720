/*
 * sql_validate_int.h: what the validator's files share (sql_validate.c: literals, columns,
 * operators, CASE and CAST; sql_functions.c: the built-in functions; sql_type_rules.c: Flink's
 * type merging, decimal arithmetic and cast tables). Not for use outside src/sql/sql_validate*.c,
 * sql_functions.c and sql_type_rules.c.
 */
#ifndef SPATE_SQL_SQL_VALIDATE_INT_H
#define SPATE_SQL_SQL_VALIDATE_INT_H
#include "sql/sql_validate.h"

typedef struct sqlv_ctx {
  const sql_scope *scope;
  sql_arena *arena;
  sql_verror *err;
  const struct sql_catalog *catalog; /* whose user functions calls may name, or NULL */
} sqlv_ctx;

/* Sets the error at node n and returns SPATE_EINVAL. */
int sqlv_fail(sqlv_ctx *c, const sql_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Validates a child expression. */
int sqlv_expr(sqlv_ctx *c, const sql_node *n, sql_expr **out);

/* A new call node of fn at n with nargs argument slots; NULL when out of memory. */
sql_expr *sqlv_call(sqlv_ctx *c, const sql_node *n, sql_fn fn, int nargs);

/* A fresh scalar type (kind, precision or length, nullability) in the arena; NULL on OOM. */
sql_type *sqlv_type(sql_arena *a, sql_type_kind kind, int precision, bool nullable);
sql_type *sqlv_decimal(sql_arena *a, int precision, int scale, bool nullable);

/* Type families, as Flink's LogicalTypeFamily. */
bool sqlv_is_numeric(const sql_type *t);
bool sqlv_is_exact(const sql_type *t);   /* integers and DECIMAL */
bool sqlv_is_integer(const sql_type *t); /* TINYINT .. BIGINT */
bool sqlv_is_character(const sql_type *t);
bool sqlv_is_binary(const sql_type *t);
bool sqlv_is_datetime(const sql_type *t); /* DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ */
bool sqlv_is_timestamp(const sql_type *t);
bool sqlv_is_interval(const sql_type *t);
bool sqlv_is_year_month(const sql_type *t);
bool sqlv_is_null(const sql_type *t);

/* Integers as decimals (TINYINT is DECIMAL(3, 0), ... BIGINT DECIMAL(19, 0)); false otherwise. */
bool sqlv_as_decimal(const sql_type *t, int *precision, int *scale);

/* Flink's decimal results (LogicalTypeMerging), adjusted to precision 38. */
void sqlv_decimal_add(int p1, int s1, int p2, int s2, int *p, int *s);
void sqlv_decimal_mul(int p1, int s1, int p2, int s2, int *p, int *s);
void sqlv_decimal_div(int p1, int s1, int p2, int s2, int *p, int *s);
void sqlv_decimal_mod(int p1, int s1, int p2, int s2, int *p, int *s);

/* Calcite's type family name in signatures: "NUMERIC", "CHARACTER", "BOOLEAN", ... */
const char *sqlv_family_name(const sql_type *t);

/* The type of a || b: CHAR(a + b) when both are CHAR, else VARCHAR (VARBINARY when !chars). */
const sql_type *sqlv_concat_type(sqlv_ctx *c, const sql_type *l, const sql_type *r, bool chars);

/* Validates a built-in function call (SQL_CALL) in sql_functions.c. */
int sqlv_function(sqlv_ctx *c, const sql_node *n, sql_expr **out);

/* Whether a name (case-insensitive) is a built-in aggregate: the planner's concern too. */
sql_fn sqlv_lookup(const char *name);
#endif
