/*
 * task.h: one subtask of a job vertex running in its own thread.
 *
 * The thread builds the vertex's operator chain (operators call each other directly), connects
 * record writers to result partitions and input gates to the producers' partitions through the
 * shuffle environment, then runs the mailbox loop: run control mails (mailbox.h), move input
 * elements into the head operator (or poll the source), flush output buffers when the buffer
 * timeout has passed, and park on its event when there is nothing to do. When every input
 * channel has delivered END_OF_PARTITION (or the source is exhausted) it ends the operators'
 * input in chain order, sends END_OF_PARTITION downstream, and finishes.
 *
 * Every state switch is logged like Flink's and reported to the listener from the task thread;
 * the final one carries the error message, per-operator metrics and collected rows.
 */
#ifndef SPATE_RUNTIME_TASK_H
#define SPATE_RUNTIME_TASK_H
#include <pthread.h>
#include <stdatomic.h>
#include "base/bytes.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/sync.h"
#include "graph/stream_graph.h"
#include "runtime/element.h"
#include "runtime/shuffle_env.h"
#include "state/snapshot.h"

typedef enum task_state {
  TS_CREATED = 0,
  TS_SCHEDULED,
  TS_DEPLOYING,
  TS_RUNNING,
  TS_FINISHED,
  TS_CANCELING,
  TS_CANCELED,
  TS_FAILED,
} task_state;

const char *task_state_name(task_state s);
static inline bool task_state_terminal(task_state s) {
  return s == TS_FINISHED || s == TS_CANCELED || s == TS_FAILED;
}

typedef struct task task;
/* A task's snapshot of one checkpoint: the operators' snapshot writers (with deferred key-group
 * sections still to write) and the channel state. */
typedef struct task_snapshot task_snapshot;

/* What a task reports when the synchronous part of a checkpoint is done (and, for unaligned
 * checkpoints, its channel state is complete). */
typedef struct task_snapshot_done {
  int64_t id;
  uint32_t flags;       /* the barrier's BARRIER_* flags */
  const char *dir;      /* the barrier's target directory */
  int64_t sync_ms;      /* the synchronous part */
  int64_t alignment_ms; /* first barrier to snapshot (0 for sources) */
  /* Wall clock (epoch ms, sp_wall_ms) when the checkpoint's first barrier reached the task (a
   * source, or a task whose producers all finished: its trigger). The coordinator's statistics
   * take the start delay (Flink's checkpointStartDelay) from it against the trigger's wall time:
   * the barrier's own timestamp is the job's processing time, a manual clock in tests. */
  int64_t first_barrier_ms;
  bool unaligned; /* taken unaligned (from the start or after the alignment timeout) */
} task_snapshot_done;

typedef struct task_config {
  const struct op_vtable *(*vtable_for)(op_kind kind); /* the operators this task can run */
  uint32_t buffer_size;
  int buffers_per_channel, floating_buffers;
  int64_t buffer_timeout_ms; /* 0: flush after every record; < 0: only when full */
  sp_clock *clock;           /* processing time; NULL: the system clock */
  /* Checkpoints, called on the task thread with the listener's arg when the synchronous part is
   * done: the snapshot is to be encoded (task_snapshot_encode, on another thread: the
   * asynchronous part), written, acknowledged, and given back with task_snapshot_return. */
  void (*on_snapshot)(void *arg, task *t, const task_snapshot_done *d, task_snapshot *s);
} task_config;

/* Per task settings of a job run. */
typedef struct task_options {
  bool checkpointing;         /* the job takes checkpoints: sinks commit through them */
  bool finished;              /* restored as finished (it had finished when the checkpoint was
                                  taken): it sends the end of its output and runs nothing */
  bool unaligned;             /* execution.checkpointing.unaligned.enabled */
  int64_t aligned_timeout_ms; /* execution.checkpointing.aligned-checkpoint-timeout */
  /* state to start from, or NULL: per operator of the chain (NULL entries: nothing for it),
   * and the channel state of an unaligned checkpoint (empty if none). The views stay valid
   * until release(release_arg) is called, which the task does once it has restored. */
  const snap_restore *const *restore_ops;
  snap_section channel_state;
  void (*release)(void *arg);
  void *release_arg;
} task_options;

/* Called on the task thread at every switch. When `to` is terminal, task_report_* may be used
 * inside the call. */
typedef void (*task_listener)(void *arg, task *t, task_state from, task_state to);

/* Starts the thread. jg, shuffle and dl must outlive the task. */
int task_start(const job_graph *jg, int vertex, int subtask, int attempt, shuffle_env *shuffle,
               void *dl, const task_config *cfg, const task_options *opts, task_listener listener,
               void *arg, task **out);
/* Checkpoint control, thread-safe (each posts a mail):
 * trigger: a source task takes checkpoint b->id and sends the barrier downstream;
 * notify: checkpoint id completed (complete) or was aborted: operators are told; an aborted
 *   checkpoint still aligning or collecting channel state is dropped and a cancel marker sent on.
 * SPATE_ESTATE once the task has ended. */
int task_trigger_checkpoint(task *t, const el_barrier *b, const char *dir);
int task_notify_checkpoint(task *t, int64_t id, bool complete);
/* Any thread: appends the snapshot's encoding (state/snapshot.h, snap_task) to o, writing the
 * deferred key-group sections from the state frozen for it; o may stream to a file. */
int task_snapshot_encode(task_snapshot *s, snap_out *o);
/* Any thread: gives the snapshot back; the task frees it (and releases frozen state) on its own
 * thread. The task does not close its operators while snapshots are out. */
void task_snapshot_return(task *t, task_snapshot *s);
/* Asks the task to stop; returns at once (thread-safe). */
void task_cancel(task *t);
/* Posts a mail that the task's thread runs between batches (run = true), or hands back with
 * run = false if the task ends first. SPATE_ESTATE once the task has ended. Thread-safe. */
int task_post(task *t, void (*fn)(void *task, void *arg, bool run), void *arg);
/* Joins the thread and frees the task. */
void task_join_free(task *t);

const char *task_error(const task *t); /* empty unless FAILED */
/* Appends the final report: u32 n, then per operator of the chain: i32 node id, u64 records in,
 * u64 records out, u64 backpressure ns; then u32 m collect results (str name, u32 count, count
 * blobs). */
void task_report(const task *t, sp_writer *w);
#endif
