/*
 * stream_graph.c: the StreamGraph the API builds, and its translation into the chained JobGraph
 * (Flink's StreamingJobGraphGenerator), the JobGraph's byte encoding, and its JSON plan.
 *
 * jobgraph_build works on a deep copy of the StreamGraph's nodes: it fills in the defaults
 * (parallelism, max parallelism, slot sharing group, partitioner), validates the result with the
 * same checks the decoder runs on untrusted bytes (check_nodes), then chains. Because the API
 * appends nodes in topological order, every input has a smaller id than its consumer, so one
 * pass in id order can decide chaining: a node either joins the vertex of its single input or
 * heads a new vertex. Vertex ids then follow head ids, which is a topological order of vertices
 * (a job edge always ends at a head, and a head has a larger id than every node feeding it).
 *
 * Encoding: "SPJG", u32 version, the graph, then a u32 checksum over everything before it. The
 * decoder checks the checksum first, but still validates every count, index and enum, because a
 * checksum only catches accidents, and a graph from a buggy or hostile peer must not crash us.
 */
#include "graph/stream_graph.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"

#define JG_MAGIC "SPJG"
#define JG_VERSION 2u
#define MAX_PARALLELISM_LIMIT 32768 /* Flink's UPPER_BOUND_MAX_PARALLELISM */
#define DEFAULT_SLOT_GROUP "default"

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
static void node_free(sg_node *n) {
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
  for (int i = 0; i < g->nnodes; i++) node_free(&g->nodes[i]);
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

bool op_is_source(op_kind k) { return k >= OP_SRC_ELEMENTS && k <= OP_SRC_SOCKET; }
bool op_is_sink(op_kind k) {
  return (k >= OP_SINK_PRINT && k <= OP_SINK_UDF) || k == OP_SINK_FILE || k == OP_SINK_TWO_PHASE;
}
bool op_is_keyed(op_kind k) { return k == OP_REDUCE || k == OP_AGG || k == OP_WINDOW; }

const char *op_kind_name(op_kind k) {
  switch (k) {
  case OP_SRC_ELEMENTS: return "SOURCE_ELEMENTS";
  case OP_SRC_FILE: return "SOURCE_FILE";
  case OP_SRC_SEQUENCE: return "SOURCE_SEQUENCE";
  case OP_SRC_GENERATOR: return "SOURCE_GENERATOR";
  case OP_SRC_SOCKET: return "SOURCE_SOCKET";
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
  case OP_PROCESS: return "PROCESS";
  case OP_WINDOW: return "WINDOW";
  case OP_CO_PROCESS: return "CO_PROCESS";
  case OP_INTERVAL_JOIN: return "INTERVAL_JOIN";
  case OP_WINDOW_JOIN: return "WINDOW_JOIN";
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
    return sp_err(err, err_len, rc, "operator '%s' (id %d): %s has a negative field count",
                  n->name, n->id, what);
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
static int check_input_order(const sg_node *nodes, int nnodes, int rc, char *err, size_t err_len) {
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
static int check_nodes(const sg_node *nodes, int nnodes, int rc, char *err, size_t err_len) {
  int r = check_input_order(nodes, nnodes, rc, err, err_len);
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
      bool two_inputs =
          n->kind == OP_CO_PROCESS || n->kind == OP_INTERVAL_JOIN || n->kind == OP_WINDOW_JOIN;
      if (two_inputs && n->ninputs != 2)
        return sp_err(err, err_len, rc, "operator '%s' (id %d) needs exactly two inputs", n->name, i);
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
        r = check_key(&e->key, carried, n, e->part == PART_HASH ? "hash partition key"
                                                                        : "custom partition key",
                      rc, err, err_len);
        if (r) return r;
      }
      if (e->part == PART_CUSTOM && !e->partition_fn)
        return sp_err(err, err_len, rc,
                      "operator '%s' (id %d): input %d uses custom partitioning without a "
                      "partition function",
                      n->name, i, k);
    }
    if (op_is_keyed(n->kind) ||
        (n->kind == OP_PROCESS && (n->key.nfields > 0 || n->key.selector))) {
      r = check_key(&n->key, in0, n, "key of keyed operator", rc, err, err_len);
      if (r) return r;
    }
  }
  return 0;
}

/* ---- JobGraph build ------------------------------------------------------------------------- */

void jobgraph_free(job_graph *jg) {
  if (!jg) return;
  sp_free(jg->conf);
  sp_free(jg->job_name);
  sp_free(jg->artifact);
  if (jg->nodes)
    for (int i = 0; i < jg->nnodes; i++) node_free(&jg->nodes[i]);
  sp_free(jg->nodes);
  sp_free(jg->node_vertex);
  if (jg->vertices) {
    for (int v = 0; v < jg->nvertices; v++) {
      jg_vertex *x = &jg->vertices[v];
      sp_free(x->name);
      sp_free(x->slot_group);
      sp_free(x->nodes);
      sp_free(x->inputs);
      sp_free(x->outputs);
    }
  }
  sp_free(jg->vertices);
  sp_free(jg->edges);
  sp_free(jg);
}

static int dup_str(char **dst, const char *src) {
  *dst = NULL;
  if (!src) return 0;
  *dst = sp_strdup(src);
  return *dst ? 0 : SPATE_ENOMEM;
}

static int dup_blob(uint8_t **dst, const uint8_t *src, size_t len) {
  *dst = NULL;
  if (!src || len == 0) return 0;
  *dst = sp_malloc(len);
  if (!*dst) return SPATE_ENOMEM;
  memcpy(*dst, src, len);
  return 0;
}

/* Deep copy; on failure dst is still safe to node_free. */
static int node_copy(sg_node *dst, const sg_node *src) {
  *dst = *src;
  /* Detach every owned pointer first so a half-done copy frees only what it allocated. */
  dst->name = dst->uid = dst->udf = dst->open_fn = dst->close_fn = dst->slot_group = NULL;
  dst->udf_arg = dst->params = NULL;
  dst->out_schema = NULL;
  dst->inputs = NULL;
  dst->ninputs = 0;
  memset(&dst->key, 0, sizeof dst->key);
  if (dup_str(&dst->name, src->name) || dup_str(&dst->uid, src->uid) ||
      dup_str(&dst->udf, src->udf) || dup_str(&dst->open_fn, src->open_fn) ||
      dup_str(&dst->close_fn, src->close_fn) || dup_str(&dst->slot_group, src->slot_group) ||
      dup_blob(&dst->udf_arg, src->udf_arg, src->udf_arg_len) ||
      dup_blob(&dst->params, src->params, src->params_len))
    return SPATE_ENOMEM;
  if (!dst->udf_arg) dst->udf_arg_len = 0;
  if (!dst->params) dst->params_len = 0;
  if (src->out_schema) dst->out_schema = schema_ref(src->out_schema);
  if (key_spec_copy(&dst->key, &src->key)) return SPATE_ENOMEM;
  if (src->ninputs > 0) {
    dst->inputs = sp_calloc((size_t)src->ninputs, sizeof *dst->inputs);
    if (!dst->inputs) return SPATE_ENOMEM;
    for (int k = 0; k < src->ninputs; k++) {
      sg_edge *e = &dst->inputs[k];
      dst->ninputs = k + 1;
      e->source = src->inputs[k].source;
      e->part = src->inputs[k].part;
      if (key_spec_copy(&e->key, &src->inputs[k].key) ||
          dup_str(&e->partition_fn, src->inputs[k].partition_fn) ||
          dup_str(&e->side_tag, src->inputs[k].side_tag))
        return SPATE_ENOMEM;
      if (src->inputs[k].side_schema) e->side_schema = schema_ref(src->inputs[k].side_schema);
    }
  }
  return 0;
}

/* Fills in parallelism, max parallelism, slot sharing group and partitioners. */
static int resolve(const stream_graph *g, sg_node *nodes, int nnodes, char *err, size_t err_len) {
  for (int i = 0; i < nnodes; i++) {
    sg_node *n = &nodes[i];
    if (n->parallelism_fixed) {
      if (n->parallelism > 0 && n->parallelism != 1)
        return sp_err(err, err_len, SPATE_EINVAL,
                      "operator '%s' (id %d) is not parallel: its parallelism must be 1, not %d",
                      n->name, i, n->parallelism);
      n->parallelism = 1;
    } else if (n->parallelism <= 0) {
      n->parallelism = g->default_parallelism;
    }
    if (n->parallelism <= 0)
      return sp_err(err, err_len, SPATE_EINVAL,
                    "operator '%s' (id %d): parallelism must be positive, not %d", n->name, i,
                    n->parallelism);
    if (n->max_parallelism <= 0) {
      if (g->default_max_parallelism > 0)
        n->max_parallelism = g->default_max_parallelism;
      else
        n->max_parallelism = sp_default_max_parallelism(n->parallelism);
    }
    if (!n->slot_group) {
      /* Flink's StreamGraphGenerator.determineSlotSharingGroup: inherit when all inputs agree. */
      const char *grp = n->ninputs > 0 ? nodes[n->inputs[0].source].slot_group : DEFAULT_SLOT_GROUP;
      for (int k = 1; k < n->ninputs; k++)
        if (strcmp(nodes[n->inputs[k].source].slot_group, grp) != 0) grp = DEFAULT_SLOT_GROUP;
      if (!(n->slot_group = sp_strdup(grp))) return SPATE_ENOMEM;
    }
    for (int k = 0; k < n->ninputs; k++) {
      sg_edge *e = &n->inputs[k];
      if (e->part == PART_UNSET)
        e->part = nodes[e->source].parallelism == n->parallelism ? PART_FORWARD : PART_REBALANCE;
    }
  }
  return 0;
}

/* Flink's StreamingJobGraphGenerator.isChainable for the single-input case. */
static bool chainable(const job_graph *jg, const sg_node *down) {
  if (down->ninputs != 1 || !jg->chaining_enabled) return false;
  const sg_edge *e = &down->inputs[0];
  const sg_node *up = &jg->nodes[e->source];
  return strcmp(up->slot_group, down->slot_group) == 0 && down->chaining == CHAIN_ALWAYS &&
         up->chaining != CHAIN_NEVER && e->part == PART_FORWARD &&
         up->parallelism == down->parallelism;
}

/* A growing string for chain names. */
typedef struct strbuf {
  char *s;
  size_t len, cap;
  bool failed;
} strbuf;

static void sb_add(strbuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = sp_realloc(b->s, cap);
    if (!p) {
      b->failed = true;
      return;
    }
    b->s = p;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n + 1);
  b->len += n;
}

/* Flink's createChainedName: "A -> B" for one chained output, "A -> (B, C)" for several. Names
 * are built from the last node back, since chained children always have larger ids. */
static int chain_names(const job_graph *jg, const int *parent, char **names) {
  int n = jg->nnodes;
  for (int i = n - 1; i >= 0; i--) {
    int nchildren = 0;
    for (int c = i + 1; c < n; c++) nchildren += parent[c] == i;
    strbuf b = {0};
    sb_add(&b, jg->nodes[i].name);
    if (nchildren > 0) sb_add(&b, nchildren > 1 ? " -> (" : " -> ");
    int seen = 0;
    for (int c = i + 1; c < n; c++) {
      if (parent[c] != i) continue;
      if (seen++) sb_add(&b, ", ");
      sb_add(&b, names[c]);
    }
    if (nchildren > 1) sb_add(&b, ")");
    if (b.failed) {
      sp_free(b.s);
      return SPATE_ENOMEM;
    }
    names[i] = b.s;
  }
  return 0;
}

static int chain(job_graph *jg) {
  int n = jg->nnodes, rc = SPATE_ENOMEM;
  int *parent = sp_malloc((size_t)(n ? n : 1) * sizeof(int));
  char **names = sp_calloc((size_t)(n ? n : 1), sizeof(char *));
  jg->node_vertex = sp_malloc((size_t)(n ? n : 1) * sizeof(int));
  if (!parent || !names || !jg->node_vertex) goto out;

  int nv = 0, ne = 0;
  for (int i = 0; i < n; i++) {
    parent[i] = chainable(jg, &jg->nodes[i]) ? jg->nodes[i].inputs[0].source : -1;
    if (parent[i] < 0) {
      jg->node_vertex[i] = nv++;
      ne += jg->nodes[i].ninputs;
    } else {
      jg->node_vertex[i] = jg->node_vertex[parent[i]];
    }
  }
  if (chain_names(jg, parent, names)) goto out;

  jg->vertices = sp_calloc((size_t)(nv ? nv : 1), sizeof *jg->vertices);
  jg->edges = sp_calloc((size_t)(ne ? ne : 1), sizeof *jg->edges);
  if (!jg->vertices || !jg->edges) goto out;
  jg->nvertices = nv;

  /* Count per vertex, then allocate exact arrays. */
  for (int i = 0; i < n; i++) {
    jg_vertex *v = &jg->vertices[jg->node_vertex[i]];
    v->nnodes++;
    if (parent[i] < 0) {
      v->ninputs += jg->nodes[i].ninputs;
      for (int k = 0; k < jg->nodes[i].ninputs; k++)
        jg->vertices[jg->node_vertex[jg->nodes[i].inputs[k].source]].noutputs++;
    }
  }
  for (int v = 0; v < nv; v++) {
    jg_vertex *x = &jg->vertices[v];
    x->id = v;
    x->nodes = sp_malloc((size_t)x->nnodes * sizeof(int));
    x->inputs = x->ninputs ? sp_malloc((size_t)x->ninputs * sizeof(int)) : NULL;
    x->outputs = x->noutputs ? sp_malloc((size_t)x->noutputs * sizeof(int)) : NULL;
    if (!x->nodes || (x->ninputs && !x->inputs) || (x->noutputs && !x->outputs)) goto out;
    x->nnodes = x->ninputs = x->noutputs = 0;
  }
  for (int i = 0; i < n; i++) {
    const sg_node *nd = &jg->nodes[i];
    jg_vertex *x = &jg->vertices[jg->node_vertex[i]];
    x->nodes[x->nnodes++] = i;
    if (parent[i] >= 0) continue;
    x->head = i;
    x->name = names[i];
    names[i] = NULL;
    x->parallelism = nd->parallelism;
    x->max_parallelism = nd->max_parallelism;
    if (!(x->slot_group = sp_strdup(nd->slot_group))) goto out;
    for (int k = 0; k < nd->ninputs; k++) {
      jg_edge *e = &jg->edges[jg->nedges];
      e->id = jg->nedges++;
      e->source_node = nd->inputs[k].source;
      e->target_node = i;
      e->target_input = k;
      e->source_vertex = jg->node_vertex[e->source_node];
      e->target_vertex = x->id;
      e->part = nd->inputs[k].part;
      x->inputs[x->ninputs++] = e->id;
      jg_vertex *src = &jg->vertices[e->source_vertex];
      src->outputs[src->noutputs++] = e->id;
    }
  }
  rc = 0;
out:
  if (names)
    for (int i = 0; i < n; i++) sp_free(names[i]);
  sp_free(names);
  sp_free(parent);
  return rc;
}

static int make_job_id(char out[33]) {
  uint8_t raw[16];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return SPATE_EIO;
    }
    got += (size_t)r;
  }
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 15];
  }
  out[32] = 0;
  return 0;
}

/* Generated uids: a hash of the node's id, kind and its inputs' uids, so the same program
 * builds the same uids, and a node keeps its uid while the graph before it keeps its shape. */
static int generate_uids(job_graph *jg) {
  for (int i = 0; i < jg->nnodes; i++) {
    sg_node *n = &jg->nodes[i];
    if (n->uid) continue;
    sp_writer w;
    sp_writer_init(&w);
    sp_put_i32(&w, n->id);
    sp_put_u32(&w, (uint32_t)n->kind);
    for (int k = 0; k < n->ninputs; k++) {
      int src = n->inputs[k].source;
      sp_put_str(&w, src >= 0 && src < jg->nnodes ? jg->nodes[src].uid : NULL);
      sp_put_str(&w, n->inputs[k].side_tag);
    }
    if (w.failed) {
      sp_writer_free(&w);
      return SPATE_ENOMEM;
    }
    uint64_t h = sp_hash64(w.data, w.len);
    sp_writer_free(&w);
    char buf[32];
    snprintf(buf, sizeof buf, "auto-%016llx", (unsigned long long)h);
    if (!(n->uid = sp_strdup(buf))) return SPATE_ENOMEM;
  }
  return 0;
}

/* State maps to operators by uid, so two operators must not share one (Flink's rule). */
static int check_uids(const job_graph *jg, char *err, size_t err_len) {
  for (int i = 0; i < jg->nnodes; i++)
    for (int j = 0; j < i; j++)
      if (strcmp(jg->nodes[i].uid, jg->nodes[j].uid) == 0)
        return sp_err(err, err_len, SPATE_EINVAL,
                      "operators '%s' and '%s' have the same uid '%s'; uids must be unique",
                      jg->nodes[j].name, jg->nodes[i].name, jg->nodes[i].uid);
  return 0;
}

char *jobgraph_chain_uids(const job_graph *jg, int v) {
  const jg_vertex *x = &jg->vertices[v];
  size_t len = 1;
  for (int i = 0; i < x->nnodes; i++) len += strlen(jg->nodes[x->nodes[i]].uid) + 1;
  char *out = sp_malloc(len);
  if (!out) return NULL;
  size_t at = 0;
  for (int i = 0; i < x->nnodes; i++) {
    size_t n = strlen(jg->nodes[x->nodes[i]].uid);
    if (i) out[at++] = '\n';
    memcpy(out + at, jg->nodes[x->nodes[i]].uid, n);
    at += n;
  }
  out[at] = 0;
  return out;
}

bool sg_uid_generated(const sg_node *n) { return n->uid && strncmp(n->uid, "auto-", 5) == 0; }

static void put_conf_pair(void *arg, const char *key, const char *value) {
  sp_writer *w = arg;
  sp_put_str(w, key);
  sp_put_str(w, value);
}

static void count_pair(void *arg, const char *key, const char *value) {
  (void)key;
  (void)value;
  (*(uint32_t *)arg)++;
}

int sg_set_config(stream_graph *g, const sp_config *cfg) {
  uint32_t n = 0;
  sp_config_each(cfg, count_pair, &n);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u32(&w, n);
  sp_config_each(cfg, put_conf_pair, &w);
  if (w.failed) {
    sp_writer_free(&w);
    return SPATE_ENOMEM;
  }
  sp_free(g->conf);
  g->conf = w.data;
  g->conf_len = w.len;
  return 0;
}

int jobgraph_config(const job_graph *jg, sp_config **out, char *err, size_t err_len) {
  *out = NULL;
  sp_config *c = sp_config_new();
  if (!c) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  sp_reader r;
  sp_reader_init(&r, jg->conf, jg->conf_len);
  uint32_t n = jg->conf_len ? sp_get_u32(&r) : 0;
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < n && sp_reader_ok(&r); i++) {
    char *k = sp_get_str(&r), *v = sp_get_str(&r);
    if (sp_reader_ok(&r) && k && v) rc = sp_config_set(c, k, v, "job", err, err_len);
    sp_free(k);
    sp_free(v);
  }
  if (rc == 0 && !sp_reader_ok(&r))
    rc = sp_err(err, err_len, SPATE_ECORRUPT, "job configuration: %s", r.error);
  if (rc < 0) {
    sp_config_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

int jobgraph_build(const stream_graph *g, job_graph **out, char *err, size_t err_len) {
  *out = NULL;
  if (g->nnodes <= 0)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "No operators defined in streaming topology. Cannot execute.");
  job_graph *jg = sp_calloc(1, sizeof *jg);
  if (!jg) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory building the job graph");
  int rc = make_job_id(jg->job_id);
  if (rc) {
    rc = sp_err(err, err_len, rc, "getrandom failed: %s", strerror(errno));
    goto fail;
  }
  rc = SPATE_ENOMEM;
  if (dup_str(&jg->job_name, g->job_name) || dup_str(&jg->artifact, g->artifact)) goto oom;
  jg->chaining_enabled = g->chaining_enabled;
  jg->buffer_timeout_ms = g->buffer_timeout_ms;
  jg->buffer_size = g->buffer_size;
  if (g->nnodes > 0) {
    jg->nodes = sp_calloc((size_t)g->nnodes, sizeof *jg->nodes);
    if (!jg->nodes) goto oom;
    for (int i = 0; i < g->nnodes; i++) {
      jg->nnodes = i + 1;
      if (node_copy(&jg->nodes[i], &g->nodes[i])) goto oom;
    }
  }
  if ((rc = check_input_order(jg->nodes, jg->nnodes, SPATE_EINVAL, err, err_len))) goto fail;
  if ((rc = resolve(g, jg->nodes, jg->nnodes, err, err_len))) {
    if (rc == SPATE_ENOMEM) goto oom;
    goto fail;
  }
  if ((rc = check_nodes(jg->nodes, jg->nnodes, SPATE_EINVAL, err, err_len))) goto fail;
  if ((rc = chain(jg))) goto oom;
  if (g->conf_len) {
    if (!(jg->conf = sp_malloc(g->conf_len))) goto oom;
    memcpy(jg->conf, g->conf, g->conf_len);
    jg->conf_len = g->conf_len;
  }
  if (generate_uids(jg)) goto oom;
  if ((rc = check_uids(jg, err, err_len))) goto fail;
  *out = jg;
  return 0;
oom:
  rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory building the job graph");
fail:
  jobgraph_free(jg);
  return rc;
}

int jobgraph_slots_needed(const job_graph *jg) {
  int total = 0;
  for (int v = 0; v < jg->nvertices; v++) {
    const char *grp = jg->vertices[v].slot_group;
    bool first = true;
    for (int u = 0; u < v; u++)
      if (strcmp(jg->vertices[u].slot_group, grp) == 0) first = false;
    if (!first) continue; /* the group was summed at its first vertex */
    int max = 0;
    for (int u = v; u < jg->nvertices; u++)
      if (strcmp(jg->vertices[u].slot_group, grp) == 0 && jg->vertices[u].parallelism > max)
        max = jg->vertices[u].parallelism;
    total += max;
  }
  return total;
}

/* ---- encoding ------------------------------------------------------------------------------- */

static void put_raw_blob(sp_writer *w, const uint8_t *p, size_t n) {
  sp_put_u32(w, (uint32_t)n);
  if (n) sp_put_bytes(w, p, n);
}

static void put_schema(sp_writer *w, const spate_schema *s) {
  sp_put_u8(w, s != NULL);
  if (s) schema_encode(w, s);
}

static void put_key(sp_writer *w, const key_spec *k) {
  sp_put_i32(w, k->nfields);
  for (int f = 0; f < k->nfields; f++) sp_put_i32(w, k->fields[f]);
  sp_put_str(w, k->selector);
  put_schema(w, k->key_schema);
}

static void put_ids(sp_writer *w, int n, const int *ids) {
  sp_put_u32(w, (uint32_t)n);
  for (int i = 0; i < n; i++) sp_put_i32(w, ids[i]);
}

int jobgraph_encode(const job_graph *jg, sp_writer *w) {
  size_t start = w->len;
  sp_put_bytes(w, JG_MAGIC, 4);
  sp_put_u32(w, JG_VERSION);
  sp_put_str(w, jg->job_id);
  sp_put_str(w, jg->job_name);
  sp_put_str(w, jg->artifact);
  sp_put_u8(w, jg->chaining_enabled);
  sp_put_i64(w, jg->buffer_timeout_ms);
  sp_put_u32(w, jg->buffer_size);
  put_raw_blob(w, jg->conf, jg->conf_len);
  sp_put_u32(w, (uint32_t)jg->nnodes);
  for (int i = 0; i < jg->nnodes; i++) {
    const sg_node *n = &jg->nodes[i];
    sp_put_u32(w, (uint32_t)n->kind);
    sp_put_str(w, n->name);
    sp_put_str(w, n->uid);
    sp_put_i32(w, n->parallelism);
    sp_put_i32(w, n->max_parallelism);
    sp_put_u8(w, n->parallelism_fixed);
    put_schema(w, n->out_schema);
    sp_put_str(w, n->udf);
    sp_put_str(w, n->open_fn);
    sp_put_str(w, n->close_fn);
    put_raw_blob(w, n->udf_arg, n->udf_arg_len);
    put_raw_blob(w, n->params, n->params_len);
    sp_put_u8(w, (uint8_t)n->chaining);
    sp_put_str(w, n->slot_group);
    put_key(w, &n->key);
    sp_put_u32(w, (uint32_t)n->ninputs);
    for (int k = 0; k < n->ninputs; k++) {
      const sg_edge *e = &n->inputs[k];
      sp_put_i32(w, e->source);
      sp_put_u8(w, (uint8_t)e->part);
      put_key(w, &e->key);
      sp_put_str(w, e->partition_fn);
      sp_put_str(w, e->side_tag);
      put_schema(w, e->side_schema);
    }
  }
  for (int i = 0; i < jg->nnodes; i++) sp_put_i32(w, jg->node_vertex[i]);
  sp_put_u32(w, (uint32_t)jg->nvertices);
  for (int v = 0; v < jg->nvertices; v++) {
    const jg_vertex *x = &jg->vertices[v];
    sp_put_str(w, x->name);
    sp_put_i32(w, x->parallelism);
    sp_put_i32(w, x->max_parallelism);
    sp_put_str(w, x->slot_group);
    sp_put_i32(w, x->head);
    put_ids(w, x->nnodes, x->nodes);
    put_ids(w, x->ninputs, x->inputs);
    put_ids(w, x->noutputs, x->outputs);
  }
  sp_put_u32(w, (uint32_t)jg->nedges);
  for (int e = 0; e < jg->nedges; e++) {
    const jg_edge *x = &jg->edges[e];
    sp_put_i32(w, x->source_vertex);
    sp_put_i32(w, x->target_vertex);
    sp_put_i32(w, x->source_node);
    sp_put_i32(w, x->target_node);
    sp_put_i32(w, x->target_input);
    sp_put_u8(w, (uint8_t)x->part);
  }
  if (w->failed) return SPATE_ENOMEM;
  sp_put_u32(w, sp_checksum32(w->data + start, w->len - start));
  return w->failed ? SPATE_ENOMEM : 0;
}

/* ---- decoding ------------------------------------------------------------------------------- */

/* A count of elements that take at least min_size bytes each: never more than the bytes left. */
static int get_count(sp_reader *r, size_t min_size, const char *what) {
  size_t at = r->pos;
  uint32_t n = sp_get_u32(r);
  if (!sp_reader_ok(r)) return 0;
  if (n > (r->len - r->pos) / min_size || n > INT32_MAX / 2) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s count %u exceeds the remaining bytes", what, n);
    r->pos = at;
    sp_reader_fail(r, msg);
    return 0;
  }
  return (int)n;
}

static spate_schema *get_schema(sp_reader *r, bool *ok) {
  uint8_t has = sp_get_u8(r);
  *ok = sp_reader_ok(r);
  if (!*ok || !has) return NULL;
  if (has != 1) {
    sp_reader_fail(r, "bad schema presence flag");
    *ok = false;
    return NULL;
  }
  spate_schema *s = schema_decode(r);
  *ok = s != NULL && sp_reader_ok(r);
  if (!s && sp_reader_ok(r)) sp_reader_fail(r, "bad schema");
  return s;
}

static uint8_t *get_raw_blob(sp_reader *r, size_t *len) {
  *len = 0;
  uint32_t n = sp_get_u32(r);
  if (!sp_reader_ok(r) || n == 0) return NULL;
  const void *p = sp_get_bytes(r, n);
  if (!p) return NULL;
  uint8_t *copy = sp_malloc(n);
  if (!copy) {
    sp_reader_fail(r, "out of memory");
    return NULL;
  }
  memcpy(copy, p, n);
  *len = n;
  return copy;
}

static void get_key(sp_reader *r, key_spec *k) {
  bool ok;
  int n = sp_get_i32(r);
  if (!sp_reader_ok(r)) return;
  if (n < 0 || (size_t)n > (r->len - r->pos) / 4) {
    r->pos -= 4;
    sp_reader_fail(r, "bad key field count");
    return;
  }
  if (n > 0) {
    if (!(k->fields = sp_malloc((size_t)n * sizeof(int)))) {
      sp_reader_fail(r, "out of memory");
      return;
    }
    k->nfields = n;
    for (int f = 0; f < n; f++) k->fields[f] = sp_get_i32(r);
  }
  k->selector = sp_get_str(r);
  k->key_schema = get_schema(r, &ok);
}

static int *get_ids(sp_reader *r, int *count, const char *what) {
  *count = 0;
  int n = get_count(r, 4, what);
  if (!sp_reader_ok(r) || n == 0) return NULL;
  int *ids = sp_malloc((size_t)n * sizeof(int));
  if (!ids) {
    sp_reader_fail(r, "out of memory");
    return NULL;
  }
  for (int i = 0; i < n; i++) ids[i] = sp_get_i32(r);
  *count = n;
  return ids;
}

/* The vertex/edge structure must be one the builder could have produced: a partition of the
 * nodes into chains (trees rooted at the head), and exactly one job edge per stream edge that
 * is not a chain link. The runtime indexes with all of these without further checks. */
static int check_structure(const job_graph *jg, char *err, size_t err_len) {
  const int rc = SPATE_ECORRUPT;
  int n = jg->nnodes, total = 0;
  if (n > 0 && jg->nvertices == 0) return sp_err(err, err_len, rc, "job graph: no vertices");
  for (int i = 0; i < n; i++)
    if (jg->node_vertex[i] < 0 || jg->node_vertex[i] >= jg->nvertices)
      return sp_err(err, err_len, rc, "job graph: node %d has vertex %d out of range", i,
                    jg->node_vertex[i]);
  for (int v = 0; v < jg->nvertices; v++) {
    const jg_vertex *x = &jg->vertices[v];
    if (!x->name || !x->slot_group)
      return sp_err(err, err_len, rc, "job graph: vertex %d lacks a name or slot group", v);
    if (x->nnodes < 1 || x->nodes[0] != x->head)
      return sp_err(err, err_len, rc, "job graph: vertex %d does not start with its head", v);
    total += x->nnodes;
    for (int k = 0; k < x->nnodes; k++) {
      int id = x->nodes[k];
      if (id < 0 || id >= n || jg->node_vertex[id] != v || (k > 0 && id <= x->nodes[k - 1]))
        return sp_err(err, err_len, rc, "job graph: vertex %d node list entry %d (%d) is invalid",
                      v, k, id);
      const sg_node *nd = &jg->nodes[id];
      if (nd->parallelism != x->parallelism || strcmp(nd->slot_group, x->slot_group) != 0)
        return sp_err(err, err_len, rc,
                      "job graph: node %d differs from vertex %d in parallelism or slot group",
                      id, v);
      if (k > 0 && (nd->ninputs != 1 || jg->node_vertex[nd->inputs[0].source] != v))
        return sp_err(err, err_len, rc, "job graph: chained node %d of vertex %d is not fed "
                      "from inside its chain", id, v);
    }
    if (x->max_parallelism != jg->nodes[x->head].max_parallelism)
      return sp_err(err, err_len, rc, "job graph: vertex %d max parallelism differs from its head",
                    v);
    if (v > 0 && x->head <= jg->vertices[v - 1].head)
      return sp_err(err, err_len, rc, "job graph: vertex %d is out of topological order", v);
    /* Strictly increasing lists that point back at this vertex, summing to nedges below, list
     * every edge exactly once on each side. */
    for (int k = 0; k < x->ninputs; k++) {
      int e = x->inputs[k];
      if (e < 0 || e >= jg->nedges || jg->edges[e].target_vertex != v ||
          (k > 0 && e <= x->inputs[k - 1]))
        return sp_err(err, err_len, rc, "job graph: vertex %d input %d is edge %d, invalid", v, k,
                      e);
    }
    for (int k = 0; k < x->noutputs; k++) {
      int e = x->outputs[k];
      if (e < 0 || e >= jg->nedges || jg->edges[e].source_vertex != v ||
          (k > 0 && e <= x->outputs[k - 1]))
        return sp_err(err, err_len, rc, "job graph: vertex %d output %d is edge %d, invalid", v,
                      k, e);
    }
  }
  if (total != n)
    return sp_err(err, err_len, rc, "job graph: vertices hold %d nodes, the graph has %d", total,
                  n);

  /* Every non-chained stream edge must be carried by exactly one job edge, in order. */
  int expected = 0;
  for (int i = 0; i < n; i++)
    if (jg->vertices[jg->node_vertex[i]].head == i) expected += jg->nodes[i].ninputs;
  if (expected != jg->nedges)
    return sp_err(err, err_len, rc, "job graph: %d job edges, expected %d", jg->nedges, expected);
  int ins = 0, outs = 0;
  for (int v = 0; v < jg->nvertices; v++) {
    ins += jg->vertices[v].ninputs;
    outs += jg->vertices[v].noutputs;
  }
  if (ins != jg->nedges || outs != jg->nedges)
    return sp_err(err, err_len, rc, "job graph: vertex input/output lists do not cover the edges");
  int prev_target = -1, prev_input = -1;
  for (int e = 0; e < jg->nedges; e++) {
    const jg_edge *x = &jg->edges[e];
    if (x->source_node < 0 || x->source_node >= n || x->target_node < 0 || x->target_node >= n)
      return sp_err(err, err_len, rc, "job graph: edge %d node out of range", e);
    const sg_node *t = &jg->nodes[x->target_node];
    if (x->target_input < 0 || x->target_input >= t->ninputs ||
        t->inputs[x->target_input].source != x->source_node ||
        t->inputs[x->target_input].part != x->part ||
        x->source_vertex != jg->node_vertex[x->source_node] ||
        x->target_vertex != jg->node_vertex[x->target_node] ||
        jg->vertices[x->target_vertex].head != x->target_node)
      return sp_err(err, err_len, rc, "job graph: edge %d does not match the stream edge it "
                    "claims to carry", e);
    /* Strictly increasing (target, input) pairs make the edges distinct. */
    if (x->target_node < prev_target ||
        (x->target_node == prev_target && x->target_input <= prev_input))
      return sp_err(err, err_len, rc, "job graph: edge %d is out of order or duplicated", e);
    prev_target = x->target_node;
    prev_input = x->target_input;
  }
  return 0;
}

int jobgraph_decode(const void *data, size_t len, job_graph **out, char *err, size_t err_len) {
  *out = NULL;
  const uint8_t *bytes = data;
  if (len < 12)
    return sp_err(err, err_len, SPATE_ECORRUPT, "job graph: %zu bytes are too short", len);
  if (memcmp(bytes, JG_MAGIC, 4) != 0)
    return sp_err(err, err_len, SPATE_ECORRUPT, "job graph: bad magic at offset 0");
  uint32_t stored = (uint32_t)bytes[len - 4] | (uint32_t)bytes[len - 3] << 8 |
                    (uint32_t)bytes[len - 2] << 16 | (uint32_t)bytes[len - 1] << 24;
  if (stored != sp_checksum32(bytes, len - 4))
    return sp_err(err, err_len, SPATE_ECORRUPT, "job graph: checksum mismatch at offset %zu",
                  len - 4);

  sp_reader rd, *r = &rd;
  sp_reader_init(r, bytes, len - 4);
  sp_get_bytes(r, 4);
  uint32_t version = sp_get_u32(r);
  if (version != JG_VERSION)
    return sp_err(err, err_len, SPATE_ECORRUPT, "job graph: unsupported version %u at offset 4",
                  version);

  job_graph *jg = sp_calloc(1, sizeof *jg);
  if (!jg) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory decoding the job graph");
  int rc = SPATE_ECORRUPT;
  bool ok;
  char *id = sp_get_str(r);
  if (sp_reader_ok(r)) {
    size_t idlen = id ? strlen(id) : 0;
    bool hex = idlen == 32;
    for (size_t i = 0; hex && i < idlen; i++)
      hex = (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f');
    if (!hex) {
      sp_free(id);
      rc = sp_err(err, err_len, rc, "job graph: job id is not 32 hex digits");
      goto fail;
    }
    memcpy(jg->job_id, id, 33);
  }
  sp_free(id);
  jg->job_name = sp_get_str(r);
  jg->artifact = sp_get_str(r);
  uint8_t chaining = sp_get_u8(r);
  jg->chaining_enabled = chaining != 0;
  jg->buffer_timeout_ms = sp_get_i64(r);
  jg->buffer_size = sp_get_u32(r);
  jg->conf = get_raw_blob(r, &jg->conf_len);
  if (sp_reader_ok(r) && chaining > 1) {
    rc = sp_err(err, err_len, rc, "job graph: bad header fields");
    goto fail;
  }

  int nn = get_count(r, 40, "node");
  if (sp_reader_ok(r) && nn > 0) {
    if (!(jg->nodes = sp_calloc((size_t)nn, sizeof *jg->nodes))) goto oom;
    jg->nnodes = nn;
  }
  for (int i = 0; i < jg->nnodes && sp_reader_ok(r); i++) {
    sg_node *n = &jg->nodes[i];
    n->id = i;
    uint32_t kind = sp_get_u32(r);
    n->kind = (kind >= OP_SRC_ELEMENTS && kind < OP_KIND_MAX_) ? (op_kind)kind : (op_kind)0;
    n->name = sp_get_str(r);
    n->uid = sp_get_str(r);
    n->parallelism = sp_get_i32(r);
    n->max_parallelism = sp_get_i32(r);
    uint8_t fixed = sp_get_u8(r);
    n->parallelism_fixed = fixed != 0;
    n->out_schema = get_schema(r, &ok);
    n->udf = sp_get_str(r);
    n->open_fn = sp_get_str(r);
    n->close_fn = sp_get_str(r);
    n->udf_arg = get_raw_blob(r, &n->udf_arg_len);
    n->params = get_raw_blob(r, &n->params_len);
    uint8_t strategy = sp_get_u8(r);
    n->chaining = strategy <= CHAIN_NEVER ? (chain_strategy)strategy : CHAIN_NEVER;
    n->slot_group = sp_get_str(r);
    get_key(r, &n->key);
    if (!sp_reader_ok(r)) break;
    if (n->kind == 0 || fixed > 1 || strategy > CHAIN_NEVER) {
      rc = sp_err(err, err_len, rc, "job graph: node %d has an invalid kind (%u), flag or "
                  "chaining strategy (%u)", i, kind, strategy);
      goto fail;
    }
    int ni = get_count(r, 14, "input");
    if (!sp_reader_ok(r)) break;
    if (ni > 0) {
      if (!(n->inputs = sp_calloc((size_t)ni, sizeof *n->inputs))) goto oom;
      n->ninputs = ni;
    }
    for (int k = 0; k < ni && sp_reader_ok(r); k++) {
      sg_edge *e = &n->inputs[k];
      e->source = sp_get_i32(r);
      uint8_t part = sp_get_u8(r);
      e->part = part <= PART_HASH ? (part_kind)part : PART_UNSET;
      get_key(r, &e->key);
      e->partition_fn = sp_get_str(r);
      e->side_tag = sp_get_str(r);
      bool schema_ok = true;
      e->side_schema = get_schema(r, &schema_ok);
      if (!schema_ok) sp_reader_fail(r, "bad side output schema");
      if (sp_reader_ok(r) && (part == PART_UNSET || part > PART_HASH)) {
        rc = sp_err(err, err_len, rc, "job graph: node %d input %d has partitioner %u", i, k,
                    part);
        goto fail;
      }
    }
  }
  if (sp_reader_ok(r)) {
    jg->node_vertex = sp_malloc((size_t)(nn ? nn : 1) * sizeof(int));
    if (!jg->node_vertex) goto oom;
    for (int i = 0; i < nn; i++) jg->node_vertex[i] = sp_get_i32(r);
  }
  int nv = get_count(r, 32, "vertex");
  if (sp_reader_ok(r) && nv > 0) {
    if (!(jg->vertices = sp_calloc((size_t)nv, sizeof *jg->vertices))) goto oom;
    jg->nvertices = nv;
  }
  for (int v = 0; v < jg->nvertices && sp_reader_ok(r); v++) {
    jg_vertex *x = &jg->vertices[v];
    x->id = v;
    x->name = sp_get_str(r);
    x->parallelism = sp_get_i32(r);
    x->max_parallelism = sp_get_i32(r);
    x->slot_group = sp_get_str(r);
    x->head = sp_get_i32(r);
    x->nodes = get_ids(r, &x->nnodes, "vertex node");
    x->inputs = get_ids(r, &x->ninputs, "vertex input");
    x->outputs = get_ids(r, &x->noutputs, "vertex output");
  }
  int ne = get_count(r, 21, "edge");
  if (sp_reader_ok(r) && ne > 0) {
    if (!(jg->edges = sp_calloc((size_t)ne, sizeof *jg->edges))) goto oom;
    jg->nedges = ne;
  }
  for (int e = 0; e < jg->nedges && sp_reader_ok(r); e++) {
    jg_edge *x = &jg->edges[e];
    x->id = e;
    x->source_vertex = sp_get_i32(r);
    x->target_vertex = sp_get_i32(r);
    x->source_node = sp_get_i32(r);
    x->target_node = sp_get_i32(r);
    x->target_input = sp_get_i32(r);
    uint8_t part = sp_get_u8(r);
    x->part = part <= PART_HASH ? (part_kind)part : PART_UNSET;
  }
  if (!sp_reader_ok(r)) {
    rc = sp_err(err, err_len, rc, "job graph: %s", r->error);
    goto fail;
  }
  if (r->pos != r->len) {
    rc = sp_err(err, err_len, rc, "job graph: %zu unexpected bytes at offset %zu",
                r->len - r->pos, r->pos);
    goto fail;
  }
  if ((rc = check_nodes(jg->nodes, jg->nnodes, SPATE_ECORRUPT, err, err_len))) goto fail;
  if ((rc = check_structure(jg, err, err_len))) goto fail;
  *out = jg;
  return 0;
oom:
  rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory decoding the job graph");
fail:
  jobgraph_free(jg);
  return rc;
}

/* ---- JSON plan ------------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if the bytes there are not one. */
static int utf8_seq(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  int n;
  unsigned cp, min;
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0; /* also stops at the terminating NUL */
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

/* A JSON string for s: names come from user programs or the wire and need not be UTF-8, but
 * the plan must still be produced, so invalid bytes become U+FFFD. */
static json_t *json_text(const char *s) {
  if (!s) return json_null();
  json_t *j = json_string(s);
  if (j) return j;
  size_t len = strlen(s);
  char *clean = sp_malloc(len * 3 + 1);
  if (!clean) return NULL;
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    int n = utf8_seq(p);
    if (n) {
      memcpy(clean + o, p, (size_t)n);
      o += (size_t)n;
      p += n;
    } else {
      memcpy(clean + o, "\xEF\xBF\xBD", 3);
      o += 3;
      p++;
    }
  }
  j = json_stringn(clean, o);
  sp_free(clean);
  return j;
}

/* json_*_new returns NULL on failure and the *_new setters accept NULL (reporting failure), so
 * allocation failures surface as a -1 from a set/append call. */
static json_t *plan_vertex(const job_graph *jg, const jg_vertex *x) {
  json_t *o = json_object(), *ops = json_array();
  if (!o || !ops) goto fail;
  const sg_node *head = &jg->nodes[x->head];
  int bad = json_object_set_new(o, "id", json_integer(x->id));
  bad |= json_object_set_new(o, "parallelism", json_integer(x->parallelism));
  bad |= json_object_set_new(o, "operator", json_string(op_kind_name(head->kind)));
  bad |= json_object_set_new(o, "operator_strategy", json_string(""));
  bad |= json_object_set_new(o, "description", json_text(x->name));
  for (int k = 0; k < x->nnodes; k++) {
    const sg_node *n = &jg->nodes[x->nodes[k]];
    json_t *op = json_object();
    if (!op) goto fail;
    bad |= json_array_append_new(ops, op);
    bad |= json_object_set_new(op, "id", json_integer(n->id));
    bad |= json_object_set_new(op, "name", json_text(n->name));
    bad |= json_object_set_new(op, "kind", json_string(op_kind_name(n->kind)));
    bad |= json_object_set_new(op, "parallelism", json_integer(n->parallelism));
    bad |= json_object_set_new(op, "max_parallelism", json_integer(n->max_parallelism));
    bad |= json_object_set_new(op, "uid", json_text(n->uid));
  }
  bad |= json_object_set(o, "operators", ops);
  /* Flink leaves "inputs" out for vertices without inputs. */
  if (x->ninputs > 0) {
    json_t *ins = json_array();
    if (!ins) goto fail;
    bad |= json_object_set_new(o, "inputs", ins);
    for (int k = 0; k < x->ninputs; k++) {
      const jg_edge *e = &jg->edges[x->inputs[k]];
      json_t *in = json_object();
      if (!in) goto fail;
      bad |= json_array_append_new(ins, in);
      bad |= json_object_set_new(in, "num", json_integer(k));
      bad |= json_object_set_new(in, "id", json_integer(e->source_vertex));
      bad |= json_object_set_new(in, "ship_strategy", json_string(part_kind_name(e->part)));
      bad |= json_object_set_new(in, "exchange", json_string("pipelined_bounded"));
    }
  }
  bad |= json_object_set_new(o, "optimizer_properties", json_object());
  json_decref(ops);
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
fail:
  json_decref(ops);
  json_decref(o);
  return NULL;
}

char *jobgraph_plan_json(const job_graph *jg) {
  char *result = NULL, *text = NULL;
  json_t *root = json_object(), *nodes = json_array();
  if (!root || !nodes) goto out;
  int bad = json_object_set_new(root, "jid", json_string(jg->job_id));
  bad |= json_object_set_new(root, "name", json_text(jg->job_name ? jg->job_name : ""));
  bad |= json_object_set_new(root, "type", json_string("STREAMING"));
  bad |= json_object_set(root, "nodes", nodes);
  for (int v = 0; v < jg->nvertices && !bad; v++) {
    json_t *o = plan_vertex(jg, &jg->vertices[v]);
    bad |= o ? json_array_append_new(nodes, o) : -1;
  }
  if (bad) goto out;
  text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  if (text) result = sp_strdup(text);
out:
  free(text); /* jansson allocates with malloc */
  json_decref(nodes);
  json_decref(root);
  return result;
}
