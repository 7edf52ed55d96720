/*
 * pid_file.h: a daemon kind's pid file, as Flink's flink-daemon.sh keeps it: one file per user
 * and daemon kind in env.pid.dir (spate-<ident>-<daemon>.pid), one pid per line, newest last,
 * so several TaskManagers of one host share a file; `stop` ends the last, `stop-all` all.
 *
 * Every read-modify-write happens under an exclusive flock on the file, so concurrent starts and
 * stops never lose a line. A file that becomes empty is removed; pidfile_lock notices when the file
 * it locked was removed or replaced meanwhile and locks the current one instead.
 */
#ifndef SPATE_CLI_PID_FILE_H
#define SPATE_CLI_PID_FILE_H
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct pid_file {
  int fd; /* open and locked between pidfile_lock and pidfile_unlock; -1 otherwise */
  char path[PATH_MAX];
} pid_file;

/* Opens path (creating it and its directory) and takes an exclusive lock on it, waiting for other
 * holders. The descriptor is close-on-exec. Returns 0, or SPATE_EIO with a message naming the path
 * in err. */
int pidfile_lock(pid_file *pf, const char *path, char *err, size_t cap);

/* The pids in the file in order (*pids: sp_malloc'd, the caller sp_frees it; NULL when empty) and
 * the number of its non-empty lines (Flink's instance id of the next daemon). Lines that are not a
 * positive pid are skipped. Returns 0, SPATE_EIO or SPATE_ENOMEM. */
int pidfile_read(pid_file *pf, pid_t **pids, size_t *n, size_t *lines);

/* Appends one pid as a line. Returns 0 or SPATE_EIO. */
int pidfile_append(pid_file *pf, pid_t pid);

/* Replaces the contents with pids (one per line); with n == 0 removes the file. Returns 0 or
 * SPATE_EIO. */
int pidfile_rewrite(pid_file *pf, const pid_t *pids, size_t n);

/* Releases the lock and closes the file. */
void pidfile_unlock(pid_file *pf);
#endif
