/*
 * daemon_commands.h: the `spate` verbs that run a standalone cluster's daemons, Flink's bin/
 * scripts in C:
 *
 *   spate jobmanager     start|start-foreground|stop|stop-all [-D key=value]...   (jobmanager.sh)
 *   spate taskmanager    start|start-foreground|stop|stop-all [-D key=value]...   (taskmanager.sh)
 *   spate standalone-job start|start-foreground|stop --job <job.so> [--job-id <id>]
 *                        [-s|--fromSavepoint <path>] [-n|--allowNonRestoredState]
 *                        [-D key=value]... [job args]                        (standalone-job.sh)
 *   spate cluster        start|stop [-D key=value]...       (start-cluster.sh, stop-cluster.sh)
 *
 * start-foreground runs the process in this one (flink-console.sh: log lines on the console
 * unless log.file is set) through cluster/standalone.h; start and stop go through
 * daemon_launcher.h, cluster through cluster_commands.h.
 */
#ifndef SPATE_CLI_DAEMON_COMMANDS_H
#define SPATE_CLI_DAEMON_COMMANDS_H
#include <stdbool.h>

/* Whether cmd is one of the verbs above. */
bool daemon_command_known(const char *cmd);

/* Runs verb cmd with its arguments (argv[0] is the action, "start", ...). Returns the exit code:
 * 0, 1 for an argument error (after a message naming it on stderr) or a failure, or the exit code
 * of the process run by start-foreground. */
int daemon_command_run(const char *cmd, int argc, char **argv);
#endif
