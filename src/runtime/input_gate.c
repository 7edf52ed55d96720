/*
 * input_gate.c: reading elements out of delivered buffers, in place where possible.
 */
#include "runtime/input_gate.h"

#include <string.h>

#include "base/alloc.h"
#include "spate/spate.h"

#define SPILL_KEEP (1u << 20)

void channel_connect(input_channel *c, result_partition *rp, int sub, sp_event *ev) {
  memset(c, 0, sizeof *c); /* vidx is assigned by the task once all channels exist */
  rp_ref(rp);
  c->rp = rp;
  c->sub = sub;
  rp_set_consumer(rp, sub, ev);
}

/* Makes c->buf a buffer with unread bytes; false if none has arrived. */
static bool ensure_buffer(input_channel *c) {
  if (c->buf && c->pos < c->buf->size) return true;
  rt_buffer *b = sp_spsc_pop(&c->rp->subs[c->sub].queue);
  if (c->buf) { /* with the next buffer in hand, more will come back soon (buffer_pool.h) */
    if (b)
      bufpool_recycle_more_coming(c->buf);
    else
      bufpool_recycle(c->buf);
    c->buf = NULL;
  }
  if (!b) return false;
  if (c->bytes_in) sw_add(c->bytes_in, b->size); /* numBytesIn, per buffer */
  c->buf = b;
  c->pos = 0;
  c->nbufs++;
  return true;
}

int channel_next(input_channel *c, stream_element *el) {
  if (c->spill_len && !c->spill_need) { /* the previous element came from the spill area */
    c->spill_len = 0;
    if (c->spill_cap > SPILL_KEEP) { /* a big one: give its memory back */
      sp_free(c->spill);
      c->spill = NULL;
      c->spill_cap = 0;
    }
  }
  for (;;) {
    /* a failed remote channel ends with what arrived before its failure, then the failure (the
     * second look catches buffers pushed just before the failure was set) */
    if (!ensure_buffer(c) && (!rp_failure(c->rp) || !ensure_buffer(c)))
      return rp_failure(c->rp) ? SPATE_EIO : 0;
    rt_buffer *b = c->buf;
    if (c->spill_need) { /* continue a spanning element */
      uint32_t n = b->size - c->pos;
      if (n > c->spill_need) n = c->spill_need;
      memcpy(c->spill + c->spill_len, b->data + c->pos, n);
      c->pos += n;
      c->spill_len += n;
      c->spill_need -= n;
      if (c->spill_need) continue;
      uint32_t hdr[2];
      memcpy(hdr, c->spill, EL_HEADER);
      el->len = hdr[0];
      el->tag = el_kind(hdr[1]);
      el->key_group = el_key_group(hdr[1]);
      el->payload = c->spill + EL_HEADER;
      return 1;
    }
    uint32_t hdr[2];
    memcpy(hdr, b->data + c->pos, EL_HEADER);
    uint64_t total = EL_HEADER + (uint64_t)el_padded(hdr[0]);
    if (c->pos + total <= b->size) {
      el->len = hdr[0];
      el->tag = el_kind(hdr[1]);
      el->key_group = el_key_group(hdr[1]);
      el->payload = b->data + c->pos + EL_HEADER;
      c->pos += (uint32_t)total;
      return 1;
    }
    /* spans buffers: reassemble */
    if (total > UINT32_MAX) return SPATE_ECORRUPT;
    if (c->spill_cap < total) {
      uint8_t *p = sp_realloc(c->spill, total);
      if (!p) return SPATE_ENOMEM;
      c->spill = p;
      c->spill_cap = (uint32_t)total;
    }
    uint32_t n = b->size - c->pos;
    memcpy(c->spill, b->data + c->pos, n);
    c->pos += n;
    c->spill_len = n;
    c->spill_need = (uint32_t)total - n;
  }
}

const char *channel_failure(const input_channel *c) { return c->rp ? rp_failure(c->rp) : NULL; }

void channel_close(input_channel *c) {
  if (c->buf) bufpool_recycle(c->buf);
  c->buf = NULL;
  sp_free(c->spill);
  c->spill = NULL;
  if (c->rp) {
    rp_set_consumer(c->rp, c->sub, NULL);
    rp_unref(c->rp);
  }
  c->rp = NULL;
}
