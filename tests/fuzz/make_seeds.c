/*
 * make_seeds.c: writes the binary seed inputs of the fuzz targets with the library's own
 * encoders, so the seeds are valid inputs of today's formats. The text seeds (config files,
 * -D lines, schema specs, files for the line reader, socket streams) are written by hand.
 *
 * Usage: build/tests/make_fuzz_seeds tests/fuzz
 * Writes <dir>/<target>/seed-*.bin, replacing files of the same name; run it again after a
 * format changes and commit what changed. Every seed is small (a few hundred bytes).
 */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h> /* declarations the operator harness refers to */

#include "base/config.h"
#include "base/err.h"
#include "checkpoint/storage.h"
#include "cluster/messages.h"
#include "connectors/collect_remote.h"
#include "graph/op_params.h"
#include "graph/stream_graph.h"
#include "message_job.h"
#include "metrics/metric_dump.h"
#include "net/frame.h"
#include "net/shuffle_protocol.h"
#include "restore_ops.h"
#include "runtime/task.h"
#include "sql/sql_compile.h"
#include "sql/sql_parser.h"
#include "sql/sql_row_schema.h"
#include "sql/sql_udf.h"
#include "state/keyed_state.h"
#include "state/snapshot.h"
#include "state/timer_queue.h"
#include "types/row.h"
#include "types/schema.h"

static const char *root;

/* Writes <root>/<target>/<name>. */
static void put(const char *target, const char *name, const void *data, size_t len) {
  char dir[4200], path[4400];
  snprintf(dir, sizeof dir, "%s/%s", root, target);
  FUZZ_CHECK(mkdir(dir, 0755) == 0 || errno == EEXIST, "cannot create %s", dir);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  fuzz_write_file(path, data, len);
  printf("%s (%zu bytes)\n", path, len);
}

static void put_writer(const char *target, const char *name, sp_writer *w) {
  FUZZ_CHECK(!w->failed, "out of memory");
  put(target, name, w->data, w->len);
  sp_writer_free(w);
}

/* fuzz_wire_frame: byte 0 (pieces of 1 + it), then what a connection carries. */
static void wire_seed(const char *name, uint8_t piece, const sp_writer *stream) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, piece);
  sp_put_bytes(&w, stream->data, stream->len);
  put_writer("wire_frame", name, &w);
}

/* fuzz_shuffle_protocol: byte 0 picks the message, then the payload of one of its frames. */
static void shuffle_seed(const char *name, uint8_t which, sp_writer *frame) {
  FUZZ_CHECK(!frame->failed && frame->len >= SP_WIRE_HEADER_SIZE, "out of memory");
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, which);
  sp_put_bytes(&w, frame->data + SP_WIRE_HEADER_SIZE, frame->len - SP_WIRE_HEADER_SIZE);
  put_writer("shuffle_protocol", name, &w);
  sp_writer_free(frame);
  sp_writer_init(frame);
}

static void shuffle_protocol_seeds(void) {
  sp_writer f;
  sp_writer_init(&f);
  shuf_request q = {.id = 0x10003,
                    .credit = 2,
                    .edge = 4,
                    .producer = 1,
                    .sub = 2,
                    .nsub = 3,
                    .buffers = 8,
                    .size = 32768,
                    .job_key = "0123456789abcdef0123456789abcdef-1"};
  shuf_put_request(&f, &q);
  shuffle_seed("seed-request.bin", 0, &f);
  uint8_t hdr[SP_WIRE_HEADER_SIZE + SHUF_BUFFER_HEADER];
  uint8_t elements[24] = {8, 0, 0, 0, 1, 0, 0, 0, 42}; /* a record: 8-byte timestamp */
  shuf_buffer_header(hdr, 0x10003, 5, sizeof elements);
  sp_put_bytes(&f, hdr, sizeof hdr);
  sp_put_bytes(&f, elements, sizeof elements);
  shuffle_seed("seed-buffer.bin", 1, &f);
  shuf_put_credit(&f, 0x10003, 1);
  shuffle_seed("seed-credit.bin", 2, &f);
  shuf_put_cancel(&f, 0x20000);
  shuffle_seed("seed-cancel.bin", 3, &f);
  shuf_put_error(&f, SHUF_ALL, "partition job-1/0/0 has 1 subpartitions, no subpartition 2");
  shuffle_seed("seed-error.bin", 4, &f);
  uint8_t barrier[40] = {7};
  shuf_put_announce(&f, 0x10003, 7, barrier, sizeof barrier);
  shuffle_seed("seed-announce.bin", 5, &f);
  shuf_put_backlog(&f, 0x10003, 6);
  shuffle_seed("seed-backlog.bin", 6, &f);
  q.nsub = 0; /* refused: no subpartitions */
  shuf_put_request(&f, &q);
  shuffle_seed("seed-request-no-subpartitions.bin", 0, &f);
  sp_writer_free(&f);
}

static void wire_frame_seeds(void) {
  sp_writer s;
  sp_writer_init(&s);
  sp_wire_put_hello(&s);
  sp_wire_put_frame(&s, 1, "job-1234", 8);
  sp_wire_put_frame(&s, 2, NULL, 0);
  sp_wire_put_frame(&s, 0xFFFFFFFFu, "0123456789abcdef", 16);
  wire_seed("seed-frames-bytewise.bin", 0, &s);
  wire_seed("seed-frames-chunked.bin", 255, &s);
  size_t good = s.len;
  sp_put_u32(&s, 10); /* a frame cut short: 3 of its 10 payload bytes */
  sp_put_u32(&s, SP_WIRE_VERSION);
  sp_put_u32(&s, 1);
  sp_put_bytes(&s, "abc", 3);
  wire_seed("seed-truncated.bin", 6, &s);
  s.len = good;
  sp_put_u32(&s, 5000); /* beyond the target's limit of 4096 */
  sp_put_u32(&s, SP_WIRE_VERSION);
  sp_put_u32(&s, 1);
  wire_seed("seed-oversize.bin", 12, &s);
  sp_writer_free(&s);
  sp_writer_init(&s);
  sp_put_bytes(&s, "GET / HTTP/1.1\r\n", 16);
  wire_seed("seed-http.bin", 15, &s);
  sp_writer_free(&s);
  sp_writer_init(&s);
  sp_put_bytes(&s, "SPAT", 4);
  sp_put_u32(&s, 2); /* protocol version 2 */
  wire_seed("seed-version-2.bin", 7, &s);
  sp_writer_free(&s);
}

static spate_schema *parse(const char *spec) {
  spate_schema *s = NULL;
  char err[SP_ERRMSG_MAX];
  FUZZ_CHECK(spate_schema_parse(spec, &s, err, sizeof err) == 0, "%s", err);
  return s;
}

/* ---- rows ---------------------------------------------------------------------------------- */

static const char *row_spec =
    "s STRING, n BIGINT NOT NULL, d DOUBLE, b BOOLEAN, y BYTES, "
    "t TIMESTAMP, i INT";

/* A row of row_spec: nulls leaves the nullable fields NULL. */
static void build_row(spate_row_builder *b, bool nulls, int k) {
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 1, -42 * k);
  if (!nulls) {
    spate_rb_set_string(b, 0, k ? "wörld" : "hello", strlen(k ? "wörld" : "hello"));
    spate_rb_set_double(b, 2, k ? 1e-5 : 0.1);
    spate_rb_set_bool(b, 3, k & 1);
    spate_rb_set_bytes(b, 4, "\x01\xfe", 2);
    spate_rb_set_timestamp(b, 5, 1763700000123 - k);
    spate_rb_set_int(b, 6, 7 * k);
  }
}

static void row_seeds(void) {
  spate_schema *s = parse(row_spec);
  spate_row_builder *b = spate_rb_new(s);
  for (int k = 0; k < 3; k++) {
    build_row(b, k == 2, k);
    spate_row r;
    FUZZ_CHECK(spate_rb_finish(b, &r) == 0, "%s", spate_rb_error(b));
    sp_writer w;
    sp_writer_init(&w);
    sp_put_bytes(&w, row_spec, strlen(row_spec));
    sp_put_u8(&w, '\n');
    sp_put_bytes(&w, r.data, r.len);
    char name[32];
    snprintf(name, sizeof name, "seed-%d.bin", k);
    put_writer("row", name, &w);
  }
  spate_rb_free(b);
  schema_unref(s);

  /* One field alone prints without parentheses. */
  s = parse("word STRING NOT NULL");
  b = spate_rb_new(s);
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, "to", 2);
  spate_row r;
  FUZZ_CHECK(spate_rb_finish(b, &r) == 0, "%s", spate_rb_error(b));
  sp_writer w;
  sp_writer_init(&w);
  sp_put_bytes(&w, "word STRING NOT NULL\n", 21);
  sp_put_bytes(&w, r.data, r.len);
  put_writer("row", "seed-single.bin", &w);
  spate_rb_free(b);
  schema_unref(s);
}

/* Flink's SQL types, with the tail values of TIMESTAMP(9) and DECIMAL(38). */
static const char *sql_spec =
    "a TINYINT, b SMALLINT, c FLOAT, d DECIMAL(10, 2), e DECIMAL(38, 4), f DATE, g TIME(3), "
    "h TIMESTAMP(9), i TIMESTAMP_LTZ(3), j INTERVAL YEAR(2) TO MONTH, "
    "k INTERVAL DAY(2) TO SECOND(3), l CHAR(5), m VARCHAR(20), n BINARY(2), o VARBINARY(8) NOT "
    "NULL";

/* Composites, nested, with NULLs inside. */
static const char *composite_spec =
    "a ARRAY<INT>, m MAP<STRING, BIGINT>, r ROW<x INT, y ARRAY<STRING>>, n ARRAY<ARRAY<DOUBLE>>";

static void composite_row_seed(void) {
  spate_schema *s = parse(composite_spec);
  spate_row_builder *b = spate_rb_new(s);
  spate_array_builder *ab = spate_ab_new(s, 0, 0), *mk = spate_ab_new(s, 1, 0),
                      *mv = spate_ab_new(s, 1, 1);
  const spate_schema *rs = spate_schema_field_schema(s, 2);
  spate_row_builder *rb = spate_rb_new(rs);
  spate_array_builder *ry = spate_ab_new(rs, 1, 0), *outer = spate_ab_new(s, 3, 0),
                      *inner = spate_ab_new(spate_schema_field_schema(s, 3), 0, 0);
  spate_array a, k, v, y, in, nn;
  spate_row rrow, r;
  spate_rb_begin(b);
  spate_ab_begin(ab, 3);
  spate_rb_set_int(spate_ab_elements(ab), 0, 1);
  spate_rb_set_int(spate_ab_elements(ab), 2, 3);
  FUZZ_CHECK(spate_ab_finish(ab, &a) == 0, "array");
  spate_rb_set_array(b, 0, &a);
  spate_ab_begin(mk, 2);
  spate_ab_begin(mv, 2);
  spate_rb_set_string(spate_ab_elements(mk), 0, "a", 1);
  spate_rb_set_string(spate_ab_elements(mk), 1, "b", 1);
  spate_rb_set_bigint(spate_ab_elements(mv), 0, -1);
  FUZZ_CHECK(spate_ab_finish(mk, &k) == 0 && spate_ab_finish(mv, &v) == 0, "map");
  spate_rb_set_map(b, 1, &k, &v);
  spate_ab_begin(ry, 1);
  spate_rb_set_string(spate_ab_elements(ry), 0, "yy", 2);
  FUZZ_CHECK(spate_ab_finish(ry, &y) == 0, "inner array");
  spate_rb_begin(rb);
  spate_rb_set_int(rb, 0, 7);
  spate_rb_set_array(rb, 1, &y);
  FUZZ_CHECK(spate_rb_finish(rb, &rrow) == 0, "nested row");
  spate_rb_set_row(b, 2, &rrow);
  spate_ab_begin(outer, 2);
  spate_ab_begin(inner, 1);
  spate_rb_set_double(spate_ab_elements(inner), 0, 1.5);
  FUZZ_CHECK(spate_ab_finish(inner, &in) == 0, "inner");
  spate_rb_set_array(spate_ab_elements(outer), 0, &in);
  FUZZ_CHECK(spate_ab_finish(outer, &nn) == 0, "outer");
  spate_rb_set_array(b, 3, &nn);
  FUZZ_CHECK(spate_rb_finish(b, &r) == 0, "%s", spate_rb_error(b));
  sp_writer w;
  sp_writer_init(&w);
  sp_put_bytes(&w, composite_spec, strlen(composite_spec));
  sp_put_u8(&w, '\n');
  sp_put_bytes(&w, r.data, r.len);
  put_writer("row", "seed-composite.bin", &w);
  sp_writer_init(&w);
  schema_encode(&w, s);
  put_writer("schema_decode", "seed-composite.bin", &w);
  spate_ab_free(ab);
  spate_ab_free(mk);
  spate_ab_free(mv);
  spate_ab_free(ry);
  spate_ab_free(outer);
  spate_ab_free(inner);
  spate_rb_free(rb);
  spate_rb_free(b);
  schema_unref(s);
}

static void sql_row_seeds(void) {
  spate_schema *s = parse(sql_spec);
  spate_row_builder *b = spate_rb_new(s);
  for (int k = 0; k < 2; k++) {
    spate_rb_begin(b);
    spate_rb_set_bytes(b, 14, "xy", 2);
    if (k == 0) {
      spate_rb_set_tinyint(b, 0, -128);
      spate_rb_set_smallint(b, 1, 32767);
      spate_rb_set_float(b, 2, 0.1f);
      spate_rb_set_decimal(b, 3, -1234);
      spate_rb_set_decimal(b, 4, (spate_int128)1 << 100);
      spate_rb_set_date(b, 5, 2932896);
      spate_rb_set_time(b, 6, 45296789);
      spate_rb_set_timestamp_nanos(b, 7, 1577968496789, 123456);
      spate_rb_set_timestamp(b, 8, -1);
      spate_rb_set_interval_months(b, 9, 14);
      spate_rb_set_interval_ms(b, 10, -500);
      spate_rb_set_string(b, 11, "ab", 2);
      spate_rb_set_string(b, 12, "x", 1);
      spate_rb_set_bytes(b, 13, "\x01\xff", 2);
    }
    spate_row r;
    FUZZ_CHECK(spate_rb_finish(b, &r) == 0, "%s", spate_rb_error(b));
    sp_writer w;
    sp_writer_init(&w);
    sp_put_bytes(&w, sql_spec, strlen(sql_spec));
    sp_put_u8(&w, '\n');
    sp_put_bytes(&w, r.data, r.len);
    put_writer("row", k ? "seed-sql-nulls.bin" : "seed-sql.bin", &w);
  }
  spate_rb_free(b);
  schema_unref(s);
}

/* ---- schemas ------------------------------------------------------------------------------- */

static void schema_seeds(void) {
  const char *specs[] = {"word STRING, count BIGINT NOT NULL", row_spec,
                         "`a b` INT, `NOT` BOOLEAN NOT NULL"};
  for (int k = 0; k < 3; k++) {
    spate_schema *s = parse(specs[k]);
    sp_writer w;
    sp_writer_init(&w);
    schema_encode(&w, s);
    char name[32];
    snprintf(name, sizeof name, "seed-%d.bin", k);
    put_writer("schema_decode", name, &w);
    schema_unref(s);
  }
  spate_schema *s = parse(sql_spec);
  sp_writer w;
  sp_writer_init(&w);
  schema_encode(&w, s);
  put_writer("schema_decode", "seed-sql.bin", &w);
  schema_unref(s);
}

/* ---- job results --------------------------------------------------------------------------- */

static void job_result_seeds(void) {
  spate_schema *s = parse(row_spec);
  spate_row_builder *b = spate_rb_new(s);
  for (int k = 0; k < 3; k++) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_str(&w, "0123456789abcdef0123456789abcdef");
    sp_put_str(&w, "job");
    sp_put_u8(&w, k == 1 ? SPATE_JOB_FAILED : SPATE_JOB_FINISHED);
    sp_put_str(&w, k == 1 ? "it broke" : NULL);
    sp_put_i64(&w, 12);
    sp_put_u32(&w, 2); /* operators */
    for (int i = 0; i < 2; i++) {
      sp_put_i32(&w, i);
      sp_put_str(&w, i ? "Sink: Collect" : "Source: numbers");
      sp_put_u64(&w, 3);
      sp_put_u64(&w, 3);
      sp_put_u64(&w, 1000);
    }
    sp_put_u32(&w, k == 2 ? 0 : 1); /* collected */
    if (k != 2) {
      sp_put_str(&w, "out");
      schema_encode(&w, s);
      sp_put_u32(&w, 2);
      for (int i = 0; i < 2; i++) {
        spate_row r;
        build_row(b, i == 1, i);
        FUZZ_CHECK(spate_rb_finish(b, &r) == 0, "%s", spate_rb_error(b));
        sp_put_blob(&w, r.data, r.len);
      }
    }
    if (k != 1) {        /* results made before the job ran end here */
      sp_put_i32(&w, 1); /* restarts */
      sp_put_u32(&w, 1); /* checkpoints */
      sp_put_i64(&w, 1);
      sp_put_i64(&w, 20);
      sp_put_i64(&w, 1);
      sp_put_i64(&w, 5);
      sp_put_i64(&w, 0);
      sp_put_u64(&w, 4096);
      sp_put_u8(&w, 1);
    }
    char name[32];
    snprintf(name, sizeof name, "seed-%d.bin", k);
    put_writer("job_result", name, &w);
  }
  spate_rb_free(b);
  schema_unref(s);
}

/* ---- job graphs ---------------------------------------------------------------------------- */

static int add(stream_graph *g, op_kind kind, const char *name, const spate_schema *s) {
  sg_node *n = sg_add_node(g, kind, name);
  FUZZ_CHECK(n != NULL, "out of memory");
  if (s && !op_is_sink(kind)) n->out_schema = schema_ref(s);
  return n->id;
}

static sg_edge *add_edge(stream_graph *g, int from, int to, part_kind p) {
  sg_edge *e = sg_add_input(g, to, from, p);
  FUZZ_CHECK(e != NULL, "out of memory");
  return e;
}

static void field_key(key_spec *k, int field, const spate_schema *key_schema) {
  k->nfields = 1;
  k->fields = sp_malloc(sizeof(int));
  FUZZ_CHECK(k->fields != NULL, "out of memory");
  k->fields[0] = field;
  k->key_schema = key_schema ? schema_ref(key_schema) : NULL;
}

/* Encodes the graph without its trailing checksum, which fuzz_jobgraph appends. */
static void put_graph(stream_graph *g, const char *name) {
  job_graph *jg = NULL;
  char err[SP_ERRMSG_MAX];
  FUZZ_CHECK(jobgraph_build(g, &jg, err, sizeof err) == 0, "%s", err);
  memcpy(jg->job_id, "0123456789abcdef0123456789abcdef", 33); /* the same seeds every time */
  sp_writer w;
  sp_writer_init(&w);
  FUZZ_CHECK(jobgraph_encode(jg, &w) == 0, "encoding failed");
  w.len -= 4;
  put_writer("jobgraph", name, &w);
  jobgraph_free(jg);
  sg_free(g);
}

static void jobgraph_seeds(void) {
  spate_schema *s = parse("word STRING, count BIGINT NOT NULL");
  spate_schema *ks = parse("word STRING");

  /* source -> map -> filter -> print, chained */
  stream_graph *g = sg_new("linear");
  g->default_parallelism = 2;
  int a = add(g, OP_SRC_SEQUENCE, "Source: numbers", s);
  int b = add(g, OP_MAP, "Map", s);
  int c = add(g, OP_FILTER, "Filter", s);
  int d = add(g, OP_SINK_PRINT, "Sink: Print to Std. Out", s);
  add_edge(g, a, b, PART_UNSET);
  add_edge(g, b, c, PART_UNSET);
  add_edge(g, c, d, PART_UNSET);
  g->nodes[b].udf = sp_strdup("square");
  put_graph(g, "seed-linear.bin");

  /* a keyed reduce behind a hash exchange, a second source unioned in, a global sink, a
   * configuration, UDF arguments and an artifact */
  g = sg_new("keyed");
  g->default_parallelism = 2;
  g->artifact = sp_strdup("/tmp/job.so");
  g->buffer_timeout_ms = 5;
  a = add(g, OP_SRC_SEQUENCE, "Source: words", s);
  b = add(g, OP_FLAT_MAP, "Flat Map", s);
  c = add(g, OP_REDUCE, "Keyed Reduce", s);
  add_edge(g, a, b, PART_UNSET);
  sg_edge *e = add_edge(g, b, c, PART_HASH);
  field_key(&e->key, 0, ks);
  field_key(&g->nodes[c].key, 0, ks);
  g->nodes[b].udf = sp_strdup("split");
  g->nodes[b].open_fn = sp_strdup("split_open");
  g->nodes[b].udf_arg = sp_malloc(4);
  memcpy(g->nodes[b].udf_arg, "abcd", 4);
  g->nodes[b].udf_arg_len = 4;
  g->nodes[c].udf = sp_strdup("wc_reduce");
  g->nodes[c].uid = sp_strdup("reduce-uid");
  int src2 = add(g, OP_SRC_ELEMENTS, "Source: elements", s);
  g->nodes[src2].parallelism_fixed = true;
  int u = add(g, OP_MAP, "Union", s);
  add_edge(g, c, u, PART_UNSET);
  e = add_edge(g, src2, u, PART_HASH);
  e->key.selector = sp_strdup("key_by_word");
  e->key.key_schema = schema_ref(ks);
  int k = add(g, OP_SINK_TEXT, "Sink: text", s);
  add_edge(g, u, k, PART_GLOBAL);
  sp_config *cfg = sp_config_new();
  char err[SP_ERRMSG_MAX];
  FUZZ_CHECK(
      sp_config_set(cfg, "execution.checkpointing.interval", "1 s", "seed", err, sizeof err) == 0 &&
          sp_config_set(cfg, "restart-strategy.type", "fixed-delay", "seed", err, sizeof err) == 0,
      "%s", err);
  FUZZ_CHECK(sg_set_config(g, cfg) == 0, "out of memory");
  sp_config_free(cfg);
  put_graph(g, "seed-keyed.bin");

  /* a rebalance between different parallelisms and a broadcast */
  g = sg_new("rebalance");
  g->default_parallelism = 3;
  a = add(g, OP_SRC_SOCKET, "Source: Socket Stream", s);
  g->nodes[a].parallelism = 1;
  g->nodes[a].parallelism_fixed = true;
  b = add(g, OP_MAP, "Map", s);
  d = add(g, OP_SINK_DISCARD, "Sink: Discard", s);
  add_edge(g, a, b, PART_REBALANCE);
  add_edge(g, b, d, PART_BROADCAST);
  put_graph(g, "seed-rebalance.bin");

  schema_unref(ks);
  schema_unref(s);
}

/* ---- operator and task snapshots ----------------------------------------------------------- */

/* One operator subtask's snapshot: key groups [first, last] of max 8 with a section in every
 * other group, a SPLIT and a UNION list. Appended to out. */
static void operator_snapshot(sp_writer *out, int first, int last, int tag) {
  snap_writer w;
  FUZZ_CHECK(snap_writer_init(&w, 8, (ks_key_group_range){first, last}) == 0, "init failed");
  for (int kg = first; kg <= last; kg += 2) {
    sp_writer *kw = snap_key_group(&w, kg);
    FUZZ_CHECK(kw != NULL, "key group %d refused", kg);
    sp_put_u32(kw, (uint32_t)(kg * 100 + tag));
    sp_put_str(kw, "state");
  }
  char entry[16];
  snprintf(entry, sizeof entry, "split-%d", tag);
  FUZZ_CHECK(snap_list_add(&w, "offsets", SNAP_SPLIT, entry, (uint32_t)strlen(entry)) == 0 &&
                 snap_list_add(&w, "offsets", SNAP_SPLIT, "x", 1) == 0 &&
                 snap_list_add(&w, "union", SNAP_UNION, &tag, sizeof tag) == 0,
             "list add failed");
  FUZZ_CHECK(snap_encode(&w, out) == 0, "encode failed");
  snap_writer_free(&w);
}

static void snapshot_seeds(void) {
  /* operator_snapshot: new parallelism byte, then the old subtasks' encodings */
  for (int k = 0; k < 3; k++) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_u8(&w, (uint8_t)k); /* new parallelism 1 + k */
    int nold = k + 1;
    for (int j = 0; j < nold; j++) {
      if (j) sp_put_bytes(&w, "#SECTION#", 9);
      if (k == 2 && j == 1) continue; /* an old subtask without state */
      ks_key_group_range r = ks_key_group_range_for(8, nold, j);
      operator_snapshot(&w, r.first, r.last, j);
    }
    char name[32];
    snprintf(name, sizeof name, "seed-%d.bin", k);
    put_writer("operator_snapshot", name, &w);
  }

  /* task_state: task payloads as task_snapshot_encode writes them */
  for (int k = 0; k < 3; k++) {
    sp_writer w;
    sp_writer_init(&w);
    int p = k + 1;
    sp_put_u32(&w, SNAP_TASK_MAGIC);
    sp_put_u32(&w, 1);
    sp_put_i32(&w, p);
    sp_put_u32(&w, k == 0 ? 1 : 2);
    sp_put_str(&w, "source-uid");
    sp_put_i32(&w, 8);
    sp_writer sec;
    sp_writer_init(&sec);
    ks_key_group_range r = ks_key_group_range_for(8, p, 0);
    operator_snapshot(&sec, r.first, r.last, k);
    sp_put_blob(&w, sec.data, sec.len);
    sp_writer_free(&sec);
    if (k > 0) {
      sp_put_str(&w, "map-uid"); /* a stateless operator of the chain */
      sp_put_i32(&w, 8);
      sp_put_blob(&w, NULL, 0);
    }
    sp_put_blob(&w, k == 2 ? "in-flight" : NULL, k == 2 ? 9 : 0); /* channel state */
    char name[32];
    snprintf(name, sizeof name, "seed-%d.bin", k);
    put_writer("task_state", name, &w);
  }
}

/* ---- keyed state sections ------------------------------------------------------------------ */

static int sum_fn(void *arg, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  (void)arg;
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0) + spate_row_bigint(in, 0));
  return 0;
}

static int avg_add(void *arg, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  (void)arg;
  spate_rb_set_bigint(out, 0, (acc ? spate_row_bigint(acc, 0) : 0) + spate_row_bigint(in, 0));
  spate_rb_set_bigint(out, 1, (acc ? spate_row_bigint(acc, 1) : 0) + 1);
  return 0;
}

static int avg_result(void *arg, const spate_row *acc, spate_row_builder *out) {
  (void)arg;
  spate_rb_set_double(out, 0, (double)spate_row_bigint(acc, 0) / (double)spate_row_bigint(acc, 1));
  return 0;
}

static int64_t clock_ms(void *arg) {
  (void)arg;
  return 9500;
}

static const spate_row *finish(spate_row_builder *b) {
  static spate_row r;
  FUZZ_CHECK(spate_rb_finish(b, &r) == 0, "%s", spate_rb_error(b));
  return &r;
}

/* The states of fuzz_keyed_state (same names, kinds and schemas), two keys, one with a window
 * namespace, and timers in both queues; written as key group 5's section. */
static void keyed_state_seeds(void) {
  spate_schema *count = parse("n BIGINT NOT NULL");
  spate_schema *item = parse("s STRING, b BYTES, d DOUBLE, t TIMESTAMP, ok BOOLEAN, i INT");
  spate_schema *key = parse("k STRING NOT NULL");
  spate_schema *acc = parse("sum BIGINT, cnt BIGINT");
  spate_schema *avg = parse("avg DOUBLE NOT NULL");
  ks_descriptor d[6] = {
      {.name = "count", .kind = KS_VALUE, .value_schema = count},
      {.name = "items", .kind = KS_LIST, .value_schema = item},
      {.name = "index", .kind = KS_MAP, .value_schema = count, .user_key_schema = key},
      {.name = "sum", .kind = KS_REDUCING, .value_schema = count, .reduce = sum_fn},
      {.name = "avg",
       .kind = KS_AGGREGATING,
       .value_schema = count,
       .acc_schema = acc,
       .result_schema = avg,
       .agg_add = avg_add,
       .agg_result = avg_result},
      {.name = "seen",
       .kind = KS_LIST,
       .value_schema = item,
       .ttl = {.update = KS_TTL_ON_READ_AND_WRITE,
               .ttl_ms = 1000,
               .visibility = KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP,
               .cleanup_full_snapshot = true}},
  };
  ks_backend *b = NULL;
  FUZZ_CHECK(ks_backend_new(128, (ks_key_group_range){0, 127}, clock_ms, NULL, &b) == 0, "new");
  ks_state *st[6];
  for (int i = 0; i < 6; i++) FUZZ_CHECK(ks_register(b, &d[i], &st[i]) == 0, "%s", ks_error(b));
  spate_row_builder *cb = spate_rb_new(count), *ib = spate_rb_new(item), *kb = spate_rb_new(key);
  timer_queue *tq[2];
  for (int i = 0; i < 2; i++)
    FUZZ_CHECK(tq_new(128, (ks_key_group_range){0, 127}, &tq[i]) == 0, "tq_new");
  const char *keys[2] = {"alice", "bob"};
  for (int k = 0; k < 2; k++) {
    FUZZ_CHECK(ks_set_current_key(b, keys[k], 5 - (uint32_t)k * 2, 5) == 0, "%s", ks_error(b));
    if (k) FUZZ_CHECK(ks_set_namespace(b, "\x00\x01window", 8) == 0, "%s", ks_error(b));
    spate_rb_begin(cb);
    spate_rb_set_bigint(cb, 0, 7 + k);
    const spate_row *c = finish(cb);
    FUZZ_CHECK(ks_value_update(st[0], c) == 0 && ks_reducing_add(st[3], c) >= 0 &&
                   ks_aggregating_add(st[4], c) == 0,
               "%s", ks_error(b));
    for (int e = 0; e < 2; e++) {
      spate_rb_begin(ib);
      spate_rb_set_string(ib, 0, "élément", strlen("élément"));
      spate_rb_set_bytes(ib, 1, "\xff", 1);
      spate_rb_set_double(ib, 2, 2.5 * e);
      spate_rb_set_timestamp(ib, 3, 1000 * e);
      spate_rb_set_bool(ib, 4, e);
      const spate_row *it = finish(ib);
      FUZZ_CHECK(ks_list_add(st[1], it) == 0 && ks_list_add(st[5], it) == 0, "%s", ks_error(b));
    }
    spate_rb_begin(kb);
    spate_rb_set_string(kb, 0, keys[1 - k], strlen(keys[1 - k]));
    spate_row uk;
    FUZZ_CHECK(spate_row_copy(finish(kb), &uk) == 0, "copy");
    FUZZ_CHECK(ks_map_put(st[2], &uk, c) == 0, "%s", ks_error(b));
    spate_row_free(&uk);
    for (int i = 0; i < 2; i++)
      FUZZ_CHECK(tq_register(tq[i], 5, 1000 * (k + 1) + i, keys[k], 5 - (uint32_t)k * 2,
                             k ? "\x00\x01window" : NULL, k ? 8 : 0) == 1,
                 "tq_register");
  }
  const unsigned masks[3] = {0x3f, 0x00, 0x15};
  for (int m = 0; m < 3; m++) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_u8(&w, (uint8_t)masks[m]);
    FUZZ_CHECK(ks_write_key_group(b, 5, &w) == 0, "%s", ks_error(b));
    for (int i = 0; i < 2; i++) FUZZ_CHECK(tq_write_key_group(tq[i], 5, &w) == 0, "write timers");
    char name[32];
    snprintf(name, sizeof name, "seed-%d.bin", m);
    put_writer("keyed_state", name, &w);
  }
  for (int i = 0; i < 2; i++) tq_free(tq[i]);
  spate_rb_free(cb);
  spate_rb_free(ib);
  spate_rb_free(kb);
  ks_backend_free(b);
  schema_unref(count);
  schema_unref(item);
  schema_unref(key);
  schema_unref(acc);
  schema_unref(avg);
}

/* ---- operator parameters ------------------------------------------------------------------- */

/* A window aggregate (count, sum) -> average, for parameters with schemas. */
int ms_avg_create(spate_ctx *ctx, spate_row_builder *acc);
int ms_avg_create(spate_ctx *ctx, spate_row_builder *acc) {
  spate_rb_set_bigint(acc, 0, 0);
  spate_rb_set_bigint(acc, 1, 0);
  return 0;
}
int ms_avg_add(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out);
int ms_avg_add(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0) + 1);
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  return 0;
}
int ms_avg_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out);
int ms_avg_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  int64_t n = spate_row_bigint(acc, 0);
  spate_rb_set_double(out, 0, n ? (double)spate_row_bigint(acc, 1) / (double)n : 0);
  return 0;
}
int ms_avg_merge(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *out);
int ms_avg_merge(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(a, 0) + spate_row_bigint(b, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(a, 1) + spate_row_bigint(b, 1));
  return 0;
}

/* The params of one operator of every kind that has some, as the API stores them: u8 kind,
 * then the params (fuzz_op_params's input). */
static void op_params_seeds(void) {
  spate_env *env = spate_env_create();
  FUZZ_CHECK(env != NULL, "out of memory");
  const spate_schema *kv = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  const spate_schema *acc = spate_env_schema(env, "n BIGINT NOT NULL, sum BIGINT NOT NULL");
  const spate_schema *avg = spate_env_schema(env, "avg DOUBLE NOT NULL");
  spate_stream *rows = fr_build(env, FR_ELEMENTS_SOURCE);
  spate_stream *seq = spate_from_sequence(env, 1, 40);
  const char *paths[] = {"/tmp/a.txt", "/tmp/b.txt"};
  spate_discard(spate_read_text_files(env, paths, 2));
  spate_discard(spate_socket_text_stream(env, "localhost", 9999));
  spate_discard(spate_generate_rate_limited(env, kv, fm_generate, 100, 10.0));
  spate_stream *ts =
      spate_with_idleness(spate_assign_timestamps(rows, 1, SPATE_WATERMARKS_BOUNDED, 5), 1000);
  spate_print(spate_sum(spate_key_by(ts, 0), 1), "sum");
  spate_write_text(spate_process(spate_key_by(ts, 0), fr_count, fr_fired, kv), "/tmp/out.txt");
  spate_collect(spate_co_process(spate_connect(spate_key_by(ts, 0), spate_key_by(ts, 0)), fr_count,
                                 fr_count, fr_fired, kv),
                "co");
  spate_discard(spate_interval_join(spate_key_by(ts, 0), spate_key_by(ts, 0), -5, 5, false, true,
                                    fr_join, kv));
  spate_discard(spate_window_join(spate_key_by(ts, 0), spate_key_by(ts, 0),
                                  spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 0), fr_join, kv));
  spate_stream *w = spate_window(spate_key_by(ts, 0), spate_session_windows(SPATE_EVENT_TIME, 5));
  spate_late_output(w, "late");
  spate_aggregate_fns fns = {ms_avg_create, ms_avg_add, ms_avg_result, ms_avg_merge};
  spate_discard(spate_window_aggregate(w, &fns, acc, avg));
  spate_discard(spate_window_reduce(
      spate_window_trigger(
          spate_window(spate_key_by(ts, 0), spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0)),
          spate_count_trigger(2)),
      fr_sum));
  spate_file_sink_options o = {.max_part_size = 1024, .part_prefix = "p"};
  spate_sink_file(seq, "/tmp/out", &o);
  static const char *const part_keys[] = {"k"}; /* a partitioned one: seed-sink-file-2.bin */
  spate_file_sink_options po = {.partition_keys = part_keys, .npartition_keys = 1};
  spate_sink_file(spate_generate(env, kv, fm_generate, 10), "/tmp/parts", &po);
  spate_sink_two_phase(seq, fr_txn_begin, fr_txn_invoke, fr_txn_done, fr_txn_done, fr_txn_done);
  FUZZ_CHECK(!spate_env_error(env), "%s", spate_env_error(env));
  const stream_graph *g = env->g;
  int seen[OP_KIND_MAX_] = {0};
  for (int i = 0; i < g->nnodes; i++) {
    const sg_node *n = &g->nodes[i];
    if (!op_params_size(n->kind)) continue;
    sp_writer out;
    sp_writer_init(&out);
    sp_put_u8(&out, (uint8_t)(n->kind - 1)); /* 1 + b % (OP_KIND_MAX_ - 1) is the kind */
    sp_put_bytes(&out, n->params, n->params_len);
    char name[64], lower[32];
    snprintf(lower, sizeof lower, "%s", op_kind_name(n->kind));
    for (char *c = lower; *c; c++) *c = *c == '_' ? '-' : (char)(*c | 0x20);
    snprintf(name, sizeof name, "seed-%s%s.bin", lower, seen[n->kind]++ ? "-2" : "");
    put_writer("op_params", name, &out);
  }
  spate_env_free(env);
}

/* ---- operator snapshots -------------------------------------------------------------------- */

/* Each operator of restore_ops.h after the first half of the script (sources: three
 * records), snapshotted. */
static void operator_restore_seeds(void) {
  for (int kind = 0; kind < FR_NKINDS; kind++) {
    spate_env *env = spate_env_create();
    harness h;
    FUZZ_CHECK(harness_open_restored(&h, env, fr_build(env, kind), 0, NULL, 0) == 0, "%s: %s",
               fr_kind_name(kind), h.err);
    FUZZ_CHECK(fr_drive(&h, kind, 0, fr_is_source(kind) ? 3 : FR_STEPS / 2) >= 0, "%s: %s",
               fr_kind_name(kind), h.err);
    sp_writer w;
    sp_writer_init(&w);
    sp_put_u8(&w, (uint8_t)kind);
    FUZZ_CHECK(fr_snapshot(&h, 1, &w) == 0, "%s: %s", fr_kind_name(kind), h.err);
    char name[64];
    snprintf(name, sizeof name, "seed-%s.bin", fr_kind_name(kind));
    put_writer("operator_restore", name, &w);
    harness_close(&h);
    spate_env_free(env);
  }
}

/* ---- checkpoint metadata ------------------------------------------------------------------- */

static void metadata_payload(sp_writer *w, int nfiles, int nfinished) {
  sp_put_str(w, "0123456789abcdef0123456789abcdef");
  sp_put_i64(w, 7);
  sp_put_i64(w, 1763700000123);
  sp_put_u8(w, nfinished > 0);
  sp_put_u32(w, (uint32_t)nfiles);
  for (int i = 0; i < nfiles; i++) {
    char name[32];
    snprintf(name, sizeof name, "%d-%d.state", i / 2, i % 2);
    sp_put_str(w, name);
    sp_put_i32(w, i / 2);
    sp_put_i32(w, i % 2);
    sp_put_i32(w, 2);
    sp_put_u64(w, 100 + (uint64_t)i);
    sp_put_u64(w, 0x1234567890abcdefull);
  }
  sp_put_u32(w, (uint32_t)nfinished);
  for (int i = 0; i < nfinished; i++) {
    sp_put_str(w, "source-uid\nmap-uid");
    sp_put_i32(w, i);
    sp_put_i32(w, 2);
  }
}

static void metadata_seeds(void) {
  for (int k = 0; k < 3; k++) {
    sp_writer w;
    sp_writer_init(&w);
    metadata_payload(&w, k * 2, k == 2 ? 1 : 0);
    char name[32];
    snprintf(name, sizeof name, "seed-%d.bin", k);
    put_writer("checkpoint_metadata", name, &w);
  }
  /* A whole file as ckpt_write_metadata writes it (starts with the magic: written as is). */
  const char *dir = fuzz_dir();
  ckpt_file f = {.name = "0-0.state",
                 .vertex = 0,
                 .subtask = 0,
                 .parallelism = 1,
                 .length = 10,
                 .checksum = 99};
  ckpt_metadata m = {
      .job_id = "0123456789abcdef0123456789abcdef", .id = 3, .nfiles = 1, .files = &f};
  char err[SP_ERRMSG_MAX];
  FUZZ_CHECK(ckpt_write_metadata(dir, &m, err, sizeof err) == 0, "%s", err);
  char path[4200];
  fuzz_path(path, sizeof path, "_metadata");
  FILE *fp = fopen(path, "rb");
  FUZZ_CHECK(fp != NULL, "cannot read %s", path);
  uint8_t buf[4096];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  put("checkpoint_metadata", "seed-file.bin", buf, n);
}

/* ---- control-plane messages ---------------------------------------------------------------- */

static void put_input(const char *name, sp_writer *input) {
  char file[96];
  snprintf(file, sizeof file, "seed-%s.bin", name);
  put_writer("messages", file, input);
}

/* An input of one message. */
static void put_message(const char *name, int target, uint32_t type, sp_writer *payload) {
  sp_writer in;
  sp_writer_init(&in);
  fm_record(&in, target, type, payload);
  put_input(name, &in);
}

/* A finished subtask's report (task_report): per-operator counters, then collected rows. */
static void put_report(sp_writer *w, bool rows) {
  sp_writer rep;
  sp_writer_init(&rep);
  sp_put_u32(&rep, 2);
  for (int i = 1; i <= 2; i++) { /* the reduce and the collect sink */
    sp_put_i32(&rep, i + 1);
    sp_put_u64(&rep, 5);
    sp_put_u64(&rep, 5);
    sp_put_u64(&rep, 1000);
  }
  sp_put_u32(&rep, rows ? 1 : 0);
  if (rows) {
    spate_schema *s = parse(FM_ROW_SCHEMA);
    spate_row_builder *b = spate_rb_new(s);
    sp_put_str(&rep, "out");
    sp_put_u32(&rep, 2);
    for (int k = 0; k < 2; k++) {
      spate_rb_begin(b);
      spate_rb_set_bigint(b, 0, k);
      spate_rb_set_bigint(b, 1, 3 + k);
      spate_row r;
      FUZZ_CHECK(spate_rb_finish(b, &r) == 0, "%s", spate_rb_error(b));
      sp_put_blob(&rep, r.data, r.len);
    }
    spate_rb_free(b);
    schema_unref(s);
  }
  FUZZ_CHECK(!rep.failed, "out of memory");
  sp_put_blob(w, rep.data, rep.len);
  sp_writer_free(&rep);
}

static void task_update(sp_writer *w, int v, int s, task_state st, const char *error, bool report) {
  sp_writer_init(w);
  sp_put_i32(w, v);
  sp_put_i32(w, s);
  sp_put_i32(w, 0); /* attempt */
  sp_put_u8(w, (uint8_t)st);
  sp_put_str(w, error);
  if (report)
    put_report(w, true);
  else
    sp_put_blob(w, NULL, 0);
}

static void ack(sp_writer *w, int attempt, int v, int s, int64_t id) {
  sp_writer_init(w);
  sp_put_i32(w, attempt);
  sp_put_i32(w, v);
  sp_put_i32(w, s);
  sp_put_i64(w, id);
  sp_put_str(w, ""); /* no state */
  sp_put_u64(w, 0);
  sp_put_u64(w, 0);
  sp_put_i64(w, 1);
  sp_put_i64(w, 2);
  sp_put_i64(w, 0);
  sp_put_i64(w, 1796562000000); /* first barrier (epoch ms) */
  sp_put_u8(w, 0);
}

/* then: SAVEPOINT_ONLY, SAVEPOINT_STOP or SAVEPOINT_STOP_DRAIN */
static void savepoint_request(sp_writer *w, uint8_t then) {
  sp_writer_init(w);
  sp_put_str(w, FM_CLIENT);
  sp_put_str(w, FM_ROOT "savepoints");
  sp_put_u8(w, then);
}

static void checkpoint_request(sp_writer *w) {
  sp_writer_init(w);
  sp_put_str(w, FM_CLIENT);
}

/* A job result as the JobMaster encodes it (job_result.h). */
static void put_result(sp_writer *w, spate_job_status st) {
  sp_writer res;
  sp_writer_init(&res);
  sp_put_str(&res, FM_JOB_ID);
  sp_put_str(&res, "fuzz_messages");
  sp_put_u8(&res, (uint8_t)st);
  sp_put_str(&res, st == SPATE_JOB_FAILED ? "it broke" : NULL);
  sp_put_i64(&res, 12);
  sp_put_u32(&res, 1);
  sp_put_i32(&res, 0);
  sp_put_str(&res, "Source: Generator Source");
  sp_put_u64(&res, 3);
  sp_put_u64(&res, 3);
  sp_put_u64(&res, 0);
  sp_put_u32(&res, 0); /* collected */
  sp_put_i32(&res, 0); /* restarts */
  sp_put_u32(&res, 0); /* checkpoints */
  FUZZ_CHECK(!res.failed, "out of memory");
  sp_put_blob(w, res.data, res.len);
  sp_writer_free(&res);
}

static void submit_task(sp_writer *w, const uint8_t *job, size_t len, int v, int s, int attempt,
                        const char *restore) {
  sp_writer_init(w);
  sp_put_str(w, FM_JOB_MASTER);
  sp_put_blob(w, job, len);
  sp_put_i32(w, v);
  sp_put_i32(w, s);
  sp_put_i32(w, attempt);
  sp_put_i32(w, 2);
  sp_put_str(w, restore);
  sp_put_str(w, ""); /* no blob: the graph's artifact */
  sp_put_str(w, "");
  sp_put_u32(w, 0); /* no task locations: every exchange in-process */
}

static void trigger_checkpoint(sp_writer *w, int v, int s, int64_t id) {
  sp_writer_init(w);
  sp_put_str(w, FM_JOB_ID);
  sp_put_i32(w, 0);
  sp_put_i32(w, v);
  sp_put_i32(w, s);
  sp_put_i64(w, id);
  sp_put_i64(w, 1763700000000);
  sp_put_u32(w, 0);
  sp_put_i64(w, 0);
  sp_put_str(w, FM_ROOT "spate-checkpoints/" FM_JOB_ID "/chk-1");
}

/* One input per message type, each well-formed and meant for the job fuzz_messages runs, and a
 * few sequences (a checkpoint acknowledged by every subtask, a failure and the restart after
 * its backoff, savepoints, a cancellation and a resubmission). */
static void message_seeds(void) {
  size_t job_len;
  uint8_t *job = fm_job_bytes(&job_len);
  sp_writer w;

  /* -> ResourceManager */
  sp_writer_init(&w);
  sp_put_str(&w, "taskexecutor-1");
  sp_put_i32(&w, 2);
  sp_put_str(&w, "");
  sp_put_i64(&w, 1);
  put_message("register-task-executor", FM_TO_RM, MSG_REGISTER_TASK_EXECUTOR, &w);
  sp_writer_init(&w);
  sp_put_str(&w, "taskexecutor-1");
  put_message("heartbeat-reply", FM_TO_RM, MSG_HEARTBEAT_REPLY, &w);
  sp_writer_init(&w);
  sp_put_str(&w, "127.0.0.1:6123");
  sp_put_str(&w, "connection closed by the peer");
  put_message("peer-lost", FM_TO_RM, MSG_PEER_LOST, &w);
  /* heartbeats between the JobMaster and the TaskExecutor (a MiniCluster runs none: a tick
   * must start no rounds) */
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_MASTER);
  sp_put_str(&w, FM_JOB_ID);
  put_message("jm-heartbeat", FM_TO_TE, MSG_JM_HEARTBEAT, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_TASK_EXECUTOR);
  put_message("jm-heartbeat-reply", FM_TO_JM, MSG_JM_HEARTBEAT_REPLY, &w);
  sp_writer_init(&w);
  put_message("jm-heartbeat-tick", FM_TO_JM, MSG_JM_HB_TICK, &w);
  sp_writer_init(&w); /* the ResourceManager's heartbeats to the JobMaster */
  sp_put_str(&w, RM_ADDRESS);
  put_message("rm-jm-heartbeat", FM_TO_JM, MSG_RM_JM_HEARTBEAT, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_MASTER);
  put_message("rm-jm-heartbeat-reply", FM_TO_RM, MSG_RM_JM_HEARTBEAT_REPLY, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_ID);
  sp_put_str(&w, FM_JOB_MASTER);
  sp_put_i32(&w, 1);
  put_message("request-slots", FM_TO_RM, MSG_REQUEST_SLOTS, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_ID);
  put_message("release-slots", FM_TO_RM, MSG_RELEASE_SLOTS, &w);

  /* -> JobMaster */
  sp_writer_init(&w);
  sp_put_u8(&w, 1);
  sp_put_str(&w, "");
  sp_put_u32(&w, 2);
  for (int i = 0; i < 2; i++) {
    sp_put_str(&w, FM_TASK_EXECUTOR);
    sp_put_i32(&w, i);
    sp_put_str(&w, "");
  }
  put_message("slots-offer", FM_TO_JM, MSG_SLOTS_OFFER, &w);
  sp_writer_init(&w);
  sp_put_u8(&w, 0);
  sp_put_str(&w, "NoResourceAvailableException: none left");
  sp_put_u32(&w, 0);
  put_message("slots-offer-refused", FM_TO_JM, MSG_SLOTS_OFFER, &w);
  task_update(&w, 1, 1, TS_FINISHED, "", true);
  put_message("task-state-finished", FM_TO_JM, MSG_TASK_STATE, &w);
  task_update(&w, 0, 0, TS_FAILED, "java.lang.RuntimeException: boom", false);
  put_message("task-state-failed", FM_TO_JM, MSG_TASK_STATE, &w);
  task_update(&w, 1, 0, TS_CANCELED, "", true);
  put_message("task-state-canceled", FM_TO_JM, MSG_TASK_STATE, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_ROOT "spate-checkpoints/" FM_JOB_ID "/chk-1");
  sp_put_str(&w, "checkpoint /tmp/ck/chk-1 is corrupt: file 0-0.state: checksum mismatch");
  put_message("restore-corrupt", FM_TO_JM, MSG_RESTORE_CORRUPT, &w);
  sp_writer_init(&w);
  put_message("cancel-job", FM_TO_JM, MSG_CANCEL_JOB, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_TASK_EXECUTOR);
  sp_put_str(&w, "The heartbeat of TaskManager with id " FM_TASK_EXECUTOR " timed out");
  put_message("tm-lost", FM_TO_JM, MSG_TM_LOST, &w);
  ack(&w, 0, 1, 0, 1);
  put_message("ack-checkpoint", FM_TO_JM, MSG_ACK_CHECKPOINT, &w);
  sp_writer_init(&w);
  sp_put_i32(&w, 0);
  sp_put_i32(&w, 1);
  sp_put_i32(&w, 1);
  sp_put_i64(&w, 1);
  sp_put_str(&w, "could not write the snapshot");
  put_message("decline-checkpoint", FM_TO_JM, MSG_DECLINE_CHECKPOINT, &w);
  sp_writer_init(&w);
  sp_put_i32(&w, 0);
  put_message("checkpoint-timer", FM_TO_JM, MSG_CKPT_TIMER, &w);
  sp_writer_init(&w);
  sp_put_i64(&w, 1);
  put_message("checkpoint-expire", FM_TO_JM, MSG_CKPT_EXPIRE, &w);
  sp_writer_init(&w);
  sp_put_i32(&w, 0);
  put_message("restart", FM_TO_JM, MSG_RESTART, &w);
  savepoint_request(&w, SAVEPOINT_ONLY);
  put_message("trigger-savepoint", FM_TO_JM, MSG_TRIGGER_SAVEPOINT, &w);
  checkpoint_request(&w);
  put_message("request-checkpoint", FM_TO_JM, MSG_REQUEST_CHECKPOINT, &w);

  /* -> TaskExecutor */
  submit_task(&w, job, job_len, 1, 1, 0, "");
  put_message("submit-task", FM_TO_TE, MSG_SUBMIT_TASK, &w);
  submit_task(&w, job, job_len, 0, 0, 1, FM_ROOT "spate-checkpoints/" FM_JOB_ID "/chk-1");
  put_message("submit-task-restore", FM_TO_TE, MSG_SUBMIT_TASK, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_ID);
  sp_put_i32(&w, 1);
  sp_put_i32(&w, 0);
  sp_put_i32(&w, 0);
  put_message("cancel-task", FM_TO_TE, MSG_CANCEL_TASK, &w);
  trigger_checkpoint(&w, 0, 0, 1);
  put_message("trigger-checkpoint", FM_TO_TE, MSG_TRIGGER_CHECKPOINT, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_ID);
  sp_put_i32(&w, 0);
  sp_put_i64(&w, 1);
  sp_put_u8(&w, 1);
  put_message("notify-checkpoint", FM_TO_TE, MSG_NOTIFY_CHECKPOINT, &w);
  sp_writer_init(&w);
  sp_put_u64(&w, 0x7f0012345670);
  put_message("task-exited", FM_TO_TE, MSG_TASK_EXITED, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_ID "-0");
  put_message("release-partitions", FM_TO_TE, MSG_RELEASE_PARTITIONS, &w);

  /* -> Dispatcher */
  sp_writer_init(&w);
  sp_put_str(&w, FM_CLIENT);
  sp_put_blob(&w, job, job_len);
  sp_put_u8(&w, 1);
  sp_put_str(&w, "");
  put_message("submit-job", FM_TO_DISPATCHER, MSG_SUBMIT_JOB, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_ID);
  put_result(&w, SPATE_JOB_FINISHED);
  put_message("job-done", FM_TO_DISPATCHER, MSG_JOB_DONE, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_ID);
  put_message("cancel-job-dispatcher", FM_TO_DISPATCHER, MSG_CANCEL_JOB, &w);

  /* -> client */
  sp_writer_init(&w);
  put_result(&w, SPATE_JOB_FAILED);
  put_message("job-result", FM_TO_CLIENT, MSG_JOB_RESULT, &w);
  sp_writer_init(&w);
  sp_put_i64(&w, 1);
  sp_put_str(&w, FM_ROOT "savepoints/savepoint-012345-abcdefabcdef");
  sp_put_str(&w, "");
  put_message("snapshot-done", FM_TO_CLIENT, MSG_SNAPSHOT_DONE, &w);
  sp_writer_init(&w);
  sp_put_u8(&w, SPATE_EVENT_TASK_STATE);
  sp_put_str(&w, "RUNNING");
  sp_put_str(&w, "Keyed Reduce -> Sink: Collect (2/2)");
  sp_put_i32(&w, 1);
  sp_put_i32(&w, 1);
  sp_put_i32(&w, 0);
  sp_put_i64(&w, 0);
  sp_put_u8(&w, 0);
  sp_put_str(&w, NULL);
  sp_put_str(&w, NULL);
  put_message("job-event", FM_TO_CLIENT, MSG_JOB_EVENT, &w);

  /* sequences */
  sp_writer in;
  sp_writer_init(&in); /* a checkpoint, acknowledged by the input as well as by the tasks */
  checkpoint_request(&w);
  fm_record(&in, FM_TO_JM, MSG_REQUEST_CHECKPOINT, &w);
  ack(&w, 0, 0, 0, 1);
  fm_record(&in, FM_TO_JM, MSG_ACK_CHECKPOINT, &w);
  ack(&w, 0, 1, 0, 1);
  fm_record(&in, FM_TO_JM, MSG_ACK_CHECKPOINT, &w);
  ack(&w, 0, 1, 1, 1);
  fm_record(&in, FM_TO_JM, MSG_ACK_CHECKPOINT, &w);
  put_input("checkpoint-acked", &in);

  sp_writer_init(&in); /* periodic checkpoints, then one expires */
  fm_advance(&in, 1000);
  fm_advance(&in, 1000);
  trigger_checkpoint(&w, 0, 0, 7);
  fm_record(&in, FM_TO_TE, MSG_TRIGGER_CHECKPOINT, &w);
  fm_advance(&in, 600000);
  put_input("periodic-checkpoints", &in);

  sp_writer_init(&in); /* a failure, the restart after the backoff, a stale restart */
  task_update(&w, 1, 0, TS_FAILED, "java.lang.RuntimeException: boom", false);
  fm_record(&in, FM_TO_JM, MSG_TASK_STATE, &w);
  fm_advance(&in, 1000);
  sp_writer_init(&w);
  sp_put_i32(&w, 0);
  fm_record(&in, FM_TO_JM, MSG_RESTART, &w);
  task_update(&w, 0, 0, TS_RUNNING, "", false);
  fm_record(&in, FM_TO_JM, MSG_TASK_STATE, &w);
  put_input("failure-restart", &in);

  sp_writer_init(&in); /* a savepoint, then stop with a savepoint */
  savepoint_request(&w, SAVEPOINT_ONLY);
  fm_record(&in, FM_TO_JM, MSG_TRIGGER_SAVEPOINT, &w);
  savepoint_request(&w, SAVEPOINT_STOP);
  fm_record(&in, FM_TO_JM, MSG_TRIGGER_SAVEPOINT, &w);
  put_input("savepoints", &in);

  sp_writer_init(&in); /* stop with a savepoint and drain */
  savepoint_request(&w, SAVEPOINT_STOP_DRAIN);
  fm_record(&in, FM_TO_JM, MSG_TRIGGER_SAVEPOINT, &w);
  put_input("stop-drain", &in);

  sp_writer_init(&in); /* cancelled through the Dispatcher, submitted again */
  sp_writer_init(&w);
  sp_put_str(&w, FM_JOB_ID);
  fm_record(&in, FM_TO_DISPATCHER, MSG_CANCEL_JOB, &w);
  sp_writer_init(&w);
  sp_put_str(&w, FM_CLIENT);
  sp_put_blob(&w, job, job_len);
  sp_put_u8(&w, 0);
  sp_put_str(&w, "");
  fm_record(&in, FM_TO_DISPATCHER, MSG_SUBMIT_JOB, &w);
  put_input("cancel-resubmit", &in);

  sp_free(job);
}

/* A registry's dump as a TaskManager sends it (metrics/metric_dump.h), of every scope and kind. */
static void metric_dump_seeds(void) {
  metric_dump d = {0};
  static const char job[] = "0123456789abcdef0123456789abcdef";
  for (int k = 0; k < 8; k++) {
    metric_dump_entry *e = metric_dump_add(&d);
    FUZZ_CHECK(e != NULL, "out of memory");
    e->scope = (metric_scope)(k % 5);
    e->kind = (metric_kind)(k % 4);
    if (e->scope >= METRIC_SCOPE_JOB) snprintf(e->job_id, sizeof e->job_id, "%s", job);
    if (e->scope >= METRIC_SCOPE_TASK) {
      snprintf(e->vertex_id, sizeof e->vertex_id, "fedcba9876543210fedcba9876543210");
      e->subtask = k;
      e->attempt = 0;
    }
    if (e->scope == METRIC_SCOPE_OPERATOR) e->operator_name = sp_strdup("Map");
    e->name = sp_strdup(k % 2 ? "numRecordsIn" : "Status.JVM.CPU.Load");
    e->count = 42 + k;
    e->rate = 1.5 * k;
    if (e->kind == METRIC_GAUGE) e->gauge = sp_strdup("0.25");
    e->hist = (metric_histogram_stats){.count = 3, .min = 1, .max = 3, .mean = 2, .p50 = 2};
  }
  sp_writer w;
  sp_writer_init(&w);
  FUZZ_CHECK(metric_dump_encode(&d, &w) == 0, "encoding a dump");
  put_writer("metric_dump", "dump.bin", &w);
  metric_dump empty = {0};
  sp_writer_init(&w);
  FUZZ_CHECK(metric_dump_encode(&empty, &w) == 0, "encoding an empty dump");
  put_writer("metric_dump", "empty.bin", &w);
  metric_dump_free(&d);
}

/* fuzz_sql_program: calc programs the compiler writes over a few columns, each a filter and
 * a projection covering a group of instructions (arithmetic, logic, casts, strings, time). */
static void sql_program_seeds(void) {
  static const char *const cols[][2] = {
      {"i", "INT"},    {"b", "BIGINT"},       {"d", "DOUBLE"}, {"m", "DECIMAL(10, 2)"},
      {"s", "STRING"}, {"t", "TIMESTAMP(3)"}, {"dt", "DATE"},  {"x", "BOOLEAN"}};
  static const char *const cases[][3] = {
      {"arith", "i > 1 AND x IS NOT FALSE", "i * 2 + b / 3 - CAST(d AS INT) % 5"},
      {"decimal", "m BETWEEN 1 AND 100", "m * 2.5 + i"},
      {"case", "i IN (1, 2, 3) OR s IS NULL",
       "CASE WHEN i > 0 THEN COALESCE(s, 'x') ELSE NULLIF(s, 'y') END"},
      {"strings", "s LIKE 'a%' OR s SIMILAR TO 'b+'",
       "CONCAT_WS('-', UPPER(s), SUBSTRING(s, 2, 3), REGEXP_REPLACE(s, 'a+', 'b'))"},
      {"casts", "TRY_CAST(s AS INT) > 0", "CAST(CAST(s AS DECIMAL(5, 1)) AS STRING)"},
      {"time", "EXTRACT(YEAR FROM t) > 2000",
       "DATE_FORMAT(FLOOR(t TO HOUR) + INTERVAL '1' DAY, 'yyyy-MM-dd HH')"},
      {"dates", "dt < CURRENT_DATE", "TIMESTAMPDIFF(DAY, CAST(dt AS TIMESTAMP(3)), t)"},
  };
  sql_arena arena = {0};
  const char *names[8];
  const sql_type *types[8];
  sql_scope_column sc[8];
  sql_ast *asts[8];
  for (int i = 0; i < 8; i++) {
    char err[256];
    FUZZ_CHECK(sql_parse_type(cols[i][1], strlen(cols[i][1]), (sql_pos){0, 0}, &asts[i], err,
                              sizeof err) == 0,
               "%s", err);
    sql_type *t;
    FUZZ_CHECK(sql_type_resolve(asts[i]->root, &arena, &t, err, sizeof err) == 0, "%s", err);
    names[i] = sc[i].name = cols[i][0];
    types[i] = sc[i].type = t;
  }
  sql_scope scope = {sc, 8, NULL};
  spate_schema *in;
  char err[256];
  FUZZ_CHECK(sql_row_schema(names, types, 8, false, &in, err, sizeof err) == 0, "%s", err);
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    sql_ast *fa, *pa;
    sql_expr *fe, *pe;
    sql_verror verr;
    FUZZ_CHECK(sql_parse_expression(cases[k][1], strlen(cases[k][1]), (sql_pos){0, 0}, &fa, err,
                                    sizeof err) == 0,
               "%s", err);
    FUZZ_CHECK(sql_parse_expression(cases[k][2], strlen(cases[k][2]), (sql_pos){0, 0}, &pa, err,
                                    sizeof err) == 0,
               "%s", err);
    FUZZ_CHECK(sql_validate_expr(fa->root, &scope, &fa->arena, &fe, &verr) == 0, "%s", verr.msg);
    FUZZ_CHECK(sql_validate_expr(pa->root, &scope, &pa->arena, &pe, &verr) == 0, "%s", verr.msg);
    const char *nm[2] = {"r", "s"};
    sql_expr *projs[2] = {pe, NULL};
    /* the second projection: a bare column (a copy) */
    sql_ast *ca;
    sql_expr *ce;
    FUZZ_CHECK(sql_parse_expression("s", 1, (sql_pos){0, 0}, &ca, err, sizeof err) == 0, "%s", err);
    FUZZ_CHECK(sql_validate_expr(ca->root, &scope, &ca->arena, &ce, &verr) == 0, "%s", verr.msg);
    projs[1] = ce;
    uint8_t *prog;
    size_t len;
    spate_schema *out;
    FUZZ_CHECK(
        sql_compile_calc(in, false, "+02:00", fe, projs, nm, 2, &prog, &len, &out, &verr) == 0,
        "%s: %s", cases[k][0], verr.msg);
    char name[64];
    snprintf(name, sizeof name, "seed-%s.bin", cases[k][0]);
    put("sql_program", name, prog, len);
    sp_free(prog);
    schema_unref(out);
    sql_ast_free(fa);
    sql_ast_free(pa);
    sql_ast_free(ca);
  }
  /* a call of a C user function (never loaded here, nor by the fuzz target: its call fails):
   * the program's function table and an SQLP_UDF over a block of two argument registers */
  static const char *const udf_args[] = {"STRING", "BIGINT"};
  static const spate_sql_function udf_def = {.abi = SPATE_SQL_FUNCTION_ABI,
                                             .nargs = 2,
                                             .arg_types = udf_args,
                                             .result_type = "STRING NOT NULL"};
  sql_udf udf = {.name = "f",
                 .library = "/nonexistent/libf.so",
                 .symbol = "f",
                 .def = &udf_def,
                 .nargs = 2,
                 .deterministic = false};
  sql_type *udf_types[2] = {(sql_type *)types[4], (sql_type *)types[0]};
  udf.arg_types = udf_types;
  udf.result_type = sql_type_with_nullable(types[4], false, &arena);
  sql_expr col_s = {.kind = SQL_E_COLUMN, .type = types[4], .u.column = 4};
  sql_expr col_i = {.kind = SQL_E_COLUMN, .type = types[0], .u.column = 0};
  sql_expr *call_args[2] = {&col_s, &col_i};
  sql_expr call = {.kind = SQL_E_CALL, .type = udf.result_type};
  call.u.call.fn = SQL_FN_UDF;
  call.u.call.nargs = 2;
  call.u.call.args = call_args;
  call.u.call.udf = &udf;
  sql_expr *uprojs[1] = {&call};
  const char *unames[1] = {"r"};
  uint8_t *uprog;
  size_t ulen;
  spate_schema *uout;
  sql_verror uerr;
  FUZZ_CHECK(
      sql_compile_calc(in, false, "UTC", NULL, uprojs, unames, 1, &uprog, &ulen, &uout, &uerr) == 0,
      "udf: %s", uerr.msg);
  put("sql_program", "seed-udf.bin", uprog, ulen);
  sp_free(uprog);
  schema_unref(uout);
  schema_unref(in);
  for (int i = 0; i < 8; i++) sql_ast_free(asts[i]);
  sql_arena_free(&arena);
}

/* fuzz_collect_remote: byte 0 picks request (0), answer (1) or a request's base64 text (2). */
static void collect_remote_seeds(void) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, 0);
  collect_request_encode(&w, COLLECT_REMOTE_PREFIX "0123456789abcdef0123456789abcdef",
                         "fedcba9876543210fedcba9876543210", 42);
  put_writer("collect_remote", "request.bin", &w);
  sp_writer_init(&w);
  sp_put_u8(&w, 0);
  collect_request_encode(&w, COLLECT_REMOTE_PREFIX "x", "", 0);
  put_writer("collect_remote", "first-request.bin", &w);
  spate_schema *s = NULL;
  char err[SP_ERRMSG_MAX];
  FUZZ_CHECK(spate_schema_parse("a STRING, b STRING, k TINYINT NOT NULL", &s, err, sizeof err) == 0,
             "%s", err);
  spate_row_builder *b = spate_rb_new(s);
  sp_writer_init(&w);
  sp_put_u8(&w, 1);
  sp_put_u32(&w, COLLECT_ANSWER_MAGIC);
  sp_put_str(&w, "fedcba9876543210fedcba9876543210");
  sp_put_i64(&w, 7);
  sp_put_u8(&w, 1);
  sp_put_u32(&w, 3);
  static const char *const cells[3][2] = {{"Mary", "1"}, {NULL, "x"}, {"Bob", "\xc3\xa9"}};
  for (int i = 0; i < 3; i++) {
    spate_row r;
    spate_rb_begin(b);
    for (int c = 0; c < 2; c++)
      if (cells[i][c])
        spate_rb_set_string(b, c, cells[i][c], strlen(cells[i][c]));
      else
        spate_rb_set_null(b, c);
    spate_rb_set_tinyint(b, 2, (int8_t)i);
    FUZZ_CHECK(spate_rb_finish(b, &r) == 0, "row %d", i);
    sp_put_blob(&w, r.data, r.len);
  }
  put_writer("collect_remote", "answer.bin", &w);
  spate_rb_free(b);
  spate_schema_free(s);
  const char *text = "\002U1BDUQsAAAByZW1vdGUtY29sbGVjdC14AAAAAAAAAAAAAAAA";
  put("collect_remote", "request-text.bin", text, strlen(text));
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s tests/fuzz\n", argv[0]);
    return 2;
  }
  root = argv[1];
  row_seeds();
  sql_row_seeds();
  composite_row_seed();
  schema_seeds();
  job_result_seeds();
  jobgraph_seeds();
  snapshot_seeds();
  keyed_state_seeds();
  operator_restore_seeds();
  op_params_seeds();
  metadata_seeds();
  message_seeds();
  wire_frame_seeds();
  shuffle_protocol_seeds();
  metric_dump_seeds();
  sql_program_seeds();
  collect_remote_seeds();
  return 0;
}
