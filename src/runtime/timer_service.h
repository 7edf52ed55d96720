/*
 * timer_service.h: a task's processing-time timers (Flink's ProcessingTimeService). Operators
 * schedule a callback for processing time T (op_schedule); the task fires the due ones between
 * batches and before it takes a checkpoint's snapshot, and parks no longer than until the next.
 *
 * When a timer is due depends on the clock: on the system clock a timer for T fires once T has
 * passed, on a manual clock when the clock reaches T (see timer_service.c). Operators schedule
 * at T; only this file applies the rule.
 *
 * A binary min-heap on the due time. Only the task thread touches it.
 */
#ifndef SPATE_RUNTIME_TIMER_SERVICE_H
#define SPATE_RUNTIME_TIMER_SERVICE_H
#include <stdint.h>
#include "base/clock.h"
#include "runtime/operator.h"

typedef struct timer_service {
  sp_clock *clock; /* the task's processing time */
  struct ptimer {  /* processing-time timers: a binary min-heap on due */
    int64_t due;
    op_t *op;
    op_timer_fn fn;
  } * timers;
  int ntimers, timers_cap;
} timer_service;

/* An empty service on clock (which must outlive it). */
void timer_service_init(timer_service *ts, sp_clock *clock);
/* Frees the heap; timers still scheduled never fire. */
void timer_service_destroy(timer_service *ts);
/* Schedules fn(op, ...) for processing time due_ms. 0 or SPATE_ENOMEM. */
int timer_service_schedule(timer_service *ts, op_t *op, int64_t due_ms, op_timer_fn fn);
/* Runs the timers that are due; a timer may schedule new ones (they wait for the next round).
 * Returns how many ran, or a negative code. */
int timer_service_fire(timer_service *ts);
/* Clock nanoseconds until the next timer (-1: none). */
int64_t timer_service_left_ns(const timer_service *ts);
#endif
