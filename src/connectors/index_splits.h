/*
 * index_splits.h: the splits of a source that emits indices 0, 1, 2, ... (sequence, generator,
 * Nexmark), and the per-second rate limit those sources share.
 *
 * Splits are cut once, at a job's first start: a bounded source of `count` indices gives
 * subtask i of p the range [count * i / p, count * (i + 1) / p) with step 1; an unbounded one
 * gives it i, i + p, i + 2p, ... A checkpoint keeps every unfinished split (idx_split_put); a
 * restore at any parallelism hands them out again (idx_splits_restore_one checks each against the
 * source), so every index is emitted exactly once whatever the parallelism.
 */
#ifndef SPATE_CONNECTORS_INDEX_SPLITS_H
#define SPATE_CONNECTORS_INDEX_SPLITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "runtime/operator.h"

/* Indices next, next + step, ... below end; end < 0: unbounded. */
typedef struct idx_split {
  int64_t next, end, step;
} idx_split;

/* The encoded size of a split (idx_split_put, idx_splits_restore_one). */
#define IDX_SPLIT_BYTES 24

typedef struct idx_splits {
  int64_t count; /* indices 0..count-1; < 0: unbounded */
  int64_t last;  /* the highest index the source can emit */
  idx_split *v;  /* unfinished splits of this subtask, in polling order */
  int n;
  int cur; /* the unbounded split polled next (they are served in turn) */
} idx_splits;

/* This subtask's split at the first start (none when there are fewer indices than subtasks).
 * `last` caps unbounded splits; SPATE_ENOMEM. */
int idx_splits_init(idx_splits *s, int64_t count, int64_t last, int subtask, int parallelism);
void idx_splits_free(idx_splits *s);

/* The split to poll now: bounded splits one after the other, unbounded ones in turn. */
static inline int idx_splits_at(const idx_splits *s) { return s->count >= 0 ? 0 : s->cur; }

/* Moves split `at` past its next index, dropping it once it has none left. */
void idx_splits_advance(idx_splits *s, int at);

/* After a poll of split `at` while the subtask had `before` splits: the next poll serves the
 * next unbounded split. */
static inline void idx_splits_turn(idx_splits *s, int at, int before) {
  if (s->n == before && s->n > 0) s->cur = (at + 1) % s->n; /* else the next one moved to at */
}

/* Encodes a split in IDX_SPLIT_BYTES bytes. */
void idx_split_put(const idx_split *sp, uint8_t *out);

/* Drops every split before a restore adds the restored ones (capacity for `count`);
 * SPATE_ENOMEM. */
int idx_splits_reset(idx_splits *s, uint32_t count);

/* Reads restored split number i (written by idx_split_put) and checks it against the source:
 * SPATE_ECORRUPT when it is malformed, SPATE_ESTATE when it does not fit the source's indices,
 * with the reason in err. A finished split is read but not added. Call idx_splits_reset with
 * the number of restored splits first. */
int idx_splits_restore_one(idx_splits *s, uint32_t i, sp_reader *r, char *err, size_t errlen);

/* A per-second rate limit (Flink's RateLimiter): records at most every interval_ms on the
 * task's clock, catching up at most a second. Not checkpointed: a restored source starts a
 * fresh cycle, as Flink's does. */
typedef struct rate_limit {
  double interval_ms; /* ms from one record to the next; 0: no limit */
  double next_ms;     /* when the next record may go */
  int64_t wake_at;    /* the timer set to poll again (INT64_MIN: none) */
} rate_limit;

/* A limit of `per_second` records for this subtask's share (per_second / parallelism). */
void rate_limit_init(rate_limit *l, double per_second, int parallelism, int64_t now);

/* How many of n records may go now. 0: a timer at the next record's time is set with
 * op_schedule, calling wake (which clears wake_at) so that the task polls again; < 0: an
 * error, the operator failed. */
int rate_limit_permits(op_t *op, rate_limit *l, int n, op_timer_fn wake);

/* One record went. */
static inline void rate_limit_took(rate_limit *l) { l->next_ms += l->interval_ms; }

#endif
