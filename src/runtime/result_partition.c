/*
 * result_partition.c: subpartition queues, the pointwise/all-to-all wiring, and announced
 * barriers. See result_partition.h; the record writer that fills the queues is in
 * record_writer.c.
 */
#include "runtime/result_partition.h"

#include <sched.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/err.h"

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

void rp_ref(result_partition *rp) {
  int before = atomic_fetch_add(&rp->refs, 1);
  sp_assert(before > 0); /* a freed partition is not revived */
}

void rp_unref(result_partition *rp) {
  if (!rp) return;
  int before = atomic_fetch_sub(&rp->refs, 1);
  sp_assert(before > 0);
  if (before != 1) return;
  if (rp->on_free) rp->on_free(rp->on_free_arg);
  for (int i = 0; i < rp->nsub; i++) {
    rt_buffer *b;
    while ((b = sp_spsc_pop(&rp->subs[i].queue)) != NULL) bufpool_recycle(b);
    sp_spsc_destroy(&rp->subs[i].queue);
    pthread_mutex_destroy(&rp->subs[i].amu);
    sp_free(rp->subs[i].abarrier);
  }
  bufpool_destroy(rp->pool);
  sp_free(rp->failure);
  sp_free(rp->subs);
  sp_free(rp);
}

/* The producer marks a notify in flight before it reads the consumer's event; the consumer
 * clears the event before it checks for notifies in flight (both sequentially consistent), so
 * either the producer sees NULL or the consumer sees the mark and waits for the notify to end.
 * That keeps a finishing consumer from freeing its event under a producer's notify. */
/* Wakes the consumer of subpartition i (see rp_push for the `notifying` protocol). */
static void notify_consumer(subpartition *s) {
  atomic_fetch_add(&s->notifying, 1);
  sp_event *ev = atomic_load(&s->consumer);
  if (ev) sp_event_notify(ev);
  atomic_fetch_sub(&s->notifying, 1);
}

void rp_push_quiet(result_partition *rp, int i, rt_buffer *b) {
  sp_assert(i >= 0 && i < rp->nsub);
  bool ok = sp_spsc_push(&rp->subs[i].queue, b);
  sp_assert(ok); /* capacity >= pool size, so a push cannot fail */
}

void rp_notify(result_partition *rp, int i) {
  sp_assert(i >= 0 && i < rp->nsub);
  notify_consumer(&rp->subs[i]);
}

void rp_push(result_partition *rp, int i, rt_buffer *b) {
  rp_push_quiet(rp, i, b);
  notify_consumer(&rp->subs[i]);
}

void rp_announce(result_partition *rp, int i, int64_t id, const void *payload, uint32_t len) {
  subpartition *s = &rp->subs[i];
  pthread_mutex_lock(&s->amu);
  uint8_t *copy = sp_realloc(s->abarrier, len);
  if (copy) {
    memcpy(copy, payload, len);
    s->abarrier = copy;
    s->abarrier_len = len;
    if (atomic_load(&s->announced) < id) atomic_store(&s->announced, id);
  } /* without memory the barrier is only seen in-band: an aligned checkpoint */
  pthread_mutex_unlock(&s->amu);
  notify_consumer(s);
}

void rp_fail(result_partition *rp, const char *why) {
  if (atomic_load_explicit(&rp->failed, memory_order_acquire)) return;
  rp->failure = sp_strdup(why); /* NULL without memory: rp_failure then gives a generic reason */
  atomic_store_explicit(&rp->failed, true, memory_order_release);
  for (int i = 0; i < rp->nsub; i++) notify_consumer(&rp->subs[i]);
}

const char *rp_failure(result_partition *rp) {
  if (!atomic_load_explicit(&rp->failed, memory_order_acquire)) return NULL;
  return rp->failure ? rp->failure : "the partition's network channel failed";
}

void rp_set_free_hook(result_partition *rp, void (*fn)(void *arg), void *arg) {
  rp->on_free = fn;
  rp->on_free_arg = arg;
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

uint32_t rp_announced_barrier(result_partition *rp, int i, void *buf, uint32_t cap) {
  subpartition *s = &rp->subs[i];
  pthread_mutex_lock(&s->amu);
  uint32_t n = s->abarrier_len <= cap ? s->abarrier_len : 0;
  if (n) memcpy(buf, s->abarrier, n);
  pthread_mutex_unlock(&s->amu);
  return n;
}
