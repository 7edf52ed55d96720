/*
 * coordinator.h: the checkpoint coordinator of one job (Flink's CheckpointCoordinator and
 * CheckpointFailureManager), driven by the JobMaster.
 *
 * The coordinator decides when and what: it triggers checkpoints and savepoints, collects the
 * subtasks' acknowledgements, writes the metadata, retains completed checkpoints, and counts
 * failures. It owns no thread, timer or connection: the JobMaster (cluster/job_master.c) calls
 * it from its own thread for every message that concerns checkpoints (trigger requests,
 * acknowledgements, declines, timer expiries, tasks that finished) and supplies the hooks below
 * to send triggers and notifications, to answer requesters, to arm timers on its RPC service, to
 * report job events, and to fail the job over.
 *
 * A hook may call back into the coordinator (failing the job aborts the pending checkpoints);
 * the coordinator is written for that, as the code was when it lived in the JobMaster.
 */
#ifndef SPATE_CHECKPOINT_COORDINATOR_H
#define SPATE_CHECKPOINT_COORDINATOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/config.h"
#include "checkpoint/checkpoint_stats.h"
#include "graph/stream_graph.h"
#include "runtime/task.h"

/* A retained completed checkpoint (not savepoints). */
typedef struct ckpt_completed {
  int64_t id;
  char dir[4096];
} ckpt_completed;

/* What a coordinator reports to the job's listener (spate_job_listener). */
typedef enum ckpt_event_type {
  CKPT_EVENT_TRIGGERED,
  CKPT_EVENT_COMPLETED,
  CKPT_EVENT_FAILED,
} ckpt_event_type;

/* The JobMaster's side. Every hook gets ctx first; none may be NULL. */
typedef struct ckpt_coord_hooks {
  void *ctx;
  /* The state of subtask (v, s) of the current attempt. */
  task_state (*task_state)(void *ctx, int v, int s);
  /* Sends checkpoint id's trigger (barrier options flags, aligned timeout, target directory) to
   * subtask (v, s) of the current attempt. */
  void (*send_trigger)(void *ctx, int v, int s, int64_t id, int64_t timestamp, uint32_t flags,
                       int64_t aligned_timeout_ms, const char *dir);
  /* Tells every subtask of the current attempt that checkpoint id completed (or aborted). */
  void (*notify)(void *ctx, int64_t id, bool complete);
  /* Answers whoever asked for savepoint or checkpoint id (0: it never started) at address
   * reply ("": nobody asked, nothing to do): path on success, err on failure. */
  void (*reply)(void *ctx, const char *reply, int64_t id, const char *path, const char *err);
  /* A job event: path for triggered and completed ones, message for failed ones. */
  void (*event)(void *ctx, ckpt_event_type type, int64_t id, bool savepoint, const char *path,
                const char *message);
  /* The job must fail over (too many failed checkpoints, a failed stop-with-savepoint); the
   * JobMaster ignores this unless the job is RUNNING. */
  void (*fail_job)(void *ctx, const char *why);
  /* Arms timers: ckpt_coord_expire(id) after delay_ms, ckpt_coord_on_timer (for the current
   * attempt only) after delay_ms, both on the cluster clock. */
  void (*expire_after)(void *ctx, int64_t id, int64_t delay_ms);
  void (*tick_after)(void *ctx, int64_t delay_ms);
} ckpt_coord_hooks;

typedef struct ckpt_coord ckpt_coord;

/* A coordinator for jg (borrowed; it must outlive the coordinator) whose processing time is
 * clock's (checkpoint timestamps, min pause); not configured: no periodic checkpoints and no
 * directory until ckpt_coord_configure. SPATE_ENOMEM. */
int ckpt_coord_create(const job_graph *jg, sp_clock *clock, const ckpt_coord_hooks *hooks,
                      ckpt_coord **out);
/* Frees the pending checkpoints without aborting them (their files stay). */
void ckpt_coord_free(ckpt_coord *c);

/* Reads the execution.checkpointing.* settings, state.checkpoints.dir (the job's directory
 * <dir>/<job id>, created now when periodic checkpoints are on) and state.savepoints.dir. An
 * error names the setting; the settings read before it stay. */
int ckpt_coord_configure(ckpt_coord *c, const sp_config *cfg, char *err, size_t err_len);
/* execution.checkpointing.interval (<= 0: no periodic checkpoints). */
int64_t ckpt_coord_interval_ms(const ckpt_coord *c);
/* "every <interval> ms (<mode>[, unaligned]) into <directory>", for the JobMaster's log. */
void ckpt_coord_describe(const ckpt_coord *c, char *buf, size_t len);
/* New checkpoints are numbered after id (a job restored from checkpoint id continues it). */
void ckpt_coord_continue_from(ckpt_coord *c, int64_t id);

/* Checkpoints go on while tasks finish (FLIP-147): every task is RUNNING or FINISHED, and one
 * at least still runs. */
bool ckpt_coord_checkpointable(const ckpt_coord *c);
/* Starts the periodic timer unless it runs, periodic checkpoints are off or there is no
 * directory. The JobMaster calls it when the running job's tasks become checkpointable. */
void ckpt_coord_start_timer(ckpt_coord *c);
/* The periodic timer of the current attempt fired: trigger when allowed (job_running, tasks
 * checkpointable, fewer pending than max concurrent, min pause over), then arm the next tick;
 * a job not running stops the timer. */
void ckpt_coord_on_timer(ckpt_coord *c, bool job_running);
/* A new attempt starts: the previous attempt's timer is gone (its ticks are ignored). */
void ckpt_coord_new_attempt(ckpt_coord *c);

/* A savepoint into dir ("" or NULL: state.savepoints.dir), asked for by reply (answered through
 * the reply hook, also on refusal); stop: stop-with-savepoint; drain (with stop; Flink's
 * --drain): the sources emit the end of event time before the barrier, so timers fire and
 * windows flush into the output before the savepoint. Refused unless job_running and every
 * task RUNNING. */
void ckpt_coord_savepoint(ckpt_coord *c, bool job_running, const char *reply, const char *dir,
                          bool stop, bool drain);
/* A checkpoint now, asked for by reply (Flink's manual checkpoint): the periodic settings apply,
 * and it counts like a periodic one. Refused unless job_running and the tasks checkpointable. */
void ckpt_coord_checkpoint(ckpt_coord *c, bool job_running, const char *reply);

/* Subtask (v, s) of the current attempt acknowledged checkpoint id: file (consumed; empty: no
 * state) of length bytes with checksum, the snapshot's sync, async and alignment durations, and
 * the wall clock (epoch ms; < 0: unknown) when the checkpoint's first barrier reached the
 * subtask (its start delay, ckpt_stats_ack). Late or repeated acknowledgements and unknown
 * subtasks are dropped. The last one completes the checkpoint. */
void ckpt_coord_ack(ckpt_coord *c, int v, int s, int64_t id, char *file, uint64_t length,
                    uint64_t checksum, int64_t sync_ms, int64_t async_ms, int64_t align_ms,
                    int64_t first_barrier_ms, bool unaligned);
/* Subtask (v, s) of the current attempt declined checkpoint id: the checkpoint fails. */
void ckpt_coord_decline(ckpt_coord *c, int v, int s, int64_t id, const char *reason);
/* Checkpoint id's timeout passed: it fails if still pending. */
void ckpt_coord_expire(ckpt_coord *c, int64_t id);
/* Subtask (v, s) finished while the job runs: it counts as finished in every pending
 * checkpoint, tasks whose producers have now all finished get the trigger, and checkpoints that
 * thereby have every acknowledgement complete. */
void ckpt_coord_task_finished(ckpt_coord *c, int v, int s);

/* Aborts every pending checkpoint (files discarded, requesters answered, tasks not told). */
void ckpt_coord_abort_pending(ckpt_coord *c, const char *why);
/* The job ended: pending checkpoints are aborted, and the retained ones are discarded unless
 * externalized (execution.checkpointing.externalized-checkpoint-retention; canceled: the job
 * was cancelled). */
void ckpt_coord_job_ended(ckpt_coord *c, bool canceled);

/* The retained completed checkpoints, oldest first. */
const ckpt_completed *ckpt_coord_completed(const ckpt_coord *c, int *n);
/* Statistics of the completed checkpoints, as the job result holds them: per checkpoint i64 id,
 * i64 duration, i64 sync, i64 async, i64 alignment (ms), u64 size, u8 unaligned. */
const sp_writer *ckpt_coord_stats(const ckpt_coord *c, uint32_t *n);

/* The job's checkpoint statistics (borrowed: take a reference with ckpt_stats_ref to keep them
 * past the coordinator). */
ckpt_stats *ckpt_coord_tracker(const ckpt_coord *c);
/* An attempt restores the checkpoint or savepoint in dir: the statistics record it (its id and
 * kind read from its metadata; nothing if that cannot be read). */
void ckpt_coord_restored(ckpt_coord *c, const char *dir);
#endif
