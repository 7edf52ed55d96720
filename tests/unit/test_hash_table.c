/*
 * test_hash_table.c: the open-addressing table (base/hash_table.h): entries are found by hash
 * and the caller's comparison, colliding hashes are all reachable, backward-shift removal keeps
 * every other entry findable (also across the wrap at the end of the slot array), the table
 * stays at most half full, and a failed growth changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/hash_table.h"

typedef struct entry {
  int key;
  uint64_t hash;
} entry;

static entry *find(const sp_htab *t, uint64_t hash, int key) {
  for (sp_htab_slot *s = sp_htab_first(t, hash); s; s = sp_htab_next(t, s))
    if (((entry *)s->entry)->key == key) return s->entry;
  return NULL;
}

static void add(sp_htab *t, entry *e) {
  assert_int_equal(sp_htab_reserve(t, 1), 0);
  assert_null(find(t, e->hash, e->key));
  sp_htab_insert(t, e->hash, e);
}

static void del(sp_htab *t, const entry *e) {
  for (sp_htab_slot *s = sp_htab_first(t, e->hash); s; s = sp_htab_next(t, s))
    if (s->entry == e) {
      sp_htab_remove(t, s);
      return;
    }
  fail_msg("entry %d not in the table", e->key);
}

static void empty_table(void **state) {
  (void)state;
  sp_htab t = {0};
  assert_null(sp_htab_first(&t, 42));
  assert_null(find(&t, 42, 1));
  assert_int_equal(sp_htab_reserve(&t, 0), 0);
  sp_htab_free(&t);
  assert_null(t.slots);
}

static void many_entries(void **state) {
  (void)state;
  enum { N = 20000 };
  entry *es = calloc(N, sizeof *es);
  sp_htab t = {0};
  for (int i = 0; i < N; i++) {
    es[i].key = i;
    es[i].hash = sp_hash64(&i, sizeof i);
    add(&t, &es[i]);
    assert_true((uint64_t)t.count * 2 <= (uint64_t)t.mask + 1); /* at most half full */
  }
  assert_int_equal(t.count, N);
  for (int i = 0; i < N; i++) assert_ptr_equal(find(&t, es[i].hash, i), &es[i]);
  int missing = N + 1;
  assert_null(find(&t, sp_hash64(&missing, sizeof missing), missing));
  /* Remove every third; the others stay, the removed are gone. */
  for (int i = 0; i < N; i += 3) del(&t, &es[i]);
  for (int i = 0; i < N; i++) {
    entry *got = find(&t, es[i].hash, i);
    if (i % 3 == 0)
      assert_null(got);
    else
      assert_ptr_equal(got, &es[i]);
  }
  assert_int_equal(t.count, N - (N + 2) / 3);
  sp_htab_free(&t);
  assert_null(t.slots);
  assert_int_equal(t.count, 0);
  free(es);
}

/* Entries whose hashes all land on the last slots: runs wrap to the start of the array, and
 * equal hashes (told apart by key only) all stay reachable through sp_htab_next. */
static void collisions_and_wrap(void **state) {
  (void)state;
  sp_htab t = {0};
  assert_int_equal(sp_htab_reserve(&t, 8), 0);
  uint32_t mask = t.mask;
  assert_int_equal(mask, 15);
  entry es[8];
  for (int i = 0; i < 8; i++) {
    /* Three share one hash; the rest share a home slot with it but differ in hash. */
    es[i].key = i;
    es[i].hash = i < 3 ? mask - 1 : ((uint64_t)i << 32) | (mask - 1);
    add(&t, &es[i]);
  }
  assert_int_equal(t.mask, mask); /* reserved up front: no growth moved anything */
  int same = 0;
  for (sp_htab_slot *s = sp_htab_first(&t, mask - 1); s; s = sp_htab_next(&t, s)) same++;
  assert_int_equal(same, 3);
  assert_true(t.slots[0].entry != NULL); /* the run wrapped around */
  /* Remove from the front, the middle and the end of the run; the rest stay reachable. */
  int order[] = {0, 4, 7, 1, 5, 2, 6, 3};
  for (int k = 0; k < 8; k++) {
    del(&t, &es[order[k]]);
    for (int j = k + 1; j < 8; j++) {
      const entry *e = &es[order[j]];
      assert_ptr_equal(find(&t, e->hash, e->key), e);
    }
    assert_null(find(&t, es[order[k]].hash, order[k]));
  }
  assert_int_equal(t.count, 0);
  for (uint32_t i = 0; i <= t.mask; i++) assert_null(t.slots[i].entry);
  sp_htab_free(&t);
}

static void failed_growth_changes_nothing(void **state) {
  (void)state;
  sp_htab t = {0};
  entry es[9];
  for (int i = 0; i < 8; i++) {
    es[i].key = i;
    es[i].hash = sp_hash64(&i, sizeof i);
    add(&t, &es[i]);
  }
  sp_htab_slot *slots = t.slots;
  uint32_t mask = t.mask;
  sp_alloc_fail_after(1, 1);
  int rc = sp_htab_reserve(&t, 1); /* the ninth needs 18 slots: must grow */
  sp_alloc_fail_after(0, 0);
  assert_int_equal(rc, SPATE_ENOMEM);
  assert_ptr_equal(t.slots, slots);
  assert_int_equal(t.mask, mask);
  assert_int_equal(t.count, 8);
  for (int i = 0; i < 8; i++) assert_ptr_equal(find(&t, es[i].hash, i), &es[i]);
  es[8].key = 8;
  es[8].hash = 12345;
  add(&t, &es[8]); /* memory is back */
  assert_true(t.mask > mask);
  for (int i = 0; i < 9; i++) assert_ptr_equal(find(&t, es[i].hash, i), &es[i]);
  sp_htab_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(empty_table),
      cmocka_unit_test(many_entries),
      cmocka_unit_test(collisions_and_wrap),
      cmocka_unit_test(failed_growth_changes_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
