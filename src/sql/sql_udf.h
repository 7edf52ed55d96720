/*
 * sql_udf.h: a C user function as the SQL client sees it (include/spate/sql_function.h): the
 * library loaded, the descriptor found by its symbol and checked, its argument and result types
 * parsed with the SQL type parser. CREATE FUNCTION loads it (sql_catalog.c), the validator
 * types calls with it (sql_functions.c), and the compiler writes its library path and symbol
 * into the calc program, whose operator loads the library again where the job runs.
 *
 * Messages name the function, the library's path and the symbol, so that a user can tell which
 * of them is wrong.
 */
#ifndef SPATE_SQL_SQL_UDF_H
#define SPATE_SQL_SQL_UDF_H
#include <stdbool.h>
#include <stddef.h>

#include "spate/sql_function.h"
#include "sql/sql_arena.h"
#include "sql/sql_types.h"

#define SQL_UDF_MAX_ARGS 16

typedef struct sql_udf {
  char *name;    /* the SQL name, as created */
  char *library; /* the absolute path of the library */
  char *symbol;  /* the descriptor's symbol */
  void *handle;  /* dlopen's, kept while the function exists */
  const spate_sql_function *def;
  int nargs;
  sql_type **arg_types; /* in arena, nullability as declared */
  sql_type *result_type;
  bool deterministic;
  sql_arena arena;
} sql_udf;

/* Loads function `name` from symbol in library (a path; a relative one is taken from the
 * working directory) and checks the descriptor: its ABI version, argument count, callbacks and
 * types (each parsed and of a kind programs can pass: see the public header). Returns 0 and
 * *out (free with sql_udf_free), SPATE_EINVAL with the message in err, or SPATE_ENOMEM. */
int sql_udf_load(const char *name, const char *library, const char *symbol, sql_udf **out,
                 char *err, size_t cap);
void sql_udf_free(sql_udf *u);

/* Whether a value of type t can be an argument or result of a C function. */
bool sql_udf_type_ok(const sql_type *t);
#endif
