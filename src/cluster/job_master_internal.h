/*
 * job_master_internal.h: what the files of one JobMaster share (job_master.c: scheduling,
 * checkpoints' messages, full failover; failover_regions.c: region failover;
 * job_master_heartbeats.c: its TaskExecutors' heartbeats and losses). Not for other
 * components: they talk to a JobMaster only through messages (components.h, messages.h).
 *
 * Everything here runs on the JobMaster's endpoint thread.
 */
#ifndef SPATE_CLUSTER_JOB_MASTER_INTERNAL_H
#define SPATE_CLUSTER_JOB_MASTER_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>

#include "base/clock.h"
#include "checkpoint/coordinator.h"
#include "checkpoint/restore.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/heartbeat_monitor.h"
#include "cluster/job_metrics.h"
#include "cluster/restart_strategy.h"

typedef enum job_status {
  JOB_CREATED,
  JOB_RUNNING,
  JOB_FAILING,
  JOB_FAILED,
  JOB_CANCELLING,
  JOB_CANCELED,
  JOB_FINISHED,
  JOB_RESTARTING,
} job_status;

typedef struct execution {
  task_state state;
  const char *te;  /* TaskExecutor address once deployed (jm->slot_te's string), else NULL */
  int attempt;     /* the attempt it was deployed as: the job's, or its region's last restart */
  uint8_t *report; /* final report */
  size_t report_len;
} execution;

struct job_master {
  rpc_service *rpc;
  rpc_endpoint *ep;
  char name[48];                /* the endpoint's name: "jobmaster-<job id>" */
  char *address;                /* as other processes reach it */
  char *blob_key, *blob_server; /* the artifact (jm_context), or NULL */
  cluster_view *view;           /* kept up to date for the REST endpoint, or NULL */
  struct job_metrics *metrics;  /* the job's metrics on the JobManager (job_metrics.h), or NULL */
  int checkpoint_history;       /* the cluster's web.checkpoints.history (jm_context) */
  char *failover_default;       /* the cluster's failover strategy (jm_context), or NULL */
  job_graph *jg;
  uint8_t *bytes;
  size_t len;
  job_status status;
  execution **exec; /* [vertex][subtask] */
  int remaining;    /* executions not yet terminal */
  int64_t start_ms;
  char *error; /* first failure */
  bool done;
  int attempt; /* execution attempt: 0, then one more per restart */
  int restarts;
  int ntasks;       /* subtasks of all vertices */
  char **slot_te;   /* slot assignment per task index (TaskExecutor addresses), kept across
                       restarts unless a TaskManager was lost */
  char **slot_data; /* the data server of each task's TaskExecutor ("" in a MiniCluster) */
  int *slot_no;
  bool slots_lost; /* a TaskManager with slots of this job was lost: ask for slots again */
  /* region failover (jobmanager.execution.failover-strategy: region): the pipelined region of
   * each task (global index), and per region whether it is being restarted */
  bool region_mode;
  int *region, nregions;
  bool *region_restarting;
  int *region_token; /* which scheduled MSG_RESTART_REGION is the current one */
  int64_t *region_restart_at;
  int regions_restarting;
  restart_strategy *restart;
  ckpt_coord *coord;             /* the checkpoint coordinator */
  char restore_from[4096];       /* execution.savepoint.path, resolved to a checkpoint directory */
  char restore_dir[4096];        /* what the current attempt restores ("" none) */
  char *restore_uri;             /* execution.savepoint.path as given (NULL: none) */
  ckpt_restore_bad bad_restores; /* checkpoints a subtask found corrupt */
  int64_t restart_at;            /* when the restart being prepared is due (clock_deadline_ms) */
  bool final_commits;  /* a two-phase-commit sink committed its last output (end of input) */
  char *client;        /* where job events go (spate_job_listener), or NULL */
  bool awaiting_slots; /* slots were requested and not offered yet */
  hb_monitor hb;       /* the TaskExecutors that hold the job's slots (jm_context) */
  hb_monitor hb_rm;    /* the ResourceManager, which heartbeats this JobMaster */
  /* a root failure was recorded in the view's exception history and its failover has not
   * deployed anything yet: later failures are its concurrent ones */
  bool failover_open;
};

/* Processing time of the cluster (a manual clock in tests): checkpoint timestamps, min pause,
 * restart strategies. Durations reported in statistics are measured on the monotonic clock. */
static inline int64_t clock_now(const job_master *jm) {
  return sp_clock_now(rpc_service_clock(jm->rpc));
}
/* The cluster clock's deadline time in ms (monotonic on the system clock), as delayed messages
 * are due on it. */
static inline int64_t clock_deadline_ms(const job_master *jm) {
  return sp_clock_mono_ns(rpc_service_clock(jm->rpc)) / 1000000;
}

static inline int task_index(const job_master *jm, int v, int s) {
  int k = 0;
  for (int i = 0; i < v; i++) k += jm->jg->vertices[i].parallelism;
  return k + s;
}

/* job_master.c */
/* Records a subtask's switch to `to` (terminal states are final). */
void jm_exec_switch(job_master *jm, int v, int s, task_state to);
/* Cancels subtask (v, s) unless it ended: CANCELING and MSG_CANCEL_TASK to its TaskExecutor, or
 * CANCELED at once when it was never deployed or the cancel cannot be sent. */
void jm_cancel_execution(job_master *jm, int v, int s);
/* Each TaskExecutor that ran a subtask of the attempt drops that attempt's partitions. */
void jm_release_attempt(job_master *jm, int attempt);
/* Deploys the subtasks of a region (-1: all) as attempt jm->attempt. */
void jm_deploy_region(job_master *jm, int region);
/* A failure of the running job: restart if the strategy allows, else fail the job. */
void jm_fail_job(job_master *jm, const char *why);
/* Records a subtask's switch, why: the failure, when it failed. */
void jm_exec_switch_why(job_master *jm, int v, int s, task_state to, const char *why);
/* Every subtask is terminal: finish the job, or restart it once the backoff has passed. */
void jm_all_terminal(job_master *jm);

/* job_master_heartbeats.c */
/* Schedules the first heartbeat round (if heartbeats are on). */
void jm_heartbeats_start(job_master *jm);
/* Monitors the TaskExecutors of the slots just offered (and no others). */
void jm_heartbeats_watch(job_master *jm);
/* MSG_TM_LOST, MSG_JM_HB_TICK, MSG_JM_HEARTBEAT_REPLY and MSG_UNDELIVERED. */
void jm_taskmanager_message(job_master *jm, uint32_t type, sp_reader *r);

/* failover_regions.c */
/* Computes the pipelined regions of the job's subtasks (jm->region, jm->nregions) and allocates
 * the per-region restart state: 0 or SPATE_ENOMEM. */
int jm_compute_regions(job_master *jm);
/* Restarts region r once its subtasks all ended and its backoff is over. */
void jm_region_check_done(job_master *jm, int r);
/* A subtask failed: restart its region, or fail the job over. */
void jm_fail_task(job_master *jm, int v, int s, const char *why);
/* MSG_RESTART_REGION: region r's backoff (scheduled as `token`) is over. */
void jm_on_restart_region(job_master *jm, int32_t r, int32_t token);
#endif
