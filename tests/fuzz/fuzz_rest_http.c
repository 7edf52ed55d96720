/*
 * fuzz_rest_http.c: the REST endpoint's request parsing as a whole: the request line's path with
 * its parameters and query string, the route match and parameter checks (rest_router.c), the
 * body limits, JSON bodies, multipart uploads (rest_server.c) and the log file routes
 * (/jobmanager/logs/:filename). The real server (libmicrohttpd) runs once per process with a stub
 * cluster behind it; each input becomes one HTTP request handed to it over a socketpair
 * (MHD_add_connection: no network), and the reply is read whole.
 *
 * Input: byte 0 picks the method (GET, POST, PATCH, DELETE, OPTIONS, PUT), byte 1 the
 * Content-Type (none, JSON, multipart/form-data with boundary "XyZ", text), then the target
 * (path and query) up to the first '\n' (bytes that cannot stand in a request line are
 * %-escaped), and the rest is the body.
 *
 * Checks: every reply is HTTP with a status; the endpoint's own replies (they carry the CORS
 * header) are never 500, and an error among them is {"errors": [strings]}; no reply ever holds
 * the content of a file outside the log directory (a file next to it holds a marker); after each
 * request the upload directory is empty again and nothing was written beside it (CVE-2020-17518).
 * The Content-Length is the body's: the server never waits for bytes that do not come.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "base/err.h"
#include "base/log.h"
#include "base/log_files.h"
#include "rest/rest_server_internal.h"

#define SECRET "SECRET-OUTSIDE-THE-LOG-DIRECTORY"
#define TEST_JOB "0123456789abcdef0123456789abcdef"

/* ---- the stub cluster: one running job, two TaskManagers, every call succeeds ---- */

static int s_list(void *c, rest_job_list *o, char *e, size_t n) {
  (void)c, (void)e, (void)n;
  rest_job_summary *s = rest_job_list_add(o, "job");
  if (!s) return SPATE_ENOMEM;
  memcpy(s->id, TEST_JOB, sizeof s->id);
  s->state = REST_JOB_RUNNING;
  return 0;
}
static int s_overview(void *c, rest_cluster_overview *o, char *e, size_t n) {
  (void)c, (void)e, (void)n;
  o->taskmanagers = 2;
  return 0;
}
static int s_details(void *c, const char *id, rest_job_details *o, char *e, size_t n) {
  (void)c;
  if (strcmp(id, TEST_JOB) != 0) return sp_err(e, n, SPATE_ENOENT, "Job %s not found", id);
  return rest_job_details_set_name(o, "job");
}
static int s_cancel(void *c, const char *id, char *e, size_t n) {
  (void)c;
  return strcmp(id, TEST_JOB) ? sp_err(e, n, SPATE_ENOENT, "Job %s not found", id) : 0;
}
static int s_result(void *c, const char *id, rest_job_result *o, char *e, size_t n) {
  (void)c, (void)o;
  return strcmp(id, TEST_JOB) ? sp_err(e, n, SPATE_ENOENT, "Job %s not found", id) : 0;
}
static int s_submit(void *c, const void *g, size_t gl, const char *const *a, size_t na, char *id,
                    char *e, size_t n) {
  (void)c, (void)g, (void)gl, (void)a, (void)na, (void)e, (void)n;
  memcpy(id, TEST_JOB, REST_ID_LEN + 1);
  return 0;
}
static int s_savepoint(void *c, const char *id, const char *d, bool k, rest_savepoint_format f,
                       char **loc, char *e, size_t n) {
  (void)c, (void)id, (void)d, (void)k, (void)f, (void)e, (void)n;
  *loc = sp_strdup("file:///savepoint");
  return *loc ? 0 : SPATE_ENOMEM;
}
static int s_stop(void *c, const char *id, const char *d, bool dr, rest_savepoint_format f,
                  char **loc, char *e, size_t n) {
  return s_savepoint(c, id, d, dr, f, loc, e, n);
}
static int s_checkpoint(void *c, const char *id, rest_checkpoint_type t, int64_t *cid, char *e,
                        size_t n) {
  (void)c, (void)id, (void)t, (void)e, (void)n;
  *cid = 1;
  return 0;
}
static int s_dispose(void *c, const char *p, char *e, size_t n) {
  (void)c, (void)p, (void)e, (void)n;
  return 0;
}
static int s_tms(void *c, rest_taskmanager_list *o, char *e, size_t n) {
  (void)c, (void)e, (void)n;
  return rest_taskmanager_list_add(o, TEST_JOB, "spate://tm") ? 0 : SPATE_ENOMEM;
}
static void s_shutdown(void *c) { (void)c; }

static const rest_cluster_ops stub_ops = {
    .list_jobs = s_list,
    .overview = s_overview,
    .job_details = s_details,
    .cancel_job = s_cancel,
    .job_result = s_result,
    .submit_job = s_submit,
    .savepoint = s_savepoint,
    .stop_job = s_stop,
    .checkpoint = s_checkpoint,
    .dispose_savepoint = s_dispose,
    .taskmanagers = s_tms,
    .shutdown = s_shutdown,
};

/* ---- the server, once per process ---- */

static rest_server *server;
static char upload_dir[4096];

/* At exit: the server's asynchronous operations' threads are joined (ThreadSanitizer reports a
 * thread never joined as a leak). */
static void stop_server(void) {
  rest_server_stop(server);
  server = NULL;
}

static void start_server(void) {
  if (server) return;
  char logs[4096], f[4096 + 32];
  fuzz_path(upload_dir, sizeof upload_dir, "uploads");
  fuzz_path(logs, sizeof logs, "logs");
  FUZZ_CHECK(mkdir(upload_dir, 0700) == 0 && mkdir(logs, 0700) == 0, "cannot create dirs");
  snprintf(f, sizeof f, "%s/app.log", logs);
  fuzz_write_file(f, "a line of the log\n", 18);
  fuzz_path(f, sizeof f, "secret.txt");
  fuzz_write_file(f, SECRET "\n", sizeof SECRET);
  snprintf(f, sizeof f, "%s/link.log", logs);
  char target[4096];
  fuzz_path(target, sizeof target, "secret.txt");
  FUZZ_CHECK(symlink(target, f) == 0, "cannot link %s", f);
  snprintf(f, sizeof f, "%s/app.log", logs);
  sp_log_files_set(f, logs);
  sp_log_set_level(SP_LOG_ERROR); /* not libmicrohttpd's warnings about socketpair options */
  rest_server_config cfg = {.bind_address = "127.0.0.1",
                            .ops = &stub_ops,
                            .upload_dir = upload_dir,
                            .max_content_length = 1 << 16,
                            .web_submit = true,
                            .web_cancel = true};
  char err[SP_ERRMSG_MAX];
  FUZZ_CHECK(rest_server_start(&cfg, &server, err, sizeof err) == 0, "server: %s", err);
  atexit(stop_server);
}

/* ---- one request ---- */

static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "OPTIONS", "PUT"};
static const char *const types[] = {NULL, "application/json", "multipart/form-data; boundary=XyZ",
                                    "text/plain"};

/* Appends the target with every byte a request line cannot hold %-escaped. */
static size_t put_target(char *out, const uint8_t *t, size_t n) {
  size_t k = 0;
  if (n == 0 || t[0] != '/') out[k++] = '/';
  for (size_t i = 0; i < n; i++) {
    if (t[i] <= 0x20 || t[i] >= 0x7f)
      k += (size_t)sprintf(out + k, "%%%02X", t[i]);
    else
      out[k++] = (char)t[i];
  }
  return k;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL); /* the server may have closed: no SIGPIPE */
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* the server closed early (a refusal before the body): fine */
    p += w;
    n -= (size_t)w;
  }
}

/* Reads the reply until the server closes; sp_malloc'd, NUL-terminated. */
static char *read_reply(int fd, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = sp_malloc(cap);
  FUZZ_CHECK(buf != NULL, "out of memory");
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 30000);
    FUZZ_CHECK(r > 0, "no reply within 30 s");
    if (n + 4096 > cap) {
      cap *= 2;
      buf = sp_realloc(buf, cap);
      FUZZ_CHECK(buf != NULL, "out of memory");
    }
    ssize_t k = read(fd, buf + n, cap - n - 1);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    n += (size_t)k;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

/* The number of entries of dir (without . and ..). */
static int entries(const char *dir) {
  DIR *d = opendir(dir);
  FUZZ_CHECK(d != NULL, "cannot list %s", dir);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static void check_reply(const char *r, size_t len) {
  FUZZ_CHECK(len >= 12 && strncmp(r, "HTTP/1.", 7) == 0, "not an HTTP reply: %.60s", r);
  int status = atoi(r + 9);
  FUZZ_CHECK(status >= 100 && status < 600, "status %d", status);
  FUZZ_CHECK(!memmem(r, len, SECRET, strlen(SECRET)), "a file outside the log directory leaked");
  const char *end = strstr(r, "\r\n\r\n");
  FUZZ_CHECK(end != NULL, "no end of headers");
  if (!memmem(r, (size_t)(end - r), "Access-Control-Allow-Origin", 27))
    return; /* libmicrohttpd's own answer to a request it could not parse */
  FUZZ_CHECK(status != 500, "the endpoint answered 500: %s", end + 4);
  if (status < 400 || !memmem(r, (size_t)(end - r), "application/json", 16)) return;
  json_error_t je;
  json_t *b = json_loads(end + 4, 0, &je);
  FUZZ_CHECK(b != NULL, "error body is not JSON: %s", end + 4);
  json_t *errors = json_object_get(b, "errors");
  FUZZ_CHECK(json_is_array(errors) && json_array_size(errors) > 0, "no errors: %s", end + 4);
  for (size_t i = 0; i < json_array_size(errors); i++)
    FUZZ_CHECK(json_is_string(json_array_get(errors, i)), "an error that is no string");
  json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  start_server();
  const char *method = methods[data[0] % 6], *type = types[data[1] % 4];
  const uint8_t *t = data + 2, *nl = memchr(t, '\n', size - 2);
  size_t tlen = nl ? (size_t)(nl - t) : size - 2;
  if (tlen > 2048) tlen = 2048;
  const uint8_t *body = nl ? nl + 1 : t + size - 2;
  size_t blen = (size_t)(data + size - body);
  char *head = sp_malloc(3 * tlen + 512);
  FUZZ_CHECK(head != NULL, "out of memory");
  size_t k = (size_t)sprintf(head, "%s ", method);
  k += put_target(head + k, t, tlen);
  k += (size_t)sprintf(head + k, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
  if (type) k += (size_t)sprintf(head + k, "Content-Type: %s\r\n", type);
  k += (size_t)sprintf(head + k, "Content-Length: %zu\r\n\r\n", blen);

  int sv[2];
  FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  FUZZ_CHECK(
      MHD_add_connection(server->daemon, sv[1], (struct sockaddr *)&addr, sizeof addr) == MHD_YES,
      "MHD_add_connection");
  write_all(sv[0], head, k);
  write_all(sv[0], (const char *)body, blen);
  size_t len;
  char *reply = read_reply(sv[0], &len);
  close(sv[0]);
  if (getenv("FUZZ_VERBOSE")) /* what each input got: FUZZ_VERBOSE=1 replay_rest_http ... */
    fprintf(stderr, "%.*s -> %.300s\n", (int)(k > 200 ? 200 : k), head, reply);
  check_reply(reply, len);
  /* the request's temporary upload directory goes when the request completes, which may be a
   * moment after the reply's last byte: wait for it with a deadline */
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (entries(upload_dir) != 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    FUZZ_CHECK(now.tv_sec - start.tv_sec < 30, "the upload directory %s is not cleaned up",
               upload_dir);
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  FUZZ_CHECK(entries(fuzz_dir()) == 3, "a file was written beside the upload directory");
  sp_free(reply);
  sp_free(head);
  return 0;
}
