/*
 * rest_client.c: the HTTP client of the REST endpoint over libcurl (rest_client.h).
 */
#include "rest/rest_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "rest/rest_requests.h"

#define MAX_RESPONSE (64u << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

int rest_client_init(rest_client *c, const char *host, int port, int64_t timeout_ms,
                     const char *origin) {
  memset(c, 0, sizeof *c);
  c->host = sp_strdup(host);
  if (!c->host) return SPATE_ENOMEM;
  c->port = port;
  c->timeout_ms = timeout_ms > 0 ? timeout_ms : REST_CLIENT_TIMEOUT_MS;
  c->origin = origin;
  return 0;
}

void rest_client_free(rest_client *c) {
  sp_free(c->host);
  c->host = NULL;
}

int rest_parse_address(const char *text, char **host, int *port, char *err, size_t err_len) {
  *host = NULL;
  const char *colon = NULL, *h = text;
  size_t hl;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || close[1] != ':') goto bad;
    h = text + 1;
    hl = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(text, ':');
    if (!colon) goto bad;
    hl = (size_t)(colon - text);
  }
  char *end;
  errno = 0;
  long p = strtol(colon + 1, &end, 10);
  if (hl == 0 || !colon[1] || *end || errno || p < 1 || p > 65535) goto bad;
  *host = sp_strndup(h, hl);
  if (!*host) return SPATE_ENOMEM;
  *port = (int)p;
  return 0;
bad:
  return sp_err(err, err_len, SPATE_EINVAL,
                "Invalid JobManager address '%s': expected host:port, e.g. localhost:8081", text);
}

typedef struct sink {
  char *data;
  size_t len, cap;
  bool overflow;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *arg) {
  sink *s = arg;
  size_t k = size * n;
  if (s->len + k > MAX_RESPONSE) {
    s->overflow = true;
    return 0;
  }
  if (s->len + k + 1 > s->cap) {
    size_t nc = s->cap ? s->cap : 4096;
    while (nc < s->len + k + 1) nc *= 2;
    char *q = sp_realloc(s->data, nc);
    if (!q) return 0;
    s->data = q;
    s->cap = nc;
  }
  memcpy(s->data + s->len, p, k);
  s->len += k;
  s->data[s->len] = 0;
  return k;
}

static const char *origin_of(const rest_client *c) {
  return c->origin ? c->origin : "rest.address:rest.port";
}

/* The error of an answer with status >= 400: code and the server's messages. */
static int status_error(const rest_client *c, long status, json_t *body, char *err,
                        size_t err_len) {
  int rc = status == 404   ? SPATE_ENOENT
           : status == 400 ? SPATE_EINVAL
           : status == 409 ? SPATE_ESTATE
                           : SPATE_EIO;
  char msgs[SP_ERRMSG_MAX] = "";
  json_t *errors = body ? json_object_get(body, "errors") : NULL;
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    if (!json_is_string(e)) continue;
    size_t l = strlen(msgs);
    snprintf(msgs + l, sizeof msgs - l, "%s%s", l ? "; " : "", json_string_value(e));
  }
  if (msgs[0]) return sp_err(err, err_len, rc, "%s", msgs);
  return sp_err(err, err_len, rc, "The JobManager at %s:%d answered HTTP %ld", c->host, c->port,
                status);
}

/* Performs the prepared handle h (URL, method, body set) and decodes the answer. */
static int perform(const rest_client *c, CURL *h, const char *path, long *status, json_t **body,
                   char *err, size_t err_len) {
  char url[1024];
  bool v6 = strchr(c->host, ':') != NULL;
  snprintf(url, sizeof url, "http://%s%s%s:%d%s", v6 ? "[" : "", c->host, v6 ? "]" : "", c->port,
           path);
  sink s = {0};
  char curl_err[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
  CURLcode cc = curl_easy_perform(h);
  *status = 0;
  *body = NULL;
  int rc = 0;
  if (cc == CURLE_OPERATION_TIMEDOUT) {
    rc = sp_err(err, err_len, SPATE_EIO,
                "No response from the JobManager at %s:%d (%s) within %lld ms", c->host, c->port,
                origin_of(c), (long long)c->timeout_ms);
  } else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    rc = sp_err(err, err_len, SPATE_EIO, "Could not connect to the JobManager at %s:%d (%s): %s",
                c->host, c->port, origin_of(c),
                cc == CURLE_COULDNT_RESOLVE_HOST ? "unknown host"
                : os_errno                       ? strerror((int)os_errno)
                                                 : "Connection refused");
  } else if (cc != CURLE_OK) {
    rc = sp_err(err, err_len, SPATE_EIO, "Request %s to the JobManager at %s:%d failed: %s", path,
                c->host, c->port,
                s.overflow    ? "the response is too large"
                : curl_err[0] ? curl_err
                              : curl_easy_strerror(cc));
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (s.len) {
      json_error_t je;
      *body = json_loadb(s.data, s.len, 0, &je);
      if (!*body)
        rc = sp_err(err, err_len, SPATE_EIO,
                    "The JobManager at %s:%d sent a malformed answer to %s (HTTP %ld): %s", c->host,
                    c->port, path, *status, je.text);
    }
    if (rc == 0 && *status >= 400) rc = status_error(c, *status, *body, err, err_len);
  }
  sp_free(s.data);
  return rc;
}

int rest_request_json(const rest_client *c, const char *method, const char *path,
                      const char *json_body, long *status, json_t **body, char *err,
                      size_t err_len) {
  pthread_once(&curl_once, curl_init);
  CURL *h = curl_easy_init();
  if (!h) return sp_err(err, err_len, SPATE_ENOMEM, "cannot create an HTTP client");
  struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
  if (json_body) hdr = curl_slist_append(hdr, "Content-Type: application/json");
  hdr = curl_slist_append(hdr, "Expect:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (json_body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json_body));
  } else if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
  }
  int rc = perform(c, h, path, status, body, err, err_len);
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  return rc;
}

int rest_request_upload(const rest_client *c, const char *path, const char *request_json,
                        const rest_upload_part *parts, size_t n_parts, long *status, json_t **body,
                        char *err, size_t err_len) {
  pthread_once(&curl_once, curl_init);
  CURL *h = curl_easy_init();
  if (!h) return sp_err(err, err_len, SPATE_ENOMEM, "cannot create an HTTP client");
  curl_mime *mime = curl_mime_init(h);
  curl_mimepart *mp = curl_mime_addpart(mime);
  curl_mime_name(mp, "request");
  curl_mime_data(mp, request_json, CURL_ZERO_TERMINATED);
  curl_mime_type(mp, "application/json");
  int rc = 0;
  for (size_t i = 0; i < n_parts && rc == 0; i++) {
    mp = curl_mime_addpart(mime);
    curl_mime_name(mp, parts[i].field);
    if (parts[i].path) {
      if (curl_mime_filedata(mp, parts[i].path) != CURLE_OK)
        rc = sp_err(err, err_len, SPATE_EIO, "cannot read '%s' to upload it", parts[i].path);
    } else {
      curl_mime_data(mp, parts[i].data, parts[i].len);
    }
    curl_mime_filename(mp, parts[i].filename);
    curl_mime_type(mp, "application/octet-stream");
  }
  struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
  hdr = curl_slist_append(hdr, "Expect:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
  if (rc == 0) rc = perform(c, h, path, status, body, err, err_len);
  curl_slist_free_all(hdr);
  curl_mime_free(mime);
  curl_easy_cleanup(h);
  return rc;
}

/* Sleeps *backoff ms (client polling, not synchronisation) and doubles it up to 500. */
static void back_off(int64_t *backoff) {
  struct timespec ts = {.tv_sec = *backoff / 1000, .tv_nsec = (*backoff % 1000) * 1000000};
  nanosleep(&ts, NULL);
  *backoff = *backoff * 2 > 500 ? 500 : *backoff * 2;
}

int rest_await_operation(const rest_client *c, const char *path, json_t **operation, char *err,
                         size_t err_len) {
  *operation = NULL;
  int64_t deadline = sp_mono_ms() + c->timeout_ms, backoff = 10;
  for (;;) {
    long status;
    json_t *body;
    int rc = rest_request_json(c, "GET", path, NULL, &status, &body, err, err_len);
    if (rc < 0) {
      json_decref(body);
      return rc;
    }
    const char *id = json_string_value(json_object_get(json_object_get(body, "status"), "id"));
    if (!id) {
      json_decref(body);
      return sp_err(err, err_len, SPATE_EIO,
                    "The JobManager at %s:%d sent an operation status without status.id (%s)",
                    c->host, c->port, path);
    }
    if (strcmp(id, "COMPLETED") == 0) {
      json_t *op = json_object_get(body, "operation");
      json_t *cause = json_object_get(op, "failure-cause");
      if (cause && !json_is_null(cause)) {
        const char *trace = json_string_value(json_object_get(cause, "stack-trace"));
        rc = sp_err(err, err_len, SPATE_EIO, "%s", trace ? trace : "the operation failed");
        json_decref(body);
        return rc;
      }
      *operation = op ? json_incref(op) : json_object();
      json_decref(body);
      return 0;
    }
    json_decref(body);
    if (sp_mono_ms() >= deadline)
      return sp_err(err, err_len, SPATE_EIO,
                    "java.util.concurrent.TimeoutException: the operation %s did not complete "
                    "within %lld ms",
                    path, (long long)c->timeout_ms);
    back_off(&backoff);
  }
}

int rest_submit_job(const char *host, int port, const void *graph, size_t len,
                    const char *artifact_path, char *job_id, char *err, size_t err_len) {
  rest_client c;
  if (rest_client_init(&c, host, port, 0, NULL) < 0)
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  const char *art_name = NULL;
  if (artifact_path) {
    art_name = strrchr(artifact_path, '/');
    art_name = art_name ? art_name + 1 : artifact_path;
  }
  const char *graph_name =
      art_name && strcmp(art_name, "jobgraph.bin") == 0 ? "jobgraph-0.bin" : "jobgraph.bin";
  rest_upload_part parts[2] = {
      {.field = "file_0", .filename = graph_name, .data = graph, .len = len},
      {.field = "file_1", .filename = art_name, .path = artifact_path}};
  char *jars[1] = {(char *)art_name};
  rest_submit_request sr = {
      .job_graph_file = (char *)graph_name, .jar_files = jars, .n_jars = artifact_path ? 1 : 0};
  char *request = rest_encode_submit_request(&sr);
  long status;
  json_t *body = NULL;
  int rc = request ? rest_request_upload(&c, "/jobs", request, parts, artifact_path ? 2 : 1,
                                         &status, &body, err, err_len)
                   : sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  if (rc == 0) {
    const char *url = json_string_value(json_object_get(body, "jobUrl"));
    const char *id = url && strncmp(url, "/jobs/", 6) == 0 ? url + 6 : NULL;
    if (!id || !rest_is_id(id))
      rc = sp_err(err, err_len, SPATE_EIO,
                  "The JobManager at %s:%d answered the submission without a jobUrl /jobs/<id>",
                  host, port);
    else
      memcpy(job_id, id, REST_ID_LEN + 1);
  }
  json_decref(body);
  sp_free(request);
  rest_client_free(&c);
  return rc;
}

int rest_wait_job_result(const char *host, int port, const char *job_id, int64_t timeout_ms,
                         rest_job_result *out, char *err, size_t err_len) {
  rest_client c;
  if (rest_client_init(&c, host, port, 0, NULL) < 0)
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  char path[96];
  snprintf(path, sizeof path, "/jobs/%s/execution-result", job_id);
  int64_t start = sp_mono_ms(), backoff = 10;
  int rc;
  for (;;) {
    long status;
    json_t *body = NULL;
    rc = rest_request_json(&c, "GET", path, NULL, &status, &body, err, err_len);
    const char *id = json_string_value(json_object_get(json_object_get(body, "status"), "id"));
    if (rc == 0 && id && strcmp(id, "COMPLETED") == 0) {
      json_t *res = json_object_get(body, "job-execution-result");
      const char *app = json_string_value(json_object_get(res, "application-status"));
      out->done = true;
      out->state = app && strcmp(app, "SUCCEEDED") == 0  ? REST_JOB_FINISHED
                   : app && strcmp(app, "CANCELED") == 0 ? REST_JOB_CANCELED
                                                         : REST_JOB_FAILED;
      out->net_runtime = json_integer_value(json_object_get(res, "net-runtime"));
      const char *trace =
          json_string_value(json_object_get(json_object_get(res, "failure-cause"), "stack-trace"));
      if (trace) out->failure = sp_strdup(trace);
      json_t *acc = json_object_get(res, "accumulator-results");
      if (acc) {
        char *text = json_dumps(acc, JSON_COMPACT);
        if (text) out->accumulators_json = sp_strdup(text);
        free(text); /* jansson allocates with malloc */
      }
    } else if (rc == 0 && !id) {
      rc = sp_err(err, err_len, SPATE_EIO,
                  "The JobManager at %s:%d sent an execution result without status.id", host, port);
    }
    json_decref(body);
    if (rc < 0 || out->done) break;
    if (timeout_ms > 0 && sp_mono_ms() - start >= timeout_ms) {
      rc = sp_err(err, err_len, SPATE_EIO, "Job %s did not finish within %lld ms", job_id,
                  (long long)timeout_ms);
      break;
    }
    back_off(&backoff);
  }
  rest_client_free(&c);
  return rc;
}
