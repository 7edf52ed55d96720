/*
 * sql_script.h: cutting a SQL script (the client's -f and -i files, or lines typed at its
 * prompt) into statements, as Flink's SQL client does: a statement ends at a ';' that is not
 * inside a string, a quoted identifier or a comment, and may span lines. EXECUTE STATEMENT SET
 * BEGIN ... END holds ';' between its INSERTs: it ends at the first ';' after its END.
 *
 * Each statement keeps the line and column where it starts, so that the parser (given them as
 * its sql_pos) reports positions in the whole script.
 */
#ifndef SPATE_SQL_SCRIPT_H
#define SPATE_SQL_SCRIPT_H
#include <stddef.h>

typedef struct sql_script_stmt {
  size_t off, len; /* the statement's bytes in the script, without the ending ';' */
  int line, col;   /* 1-based position of its first byte */
  int terminated;  /* ended by ';' (0: the script ended first, or inside a string/comment) */
} sql_script_stmt;

/* Splits src[0, len) into *out (n statements, an sp_malloc'd array the caller frees with
 * sp_free; NULL when there are none). Text that holds only whitespace and comments is no
 * statement. Never fails on content (an unterminated string ends the last statement, whose
 * parse reports it); returns 0 or SPATE_ENOMEM. */
int sql_split_script(const char *src, size_t len, sql_script_stmt **out, int *n);
#endif
