/*
 * sources.c: the built-in sources that need no outside system: a collection of rows (elements,
 * non-parallel), a number sequence and a user generator. Each is polled by its task for up to
 * `budget` records at a time, so the task can flush buffers and take mails between batches.
 *
 * Checkpoints: every source here is replayable. Its position is SPLIT list state, so a restore
 * resumes right after the last record emitted before the checkpoint, at any parallelism:
 *  - elements: list "next-element", one entry (u32 index of the next row, u32 number of rows)
 *    held by the subtask that emits; a restored subtask without the entry emits nothing.
 *  - sequence and generator: the indices are cut into splits once, at the first start (as
 *    Flink's NumberSequenceSource): a bounded source gives subtask i of p the range
 *    [count * i / p, count * (i + 1) / p), an unbounded generator gives it i, i + p, i + 2p, ...
 *    List "splits" has one entry per unfinished split: i64 next, i64 end (-1: unbounded),
 *    i64 step. After a restore a subtask may own several splits or none (it ends at once); the
 *    splits themselves never change, so every index is emitted exactly once whatever the
 *    parallelism. Bounded splits are read one after the other in index order, so a subtask's
 *    indices still only grow and one watermark generator over them stays right (see
 *    docs/ARCHITECTURE.md on watermarks per split); unbounded ones are served in turn.
 *
 * A generator may be rate limited (Flink's RateLimiterStrategy): per second on the task's clock
 * (a source ahead of its schedule sets a timer and returns SRC_WAIT), or per checkpoint (a gate
 * that each completed checkpoint reopens; the task parks until the notification's mail).
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/index_splits.h"
#include "connectors/registry.h"
#include "graph/op_params.h"

/* ---- elements ---------------------------------------------------------------------------- */
#define ELEMENTS_STATE "next-element"

typedef struct elements_src {
  op_elements_params p; /* the rows: views into the node's params */
  uint32_t count;       /* rows in the collection */
  uint32_t next;        /* index of the next row to emit */
  bool owner;           /* this subtask emits (and keeps the position) */
} elements_src;

static int elements_open(op_t *op) {
  elements_src *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  char err[SP_ERRMSG_MAX];
  int rc = op_elements_params_load(op->node, &s->p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "elements: %s", err);
  s->count = s->p.rows.n;
  s->owner = op->ctx.subtask == 0; /* non-parallel: only subtask 0 emits */
  /* check every row once here, so that emitting is a plain walk over trusted rows */
  for (uint32_t i = 0; i < s->count; i++) {
    char msg[200];
    const op_blob *b = &s->p.rows.v[i];
    if (row_validate(b->data, b->len, op->node->out_schema, true, msg, sizeof msg) < 0)
      return op_fail(op, SPATE_ECORRUPT, "element %u: %s", i, msg);
  }
  return 0;
}

static void elements_close(op_t *op) {
  elements_src *s = op->impl;
  if (s) op_elements_params_free(&s->p);
  sp_free(s);
}

static int elements_poll(op_t *op, int budget) {
  elements_src *s = op->impl;
  while (s->owner && s->next < s->count && budget-- > 0) {
    const op_blob *b = &s->p.rows.v[s->next];
    spate_row row = {b->data, b->len, (uint32_t)op->node->out_schema->nfields};
    s->next++;
    int rc = output_emit(&op->out, INT64_MIN, &row);
    if (rc < 0) return rc;
  }
  return s->owner && s->next < s->count ? SRC_MORE : SRC_END;
}

/* Writes the position, also once every row is out (a restore then emits nothing). */
static int elements_snapshot(op_t *op, int64_t id, snap_writer *w) {
  elements_src *s = op->impl;
  if (!s->owner) return 0;
  uint8_t e[8];
  for (int i = 0; i < 4; i++) {
    e[i] = (uint8_t)(s->next >> (8 * i));
    e[4 + i] = (uint8_t)(s->count >> (8 * i));
  }
  int rc = snap_list_add(w, ELEMENTS_STATE, SNAP_SPLIT, e, sizeof e);
  return rc < 0 ? op_fail(op, rc, "cannot snapshot the collection position") : 0;
}

/* The subtask that gets the position emits from it on; any other emits nothing. */
static int elements_restore(op_t *op, const snap_restore *r) {
  elements_src *s = op->impl;
  const snap_list_view *l = snap_restore_list(r, ELEMENTS_STATE);
  s->owner = false;
  if (!l) return 0;
  if (l->count != 1 || l->len[0] != 8)
    return op_fail(op, SPATE_ECORRUPT,
                   "restored collection position is malformed: %u entries, the first of %u bytes "
                   "(expected one of 8)",
                   l->count, l->count ? l->len[0] : 0);
  sp_reader e;
  sp_reader_init(&e, l->data[0], l->len[0]);
  uint32_t next = sp_get_u32(&e), count = sp_get_u32(&e);
  if (count != s->count)
    return op_fail(op, SPATE_ESTATE,
                   "the collection had %u elements at the checkpoint and has %u now", count,
                   s->count);
  if (next > count)
    return op_fail(op, SPATE_ECORRUPT, "restored collection position %u is past its %u elements",
                   next, count);
  s->next = next;
  s->owner = true;
  return 0;
}

const op_vtable op_source_elements_vt = {.open = elements_open,
                                         .poll = elements_poll,
                                         .close = elements_close,
                                         .snapshot = elements_snapshot,
                                         .restore = elements_restore};

/* ---- sequence and generator --------------------------------------------------------------- */
#define RANGE_STATE "splits"

typedef struct range_src {
  int64_t from; /* sequence: value of index 0 */
  idx_splits splits;
  /* generator rate limits of this subtask (Flink's RateLimiter), not checkpointed (a restored
   * source starts a fresh cycle, as Flink's) */
  rate_limit per_second;
  int64_t per_ckpt; /* per checkpoint: records per cycle (0: no gate) */
  int64_t left;     /* per checkpoint: records left in this cycle */
} range_src;

static void range_free(op_t *op) {
  range_src *s = op->impl;
  if (s) idx_splits_free(&s->splits);
  sp_free(s);
}

/* The split of this subtask at the first start. */
static int range_init(op_t *op, range_src *s, int64_t count) {
  return idx_splits_init(&s->splits, count, INT64_MAX, op->ctx.subtask, op->ctx.parallelism);
}

typedef int (*range_emit_fn)(op_t *op, range_src *s, int64_t index);

/* Emits up to budget indices: bounded splits one after the other, unbounded ones in turn (up to
 * budget from one per poll). */
static int range_poll(op_t *op, int budget, range_emit_fn emit) {
  range_src *s = op->impl;
  idx_splits *sp = &s->splits;
  if (sp->n == 0) return SRC_END;
  int at = idx_splits_at(sp), before = sp->n;
  while (budget-- > 0 && sp->n == before) {
    int64_t index = sp->v[at].next;
    idx_splits_advance(sp, at);
    int rc = emit(op, s, index);
    if (rc < 0) return rc;
  }
  idx_splits_turn(sp, at, before);
  return sp->n ? SRC_MORE : SRC_END;
}

static int range_snapshot(op_t *op, int64_t id, snap_writer *w) {
  range_src *s = op->impl;
  for (int i = 0; i < s->splits.n; i++) {
    uint8_t e[IDX_SPLIT_BYTES];
    idx_split_put(&s->splits.v[i], e);
    int rc = snap_list_add(w, RANGE_STATE, SNAP_SPLIT, e, sizeof e);
    if (rc < 0) return op_fail(op, rc, "cannot snapshot the source's splits");
  }
  return 0;
}

/* Replaces the subtask's splits with the restored ones, checking each against the source. */
static int range_restore(op_t *op, const snap_restore *r) {
  range_src *s = op->impl;
  const snap_list_view *l = snap_restore_list(r, RANGE_STATE);
  if (idx_splits_reset(&s->splits, l ? l->count : 0) < 0) return SPATE_ENOMEM;
  for (uint32_t i = 0; l && i < l->count; i++) {
    if (l->len[i] != IDX_SPLIT_BYTES)
      return op_fail(op, SPATE_ECORRUPT, "restored split %u is %u bytes long, expected %d", i,
                     l->len[i], IDX_SPLIT_BYTES);
    sp_reader e;
    sp_reader_init(&e, l->data[i], l->len[i]);
    char err[SP_ERRMSG_MAX];
    int rc = idx_splits_restore_one(&s->splits, i, &e, err, sizeof err);
    if (rc < 0) return op_fail(op, rc, "%s", err);
  }
  return 0;
}

static int sequence_open(op_t *op) {
  range_src *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  op_sequence_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_sequence_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "sequence: %s", err);
  int64_t from = p.from, to = p.to;
  s->from = from;
  /* the count of from..to; (uint64) so that INT64_MIN..INT64_MAX does not overflow, capped */
  uint64_t count = to >= from ? (uint64_t)to - (uint64_t)from + 1 : 0;
  if (count == 0 && to >= from) count = UINT64_MAX; /* the full range wrapped to 0 */
  return range_init(op, s, count > INT64_MAX ? INT64_MAX : (int64_t)count);
}

static int sequence_emit(op_t *op, range_src *s, int64_t index) {
  spate_rb_begin(&op->rb);
  spate_rb_set_bigint(&op->rb, 0, s->from + index);
  return op_emit_built(op, INT64_MIN, "sequence");
}

static int sequence_poll(op_t *op, int budget) { return range_poll(op, budget, sequence_emit); }

const op_vtable op_source_sequence_vt = {.open = sequence_open,
                                         .poll = sequence_poll,
                                         .close = range_free,
                                         .snapshot = range_snapshot,
                                         .restore = range_restore};

static int generator_open(op_t *op) {
  range_src *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  op_generator_params gp;
  char err[SP_ERRMSG_MAX];
  int rc = op_generator_params_load(op->node, &gp, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "generator parameters are corrupt: %s", err);
  int64_t count = gp.count, per_ckpt = gp.records_per_checkpoint;
  double rate = gp.records_per_second;
  if (!(rate >= 0 && rate <= 1e12) || per_ckpt < 0)
    return op_fail(op, SPATE_ECORRUPT,
                   "generator parameters are corrupt: rate %g, %lld per "
                   "checkpoint",
                   rate, (long long)per_ckpt);
  int p = op->ctx.parallelism;
  rate_limit_init(&s->per_second, rate, p, op_now(op));
  if (per_ckpt > 0 && (s->per_ckpt = s->left = per_ckpt / p) == 0)
    return op_fail(
        op, SPATE_EINVAL,
        "recordsPerCheckpoint (%lld) has to be greater or equal to parallelism (%d). "
        "Either decrease the parallelism or increase the number of recordsPerCheckpoint.",
        (long long)per_ckpt, p);
  return range_init(op, s, count);
}

static int generator_emit(op_t *op, range_src *s, int64_t index) {
  if (atomic_load_explicit(op->cancel, memory_order_relaxed)) return SPATE_ECANCELED;
  spate_rb_begin(&op->rb);
  int rc = ((spate_generator_fn)op->udf)(&op->ctx, index, &op->rb);
  if (rc < 0) return op_udf_failed(op, rc, "generator function");
  rate_limit_took(&s->per_second);
  s->left--;
  return op_emit_built(op, INT64_MIN, "generator function");
}

/* The rate limiter's timer: only wakes the task so that it polls again. */
static int generator_wake(op_t *op, int64_t now) {
  ((range_src *)op->impl)->per_second.wake_at = INT64_MIN;
  return 0;
}

/* How many of `budget` records the rate limits let through now (0: wait; a per-second limit
 * then sets a timer for the next record, a gate waits for the next completed checkpoint). */
static int permits(op_t *op, range_src *s, int budget) {
  int n = budget;
  if (s->per_ckpt > 0 && s->left < n) n = (int)s->left;
  return rate_limit_permits(op, &s->per_second, n, generator_wake);
}

static int generator_poll(op_t *op, int budget) {
  range_src *s = op->impl;
  if (s->splits.n == 0) return SRC_END;
  int n = permits(op, s, budget); /* budget when there is no limit */
  if (n < 0) return n;
  return n == 0 ? SRC_WAIT : range_poll(op, n, generator_emit);
}

/* A completed checkpoint (or savepoint) opens the gate for the next cycle. */
static int generator_notify_complete(op_t *op, int64_t id) {
  range_src *s = op->impl;
  if (s) s->left = s->per_ckpt;
  return 0;
}

const op_vtable op_source_generator_vt = {.open = generator_open,
                                          .poll = generator_poll,
                                          .close = range_free,
                                          .snapshot = range_snapshot,
                                          .restore = range_restore,
                                          .notify_complete = generator_notify_complete};
