/*
 * file_sink.c: the exactly-once file sink (OP_SINK_FILE, spate_sink_file): Flink's FileSink in
 * row format, built on the two-phase-commit engine (operators/two_phase_sink.h).
 *
 * Layout. Records go to the bucket of the processing time they arrive at (strftime of the bucket
 * format in local time, as Flink's DateTimeBucketAssigner; "" puts every file in dir itself),
 * or, with partition keys, to the bucket of their partition (Flink's filesystem connector with
 * PARTITIONED BY): the path "k1=v1/k2=v2" of the keys' values, escaped as Flink escapes
 * partition paths (partition_path), and the lines then hold the other fields only (projected
 * into a row of those fields, whose schema is write_schema).
 * Each bucket has at most one open part file, written as the hidden in-progress file
 *     <dir>/<bucket>/.<prefix>-<uuid>-<subtask>-<n><suffix>.inprogress
 * and published by renaming it to <dir>/<bucket>/<prefix>-<uuid>-<subtask>-<n><suffix>. uuid is
 * random per subtask attempt (so a restarted attempt never reuses a name and needs no part
 * counter in its state), subtask is 0-based and n counts the parts of the attempt.
 *
 * Rolling (Flink's DefaultRollingPolicy): a part is closed after the record that brings it to
 * max_part_size bytes, and by a processing-time check every second (Flink's bucket check
 * interval) when it is older than the rollover interval or has not been written for the
 * inactivity interval. A closed part is fsync'ed and stays in the transaction; the bucket's next
 * record opens a new one.
 *
 * Transactions: one per checkpoint interval, holding every part opened in it (rolled ones and the
 * open one of each bucket). pre-commit closes and fsyncs the open parts and their directories
 * (the in-progress files are then pending: durable, invisible) and sets the transaction id to
 * the list of parts:
 *     u8 version (1), u32 n, n x (str bucket directory, str finished file name)
 * commit renames each in-progress file to its finished name and fsyncs the directories; it is
 * idempotent: an in-progress file that is gone while its finished file exists was committed
 * already, both gone is an error. abort closes what is open and deletes the in-progress files.
 * The handle of the open transaction (fs_txn) lives until pre-commit or abort; commit works from
 * the id alone. The open transaction's id lists no parts (a checkpoint stores it right after it
 * began): parts written after the last checkpoint are deleted when the subtask closes after a
 * failure, and stay behind as hidden files only if the process died, as with Flink.
 *
 * Options by Flink's filesystem connector keys (connectors/file_sink_options.h): the rolling
 * policy's (file size, rollover and inactivity intervals, and the check interval, 1 s unless
 * given) override the struct's values. With a partition commit policy the graph has a
 * PartitionCommitter after the writers (connectors/partition_committer.c): whenever a
 * checkpoint's completion (or a restore, which commits the restored pending transactions)
 * publishes part files, the partitions they are in are remembered, and at the end of
 * notify_complete(id) the subtask sends the committer one row per such partition and then a row
 * with an empty partition (the fields of fs_commit_info_schema: id, subtask, parallelism,
 * partition), so the committer knows this subtask is done with id. Once everything of a bounded
 * input is committed (end_input without checkpointing, or the final checkpoint's completion)
 * the id sent is INT64_MAX: the end. Partitions published but not yet sent when the subtask
 * fails are published again by the recovery (the restored pending transactions) and sent then.
 *
 * A write error (full disk) fails the job with a message naming the file; fwrite is buffered,
 * so it may surface only when the part is flushed (at a roll or a checkpoint), which is before
 * anything is published.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/dir_sync.h"
#include "connectors/file_sink_options.h"
#include "connectors/format.h"
#include "connectors/registry.h"
#include "graph/op_params.h"
#include "operators/two_phase_sink.h"
#include "types/row.h"

#define FS_DEFAULT_PART_SIZE (128LL << 20)
#define FS_DEFAULT_INTERVAL_MS 60000
#define FS_DEFAULT_BUCKETS "%Y-%m-%d--%H"
#define FS_CHECK_INTERVAL_MS 1000
#define FS_IOBUF (64 << 10)
#define FS_DEFAULT_PARTITION "__DEFAULT_PARTITION__" /* Flink's partition.default-name */

typedef struct fs_part {
  char *dir;        /* bucket directory */
  char *name;       /* finished file name */
  char *inprogress; /* path of the in-progress file */
  FILE *f;          /* while the part is open */
  char *iobuf;
  int64_t size, created_ms, written_ms;
} fs_part;

/* Handle of the open transaction: its parts in the order they were opened. */
typedef struct fs_txn {
  int nparts, cap;
  fs_part *parts;
} fs_txn;

/* A bucket written to in the current transaction. active: index of its open part in the
 * transaction, or -1. Buckets are forgotten when a transaction ends, so hourly buckets do not
 * pile up in a long-running job. */
typedef struct fs_bucket {
  char *id;
  char *dir;
  int active;
} fs_bucket;

typedef struct file_sink {
  op_t *op;
  tps e;
  char *dir, *format, *prefix, *suffix; /* format NULL: no buckets */
  int64_t max_part_size, rollover_ms, inactivity_ms, check_ms;
  char uuid[37];
  uint64_t next_part;
  fs_txn *cur; /* handle of the current transaction, NULL between pre-commit and begin */
  int nbuckets, bcap;
  fs_bucket *buckets;
  int64_t cached_sec; /* the bucket of the last record: for records in the same second */
  int cached_bucket;  /* index, -1 if none */
  sp_strbuf line;
  /* partitions (npart > 0): the key fields and their escaped names; the other fields, which
   * are written, as a row of write_schema built in write_rb; the partition path in path */
  int npart, nwrite;
  int *part_fields, *write_fields;
  char **part_names;
  spate_schema *write_schema;
  spate_row_builder write_rb;
  /* what rows are written as: the input's schema, or the params' (a SQL table's column names
   * over the same types: SQL rows are positional) */
  const spate_schema *row_schema;
  spate_schema *named; /* the params' schema (owned), or NULL */
  sp_strbuf path;
  char *synced;   /* during a commit: the directory synced last */
  bool formatted; /* rows written in a record format (connectors/format.h), else as print() */
  fmt_options fmt;
  /* partition commit: the partitions ("k1=v1/...") published since they were last sent */
  bool commit, sent_end;
  int npublished, pcap;
  char **published;
} file_sink;

/* ---- files ----------------------------------------------------------------------------------- */
static int make_uuid(char out[37]) {
  uint8_t b[16];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t r = getrandom(b + got, sizeof b - got, 0);
    if (r < 0 && errno != EINTR) return SPATE_EIO;
    if (r > 0) got += (size_t)r;
  }
  b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
  b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
  static const char hex[] = "0123456789abcdef";
  char *p = out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = hex[b[i] >> 4];
    *p++ = hex[b[i] & 15];
  }
  *p = 0;
  return 0;
}

static char *join(const char *a, const char *b, const char *c, const char *d) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
  char *s = sp_malloc(n);
  if (s) snprintf(s, n, "%s%s%s%s", a, b, c, d);
  return s;
}

static int sync_dir(file_sink *s, const char *dir);

/* mkdir -p; the parent of each directory it creates is synced, so that a part file committed
 * later in a new bucket (or partition) directory cannot lose its directory in a crash. */
static int make_dirs(file_sink *s, const char *path) {
  char *p = sp_strdup(path);
  if (!p) return SPATE_ENOMEM;
  int rc = 0;
  char *last = NULL; /* the '/' before the component being created */
  for (char *q = p + 1;; q++) {
    if (*q != '/' && *q) continue;
    char c = *q;
    *q = 0;
    if (mkdir(p, 0777) == 0) {
      if (last) *last = 0;
      rc = sync_dir(s, last ? p : (p[0] == '/' ? "/" : "."));
      if (last) *last = '/';
      if (rc < 0) break;
    } else if (errno != EEXIST) {
      rc = op_fail(s->op, SPATE_EIO, "cannot create directory '%s': %s", p, strerror(errno));
      break;
    }
    *q = c;
    last = q;
    if (!c) break;
  }
  struct stat st;
  if (rc == 0 && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
    rc = op_fail(s->op, SPATE_EIO, "'%s' is not a directory", path);
  sp_free(p);
  return rc;
}

static int sync_dir(file_sink *s, const char *dir) {
  int e = sp_sync_dir(dir);
  return e ? op_fail(s->op, SPATE_EIO, "cannot sync directory '%s': %s", dir, strerror(e)) : 0;
}

/* Closes an open part, durably (flush, fsync) unless it is being dropped. */
static int close_part(file_sink *s, fs_part *p, bool durable) {
  if (!p->f) return 0;
  int rc = 0;
  if (durable && (fflush(p->f) != 0 || ferror(p->f) || fsync(fileno(p->f)) < 0))
    rc = op_fail(s->op, SPATE_EIO, "writing part file '%s' failed: %s", p->inprogress,
                 strerror(errno));
  if (fclose(p->f) != 0 && durable && rc == 0)
    rc = op_fail(s->op, SPATE_EIO, "writing part file '%s' failed: %s", p->inprogress,
                 strerror(errno));
  p->f = NULL;
  sp_free(p->iobuf);
  p->iobuf = NULL;
  return rc;
}

static void free_txn(fs_txn *t) {
  if (!t) return;
  for (int i = 0; i < t->nparts; i++) {
    if (t->parts[i].f) fclose(t->parts[i].f);
    sp_free(t->parts[i].iobuf);
    sp_free(t->parts[i].dir);
    sp_free(t->parts[i].name);
    sp_free(t->parts[i].inprogress);
  }
  sp_free(t->parts);
  sp_free(t);
}

static void forget_buckets(file_sink *s) {
  for (int i = 0; i < s->nbuckets; i++) {
    sp_free(s->buckets[i].id);
    sp_free(s->buckets[i].dir);
  }
  s->nbuckets = 0;
  s->cached_bucket = -1;
}

/* ---- partitions ------------------------------------------------------------------------------ */
/* Flink's escaping of partition names and values: these ASCII characters become "%XX". */
static bool needs_escape(unsigned char c) {
  switch (c) {
  case '"':
  case '#':
  case '%':
  case '\'':
  case '*':
  case '/':
  case ':':
  case '=':
  case '?':
  case '\\':
  case '{':
  case '[':
  case ']':
  case '^':
  case 0x7F: return true;
  default: return c < 0x20;
  }
}

static int append_escaped(sp_strbuf *sb, const char *v, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  size_t from = 0;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (!needs_escape(c)) continue;
    char e[3] = {'%', hex[c >> 4], hex[c & 15]};
    rc = sp_strbuf_append(sb, v + from, i - from);
    if (rc == 0) rc = sp_strbuf_append(sb, e, 3);
    from = i + 1;
  }
  return rc == 0 ? sp_strbuf_append(sb, v + from, n - from) : rc;
}

/* The partition path of a row into s->path: "k1=v1/k2=v2", names escaped once at open, values
 * escaped here (a NULL or empty value is the default partition name). */
static int partition_path(file_sink *s, const spate_row *row) {
  const spate_schema *in = s->row_schema;
  sp_strbuf *p = &s->path;
  p->len = 0;
  int rc = 0;
  for (int i = 0; rc == 0 && i < s->npart; i++) {
    int f = s->part_fields[i];
    if (i > 0) rc = sp_strbuf_append(p, "/", 1);
    if (rc == 0) rc = sp_strbuf_append(p, s->part_names[i], strlen(s->part_names[i]));
    if (rc == 0) rc = sp_strbuf_append(p, "=", 1);
    if (rc < 0) break;
    size_t at = p->len;
    if (!spate_row_is_null(row, f)) rc = row_format_field(p, row, f, in);
    if (rc < 0) break;
    if (p->len == at) { /* NULL or empty */
      rc = sp_strbuf_append(p, FS_DEFAULT_PARTITION, sizeof FS_DEFAULT_PARTITION - 1);
      continue;
    }
    size_t k = at;
    while (k < p->len && !needs_escape((unsigned char)p->data[k])) k++;
    if (k == p->len) continue; /* the usual value: nothing to escape */
    /* the value again, escaped (the line buffer is free until the row is formatted) */
    s->line.len = 0;
    rc = sp_strbuf_append(&s->line, p->data + at, p->len - at);
    p->len = at;
    if (rc == 0) rc = append_escaped(p, s->line.data, s->line.len);
  }
  return rc;
}

/* ---- buckets and parts ----------------------------------------------------------------------- */
/* Index of the bucket with this id among the current transaction's, or -1. The cached one
 * (the last record's) is tried first; the others are few (one per partition or time bucket
 * written in one checkpoint interval). */
static int find_bucket(const file_sink *s, const char *id) {
  if (s->cached_bucket >= 0 && strcmp(s->buckets[s->cached_bucket].id, id) == 0)
    return s->cached_bucket;
  for (int i = 0; i < s->nbuckets; i++)
    if (strcmp(s->buckets[i].id, id) == 0) return i;
  return -1;
}

/* The bucket of a row arriving at processing time now_ms: its partition's, or the time
 * bucket's (created on first use). */
static int bucket_for(file_sink *s, int64_t now_ms, const spate_row *row, fs_bucket **out) {
  int64_t sec = now_ms / 1000;
  if (!s->npart && s->cached_bucket >= 0 && sec == s->cached_sec) {
    *out = &s->buckets[s->cached_bucket];
    return 0;
  }
  char tbuf[256] = "";
  const char *id = tbuf;
  if (s->npart) {
    int rc = partition_path(s, row);
    if (rc < 0) return rc;
    id = s->path.data;
  } else if (s->format) {
    time_t t = (time_t)sec;
    struct tm tm;
    /* the format is the user's, as Flink's DateTimeBucketAssigner takes a pattern */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    size_t n = localtime_r(&t, &tm) ? strftime(tbuf, sizeof tbuf, s->format, &tm) : 0;
#pragma GCC diagnostic pop
    if (n == 0)
      return op_fail(s->op, SPATE_EINVAL,
                     "bucket format '%s' gives an empty or too long (over 255 bytes) bucket name",
                     s->format);
  }
  int i = find_bucket(s, id);
  if (i < 0) {
    i = s->nbuckets;
    if (s->nbuckets == s->bcap) {
      int cap = s->bcap ? 2 * s->bcap : 4;
      fs_bucket *n = sp_realloc(s->buckets, sizeof *n * (size_t)cap);
      if (!n) return SPATE_ENOMEM;
      s->buckets = n;
      s->bcap = cap;
    }
    fs_bucket *b = &s->buckets[i];
    b->id = sp_strdup(id);
    b->dir = s->format || s->npart ? join(s->dir, "/", id, "") : sp_strdup(s->dir);
    b->active = -1;
    if (!b->id || !b->dir) {
      sp_free(b->id);
      sp_free(b->dir);
      return SPATE_ENOMEM;
    }
    s->nbuckets++;
    int rc = make_dirs(s, b->dir);
    if (rc < 0) return rc;
  }
  s->cached_sec = sec;
  s->cached_bucket = i;
  *out = &s->buckets[i];
  return 0;
}

/* Opens a new part in bucket b of the open transaction t. */
static int open_part(file_sink *s, fs_txn *t, fs_bucket *b, int64_t now_ms) {
  if (t->nparts == t->cap) {
    int cap = t->cap ? 2 * t->cap : 4;
    fs_part *n = sp_realloc(t->parts, sizeof *n * (size_t)cap);
    if (!n) return SPATE_ENOMEM;
    t->parts = n;
    t->cap = cap;
  }
  fs_part *p = &t->parts[t->nparts];
  memset(p, 0, sizeof *p);
  char tail[96];
  snprintf(tail, sizeof tail, "-%s-%d-%llu", s->uuid, s->op->ctx.subtask,
           (unsigned long long)s->next_part);
  p->dir = sp_strdup(b->dir);
  p->name = join(s->prefix, tail, s->suffix, "");
  p->inprogress = p->name ? join(b->dir, "/.", p->name, ".inprogress") : NULL;
  if (!p->dir || !p->name || !p->inprogress) {
    sp_free(p->dir);
    sp_free(p->name);
    sp_free(p->inprogress);
    return SPATE_ENOMEM;
  }
  s->next_part++;
  p->f = fopen(p->inprogress, "wxe");
  if (!p->f) {
    int rc = op_fail(s->op, SPATE_EIO, "cannot create part file '%s': %s", p->inprogress,
                     strerror(errno));
    sp_free(p->dir);
    sp_free(p->name);
    sp_free(p->inprogress);
    return rc;
  }
  t->nparts++; /* from here on abort finds (and deletes) it */
  p->iobuf = sp_malloc(FS_IOBUF);
  if (p->iobuf) setvbuf(p->f, p->iobuf, _IOFBF, FS_IOBUF);
  p->created_ms = p->written_ms = now_ms;
  b->active = t->nparts - 1;
  return 0;
}

static int roll(file_sink *s, fs_txn *t, fs_bucket *b) {
  fs_part *p = &t->parts[b->active];
  b->active = -1;
  return close_part(s, p, true);
}

/* ---- transaction callbacks ------------------------------------------------------------------- */
static int fs_begin(void *self, spate_txn *txn) {
  file_sink *s = self;
  forget_buckets(s); /* none has an open part: the previous transaction was closed */
  fs_txn *t = sp_calloc(1, sizeof *t);
  uint8_t empty[5] = {1, 0, 0, 0, 0}; /* version 1, no parts */
  int rc = t ? spate_txn_set_id(txn, empty, sizeof empty) : SPATE_ENOMEM;
  if (rc < 0) {
    sp_free(t);
    return rc;
  }
  spate_txn_set_handle(txn, t);
  s->cur = t;
  return 0;
}

/* The row of the written fields of row, in s->write_rb. */
static int project_written(file_sink *s, const spate_row *row, spate_row *out) {
  if (row_project(row, s->write_fields, s->nwrite, &s->write_rb, out)) return 0;
  spate_rb_begin(&s->write_rb);
  for (int i = 0; i < s->nwrite; i++) spate_rb_set_field(&s->write_rb, i, row, s->write_fields[i]);
  if (spate_rb_finish(&s->write_rb, out) < 0)
    return op_fail(s->op, SPATE_EINVAL, "file sink: %s", spate_rb_error(&s->write_rb));
  return 0;
}

static int fs_invoke(void *self, spate_txn *txn, int64_t ts, const spate_row *row) {
  file_sink *s = self;
  fs_txn *t = txn->handle;
  int64_t now = op_now(s->op);
  fs_bucket *b = NULL;
  int rc = bucket_for(s, now, row, &b);
  if (rc == 0 && b->active < 0) rc = open_part(s, t, b, now);
  if (rc < 0) return rc;
  fs_part *p = &t->parts[b->active];
  const spate_schema *schema = s->row_schema;
  spate_row written;
  if (s->npart) { /* the fields that are not partition keys */
    rc = project_written(s, row, &written);
    if (rc < 0) return rc;
    row = &written;
    schema = s->write_schema;
  }
  s->line.len = 0;
  fmt_error e;
  rc = s->formatted ? fmt_encode(&s->fmt, schema, row, &s->line, &e)
                    : row_format(&s->line, row, schema);
  if (rc == SPATE_EINVAL && s->formatted)
    return op_fail(s->op, rc, "writing part file '%s': %s", p->inprogress, e.message);
  if (rc == 0) rc = sp_strbuf_append(&s->line, "\n", 1);
  if (rc < 0) return rc;
  if (fwrite(s->line.data, 1, s->line.len, p->f) != s->line.len)
    return op_fail(s->op, SPATE_EIO, "writing part file '%s' failed: %s", p->inprogress,
                   strerror(errno));
  p->size += (int64_t)s->line.len;
  p->written_ms = now;
  return p->size >= s->max_part_size ? roll(s, t, b) : 0;
}

static int fs_pre_commit(void *self, spate_txn *txn) {
  file_sink *s = self;
  fs_txn *t = txn->handle;
  int rc = 0;
  for (int i = 0; rc == 0 && i < t->nparts; i++) rc = close_part(s, &t->parts[i], true);
  /* the in-progress files' directory entries must be as durable as their data */
  for (int i = 0; rc == 0 && i < t->nparts; i++)
    if (i == 0 || strcmp(t->parts[i].dir, t->parts[i - 1].dir) != 0)
      rc = sync_dir(s, t->parts[i].dir);
  if (rc < 0) return rc;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, 1);
  sp_put_u32(&w, (uint32_t)t->nparts);
  for (int i = 0; i < t->nparts; i++) {
    sp_put_str(&w, t->parts[i].dir);
    sp_put_str(&w, t->parts[i].name);
  }
  rc = w.failed ? SPATE_ENOMEM : spate_txn_set_id(txn, w.data, w.len);
  sp_writer_free(&w);
  if (rc < 0) return rc;
  free_txn(t);
  spate_txn_set_handle(txn, NULL);
  s->cur = NULL;
  forget_buckets(s);
  return 0;
}

/* A non-empty string of a part list without NUL bytes, copied (no copy: NULL with the reader
 * failed, or *rc = SPATE_ENOMEM). */
static char *get_name(sp_reader *r, int *rc) {
  uint32_t n;
  const char *p = sp_get_blob(r, &n);
  if (!sp_reader_ok(r)) return NULL;
  if (!p || n == 0 || memchr(p, 0, n)) {
    sp_reader_fail(r, "empty name or NUL byte in a name");
    return NULL;
  }
  char *c = sp_strndup(p, n);
  if (!c) *rc = SPATE_ENOMEM;
  return c;
}

/* Calls fn(s, dir, name) for every part listed in a transaction id, in order. */
static int each_part(file_sink *s, const spate_txn *txn, const char *what,
                     int (*fn)(file_sink *s, const char *dir, const char *name)) {
  sp_reader r;
  sp_reader_init(&r, txn->id, txn->id_len);
  uint8_t version = sp_get_u8(&r);
  uint32_t n = sp_get_u32(&r);
  if (sp_reader_ok(&r) && version != 1) sp_reader_fail(&r, "unknown version");
  if (sp_reader_ok(&r) && n > txn->id_len / 8) sp_reader_fail(&r, "part count too large");
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && sp_reader_ok(&r) && i < n; i++) {
    char *dir = get_name(&r, &rc);
    char *name = dir ? get_name(&r, &rc) : NULL;
    if (name && strchr(name, '/')) sp_reader_fail(&r, "part name with '/'");
    if (name && sp_reader_ok(&r)) rc = fn(s, dir, name);
    sp_free(dir);
    sp_free(name);
  }
  if (rc == 0 && (!sp_reader_ok(&r) || r.pos != txn->id_len))
    rc = op_fail(s->op, SPATE_ECORRUPT, "cannot %s: the transaction's part list is corrupt: %s",
                 what, sp_reader_ok(&r) ? "trailing bytes" : r.error);
  return rc;
}

/* Remembers the partition of bucket directory dir for the committer (once). */
static int note_published(file_sink *s, const char *dir) {
  size_t n = strlen(s->dir);
  if (strncmp(dir, s->dir, n) != 0 || dir[n] != '/' || !dir[n + 1]) return 0; /* not ours */
  const char *part = dir + n + 1;
  for (int i = s->npublished - 1; i >= 0; i--)
    if (strcmp(s->published[i], part) == 0) return 0;
  if (s->npublished == s->pcap) {
    int cap = s->pcap ? 2 * s->pcap : 8;
    char **v = sp_realloc(s->published, sizeof *v * (size_t)cap);
    if (!v) return SPATE_ENOMEM;
    s->published = v;
    s->pcap = cap;
  }
  if (!(s->published[s->npublished] = sp_strdup(part))) return SPATE_ENOMEM;
  s->npublished++;
  return 0;
}

/* Sends the committer the published partitions and the end of checkpoint id (see the top). */
static int send_published(file_sink *s, int64_t id) {
  op_t *op = s->op;
  int rc = 0;
  for (int i = 0; i <= s->npublished && rc == 0; i++) {
    const char *part = i < s->npublished ? s->published[i] : "";
    spate_rb_begin(&op->rb);
    spate_rb_set_bigint(&op->rb, FS_INFO_CHECKPOINT, id);
    spate_rb_set_int(&op->rb, FS_INFO_SUBTASK, op->ctx.subtask);
    spate_rb_set_int(&op->rb, FS_INFO_TASKS, op->ctx.parallelism);
    spate_rb_set_string(&op->rb, FS_INFO_PARTITION, part, strlen(part));
    rc = op_emit_built(op, 0, "file sink (partition commit info)");
  }
  for (int i = 0; i < s->npublished; i++) sp_free(s->published[i]);
  s->npublished = 0;
  if (id == INT64_MAX) s->sent_end = true;
  return rc;
}

static int commit_part(file_sink *s, const char *dir, const char *name) {
  char *from = join(dir, "/.", name, ".inprogress"), *to = join(dir, "/", name, "");
  int rc = 0;
  if (!from || !to) {
    rc = SPATE_ENOMEM;
  } else if (rename(from, to) < 0) {
    struct stat st;
    if (errno != ENOENT)
      rc = op_fail(s->op, SPATE_EIO, "cannot commit part file '%s' as '%s': %s", from, to,
                   strerror(errno));
    else if (stat(to, &st) < 0) /* gone and never finished: data of a checkpoint is lost */
      rc = op_fail(s->op, SPATE_EIO,
                   "cannot commit part file '%s': neither it nor the finished file '%s' exists "
                   "(deleted or moved by someone else?)",
                   from, to);
    /* else: finished already (this is a commit repeated after a failure) */
  }
  sp_free(from);
  sp_free(to);
  return rc == 0 && s->commit ? note_published(s, dir) : rc;
}

/* Syncs the directory of a part unless it is the one synced just before (parts of a bucket are
 * usually adjacent; syncing a directory twice is harmless). */
static int sync_part_dir(file_sink *s, const char *dir, const char *name) {
  if (s->synced && strcmp(s->synced, dir) == 0) return 0;
  sp_free(s->synced);
  s->synced = sp_strdup(dir);
  return s->synced ? sync_dir(s, dir) : SPATE_ENOMEM;
}

static int fs_commit(void *self, spate_txn *txn) {
  file_sink *s = self;
  int rc = each_part(s, txn, "commit", commit_part);
  if (rc == 0) rc = each_part(s, txn, "commit", sync_part_dir); /* the renames are durable */
  sp_free(s->synced);
  s->synced = NULL;
  return rc;
}

static int abort_part(file_sink *s, const char *dir, const char *name) {
  char *path = join(dir, "/.", name, ".inprogress");
  if (!path) return SPATE_ENOMEM;
  int rc = 0;
  if (unlink(path) < 0 && errno != ENOENT)
    rc = op_fail(s->op, SPATE_EIO, "cannot delete aborted part file '%s': %s", path,
                 strerror(errno));
  sp_free(path);
  return rc;
}

static int fs_abort(void *self, spate_txn *txn) {
  file_sink *s = self;
  fs_txn *t = txn->handle;
  if (!t) return each_part(s, txn, "abort", abort_part);
  int rc = 0;
  for (int i = 0; i < t->nparts; i++) {
    close_part(s, &t->parts[i], false);
    int r = abort_part(s, t->parts[i].dir, t->parts[i].name);
    if (rc == 0) rc = r;
  }
  free_txn(t);
  spate_txn_set_handle(txn, NULL);
  if (s->cur == t) {
    s->cur = NULL;
    forget_buckets(s);
  }
  return rc;
}

static const tps_callbacks fs_callbacks = {.begin = fs_begin,
                                           .invoke = fs_invoke,
                                           .pre_commit = fs_pre_commit,
                                           .commit = fs_commit,
                                           .abort = fs_abort};

/* ---- operator -------------------------------------------------------------------------------- */
/* Sets up the partitions of keys (the API checked them against the schema; checked again, as
 * the params are bytes from elsewhere): the key fields and their escaped names, the written
 * fields and their schema. */
static int open_partitions(file_sink *s, const op_str_list *keys) {
  const spate_schema *in = s->row_schema;
  int n = (int)keys->n, nf = in->nfields;
  if (n >= nf)
    return op_fail(s->op, SPATE_ECORRUPT, "file sink: %d partition keys for %d fields", n, nf);
  s->part_fields = sp_calloc((size_t)n, sizeof *s->part_fields);
  s->part_names = sp_calloc((size_t)n, sizeof *s->part_names);
  s->write_fields = sp_calloc((size_t)nf, sizeof *s->write_fields);
  int rc = s->part_fields && s->part_names && s->write_fields ? 0 : SPATE_ENOMEM;
  s->npart = rc == 0 ? n : 0;
  for (int i = 0; rc == 0 && i < n; i++) {
    int f = spate_schema_field_index(in, keys->v[i]);
    if (f < 0)
      rc = op_fail(s->op, SPATE_ECORRUPT, "file sink: partition key '%s' is not a field",
                   keys->v[i]);
    s->part_fields[i] = f;
    sp_strbuf name = {0};
    if (rc == 0) rc = append_escaped(&name, keys->v[i], strlen(keys->v[i]));
    if (rc == 0) rc = sp_strbuf_append(&name, "", 0);
    s->part_names[i] = name.data; /* owned now (freed with the sink) */
  }
  for (int f = 0; rc == 0 && f < nf; f++) {
    bool key = false;
    for (int i = 0; i < n; i++) key = key || s->part_fields[i] == f;
    if (key) continue;
    s->write_fields[s->nwrite++] = f;
  }
  if (rc == 0 && s->nwrite != nf - n)
    rc = op_fail(s->op, SPATE_ECORRUPT, "file sink: a partition key is given twice");
  /* the written fields keep their whole type (precision, scale, length) */
  if (rc == 0 && !(s->write_schema = schema_select(in, s->write_fields, s->nwrite)))
    rc = SPATE_ENOMEM;
  if (rc == 0) rc = rb_init(&s->write_rb, s->write_schema);
  return rc;
}

/* The processing-time check (Flink's bucket check interval): rolls parts past their rollover or
 * inactivity interval, then comes back in a second. */
static int bucket_check(op_t *op, int64_t now) {
  file_sink *s = op->impl;
  if (!s || s->e.ended) return 0;
  fs_txn *t = s->cur;
  for (int i = 0; t && i < s->nbuckets; i++) {
    fs_bucket *b = &s->buckets[i];
    if (b->active < 0) continue;
    const fs_part *p = &t->parts[b->active];
    if (now - p->created_ms >= s->rollover_ms || now - p->written_ms >= s->inactivity_ms) {
      int rc = roll(s, t, b);
      if (rc < 0) return rc;
    }
  }
  return op_schedule(op, now + s->check_ms, bucket_check);
}

static int fs_open(op_t *op) {
  file_sink *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  s->op = op;
  s->cached_bucket = -1;
  tps_init(&s->e, op, &fs_callbacks, s);
  op_file_sink_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_file_sink_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "file sink: bad parameters: %s", err);
  s->dir = op_params_take_str(&p.dir);
  s->max_part_size = p.max_part_size;
  s->rollover_ms = p.rollover_ms;
  s->inactivity_ms = p.inactivity_ms;
  s->format = op_params_take_str(&p.bucket_format);
  s->prefix = op_params_take_str(&p.part_prefix);
  s->suffix = op_params_take_str(&p.part_suffix);
  s->named = op_params_take_schema(&p.schema);
  s->row_schema = op->in_schema;
  if (s->named) {
    bool same = s->named->nfields == op->in_schema->nfields;
    for (int i = 0; same && i < s->named->nfields; i++)
      same = schema_type_equal(&s->named->fields[i], &op->in_schema->fields[i]);
    if (!same) {
      op_file_sink_params_free(&p);
      return op_fail(op, SPATE_ECORRUPT, "file sink: the rows' names do not fit the input");
    }
    s->row_schema = s->named;
  }
  fs_sink_options fo;
  rc = fs_sink_options_parse(&fo, p.options.n, p.options.v, err, sizeof err);
  if (rc < 0) {
    op_file_sink_params_free(&p);
    return op_fail(op, rc, "%s", err);
  }
  if (fo.file_size > 0) s->max_part_size = fo.file_size;
  if (fo.rollover_ms > 0) s->rollover_ms = fo.rollover_ms;
  if (fo.inactivity_ms > 0) s->inactivity_ms = fo.inactivity_ms;
  s->check_ms = fo.check_ms > 0 ? fo.check_ms : FS_CHECK_INTERVAL_MS;
  s->commit = fo.commit && op->node->out_schema;
  fs_sink_options_free(&fo);
  rc = fmt_options_from_list(&s->fmt, p.format.n, p.format.v, err, sizeof err);
  s->formatted = rc == 0;
  if (rc == SPATE_ENOENT)
    rc = 0;
  else if (rc < 0)
    rc = op_fail(op, rc, "file sink: bad format parameters: %s", err);
  if (rc == 0 && p.partition_keys.n) rc = open_partitions(s, &p.partition_keys);
  op_file_sink_params_free(&p);
  if (rc < 0) return rc;
  if (!s->dir || !s->dir[0]) return op_fail(op, SPATE_ECORRUPT, "file sink: no directory");
  if (!s->format && !s->npart && !(s->format = sp_strdup(FS_DEFAULT_BUCKETS))) return SPATE_ENOMEM;
  if (s->format && (!s->format[0] || s->npart)) { /* no time buckets */
    sp_free(s->format);
    s->format = NULL;
  }
  if (!s->prefix && !(s->prefix = sp_strdup("part"))) return SPATE_ENOMEM;
  if (!s->suffix && !(s->suffix = sp_strdup(""))) return SPATE_ENOMEM;
  if (strchr(s->prefix, '/') || strchr(s->suffix, '/'))
    return op_fail(op, SPATE_EINVAL, "file sink: part prefix and suffix must not contain '/'");
  if (s->max_part_size <= 0) s->max_part_size = FS_DEFAULT_PART_SIZE;
  if (s->rollover_ms <= 0) s->rollover_ms = FS_DEFAULT_INTERVAL_MS;
  if (s->inactivity_ms <= 0) s->inactivity_ms = FS_DEFAULT_INTERVAL_MS;
  if (make_uuid(s->uuid) < 0)
    return op_fail(op, SPATE_EIO, "file sink: getrandom failed: %s", strerror(errno));
  rc = make_dirs(s, s->dir);
  if (rc == 0) rc = tps_open(&s->e);
  if (rc == 0) rc = op_schedule(op, op_now(op) + s->check_ms, bucket_check);
  return rc;
}

static int fs_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  file_sink *s = op->impl;
  return tps_invoke(&s->e, ts, row);
}
static int fs_end_input(op_t *op) {
  file_sink *s = op->impl;
  int rc = tps_end_input(&s->e);
  /* everything committed already (no checkpointing, or nothing left for a final checkpoint) */
  if (rc == 0 && s->commit && !op->awaiting_commit) rc = send_published(s, INT64_MAX);
  return rc;
}
static int fs_snapshot(op_t *op, int64_t id, snap_writer *w) {
  return tps_snapshot(&((file_sink *)op->impl)->e, id, w);
}
static int fs_restore(op_t *op, const snap_restore *r) {
  return tps_restore(&((file_sink *)op->impl)->e, r);
}
static int fs_notify_complete(op_t *op, int64_t id) {
  file_sink *s = op->impl;
  int rc = tps_notify_complete(&s->e, id);
  if (rc < 0 || !s->commit || s->sent_end) return rc;
  /* the final checkpoint after the end of input committed the rest: that is the end */
  return send_published(s, s->e.ended && !op->awaiting_commit ? INT64_MAX : id);
}
static int fs_notify_aborted(op_t *op, int64_t id) {
  return tps_notify_aborted(&((file_sink *)op->impl)->e, id);
}

static void fs_close(op_t *op) {
  file_sink *s = op->impl;
  if (!s) return;
  tps_close(&s->e); /* deletes the open transaction's in-progress files */
  forget_buckets(s);
  sp_free(s->buckets);
  sp_strbuf_free(&s->line);
  sp_free(s->dir);
  sp_free(s->format);
  sp_free(s->prefix);
  sp_free(s->suffix);
  for (int i = 0; s->part_names && i < s->npart; i++) sp_free(s->part_names[i]);
  sp_free(s->part_names);
  sp_free(s->part_fields);
  sp_free(s->write_fields);
  if (s->write_schema) {
    rb_destroy(&s->write_rb);
    schema_unref(s->write_schema);
  }
  schema_unref(s->named);
  sp_strbuf_free(&s->path);
  for (int i = 0; i < s->npublished; i++) sp_free(s->published[i]);
  sp_free(s->published);
  sp_free(s);
}

const op_vtable op_sink_file_vt = {.open = fs_open,
                                   .process = fs_process,
                                   .end_input = fs_end_input,
                                   .close = fs_close,
                                   .snapshot = fs_snapshot,
                                   .restore = fs_restore,
                                   .notify_complete = fs_notify_complete,
                                   .notify_aborted = fs_notify_aborted};
