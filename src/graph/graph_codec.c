/*
 * graph_codec.c: the byte encodings of the graph layer: the JobGraph (what the client hands the
 * Dispatcher and the JobMaster hands every TaskExecutor) and the job's configuration it carries.
 *
 * Encoding: "SPJG", u32 version, the graph, then a u32 checksum over everything before it. The
 * decoder checks the checksum first, but still validates every count, index and enum, because a
 * checksum only catches accidents, and a graph from a buggy or hostile peer must not crash us:
 * after decoding, the nodes pass the builder's own checks (sg_check_nodes) and the vertices and
 * edges must form a structure the builder could have produced (check_structure).
 *
 * The configuration is a blob inside the graph: u32 n, then n (str key, str value) pairs;
 * sg_set_config writes it and jobgraph_config reads it back.
 */
#include "graph/stream_graph.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "graph/graph_internal.h"

#define JG_MAGIC "SPJG"
#define JG_VERSION 2u

/* ---- the job's configuration ---------------------------------------------------------------- */

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
                      "job graph: node %d differs from vertex %d in parallelism or slot group", id,
                      v);
      if (k > 0 && (nd->ninputs != 1 || jg->node_vertex[nd->inputs[0].source] != v))
        return sp_err(err, err_len, rc,
                      "job graph: chained node %d of vertex %d is not fed "
                      "from inside its chain",
                      id, v);
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
        return sp_err(err, err_len, rc, "job graph: vertex %d output %d is edge %d, invalid", v, k,
                      e);
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
      return sp_err(err, err_len, rc,
                    "job graph: edge %d does not match the stream edge it "
                    "claims to carry",
                    e);
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
      rc = sp_err(err, err_len, rc,
                  "job graph: node %d has an invalid kind (%u), flag or "
                  "chaining strategy (%u)",
                  i, kind, strategy);
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
        rc = sp_err(err, err_len, rc, "job graph: node %d input %d has partitioner %u", i, k, part);
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
    rc = sp_err(err, err_len, rc, "job graph: %zu unexpected bytes at offset %zu", r->len - r->pos,
                r->pos);
    goto fail;
  }
  if ((rc = sg_check_nodes(jg->nodes, jg->nnodes, SPATE_ECORRUPT, err, err_len))) goto fail;
  if ((rc = check_structure(jg, err, err_len))) goto fail;
  *out = jg;
  return 0;
oom:
  rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory decoding the job graph");
fail:
  jobgraph_free(jg);
  return rc;
}
