/*
 * strbuf.c: growing and freeing an sp_strbuf (see strbuf.h); appending is inline there.
 */
#include "base/strbuf.h"

#include "base/alloc.h"
#include "base/err.h"

int sp_strbuf_reserve(sp_strbuf *sb, size_t n) {
  if (sb->len + n + 1 <= sb->cap) return 0;
  size_t cap = sb->cap ? sb->cap * 2 : 64;
  if (cap < sb->len + n + 1) cap = sb->len + n + 1;
  char *d = sp_realloc(sb->data, cap);
  if (!d) return SPATE_ENOMEM;
  sb->data = d;
  sb->cap = cap;
  return 0;
}

void sp_strbuf_free(sp_strbuf *sb) {
  sp_free(sb->data);
  *sb = (sp_strbuf){0};
}
