/*
 * sql_arena.h: the bump arena that holds one parse: its tokens, decoded strings and every AST
 * node. A statement's AST lives exactly as long as the statement (the validator and planner read
 * it, then it is dropped), so nodes are never freed one by one; the whole arena goes in one call.
 *
 * Memory comes from sp_malloc in chunks (4 KiB at first, doubling up to 64 KiB; a larger request
 * gets a chunk of its own). Allocations are zeroed and 8-byte aligned. A failed allocation
 * returns NULL and leaves the arena usable; the parser turns that into SPATE_ENOMEM.
 */
#ifndef SPATE_SQL_ARENA_H
#define SPATE_SQL_ARENA_H
#include <stddef.h>

typedef struct sql_arena_chunk sql_arena_chunk;

typedef struct sql_arena {
  sql_arena_chunk *head; /* the chunk being filled; older chunks follow through next */
  size_t next_size;      /* the size of the next ordinary chunk */
  size_t bytes;          /* total bytes taken from sp_malloc (for tests and accounting) */
} sql_arena;

/* Returns n zeroed bytes aligned to 8, or NULL when out of memory. */
void *sql_arena_alloc(sql_arena *a, size_t n);
/* A NUL-terminated copy of the n bytes at s (which may hold NULs), or NULL. */
char *sql_arena_strndup(sql_arena *a, const char *s, size_t n);
/* Releases every chunk; the arena is empty and reusable afterwards. */
void sql_arena_free(sql_arena *a);
#endif
