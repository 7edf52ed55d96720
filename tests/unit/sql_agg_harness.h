/*
 * sql_agg_harness.h: what the tests of SQL's aggregation operators share (test_sql_group_agg.c,
 * test_sql_window_agg.c): a node of an SQL aggregation kind added to a pipeline built with the
 * public API (as the planner will add it), input rows from a compact description, and the
 * operator's output as Flink prints a changelog ("+I[a, 1]; -U[a, 1]; +U[a, 4]"), so a test
 * compares it with the changelog Flink's documentation and tests give.
 * Header-only, after <cmocka.h> and harness.h.
 */
#ifndef SPATE_TESTS_SQL_AGG_HARNESS_H
#define SPATE_TESTS_SQL_AGG_HARNESS_H
#include "base/strbuf.h"
#include "graph/op_params.h"
#include "types/row_kind.h"

/* An I32S parameter list of the given values; SQL_LIST() is empty. */
#define SQL_LIST(...)                                                         \
  ((op_i32_list){sizeof((int32_t[]){0, ##__VA_ARGS__}) / sizeof(int32_t) - 1, \
                 (const int32_t[]){0, ##__VA_ARGS__} + 1})

/* A node of `kind` reading `keyed` (a stream keyed by the GROUP BY fields), with the params
 * struct of its kind and output schema out. */
static inline spate_stream *sql_agg_node(spate_stream *keyed, op_kind kind, const void *params,
                                         const spate_schema *out) {
  spate_env *env = keyed->env;
  int id;
  sg_node *n = api_add_node(env, kind, op_kind_name(kind), &id);
  if (!n) return NULL;
  n->out_schema = schema_ref(out);
  if (key_spec_copy(&n->key, &keyed->inputs[0].key) < 0) return NULL;
  if (!api_set_params(env, id, params) || !api_connect_inputs(env, id, keyed)) return NULL;
  return api_new_stream(env, id, out);
}

/* The output so far as "+I[a, 1]; -U[a, 1]; ..." (the kind from a last $row_kind field, none
 * for an append-only output), records only; `from` skips the first events. The caller frees. */
static inline char *sql_agg_changelog(const harness *h, size_t from) {
  sp_strbuf sb = {0};
  const spate_schema *s = h->op->node->out_schema;
  bool kinds = strcmp(s->fields[s->nfields - 1].name, ROW_KIND_FIELD_NAME) == 0;
  int n = kinds ? s->nfields - 1 : s->nfields;
  for (size_t i = from; i < h->nevents; i++) {
    const harness_event *e = &h->events[i];
    if (e->type != HARNESS_RECORD) continue;
    if (sb.len) sp_strbuf_add(&sb, "; ");
    if (kinds) sp_strbuf_add(&sb, row_kind_short(spate_row_tinyint(&e->row, s->nfields - 1)));
    sp_strbuf_add(&sb, "[");
    for (int f = 0; f < n; f++) {
      if (f) sp_strbuf_add(&sb, ", ");
      row_format_field(&sb, &e->row, f, s);
    }
    sp_strbuf_add(&sb, "]");
  }
  if (!sb.data) sp_strbuf_add(&sb, "");
  return sb.data;
}

/* Asserts the changelog since event `from`, then forgets those events' position: returns the
 * number of events, the next call's `from`. */
static inline size_t sql_agg_expect(const harness *h, size_t from, const char *expected) {
  char *got = sql_agg_changelog(h, from);
  assert_string_equal(got, expected);
  sp_free(got);
  return h->nevents;
}
#endif
