/*
 * metric_query.h: Flink's MetricQueryService: what a process answers when its JobManager's metric
 * fetcher (metric_fetcher.h) asks for its metrics: a dump of the process's metric registry
 * (metrics/metric_dump.h), encoded with metric_dump_encode.
 *
 * The dump comes from the process's metric source, set once at start (the metric registry's
 * metric_registry_dump on the process registry); a process without one answers an empty dump,
 * so a fetcher never waits for a TaskManager that has no metrics.
 */
#ifndef SPATE_CLUSTER_METRIC_QUERY_H
#define SPATE_CLUSTER_METRIC_QUERY_H
#include "base/bytes.h"
#include "cluster/rpc.h"
#include "metrics/metric_dump.h"

/* Fills out (zeroed by the caller) with the process's metrics now: 0 or a negative SPATE_E*. */
typedef int (*metric_source_fn)(void *ctx, metric_dump *out);

/* Sets (fn NULL: clears) the process's metric source. Any thread; the source is called from
 * the answering component's thread and must be thread-safe. */
void metric_query_set_source(metric_source_fn fn, void *ctx);
/* Clears the source if it is still fn with ctx (a process may have had several registries: the
 * last one set stays until it is cleared itself). */
void metric_query_clear_source(metric_source_fn fn, void *ctx);
/* The process's metrics now into out (zeroed by the caller): empty without a source. */
int metric_query_dump(metric_dump *out);
/* Answers a MSG_METRICS_REQUEST (r positioned at its payload) on behalf of the component at
 * `self` (its qualified address, which the reply names): MSG_METRICS_REPLY to the requester. */
void metric_query_answer(rpc_service *rpc, const char *self, sp_reader *r);
#endif
