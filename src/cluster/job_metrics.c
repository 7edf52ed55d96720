/*
 * job_metrics.c: a job's metrics on the JobManager (job_metrics.h).
 */
#include "cluster/job_metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"

struct job_metrics {
  metric_group *group;
  ckpt_stats *tracker; /* a reference, or NULL */
  _Atomic int64_t restarts, full_restarts;
  _Atomic int64_t running_since, restarting_since, down_since; /* epoch ms; 0: not so */
};

#define LOAD(field) atomic_load_explicit(&((job_metrics *)a)->field, memory_order_relaxed)
static int64_t g_restarts(void *a) { return LOAD(restarts); }
static int64_t g_full_restarts(void *a) { return LOAD(full_restarts); }
static int64_t since(int64_t t) { return t > 0 ? sp_wall_ms() - t : 0; }
static int64_t g_running(void *a) { return since(LOAD(running_since)); }
static int64_t g_restarting(void *a) { return since(LOAD(restarting_since)); }
static int64_t g_down(void *a) { return since(LOAD(down_since)); }
/* The checkpoint gauges: one read of the tracker each (a scrape reads them seconds apart). */
static ckpt_stats_gauges gauges(void *a) {
  ckpt_stats_gauges g;
  ckpt_stats_read_gauges(((job_metrics *)a)->tracker, &g);
  return g;
}
static int64_t g_last_duration(void *a) { return gauges(a).last_duration_ms; }
static int64_t g_last_size(void *a) { return gauges(a).last_size; }
static int64_t g_last_full_size(void *a) { return gauges(a).last_full_size; }
static int64_t g_last_restore(void *a) { return gauges(a).last_restore_ms; }
static int64_t g_last_id(void *a) { return gauges(a).last_completed_id; }
static int64_t g_completed(void *a) { return gauges(a).completed; }
static int64_t g_failed(void *a) { return gauges(a).failed; }
static int64_t g_in_progress(void *a) { return gauges(a).in_progress; }
static int64_t g_total(void *a) { return gauges(a).total; }
static void g_path(void *a, char *buf, size_t len) {
  snprintf(buf, len, "%s", gauges(a).last_external_path);
}

job_metrics *job_metrics_create(metric_group *jm, const job_graph *jg, ckpt_stats *tracker) {
  if (!jm) return NULL;
  job_metrics *m = sp_calloc(1, sizeof *m);
  if (!m) return NULL;
  if (tracker) ckpt_stats_ref(tracker);
  m->tracker = tracker;
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
      {"lastCheckpointFullSize", g_last_full_size},
      {"lastCompletedCheckpointId", g_last_id},
      {"lastCheckpointRestoreTimestamp", g_last_restore},
      {"numberOfCompletedCheckpoints", g_completed},
      {"numberOfFailedCheckpoints", g_failed},
      {"numberOfInProgressCheckpoints", g_in_progress},
      {"totalNumberOfCheckpoints", g_total},
  };
  int rc = m->group ? 0 : -1;
  size_t nlongs = tracker ? sizeof longs / sizeof longs[0] : 6; /* the first six need none */
  for (size_t i = 0; i < nlongs && rc == 0; i++)
    rc = metric_gauge_long(m->group, longs[i].name, longs[i].fn, m);
  if (rc == 0 && tracker) rc = metric_gauge_text(m->group, "lastCheckpointExternalPath", g_path, m);
  if (rc < 0) {
    job_metrics_free(m);
    return NULL;
  }
  return m;
}

void job_metrics_free(job_metrics *m) {
  if (!m) return;
  metric_group_release(m->group); /* no gauge reads m after this */
  ckpt_stats_unref(m->tracker);
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
