/*
 * sql_udf.c: loading and checking a C user function for the SQL client (sql_udf.h): dlopen of
 * the library (RTLD_NOW: every symbol it needs resolved now, not on the first row), dlsym of
 * the descriptor, its ABI version and callbacks, and its type strings parsed by the SQL type
 * parser and resolved as a declared column type would be.
 */
#include "sql/sql_udf.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "sql/sql_parser.h"

bool sql_udf_type_ok(const sql_type *t) {
  switch (t->kind) {
  case SQL_T_BOOLEAN:
  case SQL_T_TINYINT:
  case SQL_T_SMALLINT:
  case SQL_T_INT:
  case SQL_T_BIGINT:
  case SQL_T_FLOAT:
  case SQL_T_DOUBLE:
  case SQL_T_CHAR:
  case SQL_T_VARCHAR:
  case SQL_T_BINARY:
  case SQL_T_VARBINARY:
  case SQL_T_DATE:
  case SQL_T_TIME:
  case SQL_T_TIMESTAMP:
  case SQL_T_TIMESTAMP_LTZ: return true;
  default: return false;
  }
}

void sql_udf_free(sql_udf *u) {
  if (!u) return;
  if (u->handle) dlclose(u->handle);
  sql_arena_free(&u->arena);
  sp_free(u->name);
  sp_free(u->library);
  sp_free(u->symbol);
  sp_free(u);
}

/* Parses and resolves one of the descriptor's type strings; what names it in messages. */
static int parse_type(sql_udf *u, const char *text, const char *what, sql_type **out, char *err,
                      size_t cap) {
  if (!text)
    return sp_err(err, cap, SPATE_EINVAL, "Function '%s' (symbol '%s' in '%s'): the %s is NULL",
                  u->name, u->symbol, u->library, what);
  sql_ast *ast = NULL;
  char msg[512];
  int rc = sql_parse_type(text, strlen(text), (sql_pos){0, 0}, &ast, msg, sizeof msg);
  if (rc == 0) rc = sql_type_resolve(ast->root, &u->arena, out, msg, sizeof msg);
  sql_ast_free(ast);
  if (rc == SPATE_ENOMEM) return rc;
  if (rc)
    return sp_err(err, cap, SPATE_EINVAL,
                  "Function '%s' (symbol '%s' in '%s'): the %s '%s' is not a SQL type: %s", u->name,
                  u->symbol, u->library, what, text, msg);
  if (!sql_udf_type_ok(*out))
    return sp_err(err, cap, SPATE_EINVAL,
                  "Function '%s' (symbol '%s' in '%s'): the %s '%s' is not a type C functions "
                  "take (BOOLEAN, integers, FLOAT, DOUBLE, CHAR, VARCHAR, BINARY, VARBINARY, "
                  "DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ)",
                  u->name, u->symbol, u->library, what, text);
  return 0;
}

static int check(sql_udf *u, char *err, size_t cap) {
  const spate_sql_function *d = u->def;
  if (d->abi != SPATE_SQL_FUNCTION_ABI)
    return sp_err(err, cap, SPATE_EINVAL,
                  "Function '%s' (symbol '%s' in '%s'): ABI version %d, Spate runs version %d "
                  "(rebuild the library against spate/sql_function.h)",
                  u->name, u->symbol, u->library, d->abi, SPATE_SQL_FUNCTION_ABI);
  if (d->nargs < 0 || d->nargs > SQL_UDF_MAX_ARGS || (d->nargs > 0 && !d->arg_types))
    return sp_err(err, cap, SPATE_EINVAL,
                  "Function '%s' (symbol '%s' in '%s'): %d arguments (0 to %d, with their "
                  "types)",
                  u->name, u->symbol, u->library, d->nargs, SQL_UDF_MAX_ARGS);
  if (!d->eval)
    return sp_err(err, cap, SPATE_EINVAL, "Function '%s' (symbol '%s' in '%s'): eval is NULL",
                  u->name, u->symbol, u->library);
  u->nargs = d->nargs;
  u->deterministic = d->deterministic;
  u->arg_types = sql_arena_alloc(&u->arena, sizeof *u->arg_types * (size_t)(d->nargs + 1));
  if (!u->arg_types) return SPATE_ENOMEM;
  for (int i = 0; i < d->nargs; i++) {
    char what[48];
    snprintf(what, sizeof what, "type of argument %d", i + 1);
    int rc = parse_type(u, d->arg_types[i], what, &u->arg_types[i], err, cap);
    if (rc) return rc;
  }
  return parse_type(u, d->result_type, "result type", &u->result_type, err, cap);
}

int sql_udf_load(const char *name, const char *library, const char *symbol, sql_udf **out,
                 char *err, size_t cap) {
  *out = NULL;
  if (!library || !*library)
    return sp_err(err, cap, SPATE_EINVAL,
                  "Function '%s': a C function needs its library (USING JAR '<library.so>')", name);
  sql_udf *u = sp_calloc(1, sizeof *u);
  if (!u) return SPATE_ENOMEM;
  char abs[PATH_MAX];
  int rc = 0;
  u->name = sp_strdup(name);
  u->symbol = sp_strdup(symbol);
  /* a path as dlopen would not search it: absolute, so the job finds the same file */
  if (!realpath(library, abs)) {
    rc = sp_err(err, cap, SPATE_EINVAL, "Function '%s': cannot load the library '%s': %s", name,
                library, strerror(errno));
    goto done;
  }
  u->library = sp_strdup(abs);
  if (!u->name || !u->symbol || !u->library) {
    rc = SPATE_ENOMEM;
    goto done;
  }
  u->handle = dlopen(u->library, RTLD_NOW | RTLD_LOCAL);
  if (!u->handle) {
    const char *why = dlerror();
    rc = sp_err(err, cap, SPATE_EINVAL, "Function '%s': cannot load the library '%s': %s", name,
                u->library, why ? why : "dlopen failed");
    goto done;
  }
  dlerror();
  u->def = dlsym(u->handle, symbol);
  if (!u->def) {
    rc = sp_err(err, cap, SPATE_EINVAL,
                "Function '%s': the library '%s' has no symbol '%s' (a spate_sql_function with "
                "external linkage)",
                name, u->library, symbol);
    goto done;
  }
  rc = check(u, err, cap);
done:
  if (rc) {
    sql_udf_free(u);
    return rc;
  }
  *out = u;
  return 0;
}
