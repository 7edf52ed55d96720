/*
 * file_source.c: the text file source: lines of files and directories, split among subtasks by
 * byte ranges (line_reader.h), one row "f0 STRING" per line.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/registry.h"
#include "connectors/line_reader.h"

/* ---- text files ---------------------------------------------------------------------------- */
static int file_open(op_t *op) {
  sp_reader r;
  sp_reader_init(&r, op->node->params, op->node->params_len);
  uint32_t n = sp_get_u32(&r);
  if (n == 0 || n > op->node->params_len) return op_fail(op, SPATE_ECORRUPT, "file source: no paths");
  char **paths = sp_calloc(n, sizeof *paths);
  if (!paths) return SPATE_ENOMEM;
  for (uint32_t i = 0; i < n; i++) paths[i] = sp_get_str(&r);
  int rc = 0;
  if (!sp_reader_ok(&r)) {
    rc = op_fail(op, SPATE_ECORRUPT, "file source: %s", r.error);
  } else {
    char msg[512];
    line_reader *lr = NULL;
    rc = line_reader_open((const char *const *)paths, (int)n, op->ctx.subtask, op->ctx.parallelism,
                          0, &lr, msg, sizeof msg);
    if (rc < 0) rc = op_fail(op, rc, "%s", msg);
    op->impl = lr;
  }
  for (uint32_t i = 0; i < n; i++) sp_free(paths[i]);
  sp_free(paths);
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

const op_vtable op_source_file_vt = {.open = file_open, .poll = file_poll, .close = file_close};

