/*
 * sw_cell.h: single-writer cells: a 64-bit value that one thread updates and any thread may read
 * whole at any time (metrics: records and bytes counted on a task thread, read by the metric
 * registry and REST on others).
 *
 * The writer updates with a relaxed load and a relaxed store, never a read-modify-write: on the
 * usual targets that is the plain load, add and store of an ordinary counter (no lock prefix, no
 * fence), so the record path pays nothing for being readable. A reader gets a value the writer
 * stored, possibly a little stale; no ordering with other memory is implied. Two threads must
 * never write the same cell.
 */
#ifndef SPATE_BASE_SW_CELL_H
#define SPATE_BASE_SW_CELL_H
#include <stdatomic.h>
#include <stdint.h>

typedef struct sw_u64 {
  _Atomic uint64_t v;
} sw_u64;

typedef struct sw_i64 {
  _Atomic int64_t v;
} sw_i64;

/* The writer's thread only. */
static inline void sw_add(sw_u64 *c, uint64_t n) {
  atomic_store_explicit(&c->v, atomic_load_explicit(&c->v, memory_order_relaxed) + n,
                        memory_order_relaxed);
}
static inline void sw_inc(sw_u64 *c) { sw_add(c, 1); }
static inline void sw_set(sw_u64 *c, uint64_t v) {
  atomic_store_explicit(&c->v, v, memory_order_relaxed);
}
/* Any thread. */
static inline uint64_t sw_get(const sw_u64 *c) {
  return atomic_load_explicit((_Atomic uint64_t *)&c->v, memory_order_relaxed);
}

/* Signed cells (watermarks, counters that go down). */
static inline void sw_add_i64(sw_i64 *c, int64_t n) {
  /* unsigned arithmetic: a counter that wraps does so defined, as Java's long does */
  atomic_store_explicit(
      &c->v, (int64_t)((uint64_t)atomic_load_explicit(&c->v, memory_order_relaxed) + (uint64_t)n),
      memory_order_relaxed);
}
static inline void sw_set_i64(sw_i64 *c, int64_t v) {
  atomic_store_explicit(&c->v, v, memory_order_relaxed);
}
static inline int64_t sw_get_i64(const sw_i64 *c) {
  return atomic_load_explicit((_Atomic int64_t *)&c->v, memory_order_relaxed);
}
#endif
