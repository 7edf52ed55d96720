/*
 * record_writer.c: the record writer's setup, serialization into buffers, flushing, and barrier
 * announcements. See record_writer.h; the choice of subpartition is in partitioners.c.
 */
#include "runtime/record_writer.h"

#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "runtime/udf_context.h"

int rw_init(record_writer *w, result_partition *rp, const rw_config *c) {
  memset(w, 0, sizeof *w);
  int nsub = c->partitioner.nsub;
  w->cur = sp_calloc((size_t)nsub, sizeof *w->cur);
  w->quiet = sp_calloc((size_t)nsub, sizeof *w->quiet);
  if (!w->cur || !w->quiet) {
    sp_free(w->cur);
    sp_free(w->quiet);
    w->cur = NULL;
    w->quiet = NULL;
    return SPATE_ENOMEM;
  }
  int rc = partitioner_init(&w->sel, &c->partitioner, c->ctx, c->err, c->err_len);
  if (rc < 0) {
    partitioner_destroy(&w->sel);
    sp_free(w->cur);
    sp_free(w->quiet);
    w->cur = NULL;
    w->quiet = NULL;
    return rc;
  }
  w->rp = rp;
  w->nsub = nsub;
  w->flush_always = c->flush_always;
  w->ctx = c->ctx;
  w->cancel = c->cancel;
  w->backpressure_ns = c->backpressure_ns;
  w->time = c->time;
  w->bytes_out = c->bytes_out;
  w->err = c->err;
  w->err_len = c->err_len;
  return 0;
}

void rw_destroy(record_writer *w) {
  rw_release(w);
  if (w->rp) rp_unref(w->rp);
  w->rp = NULL;
  partitioner_destroy(&w->sel);
  sp_free(w->cur);
  sp_free(w->quiet);
  w->cur = NULL;
  w->quiet = NULL;
}

/* Hands buffer b over to subpartition i's consumer and wakes it, counting its bytes (per buffer,
 * not per record: the record path pays nothing for numBytesOut). */
static void hand_over(record_writer *w, int i, rt_buffer *b) {
  if (w->bytes_out) sw_add(w->bytes_out, b->size);
  rp_push_quiet(w->rp, i, b);
  rp_notify(w->rp, i);
  w->quiet[i] = 0;
}

void rw_wake_consumers(record_writer *w) {
  if (!w->any_quiet) return;
  for (int i = 0; i < w->nsub; i++)
    if (w->quiet[i]) {
      rp_notify(w->rp, i);
      w->quiet[i] = 0;
    }
  w->any_quiet = false;
}

/* A full buffer: queued at once, but its consumer is woken only every RW_WAKE_EVERY buffers (or
 * by rw_flush, rw_wake_consumers, a wait for a free buffer), so that a consumer faster than its
 * producer does not sleep and wake once per buffer: on a machine with fewer cores than busy
 * threads each such round trip costs two context switches, as much as reading the buffer. */
static void hand_over_full(record_writer *w, int i, rt_buffer *b) {
  if (w->flush_always || w->quiet[i] + 1 >= RW_WAKE_EVERY) {
    hand_over(w, i, b);
    return;
  }
  if (w->bytes_out) sw_add(w->bytes_out, b->size);
  rp_push_quiet(w->rp, i, b);
  w->quiet[i]++;
  w->any_quiet = true;
}

static rt_buffer *next_buffer(record_writer *w, int i) {
  rt_buffer *b = w->cur[i];
  if (b) {
    w->cur[i] = NULL;
    hand_over_full(w, i, b);
  }
  b = bufpool_try_get(w->rp->pool);
  if (!b) { /* backpressure: the wait is marked so that it reads as such while it lasts */
    rw_wake_consumers(w); /* what they have not been told about is what frees buffers */
    if (w->time) task_time_begin(w->time, TASK_WAIT_BACKPRESSURED, sp_mono_ns());
    b = bufpool_get(w->rp->pool, w->cancel, w->backpressure_ns);
    if (w->time) task_time_end(w->time, TASK_WAIT_BACKPRESSURED, sp_mono_ns());
  }
  w->cur[i] = b;
  return b;
}

/* Appends one element (header + two payload parts) to subpartition i. */
static int write_element(record_writer *w, int i, uint32_t tag, const void *p1, uint32_t n1,
                         const void *p2, uint32_t n2) {
  uint32_t len = n1 + n2, total = EL_HEADER + el_padded(len);
  rt_buffer *b = w->cur[i];
  if (!b) b = next_buffer(w, i);
  if (!b) return SPATE_ECANCELED;
  if (b->cap - b->size < total && (total <= b->cap || b->cap - b->size < EL_HEADER)) {
    b = next_buffer(w, i);
    if (!b) return SPATE_ECANCELED;
  }
  uint32_t hdr[2] = {len, tag};
  if (b->cap - b->size >= total) { /* the common case: the element fits */
    uint8_t *d = b->data + b->size;
    memcpy(d, hdr, EL_HEADER);
    if (n1) memcpy(d + EL_HEADER, p1, n1);
    if (n2) memcpy(d + EL_HEADER + n1, p2, n2);
    if (el_padded(len) != len) memset(d + EL_HEADER + len, 0, el_padded(len) - len);
    b->size += total;
  } else { /* larger than a buffer: span, filling each buffer completely */
    const uint8_t *parts[3] = {(const uint8_t *)hdr, p1, p2};
    uint32_t lens[3] = {EL_HEADER, n1, n2 + (el_padded(len) - len)};
    static const uint8_t zeros[8];
    for (int k = 0; k < 3; k++) {
      uint32_t off = 0;
      uint32_t real = k == 2 ? n2 : lens[k];
      while (off < lens[k]) {
        if (b->size == b->cap) {
          b = next_buffer(w, i);
          if (!b) return SPATE_ECANCELED;
        }
        uint32_t n = lens[k] - off;
        if (n > b->cap - b->size) n = b->cap - b->size;
        for (uint32_t c = 0; c < n;) { /* copy real bytes, then padding zeros */
          if (off + c < real) {
            uint32_t m = real - (off + c) < n - c ? real - (off + c) : n - c;
            memcpy(b->data + b->size + c, parts[k] + off + c, m);
            c += m;
          } else {
            uint32_t m = n - c < 8 ? n - c : 8;
            memcpy(b->data + b->size + c, zeros, m);
            c += m;
          }
        }
        b->size += n;
        off += n;
      }
    }
  }
  w->dirty = true;
  if (w->flush_always) {
    w->cur[i] = NULL;
    hand_over(w, i, b);
  }
  return 0;
}

/* Writes record (ts, row) with tag word `tag` to subpartition i. The common case (the record
 * fits the current buffer, buffers are not handed over per record) is written here with plain
 * 8-byte stores: the header as one word, the timestamp, the row (whose length the row builder
 * pads to 8) in words when it is small; everything else goes through write_element. */
static int write_record(record_writer *w, int i, uint32_t tag, int64_t ts, const spate_row *row) {
  if (row->len > UINT32_MAX - 64) /* element lengths are 32-bit */
    return op_ctx_fail(w->ctx, w->err, w->err_len, SPATE_EINVAL,
                       "a record of %u bytes is too large to send", row->len);
  uint32_t len = 8 + row->len;
  rt_buffer *b = w->cur[i];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (b && !w->flush_always && (row->len & 7u) == 0 && row->len <= 256 &&
      b->cap - b->size >= EL_HEADER + len) {
    uint8_t *d = b->data + b->size;
    uint64_t hdr = (uint64_t)len | (uint64_t)tag << 32; /* {u32 len, u32 tag} in memory order */
    memcpy(d, &hdr, 8);
    memcpy(d + 8, &ts, 8);
    for (uint32_t k = 0; k < row->len; k += 8) memcpy(d + 16 + k, row->data + k, 8);
    b->size += EL_HEADER + len;
    w->dirty = true;
    return 0;
  }
#endif
  return write_element(w, i, tag, &ts, 8, row->data, row->len);
}

int rw_emit(record_writer *w, int64_t ts, const spate_row *row) {
  int t = 0, rc;
  if ((rc = partitioner_select(&w->sel, row, &t)) < 0) return rc;
  if (t == PARTITION_ALL) {
    for (int i = 0; i < w->nsub; i++)
      if ((rc = write_record(w, i, EL_RECORD, ts, row)) < 0) return rc;
    return 0;
  }
  /* a HASH edge sends the key group it computed along (element.h) */
  uint32_t tag = w->sel.part == PART_HASH ? el_record_tag(w->sel.key_group) : EL_RECORD;
  return write_record(w, t, tag, ts, row);
}

int rw_broadcast_event(record_writer *w, uint32_t tag, const void *payload, uint32_t len) {
  for (int i = 0; i < w->nsub; i++) {
    int rc = write_element(w, i, tag, payload, len, NULL, 0);
    if (rc < 0) return rc;
  }
  return 0;
}

void rw_flush(record_writer *w) {
  if (w->dirty) {
    for (int i = 0; i < w->nsub; i++) {
      rt_buffer *b = w->cur[i];
      if (b && b->size) {
        w->cur[i] = NULL;
        hand_over(w, i, b);
      }
    }
    w->dirty = false;
  }
  rw_wake_consumers(w);
}

int rw_emit_barrier(record_writer *w, int64_t id, const void *payload, uint32_t len) {
  int rc = rw_broadcast_event(w, EL_BARRIER, payload, len);
  if (rc < 0) return rc;
  w->dirty = true;
  rw_flush(w);
  for (int i = 0; i < w->nsub; i++) {
    if (!(((const el_barrier *)payload)->flags & BARRIER_SAVEPOINT)) { /* savepoints align */
      rp_announce(w->rp, i, id, payload, len);
    } else {
      subpartition *s = &w->rp->subs[i];
      atomic_fetch_add(&s->notifying, 1);
      sp_event *ev = atomic_load(&s->consumer);
      if (ev) sp_event_notify(ev);
      atomic_fetch_sub(&s->notifying, 1);
    }
  }
  return 0;
}

void rw_release(record_writer *w) {
  if (!w->cur) return;
  for (int i = 0; i < w->nsub; i++)
    if (w->cur[i]) {
      bufpool_recycle(w->cur[i]);
      w->cur[i] = NULL;
    }
}
