/*
 * sql_connectors_int.h: what the table factories' files share (sql_connector_options.c,
 * sql_table_source.c, sql_table_sink.c): one check of a table's options, Flink's
 * FactoryUtil.TableFactoryHelper in C.
 *
 * A check opens on a table and a role (sqlf_open finds the connector), then the connector
 * declares each option it supports (sqlf_option: required or not), which marks the table's
 * option of that key consumed; sqlf_check_required reports missing required options, the
 * sqlf_read_* functions parse values with Flink's message, sqlf_check_unconsumed reports what no
 * declaration consumed, listing the declared keys. The first failure keeps its cause;
 * sqlf_close turns it into the wrapped message ("Unable to create a source ...").
 */
#ifndef SPATE_SQL_SQL_CONNECTORS_INT_H
#define SPATE_SQL_SQL_CONNECTORS_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "sql/sql_catalog.h"

typedef enum sqlf_connector {
  SQLC_BLACKHOLE = 1,
  SQLC_DATAGEN,
  SQLC_FILESYSTEM,
  SQLC_NEXMARK,
  SQLC_PRINT,
  SQLC_SOCKET,
} sqlf_connector;

typedef struct sqlc {
  const sql_table *t;
  bool sink;
  sqlf_connector connector;
  bool *consumed; /* per option of t */
  char **supported;
  int nsupported, cap_supported;
  const char *missing[32];
  int nmissing;
  sp_strbuf cause; /* the first failure's message */
  bool failed;
} sqlc;

/* Opens a check of t for reading (sink false) or writing: SPATE_EINVAL with the cause when the
 * connector option is missing or names no factory of the role, SPATE_ENOMEM. */
int sqlf_open(sqlc *c, const sql_table *t, bool sink);
/* Finishes: on SPATE_EINVAL writes the wrapped message with the cause into err; frees c.
 * Returns rc. */
int sqlf_close(sqlc *c, int rc, char *err, size_t cap);

/* The value of key in t's options (the last given), or NULL. */
const char *sqlf_value(const sqlc *c, const char *key);
/* Declares a supported option (the key is copied); marks it consumed; a required one that is
 * absent is noted missing. SPATE_ENOMEM. */
int sqlf_option(sqlc *c, const char *key, bool required);
/* Fails the check with a cause (printf format); returns SPATE_EINVAL. */
int sqlf_fail(sqlc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Flink's "One or more required options are missing." of the missing ones. */
int sqlf_check_required(sqlc *c);
/* Flink's "Unsupported options found for '<id>'." of what no declaration consumed. */
int sqlf_check_unconsumed(sqlc *c);

/* Typed reads of a declared option: *out keeps dflt when absent; a value that does not parse
 * is Flink's "Could not parse value '<v>' for key '<k>'.". */
int sqlf_read_long(sqlc *c, const char *key, int64_t dflt, int64_t *out);
int sqlf_read_bool(sqlc *c, const char *key, bool dflt, bool *out);
int sqlf_read_duration(sqlc *c, const char *key, int64_t dflt, int64_t *out);

/* Declares the format option and the options of the format it names (csv.*, json.*), checks
 * them with connectors/format.h, and appends the format's params list (kind, key, value, ...) to
 * *list (owned strings, *n entries). */
int sqlf_format(sqlc *c, const char *format_key, char ***list, uint32_t *n);
void sqlf_free_list(char **list, uint32_t n);
/* Appends a copy of s to the list; 0 or SPATE_ENOMEM. */
int sqlf_list_add(char ***list, uint32_t *n, const char *s);

/* Declares the filesystem connector's options (one factory reads and writes: Flink lists the
 * options of both roles) besides the format's. */
int sqlf_filesystem_declare(sqlc *c);
/* The table's PARTITIONED BY columns (names point into its syntax tree; NULL when none). */
const char **sqlf_partition_keys(const sql_table *t, int *n);

/* 'default_catalog.default_database.<name>' into sb (Flink's asSummaryString). */
int sqlf_table_name(const sql_table *t, sp_strbuf *sb);
/* The physical columns' names and types of t (arrays sp_malloc'ed, pointing into t). */
int sqlf_physical(const sql_table *t, const char ***names, const sql_type ***types, int *n);
/* A uid "<prefix><name>" not used in g yet ("-2", "-3", ... appended when needed). */
char *sqlf_unique_uid(const struct stream_graph *g, const char *prefix, const char *name);
#endif
