/*
 * sql_row_schema.h: the row schema (types/schema.h) that carries columns of SQL logical types
 * (sql_types.h), the one mapping the planner, the table factories and the expression compiler
 * share. Each SQL type becomes the schema field of the same name: Flink's summary string of the
 * type is read back by the schema parser, so precision, scale, length, nullability and the
 * parts of composite types carry over as declared.
 */
#ifndef SPATE_SQL_SQL_ROW_SCHEMA_H
#define SPATE_SQL_SQL_ROW_SCHEMA_H
#include <stdbool.h>
#include <stddef.h>

#include "sql/sql_types.h"
#include "types/schema.h"

/* The schema of n columns named names[i] of types[i]; with with_kind, one more last field
 * ROW_KIND_FIELD_NAME TINYINT NOT NULL (types/row_kind.h). Returns 0 and *out (the caller's
 * reference), SPATE_EINVAL with a message naming the column when a type has no row field, or
 * SPATE_ENOMEM. */
int sql_row_schema(const char *const *names, const sql_type *const *types, int n, bool with_kind,
                   spate_schema **out, char *err, size_t cap);
#endif
