/*
 * crash_job.c: a job whose map crashes the process on purpose, for test_crash_report.sh. Built
 * as tests/jobs/crash_job.so (for `spate run`) and as the executable tests/jobs/crash_job
 * (linked with libspate, like examples/standalone), both without sanitizers, so that a crash is
 * the CPU's or libc's and not a sanitizer's report.
 *
 *     sequence 1..count -> map "crasher" -> print (or --output: the plain text sink)
 *
 * The map passes values through and crashes at the --at'th record (default 50) that its subtask
 * --subtask (1-based, default 1) sees, in the way --signal says (default segv):
 *     segv   stores through a NULL pointer     fpe    divides an integer by zero
 *     ill    executes an undefined instruction bus    raises SIGBUS
 *     abort  calls abort()                     stack  recurses until the stack overflows
 * --user-handler installs the program's own handler for the signal before executing (it writes
 * "user handler: <signal>" and exits with status 42), to check that Spate keeps it.
 */
#include <spate/spate.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct crash_args {
  int sig;
  int subtask; /* 0-based */
  long at;
} crash_args;

static __thread long seen; /* records this subtask's map has seen (one thread per subtask) */

/* Recursion that cannot be turned into a loop: each frame keeps a volatile buffer alive. */
static long recurse(long depth) {
  volatile char frame[256];
  frame[0] = (char)depth;
  return depth < LONG_MAX ? recurse(depth + 1) + frame[0] : 0;
}

static void crash_now(int sig) {
  switch (sig) {
  case SIGSEGV: {
    volatile int *volatile p = NULL; /* volatile: the compiler may neither drop the store nor
                                        turn it into a trap */
    *p = 1;
    break;
  }
  case SIGFPE: {
    volatile int one = 1, zero = 0; /* volatile: the division happens at run time */
    volatile int q = one / zero;
    (void)q;
    break;
  }
  case SIGILL: __builtin_trap();
  case SIGABRT: abort();
  case 0: recurse(0); break; /* a stack overflow: SIGSEGV on the guard page */
  default: raise(sig);
  }
}

int crash_job_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  const crash_args *a = spate_ctx_arg(ctx, NULL);
  if (spate_ctx_subtask(ctx) == a->subtask && ++seen == a->at) crash_now(a->sig);
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  return 0;
}

static void user_handler(int sig) {
  char msg[64];
  int n = snprintf(msg, sizeof msg, "user handler: %d\n", sig); /* good enough for a test */
  if (n > 0) (void)!write(STDERR_FILENO, msg, (size_t)n);
  _exit(42);
}

int spate_main(int argc, char **argv) {
  static const char *const needs_value[] = {"signal", "at", "count", "subtask", "output", NULL};
  const char *bare = spate_arg_missing_value(argc, argv, needs_value);
  if (bare) {
    fprintf(stderr, "crash_job: --%s needs a value\n", bare);
    return 1;
  }
  const char *name = spate_arg(argc, argv, "signal", "segv");
  static const struct {
    const char *name;
    int sig;
  } sigs[] = {
      {"segv", SIGSEGV}, {"fpe", SIGFPE}, {"ill", SIGILL}, {"bus", SIGBUS}, {"abort", SIGABRT}};
  crash_args args = {.sig = -1, .at = atol(spate_arg(argc, argv, "at", "50"))};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (strcmp(name, sigs[i].name) == 0) args.sig = sigs[i].sig;
  if (strcmp(name, "stack") == 0) args.sig = 0;
  long count = atol(spate_arg(argc, argv, "count", "100"));
  if (args.sig < 0 || args.at < 1 || count < 1) {
    fprintf(stderr, "crash_job: bad --signal, --at or --count\n");
    return 1;
  }
  if (spate_arg_has(argc, argv, "user-handler") && args.sig > 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = user_handler;
    sigaction(args.sig, &sa, NULL);
  }

  spate_env *env = spate_env_create();
  spate_stream *numbers = spate_name(spate_from_sequence(env, 1, count), "numbers");
  spate_stream *mapped =
      spate_name(spate_map(numbers, crash_job_map, spate_stream_schema(numbers)), "crasher");
  args.subtask = atoi(spate_arg(argc, argv, "subtask", "1")) - 1;
  spate_udf_arg(mapped, &args, sizeof args);
  const char *output = spate_arg(argc, argv, "output", NULL);
  if (output)
    spate_write_text(mapped, output);
  else
    spate_print(mapped, NULL);
  spate_job_result *r = spate_execute(env, "CrashJob");
  spate_job_status st = spate_job_result_status(r);
  if (st == SPATE_JOB_FAILED) fprintf(stderr, "crash_job: %s\n", spate_job_result_error(r));
  spate_job_result_free(r);
  spate_env_free(env);
  return st == SPATE_JOB_FINISHED || st == SPATE_JOB_PLANNED ? 0 : 1;
}
