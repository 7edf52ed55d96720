/*
 * input_gate.h: the consuming side of an exchange. An input gate has one channel per producer
 * subtask it reads from (per job edge); a channel reads elements in place from the buffers its
 * subpartition queue delivers and gives each buffer back to its pool once read past.
 *
 * Elements larger than a buffer arrive in pieces and are reassembled in the channel's spill
 * area, which is released again after an element over SPILL_KEEP bytes.
 * A channel is only touched by its consumer task's thread.
 */
#ifndef SPATE_RUNTIME_INPUT_GATE_H
#define SPATE_RUNTIME_INPUT_GATE_H
#include "base/sw_cell.h"
#include "runtime/element.h"
#include "runtime/result_partition.h"

typedef struct stream_element {
  uint32_t tag; /* the kind: EL_RECORD, ... (element.h's el_kind of the header's tag word) */
  uint32_t len;
  const uint8_t *payload; /* 8-byte aligned; valid until the next channel_next */
  int key_group;          /* RECORD: the key group its producer's HASH partitioner computed, or
                             -1 (not sent over a HASH edge) */
} stream_element;

typedef struct input_channel {
  result_partition *rp; /* referenced */
  int sub;
  rt_buffer *buf; /* buffer being read, or NULL */
  uint32_t pos;
  uint8_t *spill; /* reassembly area for spanning elements */
  uint32_t spill_cap, spill_len, spill_need;
  bool finished;    /* END_OF_PARTITION seen */
  int vidx;         /* the channel's index in the task's watermark valve */
  sw_u64 *bytes_in; /* bytes of the buffers read are added here (or NULL; set after connect) */
} input_channel;

typedef struct input_gate {
  int input;                  /* index of the edge among the head operator's inputs */
  uint32_t nfields;           /* fields of the rows this edge carries */
  const spate_schema *schema; /* their schema (the job graph's) */
  bool key_group_hint;        /* the records' key groups may be handed to the head operator
                                 (op_t.input_key_group: same key, same maximum parallelism) */
  int nch, nfinished;
  input_channel *ch;
} input_gate;

/* Connects a channel to subpartition `sub` of rp (takes a reference) and registers `ev` as the
 * event its producer notifies. */
void channel_connect(input_channel *c, result_partition *rp, int sub, sp_event *ev);
/* Returns 1 with the next element, 0 if none is available now, SPATE_ENOMEM if a spanning
 * element cannot be reassembled, SPATE_EIO once everything that arrived before a remote
 * channel failed has been read (channel_failure says why). */
int channel_next(input_channel *c, stream_element *el);
/* Why the channel's partition failed (its network connection), or NULL. */
const char *channel_failure(const input_channel *c);
/* Releases the buffer, spill area and partition reference. */
void channel_close(input_channel *c);
#endif
