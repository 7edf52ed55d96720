/*
 * test_binary_heap.c: the binary heap template (base/binary_heap.h): pops come out in order,
 * elements that track their index (as timers do) always know it, removal from any position and
 * re-positioning after a key change keep the heap a heap, and a comparison through a context
 * (as the timer queue orders key groups by their earliest timer) works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/binary_heap.h"

/* ---- plain values --------------------------------------------------------------------------- */

static inline bool int_less(void *c, int a, int b) {
  (void)c;
  return a < b;
}
#define NO_PLACE(c, x, i) ((void)0)
SP_BINARY_HEAP(int_heap, int, void *, int_less, NO_PLACE)

static uint32_t rng = 12345;
static uint32_t next_rand(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 8;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void pops_in_order(void **state) {
  (void)state;
  enum { N = 2000 };
  int *h = malloc(N * sizeof *h), *want = malloc(N * sizeof *want);
  size_t n = 0;
  for (int i = 0; i < N; i++) {
    int v = (int)(next_rand() % 500); /* many duplicates */
    want[i] = v;
    int_heap_push(NULL, h, n++, v);
  }
  qsort(want, N, sizeof *want, cmp_int);
  for (int i = 0; i < N; i++) {
    assert_int_equal(h[0], want[i]); /* the top is the minimum before every pop */
    assert_int_equal(int_heap_pop(NULL, h, n--), want[i]);
  }
  assert_int_equal(n, 0);
  /* Pushing and popping interleaved. */
  int_heap_push(NULL, h, n++, 5);
  int_heap_push(NULL, h, n++, 3);
  assert_int_equal(int_heap_pop(NULL, h, n--), 3);
  int_heap_push(NULL, h, n++, 4);
  int_heap_push(NULL, h, n++, 9);
  assert_int_equal(int_heap_pop(NULL, h, n--), 4);
  assert_int_equal(int_heap_pop(NULL, h, n--), 5);
  assert_int_equal(int_heap_pop(NULL, h, n--), 9);
  assert_int_equal(n, 0);
  free(h);
  free(want);
}

/* ---- elements that know their index --------------------------------------------------------- */

typedef struct item {
  int key;
  size_t idx;
} item;

static inline bool item_less(void *c, const item *a, const item *b) {
  (void)c;
  return a->key < b->key;
}
#define ITEM_PLACED(c, x, i) ((x)->idx = (i))
SP_BINARY_HEAP(item_heap, item *, void *, item_less, ITEM_PLACED)

/* Every parent is not after its children, and every element's idx is its position. */
static void check_heap(item **h, size_t n) {
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(h[i]->idx, i);
    if (i > 0) assert_true(h[(i - 1) / 2]->key <= h[i]->key);
  }
}

static void remove_and_fix_anywhere(void **state) {
  (void)state;
  enum { N = 600 };
  item *items = calloc(N, sizeof *items);
  item **h = malloc(N * sizeof *h);
  bool *in = calloc(N, sizeof *in);
  size_t n = 0;
  for (int i = 0; i < N; i++) {
    items[i].key = (int)(next_rand() % 1000);
    item_heap_push(NULL, h, n++, &items[i]);
    in[i] = true;
    check_heap(h, n);
  }
  /* Change keys in place, both ways, and restore the heap from where the element is. */
  for (int k = 0; k < 300; k++) {
    item *it = &items[next_rand() % N];
    it->key = (int)(next_rand() % 1000);
    size_t at = item_heap_fix(NULL, h, n, it->idx);
    assert_ptr_equal(h[at], it);
    check_heap(h, n);
  }
  /* Remove half from wherever they are, including the last slot and the root. */
  item_heap_remove(NULL, h, n, n - 1);
  n--;
  check_heap(h, n);
  item_heap_remove(NULL, h, n, 0);
  n--;
  check_heap(h, n);
  for (int k = 0; k < N / 2; k++) {
    item *it = h[next_rand() % n];
    item_heap_remove(NULL, h, n--, it->idx);
    check_heap(h, n);
    for (size_t i = 0; i < n; i++) assert_ptr_not_equal(h[i], it);
  }
  /* The rest come out sorted. */
  int last = -1;
  while (n > 0) {
    item *top = item_heap_pop(NULL, h, n--);
    assert_true(top->key >= last);
    last = top->key;
    check_heap(h, n);
  }
  free(items);
  free(h);
  free(in);
}

/* ---- ordering through a context ------------------------------------------------------------- */

typedef struct board {
  int score[8];
  size_t pos[8];
} board;

static inline bool by_score(const board *b, int x, int y) { return b->score[x] < b->score[y]; }
#define BOARD_PLACED(b, x, i) ((b)->pos[x] = (i))
SP_BINARY_HEAP(board_heap, int, board *, by_score, BOARD_PLACED)

static void context_ordering(void **state) {
  (void)state;
  board b = {.score = {50, 20, 70, 10, 60, 30, 80, 40}};
  int h[8];
  for (int i = 0; i < 8; i++) board_heap_push(&b, h, (size_t)i, i);
  for (int i = 0; i < 8; i++) assert_int_equal(h[b.pos[i]], i);
  assert_int_equal(h[0], 3); /* score 10 */
  /* Entry 6 becomes the smallest: fixing it from its position brings it to the top. */
  b.score[6] = 1;
  board_heap_fix(&b, h, 8, b.pos[6]);
  assert_int_equal(h[0], 6);
  /* The top becomes the largest: it sinks, and the next smallest rises. */
  b.score[6] = 99;
  board_heap_fix(&b, h, 8, 0);
  assert_int_equal(h[0], 3);
  const int order[] = {3, 1, 5, 7, 0, 4, 2, 6};
  size_t n = 8;
  for (int i = 0; i < 8; i++) assert_int_equal(board_heap_pop(&b, h, n--), order[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pops_in_order),
      cmocka_unit_test(remove_and_fix_anywhere),
      cmocka_unit_test(context_ordering),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
