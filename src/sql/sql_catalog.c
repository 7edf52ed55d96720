/*
 * sql_catalog.c: the in-memory catalog (sql_catalog.h): creating, finding, altering and dropping
 * tables, views and functions, with the checks and messages of Flink's CatalogManager and schema
 * resolver.
 *
 * A computed column's type is the type of its expression as the validator (sql_validate.h)
 * derives it over the table's physical and metadata columns; the watermark's expression is
 * validated over all columns and must give a TIMESTAMP or TIMESTAMP_LTZ of precision 0 to 3.
 */
#include "sql/sql_catalog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"
#include "sql/sql_validate.h"

static void free_table(sql_table *t) {
  if (!t) return;
  sql_ast_free(t->ast);
  sql_arena_free(&t->arena);
  sp_free(t->name);
  sp_free(t);
}

static void free_function(sql_function *f) {
  sql_udf_free(f->udf);
  sp_free(f->name);
  sp_free(f->symbol);
  sp_free(f->library);
  sp_free(f);
}

void sql_catalog_free(sql_catalog *c) {
  for (sql_table *t = c->tables, *n; t; t = n) {
    n = t->next;
    free_table(t);
  }
  for (sql_function *f = c->functions, *n; f; f = n) {
    n = f->next;
    free_function(f);
  }
  c->tables = NULL;
  c->functions = NULL;
}

int sql_catalog_full_name(const char *name, sp_strbuf *out) {
  int rc = sp_strbuf_add(out, "`" SQL_DEFAULT_CATALOG "`.`" SQL_DEFAULT_DATABASE "`.`");
  if (!rc) rc = sp_strbuf_add(out, name);
  if (!rc) rc = sp_strbuf_add(out, "`");
  return rc;
}

const char *sql_catalog_object_name(const sql_node *ident, char *err, size_t cap) {
  if (!ident || ident->kind != SQL_IDENT || ident->u.ident.nparts < 1 || ident->u.ident.star) {
    sp_err(err, cap, SPATE_EINVAL, "not an object name");
    return NULL;
  }
  int n = ident->u.ident.nparts;
  const sql_name *p = ident->u.ident.parts;
  if (n > 3) {
    sp_err(err, cap, SPATE_EINVAL,
           "Object identifier can have at most 3 parts (catalog, database, object), got %d at "
           "line %d, column %d",
           n, ident->line, ident->col);
    return NULL;
  }
  if (n == 3 && strcmp(p[0].s, SQL_DEFAULT_CATALOG) != 0) {
    sp_err(err, cap, SPATE_EINVAL, "A catalog with name [%s] does not exist.", p[0].s);
    return NULL;
  }
  if (n >= 2 && strcmp(p[n - 2].s, SQL_DEFAULT_DATABASE) != 0) {
    sp_err(err, cap, SPATE_EINVAL, "Database %s does not exist in Catalog %s.", p[n - 2].s,
           SQL_DEFAULT_CATALOG);
    return NULL;
  }
  return p[n - 1].s;
}

sql_table *sql_catalog_find(sql_catalog *c, const char *name) {
  for (sql_table *t = c->tables; t; t = t->next)
    if (strcmp(t->name, name) == 0) return t;
  return NULL;
}

static int column_index(const sql_table *t, const char *name) {
  for (int i = 0; i < t->ncols; i++)
    if (strcmp(t->cols[i].name, name) == 0) return i;
  return -1;
}

/* The scope a table's expressions see: computed columns see the physical and metadata columns
 * only (Flink's schema resolver), the watermark sees every column. */
static int table_scope(sql_table *t, bool with_computed, sql_scope *scope) {
  sql_scope_column *cols = sql_arena_alloc(&t->arena, sizeof *cols * (size_t)(t->ncols + 1));
  if (!cols) return SPATE_ENOMEM;
  int n = 0;
  for (int i = 0; i < t->ncols; i++) {
    if (!t->cols[i].type || (!with_computed && t->cols[i].kind == SQL_COLUMN_COMPUTED)) continue;
    cols[n].name = t->cols[i].name;
    cols[n].type = t->cols[i].type;
    n++;
  }
  scope->cols = cols;
  scope->ncols = n;
  return 0;
}

/* Validates one of the table's expressions; Calcite's "At line l, column c: message" on error. */
static int validate_in_table(const sql_catalog *c, sql_table *t, const sql_node *e,
                             bool with_computed, sql_expr **out, char *err, size_t cap) {
  sql_scope scope;
  int rc = table_scope(t, with_computed, &scope);
  if (rc) return rc;
  sql_verror verr;
  rc = sql_validate_expr_in(e, &scope, c, &t->arena, out, &verr); /* user functions too */
  if (rc == SPATE_EINVAL)
    return sp_err(err, cap, rc, "At line %d, column %d: %s", verr.line, verr.col, verr.msg);
  return rc;
}

/* The type of computed column i: its expression's, as the validator derives it. */
static int derive_computed(const sql_catalog *c, sql_table *t, int i, char *err, size_t cap) {
  sql_column *col = &t->cols[i];
  sql_expr *e;
  int rc = validate_in_table(c, t, col->expr, false, &e, err, cap);
  if (rc) return rc;
  col->type = (sql_type *)e->type;
  col->proctime = e->proctime;
  return 0;
}

static int resolve_columns(const sql_catalog *cat, sql_table *t, const sql_node *stmt, char *err,
                           size_t cap) {
  const sql_list *cols = &stmt->u.create_table.columns;
  t->ncols = cols->n;
  t->cols = sql_arena_alloc(&t->arena, sizeof *t->cols * (size_t)(cols->n + 1));
  if (!t->cols) return SPATE_ENOMEM;
  for (int i = 0; i < cols->n; i++) {
    const sql_node *c = cols->v[i];
    sql_column *col = &t->cols[i];
    col->name = c->u.column.name.s;
    col->kind = c->u.column.kind;
    col->expr = c->u.column.expr;
    col->metadata_key = c->u.column.metadata_key;
    col->is_virtual = c->u.column.is_virtual;
    col->comment = c->u.column.comment;
    if (column_index(t, col->name) < i)
      return sp_err(err, cap, SPATE_EINVAL,
                    "Schema must not contain duplicate column names. Found duplicates: [%s]",
                    col->name);
    if (col->kind != SQL_COLUMN_COMPUTED) {
      int rc = sql_type_resolve(c->u.column.type, &t->arena, &col->type, err, cap);
      if (rc) return rc;
    }
  }
  for (int i = 0; i < cols->n; i++)
    if (t->cols[i].kind == SQL_COLUMN_COMPUTED) {
      int rc = derive_computed(cat, t, i, err, cap);
      if (rc) return rc;
    }
  return 0;
}

static int resolve_primary_key(sql_table *t, const sql_node *stmt, char *err, size_t cap) {
  const sql_node *pk = NULL;
  const sql_list *cols = &stmt->u.create_table.columns;
  for (int i = 0; i < cols->n; i++)
    if (cols->v[i]->u.column.pk) {
      if (pk) return sp_err(err, cap, SPATE_EINVAL, "Duplicate primary key definition");
      pk = cols->v[i]->u.column.pk;
    }
  const sql_list *cons = &stmt->u.create_table.constraints;
  for (int i = 0; i < cons->n; i++) {
    if (pk) return sp_err(err, cap, SPATE_EINVAL, "Duplicate primary key definition");
    pk = cons->v[i];
  }
  if (!pk) return 0;
  if (pk->u.pk.enforced)
    return sp_err(err, cap, SPATE_EINVAL,
                  "Flink doesn't support ENFORCED mode for PRIMARY KEY constraint. ENFORCED/NOT "
                  "ENFORCED controls if the constraint checks are performed on the "
                  "incoming/outgoing data. Flink does not own the data therefore the only "
                  "supported mode is the NOT ENFORCED mode");
  t->npk = pk->u.pk.columns.n;
  t->pk = sql_arena_alloc(&t->arena, sizeof *t->pk * (size_t)(t->npk + 1));
  if (!t->pk) return SPATE_ENOMEM;
  char generated[256] = "PK";
  for (int k = 0; k < t->npk; k++) {
    const char *name = pk->u.pk.columns.v[k].s;
    int i = column_index(t, name);
    if (i < 0)
      return sp_err(err, cap, SPATE_EINVAL,
                    "Could not create a PRIMARY KEY '%s'. Column '%s' does not exist.",
                    pk->u.pk.name.s ? pk->u.pk.name.s : "PK", name);
    if (t->cols[i].kind != SQL_COLUMN_PHYSICAL)
      return sp_err(err, cap, SPATE_EINVAL,
                    "Could not create a PRIMARY KEY with column '%s' at line %d, column %d. A "
                    "PRIMARY KEY constraint must be declared on physical columns.",
                    name, pk->line, pk->col);
    t->pk[k] = i;
    /* primary key columns are NOT NULL, as Flink makes them */
    t->cols[i].type = sql_type_with_nullable(t->cols[i].type, false, &t->arena);
    if (!t->cols[i].type) return SPATE_ENOMEM;
    size_t gl = strlen(generated);
    snprintf(generated + gl, sizeof generated - gl, "_%s", name);
  }
  /* Flink names an unnamed key "PK_" followed by a hash of its columns; the columns themselves
   * say more and are as stable */
  t->pk_name = pk->u.pk.name.s ? pk->u.pk.name.s
                               : sql_arena_strndup(&t->arena, generated, strlen(generated));
  return t->pk_name ? 0 : SPATE_ENOMEM;
}

static bool watermark_type_ok(const sql_type *ty) {
  return (ty->kind == SQL_T_TIMESTAMP || ty->kind == SQL_T_TIMESTAMP_LTZ) && ty->precision <= 3;
}

/* The table's column names for a message: "a, b" or, quoted, "'a', 'b'". */
static void list_columns(const sql_table *t, bool quoted, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (int i = 0; i < t->ncols && n < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, quoted ? "%s'%s'" : "%s%s", i ? ", " : "",
                          t->cols[i].name);
}

/* Flink's refusal of a watermark's time field or expression (what: "time field" or
 * "expression"; whose: the noun its type is named by at the end). */
static int watermark_type_error(const sql_type *ty, const char *what, const char *whose, char *err,
                                size_t cap) {
  sp_strbuf s = {0};
  sql_type_format(ty, &s);
  int rc = sp_err(err, cap, SPATE_EINVAL,
                  "Invalid data type of %s for watermark definition. The field must be of type "
                  "TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, "
                  "but the %s type is %s",
                  what, whose, s.data ? s.data : "?");
  sp_free(s.data);
  return rc;
}

static int resolve_watermark(const sql_catalog *c, sql_table *t, const sql_node *stmt, char *err,
                             size_t cap) {
  t->rowtime = -1;
  const sql_list *wms = &stmt->u.create_table.watermarks;
  if (wms->n == 0) return 0;
  if (wms->n > 1)
    return sp_err(err, cap, SPATE_EINVAL, "Multiple watermark definitions are not supported yet.");
  const sql_node *wm = wms->v[0];
  const sql_node *col = wm->u.watermark.column;
  if (col->u.ident.nparts != 1)
    return sp_err(err, cap, SPATE_EINVAL,
                  "Watermark on a nested field is not supported (line %d, column %d)", col->line,
                  col->col);
  int i = column_index(t, col->u.ident.parts[0].s);
  if (i < 0) {
    char avail[1024];
    list_columns(t, false, avail, sizeof avail);
    return sp_err(err, cap, SPATE_EINVAL,
                  "Invalid column name '%s' for rowtime attribute in watermark declaration. "
                  "Available columns are: [%s]",
                  col->u.ident.parts[0].s, avail);
  }
  if (!watermark_type_ok(t->cols[i].type))
    return watermark_type_error(t->cols[i].type, "time field", "time field", err, cap);
  sql_expr *e;
  int rc = validate_in_table(c, t, wm->u.watermark.expr, true, &e, err, cap);
  if (rc) return rc;
  if (!watermark_type_ok(e->type))
    return watermark_type_error(e->type, "expression", "watermark expression", err, cap);
  t->rowtime = i;
  t->cols[i].rowtime = true;
  t->watermark = wm->u.watermark.expr;
  return 0;
}

static int check_partition_keys(const sql_table *t, const sql_name_list *keys, char *err,
                                size_t cap) {
  for (int k = 0; k < keys->n; k++) {
    if (column_index(t, keys->v[k].s) >= 0) continue;
    char avail[1024];
    list_columns(t, true, avail, sizeof avail);
    return sp_err(err, cap, SPATE_EINVAL,
                  "Partition column '%s' not defined in the table schema. Available columns: [%s]",
                  keys->v[k].s, avail);
  }
  return 0;
}

static int copy_options(sql_table *t, const sql_list *opts) {
  t->noptions = opts->n;
  t->keys = sql_arena_alloc(&t->arena, sizeof *t->keys * (size_t)(opts->n + 1));
  t->values = sql_arena_alloc(&t->arena, sizeof *t->values * (size_t)(opts->n + 1));
  if (!t->keys || !t->values) return SPATE_ENOMEM;
  for (int i = 0; i < opts->n; i++) {
    t->keys[i] = opts->v[i]->u.option.key;
    t->values[i] = opts->v[i]->u.option.value;
  }
  return 0;
}

static int exists_error(const char *name, bool temporary, char *err, size_t cap) {
  if (temporary)
    return sp_err(err, cap, SPATE_EINVAL,
                  "Temporary table with identifier '`%s`.`%s`.`%s`' already exists",
                  SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE, name);
  return sp_err(err, cap, SPATE_EINVAL, "Table (or view) %s.%s already exists in Catalog %s.",
                SQL_DEFAULT_DATABASE, name, SQL_DEFAULT_CATALOG);
}

int sql_catalog_create(sql_catalog *c, sql_ast *ast, bool *skipped, char *err, size_t cap) {
  *skipped = false;
  const sql_node *stmt = ast->root;
  bool view = stmt->kind == SQL_CREATE_VIEW;
  const sql_node *name_node = view ? stmt->u.create_view.name : stmt->u.create_table.name;
  int if_not_exists = view ? stmt->u.create_view.if_not_exists : stmt->u.create_table.if_not_exists;
  int temporary = view ? stmt->u.create_view.temporary : stmt->u.create_table.temporary;
  const char *name = sql_catalog_object_name(name_node, err, cap);
  int rc = SPATE_EINVAL;
  if (!name) goto fail;
  if (sql_catalog_find(c, name)) {
    if (if_not_exists) {
      *skipped = true;
      sql_ast_free(ast);
      return 0;
    }
    rc = exists_error(name, temporary, err, cap);
    goto fail;
  }
  if (!view && stmt->u.create_table.query) {
    rc = sp_err(err, cap, SPATE_EINVAL,
                "CREATE TABLE ... AS SELECT is not supported yet (line %d, column %d)", stmt->line,
                stmt->col);
    goto fail;
  }
  sql_table *t = sp_calloc(1, sizeof *t);
  if (!t || !(t->name = sp_strdup(name))) {
    sp_free(t);
    rc = SPATE_ENOMEM;
    goto fail;
  }
  t->ast = ast;
  t->is_view = view;
  t->temporary = temporary != 0;
  t->rowtime = -1;
  if (!view) {
    t->comment = stmt->u.create_table.comment;
    rc = resolve_columns(c, t, stmt, err, cap);
    if (!rc) rc = resolve_primary_key(t, stmt, err, cap);
    if (!rc) rc = resolve_watermark(c, t, stmt, err, cap);
    if (!rc) rc = check_partition_keys(t, &stmt->u.create_table.partitioned_by, err, cap);
    if (!rc) rc = copy_options(t, &stmt->u.create_table.options);
    if (rc) {
      free_table(t); /* frees ast too */
      return rc;
    }
  } else {
    t->comment = stmt->u.create_view.comment;
  }
  t->next = c->tables;
  c->tables = t;
  return 0;
fail:
  sql_ast_free(ast);
  return rc;
}

int sql_catalog_drop(sql_catalog *c, const sql_node *stmt, char *err, size_t cap) {
  const char *name = sql_catalog_object_name(stmt->u.drop.name, err, cap);
  if (!name) return SPATE_EINVAL;
  bool view = stmt->u.drop.object == SQL_OBJ_VIEW;
  for (sql_table **p = &c->tables; *p; p = &(*p)->next)
    if (strcmp((*p)->name, name) == 0 && (*p)->is_view == view) {
      sql_table *t = *p;
      *p = t->next;
      free_table(t);
      return 0;
    }
  if (stmt->u.drop.if_exists) return 0;
  if (stmt->u.drop.temporary)
    return sp_err(err, cap, SPATE_EINVAL,
                  "Temporary %s with identifier '`%s`.`%s`.`%s`' does not exist.",
                  view ? "view" : "table", SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE, name);
  return sp_err(err, cap, SPATE_EINVAL, "%s with identifier '%s.%s.%s' does not exist.",
                view ? "View" : "Table", SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE, name);
}

static int set_option(sql_table *t, const char *key, const char *value) {
  for (int i = 0; i < t->noptions; i++)
    if (strcmp(t->keys[i], key) == 0) {
      t->values[i] = value;
      return 0;
    }
  const char **k = sql_arena_alloc(&t->arena, sizeof *k * (size_t)(t->noptions + 2));
  const char **v = sql_arena_alloc(&t->arena, sizeof *v * (size_t)(t->noptions + 2));
  if (!k || !v) return SPATE_ENOMEM;
  memcpy(k, t->keys, sizeof *k * (size_t)t->noptions);
  memcpy(v, t->values, sizeof *v * (size_t)t->noptions);
  k[t->noptions] = key;
  v[t->noptions] = value;
  t->keys = k;
  t->values = v;
  t->noptions++;
  return 0;
}

static void reset_option(sql_table *t, const char *key) {
  for (int i = 0; i < t->noptions; i++)
    if (strcmp(t->keys[i], key) == 0) {
      memmove(&t->keys[i], &t->keys[i + 1], sizeof *t->keys * (size_t)(t->noptions - i - 1));
      memmove(&t->values[i], &t->values[i + 1], sizeof *t->values * (size_t)(t->noptions - i - 1));
      t->noptions--;
      return;
    }
}

int sql_catalog_alter(sql_catalog *c, const sql_node *stmt, char *err, size_t cap) {
  const char *name = sql_catalog_object_name(stmt->u.alter_table.name, err, cap);
  if (!name) return SPATE_EINVAL;
  sql_table *t = sql_catalog_find(c, name);
  if (!t || t->is_view) {
    if (stmt->u.alter_table.if_exists) return 0;
    return sp_err(err, cap, SPATE_EINVAL,
                  "Table `%s`.`%s`.`%s` doesn't exist or is a temporary table.",
                  SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE, name);
  }
  const sql_list *opts = &stmt->u.alter_table.options;
  switch (stmt->u.alter_table.action) {
  case SQL_ALTER_SET:
    for (int i = 0; i < opts->n; i++) {
      const char *k =
          sql_arena_strndup(&t->arena, opts->v[i]->u.option.key, strlen(opts->v[i]->u.option.key));
      const char *v = sql_arena_strndup(&t->arena, opts->v[i]->u.option.value,
                                        strlen(opts->v[i]->u.option.value));
      if (!k || !v || set_option(t, k, v)) return SPATE_ENOMEM;
    }
    return 0;
  case SQL_ALTER_RESET:
    for (int i = 0; i < opts->n; i++) {
      if (strcmp(opts->v[i]->u.option.key, "connector") == 0)
        return sp_err(err, cap, SPATE_EINVAL,
                      "ALTER TABLE RESET does not support changing 'connector'");
      reset_option(t, opts->v[i]->u.option.key);
    }
    return 0;
  case SQL_ALTER_RENAME: {
    const char *to = sql_catalog_object_name(stmt->u.alter_table.new_name, err, cap);
    if (!to) return SPATE_EINVAL;
    if (sql_catalog_find(c, to)) return exists_error(to, false, err, cap);
    char *copy = sp_strdup(to);
    if (!copy) return SPATE_ENOMEM;
    sp_free(t->name);
    t->name = copy;
    return 0;
  }
  default: return sp_err(err, cap, SPATE_EINVAL, "ALTER TABLE: unknown action");
  }
}

sql_function *sql_catalog_find_function(const sql_catalog *c, const char *name) {
  for (sql_function *f = c->functions; f; f = f->next)
    if (strcasecmp(f->name, name) == 0) return f;
  return NULL;
}

int sql_catalog_create_function(sql_catalog *c, const sql_node *stmt, char *err, size_t cap) {
  const typeof(stmt->u.create_function) *d = &stmt->u.create_function;
  const char *name = sql_catalog_object_name(d->name, err, cap);
  if (!name) return SPATE_EINVAL;
  if (sql_catalog_find_function(c, name)) {
    if (d->if_not_exists) return 0;
    return sp_err(err, cap, SPATE_EINVAL, "Function %s.%s already exists in Catalog %s.",
                  SQL_DEFAULT_DATABASE, name, SQL_DEFAULT_CATALOG);
  }
  if (d->language != SQL_LANG_C && d->language != SQL_LANG_NONE)
    return sp_err(err, cap, SPATE_EINVAL,
                  "Function %s: Spate runs functions written in C (LANGUAGE C, USING JAR "
                  "'<library.so>'), not LANGUAGE %s",
                  name,
                  d->language == SQL_LANG_JAVA    ? "JAVA"
                  : d->language == SQL_LANG_SCALA ? "SCALA"
                                                  : "PYTHON");
  sql_function *f = sp_calloc(1, sizeof *f);
  if (!f) return SPATE_ENOMEM;
  f->name = sp_strdup(name);
  f->symbol = sp_strdup(d->class_name);
  f->library = d->njars > 0 ? sp_strdup(d->jars[0]) : NULL;
  f->temporary = d->temporary != 0;
  f->system = d->system != 0;
  f->language = SQL_LANG_C;
  if (!f->name || !f->symbol || (d->njars > 0 && !f->library)) {
    free_function(f);
    return SPATE_ENOMEM;
  }
  int rc = sql_udf_load(f->name, f->library, f->symbol, &f->udf, err, cap);
  if (rc) {
    free_function(f);
    return rc;
  }
  f->next = c->functions;
  c->functions = f;
  return 0;
}

int sql_catalog_drop_function(sql_catalog *c, const sql_node *stmt, char *err, size_t cap) {
  const char *name = sql_catalog_object_name(stmt->u.drop.name, err, cap);
  if (!name) return SPATE_EINVAL;
  for (sql_function **p = &c->functions; *p; p = &(*p)->next)
    if (strcasecmp((*p)->name, name) == 0) {
      sql_function *f = *p;
      *p = f->next;
      free_function(f);
      return 0;
    }
  if (stmt->u.drop.if_exists) return 0;
  return sp_err(err, cap, SPATE_EINVAL, "Function %s.%s.%s does not exist.", SQL_DEFAULT_CATALOG,
                SQL_DEFAULT_DATABASE, name);
}
