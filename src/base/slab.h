/*
 * slab.h: memory for many small blocks of a few sizes, owned by one thread: the entries of the
 * heap keyed-state backend (state/ks_table.c) and the timers of a timer queue
 * (state/timer_queue.c).
 *
 * Given one by one to sp_malloc, a block of a few dozen bytes carries sp_malloc's 16-byte size
 * header and malloc's own 8 bytes and rounding, and costs a call into malloc. A slab cuts blocks
 * of up to SP_SLAB_MAX bytes from chunks it allocates (4 KiB doubling up to 64 KiB, through
 * sp_malloc, so they are counted), in sizes rounded up to 8 bytes, and keeps freed blocks on
 * one free list per size, from which the next block of that size is taken. The caller gives the
 * size again when it frees, so nothing is stored beside a block.
 *
 * Chunks go back only when the slab is destroyed: memory freed by a structure that shrinks is
 * kept for blocks of the same sizes. Nothing locks: one thread allocates and frees. Built with
 * AddressSanitizer, free blocks are poisoned so that a use after free is still reported.
 */
#ifndef SPATE_BASE_SLAB_H
#define SPATE_BASE_SLAB_H
#include <stddef.h>
#include <stdint.h>

#define SP_SLAB_MAX 512

typedef struct sp_slab {
  void *free[SP_SLAB_MAX / 8 + 1]; /* by size / 8: freed blocks of that rounded size */
  uint8_t *cur, *end;              /* the unused rest of the newest chunk */
  void *chunks;                    /* every chunk, linked through its first word */
  size_t next_chunk;               /* size of the next chunk (0: the first) */
} sp_slab;

/* The bytes a block of n bytes takes: rounded to 8, the alignment of the structures kept in
 * slabs (8-byte fields; 16 would cost a keyed-state entry of 56 bytes 8 more). */
static inline size_t sp_slab_round(size_t n) { return (n + 7) & ~(size_t)7; }
/* n (1..SP_SLAB_MAX) bytes, 8-aligned, from a zeroed sp_slab; NULL when out of memory. */
void *sp_slab_alloc(sp_slab *s, size_t n);
/* Frees p, allocated from s with the same n. */
void sp_slab_free(sp_slab *s, void *p, size_t n);
/* Gives every chunk back; s is empty (zeroed) again. */
void sp_slab_destroy(sp_slab *s);
#endif
