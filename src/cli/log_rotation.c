/*
 * log_rotation.c: rotation of a daemon's .log and .out files (log_rotation.h).
 */
#include "cli/log_rotation.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"

int log_rotate(const char *path, int max, char *err, size_t cap) {
  struct stat st;
  if (max < 1 || stat(path, &st) != 0) return 0;
  char from[PATH_MAX + 16], to[PATH_MAX + 16];
  if (strlen(path) >= PATH_MAX)
    return sp_err(err, cap, SPATE_EIO, "log file path too long: '%s'", path);
  for (int n = max; n > 1; n--) {
    snprintf(from, sizeof from, "%s.%d", path, n - 1);
    snprintf(to, sizeof to, "%s.%d", path, n);
    if (rename(from, to) != 0 && errno != ENOENT)
      return sp_err(err, cap, SPATE_EIO, "cannot rotate log file '%s' to '%s': %s", from, to,
                    strerror(errno));
  }
  snprintf(to, sizeof to, "%s.%d", path, 1);
  if (rename(path, to) != 0 && errno != ENOENT)
    return sp_err(err, cap, SPATE_EIO, "cannot rotate log file '%s' to '%s': %s", path, to,
                  strerror(errno));
  return 0;
}
