/*
 * collect_remote.h: the rows of a collect sink kept in its TaskManager's process for a client on
 * another host, the Spate form of Flink's CollectSinkFunction with its coordinator: how the SQL
 * client reads a query's rows while its job runs on a standalone cluster.
 *
 * The sink (connectors/sinks.c, a collect sink whose name starts with COLLECT_REMOTE_PREFIX)
 * opens a buffer registered under its name, publishes its rows in batches (never a lock per row),
 * waits for the client when it keeps too many unread rows, and marks the buffer ended at its end
 * of input. The client asks through the JobManager's REST
 * route POST /jobs/:jobid/coordinators/:operatorid (Flink's ClientCoordinationHandler), which
 * forwards the request to the TaskManager running the sink (cluster/taskmanager_info.h,
 * TM_INFO_COLLECT), where collect_remote_answer answers from the buffer.
 *
 * The protocol is Flink's version/offset one: the request carries the sink's version (a token
 * drawn when the sink opens; "" before the client knows it) and the offset of the first row the
 * client has not received yet (every row before it is acknowledged and dropped from the buffer);
 * the answer carries the sink's version, the offset of its first row, the rows from there (at most
 * COLLECT_REMOTE_MAX_BATCH bytes) and whether the sink has ended with no row after them. A
 * request repeated after a lost answer gets the same rows again, so none is lost or duplicated.
 * An ended buffer stays until its last row is acknowledged, or COLLECT_REMOTE_LINGER_MS pass
 * (the client went away); a sink closed without its end (cancelled, failed) drops its buffer.
 *
 * Wire forms (Spate's own; base64 in the REST bodies), little-endian as base/bytes.h:
 *   request: u32 COLLECT_REQUEST_MAGIC, str sink name, str version, i64 offset (>= 0)
 *   answer:  u32 COLLECT_ANSWER_MAGIC, str version, i64 offset (>= 0), u8 ended (0/1),
 *            u32 n, n x blob row (the sink's input rows, in the row format), then nothing.
 * Their decoders are strict (fuzz target collect_remote) and check every row against the schema.
 */
#ifndef SPATE_CONNECTORS_COLLECT_REMOTE_H
#define SPATE_CONNECTORS_COLLECT_REMOTE_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "spate/spate.h"

#define COLLECT_REMOTE_PREFIX "remote-collect-"
#define COLLECT_REQUEST_MAGIC 0x51435053u /* "SPCQ" */
#define COLLECT_ANSWER_MAGIC 0x41435053u  /* "SPCA" */
#define COLLECT_REMOTE_MAX_BATCH (1u << 20)
#define COLLECT_REMOTE_LINGER_MS (5 * 60 * 1000)
#define COLLECT_REMOTE_MAX_KEPT (8u << 20)
#define COLLECT_VERSION_LEN 32

/* ---- the sink's side ---- */
typedef struct collect_buffer collect_buffer;
/* Registers a buffer under name (copied), with a fresh version. SPATE_EINVAL when the name is
 * taken, SPATE_ENOMEM. */
int collect_buffer_open(const char *name, collect_buffer **out);
/* Appends n rows (data: n blobs as sp_put_blob writes them). While the buffer keeps more than
 * COLLECT_REMOTE_MAX_KEPT bytes the client has not acknowledged, it first waits for the client
 * (backpressure, as Flink's collect sink blocks on a full buffer), checking *cancel (may be
 * NULL) every 50 ms. SPATE_ECANCELED when cancelled while waiting, SPATE_ENOMEM. */
int collect_buffer_publish(collect_buffer *b, const void *data, size_t len, uint32_t n,
                           const _Atomic bool *cancel);
/* The sink's end of input: no row follows. */
void collect_buffer_end(collect_buffer *b);
/* The sink closes: an ended buffer stays for the client (see above), any other is dropped. */
void collect_buffer_close(collect_buffer *b);

/* ---- the TaskManager's side ---- */
/* Answers a request (its base64 text, as the REST body carried it) into w from the buffer it
 * names. SPATE_EINVAL for a malformed request, SPATE_ENOENT when no such buffer is in this process
 * (err says which), SPATE_ENOMEM. */
int collect_remote_answer(const char *request_b64, sp_writer *w, char *err, size_t err_len);

/* ---- the client's side ---- */
typedef struct collect_request {
  char *name, *version;
  int64_t offset;
} collect_request;
void collect_request_encode(sp_writer *w, const char *name, const char *version, int64_t offset);
/* Decodes data[0, len) into out (free with collect_request_free). SPATE_EINVAL with a message
 * naming the byte offset of what is wrong, SPATE_ENOMEM. */
int collect_request_decode(const void *data, size_t len, collect_request *out, char *err,
                           size_t err_len);
void collect_request_free(collect_request *r);

typedef struct collect_answer {
  char *version;
  int64_t offset;
  bool ended;
  uint32_t n;
  spate_row *rows; /* point into the decoded bytes, which must outlive them */
} collect_answer;
/* Decodes an answer whose rows are of schema s; every row is validated (row_validate, UTF-8
 * included). SPATE_EINVAL with a message naming the byte offset, SPATE_ENOMEM. */
int collect_answer_decode(const void *data, size_t len, const spate_schema *s, collect_answer *out,
                          char *err, size_t err_len);
void collect_answer_free(collect_answer *a);
#endif
