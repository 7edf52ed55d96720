/*
 * sql_tableau.h: the SQL client's "tableau" drawing of a result, laid out as Flink's
 * (TableauStyle and PrintUtils in flink-table-common): a border line of '+' and '-', the column
 * names, another border, one line per row with every cell right-aligned in its column, a closing
 * border and a count line.
 *
 *   +----+-------------+-------+
 *   | op |        name |   cnt |
 *   +----+-------------+-------+
 *   | +I |         Bob |     1 |
 *   +----+-------------+-------+
 *
 * A cell wider than its column is cut and ends with "..."; NULL is written "<NULL>". Widths are
 * display widths as Flink counts them: UTF-16 code units plus one for each East Asian wide or
 * full-width character (so a CJK character takes two columns, as on a terminal; an emoji outside
 * the BMP takes three, a quirk kept so that the layouts match Flink's byte for byte).
 *
 * Two ways to size the columns, as Flink's client has:
 *   - by content, for results known in full (SHOW, DESCRIBE, a bounded query): the widest of the
 *     name and the cells, at most max_width (sql-client.display.max-column-width, 30);
 *   - given in advance, for a streaming result whose rows are printed as they arrive: the caller
 *     derives them from the column types (Flink's columnWidthsByType) and passes them in.
 */
#ifndef SPATE_CLI_SQL_TABLEAU_H
#define SPATE_CLI_SQL_TABLEAU_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* What a NULL cell shows (Flink's PrintStyle.NULL_VALUE). Cells are passed as C strings; NULL
 * stands for SQL NULL. */
#define TABLEAU_NULL "<NULL>"
/* Flink's default of sql-client.display.max-column-width. */
#define TABLEAU_DEFAULT_MAX_WIDTH 30

/* Display width of the UTF-8 string s, as above. Ill-formed bytes count one column each. */
int tableau_display_width(const char *s);

/* Fills widths[0..ncols) by content: each the widest display width among names[i] and the
 * rows' cells in column i (a NULL cell as TABLEAU_NULL), capped at max_width. rows[r][i] is the
 * cell of row r, column i. */
void tableau_widths_by_content(const char *const *names, int ncols, const char *const *const *rows,
                               int64_t nrows, int max_width, int *widths);

/* The width of a column of SQL type `type` (as Flink writes types: "INT", "DECIMAL(10, 2)",
 * "TIMESTAMP(3)", ...) named `name`, for a result whose rows are drawn as they arrive (Flink's
 * columnWidthsByType): the widest value of the type, the name, or TABLEAU_NULL, at most
 * max_width; an "op" column of type "STRING NOT NULL" is 2 wide. */
int tableau_width_by_type(const char *name, const char *type, int max_width);

/* The border line "+----+---+" for these widths, with its newline. */
void tableau_border(FILE *out, const int *widths, int ncols);
/* One line "| a |  b |" of the cells (NULL: TABLEAU_NULL), each padded on the left to its width
 * or cut to it with "...". */
void tableau_row(FILE *out, const int *widths, int ncols, const char *const *cells);

/* A whole result known in full, as Flink's TableResult.print() and the client's SHOW/DESCRIBE:
 * "Empty set" when there are no rows, else the drawing sized by content followed by "N rows in
 * set" ("1 row in set"). Returns 0, or SPATE_ENOMEM. */
int tableau_print(FILE *out, const char *const *names, int ncols, const char *const *const *rows,
                  int64_t nrows, int max_width);

#endif
