/*
 * test_graph.c: the StreamGraph -> JobGraph translation (defaults, validation, Flink's chaining
 * rules), the JobGraph byte encoding (round trip, corruption, fuzzing) and the JSON plan.
 * Graphs are built directly with sg_* calls, the way the DataStream API builds them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "graph/stream_graph.h"
#include "types/schema.h"

static spate_schema *word_schema(void) {
  const char *names[] = {"word", "count"};
  spate_type types[] = {SPATE_STRING, SPATE_BIGINT};
  bool nullable[] = {true, false};
  spate_schema *s = schema_new(2, names, types, nullable);
  assert_non_null(s);
  return s;
}

static spate_schema *int_schema(void) {
  const char *names[] = {"n"};
  spate_type types[] = {SPATE_INT};
  bool nullable[] = {false};
  spate_schema *s = schema_new(1, names, types, nullable);
  assert_non_null(s);
  return s;
}

/* Adds a node; sources and transformations get their own reference of `schema`. */
static int add(stream_graph *g, op_kind kind, const char *name, int parallelism,
               const spate_schema *schema) {
  sg_node *n = sg_add_node(g, kind, name);
  assert_non_null(n);
  n->parallelism = parallelism;
  if (schema && !op_is_sink(kind)) n->out_schema = schema_ref(schema);
  return n->id;
}

static sg_edge *link(stream_graph *g, int from, int to, part_kind p) {
  sg_edge *e = sg_add_input(g, to, from, p);
  assert_non_null(e);
  return e;
}

static void set_field_key(key_spec *k, int field, const spate_schema *key_schema) {
  k->nfields = 1;
  k->fields = sp_malloc(sizeof(int));
  assert_non_null(k->fields);
  k->fields[0] = field;
  k->key_schema = key_schema ? schema_ref(key_schema) : NULL;
}

/* source -> map -> filter -> sink, all at the default parallelism, unset partitioners. */
static stream_graph *linear_graph(const spate_schema *s) {
  stream_graph *g = sg_new("linear");
  assert_non_null(g);
  g->default_parallelism = 2;
  int a = add(g, OP_SRC_SEQUENCE, "Source: numbers", 0, s);
  int b = add(g, OP_MAP, "Map", 0, s);
  int c = add(g, OP_FILTER, "Filter", 0, s);
  int d = add(g, OP_SINK_PRINT, "Sink: Print to Std. Out", 0, s);
  link(g, a, b, PART_UNSET);
  link(g, b, c, PART_UNSET);
  link(g, c, d, PART_UNSET);
  return g;
}

/* source -> map -> keyBy -> reduce -> sink */
static stream_graph *keyed_graph(const spate_schema *s) {
  stream_graph *g = sg_new("keyed");
  assert_non_null(g);
  g->default_parallelism = 2;
  int a = add(g, OP_SRC_SEQUENCE, "Source: words", 0, s);
  int b = add(g, OP_FLAT_MAP, "Flat Map", 0, s);
  int c = add(g, OP_REDUCE, "Keyed Reduce", 0, s);
  int d = add(g, OP_SINK_PRINT, "Sink: Print", 0, s);
  link(g, a, b, PART_UNSET);
  sg_edge *e = link(g, b, c, PART_HASH);
  set_field_key(&e->key, 0, NULL);
  set_field_key(&g->nodes[c].key, 0, NULL);
  g->nodes[c].udf = sp_strdup("wc_reduce");
  g->nodes[c].uid = sp_strdup("reduce-uid");
  g->nodes[c].params = sp_malloc(3);
  memcpy(g->nodes[c].params, "\x01\x02\x03", 3);
  g->nodes[c].params_len = 3;
  link(g, c, d, PART_UNSET);
  return g;
}

static job_graph *build_ok(const stream_graph *g) {
  char err[256] = "";
  job_graph *jg = NULL;
  int rc = jobgraph_build(g, &jg, err, sizeof err);
  if (rc) fail_msg("jobgraph_build failed: %d %s", rc, err);
  assert_non_null(jg);
  return jg;
}

static void expect_build_error(const stream_graph *g, const char *needle) {
  char err[512] = "";
  job_graph *jg = (job_graph *)1;
  int rc = jobgraph_build(g, &jg, err, sizeof err);
  assert_int_equal(rc, SPATE_EINVAL);
  assert_null(jg);
  if (!strstr(err, needle)) fail_msg("error '%s' does not contain '%s'", err, needle);
}

static void test_linear_chain(void **st) {
  (void)st;
  spate_schema *s = word_schema();
  stream_graph *g = linear_graph(s);
  job_graph *jg = build_ok(g);
  assert_int_equal(jg->nvertices, 1);
  assert_int_equal(jg->nedges, 0);
  jg_vertex *v = &jg->vertices[0];
  assert_string_equal(v->name, "Source: numbers -> Map -> Filter -> Sink: Print to Std. Out");
  assert_int_equal(v->nnodes, 4);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(v->nodes[i], i);
    assert_int_equal(jg->node_vertex[i], 0);
    assert_int_equal(jg->nodes[i].parallelism, 2);
    assert_int_equal(jg->nodes[i].max_parallelism, 128);
    assert_string_equal(jg->nodes[i].slot_group, "default");
  }
  assert_int_equal(jg->nodes[1].inputs[0].part, PART_FORWARD);
  assert_int_equal(v->parallelism, 2);
  assert_int_equal(v->head, 0);
  assert_int_equal(jobgraph_slots_needed(jg), 2);
  /* The build copied the graph: the StreamGraph is untouched. */
  assert_int_equal(g->nodes[1].parallelism, 0);
  assert_null(g->nodes[1].slot_group);
  jobgraph_free(jg);
  sg_free(g);
  schema_unref(s);
}

static void test_keyed_edge_breaks_chain(void **st) {
  (void)st;
  spate_schema *s = word_schema();
  stream_graph *g = keyed_graph(s);
  job_graph *jg = build_ok(g);
  assert_int_equal(jg->nvertices, 2);
  assert_string_equal(jg->vertices[0].name, "Source: words -> Flat Map");
  assert_string_equal(jg->vertices[1].name, "Keyed Reduce -> Sink: Print");
  assert_int_equal(jg->nedges, 1);
  jg_edge *e = &jg->edges[0];
  assert_int_equal(e->part, PART_HASH);
  assert_int_equal(e->source_vertex, 0);
  assert_int_equal(e->target_vertex, 1);
  assert_int_equal(e->source_node, 1);
  assert_int_equal(e->target_node, 2);
  assert_int_equal(e->target_input, 0);
  assert_int_equal(jg->vertices[0].noutputs, 1);
  assert_int_equal(jg->vertices[0].outputs[0], 0);
  assert_int_equal(jg->vertices[1].ninputs, 1);
  assert_int_equal(jg->vertices[1].inputs[0], 0);
  assert_int_equal(jg->node_vertex[3], 1);
  jobgraph_free(jg);
  sg_free(g);
  schema_unref(s);
}

static void test_parallelism_change_rebalances(void **st) {
  (void)st;
  spate_schema *s = word_schema();
  stream_graph *g = sg_new("rebalance");
  g->default_parallelism = 4;
  int a = add(g, OP_SRC_SOCKET, "Source: Socket Stream", 0, s);
  g->nodes[a].parallelism_fixed = true;
  int b = add(g, OP_MAP, "Map", 0, s);
  int c = add(g, OP_SINK_DISCARD, "Sink: Discard", 0, s);
  link(g, a, b, PART_UNSET);
  link(g, b, c, PART_UNSET);
  job_graph *jg = build_ok(g);
  assert_int_equal(jg->nodes[a].parallelism, 1);
  assert_int_equal(jg->nodes[b].parallelism, 4);
  assert_int_equal(jg->nvertices, 2);
  assert_int_equal(jg->nedges, 1);
  assert_int_equal(jg->edges[0].part, PART_REBALANCE);
  assert_string_equal(jg->vertices[1].name, "Map -> Sink: Discard");
  assert_int_equal(jobgraph_slots_needed(jg), 4);
  jobgraph_free(jg);

  /* A fixed-parallelism source cannot be made parallel. */
  g->nodes[a].parallelism = 3;
  expect_build_error(g, "Source: Socket Stream");
  sg_free(g);
  schema_unref(s);
}

static void test_chain_strategies(void **st) {
  (void)st;
  spate_schema *s = word_schema();
  stream_graph *g = linear_graph(s);
  /* disableChaining on the map isolates it on both sides. */
  g->nodes[1].chaining = CHAIN_NEVER;
  job_graph *jg = build_ok(g);
  assert_int_equal(jg->nvertices, 3);
  assert_string_equal(jg->vertices[0].name, "Source: numbers");
  assert_string_equal(jg->vertices[1].name, "Map");
  assert_string_equal(jg->vertices[2].name, "Filter -> Sink: Print to Std. Out");
  assert_int_equal(jg->nedges, 2);
  assert_int_equal(jg->edges[0].part, PART_FORWARD);
  assert_int_equal(jg->edges[1].part, PART_FORWARD);
  assert_int_equal(jg->edges[1].source_vertex, 1);
  jobgraph_free(jg);

  /* startNewChain on the filter: it heads a chain, and the sink still chains to it. */
  g->nodes[1].chaining = CHAIN_ALWAYS;
  g->nodes[2].chaining = CHAIN_HEAD;
  jg = build_ok(g);
  assert_int_equal(jg->nvertices, 2);
  assert_string_equal(jg->vertices[0].name, "Source: numbers -> Map");
  assert_string_equal(jg->vertices[1].name, "Filter -> Sink: Print to Std. Out");
  assert_int_equal(jg->vertices[1].head, 2);
  jobgraph_free(jg);

  /* chaining disabled for the job: one vertex per node, forward edges between them. */
  g->nodes[2].chaining = CHAIN_ALWAYS;
  g->chaining_enabled = false;
  jg = build_ok(g);
  assert_int_equal(jg->nvertices, 4);
  assert_int_equal(jg->nedges, 3);
  for (int v = 0; v < 4; v++) {
    assert_string_equal(jg->vertices[v].name, g->nodes[v].name);
    assert_int_equal(jg->node_vertex[v], v);
  }
  for (int e = 0; e < 3; e++) {
    assert_int_equal(jg->edges[e].part, PART_FORWARD);
    assert_int_equal(jg->edges[e].source_vertex, e);
    assert_int_equal(jg->edges[e].target_vertex, e + 1);
  }
  assert_int_equal(jobgraph_slots_needed(jg), 2);
  jobgraph_free(jg);
  sg_free(g);
  schema_unref(s);
}

static void test_slot_groups(void **st) {
  (void)st;
  spate_schema *s = word_schema();
  stream_graph *g = linear_graph(s);
  g->nodes[2].slot_group = sp_strdup("heavy");
  g->nodes[2].parallelism = 3;
  g->nodes[3].parallelism = 3;
  job_graph *jg = build_ok(g);
  assert_int_equal(jg->nvertices, 2);
  assert_string_equal(jg->vertices[0].slot_group, "default");
  /* The sink inherits the filter's group and chains to it. */
  assert_string_equal(jg->nodes[3].slot_group, "heavy");
  assert_string_equal(jg->vertices[1].slot_group, "heavy");
  assert_string_equal(jg->vertices[1].name, "Filter -> Sink: Print to Std. Out");
  assert_int_equal(jg->edges[0].part, PART_REBALANCE);
  assert_int_equal(jobgraph_slots_needed(jg), 2 + 3);
  jobgraph_free(jg);

  /* Same parallelism but different groups still splits the chain. */
  g->nodes[2].parallelism = 0;
  g->nodes[3].parallelism = 0;
  jg = build_ok(g);
  assert_int_equal(jg->nvertices, 2);
  assert_int_equal(jg->edges[0].part, PART_FORWARD);
  assert_int_equal(jobgraph_slots_needed(jg), 4);
  jobgraph_free(jg);
  sg_free(g);
  schema_unref(s);
}

static void test_union_not_chained(void **st) {
  (void)st;
  spate_schema *s = word_schema();
  stream_graph *g = sg_new("union");
  g->default_parallelism = 2;
  int a = add(g, OP_SRC_SEQUENCE, "Source: A", 0, s);
  int b = add(g, OP_SRC_SEQUENCE, "Source: B", 0, s);
  g->nodes[b].slot_group = sp_strdup("other");
  int m = add(g, OP_MAP, "Map", 0, s);
  int k = add(g, OP_SINK_PRINT, "Sink", 0, s);
  link(g, a, m, PART_UNSET);
  link(g, b, m, PART_SHUFFLE);
  link(g, m, k, PART_UNSET);
  job_graph *jg = build_ok(g);
  assert_int_equal(jg->nvertices, 3);
  assert_string_equal(jg->vertices[2].name, "Map -> Sink");
  /* Inputs from two groups: Flink falls back to "default". */
  assert_string_equal(jg->vertices[2].slot_group, "default");
  assert_int_equal(jg->vertices[2].ninputs, 2);
  jg_edge *e0 = &jg->edges[jg->vertices[2].inputs[0]];
  jg_edge *e1 = &jg->edges[jg->vertices[2].inputs[1]];
  assert_int_equal(e0->source_vertex, 0);
  assert_int_equal(e0->part, PART_FORWARD);
  assert_int_equal(e0->target_input, 0);
  assert_int_equal(e1->source_vertex, 1);
  assert_int_equal(e1->part, PART_SHUFFLE);
  assert_int_equal(e1->target_input, 1);
  assert_int_equal(jobgraph_slots_needed(jg), 4);
  jobgraph_free(jg);
  sg_free(g);
  schema_unref(s);
}

static void test_chain_tree_name(void **st) {
  (void)st;
  spate_schema *s = word_schema();
  stream_graph *g = sg_new("tree");
  int a = add(g, OP_SRC_SEQUENCE, "Source", 0, s);
  int b = add(g, OP_MAP, "A", 0, s);
  int c = add(g, OP_FILTER, "B", 0, s);
  int d = add(g, OP_SINK_PRINT, "SinkA", 0, s);
  int e = add(g, OP_SINK_PRINT, "SinkB", 4, s);
  link(g, a, b, PART_UNSET);
  link(g, a, c, PART_UNSET);
  link(g, b, d, PART_UNSET);
  link(g, c, e, PART_UNSET);
  job_graph *jg = build_ok(g);
  assert_int_equal(jg->nvertices, 2);
  assert_string_equal(jg->vertices[0].name, "Source -> (A -> SinkA, B)");
  assert_int_equal(jg->vertices[0].nnodes, 4);
  assert_string_equal(jg->vertices[1].name, "SinkB");
  assert_int_equal(jg->edges[0].part, PART_REBALANCE);
  assert_int_equal(jg->edges[0].source_node, c);
  jobgraph_free(jg);
  sg_free(g);
  schema_unref(s);
}

static void test_validation_errors(void **st) {
  (void)st;
  spate_schema *s = word_schema(), *t = int_schema();
  stream_graph *g;

  /* Explicit forward across a parallelism change: Flink's message. */
  g = sg_new("fwd");
  int a = add(g, OP_SRC_SEQUENCE, "Source: Sequence Source", 2, s);
  int b = add(g, OP_SINK_PRINT, "Sink: Unnamed", 4, s);
  link(g, a, b, PART_FORWARD);
  expect_build_error(g,
                     "Forward partitioning does not allow change of parallelism. Upstream "
                     "operation: Source: Sequence Source-0 parallelism: 2, downstream "
                     "operation: Sink: Unnamed-1 parallelism: 4");
  sg_free(g);

  /* A keyed operator without a key. */
  g = keyed_graph(s);
  key_spec_free(&g->nodes[2].key);
  expect_build_error(g, "Keyed Reduce");
  sg_free(g);

  /* A key field that does not exist. */
  g = keyed_graph(s);
  g->nodes[2].key.fields[0] = 7;
  expect_build_error(g, "field index 7 out of range");
  sg_free(g);

  /* Hash partitioning without a key. */
  g = keyed_graph(s);
  key_spec_free(&g->nodes[2].inputs[0].key);
  expect_build_error(g, "hash partition key");
  sg_free(g);

  /* Union of streams with different schemas. */
  g = sg_new("schemas");
  a = add(g, OP_SRC_SEQUENCE, "Source: A", 0, s);
  b = add(g, OP_SRC_SEQUENCE, "Source: B", 0, t);
  int m = add(g, OP_MAP, "Union Map", 0, s);
  link(g, a, m, PART_UNSET);
  link(g, b, m, PART_UNSET);
  expect_build_error(g, "'Union Map'");
  sg_free(g);

  /* An input that is not an earlier node. */
  g = linear_graph(s);
  g->nodes[1].inputs[0].source = 3;
  expect_build_error(g, "not an earlier node");
  sg_free(g);

  /* Parallelism above max parallelism, and max parallelism above Flink's bound. */
  g = linear_graph(s);
  g->nodes[1].parallelism = 10;
  g->nodes[1].max_parallelism = 8;
  expect_build_error(g, "'Map'");
  g->nodes[1].max_parallelism = 40000;
  expect_build_error(g, "32768");
  sg_free(g);

  /* A default max parallelism from the environment applies to every node. */
  g = linear_graph(s);
  g->default_max_parallelism = 16;
  job_graph *jg = build_ok(g);
  assert_int_equal(jg->nodes[3].max_parallelism, 16);
  assert_int_equal(jg->vertices[0].max_parallelism, 16);
  jobgraph_free(jg);
  sg_free(g);

  /* A transformation without output schema, reading from a sink, a source with inputs. */
  g = linear_graph(s);
  schema_unref(g->nodes[1].out_schema);
  g->nodes[1].out_schema = NULL;
  expect_build_error(g, "'Map' (id 1) has no output schema");
  sg_free(g);
  g = linear_graph(s);
  m = add(g, OP_MAP, "After Sink", 0, s);
  link(g, 3, m, PART_UNSET);
  expect_build_error(g, "produces no output");
  sg_free(g);
  g = linear_graph(s);
  m = add(g, OP_SRC_SEQUENCE, "Source: Fed", 0, s);
  link(g, 0, m, PART_UNSET);
  expect_build_error(g, "cannot have inputs");
  sg_free(g);

  /* Custom partitioning needs a partition function. */
  g = keyed_graph(s);
  g->nodes[2].inputs[0].part = PART_CUSTOM;
  expect_build_error(g, "partition function");
  g->nodes[2].inputs[0].partition_fn = sp_strdup("my_partitioner");
  jg = build_ok(g);
  assert_int_equal(jg->edges[0].part, PART_CUSTOM);
  jobgraph_free(jg);
  sg_free(g);

  /* An empty graph. */
  g = sg_new(NULL);
  expect_build_error(g, "No operators");
  sg_free(g);

  schema_unref(s);
  schema_unref(t);
}

static void test_many_nodes_and_job_id(void **st) {
  (void)st;
  spate_schema *s = int_schema();
  stream_graph *g = sg_new("long");
  int prev = add(g, OP_SRC_GENERATOR, "Source: gen", 3, s);
  for (int i = 0; i < 100; i++) {
    char name[32];
    snprintf(name, sizeof name, "Map %d", i);
    int n = add(g, OP_MAP, name, 3, s);
    link(g, prev, n, PART_UNSET);
    prev = n;
  }
  job_graph *jg1 = build_ok(g), *jg2 = build_ok(g);
  assert_int_equal(jg1->nvertices, 1);
  assert_int_equal(jg1->vertices[0].nnodes, 101);
  assert_non_null(strstr(jg1->vertices[0].name, "Map 98 -> Map 99"));
  assert_int_equal(strlen(jg1->job_id), 32);
  for (int i = 0; i < 32; i++) {
    char c = jg1->job_id[i];
    assert_true((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  assert_string_not_equal(jg1->job_id, jg2->job_id);
  jobgraph_free(jg1);
  jobgraph_free(jg2);
  sg_free(g);
  schema_unref(s);
}

static uint8_t *encode(const job_graph *jg, size_t *len) {
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(jobgraph_encode(jg, &w), 0);
  return sp_writer_take(&w, len);
}

/* A graph with a bit of everything: keys with schemas, a union, blobs, uid, artifact. */
static job_graph *rich_graph(void) {
  spate_schema *s = word_schema();
  const char *kn[] = {"word"};
  spate_type kt[] = {SPATE_STRING};
  bool knull[] = {true};
  spate_schema *ks = schema_new(1, kn, kt, knull);
  stream_graph *g = keyed_graph(s);
  g->artifact = sp_strdup("/tmp/job.so");
  g->buffer_timeout_ms = 5;
  g->nodes[1].udf = sp_strdup("split");
  g->nodes[1].open_fn = sp_strdup("split_open");
  g->nodes[1].close_fn = sp_strdup("split_close");
  g->nodes[1].udf_arg = sp_malloc(4);
  memcpy(g->nodes[1].udf_arg, "abcd", 4);
  g->nodes[1].udf_arg_len = 4;
  g->nodes[2].key.key_schema = schema_ref(ks);
  int src2 = add(g, OP_SRC_ELEMENTS, "Source: elements", 0, s);
  g->nodes[src2].parallelism_fixed = true;
  int u = add(g, OP_MAP, "Union", 0, s);
  link(g, 2, u, PART_UNSET);
  sg_edge *e = link(g, src2, u, PART_HASH);
  e->key.selector = sp_strdup("key_by_word");
  e->key.key_schema = schema_ref(ks);
  int k = add(g, OP_SINK_TEXT, "Sink: text", 0, s);
  link(g, u, k, PART_GLOBAL);
  job_graph *jg = build_ok(g);
  sg_free(g);
  schema_unref(s);
  schema_unref(ks);
  return jg;
}

static void test_encode_decode_roundtrip(void **st) {
  (void)st;
  job_graph *jg = rich_graph();
  size_t len1, len2;
  uint8_t *b1 = encode(jg, &len1);
  char err[256] = "";
  job_graph *back = NULL;
  int rc = jobgraph_decode(b1, len1, &back, err, sizeof err);
  if (rc) fail_msg("decode failed: %s", err);
  uint8_t *b2 = encode(back, &len2);
  assert_int_equal(len1, len2);
  assert_memory_equal(b1, b2, len1);

  assert_string_equal(back->job_id, jg->job_id);
  assert_string_equal(back->job_name, "keyed");
  assert_string_equal(back->artifact, "/tmp/job.so");
  assert_int_equal(back->buffer_timeout_ms, 5);
  assert_int_equal(back->buffer_size, jg->buffer_size);
  assert_true(back->chaining_enabled);
  assert_int_equal(back->nnodes, jg->nnodes);
  assert_int_equal(back->nvertices, jg->nvertices);
  assert_int_equal(back->nedges, jg->nedges);
  for (int i = 0; i < jg->nnodes; i++) {
    const sg_node *x = &jg->nodes[i], *y = &back->nodes[i];
    assert_int_equal(x->kind, y->kind);
    assert_string_equal(x->name, y->name);
    assert_int_equal(x->parallelism, y->parallelism);
    assert_int_equal(x->max_parallelism, y->max_parallelism);
    assert_int_equal(x->ninputs, y->ninputs);
    assert_int_equal(jg->node_vertex[i], back->node_vertex[i]);
    if (x->out_schema)
      assert_true(schema_equal(x->out_schema, y->out_schema));
    else
      assert_null(y->out_schema);
  }
  assert_string_equal(back->nodes[1].udf, "split");
  assert_string_equal(back->nodes[1].close_fn, "split_close");
  assert_int_equal(back->nodes[1].udf_arg_len, 4);
  assert_memory_equal(back->nodes[1].udf_arg, "abcd", 4);
  assert_string_equal(back->nodes[2].uid, "reduce-uid");
  assert_int_equal(back->nodes[2].params_len, 3);
  assert_int_equal(back->nodes[2].key.nfields, 1);
  assert_int_equal(back->nodes[2].key.fields[0], 0);
  assert_int_equal(back->nodes[2].key.key_schema->nfields, 1);
  assert_true(sg_uid_generated(&back->nodes[3])); /* no uid given: generated, stable */
  assert_string_equal(back->nodes[3].uid, jg->nodes[3].uid);
  const sg_edge *e = &back->nodes[5].inputs[1];
  assert_int_equal(e->part, PART_HASH);
  assert_string_equal(e->key.selector, "key_by_word");
  assert_non_null(e->key.key_schema);
  for (int v = 0; v < jg->nvertices; v++) {
    assert_string_equal(back->vertices[v].name, jg->vertices[v].name);
    assert_string_equal(back->vertices[v].slot_group, jg->vertices[v].slot_group);
    assert_int_equal(back->vertices[v].ninputs, jg->vertices[v].ninputs);
  }
  assert_int_equal(jobgraph_slots_needed(back), jobgraph_slots_needed(jg));
  sp_free(b1);
  sp_free(b2);
  jobgraph_free(back);
  jobgraph_free(jg);
}

static void patch_checksum(uint8_t *b, size_t len) {
  uint32_t c = sp_checksum32(b, len - 4);
  for (int i = 0; i < 4; i++) b[len - 4 + i] = (uint8_t)(c >> (8 * i));
}

/* Decoding must either fail with ECORRUPT or give a graph that encodes and decodes again. */
static void decode_must_be_safe(const uint8_t *b, size_t len) {
  char err[256] = "";
  job_graph *jg = NULL;
  int rc = jobgraph_decode(b, len, &jg, err, sizeof err);
  if (rc) {
    assert_int_equal(rc, SPATE_ECORRUPT);
    assert_null(jg);
    assert_true(err[0] != 0);
    return;
  }
  size_t l2;
  uint8_t *b2 = encode(jg, &l2);
  job_graph *again = NULL;
  rc = jobgraph_decode(b2, l2, &again, err, sizeof err);
  if (rc) fail_msg("re-decoding an accepted graph failed: %s", err);
  (void)jobgraph_slots_needed(again);
  char *plan = jobgraph_plan_json(again);
  assert_non_null(plan);
  sp_free(plan);
  jobgraph_free(again);
  jobgraph_free(jg);
  sp_free(b2);
}

static void test_corrupt_rejected(void **st) {
  (void)st;
  job_graph *jg = rich_graph();
  size_t len;
  uint8_t *b = encode(jg, &len);
  uint8_t *copy = sp_malloc(len);
  char err[256];
  job_graph *out = (job_graph *)1;

  /* Every single-byte flip is caught by the checksum (or magic). */
  for (size_t i = 0; i < len; i++) {
    memcpy(copy, b, len);
    copy[i] ^= 0x5A;
    out = (job_graph *)1;
    assert_int_equal(jobgraph_decode(copy, len, &out, err, sizeof err), SPATE_ECORRUPT);
    assert_null(out);
  }
  /* Every truncation is rejected. */
  for (size_t n = 0; n < len; n++)
    assert_int_equal(jobgraph_decode(b, n, &out, err, sizeof err), SPATE_ECORRUPT);

  memcpy(copy, b, len);
  copy[4] = 9; /* version */
  patch_checksum(copy, len);
  assert_int_equal(jobgraph_decode(copy, len, &out, err, sizeof err), SPATE_ECORRUPT);
  assert_non_null(strstr(err, "version"));

  sp_free(copy);
  sp_free(b);
  jobgraph_free(jg);
}

/* Fuzz behind the checksum: mutate bytes, fix the checksum, and the structural validation alone
 * must keep the decoder safe. Deterministic PRNG so failures reproduce. */
static void test_decode_fuzz(void **st) {
  (void)st;
  job_graph *jg = rich_graph();
  size_t len;
  uint8_t *b = encode(jg, &len);
  uint8_t *copy = sp_malloc(len);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  int accepted = 0;
  for (int iter = 0; iter < 20000; iter++) {
    memcpy(copy, b, len);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int flips = 1 + (int)(x % 3);
    for (int f = 0; f < flips; f++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      size_t pos = 8 + (size_t)(x % (len - 12)); /* keep magic and version */
      uint8_t v = (uint8_t)(x >> 32);
      switch ((x >> 40) % 4) {
      case 0: copy[pos] = v; break;
      case 1: copy[pos] ^= (uint8_t)(1u << (v & 7)); break;
      case 2: copy[pos] = 0xFF; break;
      default: copy[pos] = 0; break;
      }
    }
    size_t n = len;
    if (iter % 7 == 0) n = 12 + (size_t)((x >> 8) % (len - 12)); /* truncated */
    patch_checksum(copy, n);
    char err[256] = "";
    job_graph *out = NULL;
    if (jobgraph_decode(copy, n, &out, err, sizeof err) == 0) accepted++;
    jobgraph_free(out);
    decode_must_be_safe(copy, n);
  }
  /* Some mutations (e.g. inside names) are harmless and must still decode. */
  assert_true(accepted > 0);
  sp_free(copy);
  sp_free(b);
  jobgraph_free(jg);
}

static const char *get_str(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  assert_non_null(v);
  assert_true(json_is_string(v));
  return json_string_value(v);
}

static void test_plan_json(void **st) {
  (void)st;
  spate_schema *s = word_schema();
  stream_graph *g = keyed_graph(s);
  job_graph *jg = build_ok(g);
  char *text = jobgraph_plan_json(jg);
  assert_non_null(text);
  assert_non_null(strstr(text, "\n  \"")); /* two-space indent */
  json_error_t jerr;
  json_t *root = json_loads(text, 0, &jerr);
  if (!root) fail_msg("plan is not JSON: %s", jerr.text);
  assert_string_equal(get_str(root, "jid"), jg->job_id);
  assert_string_equal(get_str(root, "name"), "keyed");
  assert_string_equal(get_str(root, "type"), "STREAMING");
  json_t *nodes = json_object_get(root, "nodes");
  assert_int_equal(json_array_size(nodes), 2);

  json_t *n0 = json_array_get(nodes, 0), *n1 = json_array_get(nodes, 1);
  assert_int_equal(json_integer_value(json_object_get(n0, "id")), 0);
  assert_int_equal(json_integer_value(json_object_get(n0, "parallelism")), 2);
  assert_string_equal(get_str(n0, "description"), "Source: words -> Flat Map");
  assert_string_equal(get_str(n0, "operator"), "SOURCE_SEQUENCE");
  assert_null(json_object_get(n0, "inputs"));
  json_t *ops = json_object_get(n0, "operators");
  assert_int_equal(json_array_size(ops), 2);
  assert_string_equal(get_str(json_array_get(ops, 1), "name"), "Flat Map");
  assert_string_equal(get_str(json_array_get(ops, 1), "kind"), "FLAT_MAP");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(ops, 1), "max_parallelism")),
                   128);

  assert_string_equal(get_str(n1, "description"), "Keyed Reduce -> Sink: Print");
  json_t *op2 = json_array_get(json_object_get(n1, "operators"), 0);
  assert_string_equal(get_str(op2, "uid"), "reduce-uid");
  assert_int_equal(json_integer_value(json_object_get(op2, "id")), 2);
  json_t *ins = json_object_get(n1, "inputs");
  assert_int_equal(json_array_size(ins), 1);
  json_t *in0 = json_array_get(ins, 0);
  assert_int_equal(json_integer_value(json_object_get(in0, "num")), 0);
  assert_int_equal(json_integer_value(json_object_get(in0, "id")), 0);
  assert_string_equal(get_str(in0, "ship_strategy"), "HASH");
  assert_string_equal(get_str(in0, "exchange"), "pipelined_bounded");
  json_decref(root);
  sp_free(text);
  jobgraph_free(jg);

  /* A rebalance between vertices shows up as REBALANCE. */
  g->nodes[3].parallelism = 5;
  jg = build_ok(g);
  text = jobgraph_plan_json(jg);
  root = json_loads(text, 0, &jerr);
  assert_non_null(root);
  nodes = json_object_get(root, "nodes");
  assert_int_equal(json_array_size(nodes), 3);
  in0 = json_array_get(json_object_get(json_array_get(nodes, 2), "inputs"), 0);
  assert_string_equal(get_str(in0, "ship_strategy"), "REBALANCE");
  assert_int_equal(json_integer_value(json_object_get(in0, "id")), 1);
  json_decref(root);
  sp_free(text);
  jobgraph_free(jg);

  /* Names that are not UTF-8 still give valid JSON, with U+FFFD in place of bad bytes. */
  sp_free(g->nodes[1].name);
  g->nodes[1].name = sp_strdup("Bad \xff\xc3 Name");
  jg = build_ok(g);
  text = jobgraph_plan_json(jg);
  assert_non_null(text);
  root = json_loads(text, 0, &jerr);
  assert_non_null(root);
  assert_string_equal(get_str(json_array_get(json_object_get(root, "nodes"), 0), "description"),
                      "Source: words -> Bad \xef\xbf\xbd\xef\xbf\xbd Name");
  json_decref(root);
  sp_free(text);
  jobgraph_free(jg);
  sg_free(g);
  schema_unref(s);
}

static void test_names(void **st) {
  (void)st;
  assert_string_equal(op_kind_name(OP_MAP), "MAP");
  assert_string_equal(op_kind_name(OP_AGG), "AGGREGATE");
  assert_string_equal(part_kind_name(PART_HASH), "HASH");
  assert_string_equal(part_kind_name(PART_FORWARD), "FORWARD");
  assert_string_equal(part_kind_name(PART_REBALANCE), "REBALANCE");
  assert_true(op_is_source(OP_SRC_SOCKET));
  assert_false(op_is_source(OP_MAP));
  assert_true(op_is_sink(OP_SINK_UDF));
  assert_false(op_is_sink(OP_REDUCE));
  assert_true(op_is_keyed(OP_REDUCE));
  assert_true(op_is_keyed(OP_AGG));
  assert_false(op_is_keyed(OP_FILTER));

  stream_graph *g = sg_new("x");
  assert_null(sg_add_input(g, 0, 0, PART_UNSET)); /* no such target */
  sg_node *n = sg_add_node(g, OP_MAP, NULL);
  assert_string_equal(n->name, "MAP");
  assert_int_equal(n->chaining, CHAIN_ALWAYS);
  assert_int_equal(n->parallelism, 0);
  assert_null(n->slot_group);
  sg_free(g);

  key_spec a = {0}, b;
  set_field_key(&a, 3, NULL);
  a.selector = sp_strdup("sel");
  assert_int_equal(key_spec_copy(&b, &a), 0);
  assert_int_equal(b.nfields, 1);
  assert_int_equal(b.fields[0], 3);
  assert_string_equal(b.selector, "sel");
  assert_ptr_not_equal(b.fields, a.fields);
  key_spec_free(&a);
  key_spec_free(&b);
}

/* Every allocation in build, encode, decode and plan may fail; each must report it cleanly and
 * leak nothing (LeakSanitizer checks at exit; the byte counter checks here). */
static void test_allocation_failures(void **st) {
  (void)st;
  spate_schema *s = word_schema();
  stream_graph *g = keyed_graph(s);
  int64_t base = sp_alloc_current();
  char err[256];
  int rc = SPATE_ENOMEM;
  for (int64_t i = 1; rc != 0; i++) {
    job_graph *jg = NULL;
    sp_alloc_fail_after(i, 1);
    rc = jobgraph_build(g, &jg, err, sizeof err);
    sp_alloc_fail_after(0, 0);
    if (rc) {
      assert_int_equal(rc, SPATE_ENOMEM);
      assert_null(jg);
      assert_int_equal(sp_alloc_current(), base);
      continue;
    }
    size_t len;
    uint8_t *b = encode(jg, &len);
    int drc = SPATE_ENOMEM;
    for (int64_t j = 1; drc != 0; j++) {
      job_graph *back = NULL;
      int64_t before = sp_alloc_current();
      sp_alloc_fail_after(j, 1);
      drc = jobgraph_decode(b, len, &back, err, sizeof err);
      sp_alloc_fail_after(0, 0);
      if (drc) {
        assert_true(drc == SPATE_ENOMEM || drc == SPATE_ECORRUPT);
        assert_int_equal(sp_alloc_current(), before);
      } else {
        jobgraph_free(back);
      }
    }
    for (int64_t j = 1;; j++) {
      sp_alloc_fail_after(j, 1);
      char *plan = jobgraph_plan_json(jg);
      sp_alloc_fail_after(0, 0);
      if (plan) {
        sp_free(plan);
        break;
      }
    }
    sp_free(b);
    jobgraph_free(jg);
  }
  assert_int_equal(sp_alloc_current(), base);
  sg_free(g);
  schema_unref(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_linear_chain),
      cmocka_unit_test(test_keyed_edge_breaks_chain),
      cmocka_unit_test(test_parallelism_change_rebalances),
      cmocka_unit_test(test_chain_strategies),
      cmocka_unit_test(test_slot_groups),
      cmocka_unit_test(test_union_not_chained),
      cmocka_unit_test(test_chain_tree_name),
      cmocka_unit_test(test_validation_errors),
      cmocka_unit_test(test_many_nodes_and_job_id),
      cmocka_unit_test(test_encode_decode_roundtrip),
      cmocka_unit_test(test_corrupt_rejected),
      cmocka_unit_test(test_decode_fuzz),
      cmocka_unit_test(test_plan_json),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
