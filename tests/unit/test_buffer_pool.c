/*
 * test_buffer_pool.c: the bounded network buffer pool (buffer_pool.h).
 *
 * Covers taking and recycling buffers (sizes, distinct memory, availability counts), the
 * producer side of backpressure (a consumer that recycles only when the producer is parked makes
 * bufpool_get wait every time, and the waits are added to the caller's counter), and
 * cancellation (setting the flag and calling bufpool_wake releases a producer parked on an empty
 * pool with NULL).
 *
 * Threads hand buffers over through an SPSC ring; the test awaits states (TK_AWAIT, deadlines),
 * never sleeps.
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
#include "support/testkit.h"

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

/* ---- a producer that outruns its consumer -------------------------------------------------- */
/* The producer thread takes TOTAL buffers from a pool of POOL and hands them over; the test is the
 * consumer, and recycles a buffer only once the producer is parked on the empty pool. So the
 * producer waits exactly TOTAL - POOL times, and each wait ends with the recycle that woke it. */
typedef struct handoff {
  bufpool *pool;
  sp_spsc queue;      /* producer -> consumer */
  _Atomic int pushed; /* buffers handed over */
  uint64_t wait_ns;   /* the producer's backpressure counter */
  int64_t elapsed_ns; /* the producer's whole run */
} handoff;

enum { POOL = 4, TOTAL = 24 };

static void *producer(void *arg) {
  handoff *h = arg;
  int64_t start = sp_mono_ns();
  for (int i = 0; i < TOTAL; i++) {
    rt_buffer *b = bufpool_get(h->pool, NULL, &h->wait_ns);
    uint64_t v = (uint64_t)i;
    memcpy(b->data, &v, 8);
    b->size = 8;
    sp_spsc_push(&h->queue, b);
    atomic_fetch_add(&h->pushed, 1);
    tk_notify();
  }
  h->elapsed_ns = sp_mono_ns() - start;
  return NULL;
}

static void test_producer_waits_for_recycled_buffers(void **state) {
  (void)state;
  handoff h;
  memset(&h, 0, sizeof h);
  assert_int_equal(bufpool_create(POOL, 256, &h.pool), 0);
  assert_int_equal(sp_spsc_init(&h.queue, TOTAL), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, producer, &h), 0);
  for (int k = 0; k < TOTAL; k++) {
    if (k + POOL < TOTAL) { /* buffer k + POOL cannot be had before buffer k comes back */
      TK_AWAIT(atomic_load(&h.pushed) == k + POOL && atomic_load(&h.pool->avail.waiters) > 0,
               "the producer parked after %d buffers", k + POOL);
      assert_int_equal(bufpool_available(h.pool), 0);
    } else {
      TK_AWAIT(atomic_load(&h.pushed) > k, "buffer %d", k);
    }
    rt_buffer *b = sp_spsc_pop(&h.queue);
    assert_non_null(b);
    uint64_t v;
    memcpy(&v, b->data, 8);
    assert_int_equal(b->size, 8); /* arrives intact and in order */
    assert_int_equal(v, (uint64_t)k);
    bufpool_recycle(b); /* wakes the parked producer */
  }
  pthread_join(th, NULL);
  assert_int_equal(bufpool_available(h.pool), POOL);
  /* every wait counted (at least 1 ns each), never more than the producer ran */
  assert_true(h.wait_ns >= (uint64_t)(TOTAL - POOL));
  assert_true(h.wait_ns <= (uint64_t)h.elapsed_ns + TOTAL);
  sp_spsc_destroy(&h.queue);
  bufpool_destroy(h.pool);
}

/* ---- cancellation ------------------------------------------------------------------------- */
typedef struct waiter {
  bufpool *pool;
  _Atomic bool cancel;
  _Atomic int started, returned;
  rt_buffer *got;
  uint64_t wait_ns;
} waiter;

static void *blocked_producer(void *arg) {
  waiter *w = arg;
  atomic_store(&w->started, 1);
  w->got = bufpool_get(w->pool, &w->cancel, &w->wait_ns);
  atomic_store(&w->returned, 1);
  tk_notify();
  return NULL;
}

/* Waits until the thread is parked on the pool's event (nothing notifies that: TK_AWAIT
 * re-checks). */
static void await_parked(bufpool *p, waiter *w) {
  TK_AWAIT(atomic_load(&w->started) && atomic_load(&p->avail.waiters) > 0,
           "a producer parked on the empty pool");
}

static void test_cancel_unblocks_waiting_producer(void **state) {
  (void)state;
  bufpool *p;
  assert_int_equal(bufpool_create(2, 128, &p), 0);
  rt_buffer *a = bufpool_get(p, NULL, NULL), *b = bufpool_get(p, NULL, NULL);
  assert_non_null(a);
  assert_non_null(b);
  /* Several rounds: a producer parked on the empty pool returns NULL once the flag is set and
   * the pool woken, and takes nothing. */
  for (int round = 0; round < 5; round++) {
    waiter w;
    memset(&w, 0, sizeof w);
    w.pool = p;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_producer, &w), 0);
    await_parked(p, &w);
    atomic_store(&w.cancel, true);
    bufpool_wake(p);
    TK_AWAIT(atomic_load(&w.returned), "the cancelled producer to return");
    pthread_join(th, NULL);
    assert_null(w.got);
    assert_true(w.wait_ns > 0);
  }
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
  TK_AWAIT(atomic_load(&w.returned), "the producer to take the recycled buffer");
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
      cmocka_unit_test(test_producer_waits_for_recycled_buffers),
      cmocka_unit_test(test_cancel_unblocks_waiting_producer),
      cmocka_unit_test(test_recycle_wakes_waiting_producer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
