/*
 * sql_arena.c: the bump arena of a parse (see sql_arena.h). Chunks grow geometrically so a
 * one-line statement costs one small allocation and a long script's statement a handful.
 */
#include "sql/sql_arena.h"

#include <string.h>

#include "base/alloc.h"

struct sql_arena_chunk {
  sql_arena_chunk *next;
  size_t used, cap;
  _Alignas(8) unsigned char data[];
};

#define ARENA_FIRST 4096
#define ARENA_MAX_CHUNK 65536

void *sql_arena_alloc(sql_arena *a, size_t n) {
  n = (n + 7) & ~(size_t)7;
  if (n == 0) n = 8;
  sql_arena_chunk *c = a->head;
  if (!c || c->cap - c->used < n) {
    size_t size = a->next_size ? a->next_size : ARENA_FIRST;
    if (size < n) size = n;
    c = sp_malloc(sizeof *c + size);
    if (!c) return NULL;
    c->cap = size;
    c->used = 0;
    a->bytes += sizeof *c + size;
    if (a->next_size < ARENA_MAX_CHUNK) a->next_size = a->next_size ? a->next_size * 2 : 8192;
    /* An outsized chunk goes behind the current one, which keeps its free room. */
    if (a->head && size > ARENA_MAX_CHUNK) {
      c->next = a->head->next;
      a->head->next = c;
    } else {
      c->next = a->head;
      a->head = c;
    }
  }
  void *p = c->data + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

char *sql_arena_strndup(sql_arena *a, const char *s, size_t n) {
  char *d = sql_arena_alloc(a, n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = 0;
  return d;
}

void sql_arena_free(sql_arena *a) {
  sql_arena_chunk *c = a->head;
  while (c) {
    sql_arena_chunk *next = c->next;
    sp_free(c);
    c = next;
  }
  *a = (sql_arena){0};
}
