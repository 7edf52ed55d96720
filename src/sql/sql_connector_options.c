/*
 * sql_connector_options.c: the checks of a table's WITH options that every table factory shares,
 * as Flink's FactoryUtil makes them (sql_connectors_int.h): finding the connector's factory,
 * required and unsupported options, typed values, the format's options, and the message that
 * wraps a failure with the table's options.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/config.h"
#include "connectors/format.h"
#include "graph/stream_graph.h"
#include "sql/sql_connectors_int.h"

/* The factories by identifier, sorted, with the roles they implement. */
static const struct {
  const char *id;
  sqlf_connector c;
  bool source, sink;
} factories[] = {
    {"blackhole", SQLC_BLACKHOLE, false, true},  {"datagen", SQLC_DATAGEN, true, false},
    {"filesystem", SQLC_FILESYSTEM, true, true}, {"nexmark", SQLC_NEXMARK, true, false},
    {"print", SQLC_PRINT, false, true},          {"socket", SQLC_SOCKET, true, false},
};
#define NFACTORIES (sizeof factories / sizeof factories[0])

int sqlf_fail(sqlc *c, const char *fmt, ...) {
  if (c->failed) return SPATE_EINVAL;
  c->failed = true;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof buf) { /* a long list of options: format again into the buffer */
    if (sp_strbuf_reserve(&c->cause, (size_t)n) == 0) {
      va_start(ap, fmt);
      vsnprintf(c->cause.data, (size_t)n + 1, fmt, ap);
      va_end(ap);
      c->cause.len = (size_t)n;
      return SPATE_EINVAL;
    }
  }
  sp_strbuf_add(&c->cause, buf);
  return SPATE_EINVAL;
}

const char *sqlf_value(const sqlc *c, const char *key) {
  const char *v = NULL;
  for (int i = 0; i < c->t->noptions; i++)
    if (strcmp(c->t->keys[i], key) == 0) v = c->t->values[i];
  return v;
}

static int unknown_connector(sqlc *c, const char *id) {
  for (size_t i = 0; i < NFACTORIES; i++) {
    if (strcmp(factories[i].id, id) != 0) continue;
    return c->sink ? sqlf_fail(c,
                               "Connector '%s' can only be used as a source. It cannot be used "
                               "as a sink.",
                               id)
                   : sqlf_fail(c,
                               "Connector '%s' can only be used as a sink. It cannot be used "
                               "as a source.",
                               id);
  }
  sp_strbuf ids = {0};
  for (size_t i = 0; i < NFACTORIES; i++) {
    if (c->sink ? !factories[i].sink : !factories[i].source) continue;
    if (ids.len) sp_strbuf_add(&ids, "\n");
    sp_strbuf_add(&ids, factories[i].id);
  }
  int rc = sqlf_fail(c,
                     "Could not find any factory for identifier '%s' that implements "
                     "'org.apache.flink.table.factories.%s' in the classpath.\n\nAvailable "
                     "factory identifiers are:\n\n%s",
                     id, c->sink ? "DynamicTableSinkFactory" : "DynamicTableSourceFactory",
                     ids.data ? ids.data : "");
  sp_strbuf_free(&ids);
  return rc;
}

int sqlf_open(sqlc *c, const sql_table *t, bool sink) {
  *c = (sqlc){.t = t, .sink = sink};
  if (t->noptions > 0 && !(c->consumed = sp_calloc((size_t)t->noptions, sizeof *c->consumed)))
    return SPATE_ENOMEM;
  const char *id = sqlf_value(c, "connector");
  if (!id)
    return sqlf_fail(c,
                     "Table options do not contain an option key 'connector' for discovering "
                     "a connector.");
  for (size_t i = 0; i < NFACTORIES; i++) {
    if (strcmp(factories[i].id, id) != 0 || !(sink ? factories[i].sink : factories[i].source))
      continue;
    c->connector = factories[i].c;
    return sqlf_option(c, "connector", true);
  }
  return unknown_connector(c, id);
}

int sqlf_option(sqlc *c, const char *key, bool required) {
  bool given = false;
  for (int i = 0; i < c->t->noptions; i++)
    if (strcmp(c->t->keys[i], key) == 0) given = c->consumed[i] = true;
  if (required && !given && c->nmissing < (int)(sizeof c->missing / sizeof c->missing[0]))
    c->missing[c->nmissing++] = key; /* static keys only are required */
  for (int i = 0; i < c->nsupported; i++)
    if (strcmp(c->supported[i], key) == 0) return 0;
  if (c->nsupported == c->cap_supported) {
    int cap = c->cap_supported ? c->cap_supported * 2 : 32;
    char **v = sp_realloc(c->supported, sizeof *v * (size_t)cap);
    if (!v) return SPATE_ENOMEM;
    c->supported = v;
    c->cap_supported = cap;
  }
  if (!(c->supported[c->nsupported] = sp_strdup(key))) return SPATE_ENOMEM;
  c->nsupported++;
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The strings joined by "\n" after sorting them (Java's String order is the bytes' for ASCII). */
static int join_sorted(const char **v, int n, sp_strbuf *out) {
  qsort(v, (size_t)n, sizeof *v, cmp_str);
  int rc = 0;
  for (int i = 0; rc == 0 && i < n; i++) {
    if (i) rc = sp_strbuf_add(out, "\n");
    if (rc == 0) rc = sp_strbuf_add(out, v[i]);
  }
  return rc;
}

int sqlf_check_required(sqlc *c) {
  if (c->failed || c->nmissing == 0) return c->failed ? SPATE_EINVAL : 0;
  sp_strbuf list = {0};
  if (join_sorted(c->missing, c->nmissing, &list) < 0) return SPATE_ENOMEM;
  int rc = sqlf_fail(c,
                     "One or more required options are missing.\n\nMissing required options "
                     "are:\n\n%s",
                     list.data);
  sp_strbuf_free(&list);
  return rc;
}

int sqlf_check_unconsumed(sqlc *c) {
  if (c->failed) return SPATE_EINVAL;
  const char **bad = sp_malloc(sizeof *bad * (size_t)(c->t->noptions + 1));
  const char **sup = sp_malloc(sizeof *sup * (size_t)(c->nsupported + 1));
  int nbad = 0, rc = 0;
  if (!bad || !sup) rc = SPATE_ENOMEM;
  for (int i = 0; rc == 0 && i < c->t->noptions; i++)
    if (!c->consumed[i]) bad[nbad++] = c->t->keys[i];
  if (rc == 0 && nbad > 0) {
    for (int i = 0; i < c->nsupported; i++) sup[i] = c->supported[i];
    sp_strbuf a = {0}, b = {0};
    const char *id = sqlf_value(c, "connector");
    if (join_sorted(bad, nbad, &a) < 0 || join_sorted(sup, c->nsupported, &b) < 0)
      rc = SPATE_ENOMEM;
    else
      rc = sqlf_fail(c,
                     "Unsupported options found for '%s'.\n\nUnsupported options:\n\n%s\n\n"
                     "Supported options:\n\n%s",
                     id, a.data, b.data ? b.data : "");
    sp_strbuf_free(&a);
    sp_strbuf_free(&b);
  }
  sp_free(bad);
  sp_free(sup);
  return rc;
}

static int cannot_parse(sqlc *c, const char *key, const char *v) {
  return sqlf_fail(c, "Could not parse value '%s' for key '%s'.", v, key);
}

int sqlf_read_long(sqlc *c, const char *key, int64_t dflt, int64_t *out) {
  const char *v = sqlf_value(c, key);
  *out = dflt;
  if (!v) return 0;
  if (!v[0] || !fmt_parse_int64(v, strlen(v), out)) return cannot_parse(c, key, v);
  return 0;
}

int sqlf_read_bool(sqlc *c, const char *key, bool dflt, bool *out) {
  const char *v = sqlf_value(c, key);
  *out = dflt;
  if (!v) return 0;
  if (strcasecmp(v, "true") == 0)
    *out = true;
  else if (strcasecmp(v, "false") == 0)
    *out = false;
  else
    return cannot_parse(c, key, v);
  return 0;
}

int sqlf_read_duration(sqlc *c, const char *key, int64_t dflt, int64_t *out) {
  const char *v = sqlf_value(c, key);
  *out = dflt;
  if (!v) return 0;
  if (!sp_parse_duration_ms(v, out)) return cannot_parse(c, key, v);
  return 0;
}

/* ---- formats ------------------------------------------------------------------------------- */

static const char *const csv_keys[] = {"csv.allow-comments",      "csv.disable-quote-character",
                                       "csv.escape-character",    "csv.field-delimiter",
                                       "csv.ignore-parse-errors", "csv.null-literal",
                                       "csv.quote-character",     NULL};
static const char *const json_keys[] = {"json.fail-on-missing-field", "json.ignore-parse-errors",
                                        "json.timestamp-format.standard", NULL};

void sqlf_free_list(char **list, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) sp_free(list[i]);
  sp_free(list);
}

int sqlf_list_add(char ***list, uint32_t *n, const char *s) {
  char **v = sp_realloc(*list, sizeof *v * (*n + 1));
  if (!v) return SPATE_ENOMEM;
  *list = v;
  if (!(v[*n] = sp_strdup(s))) return SPATE_ENOMEM;
  (*n)++;
  return 0;
}

int sqlf_format(sqlc *c, const char *format_key, char ***list, uint32_t *n) {
  int rc = sqlf_option(c, format_key, true);
  const char *name = sqlf_value(c, format_key);
  if (rc < 0 || !name) return rc;
  fmt_kind kind = fmt_kind_from_name(name);
  if (!kind)
    return sqlf_fail(c,
                     "Could not find any factory for identifier '%s' that implements "
                     "'org.apache.flink.table.factories.%s' in the classpath.\n\nAvailable "
                     "factory identifiers are:\n\ncsv\njson",
                     name, c->sink ? "SerializationFormatFactory" : "DeserializationFormatFactory");
  const char *const *keys = kind == FMT_CSV ? csv_keys : json_keys;
  for (int i = 0; rc == 0 && keys[i]; i++) rc = sqlf_option(c, keys[i], false);
  fmt_options o;
  fmt_options_init(&o, kind);
  if (rc == 0) rc = sqlf_list_add(list, n, fmt_kind_name(kind));
  for (int i = 0; rc == 0 && keys[i]; i++) {
    const char *v = sqlf_value(c, keys[i]);
    if (!v) continue;
    char msg[512];
    if (fmt_options_set(&o, keys[i], v, msg, sizeof msg) < 0) return sqlf_fail(c, "%s", msg);
    rc = sqlf_list_add(list, n, keys[i]);
    if (rc == 0) rc = sqlf_list_add(list, n, v);
  }
  char msg[512];
  if (rc == 0 && fmt_options_check(&o, msg, sizeof msg) < 0) return sqlf_fail(c, "%s", msg);
  return rc;
}

/* ---- naming and wrapping ------------------------------------------------------------------- */

int sqlf_table_name(const sql_table *t, sp_strbuf *sb) {
  int rc = sp_strbuf_add(sb, SQL_DEFAULT_CATALOG "." SQL_DEFAULT_DATABASE ".");
  return rc == 0 ? sp_strbuf_add(sb, t->name) : rc;
}

int sqlf_physical(const sql_table *t, const char ***names, const sql_type ***types, int *n) {
  *names = sp_malloc(sizeof **names * (size_t)(t->ncols + 1));
  *types = sp_malloc(sizeof **types * (size_t)(t->ncols + 1));
  *n = 0;
  if (!*names || !*types) {
    sp_free(*names);
    sp_free(*types);
    *names = NULL;
    *types = NULL;
    return SPATE_ENOMEM;
  }
  for (int i = 0; i < t->ncols; i++) {
    if (t->cols[i].kind != SQL_COLUMN_PHYSICAL) continue;
    (*names)[*n] = t->cols[i].name;
    (*types)[(*n)++] = t->cols[i].type;
  }
  return 0;
}

char *sqlf_unique_uid(const stream_graph *g, const char *prefix, const char *name) {
  size_t len = strlen(prefix) + strlen(name) + 16;
  char *uid = sp_malloc(len);
  if (!uid) return NULL;
  for (int k = 1;; k++) {
    if (k == 1)
      snprintf(uid, len, "%s%s", prefix, name);
    else
      snprintf(uid, len, "%s%s-%d", prefix, name, k);
    bool used = false;
    for (int i = 0; i < g->nnodes && !used; i++)
      used = g->nodes[i].uid && strcmp(g->nodes[i].uid, uid) == 0;
    if (!used) return uid;
  }
}

int sqlf_close(sqlc *c, int rc, char *err, size_t cap) {
  if (rc == SPATE_EINVAL && !c->failed) sqlf_fail(c, "invalid table options"); /* no cause kept */
  if (rc == SPATE_EINVAL) {
    const char **opts = sp_malloc(sizeof *opts * (size_t)(c->t->noptions + 1));
    sp_strbuf name = {0}, list = {0}, one = {0};
    int mrc = opts ? sqlf_table_name(c->t, &name) : SPATE_ENOMEM;
    /* each option as 'key'='value', in one buffer, then sorted */
    size_t *at = mrc == 0 ? sp_malloc(sizeof *at * (size_t)(c->t->noptions + 1)) : NULL;
    if (mrc == 0 && !at) mrc = SPATE_ENOMEM;
    for (int i = 0; mrc == 0 && i < c->t->noptions; i++) {
      at[i] = one.len;
      mrc = sp_strbuf_add(&one, "'");
      if (mrc == 0) mrc = sp_strbuf_add(&one, c->t->keys[i]);
      if (mrc == 0) mrc = sp_strbuf_add(&one, "'='");
      if (mrc == 0) mrc = sp_strbuf_add(&one, c->t->values[i]);
      if (mrc == 0) mrc = sp_strbuf_append(&one, "'\0", 2);
    }
    for (int i = 0; mrc == 0 && i < c->t->noptions; i++) opts[i] = one.data + at[i];
    if (mrc == 0) mrc = join_sorted(opts, c->t->noptions, &list);
    if (mrc == 0)
      snprintf(err, cap, "Unable to create a %s '%s'.\n\nTable options are:\n\n%s\n\nCaused by: %s",
               c->sink ? "sink for writing table" : "source for reading table", name.data,
               list.data ? list.data : "", c->cause.data ? c->cause.data : "");
    else
      rc = mrc;
    sp_free(at);
    sp_free(opts);
    sp_strbuf_free(&name);
    sp_strbuf_free(&list);
    sp_strbuf_free(&one);
  }
  for (int i = 0; i < c->nsupported; i++) sp_free(c->supported[i]);
  sp_free(c->supported);
  sp_free(c->consumed);
  sp_strbuf_free(&c->cause);
  *c = (sqlc){0};
  return rc;
}
