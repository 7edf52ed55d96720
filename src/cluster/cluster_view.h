/*
 * cluster_view.h: what a JobManager shows of itself to readers on other threads (its REST
 * endpoint): the jobs (name, status and when each status began, subtasks per state and vertex,
 * the plan, the result once ended) and the registered TaskManagers with their slots.
 *
 * The components write it as they change (JobMasters at each status and subtask switch, the
 * ResourceManager at each registration, loss and slot change); readers lock it, copy what they
 * need and unlock. Writes are rare (state switches, not records), so one mutex is enough.
 * A MiniCluster has no view: every writer takes NULL as "nothing to update".
 */
#ifndef SPATE_CLUSTER_CLUSTER_VIEW_H
#define SPATE_CLUSTER_CLUSTER_VIEW_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/config.h"
#include "checkpoint/checkpoint_stats.h"
#include "graph/stream_graph.h"
#include "runtime/task.h"

/* Flink's JobStatus names a view keeps: CREATED .. RESTARTING as the JobMaster's. */
#define CV_MAX_STATUS 16

typedef struct cv_vertex {
  char id[33]; /* Flink's JobVertexID (jobgraph_vertex_id) */
  char *name;
  char *operator_ids; /* the OperatorIDs of its chain (jobgraph_operator_id), 32 hex digits each,
                         concatenated: what POST /jobs/:jobid/coordinators/:operatorid finds */
  int parallelism, max_parallelism;
  int tasks[TS_FAILED + 1]; /* subtasks per task_state */
  int64_t start_ms, end_ms; /* first RUNNING, last terminal (-1: not yet) */
} cv_vertex;

typedef struct cv_job {
  char id[33];
  char *name;
  char status[24];          /* Flink's JobStatus name */
  int64_t start_ms, end_ms; /* end -1 while it runs */
  int64_t last_modification_ms;
  struct {
    char status[24];
    int64_t at_ms;
  } history[CV_MAX_STATUS]; /* when each status was first entered */
  int nhistory;
  cv_vertex *vertices;
  int nvertices;
  char *plan_json;
  bool done;
  bool stoppable; /* every source can be stopped (Spate: always) */
  char *failure;  /* why it failed, when done and FAILED */
  int64_t runtime_ms;
  task_state *exec; /* per global subtask index, the current attempt's state */
  int ntasks;
  /* ---- the REST endpoint's jobs part (cluster_view_tasks.c, cluster_view_failures.c) ---- */
  struct cv_subtask *subtasks; /* per global subtask index: its attempts */
  struct cv_failure *failures; /* exception history, oldest first, at most
                                   cluster_view.exception_history roots */
  int nfailures;
  bool failures_truncated; /* older roots were dropped */
  char *restart_strategy;  /* the JobMaster's restart strategy, described; NULL: not yet */
  int parallelism;         /* parallelism.default of the job's configuration, -1 unset */
  char **config_kv;        /* the keys the job's configuration sets: key, value, ... */
  int nconfig;
  ckpt_stats *checkpoints; /* the job's checkpoint statistics (a reference), or NULL */
} cv_job;

/* Previous attempts kept per subtask (the oldest are dropped beyond). */
#define CV_MAX_PRIOR_ATTEMPTS 8

/* One execution attempt of a subtask (Flink's Execution, as the REST endpoint shows it). */
typedef struct cv_attempt {
  int number;       /* Flink's attemptNumber: 0, then one more per restart of this subtask */
  task_state state; /* its current (or, for a prior attempt, final) state */
  char *tm_id;      /* the TaskManager's RPC address (cv_taskmanager.address; REST shows the id
                       rest/jobmanager_rest_tm.h derives from it), or NULL while unassigned */
  char *endpoint;   /* that TaskManager's data server "host:port", or NULL */
  int64_t ts[TS_FAILED + 1]; /* epoch ms when it entered each state, 0 if never */
} cv_attempt;

typedef struct cv_subtask {
  cv_attempt cur;
  cv_attempt prior[CV_MAX_PRIOR_ATTEMPTS]; /* earlier attempts' final records, oldest first */
  int nprior;
} cv_subtask;

/* A failure of the job: a subtask's (task set) or the job's as a whole. Failures that arrive
 * while the failover of a root failure is still on (until the next deployment) are that root's
 * concurrent failures, as Flink's exception history groups them. */
typedef struct cv_failure {
  char *message;
  char *task;     /* "name (i/p)", or NULL for a failure of the job as a whole */
  char *location; /* the subtask's TaskManager's data endpoint "host:port", or NULL */
  char *tm_id;    /* its TaskManager's ResourceID, or NULL */
  int64_t at_ms;
  struct cv_failure *concurrent; /* only in roots; at most exception history size of them */
  int nconcurrent;
} cv_failure;

typedef struct cv_taskmanager {
  char *address; /* RPC address */
  char *data;    /* data server "host:port" ("" none) */
  int slots, free_slots;
  int64_t last_heartbeat_ms; /* epoch ms */
} cv_taskmanager;

typedef struct cluster_view {
  pthread_mutex_t mu;     /* guards everything below */
  pthread_cond_t changed; /* broadcast when a job ends */
  cv_job *jobs;
  int njobs;
  cv_taskmanager *tms;
  int ntms;
  int exception_history; /* web.exception-history-size: root failures kept per job (16) */
} cluster_view;

int cluster_view_create(cluster_view **out);
void cluster_view_free(cluster_view *v);

/* ---- writers (each takes the lock; NULL view: nothing) ---- */
/* A job was accepted (status CREATED until the JobMaster sets another); nothing if a job with
 * its id is shown and has not ended. */
void cv_job_added(cluster_view *v, const job_graph *jg, int64_t now_ms);
void cv_job_status(cluster_view *v, const char *job_id, const char *status, int64_t now_ms);
/* A subtask (vertex v, subtask s) switched from `from` to `to` (a new attempt starts every
 * subtask at TS_CREATED again: cv_job_new_attempt). */
void cv_task_state(cluster_view *v, const char *job_id, int vertex, int subtask, task_state to,
                   int64_t now_ms);
void cv_job_new_attempt(cluster_view *v, const char *job_id);
/* The job ended: its final status, runtime and failure (may be NULL). */
void cv_job_done(cluster_view *v, const char *job_id, const char *status, int64_t runtime_ms,
                 const char *failure, int64_t now_ms);
/* The job's checkpoint statistics, which its JobMaster's coordinator writes (the view keeps a
 * reference, so they stay readable after the JobMaster is gone). */
void cv_job_checkpoint_stats(cluster_view *v, const char *job_id, ckpt_stats *st);
/* Marks every job not ended as ended with status (the JobManager shuts down), waking waiters. */
void cv_job_done_all(cluster_view *v, const char *status, int64_t now_ms);
/* The ResourceManager's TaskManagers now (replaces the list). */
void cv_taskmanagers_begin(cluster_view *v);
void cv_taskmanager_add(cluster_view *v, const char *address, const char *data, int slots,
                        int free_slots, int64_t last_heartbeat_ms);
void cv_taskmanagers_end(cluster_view *v);

/* ---- writers of the REST endpoint's jobs part (cluster_view_tasks.c, cluster_view_failures.c,
 * cluster_view.c) ---- */
/* Subtask (vertex, subtask) of the current attempt was deployed to the TaskManager tm_id (its
 * ResourceID) whose data server is endpoint ("host:port"; "" or NULL: none). */
void cv_task_deployed(cluster_view *v, const char *job_id, int vertex, int subtask,
                      const char *tm_id, const char *endpoint);
/* Records a failure: of subtask (vertex, subtask) of its current attempt, or of the job as a
 * whole (vertex -1); concurrent: part of the failover of the latest root failure. */
void cv_job_failure(cluster_view *v, const char *job_id, int vertex, int subtask,
                    const char *message, bool concurrent, int64_t now_ms);
/* The job's execution configuration as its JobMaster runs it: its configuration's explicitly
 * set keys and parallelism.default, and its restart strategy described (restart_strategy.h). */
void cv_job_execution_config(cluster_view *v, const char *job_id, const sp_config *job_cfg,
                             const char *restart_strategy);

/* ---- for cluster_view.c (cluster_view_tasks.c, cluster_view_failures.c) ---- */
/* Allocates job->subtasks (every subtask attempt 0, CREATED at now_ms); false if out of memory. */
bool cv_subtasks_init(cv_job *job, int64_t now_ms);
/* The subtask at global index switched to `to`; TS_CREATED after it left CREATED starts its
 * next attempt (the current one becomes a prior one). */
void cv_subtask_switch(cv_job *job, int index, task_state to, int64_t now_ms);
void cv_subtasks_free(cv_job *job);
void cv_failures_free(cv_job *job);

/* ---- readers: lock, read jobs/tms, unlock ---- */
static inline void cluster_view_lock(cluster_view *v) { pthread_mutex_lock(&v->mu); }
static inline void cluster_view_unlock(cluster_view *v) { pthread_mutex_unlock(&v->mu); }
/* The job with this id, or NULL; under the lock. */
cv_job *cluster_view_find(cluster_view *v, const char *job_id);
/* The checkpoint statistics of the job with this id with a reference for the caller (drop it
 * with ckpt_stats_unref), or NULL (*found tells whether the job is known). Takes the lock. */
ckpt_stats *cluster_view_checkpoint_stats(cluster_view *v, const char *job_id, bool *found);
#endif
