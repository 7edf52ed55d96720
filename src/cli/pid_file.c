/*
 * pid_file.c: locked reads and writes of a daemon kind's pid file (pid_file.h).
 */
#include "cli/pid_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return 0;
  *slash = 0;
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return -1;
  return 0;
}

int pidfile_lock(pid_file *pf, const char *path, char *err, size_t cap) {
  pf->fd = -1;
  if ((size_t)snprintf(pf->path, sizeof pf->path, "%s", path) >= sizeof pf->path)
    return sp_err(err, cap, SPATE_EIO, "pid file path too long: '%s'", path);
  if (make_parent_dirs(path) != 0)
    return sp_err(err, cap, SPATE_EIO, "cannot create the directory of pid file '%s': %s", path,
                  strerror(errno));
  for (;;) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return sp_err(err, cap, SPATE_EIO, "cannot open pid file '%s': %s", path, strerror(errno));
    int rc;
    while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      int e = errno;
      close(fd);
      return sp_err(err, cap, SPATE_EIO, "cannot lock pid file '%s': %s", path, strerror(e));
    }
    /* Another process may have removed (emptied) the file while we waited for its lock: then our
     * descriptor names a file nobody else sees, so lock the one at the path now. */
    struct stat held, now;
    if (fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev) {
      pf->fd = fd;
      return 0;
    }
    close(fd);
  }
}

int pidfile_read(pid_file *pf, pid_t **pids, size_t *n, size_t *lines) {
  *pids = NULL;
  *n = *lines = 0;
  struct stat st;
  if (fstat(pf->fd, &st) != 0) return SPATE_EIO;
  size_t size = (size_t)st.st_size;
  char *text = sp_malloc(size + 1);
  if (!text) return SPATE_ENOMEM;
  size_t got = 0;
  while (got < size) {
    ssize_t r = pread(pf->fd, text + got, size - got, (off_t)got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  text[got] = 0;
  size_t cap = 0;
  int rc = 0;
  for (char *line = text, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    if (!line[strspn(line, " \t\r")]) continue;
    ++*lines;
    char *end;
    errno = 0;
    long v = strtol(line, &end, 10);
    if (errno || end == line || v <= 0 || v > INT32_MAX || end[strspn(end, " \t\r")]) continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 8;
      pid_t *grown = sp_realloc(*pids, cap * sizeof **pids);
      if (!grown) {
        rc = SPATE_ENOMEM;
        break;
      }
      *pids = grown;
    }
    (*pids)[(*n)++] = (pid_t)v;
  }
  sp_free(text);
  if (rc < 0) {
    sp_free(*pids);
    *pids = NULL;
    *n = 0;
  }
  return rc;
}

/* Writes all of buf at the end of the file. */
static int append_bytes(int fd, const char *buf, size_t len) {
  off_t end = lseek(fd, 0, SEEK_END);
  if (end < 0) return SPATE_EIO;
  while (len > 0) {
    ssize_t w = pwrite(fd, buf, len, end);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return SPATE_EIO;
    buf += w;
    len -= (size_t)w;
    end += w;
  }
  return 0;
}

int pidfile_append(pid_file *pf, pid_t pid) {
  char line[32];
  int len = snprintf(line, sizeof line, "%ld\n", (long)pid);
  return append_bytes(pf->fd, line, (size_t)len);
}

int pidfile_rewrite(pid_file *pf, const pid_t *pids, size_t n) {
  if (n == 0) return unlink(pf->path) == 0 || errno == ENOENT ? 0 : SPATE_EIO;
  if (ftruncate(pf->fd, 0) != 0) return SPATE_EIO;
  for (size_t i = 0; i < n; i++) {
    int rc = pidfile_append(pf, pids[i]);
    if (rc < 0) return rc;
  }
  return 0;
}

void pidfile_unlock(pid_file *pf) {
  if (pf->fd >= 0) close(pf->fd); /* closing the last descriptor releases the flock */
  pf->fd = -1;
}
