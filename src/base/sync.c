/*
 * sync.c: the parking event and the SPSC ring declared in sync.h.
 *
 * Event protocol. `seq` counts notifications; `waiters` counts threads that are inside
 * sp_event_wait. A notifier bumps seq and only then looks at waiters; a waiter registers in
 * waiters and only then (under the mutex) re-reads seq. Both sides use sequentially consistent
 * operations, so in the single total order at least one of them sees the other: either the waiter
 * sees the new seq and does not sleep, or the notifier sees a waiter and broadcasts under the
 * mutex. Because the waiter checks seq and sleeps while holding the mutex, that broadcast cannot
 * fall between its check and its sleep. When nobody waits, notify is one atomic add and one load.
 *
 * SPSC ring. head and tail are free-running 64-bit counters (they never wrap in practice), so
 * full is `tail - head == capacity` and empty is `tail == head` with no slot wasted. Each side
 * publishes its counter with a release store and reads the other side's with an acquire load,
 * which orders the slot write before the consumer can see it and the slot read before the
 * producer can reuse it.
 */
#include "base/sync.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "spate/spate.h"

void sp_event_init(sp_event *e) {
  atomic_init(&e->seq, 0);
  atomic_init(&e->waiters, 0);
  pthread_mutex_init(&e->mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  /* Deadlines are measured on the monotonic clock so a wall-clock jump cannot stretch or cut a
   * timeout short. */
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&e->cond, &attr);
  pthread_condattr_destroy(&attr);
  e->hook = NULL;
  e->hook_arg = NULL;
}

void sp_event_init_hook(sp_event *e, void (*hook)(void *arg), void *arg) {
  sp_event_init(e);
  e->hook = hook;
  e->hook_arg = arg;
}

void sp_event_destroy(sp_event *e) {
  pthread_cond_destroy(&e->cond);
  pthread_mutex_destroy(&e->mu);
}

uint32_t sp_event_prepare(sp_event *e) {
  return atomic_load_explicit(&e->seq, memory_order_acquire);
}

bool sp_event_wait(sp_event *e, uint32_t token, int64_t timeout_ns) {
  if (atomic_load_explicit(&e->seq, memory_order_acquire) != token) return true;
  if (timeout_ns == 0) return false;

  struct timespec deadline;
  if (timeout_ns > 0) {
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    int64_t ns = deadline.tv_nsec + timeout_ns % 1000000000LL;
    deadline.tv_sec += (time_t)(timeout_ns / 1000000000LL + ns / 1000000000LL);
    deadline.tv_nsec = (long)(ns % 1000000000LL);
  }

  atomic_fetch_add(&e->waiters, 1); /* seq_cst: pairs with the seq bump in notify */
  pthread_mutex_lock(&e->mu);
  bool notified;
  for (;;) {
    notified = atomic_load(&e->seq) != token;
    if (notified) break;
    if (timeout_ns < 0) {
      pthread_cond_wait(&e->cond, &e->mu);
    } else if (pthread_cond_timedwait(&e->cond, &e->mu, &deadline) == ETIMEDOUT) {
      notified = atomic_load(&e->seq) != token;
      break;
    }
  }
  pthread_mutex_unlock(&e->mu);
  atomic_fetch_sub(&e->waiters, 1);
  return notified;
}

void sp_event_notify(sp_event *e) {
  if (e->hook) { /* nobody sleeps on a hooked event */
    e->hook(e->hook_arg);
    return;
  }
  atomic_fetch_add(&e->seq, 1); /* seq_cst: must precede the waiters load in the total order */
  if (atomic_load(&e->waiters) == 0) return;
  /* Taking the mutex closes the window between a waiter's re-check of seq and its sleep. */
  pthread_mutex_lock(&e->mu);
  pthread_cond_broadcast(&e->cond);
  pthread_mutex_unlock(&e->mu);
}

int sp_spsc_init(sp_spsc *q, uint32_t capacity) {
  memset(q, 0, sizeof *q);
  atomic_init(&q->head, 0);
  atomic_init(&q->tail, 0);
  if (capacity > (1u << 31)) return SPATE_EINVAL;
  uint32_t cap = 1;
  while (cap < capacity) cap <<= 1;
  q->slots = sp_calloc(cap, sizeof *q->slots);
  if (!q->slots) return SPATE_ENOMEM;
  q->mask = cap - 1;
  return 0;
}

void sp_spsc_destroy(sp_spsc *q) {
  sp_free(q->slots);
  q->slots = NULL;
}

bool sp_spsc_push(sp_spsc *q, void *p) {
  /* NULL is the "empty" answer of pop, so it cannot be an item. */
  sp_assert(p != NULL);
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
  if (tail - head > q->mask) return false;
  q->slots[tail & q->mask] = p;
  atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
  return true;
}

void *sp_spsc_peek(sp_spsc *q) {
  uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
  return head == tail ? NULL : q->slots[head & q->mask];
}

void *sp_spsc_pop(sp_spsc *q) {
  uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
  if (head == tail) return NULL;
  void *p = q->slots[head & q->mask];
  atomic_store_explicit(&q->head, head + 1, memory_order_release);
  return p;
}

bool sp_spsc_empty(sp_spsc *q) {
  return atomic_load_explicit(&q->head, memory_order_acquire) ==
         atomic_load_explicit(&q->tail, memory_order_acquire);
}

uint32_t sp_spsc_size(sp_spsc *q) {
  return (uint32_t)(atomic_load_explicit(&q->tail, memory_order_acquire) -
                    atomic_load_explicit(&q->head, memory_order_acquire));
}
