/*
 * result_partition.c: subpartition queues, the pointwise/all-to-all wiring and the record
 * writer's serialization and partitioners. See result_partition.h.
 */
#include "runtime/result_partition.h"

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "runtime/operator.h"
#include "types/row.h"

int rp_create(int nsub, uint32_t buffers, uint32_t size, result_partition **out) {
  *out = NULL;
  result_partition *rp = sp_calloc(1, sizeof *rp);
  if (!rp) return SPATE_ENOMEM;
  rp->subs = sp_calloc((size_t)nsub, sizeof *rp->subs);
  int rc = rp->subs ? bufpool_create(buffers, size, &rp->pool) : SPATE_ENOMEM;
  for (int i = 0; rc == 0 && i < nsub; i++) {
    rc = sp_spsc_init(&rp->subs[i].queue, buffers);
    if (rc == 0) {
      pthread_mutex_init(&rp->subs[i].amu, NULL);
      rp->nsub = i + 1;
    }
  }
  if (rc) {
    rp->refs = 1;
    rp_unref(rp);
    return rc;
  }
  rp->nsub = nsub;
  atomic_store(&rp->refs, 1);
  *out = rp;
  return 0;
}

void rp_ref(result_partition *rp) { atomic_fetch_add(&rp->refs, 1); }

void rp_unref(result_partition *rp) {
  if (!rp || atomic_fetch_sub(&rp->refs, 1) != 1) return;
  for (int i = 0; i < rp->nsub; i++) {
    rt_buffer *b;
    while ((b = sp_spsc_pop(&rp->subs[i].queue)) != NULL) bufpool_recycle(b);
    sp_spsc_destroy(&rp->subs[i].queue);
    pthread_mutex_destroy(&rp->subs[i].amu);
    sp_free(rp->subs[i].abarrier);
  }
  bufpool_destroy(rp->pool);
  sp_free(rp->subs);
  sp_free(rp);
}

/* The producer marks a notify in flight before it reads the consumer's event; the consumer
 * clears the event before it checks for notifies in flight (both sequentially consistent), so
 * either the producer sees NULL or the consumer sees the mark and waits for the notify to end.
 * That keeps a finishing consumer from freeing its event under a producer's notify. */
void rp_push(result_partition *rp, int i, rt_buffer *b) {
  subpartition *s = &rp->subs[i];
  bool ok = sp_spsc_push(&s->queue, b);
  (void)ok; /* capacity >= pool size, so a push cannot fail */
  atomic_fetch_add(&s->notifying, 1);
  sp_event *ev = atomic_load(&s->consumer);
  if (ev) sp_event_notify(ev);
  atomic_fetch_sub(&s->notifying, 1);
}

void rp_set_consumer(result_partition *rp, int i, sp_event *ev) {
  subpartition *s = &rp->subs[i];
  atomic_store(&s->consumer, ev);
  if (ev) return;
  while (atomic_load(&s->notifying) > 0) sched_yield(); /* a notify takes microseconds */
}

static bool pointwise(part_kind part) { return part == PART_FORWARD || part == PART_RESCALE; }

int rp_consumers_of(part_kind part, int p_up, int p_down, int producer, int *consumers) {
  int n = 0;
  if (!pointwise(part)) {
    for (int j = 0; j < p_down; j++) consumers[n++] = j;
  } else if (p_up >= p_down) {
    for (int j = 0; j < p_down; j++) {
      int start = (int)((int64_t)j * p_up / p_down), end = (int)((int64_t)(j + 1) * p_up / p_down);
      if (producer >= start && producer < end) consumers[n++] = j;
    }
  } else {
    int start = (int)(((int64_t)producer * p_down + p_up - 1) / p_up); /* ceil, as Flink */
    int end = (int)(((int64_t)(producer + 1) * p_down + p_up - 1) / p_up);
    for (int j = start; j < end; j++) consumers[n++] = j;
  }
  return n;
}

int rp_producers_of(part_kind part, int p_up, int p_down, int consumer, int *producers,
                    int *subpartitions) {
  int n = 0;
  for (int i = 0; i < p_up; i++) {
    int sub = -1; /* the subpartition of producer i that feeds this consumer, if any */
    if (!pointwise(part)) {
      sub = consumer;
    } else if (p_up >= p_down) {
      int start = (int)((int64_t)consumer * p_up / p_down);
      int end = (int)((int64_t)(consumer + 1) * p_up / p_down);
      if (i >= start && i < end) sub = 0;
    } else {
      int start = (int)(((int64_t)i * p_down + p_up - 1) / p_up);
      int end = (int)(((int64_t)(i + 1) * p_down + p_up - 1) / p_up);
      if (consumer >= start && consumer < end) sub = consumer - start;
    }
    if (sub >= 0) {
      producers[n] = i;
      subpartitions[n] = sub;
      n++;
    }
  }
  return n;
}

/* ---- record writer ------------------------------------------------------------------------ */

static rt_buffer *next_buffer(record_writer *w, int i) {
  rt_buffer *b = w->cur[i];
  if (b) {
    w->cur[i] = NULL;
    rp_push(w->rp, i, b);
  }
  b = bufpool_get(w->rp->pool, w->cancel, w->backpressure_ns);
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
    rp_push(w->rp, i, b);
  }
  return 0;
}

/* Formats an error of this writer, naming the operator that emits into it. */
static int __attribute__((format(printf, 3, 4))) writer_fail(record_writer *w, int rc,
                                                             const char *fmt, ...) {
  int n = 0;
  if (w->ctx)
    n = snprintf(w->err, w->err_len, "'%s' (subtask %d/%d): ", w->ctx->name, w->ctx->subtask + 1,
                 w->ctx->parallelism);
  if (n < 0 || (size_t)n >= w->err_len) return rc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->err + n, w->err_len - (size_t)n, fmt, ap);
  va_end(ap);
  return rc;
}

static int write_record(record_writer *w, int i, int64_t ts, const spate_row *row) {
  if (row->len > UINT32_MAX - 64) /* element lengths are 32-bit */
    return writer_fail(w, SPATE_EINVAL, "a record of %u bytes is too large to send", row->len);
  return write_element(w, i, EL_RECORD, &ts, 8, row->data, row->len);
}

static int key_target(record_writer *w, const spate_row *row, int *target) {
  const spate_row *key = row;
  spate_row keyrow;
  const int *fields = w->key_fields;
  int nkey = w->nkey;
  if (w->key_fn) {
    spate_rb_begin(w->key_rb);
    int rc = w->key_fn(w->ctx, row, w->key_rb);
    if (rc < 0) return op_udf_error(w->ctx, rc, w->err, w->err_len, "key selector");
    if (spate_rb_finish(w->key_rb, &keyrow) < 0)
      return writer_fail(w, SPATE_EUDF, "key selector built an invalid key: %s",
                         spate_rb_error(w->key_rb));
    key = &keyrow;
    fields = NULL;
  }
  if (w->part == PART_CUSTOM) { /* the API keys custom partitioning by one field */
    spate_row kr;
    spate_rb_begin(w->key_rb);
    spate_rb_set_field(w->key_rb, 0, row, w->key_fields[0]);
    if (spate_rb_finish(w->key_rb, &kr) < 0)
      return writer_fail(w, SPATE_EUDF, "custom partitioner key: %s", spate_rb_error(w->key_rb));
    int t = w->custom_fn(w->ctx, &kr, w->nsub);
    if (t < 0 || t >= w->nsub) {
      if (t < 0 && w->ctx && op_ctx_has_error(w->ctx))
        return op_udf_error(w->ctx, t, w->err, w->err_len, "custom partitioner");
      return writer_fail(w, SPATE_EUDF, "custom partitioner returned partition %d, expected 0..%d",
                         t, w->nsub - 1);
    }
    *target = t;
    return 0;
  }
  int32_t h;
  if (fields) {
    h = row_fields_java_hash(key, fields, nkey, w->schema);
  } else {
    h = row_fields_java_hash(key, w->key_all_fields, (int)key->nfields, w->key_schema);
  }
  int kg = sp_key_group(h, w->max_parallelism);
  *target = sp_operator_index(w->max_parallelism, w->consumer_parallelism, kg);
  return 0;
}

int rw_emit(record_writer *w, int64_t ts, const spate_row *row) {
  int t = 0, rc;
  switch (w->part) {
  case PART_FORWARD:
    t = 0;
    break;
  case PART_RESCALE:
  case PART_REBALANCE:
    t = w->rr;
    if (++w->rr == w->nsub) w->rr = 0;
    break;
  case PART_SHUFFLE:
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    t = (int)(w->rng % (uint64_t)w->nsub);
    break;
  case PART_GLOBAL:
    t = 0;
    break;
  case PART_BROADCAST:
    for (int i = 0; i < w->nsub; i++)
      if ((rc = write_record(w, i, ts, row)) < 0) return rc;
    return 0;
  case PART_HASH:
  case PART_CUSTOM:
    if ((rc = key_target(w, row, &t)) < 0) return rc;
    break;
  default:
    break;
  }
  return write_record(w, t, ts, row);
}

int rw_broadcast_event(record_writer *w, uint32_t tag, const void *payload, uint32_t len) {
  for (int i = 0; i < w->nsub; i++) {
    int rc = write_element(w, i, tag, payload, len, NULL, 0);
    if (rc < 0) return rc;
  }
  return 0;
}

void rw_flush(record_writer *w) {
  if (!w->dirty) return;
  for (int i = 0; i < w->nsub; i++) {
    rt_buffer *b = w->cur[i];
    if (b && b->size) {
      w->cur[i] = NULL;
      rp_push(w->rp, i, b);
    }
  }
  w->dirty = false;
}

int rw_emit_barrier(record_writer *w, int64_t id, const void *payload, uint32_t len) {
  int rc = rw_broadcast_event(w, EL_BARRIER, payload, len);
  if (rc < 0) return rc;
  w->dirty = true;
  rw_flush(w);
  for (int i = 0; i < w->nsub; i++) {
    subpartition *s = &w->rp->subs[i];
    if (!(((const el_barrier *)payload)->flags & BARRIER_SAVEPOINT)) { /* savepoints align */
      pthread_mutex_lock(&s->amu);
      uint8_t *copy = sp_realloc(s->abarrier, len);
      if (copy) {
        memcpy(copy, payload, len);
        s->abarrier = copy;
        s->abarrier_len = len;
        if (atomic_load(&s->announced) < id) atomic_store(&s->announced, id);
      } /* without memory the barrier is only seen in-band: an aligned checkpoint */
      pthread_mutex_unlock(&s->amu);
    }
    atomic_fetch_add(&s->notifying, 1);
    sp_event *ev = atomic_load(&s->consumer);
    if (ev) sp_event_notify(ev);
    atomic_fetch_sub(&s->notifying, 1);
  }
  return 0;
}

uint32_t rp_announced_barrier(result_partition *rp, int i, void *buf, uint32_t cap) {
  subpartition *s = &rp->subs[i];
  pthread_mutex_lock(&s->amu);
  uint32_t n = s->abarrier_len <= cap ? s->abarrier_len : 0;
  if (n) memcpy(buf, s->abarrier, n);
  pthread_mutex_unlock(&s->amu);
  return n;
}

void rw_release(record_writer *w) {
  if (!w->cur) return;
  for (int i = 0; i < w->nsub; i++)
    if (w->cur[i]) {
      bufpool_recycle(w->cur[i]);
      w->cur[i] = NULL;
    }
}
