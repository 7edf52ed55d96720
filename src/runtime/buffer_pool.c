/*
 * buffer_pool.c: a slab of equal buffers and a free stack. See buffer_pool.h for the contract.
 */
#include "runtime/buffer_pool.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "spate/spate.h"

static void *align64(void *p) { return (void *)(((uintptr_t)p + 63u) & ~(uintptr_t)63u); }

int bufpool_create(uint32_t count, uint32_t size, bufpool **out) {
  *out = NULL;
  size = (size + 15u) & ~15u; /* a buffer's capacity: a multiple of 16 */
  if (count == 0 || size < 64) return SPATE_EINVAL;
  bufpool *p = sp_calloc(1, sizeof *p);
  if (!p) return SPATE_ENOMEM;
  p->buffers_mem = sp_calloc((size_t)count + 1, sizeof *p->buffers);
  p->free = sp_calloc(count, sizeof *p->free);
  size_t stride = (size + 63u) & ~(size_t)63u; /* every buffer of the slab starts a cache line */
  p->slab = sp_malloc((size_t)count * stride + 63);
  if (!p->buffers_mem || !p->free || !p->slab) {
    sp_free(p->buffers_mem);
    sp_free(p->free);
    sp_free(p->slab);
    sp_free(p);
    return SPATE_ENOMEM;
  }
  p->buffers = (rt_buffer *)align64(p->buffers_mem);
  p->memory = (uint8_t *)align64(p->slab);
  pthread_mutex_init(&p->mu, NULL);
  sp_event_init(&p->avail);
  p->count = count;
  p->buffer_size = size;
  for (uint32_t i = 0; i < count; i++) {
    rt_buffer *b = &p->buffers[i];
    b->pool = p;
    b->data = p->memory + (size_t)i * stride;
    b->cap = size;
    p->free[i] = b;
  }
  p->nfree = count;
  *out = p;
  return 0;
}

void bufpool_destroy(bufpool *p) {
  if (!p) return;
  pthread_mutex_destroy(&p->mu);
  sp_event_destroy(&p->avail);
  sp_free(p->buffers_mem);
  sp_free(p->free);
  sp_free(p->slab);
  sp_free(p);
}

static rt_buffer *try_take(bufpool *p) {
  rt_buffer *b = NULL;
  pthread_mutex_lock(&p->mu);
  if (p->nfree) b = p->free[--p->nfree];
  pthread_mutex_unlock(&p->mu);
  if (b) b->size = 0;
  return b;
}

rt_buffer *bufpool_try_get(bufpool *p) { return try_take(p); }

void bufpool_set_recycle_hook(bufpool *p, void (*fn)(void *arg), void *arg) {
  p->on_recycle = fn;
  p->on_recycle_arg = arg;
}

static _Atomic uint64_t waits_begun;

uint64_t bufpool_waits(void) { return atomic_load(&waits_begun); }

rt_buffer *bufpool_get(bufpool *p, const _Atomic bool *cancel, uint64_t *wait_ns) {
  rt_buffer *b = try_take(p);
  if (b) return b;
  int64_t start = sp_mono_ns();
  atomic_fetch_add(&waits_begun, 1);
  for (;;) {
    uint32_t token = sp_event_prepare(&p->avail);
    if ((b = try_take(p)) != NULL) break;
    if (cancel && atomic_load(cancel)) break;
    sp_event_wait(&p->avail, token, 100 * 1000000LL);
  }
  /* at least 1 ns: a request that had to wait counts as backpressure however short */
  if (wait_ns) *wait_ns += (uint64_t)(sp_mono_ns() - start) + 1;
  return b;
}

/* Puts b back on the free stack; returns how many are free now. */
static uint32_t put_back(rt_buffer *b) {
  bufpool *p = b->pool;
  sp_assert(b >= p->buffers && b < p->buffers + p->count); /* one of this pool's */
  pthread_mutex_lock(&p->mu);
  sp_assert(p->nfree < p->count); /* else a buffer came back twice */
  p->free[p->nfree++] = b;
  uint32_t n = p->nfree;
  pthread_mutex_unlock(&p->mu);
  return n;
}

void bufpool_recycle(rt_buffer *b) {
  bufpool *p = b->pool;
  put_back(b);
  sp_event_notify(&p->avail);
  if (p->on_recycle) p->on_recycle(p->on_recycle_arg);
}

void bufpool_recycle_more_coming(rt_buffer *b) {
  bufpool *p = b->pool;
  uint32_t n = put_back(b);
  if (n * 4 >= p->count) sp_event_notify(&p->avail);
  if (p->on_recycle) p->on_recycle(p->on_recycle_arg);
}

void bufpool_wake(bufpool *p) { sp_event_notify(&p->avail); }

uint32_t bufpool_available(bufpool *p) {
  pthread_mutex_lock(&p->mu);
  uint32_t n = p->nfree;
  pthread_mutex_unlock(&p->mu);
  return n;
}
