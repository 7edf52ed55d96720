/*
 * source_operators.c: the built-in sources. Each is polled by its task for up to `budget`
 * records at a time, so the task can flush buffers and take mails between batches. Parallel
 * sources split their input by subtask: sequences and generators into contiguous index ranges
 * (as Flink's NumberSequenceSource), files into byte-range splits (line_reader.h).
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/line_reader.h"
#include "connectors/socket_reader.h"
#include "operators/operator.h"

/* ---- elements ---------------------------------------------------------------------------- */
typedef struct elements_src {
  sp_reader r;
  uint32_t left;
} elements_src;

static int elements_open(op_t *op) {
  elements_src *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  sp_reader_init(&s->r, op->node->params, op->node->params_len);
  s->left = sp_get_u32(&s->r);
  if (op->ctx.subtask != 0) s->left = 0; /* non-parallel: only subtask 0 emits */
  /* check every row once here, so that emitting is a plain walk over trusted bytes */
  sp_reader check = s->r;
  for (uint32_t i = 0; i < s->left && sp_reader_ok(&check); i++) {
    uint32_t len;
    const uint8_t *data = sp_get_blob(&check, &len);
    char msg[200];
    if (data && row_validate(data, len, op->node->out_schema, true, msg, sizeof msg) < 0)
      return op_fail(op, SPATE_ECORRUPT, "element %u: %s", i, msg);
  }
  if (!sp_reader_ok(&check)) return op_fail(op, SPATE_ECORRUPT, "elements: %s", check.error);
  return 0;
}

static int elements_poll(op_t *op, int budget) {
  elements_src *s = op->impl;
  while (s->left && budget-- > 0) {
    uint32_t len;
    const uint8_t *data = sp_get_blob(&s->r, &len);
    spate_row row = {data, len, (uint32_t)op->node->out_schema->nfields};
    s->left--;
    int rc = output_emit(&op->out, INT64_MIN, &row);
    if (rc < 0) return rc;
  }
  return s->left ? SRC_MORE : SRC_END;
}

static void impl_free(op_t *op) { sp_free(op->impl); }

const op_vtable op_source_elements_vt = {
    .open = elements_open, .poll = elements_poll, .close = impl_free};

/* ---- sequence and generator --------------------------------------------------------------- */
typedef struct range_src {
  int64_t next, end, step; /* end < 0 with step: unbounded */
  int64_t from;            /* sequence: value of index 0 */
  bool unbounded;
} range_src;

static void split_range(op_t *op, range_src *s, int64_t count) {
  int p = op->ctx.parallelism, i = op->ctx.subtask;
  if (count < 0) {
    s->unbounded = true;
    s->next = i;
    s->step = p;
    return;
  }
  s->step = 1;
  s->next = (int64_t)((__int128)count * i / p);
  s->end = (int64_t)((__int128)count * (i + 1) / p);
}

static int sequence_open(op_t *op) {
  range_src *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  sp_reader r;
  sp_reader_init(&r, op->node->params, op->node->params_len);
  int64_t from = sp_get_i64(&r), to = sp_get_i64(&r);
  if (!sp_reader_ok(&r)) return op_fail(op, SPATE_ECORRUPT, "sequence: %s", r.error);
  s->from = from;
  /* the count of from..to; (uint64) so that INT64_MIN..INT64_MAX does not overflow, capped */
  uint64_t count = to >= from ? (uint64_t)to - (uint64_t)from + 1 : 0;
  if (count == 0 && to >= from) count = UINT64_MAX; /* the full range wrapped to 0 */
  split_range(op, s, count > INT64_MAX ? INT64_MAX : (int64_t)count);
  return 0;
}

static int sequence_poll(op_t *op, int budget) {
  range_src *s = op->impl;
  while (s->next < s->end && budget-- > 0) {
    spate_rb_begin(&op->rb);
    spate_rb_set_bigint(&op->rb, 0, s->from + s->next);
    s->next++;
    int rc = op_emit_built(op, INT64_MIN, "sequence");
    if (rc < 0) return rc;
  }
  return s->next < s->end ? SRC_MORE : SRC_END;
}

const op_vtable op_source_sequence_vt = {
    .open = sequence_open, .poll = sequence_poll, .close = impl_free};

static int generator_open(op_t *op) {
  range_src *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  sp_reader r;
  sp_reader_init(&r, op->node->params, op->node->params_len);
  int64_t count = sp_get_i64(&r);
  if (!sp_reader_ok(&r)) return op_fail(op, SPATE_ECORRUPT, "generator: %s", r.error);
  split_range(op, s, count);
  return 0;
}

static int generator_poll(op_t *op, int budget) {
  range_src *s = op->impl;
  spate_generator_fn fn = (spate_generator_fn)op->udf;
  while ((s->unbounded || s->next < s->end) && budget-- > 0) {
    if (atomic_load_explicit(op->cancel, memory_order_relaxed)) return SPATE_ECANCELED;
    spate_rb_begin(&op->rb);
    int rc = fn(&op->ctx, s->next, &op->rb);
    if (rc < 0) return op_udf_failed(op, rc, "generator function");
    s->next += s->step;
    if ((rc = op_emit_built(op, INT64_MIN, "generator function")) < 0) return rc;
  }
  return (s->unbounded || s->next < s->end) ? SRC_MORE : SRC_END;
}

const op_vtable op_source_generator_vt = {
    .open = generator_open, .poll = generator_poll, .close = impl_free};

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

/* ---- socket -------------------------------------------------------------------------------- */
static int socket_open(op_t *op) {
  sp_reader r;
  sp_reader_init(&r, op->node->params, op->node->params_len);
  char *host = sp_get_str(&r);
  int32_t port = sp_get_i32(&r);
  int rc;
  if (!sp_reader_ok(&r) || !host) {
    rc = op_fail(op, SPATE_ECORRUPT, "socket source: bad parameters");
  } else {
    char msg[512];
    socket_reader *sr = NULL;
    rc = socket_reader_open(host, port, &sr, msg, sizeof msg);
    if (rc < 0) rc = op_fail(op, rc, "%s", msg);
    op->impl = sr;
  }
  sp_free(host);
  return rc;
}

static int socket_poll(op_t *op, int budget) {
  socket_reader *sr = op->impl;
  int timeout = 50; /* the first read may wait; later ones in the batch take what is there */
  while (budget-- > 0) {
    const char *line;
    size_t len;
    int rc = socket_reader_next(sr, timeout, &line, &len);
    if (rc == 0) return SRC_END;
    if (rc == 2) return SRC_IDLE;
    if (rc < 0) return op_fail(op, rc, "%s", socket_reader_error(sr));
    timeout = 0;
    spate_rb_begin(&op->rb);
    spate_rb_set_string(&op->rb, 0, line, len);
    if ((rc = op_emit_built(op, INT64_MIN, "socket source")) < 0) return rc;
  }
  return SRC_MORE;
}

static void socket_close(op_t *op) {
  if (op->impl) socket_reader_close(op->impl);
}

const op_vtable op_source_socket_vt = {
    .open = socket_open, .poll = socket_poll, .close = socket_close};
