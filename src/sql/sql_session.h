/*
 * sql_session.h: one SQL client session, as Flink's SQL gateway keeps one per client: the session
 * configuration (SET/RESET over the configuration the client started with), the in-memory
 * catalog of tables, views and functions, and the statements' execution. The client (cli/
 * sql_client.c) hands it one statement at a time and draws what comes back; the session knows
 * nothing of terminals.
 *
 * A statement's outcome is a sql_result: a message, a table known in full (SHOW, DESCRIBE,
 * SET;), or one of the client's own commands (QUIT, HELP, CLEAR). A failure is a negative code
 * with an error: the kind of Flink exception it corresponds to (SqlParserException for syntax,
 * ValidationException for names and types, TableException for what cannot run) and the message,
 * which names the position for syntax and validation errors. The client prints both as Flink's
 * client does ("[ERROR] Could not execute SQL statement. Reason:\n<kind>: <message>").
 */
#ifndef SPATE_SQL_SQL_SESSION_H
#define SPATE_SQL_SQL_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/strbuf.h"

typedef struct sql_session sql_session;

typedef enum sql_result_kind {
  SQL_RESULT_INFO,     /* message: shown as "[INFO] <message>" */
  SQL_RESULT_TABLE,    /* names, rows: a result known in full */
  SQL_RESULT_TEXT,     /* message: text shown as it is (SHOW CREATE TABLE) */
  SQL_RESULT_QUIT,     /* QUIT or EXIT */
  SQL_RESULT_HELP,     /* HELP */
  SQL_RESULT_CLEAR,    /* CLEAR */
  SQL_RESULT_STREAMED, /* a query whose rows went to the stream listener as they came: nrows of
                          them; message set when it was cancelled */
} sql_result_kind;

/* What a statement produced. Owned by whoever passed it to sql_session_execute, released with
 * sql_result_free (a zeroed result is empty and may be freed). Cells are C strings; a NULL cell
 * is SQL NULL. */
typedef struct sql_result {
  sql_result_kind kind;
  char *message; /* INFO; may also accompany a TABLE (NULL if none) */
  char *warning; /* shown as "[WARNING] <warning>" before the rest; NULL if none */
  int ncols;
  char **names;
  char ***rows;
  int64_t nrows, cap;
  bool changelog; /* a query's result: the first column is the op (+I, -U, +U, -D) of each row */
} sql_result;

void sql_result_free(sql_result *r);
/* Builders for results (also for the session's own files): set the columns, then append rows
 * of ncols cells (copied; NULL cells stay NULL). Return 0 or SPATE_ENOMEM. */
int sql_result_set_columns(sql_result *r, const char *const *names, int ncols);
int sql_result_add_row(sql_result *r, const char *const *cells);

/* Kinds of failure, named as the Flink exceptions a user of Flink's client knows. */
typedef enum sql_error_kind {
  SQL_ERR_PARSE,      /* SqlParserException */
  SQL_ERR_VALIDATION, /* ValidationException */
  SQL_ERR_TABLE,      /* TableException */
  SQL_ERR_EXECUTION,  /* SqlExecutionException: the job could not be submitted or failed */
} sql_error_kind;
const char *sql_error_kind_name(sql_error_kind k);

/* A new session over a copy of base (the client's configuration: conf/config.yaml and -D).
 * Returns 0, or SPATE_ENOMEM. */
int sql_session_new(const sp_config *base, sql_session **out);
void sql_session_free(sql_session *s);

/* Executes one statement: text[0, len) without its terminating ';', starting at line and column
 * (1-based) of the script it came from, so that positions in messages are the script's. On
 * success returns 0 and fills *r. On failure returns a negative code, sets *kind, and writes the
 * message into err (appending to it). */
int sql_session_execute(sql_session *s, const char *text, size_t len, int line, int col,
                        sql_result *r, sql_error_kind *kind, sp_strbuf *err);

/* Where a query's rows go while its job runs, in the tableau and changelog result modes: the
 * listener gets the result's columns (the op column first, with the SQL types as Flink writes
 * them) before the first row, then each row (cells[0] its op, NULL cells SQL NULL) from the job's
 * thread, one call at a time. Without one (and in table mode, unless the listener takes table
 * mode too: the client's live table view on a terminal) rows come back in the result when the
 * query ends. */
typedef struct sql_stream_listener {
  void *arg;
  bool table_mode; /* the listener also takes the rows of table mode */
  void (*columns)(void *arg, const char *const *names, const char *const *types, int ncols);
  void (*row)(void *arg, const char *const *cells, int ncols);
} sql_stream_listener;
void sql_session_set_stream_listener(sql_session *s, const sql_stream_listener *l);
/* Cancels the query running in the session, if any (Ctrl-C in the client): only sets a flag, so
 * a signal handler may call it. The statement then returns its rows so far. */
void sql_session_cancel(sql_session *s);
/* Dry run: queries and INSERTs are planned, translated and built into a JobGraph, and not run
 * (the fuzz target, and checking a script without running it). */
void sql_session_set_dry_run(sql_session *s, bool on);
/* The session's current configuration (read-only; valid until the next execute). */
const sp_config *sql_session_config(const sql_session *s);

#endif
