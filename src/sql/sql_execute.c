/* sql_execute.c: EXPLAIN, SELECT and INSERT for a session (sql_execute.h). */
#include "sql/sql_execute.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/err.h"
#include "connectors/collect_live.h"
#include "connectors/collect_remote.h"
#include "rest/rest_remote.h"
#include "sql/sql_rel.h"
#include "sql/sql_remote.h"
#include "sql/sql_translate.h"
#include "sql/sql_udf.h"
#include "types/row_kind.h"
#include "types/schema.h"

struct sql_jobs {
  int n, cap;
  spate_job_client **clients;
  char **names;
  spate_env **envs;
};

void sql_jobs_free(sql_jobs *jobs) {
  if (!jobs) return;
  for (int i = 0; i < jobs->n; i++) {
    if (jobs->clients[i]) spate_job_result_free(spate_job_client_wait(jobs->clients[i]));
    spate_env_free(jobs->envs[i]);
    sp_free(jobs->names[i]);
  }
  sp_free(jobs->clients);
  sp_free(jobs->names);
  sp_free(jobs->envs);
  sp_free(jobs);
}

int sql_jobs_wait(sql_jobs *jobs) {
  if (!jobs) return 0;
  int failed = 0;
  for (int i = 0; i < jobs->n; i++) {
    if (!jobs->clients[i]) continue;
    spate_job_result *res = spate_job_client_wait(jobs->clients[i]);
    jobs->clients[i] = NULL;
    if (!res || spate_job_result_status(res) != SPATE_JOB_FINISHED) {
      failed++;
      fprintf(stderr, "[ERROR] Job '%s' failed: %s\n", jobs->names[i],
              res && spate_job_result_error(res) ? spate_job_result_error(res) : "unknown failure");
    }
    spate_job_result_free(res);
  }
  return failed;
}

/* ---- planning -------------------------------------------------------------------------------- */

typedef struct planned {
  sql_arena arena;
  sql_planner p;
  sql_rel *logical, *optimized;
} planned;

static int plan_error(planned *pl, int rc, sql_error_kind *kind, sp_strbuf *err) {
  if (rc == SPATE_ENOMEM) return rc;
  const sql_verror *e = &pl->p.err;
  char buf[1200];
  if (pl->p.table_error) {
    *kind = SQL_ERR_TABLE;
    snprintf(buf, sizeof buf, "%s", e->msg);
  } else {
    *kind = SQL_ERR_VALIDATION;
    if (e->line > 0)
      snprintf(buf, sizeof buf, "SQL validation failed. At line %d, column %d: %s", e->line, e->col,
               e->msg);
    else
      snprintf(buf, sizeof buf, "%s", e->msg);
  }
  sp_strbuf_add(err, buf);
  return rc ? rc : SPATE_EINVAL;
}

/* Plans stmt (a query or an INSERT) into pl: the logical tree under its sink, then the optimized
 * copy with its changelog modes. */
static int plan(planned *pl, sql_catalog *c, const sp_config *cfg, const sql_node *stmt) {
  memset(pl, 0, sizeof *pl);
  pl->p.catalog = c;
  pl->p.config = cfg;
  pl->p.arena = &pl->arena;
  int rc;
  if (stmt->kind == SQL_INSERT) {
    rc = sql_plan_insert(&pl->p, stmt, &pl->logical);
  } else {
    sql_rel *q = NULL;
    rc = sql_plan_query(&pl->p, stmt, &q);
    if (!rc) {
      sql_rel *s = sql_rel_new(&pl->p, SQL_REL_SINK, q->ncols, 1);
      if (!s) return SPATE_ENOMEM;
      s->inputs[0] = q;
      s->updating = q->updating;
      for (int i = 0; i < q->ncols; i++) {
        s->names[i] = q->names[i];
        s->types[i] = q->types[i];
      }
      pl->logical = s;
    }
  }
  if (!rc) rc = sql_plan_optimize(&pl->p, pl->logical, &pl->optimized);
  if (!rc) sql_plan_changelog(pl->optimized);
  return rc;
}

static void planned_free(planned *pl) { sql_arena_free(&pl->arena); }

/* ---- C functions shipped with a job on a cluster ---------------------------------------------- */

/* Notes in *lib the library of each C function e calls; -1 when a second library turns up (its
 * path in *other). */
static int expr_library(const sql_expr *e, const char **lib, const char **other) {
  if (!e) return 0;
  if (e->kind == SQL_E_CAST) return expr_library(e->u.cast.arg, lib, other);
  if (e->kind != SQL_E_CALL) return 0;
  if (e->u.call.fn == SQL_FN_UDF && e->u.call.udf) {
    const char *l = e->u.call.udf->library;
    if (*lib && strcmp(*lib, l) != 0) {
      *other = l;
      return -1;
    }
    *lib = l;
  }
  for (int i = 0; i < e->u.call.nargs; i++)
    if (expr_library(e->u.call.args[i], lib, other) < 0) return -1;
  return expr_library(e->u.call.filter, lib, other);
}

static int rel_library(const sql_rel *r, const char **lib, const char **other) {
  if (r->kind == SQL_REL_CALC) {
    for (int i = 0; i < r->ncols; i++)
      if (expr_library(r->u.calc.projs[i], lib, other) < 0) return -1;
    if (expr_library(r->u.calc.filter, lib, other) < 0) return -1;
  }
  for (int i = 0; i < r->ninputs; i++)
    if (rel_library(r->inputs[i], lib, other) < 0) return -1;
  return 0;
}

/* A job on a cluster takes the library of the C functions its calcs call along as its artifact
 * (what `spate run -m` ships a DataStream job's object as): the TaskManagers load their copy of
 * it (sql_eval_udf.c). A job carries one artifact, so the functions of one query on a cluster
 * come from one library. */
static int ship_library(planned *pl, spate_env *env) {
  const char *lib = NULL, *other = NULL;
  if (rel_library(pl->optimized, &lib, &other) < 0)
    return sql_plan_fail(&pl->p, NULL, true,
                         "A query on a cluster ships the library of its C functions as its job's "
                         "artifact, and a job has one: this query calls functions of '%s' and "
                         "of '%s'",
                         lib, other);
  if (!lib) return 0;
  sp_free(env->artifact);
  if (!(env->artifact = sp_strdup(lib))) return SPATE_ENOMEM;
  env->artifact_known = true;
  return 0;
}

/* Plans stmt and translates it into the job of a new environment (*env), the client's result
 * collected under collect_name (NULL: not a query). On failure the error is reported as
 * plan_error does and nothing is left to free. */
static int build_job(planned *pl, sql_catalog *c, const sp_config *cfg, const sql_node *stmt,
                     const char *collect_name, spate_env **env, sql_error_kind *kind,
                     sp_strbuf *err) {
  int rc = plan(pl, c, cfg, stmt);
  if (!rc) {
    pl->p.collect_name = collect_name;
    *env = api_env_create_with(cfg);
    rc = *env ? sql_translate(&pl->p, pl->optimized, *env) : SPATE_ENOMEM;
    rest_remote probe;
    if (!rc && sql_remote_target(cfg, &probe, true)) rc = ship_library(pl, *env);
  }
  if (rc) {
    rc = plan_error(pl, rc, kind, err);
    spate_env_free(*env);
    *env = NULL;
    planned_free(pl);
  }
  return rc;
}

/* ---- EXPLAIN --------------------------------------------------------------------------------- */

int sql_execute_explain(sql_catalog *c, const sp_config *cfg, const sql_node *stmt, sql_result *r,
                        sql_error_kind *kind, sp_strbuf *err) {
  const sql_node *what = stmt->u.explain.stmt;
  if (what->kind == SQL_EXECUTE) what = what->u.execute.stmt;
  if (what->kind == SQL_STATEMENT_SET) {
    *kind = SQL_ERR_TABLE;
    sp_strbuf_add(err, "EXPLAIN of a statement set is not supported yet");
    return SPATE_EINVAL;
  }
  planned pl;
  int rc = plan(&pl, c, cfg, what);
  if (rc) {
    rc = plan_error(&pl, rc, kind, err);
    planned_free(&pl);
    return rc;
  }
  /* EXPLAIN of a query shows no sink, as Flink's, and its changelog is inferred without one */
  const sql_rel *lg = pl.logical, *op = pl.optimized;
  if (what->kind != SQL_INSERT) {
    lg = lg->inputs[0];
    op = op->inputs[0];
    sql_plan_changelog(pl.optimized->inputs[0]);
  }
  sp_strbuf text = {0};
  rc = sql_explain(lg, op, (stmt->u.explain.details & SQL_EXPLAIN_CHANGELOG_MODE) != 0, &text);
  planned_free(&pl);
  if (rc) {
    sp_strbuf_free(&text);
    return rc;
  }
  r->kind = SQL_RESULT_TEXT;
  r->message = text.data; /* the result takes the text */
  return 0;
}

/* ---- running ----------------------------------------------------------------------------------- */

static int exec_error(spate_env *env, const char *what, sql_error_kind *kind, sp_strbuf *err) {
  *kind = SQL_ERR_EXECUTION;
  sp_strbuf_add(err, what);
  if (env && env->error[0]) {
    sp_strbuf_add(err, ": ");
    sp_strbuf_add(err, env->error);
  }
  return SPATE_EINVAL;
}

/* A row of the client's result sink (every column STRING, the row kind last when updating) as
 * C strings: cells[0] its op, cells[1..ncols] the columns (NULL for SQL NULL), the strings in
 * owned[0..ncols), which the caller frees with cells_free. Returns 0 or SPATE_ENOMEM. */
static int row_cells(const spate_row *row, int ncols, bool updating, const char **cells,
                     char **owned) {
  cells[0] = row_kind_short(updating ? spate_row_tinyint(row, ncols) : ROW_KIND_INSERT);
  for (int i = 0; i < ncols; i++) {
    owned[i] = NULL;
    cells[i + 1] = NULL;
    if (spate_row_is_null(row, i)) continue;
    spate_bytes b = spate_row_string(row, i);
    if (!(owned[i] = sp_malloc((size_t)b.len + 1))) return SPATE_ENOMEM;
    memcpy(owned[i], b.ptr, b.len);
    owned[i][b.len] = 0;
    cells[i + 1] = owned[i];
  }
  return 0;
}

static void cells_free(char **owned, int ncols) {
  for (int i = 0; i < ncols; i++) {
    sp_free(owned[i]);
    owned[i] = NULL;
  }
}

/* The table result's columns: op, then the sink's. */
static int result_columns(sql_result *r, const sql_rel *sink) {
  const char **names = sp_calloc((size_t)sink->ncols + 1, sizeof *names);
  if (!names) return SPATE_ENOMEM;
  names[0] = "op";
  for (int i = 0; i < sink->ncols; i++) names[i + 1] = sink->names[i];
  int rc = sql_result_set_columns(r, names, sink->ncols + 1);
  sp_free(names);
  return rc;
}

/* The collected rows of a SELECT into the result: the op column, then the columns (all STRING,
 * the translation cast them), the row kind field read for an updating query. */
static int collect_result(const spate_job_result *res, const sql_rel *sink, sql_result *r,
                          const char *name) {
  const spate_row *rows = NULL;
  const spate_schema *schema = NULL;
  size_t n = spate_job_result_collected(res, name, &rows, &schema);
  int ncols = sink->ncols;
  const char **cells = sp_calloc((size_t)ncols + 1, sizeof *cells);
  char **owned = sp_calloc((size_t)ncols + 1, sizeof *owned);
  int rc = cells && owned ? 0 : SPATE_ENOMEM;
  if (!rc) rc = result_columns(r, sink);
  for (size_t k = 0; !rc && k < n; k++) {
    rc = row_cells(&rows[k], ncols, sink->updating, cells, owned);
    if (!rc) rc = sql_result_add_row(r, cells);
    cells_free(owned, ncols);
  }
  (void)schema;
  sp_free(cells);
  sp_free(owned);
  return rc;
}

/* The dry run's end: the JobGraph built from the environment's graph, an INFO result. */
static int dry_run_result(spate_env *env, sql_result *r, sql_error_kind *kind, sp_strbuf *err) {
  job_graph *jg = NULL;
  char msg[SP_ERRMSG_MAX];
  int rc = jobgraph_build(env->g, &jg, msg, sizeof msg);
  jobgraph_free(jg);
  spate_env_free(env);
  if (rc == SPATE_ENOMEM) return rc;
  if (rc < 0) {
    *kind = SQL_ERR_TABLE;
    sp_strbuf_add(err, msg);
    return SPATE_EINVAL;
  }
  r->kind = SQL_RESULT_INFO;
  r->message = sp_strdup("The job was planned and built, and not run (dry run).");
  return r->message ? 0 : SPATE_ENOMEM;
}

/* A streamed query: the listener and the rows it got. */
typedef struct live_ctx {
  const sql_stream_listener *l;
  int ncols;
  bool updating;
  int64_t count; /* written by the job's one collect subtask, read after the job's end */
} live_ctx;

/* One row of the collect sink (all columns STRING, the row kind last when updating) to cells. */
static void live_row(void *arg, const spate_row *row, const spate_schema *schema) {
  live_ctx *c = arg;
  (void)schema;
  const char **cells = sp_calloc((size_t)c->ncols + 1, sizeof *cells);
  char **owned = sp_calloc((size_t)c->ncols + 1, sizeof *owned);
  if (cells && owned && row_cells(row, c->ncols, c->updating, cells, owned) == 0) {
    c->l->row(c->l->arg, cells, c->ncols + 1);
    c->count++;
  }
  if (owned) cells_free(owned, c->ncols);
  sp_free(owned);
  sp_free(cells);
}

/* The result columns for the listener: op, then the sink's columns with their SQL types. */
static int live_columns(const sql_stream_listener *l, const sql_rel *sink) {
  int n = sink->ncols + 1;
  const char **names = sp_calloc((size_t)n, sizeof *names);
  const char **types = sp_calloc((size_t)n, sizeof *types);
  sp_strbuf *tb = sp_calloc((size_t)n, sizeof *tb);
  int rc = names && types && tb ? 0 : SPATE_ENOMEM;
  if (!rc) {
    names[0] = "op";
    types[0] = "STRING NOT NULL";
    for (int i = 0; !rc && i < sink->ncols; i++) {
      names[i + 1] = sink->names[i];
      rc = sql_type_format(sink->types[i], &tb[i + 1]);
      types[i + 1] = tb[i + 1].data;
    }
  }
  if (!rc) l->columns(l->arg, names, types, n);
  for (int i = 0; tb && i < n; i++) sp_strbuf_free(&tb[i]);
  sp_free(tb);
  sp_free(names);
  sp_free(types);
  return rc;
}

/* ---- a query on a cluster (sql_remote.h) ---- */

/* Where a cluster's rows go: the listener (live) or the table result (r). */
typedef struct remote_rows {
  live_ctx *live;
  sql_result *r;
  const sql_rel *sink;
  const char **cells;
  char **owned;
  int rc;
} remote_rows;

static void remote_row(void *arg, const spate_row *row) {
  remote_rows *x = arg;
  if (x->live) {
    live_row(x->live, row, NULL);
    return;
  }
  if (x->rc) return;
  x->rc = row_cells(row, x->sink->ncols, x->sink->updating, x->cells, x->owned);
  if (!x->rc) x->rc = sql_result_add_row(x->r, x->cells);
  cells_free(x->owned, x->sink->ncols);
}

/* The collect sink of the job built from env: its OperatorID and input schema (owned by *jg). */
static int find_collect(spate_env *env, job_graph **jg, char oid[33], const spate_schema **schema,
                        sql_error_kind *kind, sp_strbuf *err) {
  char msg[SP_ERRMSG_MAX];
  int rc = jobgraph_build(env->g, jg, msg, sizeof msg);
  if (rc == SPATE_ENOMEM) return rc;
  for (int i = 0; rc == 0 && i < (*jg)->nnodes; i++) {
    const sg_node *n = &(*jg)->nodes[i];
    if (n->kind != OP_SINK_COLLECT || n->ninputs != 1) continue;
    jobgraph_operator_id(*jg, i, oid);
    *schema = sg_edge_schema((*jg)->nodes, &n->inputs[0]);
    return 0;
  }
  *kind = SQL_ERR_TABLE;
  sp_strbuf_add(err, rc ? msg : "the query's job has no collect sink");
  return SPATE_EINVAL;
}

/* Runs the job of env on the cluster cfg names and reads its rows as they come (sql_remote.h);
 * the outcome as sql_execute_select's. */
static int select_remote(planned *pl, spate_env *env, const sp_config *cfg, const char *name,
                         const sql_stream_listener *live, volatile sig_atomic_t *cancel,
                         sql_result *r, sql_error_kind *kind, sp_strbuf *err) {
  const sql_rel *sink = pl->optimized;
  rest_remote remote;
  sql_remote_target(cfg, &remote, true);
  env->remote = &remote.api;
  spate_job_client *jc = spate_execute_async(env, "collect");
  if (!jc) return exec_error(env, "Could not submit the query", kind, err);
  char job_id[33], oid[33];
  snprintf(job_id, sizeof job_id, "%s", spate_job_client_id(jc));
  spate_job_result_free(spate_job_client_wait(jc)); /* detached: returns at once */
  job_graph *jg = NULL;
  const spate_schema *schema = NULL;
  int rc = find_collect(env, &jg, oid, &schema, kind, err);
  live_ctx lc = {live, sink->ncols, sink->updating, 0};
  remote_rows x = {.live = live ? &lc : NULL, .r = r, .sink = sink};
  x.cells = sp_calloc((size_t)sink->ncols + 1, sizeof *x.cells);
  x.owned = sp_calloc((size_t)sink->ncols + 1, sizeof *x.owned);
  if (!rc && (!x.cells || !x.owned)) rc = SPATE_ENOMEM;
  if (!rc) rc = live ? live_columns(live, sink) : result_columns(r, sink);
  bool cancelled = false;
  sp_strbuf why = {0};
  if (!rc)
    rc = sql_remote_collect(cfg, job_id, oid, name, schema, remote_row, &x, cancel, &cancelled,
                            &why);
  if (!rc) rc = x.rc;
  if (rc == SPATE_EINVAL && why.len) {
    *kind = SQL_ERR_EXECUTION;
    sp_strbuf_add(err, "The query's job failed: ");
    sp_strbuf_add(err, why.data);
  } else if (rc) {
    /* reported by find_collect, or out of memory */
  } else if (live) {
    r->kind = SQL_RESULT_STREAMED;
    r->nrows = lc.count;
    if (cancelled) r->message = sp_strdup("Query terminated");
  } else if (cancelled) {
    sql_result_free(r);
    memset(r, 0, sizeof *r);
    r->kind = SQL_RESULT_INFO;
    r->message = sp_strdup("Query terminated");
  } else {
    r->kind = SQL_RESULT_TABLE;
    r->changelog = true;
  }
  sp_strbuf_free(&why);
  sp_free(x.cells);
  sp_free(x.owned);
  jobgraph_free(jg);
  return rc;
}

int sql_execute_select(sql_catalog *c, const sp_config *cfg, const sql_node *query, bool dry_run,
                       const sql_stream_listener *live, volatile sig_atomic_t *cancel,
                       sql_result *r, sql_error_kind *kind, sp_strbuf *err) {
  static _Atomic long results; /* a name per streamed result in this process */
  char name[80];
  rest_remote probe;
  bool on_cluster = sql_remote_target(cfg, &probe, true);
  if (on_cluster) { /* the name the cluster's TaskManager keeps the rows under: unguessable */
    char token[33];
    if (sql_random_token(token) < 0) {
      *kind = SQL_ERR_EXECUTION;
      sp_strbuf_add(err, "no randomness for the query's result name");
      return SPATE_EINVAL;
    }
    snprintf(name, sizeof name, "%s%s", COLLECT_REMOTE_PREFIX, token);
  } else {
    snprintf(name, sizeof name, "%s-%ld", SQL_RESULT_COLLECT, ++results);
  }
  planned pl;
  spate_env *env = NULL;
  int rc = build_job(&pl, c, cfg, query, name, &env, kind, err);
  if (rc) return rc;
  if (dry_run) {
    planned_free(&pl);
    return dry_run_result(env, r, kind, err);
  }
  if (on_cluster) {
    rc = select_remote(&pl, env, cfg, name, live, cancel, r, kind, err);
    spate_env_free(env);
    planned_free(&pl);
    return rc;
  }
  live_ctx lc = {live, pl.optimized->ncols, pl.optimized->updating, 0};
  bool streaming = live && collect_live_register(name, live_row, &lc) == 0;
  if (streaming) rc = live_columns(live, pl.optimized);
  spate_job_client *jc = rc ? NULL : spate_execute_async(env, "collect");
  spate_job_result *res = NULL;
  bool cancelled = false;
  while (jc && !(res = spate_job_client_wait_for(jc, 100)))
    if (cancel && *cancel && !cancelled) { /* Ctrl-C: the job is cancelled, its rows so far kept */
      spate_job_client_cancel(jc);
      cancelled = true;
    }
  if (streaming) collect_live_unregister(name);
  spate_job_status st = res ? spate_job_result_status(res) : SPATE_JOB_FAILED;
  if (rc) {
    /* out of memory before the job started */
  } else if (!jc) {
    rc = exec_error(env, "Could not run the query", kind, err);
  } else if (!(st == SPATE_JOB_FINISHED || (cancelled && st == SPATE_JOB_CANCELED))) {
    *kind = SQL_ERR_EXECUTION;
    sp_strbuf_add(err, "The query's job failed: ");
    sp_strbuf_add(err,
                  res && spate_job_result_error(res) ? spate_job_result_error(res) : "unknown");
    rc = SPATE_EINVAL;
  } else if (streaming) {
    r->kind = SQL_RESULT_STREAMED;
    r->nrows = lc.count;
    if (cancelled) r->message = sp_strdup("Query terminated");
  } else if (cancelled) {
    r->kind = SQL_RESULT_INFO;
    r->message = sp_strdup("Query terminated");
  } else {
    r->kind = SQL_RESULT_TABLE;
    r->changelog = true;
    rc = collect_result(res, pl.optimized, r, name);
  }
  spate_job_result_free(res);
  spate_env_free(env);
  planned_free(&pl);
  return rc;
}

static int jobs_add(sql_jobs **jobs, spate_env *env, spate_job_client *client, const char *name) {
  if (!*jobs && !(*jobs = sp_calloc(1, sizeof **jobs))) return SPATE_ENOMEM;
  sql_jobs *j = *jobs;
  if (j->n == j->cap) {
    int cap = j->cap ? j->cap * 2 : 4;
    spate_job_client **c = sp_realloc(j->clients, sizeof *c * (size_t)cap);
    if (c) j->clients = c;
    char **n = sp_realloc(j->names, sizeof *n * (size_t)cap);
    if (n) j->names = n;
    spate_env **e = sp_realloc(j->envs, sizeof *e * (size_t)cap);
    if (e) j->envs = e;
    if (!c || !n || !e) return SPATE_ENOMEM;
    j->cap = cap;
  }
  j->clients[j->n] = client;
  j->envs[j->n] = env;
  j->names[j->n] = sp_strdup(name);
  j->n++;
  return 0;
}

int sql_execute_insert(sql_catalog *c, const sp_config *cfg, const sql_node *insert, bool dry_run,
                       volatile sig_atomic_t *cancel, sql_jobs **jobs, sql_result *r,
                       sql_error_kind *kind, sp_strbuf *err) {
  planned pl;
  spate_env *env = NULL;
  int rc = build_job(&pl, c, cfg, insert, NULL, &env, kind, err);
  if (rc) return rc;
  if (dry_run) {
    planned_free(&pl);
    return dry_run_result(env, r, kind, err);
  }
  char name[512];
  snprintf(name, sizeof name, "insert-into_%s.%s.%s", SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE,
           pl.optimized->u.sink.table->name);
  planned_free(&pl);
  /* execution.target: remote: the job goes to the cluster's REST endpoint, detached unless
   * table.dml-sync (then its end is awaited over REST) */
  bool sync = sp_config_bool(cfg, "table.dml-sync");
  rest_remote remote;
  bool on_cluster = sql_remote_target(cfg, &remote, !sync);
  if (on_cluster) env->remote = &remote.api;
  spate_job_client *client = spate_execute_async(env, name);
  if (!client) {
    rc = exec_error(env, "Could not submit the INSERT job", kind, err);
    spate_env_free(env);
    return rc;
  }
  char msg[512];
  const char *id = spate_job_client_id(client);
  if (sync) {
    spate_job_result *res = NULL;
    bool cancelled = false;
    while (!(res = spate_job_client_wait_for(client, 100)))
      if (cancel && *cancel && !cancelled) { /* Ctrl-C or the client's end: the job goes */
        spate_job_client_cancel(client);
        cancelled = true;
      }
    bool ok = res && spate_job_result_status(res) == SPATE_JOB_FINISHED;
    if (!ok) {
      *kind = SQL_ERR_EXECUTION;
      sp_strbuf_add(err, cancelled ? "The INSERT job was cancelled" : "The INSERT job failed: ");
      if (!cancelled)
        sp_strbuf_add(err, res && spate_job_result_error(res) ? spate_job_result_error(res)
                                                              : "unknown failure");
    }
    spate_job_result_free(res);
    spate_env_free(env);
    if (!ok) return SPATE_EINVAL;
    snprintf(msg, sizeof msg, "Complete execution of the SQL update statement.");
  } else {
    snprintf(msg, sizeof msg,
             "Submitting SQL update statement to the cluster...\n[INFO] SQL update statement has "
             "been successfully submitted to the cluster:\nJob ID: %s\n",
             id);
    if (on_cluster) { /* the cluster runs it on; nothing of it stays in the session */
      spate_job_result_free(spate_job_client_wait(client));
      spate_env_free(env);
    } else {
      rc = jobs_add(jobs, env, client, name);
    }
    if (rc) {
      spate_job_result_free(spate_job_client_wait(client));
      spate_env_free(env);
      return rc;
    }
  }
  r->kind = SQL_RESULT_INFO;
  r->message = sp_strdup(msg);
  return r->message ? 0 : SPATE_ENOMEM;
}
