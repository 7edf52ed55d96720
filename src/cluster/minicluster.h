/*
 * minicluster.h: Dispatcher, ResourceManager and TaskExecutors in one process, connected by the
 * in-process RPC transport and the in-process shuffle. The embedded default behind `spate run`
 * and spate_execute.
 *
 * A client submits a job graph's bytes and waits for the result; cancel_job asks the Dispatcher
 * to cancel. Several jobs may run at once.
 */
#ifndef SPATE_CLUSTER_MINICLUSTER_H
#define SPATE_CLUSTER_MINICLUSTER_H
#include "base/config.h"
#include "cluster/job_result.h"
#include "cluster/rpc.h"
#include "runtime/task.h"

typedef struct minicluster minicluster;
typedef struct mc_client mc_client;

/* Starts with `taskmanagers` TaskExecutors of `slots` slots each; task settings from cfg. */
int minicluster_start(int taskmanagers, int slots, const task_config *cfg, minicluster **out);
/* The same with the process's configuration conf (NULL: defaults): its metrics (one registry,
 * the JobManager's and every TaskManager's groups in it) are scoped by metrics.scope.* and
 * reported by the reporters it configures (metrics.reporter.*). With rest.bind-port set, the
 * MiniCluster also serves the REST API there (rest.bind-address, ...), as a JobManager does,
 * through the REST hooks the program set (cluster/standalone.h); SPATE_EINVAL without them,
 * SPATE_EIO if the port cannot be bound (the reason logged). */
int minicluster_start_with(int taskmanagers, int slots, const task_config *cfg,
                           const sp_config *conf, minicluster **out);
/* The MiniCluster's metric registry (its REST endpoint's metrics read it). */
struct metric_registry *minicluster_metrics(minicluster *mc);
/* Cancels what still runs and stops every component (and the REST endpoint). */
void minicluster_stop(minicluster *mc);
/* The transport the components talk over (tests send them messages of their own on it). */
rpc_service *minicluster_rpc(minicluster *mc);
/* Submits encoded job graph bytes; returns a client to wait on. With a listener, the job's
 * events (spate.h, spate_job_event) reach it on the client's thread, in order. */
int minicluster_submit(minicluster *mc, const void *bytes, size_t len, const char *job_id,
                       spate_job_listener listener, void *listener_arg, mc_client **out);
void minicluster_cancel(mc_client *c);
/* Triggers a savepoint of the client's job and waits for it (see spate_job_client_savepoint;
 * stop and drain: spate_job_client_stop_with_savepoint). Not to be called concurrently with
 * minicluster_wait on the same client. */
int minicluster_savepoint(mc_client *c, const char *dir, bool stop, bool drain, char *path,
                          size_t path_len, char *err, size_t err_len);
/* Triggers a checkpoint now and waits for it (see spate_job_client_checkpoint); path (may be
 * NULL) gets its directory. Same rules as minicluster_savepoint. */
int minicluster_checkpoint(mc_client *c, int64_t *id, char *path, size_t path_len, char *err,
                           size_t err_len);
/* Waits for the result and frees the client. NULL only if out of memory. */
spate_job_result *minicluster_wait(mc_client *c);
/* Waits up to timeout_ms (< 0: no limit): true with *out set (the client freed) once the job
 * ended, false on timeout (the client stays valid). */
bool minicluster_wait_for(mc_client *c, int64_t timeout_ms, spate_job_result **out);
#endif
