/*
 * sql_translate.c: an optimized plan into a job (sql_translate.h).
 *
 * Each relation becomes a stream on the environment, its rows of the relation's row schema
 * (sql_row_schema.h; an updating relation's with the row kind last):
 *   scan         the table factory's source (sql_connectors.h)
 *   values       a collection source of the evaluated rows (parallelism 1)
 *   calc         OP_SQL_CALC with the compiled program (sql_compile.h)
 *   watermark    the timestamps operator on the rowtime column, bounded out-of-orderness
 *   union        the DataStream union (its inputs renamed to the union's names first)
 *   aggregate    OP_SQL_GROUP_AGG behind a HASH edge on the group columns; a global one keyed on
 *                a constant column at parallelism 1, as Flink's singleton distribution
 *   window agg   OP_SQL_WINDOW_AGG likewise
 *   join         OP_SQL_JOIN behind a HASH edge per input on its key columns; without keys,
 *                each input keyed on a constant column its calc appends, at parallelism 1
 *   rank         OP_SQL_RANK (Top-N) or OP_SQL_DEDUPLICATE behind a HASH edge on the PARTITION BY
 *                columns; without them keyed on a constant column at parallelism 1
 *   over         OP_SQL_OVER_AGG likewise
 *   expand       OP_SQL_CALC with one program per grouping set (Flink's Expand)
 *   window TVF   OP_SQL_WINDOW_TVF: a window table function read on its own
 *   sink         the table factory's sink, or for the client every column cast to STRING and
 *                collected under SQL_RESULT_COLLECT
 * Operators are named by their line of the execution plan and get the uid "sql-<kind>-<n>", n
 * the relation's number in the plan: the same query plans to the same uids, so its job restores
 * from its savepoints.
 */
#include "sql/sql_translate.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/err.h"
#include "graph/op_params.h"
#include "sql/sql_compile.h"
#include "sql/sql_connectors.h"
#include "sql/sql_row_schema.h"
#include "types/row_kind.h"
#include "types/schema.h"

typedef struct tr {
  sql_planner *p;
  spate_env *env;
  const char *tz;
} tr;

static int fail_env(tr *t) {
  return sql_plan_fail(t->p, NULL, true, "%s", t->env->error[0] ? t->env->error : "out of memory");
}

static int fail_msg(tr *t, const char *msg) { return sql_plan_fail(t->p, NULL, true, "%s", msg); }

/* Names node id as r's line of the execution plan, with its uid. */
static int name_node(tr *t, int id, const sql_rel *r, const char *kind) {
  sp_strbuf name = {0};
  if (sql_rel_describe(r, &name)) return SPATE_ENOMEM;
  sg_node *n = &t->env->g->nodes[id];
  char uid[64];
  snprintf(uid, sizeof uid, "sql-%s-%d", kind, r->id);
  sp_free(n->name);
  sp_free(n->uid);
  n->name = name.data;
  n->uid = sp_strdup(uid);
  return n->uid ? 0 : SPATE_ENOMEM;
}

/* sql_compile_calc, its validation error (a failing CAST of a constant, ...) kept as the
 * planner's first, a TableException. */
static int compile_calc(tr *t, const spate_schema *in, bool updating, const sql_expr *filter,
                        sql_expr *const *projs, const char *const *names, int n, uint8_t **prog,
                        size_t *len, spate_schema **schema) {
  sql_verror verr = {0};
  int rc = sql_compile_calc(in, updating, t->tz, filter, projs, names, n, prog, len, schema, &verr);
  if (rc == SPATE_EINVAL && !t->p->err.msg[0]) {
    t->p->err = verr;
    t->p->table_error = true;
  }
  return rc;
}

/* Runs node on one task (Flink's singleton distribution): parallelism and max parallelism 1. */
static void one_task(tr *t, int node) {
  t->env->g->nodes[node].parallelism = 1;
  t->env->g->nodes[node].max_parallelism = 1;
}

/* The parallelism a stateless node over in keeps: in's when in updates and runs at a set
 * parallelism (a singleton's 1), so that the changes of a key stay on one channel, in order, as
 * a forward edge keeps them; 0 (the default) otherwise. */
static int updating_parallelism(tr *t, const spate_stream *in, bool updating) {
  if (!updating) return 0;
  /* a union's stream has no node of its own: one task when any of its inputs runs on one */
  int par = 0;
  for (int i = 0; i < (in->node >= 0 ? 1 : in->ninputs); i++) {
    int p = t->env->g->nodes[in->node >= 0 ? in->node : in->inputs[i].node].parallelism;
    if (p == 1) return 1;
    if (p > 0 && par == 0) par = p;
  }
  return par;
}

/* A calc node over in (rows of in_schema): compiled, added, named. */
static int add_calc(tr *t, spate_stream *in, bool updating, const sql_expr *filter,
                    sql_expr *const *projs, const char *const *names, int n, const sql_rel *r,
                    spate_stream **out) {
  uint8_t *prog = NULL;
  size_t len = 0;
  spate_schema *schema = NULL;
  int rc = compile_calc(t, in->schema, updating, filter, projs, names, n, &prog, &len, &schema);
  if (rc) return rc;
  if (!api_keep_schema(t->env, schema)) {
    sp_free(prog);
    return fail_env(t);
  }
  spate_stream *s = api_one_input(in, OP_SQL_CALC, "sql", "Calc", NULL, schema);
  if (!s) {
    sp_free(prog);
    return fail_env(t);
  }
  int par = updating_parallelism(t, in, updating);
  if (par > 0) t->env->g->nodes[s->node].parallelism = par;
  if (par == 1) one_task(t, s->node);
  op_blob blob = {prog, (uint32_t)len};
  op_sql_calc_params params = {.program = {1, &blob}};
  bool ok = api_set_params(t->env, s->node, &params);
  sp_free(prog);
  if (!ok) return fail_env(t);
  if (r) {
    rc = name_node(t, s->node, r, "calc");
    if (rc) return rc;
  }
  *out = s;
  return 0;
}

/* The column references 0..n-1 of types, for pass-through calcs. */
static sql_expr **columns(tr *t, const sql_type *const *types, int n) {
  sql_expr **e = sql_arena_alloc(t->p->arena, sizeof *e * (size_t)(n + 1));
  for (int i = 0; e && i < n; i++)
    if (!(e[i] = sql_expr_column(t->p->arena, i, types[i]))) return NULL;
  return e;
}

static int translate(tr *t, const sql_rel *r, spate_stream **out);

static int scan(tr *t, const sql_rel *r, spate_stream **out) {
  int node = -1;
  spate_schema *schema = NULL;
  char err[4096];
  sp_strbuf digest = {0};
  int rc = sql_scan_digest(r, &digest);
  sql_scan_spec spec = {.nproject = r->u.scan.projected ? r->u.scan.nproject : -1,
                        .project = r->u.scan.project,
                        .digest = digest.data};
  if (rc == 0)
    rc = sql_source_add_spec(t->env->g, r->u.scan.table, &spec, 0, &node, &schema, err, sizeof err);
  sp_strbuf_free(&digest);
  if (rc) return rc == SPATE_ENOMEM ? rc : fail_msg(t, err);
  if (!api_keep_schema(t->env, schema)) return fail_env(t);
  *out = api_new_stream(t->env, node, schema);
  return *out ? 0 : fail_env(t);
}

/* VALUES: the rows evaluated once here, into a collection source. The node's schema is the
 * evaluated rows' (a cast that can fail makes its column nullable); every row must have it. */
static int values(tr *t, const sql_rel *r, spate_stream **out) {
  spate_schema *schema = NULL;
  int n = r->u.values.nrows;
  op_blob *blobs = sp_calloc((size_t)n + 1, sizeof *blobs);
  uint8_t **rows = sp_calloc((size_t)n + 1, sizeof *rows);
  int rc = blobs && rows ? 0 : SPATE_ENOMEM;
  int64_t now = spate_clock_now(t->env->clock);
  for (int i = 0; !rc && i < n; i++) {
    spate_schema *rs = NULL;
    size_t len = 0;
    sql_verror verr = {0};
    rc = sql_eval_constant_row(r->u.values.rows[i], r->names, r->ncols, t->tz, now, &rs, &rows[i],
                               &len, &verr);
    if (rc == SPATE_EINVAL && !t->p->err.msg[0]) {
      t->p->err = verr;
      t->p->table_error = true;
    }
    if (!rc && !schema) {
      schema = rs;
      rs = NULL;
    } else if (!rc && !schema_equal(rs, schema)) {
      char *x = schema_to_string(rs), *y = schema_to_string(schema);
      char msg[1024];
      snprintf(msg, sizeof msg, "VALUES row %d has the types (%s), not those of row 1 (%s)", i + 1,
               x ? x : "?", y ? y : "?");
      sp_free(x);
      sp_free(y);
      rc = fail_msg(t, msg);
    }
    if (rs) schema_unref(rs);
    blobs[i] = (op_blob){rows[i], (uint32_t)len};
  }
  if (!rc && !api_keep_schema(t->env, schema))
    rc = fail_env(t);
  else if (rc && schema)
    schema_unref(schema);
  int id = -1;
  if (!rc) {
    sg_node *nd = api_add_node(t->env, OP_SRC_ELEMENTS, "Values", &id);
    if (!nd) rc = fail_env(t);
  }
  if (!rc) {
    sg_node *nd = &t->env->g->nodes[id];
    nd->out_schema = schema_ref(schema);
    nd->parallelism = 1;
    nd->parallelism_fixed = true;
    op_elements_params params = {.rows = {(uint32_t)n, blobs}};
    if (!api_set_params(t->env, id, &params)) rc = fail_env(t);
  }
  if (!rc) rc = name_node(t, id, r, "values");
  for (int i = 0; rows && i < n; i++) sp_free(rows[i]);
  sp_free(rows);
  sp_free(blobs);
  if (rc) return rc;
  *out = api_new_stream(t->env, id, schema);
  return *out ? 0 : fail_env(t);
}

static int calc(tr *t, const sql_rel *r, spate_stream **out) {
  spate_stream *in = NULL;
  int rc = translate(t, r->inputs[0], &in);
  if (rc) return rc;
  return add_calc(t, in, r->updating, r->u.calc.filter, r->u.calc.projs, r->names, r->ncols, r,
                  out);
}

static int watermark(tr *t, const sql_rel *r, spate_stream **out) {
  spate_stream *in = NULL;
  int rc = translate(t, r->inputs[0], &in);
  if (rc) return rc;
  spate_stream *s = spate_assign_timestamps(in, r->u.watermark.column, SPATE_WATERMARKS_BOUNDED,
                                            r->u.watermark.delay);
  if (!s) return fail_env(t);
  rc = name_node(t, s->node, r, "watermark");
  *out = s;
  return rc;
}

/* UNION ALL: the DataStream union of inputs of one schema. Each input is brought to it by a
 * calc where needed: the union's names (Flink's union takes the first input's), a column
 * nullable where any input's is (the compiler may make a column nullable that the validator
 * typed NOT NULL), and, when the union is updating, the row kind +I appended to an insert-only
 * input. */
static int union_all(tr *t, const sql_rel *r, spate_stream **out) {
  spate_stream **in = sql_arena_alloc(t->p->arena, sizeof *in * (size_t)(r->ninputs + 1));
  bool *nullable = sql_arena_alloc(t->p->arena, (size_t)r->ncols + 1);
  if (!in || !nullable) return SPATE_ENOMEM;
  for (int i = 0; i < r->ninputs; i++) {
    int rc = translate(t, r->inputs[i], &in[i]);
    if (rc) return rc;
    for (int c = 0; c < r->ncols; c++) nullable[c] |= in[i]->schema->fields[c].nullable;
  }
  spate_stream *u = NULL;
  for (int i = 0; i < r->ninputs; i++) {
    bool updating = r->inputs[i]->updating, add_kind = r->updating && !updating;
    bool same = !add_kind;
    for (int c = 0; same && c < r->ncols; c++)
      same = strcmp(in[i]->schema->fields[c].name, r->names[c]) == 0 &&
             in[i]->schema->fields[c].nullable == nullable[c];
    if (!same) {
      int n = r->ncols + add_kind;
      sql_expr **cols = sql_arena_alloc(t->p->arena, sizeof *cols * (size_t)(n + 1));
      const char **names = sql_arena_alloc(t->p->arena, sizeof *names * (size_t)(n + 1));
      if (!cols || !names) return SPATE_ENOMEM;
      for (int c = 0; c < r->ncols; c++) {
        const sql_type *ty = sql_type_with_nullable(r->types[c], nullable[c], t->p->arena);
        if (!ty || !(cols[c] = sql_expr_column(t->p->arena, c, ty))) return SPATE_ENOMEM;
        names[c] = r->names[c];
      }
      if (add_kind) { /* +I: the row kind's byte 0, TINYINT NOT NULL */
        sql_expr *k = sql_arena_alloc(t->p->arena, sizeof *k);
        sql_type *tt = sql_arena_alloc(t->p->arena, sizeof *tt);
        if (!k || !tt) return SPATE_ENOMEM;
        tt->kind = SQL_T_TINYINT;
        k->kind = SQL_E_LITERAL;
        k->type = tt;
        k->u.lit.kind = SQL_LIT_INTEGER;
        k->u.lit.i = ROW_KIND_INSERT;
        cols[r->ncols] = k;
        names[r->ncols] = ROW_KIND_FIELD_NAME;
      }
      int rc = add_calc(t, in[i], updating, NULL, cols, names, n, NULL, &in[i]);
      if (rc) return rc;
    }
    u = u ? spate_union(u, in[i]) : in[i];
    if (!u) return fail_env(t);
  }
  *out = u;
  return 0;
}

/* Flink's Expand: OP_SQL_CALC with one program per grouping set, each a projection of the input
 * with the set's absent keys NULL and its id as $e; every program has the node's output schema. */
static int expand(tr *t, const sql_rel *r, spate_stream **out) {
  spate_stream *in = NULL;
  int rc = translate(t, r->inputs[0], &in);
  if (rc) return rc;
  int n = r->u.expand.nsets, nc = r->ncols;
  op_blob *blobs = sp_calloc((size_t)n, sizeof *blobs);
  sql_expr **cols = sql_arena_alloc(t->p->arena, sizeof *cols * (size_t)(nc + 1));
  if (!blobs || !cols) {
    sp_free(blobs);
    return SPATE_ENOMEM;
  }
  spate_schema *schema = NULL;
  for (int s = 0; !rc && s < n; s++) {
    for (int c = 0; !rc && c < nc - 1; c++) {
      if (sql_rel_expand_nulls(r, s, c)) {
        sql_expr *nl = sql_arena_alloc(t->p->arena, sizeof *nl);
        if (!nl)
          rc = SPATE_ENOMEM;
        else {
          nl->kind = SQL_E_LITERAL;
          nl->type = r->types[c];
          nl->u.lit.kind = SQL_LIT_NULL;
          cols[c] = nl;
        }
      } else if (!(cols[c] = sql_expr_column(t->p->arena, c, r->types[c]))) {
        rc = SPATE_ENOMEM;
      }
    }
    sql_expr *id = rc ? NULL : sql_arena_alloc(t->p->arena, sizeof *id);
    if (!rc && !id) rc = SPATE_ENOMEM;
    if (rc) break;
    id->kind = SQL_E_LITERAL;
    id->type = r->types[nc - 1];
    id->u.lit.kind = SQL_LIT_INTEGER;
    id->u.lit.i = (int64_t)r->u.expand.ids[s];
    cols[nc - 1] = id;
    uint8_t *prog = NULL;
    size_t len = 0;
    spate_schema *ps = NULL;
    rc = compile_calc(t, in->schema, r->updating, NULL, cols, r->names, nc, &prog, &len, &ps);
    if (rc) break;
    blobs[s] = (op_blob){prog, (uint32_t)len};
    if (!schema) {
      schema = ps;
    } else {
      bool same = schema_equal(ps, schema);
      schema_unref(ps);
      if (!same) rc = fail_msg(t, "the programs of an Expand differ in their output types");
    }
  }
  spate_stream *x = NULL;
  if (!rc && !api_keep_schema(t->env, schema)) {
    schema = NULL;
    rc = fail_env(t);
  } else if (rc && schema) {
    schema_unref(schema);
  }
  if (!rc && !(x = api_one_input(in, OP_SQL_CALC, "sql", "Expand", NULL, schema))) rc = fail_env(t);
  if (!rc) {
    op_sql_calc_params params = {.program = {(uint32_t)n, blobs}};
    if (!api_set_params(t->env, x->node, &params)) rc = fail_env(t);
  }
  for (int s = 0; s < n; s++) sp_free((void *)blobs[s].data);
  sp_free(blobs);
  if (rc) return rc;
  *out = x;
  return name_node(t, x->node, r, "expand");
}

/* The aggregate calls as the operators' parallel lists. */
typedef struct agg_lists {
  int32_t *kinds, *args, *distinct, *filters;
} agg_lists;

static int agg_lists_make(tr *t, const sql_agg_call *aggs, int n, agg_lists *l) {
  l->kinds = sql_arena_alloc(t->p->arena, sizeof(int32_t) * (size_t)(n + 1));
  l->args = sql_arena_alloc(t->p->arena, sizeof(int32_t) * (size_t)(n + 1));
  l->distinct = sql_arena_alloc(t->p->arena, sizeof(int32_t) * (size_t)(n + 1));
  l->filters = sql_arena_alloc(t->p->arena, sizeof(int32_t) * (size_t)(n + 1));
  if (!l->kinds || !l->args || !l->distinct || !l->filters) return SPATE_ENOMEM;
  for (int i = 0; i < n; i++) {
    l->kinds[i] = aggs[i].kind;
    l->args[i] = aggs[i].arg;
    l->distinct[i] = aggs[i].distinct;
    l->filters[i] = aggs[i].filter;
  }
  return 0;
}

/* The stream keyed for an aggregation: by the group columns, or (none) by a constant column the
 * calc appends, at parallelism 1. *global says which. */
static int keyed_input(tr *t, spate_stream *in, bool updating, const int *group, int ngroup,
                       const sql_rel *below, spate_stream **out, bool *global) {
  *global = ngroup == 0;
  if (!*global) {
    *out = spate_key_by_fields(in, group, ngroup);
    return *out ? 0 : fail_env(t);
  }
  int n = below->ncols;
  sql_expr **cols = sql_arena_alloc(t->p->arena, sizeof *cols * (size_t)(n + 2));
  const char **names = sql_arena_alloc(t->p->arena, sizeof *names * (size_t)(n + 2));
  sql_expr *zero = sql_arena_alloc(t->p->arena, sizeof *zero);
  sql_type *it = sql_arena_alloc(t->p->arena, sizeof *it);
  if (!cols || !names || !zero || !it) return SPATE_ENOMEM;
  for (int i = 0; i < n; i++) {
    if (!(cols[i] = sql_expr_column(t->p->arena, i, below->types[i]))) return SPATE_ENOMEM;
    names[i] = below->names[i];
  }
  it->kind = SQL_T_INT;
  zero->kind = SQL_E_LITERAL;
  zero->type = it;
  zero->u.lit.kind = SQL_LIT_INTEGER;
  cols[n] = zero;
  names[n] = "$singleton";
  spate_stream *c = NULL;
  int rc = add_calc(t, in, updating, NULL, cols, names, n + 1, NULL, &c);
  if (rc) return rc;
  /* the row kind stays last: the constant is field n, before it */
  *out = spate_key_by(c, n);
  return *out ? 0 : fail_env(t);
}

static int out_schema(tr *t, const sql_rel *r, bool with_kind, spate_schema **out) {
  char err[512];
  int rc = sql_row_schema(r->names, r->types, r->ncols, with_kind, out, err, sizeof err);
  if (rc) return rc == SPATE_ENOMEM ? rc : fail_msg(t, err);
  return api_keep_schema(t->env, *out) ? 0 : fail_env(t);
}

static int aggregate(tr *t, const sql_rel *r, spate_stream **out) {
  const sql_rel *below = r->inputs[0];
  spate_stream *in = NULL;
  int rc = translate(t, below, &in);
  if (rc) return rc;
  bool global;
  spate_stream *keyed = NULL;
  rc = keyed_input(t, in, below->updating, r->u.agg.group, r->u.agg.ngroup, below, &keyed, &global);
  if (rc) return rc;
  spate_schema *schema = NULL;
  rc = out_schema(t, r, true, &schema);
  if (rc) return rc;
  spate_stream *s = api_one_input(keyed, OP_SQL_GROUP_AGG, "sql", "GroupAggregate", NULL, schema);
  if (!s) return fail_env(t);
  agg_lists l;
  if (agg_lists_make(t, r->u.agg.aggs, r->u.agg.naggs, &l)) return SPATE_ENOMEM;
  uint32_t na = (uint32_t)r->u.agg.naggs;
  int64_t ttl = sp_config_duration_ms(t->p->config, "table.exec.state.ttl");
  op_sql_group_agg_params params = {
      .input_updating = below->updating,
      .group_fields = {(uint32_t)r->u.agg.ngroup, r->u.agg.group},
      .agg_kinds = {na, l.kinds},
      .agg_args = {na, l.args},
      .agg_distinct = {na, l.distinct},
      .agg_filters = {na, l.filters},
      .state_ttl_ms = ttl > 0 ? ttl : 0,
      .update_before = (r->changes & SQL_CL_UPDATE_BEFORE) != 0,
  };
  if (!api_set_params(t->env, s->node, &params)) return fail_env(t);
  if (global) one_task(t, s->node);
  *out = s;
  return name_node(t, s->node, r, "group-aggregate");
}

/* A regular join: each input hashed on its key columns, into OP_SQL_JOIN with the residual
 * condition compiled over the joined row. */
static int join(tr *t, const sql_rel *r, spate_stream **out) {
  spate_stream *keyed[2];
  bool singleton = r->u.join.nkeys == 0;
  for (int i = 0; i < 2; i++) {
    spate_stream *in = NULL;
    const sql_rel *below = r->inputs[i];
    int rc = translate(t, below, &in);
    if (rc) return rc;
    if (singleton) { /* keyed on a constant: one task holds both sides */
      bool global;
      rc = keyed_input(t, in, below->updating, NULL, 0, below, &keyed[i], &global);
      if (rc) return rc;
      continue;
    }
    keyed[i] = spate_key_by_fields(in, i ? r->u.join.rkeys : r->u.join.lkeys, r->u.join.nkeys);
    if (!keyed[i]) return fail_env(t);
  }
  spate_schema *schema = NULL;
  int rc = out_schema(t, r, r->updating, &schema);
  if (rc) return rc;
  uint8_t *prog = NULL;
  size_t len = 0;
  if (r->u.join.residual) {
    sql_expr **cols = columns(t, r->types, r->ncols);
    if (!cols) return SPATE_ENOMEM;
    spate_schema *ps = NULL;
    rc = compile_calc(t, schema, r->updating, r->u.join.residual, cols, r->names, r->ncols, &prog,
                      &len, &ps);
    schema_unref(ps);
    if (rc) return rc;
  }
  spate_stream *c = spate_connect(keyed[0], keyed[1]);
  spate_stream *s = c ? api_one_input(c, OP_SQL_JOIN, "sql", "Join", NULL, schema) : NULL;
  if (!s) {
    sp_free(prog);
    return fail_env(t);
  }
  op_blob blob = {prog, (uint32_t)len};
  int64_t ttl = sp_config_duration_ms(t->p->config, "table.exec.state.ttl");
  op_sql_join_params params = {
      .join_type = (uint8_t)r->u.join.type,
      .left_updating = r->inputs[0]->updating,
      .right_updating = r->inputs[1]->updating,
      .output_updating = r->updating,
      .condition = {prog ? 1 : 0, &blob},
      .state_ttl_ms = ttl > 0 ? ttl : 0,
      .singleton = singleton,
  };
  bool ok = api_set_params(t->env, s->node, &params);
  sp_free(prog);
  if (!ok) return fail_env(t);
  if (singleton) one_task(t, s->node);
  *out = s;
  return name_node(t, s->node, r, "join");
}

/* A Top-N or deduplication: the input hashed on the PARTITION BY columns (without them, keyed
 * on a constant column at parallelism 1), into OP_SQL_RANK or OP_SQL_DEDUPLICATE. */
static int rank(tr *t, const sql_rel *r, spate_stream **out) {
  if (r->kind == SQL_REL_RANK && r->u.over.rank_fn != SQL_FN_ROW_NUMBER)
    return sql_plan_fail(t->p, NULL, true, "%s() on streaming table is not supported currently",
                         sql_fn_name(r->u.over.rank_fn));
  const sql_rel *below = r->inputs[0];
  spate_stream *in = NULL;
  int rc = translate(t, below, &in);
  if (rc) return rc;
  bool singleton;
  spate_stream *keyed = NULL;
  rc = keyed_input(t, in, below->updating, r->u.over.partition, r->u.over.npartition, below, &keyed,
                   &singleton);
  if (rc) return rc;
  spate_schema *schema = NULL;
  rc = out_schema(t, r, r->updating, &schema);
  if (rc) return rc;
  int64_t ttl = sp_config_duration_ms(t->p->config, "table.exec.state.ttl");
  bool before = (r->changes & SQL_CL_UPDATE_BEFORE) != 0;
  spate_stream *s;
  if (r->kind == SQL_REL_DEDUPLICATE) {
    s = api_one_input(keyed, OP_SQL_DEDUPLICATE, "sql", "Deduplicate", NULL, schema);
    if (!s) return fail_env(t);
    op_sql_deduplicate_params params = {
        .keep_last = r->u.over.keep_last,
        .time_field = r->u.over.proctime ? -1 : r->u.over.order[0],
        .update_before = before,
        .state_ttl_ms = ttl > 0 ? ttl : 0,
        .singleton = singleton,
    };
    if (!api_set_params(t->env, s->node, &params)) return fail_env(t);
  } else {
    s = api_one_input(keyed, OP_SQL_RANK, "sql", "Rank", NULL, schema);
    if (!s) return fail_env(t);
    int no = r->u.over.norder;
    int32_t *desc = sql_arena_alloc(t->p->arena, sizeof *desc * (size_t)(2 * no + 1));
    if (!desc) return SPATE_ENOMEM;
    for (int i = 0; i < no; i++) {
      desc[i] = r->u.over.desc[i];
      desc[no + i] = r->u.over.nulls_first[i];
    }
    op_sql_rank_params params = {
        .strategy = below->updating ? OP_SQL_RANK_RETRACT : OP_SQL_RANK_APPEND,
        .order_fields = {(uint32_t)no, r->u.over.order},
        .order_desc = {(uint32_t)no, desc},
        .order_nulls_first = {(uint32_t)no, desc + no},
        .rank_start = r->u.over.rank_start,
        .rank_end = r->u.over.rank_end,
        .output_number = r->u.over.output_number,
        .update_before = before,
        .state_ttl_ms = ttl > 0 ? ttl : 0,
        .singleton = singleton,
    };
    if (!api_set_params(t->env, s->node, &params)) return fail_env(t);
  }
  if (singleton) one_task(t, s->node);
  *out = s;
  return name_node(t, s->node, r, r->kind == SQL_REL_RANK ? "rank" : "deduplicate");
}

/* An OVER aggregation: the input hashed on the PARTITION BY columns (without them, keyed on a
 * constant column at parallelism 1), into OP_SQL_OVER_AGG. */
static int over_agg(tr *t, const sql_rel *r, spate_stream **out) {
  const sql_rel *below = r->inputs[0];
  spate_stream *in = NULL;
  int rc = translate(t, below, &in);
  if (rc) return rc;
  bool singleton;
  spate_stream *keyed = NULL;
  rc = keyed_input(t, in, false, r->u.over.partition, r->u.over.npartition, below, &keyed,
                   &singleton);
  if (rc) return rc;
  spate_schema *schema = NULL;
  rc = out_schema(t, r, false, &schema);
  if (rc) return rc;
  spate_stream *s = api_one_input(keyed, OP_SQL_OVER_AGG, "sql", "OverAggregate", NULL, schema);
  if (!s) return fail_env(t);
  agg_lists l;
  if (agg_lists_make(t, r->u.over.aggs, r->u.over.ncalls, &l)) return SPATE_ENOMEM;
  uint32_t na = (uint32_t)r->u.over.ncalls;
  int order = r->u.over.order[0];
  int64_t ttl = sp_config_duration_ms(t->p->config, "table.exec.state.ttl");
  op_sql_over_agg_params params = {
      .time_field = below->attrs[order] == SQL_ATTR_ROWTIME ? order : -1,
      .rows = r->u.over.rows,
      .preceding = r->u.over.preceding,
      .agg_kinds = {na, l.kinds},
      .agg_args = {na, l.args},
      .agg_distinct = {na, l.distinct},
      .agg_filters = {na, l.filters},
      .state_ttl_ms = ttl > 0 ? ttl : 0,
      .singleton = singleton,
  };
  if (!api_set_params(t->env, s->node, &params)) return fail_env(t);
  if (singleton) one_task(t, s->node);
  *out = s;
  return name_node(t, s->node, r, "over-aggregate");
}

static int window_agg(tr *t, const sql_rel *r, spate_stream **out) {
  const sql_rel *below = r->inputs[0];
  spate_stream *in = NULL;
  int rc = translate(t, below, &in);
  if (rc) return rc;
  bool global;
  spate_stream *keyed = NULL;
  rc = keyed_input(t, in, false, r->u.window.group, r->u.window.ngroup, below, &keyed, &global);
  if (rc) return rc;
  spate_schema *schema = NULL;
  rc = out_schema(t, r, false, &schema);
  if (rc) return rc;
  spate_stream *s = api_one_input(keyed, OP_SQL_WINDOW_AGG, "sql", "WindowAggregate", NULL, schema);
  if (!s) return fail_env(t);
  agg_lists l;
  if (agg_lists_make(t, r->u.window.aggs, r->u.window.naggs, &l)) return SPATE_ENOMEM;
  uint32_t na = (uint32_t)r->u.window.naggs;
  sql_window_kind k = r->u.window.window;
  op_sql_window_agg_params params = {
      .window = (uint8_t)k,
      .size = k == SQL_WINDOW_SESSION ? 0 : r->u.window.size,
      .slide = k == SQL_WINDOW_HOP ? r->u.window.slide : 0,
      .step = k == SQL_WINDOW_CUMULATE ? r->u.window.slide : 0,
      .gap = k == SQL_WINDOW_SESSION ? r->u.window.size : 0,
      .offset = r->u.window.offset,
      .time_field = r->u.window.proctime ? -1 : r->u.window.time_col,
      .input_updating = false,
      .group_fields = {(uint32_t)r->u.window.ngroup, r->u.window.group},
      .agg_kinds = {na, l.kinds},
      .agg_args = {na, l.args},
      .agg_distinct = {na, l.distinct},
      .agg_filters = {na, l.filters},
      .emit_start = true,
      .emit_end = true,
      .emit_time = true,
  };
  if (!api_set_params(t->env, s->node, &params)) return fail_env(t);
  if (global) one_task(t, s->node);
  *out = s;
  return name_node(t, s->node, r, "window-aggregate");
}

/* A window table function on its own: OP_SQL_WINDOW_TVF, the input's columns (as the input
 * stream has them) and the three window columns. */
static int window_tvf(tr *t, const sql_rel *r, spate_stream **out) {
  const sql_rel *below = r->inputs[0];
  spate_stream *in = NULL;
  int rc = translate(t, below, &in);
  if (rc) return rc;
  if (r->u.tvf.window == SQL_WINDOW_SESSION)
    return fail_msg(t,
                    "A SESSION window table function is only supported under a window "
                    "aggregation in Spate yet");
  int n = below->ncols;
  const sql_type **types = sql_arena_alloc(t->p->arena, sizeof *types * (size_t)(r->ncols + 1));
  if (!types) return SPATE_ENOMEM;
  for (int i = 0; i < r->ncols; i++) {
    bool nullable = i < n ? in->schema->fields[i].nullable : false;
    if (!(types[i] = sql_type_with_nullable(r->types[i], nullable, t->p->arena)))
      return SPATE_ENOMEM;
  }
  char err[512];
  spate_schema *schema = NULL;
  rc = sql_row_schema(r->names, types, r->ncols, false, &schema, err, sizeof err);
  if (rc) return rc == SPATE_ENOMEM ? rc : fail_msg(t, err);
  if (!api_keep_schema(t->env, schema)) return fail_env(t);
  spate_stream *s =
      api_one_input(in, OP_SQL_WINDOW_TVF, "sql", "WindowTableFunction", NULL, schema);
  if (!s) return fail_env(t);
  sql_window_kind k = r->u.tvf.window;
  op_sql_window_tvf_params params = {
      .window = (uint8_t)k,
      .size = r->u.tvf.size,
      .slide = k == SQL_WINDOW_HOP ? r->u.tvf.slide : 0,
      .step = k == SQL_WINDOW_CUMULATE ? r->u.tvf.slide : 0,
      .offset = r->u.tvf.offset,
      .time_field = r->u.tvf.proctime ? -1 : r->u.tvf.time_col,
  };
  if (!api_set_params(t->env, s->node, &params)) return fail_env(t);
  *out = s;
  return name_node(t, s->node, r, "window-table-function");
}

/* A stream that is one node (a union is not): a pass-through calc where needed. */
static int real_node(tr *t, spate_stream *in, const sql_rel *r, spate_stream **out) {
  if (in->node >= 0) {
    *out = in;
    return 0;
  }
  sql_expr **cols = columns(t, r->types, r->ncols);
  if (!cols) return SPATE_ENOMEM;
  return add_calc(t, in, r->updating, NULL, cols, r->names, r->ncols, NULL, out);
}

static int sink(tr *t, const sql_rel *r, spate_stream **out) {
  const sql_rel *below = r->inputs[0];
  spate_stream *in = NULL;
  int rc = translate(t, below, &in);
  if (rc) return rc;
  if (r->u.sink.table) {
    rc = real_node(t, in, below, &in);
    if (rc) return rc;
    /* Flink names the node the changes come from: below the calcs, watermark assigners and
     * unions that pass them on */
    const sql_rel *from = below;
    while (from->kind == SQL_REL_CALC || from->kind == SQL_REL_WATERMARK ||
           from->kind == SQL_REL_UNION) {
      const sql_rel *next = NULL;
      for (int i = 0; i < from->ninputs && !next; i++)
        if (from->inputs[i]->updating) next = from->inputs[i];
      if (!next) break;
      from = next;
    }
    sp_strbuf producer = {0};
    if (sql_rel_describe(from, &producer)) return SPATE_ENOMEM;
    char err[4096];
    rc = sql_sink_add(t->env->g, r->u.sink.table, in->node, in->schema, below->updating,
                      (below->changes & SQL_CL_DELETE) != 0, producer.data, t->p->config,
                      updating_parallelism(t, in, below->updating), err, sizeof err);
    sp_strbuf_free(&producer);
    if (rc) return rc == SPATE_ENOMEM ? rc : fail_msg(t, err);
    *out = in;
    return 0;
  }
  /* the client's result: every column as its SQL text */
  int n = r->ncols;
  sql_expr **casts = sql_arena_alloc(t->p->arena, sizeof *casts * (size_t)(n + 1));
  sql_type *str = sql_arena_alloc(t->p->arena, sizeof *str);
  if (!casts || !str) return SPATE_ENOMEM;
  str->kind = SQL_T_VARCHAR;
  str->length = SQL_MAX_LENGTH;
  str->nullable = true;
  for (int i = 0; i < n; i++) {
    sql_expr *c = sql_expr_column(t->p->arena, i, below->types[i]);
    sql_expr *cast = sql_arena_alloc(t->p->arena, sizeof *cast);
    if (!c || !cast) return SPATE_ENOMEM;
    cast->kind = SQL_E_CAST;
    cast->type = str;
    cast->u.cast.arg = c;
    casts[i] = cast;
  }
  spate_stream *s = NULL;
  rc = add_calc(t, in, below->updating, NULL, casts, r->names, n, NULL, &s);
  if (rc) return rc;
  s = spate_collect(s, t->p->collect_name ? t->p->collect_name : SQL_RESULT_COLLECT);
  if (!s) return fail_env(t);
  t->env->g->nodes[s->node].parallelism = 1; /* one subtask: the result's order is the changes' */
  *out = s;
  return 0;
}

static int translate(tr *t, const sql_rel *r, spate_stream **out) {
  switch (r->kind) {
  case SQL_REL_SCAN: return scan(t, r, out);
  case SQL_REL_VALUES: return values(t, r, out);
  case SQL_REL_CALC: return calc(t, r, out);
  case SQL_REL_WATERMARK: return watermark(t, r, out);
  case SQL_REL_UNION: return union_all(t, r, out);
  case SQL_REL_AGGREGATE: return aggregate(t, r, out);
  case SQL_REL_JOIN: return join(t, r, out);
  case SQL_REL_WINDOW_AGG: return window_agg(t, r, out);
  case SQL_REL_EXPAND: return expand(t, r, out);
  case SQL_REL_SINK: return sink(t, r, out);
  case SQL_REL_WINDOW_TVF: return window_tvf(t, r, out);
  case SQL_REL_RANK:
  case SQL_REL_DEDUPLICATE: return rank(t, r, out);
  case SQL_REL_OVER: return over_agg(t, r, out);
  }
  return sql_plan_fail(t->p, NULL, true, "relation %d cannot run", r->id);
}

int sql_translate(sql_planner *p, const sql_rel *root, spate_env *env) {
  tr t = {p, env, NULL};
  if (sp_config_is_set(p->config, "table.local-time-zone"))
    t.tz = sp_config_str(p->config, "table.local-time-zone");
  spate_stream *s = NULL;
  int rc = translate(&t, root, &s);
  if (!rc && env->failed) rc = fail_env(&t);
  return rc;
}
