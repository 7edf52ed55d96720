/*
 * file_source.c: the file source: lines of files and directories, split among subtasks by byte
 * ranges (line_reader.h), each line one row "f0 STRING", or, with a format, one row of the
 * format's schema (line_decoder.h). With a monitoring interval it reads one directory's files as
 * they appear instead (dir_monitor.h; parallelism 1), waking on the job's clock to list it again.
 *
 * Checkpoints: the position is SPLIT list state "splits", one entry per split this subtask has
 * not read to its end (the one being read and those not begun), each
 *   str path, i64 file size, i64 start, i64 end, i64 resume offset, i64 line number
 * (lr_split_state). A split is named by its file and byte range rather than by a subtask, so
 * the entries can be dealt out to any number of new subtasks; each reads its entries in order
 * and resumes every split at the line after the last one emitted before the checkpoint.
 * A monitoring source keeps list state "monitor" instead, its dir_monitor_visit entries in order:
 *   u8 kind (0 done, 1 queued, 2 being read, 3 a split of the file being read), str name,
 *   and for kind 3 the split as above (without its path: the file is the name's).
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/dir_monitor.h"
#include "connectors/line_decoder.h"
#include "connectors/line_reader.h"
#include "connectors/registry.h"
#include "graph/op_params.h"

#define FILE_STATE "splits"
#define MONITOR_STATE "monitor"

typedef struct file_src {
  line_decoder dec;
  line_reader *lr;  /* files read once */
  dir_monitor *mon; /* or a directory monitored */
  int64_t wake_at;  /* the monitor's timer is set for this time (INT64_MIN: none) */
} file_src;

/* ---- text files ---------------------------------------------------------------------------- */
static int file_open(op_t *op) {
  op_file_source_params p;
  char err[SP_ERRMSG_MAX];
  file_src *fs = sp_calloc(1, sizeof *fs);
  if (!fs) return SPATE_ENOMEM;
  op->impl = fs;
  fs->wake_at = INT64_MIN;
  int rc = op_file_source_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) {
    return op_fail(op, rc, "file source: %s", err);
  } else if (p.paths.n == 0 || (p.monitor_ms > 0 && p.paths.n != 1)) {
    rc = op_fail(op, SPATE_ECORRUPT, "file source: bad paths");
  } else if ((rc = line_decoder_init(op, &fs->dec, &p.format)) < 0) {
  } else if (p.monitor_ms > 0) {
    rc = dir_monitor_open(p.paths.v[0], p.monitor_ms, &fs->mon, err, sizeof err);
    if (rc < 0) rc = op_fail(op, rc, "%s", err);
  } else {
    char msg[512];
    rc = line_reader_open(p.paths.v, (int)p.paths.n, op->ctx.subtask, op->ctx.parallelism, 0,
                          &fs->lr, msg, sizeof msg);
    if (rc < 0) rc = op_fail(op, rc, "%s", msg);
  }
  op_file_source_params_free(&p);
  return rc;
}

static int monitor_wake(op_t *op, int64_t now_ms) { return 0; /* the poll after it reads on */ }

static int monitor_poll(op_t *op, file_src *fs, int budget) {
  while (budget-- > 0) {
    const char *line, *path;
    size_t len;
    int64_t wake_at = 0, line_no, off;
    int rc = dir_monitor_next(fs->mon, op_now(op), &line, &len, &wake_at);
    if (rc < 0) return op_fail(op, rc, "%s", dir_monitor_error(fs->mon));
    if (rc == 0) {
      if (wake_at != fs->wake_at) {
        if ((rc = op_schedule(op, wake_at, monitor_wake)) < 0)
          return op_fail(op, rc, "cannot schedule the directory monitor's timer");
        fs->wake_at = wake_at;
      }
      return SRC_WAIT;
    }
    dir_monitor_last_line(fs->mon, &path, &line_no, &off);
    if ((rc = line_decoder_emit(op, &fs->dec, line, len, path, line_no, off)) < 0) return rc;
  }
  return SRC_MORE;
}

static int file_poll(op_t *op, int budget) {
  file_src *fs = op->impl;
  if (fs->mon) return monitor_poll(op, fs, budget);
  while (budget-- > 0) {
    const char *line, *path;
    size_t len;
    int64_t line_no, off;
    int rc = line_reader_next(fs->lr, &line, &len);
    if (rc == 0) return SRC_END;
    if (rc < 0) return op_fail(op, rc, "%s", line_reader_error(fs->lr));
    line_reader_last_line(fs->lr, &path, &line_no, &off);
    if ((rc = line_decoder_emit(op, &fs->dec, line, len, path, line_no, off)) < 0) return rc;
  }
  return SRC_MORE;
}

static void file_close(op_t *op) {
  file_src *fs = op->impl;
  if (!fs) return;
  if (fs->lr) line_reader_close(fs->lr);
  dir_monitor_close(fs->mon);
  line_decoder_free(&fs->dec);
  sp_free(fs);
  op->impl = NULL;
}

typedef struct file_snap {
  snap_writer *w;
  sp_writer e; /* one entry, reused */
} file_snap;

static int put_split(void *arg, const lr_split_state *s) {
  file_snap *fs = arg;
  fs->e.len = 0;
  sp_put_str(&fs->e, s->path);
  sp_put_i64(&fs->e, s->size);
  sp_put_i64(&fs->e, s->start);
  sp_put_i64(&fs->e, s->end);
  sp_put_i64(&fs->e, s->offset);
  sp_put_i64(&fs->e, s->line_no);
  if (fs->e.failed || fs->e.len > UINT32_MAX) return SPATE_ENOMEM;
  return snap_list_add(fs->w, FILE_STATE, SNAP_SPLIT, fs->e.data, (uint32_t)fs->e.len);
}

/* Decodes one split entry's fields after its path (the path is the caller's). */
static bool get_split(sp_reader *e, lr_split_state *s) {
  s->size = sp_get_i64(e);
  s->start = sp_get_i64(e);
  s->end = sp_get_i64(e);
  s->offset = sp_get_i64(e);
  s->line_no = sp_get_i64(e);
  return sp_reader_ok(e);
}

/* ---- the monitored directory's position ------------------------------------------------------ */
static int put_monitor_entry(void *arg, const dm_entry *d) {
  file_snap *fs = arg;
  fs->e.len = 0;
  sp_put_u8(&fs->e, d->split ? 3 : d->reading ? 2 : d->queued ? 1 : 0);
  sp_put_str(&fs->e, d->name);
  if (d->split) {
    sp_put_i64(&fs->e, d->split->size);
    sp_put_i64(&fs->e, d->split->start);
    sp_put_i64(&fs->e, d->split->end);
    sp_put_i64(&fs->e, d->split->offset);
    sp_put_i64(&fs->e, d->split->line_no);
  }
  if (fs->e.failed || fs->e.len > UINT32_MAX) return SPATE_ENOMEM;
  return snap_list_add(fs->w, MONITOR_STATE, SNAP_SPLIT, fs->e.data, (uint32_t)fs->e.len);
}

static int monitor_snapshot(op_t *op, file_src *src, snap_writer *w) {
  file_snap fs = {.w = w};
  sp_writer_init(&fs.e);
  int rc = dir_monitor_visit(src->mon, put_monitor_entry, &fs);
  sp_writer_free(&fs.e);
  return rc < 0 ? op_fail(op, rc, "cannot snapshot the directory monitor's position") : 0;
}

static int monitor_restore(op_t *op, file_src *src, const snap_restore *r) {
  const snap_list_view *l = snap_restore_list(r, MONITOR_STATE);
  uint32_t n = l ? l->count : 0;
  if (n > INT32_MAX) return op_fail(op, SPATE_ECORRUPT, "%u restored entries", n);
  dm_entry *es = n ? sp_calloc(n, sizeof *es) : NULL;
  lr_split_state *splits = n ? sp_calloc(n, sizeof *splits) : NULL;
  if (n && (!es || !splits)) {
    sp_free(es);
    sp_free(splits);
    return SPATE_ENOMEM;
  }
  int rc = 0;
  for (uint32_t i = 0; i < n && rc == 0; i++) {
    sp_reader e;
    sp_reader_init(&e, l->data[i], l->len[i]);
    uint8_t kind = sp_get_u8(&e);
    uint32_t plen = 0;
    const char *p = sp_get_blob(&e, &plen);
    if (kind == 3) get_split(&e, &splits[i]);
    if (!sp_reader_ok(&e) || e.pos != e.len || kind > 3 || plen == 0 || memchr(p, 0, plen) ||
        memchr(p, '/', plen))
      rc = op_fail(op, SPATE_ECORRUPT, "restored directory entry %u is malformed", i);
    else if (!(es[i].name = sp_strndup(p, plen)))
      rc = SPATE_ENOMEM;
    es[i].queued = kind >= 1;
    es[i].reading = kind == 2;
    es[i].split = kind == 3 ? &splits[i] : NULL;
  }
  if (rc == 0) {
    char msg[512];
    rc = dir_monitor_resume(src->mon, es, (int)n, msg, sizeof msg);
    if (rc < 0) rc = op_fail(op, rc, "%s", msg);
  }
  for (uint32_t i = 0; i < n; i++) sp_free((char *)es[i].name);
  sp_free(es);
  sp_free(splits);
  return rc;
}

static int file_snapshot(op_t *op, int64_t id, snap_writer *w) {
  file_src *src = op->impl;
  if (src->mon) return monitor_snapshot(op, src, w);
  file_snap fs = {.w = w};
  sp_writer_init(&fs.e);
  int rc = line_reader_visit_unfinished(src->lr, put_split, &fs);
  sp_writer_free(&fs.e);
  return rc < 0 ? op_fail(op, rc, "cannot snapshot the file source's splits") : 0;
}

/* Decodes the restored entries and hands them to the reader, which checks them against the
 * inputs. */
static int file_restore(op_t *op, const snap_restore *r) {
  file_src *src = op->impl;
  if (src->mon) return monitor_restore(op, src, r);
  const snap_list_view *l = snap_restore_list(r, FILE_STATE);
  uint32_t n = l ? l->count : 0;
  if (n > INT32_MAX) return op_fail(op, SPATE_ECORRUPT, "%u restored splits", n);
  lr_split_state *splits = n ? sp_calloc(n, sizeof *splits) : NULL;
  if (n && !splits) return SPATE_ENOMEM;
  int rc = 0;
  for (uint32_t i = 0; i < n && rc == 0; i++) {
    sp_reader e;
    sp_reader_init(&e, l->data[i], l->len[i]);
    uint32_t plen = 0;
    const char *p = sp_get_blob(&e, &plen); /* a view: only a copy can fail for memory */
    get_split(&e, &splits[i]);
    if (!sp_reader_ok(&e) || e.pos != e.len || plen == 0 || memchr(p, 0, plen))
      rc = op_fail(op, SPATE_ECORRUPT, "restored split %u is malformed: %s", i,
                   !sp_reader_ok(&e) ? e.error
                   : e.pos != e.len  ? "trailing bytes"
                                     : "bad path");
    else if (!(splits[i].path = sp_strndup(p, plen)))
      rc = SPATE_ENOMEM;
  }
  if (rc == 0) {
    char msg[512];
    rc = line_reader_resume(src->lr, splits, (int)n, msg, sizeof msg);
    if (rc < 0) rc = op_fail(op, rc, "%s", msg);
  }
  for (uint32_t i = 0; i < n; i++) sp_free((char *)splits[i].path);
  sp_free(splits);
  return rc;
}

const op_vtable op_source_file_vt = {.open = file_open,
                                     .poll = file_poll,
                                     .close = file_close,
                                     .snapshot = file_snapshot,
                                     .restore = file_restore};
