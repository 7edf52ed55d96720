/*
 * bytes.h: byte encoding for everything that crosses a process boundary or touches disk (job
 * graphs, RPC messages, later checkpoints). Little-endian fixed-width integers, strings and
 * blobs as u32 length + bytes.
 *
 * The writer grows a heap buffer; an allocation failure is sticky (w->failed) so a sequence of
 * puts is checked once at the end. The reader never reads out of bounds: the first short read
 * or invalid value sets r->error (sticky) with the offset where it happened, and every later get
 * returns zero values.
 */
#ifndef SPATE_BASE_BYTES_H
#define SPATE_BASE_BYTES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sp_writer {
  uint8_t *data;
  size_t len, cap;
  bool failed; /* an allocation failed; data is incomplete */
} sp_writer;

void sp_writer_init(sp_writer *w);
void sp_writer_free(sp_writer *w);
/* Transfers the buffer to the caller (free with sp_free); the writer is reset. */
uint8_t *sp_writer_take(sp_writer *w, size_t *len);
void sp_put_u8(sp_writer *w, uint8_t v);
void sp_put_u32(sp_writer *w, uint32_t v);
void sp_put_u64(sp_writer *w, uint64_t v);
void sp_put_i32(sp_writer *w, int32_t v);
void sp_put_i64(sp_writer *w, int64_t v);
void sp_put_bytes(sp_writer *w, const void *p, size_t n); /* raw, no length */
void sp_put_blob(sp_writer *w, const void *p, size_t n);  /* u32 length + bytes */
void sp_put_str(sp_writer *w, const char *s);             /* NULL encodes as 0xFFFFFFFF */

typedef struct sp_reader {
  const uint8_t *data;
  size_t len, pos;
  char error[160]; /* empty while no error */
} sp_reader;

void sp_reader_init(sp_reader *r, const void *data, size_t len);
static inline bool sp_reader_ok(const sp_reader *r) { return r->error[0] == 0; }
/* Records an error at the current position (first one wins). */
void sp_reader_fail(sp_reader *r, const char *what);
uint8_t sp_get_u8(sp_reader *r);
uint32_t sp_get_u32(sp_reader *r);
uint64_t sp_get_u64(sp_reader *r);
int32_t sp_get_i32(sp_reader *r);
int64_t sp_get_i64(sp_reader *r);
/* Points into the reader's data (no copy); NULL on error. */
const void *sp_get_bytes(sp_reader *r, size_t n);
const void *sp_get_blob(sp_reader *r, uint32_t *n);
/* A heap copy (sp_free), NULL for an encoded NULL or on error (check sp_reader_ok). */
char *sp_get_str(sp_reader *r);

/* Overwrites 8 bytes of an encoding in place with v, little-endian as sp_put_i64 writes it. */
static inline void sp_patch_i64(uint8_t *p, int64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}

/* CRC-32C style checksum used to detect corrupt encodings (any good 32-bit hash will do). */
uint32_t sp_checksum32(const void *p, size_t n);
#endif
