/*
 * test_op_params.c: typed operator parameters (graph/op_params.h): every field of a struct
 * survives store and load, lists and schemas included; malformed bytes are refused with a
 * message naming the kind and the field (every truncation, a bad boolean, a NULL in a list, a
 * count larger than the bytes, trailing bytes), allocation failures are reported and leak
 * nothing, a struct of the wrong kind is refused, and an operator whose params are malformed
 * fails to open with its name and the field in the message.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/log.h"
#include "graph/op_params.h"
#include "harness.h"

static spate_schema *parse(const char *spec) {
  spate_schema *s = NULL;
  char err[128];
  assert_int_equal(spate_schema_parse(spec, &s, err, sizeof err), 0);
  return s;
}

/* A node of `kind` in a graph of its own (freed with the graph). */
static sg_node *node(stream_graph **g, op_kind kind) {
  *g = sg_new("params");
  assert_non_null(*g);
  sg_node *n = sg_add_node(*g, kind, NULL);
  assert_non_null(n);
  return n;
}

/* A window's params with every field set, and none equal to its zero. */
static op_window_params full_window(const spate_schema *acc, const spate_schema *res) {
  return (op_window_params){.assigner = 1,
                            .domain = 2,
                            .size = 10,
                            .slide = -11,
                            .offset = INT64_MIN,
                            .gap = INT64_MAX,
                            .lateness = 12,
                            .late_tag = "late",
                            .fn = 3,
                            .trigger = 4,
                            .purging = true,
                            .trigger_count = 13,
                            .trigger_interval = 14,
                            .trigger_threshold = 0.25,
                            .trigger_delta_fn = "tdelta",
                            .evictor = 5,
                            .evict_after = true,
                            .evictor_count = 15,
                            .evictor_window = 16,
                            .evictor_threshold = -1e300,
                            .evictor_delta_fn = "edelta",
                            .window_all = true,
                            .gap_fn = "gap",
                            .agg_create = "create",
                            .agg_add = "add",
                            .agg_result = "result",
                            .agg_merge = "merge",
                            .window_fn = "apply",
                            .on_element = "el",
                            .on_event_time = "et",
                            .on_processing_time = "pt",
                            .on_clear = "clear",
                            .on_merge = "merged",
                            .acc_schema = acc,
                            .result_schema = res,
                            .arrival_order = true};
}

static void test_window_round_trip(void **state) {
  (void)state;
  spate_schema *acc = parse("n BIGINT NOT NULL, s DOUBLE"), *res = parse("avg DOUBLE");
  stream_graph *g;
  sg_node *n = node(&g, OP_WINDOW);
  op_window_params in = full_window(acc, res), out;
  assert_int_equal(op_window_params_store(n, &in), 0);
  char err[SP_ERRMSG_MAX] = "";
  assert_int_equal(op_window_params_load(n, &out, err, sizeof err), 0);
  assert_int_equal(out.assigner, 1);
  assert_int_equal(out.domain, 2);
  assert_int_equal(out.size, 10);
  assert_int_equal(out.slide, -11);
  assert_true(out.offset == INT64_MIN && out.gap == INT64_MAX);
  assert_int_equal(out.lateness, 12);
  assert_string_equal(out.late_tag, "late");
  assert_true(out.fn == 3 && out.trigger == 4 && out.purging);
  assert_true(out.trigger_count == 13 && out.trigger_interval == 14);
  assert_true(out.trigger_threshold == 0.25);
  assert_string_equal(out.trigger_delta_fn, "tdelta");
  assert_true(out.evictor == 5 && out.evict_after);
  assert_true(out.evictor_count == 15 && out.evictor_window == 16);
  assert_true(out.evictor_threshold == -1e300);
  assert_string_equal(out.evictor_delta_fn, "edelta");
  assert_true(out.window_all && out.arrival_order);
  const char *got[] = {out.gap_fn,     out.agg_create,    out.agg_add,
                       out.agg_result, out.agg_merge,     out.window_fn,
                       out.on_element, out.on_event_time, out.on_processing_time,
                       out.on_clear,   out.on_merge};
  const char *want[] = {"gap", "create", "add", "result", "merge", "apply",
                        "el",  "et",     "pt",  "clear",  "merged"};
  for (int i = 0; i < 11; i++) assert_string_equal(got[i], want[i]);
  assert_true(schema_equal(out.acc_schema, acc));
  assert_true(schema_equal(out.result_schema, res));
  /* what is taken out is the caller's; free releases the rest */
  char *tag = op_params_take_str(&out.late_tag);
  assert_null(out.late_tag);
  op_window_params_free(&out);
  assert_null(out.agg_add);
  sp_free(tag);

  /* a zeroed struct (what a designated initialiser leaves) round-trips too: NULLs stay NULL */
  op_window_params zero = {0};
  assert_int_equal(op_window_params_store(n, &zero), 0);
  assert_int_equal(op_window_params_load(n, &out, err, sizeof err), 0);
  assert_null(out.late_tag);
  assert_null(out.acc_schema);
  assert_false(out.purging);
  op_window_params_free(&out);
  sg_free(g);
  schema_unref(acc);
  schema_unref(res);
}

static void test_lists_round_trip(void **state) {
  (void)state;
  stream_graph *g;
  sg_node *n = node(&g, OP_SRC_FILE);
  const char *paths[] = {"/a", "", "/c/d"};
  op_file_source_params f = {.paths = {3, paths}}, fo;
  assert_int_equal(op_file_source_params_store(n, &f), 0);
  char err[SP_ERRMSG_MAX];
  assert_int_equal(op_file_source_params_load(n, &fo, err, sizeof err), 0);
  assert_int_equal(fo.paths.n, 3);
  for (int i = 0; i < 3; i++) assert_string_equal(fo.paths.v[i], paths[i]);
  op_file_source_params_free(&fo);
  sg_free(g);

  n = node(&g, OP_SRC_ELEMENTS);
  op_blob rows[] = {{(const uint8_t *)"abc", 3}, {(const uint8_t *)"", 0}};
  op_elements_params e = {.rows = {2, rows}}, eo;
  assert_int_equal(op_elements_params_store(n, &e), 0);
  assert_int_equal(op_elements_params_load(n, &eo, err, sizeof err), 0);
  assert_int_equal(eo.rows.n, 2);
  assert_int_equal(eo.rows.v[0].len, 3);
  assert_memory_equal(eo.rows.v[0].data, "abc", 3);
  assert_int_equal(eo.rows.v[1].len, 0);
  /* the rows are views into the node's params */
  assert_true(eo.rows.v[0].data > n->params && eo.rows.v[0].data < n->params + n->params_len);
  op_elements_params_free(&eo);
  sg_free(g);

  n = node(&g, OP_SQL_GROUP_AGG);
  const int32_t kinds[] = {SQL_AGG_COUNT_STAR, SQL_AGG_MAX}, args[] = {-1, 2}, none[] = {0, 0};
  const int32_t filters[] = {-1, INT32_MIN};
  op_sql_group_agg_params a = {.input_updating = true,
                               .agg_kinds = {2, kinds},
                               .agg_args = {2, args},
                               .agg_distinct = {2, none},
                               .agg_filters = {2, filters},
                               .state_ttl_ms = 7},
                          ao;
  assert_int_equal(op_sql_group_agg_params_store(n, &a), 0);
  assert_int_equal(op_sql_group_agg_params_load(n, &ao, err, sizeof err), 0);
  assert_int_equal(ao.group_fields.n, 0); /* an empty list stays empty, no array */
  assert_null(ao.group_fields.v);
  assert_int_equal(ao.agg_kinds.n, 2);
  assert_memory_equal(ao.agg_kinds.v, kinds, sizeof kinds);
  assert_memory_equal(ao.agg_args.v, args, sizeof args);
  assert_memory_equal(ao.agg_filters.v, filters, sizeof filters);
  assert_int_equal(ao.state_ttl_ms, 7);
  op_sql_group_agg_params_free(&ao);
  sg_free(g);
}

/* Every proper prefix of a window's params is refused, naming the field it stops in. */
static void test_every_truncation(void **state) {
  (void)state;
  spate_schema *acc = parse("n BIGINT NOT NULL"), *res = parse("avg DOUBLE");
  stream_graph *g;
  sg_node *n = node(&g, OP_WINDOW);
  op_window_params in = full_window(acc, res), out;
  assert_int_equal(op_window_params_store(n, &in), 0);
  size_t full = n->params_len;
  for (size_t len = 0; len < full; len++) {
    uint8_t *cut = sp_malloc(len ? len : 1); /* exact size: ASan sees any overrun */
    memcpy(cut, n->params, len);
    char err[SP_ERRMSG_MAX] = "";
    int rc = op_params_decode(OP_WINDOW, cut, len, &out, err, sizeof err);
    assert_int_equal(rc, SPATE_ECORRUPT);
    assert_non_null(strstr(err, "WINDOW parameters: field '"));
    assert_null(out.late_tag); /* owns nothing */
    if (len == 0) assert_non_null(strstr(err, "field 'assigner'"));
    if (len == 2) assert_non_null(strstr(err, "field 'size'"));
    if (len == full - 1) assert_non_null(strstr(err, "field 'window_clear'"));
    sp_free(cut);
  }
  sg_free(g);
  schema_unref(acc);
  schema_unref(res);
}

/* Decodes bytes as `kind`'s params and checks the refusal and its message. */
static void refused(op_kind kind, const void *bytes, size_t len, const char *needle) {
  _Alignas(max_align_t) char buf[512];
  memset(buf, 0, sizeof buf);
  char err[SP_ERRMSG_MAX] = "";
  assert_true(op_params_size(kind) <= sizeof buf);
  assert_int_equal(op_params_decode(kind, bytes, len, buf, err, sizeof err), SPATE_ECORRUPT);
  if (!strstr(err, needle)) fail_msg("'%s' does not say '%s'", err, needle);
}

static void test_malformed(void **state) {
  (void)state;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, "/out");
  sp_put_u8(&w, 2); /* neither true nor false */
  refused(OP_SINK_TEXT, w.data, w.len, "SINK_TEXT parameters: field 'overwrite': a boolean");
  sp_writer_free(&w);

  sp_writer_init(&w);
  sp_put_u32(&w, 2);
  sp_put_str(&w, "/a");
  sp_put_str(&w, NULL);
  refused(OP_SRC_FILE, w.data, w.len, "field 'paths': a NULL string in a list");
  sp_writer_free(&w);

  sp_writer_init(&w); /* an I32S count the bytes left cannot hold */
  sp_put_u8(&w, 0);
  sp_put_u32(&w, 3);
  sp_put_i32(&w, 1);
  sp_put_i32(&w, 2);
  refused(OP_SQL_GROUP_AGG, w.data, w.len, "field 'group_fields': count 3 larger than the bytes");
  sp_writer_free(&w);

  sp_writer_init(&w);
  sp_put_u32(&w, 1u << 30); /* a billion rows in 12 bytes: nothing is allocated for them */
  sp_put_u64(&w, 0);
  refused(OP_SRC_ELEMENTS, w.data, w.len, "field 'rows': count 1073741824 larger than");
  sp_writer_free(&w);

  sp_writer_init(&w);
  sp_put_i64(&w, 1);
  sp_put_i64(&w, 10);
  sp_put_u8(&w, 0);
  refused(OP_SRC_SEQUENCE, w.data, w.len, "1 bytes after the last field 'to'");
  sp_writer_free(&w);

  refused(OP_SRC_SEQUENCE, "\x01", 1, "SOURCE_SEQUENCE parameters: field 'from': truncated");
  refused(OP_MAP, "\x01", 1, "MAP has no parameters, but 1 bytes were given");

  char err[SP_ERRMSG_MAX];
  assert_int_equal(op_params_decode(OP_MAP, NULL, 0, NULL, err, sizeof err), 0);
}

static void test_wrong_kind(void **state) {
  (void)state;
  stream_graph *g;
  sg_node *n = node(&g, OP_MAP);
  op_sequence_params p = {.from = 1, .to = 2};
  assert_int_equal(op_sequence_params_store(n, &p), SPATE_EINVAL);
  assert_null(n->params);
  char err[SP_ERRMSG_MAX] = "";
  assert_int_equal(op_sequence_params_load(n, &p, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "MAP has no op_sequence_params"));
  sg_free(g);
}

static void test_allocation_failures(void **state) {
  (void)state;
  spate_schema *acc = parse("n BIGINT NOT NULL"), *res = parse("avg DOUBLE");
  stream_graph *g;
  sg_node *n = node(&g, OP_WINDOW);
  op_window_params in = full_window(acc, res), out;
  assert_int_equal(op_window_params_store(n, &in), 0);
  int failures = 0;
  for (int k = 1; k < 100; k++) {
    char err[SP_ERRMSG_MAX] = "";
    sp_alloc_fail_after(k, 0);
    int rc = op_window_params_load(n, &out, err, sizeof err);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) {
      op_window_params_free(&out);
      break;
    }
    failures++;
    assert_int_equal(rc, SPATE_ENOMEM);
    assert_non_null(strstr(err, "WINDOW parameters: field '"));
  }
  assert_true(failures > 0); /* some allocation failed; ASan checks that none leaked */
  sg_free(g);
  schema_unref(acc);
  schema_unref(res);
}

/* An operator whose params are malformed does not open, and says which operator and field. */
static void test_operator_refuses_malformed(void **state) {
  (void)state;
  spate_env *env = spate_env_create();
  const spate_schema *kv = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *src = spate_from_rows(env, kv, NULL, 0);
  spate_stream *w = spate_window_reduce(
      spate_window(spate_key_by(src, 0), spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0)),
      harness_sum);
  assert_non_null(w);
  sg_node *n = &env->g->nodes[w->node];
  n->params_len -= 3; /* cut into the last fields */
  harness h;
  assert_int_equal(harness_open(&h, env, w), SPATE_ECORRUPT);
  assert_non_null(strstr(h.err, "'Window'"));
  assert_non_null(strstr(h.err, "WINDOW parameters: field '"));
  harness_close(&h);
  spate_env_free(env);
}

int main(void) {
  sp_log_set_level(SP_LOG_OFF);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_window_round_trip),
      cmocka_unit_test(test_lists_round_trip),
      cmocka_unit_test(test_every_truncation),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_wrong_kind),
      cmocka_unit_test(test_allocation_failures),
      cmocka_unit_test(test_operator_refuses_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
