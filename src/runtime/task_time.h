/*
 * task_time.h: where a task's time goes (Flink's busy, idle and backpressured time): the task
 * thread marks the start and end of each wait, other threads read the cumulative figures.
 *
 * Idle is time parked waiting for input (or, in a source, for something to emit), backpressured
 * is time waiting for a free output buffer, busy is the rest of the time since the task started
 * running. A wait in progress counts up to the moment of the read, so a task stuck behind a full
 * output for seconds reads as backpressured during those seconds, not only afterwards.
 *
 * The writer is the task thread alone and marks waits, never records: a begin and an end per
 * park or per buffer wait. The figures are published under a sequence counter (a seqlock): the
 * writer makes the counter odd, updates, makes it even; a reader retries until it read an even,
 * unchanged counter, so idle, backpressured and the running waits are always read together and
 * busy + idle + backpressured is exactly the elapsed time of the read.
 */
#ifndef SPATE_RUNTIME_TASK_TIME_H
#define SPATE_RUNTIME_TASK_TIME_H
#include <stdatomic.h>
#include <stdint.h>

typedef enum task_wait { TASK_WAIT_IDLE = 0, TASK_WAIT_BACKPRESSURED = 1 } task_wait;

typedef struct task_time {
  _Atomic uint32_t seq;     /* odd while the writer updates */
  _Atomic int64_t start_ns; /* sp_mono_ns when the task began running; 0: not yet */
  _Atomic int64_t end_ns;   /* when it stopped running; 0: still running */
  _Atomic uint64_t done[2]; /* finished waits, by task_wait */
  _Atomic int64_t since[2]; /* the wait in progress began then; 0: none */
} task_time;

/* What a reader gets: cumulative nanoseconds since the task began running. */
typedef struct task_time_view {
  uint64_t elapsed_ns, busy_ns, idle_ns, backpressured_ns;
} task_time_view;

/* The task thread: the task begins (ends) running at now (sp_mono_ns). */
void task_time_start(task_time *tt, int64_t now);
void task_time_stop(task_time *tt, int64_t now);
/* The task thread: a wait of kind w begins (ends) at now. A wait not begun is not ended; nested
 * begins of one kind are not allowed (a park never happens inside a buffer wait, nor the
 * reverse). */
void task_time_begin(task_time *tt, task_wait w, int64_t now);
void task_time_end(task_time *tt, task_wait w, int64_t now);
/* The task thread: adds a wait measured by the caller (a source's poll that found nothing). */
void task_time_add(task_time *tt, task_wait w, uint64_t ns);
/* Any thread: the figures at now (sp_mono_ns); all 0 before the task began running. */
void task_time_read(const task_time *tt, int64_t now, task_time_view *out);
#endif
