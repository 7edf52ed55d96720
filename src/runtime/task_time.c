/*
 * task_time.c: the seqlock of a task's time accounting. See task_time.h.
 *
 * Every field is an atomic, so no access is a data race (ThreadSanitizer agrees); the sequence
 * counter only makes a reader's fields belong to one moment. The writer's release fence after
 * making the counter odd keeps its field stores after that store; the reader's acquire fence
 * keeps its field loads before the second load of the counter.
 */
#include "runtime/task_time.h"

#include <sched.h>

static void write_begin(task_time *tt) {
  uint32_t s = atomic_load_explicit(&tt->seq, memory_order_relaxed);
  atomic_store_explicit(&tt->seq, s + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
}

static void write_end(task_time *tt) {
  uint32_t s = atomic_load_explicit(&tt->seq, memory_order_relaxed);
  atomic_store_explicit(&tt->seq, s + 1, memory_order_release);
}

void task_time_start(task_time *tt, int64_t now) {
  write_begin(tt);
  atomic_store_explicit(&tt->start_ns, now ? now : 1, memory_order_relaxed);
  write_end(tt);
}

void task_time_stop(task_time *tt, int64_t now) {
  write_begin(tt);
  for (int w = 0; w < 2; w++) { /* a wait still open ends with the task */
    int64_t since = atomic_load_explicit(&tt->since[w], memory_order_relaxed);
    if (since) {
      uint64_t d = now > since ? (uint64_t)(now - since) : 0;
      atomic_store_explicit(&tt->done[w],
                            atomic_load_explicit(&tt->done[w], memory_order_relaxed) + d,
                            memory_order_relaxed);
      atomic_store_explicit(&tt->since[w], 0, memory_order_relaxed);
    }
  }
  atomic_store_explicit(&tt->end_ns, now ? now : 1, memory_order_relaxed);
  write_end(tt);
}

void task_time_begin(task_time *tt, task_wait w, int64_t now) {
  write_begin(tt);
  atomic_store_explicit(&tt->since[w], now ? now : 1, memory_order_relaxed);
  write_end(tt);
}

void task_time_end(task_time *tt, task_wait w, int64_t now) {
  int64_t since = atomic_load_explicit(&tt->since[w], memory_order_relaxed);
  if (!since) return;
  uint64_t d = now > since ? (uint64_t)(now - since) : 0;
  write_begin(tt);
  atomic_store_explicit(&tt->done[w], atomic_load_explicit(&tt->done[w], memory_order_relaxed) + d,
                        memory_order_relaxed);
  atomic_store_explicit(&tt->since[w], 0, memory_order_relaxed);
  write_end(tt);
}

void task_time_add(task_time *tt, task_wait w, uint64_t ns) {
  write_begin(tt);
  atomic_store_explicit(&tt->done[w], atomic_load_explicit(&tt->done[w], memory_order_relaxed) + ns,
                        memory_order_relaxed);
  write_end(tt);
}

void task_time_read(const task_time *ctt, int64_t now, task_time_view *out) {
  task_time *tt = (task_time *)ctt; /* loads only */
  int64_t start, end, since[2];
  uint64_t done[2];
  for (unsigned tries = 0;; tries++) {
    uint32_t s1 = atomic_load_explicit(&tt->seq, memory_order_acquire);
    if (!(s1 & 1)) {
      start = atomic_load_explicit(&tt->start_ns, memory_order_relaxed);
      end = atomic_load_explicit(&tt->end_ns, memory_order_relaxed);
      for (int w = 0; w < 2; w++) {
        done[w] = atomic_load_explicit(&tt->done[w], memory_order_relaxed);
        since[w] = atomic_load_explicit(&tt->since[w], memory_order_relaxed);
      }
      atomic_thread_fence(memory_order_acquire);
      if (atomic_load_explicit(&tt->seq, memory_order_relaxed) == s1) break;
    }
    if (tries > 64) sched_yield(); /* the writer was descheduled mid-update */
  }
  *out = (task_time_view){0};
  if (!start) return;
  int64_t upto = end ? end : now;
  uint64_t elapsed = upto > start ? (uint64_t)(upto - start) : 0;
  uint64_t waits[2];
  for (int w = 0; w < 2; w++)
    waits[w] = done[w] + (since[w] && upto > since[w] ? (uint64_t)(upto - since[w]) : 0);
  /* clock reads of the writer and this reader interleave: keep the parts within the whole */
  if (waits[0] > elapsed) waits[0] = elapsed;
  if (waits[1] > elapsed - waits[0]) waits[1] = elapsed - waits[0];
  out->elapsed_ns = elapsed;
  out->idle_ns = waits[0];
  out->backpressured_ns = waits[1];
  out->busy_ns = elapsed - waits[0] - waits[1];
}
