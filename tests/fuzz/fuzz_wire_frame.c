/*
 * fuzz_wire_frame.c: the wire protocol's reader (net/frame.c), on bytes a peer sends over TCP.
 * Input: byte 0 says how the bytes arrive (pieces of 1 + byte 0 bytes), the rest is what the
 * connection carries, read with a payload limit of 4096 bytes.
 *
 * The reader either hands out frames, each of which encodes to exactly the bytes it came from,
 * or refuses with SPATE_ECORRUPT and a message naming the byte of the connection; it never reads
 * past what it was given and holds no more than one partial frame beyond what it handed out.
 */
#include "fuzz.h"

#include "net/frame.h"
#include "spate/spate.h"

#define LIMIT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t piece = 1 + (size_t)data[0];
  const uint8_t *in = data + 1;
  size_t n = size - 1;
  sp_wire_reader r;
  sp_wire_reader_init(&r, LIMIT);
  size_t consumed = 0; /* bytes of the hello and the frames handed out */
  bool refused = false;
  for (size_t off = 0; off < n && !refused; off += piece) {
    size_t len = n - off < piece ? n - off : piece;
    FUZZ_CHECK(sp_wire_feed(&r, in + off, len) == 0, "out of memory");
    sp_wire_frame f;
    int rc;
    while ((rc = sp_wire_next(&r, &f)) == 1) {
      if (consumed == 0) consumed = SP_WIRE_HELLO_SIZE;
      FUZZ_CHECK(f.len <= LIMIT, "a frame of %u bytes passed the limit", f.len);
      sp_writer w;
      sp_writer_init(&w);
      sp_wire_put_frame(&w, f.type, f.payload, f.len);
      FUZZ_CHECK(!w.failed, "out of memory");
      FUZZ_CHECK(consumed + w.len <= n && memcmp(in + consumed, w.data, w.len) == 0,
                 "the frame at byte %zu does not encode to the bytes it came from", consumed);
      consumed += w.len;
      sp_writer_free(&w);
    }
    if (rc < 0) {
      FUZZ_CHECK(rc == SPATE_ECORRUPT, "rc %d", rc);
      FUZZ_CHECK(strncmp(r.error, "byte ", 5) == 0, "the refusal names no byte: %s", r.error);
      refused = true;
    } else {
      FUZZ_CHECK(r.len - r.pos < SP_WIRE_HEADER_SIZE + LIMIT + piece, "%zu bytes held undecoded",
                 r.len - r.pos);
    }
  }
  sp_wire_reader_free(&r);
  return 0;
}
