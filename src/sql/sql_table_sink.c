/*
 * sql_table_sink.c: the sink side of the table factories (sql_connectors.h): print, blackhole
 * and filesystem tables checked as Flink's factories check them, the query's columns checked
 * against the table's physical columns as Flink's DynamicSinkUtils does, and the StreamGraph
 * nodes that write the rows.
 *
 * Types must be the same column by column, nullability aside and CHAR/VARCHAR lengths aside
 * (Flink would cast those implicitly; other implicit casts are the planner's to insert first).
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/file_sink_options.h"
#include "graph/op_params.h"
#include "sql/sql_connectors.h"
#include "sql/sql_connectors_int.h"
#include "sql/sql_row_schema.h"
#include "types/row_kind.h"

/* What a checked sink table gives its node. */
typedef struct sink_plan {
  op_kind kind;
  int64_t parallelism; /* sink.parallelism; 0: not given */
  /* print */
  const char *identifier;
  bool standard_error;
  /* filesystem */
  const char *path;
  char **format;
  uint32_t nformat;
  const char **options; /* sink.* and partition.* pairs, pointers into the table */
  uint32_t noptions;
  bool commit;
} sink_plan;

static void plan_free(sink_plan *p) {
  sqlf_free_list(p->format, p->nformat);
  sp_free(p->options);
  *p = (sink_plan){0};
}

static int print_check(sqlc *c, sink_plan *p) {
  p->kind = OP_SINK_PRINT;
  int rc = sqlf_option(c, "print-identifier", false);
  if (rc == 0) rc = sqlf_option(c, "standard-error", false);
  if (rc == 0) rc = sqlf_option(c, "sink.parallelism", false);
  if (rc == 0) rc = sqlf_check_required(c);
  if (rc == 0) rc = sqlf_read_bool(c, "standard-error", false, &p->standard_error);
  if (rc == 0) rc = sqlf_read_long(c, "sink.parallelism", 0, &p->parallelism);
  if (rc == 0) rc = sqlf_check_unconsumed(c);
  p->identifier = sqlf_value(c, "print-identifier");
  return rc;
}

static int blackhole_check(sqlc *c, sink_plan *p) {
  p->kind = OP_SINK_DISCARD;
  int rc = sqlf_check_required(c);
  return rc == 0 ? sqlf_check_unconsumed(c) : rc;
}

static int filesystem_sink_check(sqlc *c, sink_plan *p) {
  p->kind = OP_SINK_FILE;
  int rc = sqlf_filesystem_declare(c);
  if (rc == 0) rc = sqlf_option(c, "sink.parallelism", false);
  if (rc == 0) rc = sqlf_format(c, "format", &p->format, &p->nformat);
  if (rc == 0) rc = sqlf_check_required(c);
  if (rc == 0) rc = sqlf_read_long(c, "sink.parallelism", 0, &p->parallelism);
  if (rc == 0) rc = sqlf_check_unconsumed(c);
  if (rc < 0) return rc;
  p->path = sqlf_value(c, "path");
  if (!p->path[0]) return sqlf_fail(c, "The option 'path' must not be empty.");
  const sql_table *t = c->t;
  if (!(p->options = sp_malloc(sizeof *p->options * (size_t)(2 * t->noptions + 1))))
    return SPATE_ENOMEM;
  for (int i = 0; i < t->noptions; i++) {
    if (strncmp(t->keys[i], "sink.rolling-policy.", 20) != 0 &&
        strncmp(t->keys[i], "sink.partition-commit.", 22) != 0 &&
        strncmp(t->keys[i], "partition.", 10) != 0)
      continue;
    p->options[p->noptions++] = t->keys[i];
    p->options[p->noptions++] = t->values[i];
  }
  fs_sink_options fo;
  char msg[512];
  if (fs_sink_options_parse(&fo, p->noptions, p->options, msg, sizeof msg) < 0)
    return sqlf_fail(c, "%s", msg);
  p->commit = fo.commit;
  fs_sink_options_free(&fo);
  int nkeys;
  const char **keys = sqlf_partition_keys(t, &nkeys);
  sp_free(keys);
  if (p->commit && nkeys == 0)
    return sqlf_fail(c,
                     "The option 'sink.partition-commit.policy.kind' needs a partitioned table "
                     "(PARTITIONED BY): partitions are what is committed.");
  return 0;
}

static int sink_check(sqlc *c, const sql_table *t, sink_plan *p) {
  *p = (sink_plan){0};
  int rc = sqlf_open(c, t, true);
  if (rc < 0) return rc;
  switch (c->connector) {
  case SQLC_PRINT: return print_check(c, p);
  case SQLC_BLACKHOLE: return blackhole_check(c, p);
  case SQLC_FILESYSTEM: return filesystem_sink_check(c, p);
  default: return sqlf_fail(c, "Connector '%s' cannot be used as a sink.", "?");
  }
}

int sql_sink_check(const sql_table *t, char *err, size_t cap) {
  sqlc c;
  sink_plan p;
  int rc = sink_check(&c, t, &p);
  plan_free(&p);
  return sqlf_close(&c, rc, err, cap);
}

bool sql_sink_takes_update_before(const sql_table *t) {
  sqlc c;
  int rc = sqlf_open(&c, t, true);
  bool blackhole = rc == 0 && c.connector == SQLC_BLACKHOLE;
  char err[8];
  sqlf_close(&c, rc, err, sizeof err);
  return !blackhole;
}

/* ---- the query's columns against the table's ------------------------------------------------ */

static int append_schema(sp_strbuf *sb, const spate_schema *s, int n) {
  int rc = sp_strbuf_add(sb, "[");
  for (int i = 0; rc == 0 && i < n; i++) {
    const schema_field *f = &s->fields[i];
    if (i) rc = sp_strbuf_add(sb, ", ");
    if (rc == 0) rc = sp_strbuf_add(sb, f->name);
    if (rc == 0) rc = sp_strbuf_add(sb, ": ");
    if (rc == 0) rc = schema_type_text(sb, f);
    if (rc == 0 && !f->nullable) rc = sp_strbuf_add(sb, " NOT NULL");
  }
  return rc == 0 ? sp_strbuf_add(sb, "]") : rc;
}

static bool fits(const schema_field *q, const schema_field *s) {
  if (q->type == SPATE_STRING && s->type == SPATE_STRING) return true;
  if ((q->type == SPATE_CHAR || q->type == SPATE_STRING) &&
      (s->type == SPATE_CHAR || s->type == SPATE_STRING))
    return true;
  return schema_type_equal(q, s);
}

/* Flink's DynamicSinkUtils message when the n query columns do not fit the table's. */
static int check_columns(const sql_table *t, const spate_schema *query, int n,
                         const spate_schema *sink, char *err, size_t cap) {
  int bad = -1;
  if (n == sink->nfields)
    for (int i = 0; i < n && bad < 0; i++)
      if (!fits(&query->fields[i], &sink->fields[i])) bad = i;
  if (n == sink->nfields && bad < 0) return 0;
  sp_strbuf name = {0}, qs = {0}, ss = {0};
  int rc = sqlf_table_name(t, &name);
  if (rc == 0) rc = append_schema(&qs, query, n);
  if (rc == 0) rc = append_schema(&ss, sink, sink->nfields);
  char cause[300];
  if (bad < 0)
    snprintf(cause, sizeof cause, "Different number of columns.");
  else
    snprintf(cause, sizeof cause, "Incompatible types for sink column '%s' at position %d.",
             sink->fields[bad].name, bad);
  if (rc == 0) {
    snprintf(err, cap,
             "Column types of query result and sink for '%s' do not match.\nCause: %s\n\n"
             "Query schema: %s\nSink schema:  %s",
             name.data, cause, qs.data, ss.data);
    rc = SPATE_EINVAL;
  }
  sp_strbuf_free(&name);
  sp_strbuf_free(&qs);
  sp_strbuf_free(&ss);
  return rc;
}

static int sink_schema(const sql_table *t, spate_schema **out, char *err, size_t cap) {
  const char **names;
  const sql_type **types;
  int n;
  if (sqlf_physical(t, &names, &types, &n) < 0) return SPATE_ENOMEM;
  int rc = sql_row_schema(names, types, n, false, out, err, cap);
  sp_free(names);
  sp_free(types);
  return rc;
}

/* ---- the nodes ----------------------------------------------------------------------------- */

/* "Sink(table=[default_catalog.default_database.t], fields=[a, b])" */
static int sink_name(const sql_table *t, const spate_schema *s, sp_strbuf *sb) {
  int rc = sp_strbuf_add(sb, "Sink(table=[");
  if (rc == 0) rc = sqlf_table_name(t, sb);
  if (rc == 0) rc = sp_strbuf_add(sb, "], fields=[");
  for (int i = 0; rc == 0 && i < s->nfields; i++) {
    if (i) rc = sp_strbuf_add(sb, ", ");
    if (rc == 0) rc = sp_strbuf_add(sb, s->fields[i].name);
  }
  return rc == 0 ? sp_strbuf_add(sb, "])") : rc;
}

/* The query's columns under the table's names: what the file sink writes (rows are
 * positional). NULL when out of memory. */
static spate_schema *renamed(const spate_schema *query, const spate_schema *sink) {
  int *all = sp_malloc(sizeof *all * (size_t)sink->nfields);
  spate_schema *s = NULL;
  if (all) {
    for (int i = 0; i < sink->nfields; i++) all[i] = i;
    s = schema_select(query, all, sink->nfields);
  }
  sp_free(all);
  for (int i = 0; s && i < s->nfields; i++) {
    char *name = sp_strdup(sink->fields[i].name);
    if (!name) {
      schema_unref(s);
      return NULL;
    }
    sp_free(s->fields[i].name);
    s->fields[i].name = name;
  }
  return s;
}

static int add_file_sink(stream_graph *g, const sql_table *t, sg_node *n, const spate_schema *query,
                         const spate_schema *sink, const sink_plan *p) {
  int nkeys;
  const char **keys = sqlf_partition_keys(t, &nkeys);
  if (nkeys > 0 && !keys) return SPATE_ENOMEM;
  spate_schema *named = renamed(query, sink);
  int rc = named ? 0 : SPATE_ENOMEM;
  op_file_sink_params fp = {.dir = p->path,
                            .bucket_format = "", /* no time buckets: files in the path */
                            .format = {p->nformat, (const char *const *)p->format},
                            .partition_keys = {(uint32_t)nkeys, keys},
                            .options = {p->noptions, p->options},
                            .schema = named};
  if (rc == 0) rc = op_file_sink_params_store(n, &fp);
  schema_unref(named);
  int id = n->id;
  if (rc == 0 && p->commit) {
    /* Flink's partition commit: the writers tell one committer what they published */
    if (!(g->nodes[id].out_schema = fs_commit_info_schema())) rc = SPATE_ENOMEM;
    sg_node *cn = rc == 0 ? sg_add_node(g, OP_PARTITION_COMMIT, "PartitionCommitter") : NULL;
    if (rc == 0 && !cn) rc = SPATE_ENOMEM;
    if (rc == 0) {
      cn->parallelism = 1;
      cn->parallelism_fixed = true;
      if (!(cn->uid = sqlf_unique_uid(g, "table-partition-commit-", t->name))) rc = SPATE_ENOMEM;
    }
    if (rc == 0) {
      op_partition_commit_params cp = {
          .dir = p->path, .partition_keys = fp.partition_keys, .options = fp.options};
      rc = op_partition_commit_params_store(cn, &cp);
    }
    if (rc == 0 && !sg_add_input(g, cn->id, id, PART_UNSET)) rc = SPATE_ENOMEM;
  }
  sp_free(keys);
  return rc;
}

int sql_sink_add(stream_graph *g, const sql_table *t, int input_node,
                 const spate_schema *input_schema, bool updating, bool deletes,
                 const char *producer, const sp_config *session_cfg, int parallelism, char *err,
                 size_t cap) {
  (void)session_cfg;
  sqlc c;
  sink_plan p;
  int rc = sqlf_close(&c, sink_check(&c, t, &p), err, cap);
  if (rc < 0) {
    plan_free(&p);
    return rc;
  }
  spate_schema *sink = NULL;
  int nq = input_schema->nfields - (updating ? 1 : 0);
  rc = sink_schema(t, &sink, err, cap);
  if (rc == 0) rc = check_columns(t, input_schema, nq, sink, err, cap);
  if (rc == 0 && updating && p.kind == OP_SINK_FILE) {
    sp_strbuf name = {0};
    rc = sqlf_table_name(t, &name);
    if (rc == 0) {
      snprintf(err, cap,
               "Table sink '%s' doesn't support consuming %s changes which is produced by "
               "node %s",
               name.data, deletes ? "update and delete" : "update",
               producer ? producer : "(unknown)");
      rc = SPATE_EINVAL;
    }
    sp_strbuf_free(&name);
  }
  sp_strbuf name = {0};
  if (rc == 0) rc = sink_name(t, sink, &name);
  sg_node *n = rc == 0 ? sg_add_node(g, p.kind, name.data) : NULL;
  if (rc == 0 && !n) rc = SPATE_ENOMEM;
  int id = n ? n->id : -1;
  if (rc == 0) {
    n->parallelism = p.parallelism > 0 ? (int)p.parallelism : parallelism;
    if (!(n->uid = sqlf_unique_uid(g, "table-sink-", t->name))) rc = SPATE_ENOMEM;
  }
  if (rc == 0 && p.kind == OP_SINK_PRINT) {
    op_print_params pp = {.identifier = p.identifier,
                          .sql = true,
                          .row_kind = updating,
                          .standard_error = p.standard_error};
    rc = op_print_params_store(n, &pp);
  }
  if (rc == 0 && !sg_add_input(g, id, input_node, PART_UNSET)) rc = SPATE_ENOMEM;
  if (rc == 0 && p.kind == OP_SINK_FILE)
    rc = add_file_sink(g, t, &g->nodes[id], input_schema, sink, &p);
  if (rc == SPATE_ENOMEM)
    snprintf(err, cap, "out of memory adding the sink of table '%s'", t->name);
  sp_strbuf_free(&name);
  schema_unref(sink);
  plan_free(&p);
  return rc;
}
