/*
 * slab.c: small blocks cut from chunks, a free list per rounded size. See slab.h.
 */
#include "base/slab.h"

#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "base/prefetch.h"

/* gcc defines __SANITIZE_ADDRESS__, clang answers __has_feature */
#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif
#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define SLAB_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SLAB_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SLAB_POISON(p, n) ((void)(p), (void)(n))
#define SLAB_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK_FIRST ((size_t)4 << 10)
#define CHUNK_MAX ((size_t)64 << 10) /* the unused rest of the newest chunk is at most this */
#define CHUNK_HEADER 16              /* the link of the chunk list and the chunk's size */

typedef struct free_block {
  struct free_block *next;
} free_block;

/* Takes a new chunk for the bump region; false when out of memory. */
static bool slab_grow(sp_slab *s) {
  size_t size = s->next_chunk ? s->next_chunk : CHUNK_FIRST;
  uint8_t *c = sp_malloc(size);
  if (!c) return false;
  void **hdr = (void **)(void *)c;
  hdr[0] = s->chunks;
  hdr[1] = (void *)(uintptr_t)size;
  s->chunks = c;
  /* the rest of the old region is left unused: less than SP_SLAB_MAX bytes */
  s->cur = c + CHUNK_HEADER;
  s->end = c + size;
  s->next_chunk = size < CHUNK_MAX ? size * 2 : CHUNK_MAX;
  return true;
}

void *sp_slab_alloc(sp_slab *s, size_t n) {
  size_t r = sp_slab_round(n);
  free_block *f = s->free[r / 8];
  if (f) {
    SLAB_UNPOISON(f, r);
    s->free[r / 8] = f->next;
    /* the next block of the list was freed long ago, mostly out of cache: reading its link at
     * the next allocation would wait for memory (6% of window-tumbling-1m), so load it now */
    if (f->next) sp_prefetch(f->next);
    return f;
  }
  if ((size_t)(s->end - s->cur) < r && !slab_grow(s)) return NULL;
  void *p = s->cur;
  s->cur += r;
  return p;
}

void sp_slab_free(sp_slab *s, void *p, size_t n) {
  size_t r = sp_slab_round(n);
  free_block *f = p;
  f->next = s->free[r / 8];
  s->free[r / 8] = f;
  SLAB_POISON(f, r);
}

void sp_slab_destroy(sp_slab *s) {
  for (void *c = s->chunks, *next; c; c = next) {
    void **hdr = c;
    next = hdr[0];
    SLAB_UNPOISON(c, (size_t)(uintptr_t)hdr[1]);
    sp_free(c);
  }
  memset(s, 0, sizeof *s);
}
