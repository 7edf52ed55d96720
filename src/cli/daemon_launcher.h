/*
 * daemon_launcher.h: running a Spate daemon in the background and stopping it, as Flink's
 * bin/flink-daemon.sh does for its daemons.
 *
 * A daemon kind has Flink's name ("standalonesession", "taskexecutor", "standalonejob",
 * "historyserver") and the `spate` verb that runs it ("jobmanager", "taskmanager",
 * "standalone-job", "historyserver"). Starting one re-runs
 * the spate binary as `spate <verb> start-foreground -D log.file=<log> <args>` in a new session,
 * stdin from /dev/null, stdout and stderr to the .out file, and appends its pid to the kind's pid
 * file (pid_file.h). Files, with <ident> = $SPATE_IDENT_STRING, else $USER, else the user's name,
 * <host> = the host name and <n> = the pid file's line count before the start:
 *
 *   <env.pid.dir>/spate-<ident>-<daemon>.pid
 *   <env.log.dir>/spate-<ident>-<daemon>-<n>-<host>.log and .out (rotated first, log_rotation.h)
 *
 * env.pid.dir defaults to /tmp, env.log.dir to log/ of the installation (install_paths.h).
 * Messages (stdout) are Flink's: "Starting <daemon> daemon on host <host>.", "[WARNING] N
 * instance(s) of <daemon> are already running on <host>.", "Stopping <daemon> daemon (pid: N) on
 * host <host>.", "No <daemon> daemon to stop on host <host>.".
 */
#ifndef SPATE_CLI_DAEMON_LAUNCHER_H
#define SPATE_CLI_DAEMON_LAUNCHER_H
#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"

typedef struct daemon_kind {
  const char *name; /* Flink's daemon name: "taskexecutor" */
  const char *verb; /* the spate verb that runs it: "taskmanager" */
} daemon_kind;

extern const daemon_kind DAEMON_JOBMANAGER;     /* standalonesession, spate jobmanager */
extern const daemon_kind DAEMON_TASKMANAGER;    /* taskexecutor, spate taskmanager */
extern const daemon_kind DAEMON_STANDALONE_JOB; /* standalonejob, spate standalone-job */
extern const daemon_kind DAEMON_HISTORYSERVER;  /* historyserver, spate historyserver */

/* The ident of file names ($SPATE_IDENT_STRING, $USER, or the user's name) and this host's name,
 * into out (cap bytes). */
void daemon_ident(char *out, size_t cap);
void daemon_host(char *out, size_t cap);

/* Starts a daemon of kind k in the background with cfg's env.* keys deciding where its files go;
 * argc/argv (not including the action) are handed to its `start-foreground` unchanged. Prints
 * Flink's lines; returns 0 once the daemon's process runs the spate binary, 1 after printing why
 * it could not be started. */
int daemon_start(const sp_config *cfg, const daemon_kind *k, int argc, char **argv);

/* Stops the newest daemon of kind k on this host (all of them with all) with SIGTERM, waits up to
 * 10 s for each to exit and kills it with SIGKILL after that (saying so). Pids of processes that
 * are gone (or no longer run this daemon) are dropped from the pid file silently. Returns 0 (also
 * when there was nothing to stop), 1 when the pid file cannot be used or a daemon would not die. */
int daemon_stop(const sp_config *cfg, const daemon_kind *k, bool all);
#endif
