/*
 * log_files.c: this process's log files and the reading of its log directory (log_files.h).
 */
#define _GNU_SOURCE
#include "base/log_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char log_path[PATH_MAX], out_path[PATH_MAX], dir_path[PATH_MAX];

void sp_log_files_set(const char *log_file, const char *log_dir) {
  pthread_mutex_lock(&mu);
  log_path[0] = out_path[0] = dir_path[0] = 0;
  if (log_file && log_file[0]) {
    snprintf(log_path, sizeof log_path, "%s", log_file);
    size_t n = strlen(log_path);
    if (n > 4 && strcmp(log_path + n - 4, ".log") == 0)
      snprintf(out_path, sizeof out_path, "%.*s.out", (int)(n - 4), log_path);
    const char *slash = strrchr(log_path, '/');
    if (slash)
      snprintf(dir_path, sizeof dir_path, "%.*s", (int)(slash - log_path), log_path);
    else
      snprintf(dir_path, sizeof dir_path, ".");
    if (!dir_path[0]) snprintf(dir_path, sizeof dir_path, "/");
  }
  if (log_dir && log_dir[0]) snprintf(dir_path, sizeof dir_path, "%s", log_dir);
  pthread_mutex_unlock(&mu);
}

static int copy_known(const char *what, char *out, size_t cap) {
  pthread_mutex_lock(&mu);
  int rc = what[0] ? 0 : SPATE_ENOENT;
  snprintf(out, cap, "%s", what);
  pthread_mutex_unlock(&mu);
  return rc;
}

int sp_log_files_dir(char *out, size_t cap) { return copy_known(dir_path, out, cap); }
int sp_log_files_log(char *out, size_t cap) { return copy_known(log_path, out, cap); }
int sp_log_files_stdout(char *out, size_t cap) { return copy_known(out_path, out, cap); }

static int by_name(const void *a, const void *b) {
  return strcmp(((const sp_log_file *)a)->name, ((const sp_log_file *)b)->name);
}

int sp_log_files_list(const char *dir, sp_log_file_list *out, char *err, size_t err_len) {
  out->files = NULL;
  out->n = 0;
  DIR *d = opendir(dir);
  if (!d)
    return sp_err(err, err_len, SPATE_ENOENT, "cannot read the log directory '%s': %s", dir,
                  strerror(errno));
  size_t cap = 0;
  int rc = 0;
  for (struct dirent *e; rc == 0 && (e = readdir(d));) {
    struct stat st;
    if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (out->n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      sp_log_file *p = sp_realloc(out->files, nc * sizeof *p);
      if (!p) {
        rc = SPATE_ENOMEM;
        break;
      }
      out->files = p;
      cap = nc;
    }
    sp_log_file *f = &out->files[out->n];
    f->name = sp_strdup(e->d_name);
    if (!f->name) {
      rc = SPATE_ENOMEM;
      break;
    }
    f->size = (int64_t)st.st_size;
    f->mtime = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    out->n++;
  }
  closedir(d);
  if (rc < 0) {
    sp_log_file_list_free(out);
    return sp_err(err, err_len, rc, "out of memory listing '%s'", dir);
  }
  if (out->n) qsort(out->files, out->n, sizeof *out->files, by_name);
  return 0;
}

void sp_log_file_list_free(sp_log_file_list *l) {
  for (size_t i = 0; i < l->n; i++) sp_free(l->files[i].name);
  sp_free(l->files);
  l->files = NULL;
  l->n = 0;
}

int sp_log_files_check_name(const char *name, char *err, size_t err_len) {
  const char *why = NULL;
  if (!name[0] || strcmp(name, ".") == 0)
    why = "it is empty";
  else if (strstr(name, ".."))
    why = "it holds '..'";
  else if (strchr(name, '/') || strchr(name, '\\'))
    why = "it holds a path separator";
  else if (strchr(name, '%'))
    why = "it holds '%' (an encoded character)";
  for (const char *p = name; !why && *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) why = "it holds a control character";
  if (why)
    return sp_err(err, err_len, SPATE_EINVAL, "Invalid log file name '%.200s': %s", name, why);
  return 0;
}

int sp_log_files_resolve(const char *dir, const char *name, char *out, size_t cap, char *err,
                         size_t err_len) {
  int rc = sp_log_files_check_name(name, err, err_len);
  if (rc < 0) return rc;
  char real_dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2], real[PATH_MAX];
  if (!realpath(dir, real_dir))
    return sp_err(err, err_len, SPATE_ENOENT, "The log directory '%s' does not exist", dir);
  snprintf(path, sizeof path, "%s/%s", real_dir, name);
  if (!realpath(path, real))
    return sp_err(err, err_len, SPATE_ENOENT, "Log file '%.200s' not found", name);
  size_t n = strlen(real_dir);
  bool inside = strncmp(real, real_dir, n) == 0 && (real[n] == '/' || strcmp(real_dir, "/") == 0);
  struct stat st;
  if (!inside || strchr(real + n + 1, '/'))
    return sp_err(err, err_len, SPATE_EINVAL,
                  "Invalid log file name '%.200s': it is not a file of the log directory", name);
  if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
    return sp_err(err, err_len, SPATE_ENOENT, "Log file '%.200s' not found", name);
  if ((size_t)snprintf(out, cap, "%s", real) >= cap)
    return sp_err(err, err_len, SPATE_EINVAL, "Invalid log file name '%.200s': too long", name);
  return 0;
}

int sp_log_files_read(const char *path, size_t max, sp_log_data *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    return sp_err(err, err_len, e == ENOENT ? SPATE_ENOENT : SPATE_EIO, "cannot read '%s': %s",
                  path, strerror(e));
  }
  size_t size = (size_t)st.st_size, want = size > max ? max : size;
  off_t from = (off_t)(size - want);
  out->data = sp_malloc(want + 1);
  if (!out->data) {
    close(fd);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory reading '%s'", path);
  }
  while (out->len < want) {
    ssize_t r = pread(fd, out->data + out->len, want - out->len, from + (off_t)out->len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break; /* the file shrank (rotated): what was read */
    out->len += (size_t)r;
  }
  close(fd);
  out->data[out->len] = 0;
  out->size = (int64_t)size;
  out->truncated = want < size;
  return 0;
}

void sp_log_data_free(sp_log_data *d) {
  sp_free(d->data);
  d->data = NULL;
  d->len = 0;
}
