/*
 * sql_table_source.c: the source side of the table factories (sql_connectors.h): datagen,
 * filesystem, socket and nexmark tables checked as Flink's factories check them, and the StreamGraph node
 * that reads each, producing the table's physical columns.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "connectors/datagen.h"
#include "connectors/nexmark_model.h"
#include "graph/op_params.h"
#include "spate/nexmark.h"
#include "sql/sql_connectors.h"
#include "sql/sql_connectors_int.h"
#include "sql/sql_row_schema.h"

/* The filesystem connector's own keys; the format's come from sqlf_format. */
static const char *const fs_keys[] = {"partition.time-extractor.class",
                                      "partition.time-extractor.kind",
                                      "partition.time-extractor.timestamp-formatter",
                                      "partition.time-extractor.timestamp-pattern",
                                      "sink.partition-commit.delay",
                                      "sink.partition-commit.policy.class",
                                      "sink.partition-commit.policy.kind",
                                      "sink.partition-commit.success-file.name",
                                      "sink.partition-commit.trigger",
                                      "sink.partition-commit.watermark-time-zone",
                                      "sink.rolling-policy.check-interval",
                                      "sink.rolling-policy.file-size",
                                      "sink.rolling-policy.inactivity-interval",
                                      "sink.rolling-policy.rollover-interval",
                                      "source.monitor-interval",
                                      NULL};

int sqlf_filesystem_declare(sqlc *c) {
  int rc = sqlf_option(c, "path", true);
  for (int i = 0; rc == 0 && fs_keys[i]; i++) rc = sqlf_option(c, fs_keys[i], false);
  return rc;
}

const char **sqlf_partition_keys(const sql_table *t, int *n) {
  *n = 0;
  if (!t->ast || !t->ast->root || t->ast->root->kind != SQL_CREATE_TABLE) return NULL;
  const sql_name_list *l = &t->ast->root->u.create_table.partitioned_by;
  if (l->n == 0) return NULL;
  const char **v = sp_malloc(sizeof *v * (size_t)l->n);
  if (!v) return NULL;
  for (int i = 0; i < l->n; i++) v[i] = l->v[i].s;
  *n = l->n;
  return v;
}

/* The physical columns' row schema; a failure is the check's cause. */
static int physical_schema(sqlc *c, spate_schema **out) {
  const char **names;
  const sql_type **types;
  int n;
  if (sqlf_physical(c->t, &names, &types, &n) < 0) return SPATE_ENOMEM;
  char msg[512];
  int rc = sql_row_schema(names, types, n, false, out, msg, sizeof msg);
  sp_free(names);
  sp_free(types);
  if (rc == SPATE_EINVAL) return sqlf_fail(c, "%s", msg);
  return rc;
}

/* The table's options as a key, value, ... list (pointers into the table). */
static const char **options_list(const sql_table *t) {
  const char **kv = sp_malloc(sizeof *kv * (size_t)(2 * t->noptions + 1));
  for (int i = 0; kv && i < t->noptions; i++) {
    kv[2 * i] = t->keys[i];
    kv[2 * i + 1] = t->values[i];
  }
  return kv;
}

/* ---- the factories: each checks the options and fills what its node needs -------------------- */

/* What a checked source table gives its node. */
typedef struct source_plan {
  op_kind kind;
  spate_schema *schema;
  bool fixed_parallelism; /* runs at parallelism 1 */
  bool bounded;
  /* datagen */
  const char **kv;
  uint32_t nkv;
  /* filesystem, socket */
  char **format;
  uint32_t nformat;
  const char *path, *host;
  int64_t monitor_ms, port;
  /* nexmark */
  nexmark_config nexmark;
  uint8_t stream;
} source_plan;

static void plan_free(source_plan *p) {
  schema_unref(p->schema);
  sp_free(p->kv);
  sqlf_free_list(p->format, p->nformat);
  *p = (source_plan){0};
}

static int datagen_check(sqlc *c, source_plan *p) {
  p->kind = OP_SRC_DATAGEN;
  int rc = physical_schema(c, &p->schema);
  if (rc < 0) return rc;
  if (!(p->kv = options_list(c->t))) return SPATE_ENOMEM;
  p->nkv = (uint32_t)(2 * c->t->noptions);
  datagen_spec spec;
  char msg[1024];
  rc = datagen_spec_parse(&spec, p->schema, (uint32_t)(2 * c->t->noptions), p->kv, NULL, msg,
                          sizeof msg);
  if (rc == SPATE_EINVAL) return sqlf_fail(c, "%s", msg);
  if (rc < 0) return rc;
  p->bounded = spec.rows >= 0;
  rc = sqlf_option(c, "number-of-rows", false);
  if (rc == 0) rc = sqlf_option(c, "rows-per-second", false);
  char key[512];
  for (int i = 0; rc == 0 && i < p->schema->nfields; i++) {
    const schema_field *f = &p->schema->fields[i];
    snprintf(key, sizeof key, "fields.%s.kind", f->name);
    rc = sqlf_option(c, key, false);
    for (const char *const *o = datagen_field_options(f, spec.fields[i].sequence); rc == 0 && *o;
         o++) {
      snprintf(key, sizeof key, "fields.%s.%s", f->name, *o);
      rc = sqlf_option(c, key, false);
    }
  }
  datagen_spec_free(&spec);
  if (rc == 0) rc = sqlf_check_required(c);
  return rc == 0 ? sqlf_check_unconsumed(c) : rc;
}

static int filesystem_source_check(sqlc *c, source_plan *p) {
  p->kind = OP_SRC_FILE;
  int rc = sqlf_filesystem_declare(c);
  if (rc == 0) rc = sqlf_format(c, "format", &p->format, &p->nformat);
  if (rc == 0) rc = sqlf_check_required(c);
  if (rc == 0) rc = sqlf_read_duration(c, "source.monitor-interval", 0, &p->monitor_ms);
  if (rc == 0 && p->monitor_ms < 0)
    rc = sqlf_fail(c, "Could not parse value '%s' for key 'source.monitor-interval'.",
                   sqlf_value(c, "source.monitor-interval"));
  if (rc == 0) rc = sqlf_check_unconsumed(c);
  if (rc < 0) return rc;
  int nkeys;
  const char **keys = sqlf_partition_keys(c->t, &nkeys);
  sp_free(keys);
  if (nkeys > 0)
    return sqlf_fail(c,
                     "Reading a partitioned filesystem table (PARTITIONED BY) is not supported "
                     "yet.");
  p->path = sqlf_value(c, "path");
  if (!p->path[0]) return sqlf_fail(c, "The option 'path' must not be empty.");
  p->bounded = p->monitor_ms == 0;
  p->fixed_parallelism = p->monitor_ms > 0;
  return physical_schema(c, &p->schema);
}

static int socket_check(sqlc *c, source_plan *p) {
  p->kind = OP_SRC_SOCKET;
  p->fixed_parallelism = true;
  int rc = sqlf_option(c, "hostname", true);
  if (rc == 0) rc = sqlf_option(c, "port", true);
  if (rc == 0) rc = sqlf_option(c, "byte-delimiter", false);
  if (rc == 0) rc = sqlf_format(c, "format", &p->format, &p->nformat);
  if (rc == 0) rc = sqlf_check_required(c);
  int64_t delim = 10;
  if (rc == 0) rc = sqlf_read_long(c, "port", 0, &p->port);
  if (rc == 0 && (p->port < 1 || p->port > 65535))
    rc = sqlf_fail(c, "Could not parse value '%s' for key 'port'.", sqlf_value(c, "port"));
  if (rc == 0) rc = sqlf_read_long(c, "byte-delimiter", 10, &delim);
  if (rc == 0 && delim != 10)
    rc = sqlf_fail(c, "Only the byte delimiter 10 (a line break) is supported, not %lld.",
                   (long long)delim);
  if (rc == 0) rc = sqlf_check_unconsumed(c);
  if (rc < 0) return rc;
  p->host = sqlf_value(c, "hostname");
  return physical_schema(c, &p->schema);
}

/* nexmark-flink's options that Spate's generator has (connectors/nexmark_model.h); each is read
 * as the configuration key nexmark.<option>, whose parser names its form and bounds. */
static const char *const nexmark_keys[] = {"auction.avg-size",
                                           "auction.hot-ratio.sellers",
                                           "auction.proportion",
                                           "base-time",
                                           "bid.avg-size",
                                           "bid.hot-ratio.auctions",
                                           "bid.hot-ratio.bidders",
                                           "bid.proportion",
                                           "events.num",
                                           "first-event.rate",
                                           "max-emit-speed",
                                           "next-event.rate",
                                           "person.avg-size",
                                           "person.proportion",
                                           NULL};

/* Which stream the columns are: the flattened table or one of the views, by names and types
 * (nullability aside); -1 with the cause set when none. */
static int nexmark_stream(sqlc *c, const spate_schema *s) {
  const spate_schema *streams[] = {nexmark_event_schema(), nexmark_person_schema(),
                                   nexmark_auction_schema(), nexmark_bid_schema()};
  for (int k = 0; k < 4; k++) {
    const spate_schema *want = streams[k];
    if (!want) return SPATE_ENOMEM;
    bool same = want->nfields == s->nfields;
    for (int i = 0; same && i < s->nfields; i++)
      same = strcmp(want->fields[i].name, s->fields[i].name) == 0 &&
             schema_type_equal(&want->fields[i], &s->fields[i]);
    if (same) return k;
  }
  char *have = schema_to_string(s);
  char *names[4];
  for (int k = 0; k < 4; k++) names[k] = schema_to_string(streams[k]);
  int rc = sqlf_fail(c,
                     "The nexmark source table must be in the schema of one of the streams "
                     "(the table flattened, or the person, auction or bid view):\n%s\n%s\n%s\n%s\n"
                     "However, it is\n%s",
                     names[0] ? names[0] : "", names[1] ? names[1] : "", names[2] ? names[2] : "",
                     names[3] ? names[3] : "", have ? have : "");
  for (int k = 0; k < 4; k++) sp_free(names[k]);
  sp_free(have);
  return rc;
}

static int nexmark_check(sqlc *c, source_plan *p) {
  p->kind = OP_SRC_NEXMARK;
  int rc = 0;
  for (int i = 0; rc == 0 && nexmark_keys[i]; i++) rc = sqlf_option(c, nexmark_keys[i], false);
  if (rc == 0) rc = sqlf_check_required(c);
  sp_config *cfg = rc == 0 ? sp_config_new() : NULL;
  if (rc == 0 && !cfg) rc = SPATE_ENOMEM;
  char msg[512], key[128];
  for (int i = 0; rc == 0 && nexmark_keys[i]; i++) {
    const char *v = sqlf_value(c, nexmark_keys[i]);
    snprintf(key, sizeof key, "nexmark.%s", nexmark_keys[i]);
    if (v && sp_config_set(cfg, key, v, "table option", msg, sizeof msg) < 0)
      rc = sqlf_fail(c, "Could not parse value '%s' for key '%s'. (%s)", v, nexmark_keys[i], msg);
  }
  if (rc == 0) {
    nexmark_config_defaults(&p->nexmark);
    p->nexmark.base_time = sp_wall_ms(); /* unless base-time is set, as nexmark-flink does */
    nexmark_config_read(&p->nexmark, cfg);
    if (nexmark_config_check(&p->nexmark, msg, sizeof msg) < 0) rc = sqlf_fail(c, "%s", msg);
  }
  sp_config_free(cfg);
  if (rc == 0) rc = sqlf_check_unconsumed(c);
  if (rc == 0) rc = physical_schema(c, &p->schema);
  if (rc < 0) return rc;
  int k = nexmark_stream(c, p->schema);
  if (k < 0) return k;
  p->stream = (uint8_t)k;
  p->bounded = p->nexmark.events_num > 0;
  return 0;
}

/* Checks t as a source and fills p; the caller closes c. */
static int source_check(sqlc *c, const sql_table *t, source_plan *p) {
  *p = (source_plan){0};
  int rc = sqlf_open(c, t, false);
  if (rc < 0) return rc;
  switch (c->connector) {
  case SQLC_DATAGEN: return datagen_check(c, p);
  case SQLC_FILESYSTEM: return filesystem_source_check(c, p);
  case SQLC_SOCKET: return socket_check(c, p);
  case SQLC_NEXMARK: return nexmark_check(c, p);
  default: return sqlf_fail(c, "Connector '%s' cannot be used as a source.", "?");
  }
}

int sql_source_check(const sql_table *t, char *err, size_t cap) {
  sqlc c;
  source_plan p;
  int rc = source_check(&c, t, &p);
  plan_free(&p);
  return sqlf_close(&c, rc, err, cap);
}

int sql_table_is_bounded(const sql_table *t, bool *bounded, char *err, size_t cap) {
  sqlc c;
  source_plan p;
  int rc = source_check(&c, t, &p);
  *bounded = rc == 0 && p.bounded;
  plan_free(&p);
  return sqlf_close(&c, rc, err, cap);
}

/* ---- the node ------------------------------------------------------------------------------ */

/* "TableSourceScan(table=[[default_catalog, default_database, t<digest>]], fields=[a, b])" */
static int scan_name(const sql_table *t, const char *digest, const spate_schema *s, sp_strbuf *sb) {
  int rc = sp_strbuf_add(
      sb, "TableSourceScan(table=[[" SQL_DEFAULT_CATALOG ", " SQL_DEFAULT_DATABASE ", ");
  if (rc == 0) rc = sp_strbuf_add(sb, t->name);
  if (rc == 0 && digest) rc = sp_strbuf_add(sb, digest);
  if (rc == 0) rc = sp_strbuf_add(sb, "]], fields=[");
  for (int i = 0; rc == 0 && i < s->nfields; i++) {
    if (i) rc = sp_strbuf_add(sb, ", ");
    if (rc == 0) rc = sp_strbuf_add(sb, s->fields[i].name);
  }
  return rc == 0 ? sp_strbuf_add(sb, "])") : rc;
}

void sql_source_abilities(const sql_table *t, bool *project, bool *filter) {
  const char *id = NULL;
  for (int i = 0; i < t->noptions; i++)
    if (strcmp(t->keys[i], "connector") == 0) id = t->values[i];
  *project = *filter = id && strcmp(id, "filesystem") == 0;
}

/* Narrows a checked filesystem plan to the columns of spec: the schema of those columns, and
 * the format told which fields of a line they are ("projection" = "<fields>/<i>,<j>,...", read
 * by the line decoder: a CSV line still has every physical field, JSON finds them by name). */
static int project_plan(source_plan *p, const sql_scan_spec *spec) {
  const spate_schema *all = p->schema;
  for (int i = 0; i < spec->nproject; i++)
    if (spec->project[i] < 0 || spec->project[i] >= all->nfields) return SPATE_EINVAL;
  spate_schema *s = schema_select(all, spec->project, spec->nproject);
  int rc = s ? 0 : SPATE_ENOMEM;
  sp_strbuf v = {0};
  char num[16];
  snprintf(num, sizeof num, "%d/", all->nfields);
  if (rc == 0) rc = sp_strbuf_add(&v, num);
  for (int i = 0; rc == 0 && i < spec->nproject; i++) {
    snprintf(num, sizeof num, "%s%d", i ? "," : "", spec->project[i]);
    rc = sp_strbuf_add(&v, num);
  }
  if (rc == 0) rc = sqlf_list_add(&p->format, &p->nformat, "projection");
  if (rc == 0) rc = sqlf_list_add(&p->format, &p->nformat, v.data ? v.data : "");
  sp_strbuf_free(&v);
  if (rc == 0) {
    schema_unref(p->schema);
    p->schema = s;
  } else if (s) {
    schema_unref(s);
  }
  return rc;
}

static int store_params(sg_node *n, const source_plan *p) {
  op_str_list fmt = {p->nformat, (const char *const *)p->format};
  switch (p->kind) {
  case OP_SRC_DATAGEN: {
    op_datagen_params dp = {.options = {p->nkv, p->kv}, .seed = 0x5eed};
    return op_datagen_params_store(n, &dp);
  }
  case OP_SRC_NEXMARK: {
    const nexmark_config *x = &p->nexmark;
    op_nexmark_params np = {.stream = p->stream,
                            .events_num = x->events_num,
                            .base_time = x->base_time,
                            .first_rate = x->first_rate,
                            .next_rate = x->next_rate,
                            .max_emit_speed = x->max_emit_speed,
                            .person_proportion = x->person_proportion,
                            .auction_proportion = x->auction_proportion,
                            .bid_proportion = x->bid_proportion,
                            .hot_sellers = x->hot_sellers,
                            .hot_auctions = x->hot_auctions,
                            .hot_bidders = x->hot_bidders,
                            .person_avg = x->person_avg,
                            .auction_avg = x->auction_avg,
                            .bid_avg = x->bid_avg,
                            .watermark_interval = 0}; /* the planner's watermarks follow */
    return op_nexmark_params_store(n, &np);
  }
  case OP_SRC_FILE: {
    op_file_source_params fp = {.paths = {1, &p->path}, .format = fmt, .monitor_ms = p->monitor_ms};
    return op_file_source_params_store(n, &fp);
  }
  default: {
    op_socket_params sp = {.host = p->host, .port = (int32_t)p->port, .format = fmt};
    return op_socket_params_store(n, &sp);
  }
  }
}

int sql_source_add(stream_graph *g, const sql_table *t, const sp_config *session_cfg,
                   int parallelism, int *node_out, spate_schema **physical_schema_out, char *err,
                   size_t cap) {
  (void)session_cfg;
  return sql_source_add_spec(g, t, NULL, parallelism, node_out, physical_schema_out, err, cap);
}

int sql_source_add_spec(stream_graph *g, const sql_table *t, const sql_scan_spec *spec,
                        int parallelism, int *node_out, spate_schema **schema_out, char *err,
                        size_t cap) {
  sqlc c;
  source_plan p;
  int rc = sqlf_close(&c, source_check(&c, t, &p), err, cap);
  sp_strbuf name = {0};
  char *uid = NULL;
  if (rc == 0 && spec && spec->nproject >= 0) {
    if (p.kind != OP_SRC_FILE) {
      snprintf(err, cap, "the source of table '%s' cannot read selected columns", t->name);
      rc = SPATE_EINVAL;
    } else {
      rc = project_plan(&p, spec);
    }
  }
  if (rc == 0) rc = scan_name(t, spec ? spec->digest : NULL, p.schema, &name);
  if (rc == 0 && !(uid = sqlf_unique_uid(g, "table-source-", t->name))) rc = SPATE_ENOMEM;
  sg_node *n = rc == 0 ? sg_add_node(g, p.kind, name.data) : NULL;
  if (rc == 0 && !n) rc = SPATE_ENOMEM;
  if (rc == 0) {
    n->uid = uid;
    uid = NULL;
    n->out_schema = schema_ref(p.schema);
    n->chaining = CHAIN_HEAD;
    n->parallelism = p.fixed_parallelism ? 1 : parallelism;
    n->parallelism_fixed = p.fixed_parallelism;
    rc = store_params(n, &p);
  }
  if (rc == 0) {
    *node_out = n->id;
    *schema_out = p.schema;
    p.schema = NULL;
  } else if (rc == SPATE_ENOMEM) {
    snprintf(err, cap, "out of memory adding the source of table '%s'", t->name);
  }
  sp_free(uid);
  sp_strbuf_free(&name);
  plan_free(&p);
  return rc;
}
