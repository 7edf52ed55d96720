/*
 * sql_catalog.h: the session's in-memory catalog (Flink's GenericInMemoryCatalog under the
 * names Flink gives it): one catalog, default_catalog, with one database, default_database,
 * holding tables and views, temporary or not, and user functions.
 *
 * Names resolve as Flink's: `t`, `db.t` and `cat.db.t` are the same object when db and cat are
 * the current ones; any other catalog or database does not exist. Names are case-sensitive.
 *
 * A table keeps the CREATE TABLE statement it came from (its syntax tree, owned by the entry)
 * and what resolving it gave: each column's kind and type, the primary key, the watermark and
 * the WITH options, which ALTER TABLE changes. A view keeps its CREATE VIEW statement; its
 * columns come from the planner when the view is used.
 */
#ifndef SPATE_SQL_SQL_CATALOG_H
#define SPATE_SQL_SQL_CATALOG_H
#include <stdbool.h>

#include "sql/sql_ast.h"
#include "sql/sql_types.h"
#include "sql/sql_udf.h"

#define SQL_DEFAULT_CATALOG "default_catalog"
#define SQL_DEFAULT_DATABASE "default_database"

typedef struct sql_column {
  const char *name;
  int kind;                 /* SQL_COLUMN_PHYSICAL, _COMPUTED, _METADATA */
  sql_type *type;           /* a computed column's derived type */
  const sql_node *expr;     /* computed */
  const char *metadata_key; /* METADATA FROM 'key' (NULL: the column's name) */
  bool is_virtual;
  const char *comment;
  bool proctime; /* the column is PROCTIME(): a processing-time attribute */
  bool rowtime;  /* a watermark is declared on it: an event-time attribute */
} sql_column;

typedef struct sql_table {
  char *name; /* the object name, without catalog and database */
  bool temporary, is_view;
  sql_ast *ast;    /* the CREATE statement (owned) */
  sql_arena arena; /* resolved types, option copies */
  int ncols;
  sql_column *cols;
  int rowtime;               /* index of the column with a watermark, or -1 */
  const sql_node *watermark; /* the watermark's expression */
  int npk;
  int *pk; /* column indexes of the primary key */
  const char *pk_name;
  int noptions;
  const char **keys, **values; /* WITH options, in declaration order */
  const char *comment;
  struct sql_table *next;
} sql_table;

typedef struct sql_function {
  char *name;
  bool temporary, system;
  char *symbol;  /* AS '<symbol>' */
  char *library; /* USING JAR '<lib.so>', or NULL */
  int language;  /* SQL_LANG_* */
  sql_udf *udf;  /* the loaded library and descriptor (owned) */
  struct sql_function *next;
} sql_function;

typedef struct sql_catalog {
  sql_table *tables; /* tables and views, newest first */
  sql_function *functions;
} sql_catalog;

void sql_catalog_free(sql_catalog *c);

/* Resolves an identifier node (SQL_IDENT) to the object name in the current database; NULL with
 * Flink's message in err when it names another catalog or database or has too many parts. */
const char *sql_catalog_object_name(const sql_node *ident, char *err, size_t cap);

/* The table or view of that object name, or NULL. */
sql_table *sql_catalog_find(sql_catalog *c, const char *name);

/* CREATE TABLE / CREATE VIEW: takes ownership of ast (whose root is the statement) on success
 * and on failure alike. Returns 0, SPATE_EINVAL with Flink's message (an existing name without
 * IF NOT EXISTS, a duplicate column, a watermark on a column that does not exist, ...), or
 * SPATE_ENOMEM. *skipped is set when IF NOT EXISTS found the name taken. */
int sql_catalog_create(sql_catalog *c, sql_ast *ast, bool *skipped, char *err, size_t cap);

/* DROP TABLE / DROP VIEW of the statement node; ALTER TABLE of the statement node. */
int sql_catalog_drop(sql_catalog *c, const sql_node *stmt, char *err, size_t cap);
int sql_catalog_alter(sql_catalog *c, const sql_node *stmt, char *err, size_t cap);

/* CREATE FUNCTION (loading and checking the C function: sql_udf.h) / DROP FUNCTION. */
int sql_catalog_create_function(sql_catalog *c, const sql_node *stmt, char *err, size_t cap);
int sql_catalog_drop_function(sql_catalog *c, const sql_node *stmt, char *err, size_t cap);

/* The user function of that name (case-insensitive, as Flink's function names), or NULL. */
sql_function *sql_catalog_find_function(const sql_catalog *c, const char *name);

/* The identifier Flink prints for an object: `default_catalog`.`default_database`.`name`. */
int sql_catalog_full_name(const char *name, sp_strbuf *out);

#endif
