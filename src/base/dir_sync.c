/*
 * dir_sync.c: fsync of a directory (dir_sync.h).
 */
#define _GNU_SOURCE
#include "base/dir_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int sp_sync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = fsync(fd) < 0 ? errno : 0;
  close(fd);
  return e;
}
