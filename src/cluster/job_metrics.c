/*
 * job_metrics.c: a job's metrics on the JobManager (job_metrics.h).
 */
#include "cluster/job_metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"

#define STATS_RECORD 49 /* bytes of one ckpt_coord_stats record */

struct job_metrics {
  metric_group *group;
  _Atomic int64_t restarts, full_restarts;
  _Atomic int64_t running_since, restarting_since, down_since; /* epoch ms; 0: not so */
  _Atomic int64_t last_duration, last_size, last_id;
  _Atomic int64_t completed, failed, triggered;
  pthread_mutex_t mu; /* guards path */
  char path[1024];
};

#define LOAD(field) atomic_load_explicit(&((job_metrics *)a)->field, memory_order_relaxed)
static int64_t g_restarts(void *a) { return LOAD(restarts); }
static int64_t g_full_restarts(void *a) { return LOAD(full_restarts); }
static int64_t since(int64_t t) { return t > 0 ? sp_wall_ms() - t : 0; }
static int64_t g_running(void *a) { return since(LOAD(running_since)); }
static int64_t g_restarting(void *a) { return since(LOAD(restarting_since)); }
static int64_t g_down(void *a) { return since(LOAD(down_since)); }
static int64_t g_last_duration(void *a) { return LOAD(last_duration); }
static int64_t g_last_size(void *a) { return LOAD(last_size); }
static int64_t g_last_id(void *a) { return LOAD(last_id); }
static int64_t g_completed(void *a) { return LOAD(completed); }
static int64_t g_failed(void *a) { return LOAD(failed); }
static int64_t g_total(void *a) { return LOAD(triggered); }
static int64_t g_in_progress(void *a) {
  int64_t n = LOAD(triggered) - LOAD(completed) - LOAD(failed);
  return n > 0 ? n : 0;
}
static int64_t g_minus_one(void *a) {
  (void)a;
  return -1;
}
static void g_path(void *a, char *buf, size_t len) {
  job_metrics *m = a;
  pthread_mutex_lock(&m->mu);
  snprintf(buf, len, "%s", m->path);
  pthread_mutex_unlock(&m->mu);
}

job_metrics *job_metrics_create(metric_group *jm, const job_graph *jg) {
  if (!jm) return NULL;
  job_metrics *m = sp_calloc(1, sizeof *m);
  if (!m) return NULL;
  pthread_mutex_init(&m->mu, NULL);
  snprintf(m->path, sizeof m->path, "n/a");
  m->last_duration = m->last_size = m->last_id = -1;
  m->group = metric_group_job(jm, jg->job_id, jg->job_name ? jg->job_name : "");
  static const struct {
    const char *name;
    metric_long_fn fn;
  } longs[] = {
      {"numRestarts", g_restarts},
      {"fullRestarts", g_full_restarts},
      {"runningTime", g_running},
      {"uptime", g_running},
      {"restartingTime", g_restarting},
      {"downtime", g_down},
      {"lastCheckpointDuration", g_last_duration},
      {"lastCheckpointSize", g_last_size},
      {"lastCheckpointFullSize", g_last_size},
      {"lastCompletedCheckpointId", g_last_id},
      {"lastCheckpointRestoreTimestamp", g_minus_one},
      {"numberOfCompletedCheckpoints", g_completed},
      {"numberOfFailedCheckpoints", g_failed},
      {"numberOfInProgressCheckpoints", g_in_progress},
      {"totalNumberOfCheckpoints", g_total},
  };
  int rc = m->group ? 0 : -1;
  for (size_t i = 0; i < sizeof longs / sizeof longs[0] && rc == 0; i++)
    rc = metric_gauge_long(m->group, longs[i].name, longs[i].fn, m);
  if (rc == 0) rc = metric_gauge_text(m->group, "lastCheckpointExternalPath", g_path, m);
  if (rc < 0) {
    job_metrics_free(m);
    return NULL;
  }
  return m;
}

void job_metrics_free(job_metrics *m) {
  if (!m) return;
  metric_group_release(m->group); /* no gauge reads m after this */
  pthread_mutex_destroy(&m->mu);
  sp_free(m);
}

void job_metrics_restarted(job_metrics *m, bool global) {
  if (!m) return;
  atomic_fetch_add(&m->restarts, 1);
  if (global) atomic_fetch_add(&m->full_restarts, 1);
}

void job_metrics_status(job_metrics *m, const char *status, int64_t now_ms) {
  if (!m) return;
  bool running = strcmp(status, "RUNNING") == 0, restarting = strcmp(status, "RESTARTING") == 0;
  bool down = restarting || strcmp(status, "FAILING") == 0;
  if (running && atomic_load(&m->running_since) == 0) atomic_store(&m->running_since, now_ms);
  if (!running) atomic_store(&m->running_since, 0);
  atomic_store(&m->restarting_since, restarting ? now_ms : 0);
  if (down && atomic_load(&m->down_since) == 0) atomic_store(&m->down_since, now_ms);
  if (!down) atomic_store(&m->down_since, 0);
}

void job_metrics_checkpoint(job_metrics *m, int event, int64_t id, const char *path,
                            const sp_writer *stats, uint32_t nstats) {
  if (!m) return;
  if (event == 0) {
    atomic_fetch_add(&m->triggered, 1);
    return;
  }
  if (event == 2) {
    atomic_fetch_add(&m->failed, 1);
    return;
  }
  atomic_fetch_add(&m->completed, 1);
  atomic_store(&m->last_id, id);
  if (stats && nstats > 0 && stats->len >= (size_t)nstats * STATS_RECORD) {
    sp_reader r;
    sp_reader_init(&r, stats->data + (size_t)(nstats - 1) * STATS_RECORD, STATS_RECORD);
    int64_t rid = sp_get_i64(&r), duration = sp_get_i64(&r);
    sp_get_i64(&r);
    sp_get_i64(&r);
    sp_get_i64(&r);
    uint64_t size = sp_get_u64(&r);
    if (sp_reader_ok(&r) && rid == id) {
      atomic_store(&m->last_duration, duration);
      atomic_store(&m->last_size, (int64_t)size);
    }
  }
  pthread_mutex_lock(&m->mu);
  snprintf(m->path, sizeof m->path, "%s", path && path[0] ? path : "n/a");
  pthread_mutex_unlock(&m->mu);
}
