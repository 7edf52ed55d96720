/*
 * test_job_archive.c: the pieces of web submission and the history server below HTTP, with the
 * fake cluster's table of jobs behind a real REST server (support/rest_fake_cluster.h):
 *  - rest_server_get: a route run in process, its status and body as a client would get them;
 *  - job_archive_render / job_archive_write: a finished job's archive holds /jobs/overview with
 *    only that job and /jobs/<id> as served, is written atomically into a directory it creates
 *    (file:// URIs too), and reads back through history_archive_parse;
 *  - history_archive_parse refuses what is not an archive, saying what is wrong;
 *  - the /jars/:jarid/run body: Flink's fields, the web dashboard's strings coerced, bad ones
 *    refused naming the field;
 *  - jar_store: bare-name ids only, ELF shared objects only, add / list / find / delete, and the
 *    default upload directory made and removed.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/testkit.h"

#include "base/alloc.h"
#include "rest/history_server.h"
#include "rest/jar_store.h"
#include "rest/job_archive.h"
#include "rest/rest_requests.h"
#include "rest/rest_server.h"
#include "spate/spate.h"
#include "support/rest_fake_cluster.h"

typedef struct fixture {
  fake_cluster f;
  rest_server *server;
  char dir[256];
} fixture;

static int setup(void **state) {
  fixture *x = calloc(1, sizeof *x);
  assert_non_null(x);
  fake_cluster_init(&x->f);
  tk_mkdtemp(x->dir, sizeof x->dir, "spate-archive-test-");
  rest_server_config cfg = {.bind_address = "localhost",
                            .port = 0,
                            .ops = &fake_cluster_ops,
                            .ctx = &x->f,
                            .upload_dir = x->dir};
  char err[1024];
  if (rest_server_start(&cfg, &x->server, err, sizeof err) < 0)
    fail_msg("rest_server_start: %s", err);
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fixture *x = *state;
  rest_server_stop(x->server);
  fake_cluster_destroy(&x->f);
  tk_rm_rf(x->dir);
  free(x);
  return 0;
}

/* GET path in process: its status, and its body parsed. */
static json_t *get(fixture *x, const char *path, unsigned *status) {
  char *body;
  assert_int_equal(rest_server_get(x->server, path, status, &body), 0);
  json_t *j = json_loads(body, 0, NULL);
  if (!j) fail_msg("GET %s: not JSON: %s", path, body);
  sp_free(body);
  return j;
}

static void in_process_get(void **state) {
  fixture *x = *state;
  unsigned status;
  json_t *j = get(x, "/jobs/overview", &status);
  assert_int_equal(status, 200);
  assert_int_equal(json_array_size(json_object_get(j, "jobs")), 5);
  json_decref(j);
  j = get(x, "/v1/jobs/" FAKE_JOB_FINISHED, &status);
  assert_int_equal(status, 200);
  assert_string_equal(json_string_value(json_object_get(j, "state")), "FINISHED");
  json_decref(j);
  j = get(x, "/no/such/path", &status);
  assert_int_equal(status, 404);
  assert_string_equal(json_string_value(json_array_get(json_object_get(j, "errors"), 0)),
                      "Not found: /no/such/path");
  json_decref(j);
  j = get(x, "/jobs/" FAKE_JOB_FINISHED "0", &status); /* a malformed id */
  assert_int_equal(status, 400);
  json_decref(j);
}

/* The archive's entry of path, parsed; NULL if it has none. */
static json_t *entry(history_entry *e, size_t n, const char *path) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(e[i].path, path) == 0) return json_loads(e[i].json, 0, NULL);
  return NULL;
}

static void archive_of_a_finished_job(void **state) {
  fixture *x = *state;
  char *text = NULL, err[1024] = "";
  assert_int_equal(job_archive_render(x->server, FAKE_JOB_FINISHED, &text, err, sizeof err), 0);
  history_entry *e;
  size_t n;
  if (history_archive_parse(text, strlen(text), &e, &n, err, sizeof err) < 0)
    fail_msg("the archive does not parse back: %s", err);
  /* /jobs/overview holds only this job */
  json_t *ov = entry(e, n, "/jobs/overview");
  assert_non_null(ov);
  json_t *jobs = json_object_get(ov, "jobs");
  assert_int_equal(json_array_size(jobs), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(jobs, 0), "jid")),
                      FAKE_JOB_FINISHED);
  json_decref(ov);
  /* /jobs/<id> is what the server serves, but for what depends on the time of the request:
   * "now", and the durations of the fake's vertices, which run on */
  json_t *archived = entry(e, n, "/jobs/" FAKE_JOB_FINISHED);
  assert_non_null(archived);
  unsigned status;
  json_t *served = get(x, "/jobs/" FAKE_JOB_FINISHED, &status);
  json_t *both[] = {archived, served};
  for (int k = 0; k < 2; k++) {
    json_object_del(both[k], "now");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(both[k], "vertices"), i, v) {
      if (json_integer_value(json_object_get(v, "end-time")) == -1) json_object_del(v, "duration");
    }
  }
  if (!json_equal(archived, served)) {
    char *a = json_dumps(archived, JSON_SORT_KEYS), *b = json_dumps(served, JSON_SORT_KEYS);
    fail_msg("archived %s\nserved   %s", a, b);
  }
  json_decref(archived);
  json_decref(served);
  /* no other job's path, and nothing that did not answer 200 */
  for (size_t i = 0; i < n; i++) {
    assert_true(strcmp(e[i].path, "/jobs/overview") == 0 ||
                strncmp(e[i].path, "/jobs/" FAKE_JOB_FINISHED, 38) == 0);
    json_t *j = json_loads(e[i].json, 0, NULL);
    assert_null(json_object_get(j, "errors"));
    json_decref(j);
  }
  history_entries_free(e, n);

  /* written atomically into a directory made on the way, named by the job id */
  char dir[512], uri[600], file[700];
  snprintf(dir, sizeof dir, "%s/archive/deeper", x->dir);
  snprintf(uri, sizeof uri, "file://%s", dir);
  assert_int_equal(job_archive_write(uri, FAKE_JOB_FINISHED, text, err, sizeof err), 0);
  snprintf(file, sizeof file, "%s/%s", dir, FAKE_JOB_FINISHED);
  FILE *f = fopen(file, "r");
  assert_non_null(f);
  char buf[65536];
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[len] = 0;
  assert_string_equal(buf, text);
  snprintf(file, sizeof file, "%s/.%s.inprogress", dir, FAKE_JOB_FINISHED);
  assert_int_not_equal(access(file, F_OK), 0);
  sp_free(text);

  /* an unknown job has no archive */
  text = NULL;
  assert_int_equal(
      job_archive_render(x->server, "abababababababababababababababab", &text, err, sizeof err),
      SPATE_ENOENT);
  assert_null(text);
}

static void bad_archives_refused(void **state) {
  (void)state;
  static const struct {
    const char *text, *why;
  } bad[] = {
      {"garbage", "not JSON"},
      {"{\"jobs\": []}", "no \"archive\" array"},
      {"{\"archive\": [{\"json\": \"{}\"}]}", "entry 0 is not"},
      {"{\"archive\": [{\"path\": \"jobs\", \"json\": \"{}\"}]}", "entry 0 is not"},
      {"{\"archive\": [{\"path\": \"/a\", \"json\": \"{}\"}, {\"path\": \"/b\", \"json\": "
       "\"{x\"}]}",
       "entry 1 (/b) holds no valid JSON"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    history_entry *e = (history_entry *)1;
    size_t n = 7;
    char err[512] = "";
    assert_int_equal(
        history_archive_parse(bad[i].text, strlen(bad[i].text), &e, &n, err, sizeof err),
        SPATE_ECORRUPT);
    assert_null(e);
    assert_int_equal(n, 0);
    if (!strstr(err, bad[i].why))
      fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, err, bad[i].why);
  }
  history_entry *e;
  size_t n;
  char err[512];
  const char *empty = "{\"archive\": []}";
  assert_int_equal(history_archive_parse(empty, strlen(empty), &e, &n, err, sizeof err), 0);
  assert_int_equal(n, 0);
  history_entries_free(e, n);
}

/* Writes a file of the given bytes. */
static void write_bytes(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
}

static void jar_store_files(void **state) {
  fixture *x = *state;
  assert_true(jar_store_valid_id("0f1e-_job.so"));
  static const char *const invalid[] = {"", ".", "..", ".hidden", "a/b", "..\\x", "a\nb", NULL};
  for (const char *const *s = invalid; *s; s++) assert_false(jar_store_valid_id(*s));

  char up[512], *dir = NULL, *root = NULL, err[1024] = "";
  snprintf(up, sizeof up, "%s/uploads", x->dir);
  assert_int_equal(jar_store_open(up, &dir, &root, err, sizeof err), 0);
  assert_null(root); /* an explicit directory is kept */
  char want[600];
  snprintf(want, sizeof want, "%s/flink-web-upload", up);
  assert_string_equal(dir, want);

  /* an ELF shared object (its header: 64-bit, little-endian, e_type ET_DYN) and others */
  unsigned char elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  elf[16] = 3;
  char so[600], exe[600], txt[600];
  snprintf(so, sizeof so, "%s/lib.so", x->dir);
  snprintf(exe, sizeof exe, "%s/prog", x->dir);
  snprintf(txt, sizeof txt, "%s/notes.so", x->dir);
  write_bytes(so, elf, sizeof elf);
  elf[16] = 2; /* ET_EXEC */
  write_bytes(exe, elf, sizeof elf);
  write_bytes(txt, "hello, world, this is text\n", 27);
  assert_true(jar_store_is_shared_object(so, "lib.so", err, sizeof err));
  assert_false(jar_store_is_shared_object(exe, "prog", err, sizeof err));
  assert_non_null(strstr(err, "'prog'"));
  assert_false(jar_store_is_shared_object(txt, "notes.so", err, sizeof err));
  assert_non_null(strstr(err, "'notes.so' is not a job object"));

  char *stored = NULL;
  assert_int_equal(jar_store_add(dir, so, "lib.so", &stored, err, sizeof err), 0);
  assert_int_equal(strncmp(stored, dir, strlen(dir)), 0);
  const char *id = stored + strlen(dir) + 1;
  assert_int_equal(strlen(id), 36 + 1 + strlen("lib.so"));
  assert_string_equal(id + 37, "lib.so");
  assert_int_not_equal(access(so, F_OK), 0); /* moved, not copied */
  char *refused = NULL;
  assert_int_equal(jar_store_add(dir, txt, "../x.so", &refused, err, sizeof err), SPATE_EINVAL);
  assert_null(refused);

  jar_entry *list;
  size_t n;
  assert_int_equal(jar_store_list(dir, &list, &n, err, sizeof err), 0);
  assert_int_equal(n, 1);
  assert_string_equal(list[0].id, id);
  assert_string_equal(list[0].name, "lib.so");
  assert_true(list[0].uploaded > 0);
  jar_store_list_free(list, n);

  char *path = NULL;
  assert_int_equal(jar_store_find(dir, id, &path, err, sizeof err), 0);
  assert_string_equal(path, stored);
  sp_free(path);
  assert_int_equal(jar_store_find(dir, "../uploads", &path, err, sizeof err), SPATE_ENOENT);
  assert_non_null(strstr(err, "does not exist"));
  assert_int_equal(jar_store_delete(dir, id, err, sizeof err), 0);
  assert_int_not_equal(access(stored, F_OK), 0);
  assert_int_equal(jar_store_delete(dir, id, err, sizeof err), SPATE_ENOENT);
  sp_free(stored);
  /* the directory removed from under the store: empty, and made again by the next upload */
  assert_int_equal(rmdir(dir), 0);
  assert_int_equal(jar_store_list(dir, &list, &n, err, sizeof err), 0);
  assert_int_equal(n, 0);
  write_bytes(so, elf, sizeof elf);
  assert_int_equal(jar_store_add(dir, so, "again.so", &stored, err, sizeof err), 0);
  assert_int_equal(access(stored, F_OK), 0);
  sp_free(stored);
  sp_free(dir);

  /* the default: a fresh flink-web-<uuid> under $TMPDIR, removed at the end */
  char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
  setenv("TMPDIR", x->dir, 1);
  assert_int_equal(jar_store_open(NULL, &dir, &root, err, sizeof err), 0);
  if (old) {
    setenv("TMPDIR", old, 1);
    free(old);
  } else {
    unsetenv("TMPDIR");
  }
  assert_non_null(root);
  assert_int_equal(strncmp(root, x->dir, strlen(x->dir)), 0);
  assert_int_equal(strncmp(root + strlen(x->dir), "/flink-web-", 11), 0);
  struct stat st;
  assert_int_equal(stat(dir, &st), 0);
  jar_store_remove(root);
  assert_int_not_equal(stat(root, &st), 0);
  sp_free(dir);
  sp_free(root);
}

static void jar_run_requests(void **state) {
  (void)state;
  rest_jar_run_request r;
  char err[512] = "";
  const char *full =
      "{\"entryClass\": \"x\", \"programArgsList\": [\"--a\", \"b c\"], "
      "\"parallelism\": 4, \"jobId\": \"0123456789abcdef0123456789abcdef\", "
      "\"allowNonRestoredState\": true, \"savepointPath\": \"/sp\", "
      "\"claimMode\": \"NO_CLAIM\", \"flinkConfiguration\": {\"k\": 1}}";
  assert_int_equal(rest_decode_jar_run_request(full, strlen(full), false, &r, err, sizeof err), 0);
  assert_true(r.has_args_list);
  assert_int_equal(r.n_args, 2);
  assert_string_equal(r.args_list[1], "b c");
  assert_int_equal(r.parallelism, 4);
  assert_string_equal(r.job_id, "0123456789abcdef0123456789abcdef");
  assert_true(r.allow_non_restored);
  assert_string_equal(r.savepoint_path, "/sp");
  assert_int_equal(r.restore_mode, REST_RESTORE_NO_CLAIM);
  assert_int_equal(r.n_config, 1);
  assert_string_equal(r.config_keys[0], "k");
  assert_string_equal(r.config_values[0], "1");
  rest_jar_run_request_free(&r);
  /* what the web dashboard sends from its form */
  const char *dash =
      "{\"entryClass\": \"\", \"parallelism\": \"3\", \"programArgs\": \"--x 1\", "
      "\"savepointPath\": \"\", \"allowNonRestoredState\": \"true\"}";
  assert_int_equal(rest_decode_jar_run_request(dash, strlen(dash), false, &r, err, sizeof err), 0);
  assert_int_equal(r.parallelism, 3);
  assert_null(r.savepoint_path);
  assert_true(r.allow_non_restored);
  assert_false(r.has_args_list);
  assert_string_equal(r.program_args, "--x 1");
  rest_jar_run_request_free(&r);
  static const struct {
    const char *body, *field;
    bool plan;
  } bad[] = {
      {"{\"parallelism\": 0}", "parallelism", false},
      {"{\"parallelism\": \"3x\"}", "parallelism", false},
      {"{\"jobId\": \"xyz\"}", "jobId", false},
      {"{\"programArgsList\": [1]}", "programArgsList[0]", false},
      {"{\"flinkConfiguration\": {\"a=b\": \"c\"}}", "flinkConfiguration", false},
      {"{\"restoreMode\": \"CLAIM\", \"claimMode\": \"LEGACY\"}", "claimMode", false},
      {"{\"savepointPath\": \"/sp\"}", "savepointPath", true},
      {"[]", "JSON object", false},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(rest_decode_jar_run_request(bad[i].body, strlen(bad[i].body), bad[i].plan, &r,
                                                 err, sizeof err),
                     SPATE_EINVAL);
    if (!strstr(err, bad[i].field))
      fail_msg("%s: '%s' does not name %s", bad[i].body, err, bad[i].field);
    rest_jar_run_request_free(&r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(in_process_get, setup, teardown),
      cmocka_unit_test_setup_teardown(archive_of_a_finished_job, setup, teardown),
      cmocka_unit_test(bad_archives_refused),
      cmocka_unit_test(jar_run_requests),
      cmocka_unit_test_setup_teardown(jar_store_files, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
