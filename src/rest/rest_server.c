/*
 * rest_server.c: the HTTP side of the REST endpoint (rest_server.h) on libmicrohttpd, one thread
 * per connection: binding, request bodies (JSON bounded by max_json_length, multipart uploads of
 * POST /jobs written to a per-request temporary directory bounded by max_content_length), the
 * reply helpers, and the end of a request (DELETE /cluster's shutdown after its reply went
 * out). The routes and their handlers are in rest_routes.c; GET and HEAD of the web dashboard's
 * paths ("/", "/app.js", ...) are answered from the embedded assets (web_static.h) first.
 */
#include "rest/rest_server_internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/utf8.h"
#include "rest/web_static.h"

#define DEFAULT_MAX_CONTENT (104857600u) /* rest.server.max-content-length */
#define DEFAULT_MAX_JSON (1u << 20)
#define MAX_UPLOAD_FILES 64

void rest_server_config_from(rest_server_config *out, const sp_config *cfg,
                             const rest_cluster_ops *ops, void *ctx) {
  memset(out, 0, sizeof *out);
  out->bind_address = sp_config_str(cfg, "rest.bind-address");
  out->port = (int)sp_config_int(
      cfg, sp_config_is_set(cfg, "rest.bind-port") ? "rest.bind-port" : "rest.port");
  out->web_submit = sp_config_bool(cfg, "web.submit.enable");
  out->web_cancel = sp_config_bool(cfg, "web.cancel.enable");
  out->refresh_interval_ms = (int)sp_config_int(cfg, "web.refresh-interval");
  out->allow_origin = sp_config_str(cfg, "web.access-control-allow-origin");
  out->max_content_length = (size_t)sp_config_int(cfg, "rest.server.max-content-length");
  out->config = cfg;
  out->address = sp_config_str(cfg, "rest.address");
  if (sp_config_is_set(cfg, "web.upload.dir"))
    out->web_upload_dir = sp_config_str(cfg, "web.upload.dir");
  out->ops = ops;
  out->ctx = ctx;
}

/* ---- replies ---- */

int rest_reply_json(rest_request *req, unsigned status, json_t *body) {
  if (!body) {
    status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    body = json_pack("{s:[s]}", "errors", "Internal server error.");
  }
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (!text) return MHD_NO;
  if (!req->conn) { /* in-process (rest_server_get) */
    sp_free(req->captured_body);
    req->captured_body = sp_strdup(text);
    req->captured_status = status;
    free(text);
    req->replied = true;
    return req->captured_body ? MHD_YES : MHD_NO;
  }
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  if (!r) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", "application/json; charset=UTF-8");
  return rest_queue_reply(req, status, r);
}

int rest_queue_reply(rest_request *req, unsigned status, struct MHD_Response *r) {
  MHD_add_response_header(r, "Access-Control-Allow-Origin", req->server->allow_origin);
  if (req->allow) MHD_add_response_header(r, "Allow", req->allow);
  enum MHD_Result rc = MHD_queue_response(req->conn, status, r);
  MHD_destroy_response(r);
  req->replied = true;
  return rc;
}

int rest_reply_text(rest_request *req, unsigned status, const char *text, size_t len) {
  if (!req->conn) { /* in-process (rest_server_get) */
    sp_free(req->captured_body);
    req->captured_body = sp_strndup(text, len);
    req->captured_status = status;
    req->replied = true;
    return req->captured_body ? MHD_YES : MHD_NO;
  }
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", "text/plain; charset=UTF-8");
  return rest_queue_reply(req, status, r);
}

/* Answers a CORS preflight (OPTIONS) for any path: which methods and headers a page of another
 * origin may use (web.access-control-allow-origin says which origins). */
static int reply_preflight(rest_request *req) {
  struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS");
  MHD_add_response_header(r, "Access-Control-Allow-Headers", "Content-Type");
  MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
  return rest_queue_reply(req, MHD_HTTP_OK, r);
}

/* Replaces each ill-formed UTF-8 sequence of s (a client's path in a message, or one cut by a
 * precision) by '?', in place: JSON strings must be UTF-8, and such a message would otherwise
 * turn the reply into a 500. */
static void utf8_scrub(char *s) {
  size_t len = strlen(s), i = 0, o = 0;
  while (i < len) {
    size_t at = i;
    uint32_t cp;
    if (sp_utf8_next((const uint8_t *)s, len, &i, &cp)) {
      memmove(s + o, s + at, i - at);
      o += i - at;
    } else {
      s[o++] = '?';
    }
  }
  s[o] = 0;
}

int rest_reply_error(rest_request *req, unsigned status, const char *fmt, ...) {
  char msg[SP_ERRMSG_MAX + 256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  utf8_scrub(msg);
  return rest_reply_json(req, status, json_pack("{s:[s]}", "errors", msg));
}

unsigned rest_status_of(int rc) {
  switch (rc) {
  case SPATE_ENOENT: return MHD_HTTP_NOT_FOUND;
  case SPATE_EINVAL: return MHD_HTTP_BAD_REQUEST;
  case SPATE_ESTATE: return MHD_HTTP_CONFLICT;
  case SPATE_ENORESOURCE: return MHD_HTTP_SERVICE_UNAVAILABLE;
  default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
  }
}

int rest_reply_op_error(rest_request *req, int rc, const char *err) {
  return rest_reply_error(req, rest_status_of(rc), "%s", err && err[0] ? err : spate_strerror(rc));
}

const char *rest_query(rest_request *req, const char *name) {
  if (!req->conn) return NULL;
  return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- uploads (multipart/form-data of POST /jobs) ---- */

/* Removes the request's temporary directory and the files in it (there are no subdirectories). */
static void remove_upload_dir(rest_request *req) {
  if (req->fd >= 0) close(req->fd);
  req->fd = -1;
  for (size_t i = 0; i < req->n_files; i++) {
    unlink(req->files[i].path);
    sp_free(req->files[i].name);
    sp_free(req->files[i].path);
  }
  sp_free(req->files);
  req->files = NULL;
  req->n_files = 0;
  if (req->tmpdir) rmdir(req->tmpdir);
  sp_free(req->tmpdir);
  req->tmpdir = NULL;
}

/* Records the first error of an upload; the rest of the body is read and dropped. */
static void upload_fail(rest_request *req, unsigned status, const char *fmt, ...) {
  if (req->fail_status) return;
  req->fail_status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(req->fail_msg, sizeof req->fail_msg, fmt, ap);
  va_end(ap);
}

/* A file name from a client, reduced to its last component (as Flink since CVE-2020-17518);
 * NULL for a name that is empty, "." or "..", or holds control characters. */
static const char *safe_basename(const char *name) {
  const char *b = name;
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == '\\') b = p + 1;
  if (!*b || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) return NULL;
  for (const char *p = b; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) return NULL;
  return b;
}

static bool append_json(rest_request *req, const char *data, size_t size) {
  if (req->len + size > req->server->max_json) {
    upload_fail(req, MHD_HTTP_CONTENT_TOO_LARGE, "Request body exceeds the limit of %zu bytes",
                req->server->max_json);
    return false;
  }
  if (req->len + size + 1 > req->cap) {
    size_t nc = req->cap ? req->cap : 1024;
    while (nc < req->len + size + 1) nc *= 2;
    char *p = sp_realloc(req->body, nc);
    if (!p) {
      upload_fail(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory reading the request body");
      return false;
    }
    req->body = p;
    req->cap = nc;
  }
  memcpy(req->body + req->len, data, size);
  req->len += size;
  req->body[req->len] = 0;
  return true;
}

static enum MHD_Result upload_part(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *filename, const char *content_type,
                                   const char *transfer_encoding, const char *data, uint64_t off,
                                   size_t size) {
  rest_request *req = cls;
  if (req->fail_status) return MHD_YES;
  if (!filename && req->jar_upload) {
    upload_fail(req, MHD_HTTP_BAD_REQUEST,
                "unexpected form field '%s': a job upload is one file part (field 'jarfile')",
                key ? key : "");
    return MHD_YES;
  }
  if (!filename) {
    if (!key || strcmp(key, "request") != 0) {
      upload_fail(req, MHD_HTTP_BAD_REQUEST,
                  "unexpected form field '%s': a job submission has a 'request' field and file "
                  "parts",
                  key ? key : "");
      return MHD_YES;
    }
    if (size) append_json(req, data, size);
    req->saw_request = true;
    return MHD_YES;
  }
  const char *name = safe_basename(filename);
  if (!name) {
    upload_fail(req, MHD_HTTP_BAD_REQUEST, "invalid upload file name '%s'", filename);
    return MHD_YES;
  }
  bool same = req->n_files > 0 && req->fd >= 0 && off > 0 &&
              strcmp(req->files[req->n_files - 1].name, name) == 0;
  if (!same) {
    if (req->fd >= 0) close(req->fd);
    req->fd = -1;
    for (size_t i = 0; i < req->n_files; i++)
      if (strcmp(req->files[i].name, name) == 0) {
        upload_fail(req, MHD_HTTP_BAD_REQUEST, "file '%s' is uploaded twice", name);
        return MHD_YES;
      }
    if (req->n_files == MAX_UPLOAD_FILES) {
      upload_fail(req, MHD_HTTP_BAD_REQUEST, "more than %d files uploaded", MAX_UPLOAD_FILES);
      return MHD_YES;
    }
    if (!req->files) req->files = sp_calloc(MAX_UPLOAD_FILES, sizeof *req->files);
    size_t plen = strlen(req->tmpdir) + strlen(name) + 2;
    char *path = sp_malloc(plen), *nm = sp_strdup(name);
    if (!req->files || !path || !nm) {
      sp_free(path);
      sp_free(nm);
      upload_fail(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory receiving '%s'", name);
      return MHD_YES;
    }
    snprintf(path, plen, "%s/%s", req->tmpdir, name);
    req->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (req->fd < 0) {
      upload_fail(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot create '%s': %s", path,
                  strerror(errno));
      sp_free(path);
      sp_free(nm);
      return MHD_YES;
    }
    req->files[req->n_files].name = nm;
    req->files[req->n_files].path = path;
    req->files[req->n_files].size = 0;
    req->n_files++;
  }
  rest_upload *f = &req->files[req->n_files - 1];
  size_t done = 0;
  while (done < size) {
    ssize_t w = write(req->fd, data + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      upload_fail(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot write '%s': %s", f->path,
                  strerror(errno));
      return MHD_YES;
    }
    done += (size_t)w;
  }
  f->size += size;
  return MHD_YES;
}

/* Sets up the multipart reader and the temporary directory of a POST /jobs. */
static void begin_upload(rest_request *req) {
  const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
  if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0) {
    upload_fail(req, MHD_HTTP_BAD_REQUEST,
                req->jar_upload
                    ? "Request is not a multipart/form-data request: a job object is uploaded as "
                      "one file part (field 'jarfile')"
                    : "Request is not a multipart/form-data request: a job is submitted as a "
                      "'request' JSON field and its files");
    return;
  }
  const char *base = req->server->upload_dir;
  size_t len = strlen(base) + 32;
  req->tmpdir = sp_malloc(len);
  if (!req->tmpdir) {
    upload_fail(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return;
  }
  snprintf(req->tmpdir, len, "%s/spate-upload-XXXXXX", base);
  if (!mkdtemp(req->tmpdir)) {
    upload_fail(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot create an upload directory in %s: %s",
                base, strerror(errno));
    sp_free(req->tmpdir);
    req->tmpdir = NULL;
    return;
  }
  req->pp = MHD_create_post_processor(req->conn, 64 * 1024, upload_part, req);
  if (!req->pp)
    upload_fail(req, MHD_HTTP_BAD_REQUEST, "cannot read the multipart body (no boundary?)");
}

/* ---- the request cycle ---- */

static bool is_jar_upload_route(const char *method, const char *url) {
  if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) return false;
  if (strncmp(url, "/v1/", 4) == 0) url += 3;
  return strcmp(url, "/jars/upload") == 0 || strcmp(url, "/jars/upload/") == 0;
}

/* The routes that take multipart bodies (Flink since FLINK-26808: only those declaring file
 * uploads): POST /jobs, and POST /jars/upload while web submission is enabled. */
static bool is_upload_route(const rest_server *s, const char *method, const char *url) {
  if (is_jar_upload_route(method, url)) return s->web_submit;
  if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) return false;
  if (strncmp(url, "/v1/", 4) == 0) url += 3;
  return strcmp(url, "/jobs") == 0 || strcmp(url, "/jobs/") == 0;
}

/* Routes whose body may be multipart/form-data: the uploads (POST /jobs, POST /jars/upload). */
static bool is_multipart_route(const char *method, const char *url) {
  if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) return false;
  if (strncmp(url, "/v1/", 4) == 0) url += 3;
  return strcmp(url, "/jobs") == 0 || strcmp(url, "/jobs/") == 0 ||
         strcmp(url, "/jars/upload") == 0 || strcmp(url, "/jars/upload/") == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  rest_server *s = cls;
  rest_request *req = *con_cls;
  if (!req) {
    req = sp_calloc(1, sizeof *req);
    if (!req) return MHD_NO;
    req->server = s;
    req->conn = conn;
    req->fd = -1;
    *con_cls = req;
    pthread_mutex_lock(&s->flight_mu);
    s->in_flight++;
    pthread_mutex_unlock(&s->flight_mu);
    req->url = url;
    req->upload = is_upload_route(s, method, url);
    req->jar_upload = req->upload && is_jar_upload_route(method, url);
    if (!s->web_submit && is_jar_upload_route(method, url)) /* not served: 404 before any body */
      return rest_reply_error(req, MHD_HTTP_NOT_FOUND, "Not found: %s", url);
    if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0) return reply_preflight(req);
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (type && strncasecmp(type, "multipart/form-data", 19) == 0 &&
        !is_multipart_route(method, url)) {
      req->upload = false; /* the body is read and dropped */
      upload_fail(req, MHD_HTTP_BAD_REQUEST,
                  "Multipart data is only accepted by the upload routes (POST /jobs, POST "
                  "/jars/upload), not by %s %s",
                  method, url);
      return rest_reply_error(req, req->fail_status, "%s", req->fail_msg);
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    size_t limit = req->upload ? s->max_content : s->max_json;
    if (cl && strtoull(cl, NULL, 10) > limit) {
      upload_fail(req, MHD_HTTP_CONTENT_TOO_LARGE,
                  "Request body of %s bytes exceeds the limit of %zu bytes", cl, limit);
      return rest_reply_error(req, req->fail_status, "%s", req->fail_msg);
    }
    if (req->upload) begin_upload(req);
    return MHD_YES;
  }
  if (req->replied) { /* refused before the body: drop what still arrives */
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    req->total += n;
    size_t limit = req->upload ? s->max_content : s->max_json;
    if (req->total > limit)
      upload_fail(req, MHD_HTTP_CONTENT_TOO_LARGE, "Request body exceeds the limit of %zu bytes",
                  limit);
    if (req->fail_status) return MHD_YES;
    if (req->upload) {
      if (MHD_post_process(req->pp, upload_data, n) != MHD_YES)
        upload_fail(req, MHD_HTTP_BAD_REQUEST, "malformed multipart body");
    } else {
      append_json(req, upload_data, n);
    }
    return MHD_YES;
  }
  if (req->pp) {
    MHD_destroy_post_processor(req->pp);
    req->pp = NULL;
  }
  if (req->fd >= 0) close(req->fd);
  req->fd = -1;
  if (req->fail_status) return rest_reply_error(req, req->fail_status, "%s", req->fail_msg);
  unsigned status;
  struct MHD_Response *page = web_static_response(conn, url, method, &status);
  if (page) return rest_queue_reply(req, status, page); /* the dashboard (web_static.h) */
  return rest_route(req, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  rest_server *s = cls;
  rest_request *req = *con_cls;
  if (!req) return;
  *con_cls = NULL;
  if (req->pp) MHD_destroy_post_processor(req->pp);
  remove_upload_dir(req);
  bool shutdown = req->shutdown && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
  sp_free(req->body);
  sp_free(req);
  pthread_mutex_lock(&s->flight_mu);
  if (--s->in_flight == 0) pthread_cond_broadcast(&s->flight_done);
  pthread_mutex_unlock(&s->flight_mu);
  if (shutdown) {
    SP_INFO("rest", "shutting down the cluster on request (DELETE /cluster)");
    s->ops->shutdown(s->ctx);
  }
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && msg[n - 1] == '\n') msg[--n] = 0;
  SP_WARN("rest", "HTTP server: %s", msg);
}

int rest_listen(const char *server, const char *address_key, const char *host, int port, bool *ipv6,
                char *err, size_t err_len) {
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
  struct addrinfo *res = NULL, *pick = NULL;
  char ports[16];
  snprintf(ports, sizeof ports, "%d", port);
  int g = getaddrinfo(host, ports, &hints, &res);
  if (g != 0)
    return sp_err(err, err_len, SPATE_EIO, "Could not start the %s: cannot resolve %s '%s': %s",
                  server, address_key, host, gai_strerror(g));
  for (struct addrinfo *a = res; a && !pick; a = a->ai_next)
    if (a->ai_family == AF_INET) pick = a;
  if (!pick) pick = res;
  int fd = socket(pick->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, pick->ai_addr, pick->ai_addrlen) != 0 || listen(fd, 128) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    return sp_err(err, err_len, SPATE_EIO, "Could not start the %s on %s:%d: %s", server, host,
                  port, strerror(e));
  }
  if (ipv6) *ipv6 = pick->ai_family == AF_INET6;
  freeaddrinfo(res);
  return fd;
}

int rest_server_start(const rest_server_config *cfg, rest_server **out, char *err, size_t err_len) {
  *out = NULL;
  const rest_cluster_ops *ops = cfg->ops;
  if (!ops || !ops->list_jobs || !ops->overview || !ops->job_details || !ops->cancel_job ||
      !ops->job_result || !ops->submit_job || !ops->savepoint || !ops->stop_job ||
      !ops->checkpoint || !ops->dispose_savepoint || !ops->taskmanagers || !ops->shutdown)
    return sp_err(err, err_len, SPATE_EINVAL, "REST server: every cluster operation must be set");
  if (cfg->port < 0 || cfg->port > 65535)
    return sp_err(err, err_len, SPATE_EINVAL, "rest.port %d is not a port (0 to 65535)", cfg->port);
  rest_server *s = sp_calloc(1, sizeof *s);
  if (!s) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  pthread_mutex_init(&s->flight_mu, NULL);
  pthread_cond_init(&s->flight_done, NULL);
  s->ops = ops;
  s->ctx = cfg->ctx;
  s->max_content = cfg->max_content_length ? cfg->max_content_length : DEFAULT_MAX_CONTENT;
  s->max_json = cfg->max_json_length ? cfg->max_json_length : DEFAULT_MAX_JSON;
  if (s->max_json > s->max_content) s->max_json = s->max_content; /* no body is larger */
  s->refresh_interval = cfg->refresh_interval_ms ? cfg->refresh_interval_ms : 3000;
  s->web_submit = cfg->web_submit;
  s->web_cancel = cfg->web_cancel;
  s->allow_origin = sp_strdup(cfg->allow_origin ? cfg->allow_origin : "*");
  s->config = cfg->config ? sp_config_clone(cfg->config) : NULL; /* the server's own copy */
  const char *tmp = getenv("TMPDIR");
  s->upload_dir = sp_strdup(cfg->upload_dir ? cfg->upload_dir : tmp && tmp[0] ? tmp : "/tmp");
  s->operations =
      rest_operations_new(ops, cfg->ctx, cfg->max_operations ? cfg->max_operations : 1024);
  if (!s->upload_dir || !s->operations || !s->allow_origin || (cfg->config && !s->config)) {
    rest_server_stop(s);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  int jr = cfg->web_submit ? rest_jars_open(s, cfg, err, err_len) : 0;
  if (jr < 0) {
    rest_server_stop(s);
    return jr;
  }
  const char *host = cfg->bind_address && cfg->bind_address[0] ? cfg->bind_address : "localhost";
  bool ipv6 = false;
  int fd = rest_listen("REST server", "rest.bind-address", host, cfg->port, &ipv6, err, err_len);
  if (fd < 0) {
    rest_server_stop(s);
    return fd;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                   MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
  /* The logger comes first, so that MHD reports nothing through its own. */
  s->daemon =
      MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                       MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT,
                       (unsigned)256, MHD_OPTION_END);
  if (!s->daemon) {
    close(fd);
    rest_server_stop(s);
    return sp_err(err, err_len, SPATE_EIO, "Could not start the REST server on %s:%d", host,
                  cfg->port);
  }
  SP_INFO("rest", "REST endpoint listening at http://%s:%d", host, s->port);
  *out = s;
  return 0;
}

int rest_server_port(const rest_server *s) { return s->port; }

int rest_server_get(rest_server *s, const char *path, unsigned *status, char **body) {
  rest_request req = {.server = s, .url = path, .fd = -1};
  *body = NULL;
  *status = 0;
  rest_route(&req, path, MHD_HTTP_METHOD_GET);
  sp_free(req.body);
  if (!req.captured_body) return SPATE_ENOMEM;
  *status = req.captured_status;
  *body = req.captured_body;
  return 0;
}

/* Waits up to STOP_DRAIN_SECONDS for the requests in flight to complete: MHD_stop_daemon closes
 * every connection at once, and a reply queued a moment before (the 202 of the cancel that ended
 * the job whose end stops this server) would be cut off. A client that keeps sending requests
 * cannot hold the stop longer than that. */
#define STOP_DRAIN_SECONDS 5
static void drain_requests(rest_server *s) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += STOP_DRAIN_SECONDS;
  pthread_mutex_lock(&s->flight_mu);
  while (s->in_flight > 0)
    if (pthread_cond_timedwait(&s->flight_done, &s->flight_mu, &until) != 0) break;
  pthread_mutex_unlock(&s->flight_mu);
}

void rest_server_stop(rest_server *s) {
  if (!s) return;
  if (s->daemon) {
    drain_requests(s);
    MHD_stop_daemon(s->daemon);
  }
  rest_operations_free(s->operations);
  rest_jars_close(s);
  sp_free(s->upload_dir);
  sp_free(s->allow_origin);
  sp_config_free(s->config);
  pthread_cond_destroy(&s->flight_done);
  pthread_mutex_destroy(&s->flight_mu);
  sp_free(s);
}
