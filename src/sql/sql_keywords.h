/*
 * sql_keywords.h: which words Flink SQL reserves. A reserved word cannot be an unquoted
 * identifier (`SELECT value FROM t` fails; `value` in backquotes works); every other word,
 * including Flink's non-reserved keywords (DATA, KEY, NAME, TYPE, JSON, SESSION, TUMBLE, ...),
 * can name a table, column or function. See sql_keywords.c for where the list comes from.
 */
#ifndef SPATE_SQL_KEYWORDS_H
#define SPATE_SQL_KEYWORDS_H
#include <stddef.h>

/* Whether the word (n bytes, any case) is reserved. */
int sql_is_reserved(const char *word, size_t n);
/* The number of reserved words and the i-th in alphabetical order (for tests). */
int sql_reserved_count(void);
const char *sql_reserved_word(int i);
#endif
