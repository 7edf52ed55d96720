/*
 * components.h: the cluster components, each an RPC endpoint (rpc.h) with state touched only by
 * its own thread:
 *   ResourceManager  "resourcemanager"   slot registry: TaskExecutors register their slots,
 *                                         JobMasters request and release them.
 *   TaskExecutor     "taskexecutor-N"    runs tasks in its slots and reports their states.
 *   Dispatcher       "dispatcher"        accepts jobs, starts one JobMaster per job, hands the
 *                                         result to the submitter.
 *   JobMaster        "jobmaster-<id>"    schedules one job: asks for slots, deploys subtasks,
 *                                         tracks their states, fails or cancels the job as a
 *                                         whole, and assembles the result.
 * They talk only through messages.h, so the MiniCluster (all in one process) and a standalone
 * cluster (over TCP) use the same components.
 */
#ifndef SPATE_CLUSTER_COMPONENTS_H
#define SPATE_CLUSTER_COMPONENTS_H
#include "cluster/rpc.h"
#include "runtime/shuffle_env.h"
#include "runtime/task.h"

typedef struct resource_manager resource_manager;
int rm_start(rpc_service *rpc, resource_manager **out);
void rm_stop(resource_manager *rm);

typedef struct task_executor task_executor;
/* Starts "taskexecutor-<index>" and registers its slots with the ResourceManager. */
int te_start(rpc_service *rpc, shuffle_env *shuffle, int index, int slots, const task_config *cfg,
             task_executor **out);
/* Cancels and joins every task, then stops. */
void te_stop(task_executor *te);

typedef struct dispatcher dispatcher;
int dispatcher_start(rpc_service *rpc, dispatcher **out);
void dispatcher_stop(dispatcher *d);

typedef struct job_master job_master;
/* Takes ownership of the decoded graph; bytes are copied (they are what TaskExecutors get).
 * client (may be NULL) is the address that gets the job's events (MSG_JOB_EVENT). */
int jm_start(rpc_service *rpc, job_graph *jg, const void *bytes, size_t len, const char *client,
             job_master **out);
void jm_stop(job_master *jm);
#endif
