/*
 * nexmark_command.h: `spate nexmark`, the runner of the Nexmark queries (examples/nexmark/).
 *
 *   spate nexmark run <query> [--events N] [--tps N] [-p N] [-D key=value]... [-m host:port]
 *                             [--output PATH | --discard]
 *   spate nexmark list
 *
 * A query is named q<N> (or N) and is the job file q<N>.so of the Nexmark jobs directory:
 * $SPATE_NEXMARK_JOBS when set, else <installation>/examples/nexmark (build/examples/nexmark for
 * build/bin/spate, cli/install_paths.h); a name with a '/' is a job file's path. Whatever q*.so
 * files are there are the queries: there is no list to maintain.
 *
 * `run` runs the job as `spate run` would (the same code, handed in as `run`), with
 * --events as nexmark.events.num (default 10,000,000; 0: unbounded), --tps as
 * nexmark.first-event.rate, and the result printed to stdout (Flink's print sink), written as
 * CSV with --output, or dropped by a discarding sink with --discard (Flink's blackhole, as the
 * benchmark runs). When the job finishes it reports one line on stderr:
 *     nexmark q5: events=N seconds=S events/s=R cpu-seconds=C events/cpu-second=E parallelism=P
 * seconds from the start of `spate run`'s part (loading the job, building its plan, starting
 * the MiniCluster) to the job's end, CPU seconds of the whole process (user + sys, getrusage). With -m the job runs on a cluster and the CPU figures (this client's only)
 * are left out.
 */
#ifndef SPATE_CLI_NEXMARK_COMMAND_H
#define SPATE_CLI_NEXMARK_COMMAND_H

/* What `spate run` does with its arguments (after "run"): cmd names the command in messages. */
typedef int (*nexmark_run_fn)(const char *cmd, int argc, char **argv);

/* `spate nexmark <argv...>` (argv after "nexmark"); returns the process's exit code. Bad
 * arguments and unknown queries are reported on stderr, naming them, with exit code 1. */
int nexmark_command(int argc, char **argv, nexmark_run_fn run);
#endif
