/*
 * cluster_metrics.h: the metrics of a cluster process: the registry of a JobManager, a
 * TaskManager or a MiniCluster (both scopes in one), its process figures
 * (metrics/process_metrics.h), the JobManager's cluster gauges read from its cluster view
 * (numRegisteredTaskManagers, numPendingTaskManagers, numRunningJobs, taskSlotsAvailable,
 * taskSlotsTotal), and the reporters the configuration names (metrics/metric_reporters.h).
 *
 * A reporter that cannot start (its ports taken) is logged and left out, as Flink's
 * MetricRegistry does: the process runs on without it.
 */
#ifndef SPATE_CLUSTER_CLUSTER_METRICS_H
#define SPATE_CLUSTER_CLUSTER_METRICS_H
#include "base/config.h"
#include "cluster/cluster_view.h"
#include "metrics/metric_registry.h"
#include "metrics/metric_reporters.h"

typedef struct cluster_metrics {
  metric_registry *registry;
  metric_reporters *reporters;
  metric_group *jm; /* the JobManager's group, or NULL (a TaskManager) */
} cluster_metrics;

/* Creates the registry from cfg (NULL: defaults, no reporters). 0 or a negative error (a bad
 * metrics.scope.* format) with err set. */
int cluster_metrics_start(cluster_metrics *m, const sp_config *cfg, char *err, size_t err_len);
/* The JobManager's group on host, with the process figures and, with a view, the cluster
 * gauges reading it (the view must outlive cluster_metrics_stop). */
int cluster_metrics_add_jobmanager(cluster_metrics *m, const char *host, cluster_view *view);
/* A TaskManager's group (host, tm_id), with the process figures unless the process has them
 * already (a MiniCluster's TaskManagers share the JobManager's process). NULL when out of
 * memory. The caller releases it (metric_group_release) before cluster_metrics_stop. */
metric_group *cluster_metrics_add_taskmanager(cluster_metrics *m, const char *host,
                                              const char *tm_id, bool with_process);
/* Starts the reporters cfg names (after the groups, so a first report has them). */
void cluster_metrics_start_reporters(cluster_metrics *m, const sp_config *cfg);
/* Stops the reporters, releases the JobManager's group and frees the registry. */
void cluster_metrics_stop(cluster_metrics *m);
#endif
