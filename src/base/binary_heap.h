/*
 * binary_heap.h: the one binary min-heap, as a template. Processing-time timers
 * (runtime/timer_service.c), each key group's event- and processing-time timers and the heap of
 * key groups by earliest timer (state/timer_queue.c) all use it.
 *
 * SP_BINARY_HEAP(prefix, T, Ctx, less, placed) defines static inline functions over an array of
 * T that the caller owns and grows (the heap holds no memory of its own, so it cannot fail):
 *
 *   size_t prefix_sift_up(Ctx c, T *h, size_t i)             moves h[i] towards the root
 *   size_t prefix_sift_down(Ctx c, T *h, size_t n, size_t i) moves h[i] towards the leaves
 *   size_t prefix_fix(Ctx c, T *h, size_t n, size_t i)       either, after h[i] changed
 *   void   prefix_push(Ctx c, T *h, size_t n, T x)           adds x to h[0, n): room for n + 1
 *   T      prefix_pop(Ctx c, T *h, size_t n)                 takes h[0] out of h[0, n), n > 0
 *   void   prefix_remove(Ctx c, T *h, size_t n, size_t i)    takes h[i] out of h[0, n)
 *
 * n is always the count before the call; after push the heap is h[0, n + 1), after pop and
 * remove h[0, n - 1): the caller keeps the count. The sift functions return the index where the
 * element came to rest. `less(c, a, b)` is true when a must come out before b (a strict weak
 * order; ties come out in no particular order). `placed(c, x, i)` is called whenever x is stored
 * at h[i], so elements can know their index (for remove and fix); make it do nothing otherwise.
 *
 * A template, not a generic with function pointers, because timers are registered and fired on
 * the per-record path: the comparisons compile inline in each user, as hand-written heaps did.
 * Moving elements into a hole rather than swapping keeps the writes per level to one.
 */
#ifndef SPATE_BASE_BINARY_HEAP_H
#define SPATE_BASE_BINARY_HEAP_H
#include <stddef.h>

#include "base/assert.h"

#define SP_BINARY_HEAP(prefix, T, Ctx, less, placed)                                            \
  __attribute__((unused)) static inline size_t prefix##_sift_up(Ctx c, T *h, size_t i) {        \
    T x = h[i];                                                                                 \
    while (i > 0) {                                                                             \
      size_t p = (i - 1) / 2;                                                                   \
      if (!less(c, x, h[p])) break;                                                             \
      h[i] = h[p];                                                                              \
      placed(c, h[i], i);                                                                       \
      i = p;                                                                                    \
    }                                                                                           \
    h[i] = x;                                                                                   \
    placed(c, h[i], i);                                                                         \
    return i;                                                                                   \
  }                                                                                             \
  __attribute__((unused)) static inline size_t prefix##_sift_down(Ctx c, T *h, size_t n,        \
                                                                  size_t i) {                   \
    T x = h[i];                                                                                 \
    for (;;) {                                                                                  \
      size_t l = 2 * i + 1;                                                                     \
      if (l >= n) break;                                                                        \
      size_t m = l + 1 < n && less(c, h[l + 1], h[l]) ? l + 1 : l;                              \
      if (!less(c, h[m], x)) break;                                                             \
      h[i] = h[m];                                                                              \
      placed(c, h[i], i);                                                                       \
      i = m;                                                                                    \
    }                                                                                           \
    h[i] = x;                                                                                   \
    placed(c, h[i], i);                                                                         \
    return i;                                                                                   \
  }                                                                                             \
  __attribute__((unused)) static inline size_t prefix##_fix(Ctx c, T *h, size_t n, size_t i) {  \
    sp_assert(i < n);                                                                           \
    return prefix##_sift_down(c, h, n, prefix##_sift_up(c, h, i));                              \
  }                                                                                             \
  __attribute__((unused)) static inline void prefix##_push(Ctx c, T *h, size_t n, T x) {        \
    h[n] = x;                                                                                   \
    prefix##_sift_up(c, h, n);                                                                  \
  }                                                                                             \
  __attribute__((unused)) static inline T prefix##_pop(Ctx c, T *h, size_t n) {                 \
    sp_assert(n > 0);                                                                           \
    T top = h[0];                                                                               \
    if (--n > 0) {                                                                              \
      h[0] = h[n];                                                                              \
      prefix##_sift_down(c, h, n, 0);                                                           \
    }                                                                                           \
    return top;                                                                                 \
  }                                                                                             \
  __attribute__((unused)) static inline void prefix##_remove(Ctx c, T *h, size_t n, size_t i) { \
    sp_assert(i < n);                                                                           \
    if (i == --n) return;                                                                       \
    h[i] = h[n];                                                                                \
    prefix##_fix(c, h, n, i);                                                                   \
  }
#endif
