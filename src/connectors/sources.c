/*
 * sources.c: the built-in sources that need no outside system: a collection of rows (elements,
 * non-parallel), a number sequence and a user generator (both split into contiguous index ranges
 * per subtask, as Flink's NumberSequenceSource). Each is polled by its task for up to `budget`
 * records at a time, so the task can flush buffers and take mails between batches.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/registry.h"

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

