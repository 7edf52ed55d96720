/*
 * clock.h: time. Monotonic time for durations, wall time for ids and logs, and the processing-time
 * service (sp_clock) that everything time-driven in a job reads.
 *
 * sp_clock is Flink's ProcessingTimeService: processing-time timers and windows, state TTL,
 * periodic watermarks, the buffer timeout, file rolling, checkpoint intervals and timeouts,
 * alignment timeouts and restart backoff all read one clock. The system clock is wall time (for
 * processing time) and monotonic time (for deadlines). A manual clock (Flink's
 * TestProcessingTimeService) stands still until told to advance; tests install one for a job so
 * that what the job does never depends on how fast the machine is.
 *
 * Waiting: components compute how long to wait for a clock deadline with sp_clock_wait_ns. On
 * the system clock that is the real time left; on a manual clock it is "until woken" (-1), and
 * every advance wakes the subscribers (sp_clock_subscribe), which then re-read the clock.
 *
 * Lock: c->mu guards the subscriber list; advance calls the subscribers' wake functions under
 * it, so a wake function must not block and must not take a lock that is held while calling
 * into the clock (order: clock->mu before any lock a wake function takes).
 */
#ifndef SPATE_BASE_CLOCK_H
#define SPATE_BASE_CLOCK_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

int64_t sp_mono_ns(void); /* CLOCK_MONOTONIC */
int64_t sp_mono_ms(void);
int64_t sp_wall_ms(void); /* CLOCK_REALTIME, ms since the epoch */

typedef struct sp_clock_sub {
  struct sp_clock_sub *next;
  void (*wake)(void *arg); /* the time moved: re-read it (must not block) */
  void *arg;
} sp_clock_sub;

typedef struct spate_clock sp_clock;
struct spate_clock {
  bool manual;
  _Atomic int64_t now_ms; /* manual: the current time */
  pthread_mutex_t mu;     /* guards subs */
  sp_clock_sub *subs;
};

/* The system clock (a process-wide constant object; never freed). */
sp_clock *sp_clock_system(void);
/* A manual clock at start_ms; NULL if out of memory. */
sp_clock *sp_clock_manual(int64_t start_ms);
void sp_clock_free(sp_clock *c); /* manual clocks only; no subscriber may remain */
/* Processing time in ms: wall time on the system clock. c may be NULL (the system clock). */
int64_t sp_clock_now(const sp_clock *c);
/* The time deadlines are measured on, in ns: monotonic on the system clock, the manual time
 * otherwise. c may be NULL. */
int64_t sp_clock_mono_ns(const sp_clock *c);
/* A real timeout for waiting `left_ns` of clock time: left_ns itself (at least 0) on the system
 * clock; on a manual clock 0 when nothing is left, else -1 (wait to be woken by an advance). */
static inline int64_t sp_clock_wait_ns(const sp_clock *c, int64_t left_ns) {
  if (left_ns <= 0) return 0;
  return c && c->manual ? -1 : left_ns;
}
/* Moves a manual clock to `to_ms` (never backwards) and wakes every subscriber. */
void sp_clock_set(sp_clock *c, int64_t to_ms);
/* Subscribes to advances of a manual clock (no-op on the system clock): s stays linked until
 * unsubscribed, and s->wake may run on any thread that advances the clock. */
void sp_clock_subscribe(sp_clock *c, sp_clock_sub *s);
void sp_clock_unsubscribe(sp_clock *c, sp_clock_sub *s);
#endif
