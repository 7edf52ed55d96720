/*
 * plan_json.c: the JobGraph as Flink's JSON execution plan (what `spate info` prints and the
 * REST API serves, with JobVertexIDs for ids: jobgraph_plan_json_rest): one entry per vertex with its chained operators and its inputs' ship
 * strategies. Names come from user programs or the wire, so text that is not UTF-8 is repaired
 * rather than refused.
 */
#include "graph/stream_graph.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"

/* ---- JSON plan ------------------------------------------------------------------------------ */

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
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < len;) {
    size_t at = i;
    uint32_t cp;
    if (sp_utf8_next(u, len, &i, &cp)) {
      memcpy(clean + o, u + at, i - at);
      o += i - at;
    } else {
      memcpy(clean + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i = at + 1;
    }
  }
  j = json_stringn(clean, o);
  sp_free(clean);
  return j;
}

/* json_*_new returns NULL on failure and the *_new setters accept NULL (reporting failure), so
 * allocation failures surface as a -1 from a set/append call. */
/* A vertex's "id": its number, or (rest) its JobVertexID. */
static json_t *vertex_ref(const job_graph *jg, int v, bool rest) {
  if (!rest) return json_integer(jg->vertices[v].id);
  char id[33];
  jobgraph_vertex_id(jg, v, id);
  return json_string(id);
}

static json_t *plan_vertex(const job_graph *jg, int v, bool rest) {
  const jg_vertex *x = &jg->vertices[v];
  json_t *o = json_object(), *ops = json_array();
  if (!o || !ops) goto fail;
  const sg_node *head = &jg->nodes[x->head];
  int bad = json_object_set_new(o, "id", vertex_ref(jg, v, rest));
  bad |= json_object_set_new(o, "parallelism", json_integer(x->parallelism));
  if (rest) /* the web dashboard reads it */
    bad |= json_object_set_new(o, "maxParallelism", json_integer(x->max_parallelism));
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
      bad |= json_object_set_new(in, "id", vertex_ref(jg, e->source_vertex, rest));
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

static char *plan_json(const job_graph *jg, bool rest) {
  char *result = NULL, *text = NULL;
  json_t *root = json_object(), *nodes = json_array();
  if (!root || !nodes) goto out;
  int bad = json_object_set_new(root, "jid", json_string(jg->job_id));
  bad |= json_object_set_new(root, "name", json_text(jg->job_name ? jg->job_name : ""));
  bad |= json_object_set_new(root, "type", json_string("STREAMING"));
  bad |= json_object_set(root, "nodes", nodes);
  for (int v = 0; v < jg->nvertices && !bad; v++) {
    json_t *o = plan_vertex(jg, v, rest);
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

char *jobgraph_plan_json(const job_graph *jg) { return plan_json(jg, false); }

char *jobgraph_plan_json_rest(const job_graph *jg) { return plan_json(jg, true); }
