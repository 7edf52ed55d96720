/*
 * thread_dump.h: a thread dump of this process, as the REST endpoints /jobmanager/thread-dump and
 * /taskmanagers/:id/thread-dump show it (Flink's ThreadDumpInfo): every thread of
 * /proc/self/task with its name, state and CPU time, and for a task thread the task it runs
 * (operator chain and subtask, e.g. "Map -> Sink (1/2)#0"). Task threads announce themselves
 * through crash_report.c's crash_thread_begin/end, which call thread_dump_task_begin/end.
 */
#ifndef SPATE_RUNTIME_THREAD_DUMP_H
#define SPATE_RUNTIME_THREAD_DUMP_H
#include <stddef.h>

/* The calling thread runs the task named name (copied) until thread_dump_task_end. */
void thread_dump_task_begin(const char *name);
void thread_dump_task_end(void);

typedef struct thread_info {
  char *name; /* the task's name for a task thread, else the thread's comm */
  char *text; /* Flink's stringifiedThreadInfo: "\"name\" Id=<tid> STATE ..." with details */
} thread_info;

typedef struct thread_dump {
  thread_info *threads;
  size_t n;
} thread_dump;

/* The threads of this process now, in tid order. 0 or SPATE_ENOMEM / SPATE_EIO. */
int thread_dump_take(thread_dump *out);
void thread_dump_free(thread_dump *d);
#endif
