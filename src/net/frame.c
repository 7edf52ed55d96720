/*
 * frame.c: encoding and the incremental decoding of the wire protocol's hello and frames (see
 * frame.h).
 */
#include "net/frame.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "spate/spate.h"

static const uint8_t magic[4] = {'S', 'P', 'A', 'T'};

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put16(sp_writer *w, uint16_t v) {
  uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  sp_put_bytes(w, b, 2);
}

void sp_wire_put_hello(sp_writer *w) {
  sp_put_bytes(w, magic, sizeof magic);
  put16(w, SP_WIRE_VERSION);
  put16(w, 0);
}

void sp_wire_put_frame(sp_writer *w, uint32_t type, const void *payload, size_t len) {
  sp_put_u32(w, (uint32_t)len);
  put16(w, SP_WIRE_VERSION);
  put16(w, 0);
  sp_put_u32(w, type);
  sp_put_bytes(w, payload, len);
}

void sp_wire_reader_init(sp_wire_reader *r, uint32_t max_payload) {
  memset(r, 0, sizeof *r);
  r->max_payload = max_payload ? max_payload : SP_WIRE_MAX_PAYLOAD;
}

void sp_wire_reader_free(sp_wire_reader *r) {
  sp_free(r->buf);
  r->buf = NULL;
  r->len = r->cap = r->pos = 0;
}

int sp_wire_feed(sp_wire_reader *r, const void *data, size_t n) {
  if (n == 0 || r->failed) return 0; /* a failed connection keeps nothing more */
  if (r->pos > 0) { /* decoded bytes go: the buffer holds at most one partial frame more */
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->base += r->pos;
    r->len -= r->pos;
    r->pos = 0;
  }
  if (r->len + n > r->cap) {
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < r->len + n) cap *= 2;
    uint8_t *b = sp_realloc(r->buf, cap);
    if (!b) return SPATE_ENOMEM;
    r->buf = b;
    r->cap = cap;
  }
  memcpy(r->buf + r->len, data, n);
  r->len += n;
  return 0;
}

__attribute__((format(printf, 3, 4))) static int fail(sp_wire_reader *r, uint64_t at,
                                                      const char *fmt, ...) {
  char why[150];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  snprintf(r->error, sizeof r->error, "byte %" PRIu64 " of the connection: %s", at, why);
  r->failed = true;
  return SPATE_ECORRUPT;
}

int sp_wire_next(sp_wire_reader *r, sp_wire_frame *out) {
  if (r->failed) return SPATE_ECORRUPT;
  const uint8_t *p = r->buf + r->pos;
  size_t avail = r->len - r->pos;
  uint64_t at = r->base + r->pos;
  if (!r->hello_seen) {
    if (avail < SP_WIRE_HELLO_SIZE) {
      /* a wrong first byte is known at once: no need to wait for the rest */
      for (size_t i = 0; i < avail && i < sizeof magic; i++)
        if (p[i] != magic[i]) return fail(r, at + i, "not a Spate peer (byte 0x%02x)", p[i]);
      return 0;
    }
    if (memcmp(p, magic, sizeof magic) != 0) {
      size_t i = 0;
      while (p[i] == magic[i]) i++;
      return fail(r, at + i, "not a Spate peer (byte 0x%02x)", p[i]);
    }
    uint16_t version = get16(p + 4), flags = get16(p + 6);
    if (version != SP_WIRE_VERSION)
      return fail(r, at + 4, "the peer speaks protocol version %u, this process %d", version,
                  SP_WIRE_VERSION);
    if (flags != 0) return fail(r, at + 6, "unknown hello flags 0x%x", flags);
    r->hello_seen = true;
    r->pos += SP_WIRE_HELLO_SIZE;
    return sp_wire_next(r, out);
  }
  if (avail < SP_WIRE_HEADER_SIZE) return 0;
  uint32_t len = get32(p);
  uint16_t version = get16(p + 4), flags = get16(p + 6);
  if (len > r->max_payload)
    return fail(r, at, "a frame of %" PRIu32 " payload bytes exceeds the limit of %" PRIu32, len,
                r->max_payload);
  if (version != SP_WIRE_VERSION)
    return fail(r, at + 4, "a frame of protocol version %u on a version-%d connection", version,
                SP_WIRE_VERSION);
  if (flags != 0) return fail(r, at + 6, "unknown frame flags 0x%x", flags);
  if (avail - SP_WIRE_HEADER_SIZE < len) return 0;
  out->len = len;
  out->type = get32(p + 8);
  out->payload = p + SP_WIRE_HEADER_SIZE;
  r->pos += SP_WIRE_HEADER_SIZE + (size_t)len;
  return 1;
}
