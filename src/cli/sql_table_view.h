/*
 * sql_table_view.h: the SQL client's `table` result mode on a terminal, as Flink's
 * CliTableResultView: a full-screen view of the query's result materialized as a table
 * (sql_materialized.h), refreshed on a timer while the query runs, with Flink's screen layout
 * (title, a status line with the refresh interval, the page and the time of the last refresh,
 * the column names, the rows of one page, two lines of key help) and keys (Q quit, R refresh,
 * + and - the refresh interval, N/P/L/G pages, W/S or arrows select a row, O or Enter open it,
 * A/D or arrows scroll sideways).
 *
 * The view owns the terminal while it is open: its own thread reads the keys (the terminal in
 * raw mode, so Ctrl-C is a key: quit, as Flink binds it) and draws with ANSI escapes on the
 * alternate screen; the terminal's modes and screen are restored when it closes. Leaving it
 * while the query runs cancels the query (through the caller's cancel function); once the query
 * has ended, the view shows "Table program finished." with the final rows and stays until the
 * user leaves it.
 *
 * Threads: open and close are called by the client's thread (the one running the statement);
 * sql_table_view_row by the job's thread that collects the result, one call at a time.
 */
#ifndef SPATE_CLI_SQL_TABLE_VIEW_H
#define SPATE_CLI_SQL_TABLE_VIEW_H
#include <stdbool.h>
#include <stdint.h>

typedef struct sql_table_view sql_table_view;

/* Opens the view on the terminal of stdin/stdout for a query whose columns are
 * names/types[0..ncols), the op column first (as the stream listener hands them). Cells are cut
 * to max_width; at most max_rows rows are kept. cancel(cancel_arg) is called from the view's
 * thread when the user leaves the view before the query has ended. Returns 0 and sets *out, or
 * a negative code (the terminal is then left as it was). */
int sql_table_view_open(const char *const *names, const char *const *types, int ncols,
                        int max_width, int64_t max_rows, void (*cancel)(void *arg),
                        void *cancel_arg, sql_table_view **out);

/* One change of the result: cells[0] its op (+I, -U, +U, -D), then the row. */
void sql_table_view_row(sql_table_view *v, const char *const *cells, int ncols);

/* The query has ended. With wait (it finished or was cancelled), the view shows the final rows
 * until the user leaves it; without (it failed), the view closes at once. Returns once the
 * terminal is restored, and frees v. */
void sql_table_view_close(sql_table_view *v, bool wait);

#endif
