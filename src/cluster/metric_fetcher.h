/*
 * metric_fetcher.h: Flink's MetricFetcher: fills a JobManager's metric store (metric_store.h)
 * from its own metric source and from every registered TaskManager (the cluster view's), asked
 * with MSG_METRICS_REQUEST and answered by their MetricQueryService (metric_query.h).
 *
 * A fetch happens when a reader asks for the store and the last fetch is older than
 * metrics.fetcher.update-interval (Flink's update interval; 0: every time). It waits for the
 * TaskManagers' answers up to a bound: one that does not answer in time (or cannot be reached) is
 * skipped and keeps the metrics it answered last. One fetch at a time: readers that arrive
 * during a fetch wait for it and read its result.
 *
 * The JobManager's own dump is completed with the cluster figures Flink's JobManager registers
 * (numRegisteredTaskManagers, taskSlotsTotal, taskSlotsAvailable, numRunningJobs) from the
 * cluster view when its metric source does not have them.
 */
#ifndef SPATE_CLUSTER_METRIC_FETCHER_H
#define SPATE_CLUSTER_METRIC_FETCHER_H
#include <stdint.h>

#include "cluster/cluster_view.h"
#include "cluster/metric_store.h"
#include "cluster/rpc.h"

typedef struct metric_fetcher metric_fetcher;

typedef struct metric_fetcher_options {
  int64_t update_interval_ms; /* metrics.fetcher.update-interval */
  int64_t timeout_ms;         /* the longest a fetch waits for answers; 0: 5000 */
  /* The id a TaskManager has in the store (its REST id) from its RPC address, into out (cap
   * bytes); NULL: the address itself. */
  void (*tm_id)(const char *address, char *out, size_t cap);
} metric_fetcher_options;

/* Starts the fetcher's endpoint ("metricfetcher-<n>") on rpc; view gives the TaskManagers. */
int metric_fetcher_create(rpc_service *rpc, cluster_view *view, const metric_fetcher_options *opt,
                          metric_fetcher **out);
/* Stops the endpoint and frees the store; no reader may use it any more. NULL: nothing. */
void metric_fetcher_free(metric_fetcher *f);
/* The store, fetched again first if the last fetch is older than the update interval. Blocks
 * for at most the timeout. Any thread but an RPC endpoint's of the same service. */
metric_store *metric_fetcher_update(metric_fetcher *f);
/* The store as it is (no fetch). */
metric_store *metric_fetcher_store(metric_fetcher *f);
#endif
