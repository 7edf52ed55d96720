/*
 * test_buffer_pool.c: the bounded network buffer pool (buffer_pool.h).
 *
 * Covers taking and recycling buffers (sizes, distinct memory, availability counts), the
 * producer side of backpressure (a consumer that recycles slowly makes bufpool_get wait, and the
 * wait is added to the caller's counter), and cancellation (setting the flag and calling
 * bufpool_wake releases a producer parked on an empty pool with NULL).
 *
 * Threads hand buffers over through an SPSC ring and park on sp_events; the only sleep is the
 * consumer's deliberate slowness, never a stand-in for synchronisation.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/sync.h"
#include "runtime/buffer_pool.h"
#include "spate/spate.h"

#define MS (1000000LL)

static void test_create_rejects_bad_sizes(void **state) {
  (void)state;
  bufpool *p = (bufpool *)1;
  assert_int_equal(bufpool_create(0, 1024, &p), SPATE_EINVAL);
  assert_null(p);
  assert_int_equal(bufpool_create(4, 16, &p), SPATE_EINVAL);
  assert_null(p);
}

static void test_get_recycle_available(void **state) {
  (void)state;
  bufpool *p;
  assert_int_equal(bufpool_create(4, 100, &p), 0); /* 100 is rounded up to 112 */
  assert_int_equal(bufpool_available(p), 4);
  assert_int_equal(p->buffer_size, 112);

  rt_buffer *b[4];
  uint64_t wait = 0;
  for (int i = 0; i < 4; i++) {
    b[i] = bufpool_get(p, NULL, &wait);
    assert_non_null(b[i]);
    assert_ptr_equal(b[i]->pool, p);
    assert_int_equal(b[i]->cap, 112);
    assert_int_equal(b[i]->size, 0);
    assert_int_equal((uintptr_t)b[i]->data % 8, 0); /* elements need 8-byte alignment */
    assert_int_equal(bufpool_available(p), 3 - i);
    memset(b[i]->data, 0xA0 + i, b[i]->cap); /* the whole capacity is writable (ASan checks) */
    b[i]->size = 50;
  }
  assert_int_equal(wait, 0); /* free buffers are taken without waiting */
  /* distinct, non-overlapping memory */
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      if (i != j)
        assert_true(b[i]->data + b[i]->cap <= b[j]->data || b[j]->data + b[j]->cap <= b[i]->data);
  for (int i = 0; i < 4; i++)
    for (uint32_t k = 0; k < b[i]->cap; k++) assert_int_equal(b[i]->data[k], 0xA0 + i);

  bufpool_recycle(b[2]);
  assert_int_equal(bufpool_available(p), 1);
  rt_buffer *again = bufpool_get(p, NULL, NULL); /* wait_ns may be NULL */
  assert_ptr_equal(again, b[2]);
  assert_int_equal(again->size, 0); /* size is reset on get */
  assert_int_equal(bufpool_available(p), 0);
  for (int i = 0; i < 4; i++) bufpool_recycle(b[i]);
  assert_int_equal(bufpool_available(p), 4);
  bufpool_destroy(p);
  bufpool_destroy(NULL);
}

static void test_sixteen_byte_alignment(void **state) {
  (void)state;
  /* buffer_pool.h promises 16-byte aligned data; with a size that is a multiple of 16 (as the
   * configured segment sizes are) every buffer must be. */
  bufpool *p;
  assert_int_equal(bufpool_create(8, 4096, &p), 0);
  rt_buffer *b[8];
  for (int i = 0; i < 8; i++) {
    b[i] = bufpool_get(p, NULL, NULL);
    assert_int_equal((uintptr_t)b[i]->data % 16, 0);
  }
  for (int i = 0; i < 8; i++) bufpool_recycle(b[i]);
  bufpool_destroy(p);
}

/* ---- a producer that outruns a slow consumer -------------------------------------------- */
typedef struct handoff {
  bufpool *pool;
  sp_spsc queue;        /* producer -> consumer */
  sp_event ev;          /* the consumer parks here */
  _Atomic int done;     /* the producer has pushed its last buffer */
  int recycled;
  int bad;              /* buffers that arrived altered (checked on the main thread) */
  long consumer_sleep_ns;
} handoff;

static void *slow_consumer(void *arg) {
  handoff *h = arg;
  for (;;) {
    uint32_t token = sp_event_prepare(&h->ev);
    rt_buffer *b = sp_spsc_pop(&h->queue);
    if (!b) {
      if (atomic_load(&h->done) && sp_spsc_empty(&h->queue)) break;
      sp_event_wait(&h->ev, token, 10000 * MS);
      continue;
    }
    uint64_t v;
    memcpy(&v, b->data, 8);
    if (b->size != 8 || v != (uint64_t)h->recycled) h->bad++; /* arrives intact and in order */
    struct timespec ts = {0, h->consumer_sleep_ns};
    nanosleep(&ts, NULL); /* deliberately slow: this is what the test is about */
    bufpool_recycle(b);
    h->recycled++;
  }
  return NULL;
}

static void test_slow_consumer_makes_producer_wait(void **state) {
  (void)state;
  enum { POOL = 4, TOTAL = 24 };
  handoff h;
  memset(&h, 0, sizeof h);
  assert_int_equal(bufpool_create(POOL, 256, &h.pool), 0);
  assert_int_equal(sp_spsc_init(&h.queue, TOTAL), 0);
  sp_event_init(&h.ev);
  h.consumer_sleep_ns = 2 * MS;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, slow_consumer, &h), 0);

  _Atomic bool cancel = false;
  uint64_t wait_ns = 0;
  int64_t start = sp_mono_ns();
  for (int i = 0; i < TOTAL; i++) {
    rt_buffer *b = bufpool_get(h.pool, &cancel, &wait_ns);
    assert_non_null(b);
    uint64_t v = (uint64_t)i;
    memcpy(b->data, &v, 8);
    b->size = 8;
    assert_true(sp_spsc_push(&h.queue, b));
    sp_event_notify(&h.ev);
  }
  int64_t elapsed = sp_mono_ns() - start;
  atomic_store(&h.done, 1);
  sp_event_notify(&h.ev);
  pthread_join(th, NULL);

  assert_int_equal(h.recycled, TOTAL);
  assert_int_equal(h.bad, 0);
  assert_int_equal(bufpool_available(h.pool), POOL);
  /* Buffer k + POOL can only be taken after the consumer recycled buffer k, which it does no
   * earlier than (k + 1) * 2 ms after the start; so the producer spent at least about
   * (TOTAL - POOL) * 2 ms = 40 ms waiting, and never more than it ran. */
  assert_true(wait_ns >= (uint64_t)(20 * MS));
  assert_true(wait_ns <= (uint64_t)elapsed);

  sp_spsc_destroy(&h.queue);
  sp_event_destroy(&h.ev);
  bufpool_destroy(h.pool);
}

/* ---- cancellation ------------------------------------------------------------------------- */
typedef struct waiter {
  bufpool *pool;
  _Atomic bool cancel;
  _Atomic int started;
  rt_buffer *got;
  uint64_t wait_ns;
  int64_t returned_ns;
} waiter;

static void *blocked_producer(void *arg) {
  waiter *w = arg;
  atomic_store(&w->started, 1);
  w->got = bufpool_get(w->pool, &w->cancel, &w->wait_ns);
  w->returned_ns = sp_mono_ns();
  return NULL;
}

/* Waits (bounded) until the thread is parked on the pool's event. */
static void await_parked(bufpool *p, waiter *w) {
  int64_t deadline = sp_mono_ns() + 10000 * MS;
  while (!(atomic_load(&w->started) && atomic_load(&p->avail.waiters) > 0)) {
    assert_true(sp_mono_ns() < deadline);
    sched_yield();
  }
}

static void test_cancel_unblocks_waiting_producer(void **state) {
  (void)state;
  bufpool *p;
  assert_int_equal(bufpool_create(2, 128, &p), 0);
  rt_buffer *a = bufpool_get(p, NULL, NULL), *b = bufpool_get(p, NULL, NULL);
  assert_non_null(a);
  assert_non_null(b);
  /* The pool polls the flag every 100 ms on its own; the wake makes it react at once. Several
   * rounds: each must return promptly, and the fastest must beat the 100 ms poll by far. */
  int64_t fastest = INT64_MAX;
  for (int round = 0; round < 5; round++) {
    waiter w;
    memset(&w, 0, sizeof w);
    w.pool = p;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_producer, &w), 0);
    await_parked(p, &w);
    int64_t cancelled_at = sp_mono_ns();
    atomic_store(&w.cancel, true);
    bufpool_wake(p);
    pthread_join(th, NULL);
    assert_null(w.got);
    assert_true(w.wait_ns > 0);
    int64_t reaction = w.returned_ns - cancelled_at;
    assert_true(reaction < 1000 * MS);
    if (reaction < fastest) fastest = reaction;
  }
  assert_true(fastest < 50 * MS);
  assert_int_equal(bufpool_available(p), 0); /* nothing was taken or lost */

  /* Already cancelled with an empty pool: returns NULL without waiting for a buffer. */
  _Atomic bool cancel = true;
  assert_null(bufpool_get(p, &cancel, NULL));
  /* Cancelled but a buffer is free: the buffer is still handed out. */
  bufpool_recycle(a);
  rt_buffer *c = bufpool_get(p, &cancel, NULL);
  assert_ptr_equal(c, a);
  bufpool_recycle(c);
  bufpool_recycle(b);
  assert_int_equal(bufpool_available(p), 2);
  bufpool_destroy(p);
}

static void test_recycle_wakes_waiting_producer(void **state) {
  (void)state;
  bufpool *p;
  assert_int_equal(bufpool_create(1, 128, &p), 0);
  rt_buffer *a = bufpool_get(p, NULL, NULL);
  waiter w;
  memset(&w, 0, sizeof w);
  w.pool = p;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, blocked_producer, &w), 0);
  await_parked(p, &w);
  a->size = 77;
  bufpool_recycle(a); /* from another thread than the one that took it */
  pthread_join(th, NULL);
  assert_ptr_equal(w.got, a);
  assert_int_equal(w.got->size, 0);
  assert_true(w.wait_ns > 0);
  bufpool_recycle(w.got);
  assert_int_equal(bufpool_available(p), 1);
  bufpool_destroy(p);
}

int main(void) {
  sp_log_set_level(SP_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_rejects_bad_sizes),
      cmocka_unit_test(test_get_recycle_available),
      cmocka_unit_test(test_sixteen_byte_alignment),
      cmocka_unit_test(test_slow_consumer_makes_producer_wait),
      cmocka_unit_test(test_cancel_unblocks_waiting_producer),
      cmocka_unit_test(test_recycle_wakes_waiting_producer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
