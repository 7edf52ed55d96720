/*
 * ks_arena.c: memory for the entries of a large restore (ks_internal.h, "Restore arena").
 *
 * Restoring a gigabyte of keyed state entry by entry through malloc is slow for a reason that
 * has nothing to do with the state: a task thread allocates from one of glibc's thread arenas,
 * which grows its heap a page at a time (an mprotect and a page fault for every few entries).
 * A large restore therefore takes its entries from blocks mapped whole: each block is asked for
 * transparent huge pages and populated in one call (MADV_POPULATE_WRITE), and entries are cut
 * from it by bumping a pointer.
 *
 * Blocks are aligned to their maximum size (64 MB), so the block of an entry is its address
 * rounded down, and one bit per 64 MB of address space (`owned`) says whether an address lies
 * in a block: ks_entry_free asks that, then either frees the entry as ks_entry_mem gave it or
 * counts it out of its block. A block goes back to the system once it is sealed (no more entries will be cut
 * from it: it is full, or its backend is gone) and its last entry is freed, whichever thread
 * frees it. An entry is never moved into a block after the restore: entries that grow or are
 * copied for a snapshot move to ks_entry_mem's memory (the slab or malloc). While one block is
 * used, the next is mapped and populated on a short-lived thread (prepare_start), so the restoring
 * thread does not wait for its pages to be zeroed; the block prepared last stays mapped, unused,
 * until the backend is freed (at most one block, sized like the last).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#include "state/ks_internal.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define BLOCK_SHIFT 26 /* 64 MB */
#define BLOCK_MAX ((size_t)1 << BLOCK_SHIFT)
#define BLOCK_STEP ((size_t)2 << 20) /* blocks are mapped in huge-page multiples */
#define BLOCK_HEADER 64              /* the block's counters, then its entries */
#define SEALED (UINT64_C(1) << 63)
#define ADDRESS_BITS 47 /* user space of x86-64 and arm64 (4-level tables) */

/* One bit per 64 MB of address space: set while a block is mapped there. */
static _Atomic uint64_t owned[((size_t)1 << (ADDRESS_BITS - BLOCK_SHIFT)) / 64];

typedef struct ks_arena_block {
  _Atomic uint64_t live; /* entries cut and not yet freed; SEALED once no more will be cut */
  size_t size;           /* bytes mapped */
} block;

_Thread_local ks_arena *ks_restore_arena;

static block *block_of(const void *p) {
  return (block *)((uintptr_t)p & ~(uintptr_t)(BLOCK_MAX - 1));
}

bool ks_arena_owns(const void *p) {
  uintptr_t i = (uintptr_t)p >> BLOCK_SHIFT;
  if (i >= ((uintptr_t)1 << (ADDRESS_BITS - BLOCK_SHIFT))) return false;
  return (atomic_load_explicit(&owned[i / 64], memory_order_relaxed) >> (i % 64)) & 1;
}

static void block_unmap(block *bl) {
  uintptr_t i = (uintptr_t)bl >> BLOCK_SHIFT;
  atomic_fetch_and(&owned[i / 64], ~(UINT64_C(1) << (i % 64)));
  munmap(bl, bl->size);
}

/* A block of size bytes (a BLOCK_STEP multiple up to BLOCK_MAX) aligned to BLOCK_MAX, populated;
 * NULL when the system has no memory for it. */
static block *block_map(size_t size) {
  size_t span = BLOCK_MAX + size;
  uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  uint8_t *base = (uint8_t *)(((uintptr_t)p + BLOCK_MAX - 1) & ~(uintptr_t)(BLOCK_MAX - 1));
  if (base > p) munmap(p, (size_t)(base - p));
  if (base + size < p + span) munmap(base + size, (size_t)(p + span - (base + size)));
  if ((uintptr_t)base >> ADDRESS_BITS) { /* outside what `owned` covers */
    munmap(base, size);
    return NULL;
  }
  madvise(base, size, MADV_HUGEPAGE);
  madvise(base, size, MADV_POPULATE_WRITE); /* else its pages fault in as they are used */
  block *bl = (block *)(void *)base;
  atomic_init(&bl->live, 0);
  bl->size = size;
  uintptr_t i = (uintptr_t)base >> BLOCK_SHIFT;
  atomic_fetch_or(&owned[i / 64], UINT64_C(1) << (i % 64));
  return bl;
}

static void block_seal(block *bl) {
  if ((atomic_fetch_or(&bl->live, SEALED) & ~SEALED) == 0) block_unmap(bl);
}

void ks_arena_expect(ks_arena *a, size_t bytes) { a->expect = bytes; }

/* The next block is mapped and populated on a thread of its own while entries are cut from the
 * current one: zeroing the pages is most of what a block costs, and this takes it off the
 * restoring thread. prepare_size is written before the thread starts and prepared read after it
 * is joined. */
static void *prepare_main(void *arg) {
  ks_arena *a = arg;
  a->prepared = block_map(a->prepare_size);
  return NULL;
}

static void prepare_start(ks_arena *a, size_t size) {
  a->prepare_size = size;
  a->prepared = NULL;
  a->preparing = pthread_create(&a->prep, NULL, prepare_main, a) == 0;
}

/* The block prepared ahead (NULL: none, or it could not be mapped). */
static block *prepare_take(ks_arena *a) {
  if (!a->preparing) return NULL;
  pthread_join(a->prep, NULL);
  a->preparing = false;
  block *bl = a->prepared;
  a->prepared = NULL;
  return bl;
}

void *ks_arena_alloc(ks_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n > BLOCK_MAX - BLOCK_HEADER) return NULL;
  if (!a->cur || a->used + n > a->cur->size) {
    block *bl = prepare_take(a);
    if (bl && bl->size < BLOCK_HEADER + n) { /* too small for this entry: unmapped */
      block_seal(bl);
      bl = NULL;
    }
    if (!bl) {
      size_t want = BLOCK_HEADER + (a->expect > n ? a->expect : n);
      want = (want + BLOCK_STEP - 1) & ~(BLOCK_STEP - 1);
      if (want > BLOCK_MAX) want = BLOCK_MAX;
      if (!(bl = block_map(want))) return NULL;
    }
    if (a->cur) block_seal(a->cur);
    a->cur = bl;
    a->used = BLOCK_HEADER;
  }
  void *p = (uint8_t *)a->cur + a->used;
  a->used += n;
  a->total += n;
  a->expect = a->expect > n ? a->expect - n : 0;
  atomic_fetch_add_explicit(&a->cur->live, 1, memory_order_relaxed);
  /* half of the block used: the next one (as large: key groups are alike) gets ready */
  if (!a->preparing && a->used > a->cur->size / 2) prepare_start(a, a->cur->size);
  return p;
}

void ks_arena_release(void *p) {
  block *bl = block_of(p);
  if (atomic_fetch_sub_explicit(&bl->live, 1, memory_order_acq_rel) == (SEALED | 1))
    block_unmap(bl);
}

void ks_arena_close(ks_arena *a) {
  block *spare = prepare_take(a);
  if (spare) block_seal(spare); /* never used: unmapped */
  if (a->cur) block_seal(a->cur);
  a->cur = NULL;
  a->used = a->expect = 0;
}

size_t ks_backend_arena_bytes(const ks_backend *b) { return b->arena.total; }
