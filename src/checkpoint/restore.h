/*
 * restore.h: which checkpoint a job restores, and whether its state fits the job (Flink's
 * checks when a job starts from a savepoint and when it fails over).
 *
 * The JobMaster asks at two moments: when the job starts from execution.savepoint.path
 * (ckpt_restore_open: load, verify and check it against the job graph), and before every
 * restart (ckpt_restore_choose: the newest retained checkpoint that loads, else where the job
 * started). The chosen directory goes to every subtask, which restores its own part.
 */
#ifndef SPATE_CHECKPOINT_RESTORE_H
#define SPATE_CHECKPOINT_RESTORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checkpoint/coordinator.h"
#include "checkpoint/storage.h"
#include "graph/stream_graph.h"

/* Checks that the state of the checkpoint being restored (l) maps onto jg: every operator state
 * finds its operator by uid (unless allow_non_restored, execution.savepoint.ignore-unclaimed-
 * state, which skips it with a warning), max parallelism is unchanged, tasks that had finished
 * are chained the same, and in-flight data of an unaligned checkpoint meets the same task at
 * the same parallelism. SPATE_ESTATE naming the checkpoint and the operator. */
int ckpt_restore_check(const job_graph *jg, const ckpt_loaded *l, bool allow_non_restored,
                       char *err, size_t err_len);

/* The savepoint or checkpoint at uri (execution.savepoint.path) that jg starts from: loaded,
 * verified and checked (ckpt_restore_check). Its directory goes to dir (dir_len bytes) and its
 * id to *id (new checkpoints continue the numbering). */
int ckpt_restore_open(const job_graph *jg, const char *uri, bool allow_non_restored, char *dir,
                      size_t dir_len, int64_t *id, char *err, size_t err_len);

/* Which checkpoint an attempt of job job_id restores into out (out_len bytes): the newest of
 * the retained completed checkpoints (n, oldest first) that loads, else start_dir (what the job
 * started from, "" for nothing). Falling back past a checkpoint that does not load is logged:
 * exactly-once sinks may publish output again. */
void ckpt_restore_choose(const char *job_id, const ckpt_completed *completed, int n,
                         const char *start_dir, char *out, size_t out_len);
#endif
