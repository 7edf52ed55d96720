/*
 * sync.h: the threading primitives tasks are built on.
 *
 * sp_event: a parking spot for one waiting thread. Waking is cheap when nobody sleeps (an atomic
 * flag check; no syscall), which keeps the per-buffer hand-over free of locks in the common case.
 * The sequence is: waiter reads `sp_event_prepare`, re-checks its condition, then calls
 * sp_event_wait with that token; a notifier changes the condition first and then calls
 * sp_event_notify. A notify between prepare and wait makes the wait return at once.
 *
 * sp_spsc: a bounded single-producer single-consumer ring of pointers, lock-free.
 */
#ifndef SPATE_BASE_SYNC_H
#define SPATE_BASE_SYNC_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct sp_event {
  _Atomic uint32_t seq;
  _Atomic uint32_t waiters;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  /* Set (sp_event_init_hook): notify calls hook(hook_arg) instead of waking a thread. For a
   * waiter that is an event loop rather than a thread (the network sender's libuv loop). */
  void (*hook)(void *arg);
  void *hook_arg;
} sp_event;

void sp_event_init(sp_event *e);
/* An event nobody waits on: each notify calls hook(arg) on the notifier's thread. */
void sp_event_init_hook(sp_event *e, void (*hook)(void *arg), void *arg);
void sp_event_destroy(sp_event *e);
uint32_t sp_event_prepare(sp_event *e);
/* Waits until notified after `token` was taken, or timeout_ns passes (< 0: no timeout). Returns
 * true if notified, false on timeout. */
bool sp_event_wait(sp_event *e, uint32_t token, int64_t timeout_ns);
void sp_event_notify(sp_event *e);

typedef struct sp_spsc {
  _Atomic uint64_t head; /* next slot to read; written by the consumer */
  char pad1[56];
  _Atomic uint64_t tail; /* next slot to write; written by the producer */
  char pad2[56];
  uint32_t mask;
  void **slots;
} sp_spsc;

/* capacity is rounded up to a power of two. Returns 0 or SPATE_ENOMEM. */
int sp_spsc_init(sp_spsc *q, uint32_t capacity);
void sp_spsc_destroy(sp_spsc *q);
bool sp_spsc_push(sp_spsc *q, void *p); /* false when full */
void *sp_spsc_pop(sp_spsc *q);          /* NULL when empty */
void *sp_spsc_peek(sp_spsc *q);
bool sp_spsc_empty(sp_spsc *q);
/* Items queued, as seen by the consumer (exact on its thread, a lower bound elsewhere). */
uint32_t sp_spsc_size(sp_spsc *q);
#endif
