/* row_copies.c: copies of rows that outlive the state views they were read through
 * (row_copies.h). */
#include "operators/row_copies.h"

#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

static int reserve(row_copies *c, int n) {
  if (n <= c->cap) return 0;
  int cap = c->cap ? c->cap * 2 : 16;
  while (cap < n) cap *= 2;
  spate_row *v = sp_realloc(c->v, sizeof *v * (size_t)cap);
  if (!v) return SPATE_ENOMEM;
  c->v = v;
  size_t *off = sp_realloc(c->off, sizeof *off * (size_t)cap);
  if (!off) return SPATE_ENOMEM;
  c->off = off;
  c->cap = cap;
  return 0;
}

int rcopies_add(row_copies *c, const spate_row *r) {
  if (reserve(c, c->n + 1)) return SPATE_ENOMEM;
  if (c->len + r->len > c->bcap) {
    size_t cap = c->bcap ? c->bcap : 4096;
    while (cap < c->len + r->len) cap *= 2;
    uint8_t *b = sp_realloc(c->bytes, cap);
    if (!b) return SPATE_ENOMEM;
    c->bytes = b;
    c->bcap = cap;
  }
  memcpy(c->bytes + c->len, r->data, r->len);
  c->off[c->n] = c->len;
  c->v[c->n++] = (spate_row){NULL, r->len, r->nfields};
  c->len += r->len;
  return 0;
}

void rcopies_views(row_copies *c) {
  for (int i = 0; i < c->n; i++) c->v[i].data = c->bytes + c->off[i];
}

int rcopies_insert(row_copies *c, int at, spate_row r) {
  if (reserve(c, c->n + 1)) return SPATE_ENOMEM;
  memmove(&c->v[at + 1], &c->v[at], sizeof *c->v * (size_t)(c->n - at));
  c->v[at] = r;
  c->n++;
  return 0;
}

void rcopies_remove(row_copies *c, int at) {
  memmove(&c->v[at], &c->v[at + 1], sizeof *c->v * (size_t)(c->n - at - 1));
  c->n--;
}

void rcopies_free(row_copies *c) {
  sp_free(c->v);
  sp_free(c->off);
  sp_free(c->bytes);
  memset(c, 0, sizeof *c);
}
