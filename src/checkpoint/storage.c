/*
 * storage.c: checkpoints and savepoints on the local file system (checkpoint/storage.h): the
 * directories. Turning state.checkpoints.dir and savepoint URIs into paths, creating checkpoint
 * directories, and discarding checkpoints. The rest of storage.h lives beside it:
 * storage_file.c (the checksummed file format, written whole or streamed, and read back
 * verified), storage_metadata.c (_metadata) and storage_load.c (loading a checkpoint for
 * restore). What goes into a state file is a task snapshot (state/snapshot.c); how one keyed
 * operator's state becomes its sections is operators/keyed_snapshot.c.
 */
#include <dirent.h>

#include "base/alloc.h"
#include "base/err.h"
#include "checkpoint/storage_internal.h"

#define MAX_TREE_DEPTH 32

/* ---------------------------------------------------------------------------------------------
 * Paths and directories. */

/* "s3://...", "hdfs:/...": a scheme of two or more characters followed by ":/". One letter is
 * left alone so that nothing resembling a drive letter is mistaken for a scheme. */
static bool has_scheme(const char *s) {
  size_t n = 0;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  while (s[n] && s[n] != ':' && s[n] != '/') {
    char c = s[n];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.';
    if (!ok) return false;
    n++;
  }
  return n >= 2 && s[n] == ':' && s[n + 1] == '/';
}

int ckpt_path_from_uri(const char *uri, char *out, size_t out_len, char *err, size_t err_len) {
  if (!uri || !uri[0]) return sp_err(err, err_len, SPATE_EINVAL, "empty checkpoint path");
  const char *path = uri;
  if (strncmp(uri, "file:", 5) == 0) {
    path = uri + 5;
    if (strncmp(path, "//", 2) == 0) {
      path += 2; /* an authority follows: empty or localhost */
      if (strncmp(path, "localhost/", 10) == 0) path += 9;
    }
    if (path[0] != '/')
      return sp_err(err, err_len, SPATE_EINVAL,
                    "'%s' is not a local file URI: expected file:///absolute/path", uri);
  } else if (has_scheme(uri)) {
    return sp_err(err, err_len, SPATE_EINVAL,
                  "unsupported checkpoint storage '%s': only file:// URIs and plain paths are "
                  "supported",
                  uri);
  }
  if (strlen(path) >= out_len)
    return sp_err(err, err_len, SPATE_EINVAL, "checkpoint path '%s' is too long", uri);
  memcpy(out, path, strlen(path) + 1);
  return 0;
}

/* Creates one directory (fine if it is there) and syncs its parent so the entry is durable. */
static int make_dir(char *path, char *err, size_t err_len) {
  if (mkdir(path, 0755) != 0) {
    int e = errno;
    if (e == EEXIST && is_dir(path)) return 0;
    return sp_err(err, err_len, SPATE_EIO, "cannot create directory %s: %s", path, strerror(e));
  }
  char *slash = strrchr(path, '/');
  if (slash && slash != path) {
    *slash = 0;
    fsync_dir(path); /* best effort: the directory exists either way */
    *slash = '/';
  }
  return 0;
}

int ckpt_mkdirs(const char *dir, char *err, size_t err_len) {
  char buf[PATH_CAP];
  if (!dir || !dir[0]) return sp_err(err, err_len, SPATE_EINVAL, "empty directory name");
  size_t n = strlen(dir);
  if (n >= sizeof buf)
    return sp_err(err, err_len, SPATE_EIO, "cannot create directory %s: name too long", dir);
  memcpy(buf, dir, n + 1);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/' || p[-1] == '/') continue;
    *p = 0;
    int rc = make_dir(buf, err, err_len);
    *p = '/';
    if (rc) return rc;
  }
  return make_dir(buf, err, err_len);
}

/* ---------------------------------------------------------------------------------------------
 * Discarding. */

/* Removes path (a buffer of PATH_CAP holding it, extended in place while recursing). */
static int remove_tree(char *path, int depth, char *err, size_t err_len) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return errno == ENOENT
               ? 0
               : sp_err(err, err_len, SPATE_EIO, "cannot remove %s: %s", path, strerror(errno));
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path) != 0 && errno != ENOENT)
      return sp_err(err, err_len, SPATE_EIO, "cannot remove %s: %s", path, strerror(errno));
    return 0;
  }
  if (depth > MAX_TREE_DEPTH)
    return sp_err(err, err_len, SPATE_EIO, "cannot remove %s: nested too deeply", path);
  DIR *d = opendir(path);
  if (!d) return sp_err(err, err_len, SPATE_EIO, "cannot list %s: %s", path, strerror(errno));
  size_t base = strlen(path);
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (!join(path + base, PATH_CAP - base, "", de->d_name)) {
      path[base] = 0;
      rc = sp_err(err, err_len, SPATE_EIO, "cannot remove %s/%s: path too long", path, de->d_name);
      break;
    }
    rc = remove_tree(path, depth + 1, err, err_len);
    path[base] = 0;
  }
  closedir(d);
  if (rc == 0 && rmdir(path) != 0 && errno != ENOENT)
    rc = sp_err(err, err_len, SPATE_EIO, "cannot remove %s: %s", path, strerror(errno));
  return rc;
}

int ckpt_discard(const char *dir, char *err, size_t err_len) {
  if (!dir || !dir[0] || strspn(dir, "/") == strlen(dir))
    return sp_err(err, err_len, SPATE_EINVAL, "refusing to discard '%s'", dir ? dir : "(null)");
  char path[PATH_CAP];
  if (strlen(dir) >= sizeof path)
    return sp_err(err, err_len, SPATE_EINVAL, "checkpoint path %s is too long", dir);
  memcpy(path, dir, strlen(dir) + 1);
  return remove_tree(path, 0, err, err_len);
}
