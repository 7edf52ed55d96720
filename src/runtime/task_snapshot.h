/*
 * task_snapshot.h: a task's snapshot of one checkpoint, from the synchronous part to its return.
 *
 * The synchronous part (task_snapshot_take, on the task thread) runs every chain operator's
 * snapshot hook into a snap_writer; keyed operators freeze their state and defer their key-group
 * sections. Channel state (unaligned checkpoints) is added once it is complete. The task then
 * hands the snapshot over (task_config.on_snapshot); the writer thread encodes it
 * (task_snapshot_encode in task.h: the asynchronous part) and gives it back
 * (task_snapshot_return), and the task frees it on its own thread, because freeing releases
 * frozen operator state. snapshot_returns is that way back. When the snapshot is taken and when
 * it is complete is the barrier handler's business (barrier_handler.h).
 *
 * The other files about snapshots: state/snapshot.h is the encoding of one operator's section
 * (and of a task's, snap_task) and how sections are reassigned on restore; operators/
 * keyed_snapshot.h freezes a keyed operator's state and timers for the deferred key-group
 * sections; checkpoint/storage.h writes the encoded task snapshots to files and loads them.
 */
#ifndef SPATE_RUNTIME_TASK_SNAPSHOT_H
#define SPATE_RUNTIME_TASK_SNAPSHOT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/bytes.h"
#include "base/sync.h"
#include "runtime/operator.h"

typedef struct task_snapshot task_snapshot;

/* The synchronous part of checkpoint `id`: snapshots every operator of the chain (in chain
 * order; stateless ones get an empty section, so the head's uid always names the vertex, which
 * is what channel state is matched by). On failure the message goes into err (unless it holds
 * one already), naming the task and operator, and nothing is kept. */
int task_snapshot_take(op_t *const *ops, int nops, int parallelism, int64_t id,
                       const char *task_name, char *err, size_t err_len, task_snapshot **out);
/* Moves the recorded channel state into the snapshot; *channel is left empty. */
void task_snapshot_set_channel_state(task_snapshot *s, sp_writer *channel);
/* Frees a snapshot (and releases the state frozen for it): on the task thread. NULL is fine. */
void task_snapshot_free(task_snapshot *s);

/* Snapshots handed to the writer (the asynchronous part) come back here to be freed on the task
 * thread (their release functions touch operator state). */
typedef struct snapshot_returns {
  pthread_mutex_t mu; /* guards returned; out is read under it too (snapshot_returns_await) */
  task_snapshot *returned;
  _Atomic int out;   /* handed over, not yet back */
  _Atomic bool back; /* returned is not empty */
  sp_event *event;   /* the task's: notified when a snapshot comes back */
} snapshot_returns;

void snapshot_returns_init(snapshot_returns *r, sp_event *event);
/* Frees what came back and the lock; after the task thread has ended. */
void snapshot_returns_destroy(snapshot_returns *r);
/* Counts a snapshot handed over; called before the hand-over. */
static inline void snapshot_returns_handed_over(snapshot_returns *r) {
  atomic_fetch_add(&r->out, 1);
}
/* Any thread: gives a snapshot back and wakes the task. */
void snapshot_returns_push(snapshot_returns *r, task_snapshot *s);
/* Whether snapshots came back that the task has not freed yet. */
static inline bool snapshot_returns_pending(snapshot_returns *r) { return atomic_load(&r->back); }
/* On the task thread: frees the snapshots the writer is done with. */
void snapshot_returns_free(snapshot_returns *r);
/* On the task thread, before the operators close: waits until every snapshot handed over has
 * come back, and frees them. */
void snapshot_returns_await(snapshot_returns *r);
#endif
