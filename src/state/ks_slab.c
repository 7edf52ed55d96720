/*
 * ks_slab.c: memory for the small entries of the heap keyed-state backend (ks_internal.h,
 * "Entry memory").
 *
 * A keyed state holds millions of entries of a few dozen bytes each. Given one by one to
 * sp_malloc, each would carry sp_malloc's 16-byte size header and malloc's own 8 bytes and
 * rounding, as much as the header of the entry itself, and cost a call into malloc. The slab
 * cuts entries of up to KS_SLAB_MAX bytes from chunks the backend allocates (4 KiB doubling up
 * to 256 KiB, through sp_malloc, so they are counted), in sizes rounded up to 16 bytes, and
 * keeps freed entries on one free list per size, from which the next entry of that size is
 * taken. The size of an entry is a function of its header (ks_entry_size), so a free needs no
 * size stored beside it.
 *
 * Chunks go back only when the backend is freed: a state that shrinks keeps its memory for
 * entries of the same sizes, as a JVM keeps its heap. The slab is the owner's: entries are
 * allocated and freed on the task thread only (snapshot writers never free; ks_snapshot_release
 * runs on the owner thread). Built with AddressSanitizer, free entries are poisoned so that a
 * use after free is still reported.
 */
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "state/ks_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SLAB_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SLAB_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SLAB_POISON(p, n) ((void)(p), (void)(n))
#define SLAB_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK_FIRST ((size_t)4 << 10)
#define CHUNK_MAX ((size_t)256 << 10)
#define CHUNK_HEADER 16 /* the link of the chunk list and the chunk's size: entries 16-aligned */

typedef struct free_block {
  struct free_block *next;
} free_block;

/* Takes a new chunk for the bump region; false when out of memory. */
static bool slab_grow(ks_slab *s) {
  size_t size = s->next_chunk ? s->next_chunk : CHUNK_FIRST;
  uint8_t *c = sp_malloc(size);
  if (!c) return false;
  void **hdr = (void **)(void *)c;
  hdr[0] = s->chunks;
  hdr[1] = (void *)(uintptr_t)size;
  s->chunks = c;
  s->bytes += size;
  /* the rest of the old region is left unused: less than KS_SLAB_MAX bytes */
  s->cur = c + CHUNK_HEADER;
  s->end = c + size;
  s->next_chunk = size < CHUNK_MAX ? size * 2 : CHUNK_MAX;
  return true;
}

void *ks_slab_alloc(ks_slab *s, size_t n) {
  size_t r = ks_slab_round(n);
  free_block *f = s->free[r / 16];
  if (f) {
    SLAB_UNPOISON(f, r);
    s->free[r / 16] = f->next;
    return f;
  }
  if ((size_t)(s->end - s->cur) < r && !slab_grow(s)) return NULL;
  void *p = s->cur;
  s->cur += r;
  return p;
}

void ks_slab_free(ks_slab *s, void *p, size_t n) {
  size_t r = ks_slab_round(n);
  free_block *f = p;
  f->next = s->free[r / 16];
  s->free[r / 16] = f;
  SLAB_POISON(f, r);
}

void *ks_entry_mem(ks_backend *b, size_t n) {
  return n <= KS_SLAB_MAX ? ks_slab_alloc(&b->slab, n) : sp_malloc(n);
}

void ks_entry_free(ks_backend *b, ks_entry *e) {
  if (!e) return;
  if (ks_arena_owns(e)) {
    ks_arena_release(e);
    return;
  }
  size_t n = ks_entry_size(e);
  if (n <= KS_SLAB_MAX)
    ks_slab_free(&b->slab, e, n);
  else
    sp_free(e);
}

void ks_slab_destroy(ks_slab *s) {
  for (void *c = s->chunks, *next; c; c = next) {
    void **hdr = c;
    next = hdr[0];
    SLAB_UNPOISON(c, (size_t)(uintptr_t)hdr[1]);
    sp_free(c);
  }
  memset(s, 0, sizeof *s);
}
