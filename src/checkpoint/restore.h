/*
 * restore.h: which checkpoint a job restores, and whether its state fits the job (Flink's
 * checks when a job starts from a savepoint and when it fails over).
 *
 * The JobMaster asks at two moments: when the job starts from execution.savepoint.path
 * (ckpt_restore_open: load the metadata and the state files' headers and check them against the
 * job graph), and before every restart (ckpt_restore_choose: the newest retained checkpoint that
 * loads, else where the job started). The chosen directory goes to every subtask, which reads
 * and verifies only the state files it owns (cluster/task_executor.c): the JobMaster never reads
 * the state itself. A subtask that finds its files corrupt says so (MSG_RESTORE_CORRUPT); the
 * JobMaster marks the checkpoint bad (ckpt_restore_bad) and the next choice passes over it, so
 * the job falls back to an older checkpoint as a JobMaster that had verified everything would.
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

/* The savepoint or checkpoint at uri (execution.savepoint.path) that jg starts from: its
 * metadata and state file headers loaded (CKPT_LOAD_HEADERS) and checked (ckpt_restore_check).
 * Its directory goes to dir (dir_len bytes) and its id to *id (new checkpoints continue the
 * numbering). */
int ckpt_restore_open(const job_graph *jg, const char *uri, bool allow_non_restored, char *dir,
                      size_t dir_len, int64_t *id, char *err, size_t err_len);

/* The checkpoints of a job that failed to restore, with what was wrong: never chosen again. */
typedef struct ckpt_restore_bad {
  char **dirs, **why;
  int n;
} ckpt_restore_bad;
/* Adds dir (once). SPATE_ENOMEM. */
int ckpt_restore_mark_bad(ckpt_restore_bad *b, const char *dir, const char *why);
bool ckpt_restore_is_bad(const ckpt_restore_bad *b, const char *dir);
void ckpt_restore_bad_free(ckpt_restore_bad *b);

/* Which checkpoint an attempt of job jg restores into out (out_len bytes): the newest of
 * the retained completed checkpoints (n, oldest first) that loads and is not bad, else
 * start_dir (what the job started from, "" for nothing). If start_dir is bad and the job was
 * started from a job's checkpoint directory (start_uri), the newest good checkpoint there is
 * taken instead. Falling back past a checkpoint is logged: exactly-once sinks may publish
 * output again. SPATE_ECORRUPT (with the reason in err) when nothing is left to restore. */
int ckpt_restore_choose(const job_graph *jg, const ckpt_completed *completed, int n,
                        const char *start_uri, const char *start_dir, const ckpt_restore_bad *bad,
                        char *out, size_t out_len, char *err, size_t err_len);
#endif
