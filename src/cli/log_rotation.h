/*
 * log_rotation.h: rotation of a daemon's log files before it starts, as rotateLogFile of Flink's
 * config.sh: <file> becomes <file>.1, <file>.1 becomes <file>.2, ..., up to <file>.<max>, whose
 * previous contents are dropped; so env.log.max older generations are kept beside the new file.
 */
#ifndef SPATE_CLI_LOG_ROTATION_H
#define SPATE_CLI_LOG_ROTATION_H
#include <stddef.h>

/* Rotates path if it exists (max >= 1 generations kept). Returns 0, or SPATE_EIO with a message
 * naming the file in err. */
int log_rotate(const char *path, int max, char *err, size_t cap);
#endif
