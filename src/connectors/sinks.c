/*
 * sinks.c: print (Flink's PrintSinkFunction format), plain text file, discard and collect sinks.
 *
 * Print and text sinks format a whole line into a reused buffer and append it to an sp_outbuf
 * (base/outbuf.h), which writes whole lines with write(2): lines of parallel subtasks never
 * interleave (print sinks share stdout under one lock), and when user code crashes the
 * process's fatal-signal handler still writes out the lines buffered so far instead of losing
 * them with a stdio buffer. SQL's print connector prints rows as Flink's Row.toString ("+I[1, a]",
 * the row kind read from an updating stream's last field) and may write stderr instead. Print output goes out line by line to a terminal and otherwise in
 * blocks of BUFSIZ, and whenever the task runs out of input (the flush hook, called before it
 * parks): a streaming job's output never waits for more input. Output files are flushed and
 * checked at the end of input: a full disk fails the job instead of losing lines silently.
 *
 * The text sink is Flink's writeAsText, not fault tolerant: a job restarted from a checkpoint
 * does not take back what it wrote (spate_sink_file is the exactly-once file sink). As with
 * Flink's fs.overwrite-files (WriteMode.NO_OVERWRITE by default), it refuses to replace an
 * existing file: the job fails at start naming the path and the key. At parallelism N the path
 * is a directory of files "1".."N"; an existing directory is reused, existing files in it are
 * refused unless overwriting is on.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/outbuf.h"
#include "connectors/collect_live.h"
#include "connectors/collect_remote.h"
#include "connectors/format.h"
#include "connectors/registry.h"
#include "graph/op_params.h"
#include "types/row_kind.h"

#define PRINT_BUF (64 << 10)
#define TEXT_BUF (1 << 20)

/* stdout is one per process: print sinks of all subtasks write it under this lock. */
static pthread_mutex_t stdout_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stderr_lock = PTHREAD_MUTEX_INITIALIZER; /* SQL's 'standard-error' */

typedef struct line_sink {
  sp_strbuf line;
  size_t prefix_len;
  sp_outbuf out;
  int fd;         /* the text sink's file (owned), or -1; print writes fd 1 */
  char *path;     /* the text sink's file, NULL for print */
  bool formatted; /* the text sink writes rows in a format (connectors/format.h) */
  fmt_options fmt;
  bool sql;      /* print: Flink's Row.toString, "+I[1, a]" */
  bool row_kind; /* print (sql): the last field is the row kind, not printed as a value */
} line_sink;

static const char *sink_target(const line_sink *s) { return s->path ? s->path : "stdout"; }

/* A SQL row as Flink's Row.toString: its kind's short string, then the values in brackets,
 * separated by ", ". */
static int sql_row_format(line_sink *s, const spate_row *row, const spate_schema *schema) {
  int n = schema->nfields - (s->row_kind ? 1 : 0);
  int kind = s->row_kind ? spate_row_tinyint(row, n) : ROW_KIND_INSERT;
  int rc = sp_strbuf_append(&s->line, row_kind_short(kind), 2);
  if (rc == 0) rc = sp_strbuf_append(&s->line, "[", 1);
  for (int i = 0; rc == 0 && i < n; i++) {
    if (i) rc = sp_strbuf_append(&s->line, ", ", 2);
    if (rc == 0) rc = row_format_field(&s->line, row, i, schema);
  }
  return rc == 0 ? sp_strbuf_append(&s->line, "]", 1) : rc;
}

static int line_sink_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  line_sink *s = op->impl;
  s->line.len = s->prefix_len;
  fmt_error e;
  int rc = s->formatted ? fmt_encode(&s->fmt, op->in_schema, row, &s->line, &e)
           : s->sql     ? sql_row_format(s, row, op->in_schema)
                        : row_format(&s->line, row, op->in_schema);
  if (rc == SPATE_EINVAL && s->formatted)
    return op_fail(op, rc, "writing %s: %s", sink_target(s), e.message);
  if (rc == 0) rc = sp_strbuf_append(&s->line, "\n", 1);
  if (rc < 0) return rc;
  if (sp_outbuf_write(&s->out, s->line.data, s->line.len) < 0)
    return op_fail(op, SPATE_EIO, "writing %s failed: %s", sink_target(s), strerror(errno));
  return 0;
}

/* The task is about to idle: what is buffered goes out now (Flink's print flushes every line). */
static int line_sink_flush(op_t *op) {
  line_sink *s = op->impl;
  if (atomic_load_explicit(&s->out.len, memory_order_relaxed) == 0) return 0;
  if (sp_outbuf_flush(&s->out) < 0)
    return op_fail(op, SPATE_EIO, "writing %s failed: %s", sink_target(s), strerror(errno));
  return 0;
}

/* End of input: everything written, and for files closed, with errors reported. */
static int line_sink_end(op_t *op) {
  line_sink *s = op->impl;
  int rc = sp_outbuf_flush(&s->out);
  if (rc == 0 && s->fd >= 0) {
    rc = close(s->fd) == 0 ? 0 : SPATE_EIO;
    s->fd = -1;
  }
  if (rc < 0)
    return op_fail(op, SPATE_EIO, "writing %s failed: %s", sink_target(s), strerror(errno));
  return 0;
}

/* Also after a failure or cancellation: what was formatted still goes out (as a stdio buffer
 * would at exit), errors ignored. */
static void line_sink_close(op_t *op) {
  line_sink *s = op->impl;
  if (!s) return;
  if (s->out.data) (void)sp_outbuf_flush(&s->out);
  sp_outbuf_release(&s->out);
  if (s->fd >= 0) close(s->fd);
  sp_strbuf_free(&s->line);
  sp_free(s->path);
  sp_free(s);
  op->impl = NULL;
}

static line_sink *line_sink_new(op_t *op) {
  line_sink *s = sp_calloc(1, sizeof *s);
  if (!s) return NULL;
  s->fd = -1;
  op->impl = s;
  return s;
}

/* ---- print ----------------------------------------------------------------------------------- */
static int print_open(op_t *op) {
  line_sink *s = line_sink_new(op);
  if (!s) return SPATE_ENOMEM;
  op_print_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_print_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  char *id = op_params_take_str(&p.identifier);
  s->sql = p.sql;
  s->row_kind = p.sql && p.row_kind;
  int fd = p.standard_error ? STDERR_FILENO : STDOUT_FILENO;
  op_print_params_free(&p);
  if (s->row_kind &&
      (op->in_schema->nfields < 1 ||
       strcmp(op->in_schema->fields[op->in_schema->nfields - 1].name, ROW_KIND_FIELD_NAME) != 0)) {
    sp_free(id);
    return op_fail(op, SPATE_ECORRUPT, "print sink: the input has no last field %s",
                   ROW_KIND_FIELD_NAME);
  }
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
  rc = sp_outbuf_init(&s->out, fd, PRINT_BUF, isatty(fd) ? 1 : BUFSIZ,
                      fd == STDOUT_FILENO ? &stdout_lock : &stderr_lock);
  if (rc == 0) rc = sp_strbuf_append(&s->line, prefix, s->prefix_len);
  return rc;
}

const op_vtable op_sink_print_vt = {.open = print_open,
                                    .process = line_sink_process,
                                    .end_input = line_sink_end,
                                    .close = line_sink_close,
                                    .flush = line_sink_flush};

/* ---- text file ------------------------------------------------------------------------------- */
static int refuse_existing(op_t *op, const char *path) {
  return op_fail(op, SPATE_EINVAL,
                 "output path '%s' already exists: the text sink does not overwrite existing "
                 "files (fs.overwrite-files is false, Flink's NO_OVERWRITE mode); remove it, "
                 "choose another --output path, or set -D fs.overwrite-files=true",
                 path);
}

/* At parallelism > 1: makes `dir` a directory. An existing directory is reused (its other files
 * stay, as in Flink); an existing file is refused, or replaced when overwriting. */
static int prepare_dir(op_t *op, const char *dir, bool overwrite) {
  for (int tries = 0; tries < 3; tries++) {
    if (mkdir(dir, 0777) == 0) return 0;
    if (errno != EEXIST)
      return op_fail(op, SPATE_EIO, "cannot create output directory '%s': %s", dir,
                     strerror(errno));
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    if (!overwrite) return refuse_existing(op, dir);
    /* another subtask may replace the file at the same time: both may fail here, then see the
     * directory */
    if (unlink(dir) < 0 && errno != ENOENT && errno != EISDIR)
      return op_fail(op, SPATE_EIO, "cannot replace file '%s' by an output directory: %s", dir,
                     strerror(errno));
  }
  return op_fail(op, SPATE_EIO, "cannot create output directory '%s': it keeps changing", dir);
}

static int text_open(op_t *op) {
  line_sink *s = line_sink_new(op);
  if (!s) return SPATE_ENOMEM;
  op_text_sink_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_text_sink_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "text sink: malformed parameters: %s", err);
  char *path = op_params_take_str(&p.path);
  bool overwrite = p.overwrite;
  rc = fmt_options_from_list(&s->fmt, p.format.n, p.format.v, err, sizeof err);
  s->formatted = rc == 0;
  op_text_sink_params_free(&p);
  if (rc < 0 && rc != SPATE_ENOENT) {
    sp_free(path);
    return op_fail(op, rc, "text sink: bad format parameters: %s", err);
  }
  if (!path) return op_fail(op, SPATE_ECORRUPT, "text sink: malformed parameters: no path");
  if (op->ctx.parallelism == 1) {
    s->path = path;
  } else {
    rc = prepare_dir(op, path, overwrite);
    size_t n = strlen(path) + 16;
    s->path = rc == 0 ? sp_malloc(n) : NULL;
    if (s->path) snprintf(s->path, n, "%s/%d", path, op->ctx.subtask + 1);
    sp_free(path);
    if (rc < 0) return rc;
    if (!s->path) return SPATE_ENOMEM;
  }
  struct stat st;
  if (stat(s->path, &st) == 0 && S_ISDIR(st.st_mode))
    return op_fail(op, SPATE_EINVAL, "output path '%s' is a directory%s", s->path,
                   overwrite ? " (fs.overwrite-files replaces files, never directories)" : "");
  /* O_EXCL: a file that appears between the check and here is refused too */
  s->fd = open(s->path, O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL), 0666);
  if (s->fd < 0 && errno == EEXIST) return refuse_existing(op, s->path);
  if (s->fd < 0)
    return op_fail(op, SPATE_EIO, "cannot open output file '%s': %s", s->path, strerror(errno));
  return sp_outbuf_init(&s->out, s->fd, TEXT_BUF, 0, NULL);
}

const op_vtable op_sink_text_vt = {.open = text_open,
                                   .process = line_sink_process,
                                   .end_input = line_sink_end,
                                   .close = line_sink_close,
                                   .flush = line_sink_flush};

/* ---- discard --------------------------------------------------------------------------------- */
static int discard_process(op_t *op, int input, int64_t ts, const spate_row *row) { return 0; }
const op_vtable op_sink_discard_vt = {.process = discard_process};

/* ---- collect ---------------------------------------------------------------------------------
 * Three homes for the rows: the job result (rows), a listener in this process (collect_live.h),
 * or a buffer a client on another host reads (collect_remote.h: sinks named
 * COLLECT_REMOTE_PREFIX...), to which rows go in batches of pending: at 64 KiB, when the task is
 * about to park, and at most REMOTE_LATENCY_MS after a batch's first row. */
#define REMOTE_BATCH 65536
#define REMOTE_LATENCY_MS 100 /* a row waits at most this long, also in a task that never parks */
typedef struct collect_sink {
  sp_writer rows;
  uint32_t count;
  collect_live_fn live; /* a listener in this process takes the rows (collect_live.h) */
  void *live_arg;
  collect_buffer *remote;
  sp_writer pending; /* rows not yet published to remote */
  uint32_t npending;
  bool timer_set; /* a publication of pending is scheduled */
} collect_sink;

static int collect_open(op_t *op) {
  collect_sink *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  sp_writer_init(&s->rows);
  sp_writer_init(&s->pending);
  op->impl = s;
  op_collect_params p;
  char err[SP_ERRMSG_MAX];
  int rc = 0;
  if (op_collect_params_load(op->node, &p, err, sizeof err) == 0 && p.name) {
    if (strncmp(p.name, COLLECT_REMOTE_PREFIX, strlen(COLLECT_REMOTE_PREFIX)) == 0) {
      rc = collect_buffer_open(p.name, &s->remote);
      if (rc == SPATE_EINVAL)
        rc = op_fail(op, rc, "collect sink '%s' is open twice in this process", p.name);
    } else {
      collect_live_find(p.name, &s->live, &s->live_arg);
    }
  }
  op_collect_params_free(&p);
  return rc;
}

static int collect_publish(op_t *op) {
  collect_sink *s = op->impl;
  if (!s->remote || s->npending == 0) return 0;
  int rc =
      collect_buffer_publish(s->remote, s->pending.data, s->pending.len, s->npending, op->cancel);
  s->pending.len = 0;
  s->npending = 0;
  return rc;
}

static int collect_timer(op_t *op, int64_t now_ms) {
  collect_sink *s = op->impl;
  (void)now_ms;
  s->timer_set = false;
  return collect_publish(op);
}

static int collect_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  collect_sink *s = op->impl;
  if (s->live) {
    s->live(s->live_arg, row, op->in_schema);
    return 0;
  }
  if (s->remote) {
    if (s->npending == 0 && !s->timer_set) { /* the batch's first row: publish it in time */
      int rc = op_schedule(op, op_now(op) + REMOTE_LATENCY_MS, collect_timer);
      if (rc < 0) return rc;
      s->timer_set = true;
    }
    sp_put_blob(&s->pending, row->data, row->len);
    s->npending++;
    if (s->pending.failed) return SPATE_ENOMEM;
    return s->pending.len >= REMOTE_BATCH ? collect_publish(op) : 0;
  }
  sp_put_blob(&s->rows, row->data, row->len);
  s->count++;
  return s->rows.failed ? SPATE_ENOMEM : 0;
}

static int collect_flush(op_t *op) { return collect_publish(op); }

static int collect_end(op_t *op) {
  collect_sink *s = op->impl;
  int rc = collect_publish(op);
  if (rc == 0 && s->remote) collect_buffer_end(s->remote);
  return rc;
}

static void collect_report(op_t *op, sp_writer *w) {
  collect_sink *s = op->impl;
  op_collect_params p;
  char err[SP_ERRMSG_MAX];
  op_collect_params_load(op->node, &p, err, sizeof err); /* a name it cannot read is "" */
  sp_put_str(w, p.name ? p.name : "");
  op_collect_params_free(&p);
  sp_put_u32(w, s->count);
  sp_put_bytes(w, s->rows.data, s->rows.len);
}

static void collect_close(op_t *op) {
  collect_sink *s = op->impl;
  if (!s) return;
  collect_buffer_close(s->remote);
  sp_writer_free(&s->rows);
  sp_writer_free(&s->pending);
  sp_free(s);
}

const op_vtable op_sink_collect_vt = {.open = collect_open,
                                      .process = collect_process,
                                      .end_input = collect_end,
                                      .report = collect_report,
                                      .close = collect_close,
                                      .flush = collect_flush};
