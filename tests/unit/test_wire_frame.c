/*
 * test_wire_frame.c: the wire protocol's hello and frames (net/frame.c): the exact bytes on the
 * wire, frames coming out whole however the bytes are cut, and every refusal (not a Spate peer,
 * another protocol version, unknown flags, a payload beyond the limit) naming the byte of the
 * connection, sticky once it happened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/bytes.h"
#include "net/frame.h"
#include "spate/spate.h"

/* hello + three frames (the second empty) */
static void stream(sp_writer *w) {
  sp_writer_init(w);
  sp_wire_put_hello(w);
  sp_wire_put_frame(w, 7, "hello", 5);
  sp_wire_put_frame(w, 8, NULL, 0);
  sp_wire_put_frame(w, 0xA1B2C3D4u, "0123456789", 10);
  assert_false(w->failed);
}

static void test_bytes_on_the_wire(void **state) {
  sp_writer w;
  sp_writer_init(&w);
  sp_wire_put_hello(&w);
  sp_wire_put_frame(&w, 0x01020304u, "ab", 2);
  const uint8_t want[] = {'S', 'P', 'A', 'T', 1, 0, 0, 0,                        /* hello */
                          2,   0,   0,   0,   1, 0, 0, 0, 4, 3, 2, 1, 'a', 'b'}; /* frame */
  assert_int_equal(w.len, sizeof want);
  assert_memory_equal(w.data, want, sizeof want);
  sp_writer_free(&w);
}

/* Fed in pieces of every size from 1 to the whole: the same three frames come out. */
static void test_frames_whole_however_cut(void **state) {
  sp_writer w;
  stream(&w);
  for (size_t piece = 1; piece <= w.len; piece++) {
    sp_wire_reader r;
    sp_wire_reader_init(&r, 0);
    int got = 0;
    for (size_t off = 0; off < w.len; off += piece) {
      size_t n = w.len - off < piece ? w.len - off : piece;
      assert_int_equal(sp_wire_feed(&r, w.data + off, n), 0);
      sp_wire_frame f;
      int rc;
      while ((rc = sp_wire_next(&r, &f)) == 1) {
        if (got == 0) {
          assert_int_equal(f.type, 7);
          assert_int_equal(f.len, 5);
          assert_memory_equal(f.payload, "hello", 5);
        } else if (got == 1) {
          assert_int_equal(f.type, 8);
          assert_int_equal(f.len, 0);
        } else {
          assert_int_equal(f.type, 0xA1B2C3D4u);
          assert_int_equal(f.len, 10);
          assert_memory_equal(f.payload, "0123456789", 10);
        }
        got++;
      }
      assert_int_equal(rc, 0);
    }
    assert_int_equal(got, 3);
    sp_wire_reader_free(&r);
  }
  sp_writer_free(&w);
}

/* Feeds bytes and returns what sp_wire_next says after them (frames are skipped). */
static int decode(sp_wire_reader *r, const uint8_t *b, size_t n) {
  assert_int_equal(sp_wire_feed(r, b, n), 0);
  sp_wire_frame f;
  int rc;
  while ((rc = sp_wire_next(r, &f)) == 1) {
  }
  return rc;
}

static void expect_refusal(const uint8_t *b, size_t n, uint32_t max, const char *error) {
  sp_wire_reader r;
  sp_wire_reader_init(&r, max);
  assert_int_equal(decode(&r, b, n), SPATE_ECORRUPT);
  assert_string_equal(r.error, error);
  /* sticky: more bytes, even good ones, change nothing */
  sp_writer w;
  stream(&w);
  assert_int_equal(decode(&r, w.data, w.len), SPATE_ECORRUPT);
  assert_string_equal(r.error, error);
  sp_writer_free(&w);
  sp_wire_reader_free(&r);
}

static void test_refusals_name_the_byte(void **state) {
  /* an HTTP client on the RPC port: refused at its first byte, without waiting for 8 */
  expect_refusal((const uint8_t *)"GET", 3, 0,
                 "byte 0 of the connection: not a Spate peer (byte 0x47)");
  const uint8_t spa_x[] = {'S', 'P', 'A', 'X', 1, 0, 0, 0};
  expect_refusal(spa_x, sizeof spa_x, 0, "byte 3 of the connection: not a Spate peer (byte 0x58)");
  const uint8_t v2[] = {'S', 'P', 'A', 'T', 2, 0, 0, 0};
  expect_refusal(v2, sizeof v2, 0,
                 "byte 4 of the connection: the peer speaks protocol version 2, this process 1");
  const uint8_t hello_flags[] = {'S', 'P', 'A', 'T', 1, 0, 0, 0x80};
  expect_refusal(hello_flags, sizeof hello_flags, 0,
                 "byte 6 of the connection: unknown hello flags 0x8000");
  /* a frame after a good first one: positions count from the connection's first byte */
  sp_writer w;
  sp_writer_init(&w);
  sp_wire_put_hello(&w);
  sp_wire_put_frame(&w, 1, "xyz", 3); /* bytes 8..22 */
  size_t good = w.len;
  sp_put_u32(&w, 101); /* a payload over a limit of 100 */
  sp_put_u32(&w, 1);
  sp_put_u32(&w, 1);
  expect_refusal(
      w.data, w.len, 100,
      "byte 23 of the connection: a frame of 101 payload bytes exceeds the limit of 100");
  w.len = good;
  sp_put_u32(&w, 0);
  sp_put_u32(&w, 3); /* version 3, flags 0 */
  sp_put_u32(&w, 1);
  expect_refusal(w.data, w.len, 0,
                 "byte 27 of the connection: a frame of protocol version 3 on a version-1 "
                 "connection");
  w.len = good;
  sp_put_u32(&w, 0);
  sp_put_u32(&w, 1 | 1u << 16); /* version 1, flags 1 */
  sp_put_u32(&w, 1);
  expect_refusal(w.data, w.len, 0, "byte 29 of the connection: unknown frame flags 0x1");
  sp_writer_free(&w);
}

/* A frame of exactly the limit is taken; the default limit is 10 MiB. */
static void test_limit(void **state) {
  sp_wire_reader r;
  sp_wire_reader_init(&r, 0);
  assert_int_equal(r.max_payload, SP_WIRE_MAX_PAYLOAD);
  sp_wire_reader_free(&r);
  static uint8_t payload[1000];
  memset(payload, 0x5a, sizeof payload);
  sp_writer w;
  sp_writer_init(&w);
  sp_wire_put_hello(&w);
  sp_wire_put_frame(&w, 3, payload, sizeof payload);
  sp_wire_reader_init(&r, sizeof payload);
  assert_int_equal(sp_wire_feed(&r, w.data, w.len), 0);
  sp_wire_frame f;
  assert_int_equal(sp_wire_next(&r, &f), 1);
  assert_int_equal(f.len, sizeof payload);
  assert_memory_equal(f.payload, payload, sizeof payload);
  assert_int_equal(sp_wire_next(&r, &f), 0);
  sp_wire_reader_free(&r);
  sp_writer_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bytes_on_the_wire),
      cmocka_unit_test(test_frames_whole_however_cut),
      cmocka_unit_test(test_refusals_name_the_byte),
      cmocka_unit_test(test_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
