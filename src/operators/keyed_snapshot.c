/*
 * keyed_snapshot.c: a keyed operator's snapshot (keyed_snapshot.h): its keyed-state backend and
 * timer queues written as one key-group section each, frozen synchronously and encoded later on
 * the snapshot thread. The section layout and redistribution are state/snapshot.c's; the files
 * are checkpoint/storage*.c's.
 */
#include "operators/keyed_snapshot.h"

#include <string.h>

#include "base/alloc.h"

typedef struct frozen {
  ks_snapshot *ks;
  ks_key_group_range range;
  int ntq;
  sp_writer timers; /* the timers of every group, back to back */
  size_t *tend;     /* per group of the range: end of its timers in `timers` */
} frozen;

/* The empty encoding of a group: no state (u32 0) and no timers (u32 0 per queue). */
static size_t empty_size(int ntq) { return 4 + 4 * (size_t)ntq; }

static int write_group(void *arg, int kg, sp_writer *out) {
  frozen *f = arg;
  size_t start = out->len;
  int rc = ks_snapshot_write_key_group(f->ks, kg, out);
  if (rc < 0) return rc;
  int i = kg - f->range.first;
  size_t from = i ? f->tend[i - 1] : 0;
  if (f->tend[i] > from) /* none without timer queues (keyed reduce): then data is NULL */
    sp_put_bytes(out, f->timers.data + from, f->tend[i] - from);
  if (out->failed) return SPATE_ENOMEM;
  if (out->len - start == empty_size(f->ntq)) out->len = start; /* nothing: left out */
  return 0;
}

static void release(void *arg) {
  frozen *f = arg;
  if (f->ks) ks_snapshot_release(f->ks);
  sp_writer_free(&f->timers);
  sp_free(f->tend);
  sp_free(f);
}

/* Everything now, into the groups' sections. */
static int write_now(op_t *op, int64_t id, ks_backend *b, timer_queue *const *tqs, int ntq,
                     snap_writer *sw) {
  ks_key_group_range range = ks_backend_range(b);
  for (int kg = range.first; kg <= range.last; kg++) {
    sp_writer *s = snap_key_group(sw, kg);
    if (!s) return op_fail(op, SPATE_EINVAL, "key group %d is not in the snapshot's range", kg);
    size_t mark = s->len;
    int rc = ks_write_key_group(b, kg, s);
    if (rc < 0)
      return op_fail(op, rc, "checkpoint %lld: cannot snapshot keyed state: %s", (long long)id,
                     ks_error(b));
    for (int q = 0; rc == 0 && q < ntq; q++) rc = tq_write_key_group(tqs[q], kg, s);
    if (rc == 0 && s->failed) rc = SPATE_ENOMEM;
    if (rc < 0)
      return op_fail(op, rc, "checkpoint %lld: cannot snapshot the timers of key group %d",
                     (long long)id, kg);
    if (s->len - mark == empty_size(ntq)) s->len = mark;
  }
  return 0;
}

int keyed_snapshot_take(op_t *op, int64_t id, ks_backend *b, timer_queue *const *tqs, int ntq,
                        snap_writer *sw) {
  frozen *f = sp_calloc(1, sizeof *f);
  ks_key_group_range range = ks_backend_range(b);
  int n = ks_key_group_range_size(range);
  if (!f || !(f->tend = sp_calloc((size_t)n + 1, sizeof *f->tend))) {
    sp_free(f);
    return op_fail(op, SPATE_ENOMEM, "checkpoint %lld: out of memory", (long long)id);
  }
  f->range = range;
  f->ntq = ntq;
  sp_writer_init(&f->timers);
  int rc = 0;
  for (int kg = range.first; rc == 0 && kg <= range.last; kg++) {
    for (int q = 0; rc == 0 && q < ntq; q++) rc = tq_write_key_group(tqs[q], kg, &f->timers);
    f->tend[kg - range.first] = f->timers.len;
  }
  if (rc == 0 && f->timers.failed) rc = SPATE_ENOMEM;
  if (rc == 0) rc = ks_snapshot_begin(b, &f->ks);
  if (rc == SPATE_ESTATE) { /* frozen for an earlier checkpoint still being written */
    release(f);
    return write_now(op, id, b, tqs, ntq, sw);
  }
  if (rc == 0) rc = snap_defer_key_groups(sw, write_group, f, release);
  if (rc < 0) {
    release(f);
    return op_fail(op, rc, "checkpoint %lld: cannot snapshot keyed state: %s", (long long)id,
                   spate_strerror(rc));
  }
  return 0;
}

int keyed_snapshot_restore(op_t *op, ks_backend *b, timer_queue *const *tqs, int ntq,
                           const snap_restore *r) {
  ks_key_group_range range = ks_backend_range(b);
  int maxp = ks_backend_max_parallelism(b);
  if (r->max_parallelism != maxp || r->range.first != range.first || r->range.last != range.last)
    return op_fail(op, SPATE_ESTATE,
                   "restore: the state is for key groups [%d, %d] of %d, this subtask owns "
                   "[%d, %d] of %d",
                   r->range.first, r->range.last, r->max_parallelism, range.first, range.last,
                   maxp);
  for (int i = 0; i < r->nkg; i++) {
    const snap_kg_view *v = &r->kgs[i];
    if (!ks_key_group_range_contains(range, v->kg))
      return op_fail(op, SPATE_ECORRUPT, "restored key group %d is outside the range %d..%d", v->kg,
                     range.first, range.last);
    sp_reader rd;
    sp_reader_init(&rd, v->data, v->len);
    int rc = ks_read_key_group(b, v->kg, &rd);
    if (rc < 0) return op_fail(op, rc, "restore: key group %d: %s", v->kg, ks_error(b));
    for (int q = 0; q < ntq; q++)
      if ((rc = tq_read_key_group(tqs[q], v->kg, &rd)) < 0)
        return op_fail(op, rc, "restore: timers of key group %d: %s", v->kg,
                       sp_reader_ok(&rd) ? spate_strerror(rc) : rd.error);
    if (rd.pos != rd.len)
      return op_fail(op, SPATE_ECORRUPT,
                     "restore: key group %d has %zu unexpected bytes at offset %zu", v->kg,
                     rd.len - rd.pos, rd.pos);
  }
  return 0;
}
