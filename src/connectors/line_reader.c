/*
 * line_reader.c: the file source's line reader (contract in line_reader.h).
 *
 * Planning: the inputs expand to an ordered file list; each non-empty file is cut into
 * ceil(size / split_bytes) splits and the splits are numbered across the whole list. This subtask
 * takes splits subtask, subtask + parallelism, ... . Splits are walked lazily from the file list,
 * so a huge file with a small split size costs no memory per split.
 *
 * Ownership of lines: a line "starts" at offset 0 or right after a '\n' (but not at the end of
 * the file). The split [start, end) owns exactly the lines that start in [start, end). To find
 * its first line, a split with start > 0 reads from start - 1 and skips through the first '\n'
 * it sees: if byte start - 1 is that '\n', the line starting at start is ours; otherwise we were
 * inside a line owned by an earlier split. A split then returns lines while they start before
 * end, reading past end to finish the last one. Every line start lies in exactly one split, so
 * every line is read exactly once for any split size and parallelism.
 *
 * Buffering: one buffer per reader (1 MiB, allocated on first use), filled with pread at the
 * file offset the buffer maps, so buffered but unconsumed bytes can be dropped at any time and
 * read again. That is what lets the buffer shrink back to 1 MiB right after a long line.
 *
 * Resuming: the ownership rule holds for any byte ranges that cover a file without overlap, so
 * a restored split is read as the range it was written with, whatever the split size is now.
 * A split resumed at offset > start begins like a split starting at offset, except that the
 * byte before offset must be the '\n' that ended the last line read before the checkpoint;
 * anything else means the file changed, which is reported rather than guessed around.
 */
#include "connectors/line_reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/utf8.h"

#define DEFAULT_SPLIT_BYTES ((int64_t)32 << 20)
#define BUF_BYTES ((size_t)1 << 20)

typedef struct lr_file {
  char *path;
  int64_t size;
  int64_t nsplits;
} lr_file;

/* A split of the explicit list (line_reader_resume). */
typedef struct lr_pending {
  int file;
  int64_t start, end, offset, line_no;
} lr_pending;

struct line_reader {
  lr_file *files;
  int nfiles;
  int parallelism;
  int64_t split_bytes;

  /* Split cursor: next_k is the global number of the next split this subtask takes; file_idx
   * and file_base (global number of file_idx's first split) only move forward. */
  int64_t next_k;
  int file_idx;
  int64_t file_base;

  /* Explicit splits (line_reader_resume): when resumed is set they replace the cursor above
   * and are read in order; list_next is the next one to begin. */
  int resumed;
  lr_pending *list;
  int nlist, list_next;
  int started; /* line_reader_next was called */

  /* The current split, of file fd_file; in_split is 0 between splits. */
  int in_split;
  int skipping;     /* still looking for the first line start (begun at an offset > 0) */
  int check_resume; /* begun at a resume offset: the byte before it must be a '\n' */
  int64_t start, end;
  int64_t begun_at; /* the offset the split was begun at: start, or its resume offset */
  int64_t line_no;  /* 1-based number of the last line returned; 0 = not counted (start > 0) */
  int64_t last_off; /* where the last line returned starts */
  int fd;           /* open on files[fd_file], or -1 */
  int fd_file;

  /* Buffer: buf[0] maps file offset buf_off; bytes [pos, fill) are unconsumed; no '\n' lies in
   * [pos, scan), so a long line is searched once however often the buffer is refilled. eof is
   * set once a read at buf_off + fill returned nothing. */
  char *buf;
  size_t cap, pos, fill, scan;
  int64_t buf_off;
  int eof;

  int failed; /* sticky error code, message in err */
  char err[SP_ERRMSG_MAX];
};

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends a file to the list, taking ownership of path. */
static int add_file(line_reader *r, int *cap, char *path, int64_t size) {
  if (r->nfiles == *cap) {
    int ncap = *cap ? *cap * 2 : 8;
    lr_file *nf = sp_realloc(r->files, (size_t)ncap * sizeof *nf);
    if (!nf) {
      sp_free(path);
      return SPATE_ENOMEM;
    }
    r->files = nf;
    *cap = ncap;
  }
  r->files[r->nfiles].path = path;
  r->files[r->nfiles].size = size;
  r->files[r->nfiles].nsplits = 0;
  r->nfiles++;
  return 0;
}

/* Opening is the only reliable readability check (access() lies for root and ACLs). */
static int check_readable(const char *path, char *err, size_t err_len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT)
      return sp_err(err, err_len, SPATE_ENOENT, "input path '%s' does not exist", path);
    return sp_err(err, err_len, SPATE_EIO, "input path '%s' is not readable: %s", path,
                  strerror(e));
  }
  close(fd);
  return 0;
}

/* Adds the non-hidden regular files of directory dir, in name order. */
static int add_directory(line_reader *r, int *cap, const char *dir, char *err, size_t err_len) {
  DIR *d = opendir(dir);
  if (!d)
    return sp_err(err, err_len, SPATE_EIO, "input path '%s' is not readable: %s", dir,
                  strerror(errno));
  char **names = NULL;
  size_t nnames = 0, names_cap = 0;
  int rc = 0;
  struct dirent *de;
  for (;;) {
    errno = 0;
    de = readdir(d);
    if (!de) {
      if (errno)
        rc = sp_err(err, err_len, SPATE_EIO, "could not list input directory '%s': %s", dir,
                    strerror(errno));
      break;
    }
    if (de->d_name[0] == '.') continue;
    if (nnames == names_cap) {
      size_t ncap = names_cap ? names_cap * 2 : 16;
      char **nn = sp_realloc(names, ncap * sizeof *nn);
      if (!nn) {
        rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory listing '%s'", dir);
        break;
      }
      names = nn;
      names_cap = ncap;
    }
    if (!(names[nnames] = sp_strdup(de->d_name))) {
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory listing '%s'", dir);
      break;
    }
    nnames++;
  }
  closedir(d);
  if (rc == 0 && nnames > 1) qsort(names, nnames, sizeof *names, cmp_names);

  int added = 0;
  size_t dlen = strlen(dir);
  int slash = dlen > 0 && dir[dlen - 1] == '/';
  for (size_t i = 0; rc == 0 && i < nnames; i++) {
    size_t plen = dlen + 1 + strlen(names[i]) + 1;
    char *path = sp_malloc(plen);
    if (!path) {
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory listing '%s'", dir);
      break;
    }
    snprintf(path, plen, "%s%s%s", dir, slash ? "" : "/", names[i]);
    struct stat st;
    /* A file that vanished since readdir, or a subdirectory, is not an input. */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
      sp_free(path);
      continue;
    }
    if ((rc = check_readable(path, err, err_len)) != 0) {
      sp_free(path);
      break;
    }
    if ((rc = add_file(r, cap, path, (int64_t)st.st_size)) != 0) {
      sp_err(err, err_len, rc, "out of memory listing '%s'", dir);
      break;
    }
    added++;
  }
  for (size_t i = 0; i < nnames; i++) sp_free(names[i]);
  sp_free(names);
  if (rc == 0 && added == 0)
    rc = sp_err(err, err_len, SPATE_ENOENT, "input directory '%s' contains no files", dir);
  return rc;
}

static int expand_path(line_reader *r, int *cap, const char *path, char *err, size_t err_len) {
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR)
      return sp_err(err, err_len, SPATE_ENOENT, "input path '%s' does not exist", path);
    return sp_err(err, err_len, SPATE_EIO, "input path '%s' is not readable: %s", path,
                  strerror(e));
  }
  if (S_ISDIR(st.st_mode)) return add_directory(r, cap, path, err, err_len);
  if (!S_ISREG(st.st_mode))
    return sp_err(err, err_len, SPATE_EINVAL, "input path '%s' is not a regular file or directory",
                  path);
  int rc = check_readable(path, err, err_len);
  if (rc != 0) return rc;
  char *copy = sp_strdup(path);
  if (!copy || (rc = add_file(r, cap, copy, (int64_t)st.st_size)) != 0)
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory opening '%s'", path);
  return 0;
}

int line_reader_open(const char *const *paths, int npaths, int subtask, int parallelism,
                     int64_t split_bytes, line_reader **out, char *err, size_t err_len) {
  *out = NULL;
  if (!paths || npaths <= 0)
    return sp_err(err, err_len, SPATE_EINVAL, "the file source needs at least one input path");
  if (parallelism <= 0 || subtask < 0 || subtask >= parallelism)
    return sp_err(err, err_len, SPATE_EINVAL, "bad subtask %d of parallelism %d", subtask,
                  parallelism);
  line_reader *r = sp_calloc(1, sizeof *r);
  if (!r) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory opening the file source");
  r->parallelism = parallelism;
  r->split_bytes = split_bytes > 0 ? split_bytes : DEFAULT_SPLIT_BYTES;
  r->next_k = subtask;
  r->fd = -1;
  r->fd_file = -1;
  int cap = 0, rc = 0;
  for (int i = 0; i < npaths && rc == 0; i++) rc = expand_path(r, &cap, paths[i], err, err_len);
  if (rc != 0) {
    line_reader_close(r);
    return rc;
  }
  for (int i = 0; i < r->nfiles; i++)
    r->files[i].nsplits = (r->files[i].size + r->split_bytes - 1) / r->split_bytes;
  *out = r;
  return 0;
}

static int fail(line_reader *r, int rc) {
  r->failed = rc;
  return rc;
}

/* Moves the unconsumed bytes to the front of the buffer. */
static void compact(line_reader *r) {
  if (r->pos == 0) return;
  memmove(r->buf, r->buf + r->pos, r->fill - r->pos);
  r->buf_off += (int64_t)r->pos;
  r->fill -= r->pos;
  r->scan -= r->pos;
  r->pos = 0;
}

/* Reads more bytes after the unconsumed ones, growing the buffer when a line fills it. Sets eof
 * when the file has nothing more. */
static int fill_more(line_reader *r) {
  compact(r);
  if (r->fill == r->cap) {
    size_t ncap = r->cap * 2;
    char *nb = sp_realloc(r->buf, ncap);
    if (!nb)
      return fail(r, sp_err(r->err, sizeof r->err, SPATE_ENOMEM,
                            "out of memory reading a %zu-byte line in '%s'", r->fill,
                            r->files[r->fd_file].path));
    r->buf = nb;
    r->cap = ncap;
  }
  for (;;) {
    ssize_t n =
        pread(r->fd, r->buf + r->fill, r->cap - r->fill, (off_t)(r->buf_off + (int64_t)r->fill));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return fail(r, sp_err(r->err, sizeof r->err, SPATE_EIO, "could not read '%s': %s",
                            r->files[r->fd_file].path, strerror(errno)));
    if (n == 0) r->eof = 1;
    r->fill += (size_t)n;
    return 0;
  }
}

/* After a line longer than the default buffer, gives the memory back. Unconsumed bytes beyond
 * the default size are dropped: they are read again from the file when needed. */
static void maybe_shrink(line_reader *r) {
  if (r->cap <= BUF_BYTES) return;
  size_t keep = r->fill - r->pos;
  if (keep > BUF_BYTES) {
    keep = BUF_BYTES;
    r->eof = 0;
  }
  memmove(r->buf, r->buf + r->pos, keep);
  r->buf_off += (int64_t)r->pos;
  r->fill = keep;
  r->pos = 0;
  r->scan = 0;
  char *nb = sp_realloc(r->buf, BUF_BYTES);
  if (nb) { /* a failed shrink leaves the larger buffer, which still works */
    r->buf = nb;
    r->cap = BUF_BYTES;
  }
}

/* Starts the next split of this subtask (of the explicit list once resumed). Returns 1, 0 when
 * there is none, or an error. */
static int begin_split(line_reader *r) {
  int file;
  int64_t start, end, offset, line_no = 0;
  if (r->resumed) {
    if (r->list_next >= r->nlist) return 0;
    const lr_pending *s = &r->list[r->list_next++];
    file = s->file;
    start = s->start;
    end = s->end;
    offset = s->offset;
    line_no = s->line_no;
  } else {
    int64_t k = r->next_k;
    while (r->file_idx < r->nfiles && k >= r->file_base + r->files[r->file_idx].nsplits) {
      r->file_base += r->files[r->file_idx].nsplits;
      r->file_idx++;
    }
    if (r->file_idx >= r->nfiles) return 0;
    r->next_k += r->parallelism;
    file = r->file_idx;
    const lr_file *f = &r->files[file];
    start = (k - r->file_base) * r->split_bytes;
    end = start + r->split_bytes < f->size ? start + r->split_bytes : f->size;
    offset = start;
  }
  const lr_file *f = &r->files[file];
  if (!r->buf) {
    if (!(r->buf = sp_malloc(BUF_BYTES)))
      return fail(
          r, sp_err(r->err, sizeof r->err, SPATE_ENOMEM, "out of memory reading '%s'", f->path));
    r->cap = BUF_BYTES;
  }
  r->start = start;
  r->end = end;
  r->begun_at = offset;
  r->skipping = offset > 0;
  r->check_resume = offset > start;
  r->line_no = start == 0 ? line_no : 0;
  int64_t seek = offset > 0 ? offset - 1 : 0;

  if (r->fd_file != file) {
    if (r->fd >= 0) close(r->fd);
    r->fd_file = file;
    r->fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
      return fail(r, sp_err(r->err, sizeof r->err, SPATE_EIO, "input path '%s' is not readable: %s",
                            f->path, strerror(errno)));
    r->pos = r->fill = 0;
    r->buf_off = seek;
    r->eof = 0;
  } else if (seek >= r->buf_off && seek < r->buf_off + (int64_t)r->fill) {
    r->pos = (size_t)(seek - r->buf_off); /* the next split is often already buffered */
  } else {
    r->pos = r->fill = 0;
    r->buf_off = seek;
    r->eof = 0;
  }
  r->scan = r->pos;
  r->in_split = 1;
  return 1;
}

int line_reader_next(line_reader *r, const char **line, size_t *len) {
  if (r->failed) return r->failed;
  r->started = 1;
  maybe_shrink(r);
  for (;;) {
    if (!r->in_split) {
      int rc = begin_split(r);
      if (rc <= 0) return rc;
    }
    if (r->check_resume && (r->pos < r->fill || r->eof)) {
      if (r->pos == r->fill || r->buf[r->pos] != '\n')
        return fail(r, sp_err(r->err, sizeof r->err, SPATE_ESTATE,
                              "cannot resume '%s' at byte offset %lld: no line starts there (the "
                              "file changed since the checkpoint)",
                              r->files[r->fd_file].path, (long long)r->begun_at));
      r->check_resume = 0; /* the skip below stops right after this '\n' */
    }
    if (r->skipping) {
      char *nl = memchr(r->buf + r->pos, '\n', r->fill - r->pos);
      if (nl) {
        r->pos = (size_t)(nl - r->buf) + 1;
        r->scan = r->pos;
        r->skipping = 0;
      } else if (r->eof) {
        r->in_split = 0;
        continue;
      } else {
        r->pos = r->scan = r->fill; /* nothing here is ours; drop it before reading on */
        int rc = fill_more(r);
        if (rc < 0) return rc;
        continue;
      }
    }
    int64_t line_off = r->buf_off + (int64_t)r->pos;
    if (line_off >= r->end) {
      r->in_split = 0;
      continue;
    }
    char *nl = memchr(r->buf + r->scan, '\n', r->fill - r->scan);
    size_t n;
    if (nl) {
      n = (size_t)(nl - (r->buf + r->pos));
    } else if (r->eof) {
      if (r->pos == r->fill) { /* the file ended with '\n': no line starts here */
        r->in_split = 0;
        continue;
      }
      n = r->fill - r->pos;
    } else {
      r->scan = r->fill;
      int rc = fill_more(r);
      if (rc < 0) return rc;
      continue;
    }
    const char *p = r->buf + r->pos;
    r->pos += n + (nl ? 1 : 0);
    r->scan = r->pos;
    if (r->start == 0) r->line_no++;
    if (n > 0 && p[n - 1] == '\r') n--;
    long bad = sp_utf8_invalid_at(p, n);
    if (bad >= 0) {
      const char *path = r->files[r->fd_file].path;
      long long off = (long long)line_off + bad;
      if (r->start == 0)
        return fail(r, sp_err(r->err, sizeof r->err, SPATE_EINVAL,
                              "invalid UTF-8 in '%s' at line %lld (byte offset %lld)", path,
                              (long long)r->line_no, off));
      return fail(r, sp_err(r->err, sizeof r->err, SPATE_EINVAL,
                            "invalid UTF-8 in '%s' at byte offset %lld", path, off));
    }
    r->last_off = line_off;
    *line = p;
    *len = n;
    return 1;
  }
}

const char *line_reader_error(const line_reader *r) { return r->err; }

void line_reader_last_line(const line_reader *r, const char **path, int64_t *line_no,
                           int64_t *offset) {
  *path = r->files[r->fd_file].path;
  *line_no = r->start == 0 ? r->line_no : 0;
  *offset = r->last_off;
}

int line_reader_position(const line_reader *r, lr_split_state *out) {
  if (!r->in_split) return 0;
  /* Before its first line start a split resumes where it was begun; after a line, at the byte
   * after that line, where the next line starts unless the split is done. */
  int64_t off = r->skipping ? r->begun_at : r->buf_off + (int64_t)r->pos;
  if (off >= r->end) return 0;
  const lr_file *f = &r->files[r->fd_file];
  *out = (lr_split_state){.path = f->path,
                          .size = f->size,
                          .start = r->start,
                          .end = r->end,
                          .offset = off,
                          .line_no = r->start == 0 ? r->line_no : 0};
  return 1;
}

int line_reader_visit_unfinished(const line_reader *r,
                                 int (*fn)(void *arg, const lr_split_state *s), void *arg) {
  lr_split_state s;
  int rc;
  if (line_reader_position(r, &s) && (rc = fn(arg, &s)) != 0) return rc;
  if (r->resumed) {
    for (int i = r->list_next; i < r->nlist; i++) {
      const lr_pending *p = &r->list[i];
      const lr_file *f = &r->files[p->file];
      s = (lr_split_state){.path = f->path,
                           .size = f->size,
                           .start = p->start,
                           .end = p->end,
                           .offset = p->offset,
                           .line_no = p->line_no};
      if ((rc = fn(arg, &s)) != 0) return rc;
    }
    return 0;
  }
  /* The splits of the cursor not begun yet, walked as begin_split would. */
  int64_t k = r->next_k, base = r->file_base;
  for (int fi = r->file_idx;;) {
    while (fi < r->nfiles && k >= base + r->files[fi].nsplits) {
      base += r->files[fi].nsplits;
      fi++;
    }
    if (fi >= r->nfiles) return 0;
    const lr_file *f = &r->files[fi];
    int64_t start = (k - base) * r->split_bytes;
    int64_t end = start + r->split_bytes < f->size ? start + r->split_bytes : f->size;
    s = (lr_split_state){.path = f->path,
                         .size = f->size,
                         .start = start,
                         .end = end,
                         .offset = start,
                         .line_no = 0};
    if ((rc = fn(arg, &s)) != 0) return rc;
    k += r->parallelism;
  }
}

/* Orders restored splits by file and range, to find overlaps. */
static int cmp_pending(const void *a, const void *b) {
  const lr_pending *x = a, *y = b;
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return (x->end > y->end) - (x->end < y->end);
}

/* How often the inputs name files[file]'s path (a path given twice is read twice). */
static int times_listed(const line_reader *r, int file) {
  int n = 0;
  for (int j = 0; j < r->nfiles; j++) n += strcmp(r->files[j].path, r->files[file].path) == 0;
  return n;
}

int line_reader_resume(line_reader *r, const lr_split_state *splits, int n, char *err,
                       size_t err_len) {
  if (r->started || r->resumed)
    return sp_err(err, err_len, SPATE_ESTATE, "the file source can only resume before reading");
  if (n < 0 || (n > 0 && !splits))
    return sp_err(err, err_len, SPATE_EINVAL, "bad list of %d splits to resume", n);
  lr_pending *list = n > 0 ? sp_calloc((size_t)n, sizeof *list) : NULL;
  lr_pending *all = n > 0 ? sp_calloc((size_t)n, sizeof *all) : NULL;
  if (n > 0 && (!list || !all)) {
    sp_free(list);
    sp_free(all);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory resuming the file source");
  }
  int rc = 0, kept = 0;
  for (int i = 0; i < n && rc == 0; i++) {
    const lr_split_state *s = &splits[i];
    if (!s->path) {
      rc = sp_err(err, err_len, SPATE_ECORRUPT, "restored split %d names no file", i);
      break;
    }
    int file = -1;
    for (int j = 0; j < r->nfiles && file < 0; j++)
      if (strcmp(r->files[j].path, s->path) == 0) file = j;
    if (file < 0)
      rc = sp_err(err, err_len, SPATE_ESTATE,
                  "restored split [%lld, %lld) of '%s': the file is not among the inputs any more",
                  (long long)s->start, (long long)s->end, s->path);
    else if (r->files[file].size != s->size)
      rc = sp_err(err, err_len, SPATE_ESTATE,
                  "'%s' changed since the checkpoint: it had %lld bytes, it has %lld now", s->path,
                  (long long)s->size, (long long)r->files[file].size);
    else if (s->start < 0 || s->end <= s->start || s->end > s->size || s->offset < s->start ||
             s->offset > s->end || s->line_no < 0)
      rc = sp_err(err, err_len, SPATE_ECORRUPT,
                  "restored split %d of '%s' is malformed: range [%lld, %lld) of %lld bytes, "
                  "resume offset %lld, line %lld",
                  i, s->path, (long long)s->start, (long long)s->end, (long long)s->size,
                  (long long)s->offset, (long long)s->line_no);
    if (rc != 0) break;
    all[i] = (lr_pending){file, s->start, s->end, s->offset, s->line_no};
    if (s->offset < s->end) list[kept++] = all[i];
  }
  if (rc == 0 && n > 1) {
    /* The ranges of one file must not overlap (lines would be read twice), except that a file
     * given several times as input has each of its splits once per time. */
    qsort(all, (size_t)n, sizeof *all, cmp_pending);
    for (int i = 0, run = 1; i + 1 < n && rc == 0; i++) {
      const lr_pending *a = &all[i], *b = &all[i + 1];
      if (a->file != b->file) {
        run = 1;
        continue;
      }
      int same = a->start == b->start && a->end == b->end;
      run = same ? run + 1 : 1;
      if ((same && run > times_listed(r, a->file)) || (!same && b->start < a->end))
        rc = sp_err(err, err_len, SPATE_ECORRUPT,
                    "restored splits [%lld, %lld) and [%lld, %lld) of '%s' overlap",
                    (long long)a->start, (long long)a->end, (long long)b->start, (long long)b->end,
                    r->files[a->file].path);
    }
  }
  sp_free(all);
  if (rc != 0) {
    sp_free(list);
    return rc;
  }
  r->list = list;
  r->nlist = kept;
  r->list_next = 0;
  r->resumed = 1;
  return 0;
}

void line_reader_close(line_reader *r) {
  if (!r) return;
  if (r->fd >= 0) close(r->fd);
  for (int i = 0; i < r->nfiles; i++) sp_free(r->files[i].path);
  sp_free(r->files);
  sp_free(r->list);
  sp_free(r->buf);
  sp_free(r);
}
