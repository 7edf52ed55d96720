/*
 * buffer_pool.h: fixed-size network buffers from a bounded pool.
 *
 * Every result partition owns one pool holding all the memory its records may occupy on their
 * way to consumers: nothing on the data path allocates. A producer that finds the pool empty
 * waits (backpressure); the time it waits is added to the caller's counter. Consumers hand
 * buffers back with bufpool_recycle from their own thread, which wakes a waiting producer.
 *
 * Lock: pool->mu guards the free stack only; it is taken once per buffer (32 KiB by default),
 * never per record.
 */
#ifndef SPATE_RUNTIME_BUFFER_POOL_H
#define SPATE_RUNTIME_BUFFER_POOL_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/sync.h"

typedef struct bufpool bufpool;

/* One cache line each: the producer writes `size` on every record while the consumer reads the
 * header of another buffer of the same pool, so headers sharing a line would bounce it between
 * their cores on every record. */
typedef struct __attribute__((aligned(64))) rt_buffer {
  bufpool *pool;
  uint8_t *data; /* 64-byte aligned, `cap` bytes */
  uint32_t size; /* bytes written */
  uint32_t cap;
} rt_buffer;

struct bufpool {
  pthread_mutex_t mu;
  sp_event avail;           /* notified when a buffer comes back */
  rt_buffer *buffers;       /* all buffers, 64-byte aligned inside buffers_mem */
  uint8_t *memory;          /* one slab for all buffers, 64-byte aligned inside `slab` */
  void *buffers_mem, *slab; /* the allocations */
  rt_buffer **free;         /* stack of free buffers */
  uint32_t nfree, count, buffer_size;
  /* Called after each recycle on the recycling thread (bufpool_set_recycle_hook); NULL for a
   * producer's pool. A network channel's mirror pool announces credit through it. */
  void (*on_recycle)(void *arg);
  void *on_recycle_arg;
};

/* Creates a pool of `count` buffers of `size` bytes (size rounded up to a multiple of 16). */
int bufpool_create(uint32_t count, uint32_t size, bufpool **out);
void bufpool_destroy(bufpool *p);
/* Takes a buffer (size reset to 0). Waits while none is free; returns NULL if *cancel becomes
 * true while waiting. Nanoseconds spent waiting are added to *wait_ns. */
rt_buffer *bufpool_get(bufpool *p, const _Atomic bool *cancel, uint64_t *wait_ns);
/* Takes a buffer if one is free (size reset to 0), else NULL at once. */
rt_buffer *bufpool_try_get(bufpool *p);
/* Installs (or with NULL removes) the recycle hook. Set it before the pool is shared. */
void bufpool_set_recycle_hook(bufpool *p, void (*fn)(void *arg), void *arg);
/* Returns a buffer and wakes a producer waiting for one; safe from any thread. */
void bufpool_recycle(rt_buffer *b);
/* Returns a buffer from a consumer that has more of the pool's buffers queued and will return
 * them soon: a waiting producer is woken only once a quarter of the pool is free, so that it
 * sleeps and wakes once per few buffers rather than once per buffer. A consumer that found its
 * queue empty returns its last buffer with bufpool_recycle, so a producer never waits for
 * buffers that are free while nothing else is coming back. */
void bufpool_recycle_more_coming(rt_buffer *b);
/* Wakes waiters so they notice cancellation. */
void bufpool_wake(bufpool *p);
uint32_t bufpool_available(bufpool *p);
/* How many times, in this process, a producer found its pool empty and began to wait (counted
 * before it waits). For tests and diagnostics: a test that holds a consumer back awaits a
 * producer's wait through it, since nothing else shows that a producer is blocked. */
uint64_t bufpool_waits(void);
#endif
