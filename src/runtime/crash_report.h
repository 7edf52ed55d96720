/*
 * crash_report.h: what the process says when user code (or Spate's) crashes it.
 *
 * A UDF that dereferences NULL, divides by zero or calls abort() takes the whole process down:
 * tasks are threads of one process, as they are in Flink's TaskManager JVM, but unlike the JVM
 * nothing turns the fault into an exception. What can be done is to say where it happened before
 * the process dies: crash_report_install puts a handler on SIGSEGV, SIGBUS, SIGFPE, SIGILL and
 * SIGABRT that writes, with write(2) and hand-made formatting only (it must be
 * async-signal-safe),
 *
 *   spate: fatal signal SIGSEGV (invalid memory access at address 0x0) in operator 'parse'
 *   (subtask 2/4) of task 'Source: lines -> parse -> Sink: Print to Std. Out (2/4)'
 *
 * then writes out the lines print and text sinks had buffered (base/outbuf.h), restores the
 * signal's previous action and raises it again, so the process ends with the signal's status
 * (a shell sees 128 + the signal, 139 for SIGSEGV) and dumps core where that is enabled.
 *
 * Where: each task thread names its task (crash_thread_begin), and the operator-call path
 * (op_process, op_poll, timers, watermarks, open, close, end of input: runtime/operator.h) keeps
 * a thread-local "current operator", saved and restored around each call so that a chained
 * successor returning to its predecessor hands the name back. That is two thread-local stores
 * per call. Task threads also get an alternate signal stack, so a UDF that overflows its stack is
 * reported too.
 *
 * A handler the program installed is kept: the install leaves a signal the program ignores
 * alone, and where the program has its own handler, Spate's report runs first and the program's
 * handler gets the signal next (the action is restored and the signal raised again). A program
 * that installs its handler after Spate's replaces it; spate_execute installs again, chaining in
 * front of it.
 */
#ifndef SPATE_RUNTIME_CRASH_REPORT_H
#define SPATE_RUNTIME_CRASH_REPORT_H

struct spate_ctx;

/* The operator whose code the thread is running, by its UDF context (which names it and its
 * subtask: udf_context.h), or NULL. initial-exec: libspate is linked at program start, and a
 * plain %fs-relative store keeps the per-record cost negligible. */
extern __thread const struct spate_ctx *crash_current_op __attribute__((tls_model("initial-exec")));

/* Makes op (an operator's context) the current operator; returns the one to restore with
 * crash_leave. */
static inline const struct spate_ctx *crash_enter(const struct spate_ctx *op) {
  const struct spate_ctx *outer = crash_current_op;
  crash_current_op = op;
  return outer;
}
static inline void crash_leave(const struct spate_ctx *outer) { crash_current_op = outer; }

/* Installs the fatal-signal handlers (see above); idempotent and thread-safe. */
void crash_report_install(void);
/* Called first on a task thread: the task's name (must outlive crash_thread_end) is reported
 * for signals on this thread, which also gets an alternate signal stack if it has none. */
void crash_thread_begin(const char *task_name);
/* Called last on a task thread: forgets the name and frees the alternate stack. */
void crash_thread_end(void);
#endif
