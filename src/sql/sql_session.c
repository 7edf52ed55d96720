/*
 * sql_session.c: one SQL session (sql_session.h): its configuration, its catalog, and the
 * execution of each statement kind.
 *
 * The configuration is the client's, plus the session's SETs in order. The SETs are kept as
 * text, and the effective configuration is rebuilt from the client's and them whenever one
 * changes, so RESET 'key' brings back exactly what the key was before the session touched it. A
 * key Spate does not know is kept (SET; lists it) with a warning that it has no effect, where
 * Flink would keep it silently: a misspelt key then does not go unnoticed.
 *
 * Statements that need the planner (queries, INSERT, EXPLAIN, statement sets) are refused with a
 * TableException saying so, until the planner exists.
 */
#include "sql/sql_session.h"
#include "sql/sql_execute.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"
#include "sql/sql_catalog.h"
#include "sql/sql_parser.h"

typedef struct sql_prop {
  char *key, *value;
  bool known; /* a configuration key of Spate's table */
} sql_prop;

struct sql_session {
  sp_config *base;   /* the client's configuration */
  sp_config *config; /* base + the known props */
  sql_prop *props;   /* the session's SETs, in order, one per key */
  int nprops, cap;
  sql_catalog catalog;
  sql_jobs *jobs; /* the INSERT jobs it submitted */
  bool dry_run;   /* queries and INSERTs are planned and built, not run */
  bool has_listener;
  sql_stream_listener listener;
  volatile sig_atomic_t cancel; /* set by sql_session_cancel, cleared by each statement */
};

void sql_session_set_dry_run(sql_session *s, bool on) { s->dry_run = on; }

void sql_session_set_stream_listener(sql_session *s, const sql_stream_listener *l) {
  s->has_listener = l != NULL;
  if (l) s->listener = *l;
}

void sql_session_cancel(sql_session *s) { s->cancel = 1; }

/* The listener a query streams to: in table mode only one that applies the changes itself (the
 * client's live view); else the client applies them to the rows returned at the end. */
static const sql_stream_listener *stream_listener(sql_session *s) {
  const char *mode = sp_config_str(s->config, "sql-client.execution.result-mode");
  if (!s->has_listener) return NULL;
  if (mode && strcasecmp(mode, "table") == 0 && !s->listener.table_mode) return NULL;
  return &s->listener;
}

/* ---- results ---------------------------------------------------------------------------- */

void sql_result_free(sql_result *r) {
  if (!r) return;
  for (int64_t i = 0; r->rows && i < r->nrows; i++) { /* a streamed result counts, holds none */
    for (int c = 0; c < r->ncols; c++) sp_free(r->rows[i][c]);
    sp_free(r->rows[i]);
  }
  for (int c = 0; c < r->ncols; c++) sp_free(r->names[c]);
  sp_free(r->rows);
  sp_free(r->names);
  sp_free(r->message);
  sp_free(r->warning);
  memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s, bool *oom) {
  if (!s) return NULL;
  char *d = sp_strdup(s);
  if (!d) *oom = true;
  return d;
}

int sql_result_set_columns(sql_result *r, const char *const *names, int ncols) {
  r->kind = SQL_RESULT_TABLE;
  r->names = sp_calloc((size_t)(ncols ? ncols : 1), sizeof *r->names);
  if (!r->names) return SPATE_ENOMEM;
  r->ncols = ncols;
  bool oom = false;
  for (int c = 0; c < ncols; c++) r->names[c] = dup_or_null(names[c], &oom);
  return oom ? SPATE_ENOMEM : 0;
}

int sql_result_add_row(sql_result *r, const char *const *cells) {
  if (r->nrows == r->cap) {
    int64_t cap = r->cap ? r->cap * 2 : 16;
    char ***rows = sp_realloc(r->rows, sizeof *rows * (size_t)cap);
    if (!rows) return SPATE_ENOMEM;
    r->rows = rows;
    r->cap = cap;
  }
  char **row = sp_calloc((size_t)(r->ncols ? r->ncols : 1), sizeof *row);
  if (!row) return SPATE_ENOMEM;
  r->rows[r->nrows++] = row;
  bool oom = false;
  for (int c = 0; c < r->ncols; c++) row[c] = dup_or_null(cells[c], &oom);
  return oom ? SPATE_ENOMEM : 0;
}

static int set_message(sql_result *r, sql_result_kind kind, const char *msg) {
  r->kind = kind;
  r->message = sp_strdup(msg);
  return r->message ? 0 : SPATE_ENOMEM;
}

const char *sql_error_kind_name(sql_error_kind k) {
  switch (k) {
  case SQL_ERR_PARSE: return "SqlParserException";
  case SQL_ERR_VALIDATION: return "ValidationException";
  case SQL_ERR_TABLE: return "TableException";
  default: return "SqlExecutionException";
  }
}

/* ---- the session and its configuration ------------------------------------------------- */

int sql_session_new(const sp_config *base, sql_session **out) {
  *out = NULL;
  sql_session *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  s->base = sp_config_clone(base);
  s->config = sp_config_clone(base);
  if (!s->base || !s->config) {
    sql_session_free(s);
    return SPATE_ENOMEM;
  }
  *out = s;
  return 0;
}

void sql_session_free(sql_session *s) {
  if (!s) return;
  sql_catalog_free(&s->catalog);
  for (int i = 0; i < s->nprops; i++) {
    sp_free(s->props[i].key);
    sp_free(s->props[i].value);
  }
  sp_free(s->props);
  sql_jobs_wait(s->jobs); /* an embedded MiniCluster's jobs end with the session */
  sql_jobs_free(s->jobs);
  sp_config_free(s->base);
  sp_config_free(s->config);
  sp_free(s);
}

const sp_config *sql_session_config(const sql_session *s) { return s->config; }

/* Rebuilds the effective configuration from base and the known props. Every prop applied
 * before, so none fails now; a failure would only be out of memory. */
static int rebuild_config(sql_session *s) {
  sp_config *c = sp_config_clone(s->base);
  if (!c) return SPATE_ENOMEM;
  char err[SP_ERRMSG_MAX];
  for (int i = 0; i < s->nprops; i++)
    if (s->props[i].known &&
        sp_config_set(c, s->props[i].key, s->props[i].value, "SET", err, sizeof err) < 0) {
      sp_config_free(c);
      return SPATE_ENOMEM;
    }
  sp_config_free(s->config);
  s->config = c;
  return 0;
}

static int find_prop(const sql_session *s, const char *key) {
  for (int i = 0; i < s->nprops; i++)
    if (strcmp(s->props[i].key, key) == 0) return i;
  return -1;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct kv {
  const char *key, *value;
} kv;

typedef struct listing {
  kv *v;
  int n, cap;
  bool oom;
} listing;

static void add_listed(void *arg, const char *key, const char *value) {
  listing *l = arg;
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 32;
    kv *v = sp_realloc(l->v, sizeof *v * (size_t)cap);
    if (!v) {
      l->oom = true;
      return;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = (kv){key, value};
}

static int cmp_kv(const void *a, const void *b) {
  return strcmp(((const kv *)a)->key, ((const kv *)b)->key);
}

/* SET; : every key set in the session's configuration (the client's and the session's), and
 * the unknown keys the session was given, sorted by key. */
static int list_config(sql_session *s, sql_result *r) {
  listing l = {0};
  sp_config_each(s->config, add_listed, &l);
  for (int i = 0; i < s->nprops; i++)
    if (!s->props[i].known) add_listed(&l, s->props[i].key, s->props[i].value);
  int rc = l.oom ? SPATE_ENOMEM : 0;
  if (!rc && l.n) qsort(l.v, (size_t)l.n, sizeof *l.v, cmp_kv);
  static const char *const names[] = {"key", "value"};
  if (!rc) rc = sql_result_set_columns(r, names, 2);
  for (int i = 0; !rc && i < l.n; i++) {
    const char *cells[] = {l.v[i].key, l.v[i].value};
    rc = sql_result_add_row(r, cells);
  }
  sp_free(l.v);
  return rc;
}

static int exec_set(sql_session *s, const sql_node *n, sql_result *r, sql_error_kind *kind,
                    sp_strbuf *err) {
  const char *key = n->u.set.key, *value = n->u.set.value;
  if (!key) return list_config(s, r);
  char msg[SP_ERRMSG_MAX];
  sp_config *probe = sp_config_clone(s->config);
  if (!probe) return SPATE_ENOMEM;
  int rc = sp_config_set(probe, key, value, "SET", msg, sizeof msg);
  sp_config_free(probe);
  bool known = rc == 0;
  if (rc < 0 && strstr(msg, "unknown configuration key") == NULL) {
    *kind = SQL_ERR_VALIDATION;
    sp_strbuf_add(err, msg);
    return SPATE_EINVAL;
  }
  int i = find_prop(s, key);
  if (i < 0) {
    if (s->nprops == s->cap) {
      int cap = s->cap ? s->cap * 2 : 8;
      sql_prop *p = sp_realloc(s->props, sizeof *p * (size_t)cap);
      if (!p) return SPATE_ENOMEM;
      s->props = p;
      s->cap = cap;
    }
    i = s->nprops;
    s->props[i] = (sql_prop){.key = sp_strdup(key)};
    if (!s->props[i].key) return SPATE_ENOMEM;
    s->nprops++;
  }
  char *v = sp_strdup(value);
  if (!v) return SPATE_ENOMEM;
  sp_free(s->props[i].value);
  s->props[i].value = v;
  s->props[i].known = known;
  rc = rebuild_config(s);
  if (rc) return rc;
  if (!known) {
    char w[SP_ERRMSG_MAX];
    snprintf(w, sizeof w,
             "'%s' is not a configuration key Spate knows: it is kept in the session but has no "
             "effect",
             key);
    r->warning = sp_strdup(w);
    if (!r->warning) return SPATE_ENOMEM;
  }
  return set_message(r, SQL_RESULT_INFO, "Execute statement succeeded.");
}

static int exec_reset(sql_session *s, const sql_node *n, sql_result *r) {
  const char *key = n->u.set.key;
  if (!key) {
    for (int i = 0; i < s->nprops; i++) {
      sp_free(s->props[i].key);
      sp_free(s->props[i].value);
    }
    s->nprops = 0;
  } else {
    int i = find_prop(s, key);
    if (i >= 0) {
      sp_free(s->props[i].key);
      sp_free(s->props[i].value);
      memmove(&s->props[i], &s->props[i + 1], sizeof *s->props * (size_t)(s->nprops - i - 1));
      s->nprops--;
    }
  }
  int rc = rebuild_config(s);
  return rc ? rc : set_message(r, SQL_RESULT_INFO, "Execute statement succeeded.");
}

/* ---- SHOW and DESCRIBE --------------------------------------------------------------------- */

/* SQL LIKE: '%' any run, '_' one character (a UTF-8 sequence), '\' escapes the next. */
static bool like(const char *s, const char *p) {
  for (; *p; p++) {
    if (*p == '%') {
      while (p[1] == '%') p++;
      if (!p[1]) return true;
      for (const char *t = s; *t; t++)
        if (like(t, p + 1)) return true;
      return like("", p + 1);
    }
    if (!*s) return false;
    if (*p == '_') {
      s++;
      while ((*s & 0xC0) == 0x80) s++;
      continue;
    }
    if (*p == '\\' && p[1]) p++;
    if (*p != *s) return false;
    s++;
  }
  return !*s;
}

static int show_names(sql_result *r, const char *column, const char **names, int n,
                      const sql_node *stmt) {
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  int rc = sql_result_set_columns(r, &column, 1);
  for (int i = 0; !rc && i < n; i++) {
    if (stmt && stmt->u.show.like && like(names[i], stmt->u.show.like) == !!stmt->u.show.not_like)
      continue;
    rc = sql_result_add_row(r, &names[i]);
  }
  return rc;
}

static int exec_show(sql_session *s, const sql_node *n, sql_result *r, sql_error_kind *kind,
                     sp_strbuf *err);

static int describe(sql_session *s, const sql_node *n, sql_result *r, sql_error_kind *kind,
                    sp_strbuf *err);

static int show_create(sql_session *s, const sql_node *n, sql_result *r, sql_error_kind *kind,
                       sp_strbuf *err);

/* ---- dispatch ------------------------------------------------------------------------------ */

static int not_yet(const sql_node *n, const char *what, sql_error_kind *kind, sp_strbuf *err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s (line %d, column %d) is not supported by Spate's SQL client yet",
           what, n->line, n->col);
  *kind = SQL_ERR_TABLE;
  sp_strbuf_add(err, msg);
  return SPATE_EINVAL;
}

static int catalog_error(int rc, const char *msg, sql_error_kind *kind, sp_strbuf *err) {
  if (rc == SPATE_ENOMEM) return rc;
  *kind = SQL_ERR_VALIDATION;
  sp_strbuf_add(err, msg);
  return rc;
}

int sql_session_execute(sql_session *s, const char *text, size_t len, int line, int col,
                        sql_result *r, sql_error_kind *kind, sp_strbuf *err) {
  memset(r, 0, sizeof *r);
  s->cancel = 0; /* a Ctrl-C before the statement is not for it */
  *kind = SQL_ERR_PARSE;
  char msg[4096];
  sql_ast *ast = NULL;
  int rc = sql_parse_statement(text, len, (sql_pos){line, col}, &ast, msg, sizeof msg);
  if (rc) {
    if (rc != SPATE_ENOMEM) sp_strbuf_add(err, msg);
    return rc;
  }
  const sql_node *n = ast->root;
  bool keep_ast = false; /* the catalog took it */
  switch (n->kind) {
  case SQL_SET: rc = exec_set(s, n, r, kind, err); break;
  case SQL_RESET: rc = exec_reset(s, n, r); break;
  case SQL_CLIENT:
    r->kind = n->u.client.cmd == SQL_CLIENT_HELP    ? SQL_RESULT_HELP
              : n->u.client.cmd == SQL_CLIENT_CLEAR ? SQL_RESULT_CLEAR
                                                    : SQL_RESULT_QUIT;
    break;
  case SQL_CREATE_TABLE:
  case SQL_CREATE_VIEW: {
    bool skipped;
    keep_ast = true;
    rc = sql_catalog_create(&s->catalog, ast, &skipped, msg, sizeof msg);
    rc = rc ? catalog_error(rc, msg, kind, err)
            : set_message(r, SQL_RESULT_INFO, "Execute statement succeeded.");
    break;
  }
  case SQL_DROP:
    if (n->u.drop.object == SQL_OBJ_TABLE || n->u.drop.object == SQL_OBJ_VIEW)
      rc = sql_catalog_drop(&s->catalog, n, msg, sizeof msg);
    else if (n->u.drop.object == SQL_OBJ_FUNCTION)
      rc = sql_catalog_drop_function(&s->catalog, n, msg, sizeof msg);
    else
      rc = sp_err(msg, sizeof msg, SPATE_EINVAL,
                  "Spate's catalog has the one catalog and database %s.%s, which cannot be "
                  "dropped",
                  SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE);
    rc = rc ? catalog_error(rc, msg, kind, err)
            : set_message(r, SQL_RESULT_INFO, "Execute statement succeeded.");
    break;
  case SQL_ALTER_TABLE:
    rc = sql_catalog_alter(&s->catalog, n, msg, sizeof msg);
    rc = rc ? catalog_error(rc, msg, kind, err)
            : set_message(r, SQL_RESULT_INFO, "Execute statement succeeded.");
    break;
  case SQL_CREATE_FUNCTION:
    rc = sql_catalog_create_function(&s->catalog, n, msg, sizeof msg);
    rc = rc ? catalog_error(rc, msg, kind, err)
            : set_message(r, SQL_RESULT_INFO, "Execute statement succeeded.");
    break;
  case SQL_USE: {
    const sql_node *id = n->u.use.name;
    const char *want = n->u.use.catalog ? SQL_DEFAULT_CATALOG : SQL_DEFAULT_DATABASE;
    const char *got = id->u.ident.parts[id->u.ident.nparts - 1].s;
    if (strcmp(got, want) != 0) {
      snprintf(msg, sizeof msg,
               n->u.use.catalog ? "A catalog with name [%s] does not exist."
                                : "A database with name [%s] does not exist in the catalog: [%s].",
               got, SQL_DEFAULT_CATALOG);
      rc = catalog_error(SPATE_EINVAL, msg, kind, err);
    } else {
      rc = set_message(r, SQL_RESULT_INFO, "Execute statement succeeded.");
    }
    break;
  }
  case SQL_SHOW: rc = exec_show(s, n, r, kind, err); break;
  case SQL_DESCRIBE: rc = describe(s, n, r, kind, err); break;
  case SQL_INSERT:
    rc = sql_execute_insert(&s->catalog, s->config, n, s->dry_run, &s->cancel, &s->jobs, r, kind,
                            err);
    break;
  case SQL_EXECUTE:
    if (n->u.execute.stmt->kind == SQL_INSERT)
      rc = sql_execute_insert(&s->catalog, s->config, n->u.execute.stmt, s->dry_run, &s->cancel,
                              &s->jobs, r, kind, err);
    else if (n->u.execute.stmt->kind == SQL_STATEMENT_SET)
      rc = not_yet(n, "A statement set", kind, err);
    else
      rc = sql_execute_select(&s->catalog, s->config, n->u.execute.stmt, s->dry_run,
                              stream_listener(s), &s->cancel, r, kind, err);
    break;
  case SQL_STATEMENT_SET:
  case SQL_BEGIN_STATEMENT_SET:
  case SQL_END: rc = not_yet(n, "A statement set", kind, err); break;
  case SQL_EXPLAIN: rc = sql_execute_explain(&s->catalog, s->config, n, r, kind, err); break;
  case SQL_SELECT:
  case SQL_SETOP:
  case SQL_VALUES:
  case SQL_WITH:
  case SQL_ORDERED:
    rc = sql_execute_select(&s->catalog, s->config, n, s->dry_run, stream_listener(s), &s->cancel,
                            r, kind, err);
    break;
  default: rc = not_yet(n, "This statement", kind, err); break;
  }
  if (!keep_ast) sql_ast_free(ast);
  if (rc) sql_result_free(r);
  return rc;
}

static int exec_show(sql_session *s, const sql_node *n, sql_result *r, sql_error_kind *kind,
                     sp_strbuf *err) {
  int count = 0;
  for (sql_table *t = s->catalog.tables; t; t = t->next) count++;
  for (sql_function *f = s->catalog.functions; f; f = f->next) count++;
  const char **names = sp_calloc((size_t)count + 1, sizeof *names);
  if (!names) return SPATE_ENOMEM;
  int k = 0, rc = 0;
  const char *one;
  switch (n->u.show.what) {
  case SQL_SHOW_TABLES:
  case SQL_SHOW_VIEWS: {
    bool views = n->u.show.what == SQL_SHOW_VIEWS;
    for (sql_table *t = s->catalog.tables; t; t = t->next)
      if (!views || t->is_view) names[k++] = t->name;
    rc = show_names(r, views ? "view name" : "table name", names, k, n);
    break;
  }
  case SQL_SHOW_FUNCTIONS:
  case SQL_SHOW_USER_FUNCTIONS:
    for (sql_function *f = s->catalog.functions; f; f = f->next) names[k++] = f->name;
    rc = show_names(r, "function name", names, k, n);
    break;
  case SQL_SHOW_CATALOGS:
    one = SQL_DEFAULT_CATALOG;
    rc = show_names(r, "catalog name", &one, 1, n);
    break;
  case SQL_SHOW_DATABASES:
    one = SQL_DEFAULT_DATABASE;
    rc = show_names(r, "database name", &one, 1, n);
    break;
  case SQL_SHOW_CURRENT_CATALOG:
    one = SQL_DEFAULT_CATALOG;
    rc = show_names(r, "current catalog name", &one, 1, NULL);
    break;
  case SQL_SHOW_CURRENT_DATABASE:
    one = SQL_DEFAULT_DATABASE;
    rc = show_names(r, "current database name", &one, 1, NULL);
    break;
  case SQL_SHOW_CREATE_TABLE:
  case SQL_SHOW_CREATE_VIEW: rc = show_create(s, n, r, kind, err); break;
  case SQL_SHOW_COLUMNS: rc = describe(s, n, r, kind, err); break;
  default: rc = not_yet(n, "This SHOW statement", kind, err); break;
  }
  sp_free(names);
  return rc;
}

static sql_table *lookup(sql_session *s, const sql_node *name, bool view, sql_error_kind *kind,
                         sp_strbuf *err) {
  char msg[SP_ERRMSG_MAX];
  const char *obj = sql_catalog_object_name(name, msg, sizeof msg);
  sql_table *t = obj ? sql_catalog_find(&s->catalog, obj) : NULL;
  if (t && (!view || t->is_view)) return t;
  if (obj)
    snprintf(msg, sizeof msg, "%s with identifier '%s.%s.%s' doesn't exist",
             view ? "View" : "Tables or views", SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE, obj);
  *kind = SQL_ERR_VALIDATION;
  sp_strbuf_add(err, msg);
  return NULL;
}

/* DESCRIBE t: one row per column, Flink's columns name, type, null, key, extras, watermark. */
static int describe(sql_session *s, const sql_node *n, sql_result *r, sql_error_kind *kind,
                    sp_strbuf *err) {
  const sql_node *name = n->kind == SQL_DESCRIBE ? n->u.describe.name : n->u.show.name;
  sql_table *t = lookup(s, name, false, kind, err);
  if (!t) return SPATE_EINVAL;
  if (t->is_view) {
    *kind = SQL_ERR_TABLE;
    sp_strbuf_add(err, "DESCRIBE of a view needs the SQL planner, which Spate does not have yet");
    return SPATE_EINVAL;
  }
  static const char *const names[] = {"name", "type", "null", "key", "extras", "watermark"};
  int rc = sql_result_set_columns(r, names, 6);
  sp_strbuf type = {0}, key = {0}, extras = {0}, wm = {0};
  if (!rc && t->npk) {
    rc = sp_strbuf_add(&key, "PRI(");
    for (int k = 0; !rc && k < t->npk; k++) {
      if (k) rc = sp_strbuf_add(&key, ", ");
      if (!rc) rc = sp_strbuf_add(&key, t->cols[t->pk[k]].name);
    }
    if (!rc) rc = sp_strbuf_add(&key, ")");
  }
  for (int i = 0; !rc && i < t->ncols; i++) {
    const sql_column *c = &t->cols[i];
    type.len = extras.len = wm.len = 0;
    rc = sql_type_format_bare(c->type, &type);
    if (!rc && c->rowtime) rc = sp_strbuf_add(&type, " *ROWTIME*");
    if (!rc && c->proctime) rc = sp_strbuf_add(&type, " *PROCTIME*");
    if (!rc && c->kind == SQL_COLUMN_COMPUTED) {
      rc = sp_strbuf_add(&extras, "AS ");
      if (!rc) rc = sql_unparse(c->expr, &extras);
    } else if (!rc && c->kind == SQL_COLUMN_METADATA) {
      rc = sp_strbuf_add(&extras, "METADATA");
      if (!rc && c->metadata_key) {
        rc = sp_strbuf_add(&extras, " FROM '");
        if (!rc) rc = sp_strbuf_add(&extras, c->metadata_key);
        if (!rc) rc = sp_strbuf_add(&extras, "'");
      }
      if (!rc && c->is_virtual) rc = sp_strbuf_add(&extras, " VIRTUAL");
    }
    if (!rc && c->rowtime) rc = sql_unparse(t->watermark, &wm);
    bool in_pk = false;
    for (int k = 0; k < t->npk; k++) in_pk |= t->pk[k] == i;
    const char *cells[] = {c->name,
                           type.data ? type.data : "",
                           c->type->nullable ? "TRUE" : "FALSE",
                           in_pk ? key.data : "",
                           extras.len ? extras.data : "",
                           wm.len ? wm.data : ""};
    if (!rc) rc = sql_result_add_row(r, cells);
  }
  sp_free(type.data);
  sp_free(key.data);
  sp_free(extras.data);
  sp_free(wm.data);
  return rc;
}

static int quoted(sp_strbuf *sb, const char *s, char q) {
  int rc = sp_strbuf_append(sb, &q, 1);
  for (; *s && !rc; s++) {
    rc = sp_strbuf_append(sb, s, 1);
    if (!rc && *s == q) rc = sp_strbuf_append(sb, &q, 1);
  }
  return rc ? rc : sp_strbuf_append(sb, &q, 1);
}

/* SHOW CREATE TABLE / VIEW: the statement as Flink prints it (ShowCreateUtil): the full name,
 * one column per line indented by two spaces, the watermark, the primary key, then on lines of
 * their own the comment, the partition keys and the options. */
static int show_create(sql_session *s, const sql_node *n, sql_result *r, sql_error_kind *kind,
                       sp_strbuf *err) {
  bool view = n->u.show.what == SQL_SHOW_CREATE_VIEW;
  sql_table *t = lookup(s, n->u.show.name, view, kind, err);
  if (!t) return SPATE_EINVAL;
  sp_strbuf sb = {0};
  int rc = sp_strbuf_add(&sb, t->is_view ? "CREATE VIEW " : "CREATE TABLE ");
  if (!rc) rc = sql_catalog_full_name(t->name, &sb);
  if (t->is_view) {
    if (!rc) rc = sp_strbuf_add(&sb, "\nAS ");
    if (!rc) rc = sql_unparse(t->ast->root->u.create_view.query, &sb);
  } else {
    if (!rc) rc = sp_strbuf_add(&sb, " (\n");
    for (int i = 0; !rc && i < t->ncols; i++) {
      const sql_column *c = &t->cols[i];
      rc = sp_strbuf_add(&sb, "  ");
      if (!rc) rc = quoted(&sb, c->name, '`');
      if (!rc && c->kind == SQL_COLUMN_COMPUTED) {
        rc = sp_strbuf_add(&sb, " AS ");
        if (!rc) rc = sql_unparse(c->expr, &sb);
      } else if (!rc) {
        rc = sp_strbuf_add(&sb, " ");
        if (!rc) rc = sql_type_format(c->type, &sb);
        if (!rc && c->kind == SQL_COLUMN_METADATA) {
          rc = sp_strbuf_add(&sb, " METADATA");
          if (!rc && c->metadata_key) rc = sp_strbuf_add(&sb, " FROM ");
          if (!rc && c->metadata_key) rc = quoted(&sb, c->metadata_key, '\'');
          if (!rc && c->is_virtual) rc = sp_strbuf_add(&sb, " VIRTUAL");
        }
      }
      if (!rc && c->comment) {
        rc = sp_strbuf_add(&sb, " COMMENT ");
        if (!rc) rc = quoted(&sb, c->comment, '\'');
      }
      if (!rc && (i + 1 < t->ncols || t->rowtime >= 0 || t->npk)) rc = sp_strbuf_add(&sb, ",");
      if (!rc) rc = sp_strbuf_add(&sb, "\n");
    }
    if (!rc && t->rowtime >= 0) {
      rc = sp_strbuf_add(&sb, "  WATERMARK FOR ");
      if (!rc) rc = quoted(&sb, t->cols[t->rowtime].name, '`');
      if (!rc) rc = sp_strbuf_add(&sb, " AS ");
      if (!rc) rc = sql_unparse(t->watermark, &sb);
      if (!rc) rc = sp_strbuf_add(&sb, t->npk ? ",\n" : "\n");
    }
    if (!rc && t->npk) {
      rc = sp_strbuf_add(&sb, "  CONSTRAINT ");
      if (!rc) rc = quoted(&sb, t->pk_name, '`');
      if (!rc) rc = sp_strbuf_add(&sb, " PRIMARY KEY (");
      for (int k = 0; !rc && k < t->npk; k++) {
        if (k) rc = sp_strbuf_add(&sb, ", ");
        if (!rc) rc = quoted(&sb, t->cols[t->pk[k]].name, '`');
      }
      if (!rc) rc = sp_strbuf_add(&sb, ") NOT ENFORCED\n");
    }
    if (!rc) rc = sp_strbuf_add(&sb, ")\n");
    if (!rc && t->comment) {
      rc = sp_strbuf_add(&sb, "COMMENT ");
      if (!rc) rc = quoted(&sb, t->comment, '\'');
      if (!rc) rc = sp_strbuf_add(&sb, "\n");
    }
    const sql_name_list *parts = &t->ast->root->u.create_table.partitioned_by;
    for (int i = 0; !rc && i < parts->n; i++) {
      rc = sp_strbuf_add(&sb, i ? ", " : "PARTITIONED BY (");
      if (!rc) rc = quoted(&sb, parts->v[i].s, '`');
      if (!rc && i + 1 == parts->n) rc = sp_strbuf_add(&sb, ")\n");
    }
    if (!rc) rc = sp_strbuf_add(&sb, "WITH (\n");
    for (int i = 0; !rc && i < t->noptions; i++) {
      rc = sp_strbuf_add(&sb, "  ");
      if (!rc) rc = quoted(&sb, t->keys[i], '\'');
      if (!rc) rc = sp_strbuf_add(&sb, " = ");
      if (!rc) rc = quoted(&sb, t->values[i], '\'');
      if (!rc) rc = sp_strbuf_add(&sb, i + 1 < t->noptions ? ",\n" : "\n");
    }
    if (!rc) rc = sp_strbuf_add(&sb, ")");
  }
  if (!rc) rc = set_message(r, SQL_RESULT_TEXT, sb.data);
  sp_free(sb.data);
  return rc;
}
