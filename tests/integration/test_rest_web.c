/*
 * test_rest_web.c: the web dashboard served by the REST endpoints (rest/web_static.h) over real
 * HTTP on loopback: the JobManager's REST server (with the fake cluster behind it, as
 * test_rest_server.c) and the history server (history_server_run on a thread of the test). What
 * is under test: "/" and each embedded asset answered with its Content-Type, Cache-Control and
 * ETag; the gzip twin only when the request accepts gzip (and it inflates to the plain bytes);
 * If-None-Match answered 304; HEAD; paths that try to leave the table (dot segments, encoded
 * ones) and other methods answered by the REST router's JSON errors, never by a file; the
 * history server's dashboard and its /config telling the dashboard it is read-only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "support/testkit.h"

#include "base/config.h"
#include "rest/history_server.h"
#include "rest/rest_server.h"
#include "rest/web_static.h"
#include "support/rest_fake_cluster.h"

/* ---- the HTTP client ---- */

typedef struct reply {
  long status; /* 0: no answer */
  char *body;  /* malloc'd, NUL-terminated (also when the body is binary) */
  size_t len;
  char *headers; /* the raw header block */
  size_t headers_len;
} reply;

static void reply_free(reply *r) {
  free(r->body);
  free(r->headers);
  memset(r, 0, sizeof *r);
}

/* One request of method to path on localhost:port with the extra header lines given (NULL
 * terminated). decode: let curl ask for gzip and inflate the answer (CURLOPT_ACCEPT_ENCODING).
 * The path is sent as it is (no dot-segment removal). */
static reply request(int port, const char *method, const char *path, const char *const *headers,
                     bool decode) {
  reply r = {0};
  CURL *h = curl_easy_init();
  assert_non_null(h);
  char url[1024];
  snprintf(url, sizeof url, "http://localhost:%d%s", port, path);
  FILE *body = open_memstream(&r.body, &r.len);
  FILE *head = open_memstream(&r.headers, &r.headers_len);
  struct curl_slist *list = NULL;
  for (size_t i = 0; headers && headers[i]; i++) list = curl_slist_append(list, headers[i]);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, head);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  if (decode) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
  if (strcmp(method, "HEAD") == 0)
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  else if (strcmp(method, "GET") != 0)
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "POST") == 0) curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
  CURLcode rc = curl_easy_perform(h);
  fclose(body);
  fclose(head);
  if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  return r;
}

/* The value of response header name (case-insensitive) copied into out, or NULL. */
static const char *header(const reply *r, const char *name, char *out, size_t cap) {
  size_t n = strlen(name);
  for (const char *line = r->headers; line && *line;) {
    const char *end = strstr(line, "\r\n");
    if (!end) end = line + strlen(line);
    if ((size_t)(end - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
      const char *v = line + n + 1;
      while (*v == ' ') v++;
      snprintf(out, cap, "%.*s", (int)(end - v), v);
      return out;
    }
    line = *end ? end + 2 : end;
  }
  return NULL;
}

/* Asserts that response header name is there and begins with want. */
static void assert_header(const reply *r, const char *path, const char *name, const char *want) {
  char v[256];
  if (!header(r, name, v, sizeof v)) fail_msg("%s: no %s header:\n%s", path, name, r->headers);
  if (strncasecmp(v, want, strlen(want)) != 0)
    fail_msg("%s: %s is '%s', expected '%s...'", path, name, v, want);
}

static void assert_no_header(const reply *r, const char *path, const char *name) {
  char v[256];
  if (header(r, name, v, sizeof v)) fail_msg("%s: unexpected %s: %s", path, name, v);
}

/* Asserts the REST router's JSON 404 for path: {"errors": ["Not found: ..."]}, nothing else
 * (for HEAD: the status and the JSON Content-Type, as a HEAD answer has no body). */
static void assert_json_404(int port, const char *method, const char *path) {
  reply r = request(port, method, path, NULL, false);
  if (r.status != 404) fail_msg("%s %s: HTTP %ld, expected the JSON 404", method, path, r.status);
  assert_header(&r, path, "Content-Type", "application/json");
  if (strcmp(method, "HEAD") == 0) {
    assert_int_equal(r.len, 0);
    reply_free(&r);
    return;
  }
  json_t *j = json_loadb(r.body, r.len, 0, NULL);
  if (!j) fail_msg("%s %s: the body is not JSON: %.200s", method, path, r.body);
  const char *msg = json_string_value(json_array_get(json_object_get(j, "errors"), 0));
  if (!msg || strncmp(msg, "Not found: ", 11) != 0)
    fail_msg("%s %s: body %.200s is not {\"errors\":[\"Not found: ...\"]}", method, path, r.body);
  assert_null(strstr(r.body, "root:")); /* no /etc/passwd, however reached */
  json_decref(j);
  reply_free(&r);
}

/* ---- the JobManager's REST server ---- */

typedef struct fixture {
  fake_cluster f;
  rest_server *server;
  int port;
  char upload_dir[256];
} fixture;

static int setup(void **state) {
  fixture *x = calloc(1, sizeof *x);
  assert_non_null(x);
  fake_cluster_init(&x->f);
  tk_mkdtemp(x->upload_dir, sizeof x->upload_dir, "spate-rest-web-");
  rest_server_config cfg = {.bind_address = "localhost",
                            .port = 0,
                            .ops = &fake_cluster_ops,
                            .ctx = &x->f,
                            .upload_dir = x->upload_dir,
                            .web_cancel = true};
  char err[1024];
  if (rest_server_start(&cfg, &x->server, err, sizeof err) < 0)
    fail_msg("rest_server_start: %s", err);
  x->port = rest_server_port(x->server);
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fixture *x = *state;
  rest_server_stop(x->server);
  fake_cluster_destroy(&x->f);
  tk_rm_rf(x->upload_dir);
  free(x);
  return 0;
}

/* The asset of path, or a skip when this build has none (SPATE_WEB OFF embeds index.html only). */
static const web_asset *asset_or_skip(const char *path) {
  const web_asset *a = web_asset_find(path);
  if (!a) {
    print_message("%s is not embedded in this build (SPATE_WEB OFF?): skipped\n", path);
    skip();
  }
  return a;
}

static void test_index(void **state) {
  fixture *x = *state;
  const web_asset *index = web_asset_find("/index.html");
  assert_non_null(index);
  assert_ptr_equal(web_asset_find("/"), index);
  const char *paths[] = {"/", "/index.html"};
  for (size_t i = 0; i < 2; i++) {
    reply r = request(x->port, "GET", paths[i], NULL, false);
    if (r.status != 200) fail_msg("GET %s: HTTP %ld", paths[i], r.status);
    assert_header(&r, paths[i], "Content-Type", "text/html");
    assert_header(&r, paths[i], "Cache-Control", "no-cache");
    assert_header(&r, paths[i], "ETag", index->etag);
    assert_no_header(&r, paths[i], "Content-Encoding");
    if (!strstr(r.body, "<div id=\"app\">"))
      fail_msg("GET %s: no <div id=\"app\"> in %.300s", paths[i], r.body);
    assert_int_equal(r.len, index->len);
    assert_memory_equal(r.body, index->data, index->len);
    reply_free(&r);
  }
}

static void test_app_js(void **state) {
  fixture *x = *state;
  const web_asset *a = asset_or_skip("/app.js");
  reply r = request(x->port, "GET", "/app.js", NULL, false);
  assert_int_equal(r.status, 200);
  char v[256];
  assert_non_null(header(&r, "Content-Type", v, sizeof v));
  if (strncmp(v, "text/javascript", 15) != 0 && strncmp(v, "application/javascript", 22) != 0)
    fail_msg("/app.js: Content-Type %s is not JavaScript's", v);
  assert_true(r.len > 0);
  assert_int_equal(r.len, a->len);
  assert_memory_equal(r.body, a->data, a->len);
  reply_free(&r);
  const web_asset *css = asset_or_skip("/app.css");
  r = request(x->port, "GET", "/app.css", NULL, false);
  assert_int_equal(r.status, 200);
  assert_header(&r, "/app.css", "Content-Type", "text/css");
  assert_int_equal(r.len, css->len);
  reply_free(&r);
}

/* Every asset of the table is served at its path, byte for byte. */
static void test_every_asset(void **state) {
  fixture *x = *state;
  assert_true(web_assets_count >= 1);
  for (size_t i = 0; i < web_assets_count; i++) {
    const web_asset *a = &web_assets[i];
    reply r = request(x->port, "GET", a->path, NULL, false);
    if (r.status != 200) fail_msg("GET %s: HTTP %ld", a->path, r.status);
    assert_header(&r, a->path, "Content-Type", a->content_type);
    assert_int_equal(r.len, a->len);
    assert_memory_equal(r.body, a->data, a->len);
    reply_free(&r);
  }
}

static void test_gzip(void **state) {
  fixture *x = *state;
  const web_asset *a = asset_or_skip("/app.js");
  if (!a->gz_data) fail_msg("/app.js has no gzip twin: build-web.sh writes one");
  /* asked for: the twin's bytes with Content-Encoding and Vary */
  const char *accepts[] = {"Accept-Encoding: gzip", "Accept-Encoding: deflate, gzip;q=0.8",
                           "Accept-Encoding: br;q=1, *;q=0.1", "Accept-Encoding: GZIP"};
  for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
    const char *h[] = {accepts[i], NULL};
    reply r = request(x->port, "GET", "/app.js", h, false);
    assert_int_equal(r.status, 200);
    assert_header(&r, accepts[i], "Content-Encoding", "gzip");
    assert_header(&r, accepts[i], "Vary", "Accept-Encoding");
    assert_header(&r, accepts[i], "ETag", a->gz_etag);
    assert_int_equal(r.len, a->gz_len);
    assert_memory_equal(r.body, a->gz_data, a->gz_len);
    assert_true(r.len > 2 && (unsigned char)r.body[0] == 0x1f && (unsigned char)r.body[1] == 0x8b);
    reply_free(&r);
  }
  /* not asked for, or refused: the plain bytes, still with Vary */
  const char *plain[] = {NULL, "Accept-Encoding: identity", "Accept-Encoding: gzip;q=0",
                         "Accept-Encoding: *;q=1, gzip;q=0", "Accept-Encoding: br"};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
    const char *h[] = {plain[i], NULL};
    const char *what = plain[i] ? plain[i] : "no Accept-Encoding";
    reply r = request(x->port, "GET", "/app.js", h, false);
    assert_int_equal(r.status, 200);
    assert_no_header(&r, what, "Content-Encoding");
    assert_header(&r, what, "Vary", "Accept-Encoding");
    assert_header(&r, what, "ETag", a->etag);
    assert_int_equal(r.len, a->len);
    assert_memory_equal(r.body, a->data, a->len);
    reply_free(&r);
  }
  /* the twin inflates to the plain bytes (curl inflates it when built with zlib, as Debian's) */
  if (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_LIBZ) {
    reply r = request(x->port, "GET", "/app.js", NULL, true);
    assert_int_equal(r.status, 200);
    assert_header(&r, "/app.js (inflated)", "Content-Encoding", "gzip");
    assert_int_equal(r.len, a->len);
    assert_memory_equal(r.body, a->data, a->len);
    reply_free(&r);
  }
}

static void test_etag(void **state) {
  fixture *x = *state;
  const web_asset *a = web_asset_find("/index.html");
  char inm[128], list[200], weak[160];
  snprintf(inm, sizeof inm, "If-None-Match: %s", a->etag);
  snprintf(list, sizeof list, "If-None-Match: \"0000\", %s", a->etag);
  snprintf(weak, sizeof weak, "If-None-Match: W/%s", a->etag);
  const char *fresh[] = {inm, list, weak, "If-None-Match: *"};
  for (size_t i = 0; i < sizeof fresh / sizeof fresh[0]; i++) {
    const char *h[] = {fresh[i], NULL};
    reply r = request(x->port, "GET", "/", h, false);
    if (r.status != 304) fail_msg("GET / with '%s': HTTP %ld, expected 304", h[0], r.status);
    assert_int_equal(r.len, 0);
    assert_header(&r, h[0], "ETag", a->etag);
    assert_header(&r, h[0], "Cache-Control", "no-cache");
    reply_free(&r);
  }
  const char *stale[] = {"If-None-Match: \"0123\"", NULL};
  reply r = request(x->port, "GET", "/", stale, false);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, a->len);
  reply_free(&r);
  /* the plain ETag does not revalidate the gzip twin: each representation has its own */
  if (a->gz_data) {
    const char *both[] = {inm, "Accept-Encoding: gzip", NULL};
    r = request(x->port, "GET", "/", both, false);
    assert_int_equal(r.status, 200);
    assert_header(&r, "/ gzip", "Content-Encoding", "gzip");
    reply_free(&r);
    char gz[128];
    snprintf(gz, sizeof gz, "If-None-Match: %s", a->gz_etag);
    const char *gz_h[] = {gz, "Accept-Encoding: gzip", NULL};
    r = request(x->port, "GET", "/", gz_h, false);
    assert_int_equal(r.status, 304);
    reply_free(&r);
  }
}

static void test_head(void **state) {
  fixture *x = *state;
  const web_asset *a = web_asset_find("/index.html");
  reply r = request(x->port, "HEAD", "/", NULL, false);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, 0);
  assert_header(&r, "HEAD /", "Content-Type", "text/html");
  assert_header(&r, "HEAD /", "ETag", a->etag);
  char len[32];
  snprintf(len, sizeof len, "%zu", a->len);
  assert_header(&r, "HEAD /", "Content-Length", len);
  reply_free(&r);
}

/* Nothing outside the table is reachable: every such path is the router's JSON 404. */
static void test_traversal(void **state) {
  fixture *x = *state;
  const char *paths[] = {"/../etc/passwd",
                         "/%2e%2e/",
                         "/%2e%2e/%2e%2e/etc/passwd",
                         "/..%2f..%2fetc%2fpasswd",
                         "/app.js/..",
                         "/app.js/../../etc/passwd",
                         "/index.html/",
                         "//etc/passwd",
                         "/web/src/index.html",
                         "/build.mjs",
                         "/package.json",
                         "/%2Fetc%2Fpasswd",
                         "/....//etc/passwd",
                         "/no-such-asset.js"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    assert_json_404(x->port, "GET", paths[i]);
    assert_json_404(x->port, "HEAD", paths[i]);
  }
}

/* Other methods on the dashboard's paths go to the router, which answers JSON. */
static void test_other_methods(void **state) {
  fixture *x = *state;
  const char *methods[] = {"POST", "DELETE", "PUT", "PATCH"};
  const char *paths[] = {"/", "/index.html", "/app.js"};
  for (size_t m = 0; m < 4; m++)
    for (size_t p = 0; p < 3; p++) {
      reply r = request(x->port, methods[m], paths[p], NULL, false);
      if (r.status != 404 && r.status != 405)
        fail_msg("%s %s: HTTP %ld, expected a JSON 404 or 405", methods[m], paths[p], r.status);
      json_t *j = json_loadb(r.body, r.len, 0, NULL);
      if (!json_is_array(json_object_get(j, "errors")))
        fail_msg("%s %s: body %.200s is not {\"errors\": [...]}", methods[m], paths[p], r.body);
      json_decref(j);
      reply_free(&r);
    }
  /* and the server still answers */
  reply r = request(x->port, "GET", "/config", NULL, false);
  assert_int_equal(r.status, 200);
  reply_free(&r);
}

/* The JobManager's /config: Flink 1.17's four features, web-history false. */
static void test_jobmanager_config(void **state) {
  fixture *x = *state;
  reply r = request(x->port, "GET", "/config", NULL, false);
  assert_int_equal(r.status, 200);
  json_t *j = json_loadb(r.body, r.len, 0, NULL);
  json_t *f = json_object_get(j, "features");
  assert_true(json_is_false(json_object_get(f, "web-submit"))); /* web.submit.enable off here */
  assert_true(json_is_true(json_object_get(f, "web-cancel")));
  assert_true(json_is_false(json_object_get(f, "web-rescale")));
  assert_true(json_is_false(json_object_get(f, "web-history")));
  json_decref(j);
  reply_free(&r);
}

/* ---- the history server ---- */

typedef struct history {
  pthread_t thread;
  sp_config *cfg;
  atomic_int done; /* history_server_run returned */
  int rc;
} history;

static void *history_main(void *arg) {
  history *h = arg;
  h->rc = history_server_run(h->cfg);
  atomic_store(&h->done, 1);
  tk_notify();
  return NULL;
}

/* A port of localhost that was free a moment ago (the kernel's pick for port 0). */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t l = sizeof a;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
  close(fd);
  return ntohs(a.sin_port);
}

static bool answers(int port) {
  reply r = request(port, "GET", "/config", NULL, false);
  bool ok = r.status == 200;
  reply_free(&r);
  return ok;
}

static void test_history_server(void **state) {
  (void)state;
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate-rest-web-archive-");
  history h = {0};
  int port = 0;
  /* the port is picked before the server binds it: another process may take it in between,
   * then the server exits 1 at once and the next attempt takes another port */
  for (int attempt = 0; attempt < 5; attempt++) {
    port = free_port();
    char kv[300], err[256];
    h.cfg = sp_config_new();
    assert_non_null(h.cfg);
    atomic_store(&h.done, 0);
    snprintf(kv, sizeof kv, "historyserver.archive.fs.dir=%s", dir);
    assert_int_equal(sp_config_set_kv(h.cfg, kv, err, sizeof err), 0);
    assert_int_equal(
        sp_config_set_kv(h.cfg, "historyserver.web.address=localhost", err, sizeof err), 0);
    snprintf(kv, sizeof kv, "historyserver.web.port=%d", port);
    assert_int_equal(sp_config_set_kv(h.cfg, kv, err, sizeof err), 0);
    assert_int_equal(pthread_create(&h.thread, NULL, history_main, &h), 0);
    TK_AWAIT(atomic_load(&h.done) || answers(port), "the history server to answer on port %d",
             port);
    if (!atomic_load(&h.done)) break;
    pthread_join(h.thread, NULL);
    sp_config_free(h.cfg);
    h.cfg = NULL;
  }
  if (!h.cfg) fail_msg("the history server did not start in 5 attempts");

  /* /config: read-only features, the other keys as the JobManager's */
  reply r = request(port, "GET", "/config", NULL, false);
  assert_int_equal(r.status, 200);
  json_t *j = json_loadb(r.body, r.len, 0, NULL);
  json_t *f = json_object_get(j, "features");
  assert_true(json_is_false(json_object_get(f, "web-submit")));
  assert_true(json_is_false(json_object_get(f, "web-cancel")));
  assert_true(json_is_true(json_object_get(f, "web-history")));
  assert_true(json_is_integer(json_object_get(j, "refresh-interval")));
  assert_true(json_is_string(json_object_get(j, "flink-version")));
  assert_true(json_is_string(json_object_get(j, "timezone-name")));
  json_decref(j);
  reply_free(&r);

  /* the dashboard, as on the JobManager */
  const web_asset *index = web_asset_find("/index.html");
  r = request(port, "GET", "/", NULL, false);
  assert_int_equal(r.status, 200);
  assert_header(&r, "history /", "Content-Type", "text/html");
  assert_header(&r, "history /", "Cache-Control", "no-cache");
  assert_header(&r, "history /", "ETag", index->etag);
  assert_non_null(strstr(r.body, "<div id=\"app\">"));
  reply_free(&r);
  r = request(port, "HEAD", "/index.html", NULL, false);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, 0);
  reply_free(&r);
  char inm[128];
  snprintf(inm, sizeof inm, "If-None-Match: %s", index->etag);
  const char *h304[] = {inm, NULL};
  r = request(port, "GET", "/index.html", h304, false);
  assert_int_equal(r.status, 304);
  reply_free(&r);
  const web_asset *js = web_asset_find("/app.js");
  if (js && js->gz_data) {
    const char *gz[] = {"Accept-Encoding: gzip", NULL};
    r = request(port, "GET", "/app.js", gz, false);
    assert_int_equal(r.status, 200);
    assert_header(&r, "history /app.js", "Content-Encoding", "gzip");
    assert_int_equal(r.len, js->gz_len);
    reply_free(&r);
  }
  /* still read-only, and no traversal */
  r = request(port, "POST", "/", NULL, false);
  assert_int_equal(r.status, 405);
  reply_free(&r);
  assert_json_404(port, "GET", "/../etc/passwd");
  assert_json_404(port, "GET", "/%2e%2e/");
  assert_json_404(port, "GET", "/app.js/..");

  /* stop it as `spate historyserver stop` does: SIGTERM, awaited by its sigtimedwait */
  assert_int_equal(pthread_kill(h.thread, SIGTERM), 0);
  TK_AWAIT(atomic_load(&h.done), "the history server to stop on SIGTERM");
  pthread_join(h.thread, NULL);
  assert_int_equal(h.rc, 0);
  sp_config_free(h.cfg);
  tk_rm_rf(dir);
}

/* The header parsers on their own. */
static void test_header_parsing(void **state) {
  (void)state;
  assert_false(web_accepts_gzip(NULL));
  assert_false(web_accepts_gzip(""));
  assert_true(web_accepts_gzip("gzip"));
  assert_true(web_accepts_gzip("gzip, deflate, br"));
  assert_true(web_accepts_gzip(" br ; q=1 , x-gzip"));
  assert_true(web_accepts_gzip("*"));
  assert_false(web_accepts_gzip("gzip;q=0"));
  assert_false(web_accepts_gzip("gzip; q=0.0, *"));
  assert_false(web_accepts_gzip("*;q=0"));
  assert_false(web_accepts_gzip("gzipx, deflate"));
  assert_true(web_etag_matches("\"a\"", "\"a\""));
  assert_true(web_etag_matches("\"b\" , \"a\"", "\"a\""));
  assert_true(web_etag_matches("W/\"a\"", "\"a\""));
  assert_true(web_etag_matches("*", "\"a\""));
  assert_false(web_etag_matches(NULL, "\"a\""));
  assert_false(web_etag_matches("\"ab\"", "\"a\""));
  assert_false(web_etag_matches("a", "\"a\""));
  assert_null(web_asset_find("/../index.html"));
  assert_null(web_asset_find("index.html"));
  assert_null(web_asset_find(""));
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_parsing),
      cmocka_unit_test_setup_teardown(test_index, setup, teardown),
      cmocka_unit_test_setup_teardown(test_app_js, setup, teardown),
      cmocka_unit_test_setup_teardown(test_every_asset, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_etag, setup, teardown),
      cmocka_unit_test_setup_teardown(test_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_traversal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_methods, setup, teardown),
      cmocka_unit_test_setup_teardown(test_jobmanager_config, setup, teardown),
      cmocka_unit_test(test_history_server),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
