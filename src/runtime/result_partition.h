/*
 * result_partition.h: the producing side of an exchange.
 *
 * A result partition belongs to one producer subtask and one job edge; it has one subpartition
 * per connected consumer subtask. A subpartition is a lock-free SPSC queue of full buffers; its
 * consumer registers the sp_event it parks on, and the producer notifies it after each push.
 * A partition is shared by its producer and its consumers through a reference count (see
 * shuffle_env.h), so either side may come first and either may go first.
 *
 * The record writer serializes elements into the current buffer of the subpartition its
 * partitioner chooses, hands buffers over when full, on flush, and after every record when the
 * buffer timeout is 0. It waits for a free buffer when the pool is empty: backpressure.
 */
#ifndef SPATE_RUNTIME_RESULT_PARTITION_H
#define SPATE_RUNTIME_RESULT_PARTITION_H
#include <stdatomic.h>
#include "base/sync.h"
#include "graph/stream_graph.h"
#include "runtime/buffer_pool.h"
#include "runtime/element.h"

typedef struct subpartition {
  sp_spsc queue;                 /* full buffers, producer -> consumer */
  _Atomic(sp_event *) consumer;  /* where the consumer parks; NULL until it connects */
  _Atomic int notifying;         /* > 0 while the producer is between loading `consumer` and
                                    finishing its notify: the consumer's event must live on */
  _Atomic int64_t announced;     /* highest checkpoint whose barrier is queued here: unaligned
                                    checkpoints let the consumer act on it before reading up to
                                    it (Flink's priority event) */
  pthread_mutex_t amu;           /* guards abarrier: taken once per checkpoint per side */
  uint8_t *abarrier;             /* the announced barrier's payload */
  uint32_t abarrier_len;
} subpartition;

typedef struct result_partition {
  _Atomic int refs;
  int nsub;
  subpartition *subs;
  bufpool *pool;
} result_partition;

/* Creates a partition with nsub subpartitions and a pool of `buffers` buffers of `size` bytes;
 * refs = 1. */
int rp_create(int nsub, uint32_t buffers, uint32_t size, result_partition **out);
void rp_ref(result_partition *rp);
/* Drops a reference; the last one returns queued buffers and frees everything. */
void rp_unref(result_partition *rp);
/* Pushes a buffer to subpartition i and wakes its consumer. Never fails: the queue holds as many
 * buffers as the pool has. */
void rp_push(result_partition *rp, int i, rt_buffer *b);
/* Copies the payload of the barrier announced on subpartition i into buf (up to cap bytes);
 * returns its length (0: none). */
uint32_t rp_announced_barrier(result_partition *rp, int i, void *buf, uint32_t cap);
/* Registers (ev) or removes (NULL) the event the consumer of subpartition i parks on. Removing
 * waits for a notify in flight, so the event may be freed as soon as this returns. */
void rp_set_consumer(result_partition *rp, int i, sp_event *ev);

/* Which consumers a producer subtask is connected to, and which producers (and subpartition of
 * theirs) a consumer reads, for each partitioner (pointwise for FORWARD and RESCALE as Flink's
 * EdgeManagerBuildUtil, all-to-all otherwise). Return the count; out arrays need max(p_up,
 * p_down) entries. */
int rp_consumers_of(part_kind part, int p_up, int p_down, int producer, int *consumers);
int rp_producers_of(part_kind part, int p_up, int p_down, int consumer, int *producers,
                    int *subpartitions);

/* ---- record writer ------------------------------------------------------------------------ */
typedef struct record_writer {
  result_partition *rp;
  part_kind part;
  int nsub;
  int consumer_parallelism, max_parallelism;
  rt_buffer **cur;          /* current buffer per subpartition, or NULL */
  bool dirty;               /* some current buffer holds unflushed data */
  bool flush_always;        /* buffer timeout 0 */
  int rr;                   /* round-robin position */
  uint64_t rng;             /* shuffle */
  /* keys for HASH and CUSTOM */
  const spate_schema *schema;
  int nkey;
  const int *key_fields;
  spate_key_fn key_fn;      /* selector keys */
  const spate_schema *key_schema; /* selector keys: schema of the key row */
  const int *key_all_fields;      /* selector keys: 0..n-1 */
  spate_row_builder *key_rb;
  spate_partition_fn custom_fn;
  struct spate_ctx *ctx;    /* context handed to key and partition UDFs */
  const _Atomic bool *cancel;
  uint64_t *backpressure_ns;
  char *err;                /* task error buffer */
  size_t err_len;
} record_writer;

/* Emits a record to the subpartition(s) its partitioner picks. Returns 0, SPATE_ECANCELED, or
 * an error from a key/partition UDF (message in w->err). */
int rw_emit(record_writer *w, int64_t ts, const spate_row *row);
/* Writes a non-record element (watermark, end of partition) to every subpartition. */
int rw_broadcast_event(record_writer *w, uint32_t tag, const void *payload, uint32_t len);
/* Hands every partly filled buffer to its consumer. */
void rw_flush(record_writer *w);
/* Writes a barrier to every subpartition, hands it over at once, and announces it (see
 * subpartition.announced). */
int rw_emit_barrier(record_writer *w, int64_t id, const void *payload, uint32_t len);
/* Returns held buffers to the pool (on teardown). */
void rw_release(record_writer *w);
#endif
