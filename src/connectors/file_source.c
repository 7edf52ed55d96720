/*
 * file_source.c: the text file source: lines of files and directories, split among subtasks by
 * byte ranges (line_reader.h), one row "f0 STRING" per line.
 *
 * Checkpoints: the position is SPLIT list state "splits", one entry per split this subtask has
 * not read to its end (the one being read and those not begun), each
 *   str path, i64 file size, i64 start, i64 end, i64 resume offset, i64 line number
 * (lr_split_state). A split is named by its file and byte range rather than by a subtask, so
 * the entries can be dealt out to any number of new subtasks; each reads its entries in order
 * and resumes every split at the line after the last one emitted before the checkpoint.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/line_reader.h"
#include "connectors/registry.h"
#include "graph/op_params.h"

#define FILE_STATE "splits"

/* ---- text files ---------------------------------------------------------------------------- */
static int file_open(op_t *op) {
  op_file_source_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_file_source_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) {
    rc = op_fail(op, rc, "file source: %s", err);
  } else if (p.paths.n == 0) {
    rc = op_fail(op, SPATE_ECORRUPT, "file source: no paths");
  } else {
    char msg[512];
    line_reader *lr = NULL;
    rc = line_reader_open(p.paths.v, (int)p.paths.n, op->ctx.subtask, op->ctx.parallelism, 0, &lr,
                          msg, sizeof msg);
    if (rc < 0) rc = op_fail(op, rc, "%s", msg);
    op->impl = lr;
  }
  op_file_source_params_free(&p);
  return rc;
}

static int file_poll(op_t *op, int budget) {
  line_reader *lr = op->impl;
  while (budget-- > 0) {
    const char *line;
    size_t len;
    int rc = line_reader_next(lr, &line, &len);
    if (rc == 0) return SRC_END;
    if (rc < 0) return op_fail(op, rc, "%s", line_reader_error(lr));
    spate_rb_begin(&op->rb);
    spate_rb_set_string(&op->rb, 0, line, len);
    if ((rc = op_emit_built(op, INT64_MIN, "file source")) < 0) return rc;
  }
  return SRC_MORE;
}

static void file_close(op_t *op) {
  if (op->impl) line_reader_close(op->impl);
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

static int file_snapshot(op_t *op, int64_t id, snap_writer *w) {
  file_snap fs = {.w = w};
  sp_writer_init(&fs.e);
  int rc = line_reader_visit_unfinished(op->impl, put_split, &fs);
  sp_writer_free(&fs.e);
  return rc < 0 ? op_fail(op, rc, "cannot snapshot the file source's splits") : 0;
}

/* Decodes the restored entries and hands them to the reader, which checks them against the
 * inputs. */
static int file_restore(op_t *op, const snap_restore *r) {
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
    splits[i].size = sp_get_i64(&e);
    splits[i].start = sp_get_i64(&e);
    splits[i].end = sp_get_i64(&e);
    splits[i].offset = sp_get_i64(&e);
    splits[i].line_no = sp_get_i64(&e);
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
    rc = line_reader_resume(op->impl, splits, (int)n, msg, sizeof msg);
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
