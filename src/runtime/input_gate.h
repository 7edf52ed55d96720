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
#include <string.h>

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
  uint32_t nbufs; /* buffers taken so far (the look-ahead of channel_peek restarts on a new one) */
  bool finished;  /* END_OF_PARTITION seen */
  int vidx;       /* the channel's index in the task's watermark valve */
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
/* Look-ahead (task.c hands records a few positions ahead to the head operator's prefetch): the
 * element at byte *pos of the buffer being read, when it lies whole in that buffer; *pos then
 * moves past it. Returns 1, or 0 at the end of the buffer (the look-ahead never crosses into
 * the next buffer nor reads spanning elements). Reads only; *pos below the read position (a new
 * buffer, or the caller's first call) starts at the read position. Like channel_next, the
 * element is valid until the next channel_next. */
static inline int channel_peek(const input_channel *c, uint32_t *pos, stream_element *el) {
  const rt_buffer *b = c->buf;
  if (!b || c->spill_need) return 0;
  if (*pos < c->pos) *pos = c->pos;
  if ((uint64_t)*pos + EL_HEADER > b->size) return 0;
  uint32_t hdr[2];
  memcpy(hdr, b->data + *pos, EL_HEADER);
  uint64_t total = EL_HEADER + (uint64_t)el_padded(hdr[0]);
  if (*pos + total > b->size) return 0;
  el->len = hdr[0];
  el->tag = el_kind(hdr[1]);
  el->key_group = el_key_group(hdr[1]);
  el->payload = b->data + *pos + EL_HEADER;
  *pos += (uint32_t)total;
  return 1;
}
/* Why the channel's partition failed (its network connection), or NULL. */
const char *channel_failure(const input_channel *c);
/* Releases the buffer, spill area and partition reference. */
void channel_close(input_channel *c);
#endif
