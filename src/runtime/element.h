/*
 * element.h: how stream elements are laid out in network buffers.
 *
 * A subpartition is a byte stream of elements, each an 8-byte header {u32 len, u32 tag} and
 * `len` payload bytes padded to a multiple of 8, so every element (and the row inside a record)
 * starts 8-byte aligned. An element never starts in the last bytes of a buffer it does not fit
 * in, unless it is larger than a whole buffer: then it spans as many buffers as it needs and
 * the reader reassembles it (the only copy on the data path).
 *
 * The tag word: its low 8 bits are the element's kind (EL_*); for a RECORD sent over a HASH edge
 * bits 8..31 hold the record's key group + 1 (0: none), computed by the producer's partitioner
 * as Flink's KeyGroupRangeAssignment does, so that a keyed consumer need not hash the key again
 * (el_tag / el_key_group; input_gate.h hands both out separately). Any process reading the bytes
 * (the network shuffle carries them unchanged) sees the same key group.
 *
 * Payloads: RECORD = i64 timestamp (INT64_MIN: none) + row bytes; WATERMARK = i64;
 * END_OF_PARTITION = empty; STATUS = u32 (1 idle, 0 active: Flink's WatermarkStatus);
 * BARRIER = the checkpoint barrier (el_barrier below, then the target directory's bytes);
 * CANCEL_BARRIER = i64 checkpoint id (Flink's CancelCheckpointMarker).
 */
#ifndef SPATE_RUNTIME_ELEMENT_H
#define SPATE_RUNTIME_ELEMENT_H
#include <stdint.h>

enum {
  EL_RECORD = 1,
  EL_WATERMARK = 2,
  EL_END_OF_PARTITION = 3,
  EL_STATUS = 4,
  EL_BARRIER = 5,
  EL_CANCEL_BARRIER = 6,
};

/* Barrier options (Flink's CheckpointOptions). */
enum {
  BARRIER_SAVEPOINT = 1,     /* always aligned */
  BARRIER_UNALIGNED = 2,     /* start unaligned */
  BARRIER_AT_LEAST_ONCE = 4, /* no alignment: snapshot when the last barrier arrives */
  BARRIER_STOP = 8,          /* stop-with-savepoint: sources end right after the barrier */
  BARRIER_DRAIN = 16,        /* with BARRIER_STOP (Flink's stop --drain): sources emit the end of
                                event time (MAX_WATERMARK) before the barrier */
};

/* The fixed part of a BARRIER payload; the target directory (UTF-8, dir_len bytes) follows. */
typedef struct el_barrier {
  int64_t id;
  int64_t timestamp;          /* wall clock when the coordinator triggered it */
  int64_t aligned_timeout_ms; /* > 0: aligned, switching to unaligned after this long */
  uint32_t flags;
  uint32_t dir_len;
} el_barrier;

/* The tag word of a record of key group kg (-1: none; key groups are below 32768). */
static inline uint32_t el_record_tag(int kg) { return EL_RECORD | ((uint32_t)(kg + 1) << 8); }
/* The kind (EL_*) and the carried key group (-1: none) of a tag word. */
static inline uint32_t el_kind(uint32_t tag) { return tag & 0xffu; }
static inline int el_key_group(uint32_t tag) { return (int)(tag >> 8) - 1; }

#define EL_HEADER 8u
static inline uint32_t el_padded(uint32_t len) { return (len + 7u) & ~7u; }
#endif
