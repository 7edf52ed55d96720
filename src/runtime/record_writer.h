/*
 * record_writer.h: the producer's writer into its result partition (Flink's RecordWriter).
 *
 * The record writer serializes elements into the current buffer of the subpartition its
 * partitioner chooses (partitioners.h), hands buffers over when full, on flush, and after every
 * record when the buffer timeout is 0 (full ones with a wake-up of the consumer every few
 * buffers: rw_wake_consumers). It waits for a free buffer when the pool is empty:
 * backpressure. Barriers are also announced on the subpartitions, for unaligned checkpoints.
 *
 * A writer belongs to one task thread; rw_init and rw_destroy are its whole setup and teardown
 * (the task and the tests build writers the same way).
 */
#ifndef SPATE_RUNTIME_RECORD_WRITER_H
#define SPATE_RUNTIME_RECORD_WRITER_H
#include <stdatomic.h>
#include <stdbool.h>
#include "base/sw_cell.h"
#include "runtime/buffer_pool.h"
#include "runtime/element.h"
#include "runtime/partitioners.h"
#include "runtime/result_partition.h"
#include "runtime/task_time.h"

/* What a writer is wired to, besides its partition. */
typedef struct rw_config {
  partitioner_config partitioner; /* how records are spread over the subpartitions */
  bool flush_always;              /* buffer timeout 0: hand over every buffer at once */
  const _Atomic bool *cancel;     /* ends a wait for a free buffer */
  uint64_t *backpressure_ns;      /* time spent waiting for free buffers is added here */
  task_time *time;                /* the task's time accounting: marks those waits (or NULL) */
  sw_u64 *bytes_out;              /* bytes of the buffers handed over are added here (or NULL) */
  struct spate_ctx *ctx;          /* the emitting operator's: names it in errors, and is what key
                                     selectors and partition functions receive (may be NULL) */
  char *err;                      /* the task's error buffer */
  size_t err_len;
} rw_config;

/* A consumer is woken once per this many full buffers (see rw_wake_consumers). */
#define RW_WAKE_EVERY 4

typedef struct record_writer {
  result_partition *rp;
  int nsub;
  rt_buffer **cur;       /* current buffer per subpartition, or NULL */
  uint8_t *quiet;        /* per subpartition: full buffers queued since its consumer was woken */
  bool any_quiet;        /* some quiet[i] > 0 */
  bool dirty;            /* some current buffer holds unflushed data */
  bool flush_always;     /* buffer timeout 0 */
  partitioner sel;       /* picks each record's subpartition */
  struct spate_ctx *ctx; /* names the emitting operator in errors */
  const _Atomic bool *cancel;
  uint64_t *backpressure_ns;
  task_time *time;
  sw_u64 *bytes_out;
  char *err; /* task error buffer */
  size_t err_len;
} record_writer;

/* Sets up w to write into rp, which has c->partitioner.nsub subpartitions; w takes over the
 * caller's reference to rp. Returns 0, or SPATE_ENOMEM with nothing held (the reference stays
 * the caller's). */
int rw_init(record_writer *w, result_partition *rp, const rw_config *c);
/* Returns held buffers (rw_release), frees what rw_init allocated and drops the reference to
 * the partition. Safe on a zeroed writer. */
void rw_destroy(record_writer *w);

/* Emits a record to the subpartition(s) its partitioner picks. Returns 0, SPATE_ECANCELED, or
 * an error from a key/partition UDF (message in w->err). */
int rw_emit(record_writer *w, int64_t ts, const spate_row *row);
/* Writes a non-record element (watermark, end of partition) to every subpartition. */
int rw_broadcast_event(record_writer *w, uint32_t tag, const void *payload, uint32_t len);
/* Hands every partly filled buffer to its consumer, and wakes every consumer with buffers it
 * was not woken for. */
void rw_flush(record_writer *w);
/* Full buffers are queued at once but their consumer is woken only every RW_WAKE_EVERY of them
 * (or when the buffer timeout is 0: at once): this wakes the consumers of the rest. The writer
 * calls it before it waits for a free buffer, rw_flush calls it, and the task before it parks,
 * so a buffer never waits for a wake-up while its producer waits for anything. */
void rw_wake_consumers(record_writer *w);
/* Writes a barrier to every subpartition, hands it over at once, and announces it (see
 * subpartition.announced). */
int rw_emit_barrier(record_writer *w, int64_t id, const void *payload, uint32_t len);
/* Returns held buffers to the pool (on teardown, on the task thread). */
void rw_release(record_writer *w);
#endif
