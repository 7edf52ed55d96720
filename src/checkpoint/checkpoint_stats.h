/*
 * checkpoint_stats.h: the checkpoint statistics of one job (Flink's CheckpointStatsTracker and
 * the snapshot its REST handlers and metrics read).
 *
 * The checkpoint coordinator (checkpoint/coordinator.c) reports every step on the JobMaster's
 * thread: a checkpoint or savepoint triggered, each subtask's acknowledgement (sizes, sync,
 * async and alignment durations, unaligned), completion (its directory), failure (when and
 * why), a retained checkpoint discarded; the JobMaster reports what an attempt restored. The
 * tracker keeps counts, a summary over completed checkpoints (min, max, average and
 * percentiles), the latest completed checkpoint, savepoint, failure and restore, and the
 * history, newest first, bounded by web.checkpoints.history.
 *
 * Readers on other threads (the REST endpoint, metric reporters) never see the live entries:
 * ckpt_stats_read and ckpt_stats_read_checkpoint copy what they need under the tracker's mutex.
 * The tracker is reference counted: the coordinator holds one reference and the JobManager's
 * cluster view another, so the REST endpoint can still read a job's statistics after its
 * JobMaster is gone.
 */
#ifndef SPATE_CHECKPOINT_CHECKPOINT_STATS_H
#define SPATE_CHECKPOINT_CHECKPOINT_STATS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/stream_graph.h"

/* Flink's CheckpointStatsStatus. */
typedef enum ckpt_stats_status {
  CKPT_STATS_IN_PROGRESS,
  CKPT_STATS_COMPLETED,
  CKPT_STATS_FAILED,
} ckpt_stats_status;

/* The checkpoint_type Flink's REST API shows (RestAPICheckpointType). */
typedef enum ckpt_stats_type {
  CKPT_TYPE_CHECKPOINT,
  CKPT_TYPE_UNALIGNED_CHECKPOINT,
  CKPT_TYPE_SAVEPOINT,
  CKPT_TYPE_SYNC_SAVEPOINT, /* stop-with-savepoint */
} ckpt_stats_type;

/* "IN_PROGRESS", "COMPLETED", "FAILED". */
const char *ckpt_stats_status_name(ckpt_stats_status s);
/* "CHECKPOINT", "UNALIGNED_CHECKPOINT", "SAVEPOINT", "SYNC_SAVEPOINT". */
const char *ckpt_stats_type_name(ckpt_stats_type t);

/* One subtask's acknowledgement (Flink's SubtaskStateStats). Byte counts Spate does not measure
 * (alignment buffered, processed and persisted in-flight data) are 0. */
typedef struct ckpt_subtask_stats {
  bool acked;
  int64_t ack_ms;                      /* epoch ms */
  uint64_t state_size;                 /* the full state */
  uint64_t checkpointed_size;          /* what this checkpoint wrote (Spate: the full state) */
  int64_t sync_ms, async_ms, align_ms; /* the snapshot's parts, and alignment */
  int64_t first_barrier_ms;            /* epoch ms the first barrier reached it (<= 0: unknown) */
  int64_t start_delay_ms;              /* trigger to the first barrier (see .c) */
  uint64_t align_buffered, processed, persisted;
  bool unaligned;
} ckpt_subtask_stats;

/* One checkpoint or savepoint. */
typedef struct ckpt_stats_entry {
  int64_t id;
  ckpt_stats_status status;
  ckpt_stats_type type;
  int64_t trigger_ms;    /* epoch ms */
  int64_t failure_ms;    /* FAILED: epoch ms */
  char *failure_message; /* FAILED (owned), or NULL */
  char *external_path;   /* COMPLETED: its directory (owned), or NULL */
  bool discarded;        /* COMPLETED: its files were deleted since */
  int nsubtasks, nacked; /* subtasks of the job, acknowledged ones */
  int64_t latest_ack_ms; /* -1: none yet */
  uint64_t state_size, checkpointed_size, processed, persisted; /* sums over acknowledgements */
  ckpt_subtask_stats *subtasks; /* by global subtask index (ckpt_stats_vertex.first + s); NULL
                                   in copies made without them */
} ckpt_stats_entry;

/* Whether the entry is a savepoint. */
static inline bool ckpt_stats_is_savepoint(const ckpt_stats_entry *e) {
  return e->type == CKPT_TYPE_SAVEPOINT || e->type == CKPT_TYPE_SYNC_SAVEPOINT;
}
/* Flink's end_to_end_duration: the latest acknowledgement (or the failure) minus the trigger,
 * -1 while nothing was acknowledged. */
int64_t ckpt_stats_duration(const ckpt_stats_entry *e);

/* min, max, average and percentiles of a series (Flink's StatsSummaryDto); all 0 when empty. */
typedef struct ckpt_summary {
  int64_t count, min, max, sum;
  double p50, p90, p95, p99, p999;
} ckpt_summary;
/* Average (sum / count, as Flink's long), 0 when empty. */
int64_t ckpt_summary_avg(const ckpt_summary *s);
/* The summary of n values (order irrelevant; v is sorted in place). */
void ckpt_summary_of(int64_t *v, int n, ckpt_summary *out);
/* Quantile q (0 < q <= 1) of n sorted values, estimated as Flink's histograms do (Apache
 * Commons Math's default Percentile: position q * (n + 1), linear interpolation). 0 if n == 0. */
double ckpt_quantile(const int64_t *sorted, int n, double q);

/* A job vertex as the statistics show it. */
typedef struct ckpt_stats_vertex {
  char id[33]; /* Flink's JobVertexID (jobgraph_vertex_id) */
  int parallelism;
  int first; /* global index of its subtask 0 */
} ckpt_stats_vertex;

/* The job's checkpointing settings (Flink's CheckpointConfigInfo). */
typedef struct ckpt_stats_config {
  bool exactly_once;
  int64_t interval_ms; /* INT64_MAX when periodic checkpoints are off (as Flink shows it) */
  int64_t timeout_ms, min_pause_ms, aligned_timeout_ms;
  int max_concurrent, tolerable;
  bool externalized, delete_on_cancellation;
  bool unaligned;
  bool after_tasks_finish;
} ckpt_stats_config;

/* What an attempt restored (Flink's RestoredCheckpointStats). */
typedef struct ckpt_stats_restored {
  int64_t id;
  int64_t restore_ms; /* epoch ms */
  bool savepoint;
  char external_path[4096];
} ckpt_stats_restored;

typedef struct ckpt_stats_counts {
  int64_t restored, total, in_progress, completed, failed;
} ckpt_stats_counts;

/* A copy for a reader (ckpt_stats_snapshot_free frees it). */
typedef struct ckpt_stats_snapshot {
  ckpt_stats_counts counts;
  /* over completed checkpoints and savepoints */
  ckpt_summary state_size, checkpointed_size, duration, alignment_buffered, processed, persisted;
  ckpt_stats_entry *latest_completed, *latest_savepoint, *latest_failed; /* or NULL */
  bool has_restored;
  ckpt_stats_restored restored;
  ckpt_stats_entry *history; /* newest first */
  int nhistory;
  ckpt_stats_config config;
  ckpt_stats_vertex *vertices;
  int nvertices;
} ckpt_stats_snapshot;
void ckpt_stats_snapshot_free(ckpt_stats_snapshot *s);

/* The job-scope checkpoint gauges (Flink's CheckpointStatsTracker metrics). Values Flink shows
 * as -1 / "n/a" when there is no completed checkpoint or restore yet. */
typedef struct ckpt_stats_gauges {
  int64_t last_duration_ms;                      /* lastCheckpointDuration */
  int64_t last_size;                             /* lastCheckpointSize (checkpointed size) */
  int64_t last_full_size;                        /* lastCheckpointFullSize */
  int64_t last_restore_ms;                       /* lastCheckpointRestoreTimestamp */
  char last_external_path[4096];                 /* lastCheckpointExternalPath */
  int64_t last_completed_id;                     /* lastCompletedCheckpointId */
  int64_t completed, failed, in_progress, total; /* numberOf...Checkpoints, totalNumberOf... */
} ckpt_stats_gauges;

typedef struct ckpt_stats ckpt_stats;

/* A tracker for jg's vertices (read now; jg may go before the tracker) keeping history_size
 * entries (web.checkpoints.history; < 1: 1), with one reference. SPATE_ENOMEM. */
int ckpt_stats_create(const job_graph *jg, int history_size, ckpt_stats **out);
void ckpt_stats_ref(ckpt_stats *st);
/* Drops a reference; the last frees the tracker. NULL is a no-op. */
void ckpt_stats_unref(ckpt_stats *st);

/* ---- writers (the JobMaster's thread; each takes the mutex) ---- */
void ckpt_stats_set_history_size(ckpt_stats *st, int history_size);
void ckpt_stats_set_config(ckpt_stats *st, const ckpt_stats_config *c);
/* Checkpoint id was triggered at epoch ms trigger_ms: IN_PROGRESS. */
void ckpt_stats_triggered(ckpt_stats *st, int64_t id, ckpt_stats_type type, int64_t trigger_ms);
/* Global subtask index t acknowledged checkpoint id (s copied; s->acked is implied). Unknown ids
 * and repeated acknowledgements are ignored. The start delay is s->start_delay_ms if >= 0, else
 * measured from s->first_barrier_ms if known (> 0), else derived (see the .c). */
void ckpt_stats_ack(ckpt_stats *st, int64_t id, int t, const ckpt_subtask_stats *s);
/* Checkpoint id completed into path. */
void ckpt_stats_completed(ckpt_stats *st, int64_t id, const char *path);
/* Checkpoint id failed at epoch ms at_ms because of why. */
void ckpt_stats_failed(ckpt_stats *st, int64_t id, int64_t at_ms, const char *why);
/* The completed checkpoint id's files were deleted. */
void ckpt_stats_discarded(ckpt_stats *st, int64_t id);
/* An attempt restored r. */
void ckpt_stats_restored_set(ckpt_stats *st, const ckpt_stats_restored *r);

/* ---- readers (any thread) ---- */
/* Counts, summary, latest entries, history and config, entries without their subtasks.
 * SPATE_ENOMEM (out freed again). */
int ckpt_stats_read(ckpt_stats *st, ckpt_stats_snapshot *out);
/* Checkpoint id (from the history or the latest entries) with its subtasks, as out->history[0]
 * (nhistory 1), and the vertices. SPATE_ENOENT if the tracker does not hold it. */
int ckpt_stats_read_checkpoint(ckpt_stats *st, int64_t id, ckpt_stats_snapshot *out);
void ckpt_stats_read_gauges(ckpt_stats *st, ckpt_stats_gauges *out);

/* ---- helpers for readers of a snapshot ---- */
/* The vertex with id (32 hex digits) in s, or -1. */
int ckpt_stats_find_vertex(const ckpt_stats_snapshot *s, const char *id);
/* Vertex v's part of e (Flink's TaskStateStats): acknowledged subtasks, latest ack (-1: none),
 * sums of sizes. e must have its subtasks. */
typedef struct ckpt_task_stats {
  int nsubtasks, nacked;
  int64_t latest_ack_ms;
  uint64_t state_size, checkpointed_size, processed, persisted, align_buffered;
} ckpt_task_stats;
void ckpt_stats_task(const ckpt_stats_snapshot *s, const ckpt_stats_entry *e, int v,
                     ckpt_task_stats *out);
/* Summaries over vertex v's acknowledged subtasks of e (Flink's TaskStateStats summary). */
typedef struct ckpt_task_summary {
  ckpt_summary state_size, checkpointed_size, duration, sync, async, align_buffered, processed,
      persisted, align_duration, start_delay;
} ckpt_task_summary;
int ckpt_stats_task_summary(const ckpt_stats_snapshot *s, const ckpt_stats_entry *e, int v,
                            ckpt_task_summary *out);
#endif
