/*
 * shuffle_protocol.h: the messages of the data connection between two TaskManagers (Flink's
 * NettyMessage), carried in the frames of net/frame.h. The consumer's TaskManager connects to
 * the producer's, and one connection multiplexes every channel between them; each channel is
 * named by the receiver id its consumer side chose.
 *
 *   consumer -> producer
 *     PARTITION_REQUEST  u32 receiver id, u32 initial credit, i32 edge, i32 producer subtask,
 *                        i32 subpartition, i32 producer's subpartitions, u32 pool buffers,
 *                        u32 buffer size, str job key ("<job id>-<attempt>")
 *     ADD_CREDIT         u32 receiver id, u32 buffers
 *     CANCEL             u32 receiver id (the consumer is gone: release the subpartition)
 *   producer -> consumer
 *     BUFFER             u32 receiver id, u32 backlog (buffers queued behind it), bytes
 *     ANNOUNCE           u32 receiver id, i64 checkpoint id, the barrier's payload (a priority
 *                        event: an unaligned checkpoint's barrier overtakes queued buffers)
 *     ERROR              u32 receiver id (SHUF_ALL: the connection), str message
 *     BACKLOG            u32 receiver id, u32 backlog (Flink's BacklogAnnouncement: sent when a
 *                        channel without credit has more buffers queued than it announced, so
 *                        the consumer can grant floating buffers before any BUFFER arrives)
 *
 * Integers are little-endian (base/bytes.h). The bytes of a BUFFER are the elements of
 * runtime/element.h as the producer wrote them: the wire order of their headers and payloads is
 * the host order of a little-endian machine (see shuffle_net.c). The decoders check every field
 * against the bounds below, so a peer cannot make this process allocate without limit.
 */
#ifndef SPATE_NET_SHUFFLE_PROTOCOL_H
#define SPATE_NET_SHUFFLE_PROTOCOL_H
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "net/frame.h"

enum {
  SHUF_PARTITION_REQUEST = 0x5301,
  SHUF_BUFFER = 0x5302,
  SHUF_ADD_CREDIT = 0x5303,
  SHUF_CANCEL = 0x5304,
  SHUF_ERROR = 0x5305,
  SHUF_ANNOUNCE = 0x5306,
  SHUF_BACKLOG = 0x5307,
};

#define SHUF_ALL 0xFFFFFFFFu       /* ERROR's receiver id for the whole connection */
#define SHUF_BUFFER_HEADER 8u      /* receiver id + backlog before a BUFFER's bytes */
#define SHUF_MAX_JOB_KEY 47        /* the partition registry's key length */
#define SHUF_MAX_NSUB 65536        /* subpartitions of one producer */
#define SHUF_MAX_CREDIT 65536      /* buffers of one channel */
#define SHUF_MAX_POOL (1ull << 30) /* bytes of a producer's pool a request may create */
/* A buffer travels in one frame. */
#define SHUF_MAX_BUFFER_SIZE (SP_WIRE_MAX_PAYLOAD - SHUF_BUFFER_HEADER)

typedef struct shuf_request {
  uint32_t id, credit;
  int32_t edge, producer, sub, nsub;
  uint32_t buffers, size;
  char *job_key; /* decoded: a heap copy (sp_free) */
} shuf_request;

/* Appends whole frames (header and payload). */
void shuf_put_request(sp_writer *w, const shuf_request *r);
void shuf_put_credit(sp_writer *w, uint32_t id, uint32_t n);
void shuf_put_cancel(sp_writer *w, uint32_t id);
void shuf_put_backlog(sp_writer *w, uint32_t id, uint32_t backlog);
void shuf_put_error(sp_writer *w, uint32_t id, const char *message);
void shuf_put_announce(sp_writer *w, uint32_t id, int64_t checkpoint, const void *barrier,
                       uint32_t len);
/* Writes the frame header and receiver id + backlog of a BUFFER of len bytes into
 * out[SP_WIRE_HEADER_SIZE + SHUF_BUFFER_HEADER]; the bytes follow from the buffer itself. */
void shuf_buffer_header(uint8_t *out, uint32_t id, uint32_t backlog, uint32_t len);

/* Decoders of a frame's payload: 0, or SPATE_ECORRUPT with a message in err naming the field
 * (and SPATE_ENOMEM for a request whose key cannot be copied). */
int shuf_decode_request(const uint8_t *p, uint32_t len, shuf_request *out, char *err,
                        size_t err_len);
int shuf_decode_buffer(const uint8_t *p, uint32_t len, uint32_t *id, uint32_t *backlog,
                       const uint8_t **data, uint32_t *n, char *err, size_t err_len);
int shuf_decode_credit(const uint8_t *p, uint32_t len, uint32_t *id, uint32_t *n, char *err,
                       size_t err_len);
int shuf_decode_backlog(const uint8_t *p, uint32_t len, uint32_t *id, uint32_t *backlog, char *err,
                        size_t err_len);
int shuf_decode_cancel(const uint8_t *p, uint32_t len, uint32_t *id, char *err, size_t err_len);
/* *message points into p (not terminated): *mlen bytes of UTF-8. */
int shuf_decode_error(const uint8_t *p, uint32_t len, uint32_t *id, const char **message,
                      uint32_t *mlen, char *err, size_t err_len);
int shuf_decode_announce(const uint8_t *p, uint32_t len, uint32_t *id, int64_t *checkpoint,
                         const uint8_t **barrier, uint32_t *blen, char *err, size_t err_len);
/* The name of a frame type, for messages ("frame type 0x..." when unknown: into buf). */
const char *shuf_type_name(uint32_t type, char *buf, size_t cap);
#endif
