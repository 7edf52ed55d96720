/*
 * test_formats_job.c: jobs reading and writing CSV and JSON (spate/formats.h):
 *  - a CSV file read into rows, written as JSON (text sink) and read back, written as CSV again:
 *    the rows collected at each step are equal and the CSV written is the canonical form of the
 *    input; the exactly-once file sink writes the same rows as JSON (committed at the end);
 *  - a bad line fails the job with "<file>:<line>:<column>: field ..." (CSV and JSON);
 *  - with ignore-parse-errors bad values are NULL, unparsable lines skipped, each line counted
 *    once in the source's numParseErrors counter (read from the tasks' metrics, as the metric
 *    registry reads them);
 *  - a source monitoring a directory on a manual clock: files present at the start are read,
 *    a new file only after the clock passed the interval, and a job restored from a savepoint
 *    reads only the file added since, never one it read before (the exactly-once file sink
 *    writes CSV, so the committed output shows each line once);
 *  - a socket source with a format (a server thread in the test sends the lines);
 *  - builder errors: unknown option keys and bad values name the key and value.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "api/api.h"
#include "connectors/line_decoder.h"
#include "connectors/registry.h"
#include "operators/registry.h"
#include "runtime/shuffle_env.h"
#include "runtime/task.h"
#include "runtime/task_metrics.h"
#include "spate/spate.h"

#define SPEC "id BIGINT, name STRING, amount DOUBLE, ok BOOLEAN, at TIMESTAMP, n INT"

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) fail_msg("cannot write %s", path);
  fputs(text, f);
  fclose(f);
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) fail_msg("cannot read %s", path);
  char *buf = calloc(1, 1 << 20);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of the committed (non-hidden) files of dir, sorted, joined with "\n". */
static char *committed_lines(const char *dir) {
  char *lines[256];
  int n = 0;
  DIR *d = opendir(dir);
  if (!d) fail_msg("cannot list %s", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char *text = read_all(path);
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
      assert_true(n < 256);
      lines[n++] = strdup(l);
    }
    free(text);
  }
  closedir(d);
  qsort(lines, (size_t)n, sizeof *lines, cmp_str);
  char *out = calloc(1, 1 << 16);
  for (int i = 0; i < n; i++) {
    strcat(out, lines[i]);
    strcat(out, "\n");
    free(lines[i]);
  }
  return out;
}

/* The collected rows as text, one per line (spate_row_format). */
static char *collected(spate_job_result *r, const char *name) {
  const spate_row *rows;
  const spate_schema *schema;
  size_t n = spate_job_result_collected(r, name, &rows, &schema);
  char *out = calloc(1, 1 << 16);
  for (size_t i = 0; i < n; i++) {
    char line[1024];
    spate_row_format(&rows[i], schema, line, sizeof line);
    strcat(out, line);
    strcat(out, "\n");
  }
  return out;
}

static spate_job_result *run_ok(spate_env *env, const char *name) {
  spate_job_result *r = tk_run(env, name);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job %s: %s", name, spate_job_result_error(r) ? spate_job_result_error(r) : "?");
  return r;
}

/* ---- round trip --------------------------------------------------------------------------- */
static const char *const INPUT_CSV =
    "1,plain,2.5,true,2024-02-29 13:14:15.250,7\n"
    "2,\"with, comma\",-0.125,false,1970-01-01 00:00:00,-2147483648\n"
    "3,\"say \"\"hi\"\"\",1e3,TRUE,1999-12-31 23:59:59.999,2147483647\n"
    "4,,,,,\n"
    "5,\"\",NaN, false ,2000-01-01 00:00:00.5, 12 \r\n"
    "6,h\xc3\xa9llo,0.1,true,2038-01-19 03:14:08,0";

/* How the CSV writer writes INPUT_CSV back: numbers and booleans canonical, quotes where
 * needed, the empty string quoted (an empty STRING field reads as "", as in Flink), NULL empty. */
static const char *const CANONICAL_CSV =
    "1,plain,2.5,true,2024-02-29 13:14:15.25,7\n"
    "2,\"with, comma\",-0.125,false,1970-01-01 00:00:00,-2147483648\n"
    "3,\"say \"\"hi\"\"\",1000.0,true,1999-12-31 23:59:59.999,2147483647\n"
    "4,\"\",,,,\n"
    "5,\"\",NaN,false,2000-01-01 00:00:00.5,12\n"
    "6,h\xc3\xa9llo,0.1,true,2038-01-19 03:14:08,0\n";

static void test_csv_json_round_trip(void **state) {
  char dir[256], in[512], json[512], csv[512], sinkdir[512];
  tk_mkdtemp(dir, sizeof dir, "spate_fmt_");
  snprintf(in, sizeof in, "%s/orders.csv", dir);
  snprintf(json, sizeof json, "%s/json", dir);
  assert_int_equal(mkdir(json, 0777), 0);
  snprintf(json, sizeof json, "%s/json/orders.json", dir);
  snprintf(csv, sizeof csv, "%s/again.csv", dir);
  snprintf(sinkdir, sizeof sinkdir, "%s/sink", dir);
  write_file(in, INPUT_CSV);

  /* CSV -> rows -> JSON lines (text sink) and JSON part files (exactly-once sink) */
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 1);
  const spate_schema *s = spate_env_schema(env, SPEC);
  spate_stream *rows = spate_read_file(env, in, spate_format_csv(env, s));
  spate_collect(rows, "rows");
  spate_format *js = spate_format_json(env, s);
  spate_format_set(js, "json.timestamp-format.standard", "ISO-8601");
  spate_write_file(rows, json, js);
  spate_file_sink_options o = {.bucket_format = ""};
  spate_sink_file_format(rows, sinkdir, &o, js);
  spate_job_result *r = run_ok(env, "csv-to-json");
  char *first = collected(r, "rows");
  spate_job_result_free(r);
  spate_env_free(env);
  assert_string_equal(first,
                      "(1,plain,2.5,true,2024-02-29T13:14:15.250,7)\n"
                      "(2,with, comma,-0.125,false,1970-01-01T00:00,-2147483648)\n"
                      "(3,say \"hi\",1000.0,true,1999-12-31T23:59:59.999,2147483647)\n"
                      "(4,,null,null,null,null)\n"
                      "(5,,NaN,false,2000-01-01T00:00:00.500,12)\n"
                      "(6,h\xc3\xa9llo,0.1,true,2038-01-19T03:14:08,0)\n");
  char *json_text = read_all(json);
  assert_non_null(strstr(json_text,
                         "{\"id\":1,\"name\":\"plain\",\"amount\":2.5,\"ok\":true,"
                         "\"at\":\"2024-02-29T13:14:15.25\",\"n\":7}\n"));
  assert_non_null(strstr(json_text,
                         "{\"id\":4,\"name\":\"\",\"amount\":null,\"ok\":null,"
                         "\"at\":null,\"n\":null}\n"));
  assert_non_null(strstr(json_text, "\"amount\":\"NaN\""));
  /* the exactly-once sink committed the same lines at the end of input */
  char *sunk = committed_lines(sinkdir);
  char jsondir[600];
  snprintf(jsondir, sizeof jsondir, "%s/json", dir);
  char *sorted_json = committed_lines(jsondir);
  assert_string_equal(sorted_json, sunk);
  free(sorted_json);
  free(sunk);
  free(json_text);

  /* JSON -> rows -> CSV: the same rows, and the canonical CSV */
  env = spate_env_create();
  spate_env_set_parallelism(env, 1);
  s = spate_env_schema(env, SPEC);
  js = spate_format_json(env, s);
  spate_format_set(js, "json.timestamp-format.standard", "ISO-8601");
  rows = spate_read_file(env, json, js);
  spate_collect(rows, "rows");
  spate_write_file(rows, csv, spate_format_csv(env, s));
  r = run_ok(env, "json-to-csv");
  char *second = collected(r, "rows");
  spate_job_result_free(r);
  spate_env_free(env);
  assert_string_equal(first, second);
  char *again = read_all(csv);
  assert_string_equal(again, CANONICAL_CSV);
  free(again);
  free(first);
  free(second);
  tk_rm_rf(dir);
}

/* ---- bad lines ---------------------------------------------------------------------------- */
static char *failure_of(const char *path, const char *text,
                        spate_format *(*make)(spate_env *, const spate_schema *)) {
  write_file(path, text);
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 1);
  spate_env_set(env, "restart-strategy.type", "none");
  const spate_schema *s = spate_env_schema(env, "id BIGINT, amount DOUBLE");
  spate_discard(spate_read_file(env, path, make(env, s)));
  spate_job_result *r = tk_run(env, "bad-line");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  char *msg = strdup(spate_job_result_error(r));
  spate_job_result_free(r);
  spate_env_free(env);
  return msg;
}

static void test_bad_line_fails_naming_position(void **state) {
  char dir[256], path[512], want[700];
  tk_mkdtemp(dir, sizeof dir, "spate_fmt_");
  snprintf(path, sizeof path, "%s/orders.csv", dir);
  char *msg = failure_of(path, "1,2.5\n2,3\n3,abc\n4,1\n", spate_format_csv);
  snprintf(want, sizeof want, "%s:3:3: field 'amount': 'abc' is not a DOUBLE", path);
  if (!strstr(msg, want)) fail_msg("'%s' does not say '%s'", msg, want);
  free(msg);
  snprintf(path, sizeof path, "%s/orders.json", dir);
  msg = failure_of(path, "{\"id\":1}\n\n{\"id\":x}\n", spate_format_json); /* blank: no record */
  snprintf(want, sizeof want, "%s:3:7: not JSON", path);
  if (!strstr(msg, want)) fail_msg("'%s' does not say '%s'", msg, want);
  free(msg);
  msg = failure_of(path, "{\"id\":1}\n{\"id\": 2, \"amount\": true}\n", spate_format_json);
  snprintf(want, sizeof want, "%s:2:21: field 'amount': true is not a DOUBLE", path);
  if (!strstr(msg, want)) fail_msg("'%s' does not say '%s'", msg, want);
  free(msg);
  tk_rm_rf(dir);
}

/* ---- ignore-parse-errors: the count, from the tasks' metrics -------------------------------- */
static _Atomic int g_ended, g_failed;
static char g_error[512];

static void fmt_task_listener(void *arg, task *t, task_state from, task_state to) {
  if (!task_state_terminal(to)) return;
  if (to != TS_FINISHED && atomic_fetch_add(&g_failed, 1) == 0)
    snprintf(g_error, sizeof g_error, "%s", task_error(t));
  atomic_fetch_add(&g_ended, 1);
  tk_notify();
}

static const op_vtable *vtable_for(op_kind kind) {
  const op_vtable *vt = op_vtable_for(kind);
  return vt ? vt : connector_vtable_for(kind);
}

/* Runs env's job (one vertex: source and sink chained, parallelism 1) on a task of its own and
 * returns numParseErrors of the source (-1 if it has no such metric). */
static int64_t parse_errors_of(spate_env *env) {
  atomic_store(&g_ended, 0);
  atomic_store(&g_failed, 0);
  job_graph *jg;
  char err[512];
  assert_null(spate_env_error(env));
  assert_int_equal(jobgraph_build(env->g, &jg, err, sizeof err), 0);
  assert_int_equal(jg->nvertices, 1);
  void *dl = dlopen(NULL, RTLD_NOW);
  shuffle_env *shuffle;
  assert_int_equal(shuffle_env_create(&shuffle), 0);
  task_config cfg = {.vtable_for = vtable_for,
                     .buffer_size = 32768,
                     .buffers_per_channel = 2,
                     .floating_buffers = 8,
                     .buffer_timeout_ms = 0};
  task *t;
  assert_int_equal(task_start(jg, 0, 0, 0, shuffle, dl, &cfg, NULL, fmt_task_listener, NULL, &t),
                   0);
  TK_AWAIT(atomic_load(&g_ended) == 1, "the task to end");
  if (atomic_load(&g_failed)) fail_msg("the task failed: %s", g_error);
  int64_t count = -1;
  for (int m = 0; m < task_metrics_user_count(t, 0); m++) {
    task_user_metric u;
    assert_int_equal(task_metrics_read_user(t, 0, m, &u), 0);
    if (strcmp(u.name, LINE_DECODER_ERRORS_METRIC) == 0) count = u.count;
  }
  task_join_free(t);
  shuffle_env_destroy(shuffle);
  jobgraph_free(jg);
  dlclose(dl);
  return count;
}

static void test_ignore_parse_errors_counted(void **state) {
  char dir[256], path[512];
  tk_mkdtemp(dir, sizeof dir, "spate_fmt_");
  snprintf(path, sizeof path, "%s/in.csv", dir);
  write_file(path, "# header\n1,2.5\nx,1\n2,\n3,1.0,9\n\"4,1\n5,5\n");
  /* through the job API: the good rows arrive */
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 1);
  const spate_schema *s = spate_env_schema(env, "id BIGINT, amount DOUBLE");
  spate_format *csv = spate_format_csv(env, s);
  spate_format_set(csv, "csv.ignore-parse-errors", "true");
  spate_format_set(csv, "csv.allow-comments", "true");
  spate_collect(spate_read_file(env, path, csv), "rows");
  spate_job_result *r = run_ok(env, "ignore-errors");
  char *rows = collected(r, "rows");
  /* "x,1": id does not convert, so it is NULL (Flink's ignore-parse-errors) */
  assert_string_equal(rows, "(1,2.5)\n(null,1.0)\n(2,null)\n(5,5.0)\n");
  free(rows);
  spate_job_result_free(r);
  spate_env_free(env);
  /* on a task: three bad lines counted ("x,1" with a NULL id, "3,1.0,9" and "\"4,1" skipped; the
   * comment is no error) */
  env = spate_env_create();
  spate_env_set_parallelism(env, 1);
  s = spate_env_schema(env, "id BIGINT, amount DOUBLE");
  csv = spate_format_csv(env, s);
  spate_format_set(csv, "csv.ignore-parse-errors", "true");
  spate_format_set(csv, "csv.allow-comments", "true");
  spate_discard(spate_read_file(env, path, csv));
  assert_int_equal(parse_errors_of(env), 3);
  spate_env_free(env);
  /* JSON too */
  write_file(path, "{\"id\":1}\n{\"id\":\"z\"}\nnot json\n{\"id\":2,\"amount\":1}\n");
  env = spate_env_create();
  spate_env_set_parallelism(env, 1);
  s = spate_env_schema(env, "id BIGINT, amount DOUBLE");
  spate_format *js = spate_format_json(env, s);
  spate_format_set(js, "json.ignore-parse-errors", "true");
  spate_discard(spate_read_file(env, path, js));
  assert_int_equal(parse_errors_of(env), 2);
  spate_env_free(env);
  tk_rm_rf(dir);
}

/* ---- directory monitoring on a manual clock, across a savepoint ----------------------------- */
static _Atomic int g_seen;

int fmt_seen_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  for (uint32_t i = 0; i < in->nfields; i++) spate_rb_set_field(out, (int)i, in, (int)i);
  atomic_fetch_add(&g_seen, 1);
  tk_notify();
  return 0;
}

/* A new file appears whole: written aside, then moved in. */
static void add_file(const char *dir, const char *name, const char *text) {
  char tmp[600], path[600];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  write_file(tmp, text);
  assert_int_equal(rename(tmp, path), 0);
}

static spate_job_client *start_monitor(spate_clock *clock, const char *in, const char *out,
                                       const char *restore, tk_events *ev) {
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 1);
  spate_env_set_clock(env, clock);
  spate_env_set_buffer_timeout(env, 0);
  if (restore) spate_env_set(env, "execution.savepoint.path", restore);
  const spate_schema *s = spate_env_schema(env, "k STRING, v BIGINT");
  spate_format *csv = spate_format_csv(env, s);
  spate_stream *src = spate_uid(spate_monitor_directory(env, in, 1000, csv), "monitor");
  spate_stream *seen = spate_uid(spate_map(src, fmt_seen_map, s), "seen");
  spate_file_sink_options o = {.bucket_format = ""};
  spate_uid(spate_sink_file_format(seen, out, &o, csv), "sink");
  tk_events_reset(ev);
  spate_env_set_job_listener(env, tk_listener, ev);
  spate_job_client *c = spate_execute_async(env, "monitor");
  if (!c) fail_msg("not submitted: %s", spate_env_error(env));
  spate_env_free(env);
  return c;
}

static void test_monitor_directory_savepoint(void **state) {
  char dir[256], in[512], out[512], sp[512];
  tk_mkdtemp(dir, sizeof dir, "spate_fmt_");
  snprintf(in, sizeof in, "%s/in", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  snprintf(sp, sizeof sp, "%s/savepoints", dir);
  assert_int_equal(mkdir(in, 0777), 0);
  add_file(in, "a.csv", "a,1\na,2\n");
  add_file(in, "_ignored.csv", "x,0\n");
  spate_clock *clock = spate_manual_clock_create(1000000);
  static tk_events ev;
  atomic_store(&g_seen, 0);
  spate_job_client *c = start_monitor(clock, in, out, NULL, &ev);
  TK_AWAIT(atomic_load(&g_seen) == 2 && tk_all_running(&ev), "a.csv read (%d rows seen)",
           atomic_load(&g_seen));
  /* a new file waits for the next scan: a checkpoint (a fence) shows nothing new came */
  add_file(in, "b.csv", "b,3\nb,4\nb,5\n");
  char err[512];
  if (tk_checkpoint(c, NULL, err, sizeof err) < 0) fail_msg("checkpoint: %s", err);
  assert_int_equal(atomic_load(&g_seen), 2);
  spate_manual_clock_advance(clock, 999);
  if (tk_checkpoint(c, NULL, err, sizeof err) < 0) fail_msg("checkpoint: %s", err);
  assert_int_equal(atomic_load(&g_seen), 2);
  spate_manual_clock_advance(clock, 1);
  TK_AWAIT(atomic_load(&g_seen) == 5, "b.csv read after the interval (%d rows seen)",
           atomic_load(&g_seen));
  char path[4096];
  if (tk_stop_with_savepoint(c, sp, false, path, sizeof path, err, sizeof err) < 0)
    fail_msg("stop with savepoint: %s", err);
  spate_job_result *r = tk_wait(c, "the stopped monitor job");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  spate_job_result_free(r);
  char *lines = committed_lines(out);
  assert_string_equal(lines, "a,1\na,2\nb,3\nb,4\nb,5\n");
  free(lines);

  /* restored: only the file added since is read, at once (a restored source scans on start) */
  add_file(in, "c.csv", "c,6\n");
  atomic_store(&g_seen, 0);
  c = start_monitor(clock, in, out, path, &ev);
  TK_AWAIT(atomic_load(&g_seen) == 1 && tk_all_running(&ev), "c.csv read (%d rows seen)",
           atomic_load(&g_seen));
  if (tk_checkpoint(c, NULL, err, sizeof err) < 0) fail_msg("checkpoint: %s", err);
  assert_int_equal(atomic_load(&g_seen), 1); /* a.csv and b.csv were not read again */
  spate_manual_clock_advance(clock, 5000);
  add_file(in, "d.csv", "d,7\n");
  spate_manual_clock_advance(clock, 1000);
  TK_AWAIT(atomic_load(&g_seen) == 2, "d.csv read (%d rows seen)", atomic_load(&g_seen));
  if (tk_stop_with_savepoint(c, sp, false, path, sizeof path, err, sizeof err) < 0)
    fail_msg("stop with savepoint: %s", err);
  r = tk_wait(c, "the restored monitor job");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  spate_job_result_free(r);
  lines = committed_lines(out);
  assert_string_equal(lines, "a,1\na,2\nb,3\nb,4\nb,5\nc,6\nd,7\n");
  free(lines);
  spate_manual_clock_free(clock);
  tk_rm_rf(dir);
}

/* ---- socket source with a format -------------------------------------------------------------- */
typedef struct server {
  int fd;
  const char *text;
} server;

static void *serve(void *arg) {
  server *s = arg;
  int c = accept(s->fd, NULL, NULL);
  if (c >= 0) {
    ssize_t n = write(c, s->text, strlen(s->text));
    (void)n;
    close(c);
  }
  return NULL;
}

static void test_socket_stream_json(void **state) {
  server srv = {.text = "{\"k\":\"a\",\"v\":1}\n{\"k\":\"b\",\"v\":2}\r\n{\"v\":3}"};
  srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(srv.fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(srv.fd, 1), 0);
  assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &len), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, serve, &srv), 0);
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "k STRING, v BIGINT");
  spate_collect(spate_socket_stream(env, "127.0.0.1", ntohs(a.sin_port), spate_format_json(env, s)),
                "rows");
  spate_job_result *r = run_ok(env, "socket-json");
  char *rows = collected(r, "rows");
  assert_string_equal(rows, "(a,1)\n(b,2)\n(null,3)\n");
  free(rows);
  spate_job_result_free(r);
  spate_env_free(env);
  pthread_join(th, NULL);
  close(srv.fd);
}

/* ---- builder errors --------------------------------------------------------------------------- */
static void test_builder_errors(void **state) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "a BIGINT");
  spate_format *csv = spate_format_csv(env, s);
  assert_int_equal(spate_format_set(csv, "csv.field-delimiter", ";"), 0);
  assert_int_equal(spate_format_set(csv, "csv.fieldDelimiter", ";"), SPATE_EINVAL);
  assert_string_equal(spate_env_error(env),
                      "spate_format_set: unknown option 'csv.fieldDelimiter' for the csv format");
  spate_env_free(env);

  env = spate_env_create();
  s = spate_env_schema(env, "a BIGINT");
  spate_format *js = spate_format_json(env, s);
  assert_int_equal(spate_format_set(js, "json.fail-on-missing-field", "maybe"), SPATE_EINVAL);
  assert_string_equal(spate_env_error(env),
                      "spate_format_set: option 'json.fail-on-missing-field': 'maybe' is not a "
                      "boolean (true or false)");
  spate_env_free(env);

  env = spate_env_create();
  s = spate_env_schema(env, "a BIGINT");
  spate_stream *in = spate_from_sequence(env, 1, 3);
  spate_write_file(in, "/tmp/x", spate_format_csv(env, spate_env_schema(env, "a STRING")));
  assert_non_null(strstr(spate_env_error(env), "field 1 ('a') is BIGINT in the stream, STRING"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csv_json_round_trip),
      cmocka_unit_test(test_bad_line_fails_naming_position),
      cmocka_unit_test(test_ignore_parse_errors_counted),
      cmocka_unit_test(test_monitor_directory_savepoint),
      cmocka_unit_test(test_socket_stream_json),
      cmocka_unit_test(test_builder_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
