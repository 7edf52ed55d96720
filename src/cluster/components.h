/*
 * components.h: the cluster components, each an RPC endpoint (rpc.h) with state touched only by
 * its own thread:
 *   ResourceManager  "resourcemanager"   slot registry: TaskExecutors register their slots,
 *                                         JobMasters request and release them; in a standalone
 *                                         cluster also heartbeats and lost TaskManagers.
 *   TaskExecutor     "taskexecutor-N"    runs tasks in its slots and reports their states.
 *   Dispatcher       "dispatcher"        accepts jobs, starts one JobMaster per job, hands the
 *                                         result to the submitter.
 *   JobMaster        "jobmaster-<id>"    schedules one job: asks for slots, deploys subtasks,
 *                                         tracks their states, fails or cancels the job as a
 *                                         whole, and assembles the result.
 * They talk only through messages.h, so the MiniCluster (all in one process) and a standalone
 * cluster (over TCP) use the same components. Addresses a component hands to others are
 * qualified (rpc_address_of): "host:port/name" in a standalone cluster, the bare name in a
 * MiniCluster.
 */
#ifndef SPATE_CLUSTER_COMPONENTS_H
#define SPATE_CLUSTER_COMPONENTS_H
#include "cluster/heartbeat_monitor.h"
#include "cluster/rpc.h"
#include "runtime/shuffle_env.h"
#include "runtime/task.h"

typedef struct resource_manager resource_manager;
typedef struct rm_options {
  int64_t slot_wait_ms;          /* how long a slot request may wait (0: refused at once) */
  int64_t heartbeat_interval_ms; /* 0: no heartbeats (MiniCluster) */
  int64_t heartbeat_timeout_ms;
  int heartbeat_failure_threshold; /* heartbeat.rpc-failure-threshold (<= 0: off) */
  struct cluster_view *view;       /* TaskManagers and slots for the REST endpoint, or NULL */
} rm_options;
/* opt NULL: a MiniCluster's (no waiting, no heartbeats). */
int rm_start(rpc_service *rpc, const rm_options *opt, resource_manager **out);
void rm_stop(resource_manager *rm);

typedef struct task_executor task_executor;
typedef struct te_options {
  const char *rm_address;          /* the ResourceManager (NULL: RM_ADDRESS of this process) */
  const char *data_address;        /* this TaskManager's data server, or NULL (in-process only) */
  const char *blob_dir;            /* where fetched artifacts are cached (NULL: none are fetched) */
  int64_t heartbeat_interval_ms;   /* registration retries and heartbeat checks; 0: neither */
  int64_t heartbeat_timeout_ms;    /* no heartbeat from the ResourceManager (or from a JobMaster
                                    it runs tasks for) this long: it is lost */
  int heartbeat_failure_threshold; /* heartbeat.rpc-failure-threshold (<= 0: off) */
  /* metrics (issue 11): the TaskManager's metric group; each task's groups go under it while
   * the task runs (cluster/task_metric_groups.h). NULL: tasks are not registered. */
  struct metric_group *metrics;
} te_options;
/* Starts "taskexecutor-<index>" and registers its slots with the ResourceManager (opt NULL: a
 * MiniCluster's, registered once, nothing watched). With heartbeats it registers until taken,
 * answers heartbeats, and when it loses the JobManager (heartbeat timeout or a closed
 * connection) cancels its tasks and registers again. */
int te_start(rpc_service *rpc, shuffle_env *shuffle, int index, int slots, const task_config *cfg,
             const te_options *opt, task_executor **out);
/* Cancels and joins every task, then stops. */
void te_stop(task_executor *te);

typedef struct dispatcher dispatcher;
/* blob_server: the BlobServer's "host:port" that JobMasters hand TaskExecutors, or NULL; view:
 * what the JobMasters keep up to date for the REST endpoint, or NULL. */
int dispatcher_start(rpc_service *rpc, const char *blob_server, struct cluster_view *view,
                     dispatcher **out);
/* The failover strategy of the cluster's configuration, for jobs that set none (before the
 * first job arrives). */
int dispatcher_set_failover_strategy(dispatcher *d, const char *strategy);
/* The cluster's web.checkpoints.history: the checkpoint statistics' history length of jobs that
 * do not set their own (Flink reads the key from the JobManager's configuration). */
void dispatcher_set_checkpoint_history(dispatcher *d, int history);
/* The heartbeats between its JobMasters and their TaskExecutors (heartbeat.*; before the first
 * job arrives). Without this call JobMasters send none (a MiniCluster). */
void dispatcher_set_heartbeats(dispatcher *d, const hb_settings *hb);
/* The JobManager's metric group its JobMasters register their jobs' metrics under (before the
 * first job arrives; without this call jobs register none). */
void dispatcher_set_metrics(dispatcher *d, struct metric_group *jm_group);
void dispatcher_stop(dispatcher *d);

typedef struct job_master job_master;
/* What a JobMaster gets from the Dispatcher besides the job: where TaskExecutors get the job's
 * shared object (the BlobServer's key and address, or, both NULL/"", the path the job graph
 * names, in the same process), and the view it keeps up to date (NULL: none). */
typedef struct jm_context {
  const char *blob_key;
  const char *blob_server;
  struct cluster_view *view;
  const char *failover_strategy; /* the cluster's jobmanager.execution.failover-strategy for
                                    jobs that do not set one (NULL: region) */
  int checkpoint_history;        /* the cluster's web.checkpoints.history for jobs that do not
                                    set one (0: the key's default) */
  hb_settings heartbeats;        /* with the TaskExecutors that hold its slots (interval 0:
                                    none) */
  struct metric_group *metrics;  /* the JobManager's metric group: the job's metrics go under
                                    it (cluster/job_metrics.h); NULL: none */
} jm_context;
/* Takes ownership of the decoded graph; bytes are copied (they are what TaskExecutors get).
 * client (may be NULL) is the address that gets the job's events (MSG_JOB_EVENT). */
int jm_start(rpc_service *rpc, job_graph *jg, const void *bytes, size_t len, const char *client,
             const jm_context *ctx, job_master **out);
void jm_stop(job_master *jm);
#endif
