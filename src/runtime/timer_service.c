/*
 * timer_service.c: the processing-time timer heap and its clock rule. See timer_service.h.
 */
#include "runtime/timer_service.h"

#include <stdbool.h>

#include "base/alloc.h"
#include "base/binary_heap.h"
#include "base/err.h"

static inline bool ptimer_before(void *c, struct ptimer a, struct ptimer b) {
  (void)c;
  return a.due < b.due;
}
#define PTIMER_PLACED(c, x, i) ((void)0) /* timers do not track their index */
SP_BINARY_HEAP(ptimer_heap, struct ptimer, void *, ptimer_before, PTIMER_PLACED)

void timer_service_init(timer_service *ts, sp_clock *clock) {
  *ts = (timer_service){.clock = clock};
}

void timer_service_destroy(timer_service *ts) {
  sp_free(ts->timers);
  ts->timers = NULL;
  ts->ntimers = ts->timers_cap = 0;
}

int timer_service_schedule(timer_service *ts, op_t *op, int64_t due_ms, op_timer_fn fn) {
  if (ts->ntimers == ts->timers_cap) {
    int cap = ts->timers_cap ? ts->timers_cap * 2 : 8;
    struct ptimer *n = sp_realloc(ts->timers, sizeof *n * (size_t)cap);
    if (!n) return SPATE_ENOMEM;
    ts->timers = n;
    ts->timers_cap = cap;
  }
  ptimer_heap_push(NULL, ts->timers, (size_t)ts->ntimers++, (struct ptimer){due_ms, op, fn});
  return 0;
}

/* The processing time timers are due up to. On the system clock a timer for T fires once T has
 * passed (at T + 1 ms), as Flink's SystemProcessingTimeService does, so that a record arriving
 * during millisecond T still finds a window ending at T + 1 open; on a manual clock it fires
 * when the clock reaches T, as Flink's TestProcessingTimeService does. */
static int64_t timer_time(const timer_service *ts) {
  int64_t now = sp_clock_now(ts->clock);
  return ts->clock->manual ? now : now - 1;
}

int timer_service_fire(timer_service *ts) {
  if (!ts->ntimers) return 0;
  int64_t now = timer_time(ts);
  int n = ts->ntimers, fired = 0;
  while (n-- > 0 && ts->ntimers && ts->timers[0].due <= now) {
    struct ptimer pt = ptimer_heap_pop(NULL, ts->timers, (size_t)ts->ntimers--);
    int rc = op_fire_timer(pt.op, pt.fn, now);
    if (rc < 0) return rc;
    fired++;
  }
  return fired;
}

int64_t timer_service_left_ns(const timer_service *ts) {
  if (!ts->ntimers) return -1;
  int64_t ms = ts->timers[0].due - timer_time(ts);
  return ms <= 0 ? 0 : ms * 1000000LL;
}
