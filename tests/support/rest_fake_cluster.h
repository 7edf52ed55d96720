/*
 * rest_fake_cluster.h: a stand-in for the JobManager behind the REST endpoint's operations
 * (rest/rest_server.h): a small table of jobs in fixed states with fixed times, so the HTTP and
 * JSON layer and the CLI can be tested without a cluster. Used by
 * tests/integration/test_rest_server.c and by rest_test_server (the CLI's end-to-end test).
 *
 * The jobs (start times are UTC):
 *   FAKE_JOB_RUNNING    "State machine job"  RUNNING     30.11.2020 16:02:29
 *   FAKE_JOB_RESTARTING "Restarting job"     RESTARTING  30.11.2020 16:05:00
 *   FAKE_JOB_SCHEDULED  "Windowed join"      CREATED     30.11.2020 17:00:00
 *   FAKE_JOB_FINISHED   "WordCount"          FINISHED    30.11.2020 10:00:00, ran 5 s
 *   FAKE_JOB_FAILED     "Failing job"        FAILED      30.11.2020 11:00:00, ran 2 s
 * Savepoints go to "file:<dir>/savepoint-<first 6 of the id>-0123456789ab"; a savepoint or stop
 * without a directory fails (no default is configured); stop ends the job FINISHED, a savepoint
 * with cancel-job CANCELED, cancel CANCELED. Checkpoints are numbered from 26. Disposing of a
 * path containing "missing" fails with SPATE_ENOENT. A submitted JobGraph must begin with
 * "SPATEGRAPH"; the job it makes is RUNNING under a fresh id.
 *
 * A closed gate (fake_cluster_gate) holds every blocking operation (savepoint, stop, checkpoint,
 * disposal) until it is opened, so a test sees IN_PROGRESS for certain.
 */
#ifndef SPATE_TESTS_REST_FAKE_CLUSTER_H
#define SPATE_TESTS_REST_FAKE_CLUSTER_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rest/rest_server.h"

#define FAKE_JOB_RUNNING "cca7bc1061d61cf15238e92312c2fc20"
#define FAKE_JOB_RESTARTING "22222222222222222222222222222222"
#define FAKE_JOB_SCHEDULED "0123456789abcdef0123456789abcdef"
#define FAKE_JOB_FINISHED "fedcba9876543210fedcba9876543210"
#define FAKE_JOB_FAILED "11111111111111111111111111111111"
#define FAKE_MAX_JOBS 32

typedef struct fake_job {
  char id[REST_ID_LEN + 1];
  char name[64];
  rest_job_state state;
  int64_t start, end;
} fake_job;

typedef struct fake_cluster {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  fake_job jobs[FAKE_MAX_JOBS];
  int n_jobs;
  bool gate_closed;
  int blocked;             /* operations waiting at the closed gate */
  int64_t last_checkpoint; /* the id of the last checkpoint taken */
  int shutdowns;
  /* the last submission */
  int submissions;
  void *graph;
  size_t graph_len;
  void *artifact;
  size_t artifact_len;
  size_t n_artifacts;
  /* the last savepoint/stop/checkpoint request */
  char last_format[16];
  bool last_flag;
  rest_checkpoint_type last_checkpoint_type;
} fake_cluster;

extern const rest_cluster_ops fake_cluster_ops;

void fake_cluster_init(fake_cluster *f);
void fake_cluster_destroy(fake_cluster *f);
/* Closes (true) or opens the gate of the blocking operations. */
void fake_cluster_gate(fake_cluster *f, bool closed);
/* The number of operations waiting at the gate now. */
int fake_cluster_blocked(fake_cluster *f);
/* The job's state, or -1. */
int fake_cluster_state(fake_cluster *f, const char *job_id);
/* Waits until DELETE /cluster called shutdown, at most timeout_ms; whether it did. */
bool fake_cluster_await_shutdown(fake_cluster *f, int64_t timeout_ms);
#endif
