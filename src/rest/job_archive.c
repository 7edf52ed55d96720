/*
 * job_archive.c: rendering and writing a finished job's archive, and the JobManager's archiver
 * thread (job_archive.h).
 */
#define _GNU_SOURCE
#include "rest/job_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

typedef struct archive {
  rest_server *s;
  json_t *entries; /* [{"path", "json"}] */
  bool failed;     /* out of memory */
} archive;

/* Renders path and keeps it when it answered 200; returns its parsed JSON (the caller's
 * reference) to enumerate from, or NULL. */
static json_t *take(archive *a, const char *path) {
  unsigned status;
  char *body;
  if (rest_server_get(a->s, path, &status, &body) < 0) {
    a->failed = true;
    return NULL;
  }
  json_t *parsed = NULL;
  if (status == 200) {
    parsed = json_loads(body, 0, NULL);
    if (parsed &&
        json_array_append_new(a->entries, json_pack("{s:s, s:s}", "path", path, "json", body)) != 0)
      a->failed = true;
  }
  sp_free(body);
  return parsed;
}

/* take(), then forget the JSON. */
static void keep(archive *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void keep(archive *a, const char *fmt, ...) {
  char path[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(path, sizeof path, fmt, ap);
  va_end(ap);
  json_decref(take(a, path));
}

/* /jobs/overview with only this job (the JobManager's lists every job). */
static void take_overview(archive *a, const char *job_id) {
  unsigned status;
  char *body;
  if (rest_server_get(a->s, "/jobs/overview", &status, &body) < 0) {
    a->failed = true;
    return;
  }
  json_t *o = status == 200 ? json_loads(body, 0, NULL) : NULL;
  sp_free(body);
  json_t *jobs = json_object_get(o, "jobs"), *mine = json_array();
  size_t i;
  json_t *j;
  json_array_foreach(jobs, i, j) {
    const char *jid = json_string_value(json_object_get(j, "jid"));
    if (jid && strcmp(jid, job_id) == 0) json_array_append(mine, j);
  }
  json_t *filtered = json_pack("{s:o}", "jobs", mine);
  char *text = filtered ? json_dumps(filtered, JSON_COMPACT) : NULL;
  if (!text || json_array_append_new(a->entries, json_pack("{s:s, s:s}", "path", "/jobs/overview",
                                                           "json", text)) != 0)
    a->failed = true;
  free(text);
  json_decref(filtered);
  json_decref(o);
}

/* One vertex: its details, and its subtasks and their current attempts. */
static void take_vertex(archive *a, const char *base, const char *vid) {
  char path[512];
  snprintf(path, sizeof path, "%s/vertices/%s", base, vid);
  json_t *v = take(a, path);
  keep(a, "%s/subtasktimes", path);
  keep(a, "%s/taskmanagers", path);
  keep(a, "%s/accumulators", path);
  keep(a, "%s/subtasks/accumulators", path);
  size_t i;
  json_t *st;
  json_array_foreach(json_object_get(v, "subtasks"), i, st) {
    json_t *idx = json_object_get(st, "subtask"), *att = json_object_get(st, "attempt");
    if (!json_is_integer(idx)) continue;
    long long k = json_integer_value(idx);
    keep(a, "%s/subtasks/%lld", path, k);
    if (json_is_integer(att)) {
      keep(a, "%s/subtasks/%lld/attempts/%lld", path, k, (long long)json_integer_value(att));
      keep(a, "%s/subtasks/%lld/attempts/%lld/accumulators", path, k,
           (long long)json_integer_value(att));
    }
  }
  json_decref(v);
}

int job_archive_render(rest_server *s, const char *job_id, char **json, char *err, size_t err_len) {
  *json = NULL;
  archive a = {.s = s, .entries = json_array()};
  if (!a.entries) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  char base[64];
  snprintf(base, sizeof base, "/jobs/%s", job_id);
  take_overview(&a, job_id);
  json_t *details = take(&a, base);
  if (!details) {
    json_decref(a.entries);
    return sp_err(err, err_len, a.failed ? SPATE_ENOMEM : SPATE_ENOENT,
                  "job %s: its details could not be rendered", job_id);
  }
  static const char *const plain[] = {"config",
                                      "plan",
                                      "exceptions",
                                      "accumulators",
                                      "checkpoints/config",
                                      "jobmanager/config",
                                      "jobmanager/environment"};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) keep(&a, "%s/%s", base, plain[i]);
  json_t *vertices = json_object_get(details, "vertices");
  size_t i, k;
  json_t *v, *c;
  json_array_foreach(vertices, i, v) {
    const char *vid = json_string_value(json_object_get(v, "id"));
    if (vid) take_vertex(&a, base, vid);
  }
  char path[512];
  snprintf(path, sizeof path, "%s/checkpoints", base);
  json_t *cps = take(&a, path);
  json_array_foreach(json_object_get(cps, "history"), k, c) {
    json_t *id = json_object_get(c, "id");
    if (!json_is_integer(id)) continue;
    long long cid = json_integer_value(id);
    snprintf(path, sizeof path, "%s/checkpoints/details/%lld", base, cid);
    json_t *cd = take(&a, path);
    if (!cd) continue;
    json_array_foreach(vertices, i, v) {
      const char *vid = json_string_value(json_object_get(v, "id"));
      if (vid) keep(&a, "%s/subtasks/%s", path, vid);
    }
    json_decref(cd);
  }
  json_decref(cps);
  json_decref(details);
  json_t *root = json_pack("{s:o}", "archive", a.entries);
  char *text = root && !a.failed ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(root);
  if (!text) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory rendering job %s", job_id);
  *json = sp_strdup(text);
  free(text);
  return *json ? 0 : sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
}

/* A local path from a directory that may be a file:// URI. */
static const char *local_path(const char *dir) {
  if (strncmp(dir, "file://", 7) == 0) return dir + 7;
  if (strncmp(dir, "file:", 5) == 0) return dir + 5;
  return dir;
}

int job_archive_write(const char *dir, const char *job_id, const char *json, char *err,
                      size_t err_len) {
  char d[PATH_MAX], tmp[PATH_MAX + 64], final[PATH_MAX + 64];
  snprintf(d, sizeof d, "%s", local_path(dir));
  for (char *p = d + 1;; p++) { /* mkdir -p */
    bool end = *p == 0;
    if (*p == '/' || end) {
      *p = 0;
      if (mkdir(d, 0755) != 0 && errno != EEXIST)
        return sp_err(err, err_len, SPATE_EIO, "cannot create the archive directory %s: %s", d,
                      strerror(errno));
      if (end) break;
      *p = '/';
    }
  }
  snprintf(tmp, sizeof tmp, "%s/.%s.inprogress", d, job_id);
  snprintf(final, sizeof final, "%s/%s", d, job_id);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sp_err(err, err_len, SPATE_EIO, "cannot write %s: %s", tmp, strerror(errno));
  size_t len = strlen(json), done = 0;
  while (done < len) {
    ssize_t w = write(fd, json + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += (size_t)w;
  }
  bool ok = done == len && fsync(fd) == 0;
  int e = errno;
  close(fd);
  if (!ok || rename(tmp, final) != 0) {
    if (ok) e = errno;
    unlink(tmp);
    return sp_err(err, err_len, SPATE_EIO, "cannot write the archive %s: %s", final, strerror(e));
  }
  return 0;
}

/* ---- the archiver thread ---- */

struct job_archiver {
  char *dir;
  rest_server *s;
  cluster_view *view;
  pthread_t thread;
  bool stop;   /* under view->mu */
  char **done; /* ids archived (or given up on) */
  size_t n_done, cap_done;
};

static bool globally_terminal(const char *status) {
  return strcmp(status, "FINISHED") == 0 || strcmp(status, "FAILED") == 0 ||
         strcmp(status, "CANCELED") == 0;
}

static bool archived(const job_archiver *a, const char *id) {
  for (size_t i = 0; i < a->n_done; i++)
    if (strcmp(a->done[i], id) == 0) return true;
  return false;
}

/* The id of a job that ended and is not archived yet, into id; under the view's lock. */
static bool next_job(job_archiver *a, char *id) {
  for (int j = 0; j < a->view->njobs; j++) {
    const cv_job *job = &a->view->jobs[j];
    if (job->done && globally_terminal(job->status) && !archived(a, job->id)) {
      snprintf(id, 33, "%s", job->id);
      return true;
    }
  }
  return false;
}

static void archive_one(job_archiver *a, const char *id) {
  char err[SP_ERRMSG_MAX] = "", *json = NULL;
  int rc = job_archive_render(a->s, id, &json, err, sizeof err);
  if (rc == 0) rc = job_archive_write(a->dir, id, json, err, sizeof err);
  sp_free(json);
  if (rc == 0)
    SP_INFO("archive", "Job %s has been archived at %s/%s.", id, local_path(a->dir), id);
  else
    SP_WARN("archive", "Could not archive job %s: %s", id, err);
}

/* Marks id as archived (under the lock); false when out of memory. */
static bool remember(job_archiver *a, const char *id) {
  if (a->n_done == a->cap_done) {
    size_t nc = a->cap_done ? a->cap_done * 2 : 16;
    char **p = sp_realloc(a->done, nc * sizeof *p);
    if (!p) return false;
    a->done = p;
    a->cap_done = nc;
  }
  return (a->done[a->n_done] = sp_strdup(id)) != NULL && ++a->n_done;
}

static void *archiver_main(void *arg) {
  job_archiver *a = arg;
  cluster_view_lock(a->view);
  for (;;) {
    char id[33];
    if (next_job(a, id)) {
      if (!remember(a, id)) break; /* out of memory: archive no more */
      cluster_view_unlock(a->view);
      archive_one(a, id);
      cluster_view_lock(a->view);
      continue;
    }
    if (a->stop) break;
    pthread_cond_wait(&a->view->changed, &a->view->mu);
  }
  cluster_view_unlock(a->view);
  return NULL;
}

int job_archiver_start(const char *dir, rest_server *s, cluster_view *view, job_archiver **out,
                       char *err, size_t err_len) {
  *out = NULL;
  job_archiver *a = sp_calloc(1, sizeof *a);
  if (!a || !(a->dir = sp_strdup(dir))) {
    sp_free(a);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  a->s = s;
  a->view = view;
  if (pthread_create(&a->thread, NULL, archiver_main, a) != 0) {
    sp_free(a->dir);
    sp_free(a);
    return sp_err(err, err_len, SPATE_EIO, "cannot start the job archiver's thread");
  }
  SP_INFO("archive", "Archiving finished jobs to %s", dir);
  *out = a;
  return 0;
}

void job_archiver_stop(job_archiver *a) {
  if (!a) return;
  cluster_view_lock(a->view);
  a->stop = true;
  pthread_cond_broadcast(&a->view->changed);
  cluster_view_unlock(a->view);
  pthread_join(a->thread, NULL);
  for (size_t i = 0; i < a->n_done; i++) sp_free(a->done[i]);
  sp_free(a->done);
  sp_free(a->dir);
  sp_free(a);
}
