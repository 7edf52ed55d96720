/*
 * rest_fake_cluster.c: the table of jobs behind the REST endpoint in tests (rest_fake_cluster.h).
 */
#include "support/rest_fake_cluster.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "rest/rest_operations.h"
#include "rest/rest_requests.h"

#define T_2020_11_30 1606694400000LL /* 30.11.2020 00:00:00 UTC */

static void add(fake_cluster *f, const char *id, const char *name, rest_job_state st, int64_t start,
                int64_t end) {
  fake_job *j = &f->jobs[f->n_jobs++];
  snprintf(j->id, sizeof j->id, "%s", id);
  snprintf(j->name, sizeof j->name, "%s", name);
  j->state = st;
  j->start = start;
  j->end = end;
}

void fake_cluster_init(fake_cluster *f) {
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->lock, NULL);
  pthread_cond_init(&f->cond, NULL);
  int64_t h = 3600 * 1000LL;
  add(f, FAKE_JOB_RUNNING, "State machine job", REST_JOB_RUNNING, T_2020_11_30 + 16 * h + 149000,
      -1);
  add(f, FAKE_JOB_RESTARTING, "Restarting job", REST_JOB_RESTARTING, T_2020_11_30 + 16 * h + 300000,
      -1);
  add(f, FAKE_JOB_SCHEDULED, "Windowed join", REST_JOB_CREATED, T_2020_11_30 + 17 * h, -1);
  add(f, FAKE_JOB_FINISHED, "WordCount", REST_JOB_FINISHED, T_2020_11_30 + 10 * h,
      T_2020_11_30 + 10 * h + 5000);
  add(f, FAKE_JOB_FAILED, "Failing job", REST_JOB_FAILED, T_2020_11_30 + 11 * h,
      T_2020_11_30 + 11 * h + 2000);
  f->last_checkpoint = 25;
}

void fake_cluster_destroy(fake_cluster *f) {
  sp_free(f->graph);
  sp_free(f->artifact);
  pthread_cond_destroy(&f->cond);
  pthread_mutex_destroy(&f->lock);
}

void fake_cluster_gate(fake_cluster *f, bool closed) {
  pthread_mutex_lock(&f->lock);
  f->gate_closed = closed;
  pthread_cond_broadcast(&f->cond);
  pthread_mutex_unlock(&f->lock);
}

int fake_cluster_blocked(fake_cluster *f) {
  pthread_mutex_lock(&f->lock);
  int n = f->blocked;
  pthread_mutex_unlock(&f->lock);
  return n;
}

/* The job; caller holds the lock. */
static fake_job *find(fake_cluster *f, const char *id) {
  for (int i = 0; i < f->n_jobs; i++)
    if (strcmp(f->jobs[i].id, id) == 0) return &f->jobs[i];
  return NULL;
}

int fake_cluster_state(fake_cluster *f, const char *job_id) {
  pthread_mutex_lock(&f->lock);
  fake_job *j = find(f, job_id);
  int st = j ? (int)j->state : -1;
  pthread_mutex_unlock(&f->lock);
  return st;
}

bool fake_cluster_await_shutdown(fake_cluster *f, int64_t timeout_ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (timeout_ms % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&f->lock);
  int rc = 0;
  while (f->shutdowns == 0 && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&f->cond, &f->lock, &until);
  bool done = f->shutdowns > 0;
  pthread_mutex_unlock(&f->lock);
  return done;
}

static int not_found(const char *id, char *err, size_t err_len) {
  return sp_err(err, err_len, SPATE_ENOENT, "Job %s not found", id);
}

static int f_list_jobs(void *ctx, rest_job_list *out, char *err, size_t err_len) {
  fake_cluster *f = ctx;
  pthread_mutex_lock(&f->lock);
  int rc = 0;
  for (int i = 0; i < f->n_jobs && rc == 0; i++) {
    fake_job *j = &f->jobs[i];
    rest_job_summary *s = rest_job_list_add(out, j->name);
    if (!s) {
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
      break;
    }
    memcpy(s->id, j->id, sizeof s->id);
    s->state = j->state;
    s->start_time = j->start;
    s->end_time = j->end;
    s->last_modification = j->end > 0 ? j->end : j->start;
    s->tasks[rest_job_state_terminal(j->state) ? REST_EXEC_FINISHED : REST_EXEC_RUNNING] = 2;
  }
  pthread_mutex_unlock(&f->lock);
  return rc;
}

static int f_overview(void *ctx, rest_cluster_overview *out, char *err, size_t err_len) {
  out->taskmanagers = 2;
  out->slots_total = 8;
  out->slots_available = 3;
  return 0;
}

static int f_job_details(void *ctx, const char *job_id, rest_job_details *out, char *err,
                         size_t err_len) {
  fake_cluster *f = ctx;
  pthread_mutex_lock(&f->lock);
  fake_job *j = find(f, job_id);
  int rc = 0;
  if (!j) {
    rc = not_found(job_id, err, err_len);
  } else {
    out->job.state = j->state;
    out->job.start_time = j->start;
    out->job.end_time = j->end;
    out->job.last_modification = j->start;
    out->stoppable = false;
    out->timestamps[REST_JOB_INITIALIZING] = j->start - 2;
    out->timestamps[REST_JOB_CREATED] = j->start - 1;
    out->timestamps[REST_JOB_RUNNING] = j->start;
    rest_vertex_info *v = NULL;
    if (rest_job_details_set_name(out, j->name) < 0 ||
        !(v = rest_job_details_add_vertex(out, "Source: Socket Stream -> Map"))) {
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
    } else {
      snprintf(v->id, sizeof v->id, "bc764cd8ddf7a0cff126f51c16239658");
      v->parallelism = 2;
      v->max_parallelism = 128;
      v->start_time = j->start;
      v->tasks[REST_EXEC_RUNNING] = 1;
      v->tasks[REST_EXEC_FINISHED] = 1;
      out->plan_json = sp_strdup("{\"jid\":\"x\",\"name\":\"plan\",\"nodes\":[{\"id\":\"n1\"}]}");
    }
  }
  pthread_mutex_unlock(&f->lock);
  return rc;
}

static int f_cancel(void *ctx, const char *job_id, char *err, size_t err_len) {
  fake_cluster *f = ctx;
  pthread_mutex_lock(&f->lock);
  fake_job *j = find(f, job_id);
  int rc = 0;
  if (!j)
    rc = not_found(job_id, err, err_len);
  else if (rest_job_state_terminal(j->state))
    rc = sp_err(err, err_len, SPATE_ESTATE, "Job %s is already %s", job_id,
                rest_job_state_name(j->state));
  else
    j->state = REST_JOB_CANCELED;
  pthread_mutex_unlock(&f->lock);
  return rc;
}

static int f_job_result(void *ctx, const char *job_id, rest_job_result *out, char *err,
                        size_t err_len) {
  fake_cluster *f = ctx;
  pthread_mutex_lock(&f->lock);
  fake_job *j = find(f, job_id);
  int rc = 0;
  if (!j) {
    rc = not_found(job_id, err, err_len);
  } else if (rest_job_state_terminal(j->state)) {
    out->done = true;
    out->state = j->state;
    out->net_runtime = j->end > 0 ? j->end - j->start : 0;
    if (j->state == REST_JOB_FAILED) out->failure = sp_strdup("java.lang.RuntimeException: boom");
    if (j->state == REST_JOB_FINISHED) out->accumulators_json = sp_strdup("{\"records\":42}");
  }
  pthread_mutex_unlock(&f->lock);
  return rc;
}

static int read_file(const char *path, void **out, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return -1;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  void *b = sp_malloc(n > 0 ? (size_t)n : 1);
  size_t got = b ? fread(b, 1, (size_t)n, fp) : 0;
  fclose(fp);
  if (!b || got != (size_t)n) {
    sp_free(b);
    return -1;
  }
  *out = b;
  *len = (size_t)n;
  return 0;
}

static int f_submit(void *ctx, const void *graph, size_t len, const char *const *artifacts,
                    size_t n_artifacts, char *job_id, char *err, size_t err_len) {
  fake_cluster *f = ctx;
  if (len < 10 || memcmp(graph, "SPATEGRAPH", 10) != 0)
    return sp_err(err, err_len, SPATE_EINVAL, "the job graph does not decode: bad magic");
  void *art = NULL;
  size_t art_len = 0;
  if (n_artifacts > 0 && read_file(artifacts[0], &art, &art_len) < 0)
    return sp_err(err, err_len, SPATE_EIO, "cannot read the artifact %s", artifacts[0]);
  void *copy = sp_malloc(len);
  if (!copy) {
    sp_free(art);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  memcpy(copy, graph, len);
  pthread_mutex_lock(&f->lock);
  int rc = 0;
  if (f->n_jobs == FAKE_MAX_JOBS) {
    rc = sp_err(err, err_len, SPATE_ENORESOURCE, "too many jobs");
    sp_free(copy);
    sp_free(art);
  } else {
    sp_free(f->graph);
    sp_free(f->artifact);
    f->graph = copy;
    f->graph_len = len;
    f->artifact = art;
    f->artifact_len = art_len;
    f->n_artifacts = n_artifacts;
    f->submissions++;
    char id[REST_ID_LEN + 1];
    rest_random_id(id);
    add(f, id, "submitted", REST_JOB_RUNNING, T_2020_11_30, -1);
    memcpy(job_id, id, sizeof id);
  }
  pthread_mutex_unlock(&f->lock);
  return rc;
}

/* Waits at the gate, then finds the job (NULL: not found, err set). Returns with the lock. */
static fake_job *enter(fake_cluster *f, const char *job_id, int *rc, char *err, size_t err_len) {
  pthread_mutex_lock(&f->lock);
  f->blocked++;
  while (f->gate_closed) pthread_cond_wait(&f->cond, &f->lock);
  f->blocked--;
  fake_job *j = job_id ? find(f, job_id) : NULL;
  *rc = job_id && !j ? not_found(job_id, err, err_len) : 0;
  return j;
}

static int savepoint_location(const char *dir, const char *job_id, char **location, char *err,
                              size_t err_len) {
  if (!dir)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "No savepoint directory was given and none is configured "
                  "(execution.checkpointing.savepoint-dir)");
  size_t n = strlen(dir) + 64;
  *location = sp_malloc(n);
  if (!*location) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  snprintf(*location, n, "file:%s/savepoint-%.6s-0123456789ab", dir, job_id);
  return 0;
}

static int f_savepoint(void *ctx, const char *job_id, const char *target_dir, bool cancel_job,
                       rest_savepoint_format format, char **location, char *err, size_t err_len) {
  fake_cluster *f = ctx;
  int rc;
  fake_job *j = enter(f, job_id, &rc, err, err_len);
  if (rc == 0) rc = savepoint_location(target_dir, job_id, location, err, err_len);
  if (rc == 0 && cancel_job) j->state = REST_JOB_CANCELED;
  snprintf(f->last_format, sizeof f->last_format, "%s", rest_savepoint_format_name(format));
  f->last_flag = cancel_job;
  pthread_mutex_unlock(&f->lock);
  return rc;
}

static int f_stop(void *ctx, const char *job_id, const char *target_dir, bool drain,
                  rest_savepoint_format format, char **location, char *err, size_t err_len) {
  fake_cluster *f = ctx;
  int rc;
  fake_job *j = enter(f, job_id, &rc, err, err_len);
  if (rc == 0) rc = savepoint_location(target_dir, job_id, location, err, err_len);
  if (rc == 0) {
    j->state = REST_JOB_FINISHED;
    j->end = j->start + 1000;
  }
  snprintf(f->last_format, sizeof f->last_format, "%s", rest_savepoint_format_name(format));
  f->last_flag = drain;
  pthread_mutex_unlock(&f->lock);
  return rc;
}

static int f_checkpoint(void *ctx, const char *job_id, rest_checkpoint_type type, int64_t *id,
                        char *err, size_t err_len) {
  fake_cluster *f = ctx;
  int rc;
  enter(f, job_id, &rc, err, err_len);
  if (rc == 0) *id = ++f->last_checkpoint;
  f->last_checkpoint_type = type;
  pthread_mutex_unlock(&f->lock);
  return rc;
}

static int f_dispose(void *ctx, const char *path, char *err, size_t err_len) {
  fake_cluster *f = ctx;
  int rc;
  enter(f, NULL, &rc, err, err_len);
  if (strstr(path, "missing")) rc = sp_err(err, err_len, SPATE_ENOENT, "%s does not exist", path);
  pthread_mutex_unlock(&f->lock);
  return rc;
}

static int f_taskmanagers(void *ctx, rest_taskmanager_list *out, char *err, size_t err_len) {
  for (int i = 0; i < 2; i++) {
    char id[64], path[96];
    snprintf(id, sizeof id, "localhost:%d-tm%d", 6122 + i, i);
    snprintf(path, sizeof path, "spate://localhost:%d/taskmanager_%d", 6122 + i, i);
    rest_taskmanager_info *t = rest_taskmanager_list_add(out, id, path);
    if (!t) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
    t->data_port = 6200 + i;
    t->jmx_port = -1;
    t->last_heartbeat = T_2020_11_30;
    t->slots = 4;
    t->free_slots = i == 0 ? 1 : 2;
    t->cpu_cores = 2;
    t->physical_memory = 8LL << 30;
    t->free_memory = 4LL << 30;
    t->managed_memory = 128LL << 20;
    t->network_memory = 64LL << 20;
  }
  return 0;
}

static void f_shutdown(void *ctx) {
  fake_cluster *f = ctx;
  pthread_mutex_lock(&f->lock);
  f->shutdowns++;
  pthread_cond_broadcast(&f->cond);
  pthread_mutex_unlock(&f->lock);
}

const rest_cluster_ops fake_cluster_ops = {
    .list_jobs = f_list_jobs,
    .overview = f_overview,
    .job_details = f_job_details,
    .cancel_job = f_cancel,
    .job_result = f_job_result,
    .submit_job = f_submit,
    .savepoint = f_savepoint,
    .stop_job = f_stop,
    .checkpoint = f_checkpoint,
    .dispose_savepoint = f_dispose,
    .taskmanagers = f_taskmanagers,
    .shutdown = f_shutdown,
};
