/*
 * test_sync.c: sp_event (prepare/recheck/wait, timeouts, no lost wake-ups, a notify without
 * waiters that never touches the mutex) and sp_spsc (bounds, FIFO order, and a million pointers
 * handed between two threads that park on events when the ring is empty or full).
 *
 * Waits in the threaded tests carry a long timeout and count how often it expired with the
 * condition already true: with a lost wake-up the test fails instead of hanging.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/sync.h"
#include "spate/spate.h"
#include "support/testkit.h"

#define LONG_WAIT_NS (TK_TIMEOUT_MS * 1000000LL) /* only a lost wake-up waits this long */

static void test_spsc_basic(void **state) {
  (void)state;
  sp_spsc q;
  assert_int_equal(sp_spsc_init(&q, 5), 0); /* rounds up to 8 */
  assert_true(sp_spsc_empty(&q));
  assert_null(sp_spsc_pop(&q));
  assert_null(sp_spsc_peek(&q));
  int items[9];
  for (int i = 0; i < 8; i++) assert_true(sp_spsc_push(&q, &items[i]));
  assert_false(sp_spsc_push(&q, &items[8]));
  assert_false(sp_spsc_empty(&q));
  assert_ptr_equal(sp_spsc_peek(&q), &items[0]);
  assert_ptr_equal(sp_spsc_pop(&q), &items[0]);
  assert_true(sp_spsc_push(&q, &items[8])); /* one slot freed */
  for (int i = 1; i < 9; i++) assert_ptr_equal(sp_spsc_pop(&q), &items[i]);
  assert_null(sp_spsc_pop(&q));
  assert_true(sp_spsc_empty(&q));
  /* Wrap around many times. */
  for (int round = 0; round < 1000; round++) {
    for (int i = 0; i < 3; i++) assert_true(sp_spsc_push(&q, &items[i]));
    for (int i = 0; i < 3; i++) assert_ptr_equal(sp_spsc_pop(&q), &items[i]);
  }
  sp_spsc_destroy(&q);

  assert_int_equal(sp_spsc_init(&q, 0), 0); /* capacity 0 still holds one item */
  assert_true(sp_spsc_push(&q, &items[0]));
  assert_false(sp_spsc_push(&q, &items[1]));
  sp_spsc_destroy(&q);

  assert_int_equal(sp_spsc_init(&q, 64), 0);
  for (int i = 0; i < 64; i++) assert_true(sp_spsc_push(&q, &items[0]));
  assert_false(sp_spsc_push(&q, &items[0]));
  sp_spsc_destroy(&q);
}

typedef struct pipe_ctx {
  sp_spsc q;
  sp_event not_empty; /* the consumer parks here */
  sp_event not_full;  /* the producer parks here */
  uint64_t count;
  uint64_t received;
  uint64_t out_of_order;
  uint64_t lost_wakeups;
} pipe_ctx;

static void *producer(void *arg) {
  pipe_ctx *c = arg;
  for (uint64_t i = 1; i <= c->count; i++) {
    void *p = (void *)(uintptr_t)i;
    while (!sp_spsc_push(&c->q, p)) {
      uint32_t tok = sp_event_prepare(&c->not_full);
      if (sp_spsc_push(&c->q, p)) break;
      if (!sp_event_wait(&c->not_full, tok, LONG_WAIT_NS)) c->lost_wakeups++;
    }
    sp_event_notify(&c->not_empty);
  }
  return NULL;
}

static void *consumer(void *arg) {
  pipe_ctx *c = arg;
  uint64_t expect = 1;
  while (expect <= c->count) {
    void *p = sp_spsc_pop(&c->q);
    if (!p) {
      uint32_t tok = sp_event_prepare(&c->not_empty);
      if (!sp_spsc_empty(&c->q)) continue;
      if (!sp_event_wait(&c->not_empty, tok, LONG_WAIT_NS)) c->lost_wakeups++;
      continue;
    }
    if ((uintptr_t)p != expect) c->out_of_order++;
    expect++;
    c->received++;
    sp_event_notify(&c->not_full);
  }
  return NULL;
}

static void test_spsc_threads_million(void **state) {
  (void)state;
  pipe_ctx c;
  memset(&c, 0, sizeof c);
  c.count = 1000000;
  assert_int_equal(sp_spsc_init(&c.q, 64), 0);
  sp_event_init(&c.not_empty);
  sp_event_init(&c.not_full);
  pthread_t pt, ct;
  assert_int_equal(pthread_create(&ct, NULL, consumer, &c), 0);
  assert_int_equal(pthread_create(&pt, NULL, producer, &c), 0);
  pthread_join(pt, NULL);
  pthread_join(ct, NULL);
  assert_true(c.received == c.count);
  assert_true(c.out_of_order == 0);
  assert_true(c.lost_wakeups == 0);
  assert_true(sp_spsc_empty(&c.q));
  sp_event_destroy(&c.not_empty);
  sp_event_destroy(&c.not_full);
  sp_spsc_destroy(&c.q);
}

static void test_event_timeout(void **state) {
  (void)state;
  sp_event e;
  sp_event_init(&e);
  uint32_t tok = sp_event_prepare(&e);
  int64_t t0 = sp_mono_ns();
  assert_false(sp_event_wait(&e, tok, 50 * 1000000LL));
  int64_t took = sp_mono_ns() - t0;
  assert_true(took >= 50 * 1000000LL); /* never early; late only by scheduling */
  assert_true(took < TK_TIMEOUT_MS * 1000000LL);
  assert_int_equal(atomic_load(&e.waiters), 0);
  /* Zero timeout polls. */
  assert_false(sp_event_wait(&e, tok, 0));
  /* A timeout over one second exercises the seconds carry. */
  t0 = sp_mono_ns();
  assert_false(sp_event_wait(&e, tok, 1000000000LL + 999999999LL / 100));
  took = sp_mono_ns() - t0;
  assert_true(took >= 1000000000LL + 999999999LL / 100);
  sp_event_destroy(&e);
}

static void test_event_notify_between_prepare_and_wait(void **state) {
  (void)state;
  sp_event e;
  sp_event_init(&e);
  uint32_t tok = sp_event_prepare(&e);
  sp_event_notify(&e);
  /* Would block forever if the notify were lost. */
  assert_true(sp_event_wait(&e, tok, -1));
  assert_true(sp_event_wait(&e, tok, 0));
  /* A fresh token is not satisfied by the old notify. */
  uint32_t tok2 = sp_event_prepare(&e);
  assert_int_not_equal(tok, tok2);
  assert_false(sp_event_wait(&e, tok2, 0));
  sp_event_destroy(&e);
}

typedef struct sleeper {
  sp_event e;
  uint32_t tok;
  _Atomic int woke;
} sleeper;

static void *sleep_forever(void *arg) {
  sleeper *s = arg;
  bool r = sp_event_wait(&s->e, s->tok, -1);
  atomic_store(&s->woke, r ? 1 : 2);
  return NULL;
}

static void test_event_wakes_sleeper(void **state) {
  (void)state;
  sleeper s;
  sp_event_init(&s.e);
  atomic_init(&s.woke, 0);
  s.tok = sp_event_prepare(&s.e);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, sleep_forever, &s), 0);
  /* Wait until the thread has registered as a waiter so the notify takes the sleeping path. */
  TK_AWAIT(atomic_load(&s.e.waiters) > 0, "the sleeper to register as a waiter");
  assert_int_equal(atomic_load(&s.woke), 0);
  sp_event_notify(&s.e);
  pthread_join(t, NULL);
  assert_int_equal(atomic_load(&s.woke), 1);
  assert_int_equal(atomic_load(&s.e.waiters), 0);
  sp_event_destroy(&s.e);
}

static void *notify_once(void *arg) {
  sp_event_notify(arg);
  return NULL;
}

static void test_event_notify_without_waiters_skips_mutex(void **state) {
  (void)state;
  sp_event e;
  sp_event_init(&e);
  uint32_t before = sp_event_prepare(&e);
  /* With the mutex held here, a notify that took it would block; it must finish regardless. */
  pthread_mutex_lock(&e.mu);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, notify_once, &e), 0);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  int rc = pthread_timedjoin_np(t, NULL, &deadline);
  pthread_mutex_unlock(&e.mu);
  if (rc != 0) pthread_join(t, NULL);
  assert_int_equal(rc, 0);
  assert_int_equal(sp_event_prepare(&e), before + 1);
  sp_event_destroy(&e);
}

typedef struct pingpong {
  sp_event ev[2];
  _Atomic uint32_t turn; /* whose turn: 0 or 1 */
  int rounds;
  uint64_t lost_wakeups;
  uint64_t lost_wakeups_1;
} pingpong;

static void play(pingpong *pp, int me, uint64_t *lost) {
  for (int i = 0; i < pp->rounds; i++) {
    for (;;) {
      if (atomic_load(&pp->turn) == (uint32_t)me) break;
      uint32_t tok = sp_event_prepare(&pp->ev[me]);
      if (atomic_load(&pp->turn) == (uint32_t)me) break;
      if (!sp_event_wait(&pp->ev[me], tok, LONG_WAIT_NS)) (*lost)++;
    }
    atomic_store(&pp->turn, (uint32_t)(1 - me));
    sp_event_notify(&pp->ev[1 - me]);
  }
}

static void *player1(void *arg) {
  pingpong *pp = arg;
  play(pp, 1, &pp->lost_wakeups_1);
  return NULL;
}

static void test_event_pingpong(void **state) {
  (void)state;
  pingpong pp;
  memset(&pp, 0, sizeof pp);
  sp_event_init(&pp.ev[0]);
  sp_event_init(&pp.ev[1]);
  atomic_init(&pp.turn, 0);
  pp.rounds = 20000;
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, player1, &pp), 0);
  play(&pp, 0, &pp.lost_wakeups);
  pthread_join(t, NULL);
  assert_true(pp.lost_wakeups == 0);
  assert_true(pp.lost_wakeups_1 == 0);
  assert_int_equal(atomic_load(&pp.turn), 0); /* both played every round */
  sp_event_destroy(&pp.ev[0]);
  sp_event_destroy(&pp.ev[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spsc_basic),
      cmocka_unit_test(test_spsc_threads_million),
      cmocka_unit_test(test_event_timeout),
      cmocka_unit_test(test_event_notify_between_prepare_and_wait),
      cmocka_unit_test(test_event_wakes_sleeper),
      cmocka_unit_test(test_event_notify_without_waiters_skips_mutex),
      cmocka_unit_test(test_event_pingpong),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
