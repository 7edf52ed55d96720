/*
 * fuzz_shuffle_protocol.c: the decoders of the data connection's messages (net/shuffle_protocol.c),
 * on frame payloads a peer TaskManager sends. Input: byte 0 picks the message (0 request, 1
 * buffer, 2 credit, 3 cancel, 4 error, 5 announce, 6 backlog), the rest is the frame's payload.
 *
 * A decoder either refuses with SPATE_ECORRUPT and a message, or accepts fields within the
 * protocol's bounds that encode back to exactly the payload they came from.
 */
#include "fuzz.h"

#include "net/shuffle_protocol.h"
#include "spate/spate.h"

/* The payload of the single frame w holds. */
static void check_roundtrip(sp_writer *w, uint32_t type, const uint8_t *p, size_t n) {
  FUZZ_CHECK(!w->failed, "out of memory");
  sp_wire_reader r;
  sp_wire_reader_init(&r, 0);
  sp_writer in;
  sp_writer_init(&in);
  sp_wire_put_hello(&in);
  sp_put_bytes(&in, w->data, w->len);
  FUZZ_CHECK(sp_wire_feed(&r, in.data, in.len) == 0, "out of memory");
  sp_wire_frame f;
  FUZZ_CHECK(sp_wire_next(&r, &f) == 1, "the encoding is not one frame: %s", r.error);
  FUZZ_CHECK(f.type == type, "type %u, not %u", f.type, type);
  FUZZ_CHECK(f.len == n && memcmp(f.payload, p, n) == 0, "the %u-byte payload does not round-trip",
             (unsigned)n);
  sp_wire_reader_free(&r);
  sp_writer_free(&in);
  sp_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size - 1 > UINT32_MAX) return 0;
  const uint8_t *p = data + 1;
  uint32_t n = (uint32_t)(size - 1);
  char err[300] = "";
  sp_writer w;
  sp_writer_init(&w);
  uint32_t id, x;
  const uint8_t *bytes;
  int rc;
  switch (data[0] % 7) {
  case 0: {
    shuf_request q;
    rc = shuf_decode_request(p, n, &q, err, sizeof err);
    if (rc == 0) {
      FUZZ_CHECK(q.job_key && strlen(q.job_key) <= SHUF_MAX_JOB_KEY, "job key");
      FUZZ_CHECK(q.sub >= 0 && q.sub < q.nsub && q.nsub <= SHUF_MAX_NSUB, "subpartition");
      FUZZ_CHECK(q.credit >= 1 && q.credit <= SHUF_MAX_CREDIT, "credit %u", q.credit);
      FUZZ_CHECK((uint64_t)q.buffers * q.size <= SHUF_MAX_POOL && q.size >= 64, "pool");
      shuf_put_request(&w, &q);
      check_roundtrip(&w, SHUF_PARTITION_REQUEST, p, n);
      sp_free(q.job_key);
    }
    break;
  }
  case 1: {
    uint32_t blen;
    rc = shuf_decode_buffer(p, n, &id, &x, &bytes, &blen, err, sizeof err);
    if (rc == 0) {
      FUZZ_CHECK(bytes == p + SHUF_BUFFER_HEADER && blen + SHUF_BUFFER_HEADER == n, "bytes");
      uint8_t hdr[SP_WIRE_HEADER_SIZE + SHUF_BUFFER_HEADER];
      shuf_buffer_header(hdr, id, x, blen);
      sp_put_bytes(&w, hdr, sizeof hdr);
      sp_put_bytes(&w, bytes, blen);
      check_roundtrip(&w, SHUF_BUFFER, p, n);
    }
    break;
  }
  case 2:
    rc = shuf_decode_credit(p, n, &id, &x, err, sizeof err);
    if (rc == 0) {
      FUZZ_CHECK(x >= 1 && x <= SHUF_MAX_CREDIT, "credit %u", x);
      shuf_put_credit(&w, id, x);
      check_roundtrip(&w, SHUF_ADD_CREDIT, p, n);
    }
    break;
  case 6:
    rc = shuf_decode_backlog(p, n, &id, &x, err, sizeof err);
    if (rc == 0) {
      shuf_put_backlog(&w, id, x);
      check_roundtrip(&w, SHUF_BACKLOG, p, n);
    }
    break;
  case 3:
    rc = shuf_decode_cancel(p, n, &id, err, sizeof err);
    if (rc == 0) {
      shuf_put_cancel(&w, id);
      check_roundtrip(&w, SHUF_CANCEL, p, n);
    }
    break;
  case 4: {
    const char *m;
    rc = shuf_decode_error(p, n, &id, &m, &x, err, sizeof err);
    if (rc == 0 && !memchr(m, 0, x)) { /* NUL inside: it is shown cut, and cannot round-trip */
      char *s = sp_strndup(m, x);
      FUZZ_CHECK(s, "out of memory");
      shuf_put_error(&w, id, s);
      sp_free(s);
      check_roundtrip(&w, SHUF_ERROR, p, n);
    }
    break;
  }
  default: {
    int64_t ckpt;
    uint32_t blen;
    rc = shuf_decode_announce(p, n, &id, &ckpt, &bytes, &blen, err, sizeof err);
    if (rc == 0) {
      FUZZ_CHECK(ckpt >= 0 && blen > 0 && blen + 12 == n, "announce");
      shuf_put_announce(&w, id, ckpt, bytes, blen);
      check_roundtrip(&w, SHUF_ANNOUNCE, p, n);
    }
    break;
  }
  }
  if (rc < 0) {
    FUZZ_CHECK(rc == SPATE_ECORRUPT, "rc %d", rc);
    FUZZ_CHECK(err[0] != 0, "a refusal without a message");
  }
  sp_writer_free(&w);
  return 0;
}
