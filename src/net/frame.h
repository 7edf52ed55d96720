/*
 * frame.h: the frames of Spate's wire protocol, what crosses a TCP connection between two Spate
 * processes (DESIGN.md, "Processes and wire protocols"). The transport (libuv) and the message
 * payloads (cluster/messages.h, encoded with base/bytes.h) sit on either side of it.
 *
 * Every field is little-endian, as base/bytes.h writes them. A connection opens with a hello
 * from each side, then carries frames:
 *
 *   hello: "SPAT" (4 bytes), u16 protocol version, u16 flags (0)
 *   frame: u32 payload length, u16 protocol version, u16 flags (0), u32 type, payload
 *
 * A peer whose hello is not Spate's or speaks another protocol version is refused; so is a frame
 * of another version, with flags set, or with a payload beyond the reader's limit (a hostile
 * length cannot make a process allocate gigabytes). The reader says why and at which byte of the
 * connection; the caller closes that connection and nothing else (never the process).
 */
#ifndef SPATE_NET_FRAME_H
#define SPATE_NET_FRAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

#define SP_WIRE_VERSION 1
#define SP_WIRE_HELLO_SIZE 8
#define SP_WIRE_HEADER_SIZE 12
/* The default payload limit of a frame (as Flink's pekko.framesize: 10 MiB). */
#define SP_WIRE_MAX_PAYLOAD (10u * 1024 * 1024)

/* Appends this side's hello. */
void sp_wire_put_hello(sp_writer *w);
/* Appends a frame of type with len payload bytes (len at most the peer's limit: the caller
 * checks, as a frame too large for it would close the connection). */
void sp_wire_put_frame(sp_writer *w, uint32_t type, const void *payload, size_t len);

/* One decoded frame; payload points into the reader's buffer, valid until the next call of
 * sp_wire_feed or sp_wire_next. */
typedef struct sp_wire_frame {
  uint32_t type;
  uint32_t len;
  const uint8_t *payload;
} sp_wire_frame;

/* The incoming side of one connection: bytes go in as they arrive, in pieces of any size, and
 * come out as whole frames. */
typedef struct sp_wire_reader {
  uint8_t *buf;
  size_t len, cap, pos; /* buf[pos, len) is not decoded yet */
  uint64_t base;        /* bytes of the connection before buf[0] */
  uint32_t max_payload;
  bool hello_seen;
  bool failed; /* sticky: error says why */
  char error[200];
} sp_wire_reader;

/* A reader refusing payloads above max_payload bytes (0: SP_WIRE_MAX_PAYLOAD). */
void sp_wire_reader_init(sp_wire_reader *r, uint32_t max_payload);
void sp_wire_reader_free(sp_wire_reader *r);
/* Takes n more bytes of the connection. 0, or SPATE_ENOMEM (nothing taken). Call sp_wire_next
 * until it returns 0 after each feed: the reader then holds at most one partial frame. */
int sp_wire_feed(sp_wire_reader *r, const void *data, size_t n);
/* The next frame: 1 with *out, 0 when more bytes are needed, or SPATE_ECORRUPT with r->error
 * naming the byte of the connection and the reason (from then on every call returns it). The
 * peer's hello is checked before the first frame. */
int sp_wire_next(sp_wire_reader *r, sp_wire_frame *out);
#endif
