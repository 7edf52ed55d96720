/*
 * test_alloc.c: the accounting allocator's figures with several threads (base/alloc.c keeps a
 * count per thread and sums them when read): blocks allocated in one thread and freed in
 * another, threads that end (their slots taken over by later threads), and the peak.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>

#include "base/alloc.h"

enum { THREADS = 4, BLOCKS = 1000, BLOCK = 1000 };

typedef struct {
  void *blocks[BLOCKS];
} batch;

static void *allocate(void *arg) {
  batch *b = arg;
  for (int i = 0; i < BLOCKS; i++) b->blocks[i] = sp_malloc(BLOCK);
  return NULL;
}

static void *release(void *arg) {
  batch *b = arg;
  for (int i = 0; i < BLOCKS; i++) sp_free(b->blocks[i]);
  return NULL;
}

/* fn on b[0..n-1], a thread each, all joined */
static void run_threads(void *(*fn)(void *), batch *b, int n) {
  pthread_t t[THREADS];
  for (int i = 0; i < n; i++) assert_int_equal(pthread_create(&t[i], NULL, fn, &b[i]), 0);
  for (int i = 0; i < n; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
}

/* Allocated by four threads that then end, freed by four other threads: the current figure is
 * exact after each step, whatever thread did what. */
static void test_across_threads(void **state) {
  (void)state;
  batch *b = calloc(THREADS, sizeof *b);
  assert_non_null(b);
  int64_t base = sp_alloc_current();
  run_threads(allocate, b, THREADS);
  for (int i = 0; i < THREADS; i++)
    for (int j = 0; j < BLOCKS; j++) assert_non_null(b[i].blocks[j]);
  assert_int_equal(sp_alloc_current() - base, (int64_t)THREADS * BLOCKS * BLOCK);
  assert_true(sp_alloc_peak() >= base + (int64_t)THREADS * BLOCKS * BLOCK);
  run_threads(release, b, THREADS);
  assert_int_equal(sp_alloc_current(), base);
  /* again, so the second round's threads take over the slots the first ones left; one batch is
   * freed by this thread, the others by three new threads */
  run_threads(allocate, b, THREADS);
  release(&b[0]);
  assert_int_equal(sp_alloc_current() - base, (int64_t)(THREADS - 1) * BLOCKS * BLOCK);
  run_threads(release, b + 1, THREADS - 1);
  assert_int_equal(sp_alloc_current(), base);
  free(b);
}

/* The peak follows the current figure up within 16 KiB per thread (SLACK in alloc.c), and reads
 * of the current figure bring it up to date: a block larger than that shows at once. */
static void test_peak(void **state) {
  (void)state;
  int64_t base = sp_alloc_current();
  void *p = sp_malloc(8 << 20);
  assert_non_null(p);
  assert_true(sp_alloc_peak() >= base + (8 << 20));
  sp_free(p);
  assert_int_equal(sp_alloc_current(), base);
  assert_true(sp_alloc_peak() >= base + (8 << 20)); /* a peak never goes down */
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_across_threads),
                                     cmocka_unit_test(test_peak)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
