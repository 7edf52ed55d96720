/*
 * index_splits.c: splits of a source of indices, and the per-second rate limit (see
 * index_splits.h).
 */
#include "connectors/index_splits.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "spate/spate.h"

int idx_splits_init(idx_splits *s, int64_t count, int64_t last, int subtask, int parallelism) {
  *s = (idx_splits){.count = count, .last = last};
  idx_split sp;
  if (count < 0) {
    sp = (idx_split){subtask, -1, parallelism};
  } else {
    sp = (idx_split){(int64_t)((__int128)count * subtask / parallelism),
                     (int64_t)((__int128)count * (subtask + 1) / parallelism), 1};
    if (sp.next >= sp.end) return 0; /* fewer indices than subtasks: none for this one */
  }
  if (!(s->v = sp_malloc(sizeof *s->v))) return SPATE_ENOMEM;
  s->v[0] = sp;
  s->n = 1;
  return 0;
}

void idx_splits_free(idx_splits *s) {
  sp_free(s->v);
  s->v = NULL;
  s->n = s->cur = 0;
}

void idx_splits_advance(idx_splits *s, int at) {
  idx_split *sp = &s->v[at];
  bool done = __builtin_add_overflow(sp->next, sp->step, &sp->next) || sp->next > s->last ||
              (sp->end >= 0 && sp->next >= sp->end);
  if (done) {
    memmove(&s->v[at], &s->v[at + 1], sizeof *sp * (size_t)(s->n - at - 1));
    s->n--;
    if (s->cur >= s->n) s->cur = 0;
  }
}

void idx_split_put(const idx_split *sp, uint8_t *out) {
  sp_patch_i64(out, sp->next);
  sp_patch_i64(out + 8, sp->end);
  sp_patch_i64(out + 16, sp->step);
}

int idx_splits_reset(idx_splits *s, uint32_t count) {
  idx_splits_free(s);
  if (count == 0) return 0;
  return (s->v = sp_calloc(count, sizeof *s->v)) ? 0 : SPATE_ENOMEM;
}

int idx_splits_restore_one(idx_splits *s, uint32_t i, sp_reader *r, char *err, size_t errlen) {
  idx_split sp;
  sp.next = sp_get_i64(r);
  sp.end = sp_get_i64(r);
  sp.step = sp_get_i64(r);
  if (!sp_reader_ok(r) || sp.step < 1 || sp.next < 0 || sp.next > s->last || sp.end < -1 ||
      (sp.end >= 0 && sp.next > sp.end)) {
    snprintf(err, errlen, "restored split %u is malformed: next %lld, end %lld, step %lld", i,
             (long long)sp.next, (long long)sp.end, (long long)sp.step);
    return SPATE_ECORRUPT;
  }
  if ((sp.end >= 0) != (s->count >= 0) || (s->count >= 0 && sp.end > s->count)) {
    snprintf(err, errlen,
             "restored split %u (next %lld, end %lld) does not fit the source's %lld indices "
             "(-1: unbounded)",
             i, (long long)sp.next, (long long)sp.end, (long long)s->count);
    return SPATE_ESTATE;
  }
  if (sp.end < 0 || sp.next < sp.end) s->v[s->n++] = sp; /* else finished */
  return 0;
}

void rate_limit_init(rate_limit *l, double per_second, int parallelism, int64_t now) {
  *l = (rate_limit){.wake_at = INT64_MIN};
  if (per_second > 0) {
    l->interval_ms = 1000.0 * parallelism / per_second;
    l->next_ms = (double)now;
  }
}

int rate_limit_permits(op_t *op, rate_limit *l, int n, op_timer_fn wake) {
  if (l->interval_ms <= 0 || n <= 0) return n;
  double now = (double)op_now(op);
  if (l->next_ms < now - 1000) l->next_ms = now - 1000; /* catch up at most a second */
  double due = l->next_ms <= now ? (now - l->next_ms) / l->interval_ms + 1 : 0;
  if (due < (double)n) n = (int)due;
  if (n == 0) {
    int64_t at = (int64_t)ceil(l->next_ms);
    if (at != l->wake_at) {
      int rc = op_schedule(op, at, wake);
      if (rc < 0) return op_fail(op, rc, "cannot schedule the rate limiter's timer");
      l->wake_at = at;
    }
  }
  return n;
}
