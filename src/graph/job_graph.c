/*
 * job_graph.c: the translation of a StreamGraph into the chained JobGraph (Flink's
 * StreamingJobGraphGenerator): defaults, chaining, generated uids and slot sharing groups.
 *
 * jobgraph_build works on a deep copy of the StreamGraph's nodes: it fills in the defaults
 * (parallelism, max parallelism, slot sharing group, partitioner), validates the result with the
 * same checks the decoder runs on untrusted bytes (sg_check_nodes), then chains. Because the API
 * appends nodes in topological order, every input has a smaller id than its consumer, so one
 * pass in id order can decide chaining: a node either joins the vertex of its single input or
 * heads a new vertex. Vertex ids then follow head ids, which is a topological order of vertices
 * (a job edge always ends at a head, and a head has a larger id than every node feeding it).
 */
#include "graph/stream_graph.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/strbuf.h"
#include "graph/graph_internal.h"

#define DEFAULT_SLOT_GROUP "default"

/* ---- JobGraph build ------------------------------------------------------------------------- */

void jobgraph_free(job_graph *jg) {
  if (!jg) return;
  sp_free(jg->conf);
  sp_free(jg->job_name);
  sp_free(jg->artifact);
  if (jg->nodes)
    for (int i = 0; i < jg->nnodes; i++) sg_node_free(&jg->nodes[i]);
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

/* Deep copy; on failure dst is still safe to sg_node_free. */
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

/* Flink's createChainedName: "A -> B" for one chained output, "A -> (B, C)" for several. Names
 * are built from the last node back, since chained children always have larger ids. */
static int chain_names(const job_graph *jg, const int *parent, char **names) {
  int n = jg->nnodes;
  for (int i = n - 1; i >= 0; i--) {
    int nchildren = 0;
    for (int c = i + 1; c < n; c++) nchildren += parent[c] == i;
    sp_strbuf b = {0};
    int rc = sp_strbuf_add(&b, jg->nodes[i].name);
    if (nchildren > 0 && !rc) rc = sp_strbuf_add(&b, nchildren > 1 ? " -> (" : " -> ");
    int seen = 0;
    for (int c = i + 1; c < n && !rc; c++) {
      if (parent[c] != i) continue;
      if (seen++) rc = sp_strbuf_add(&b, ", ");
      if (!rc) rc = sp_strbuf_add(&b, names[c]);
    }
    if (nchildren > 1 && !rc) rc = sp_strbuf_add(&b, ")");
    if (rc) {
      sp_strbuf_free(&b);
      return SPATE_ENOMEM;
    }
    names[i] = b.data;
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
 * builds the same uids, and a node keeps its uid while the graph before it keeps its shape.
 * The file sink's partition committer, which the API adds and the user cannot name, takes its
 * writers' uid with "-committer" when they have one of the user's. */
static int generate_uids(job_graph *jg) {
  for (int i = 0; i < jg->nnodes; i++) {
    sg_node *n = &jg->nodes[i];
    if (n->uid) continue;
    int writers = n->kind == OP_PARTITION_COMMIT && n->ninputs == 1 ? n->inputs[0].source : -1;
    if (writers >= 0 && writers < i && jg->nodes[writers].uid &&
        !sg_uid_generated(&jg->nodes[writers])) {
      size_t len = strlen(jg->nodes[writers].uid) + sizeof "-committer";
      if (!(n->uid = sp_malloc(len))) return SPATE_ENOMEM;
      snprintf(n->uid, len, "%s-committer", jg->nodes[writers].uid);
      continue;
    }
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

/* The id of a uid, seeded by what it names (1: a vertex, 2: an operator). */
static void hex_id(uint64_t seed, const char *uid, char out[33]) {
  sp_hex_id(uid, uid ? strlen(uid) : 0, seed, out);
}

void jobgraph_vertex_id(const job_graph *jg, int v, char out[33]) {
  hex_id(1, jg->nodes[jg->vertices[v].head].uid, out);
}

void jobgraph_operator_id(const job_graph *jg, int node, char out[33]) {
  hex_id(2, jg->nodes[node].uid, out);
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
  if ((rc = sg_check_input_order(jg->nodes, jg->nnodes, SPATE_EINVAL, err, err_len))) goto fail;
  if ((rc = resolve(g, jg->nodes, jg->nnodes, err, err_len))) {
    if (rc == SPATE_ENOMEM) goto oom;
    goto fail;
  }
  if ((rc = sg_check_nodes(jg->nodes, jg->nnodes, SPATE_EINVAL, err, err_len))) goto fail;
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
