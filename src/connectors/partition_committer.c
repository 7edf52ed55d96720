/*
 * partition_committer.c: the file sink's partition committer (OP_PARTITION_COMMIT, Flink's
 * PartitionCommitter), parallelism 1, after the file sink's writers when a partition commit
 * policy is given (connectors/file_sink_options.h).
 *
 * Input: the writers' reports (fs_commit_info_schema): after checkpoint id completed, each
 * writer subtask sends the partitions whose files that completion published, then a row with an
 * empty partition. Every partition received becomes pending (with the processing time it was
 * first received at, for the process-time trigger). When every one of the writer subtasks
 * (their number comes with the rows) has reported id, the pending partitions committable at id
 * are committed and forgotten:
 *   partition-time  the watermark this operator had when it took its snapshot of checkpoint id
 *                   is greater than the partition time (file_sink_options.h) plus the delay
 *   process-time    the delay is 0, or the processing time now is greater than the time the
 *                   partition was first received plus the delay
 *   id INT64_MAX    (the writers' end of input) every pending partition
 * as Flink's PartitionTimeCommitTrigger / ProcTimeCommitTrigger with their predicates. A
 * partition written again after its commit (late data) is pending again and committed again.
 * Committing runs the policies: success-file writes an empty file of the success file name
 * into the partition's directory (replacing one that exists), fsyncs it and the directory.
 *
 * Since a writer reports a checkpoint only after that checkpoint completed and its files were
 * renamed, a partition is committed only when the files of every subtask up to that checkpoint
 * are visible; the watermark of the committer's own snapshot of id is at most the writers'
 * watermarks at their barriers of id (it is their minimum), so every record at or before the
 * watermark is in a transaction of id or earlier.
 *
 * State (operator list PC_STATE_LIST, one entry): u8 version (1), u32 n, n x (str partition,
 * i64 first received), u32 m, m x (i64 checkpoint id, i64 watermark). Which subtasks reported
 * which checkpoint is not kept (as in Flink): after a recovery the writers report the
 * partitions of the transactions they commit again (file_sink.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/dir_sync.h"
#include "base/log.h"
#include "connectors/file_sink_options.h"
#include "connectors/registry.h"
#include "graph/op_params.h"
#include "state/snapshot.h"

#define PC_STATE_LIST "partition-committer.state"

typedef struct pc_pending {
  char *partition;
  int64_t first_ms; /* processing time first received */
} pc_pending;

typedef struct pc_mark {
  int64_t id, wm;
} pc_mark;

/* The subtasks that reported checkpoint id so far. */
typedef struct pc_track {
  int64_t id;
  int tasks, seen;
  uint8_t *done; /* tasks flags */
} pc_track;

typedef struct committer {
  op_t *op;
  op_partition_commit_params p; /* owns dir, the partition keys and the options */
  fs_sink_options o;
  int64_t wm; /* the input watermark */
  int npending, pcap;
  pc_pending *pending;
  int nmarks, mcap;
  pc_mark *marks; /* increasing id */
  int ntracks, tcap;
  pc_track *tracks;
  sp_strbuf path;
} committer;

/* ---- pending partitions ---------------------------------------------------------------------- */
/* Whether a partition is a relative path below the sink's directory: components "k=v" separated
 * by single '/', none "." or "..", no NUL (the writers' are; restored ones are checked). */
static bool partition_ok(const char *p, size_t len) {
  if (len == 0 || memchr(p, 0, len)) return false;
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j < len && p[j] != '/') j++;
    size_t n = j - i;
    if (n == 0 || !memchr(p + i, '=', n) || (n == 1 && p[i] == '.') ||
        (n == 2 && p[i] == '.' && p[i + 1] == '.'))
      return false;
    i = j + 1;
    if (j + 1 == len) return false; /* a trailing '/' */
  }
  return true;
}

static int add_pending(committer *c, const char *partition, size_t len, int64_t first_ms) {
  if (!partition_ok(partition, len))
    return op_fail(c->op, SPATE_ECORRUPT, "partition committer: '%.*s' is not a partition path",
                   (int)(len < 200 ? len : 200), partition);
  for (int i = 0; i < c->npending; i++)
    if (strlen(c->pending[i].partition) == len &&
        memcmp(c->pending[i].partition, partition, len) == 0)
      return 0; /* the first time stays */
  if (c->npending == c->pcap) {
    int cap = c->pcap ? 2 * c->pcap : 16;
    pc_pending *v = sp_realloc(c->pending, sizeof *v * (size_t)cap);
    if (!v) return SPATE_ENOMEM;
    c->pending = v;
    c->pcap = cap;
  }
  char *copy = sp_strndup(partition, len);
  if (!copy) return SPATE_ENOMEM;
  c->pending[c->npending++] = (pc_pending){copy, first_ms};
  return 0;
}

static int add_mark(committer *c, int64_t id, int64_t wm) {
  int at = c->nmarks;
  while (at > 0 && c->marks[at - 1].id >= id) at--;
  if (at < c->nmarks && c->marks[at].id == id) {
    c->marks[at].wm = wm;
    return 0;
  }
  if (c->nmarks == c->mcap) {
    int cap = c->mcap ? 2 * c->mcap : 8;
    pc_mark *v = sp_realloc(c->marks, sizeof *v * (size_t)cap);
    if (!v) return SPATE_ENOMEM;
    c->marks = v;
    c->mcap = cap;
  }
  memmove(&c->marks[at + 1], &c->marks[at], sizeof *c->marks * (size_t)(c->nmarks - at));
  c->marks[at] = (pc_mark){id, wm};
  c->nmarks++;
  return 0;
}

/* ---- policies -------------------------------------------------------------------------------- */
static int sync_dir(committer *c, const char *dir) {
  int e = sp_sync_dir(dir);
  return e ? op_fail(c->op, SPATE_EIO, "cannot sync directory '%s': %s", dir, strerror(e)) : 0;
}

/* success-file: an empty file in the partition's directory, made durable. */
static int write_success_file(committer *c, const char *partition) {
  sp_strbuf *b = &c->path;
  b->len = 0;
  int rc = sp_strbuf_append(b, c->p.dir, strlen(c->p.dir));
  if (rc == 0) rc = sp_strbuf_append(b, "/", 1);
  if (rc == 0) rc = sp_strbuf_append(b, partition, strlen(partition));
  size_t dir_len = b->len;
  if (rc == 0) rc = sp_strbuf_append(b, "/", 1);
  if (rc == 0) rc = sp_strbuf_append(b, c->o.success_name, strlen(c->o.success_name) + 1);
  if (rc < 0) return rc;
  int fd = open(b->data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0 || fsync(fd) < 0) {
    rc = op_fail(c->op, SPATE_EIO, "cannot write the success file '%s' of partition '%s': %s",
                 b->data, partition, strerror(errno));
    if (fd >= 0) close(fd);
    return rc;
  }
  close(fd);
  b->data[dir_len] = 0;
  return sync_dir(c, b->data);
}

static int commit_partition(committer *c, const char *partition) {
  SP_INFO("partition-committer", "committing partition '%s' of '%s'", partition, c->p.dir);
  return c->o.success_file ? write_success_file(c, partition) : 0;
}

/* Commits the pending partitions committable at checkpoint id (see the top). */
static int commit_ready(committer *c, int64_t id) {
  int64_t wm = INT64_MIN;
  bool have_wm = false;
  if (id != INT64_MAX && c->o.trigger == FS_TRIGGER_PARTITION_TIME) {
    int k = 0;
    while (k < c->nmarks && c->marks[k].id < id) k++;
    have_wm = k < c->nmarks && c->marks[k].id == id;
    if (have_wm) {
      wm = c->marks[k].wm;
      k++;
    }
    /* this and older checkpoints are done with */
    memmove(c->marks, &c->marks[k], sizeof *c->marks * (size_t)(c->nmarks - k));
    c->nmarks -= k;
    if (!have_wm) return 0; /* not snapshotted here (cannot happen in a run): wait for the next */
  }
  int64_t now = op_now(c->op);
  int rc = 0, kept = 0;
  char err[SP_ERRMSG_MAX];
  for (int i = 0; i < c->npending; i++) {
    pc_pending *p = &c->pending[i];
    bool ready = id == INT64_MAX;
    if (!ready && c->o.trigger == FS_TRIGGER_PARTITION_TIME && rc == 0) {
      int64_t t;
      rc = fs_partition_time(&c->o, &c->p.partition_keys, p->partition, &t, err, sizeof err);
      if (rc < 0)
        rc = op_fail(c->op, rc, "%s", err);
      else
        ready = t <= INT64_MAX - c->o.delay_ms && wm > t + c->o.delay_ms;
    } else if (!ready && rc == 0) {
      ready = c->o.delay_ms == 0 || now - c->o.delay_ms > p->first_ms;
    }
    if (ready && rc == 0) rc = commit_partition(c, p->partition);
    if (ready && rc == 0) {
      sp_free(p->partition);
    } else {
      c->pending[kept++] = *p;
    }
  }
  c->npending = kept;
  return rc;
}

/* Notes that subtask of tasks reported checkpoint id; commits when all have. */
static int track(committer *c, int64_t id, int subtask, int tasks) {
  if (tasks <= 0 || subtask < 0 || subtask >= tasks)
    return op_fail(c->op, SPATE_ECORRUPT, "partition commit info of subtask %d of %d", subtask,
                   tasks);
  int i = 0;
  while (i < c->ntracks && c->tracks[i].id != id) i++;
  if (i == c->ntracks) {
    if (c->ntracks == c->tcap) {
      int cap = c->tcap ? 2 * c->tcap : 4;
      pc_track *v = sp_realloc(c->tracks, sizeof *v * (size_t)cap);
      if (!v) return SPATE_ENOMEM;
      c->tracks = v;
      c->tcap = cap;
    }
    uint8_t *done = sp_calloc((size_t)tasks, 1);
    if (!done) return SPATE_ENOMEM;
    c->tracks[c->ntracks++] = (pc_track){id, tasks, 0, done};
  }
  pc_track *t = &c->tracks[i];
  if (t->tasks != tasks)
    return op_fail(c->op, SPATE_ECORRUPT,
                   "partition commit info of checkpoint %lld: %d writer subtasks, then %d",
                   (long long)id, t->tasks, tasks);
  if (!t->done[subtask]) {
    t->done[subtask] = 1;
    t->seen++;
  }
  if (t->seen < t->tasks) return 0;
  /* complete: forget this and older checkpoints' reports */
  int kept = 0;
  for (int k = 0; k < c->ntracks; k++) {
    if (c->tracks[k].id <= id)
      sp_free(c->tracks[k].done);
    else
      c->tracks[kept++] = c->tracks[k];
  }
  c->ntracks = kept;
  return commit_ready(c, id);
}

/* ---- operator -------------------------------------------------------------------------------- */
static int pc_open(op_t *op) {
  committer *c = sp_calloc(1, sizeof *c);
  if (!c) return SPATE_ENOMEM;
  op->impl = c;
  c->op = op;
  c->wm = INT64_MIN;
  char err[SP_ERRMSG_MAX];
  int rc = op_partition_commit_params_load(op->node, &c->p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "partition committer: bad parameters: %s", err);
  if (!c->p.dir || !c->p.dir[0] || c->p.partition_keys.n == 0)
    return op_fail(op, SPATE_ECORRUPT, "partition committer: no directory or partition keys");
  rc = fs_sink_options_parse(&c->o, c->p.options.n, c->p.options.v, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  const spate_schema *in = op->in_schema;
  if (!in || in->nfields != 4 || in->fields[FS_INFO_CHECKPOINT].type != SPATE_BIGINT ||
      in->fields[FS_INFO_PARTITION].type != SPATE_STRING)
    return op_fail(op, SPATE_ECORRUPT, "partition committer: its input is not the file sink's");
  return 0;
}

static int pc_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  committer *c = op->impl;
  spate_bytes part = spate_row_string(row, FS_INFO_PARTITION);
  if (part.len > 0) /* a partition; the subtask's report ends with the empty one */
    return add_pending(c, part.ptr, part.len, op_now(op));
  return track(c, spate_row_bigint(row, FS_INFO_CHECKPOINT), spate_row_int(row, FS_INFO_SUBTASK),
               spate_row_int(row, FS_INFO_TASKS));
}

static int pc_watermark(op_t *op, int input, int64_t wm) {
  ((committer *)op->impl)->wm = wm;
  return 0;
}

static int pc_snapshot(op_t *op, int64_t id, snap_writer *w) {
  committer *c = op->impl;
  int rc = add_mark(c, id, c->wm);
  if (rc < 0) return rc;
  sp_writer b;
  sp_writer_init(&b);
  sp_put_u8(&b, 1);
  sp_put_u32(&b, (uint32_t)c->npending);
  for (int i = 0; i < c->npending; i++) {
    sp_put_str(&b, c->pending[i].partition);
    sp_put_i64(&b, c->pending[i].first_ms);
  }
  sp_put_u32(&b, (uint32_t)c->nmarks);
  for (int i = 0; i < c->nmarks; i++) {
    sp_put_i64(&b, c->marks[i].id);
    sp_put_i64(&b, c->marks[i].wm);
  }
  rc = b.failed ? SPATE_ENOMEM
                : snap_list_add(w, PC_STATE_LIST, SNAP_UNION, b.data, (uint32_t)b.len);
  sp_writer_free(&b);
  return rc;
}

static int pc_restore(op_t *op, const snap_restore *r) {
  committer *c = op->impl;
  const snap_list_view *l = snap_restore_list(r, PC_STATE_LIST);
  for (uint32_t e = 0; l && e < l->count; e++) {
    sp_reader rd;
    sp_reader_init(&rd, l->data[e], l->len[e]);
    uint8_t version = sp_get_u8(&rd);
    uint32_t n = sp_get_u32(&rd);
    if (sp_reader_ok(&rd) && version != 1) sp_reader_fail(&rd, "unknown version");
    if (sp_reader_ok(&rd) && n > l->len[e]) sp_reader_fail(&rd, "count too large");
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && sp_reader_ok(&rd) && i < n; i++) {
      uint32_t len;
      const char *part = sp_get_blob(&rd, &len);
      int64_t first = sp_get_i64(&rd);
      if (sp_reader_ok(&rd) && !part) sp_reader_fail(&rd, "no partition");
      if (sp_reader_ok(&rd)) rc = add_pending(c, part, len, first);
    }
    uint32_t m = sp_get_u32(&rd);
    if (sp_reader_ok(&rd) && m > l->len[e]) sp_reader_fail(&rd, "count too large");
    for (uint32_t i = 0; rc == 0 && sp_reader_ok(&rd) && i < m; i++) {
      int64_t id = sp_get_i64(&rd), wm = sp_get_i64(&rd);
      if (sp_reader_ok(&rd)) rc = add_mark(c, id, wm);
    }
    if (rc < 0) return rc;
    if (!sp_reader_ok(&rd) || rd.pos != l->len[e])
      return op_fail(op, SPATE_ECORRUPT, "partition committer: corrupt state entry %u: %s", e,
                     sp_reader_ok(&rd) ? "trailing bytes" : rd.error);
  }
  return 0;
}

static void pc_close(op_t *op) {
  committer *c = op->impl;
  if (!c) return;
  for (int i = 0; i < c->npending; i++) sp_free(c->pending[i].partition);
  sp_free(c->pending);
  sp_free(c->marks);
  for (int i = 0; i < c->ntracks; i++) sp_free(c->tracks[i].done);
  sp_free(c->tracks);
  sp_strbuf_free(&c->path);
  fs_sink_options_free(&c->o);
  op_partition_commit_params_free(&c->p);
  sp_free(c);
  op->impl = NULL;
}

const op_vtable op_partition_commit_vt = {.open = pc_open,
                                          .process = pc_process,
                                          .watermark = pc_watermark,
                                          .close = pc_close,
                                          .snapshot = pc_snapshot,
                                          .restore = pc_restore};
