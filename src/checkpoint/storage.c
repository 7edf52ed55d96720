/*
 * storage.c: checkpoints and savepoints on the local file system (checkpoint/storage.h).
 *
 * Durability: a file is written under a temporary name in its final directory (mkostemp, so
 * concurrent writers never collide), fsynced, renamed over its final name, and the directory is
 * fsynced, so after a crash the name holds either nothing or the whole file. The metadata is
 * written the same way and last, which is what makes a checkpoint complete.
 *
 * Loading trusts nothing: each file's framing and XXH64 are checked, each state file must match
 * the length and checksum the metadata recorded, and the payloads are decoded with
 * snap_task_decode before the operators' sections are grouped by uid. Inner errors name the file
 * relative to its checkpoint ("file 1-0.state: ..."); ckpt_load prefixes the directory.
 */
#define _GNU_SOURCE /* mkostemp */
#include "checkpoint/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#define FILE_VERSION 1u
#define HEADER_LEN 16 /* magic, version, payload length */
#define TRAILER_LEN 8 /* XXH64 */
#define PATH_CAP 4096
#define METADATA_NAME "_metadata"
#define MAX_TREE_DEPTH 32
#define LOG_COMP "checkpoint"

/* ---------------------------------------------------------------------------------------------
 * Small helpers. */

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* <dir>/<name> into out; false if it does not fit. */
static bool join(char *out, size_t cap, const char *dir, const char *name) {
  int n = snprintf(out, cap, "%s/%s", dir, name);
  return n >= 0 && (size_t)n < cap;
}

/* A name a checkpoint may refer to: one path component, not hidden (temporary files are). */
static bool plain_name(const char *s) {
  return s && s[0] && s[0] != '.' && !strchr(s, '/') && strcmp(s, METADATA_NAME) != 0;
}

/* 0 or an errno. */
static int write_all(int fd, const void *p, size_t n) {
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t k = write(fd, b, n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return errno;
    b += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Reads up to n bytes; *got is how many arrived before end of file. 0 or an errno. */
static int read_all(int fd, void *p, size_t n, size_t *got) {
  uint8_t *b = p;
  *got = 0;
  while (*got < n) {
    ssize_t k = read(fd, b + *got, n - *got);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return errno;
    if (k == 0) break;
    *got += (size_t)k;
  }
  return 0;
}

/* 0 or an errno. */
static int fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = fsync(fd) == 0 ? 0 : errno;
  close(fd);
  return e == EINVAL ? 0 : e; /* some file systems cannot sync directories */
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

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
 * Checksummed files. */

static const char *file_kind(uint32_t magic) {
  return magic == CKPT_META_MAGIC ? "a metadata file"
         : magic == CKPT_STATE_MAGIC ? "a state file"
                                     : "a checkpoint file";
}

/* Writes header, payload and trailer to fd and syncs it. 0 or an errno. */
/* Writes header, payload and trailer, checksumming the payload as it goes. The payload goes
 * out in chunks of WRITE_CHUNK: one write() of a gigabyte is several times slower than the same
 * bytes in pieces the page cache takes in stride, and the checksum reads each piece while it is
 * still in the CPU cache. */
#define WRITE_CHUNK ((size_t)8 << 20)
static int write_framed(int fd, uint32_t magic, const void *payload, size_t len, uint64_t *sum) {
  uint8_t head[HEADER_LEN], tail[TRAILER_LEN];
  put_le(head, magic, 4);
  put_le(head + 4, FILE_VERSION, 4);
  put_le(head + 8, len, 8);
  int e = write_all(fd, head, sizeof head);
  XXH64_state_t *st = e ? NULL : XXH64_createState();
  if (!e && !st) e = ENOMEM;
  if (!e) XXH64_reset(st, 0);
  const uint8_t *p = payload;
  for (size_t off = 0; !e && off < len; off += WRITE_CHUNK) {
    size_t k = len - off < WRITE_CHUNK ? len - off : WRITE_CHUNK;
    XXH64_update(st, p + off, k);
    e = write_all(fd, p + off, k);
  }
  if (!e) {
    *sum = XXH64_digest(st);
    put_le(tail, *sum, 8);
    e = write_all(fd, tail, sizeof tail);
  }
  if (st) XXH64_freeState(st);
  if (!e && fchmod(fd, 0644) != 0) e = errno;
  if (!e && fsync(fd) != 0) e = errno;
  return e;
}

int ckpt_write_file(const char *dir, const char *name, uint32_t magic, const void *payload,
                    size_t len, uint64_t *checksum, char *err, size_t err_len) {
  bool named = name && (plain_name(name) || strcmp(name, METADATA_NAME) == 0);
  if (!dir || !named)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "checkpoint file name '%s' must be a plain name inside the directory",
                  name ? name : "(null)");
  char path[PATH_CAP], tmp[PATH_CAP];
  int n = snprintf(tmp, sizeof tmp, "%s/.%s.tmp-XXXXXX", dir, name);
  if (!join(path, sizeof path, dir, name) || n < 0 || (size_t)n >= sizeof tmp)
    return sp_err(err, err_len, SPATE_EIO, "cannot write %s/%s: path too long", dir, name);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return sp_err(err, err_len, SPATE_EIO, "cannot create a temporary file for %s: %s", path,
                  strerror(errno));
  uint64_t sum = 0;
  int e = write_framed(fd, magic, len ? payload : "", len, &sum);
  if (close(fd) != 0 && !e) e = errno;
  if (!e && rename(tmp, path) != 0) e = errno;
  if (e) {
    unlink(tmp);
    return sp_err(err, err_len, SPATE_EIO, "cannot write %s: %s", path, strerror(e));
  }
  if ((e = fsync_dir(dir)) != 0)
    return sp_err(err, err_len, SPATE_EIO, "cannot sync directory %s after writing %s: %s", dir,
                  name, strerror(e));
  if (checksum) *checksum = sum;
  return 0;
}

/* ---- streaming state files ------------------------------------------------------------------ */

struct ckpt_stream {
  int fd;
  int err;             /* first errno, sticky */
  uint64_t len;        /* payload bytes written */
  char tmp[PATH_CAP], path[PATH_CAP], dir[PATH_CAP];
};

int ckpt_stream_open(const char *dir, const char *name, uint32_t magic, ckpt_stream **out,
                     char *err, size_t err_len) {
  *out = NULL;
  if (!dir || !name || !plain_name(name))
    return sp_err(err, err_len, SPATE_EINVAL,
                  "checkpoint file name '%s' must be a plain name inside the directory",
                  name ? name : "(null)");
  ckpt_stream *s = sp_calloc(1, sizeof *s);
  if (!s) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  int n = snprintf(s->tmp, sizeof s->tmp, "%s/.%s.tmp-XXXXXX", dir, name);
  int d = snprintf(s->dir, sizeof s->dir, "%s", dir);
  if (!join(s->path, sizeof s->path, dir, name) || n < 0 || (size_t)n >= sizeof s->tmp || d < 0 ||
      (size_t)d >= sizeof s->dir) {
    sp_free(s);
    return sp_err(err, err_len, SPATE_EIO, "cannot write %s/%s: path too long", dir, name);
  }
  s->fd = mkostemp(s->tmp, O_CLOEXEC);
  if (s->fd < 0) {
    int e = errno;
    sp_free(s);
    return sp_err(err, err_len, SPATE_EIO, "cannot create a temporary file in %s: %s", dir,
                  strerror(e));
  }
  uint8_t head[HEADER_LEN];
  put_le(head, magic, 4);
  put_le(head + 4, FILE_VERSION, 4);
  put_le(head + 8, 0, 8); /* the payload length, written at the end */
  s->err = write_all(s->fd, head, sizeof head);
  *out = s;
  return 0;
}

int ckpt_stream_write(ckpt_stream *s, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t off = 0; !s->err && off < n; off += WRITE_CHUNK)
    s->err = write_all(s->fd, b + off, n - off < WRITE_CHUNK ? n - off : WRITE_CHUNK);
  if (!s->err) s->len += n;
  return s->err ? SPATE_EIO : 0;
}

int ckpt_stream_patch(ckpt_stream *s, uint64_t off, const void *p, size_t n) {
  if (s->err) return SPATE_EIO;
  if (off + n > s->len) return SPATE_EINVAL;
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t k = pwrite(s->fd, b, n, (off_t)(HEADER_LEN + off));
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      s->err = errno;
      return SPATE_EIO;
    }
    b += k;
    off += (uint64_t)k;
    n -= (size_t)k;
  }
  return 0;
}

void ckpt_stream_abort(ckpt_stream *s) {
  if (!s) return;
  close(s->fd);
  unlink(s->tmp);
  sp_free(s);
}

/* The checksum covers the final payload, patches included, so it is computed by reading the
 * payload back (from the page cache: the file was just written). */
int ckpt_stream_finish(ckpt_stream *s, uint64_t *length, uint64_t *checksum, char *err,
                       size_t err_len) {
  int e = s->err;
  uint8_t *buf = e ? NULL : sp_malloc(WRITE_CHUNK);
  XXH64_state_t *st = e ? NULL : XXH64_createState();
  if (!e && (!buf || !st)) e = ENOMEM;
  if (!e) XXH64_reset(st, 0);
  for (uint64_t off = 0; !e && off < s->len;) {
    size_t want = s->len - off < WRITE_CHUNK ? (size_t)(s->len - off) : WRITE_CHUNK;
    ssize_t k = pread(s->fd, buf, want, (off_t)(HEADER_LEN + off));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      e = k < 0 ? errno : EIO;
      break;
    }
    XXH64_update(st, buf, (size_t)k);
    off += (uint64_t)k;
  }
  uint64_t sum = !e ? XXH64_digest(st) : 0;
  if (st) XXH64_freeState(st);
  sp_free(buf);
  if (!e) {
    uint8_t tail[TRAILER_LEN], len8[8];
    put_le(tail, sum, 8);
    put_le(len8, s->len, 8);
    if (pwrite(s->fd, tail, sizeof tail, (off_t)(HEADER_LEN + s->len)) != (ssize_t)sizeof tail ||
        pwrite(s->fd, len8, sizeof len8, 8) != (ssize_t)sizeof len8)
      e = errno ? errno : EIO;
  }
  if (!e && fchmod(s->fd, 0644) != 0) e = errno;
  if (!e && fsync(s->fd) != 0) e = errno;
  if (close(s->fd) != 0 && !e) e = errno;
  s->fd = -1;
  if (!e && rename(s->tmp, s->path) != 0) e = errno;
  if (e) {
    unlink(s->tmp);
    int rc = sp_err(err, err_len, SPATE_EIO, "cannot write %s: %s", s->path, strerror(e));
    sp_free(s);
    return rc;
  }
  if ((e = fsync_dir(s->dir)) != 0) {
    int rc = sp_err(err, err_len, SPATE_EIO, "cannot sync directory %s after writing %s: %s",
                    s->dir, s->path, strerror(e));
    sp_free(s);
    return rc;
  }
  if (length) *length = s->len;
  if (checksum) *checksum = sum;
  sp_free(s);
  return 0;
}

/* Checks the 16-byte header against the file size; *plen receives the payload length. `shown`
 * is how messages name the file. */
static int check_header(const uint8_t *head, size_t got, uint64_t size, uint32_t magic,
                        const char *shown, uint64_t *plen, char *err, size_t err_len) {
  if (got >= 4 && (uint32_t)get_le(head, 4) != magic)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: wrong magic 0x%08x at offset 0 (expected 0x%08x, %s)", shown,
                  (uint32_t)get_le(head, 4), magic, file_kind(magic));
  if (size < HEADER_LEN + TRAILER_LEN)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s is truncated: %llu bytes, fewer than the %d of header and checksum",
                  shown, (unsigned long long)size, HEADER_LEN + TRAILER_LEN);
  uint32_t version = (uint32_t)get_le(head + 4, 4);
  if (version != FILE_VERSION)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: unsupported version %u at offset 4 (expected %u)", shown, version,
                  FILE_VERSION);
  *plen = get_le(head + 8, 8);
  uint64_t have = size - HEADER_LEN - TRAILER_LEN;
  if (*plen > have)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s is truncated: the header at offset 8 announces %llu payload bytes but "
                  "the file holds %llu",
                  shown, (unsigned long long)*plen, (unsigned long long)have);
  if (*plen < have)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: %llu unexpected bytes after the checksum at offset %llu", shown,
                  (unsigned long long)(have - *plen),
                  (unsigned long long)(HEADER_LEN + *plen + TRAILER_LEN));
  return 0;
}

/* Reads payload and trailer of an open file whose header has been checked. */
static int read_body(int fd, const char *shown, uint64_t plen, uint8_t **payload,
                     uint64_t *checksum, char *err, size_t err_len) {
  uint8_t *buf = sp_malloc(plen ? (size_t)plen : 1);
  if (!buf)
    return sp_err(err, err_len, SPATE_ENOMEM, "file %s: cannot allocate %llu bytes", shown,
                  (unsigned long long)plen);
  uint8_t tail[TRAILER_LEN];
  size_t got = 0, got_tail = 0;
  int e = read_all(fd, buf, (size_t)plen, &got);
  if (!e && got == plen) e = read_all(fd, tail, sizeof tail, &got_tail);
  int rc = 0;
  if (e) {
    rc = sp_err(err, err_len, SPATE_EIO, "cannot read file %s: %s", shown, strerror(e));
  } else if (got != plen || got_tail != sizeof tail) {
    rc = sp_err(err, err_len, SPATE_ECORRUPT, "file %s is truncated (it shrank while read)",
                shown);
  } else {
    uint64_t stored = get_le(tail, 8), sum = XXH64(buf, (size_t)plen, 0);
    if (stored != sum)
      rc = sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: checksum mismatch (stored %016llx at offset %llu, computed %016llx)",
                  shown, (unsigned long long)stored, (unsigned long long)(HEADER_LEN + plen),
                  (unsigned long long)sum);
    *checksum = sum;
  }
  if (rc) sp_free(buf);
  else *payload = buf;
  return rc;
}

static int read_checked(const char *path, const char *shown, uint32_t magic, uint8_t **payload,
                        size_t *len, uint64_t *checksum, char *err, size_t err_len) {
  *payload = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return sp_err(err, err_len, e == ENOENT ? SPATE_ENOENT : SPATE_EIO, "cannot open file %s: %s",
                  shown, strerror(e));
  }
  struct stat st;
  uint8_t head[HEADER_LEN];
  size_t got = 0;
  uint64_t plen = 0, sum = 0;
  int rc = 0, e = fstat(fd, &st) != 0 ? errno : 0;
  if (!e && !S_ISREG(st.st_mode)) e = EISDIR;
  if (!e) e = read_all(fd, head, sizeof head, &got);
  if (e) rc = sp_err(err, err_len, SPATE_EIO, "cannot read file %s: %s", shown, strerror(e));
  if (!rc) rc = check_header(head, got, (uint64_t)st.st_size, magic, shown, &plen, err, err_len);
  if (!rc && plen > SIZE_MAX - 1)
    rc = sp_err(err, err_len, SPATE_ENOMEM, "file %s is too large", shown);
  if (!rc) rc = read_body(fd, shown, plen, payload, &sum, err, err_len);
  close(fd);
  if (rc) return rc;
  *len = (size_t)plen;
  if (checksum) *checksum = sum;
  return 0;
}

int ckpt_read_file(const char *path, uint32_t magic, uint8_t **payload, size_t *len,
                   uint64_t *checksum, char *err, size_t err_len) {
  return read_checked(path, path, magic, payload, len, checksum, err, err_len);
}

/* ---------------------------------------------------------------------------------------------
 * Metadata. */

int ckpt_write_metadata(const char *dir, const ckpt_metadata *m, char *err, size_t err_len) {
  if (m->nfiles < 0 || (m->nfiles > 0 && !m->files))
    return sp_err(err, err_len, SPATE_EINVAL, "metadata for %s has no file list", dir);
  for (int i = 0; i < m->nfiles; i++)
    if (!plain_name(m->files[i].name))
      return sp_err(err, err_len, SPATE_EINVAL,
                    "metadata for %s: file name '%s' must be a plain name relative to the "
                    "checkpoint directory",
                    dir, m->files[i].name ? m->files[i].name : "(null)");
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, m->job_id);
  sp_put_i64(&w, m->id);
  sp_put_i64(&w, m->timestamp);
  sp_put_u8(&w, m->savepoint ? 1 : 0);
  sp_put_u32(&w, (uint32_t)m->nfiles);
  for (int i = 0; i < m->nfiles; i++) {
    const ckpt_file *f = &m->files[i];
    sp_put_str(&w, f->name);
    sp_put_i32(&w, f->vertex);
    sp_put_i32(&w, f->subtask);
    sp_put_i32(&w, f->parallelism);
    sp_put_u64(&w, f->length);
    sp_put_u64(&w, f->checksum);
  }
  sp_put_u32(&w, (uint32_t)m->nfinished);
  for (int i = 0; i < m->nfinished; i++) {
    sp_put_str(&w, m->finished[i].head_uid);
    sp_put_i32(&w, m->finished[i].subtask);
    sp_put_i32(&w, m->finished[i].parallelism);
  }
  int rc = w.failed ? sp_err(err, err_len, SPATE_ENOMEM, "out of memory encoding metadata for %s",
                             dir)
                    : ckpt_write_file(dir, METADATA_NAME, CKPT_META_MAGIC, w.data, w.len, NULL,
                                      err, err_len);
  sp_writer_free(&w);
  return rc;
}

void ckpt_metadata_free(ckpt_metadata *m) {
  if (!m) return;
  for (int i = 0; i < m->nfiles; i++) sp_free(m->files[i].name);
  sp_free(m->files);
  m->files = NULL;
  m->nfiles = 0;
  for (int i = 0; i < m->nfinished; i++) sp_free(m->finished[i].head_uid);
  sp_free(m->finished);
  m->finished = NULL;
  m->nfinished = 0;
}

/* Checks file i against the ones before it: a plain name, a sane subtask, unique (vertex,
 * subtask) and name, one parallelism per vertex. Reports through the reader at pos. */
static void check_file_entry(sp_reader *r, size_t pos, const ckpt_metadata *m, int i,
                             uint32_t name_len) {
  const ckpt_file *f = &m->files[i];
  char msg[160];
  msg[0] = 0;
  if (!plain_name(f->name) || strlen(f->name) != name_len)
    snprintf(msg, sizeof msg, "file name '%.60s' is not a plain relative name", f->name);
  else if (f->vertex < 0 || f->parallelism < 1 || f->subtask < 0 || f->subtask >= f->parallelism)
    snprintf(msg, sizeof msg, "file %.60s: vertex %d subtask %d of parallelism %d is impossible",
             f->name, f->vertex, f->subtask, f->parallelism);
  for (int k = 0; k < i && !msg[0]; k++) {
    const ckpt_file *g = &m->files[k];
    if (strcmp(g->name, f->name) == 0)
      snprintf(msg, sizeof msg, "file %.60s is listed twice", f->name);
    else if (g->vertex == f->vertex && g->subtask == f->subtask)
      snprintf(msg, sizeof msg, "files %.40s and %.40s are both vertex %d subtask %d", g->name,
               f->name, f->vertex, f->subtask);
    else if (g->vertex == f->vertex && g->parallelism != f->parallelism)
      snprintf(msg, sizeof msg, "vertex %d has parallelism %d in %.40s but %d in %.40s",
               f->vertex, g->parallelism, g->name, f->parallelism, f->name);
  }
  if (msg[0]) {
    r->pos = pos;
    sp_reader_fail(r, msg);
  }
}

/* Decodes a metadata payload into m. Errors go to the reader (ENOMEM returned as such). */
static int decode_metadata(sp_reader *r, ckpt_metadata *m) {
  size_t pos = r->pos;
  uint32_t n = 0;
  const char *job = sp_get_blob(r, &n);
  if (job && (n >= sizeof m->job_id || memchr(job, 0, n))) {
    r->pos = pos;
    sp_reader_fail(r, "job id is longer than 32 characters or holds a NUL byte");
  } else if (job) {
    memcpy(m->job_id, job, n);
    m->job_id[n] = 0;
  }
  m->id = sp_get_i64(r);
  m->timestamp = sp_get_i64(r);
  pos = r->pos;
  uint8_t sp = sp_get_u8(r);
  if (sp > 1) {
    r->pos = pos;
    sp_reader_fail(r, "savepoint flag is neither 0 nor 1");
  }
  m->savepoint = sp == 1;
  pos = r->pos;
  n = sp_get_u32(r);
  /* name (4) + vertex, subtask, parallelism (12) + length, checksum (16) at least */
  if (sp_reader_ok(r) && n > (r->len - r->pos) / 32) {
    r->pos = pos;
    sp_reader_fail(r, "file count exceeds what the remaining bytes can hold");
  }
  if (!sp_reader_ok(r)) return SPATE_ECORRUPT;
  if (n > 0 && !(m->files = sp_calloc(n, sizeof *m->files))) return SPATE_ENOMEM;
  for (uint32_t i = 0; i < n && sp_reader_ok(r); i++) {
    ckpt_file *f = &m->files[m->nfiles];
    pos = r->pos;
    uint32_t name_len = 0;
    const char *name = sp_get_blob(r, &name_len);
    m->nfiles++;
    if (!name) break;
    if (!(f->name = sp_strndup(name, name_len))) return SPATE_ENOMEM;
    f->vertex = sp_get_i32(r);
    f->subtask = sp_get_i32(r);
    f->parallelism = sp_get_i32(r);
    f->length = sp_get_u64(r);
    f->checksum = sp_get_u64(r);
    if (sp_reader_ok(r)) check_file_entry(r, pos, m, (int)i, name_len);
  }
  if (sp_reader_ok(r)) { /* the finished subtasks */
    pos = r->pos;
    n = sp_get_u32(r);
    if (sp_reader_ok(r) && n > (r->len - r->pos) / 12) {
      r->pos = pos;
      sp_reader_fail(r, "finished-subtask count exceeds what the remaining bytes can hold");
    }
    if (!sp_reader_ok(r)) return SPATE_ECORRUPT;
    if (n > 0 && !(m->finished = sp_calloc(n, sizeof *m->finished))) return SPATE_ENOMEM;
    for (uint32_t i = 0; i < n && sp_reader_ok(r); i++) {
      ckpt_finished *f = &m->finished[m->nfinished];
      pos = r->pos;
      uint32_t ulen = 0;
      const char *uid = sp_get_blob(r, &ulen);
      m->nfinished++;
      if (!uid) break;
      if (!(f->head_uid = sp_strndup(uid, ulen))) return SPATE_ENOMEM;
      f->subtask = sp_get_i32(r);
      f->parallelism = sp_get_i32(r);
      if (sp_reader_ok(r) && (f->parallelism < 1 || f->subtask < 0 || f->subtask >= f->parallelism ||
                              strlen(f->head_uid) != ulen)) {
        r->pos = pos;
        sp_reader_fail(r, "a finished subtask entry is impossible");
      }
    }
  }
  if (sp_reader_ok(r) && r->pos != r->len)
    sp_reader_fail(r, "unexpected bytes after the finished subtasks");
  return sp_reader_ok(r) ? 0 : SPATE_ECORRUPT;
}

/* Reads <dir>/_metadata; messages name it as "_metadata". */
static int read_metadata(const char *dir, ckpt_metadata *m, char *err, size_t err_len) {
  memset(m, 0, sizeof *m);
  char path[PATH_CAP];
  if (!join(path, sizeof path, dir, METADATA_NAME))
    return sp_err(err, err_len, SPATE_EINVAL, "checkpoint path %s is too long", dir);
  uint8_t *payload = NULL;
  size_t len = 0;
  int rc = read_checked(path, METADATA_NAME, CKPT_META_MAGIC, &payload, &len, NULL, err, err_len);
  if (rc) return rc;
  sp_reader r;
  sp_reader_init(&r, payload, len);
  rc = decode_metadata(&r, m);
  sp_free(payload);
  if (rc == SPATE_ENOMEM) rc = sp_err(err, err_len, rc, "out of memory reading %s", path);
  else if (rc)
    rc = sp_err(err, err_len, rc, "file %s: invalid payload: %s", METADATA_NAME, r.error);
  if (rc) ckpt_metadata_free(m);
  return rc;
}

int ckpt_read_metadata(const char *dir, ckpt_metadata *m, char *err, size_t err_len) {
  char inner[SP_ERRMSG_MAX];
  int rc = read_metadata(dir, m, inner, sizeof inner);
  if (rc) sp_err(err, err_len, rc, "checkpoint %s: %s", dir, inner);
  return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Loading. */

/* Reads, verifies against the metadata and decodes state file i into l->bufs[i], l->tasks[i]. */
static int load_state_file(ckpt_loaded *l, int i, char *err, size_t err_len) {
  const ckpt_file *f = &l->meta.files[i];
  char path[PATH_CAP];
  if (!join(path, sizeof path, l->dir, f->name))
    return sp_err(err, err_len, SPATE_EINVAL, "file %s: path too long", f->name);
  size_t len = 0;
  uint64_t sum = 0;
  int rc = read_checked(path, f->name, CKPT_STATE_MAGIC, &l->bufs[i], &len, &sum, err, err_len);
  if (rc == SPATE_ENOENT)
    return sp_err(err, err_len, SPATE_ECORRUPT, "file %s listed in the metadata is missing",
                  f->name);
  if (rc) return rc;
  if (len != f->length)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: payload of %zu bytes, but the metadata records %llu", f->name, len,
                  (unsigned long long)f->length);
  if (sum != f->checksum)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: checksum %016llx differs from the %016llx the metadata records",
                  f->name, (unsigned long long)sum, (unsigned long long)f->checksum);
  char inner[SP_ERRMSG_MAX];
  rc = snap_task_decode(l->bufs[i], len, &l->tasks[i], inner, sizeof inner);
  if (rc) return sp_err(err, err_len, rc, "file %s: %s", f->name, inner);
  if (l->tasks[i].parallelism != f->parallelism)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: written by a subtask of parallelism %d, but the metadata records %d",
                  f->name, l->tasks[i].parallelism, f->parallelism);
  return 0;
}

/* Places the operators of state file i into l->ops (vertex[k] is op k's vertex). */
static int group_file(ckpt_loaded *l, int *vertex, int i, char *err, size_t err_len) {
  const ckpt_file *f = &l->meta.files[i];
  const snap_task *t = &l->tasks[i];
  for (int k = 0; k < t->nops; k++) {
    const snap_task_op *op = &t->ops[k];
    int j = 0;
    while (j < l->nops && strcmp(l->ops[j].uid, op->uid) != 0) j++;
    if (j == l->nops) {
      ckpt_loaded_op *o = &l->ops[l->nops];
      o->uid = sp_strdup(op->uid);
      o->sections = sp_calloc((size_t)f->parallelism, sizeof *o->sections);
      o->parallelism = f->parallelism;
      o->max_parallelism = op->max_parallelism;
      vertex[l->nops++] = f->vertex;
      if (!o->uid || !o->sections)
        return sp_err(err, err_len, SPATE_ENOMEM, "out of memory loading operator %s", op->uid);
    }
    ckpt_loaded_op *o = &l->ops[j];
    if (vertex[j] != f->vertex)
      return sp_err(err, err_len, SPATE_ECORRUPT,
                    "file %s: operator %s belongs to vertex %d but also appears in vertex %d",
                    f->name, op->uid, vertex[j], f->vertex);
    if (o->max_parallelism != op->max_parallelism)
      return sp_err(err, err_len, SPATE_ECORRUPT,
                    "file %s: operator %s has max parallelism %d, other subtasks have %d",
                    f->name, op->uid, op->max_parallelism, o->max_parallelism);
    if (o->sections[f->subtask].data)
      return sp_err(err, err_len, SPATE_ECORRUPT, "file %s: operator %s has two states for "
                    "subtask %d", f->name, op->uid, f->subtask);
    o->sections[f->subtask] = op->section;
  }
  return 0;
}

static int group_ops(ckpt_loaded *l, char *err, size_t err_len) {
  size_t cap = 0;
  for (int i = 0; i < l->nbufs; i++) cap += (size_t)l->tasks[i].nops;
  if (cap == 0) return 0;
  l->ops = sp_calloc(cap, sizeof *l->ops);
  int *vertex = sp_calloc(cap, sizeof *vertex);
  int rc = l->ops && vertex ? 0 : sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i < l->nbufs && rc == 0; i++) rc = group_file(l, vertex, i, err, err_len);
  sp_free(vertex);
  return rc;
}

static int collect_channels(ckpt_loaded *l, char *err, size_t err_len) {
  int n = 0;
  for (int i = 0; i < l->nbufs; i++) n += l->tasks[i].channel_state.len > 0;
  if (n == 0) return 0;
  l->channels = sp_calloc((size_t)n, sizeof *l->channels);
  if (!l->channels) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i < l->nbufs; i++) {
    const snap_task *t = &l->tasks[i];
    if (t->channel_state.len == 0) continue;
    ckpt_loaded_channel *c = &l->channels[l->nchannels++];
    c->vertex = l->meta.files[i].vertex;
    c->subtask = l->meta.files[i].subtask;
    c->parallelism = l->meta.files[i].parallelism;
    c->state = t->channel_state;
    /* Never NULL, so callers can compare it; "" when the payload names no operator. */
    if (!(c->head_uid = sp_strdup(t->nops > 0 ? t->ops[0].uid : "")))
      return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  return 0;
}

/* Frees the payloads of a verify-only load; what pointed into them is emptied. */
static void drop_payloads(ckpt_loaded *l) {
  for (int i = 0; i < l->nbufs; i++) {
    snap_task_free(&l->tasks[i]);
    sp_free(l->bufs[i]);
  }
  sp_free(l->tasks);
  sp_free(l->bufs);
  l->tasks = NULL;
  l->bufs = NULL;
  l->nbufs = 0;
  for (int j = 0; j < l->nops; j++) {
    for (int k = 0; k < l->ops[j].parallelism; k++) l->ops[j].has_state |= l->ops[j].sections[k].len > 0;
    memset(l->ops[j].sections, 0, (size_t)l->ops[j].parallelism * sizeof *l->ops[j].sections);
  }
  for (int c = 0; c < l->nchannels; c++) /* which subtasks had in-flight data stays known */
    l->channels[c].state = (snap_section){0};
}

/* Loads the checkpoint in dir; messages name files relative to it. */
static int load_dir(const char *dir, bool verify_only, ckpt_loaded **out, char *err,
                    size_t err_len) {
  ckpt_loaded *l = sp_calloc(1, sizeof *l);
  if (!l) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  int rc = 0;
  if (strlen(dir) >= sizeof l->dir)
    rc = sp_err(err, err_len, SPATE_EINVAL, "checkpoint path %s is too long", dir);
  else
    memcpy(l->dir, dir, strlen(dir) + 1);
  if (rc == 0) rc = read_metadata(dir, &l->meta, err, err_len);
  int n = l->meta.nfiles;
  if (rc == 0 && n > 0) {
    l->bufs = sp_calloc((size_t)n, sizeof *l->bufs);
    l->tasks = sp_calloc((size_t)n, sizeof *l->tasks);
    l->nbufs = n;
    if (!l->bufs || !l->tasks) rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  for (int i = 0; i < n && rc == 0; i++) rc = load_state_file(l, i, err, err_len);
  if (rc == 0) rc = group_ops(l, err, err_len);
  if (rc == 0) rc = collect_channels(l, err, err_len);
  for (int j = 0; rc == 0 && j < l->nops; j++)
    for (int k = 0; k < l->ops[j].parallelism; k++)
      l->ops[j].has_state |= l->ops[j].sections[k].len > 0;
  if (rc) {
    ckpt_loaded_free(l);
    return rc;
  }
  if (verify_only) drop_payloads(l);
  *out = l;
  return 0;
}

/* load_dir with the directory named in the message. */
static int load_one(const char *dir, bool verify_only, ckpt_loaded **out, char *err,
                    size_t err_len) {
  char inner[SP_ERRMSG_MAX];
  int rc = load_dir(dir, verify_only, out, inner, sizeof inner);
  if (rc == SPATE_ECORRUPT)
    return sp_err(err, err_len, rc, "checkpoint %s is corrupt: %s", dir, inner);
  if (rc) return sp_err(err, err_len, rc, "cannot load checkpoint %s: %s", dir, inner);
  return 0;
}

static int cmp_desc(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x < y) - (x > y);
}

/* "chk-<n>" with n a plain decimal number; -1 for anything else. */
static int64_t chk_id(const char *name) {
  if (strncmp(name, "chk-", 4) != 0 || !name[4]) return -1;
  int64_t v = 0;
  for (const char *p = name + 4; *p; p++) {
    if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10) return -1;
    v = v * 10 + (*p - '0');
  }
  return v;
}

/* The complete checkpoints under job_dir, newest first (*ids sp_malloc'ed, may be NULL when
 * *n is 0); *incomplete counts chk-<n> directories without _metadata. */
static int list_complete(const char *job_dir, int64_t **ids, int *n, int *incomplete, char *err,
                         size_t err_len) {
  *ids = NULL;
  *n = *incomplete = 0;
  DIR *d = opendir(job_dir);
  if (!d) {
    int e = errno;
    return sp_err(err, err_len, e == ENOENT ? SPATE_ENOENT : SPATE_EIO,
                  "cannot list checkpoint directory %s: %s", job_dir, strerror(e));
  }
  int rc = 0, cap = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    int64_t id = chk_id(de->d_name);
    char path[PATH_CAP], sub[PATH_CAP];
    if (id < 0 || !join(sub, sizeof sub, job_dir, de->d_name) || !is_dir(sub)) continue;
    if (!join(path, sizeof path, sub, METADATA_NAME) || !is_file(path)) {
      (*incomplete)++;
      continue;
    }
    if (*n == cap) {
      int64_t *grown = sp_realloc(*ids, (size_t)(cap ? cap * 2 : 16) * sizeof *grown);
      if (!grown) {
        rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory listing %s", job_dir);
        break;
      }
      *ids = grown;
      cap = cap ? cap * 2 : 16;
    }
    (*ids)[(*n)++] = id;
  }
  closedir(d);
  if (rc) {
    sp_free(*ids);
    *ids = NULL;
    *n = 0;
    return rc;
  }
  if (*n > 1) qsort(*ids, (size_t)*n, sizeof **ids, cmp_desc);
  return 0;
}

int ckpt_list_complete(const char *job_dir, int64_t *ids, int max, char *err, size_t err_len) {
  int64_t *all;
  int n, incomplete;
  int rc = list_complete(job_dir, &all, &n, &incomplete, err, err_len);
  if (rc) return rc;
  int k = n < max ? n : max;
  if (k > 0) memcpy(ids, all, (size_t)k * sizeof *ids);
  sp_free(all);
  return k;
}

/* Loads the newest complete checkpoint under job_dir that is not corrupt. */
static int load_job_dir(const char *job_dir, bool verify_only, ckpt_loaded **out, char *err,
                        size_t err_len) {
  int64_t *ids;
  int n, incomplete;
  int rc = list_complete(job_dir, &ids, &n, &incomplete, err, err_len);
  if (rc) return rc;
  if (n == 0) {
    return incomplete
               ? sp_err(err, err_len, SPATE_ENOENT,
                        "no complete checkpoint in %s: %d chk-<n> directories, none with %s",
                        job_dir, incomplete, METADATA_NAME)
               : sp_err(err, err_len, SPATE_ENOENT,
                        "%s holds neither a %s file nor chk-<n> checkpoint directories", job_dir,
                        METADATA_NAME);
  }
  char newest[SP_ERRMSG_MAX] = "", inner[SP_ERRMSG_MAX], dir[PATH_CAP];
  rc = SPATE_ECORRUPT;
  for (int i = 0; i < n && rc == SPATE_ECORRUPT; i++) {
    char name[32];
    snprintf(name, sizeof name, "chk-%lld", (long long)ids[i]);
    if (!join(dir, sizeof dir, job_dir, name)) {
      rc = sp_err(err, err_len, SPATE_EINVAL, "checkpoint path %s is too long", job_dir);
      break;
    }
    rc = load_dir(dir, verify_only, out, inner, sizeof inner);
    /* A checkpoint discarded while we looked (its _metadata gone) is skipped like a corrupt
     * one; any other error (memory, I/O) ends the search rather than restore older state. */
    if (rc == SPATE_ENOENT) rc = SPATE_ECORRUPT;
    if (rc == SPATE_ECORRUPT && i == 0) snprintf(newest, sizeof newest, "%s", inner);
    if (rc == SPATE_ECORRUPT && i + 1 < n)
      SP_WARN(LOG_COMP,
              "checkpoint %s is corrupt (%s); falling back to chk-%lld. Output that "
              "exactly-once sinks committed with chk-%lld (the newest, %lld) may be published "
              "again.", dir, inner, (long long)ids[i + 1], (long long)ids[0],
              (long long)ids[0]);
    else if (rc == SPATE_ECORRUPT && n > 1)
      SP_WARN(LOG_COMP, "checkpoint %s is corrupt (%s); no older checkpoint is left", dir,
              inner);
    else if (rc)
      sp_err(err, err_len, rc, "cannot load checkpoint %s: %s", dir, inner);
  }
  if (rc == SPATE_ECORRUPT)
    sp_err(err, err_len, rc,
           "every complete checkpoint in %s is corrupt; the newest, chk-%lld: %s", job_dir,
           (long long)ids[0], newest);
  sp_free(ids);
  return rc;
}

int ckpt_load(const char *path, bool verify_only, ckpt_loaded **out, char *err, size_t err_len) {
  *out = NULL;
  struct stat st;
  if (!path || !path[0]) return sp_err(err, err_len, SPATE_EINVAL, "empty checkpoint path");
  if (stat(path, &st) != 0) {
    int e = errno;
    return sp_err(err, err_len, e == ENOENT ? SPATE_ENOENT : SPATE_EIO,
                  "checkpoint path %s: %s", path, strerror(e));
  }
  if (S_ISREG(st.st_mode)) {
    /* the _metadata file itself: its directory is the checkpoint */
    char dir[PATH_CAP];
    const char *slash = strrchr(path, '/');
    if (strcmp(slash ? slash + 1 : path, METADATA_NAME) != 0)
      return sp_err(err, err_len, SPATE_EINVAL,
                    "%s is a file but not a checkpoint's %s: expected a checkpoint directory, "
                    "its %s file, or a job's checkpoint directory",
                    path, METADATA_NAME, METADATA_NAME);
    size_t n = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof dir) return sp_err(err, err_len, SPATE_EINVAL, "path %s is too long", path);
    memcpy(dir, n ? path : ".", n ? n : 1);
    dir[n ? n : 1] = 0;
    return load_one(dir, verify_only, out, err, err_len);
  }
  if (!S_ISDIR(st.st_mode))
    return sp_err(err, err_len, SPATE_EINVAL,
                  "checkpoint path %s is neither a file nor a directory", path);
  char meta[PATH_CAP];
  if (join(meta, sizeof meta, path, METADATA_NAME) && is_file(meta))
    return load_one(path, verify_only, out, err, err_len);
  return load_job_dir(path, verify_only, out, err, err_len);
}

void ckpt_loaded_free(ckpt_loaded *l) {
  if (!l) return;
  for (int j = 0; j < l->nops; j++) {
    sp_free(l->ops[j].uid);
    sp_free(l->ops[j].sections);
  }
  sp_free(l->ops);
  for (int c = 0; c < l->nchannels; c++) sp_free(l->channels[c].head_uid);
  sp_free(l->channels);
  for (int i = 0; i < l->nbufs; i++) {
    if (l->tasks) snap_task_free(&l->tasks[i]);
    if (l->bufs) sp_free(l->bufs[i]);
  }
  sp_free(l->tasks);
  sp_free(l->bufs);
  ckpt_metadata_free(&l->meta);
  sp_free(l);
}

const ckpt_loaded_op *ckpt_loaded_find(const ckpt_loaded *l, const char *uid) {
  for (int j = 0; l && uid && j < l->nops; j++)
    if (strcmp(l->ops[j].uid, uid) == 0) return &l->ops[j];
  return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Discarding. */

/* Removes path (a buffer of PATH_CAP holding it, extended in place while recursing). */
static int remove_tree(char *path, int depth, char *err, size_t err_len) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return errno == ENOENT ? 0 : sp_err(err, err_len, SPATE_EIO, "cannot remove %s: %s", path,
                                        strerror(errno));
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
      rc = sp_err(err, err_len, SPATE_EIO, "cannot remove %s/%s: path too long", path,
                  de->d_name);
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
