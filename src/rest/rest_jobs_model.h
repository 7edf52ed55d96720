/*
 * rest_jobs_model.h: the plain structs that the cluster fills for the REST endpoint's job,
 * vertex and subtask routes (the operations at the end of rest_cluster_ops, rest_server.h):
 * a vertex with its subtasks' execution attempts (JobVertexDetailsInfo, SubtasksTimesInfo,
 * JobVertexTaskManagersInfo, SubtaskExecutionAttemptDetailsInfo), the job's execution
 * configuration (JobConfigInfo), its exception history (JobExceptionsInfoWithHistory) and user
 * accumulators (JobAccumulatorsInfo and the vertex variants). rest_json_jobs.c turns them into
 * Flink's JSON. Outputs start zeroed; the *_free functions free what the fillers allocated.
 */
#ifndef SPATE_REST_REST_JOBS_MODEL_H
#define SPATE_REST_REST_JOBS_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rest/rest_server.h"

/* One execution attempt of a subtask. */
typedef struct rest_attempt_info {
  int attempt; /* Flink's attemptNumber */
  rest_exec_state state;
  char *tm_id;                          /* its TaskManager's ResourceID (owned), NULL unassigned */
  char *endpoint;                       /* its data endpoint "host:port" (owned), or NULL */
  int64_t timestamps[REST_EXEC_STATES]; /* epoch ms it entered each state, 0 if never */
  rest_io_metrics metrics;              /* 0 today (the metrics part fills them) */
} rest_attempt_info;

typedef struct rest_subtask_info {
  rest_attempt_info current;
  rest_attempt_info *prior; /* earlier attempts' final records, oldest first */
  size_t n_prior;
} rest_subtask_info;

/* One vertex with its subtasks (vertex.tasks counts the current attempts' states). */
struct rest_vertex_details {
  rest_vertex_info vertex; /* vertex.name owned */
  rest_subtask_info *subtasks;
  size_t n_subtasks;
};
/* Sets the vertex's name (copied) and allocates n zeroed subtasks; 0 or SPATE_ENOMEM. */
int rest_vertex_details_init(rest_vertex_details *d, const char *name, size_t n);
/* Copies tm_id and endpoint (either may be NULL) into a; 0 or SPATE_ENOMEM. */
int rest_attempt_set_location(rest_attempt_info *a, const char *tm_id, const char *endpoint);
/* Allocates n zeroed prior attempts of s; 0 or SPATE_ENOMEM. */
int rest_subtask_alloc_prior(rest_subtask_info *s, size_t n);
void rest_vertex_details_free(rest_vertex_details *d);

/* One key of a job's user-config. */
typedef struct rest_config_entry {
  char *key, *value;
} rest_config_entry;

/* GET /jobs/:jobid/config. */
struct rest_job_config {
  char *name;             /* the job's (owned) */
  char *restart_strategy; /* described (owned), or NULL: the cluster's default */
  int parallelism;        /* job-parallelism; -1 when the job sets none */
  bool object_reuse;
  rest_config_entry *user_config; /* the keys the job's configuration sets (owned) */
  size_t n, cap;
};
/* Appends key = value (both copied); 0 or SPATE_ENOMEM. */
int rest_job_config_add(rest_job_config *c, const char *key, const char *value);
void rest_job_config_free(rest_job_config *c);

/* One failure of the exception history. */
typedef struct rest_exception {
  char *name;       /* exceptionName (owned) */
  char *stacktrace; /* "name: message" (owned) */
  char *task;       /* "name (i/p)", or NULL for a failure of the job as a whole (owned) */
  char *endpoint;   /* "host:port" of its TaskManager, or NULL (owned) */
  char *tm_id;      /* its TaskManager's ResourceID, or NULL (owned) */
  int64_t timestamp;
  struct rest_exception *concurrent; /* only in roots */
  size_t n_concurrent, cap_concurrent;
} rest_exception;

struct rest_exception_history {
  rest_exception *entries; /* newest first */
  size_t n, cap;
  bool truncated; /* older failures were dropped (web.exception-history-size) */
};
/* Appends a root failure (or, with root set, a concurrent one of root), copying the strings
 * (task, endpoint, tm_id may be NULL); NULL when out of memory. */
rest_exception *rest_exception_add(rest_exception_history *h, rest_exception *root,
                                   const char *name, const char *stacktrace, const char *task,
                                   const char *endpoint, const char *tm_id, int64_t timestamp);
void rest_exception_history_free(rest_exception_history *h);

/* One user accumulator: Flink's {name, type, value} (the value as text). */
typedef struct rest_accumulator {
  char *name, *type, *value;
} rest_accumulator;

struct rest_accumulator_list {
  rest_accumulator *items;
  size_t n, cap;
};
/* Appends one (the strings copied); 0 or SPATE_ENOMEM. */
int rest_accumulator_add(rest_accumulator_list *l, const char *name, const char *type,
                         const char *value);
void rest_accumulator_list_free(rest_accumulator_list *l);
#endif
