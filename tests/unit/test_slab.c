/*
 * test_slab.c: base/slab.c, the small-block allocator under keyed-state entries and timers:
 * blocks are 8-aligned and disjoint, a freed block is the next one of its rounded size, chunks
 * are counted by the accounting allocator and all given back by sp_slab_destroy, and an
 * allocation failure is reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "base/alloc.h"
#include "base/slab.h"

enum { N = 3000 };

static void blocks_are_aligned_disjoint_and_kept(void **state) {
  (void)state;
  sp_slab s = {0};
  static uint8_t *p[N];
  for (int i = 0; i < N; i++) { /* sizes 1 .. SP_SLAB_MAX */
    size_t n = (size_t)(i % SP_SLAB_MAX) + 1;
    p[i] = sp_slab_alloc(&s, n);
    assert_non_null(p[i]);
    assert_int_equal((uintptr_t)p[i] % 8, 0);
    memset(p[i], i & 0xff, n);
  }
  for (int i = 0; i < N; i++) { /* no block overwrote another */
    size_t n = (size_t)(i % SP_SLAB_MAX) + 1;
    for (size_t k = 0; k < n; k++)
      if (p[i][k] != (uint8_t)(i & 0xff)) fail_msg("block %d byte %zu overwritten", i, k);
  }
  sp_slab_destroy(&s);
}

static void a_freed_block_is_reused_for_its_rounded_size(void **state) {
  (void)state;
  sp_slab s = {0};
  void *a = sp_slab_alloc(&s, 40), *b = sp_slab_alloc(&s, 100);
  assert_non_null(a);
  assert_non_null(b);
  sp_slab_free(&s, a, 40);
  void *c = sp_slab_alloc(&s, 100); /* another size: not a's block */
  assert_non_null(c);
  assert_ptr_not_equal(c, a);
  assert_ptr_equal(sp_slab_alloc(&s, 33), a); /* 33 and 40 both round to 40 */
  sp_slab_free(&s, a, 33);
  void *d = sp_slab_alloc(&s, 41); /* rounds to 48: not a's block */
  assert_non_null(d);
  assert_ptr_not_equal(d, a);
  sp_slab_destroy(&s);
}

static void chunks_are_counted_and_given_back(void **state) {
  (void)state;
  int64_t before = sp_alloc_current();
  sp_slab s = {0};
  for (int i = 0; i < N; i++) assert_non_null(sp_slab_alloc(&s, 64));
  assert_true(sp_alloc_current() - before >= (int64_t)N * 64);
  sp_slab_destroy(&s);
  assert_int_equal(sp_alloc_current(), before);
  for (int i = 0; i < 8; i++) assert_null(s.free[i]); /* empty again, and usable */
  assert_non_null(sp_slab_alloc(&s, 16));
  sp_slab_destroy(&s);
}

static void out_of_memory_is_null(void **state) {
  (void)state;
  sp_slab s = {0};
  sp_alloc_fail_after(1, 1); /* the first chunk cannot be had */
  assert_null(sp_slab_alloc(&s, 32));
  sp_alloc_fail_after(0, 0);
  assert_non_null(sp_slab_alloc(&s, 32));
  sp_slab_destroy(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(blocks_are_aligned_disjoint_and_kept),
      cmocka_unit_test(a_freed_block_is_reused_for_its_rounded_size),
      cmocka_unit_test(chunks_are_counted_and_given_back),
      cmocka_unit_test(out_of_memory_is_null),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
