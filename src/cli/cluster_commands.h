/*
 * cluster_commands.h: `spate cluster start|stop`, Flink's start-cluster.sh and stop-cluster.sh.
 *
 * The workers file of the configuration directory (install_paths.h) names one TaskManager host
 * per line; blank lines and # comments are skipped. Hosts that are this host (localhost,
 * 127.0.0.1, ::1, its own name) are started and stopped here through daemon_launcher.h; any other
 * through `ssh -n $SPATE_SSH_OPTS <host> -- "<installation>/bin/spate taskmanager start|stop
 * <-D args>"`, the installation being at the same path on every host, as Flink assumes.
 */
#ifndef SPATE_CLI_CLUSTER_COMMANDS_H
#define SPATE_CLI_CLUSTER_COMMANDS_H
#include "base/config.h"

/* Prints "Starting cluster.", starts the JobManager, then a TaskManager per workers line.
 * dargs (dargc of them) are the command's -D options, handed on to every daemon. Returns 0, or 1
 * if the workers file cannot be read or any daemon failed to start (the others still start). */
int cluster_start(const sp_config *cfg, int dargc, char **dargs);

/* Stops a TaskManager per workers line (the newest on its host), then the JobManager. Returns 0,
 * or 1 if the workers file cannot be read or a stop failed. */
int cluster_stop(const sp_config *cfg, int dargc, char **dargs);
#endif
