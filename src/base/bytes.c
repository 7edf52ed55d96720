/*
 * bytes.c: the little-endian writer and bounds-checked reader declared in bytes.h.
 *
 * Integers are assembled byte by byte rather than memcpy'd so the encoding is identical on any
 * host byte order. The writer doubles its buffer on demand and turns the first allocation failure
 * into a sticky flag; the reader turns the first short read into a sticky message carrying the
 * offset, so a decoder can run a whole sequence of gets and check once at the end.
 */
#include "base/bytes.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "base/alloc.h"

void sp_writer_init(sp_writer *w) { memset(w, 0, sizeof *w); }

void sp_writer_free(sp_writer *w) {
  sp_free(w->data);
  memset(w, 0, sizeof *w);
}

uint8_t *sp_writer_take(sp_writer *w, size_t *len) {
  uint8_t *d = w->data;
  if (len) *len = w->len;
  memset(w, 0, sizeof *w);
  return d;
}

/* Makes room for n more bytes; false (and w->failed set) if that is impossible. */
static bool reserve(sp_writer *w, size_t n) {
  if (w->failed) return false;
  if (n <= w->cap - w->len) return true;
  if (n > SIZE_MAX - w->len) {
    w->failed = true;
    return false;
  }
  size_t need = w->len + n;
  size_t cap = w->cap ? w->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *d = sp_realloc(w->data, cap);
  if (!d) {
    w->failed = true;
    return false;
  }
  w->data = d;
  w->cap = cap;
  return true;
}

void sp_put_u8(sp_writer *w, uint8_t v) {
  if (!reserve(w, 1)) return;
  w->data[w->len++] = v;
}

void sp_put_u32(sp_writer *w, uint32_t v) {
  if (!reserve(w, 4)) return;
  uint8_t *d = w->data + w->len;
  for (int i = 0; i < 4; i++) d[i] = (uint8_t)(v >> (8 * i));
  w->len += 4;
}

void sp_put_u64(sp_writer *w, uint64_t v) {
  if (!reserve(w, 8)) return;
  uint8_t *d = w->data + w->len;
  for (int i = 0; i < 8; i++) d[i] = (uint8_t)(v >> (8 * i));
  w->len += 8;
}

void sp_put_i32(sp_writer *w, int32_t v) { sp_put_u32(w, (uint32_t)v); }
void sp_put_i64(sp_writer *w, int64_t v) { sp_put_u64(w, (uint64_t)v); }

void sp_put_bytes(sp_writer *w, const void *p, size_t n) {
  if (n == 0 || !reserve(w, n)) return;
  memcpy(w->data + w->len, p, n);
  w->len += n;
}

void sp_put_blob(sp_writer *w, const void *p, size_t n) {
  /* The length prefix is 32 bits and 0xFFFFFFFF is reserved for NULL strings; a larger blob
   * cannot be encoded, so the encoding is marked failed instead of silently truncated. */
  if (n >= UINT32_MAX) {
    w->failed = true;
    return;
  }
  sp_put_u32(w, (uint32_t)n);
  sp_put_bytes(w, p, n);
}

void sp_put_str(sp_writer *w, const char *s) {
  if (!s) {
    sp_put_u32(w, UINT32_MAX);
    return;
  }
  sp_put_blob(w, s, strlen(s));
}

void sp_reader_init(sp_reader *r, const void *data, size_t len) {
  r->data = data;
  r->len = data ? len : 0;
  r->pos = 0;
  r->error[0] = 0;
}

void sp_reader_fail(sp_reader *r, const char *what) {
  if (r->error[0]) return;
  snprintf(r->error, sizeof r->error, "%s at offset %zu", what, r->pos);
  /* An empty `what` must still leave a non-empty message, or the reader would look healthy. */
  if (!r->error[0]) snprintf(r->error, sizeof r->error, "error");
}

/* Returns a pointer to the next n bytes and advances, or NULL (recording "truncated <what>"). */
static const uint8_t *take(sp_reader *r, size_t n, const char *what) {
  if (r->error[0]) return NULL;
  if (n > r->len - r->pos) {
    snprintf(r->error, sizeof r->error, "truncated %s at offset %zu: need %zu bytes, %zu left",
             what, r->pos, n, r->len - r->pos);
    return NULL;
  }
  const uint8_t *p = r->data + r->pos;
  r->pos += n;
  return p;
}

uint8_t sp_get_u8(sp_reader *r) {
  const uint8_t *p = take(r, 1, "u8");
  return p ? p[0] : 0;
}

uint32_t sp_get_u32(sp_reader *r) {
  const uint8_t *p = take(r, 4, "u32");
  if (!p) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}

uint64_t sp_get_u64(sp_reader *r) {
  const uint8_t *p = take(r, 8, "u64");
  if (!p) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

int32_t sp_get_i32(sp_reader *r) { return (int32_t)sp_get_u32(r); }
int64_t sp_get_i64(sp_reader *r) { return (int64_t)sp_get_u64(r); }

const void *sp_get_bytes(sp_reader *r, size_t n) {
  const uint8_t *p = take(r, n, "bytes");
  /* A zero-length read at the very end is valid but has no byte to point at; return a non-NULL
   * pointer so callers can keep using NULL as the error signal. */
  if (p && n == 0) return r->data ? (const void *)(r->data + r->pos) : (const void *)"";
  return p;
}

const void *sp_get_blob(sp_reader *r, uint32_t *n) {
  size_t start = r->pos;
  uint32_t len = sp_get_u32(r);
  const void *p = NULL;
  if (sp_reader_ok(r)) {
    if (len > r->len - r->pos) {
      r->pos = start; /* report the offset of the length prefix that lied */
      char msg[96];
      snprintf(msg, sizeof msg, "blob length %u exceeds the %zu remaining bytes", len,
               r->len - start - 4);
      sp_reader_fail(r, msg);
    } else {
      p = sp_get_bytes(r, len);
    }
  }
  if (n) *n = p ? len : 0;
  return p;
}

char *sp_get_str(sp_reader *r) {
  size_t start = r->pos;
  uint32_t len = sp_get_u32(r);
  if (!sp_reader_ok(r) || len == UINT32_MAX) return NULL;
  if (len > r->len - r->pos) {
    r->pos = start;
    char msg[96];
    snprintf(msg, sizeof msg, "string length %u exceeds the %zu remaining bytes", len,
             r->len - start - 4);
    sp_reader_fail(r, msg);
    return NULL;
  }
  const char *p = (const char *)(r->data + r->pos);
  if (memchr(p, 0, len)) {
    r->pos = start;
    sp_reader_fail(r, "string contains a NUL byte");
    return NULL;
  }
  char *s = sp_strndup(p, len);
  if (!s) {
    sp_reader_fail(r, "out of memory copying string");
    return NULL;
  }
  r->pos += len;
  return s;
}

uint32_t sp_checksum32(const void *p, size_t n) {
  /* XXH32 is not CRC-32C, but the header asks only for a good 32-bit detector of corruption;
   * the fixed seed keeps checksums stable across versions of this file. */
  return XXH32(n ? p : "", n, 0x5370617Eu);
}
