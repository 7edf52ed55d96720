/*
 * barrier_handler.h: what a task with inputs does with the checkpoint barriers its channels
 * deliver (Flink's CheckpointBarrierHandler), and a source with its triggers.
 *
 * One checkpoint is in progress at a time: a newer barrier supersedes an older one, as Flink's
 * barrier handlers do. Exactly-once aligned: a channel whose barrier was read is blocked
 * (bh_blocked) until every channel has delivered it or ended; then the snapshot is taken and
 * handed over. At-least-once: nothing blocks. Unaligned (from the start, or after the aligned
 * checkpoint timeout): the snapshot is taken when the first barrier is announced or read; then
 * every element a channel delivers before its own barrier is processed and also captured as
 * channel state (bh_capture), which completes the snapshot. A cancel marker, an aborted
 * checkpoint or a newer barrier drops the checkpoint in progress.
 *
 * The handler decides when; the task does the work through bh_hooks: the synchronous part of the
 * snapshot (task_snapshot.h), sending barriers and cancel markers downstream, and handing the
 * complete snapshot over. Everything runs on the task thread; the per-record checks are inline.
 */
#ifndef SPATE_RUNTIME_BARRIER_HANDLER_H
#define SPATE_RUNTIME_BARRIER_HANDLER_H
#include <stdbool.h>
#include <stdint.h>
#include "base/bytes.h"
#include "base/clock.h"
#include "runtime/element.h"
#include "runtime/input_gate.h"
#include "runtime/task.h"

/* What the handler asks of its task; every hook gets `owner` first. */
typedef struct bh_hooks {
  void *owner;
  /* The synchronous part of checkpoint id: fires the processing-time timers that are due, then
   * snapshots the operators into *snap (task_snapshot_take). *start_ns: when the operators'
   * snapshot began (after the timers). */
  int (*snapshot)(void *owner, int64_t id, task_snapshot **snap, int64_t *start_ns);
  /* Sends the barrier (payload: el_barrier and directory, len bytes) on every output. */
  int (*forward_barrier)(void *owner, int64_t id, const uint8_t *payload, uint32_t len);
  /* Sends a cancel marker for checkpoint id on every output. */
  int (*forward_cancel)(void *owner, int64_t id);
  /* The snapshot is complete: takes s over (task_config.on_snapshot, or frees it). */
  void (*hand_over)(void *owner, const task_snapshot_done *d, task_snapshot *s);
} bh_hooks;

typedef struct barrier_handler {
  int64_t id;       /* the checkpoint in progress; 0: none */
  int64_t last;     /* highest id taken or dropped: older barriers are ignored */
  uint8_t *barrier; /* the barrier's payload (el_barrier + directory), once known */
  uint32_t barrier_len;
  uint8_t *got;       /* per channel: barrier read in-band */
  uint8_t *recording; /* per channel: elements are channel state */
  int64_t *announced; /* per channel: highest announcement acted on */
  int nrecording;
  bool snapshotted; /* operators' snapshot taken and barrier forwarded */
  bool unaligned;
  int64_t start_ns;      /* when the checkpoint's first barrier (or trigger) arrived */
  int64_t start_wall_ms; /* the same on the wall clock (task_snapshot_done.first_barrier_ms) */
  int64_t sync_ms, align_ms;
  task_snapshot *snap; /* the operators' snapshot, until handed over */
  sp_writer channel;   /* channel state being recorded */

  input_channel **chs; /* all input channels by valve index (input_channel.vidx) */
  int nch;
  bool source;        /* no inputs: snapshots when triggered */
  bool announcements; /* unaligned or aligned with a timeout: announced barriers count */
  sp_clock *clock;    /* the task's processing time (barrier timestamps, the timeout) */
  const char *name;   /* the task's, for the log */
  bh_hooks hooks;
} barrier_handler;

/* Sets h up over the channels of the gates (numbered by their vidx, 0..nch-1). unaligned and
 * aligned_timeout_ms are the job's settings (task_options). SPATE_ENOMEM with h safe to
 * destroy. A zeroed handler (no gates) may be reset and destroyed too. */
int bh_init(barrier_handler *h, input_gate *gates, int ngates, bool unaligned,
            int64_t aligned_timeout_ms, sp_clock *clock, const char *name, const bh_hooks *hooks);
/* Drops the checkpoint in progress without telling anyone (the task is ending). */
void bh_reset(barrier_handler *h);
/* Resets h and frees what bh_init allocated. */
void bh_destroy(barrier_handler *h);

/* A trigger (payload: el_barrier and directory). A source snapshots at once. A task with inputs
 * gets one only when all its producers have finished (FLIP-147): their last records may still be
 * in its channels, so the trigger counts as a barrier on every channel that has ended, and the
 * snapshot is taken once every channel has ended or delivered the barrier, after all that data.
 * Returns 1 if the trigger was acted on, 0 if it was older than what was taken or dropped
 * already, or a negative code. */
int bh_trigger(barrier_handler *h, const uint8_t *payload, uint32_t len);
/* Whether a trigger for checkpoint id would be acted on now (bh_trigger would return 1): a task
 * that does something before the barrier (a drained stop's end of event time) asks first. */
bool bh_trigger_current(const barrier_handler *h, int64_t id);
/* Checkpoint id was aborted: if it (or an older one) is in progress it is dropped and a cancel
 * marker sent on; it is not taken later. */
int bh_checkpoint_aborted(barrier_handler *h, int64_t id);
/* A barrier read in-band on channel c. */
int bh_on_barrier(barrier_handler *h, int c, const uint8_t *payload, uint32_t len);
/* A cancel marker for checkpoint id read in-band: drops it if in progress (or newer than any
 * seen) and sends the marker on. */
int bh_on_cancel_barrier(barrier_handler *h, int64_t id);
/* Channel c ended (its finished flag is set): it records no more channel state, and the
 * checkpoint in progress may now be complete. */
int bh_on_end_of_partition(barrier_handler *h, int c);
/* Between batches when announcements are on: acts on announced barriers (unaligned: snapshot
 * before reading up to them) and switches an alignment that timed out to unaligned. */
int bh_poll(barrier_handler *h);
/* Milliseconds until the alignment timeout of the checkpoint being aligned (-1: none). */
int64_t bh_timeout_wait_ms(const barrier_handler *h);

/* Whether channel c is held back: it delivered the barrier of an aligned checkpoint that is
 * still waiting for other channels. */
static inline bool bh_blocked(const barrier_handler *h, int c) {
  return h->id && !h->snapshotted && h->got[c] && h->barrier &&
         !(((const el_barrier *)h->barrier)->flags & BARRIER_AT_LEAST_ONCE);
}

/* A record (payload as read: timestamp and row) that channel c of gate `gate` delivered: if it
 * was in flight when an unaligned snapshot was taken, it is channel state. */
static inline void bh_capture(barrier_handler *h, int c, uint32_t gate, const uint8_t *payload,
                              uint32_t len) {
  if (h->nrecording && h->recording[c]) {
    sp_put_u32(&h->channel, gate);
    sp_put_blob(&h->channel, payload, len);
  }
}
#endif
