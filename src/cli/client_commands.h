/*
 * client_commands.h: the CLI's verbs that act on a running cluster through the JobManager's REST
 * endpoint, as Flink's `bin/flink` has them: list, cancel, stop, savepoint (and savepoint -d),
 * checkpoint. Their flags, printed lines and exit codes are Flink's (reference §3).
 */
#ifndef SPATE_CLI_CLIENT_COMMANDS_H
#define SPATE_CLI_CLIENT_COMMANDS_H
#include <stdbool.h>

#include "base/config.h"

/* Whether cmd is one of the verbs here. */
bool client_command_known(const char *cmd);

/* Runs verb cmd with its arguments (argv after the verb). load_config reads the configuration
 * files into a fresh config (main.c's, so every verb finds it the same way; a negative return
 * has printed why); -D key=value options override it. The JobManager is -m host:port, else
 * rest.address:rest.port. Returns the process's exit code: 0, or 1 for an argument error (the
 * message on stdout, then "Use the help option ...") or a failed action (the cause on stderr
 * under Flink's " The program finished with the following exception:" banner). */
int client_command(const char *cmd, int argc, char **argv, int (*load_config)(sp_config *cfg));
#endif
