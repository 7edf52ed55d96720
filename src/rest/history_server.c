/*
 * history_server.c: the history server (history_server.h): reading the archive directories
 * (the calling thread, every refresh interval, between waits for a stop signal) and serving what
 * they hold (libmicrohttpd, one thread per connection), and the web dashboard (web_static.h),
 * whose /config says it is read-only. The archives are kept in memory: a
 * scan builds the new set of jobs and swaps it in under the lock, so a request sees one scan's
 * state or the next's, never a half-read one.
 */
#define _GNU_SOURCE
#include "rest/history_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "rest/rest_json.h"
#include "rest/rest_requests.h"
#include "rest/rest_server.h"
#include "rest/web_static.h"

#ifndef SPATE_VERSION
#define SPATE_VERSION "0.1.0"
#endif
#ifndef SPATE_REVISION
#define SPATE_REVISION "unknown"
#endif

/* ---- archive files ---- */

int history_archive_parse(const char *text, size_t len, history_entry **entries, size_t *n,
                          char *err, size_t err_len) {
  *entries = NULL;
  *n = 0;
  json_error_t je;
  json_t *root = json_loadb(text, len, 0, &je);
  if (!root)
    return sp_err(err, err_len, SPATE_ECORRUPT, "not JSON: %s (line %d, column %d)", je.text,
                  je.line, je.column);
  json_t *arr = json_object_get(root, "archive");
  int rc = 0;
  if (!json_is_array(arr)) {
    rc = sp_err(err, err_len, SPATE_ECORRUPT, "no \"archive\" array at the top level");
  } else if (json_array_size(arr) &&
             !(*entries = sp_calloc(json_array_size(arr), sizeof **entries))) {
    rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  size_t i;
  json_t *e;
  json_array_foreach(arr, i, e) {
    if (rc < 0) break;
    const char *path = json_string_value(json_object_get(e, "path"));
    const char *body = json_string_value(json_object_get(e, "json"));
    if (!path || path[0] != '/' || !body) {
      rc = sp_err(err, err_len, SPATE_ECORRUPT,
                  "entry %zu is not {\"path\": \"/...\", \"json\": \"...\"}", i);
      break;
    }
    json_t *check = json_loads(body, 0, &je);
    if (!check) {
      rc = sp_err(err, err_len, SPATE_ECORRUPT, "entry %zu (%.200s) holds no valid JSON: %s", i,
                  path, je.text);
      break;
    }
    json_decref(check);
    (*entries)[i].path = sp_strdup(path);
    (*entries)[i].json = sp_strdup(body);
    *n = i + 1;
    if (!(*entries)[i].path || !(*entries)[i].json)
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  json_decref(root);
  if (rc < 0) {
    history_entries_free(*entries, *n);
    *entries = NULL;
    *n = 0;
  }
  return rc;
}

void history_entries_free(history_entry *e, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sp_free(e[i].path);
    sp_free(e[i].json);
  }
  sp_free(e);
}

/* ---- the served state ---- */

typedef struct hs_job {
  char id[REST_ID_LEN + 1];
  char *file; /* the archive's path */
  struct timespec mtime;
  history_entry *entries;
  size_t n;
  bool seen;  /* the scan thread's: found by the current scan */
  long reuse; /* while a scan builds the next set: the old set's job to carry over, or -1 */
} hs_job;

typedef struct hs_bad {
  char *file;
  struct timespec mtime;
} hs_bad;

typedef struct history_server {
  pthread_mutex_t mu; /* guards jobs */
  hs_job *jobs;
  size_t njobs;
  /* configuration */
  char **dirs;
  size_t ndirs;
  int retained;
  bool clean_expired;
  int web_refresh_ms;
  /* files already reported as bad (scan thread only) */
  hs_bad *bad;
  size_t nbad;
} history_server;

static void job_free(hs_job *j) {
  sp_free(j->file);
  history_entries_free(j->entries, j->n);
}

static bool same_time(struct timespec a, struct timespec b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool is_job_id(const char *s) {
  if (strlen(s) != REST_ID_LEN) return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  return true;
}

/* Logs a bad archive once per file version. */
static void report_bad(history_server *h, const char *file, struct timespec mtime,
                       const char *why) {
  for (size_t i = 0; i < h->nbad; i++)
    if (strcmp(h->bad[i].file, file) == 0) {
      if (same_time(h->bad[i].mtime, mtime)) return;
      h->bad[i].mtime = mtime;
      SP_WARN("history", "Skipping archive %s: %s", file, why);
      return;
    }
  SP_WARN("history", "Skipping archive %s: %s", file, why);
  hs_bad *p = sp_realloc(h->bad, (h->nbad + 1) * sizeof *p);
  if (!p) return;
  h->bad = p;
  if ((p[h->nbad].file = sp_strdup(file))) p[h->nbad++].mtime = mtime;
}

/* Reads a whole file; sp_malloc'd, NULL on error. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;) {
    if (*len + 65536 + 1 > cap) {
      size_t nc = cap ? cap * 2 : 65536 * 2;
      char *p = sp_realloc(buf, nc);
      if (!p) {
        sp_free(buf);
        fclose(f);
        return NULL;
      }
      buf = p;
      cap = nc;
    }
    size_t r = fread(buf + *len, 1, 65536, f);
    *len += r;
    if (r < 65536) break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    sp_free(buf);
    return NULL;
  }
  buf[*len] = 0;
  return buf;
}

typedef struct found {
  char *file;
  char id[REST_ID_LEN + 1];
  struct timespec mtime;
} found;

static int newest_first(const void *a, const void *b) {
  const found *x = a, *y = b;
  if (x->mtime.tv_sec != y->mtime.tv_sec) return x->mtime.tv_sec > y->mtime.tv_sec ? -1 : 1;
  if (x->mtime.tv_nsec != y->mtime.tv_nsec) return x->mtime.tv_nsec > y->mtime.tv_nsec ? -1 : 1;
  return strcmp(x->id, y->id);
}

/* The archives of one directory, newest first, at most `retained` (-1: all). */
static found *list_dir(history_server *h, const char *dir, size_t *n) {
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) { /* said once (until it changes), not at every scan */
    char why[300];
    snprintf(why, sizeof why, "cannot read this archive directory: %s", strerror(errno));
    report_bad(h, dir, (struct timespec){0}, why);
    return NULL;
  }
  found *f = NULL;
  size_t cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue; /* also the archiver's .<id>.inprogress files */
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (!is_job_id(e->d_name)) {
      report_bad(h, path, st.st_mtim, "its name is not a job id (32 lowercase hex digits)");
      continue;
    }
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      found *p = sp_realloc(f, nc * sizeof *p);
      if (!p) break;
      f = p;
      cap = nc;
    }
    if (!(f[*n].file = sp_strdup(path))) break;
    memcpy(f[*n].id, e->d_name, REST_ID_LEN + 1); /* is_job_id: 32 characters */
    f[*n].mtime = st.st_mtim;
    (*n)++;
  }
  closedir(d);
  if (*n) qsort(f, *n, sizeof *f, newest_first);
  if (h->retained > 0 && *n > (size_t)h->retained) {
    for (size_t i = (size_t)h->retained; i < *n; i++) sp_free(f[i].file);
    *n = (size_t)h->retained;
  }
  return f;
}

static hs_job *find_job(hs_job *jobs, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(jobs[i].id, id) == 0) return &jobs[i];
  return NULL;
}

/* Appends j to the growing array; false (j not taken) when out of memory. */
static bool push_job(hs_job **arr, size_t *n, size_t *cap, const hs_job *j) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    hs_job *p = sp_realloc(*arr, nc * sizeof *p);
    if (!p) return false;
    *arr = p;
    *cap = nc;
  }
  (*arr)[(*n)++] = *j;
  return true;
}

/* One scan of every directory: the new job set, swapped in. Request threads read the published
 * set under the lock, so nothing of it is changed outside the lock: a job whose archive did not
 * change is carried over by its index (reuse) and its memory moves to the new set only in the
 * swap. */
static void scan(history_server *h) {
  hs_job *old = h->jobs, *next = NULL; /* only this thread replaces h->jobs */
  size_t nold = h->njobs, nnext = 0, cap = 0;
  for (size_t i = 0; i < nold; i++) old[i].seen = false; /* scan-only field */
  for (size_t d = 0; d < h->ndirs; d++) {
    size_t n;
    found *f = list_dir(h, h->dirs[d], &n);
    for (size_t i = 0; i < n; i++) {
      if (find_job(next, nnext, f[i].id)) continue; /* the same job in an earlier directory */
      hs_job *prev = find_job(old, nold, f[i].id);
      hs_job j = {.reuse = -1};
      snprintf(j.id, sizeof j.id, "%s", f[i].id);
      if (prev && !prev->seen && strcmp(prev->file, f[i].file) == 0 &&
          same_time(prev->mtime, f[i].mtime)) {
        j.reuse = (long)(prev - old); /* unchanged */
      } else {
        size_t len;
        char *text = read_file(f[i].file, &len), err[SP_ERRMSG_MAX] = "";
        int rc = text ? history_archive_parse(text, len, &j.entries, &j.n, err, sizeof err)
                      : sp_err(err, sizeof err, SPATE_EIO, "cannot read it: %s", strerror(errno));
        sp_free(text);
        if (rc < 0) {
          report_bad(h, f[i].file, f[i].mtime, err);
          continue;
        }
        j.file = sp_strdup(f[i].file);
        j.mtime = f[i].mtime;
        SP_INFO("history", "Serving job %s from %s", j.id, f[i].file);
      }
      if (!push_job(&next, &nnext, &cap, &j)) {
        job_free(&j);
        continue;
      }
      if (prev) prev->seen = true;
    }
    for (size_t i = 0; i < n; i++) sp_free(f[i].file);
    sp_free(f);
  }
  /* jobs whose archive is gone stay served unless clean-expired-jobs (Flink's behaviour); those
   * whose archive is there but past retained-jobs are not served */
  for (size_t i = 0; i < nold; i++) {
    if (old[i].seen || find_job(next, nnext, old[i].id)) continue;
    if (access(old[i].file, F_OK) == 0) continue;
    if (h->clean_expired) {
      SP_INFO("history", "Job %s: its archive %s is gone; no longer served", old[i].id,
              old[i].file);
      continue;
    }
    hs_job j = {.reuse = (long)i};
    snprintf(j.id, sizeof j.id, "%s", old[i].id);
    push_job(&next, &nnext, &cap, &j);
  }
  pthread_mutex_lock(&h->mu);
  for (size_t i = 0; i < nnext; i++)
    if (next[i].reuse >= 0) { /* move the old job's memory over */
      hs_job *o = &old[next[i].reuse];
      next[i] = *o;
      next[i].reuse = -1;
      o->file = NULL;
      o->entries = NULL;
      o->n = 0;
    }
  h->jobs = next;
  h->njobs = nnext;
  pthread_mutex_unlock(&h->mu);
  for (size_t i = 0; i < nold; i++) job_free(&old[i]);
  sp_free(old);
}

/* ---- serving ---- */

/* The archived entry of path, if any (under the lock). */
static const char *lookup(history_server *h, const char *path) {
  if (strncmp(path, "/jobs/", 6) != 0) return NULL;
  char id[REST_ID_LEN + 1];
  size_t n = strnlen(path + 6, REST_ID_LEN); /* the id: the segment's first 32 characters */
  memcpy(id, path + 6, n);
  id[n] = 0;
  hs_job *j = find_job(h->jobs, h->njobs, id);
  for (size_t i = 0; j && i < j->n; i++)
    if (strcmp(j->entries[i].path, path) == 0) return j->entries[i].json;
  return NULL;
}

/* /jobs/overview merged over the archives (under the lock). */
static json_t *jobs_overview(history_server *h) {
  json_t *all = json_array();
  for (size_t k = 0; all && k < h->njobs; k++) {
    const char *text = NULL;
    for (size_t i = 0; i < h->jobs[k].n && !text; i++)
      if (strcmp(h->jobs[k].entries[i].path, "/jobs/overview") == 0)
        text = h->jobs[k].entries[i].json;
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    size_t i;
    json_t *j;
    json_array_foreach(json_object_get(o, "jobs"), i, j) json_array_append(all, j);
    json_decref(o);
  }
  return json_pack("{s:o}", "jobs", all);
}

/* /overview: counts of the archived jobs by state, no TaskManagers. */
static json_t *overview(json_t *jobs) {
  int finished = 0, cancelled = 0, failed = 0, running = 0;
  size_t i;
  json_t *j;
  json_array_foreach(json_object_get(jobs, "jobs"), i, j) {
    const char *s = json_string_value(json_object_get(j, "state"));
    if (s && strcmp(s, "FINISHED") == 0)
      finished++;
    else if (s && strcmp(s, "CANCELED") == 0)
      cancelled++;
    else if (s && strcmp(s, "FAILED") == 0)
      failed++;
    else
      running++;
  }
  return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:s}", "taskmanagers", 0,
                   "slots-total", 0, "slots-available", 0, "jobs-running", running, "jobs-finished",
                   finished, "jobs-cancelled", cancelled, "jobs-failed", failed, "flink-version",
                   SPATE_VERSION, "flink-commit", SPATE_REVISION);
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, char *text) {
  if (!text) return MHD_NO;
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  if (!r) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", "application/json; charset=UTF-8");
  MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
  enum MHD_Result rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, json_t *body) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  return reply_text(c, status, text);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **con_cls) {
  (void)version;
  (void)data;
  history_server *h = cls;
  if (!*con_cls) { /* first call: headers only */
    *con_cls = h;
    return MHD_YES;
  }
  if (*data_size) { /* a body is not read: the server is read-only */
    *data_size = 0;
    return MHD_YES;
  }
  unsigned status;
  struct MHD_Response *page = web_static_response(c, url, method, &status);
  if (page) { /* the dashboard (web_static.h), which /config tells to be read-only */
    MHD_add_response_header(page, "Access-Control-Allow-Origin", "*");
    enum MHD_Result rc = MHD_queue_response(c, status, page);
    MHD_destroy_response(page);
    return rc;
  }
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
    return reply_json(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                      json_pack("{s:[s]}", "errors", "The history server is read-only: only GET"));
  char path[1024];
  const char *p = url;
  if (strncmp(p, "/v1/", 4) == 0 || strcmp(p, "/v1") == 0) p += 3;
  snprintf(path, sizeof path, "%s", *p ? p : "/");
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') path[--n] = 0;
  if (strcmp(path, "/config") == 0) {
    rest_dashboard_features f = {.web_history = true}; /* read-only: no submit, cancel */
    return reply_json(c, MHD_HTTP_OK, rest_json_config(h->web_refresh_ms, &f));
  }
  pthread_mutex_lock(&h->mu);
  json_t *body = NULL;
  char *text = NULL;
  if (strcmp(path, "/jobs/overview") == 0) {
    body = jobs_overview(h);
  } else if (strcmp(path, "/overview") == 0) {
    json_t *jobs = jobs_overview(h);
    body = jobs ? overview(jobs) : NULL;
    json_decref(jobs);
  } else {
    const char *hit = lookup(h, path);
    if (hit) text = strdup(hit); /* MHD frees it with free() */
  }
  pthread_mutex_unlock(&h->mu);
  if (body) return reply_json(c, MHD_HTTP_OK, body);
  if (text) return reply_text(c, MHD_HTTP_OK, text);
  char msg[1100];
  snprintf(msg, sizeof msg, "Not found: %s", url);
  return reply_json(c, MHD_HTTP_NOT_FOUND, json_pack("{s:[s]}", "errors", msg));
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && msg[n - 1] == '\n') msg[--n] = 0;
  SP_WARN("history", "HTTP server: %s", msg);
}

/* Splits the comma-separated directories (file:// URIs allowed) into h->dirs. */
static int parse_dirs(history_server *h, const char *list) {
  char *copy = sp_strdup(list), *save = NULL;
  if (!copy) return SPATE_ENOMEM;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    while (*t == ' ') t++;
    size_t l = strlen(t);
    while (l && t[l - 1] == ' ') t[--l] = 0;
    if (!l) continue;
    if (strncmp(t, "file://", 7) == 0)
      t += 7;
    else if (strncmp(t, "file:", 5) == 0)
      t += 5;
    char **p = sp_realloc(h->dirs, (h->ndirs + 1) * sizeof *p);
    if (!p || !(p[h->ndirs] = sp_strdup(t))) {
      if (p) h->dirs = p;
      sp_free(copy);
      return SPATE_ENOMEM;
    }
    h->dirs = p;
    h->ndirs++;
  }
  sp_free(copy);
  return 0;
}

static void history_free(history_server *h) {
  for (size_t i = 0; i < h->njobs; i++) job_free(&h->jobs[i]);
  sp_free(h->jobs);
  for (size_t i = 0; i < h->ndirs; i++) sp_free(h->dirs[i]);
  sp_free(h->dirs);
  for (size_t i = 0; i < h->nbad; i++) sp_free(h->bad[i].file);
  sp_free(h->bad);
  pthread_mutex_destroy(&h->mu);
}

int history_server_run(const sp_config *cfg) {
  if (!sp_config_is_set(cfg, "historyserver.archive.fs.dir")) {
    SP_ERROR("history",
             "historyserver.archive.fs.dir is not set: the history server needs the "
             "directories the JobManagers archive to (jobmanager.archive.fs.dir)");
    return 1;
  }
  history_server h = {
      .retained = (int)sp_config_int(cfg, "historyserver.archive.retained-jobs"),
      .clean_expired = sp_config_bool(cfg, "historyserver.archive.clean-expired-jobs"),
      .web_refresh_ms = (int)sp_config_duration_ms(cfg, "historyserver.web.refresh-interval")};
  pthread_mutex_init(&h.mu, NULL);
  int64_t refresh = sp_config_duration_ms(cfg, "historyserver.archive.fs.refresh-interval");
  if (parse_dirs(&h, sp_config_str(cfg, "historyserver.archive.fs.dir")) < 0 || !h.ndirs) {
    SP_ERROR("history", "historyserver.archive.fs.dir '%s' names no directory",
             sp_config_str(cfg, "historyserver.archive.fs.dir"));
    history_free(&h);
    return 1;
  }
  /* the stop signals are awaited, not handled: blocked here and in every thread started after */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  const char *host = sp_config_str(cfg, "historyserver.web.address");
  int port = (int)sp_config_int(cfg, "historyserver.web.port");
  char err[SP_ERRMSG_MAX];
  int fd =
      rest_listen("history server", "historyserver.web.address", host, port, NULL, err, sizeof err);
  if (fd < 0) {
    SP_ERROR("history", "%s", err);
    history_free(&h);
    return 1;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  int bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
  scan(&h); /* serve what is there from the first request on */
  struct MHD_Daemon *d =
      MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                           MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                       0, NULL, NULL, on_request, &h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &h,
                       MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                       MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
  if (!d) {
    SP_ERROR("history", "Could not start the history server on %s:%d", host, port);
    close(fd);
    history_free(&h);
    return 1;
  }
  SP_INFO("history", "History server listening at http://%s:%d (archives: %s, every %lld ms)", host,
          bound, sp_config_str(cfg, "historyserver.archive.fs.dir"), (long long)refresh);
  for (;;) {
    struct timespec ts = {.tv_sec = refresh / 1000, .tv_nsec = (refresh % 1000) * 1000000};
    int sig = sigtimedwait(&stop, NULL, &ts);
    if (sig > 0) {
      SP_INFO("history", "Shutting down the history server (%s).", strsignal(sig));
      break;
    }
    scan(&h);
  }
  MHD_stop_daemon(d);
  history_free(&h);
  return 0;
}
