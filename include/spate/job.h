/*
 * job.h: running a job and what it returns (Flink's JobClient and JobExecutionResult):
 * spate_execute and its asynchronous form, the job client (status, cancel, checkpoints,
 * savepoints, job events), the result (status, error, checkpoint statistics, collected rows).
 * Included by spate.h (a job includes spate.h only); it builds on spate.h's environment and
 * streams above it.
 */
#ifndef SPATE_JOB_H
#define SPATE_JOB_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Execution. */
typedef enum spate_job_status {
  SPATE_JOB_FINISHED = 0,
  SPATE_JOB_FAILED = 1,
  SPATE_JOB_CANCELED = 2,
  SPATE_JOB_PLANNED = 3,  /* `spate info`: the plan was printed, nothing ran */
  SPATE_JOB_DETACHED = 4, /* `spate run -d`: submitted to a cluster, its end not awaited */
} spate_job_status;

typedef struct spate_job_result spate_job_result;
typedef struct spate_job_client spate_job_client;

/* Events of a running job, for programs that watch it (tests, tools): the job's status switches
 * (Flink's JobStatus names: RUNNING, RESTARTING, FAILING, FAILED, CANCELLING, CANCELED,
 * FINISHED), every subtask's state switches (Flink's ExecutionState names), and checkpoints and
 * savepoints that are triggered (Flink's pending checkpoint: its timestamp, which the checkpoint
 * timeout and the aligned-checkpoint timeout count from, is fixed then), complete or fail. */
typedef enum spate_job_event_type {
  SPATE_EVENT_JOB_STATUS = 1,
  SPATE_EVENT_TASK_STATE = 2,
  SPATE_EVENT_CHECKPOINT_COMPLETED = 3,
  SPATE_EVENT_CHECKPOINT_FAILED = 4,
  SPATE_EVENT_CHECKPOINT_TRIGGERED = 5,
} spate_job_event_type;
typedef struct spate_job_event {
  spate_job_event_type type;
  const char *job_id;
  const char *state;     /* JOB_STATUS, TASK_STATE: the new state */
  const char *task;      /* TASK_STATE: "name (i/p)" */
  int vertex, subtask;   /* TASK_STATE: the job vertex (0-based) and subtask */
  int attempt;           /* the job's execution attempt (0, then one more per restart) */
  int64_t checkpoint_id; /* CHECKPOINT_*: its id */
  bool savepoint;        /* CHECKPOINT_*: a savepoint */
  const char *path;      /* CHECKPOINT_TRIGGERED, _COMPLETED: its directory */
  const char *message;   /* CHECKPOINT_FAILED: why; TASK_STATE FAILED and JOB_STATUS FAILED: the
                            failure (else NULL) */
} spate_job_event;
/* Called for every event of a job, one at a time and in order, on a thread of the cluster's; the
 * event and its strings are valid during the call only. It must return quickly and must not
 * call the job's client. */
typedef void (*spate_job_listener)(void *arg, const spate_job_event *e);
/* The listener of the jobs this environment executes from now on (fn NULL: none). */
void spate_env_set_job_listener(spate_env *env, spate_job_listener fn, void *arg);

/* Runs the job to completion on the embedded MiniCluster. Never NULL except out of memory.
 * An environment runs its job once: as in Flink, which clears the transformations when execute
 * takes them, a second call (or a call with no operators) fails with "No operators defined in
 * streaming topology. Cannot execute." and operators added after the first call are refused. */
spate_job_result *spate_execute(spate_env *env, const char *job_name);
/* Executes the job (as spate_execute), frees the environment, and returns the process's exit
 * code: 0 when the job finished (or `spate info` printed its plan, or `spate run -d` submitted
 * it), else 1 after writing why on stderr as "<job name>: the job failed: <message>" (a build
 * error kept on the environment, or the job's failure) or "<job name>: the job was canceled".
 * Under `spate run` the CLI reports a failure itself, so nothing more is written. env may be
 * NULL (spate_env_create ran out of memory): 1. As every builder call accepts a NULL stream and
 * keeps the first error, a spate_main can be written without error checks:
 *     int spate_main(int argc, char **argv) {
 *       spate_env *env = spate_env_create();
 *       spate_stream *s = spate_from_sequence(env, 1, 100);
 *       spate_print(spate_sum_name(spate_key_by_name(s, "value"), "value"), NULL);
 *       return spate_execute_main(env, "sums");
 *     } */
int spate_execute_main(spate_env *env, const char *job_name);
/* Submits the job and returns at once; NULL and an env error if it could not be submitted (the
 * same rules as spate_execute). */
spate_job_client *spate_execute_async(spate_env *env, const char *job_name);
const char *spate_job_client_id(const spate_job_client *c);
/* Requests cancellation; returns at once. */
void spate_job_client_cancel(spate_job_client *c);
/* Waits for the end of the job, frees the client and returns the result. */
spate_job_result *spate_job_client_wait(spate_job_client *c);
/* Waits at most timeout_ms (real time) for the end of the job: the result (the client freed), or
 * NULL if the job still runs (the client stays valid). */
spate_job_result *spate_job_client_wait_for(spate_job_client *c, int64_t timeout_ms);
/* Triggers a checkpoint now (Flink's `flink checkpoint <job id>`) into the job's checkpoint
 * directory (state.checkpoints.dir, else $TMPDIR/spate-checkpoints) and waits for it; *id (may
 * be NULL) gets its id. It counts like a periodic checkpoint. Returns 0 or a negative code with
 * the reason in err. */
int spate_job_client_checkpoint(spate_job_client *c, int64_t *id, char *err, size_t err_len);
/* Triggers a savepoint into dir (NULL: state.savepoints.dir) and waits for it; on success
 * writes the savepoint's directory into path. With stop set the job then stops (Flink's
 * stop-with-savepoint: sources end, the job finishes). Returns 0 or a negative code with the
 * reason in err. */
int spate_job_client_savepoint(spate_job_client *c, const char *dir, bool stop, char *path,
                               size_t path_len, char *err, size_t err_len);
/* Stops the job with a savepoint into dir (NULL: state.savepoints.dir) and waits for the
 * savepoint (Flink's JobClient.stopWithSavepoint, `flink stop [--drain]`); on success writes its
 * directory into path, and the job then finishes. Without drain it is spate_job_client_savepoint
 * with stop: the sources end right after the savepoint's barrier, and event-time windows and
 * timers that have not fired stay in the savepoint (a job resumed from it fires them when its
 * watermark passes). With drain (FLIP-34) the sources first emit the end of event time
 * (MAX_WATERMARK): every event-time timer fires and every window flushes into the output before
 * the savepoint is taken, which then holds no pending windows or event-time timers; use it when
 * the job is not meant to be resumed. Returns 0 or a negative code with the reason in err. */
int spate_job_client_stop_with_savepoint(spate_job_client *c, const char *dir, bool drain,
                                         char *path, size_t path_len, char *err, size_t err_len);

spate_job_status spate_job_result_status(const spate_job_result *r);
const char *spate_job_status_name(spate_job_status s);
const char *spate_job_result_error(const spate_job_result *r); /* NULL unless FAILED */
const char *spate_job_result_id(const spate_job_result *r);    /* 32 hex digits */
int64_t spate_job_result_runtime_ms(const spate_job_result *r);
size_t spate_job_result_num_operators(const spate_job_result *r);
const char *spate_job_result_operator(const spate_job_result *r, size_t i);
uint64_t spate_job_result_records_in(const spate_job_result *r, size_t i);
uint64_t spate_job_result_records_out(const spate_job_result *r, size_t i);
/* Nanoseconds subtasks of operator i's chain waited for an output buffer (backpressure). */
uint64_t spate_job_result_backpressure_ns(const spate_job_result *r, size_t i);
/* Checkpoints the job completed (all attempts), restarts it went through, and per completed
 * checkpoint i (0 = first): id, end-to-end duration, the slowest subtask's synchronous and
 * asynchronous parts, the longest alignment, and the state size in bytes. */
size_t spate_job_result_num_checkpoints(const spate_job_result *r);
int spate_job_result_restarts(const spate_job_result *r);
typedef struct spate_checkpoint_stats {
  int64_t id;
  int64_t duration_ms, sync_ms, async_ms, alignment_ms;
  uint64_t state_size;
  bool unaligned;
} spate_checkpoint_stats;
const spate_checkpoint_stats *spate_job_result_checkpoint(const spate_job_result *r, size_t i);
/* Rows collected by spate_collect(name); *rows valid until the result is freed. */
size_t spate_job_result_collected(const spate_job_result *r, const char *name,
                                  const spate_row **rows, const spate_schema **schema);
void spate_job_result_free(spate_job_result *r);

#ifdef __cplusplus
}
#endif
#endif
