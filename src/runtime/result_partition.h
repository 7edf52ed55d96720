/*
 * result_partition.h: the producing side of an exchange.
 *
 * A result partition belongs to one producer subtask and one job edge; it has one subpartition
 * per connected consumer subtask. A subpartition is a lock-free SPSC queue of full buffers; its
 * consumer registers the sp_event it parks on, and the producer notifies it after each push.
 * A partition is shared by its producer and its consumers through a reference count (see
 * shuffle_env.h), so either side may come first and either may go first.
 *
 * The producer fills the queues through its record writer (record_writer.h). A consumer of a
 * producer in another TaskManager reads a mirror instead: a partition of one subpartition that
 * the network shuffle fills (net/shuffle_net.h), which can fail and tells it when its last
 * reference goes.
 */
#ifndef SPATE_RUNTIME_RESULT_PARTITION_H
#define SPATE_RUNTIME_RESULT_PARTITION_H
#include <stdatomic.h>
#include "base/sync.h"
#include "graph/stream_graph.h"
#include "runtime/buffer_pool.h"

typedef struct subpartition {
  sp_spsc queue;                /* full buffers, producer -> consumer */
  _Atomic(sp_event *) consumer; /* where the consumer parks; NULL until it connects */
  _Atomic int notifying;        /* > 0 while the producer is between loading `consumer` and
                                    finishing its notify: the consumer's event must live on */
  _Atomic int64_t announced;    /* highest checkpoint whose barrier is queued here: unaligned
                                    checkpoints let the consumer act on it before reading up to
                                    it (Flink's priority event) */
  pthread_mutex_t amu;          /* guards abarrier: taken once per checkpoint per side */
  uint8_t *abarrier;            /* the announced barrier's payload */
  uint32_t abarrier_len;
} subpartition;

typedef struct result_partition {
  _Atomic int refs;
  int nsub;
  subpartition *subs;
  bufpool *pool;
  /* A partition fed from another process (a network channel's mirror) can fail: then `failed`
   * is set (release) after `failure` holds the reason, and its consumers are woken. */
  _Atomic bool failed;
  char *failure;
  /* Called once when the last reference goes, before anything is freed (rp_set_free_hook). */
  void (*on_free)(void *arg);
  void *on_free_arg;
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
/* rp_push in two steps, for a producer that wakes its consumer once per few buffers: the push
 * (the consumer sees the buffer when it next looks), and the wake-up. */
void rp_push_quiet(result_partition *rp, int i, rt_buffer *b);
void rp_notify(result_partition *rp, int i);
/* Copies the payload of the barrier announced on subpartition i into buf (up to cap bytes);
 * returns its length (0: none). */
uint32_t rp_announced_barrier(result_partition *rp, int i, void *buf, uint32_t cap);
/* Registers (ev) or removes (NULL) the event the consumer of subpartition i parks on. Removing
 * waits for a notify in flight, so the event may be freed as soon as this returns. */
void rp_set_consumer(result_partition *rp, int i, sp_event *ev);

/* Announces checkpoint `id`'s barrier (payload, len bytes) on subpartition i, ahead of the
 * buffers queued there, and wakes its consumer (Flink's priority event). Without memory the
 * barrier is only seen in band. */
void rp_announce(result_partition *rp, int i, int64_t id, const void *payload, uint32_t len);
/* Marks the partition failed with `why` (the first reason stays) and wakes its consumers; they
 * read what is queued, then fail with it. Called from one thread (the network shuffle's loop). */
void rp_fail(result_partition *rp, const char *why);
/* The failure reason, or NULL while the partition has not failed. */
const char *rp_failure(result_partition *rp);
/* Installs the hook run when the last reference goes; set before the partition is shared. */
void rp_set_free_hook(result_partition *rp, void (*fn)(void *arg), void *arg);

/* Which consumers a producer subtask is connected to, and which producers (and subpartition of
 * theirs) a consumer reads, for each partitioner (pointwise for FORWARD and RESCALE as Flink's
 * EdgeManagerBuildUtil, all-to-all otherwise). Return the count; out arrays need max(p_up,
 * p_down) entries. */
int rp_consumers_of(part_kind part, int p_up, int p_down, int producer, int *consumers);
int rp_producers_of(part_kind part, int p_up, int p_down, int consumer, int *producers,
                    int *subpartitions);
#endif
