/*
 * program_runner.h: running a job's program in a child process for the REST API (POST
 * /jars/:jarid/run and /plan). The user's spate_main runs in `spate run` or `spate info` of the
 * spate binary, not in the JobManager, so a program that crashes, hangs or leaks cannot take the
 * JobManager down (Flink runs it in the JobManager's JVM; a process is C's isolation).
 *
 * The child gets stdin from /dev/null and the environment of this process; its stdout and stderr
 * are captured (each up to PROGRAM_OUTPUT_MAX bytes, the rest dropped). A child still running at
 * the deadline is killed (SIGKILL).
 */
#ifndef SPATE_REST_PROGRAM_RUNNER_H
#define SPATE_REST_PROGRAM_RUNNER_H
#include <stdbool.h>
#include <stddef.h>

#define PROGRAM_OUTPUT_MAX (4u << 20)

typedef struct program_output {
  char *out, *err; /* NUL-terminated, sp_malloc'd (empty when the child wrote nothing) */
  int exit_code;   /* its exit code, or 128 + the signal that ended it */
  bool timed_out;  /* killed at the deadline */
} program_output;

/* Runs argv (argv[0] the path of the binary, NULL-terminated) and waits for it up to timeout_ms.
 * 0 when the child ran (whatever its exit code), SPATE_EIO when it could not be started (err
 * says why). */
int program_run(char *const argv[], int timeout_ms, program_output *o, char *err, size_t err_len);
void program_output_free(program_output *o);
#endif
