/*
 * stream_graph.c: the StreamGraph the API builds (one node per transformation, one edge per
 * input), the names of its enums, and the validation of a resolved node array.
 *
 * The checks in sg_check_nodes are shared by jobgraph_build (job_graph.c), which runs them on
 * the graph the API built once defaults are filled in, and by jobgraph_decode (graph_codec.c),
 * which runs them on untrusted bytes: whatever the builder accepts the decoder accepts, and the
 * runtime may index with a decoded graph without further checks.
 */
#include "graph/stream_graph.h"

#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "graph/graph_internal.h"

#define MAX_PARALLELISM_LIMIT 32768 /* Flink's UPPER_BOUND_MAX_PARALLELISM */

/* ---- StreamGraph ---------------------------------------------------------------------------- */

stream_graph *sg_new(const char *job_name) {
  stream_graph *g = sp_calloc(1, sizeof *g);
  if (!g) return NULL;
  g->job_name = sp_strdup(job_name ? job_name : "Spate Streaming Job");
  if (!g->job_name) {
    sp_free(g);
    return NULL;
  }
  g->default_parallelism = 1;
  g->default_max_parallelism = 0;
  g->chaining_enabled = true;
  g->buffer_timeout_ms = 100;
  g->buffer_size = 32 * 1024;
  return g;
}

void key_spec_free(key_spec *k) {
  if (!k) return;
  sp_free(k->fields);
  sp_free(k->selector);
  if (k->key_schema) schema_unref(k->key_schema);
  memset(k, 0, sizeof *k);
}

int key_spec_copy(key_spec *dst, const key_spec *src) {
  memset(dst, 0, sizeof *dst);
  if (src->nfields > 0) {
    dst->fields = sp_malloc((size_t)src->nfields * sizeof(int));
    if (!dst->fields) goto oom;
    memcpy(dst->fields, src->fields, (size_t)src->nfields * sizeof(int));
  }
  dst->nfields = src->nfields;
  if (src->selector && !(dst->selector = sp_strdup(src->selector))) goto oom;
  if (src->key_schema) dst->key_schema = schema_ref(src->key_schema);
  return 0;
oom:
  key_spec_free(dst);
  return SPATE_ENOMEM;
}

static void edge_free(sg_edge *e) {
  key_spec_free(&e->key);
  sp_free(e->partition_fn);
  sp_free(e->side_tag);
  if (e->side_schema) schema_unref(e->side_schema);
}

/* Releases everything a node owns; the node struct itself belongs to its array. */
void sg_node_free(sg_node *n) {
  sp_free(n->name);
  sp_free(n->uid);
  if (n->out_schema) schema_unref(n->out_schema);
  sp_free(n->udf);
  sp_free(n->open_fn);
  sp_free(n->close_fn);
  sp_free(n->udf_arg);
  sp_free(n->params);
  sp_free(n->slot_group);
  for (int i = 0; i < n->ninputs; i++) edge_free(&n->inputs[i]);
  sp_free(n->inputs);
  key_spec_free(&n->key);
}

void sg_free(stream_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->nnodes; i++) sg_node_free(&g->nodes[i]);
  sp_free(g->nodes);
  sp_free(g->job_name);
  sp_free(g->artifact);
  sp_free(g->conf);
  sp_free(g);
}

sg_node *sg_add_node(stream_graph *g, op_kind kind, const char *name) {
  if (g->nnodes == g->cap) {
    int cap = g->cap ? g->cap * 2 : 8;
    sg_node *nodes = sp_realloc(g->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes) return NULL;
    g->nodes = nodes;
    g->cap = cap;
  }
  sg_node *n = &g->nodes[g->nnodes];
  memset(n, 0, sizeof *n);
  n->name = sp_strdup(name ? name : op_kind_name(kind));
  if (!n->name) return NULL;
  n->id = g->nnodes++;
  n->kind = kind;
  n->chaining = CHAIN_ALWAYS;
  return n;
}

sg_edge *sg_add_input(stream_graph *g, int target, int source, part_kind part) {
  if (target < 0 || target >= g->nnodes) return NULL;
  sg_node *n = &g->nodes[target];
  sg_edge *inputs = sp_realloc(n->inputs, (size_t)(n->ninputs + 1) * sizeof *inputs);
  if (!inputs) return NULL;
  n->inputs = inputs;
  sg_edge *e = &inputs[n->ninputs++];
  memset(e, 0, sizeof *e);
  e->source = source;
  e->part = part;
  return e;
}

bool op_is_source(op_kind k) {
  return (k >= OP_SRC_ELEMENTS && k <= OP_SRC_SOCKET) || k == OP_SRC_NEXMARK || k == OP_SRC_DATAGEN;
}
bool op_is_sink(op_kind k) {
  return (k >= OP_SINK_PRINT && k <= OP_SINK_UDF) || k == OP_SINK_FILE || k == OP_SINK_TWO_PHASE ||
         k == OP_PARTITION_COMMIT;
}
bool op_is_keyed(op_kind k) {
  return k == OP_REDUCE || k == OP_AGG || k == OP_WINDOW || k == OP_SQL_GROUP_AGG ||
         k == OP_SQL_WINDOW_AGG || k == OP_SQL_RANK || k == OP_SQL_DEDUPLICATE ||
         k == OP_SQL_OVER_AGG;
}

const char *op_kind_name(op_kind k) {
  switch (k) {
  case OP_SRC_ELEMENTS: return "SOURCE_ELEMENTS";
  case OP_SRC_FILE: return "SOURCE_FILE";
  case OP_SRC_SEQUENCE: return "SOURCE_SEQUENCE";
  case OP_SRC_GENERATOR: return "SOURCE_GENERATOR";
  case OP_SRC_SOCKET: return "SOURCE_SOCKET";
  case OP_SRC_NEXMARK: return "SOURCE_NEXMARK";
  case OP_MAP: return "MAP";
  case OP_FLAT_MAP: return "FLAT_MAP";
  case OP_FILTER: return "FILTER";
  case OP_REDUCE: return "REDUCE";
  case OP_AGG: return "AGGREGATE";
  case OP_SINK_PRINT: return "SINK_PRINT";
  case OP_SINK_TEXT: return "SINK_TEXT";
  case OP_SINK_DISCARD: return "SINK_DISCARD";
  case OP_SINK_COLLECT: return "SINK_COLLECT";
  case OP_SINK_UDF: return "SINK_UDF";
  case OP_TIMESTAMPS: return "TIMESTAMPS_WATERMARKS";
  case OP_SINK_FILE: return "SINK_FILE";
  case OP_SINK_TWO_PHASE: return "SINK_TWO_PHASE";
  case OP_PARTITION_COMMIT: return "PARTITION_COMMIT";
  case OP_PROCESS: return "PROCESS";
  case OP_WINDOW: return "WINDOW";
  case OP_CO_PROCESS: return "CO_PROCESS";
  case OP_INTERVAL_JOIN: return "INTERVAL_JOIN";
  case OP_WINDOW_JOIN: return "WINDOW_JOIN";
  case OP_SQL_CALC: return "SQL_CALC";
  case OP_SQL_GROUP_AGG: return "SQL_GROUP_AGGREGATE";
  case OP_SQL_WINDOW_AGG: return "SQL_WINDOW_AGGREGATE";
  case OP_SRC_DATAGEN: return "SOURCE_DATAGEN";
  case OP_SQL_WINDOW_TVF: return "SQL_WINDOW_TABLE_FUNCTION";
  case OP_SQL_JOIN: return "SQL_JOIN";
  case OP_SQL_RANK: return "SQL_RANK";
  case OP_SQL_DEDUPLICATE: return "SQL_DEDUPLICATE";
  case OP_SQL_OVER_AGG: return "SQL_OVER_AGGREGATE";
  default: return "UNKNOWN";
  }
}

const char *part_kind_name(part_kind p) {
  switch (p) {
  case PART_UNSET: return "UNSET";
  case PART_FORWARD: return "FORWARD";
  case PART_REBALANCE: return "REBALANCE";
  case PART_RESCALE: return "RESCALE";
  case PART_SHUFFLE: return "SHUFFLE";
  case PART_BROADCAST: return "BROADCAST";
  case PART_GLOBAL: return "GLOBAL";
  case PART_CUSTOM: return "CUSTOM";
  case PART_HASH: return "HASH";
  default: return "UNKNOWN";
  }
}

/* ---- validation shared by build and decode -------------------------------------------------- */

static bool key_present(const key_spec *k) { return k->nfields > 0 || k->selector != NULL; }

/* A key over rows of `in`: field keys must name existing fields. */
static int check_key(const key_spec *k, const spate_schema *in, const sg_node *n, const char *what,
                     int rc, char *err, size_t err_len) {
  if (k->nfields < 0)
    return sp_err(err, err_len, rc, "operator '%s' (id %d): %s has a negative field count", n->name,
                  n->id, what);
  if (!key_present(k))
    return sp_err(err, err_len, rc, "operator '%s' (id %d): %s is missing", n->name, n->id, what);
  for (int f = 0; f < k->nfields; f++) {
    if (k->fields[f] < 0 || k->fields[f] >= in->nfields)
      return sp_err(err, err_len, rc,
                    "operator '%s' (id %d): %s field index %d out of range (input has %d fields)",
                    n->name, n->id, what, k->fields[f], in->nfields);
  }
  return 0;
}

/* Inputs must come from earlier nodes: the API appends in topological order, and everything
 * after this (defaults, chaining) relies on it. */
int sg_check_input_order(const sg_node *nodes, int nnodes, int rc, char *err, size_t err_len) {
  for (int i = 0; i < nnodes; i++) {
    const sg_node *n = &nodes[i];
    if (n->ninputs < 0 || (n->ninputs > 0 && !n->inputs))
      return sp_err(err, err_len, rc, "node %d: bad input count %d", i, n->ninputs);
    for (int k = 0; k < n->ninputs; k++) {
      int s = n->inputs[k].source;
      if (s < 0 || s >= i)
        return sp_err(err, err_len, rc,
                      "operator '%s' (id %d): input %d references node %d, which is not an "
                      "earlier node of the graph",
                      n->name ? n->name : "?", i, k, s);
    }
  }
  return 0;
}

/* Checks a resolved node array (parallelism, slot groups and partitioners filled in). */
int sg_check_nodes(const sg_node *nodes, int nnodes, int rc, char *err, size_t err_len) {
  int r = sg_check_input_order(nodes, nnodes, rc, err, err_len);
  if (r) return r;
  for (int i = 0; i < nnodes; i++) {
    const sg_node *n = &nodes[i];
    if (!n->name) return sp_err(err, err_len, rc, "node %d has no name", i);
    if (n->id != i)
      return sp_err(err, err_len, rc, "operator '%s': id %d does not match its index %d", n->name,
                    n->id, i);
    if (n->kind < OP_SRC_ELEMENTS || n->kind >= OP_KIND_MAX_)
      return sp_err(err, err_len, rc, "operator '%s' (id %d): unknown kind %d", n->name, i,
                    (int)n->kind);
    if ((unsigned)n->chaining > CHAIN_NEVER)
      return sp_err(err, err_len, rc, "operator '%s' (id %d): unknown chaining strategy %d",
                    n->name, i, (int)n->chaining);
    if (n->max_parallelism <= 0 || n->max_parallelism > MAX_PARALLELISM_LIMIT)
      return sp_err(err, err_len, rc,
                    "operator '%s' (id %d): the maximum parallelism must be smaller than or "
                    "equal to %d and larger than 0, not %d",
                    n->name, i, MAX_PARALLELISM_LIMIT, n->max_parallelism);
    if (n->parallelism <= 0 || n->parallelism > n->max_parallelism)
      return sp_err(err, err_len, rc,
                    "operator '%s' (id %d): parallelism %d must be between 1 and the maximum "
                    "parallelism %d",
                    n->name, i, n->parallelism, n->max_parallelism);
    if (n->parallelism_fixed && n->parallelism != 1)
      return sp_err(err, err_len, rc,
                    "operator '%s' (id %d) is not parallel and must run with parallelism 1, not %d",
                    n->name, i, n->parallelism);
    if (!n->slot_group)
      return sp_err(err, err_len, rc, "operator '%s' (id %d) has no slot sharing group", n->name,
                    i);
    if ((n->udf_arg_len > 0 && !n->udf_arg) || (n->params_len > 0 && !n->params))
      return sp_err(err, err_len, rc, "operator '%s' (id %d): blob length without data", n->name,
                    i);
    if (n->key.nfields > 0 && !n->key.fields)
      return sp_err(err, err_len, rc, "operator '%s' (id %d): key without fields", n->name, i);

    if (op_is_source(n->kind)) {
      if (n->ninputs != 0)
        return sp_err(err, err_len, rc, "source '%s' (id %d) cannot have inputs", n->name, i);
      if (!n->out_schema)
        return sp_err(err, err_len, rc, "source '%s' (id %d) has no output schema", n->name, i);
      continue;
    }
    if (n->ninputs == 0)
      return sp_err(err, err_len, rc, "operator '%s' (id %d) has no input", n->name, i);
    if (!op_is_sink(n->kind) && !n->out_schema)
      return sp_err(err, err_len, rc, "operator '%s' (id %d) has no output schema", n->name, i);

    const spate_schema *in0 = sg_edge_schema(nodes, &n->inputs[0]);
    for (int k = 0; k < n->ninputs; k++) {
      const sg_edge *e = &n->inputs[k];
      const sg_node *up = &nodes[e->source];
      const spate_schema *carried = sg_edge_schema(nodes, e);
      if (e->side_tag && (!e->side_tag[0] || !e->side_schema))
        return sp_err(err, err_len, rc,
                      "operator '%s' (id %d): input %d reads a side output without tag or schema",
                      n->name, i, k);
      if (!carried)
        return sp_err(err, err_len, rc,
                      "operator '%s' (id %d): input %d comes from '%s', which produces no output",
                      n->name, i, k, up->name);
      bool two_inputs = n->kind == OP_CO_PROCESS || n->kind == OP_INTERVAL_JOIN ||
                        n->kind == OP_WINDOW_JOIN || n->kind == OP_SQL_JOIN;
      if (two_inputs && n->ninputs != 2)
        return sp_err(err, err_len, rc, "operator '%s' (id %d) needs exactly two inputs", n->name,
                      i);
      if (!two_inputs && !schema_equal(carried, in0)) {
        char *a = schema_to_string(in0), *b = schema_to_string(carried);
        r = sp_err(err, err_len, rc,
                   "operator '%s' (id %d): input %d has schema (%s) but input 0 has (%s); all "
                   "inputs of an operator must have the same schema",
                   n->name, i, k, b ? b : "?", a ? a : "?");
        sp_free(a);
        sp_free(b);
        return r;
      }
      if (e->part <= PART_UNSET || e->part > PART_HASH)
        return sp_err(err, err_len, rc, "operator '%s' (id %d): input %d has partitioner %d",
                      n->name, i, k, (int)e->part);
      if (e->part == PART_FORWARD && up->parallelism != n->parallelism)
        return sp_err(err, err_len, rc,
                      "Forward partitioning does not allow change of parallelism. Upstream "
                      "operation: %s-%d parallelism: %d, downstream operation: %s-%d "
                      "parallelism: %d You must use another partitioning strategy, such as "
                      "broadcast, rebalance, shuffle or global.",
                      up->name, up->id, up->parallelism, n->name, n->id, n->parallelism);
      if (e->part == PART_HASH || e->part == PART_CUSTOM) {
        if (e->key.nfields > 0 && !e->key.fields)
          return sp_err(err, err_len, rc, "operator '%s' (id %d): input %d key without fields",
                        n->name, i, k);
        r = check_key(&e->key, carried, n,
                      e->part == PART_HASH ? "hash partition key" : "custom partition key", rc, err,
                      err_len);
        if (r) return r;
      }
      if (e->part == PART_CUSTOM && !e->partition_fn)
        return sp_err(err, err_len, rc,
                      "operator '%s' (id %d): input %d uses custom partitioning without a "
                      "partition function",
                      n->name, i, k);
    }
    if (op_is_keyed(n->kind) || ((n->kind == OP_PROCESS || n->kind == OP_MAP ||
                                  n->kind == OP_FLAT_MAP || n->kind == OP_FILTER) &&
                                 (n->key.nfields > 0 || n->key.selector))) {
      r = check_key(&n->key, in0, n, "key of keyed operator", rc, err, err_len);
      if (r) return r;
    }
  }
  return 0;
}
