/*
 * sql_materialized.h: a query's result materialized as a table, as Flink's SQL client keeps it
 * for the `table` result mode (MaterializedCollectStreamResult): the changes of the query's
 * changelog are applied as they arrive, +I and +U append their row, -U and -D take back the
 * newest equal row (the op itself is not compared). At most max_rows rows are kept
 * (sql-client.execution.max-table-result.rows); an insert beyond that drops the oldest row first.
 *
 * A row is one allocation holding its cells (mat_row); the table hands out copies of rows, never
 * its own, so a reader may keep them while the table changes. Not thread-safe: the owner locks.
 */
#ifndef SPATE_CLI_SQL_MATERIALIZED_H
#define SPATE_CLI_SQL_MATERIALIZED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row: ncols cells packed as <flag byte: 1 value, 0 NULL><the value's bytes, NUL>. */
typedef struct mat_row {
  uint64_t hash; /* of bytes */
  int64_t at;    /* in the table: where it was appended (see sql_materialized.c) */
  size_t len;
  char bytes[];
} mat_row;

typedef struct mat_table mat_table;

/* A table of rows of ncols cells keeping at most max_rows (<= 0: no bound) rows. NULL if out of
 * memory. */
mat_table *mat_table_new(int ncols, int64_t max_rows);
void mat_table_free(mat_table *t);

/* Applies one change: op is "+I", "+U", "-U" or "-D", cells[0..ncols) its row (NULL cells: SQL
 * NULL). A retraction of a row the table does not hold changes nothing (as in Flink: it may have
 * been dropped by the bound). Returns 0, SPATE_EINVAL for an unknown op, or SPATE_ENOMEM. */
int mat_table_apply(mat_table *t, const char *op, const char *const *cells);

/* The number of rows the table holds now. */
int64_t mat_table_size(const mat_table *t);

/* Copies of the rows [from, from + n) (clamped to the table) into out[0..), which has room for n;
 * returns how many were copied, or SPATE_ENOMEM (then none is kept). The caller frees each with
 * sp_free. */
int64_t mat_table_copy(const mat_table *t, int64_t from, int64_t n, mat_row **out);

/* Points cells[0..ncols) into row's bytes (NULL for SQL NULL); valid while row lives. */
void mat_row_cells(const mat_row *row, int ncols, const char **cells);

#endif
