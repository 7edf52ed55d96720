/*
 * standalone.h: the processes of a standalone cluster, run in the foreground (what
 * `spate jobmanager start-foreground` and `spate taskmanager start-foreground` execute; the CLI's
 * daemon verbs run them in the background with their output in log files).
 *
 *   JobManager   (Flink's StandaloneSessionClusterEntrypoint, daemon "standalonesession"):
 *                Dispatcher, ResourceManager, JobMasters, the BlobServer and the REST endpoint,
 *                listening for RPC on jobmanager.rpc.address:jobmanager.rpc.port.
 *   TaskManager  (Flink's TaskManagerRunner, daemon "taskexecutor"): one TaskExecutor with
 *                taskmanager.numberOfTaskSlots slots and a data (shuffle) server; registers at
 *                the JobManager and registers again whenever it lost it.
 *
 * Both run until SIGTERM or SIGINT (or, for the JobManager, DELETE /cluster; in application
 * mode, the end of its job), then shut down cleanly and return the process exit code.
 */
#ifndef SPATE_CLUSTER_STANDALONE_H
#define SPATE_CLUSTER_STANDALONE_H
#include "base/config.h"

/* What an application-mode JobManager (`spate standalone-job`) runs: its job's shared object
 * and arguments, the fixed or given job id, and a savepoint to start from. */
typedef struct standalone_job {
  const char *job_path;    /* the job's shared object */
  const char *job_id;      /* 32 hex digits, or NULL: 00000000000000000000000000000000 */
  const char *savepoint;   /* -s, or NULL */
  bool allow_non_restored; /* -n */
  int argc;
  char **argv;
} standalone_job;

struct jm_gateway;
/* What the layers above the cluster add to a JobManager process (set once at start by the CLI,
 * which knows them): its REST endpoint, and running an application-mode job's spate_main. */
typedef struct standalone_hooks {
  /* Starts the REST endpoint on gw (rest.bind-address, rest.port); *port the bound port. */
  int (*rest_start)(const sp_config *cfg, struct jm_gateway *gw, void **handle, int *port,
                    char *err, size_t err_len);
  void (*rest_stop)(void *handle);
  /* Runs the job's program against this JobManager (its spate_execute submits through gw) and
   * returns once its job ended: 0 if it finished, cancelled or stopped; else non-zero. */
  int (*run_job)(const sp_config *cfg, const standalone_job *job, struct jm_gateway *gw);
} standalone_hooks;
void standalone_set_hooks(const standalone_hooks *h);
/* The hooks set (all NULL before): a MiniCluster asked to serve REST uses rest_start too. */
const standalone_hooks *standalone_get_hooks(void);

/* Runs a JobManager until it is told to stop; job (may be NULL) makes it an application-mode
 * JobManager that runs that job and shuts down when it ends. Returns the exit code (0: clean
 * shutdown; in application mode 0 only if the job finished or was cancelled/stopped). */
int standalone_jobmanager_run(const sp_config *cfg, const standalone_job *job);
/* Runs a TaskManager until it is told to stop; returns the exit code. */
int standalone_taskmanager_run(const sp_config *cfg);
/* Asks the running JobManager or TaskManager of this process to shut down (as SIGTERM does);
 * async-signal-safe. */
void standalone_request_shutdown(void);
#endif
