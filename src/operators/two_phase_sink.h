/*
 * two_phase_sink.h: the engine of exactly-once sinks (Flink's TwoPhaseCommitSinkFunction), shared
 * by the user two-phase sink (OP_SINK_TWO_PHASE, UDFs named in the job graph) and built-in sinks
 * written in C (the file sink, connectors/file_sink.c).
 *
 * A sink plugs five callbacks into the engine (tps_callbacks) and forwards its operator hooks to
 * the tps_* functions below. The engine keeps one open transaction ("current") and the
 * transactions pre-committed at checkpoints that are not committed yet ("pending", in checkpoint
 * order), and drives them:
 *   open               begins the current transaction (unless the operator is restored: then
 *                      restore begins it, after recovery)
 *   record             invoke(current)
 *   snapshot(id)       pre_commit(current); it becomes pending for id; begin a new current; the
 *                      state is one SNAP_SPLIT list entry per transaction (below)
 *   notify_complete(id) commit every pending transaction of a checkpoint <= id, oldest first,
 *                      and forget it
 *   notify_aborted(id) nothing: the pending transactions commit with a later completed checkpoint
 *   restore            commit the restored pending transactions (handle NULL: commit must be
 *                      idempotent), abort the restored current ones, then begin
 *   end_input          pre_commit and commit the current transaction at once, after the pending
 *                      ones. Flink does this with a final checkpoint after the end of input; we
 *                      have none, so a failure of the job after this point (recovery from an
 *                      earlier checkpoint and replay) can publish records twice. Nothing is open
 *                      afterwards; a snapshot then stores no transaction.
 *   close              after a failure or cancel: abort the current transaction (with its
 *                      handle). Pending ones are left alone: the checkpoint that covers them may
 *                      complete, and recovery from it commits them.
 *
 * State: list TPS_STATE_LIST (SNAP_SPLIT), one entry per transaction, self-contained so that
 * entries may move between subtasks when the parallelism changes:
 *     u8 version (1), u8 kind (1 pending, 2 current), i64 checkpoint id (current: the id of the
 *     snapshot that wrote it), blob transaction id
 * Pending entries come first, oldest first, then the current one.
 *
 * Transactions: the id bytes are the sink's (spate_txn_set_id; any time before the transaction
 * is pre-committed or snapshotted) and are all that a checkpoint keeps. The handle is the sink's
 * pointer for the live transaction; the engine only carries it. It reaches commit or abort when
 * those are called in the same run; a pending transaction's handle still set when the sink
 * closes is dropped, so a sink should release what it holds in pre_commit (and set the handle to
 * NULL) and commit from the id alone.
 *
 * Errors: callbacks return 0 or a negative code after writing the message (op_fail; the UDF
 * wrappers turn a UDF's spate_ctx_fail text into one), which names the sink and its subtask.
 * The engine adds its own for corrupt state. Threads: everything runs on the task thread.
 */
#ifndef SPATE_OPERATORS_TWO_PHASE_SINK_H
#define SPATE_OPERATORS_TWO_PHASE_SINK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/operator.h"

#define TPS_STATE_LIST "two-phase-sink.transactions"

struct spate_txn {
  uint8_t *id; /* owned (sp_malloc), NULL while empty */
  size_t id_len;
  void *handle; /* the sink's */
};

/* The sink's side. self is the pointer given to tps_init. */
typedef struct tps_callbacks {
  int (*begin)(void *self, spate_txn *txn);
  int (*invoke)(void *self, spate_txn *txn, int64_t ts, const spate_row *row);
  int (*pre_commit)(void *self, spate_txn *txn);
  int (*commit)(void *self, spate_txn *txn);
  int (*abort)(void *self, spate_txn *txn);
} tps_callbacks;

typedef struct tps_pending {
  int64_t checkpoint;
  spate_txn txn;
} tps_pending;

/* Invariants: has_current iff current was begun and neither pre-committed nor aborted since;
 * pending[] is in increasing checkpoint order; after end_input (ended) has_current is false and
 * pending is empty. */
typedef struct tps {
  op_t *op;
  const tps_callbacks *cb;
  void *self;
  spate_txn current;
  bool has_current;
  bool ended;
  int npending, cap;
  tps_pending *pending;
} tps;

/* Sets the engine up; nothing is begun yet. Never fails. */
void tps_init(tps *e, op_t *op, const tps_callbacks *cb, void *self);
/* Begins the first transaction, unless op->restored is set (tps_restore begins it then). */
int tps_open(tps *e);
/* Hands a record to the current transaction (begun first if need be). */
int tps_invoke(tps *e, int64_t ts, const spate_row *row);
int tps_snapshot(tps *e, int64_t id, snap_writer *w);
/* Recovers from the entries of TPS_STATE_LIST in r; SPATE_ECORRUPT for malformed entries. */
int tps_restore(tps *e, const snap_restore *r);
int tps_notify_complete(tps *e, int64_t id);
int tps_notify_aborted(tps *e, int64_t id);
int tps_end_input(tps *e);
/* Aborts the current transaction if one is open (errors are logged: close has no caller to
 * tell) and frees everything the engine holds. Safe to call twice. */
void tps_close(tps *e);
/* The open transaction, or NULL. */
spate_txn *tps_current(tps *e);
/* Releases the id bytes of a transaction (not its handle). */
void tps_txn_clear(spate_txn *txn);

/* Encodes one state entry (appended to w; SPATE_ENOMEM if w failed) and decodes one: *id
 * points into data; SPATE_ECORRUPT with the reason and offset in err if malformed. */
enum { TPS_ENTRY_PENDING = 1, TPS_ENTRY_CURRENT = 2 };
int tps_entry_encode(sp_writer *w, int kind, int64_t checkpoint, const spate_txn *txn);
int tps_entry_decode(const uint8_t *data, uint32_t len, int *kind, int64_t *checkpoint,
                     const uint8_t **id, uint32_t *id_len, char *err, size_t err_len);
#endif
