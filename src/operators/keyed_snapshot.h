/*
 * keyed_snapshot.h: the snapshot of a keyed operator's backend and timer queues, shared by the
 * window and process operators and by keyed reduce and aggregations (which have no timers). A
 * key group's section is the keyed state (ks_write_key_group) followed by each timer queue's
 * timers (tq_write_key_group), in the order given; groups with nothing in them are left out.
 *
 * The synchronous part copies the timers (small) and freezes the keyed state
 * (ks_snapshot_begin: copy-on-write, a few bytes per key group whatever the state's size); the sections are written
 * later, on the snapshot thread, by snap_encode, while the operator goes on processing. When the
 * backend cannot freeze (a snapshot of it is still being written) everything is written at once.
 */
#ifndef SPATE_OPERATORS_KEYED_SNAPSHOT_H
#define SPATE_OPERATORS_KEYED_SNAPSHOT_H
#include "runtime/operator.h"
#include "state/keyed_state.h"
#include "state/timer_queue.h"

/* Takes the snapshot of b and the ntq queues into sw; errors name the operator (op_fail). */
int keyed_snapshot_take(op_t *op, int64_t id, ks_backend *b, timer_queue *const *tqs, int ntq,
                        snap_writer *sw);
/* The restore of what keyed_snapshot_take wrote, for the same queues in the same order: the
 * sections of this subtask's key groups (r, snap_assign's share) read into the just opened b
 * and tqs. The backend checks stored values against the registered states' schemas; the keys
 * are the caller's to check if it must. Errors name the operator and the key group (op_fail). */
int keyed_snapshot_restore(op_t *op, ks_backend *b, timer_queue *const *tqs, int ntq,
                           const snap_restore *r);
#endif
