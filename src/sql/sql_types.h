/*
 * sql_types.h: SQL's logical types as Flink's planner resolves them (LogicalType): a declared
 * type of the syntax tree with every default filled in and every bound checked, in the form the
 * catalog keeps, DESCRIBE shows and the planner will map onto row fields.
 *
 * Defaults and bounds are Flink's: CHAR, VARCHAR, BINARY and VARBINARY have length 1 when none
 * is given and at most 2147483647; STRING is VARCHAR(2147483647) and BYTES VARBINARY(2147483647);
 * DECIMAL is DECIMAL(10, 0), with precision 1..38 and scale 0..precision; TIME is TIME(0) and
 * TIMESTAMP / TIMESTAMP_LTZ are precision 6, each precision 0..9; REAL is FLOAT; a day-time
 * interval has day precision 2 and fractional precision 6, a year-month one year precision 2.
 *
 * Types are small trees allocated in an arena (sql_arena.h) that lives as long as whatever holds
 * them (a catalog entry, a plan).
 */
#ifndef SPATE_SQL_SQL_TYPES_H
#define SPATE_SQL_SQL_TYPES_H
#include <stdbool.h>

#include "base/strbuf.h"
#include "sql/sql_arena.h"
#include "sql/sql_ast.h"

#define SQL_MAX_LENGTH 2147483647

typedef struct sql_type sql_type;
struct sql_type {
  sql_type_kind kind; /* the AST's kinds; never REAL (FLOAT), STRING (VARCHAR), BYTES
                         (VARBINARY) or USER */
  bool nullable;
  int length;             /* CHAR, VARCHAR, BINARY, VARBINARY */
  int precision;          /* DECIMAL; TIME, TIMESTAMP, TIMESTAMP_LTZ (fractional digits) */
  int scale;              /* DECIMAL */
  sql_interval_qual qual; /* INTERVAL, precisions filled in */
  sql_type *elem;         /* ARRAY, MULTISET */
  sql_type *key, *value;  /* MAP */
  int nfields;            /* ROW */
  const char **field_names;
  sql_type **field_types;
  const char **field_comments; /* NULL entries when none */
};

/* Resolves the declared type node (SQL_TYPE) into *out, allocated in arena. On a bound Flink
 * refuses, returns SPATE_EINVAL with Flink's message and the type's position in err. */
int sql_type_resolve(const sql_node *node, sql_arena *arena, sql_type **out, char *err, size_t cap);

/* Flink's summary string of the type (LogicalType.asSummaryString): "INT", "STRING",
 * "DECIMAL(10, 2) NOT NULL", "TIMESTAMP(3)", "ARRAY<INT>", "ROW<`a` INT, `b` STRING>".
 * Returns 0 or SPATE_ENOMEM. */
int sql_type_format(const sql_type *t, sp_strbuf *out);
/* The same without the top-level " NOT NULL" (DESCRIBE shows nullability in its own column). */
int sql_type_format_bare(const sql_type *t, sp_strbuf *out);

/* A copy of t with nullability n at the top (allocated in arena); t itself if it already is. */
sql_type *sql_type_with_nullable(const sql_type *t, bool n, sql_arena *arena);

#endif
