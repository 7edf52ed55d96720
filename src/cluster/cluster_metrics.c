/*
 * cluster_metrics.c: a cluster process's registry, groups and reporters (cluster_metrics.h).
 */
#include "cluster/cluster_metrics.h"

#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "cluster/metric_query.h"
#include "metrics/process_metrics.h"

/* The cluster gauges read the view under its lock (order: registry, then view). */
typedef struct view_counts {
  int tms, slots, free_slots, running_jobs;
} view_counts;

static view_counts count_view(cluster_view *v) {
  view_counts c = {0};
  cluster_view_lock(v);
  c.tms = v->ntms;
  for (int i = 0; i < v->ntms; i++) {
    c.slots += v->tms[i].slots;
    c.free_slots += v->tms[i].free_slots;
  }
  for (int i = 0; i < v->njobs; i++) c.running_jobs += !v->jobs[i].done;
  cluster_view_unlock(v);
  return c;
}
static int64_t g_tms(void *a) { return count_view(a).tms; }
static int64_t g_slots(void *a) { return count_view(a).slots; }
static int64_t g_free(void *a) { return count_view(a).free_slots; }
static int64_t g_running(void *a) { return count_view(a).running_jobs; }
static int64_t g_zero(void *a) {
  (void)a;
  return 0;
}

/* The process's metric source (cluster/metric_query.h): what it answers its JobManager's
 * metric fetcher (and what the JobManager's fetcher reads of itself). */
static int dump_registry(void *reg, metric_dump *out) { return metric_registry_dump(reg, out); }

int cluster_metrics_start(cluster_metrics *m, const sp_config *cfg, char *err, size_t err_len) {
  memset(m, 0, sizeof *m);
  int rc = metric_registry_create(cfg, 0, &m->registry, err, err_len);
  if (rc == 0) metric_query_set_source(dump_registry, m->registry);
  return rc;
}

int cluster_metrics_add_jobmanager(cluster_metrics *m, const char *host, cluster_view *view) {
  if (!(m->jm = metric_group_jm(m->registry, host))) return SPATE_ENOMEM;
  int rc = process_metrics_add(m->jm);
  if (rc == 0 && view) {
    rc = metric_gauge_long(m->jm, "numRegisteredTaskManagers", g_tms, view);
    if (rc == 0) rc = metric_gauge_long(m->jm, "numPendingTaskManagers", g_zero, NULL);
    if (rc == 0) rc = metric_gauge_long(m->jm, "numRunningJobs", g_running, view);
    if (rc == 0) rc = metric_gauge_long(m->jm, "taskSlotsAvailable", g_free, view);
    if (rc == 0) rc = metric_gauge_long(m->jm, "taskSlotsTotal", g_slots, view);
  }
  return rc;
}

/* A TaskManager's memory figures Flink's dashboard asks for that Spate has no pool of: its
 * network buffers are per channel (no Netty shuffle pool) and it has no managed memory. */
static int add_tm_memory(metric_group *g) {
  static const char *const zeros[] = {
      "Status.Shuffle.Netty.UsedMemory", "Status.Shuffle.Netty.AvailableMemory",
      "Status.Shuffle.Netty.TotalMemory", "Status.Flink.Memory.Managed.Used",
      "Status.Flink.Memory.Managed.Total"};
  int rc = 0;
  for (size_t i = 0; i < sizeof zeros / sizeof zeros[0] && rc == 0; i++)
    rc = metric_gauge_long(g, zeros[i], g_zero, NULL);
  return rc;
}

metric_group *cluster_metrics_add_taskmanager(cluster_metrics *m, const char *host,
                                              const char *tm_id, bool with_process) {
  metric_group *g = metric_group_tm(m->registry, host, tm_id);
  if (g && ((with_process && process_metrics_add(g) < 0) || add_tm_memory(g) < 0)) {
    metric_group_release(g);
    return NULL;
  }
  return g;
}

void cluster_metrics_start_reporters(cluster_metrics *m, const sp_config *cfg) {
  if (!cfg || !m->registry) return;
  char err[SP_ERRMSG_MAX];
  if (metric_reporters_start(m->registry, cfg, &m->reporters, err, sizeof err) < 0)
    SP_ERROR("metrics", "Could not start the metric reporters: %s", err);
}

void cluster_metrics_stop(cluster_metrics *m) {
  if (m->registry) metric_query_clear_source(dump_registry, m->registry);
  metric_reporters_stop(m->reporters);
  metric_group_release(m->jm);
  metric_registry_free(m->registry);
  memset(m, 0, sizeof *m);
}
