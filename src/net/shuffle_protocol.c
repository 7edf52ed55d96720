/*
 * shuffle_protocol.c: encoding and checked decoding of the data connection's messages (see
 * shuffle_protocol.h).
 */
#include "net/shuffle_protocol.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "spate/spate.h"

/* Appends a frame whose payload is what `fill` put into a scratch writer. */
static void put_payload(sp_writer *w, uint32_t type, sp_writer *payload) {
  if (payload->failed) {
    w->failed = true;
  } else {
    sp_wire_put_frame(w, type, payload->data, payload->len);
  }
  sp_writer_free(payload);
}

void shuf_put_request(sp_writer *w, const shuf_request *r) {
  sp_writer p;
  sp_writer_init(&p);
  sp_put_u32(&p, r->id);
  sp_put_u32(&p, r->credit);
  sp_put_i32(&p, r->edge);
  sp_put_i32(&p, r->producer);
  sp_put_i32(&p, r->sub);
  sp_put_i32(&p, r->nsub);
  sp_put_u32(&p, r->buffers);
  sp_put_u32(&p, r->size);
  sp_put_str(&p, r->job_key);
  put_payload(w, SHUF_PARTITION_REQUEST, &p);
}

void shuf_put_credit(sp_writer *w, uint32_t id, uint32_t n) {
  uint8_t p[8];
  for (int i = 0; i < 4; i++) {
    p[i] = (uint8_t)(id >> (8 * i));
    p[4 + i] = (uint8_t)(n >> (8 * i));
  }
  sp_wire_put_frame(w, SHUF_ADD_CREDIT, p, sizeof p);
}

void shuf_put_cancel(sp_writer *w, uint32_t id) {
  uint8_t p[4];
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(id >> (8 * i));
  sp_wire_put_frame(w, SHUF_CANCEL, p, sizeof p);
}

void shuf_put_error(sp_writer *w, uint32_t id, const char *message) {
  sp_writer p;
  sp_writer_init(&p);
  sp_put_u32(&p, id);
  sp_put_str(&p, message ? message : "");
  put_payload(w, SHUF_ERROR, &p);
}

void shuf_put_announce(sp_writer *w, uint32_t id, int64_t checkpoint, const void *barrier,
                       uint32_t len) {
  sp_writer p;
  sp_writer_init(&p);
  sp_put_u32(&p, id);
  sp_put_i64(&p, checkpoint);
  sp_put_bytes(&p, barrier, len);
  put_payload(w, SHUF_ANNOUNCE, &p);
}

static void le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void shuf_buffer_header(uint8_t *out, uint32_t id, uint32_t backlog, uint32_t len) {
  sp_writer w;
  sp_writer_init(&w); /* the frame codec writes the header; 12 bytes, no payload copied */
  sp_wire_put_frame(&w, SHUF_BUFFER, NULL, 0);
  if (!w.failed) memcpy(out, w.data, SP_WIRE_HEADER_SIZE);
  sp_writer_free(&w);
  le32(out, len + SHUF_BUFFER_HEADER); /* the payload length the header announces */
  le32(out + SP_WIRE_HEADER_SIZE, id);
  le32(out + SP_WIRE_HEADER_SIZE + 4, backlog);
}

/* Ends a decode: the reader's error, or bytes left over, make the frame malformed. */
static int finish(sp_reader *r, const char *what, char *err, size_t err_len) {
  if (!sp_reader_ok(r)) return sp_err(err, err_len, SPATE_ECORRUPT, "%s: %s", what, r->error);
  if (r->pos != r->len)
    return sp_err(err, err_len, SPATE_ECORRUPT, "%s: %zu bytes after its last field", what,
                  r->len - r->pos);
  return 0;
}

int shuf_decode_request(const uint8_t *p, uint32_t len, shuf_request *out, char *err,
                        size_t err_len) {
  memset(out, 0, sizeof *out);
  sp_reader r;
  sp_reader_init(&r, p, len);
  out->id = sp_get_u32(&r);
  out->credit = sp_get_u32(&r);
  out->edge = sp_get_i32(&r);
  out->producer = sp_get_i32(&r);
  out->sub = sp_get_i32(&r);
  out->nsub = sp_get_i32(&r);
  out->buffers = sp_get_u32(&r);
  out->size = sp_get_u32(&r);
  out->job_key = sp_get_str(&r);
  int rc = finish(&r, "PARTITION_REQUEST", err, err_len);
  const char *bad = NULL;
  if (rc == 0) {
    bad = !out->job_key                                ? "no job key"
          : strlen(out->job_key) == 0                  ? "an empty job key"
          : strlen(out->job_key) > SHUF_MAX_JOB_KEY    ? "a job key over 47 bytes"
          : out->id == SHUF_ALL                        ? "receiver id 0xffffffff"
          : out->credit == 0                           ? "no credit"
          : out->credit > SHUF_MAX_CREDIT              ? "credit over 65536 buffers"
          : out->edge < 0                              ? "a negative edge"
          : out->producer < 0                          ? "a negative producer subtask"
          : out->nsub < 1 || out->nsub > SHUF_MAX_NSUB ? "subpartitions outside 1..65536"
          : out->sub < 0 || out->sub >= out->nsub      ? "a subpartition outside the producer's"
          : out->buffers == 0                          ? "a pool of no buffers"
          : out->size < 64                             ? "buffers under 64 bytes"
          : out->size > SHUF_MAX_BUFFER_SIZE           ? "buffers larger than a frame"
          : (uint64_t)out->buffers * out->size > SHUF_MAX_POOL ? "a pool over 1 GiB"
                                                               : NULL;
    if (bad) rc = sp_err(err, err_len, SPATE_ECORRUPT, "PARTITION_REQUEST with %s", bad);
  }
  if (rc < 0) {
    sp_free(out->job_key);
    out->job_key = NULL;
  }
  return rc;
}

int shuf_decode_buffer(const uint8_t *p, uint32_t len, uint32_t *id, uint32_t *backlog,
                       const uint8_t **data, uint32_t *n, char *err, size_t err_len) {
  if (len < SHUF_BUFFER_HEADER)
    return sp_err(err, err_len, SPATE_ECORRUPT, "BUFFER: %u bytes, fewer than its header", len);
  sp_reader r;
  sp_reader_init(&r, p, SHUF_BUFFER_HEADER);
  *id = sp_get_u32(&r);
  *backlog = sp_get_u32(&r);
  *data = p + SHUF_BUFFER_HEADER;
  *n = len - SHUF_BUFFER_HEADER;
  return finish(&r, "BUFFER", err, err_len);
}

void shuf_put_backlog(sp_writer *w, uint32_t id, uint32_t backlog) {
  uint8_t p[8];
  for (int i = 0; i < 4; i++) {
    p[i] = (uint8_t)(id >> (8 * i));
    p[4 + i] = (uint8_t)(backlog >> (8 * i));
  }
  sp_wire_put_frame(w, SHUF_BACKLOG, p, sizeof p);
}

int shuf_decode_backlog(const uint8_t *p, uint32_t len, uint32_t *id, uint32_t *backlog, char *err,
                        size_t err_len) {
  sp_reader r;
  sp_reader_init(&r, p, len);
  *id = sp_get_u32(&r);
  *backlog = sp_get_u32(&r);
  return finish(&r, "BACKLOG", err, err_len);
}

int shuf_decode_credit(const uint8_t *p, uint32_t len, uint32_t *id, uint32_t *n, char *err,
                       size_t err_len) {
  sp_reader r;
  sp_reader_init(&r, p, len);
  *id = sp_get_u32(&r);
  *n = sp_get_u32(&r);
  int rc = finish(&r, "ADD_CREDIT", err, err_len);
  if (rc == 0 && (*n == 0 || *n > SHUF_MAX_CREDIT))
    rc = sp_err(err, err_len, SPATE_ECORRUPT, "ADD_CREDIT of %u buffers (1..65536)", *n);
  return rc;
}

int shuf_decode_cancel(const uint8_t *p, uint32_t len, uint32_t *id, char *err, size_t err_len) {
  sp_reader r;
  sp_reader_init(&r, p, len);
  *id = sp_get_u32(&r);
  return finish(&r, "CANCEL", err, err_len);
}

int shuf_decode_error(const uint8_t *p, uint32_t len, uint32_t *id, const char **message,
                      uint32_t *mlen, char *err, size_t err_len) {
  sp_reader r;
  sp_reader_init(&r, p, len);
  *id = sp_get_u32(&r);
  *message = sp_get_blob(&r, mlen);
  if (!*message) *message = ""; /* an empty message (or an error below) */
  return finish(&r, "ERROR", err, err_len);
}

int shuf_decode_announce(const uint8_t *p, uint32_t len, uint32_t *id, int64_t *checkpoint,
                         const uint8_t **barrier, uint32_t *blen, char *err, size_t err_len) {
  if (len <= 12) /* receiver id, checkpoint id, and a barrier of at least one byte */
    return sp_err(err, err_len, SPATE_ECORRUPT, "ANNOUNCE: %u bytes, no barrier after its header",
                  len);
  sp_reader r;
  sp_reader_init(&r, p, 12);
  *id = sp_get_u32(&r);
  *checkpoint = sp_get_i64(&r);
  *barrier = p + 12;
  *blen = len - 12;
  int rc = finish(&r, "ANNOUNCE", err, err_len);
  if (rc == 0 && *checkpoint < 0)
    rc =
        sp_err(err, err_len, SPATE_ECORRUPT, "ANNOUNCE of checkpoint %lld", (long long)*checkpoint);
  return rc;
}

const char *shuf_type_name(uint32_t type, char *buf, size_t cap) {
  switch (type) {
  case SHUF_PARTITION_REQUEST: return "PARTITION_REQUEST";
  case SHUF_BUFFER: return "BUFFER";
  case SHUF_ADD_CREDIT: return "ADD_CREDIT";
  case SHUF_CANCEL: return "CANCEL";
  case SHUF_ERROR: return "ERROR";
  case SHUF_ANNOUNCE: return "ANNOUNCE";
  case SHUF_BACKLOG: return "BACKLOG";
  default: snprintf(buf, cap, "frame type 0x%x", type); return buf;
  }
}
