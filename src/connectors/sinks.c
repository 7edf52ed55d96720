/*
 * sinks.c: print (Flink's PrintSinkFunction format), text file, discard and collect sinks.
 *
 * Print and text sinks format a whole line into a reused buffer and write it with one fwrite, so
 * lines of parallel subtasks never interleave. Output files are flushed and checked at the end of
 * input: a full disk fails the job instead of losing lines silently.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "connectors/registry.h"

typedef struct line_sink {
  sp_strbuf line;
  size_t prefix_len;
  FILE *f;
  char *path;
  char *iobuf;
} line_sink;

static int line_sink_write(op_t *op, line_sink *s, const spate_row *row) {
  s->line.len = s->prefix_len;
  int rc = row_format(&s->line, row, op->in_schema);
  if (rc == 0) rc = strbuf_append(&s->line, "\n", 1);
  if (rc < 0) return rc;
  if (fwrite(s->line.data, 1, s->line.len, s->f) != s->line.len)
    return op_fail(op, SPATE_EIO, "writing %s failed: %s", s->path ? s->path : "stdout",
                   strerror(errno));
  return 0;
}

static void line_sink_close(op_t *op) {
  line_sink *s = op->impl;
  if (!s) return;
  if (s->f && s->f != stdout) fclose(s->f);
  strbuf_free(&s->line);
  sp_free(s->path);
  sp_free(s->iobuf);
  sp_free(s);
}

/* ---- print ----------------------------------------------------------------------------------- */
static int print_open(op_t *op) {
  line_sink *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  s->f = stdout;
  sp_reader r;
  sp_reader_init(&r, op->node->params, op->node->params_len);
  char *id = sp_get_str(&r);
  if (id && !id[0]) { /* an empty identifier is no identifier, as in Flink */
    sp_free(id);
    id = NULL;
  }
  char prefix[256] = "";
  if (id && op->ctx.parallelism > 1)
    snprintf(prefix, sizeof prefix, "%s:%d> ", id, op->ctx.subtask + 1);
  else if (id)
    snprintf(prefix, sizeof prefix, "%s> ", id);
  else if (op->ctx.parallelism > 1)
    snprintf(prefix, sizeof prefix, "%d> ", op->ctx.subtask + 1);
  sp_free(id);
  s->prefix_len = strlen(prefix);
  return strbuf_append(&s->line, prefix, s->prefix_len);
}

static int line_sink_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  return line_sink_write(op, op->impl, row);
}

static int print_end(op_t *op) {
  if (fflush(stdout) != 0) return op_fail(op, SPATE_EIO, "writing stdout failed: %s", strerror(errno));
  return 0;
}

const op_vtable op_sink_print_vt = {
    .open = print_open, .process = line_sink_process, .end_input = print_end, .close = line_sink_close};

/* ---- text file ------------------------------------------------------------------------------- */
static int text_open(op_t *op) {
  line_sink *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  sp_reader r;
  sp_reader_init(&r, op->node->params, op->node->params_len);
  char *path = sp_get_str(&r);
  if (!path) return op_fail(op, SPATE_ECORRUPT, "text sink: no path");
  if (op->ctx.parallelism == 1) {
    s->path = path;
  } else {
    if (mkdir(path, 0777) < 0 && errno != EEXIST) {
      int rc = op_fail(op, SPATE_EIO, "cannot create output directory '%s': %s", path, strerror(errno));
      sp_free(path);
      return rc;
    }
    size_t n = strlen(path) + 16;
    s->path = sp_malloc(n);
    if (s->path) snprintf(s->path, n, "%s/%d", path, op->ctx.subtask + 1);
    sp_free(path);
    if (!s->path) return SPATE_ENOMEM;
  }
  struct stat st;
  if (stat(s->path, &st) == 0 && S_ISDIR(st.st_mode))
    return op_fail(op, SPATE_EINVAL, "output path '%s' is a directory", s->path);
  s->f = fopen(s->path, "w");
  if (!s->f) return op_fail(op, SPATE_EIO, "cannot open output file '%s': %s", s->path, strerror(errno));
  s->iobuf = sp_malloc(1 << 20);
  if (s->iobuf) setvbuf(s->f, s->iobuf, _IOFBF, 1 << 20);
  return 0;
}

static int text_end(op_t *op) {
  line_sink *s = op->impl;
  int bad = fflush(s->f) != 0 || ferror(s->f);
  if (fclose(s->f) != 0) bad = 1;
  s->f = NULL;
  if (bad) return op_fail(op, SPATE_EIO, "writing '%s' failed: %s", s->path, strerror(errno));
  return 0;
}

const op_vtable op_sink_text_vt = {
    .open = text_open, .process = line_sink_process, .end_input = text_end, .close = line_sink_close};

/* ---- discard --------------------------------------------------------------------------------- */
static int discard_process(op_t *op, int input, int64_t ts, const spate_row *row) { return 0; }
const op_vtable op_sink_discard_vt = {.process = discard_process};

/* ---- collect --------------------------------------------------------------------------------- */
typedef struct collect_sink {
  sp_writer rows;
  uint32_t count;
} collect_sink;

static int collect_open(op_t *op) {
  collect_sink *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  sp_writer_init(&s->rows);
  op->impl = s;
  return 0;
}

static int collect_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  collect_sink *s = op->impl;
  sp_put_blob(&s->rows, row->data, row->len);
  s->count++;
  return s->rows.failed ? SPATE_ENOMEM : 0;
}

static void collect_report(op_t *op, sp_writer *w) {
  collect_sink *s = op->impl;
  sp_reader r;
  sp_reader_init(&r, op->node->params, op->node->params_len);
  char *name = sp_get_str(&r);
  sp_put_str(w, name ? name : "");
  sp_free(name);
  sp_put_u32(w, s->count);
  sp_put_bytes(w, s->rows.data, s->rows.len);
}

static void collect_close(op_t *op) {
  collect_sink *s = op->impl;
  if (!s) return;
  sp_writer_free(&s->rows);
  sp_free(s);
}

const op_vtable op_sink_collect_vt = {.open = collect_open,
                                      .process = collect_process,
                                      .report = collect_report,
                                      .close = collect_close};

