/*
 * timer_queue.h: the timers of one operator subtask in one time domain (event time or
 * processing time), as Flink's InternalTimerService keeps them: a timer is (timestamp in ms,
 * key bytes, namespace bytes); timers live in one priority queue per key group, so that a
 * checkpoint writes them with their key group and a restore can hand key groups to other
 * subtasks (Flink's KeyGroupPartitionedPriorityQueue over HeapPriorityQueueSet).
 *
 * Structure:
 *  - per key group, a binary min-heap of timers plus a hash set over the same timers that
 *    de-duplicates registrations and finds a timer to delete; a deleted timer leaves the set at
 *    once and the heap lazily (when it reaches the top, or when deleted timers are half the
 *    heap), so deletion is O(1) amortized and deleted timers never fire;
 *  - a heap of the key groups ordered by their earliest timer (empty groups last), so the
 *    globally earliest timer is at the top: peek is O(1), pop and register O(log n + log G).
 * Order is by timestamp, ties broken by key bytes then namespace bytes, so firing order is
 * deterministic and the same after a restore.
 *
 * The owning operator's task thread is the only user; nothing locks. Timers are kept in a slab
 * (base/slab.h: no allocation per timer once the queue has held as many); the memory of
 * fired and deleted timers is reused by later ones and given back by tq_free. The heaps and
 * sets grow geometrically.
 * Errors: SPATE_EINVAL (key group outside the range, NULL bytes with a length), SPATE_ENOMEM
 * with the queue unchanged.
 */
#ifndef SPATE_STATE_TIMER_QUEUE_H
#define SPATE_STATE_TIMER_QUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "state/keyed_state.h" /* ks_key_group_range */

typedef struct timer_queue timer_queue;

/* A timer as handed to callbacks: views valid during the callback only. */
typedef struct tq_timer_view {
  int64_t timestamp;
  int key_group;
  const uint8_t *key;
  uint32_t key_len;
  const uint8_t *ns;
  uint32_t ns_len;
} tq_timer_view;

/* Firing and visiting callback: 0 to continue, non-zero to stop (returned to the caller). */
typedef int (*tq_timer_fn)(void *arg, const tq_timer_view *t);

/* A queue for the key groups `range` of max_parallelism; *out owned by the caller. */
int tq_new(int max_parallelism, ks_key_group_range range, timer_queue **out);
void tq_free(timer_queue *q);

/* Registers a timer (bytes copied). Returns 1 if added, 0 if the same (timestamp, key,
 * namespace) was already registered (it stays once), negative on error. The key group is the
 * key's group, computed by the caller. */
int tq_register(timer_queue *q, int key_group, int64_t timestamp, const void *key, uint32_t key_len,
                const void *ns, uint32_t ns_len);
/* Deletes a timer: 1 if it was registered, 0 if not, negative on error. */
int tq_delete(timer_queue *q, int key_group, int64_t timestamp, const void *key, uint32_t key_len,
              const void *ns, uint32_t ns_len);
/* Whether the timer is registered (1 / 0 / negative). */
int tq_contains(const timer_queue *q, int key_group, int64_t timestamp, const void *key,
                uint32_t key_len, const void *ns, uint32_t ns_len);

/* The earliest timestamp; false when the queue is empty (for scheduling processing-time
 * wake-ups). */
bool tq_peek(const timer_queue *q, int64_t *timestamp);
size_t tq_size(const timer_queue *q);

/* Fires, in order, every timer with timestamp <= time: each is removed from the queue, then
 * passed to fn. fn may register and delete timers; a timer it registers with timestamp <= time
 * fires in this same call (Flink's advanceWatermark loop). A non-zero return of fn stops the
 * advance and is returned (the timer passed to that call is consumed). *fired (optional)
 * receives the number of timers passed to fn. */
int tq_advance(timer_queue *q, int64_t time, tq_timer_fn fn, void *arg, uint64_t *fired);

/* Snapshot and restore per key group. visit calls fn for every timer of the group (in heap
 * order, not sorted); fn must not modify the queue. Restore = tq_clear_key_group then
 * tq_register for each timer. */
int tq_visit_key_group(const timer_queue *q, int key_group, tq_timer_fn fn, void *arg);
size_t tq_key_group_size(const timer_queue *q, int key_group);
int tq_clear_key_group(timer_queue *q, int key_group);
/* Checkpoint encoding of one key group's timers (self-delimiting); read replaces the group's
 * timers and advances r. Malformed input is SPATE_ECORRUPT. */
int tq_write_key_group(const timer_queue *q, int key_group, sp_writer *w);
int tq_read_key_group(timer_queue *q, int key_group, sp_reader *r);

#endif
