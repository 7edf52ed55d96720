/*
 * jobmanager_gateway.h: a JobManager's operations for callers on other threads (its REST
 * endpoint, application mode): submit a job with its artifact, cancel it, trigger savepoints,
 * stop-with-savepoint and checkpoints and wait for them, dispose of a savepoint, and read the
 * cluster view. Each call talks to the Dispatcher and JobMasters with their RPC messages, never
 * touching their state.
 */
#ifndef SPATE_CLUSTER_JOBMANAGER_GATEWAY_H
#define SPATE_CLUSTER_JOBMANAGER_GATEWAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/cluster_view.h"
#include "cluster/rpc.h"
#include "net/blob.h"

typedef struct jm_gateway jm_gateway;

int jm_gateway_create(rpc_service *rpc, blob_server *blobs, cluster_view *view, jm_gateway **out);
void jm_gateway_free(jm_gateway *g);
cluster_view *jm_gateway_view(jm_gateway *g);
/* The JobManager's RPC service, for calls that ask other components themselves (REST asking a
 * TaskExecutor about its process: cluster/taskmanager_info.h). */
rpc_service *jm_gateway_rpc(jm_gateway *g);

/* The JobManager's RPC service (for components the layers above add, e.g. its metric fetcher). */
rpc_service *jm_gateway_rpc(jm_gateway *g);
/* The JobManager's metric fetcher (metric_fetcher.h), which the REST endpoint sets before it
 * serves and clears after it stopped (NULL: none); the gateway does not own it. */
struct metric_fetcher;
void jm_gateway_set_metrics(jm_gateway *g, struct metric_fetcher *f);
struct metric_fetcher *jm_gateway_metrics(jm_gateway *g);

/* Submits an encoded job graph whose shared object is the file at artifact (stored in the
 * BlobServer; NULL: none, the graph's own path must do); job_id (33 bytes) gets its id.
 * SPATE_EINVAL for a graph that does not decode, SPATE_ESTATE if a job with that id runs. */
int jm_gateway_submit(jm_gateway *g, const void *graph, size_t len, const char *artifact,
                      char *job_id, char *err, size_t err_len);
/* Starts cancelling the job. SPATE_ENOENT unknown, SPATE_ESTATE ended already. */
int jm_gateway_cancel(jm_gateway *g, const char *job_id, char *err, size_t err_len);

typedef enum jm_snapshot_kind {
  JM_SAVEPOINT,
  JM_STOP,
  JM_STOP_DRAIN,
  JM_CHECKPOINT
} jm_snapshot_kind;
/* Triggers a savepoint (dir NULL: the job's default), a stop with savepoint (JM_STOP_DRAIN:
 * the end of event time first, Flink's --drain), or a checkpoint,
 * and waits for it (or for the job to end). *id the checkpoint's id, *path (sp_malloc'd; may be
 * NULL) its directory. SPATE_ENOENT unknown job, SPATE_ESTATE not running, else the failure. */
int jm_gateway_snapshot(jm_gateway *g, const char *job_id, jm_snapshot_kind kind, const char *dir,
                        int64_t *id, char **path, char *err, size_t err_len);
/* Deletes the savepoint at path (a directory with a _metadata file, or that file). */
int jm_gateway_dispose(jm_gateway *g, const char *path, char *err, size_t err_len);
/* Waits until the job ended or timeout_ms passed (< 0: no limit): true if it ended. */
bool jm_gateway_wait_done(jm_gateway *g, const char *job_id, int64_t timeout_ms);
#endif
