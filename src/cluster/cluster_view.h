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

#include "checkpoint/checkpoint_stats.h"
#include "graph/stream_graph.h"
#include "runtime/task.h"

/* Flink's JobStatus names a view keeps: CREATED .. RESTARTING as the JobMaster's. */
#define CV_MAX_STATUS 16

typedef struct cv_vertex {
  char *name;
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
  ckpt_stats *checkpoints; /* the job's checkpoint statistics (a reference), or NULL */
} cv_job;

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

/* ---- readers: lock, read jobs/tms, unlock ---- */
static inline void cluster_view_lock(cluster_view *v) { pthread_mutex_lock(&v->mu); }
static inline void cluster_view_unlock(cluster_view *v) { pthread_mutex_unlock(&v->mu); }
/* The job with this id, or NULL; under the lock. */
cv_job *cluster_view_find(cluster_view *v, const char *job_id);
/* The checkpoint statistics of the job with this id with a reference for the caller (drop it
 * with ckpt_stats_unref), or NULL (*found tells whether the job is known). Takes the lock. */
ckpt_stats *cluster_view_checkpoint_stats(cluster_view *v, const char *job_id, bool *found);
#endif
