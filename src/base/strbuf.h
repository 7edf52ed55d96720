/*
 * strbuf.h: the one growable string. Rows formatted as Flink's text (types/row.c) for the print
 * and file sinks, and the JobGraph's chained vertex names (graph/job_graph.c), are built in one.
 *
 * The bytes are always NUL-terminated (for logging and tests) once anything was appended; the
 * capacity grows geometrically. Reset a buffer for reuse by setting len to 0 (its memory stays).
 * A zeroed sp_strbuf is empty and ready. sp_strbuf_append is inline because sinks append to one
 * on every record; only growing leaves the caller.
 */
#ifndef SPATE_BASE_STRBUF_H
#define SPATE_BASE_STRBUF_H
#include <stddef.h>
#include <string.h>

typedef struct sp_strbuf {
  char *data;
  size_t len, cap;
} sp_strbuf;

/* Makes room for n more bytes and the terminating NUL. Returns 0, or SPATE_ENOMEM with the
 * buffer unchanged. */
int sp_strbuf_reserve(sp_strbuf *sb, size_t n);

/* Appends n bytes. Returns 0, or SPATE_ENOMEM with the buffer unchanged. */
static inline int sp_strbuf_append(sp_strbuf *sb, const char *p, size_t n) {
  if (sb->len + n + 1 > sb->cap) {
    int rc = sp_strbuf_reserve(sb, n);
    if (rc) return rc;
  }
  if (n) memcpy(sb->data + sb->len, p, n);
  sb->len += n;
  sb->data[sb->len] = 0;
  return 0;
}

/* Appends the C string s. Returns 0 or SPATE_ENOMEM. */
static inline int sp_strbuf_add(sp_strbuf *sb, const char *s) {
  return sp_strbuf_append(sb, s, strlen(s));
}

/* Frees the bytes and leaves the buffer zeroed (empty, reusable). */
void sp_strbuf_free(sp_strbuf *sb);
#endif
