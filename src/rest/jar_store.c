/*
 * jar_store.c: the directory of uploaded job objects (jar_store.h): making and removing it, the
 * checks of names and contents, storing, listing and deleting.
 */
#define _GNU_SOURCE
#include "rest/jar_store.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"

#define UPLOAD_SUBDIR "flink-web-upload"

/* A random (version 4) UUID in its 36-character text form, into out (37 bytes). */
static void random_uuid(char *out) {
  unsigned char b[16];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) { /* no entropy: still unique enough */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (size_t i = 0; i < sizeof b; i++)
      b[i] =
          (unsigned char)(((uint64_t)ts.tv_nsec * 131 + (uint64_t)getpid() + i * 7919) >> (i % 8));
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
           b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
           b[15]);
}

/* mkdir -p path (modified while walking; restored). */
static int make_dirs(char *path, char *err, size_t err_len) {
  for (char *p = path + 1;; p++) {
    bool end = *p == 0;
    if (*p == '/' || end) {
      *p = 0;
      int rc = mkdir(path, 0700);
      int e = errno;
      if (!end) *p = '/';
      if (rc != 0 && e != EEXIST)
        return sp_err(err, err_len, SPATE_EIO, "cannot create the upload directory '%s': %s", path,
                      strerror(e));
      if (end) return 0;
    }
  }
}

int jar_store_open(const char *upload_dir, char **dir, char **root, char *err, size_t err_len) {
  *dir = *root = NULL;
  char base[PATH_MAX], path[PATH_MAX + 32];
  if (upload_dir) {
    snprintf(base, sizeof base, "%s", upload_dir);
  } else {
    const char *tmp = getenv("TMPDIR");
    char uuid[37];
    random_uuid(uuid);
    snprintf(base, sizeof base, "%s/flink-web-%s", tmp && tmp[0] ? tmp : "/tmp", uuid);
  }
  if (base[0] != '/') { /* relative to where the JobManager runs: made absolute once */
    char cwd[PATH_MAX], rel[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
      return sp_err(err, err_len, SPATE_EIO, "cannot resolve web.upload.dir '%s': %s", base,
                    strerror(errno));
    snprintf(rel, sizeof rel, "%s", base);
    snprintf(base, sizeof base, "%.2000s/%.2000s", cwd, rel);
  }
  if (snprintf(path, sizeof path, "%.4000s/" UPLOAD_SUBDIR, base) >= (int)sizeof path)
    return sp_err(err, err_len, SPATE_EINVAL, "web.upload.dir '%.200s' is too long", base);
  int rc = make_dirs(path, err, err_len);
  if (rc < 0) return rc;
  *dir = sp_strdup(path);
  if (!upload_dir) *root = sp_strdup(base);
  if (!*dir || (!upload_dir && !*root)) {
    sp_free(*dir);
    sp_free(*root);
    *dir = *root = NULL;
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (flag == FTW_DP)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

void jar_store_remove(const char *root) {
  if (root) nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool jar_store_valid_id(const char *id) {
  if (!id || !id[0] || id[0] == '.' || strlen(id) > NAME_MAX) return false;
  for (const char *p = id; *p; p++)
    if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f) return false;
  return true;
}

bool jar_store_is_shared_object(const char *path, const char *name, char *err, size_t err_len) {
  unsigned char h[EI_NIDENT + 4] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, h, sizeof h) : -1;
  if (fd >= 0) close(fd);
  if (n < (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG) != 0) {
    sp_err(err, err_len, SPATE_EINVAL,
           "File '%s' is not a job object: it must be an ELF shared object defining spate_main "
           "(cc -shared -fPIC job.c -o job.so)",
           name);
    return false;
  }
  /* e_type follows e_ident, in the file's byte order */
  unsigned type = h[EI_DATA] == ELFDATA2MSB ? (unsigned)(h[EI_NIDENT] << 8 | h[EI_NIDENT + 1])
                                            : (unsigned)(h[EI_NIDENT] | h[EI_NIDENT + 1] << 8);
  if (type != ET_DYN) {
    sp_err(err, err_len, SPATE_EINVAL,
           "File '%s' is an ELF file but not a shared object (an executable or object file?): "
           "build the job with -shared -fPIC",
           name);
    return false;
  }
  return true;
}

/* Copies src to dst (created, must not exist). */
static int copy_file(const char *src, const char *dst, char *err, size_t err_len) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  int out = in >= 0 ? open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
  int rc = 0;
  if (in < 0 || out < 0) {
    rc = sp_err(err, err_len, SPATE_EIO, "cannot store '%s': %s", dst, strerror(errno));
  } else {
    char buf[65536];
    for (;;) {
      ssize_t r = read(in, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) break;
      if (r < 0) {
        rc = sp_err(err, err_len, SPATE_EIO, "cannot read '%s': %s", src, strerror(errno));
        break;
      }
      for (ssize_t done = 0; done < r && rc == 0;) {
        ssize_t w = write(out, buf + done, (size_t)(r - done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
          rc = sp_err(err, err_len, SPATE_EIO, "cannot write '%s': %s", dst, strerror(errno));
        else
          done += w;
      }
      if (rc < 0) break;
    }
  }
  if (in >= 0) close(in);
  if (out >= 0) close(out);
  if (rc < 0 && out >= 0) unlink(dst);
  return rc;
}

int jar_store_add(const char *dir, const char *src, const char *name, char **stored, char *err,
                  size_t err_len) {
  *stored = NULL;
  if (!jar_store_valid_id(name))
    return sp_err(err, err_len, SPATE_EINVAL, "invalid upload file name '%s'", name);
  char uuid[37], path[PATH_MAX];
  random_uuid(uuid);
  int n = snprintf(path, sizeof path, "%s/%s_%s", dir, uuid, name);
  if (n < 0 || (size_t)n >= sizeof path)
    return sp_err(err, err_len, SPATE_EINVAL, "upload file name '%s' is too long", name);
  char d[PATH_MAX];
  snprintf(d, sizeof d, "%s", dir);
  int made = make_dirs(d, err, err_len); /* removed from under the JobManager: made again (Flink) */
  if (made < 0) return made;
  if (rename(src, path) != 0) {
    int rc = copy_file(src, path, err, err_len);
    if (rc < 0) return rc;
  }
  chmod(path, 0600);
  if (!(*stored = sp_strdup(path))) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  return 0;
}

static int newest_first(const void *a, const void *b) {
  const jar_entry *x = a, *y = b;
  if (x->uploaded != y->uploaded) return x->uploaded > y->uploaded ? -1 : 1;
  return strcmp(x->id, y->id);
}

/* The name part of an id: after "<uuid>_" when it has that form, else the id. */
static const char *name_of(const char *id) {
  size_t n = strlen(id);
  if (n > 37 && id[36] == '_' && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-')
    return id + 37;
  return id;
}

int jar_store_list(const char *dir, jar_entry **out, size_t *n, char *err, size_t err_len) {
  *out = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d && errno == ENOENT) return 0; /* removed from under the JobManager: nothing uploaded */
  if (!d)
    return sp_err(err, err_len, SPATE_EIO, "cannot list the upload directory '%s': %s", dir,
                  strerror(errno));
  size_t cap = 0;
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d))) {
    if (!jar_store_valid_id(e->d_name)) continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      jar_entry *p = sp_realloc(*out, nc * sizeof *p);
      if (!p) {
        rc = SPATE_ENOMEM;
        break;
      }
      *out = p;
      cap = nc;
    }
    jar_entry *j = &(*out)[*n];
    j->id = sp_strdup(e->d_name);
    j->name = sp_strdup(name_of(e->d_name));
    j->uploaded = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    (*n)++;
    if (!j->id || !j->name) rc = SPATE_ENOMEM;
  }
  closedir(d);
  if (rc < 0) {
    jar_store_list_free(*out, *n);
    *out = NULL;
    *n = 0;
    return sp_err(err, err_len, rc, "out of memory");
  }
  if (*n) qsort(*out, *n, sizeof **out, newest_first);
  return 0;
}

void jar_store_list_free(jar_entry *e, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sp_free(e[i].id);
    sp_free(e[i].name);
  }
  sp_free(e);
}

int jar_store_find(const char *dir, const char *id, char **path, char *err, size_t err_len) {
  *path = NULL;
  char p[PATH_MAX];
  struct stat st;
  if (!jar_store_valid_id(id) || snprintf(p, sizeof p, "%s/%s", dir, id) >= (int)sizeof p ||
      lstat(p, &st) != 0 || !S_ISREG(st.st_mode))
    return sp_err(err, err_len, SPATE_ENOENT, "File %.200s does not exist in %s.", id, dir);
  if (!(*path = sp_strdup(p))) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  return 0;
}

int jar_store_delete(const char *dir, const char *id, char *err, size_t err_len) {
  char *path;
  int rc = jar_store_find(dir, id, &path, err, err_len);
  if (rc < 0) return rc;
  if (unlink(path) != 0)
    rc = sp_err(err, err_len, errno == ENOENT ? SPATE_ENOENT : SPATE_EIO,
                "Failed to delete file %s: %s", path, strerror(errno));
  sp_free(path);
  return rc;
}
