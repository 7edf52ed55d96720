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
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
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

/* Indices next, next + step, ... below end; end < 0: unbounded. */
typedef struct range_split {
  int64_t next, end, step;
} range_split;

typedef struct range_src {
  int64_t count;       /* indices 0..count-1; < 0: unbounded */
  int64_t from;        /* sequence: value of index 0 */
  range_split *splits; /* unfinished splits of this subtask, in polling order */
  int nsplits;
  int cur; /* the split polled next */
  /* generator rate limits of this subtask (Flink's RateLimiter), not checkpointed (a restored
   * source starts a fresh cycle, as Flink's) */
  double interval_ms; /* per second: ms from one record to the next (0: no limit) */
  double next_ms;     /* per second: when the next record may go, on the task's clock */
  int64_t wake_at;    /* per second: the timer set to poll again (INT64_MIN: none) */
  int64_t per_ckpt;   /* per checkpoint: records per cycle (0: no gate) */
  int64_t left;       /* per checkpoint: records left in this cycle */
} range_src;

static void range_free(op_t *op) {
  range_src *s = op->impl;
  if (s) sp_free(s->splits);
  sp_free(s);
}

/* The split of this subtask at the first start. */
static int range_init(op_t *op, range_src *s, int64_t count) {
  int p = op->ctx.parallelism, i = op->ctx.subtask;
  s->count = count;
  range_split sp;
  if (count < 0) {
    sp = (range_split){i, -1, p};
  } else {
    sp = (range_split){(int64_t)((__int128)count * i / p), (int64_t)((__int128)count * (i + 1) / p),
                       1};
    if (sp.next >= sp.end) return 0; /* fewer indices than subtasks: none for this one */
  }
  if (!(s->splits = sp_malloc(sizeof *s->splits))) return SPATE_ENOMEM;
  s->splits[0] = sp;
  s->nsplits = 1;
  return 0;
}

/* Takes the next index of split `at`, dropping the split once it has none left. */
static int64_t range_take(range_src *s, int at) {
  range_split *sp = &s->splits[at];
  int64_t index = sp->next;
  bool done = __builtin_add_overflow(sp->next, sp->step, &sp->next) ||
              (sp->end >= 0 && sp->next >= sp->end);
  if (done) {
    memmove(&s->splits[at], &s->splits[at + 1], sizeof *sp * (size_t)(s->nsplits - at - 1));
    s->nsplits--;
    if (s->cur >= s->nsplits) s->cur = 0;
  }
  return index;
}

typedef int (*range_emit_fn)(op_t *op, range_src *s, int64_t index);

/* Emits up to budget indices: bounded splits one after the other, unbounded ones in turn (up to
 * budget from one per poll). */
static int range_poll(op_t *op, int budget, range_emit_fn emit) {
  range_src *s = op->impl;
  if (s->nsplits == 0) return SRC_END;
  int at = s->count >= 0 ? 0 : s->cur;
  int before = s->nsplits;
  while (budget-- > 0 && s->nsplits == before) {
    int rc = emit(op, s, range_take(s, at));
    if (rc < 0) return rc;
  }
  if (s->nsplits == before) s->cur = (at + 1) % s->nsplits; /* else the next one moved to at */
  return s->nsplits ? SRC_MORE : SRC_END;
}

static int range_snapshot(op_t *op, int64_t id, snap_writer *w) {
  range_src *s = op->impl;
  for (int i = 0; i < s->nsplits; i++) {
    uint8_t e[24];
    sp_patch_i64(e, s->splits[i].next);
    sp_patch_i64(e + 8, s->splits[i].end);
    sp_patch_i64(e + 16, s->splits[i].step);
    int rc = snap_list_add(w, RANGE_STATE, SNAP_SPLIT, e, sizeof e);
    if (rc < 0) return op_fail(op, rc, "cannot snapshot the source's splits");
  }
  return 0;
}

/* Replaces the subtask's splits with the restored ones, checking each against the source. */
static int range_restore(op_t *op, const snap_restore *r) {
  range_src *s = op->impl;
  const snap_list_view *l = snap_restore_list(r, RANGE_STATE);
  sp_free(s->splits);
  s->splits = NULL;
  s->nsplits = s->cur = 0;
  if (!l || l->count == 0) return 0;
  if (!(s->splits = sp_calloc(l->count, sizeof *s->splits))) return SPATE_ENOMEM;
  for (uint32_t i = 0; i < l->count; i++) {
    if (l->len[i] != 24)
      return op_fail(op, SPATE_ECORRUPT, "restored split %u is %u bytes long, expected 24", i,
                     l->len[i]);
    sp_reader e;
    sp_reader_init(&e, l->data[i], l->len[i]);
    range_split sp;
    sp.next = sp_get_i64(&e);
    sp.end = sp_get_i64(&e);
    sp.step = sp_get_i64(&e);
    if (sp.step < 1 || sp.next < 0 || sp.end < -1 || (sp.end >= 0 && sp.next > sp.end))
      return op_fail(op, SPATE_ECORRUPT,
                     "restored split %u is malformed: next %lld, end %lld, step %lld", i,
                     (long long)sp.next, (long long)sp.end, (long long)sp.step);
    if ((sp.end >= 0) != (s->count >= 0) || (s->count >= 0 && sp.end > s->count))
      return op_fail(op, SPATE_ESTATE,
                     "restored split %u (next %lld, end %lld) does not fit the source's %lld "
                     "indices (-1: unbounded)",
                     i, (long long)sp.next, (long long)sp.end, (long long)s->count);
    if (sp.end >= 0 && sp.next == sp.end) continue; /* finished */
    s->splits[s->nsplits++] = sp;
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
  if (rate > 0) {
    s->interval_ms = 1000.0 * p / rate;
    s->next_ms = (double)op_now(op);
    s->wake_at = INT64_MIN;
  }
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
  s->next_ms += s->interval_ms;
  s->left--;
  return op_emit_built(op, INT64_MIN, "generator function");
}

/* The rate limiter's timer: only wakes the task so that it polls again. */
static int generator_wake(op_t *op, int64_t now) {
  ((range_src *)op->impl)->wake_at = INT64_MIN;
  return 0;
}

/* How many of `budget` records the rate limits let through now (0: wait; a per-second limit
 * then sets a timer for the next record, a gate waits for the next completed checkpoint). */
static int permits(op_t *op, range_src *s, int budget) {
  int64_t n = budget;
  if (s->per_ckpt > 0 && s->left < n) n = s->left;
  if (s->interval_ms > 0 && n > 0) {
    double now = (double)op_now(op);
    if (s->next_ms < now - 1000) s->next_ms = now - 1000; /* catch up at most a second */
    double due = s->next_ms <= now ? (now - s->next_ms) / s->interval_ms + 1 : 0;
    if (due < (double)n) n = (int64_t)due;
    if (n == 0) {
      int64_t at = (int64_t)ceil(s->next_ms);
      if (at != s->wake_at) {
        int rc = op_schedule(op, at, generator_wake);
        if (rc < 0) return op_fail(op, rc, "cannot schedule the rate limiter's timer");
        s->wake_at = at;
      }
    }
  }
  return (int)n;
}

static int generator_poll(op_t *op, int budget) {
  range_src *s = op->impl;
  if (s->nsplits == 0) return SRC_END;
  int n = s->interval_ms > 0 || s->per_ckpt > 0 ? permits(op, s, budget) : budget;
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
