/*
 * test_sql_connectors_job.c: jobs built through the table factories (sql/sql_connectors.h) from
 * CREATE TABLE statements, run on a real MiniCluster:
 *  - datagen at parallelism 2 into a collect sink: sequences exact (each value once, each
 *    subtask a contiguous part), random values in their ranges, the null rate, strings of their
 *    length, timestamps within max-past of now, number-of-rows across subtasks; the rate limit
 *    on a manual clock; a socket table read from a server of the test;
 *  - datagen -> print (to stderr, captured in a file) at parallelism 2: Flink's PrintSink lines
 *    "id:1> +I[1, 101]"; nexmark's bid view as a table; an updating stream into print: "-U[a, 1]", the kind from its last field;
 *  - filesystem csv -> filesystem json (and a partitioned json sink), real files in and out.
 * Every wait has a deadline (testkit.h); nothing sleeps.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/log.h"
#include "cluster/minicluster.h"
#include "graph/op_params.h"
#include "graph/stream_graph.h"
#include "spate/job.h"
#include "sql/sql_catalog.h"
#include "sql/sql_connectors.h"
#include "sql/sql_parser.h"
#include "support/testkit.h"

static sql_table *create(sql_catalog *cat, const char *ddl) {
  sql_ast *ast = NULL;
  char err[1024];
  if (sql_parse_statement(ddl, strlen(ddl), (sql_pos){0, 0}, &ast, err, sizeof err) < 0)
    fail_msg("parse: %s", err);
  bool skipped;
  if (sql_catalog_create(cat, ast, &skipped, err, sizeof err) < 0) fail_msg("create: %s", err);
  return cat->tables;
}

/* Builds, encodes and runs g on a MiniCluster of 2 slots; returns the result (FINISHED). */
static spate_job_result *run_graph(stream_graph *g) {
  char err[1024];
  job_graph *jg = NULL;
  if (jobgraph_build(g, &jg, err, sizeof err) < 0) fail_msg("jobgraph_build: %s", err);
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(jobgraph_encode(jg, &w), 0);
  task_config tc = {.buffer_size = 32768,
                    .buffers_per_channel = 2,
                    .floating_buffers = 8,
                    .buffer_timeout_ms = 10};
  minicluster *mc;
  assert_int_equal(minicluster_start(1, 4, &tc, &mc), 0);
  mc_client *c;
  assert_int_equal(minicluster_submit(mc, w.data, w.len, jg->job_id, NULL, NULL, &c), 0);
  spate_job_result *r = NULL;
  if (!minicluster_wait_for(c, TK_TIMEOUT_MS, &r)) {
    minicluster_cancel(c);
    fail_msg("timed out after %lld ms awaiting the end of the job", (long long)TK_TIMEOUT_MS);
  }
  minicluster_stop(mc);
  sp_writer_free(&w);
  jobgraph_free(jg);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  return r;
}

/* source table -> collect "out"; returns the rows' result. */
static spate_job_result *collect_table(const char *ddl, int parallelism) {
  sql_catalog cat = {0};
  sql_table *t = create(&cat, ddl);
  stream_graph *g = sg_new("datagen");
  g->default_parallelism = parallelism;
  char err[2048];
  int node;
  spate_schema *schema;
  if (sql_source_add(g, t, NULL, parallelism, &node, &schema, err, sizeof err) < 0)
    fail_msg("%s", err);
  sg_node *sink = sg_add_node(g, OP_SINK_COLLECT, "Sink: Collect");
  op_collect_params cp = {.name = "out"};
  assert_int_equal(op_collect_params_store(sink, &cp), 0);
  sink->parallelism = parallelism;
  assert_non_null(sg_add_input(g, sink->id, node, PART_UNSET));
  spate_job_result *r = run_graph(g);
  schema_unref(schema);
  sg_free(g);
  sql_catalog_free(&cat);
  return r;
}

static void test_datagen_sequence_and_randoms(void **state) {
  (void)state;
  spate_job_result *r = collect_table(
      "CREATE TABLE t (id BIGINT NOT NULL, v INT, d DOUBLE, b BOOLEAN, s VARCHAR(3), "
      "ts TIMESTAMP(3), c AS id * 2) WITH ("
      "'connector' = 'datagen', 'rows-per-second' = '1000000', "
      "'fields.id.kind' = 'sequence', 'fields.id.start' = '-9', 'fields.id.end' = '990', "
      "'fields.v.min' = '-5', 'fields.v.max' = '5', "
      "'fields.d.min' = '0.5', 'fields.d.max' = '1.5', "
      "'fields.b.null-rate' = '0.5', 'fields.ts.max-past' = '1 min')",
      2);
  int64_t now = (int64_t)time(NULL) * 1000;
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, 1000); /* -9..990 */
  static bool seen[1000];
  memset(seen, 0, sizeof seen);
  int nulls = 0;
  for (size_t i = 0; i < n; i++) {
    const spate_row *row = &rows[i];
    int64_t id = spate_row_bigint(row, 0);
    assert_true(id >= -9 && id <= 990);
    assert_false(seen[id + 9]);
    seen[id + 9] = true;
    int32_t v = spate_row_int(row, 1);
    assert_true(v >= -5 && v <= 5);
    double d = spate_row_double(row, 2);
    assert_true(d >= 0.5 && d <= 1.5);
    nulls += spate_row_is_null(row, 3);
    spate_bytes s = spate_row_string(row, 4);
    assert_int_equal(s.len, 3); /* VARCHAR(3): the default length of 100 cut to 3 */
    int64_t ts = spate_row_timestamp(row, 5);
    assert_true(ts <= now + 1000 && ts >= now - 60000 - 120000);
  }
  assert_true(nulls > 350 && nulls < 650); /* 0.5 of 1000: far out only if the rate is wrong */
  spate_job_result_free(r);
}

/* Every scalar type DataGen generates, each within its options or its type. */
static void test_datagen_types(void **state) {
  (void)state;
  spate_job_result *r = collect_table(
      "CREATE TABLE t (dc DECIMAL(5, 2), f FLOAT, dt DATE, tm TIME, bt BYTES, ch CHAR(4), "
      "bo BOOLEAN, ti TINYINT, sm SMALLINT, ltz TIMESTAMP_LTZ(6), vb VARBINARY(3), "
      "ar ARRAY<INT>, mp MAP<STRING, SMALLINT>, rw ROW<x BIGINT, y VARCHAR(5)>) WITH ("
      "'connector' = 'datagen', 'number-of-rows' = '300', 'rows-per-second' = '0', "
      "'fields.dc.min' = '-10', 'fields.dc.max' = '10', 'fields.f.min' = '0', 'fields.f.max' = "
      "'1', 'fields.dt.max-past' = '3 d', 'fields.bt.length' = '7', 'fields.sm.min' = '100', "
      "'fields.sm.max' = '200', 'fields.ltz.max-past' = '10 s', 'fields.mp.length' = '2')",
      2);
  int64_t now = (int64_t)time(NULL) * 1000;
  int32_t today = (int32_t)(now / 86400000);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, 300);
  int trues = 0;
  for (size_t i = 0; i < n; i++) {
    const spate_row *row = &rows[i];
    spate_int128 dc = spate_row_decimal(row, 0, 5);
    assert_true(dc >= -1000 && dc <= 1000);
    float f = spate_row_float(row, 1);
    assert_true(f >= 0 && f <= 1);
    int32_t dt = spate_row_date(row, 2);
    assert_true(dt >= today - 4 && dt <= today + 1);
    int32_t tm = spate_row_time(row, 3);
    assert_true(tm >= 0 && tm < 86400000 && tm % 1000 == 0); /* TIME(0): whole seconds */
    assert_int_equal(spate_row_string(row, 4).len, 7);
    assert_int_equal(spate_row_string(row, 5).len, 4);
    trues += spate_row_bool(row, 6);
    int8_t ti = spate_row_tinyint(row, 7);
    (void)ti; /* any TINYINT */
    int16_t sm = spate_row_smallint(row, 8);
    assert_true(sm >= 100 && sm <= 200);
    spate_timestamp ltz = spate_row_timestamp_p(row, 9, 6);
    assert_true(ltz.ms <= now + 1000 && ltz.ms >= now - 10000 - 120000);
    assert_int_equal(spate_row_string(row, 10).len, 3); /* VARBINARY(3): its length */
    spate_array ar = spate_row_array(row, 11);
    assert_int_equal(spate_array_size(&ar), 3); /* Flink's default number of elements */
    assert_false(spate_row_is_null(&ar.elems, 2));
    spate_map_data mp = spate_row_map(row, 12);
    assert_int_equal(spate_array_size(&mp.keys), 2);
    assert_int_equal(spate_row_string(&mp.keys.elems, 1).len, 100);
    spate_row rw = spate_row_row(row, 13, 2);
    assert_int_equal(spate_row_string(&rw, 1).len, 5);
  }
  assert_true(trues > 90 && trues < 210);
  spate_job_result_free(r);
}

/* number-of-rows is divided among subtasks; a sequence divided too gives each a contiguous
 * part; the fewer of both bounds the source. */
static void test_datagen_bounded_counts(void **state) {
  (void)state;
  spate_job_result *r = collect_table(
      "CREATE TABLE t (a INT) WITH ('connector' = 'datagen', "
      "'number-of-rows' = '1001', 'rows-per-second' = '0')",
      2);
  assert_int_equal(spate_job_result_collected(r, "out", NULL, NULL), 1001);
  spate_job_result_free(r);
  r = collect_table(
      "CREATE TABLE t (a INT, s STRING) WITH ('connector' = 'datagen', "
      "'number-of-rows' = '7', 'fields.s.kind' = 'sequence', 'fields.s.start' = "
      "'10', 'fields.s.end' = '100', 'rows-per-second' = '0')",
      2);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, 7);
  int got = 0;
  for (size_t i = 0; i < n; i++) {
    spate_bytes s = spate_row_string(&rows[i], 1);
    char buf[8] = {0};
    memcpy(buf, s.ptr, s.len < 7 ? s.len : 7);
    int v = atoi(buf);
    assert_true(v >= 10 && v <= 16);
    got |= 1 << (v - 10);
  }
  assert_int_equal(got, 0x7f);
  spate_job_result_free(r);
}

/* nexmark's bid view from a table: the bids among the first 1000 events (46 of every 50). */
static void test_nexmark_bids(void **state) {
  (void)state;
  spate_job_result *r = collect_table(
      "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, "
      "dateTime TIMESTAMP(3), extra STRING) WITH ('connector' = 'nexmark', 'events.num' = "
      "'1000', 'base-time' = '1700000000000')",
      2);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, 920);
  for (size_t i = 0; i < n; i++) assert_true(spate_row_timestamp(&rows[i], 5) >= 1700000000000);
  spate_job_result_free(r);
}

/* ---- the rate limit, on a manual clock -------------------------------------------------------- */
static _Atomic int64_t g_rows;

/* Counts the rows that pass (the test awaits the count). */
int sc_count(spate_ctx *ctx, const spate_row *in) {
  (void)ctx;
  (void)in;
  atomic_fetch_add(&g_rows, 1);
  tk_notify();
  return 1;
}

/* rows-per-second 10 on a clock that stands still: one row at the start, then ten for every
 * second the clock moves (catching up at most a second), until number-of-rows. The counts are
 * exact: the clock permits no more until the test moves it. */
static void test_datagen_rate_limit(void **state) {
  (void)state;
  spate_clock *clock = spate_manual_clock_create(1000000);
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 1);
  spate_env_set_clock(env, clock);
  sql_catalog cat = {0};
  sql_table *t = create(&cat,
                        "CREATE TABLE t (id INT) WITH ('connector' = 'datagen', "
                        "'rows-per-second' = '10', 'number-of-rows' = '25', "
                        "'fields.id.kind' = 'sequence', 'fields.id.start' = '1', "
                        "'fields.id.end' = '1000')");
  char err[2048];
  int node;
  spate_schema *schema;
  if (sql_source_add(env->g, t, NULL, 1, &node, &schema, err, sizeof err) < 0) fail_msg("%s", err);
  spate_stream *src = api_new_stream(env, node, schema);
  spate_discard(spate_filter(src, sc_count));
  atomic_store(&g_rows, 0);
  static tk_events ev;
  tk_events_reset(&ev);
  spate_env_set_job_listener(env, tk_listener, &ev);
  spate_job_client *c = spate_execute_async(env, "rate");
  if (!c) fail_msg("job could not be submitted: %s", spate_env_error(env));
  TK_AWAIT(atomic_load(&g_rows) == 1, "the first row");
  spate_manual_clock_advance(clock, 1000);
  TK_AWAIT(atomic_load(&g_rows) >= 11, "ten more rows after a second (%lld)",
           (long long)atomic_load(&g_rows));
  assert_int_equal(atomic_load(&g_rows), 11); /* the clock stands still: no more */
  /* five seconds later: a second's worth caught up (both its ends: 11 rows) */
  spate_manual_clock_advance(clock, 5000);
  TK_AWAIT(atomic_load(&g_rows) >= 22, "eleven more rows (%lld)", (long long)atomic_load(&g_rows));
  assert_int_equal(atomic_load(&g_rows), 22);
  spate_manual_clock_advance(clock, 1000);
  spate_job_result *r = tk_wait(c, "rate");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  assert_int_equal(atomic_load(&g_rows), 25);
  spate_job_result_free(r);
  schema_unref(schema);
  spate_env_free(env);
  spate_manual_clock_free(clock);
  sql_catalog_free(&cat);
  sp_log_set_level(SP_LOG_OFF);
}

/* ---- socket ------------------------------------------------------------------------------------ */
typedef struct server {
  int fd; /* listening */
  const char *text;
} server;

/* Accepts the source's connection, sends the text and closes (the source ends at EOF). */
static void *serve(void *arg) {
  server *sv = arg;
  int c = accept(sv->fd, NULL, NULL);
  if (c >= 0) {
    size_t n = strlen(sv->text);
    if (write(c, sv->text, n) != (ssize_t)n) perror("write");
    close(c);
  }
  return NULL;
}

static void test_socket_source(void **state) {
  (void)state;
  server sv = {.text = "1;apple\n2;pear\n3;plum\n"};
  sv.fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  assert_int_equal(bind(sv.fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(sv.fd, 1), 0);
  assert_int_equal(getsockname(sv.fd, (struct sockaddr *)&a, &alen), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, serve, &sv), 0);
  char ddl[512];
  snprintf(ddl, sizeof ddl,
           "CREATE TABLE t (id INT, fruit STRING) WITH ('connector' = 'socket', 'hostname' = "
           "'127.0.0.1', 'port' = '%d', 'format' = 'csv', 'csv.field-delimiter' = ';')",
           ntohs(a.sin_port));
  spate_job_result *r = collect_table(ddl, 2); /* the socket source runs at 1 whatever */
  pthread_join(th, NULL);
  close(sv.fd);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, 3);
  int sum = 0;
  for (size_t i = 0; i < n; i++) sum += spate_row_int(&rows[i], 0);
  assert_int_equal(sum, 6);
  spate_bytes f = spate_row_string(&rows[0], 1);
  assert_true(f.len == 5 || f.len == 4); /* apple, pear or plum */
  spate_job_result_free(r);
}

/* Reads a whole file into a malloc'ed string. */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  char *buf = calloc(1, 1 << 20);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static void test_datagen_to_print(void **state) {
  (void)state;
  char dir[256], path[300];
  tk_mkdtemp(dir, sizeof dir, "spate-sqlprint-");
  snprintf(path, sizeof path, "%s/stderr", dir);
  sql_catalog cat = {0};
  sql_table *src = create(&cat,
                          "CREATE TABLE s (id BIGINT, t STRING) WITH ('connector' = "
                          "'datagen', 'fields.id.kind' = 'sequence', 'fields.id.start' = "
                          "'1', 'fields.id.end' = '6', 'fields.t.kind' = 'sequence', "
                          "'fields.t.start' = '101', 'fields.t.end' = '200')");
  sql_table *out = create(&cat,
                          "CREATE TABLE o (id BIGINT, t STRING) WITH ('connector' = "
                          "'print', 'print-identifier' = 'id', 'standard-error' = 'true')");
  stream_graph *g = sg_new("print");
  g->default_parallelism = 2;
  char err[2048];
  int node;
  spate_schema *schema;
  if (sql_source_add(g, src, NULL, 2, &node, &schema, err, sizeof err) < 0) fail_msg("%s", err);
  if (sql_sink_add(g, out, node, schema, false, false, NULL, NULL, 2, err, sizeof err) < 0)
    fail_msg("%s", err);
  /* the print sink writes stderr: into the file for the job's run */
  fflush(stderr);
  int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved >= 0 && fd >= 0);
  dup2(fd, 2);
  close(fd);
  spate_job_result *r = run_graph(g);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char *text = slurp(path);
  /* 6 rows: subtask 1 the first three, subtask 2 the others (forward), in order per subtask */
  static const char *const want[] = {"id:1> +I[1, 101]\n", "id:1> +I[2, 102]\n",
                                     "id:1> +I[3, 103]\n", "id:2> +I[4, 104]\n",
                                     "id:2> +I[5, 105]\n", "id:2> +I[6, 106]\n"};
  const char *prev1 = text, *prev2 = text;
  for (int i = 0; i < 6; i++) {
    const char *at = strstr(i < 3 ? prev1 : prev2, want[i]);
    if (!at) fail_msg("line %s missing (or out of order) in:\n%s", want[i], text);
    *(i < 3 ? &prev1 : &prev2) = at + 1;
  }
  size_t lines = 0;
  for (const char *p = text; *p; p++) lines += *p == '\n';
  assert_int_equal(lines, 6);
  free(text);
  spate_job_result_free(r);
  schema_unref(schema);
  sg_free(g);
  sql_catalog_free(&cat);
  tk_rm_rf(dir);
}

/* An updating stream (rows with a last $row_kind field) into print: each row shows its kind, the
 * kind field itself is not printed; at parallelism 1 no subtask index. */
static void test_updates_to_print(void **state) {
  (void)state;
  char dir[256], path[300], perr[256];
  tk_mkdtemp(dir, sizeof dir, "spate-sqlupd-");
  snprintf(path, sizeof path, "%s/stderr", dir);
  spate_schema *s = NULL;
  assert_int_equal(spate_schema_parse("w STRING, cnt BIGINT, `$row_kind` TINYINT NOT NULL", &s,
                                      perr, sizeof perr),
                   0);
  spate_row_builder *b = spate_rb_new(s);
  static const struct {
    const char *w;
    int64_t cnt;
    int8_t kind;
  } in[] = {{"a", 1, 0}, {"a", 1, 1}, {"a", 2, 2}, {"b", 1, 0}, {"b", 1, 3}};
  spate_row rows[5];
  op_blob blobs[5];
  for (int i = 0; i < 5; i++) {
    spate_rb_begin(b);
    spate_rb_set_string(b, 0, in[i].w, 1);
    spate_rb_set_bigint(b, 1, in[i].cnt);
    spate_rb_set_tinyint(b, 2, in[i].kind);
    spate_row r;
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(spate_row_copy(&r, &rows[i]), 0);
    blobs[i] = (op_blob){rows[i].data, rows[i].len};
  }
  stream_graph *g = sg_new("updates");
  g->default_parallelism = 1;
  sg_node *src = sg_add_node(g, OP_SRC_ELEMENTS, "Source: Values");
  src->out_schema = schema_ref(s);
  src->parallelism = 1;
  op_elements_params ep = {.rows = {5, blobs}};
  assert_int_equal(op_elements_params_store(src, &ep), 0);
  sql_catalog cat = {0};
  sql_table *out = create(&cat,
                          "CREATE TABLE o (word STRING, c BIGINT) WITH ('connector' = "
                          "'print', 'standard-error' = 'true')");
  char err[2048];
  if (sql_sink_add(g, out, 0, s, true, false, "GroupAggregate", NULL, 1, err, sizeof err) < 0)
    fail_msg("%s", err);
  fflush(stderr);
  int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved >= 0 && fd >= 0);
  dup2(fd, 2);
  close(fd);
  spate_job_result *r = run_graph(g);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char *text = slurp(path);
  assert_string_equal(text, "+I[a, 1]\n-U[a, 1]\n+U[a, 2]\n+I[b, 1]\n-D[b, 1]\n");
  free(text);
  spate_job_result_free(r);
  for (int i = 0; i < 5; i++) spate_row_free(&rows[i]);
  spate_rb_free(b);
  schema_unref(s);
  sg_free(g);
  sql_catalog_free(&cat);
  tk_rm_rf(dir);
}

/* The visible files under dir (recursively: partition directories), their contents appended. */
static void read_visible(const char *dir, char *out, size_t cap, int *nfiles) {
  DIR *d = opendir(dir);
  if (!d) fail_msg("cannot list %s", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    if (S_ISDIR(st.st_mode)) {
      size_t at = strlen(out);
      snprintf(out + at, cap - at, "[%s]\n", e->d_name);
      read_visible(p, out, cap, nfiles);
      continue;
    }
    char *t = slurp(p);
    size_t at = strlen(out);
    snprintf(out + at, cap - at, "%s", t);
    free(t);
    (*nfiles)++;
  }
  closedir(d);
}

static void test_filesystem_csv_to_json(void **state) {
  (void)state;
  char dir[256], in[300], outdir[300], partdir[300], ddl[2048];
  tk_mkdtemp(dir, sizeof dir, "spate-sqlfs-");
  snprintf(in, sizeof in, "%s/in.csv", dir);
  snprintf(outdir, sizeof outdir, "%s/out", dir);
  snprintf(partdir, sizeof partdir, "%s/parts", dir);
  FILE *f = fopen(in, "w");
  fputs("1;apple;x\n2;pear;y\n3;plum;x\n", f);
  fclose(f);
  sql_catalog cat = {0};
  snprintf(ddl, sizeof ddl,
           "CREATE TABLE src (a INT, b STRING, k STRING) WITH ('connector' = 'filesystem', "
           "'path' = '%s', 'format' = 'csv', 'csv.field-delimiter' = ';')",
           in);
  sql_table *src = create(&cat, ddl);
  snprintf(ddl, sizeof ddl,
           "CREATE TABLE dst (x INT, y STRING, z STRING) WITH ('connector' = 'filesystem', "
           "'path' = '%s', 'format' = 'json')",
           outdir);
  sql_table *dst = create(&cat, ddl);
  snprintf(ddl, sizeof ddl,
           "CREATE TABLE pdst (x INT, y STRING, z STRING) PARTITIONED BY (z) WITH ("
           "'connector' = 'filesystem', 'path' = '%s', 'format' = 'json', "
           "'sink.partition-commit.policy.kind' = 'success-file')",
           partdir);
  sql_table *pdst = create(&cat, ddl);
  stream_graph *g = sg_new("fs");
  g->default_parallelism = 1;
  char err[2048];
  int node;
  spate_schema *schema;
  if (sql_source_add(g, src, NULL, 1, &node, &schema, err, sizeof err) < 0) fail_msg("%s", err);
  if (sql_sink_add(g, dst, node, schema, false, false, NULL, NULL, 1, err, sizeof err) < 0)
    fail_msg("%s", err);
  if (sql_sink_add(g, pdst, node, schema, false, false, NULL, NULL, 1, err, sizeof err) < 0)
    fail_msg("%s", err);
  spate_job_result_free(run_graph(g));

  static char got[1 << 16];
  int nfiles = 0;
  got[0] = 0;
  read_visible(outdir, got, sizeof got, &nfiles);
  assert_true(nfiles >= 1);
  if (!strstr(got, "{\"x\":1,")) fail_msg("output:\n%s", got);
  assert_non_null(strstr(got, "{\"x\":1,\"y\":\"apple\",\"z\":\"x\"}\n"));
  assert_non_null(strstr(got, "{\"x\":2,\"y\":\"pear\",\"z\":\"y\"}\n"));
  assert_non_null(strstr(got, "{\"x\":3,\"y\":\"plum\",\"z\":\"x\"}\n"));

  /* partitioned: z=x/ holds apple and plum without z, z=y/ pear, each with its success file */
  char p[512];
  snprintf(p, sizeof p, "%s/z=x", partdir);
  got[0] = 0;
  nfiles = 0;
  read_visible(p, got, sizeof got, &nfiles);
  assert_non_null(strstr(got, "{\"x\":1,\"y\":\"apple\"}\n"));
  assert_non_null(strstr(got, "{\"x\":3,\"y\":\"plum\"}\n"));
  assert_null(strstr(got, "pear"));
  snprintf(p, sizeof p, "%s/z=y/_SUCCESS", partdir);
  assert_int_equal(access(p, F_OK), 0);

  schema_unref(schema);
  sg_free(g);
  sql_catalog_free(&cat);
  tk_rm_rf(dir);
}

int main(void) {
  sp_log_set_level(SP_LOG_OFF);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_datagen_sequence_and_randoms),
      cmocka_unit_test(test_datagen_bounded_counts),
      cmocka_unit_test(test_datagen_types),
      cmocka_unit_test(test_nexmark_bids),
      cmocka_unit_test(test_socket_source),
      cmocka_unit_test(test_datagen_to_print),
      cmocka_unit_test(test_updates_to_print),
      cmocka_unit_test(test_filesystem_csv_to_json),
      cmocka_unit_test(test_datagen_rate_limit), /* last: an environment turns logging on */
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
