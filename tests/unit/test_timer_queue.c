/*
 * test_timer_queue.c: the key-group partitioned timer queue (state/timer_queue.h): firing in
 * timestamp order across key groups, de-duplication of (timestamp, key, namespace), deletion
 * (also of the earliest timer), timers registered while firing (those due fire in the same
 * advance, as Flink's advanceWatermark loop), callback errors, 100k random timers against a
 * reference sort with deletions and stepwise advances, peek, snapshot per key group and
 * restore into a queue with another range, allocation failures, and the checkpoint encoding
 * of a key group (round trip into another range with other sections after it, every
 * truncation and byte corruption refused or survived without harm, allocation failures while
 * reading).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/hash.h"
#include "state/timer_queue.h"

static int64_t base_alloc;

static int setup(void **state) {
  base_alloc = sp_alloc_current();
  return 0;
}

static int teardown(void **state) {
  sp_alloc_fail_after(0, 0);
  int64_t leaked = sp_alloc_current() - base_alloc;
  if (leaked != 0) fail_msg("%lld bytes still allocated through sp_malloc", (long long)leaked);
  return 0;
}

/* Keys are 8-byte little-endian integers; their key group as the partitioner computes it. */
static int kg_of(int64_t k, int max) { return sp_key_group(sp_java_long_hash(k), max); }

static timer_queue *new_queue(int max, int p, int i) {
  timer_queue *q = NULL;
  assert_int_equal(tq_new(max, ks_key_group_range_for(max, p, i), &q), 0);
  return q;
}

static int reg(timer_queue *q, int max, int64_t ts, int64_t key, const char *ns) {
  return tq_register(q, kg_of(key, max), ts, &key, sizeof key, ns, ns ? (uint32_t)strlen(ns) : 0);
}

/* Records fired timers. */
typedef struct fire_log {
  int64_t ts[256], key[256];
  char ns[256][16];
  int n;
  timer_queue *q; /* for callbacks that register */
  int64_t time;
} fire_log;

static int record(void *arg, const tq_timer_view *t) {
  fire_log *f = arg;
  assert_true(f->n < 256);
  assert_int_equal(t->key_len, 8);
  memcpy(&f->key[f->n], t->key, 8);
  assert_int_equal(t->key_group, kg_of(f->key[f->n], 128));
  f->ts[f->n] = t->timestamp;
  memcpy(f->ns[f->n], t->ns, t->ns_len);
  f->ns[f->n][t->ns_len] = 0;
  f->n++;
  return 0;
}

static void fires_in_timestamp_order(void **state) {
  timer_queue *q = new_queue(128, 1, 0);
  int64_t ts;
  assert_false(tq_peek(q, &ts));
  fire_log f = {0};
  uint64_t n = 99;
  assert_int_equal(tq_advance(q, INT64_MAX, record, &f, &n), 0);
  assert_int_equal(n, 0);

  assert_int_equal(reg(q, 128, 50, 1, NULL), 1);
  assert_int_equal(reg(q, 128, 10, 2, NULL), 1);
  assert_int_equal(reg(q, 128, 30, 3, "w"), 1);
  assert_int_equal(reg(q, 128, 30, 3, NULL), 1); /* other namespace: another timer */
  assert_int_equal(reg(q, 128, -5, 4, NULL), 1);
  assert_int_equal(reg(q, 128, 30, 5, NULL), 1);
  assert_int_equal(tq_size(q), 6);
  assert_true(tq_peek(q, &ts));
  assert_int_equal(ts, -5);

  assert_int_equal(tq_advance(q, 29, record, &f, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(f.ts[0], -5);
  assert_int_equal(f.ts[1], 10);
  assert_int_equal(f.key[1], 2);
  assert_true(tq_peek(q, &ts));
  assert_int_equal(ts, 30);
  /* Timers due at exactly `time` fire; ties go by key bytes, then namespace. */
  assert_int_equal(tq_advance(q, 30, record, &f, &n), 0);
  assert_int_equal(n, 3);
  assert_int_equal(f.key[2], 3);
  assert_string_equal(f.ns[2], "");
  assert_int_equal(f.key[3], 3);
  assert_string_equal(f.ns[3], "w");
  assert_int_equal(f.key[4], 5);
  assert_int_equal(tq_size(q), 1);
  assert_int_equal(tq_advance(q, 1000, record, &f, &n), 0);
  assert_int_equal(f.ts[5], 50);
  assert_int_equal(tq_size(q), 0);
  assert_false(tq_peek(q, &ts));
  tq_free(q);
}

/* Collects fired keys as bytes. */
typedef struct key_log {
  uint8_t key[16][24];
  uint32_t len[16];
  int n;
} key_log;

static int record_key(void *arg, const tq_timer_view *t) {
  key_log *l = arg;
  assert_true(l->n < 16 && t->key_len <= 24);
  memcpy(l->key[l->n], t->key, t->key_len);
  l->len[l->n++] = t->key_len;
  return 0;
}

/* Ties at one timestamp go by key bytes (a key before every longer key it begins), also for
 * keys that differ only past their 16th byte or in trailing zero bytes: the heap compares a
 * copy of the first 16 bytes and must agree with the full comparison. */
static void ties_by_key_bytes_of_any_length(void **state) {
  static const struct {
    const char *bytes;
    uint32_t len;
  } keys[] = {
      {"", 0},
      {"\0", 1},
      {"\0\0", 2},
      {"\0\1", 2},
      {"ab", 2},
      {"ab\0", 3},
      {"ab\0\1", 4},
      {"abcdefghijklmnop", 16},
      {"abcdefghijklmnop\0", 17},
      {"abcdefghijklmnopq", 17},
      {"abcdefghijklmnopr", 17},
      {"abcdefghijklmnopr\0\0", 19},
      {"b", 1},
      {"\xff", 1},
  };
  int nkeys = (int)(sizeof keys / sizeof keys[0]);
  timer_queue *q = new_queue(128, 1, 0);
  for (int i = nkeys - 1; i >= 0; i -= 2) /* out of order, in two groups */
    assert_int_equal(tq_register(q, i % 3, 7, keys[i].bytes, keys[i].len, "w", 1), 1);
  for (int i = nkeys - 2; i >= 0; i -= 2)
    assert_int_equal(tq_register(q, i % 3, 7, keys[i].bytes, keys[i].len, "w", 1), 1);
  key_log l = {0};
  assert_int_equal(tq_advance(q, 7, record_key, &l, NULL), 0);
  assert_int_equal(l.n, nkeys);
  for (int i = 0; i < nkeys; i++) {
    assert_int_equal(l.len[i], keys[i].len);
    assert_memory_equal(l.key[i], keys[i].bytes, keys[i].len);
  }
  tq_free(q);
}

static void dedup_and_delete(void **state) {
  timer_queue *q = new_queue(128, 1, 0);
  assert_int_equal(reg(q, 128, 100, 7, "ns"), 1);
  assert_int_equal(reg(q, 128, 100, 7, "ns"), 0);
  assert_int_equal(reg(q, 128, 101, 7, "ns"), 1);
  assert_int_equal(tq_size(q), 2);
  int64_t k = 7;
  int g = kg_of(7, 128);
  assert_int_equal(tq_contains(q, g, 100, &k, 8, "ns", 2), 1);
  assert_int_equal(tq_contains(q, g, 100, &k, 8, "nt", 2), 0);
  assert_int_equal(tq_key_group_size(q, g), 2);

  /* Deleting the earliest timer moves the head. */
  assert_int_equal(tq_delete(q, g, 100, &k, 8, "ns", 2), 1);
  assert_int_equal(tq_delete(q, g, 100, &k, 8, "ns", 2), 0);
  int64_t ts;
  assert_true(tq_peek(q, &ts));
  assert_int_equal(ts, 101);
  /* Heads move across key groups too. */
  assert_int_equal(reg(q, 128, 5, 8, NULL), 1);
  assert_true(tq_peek(q, &ts));
  assert_int_equal(ts, 5);
  int64_t k8 = 8;
  assert_int_equal(tq_delete(q, kg_of(8, 128), 5, &k8, 8, NULL, 0), 1);
  assert_true(tq_peek(q, &ts));
  assert_int_equal(ts, 101);

  fire_log f = {0};
  uint64_t n;
  assert_int_equal(tq_advance(q, 200, record, &f, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(f.ts[0], 101);
  /* Fired timers are gone: registering again adds. */
  assert_int_equal(reg(q, 128, 101, 7, "ns"), 1);
  /* Key groups outside the range are refused. */
  timer_queue *q2 = new_queue(128, 2, 1);
  assert_int_equal(tq_register(q2, 3, 1, &k, 8, NULL, 0), SPATE_EINVAL);
  assert_int_equal(tq_delete(q2, 3, 1, &k, 8, NULL, 0), SPATE_EINVAL);
  assert_int_equal(tq_register(q2, 64, 1, NULL, 8, NULL, 0), SPATE_EINVAL);
  tq_free(q2);
  tq_free(q);
}

/* Registers follow-up timers while firing: key 1 at ts chains to ts + 5 up to 40, key 2 at 12
 * registers one timer in the past (fires at once) and one beyond the advance. */
static int chain(void *arg, const tq_timer_view *t) {
  fire_log *f = arg;
  record(f, t);
  int64_t k;
  memcpy(&k, t->key, 8);
  if (k == 1 && t->timestamp + 5 <= 40)
    assert_int_equal(reg(f->q, 128, t->timestamp + 5, 1, NULL), 1);
  if (k == 2 && t->timestamp == 12) {
    assert_int_equal(reg(f->q, 128, 3, 9, NULL), 1);
    assert_int_equal(reg(f->q, 128, f->time + 1, 2, NULL), 1);
    /* Deleting a pending timer from inside a callback works too. */
    int64_t k3 = 3;
    assert_int_equal(tq_delete(f->q, kg_of(3, 128), 30, &k3, 8, NULL, 0), 1);
  }
  return 0;
}

static void registration_during_advance(void **state) {
  timer_queue *q = new_queue(128, 1, 0);
  fire_log f = {.q = q, .time = 30};
  assert_int_equal(reg(q, 128, 10, 1, NULL), 1);
  assert_int_equal(reg(q, 128, 12, 2, NULL), 1);
  assert_int_equal(reg(q, 128, 30, 3, NULL), 1);
  uint64_t n;
  assert_int_equal(tq_advance(q, 30, chain, &f, &n), 0);
  /* 10(k1) 12(k2) 3(k9) 15(k1) 20(k1) 25(k1) 30(k1); 35 and 40 are beyond; k3@30 deleted. */
  int64_t want_ts[] = {10, 12, 3, 15, 20, 25, 30};
  int64_t want_key[] = {1, 2, 9, 1, 1, 1, 1};
  assert_int_equal(n, 7);
  assert_int_equal(f.n, 7);
  for (int i = 0; i < 7; i++) {
    assert_int_equal(f.ts[i], want_ts[i]);
    assert_int_equal(f.key[i], want_key[i]);
  }
  int64_t ts;
  assert_true(tq_peek(q, &ts));
  assert_int_equal(ts, 31);        /* k2's timer beyond the advance */
  assert_int_equal(tq_size(q), 2); /* 31(k2), 35(k1) */
  tq_free(q);
}

static int stop_at_second(void *arg, const tq_timer_view *t) {
  int *calls = arg;
  return ++*calls == 2 ? SPATE_EUDF : 0;
}

static void callback_error_stops_advance(void **state) {
  timer_queue *q = new_queue(128, 1, 0);
  for (int64_t k = 0; k < 5; k++) assert_int_equal(reg(q, 128, k, k, NULL), 1);
  int calls = 0;
  uint64_t n;
  assert_int_equal(tq_advance(q, 100, stop_at_second, &calls, &n), SPATE_EUDF);
  assert_int_equal(n, 2);
  assert_int_equal(tq_size(q), 3); /* the failing timer was consumed, the rest remain */
  int64_t ts;
  assert_true(tq_peek(q, &ts));
  assert_int_equal(ts, 2);
  tq_free(q);
}

/* ---------------------------------------------------------------------------------------------
 * 100k random timers against a reference sort. */

typedef struct ref_timer {
  int64_t ts, key;
  int ns; /* 0 = default namespace, else a one-byte namespace */
  int deleted;
} ref_timer;

static int cmp_bytes(const void *a, size_t al, const void *b, size_t bl) {
  size_t n = al < bl ? al : bl;
  int c = n ? memcmp(a, b, n) : 0;
  return c ? c : (al < bl ? -1 : al > bl);
}

static int ref_cmp(const void *pa, const void *pb) {
  const ref_timer *a = pa, *b = pb;
  if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
  int c = memcmp(&a->key, &b->key, 8);
  if (c) return c;
  uint8_t na = (uint8_t)a->ns, nb = (uint8_t)b->ns;
  return cmp_bytes(&na, a->ns ? 1 : 0, &nb, b->ns ? 1 : 0);
}

typedef struct check_ctx {
  ref_timer *ref;
  size_t n, pos;
} check_ctx;

static int check_next(void *arg, const tq_timer_view *t) {
  check_ctx *c = arg;
  while (c->pos < c->n && c->ref[c->pos].deleted) c->pos++;
  assert_true(c->pos < c->n);
  const ref_timer *r = &c->ref[c->pos++];
  int64_t k;
  memcpy(&k, t->key, 8);
  if (t->timestamp != r->ts || k != r->key || t->ns_len != (r->ns ? 1u : 0u))
    fail_msg("fired (%lld, %lld, %u), expected (%lld, %lld, %d)", (long long)t->timestamp,
             (long long)k, t->ns_len, (long long)r->ts, (long long)r->key, r->ns);
  assert_int_equal(t->key_group, kg_of(k, 128));
  return 0;
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void random_timers_against_reference(void **state) {
  enum { N = 100000 };
  timer_queue *q = new_queue(128, 1, 0);
  ref_timer *ref = calloc(N, sizeof *ref);
  size_t n = 0;
  for (int i = 0; i < N; i++) {
    ref_timer t = {(int64_t)(rnd() % 50000) - 1000, (int64_t)(rnd() % 3000), (int)(rnd() % 3), 0};
    uint8_t nsb = (uint8_t)t.ns;
    int rc = tq_register(q, kg_of(t.key, 128), t.ts, &t.key, 8, &nsb, t.ns ? 1 : 0);
    assert_true(rc == 0 || rc == 1);
    if (rc == 1) ref[n++] = t;
  }
  assert_true(n < N); /* some duplicates were folded */
  assert_true(n > N * 9 / 10);
  assert_int_equal(tq_size(q), n);
  qsort(ref, n, sizeof *ref, ref_cmp);
  for (size_t i = 1; i < n; i++) assert_true(ref_cmp(&ref[i - 1], &ref[i]) < 0); /* unique */
  /* Delete every 10th. */
  size_t live = n;
  for (size_t i = 0; i < n; i += 10) {
    uint8_t nsb = (uint8_t)ref[i].ns;
    assert_int_equal(
        tq_delete(q, kg_of(ref[i].key, 128), ref[i].ts, &ref[i].key, 8, &nsb, ref[i].ns ? 1 : 0),
        1);
    ref[i].deleted = 1;
    live--;
  }
  assert_int_equal(tq_size(q), live);
  /* Advance in steps; peek always shows the next reference timer. */
  check_ctx c = {ref, n, 0};
  uint64_t total = 0;
  for (int64_t time = -2000; time <= 50000; time += 997) {
    uint64_t fired;
    assert_int_equal(tq_advance(q, time, check_next, &c, &fired), 0);
    total += fired;
    while (c.pos < n && ref[c.pos].deleted) c.pos++;
    int64_t ts;
    if (c.pos < n) {
      assert_true(tq_peek(q, &ts));
      assert_int_equal(ts, ref[c.pos].ts);
      assert_true(ts > time);
    }
  }
  uint64_t fired;
  assert_int_equal(tq_advance(q, INT64_MAX, check_next, &c, &fired), 0);
  total += fired;
  assert_int_equal(total, live);
  assert_int_equal(tq_size(q), 0);
  free(ref);
  tq_free(q);
}

static int count_visited(void *arg, const tq_timer_view *t) {
  (void)t;
  (*(size_t *)arg)++;
  return 0;
}

/* Deleted timers leave the heap lazily (timer_queue.c): most of the timers deleted in random
 * order (the heaps are rebuilt without them), some deleted ones registered again, the earliest
 * deleted too. Sizes, visits (what a checkpoint writes), peek and the firing order see exactly the
 * live timers, each once. */
static void deleted_timers_never_fire(void **state) {
  enum { N = 20000 };
  timer_queue *q = new_queue(128, 1, 0);
  ref_timer *ref = calloc(N, sizeof *ref);
  size_t n = 0;
  for (int i = 0; i < N; i++) {
    ref_timer t = {(int64_t)(rnd() % 5000), (int64_t)(rnd() % 2000), (int)(rnd() % 2), 0};
    uint8_t nsb = (uint8_t)t.ns;
    if (tq_register(q, kg_of(t.key, 128), t.ts, &t.key, 8, &nsb, t.ns ? 1 : 0) == 1) ref[n++] = t;
  }
  qsort(ref, n, sizeof *ref, ref_cmp);
  size_t live = n;
  for (size_t i = 0; i < n; i++) { /* four in five, the earliest among them */
    if (rnd() % 5 == 0) continue;
    uint8_t nsb = (uint8_t)ref[i].ns;
    assert_int_equal(
        tq_delete(q, kg_of(ref[i].key, 128), ref[i].ts, &ref[i].key, 8, &nsb, ref[i].ns ? 1 : 0),
        1);
    assert_int_equal(
        tq_delete(q, kg_of(ref[i].key, 128), ref[i].ts, &ref[i].key, 8, &nsb, ref[i].ns ? 1 : 0),
        0);
    ref[i].deleted = 1;
    live--;
  }
  for (size_t i = 0; i < n; i += 7) { /* some deleted ones come back */
    if (!ref[i].deleted) continue;
    uint8_t nsb = (uint8_t)ref[i].ns;
    assert_int_equal(
        tq_register(q, kg_of(ref[i].key, 128), ref[i].ts, &ref[i].key, 8, &nsb, ref[i].ns ? 1 : 0),
        1);
    ref[i].deleted = 0;
    live++;
  }
  assert_int_equal(tq_size(q), live);
  size_t in_groups = 0, visited = 0;
  for (int g = 0; g < 128; g++) {
    in_groups += tq_key_group_size(q, g);
    assert_int_equal(tq_visit_key_group(q, g, count_visited, &visited), 0);
  }
  assert_int_equal(in_groups, live);
  assert_int_equal(visited, live);
  size_t first = 0;
  while (ref[first].deleted) first++;
  int64_t ts;
  assert_true(tq_peek(q, &ts));
  assert_int_equal(ts, ref[first].ts);
  check_ctx c = {ref, n, 0};
  uint64_t fired, total = 0;
  for (int64_t time = 0; time < 5000; time += 499) {
    assert_int_equal(tq_advance(q, time, check_next, &c, &fired), 0);
    total += fired;
  }
  assert_int_equal(tq_advance(q, INT64_MAX, check_next, &c, &fired), 0);
  total += fired;
  assert_int_equal(total, live);
  assert_int_equal(tq_size(q), 0);
  assert_false(tq_peek(q, NULL));
  free(ref);
  tq_free(q);
}

/* ---------------------------------------------------------------------------------------------
 * Snapshot and restore. */

typedef struct copy_ctx {
  timer_queue *dst;
  size_t n;
} copy_ctx;

static int copy_timer(void *arg, const tq_timer_view *t) {
  copy_ctx *c = arg;
  int rc = tq_register(c->dst, t->key_group, t->timestamp, t->key, t->key_len, t->ns, t->ns_len);
  assert_int_equal(rc, 1);
  c->n++;
  return 0;
}

static int collect_key_group(void *arg, const tq_timer_view *t) {
  fire_log *f = arg;
  assert_true(f->n < 256);
  memcpy(&f->key[f->n], t->key, 8);
  f->ts[f->n++] = t->timestamp;
  return 0;
}

static void snapshot_and_restore_key_groups(void **state) {
  /* Subtask 1 of 2 owns [64, 127]; subtask 1 of 3 owns [43, 85]: groups 64..85 move. */
  timer_queue *a = new_queue(128, 2, 1);
  timer_queue *b = new_queue(128, 3, 1);
  size_t per_group[128] = {0};
  size_t moved = 0;
  for (int64_t k = 0; k < 2000; k++) {
    int g = kg_of(k, 128);
    if (g < 64) continue;
    for (int64_t t = 0; t < 3; t++) assert_int_equal(reg(a, 128, 1000 - k + t * 7, k, "w"), 1);
    per_group[g] += 3;
    if (g <= 85) moved += 3;
  }
  for (int g = 64; g <= 127; g++) {
    assert_int_equal(tq_key_group_size(a, g), per_group[g]);
    if (g > 85) continue;
    copy_ctx c = {b, 0};
    assert_int_equal(tq_visit_key_group(a, g, copy_timer, &c), 0);
    assert_int_equal(c.n, per_group[g]);
  }
  assert_int_equal(tq_size(b), moved);
  /* Firing order of the moved groups is the same in both queues. */
  for (int g = 86; g <= 127; g++) assert_int_equal(tq_clear_key_group(a, g), 0);
  assert_int_equal(tq_size(a), moved);
  assert_int_equal(tq_key_group_size(a, 100), 0);
  for (int64_t time = -1100; time < 1100; time += 50) {
    fire_log fa = {0}, fb = {0};
    assert_int_equal(tq_advance(a, time, collect_key_group, &fa, NULL), 0);
    assert_int_equal(tq_advance(b, time, collect_key_group, &fb, NULL), 0);
    assert_int_equal(fa.n, fb.n);
    for (int i = 0; i < fa.n; i++) {
      assert_int_equal(fa.ts[i], fb.ts[i]);
      assert_int_equal(fa.key[i], fb.key[i]);
    }
  }
  assert_int_equal(tq_size(a), 0);
  assert_int_equal(tq_size(b), 0);
  /* Clearing a group with timers keeps the rest firing. */
  assert_int_equal(reg(b, 128, 5, 1, NULL),
                   kg_of(1, 128) >= 43 && kg_of(1, 128) <= 85 ? 1 : SPATE_EINVAL);
  assert_int_equal(tq_clear_key_group(b, 200), SPATE_EINVAL);
  tq_free(a);
  tq_free(b);
}

static void allocation_failures(void **state) {
  timer_queue *q = new_queue(128, 1, 0);
  /* Fill past several growth steps of one key group's heap and set, failing each allocation
   * once: the queue stays consistent and nothing leaks. */
  int failures = 0;
  for (int64_t i = 0; i < 200; i++) {
    int64_t k = 42;
    for (int n = 1;; n++) {
      sp_alloc_fail_after(n, 0);
      int rc = tq_register(q, kg_of(k, 128), i, &k, 8, "x", 1);
      sp_alloc_fail_after(0, 0);
      if (rc == 1) break;
      assert_int_equal(rc, SPATE_ENOMEM);
      failures++;
      assert_int_equal(tq_size(q), (size_t)i);
      assert_int_equal(tq_contains(q, kg_of(k, 128), i, &k, 8, "x", 1), 0);
    }
  }
  /* the first slab of timers, and the growth steps of the group's heap and set (12 today) */
  assert_true(failures >= 10);
  fire_log f = {0};
  uint64_t n;
  int64_t ts;
  assert_true(tq_peek(q, &ts));
  assert_int_equal(ts, 0);
  assert_int_equal(tq_advance(q, 99, record, &f, &n), 0);
  assert_int_equal(n, 100);
  for (int i = 0; i < 100; i++) assert_int_equal(f.ts[i], i);
  assert_int_equal(tq_size(q), 100);
  tq_free(q); /* frees the 100 pending timers */
  timer_queue *q2 = NULL;
  sp_alloc_fail_after(2, 0);
  assert_int_equal(tq_new(128, ks_key_group_range_for(128, 1, 0), &q2), SPATE_ENOMEM);
  sp_alloc_fail_after(0, 0);
  assert_null(q2);
}

/* ---------------------------------------------------------------------------------------------
 * Checkpoint encoding (tq_write_key_group / tq_read_key_group). */

/* Records timers of any shape: timestamp, and a hash of key and namespace in key[]. */
static int collect_any(void *arg, const tq_timer_view *t) {
  fire_log *f = arg;
  assert_true(f->n < 256);
  const void *key = t->key_len ? (const void *)t->key : "";
  const void *ns = t->ns_len ? (const void *)t->ns : "";
  f->key[f->n] = (int64_t)(sp_hash64(key, t->key_len) * 31 + sp_hash64(ns, t->ns_len) + t->key_len);
  f->ts[f->n++] = t->timestamp;
  return 0;
}

/* Both queues fire the same timers in the same order, advancing step by step to the end. */
static void fire_all_same(timer_queue *a, timer_queue *b) {
  for (int64_t time = -1100;; time += 50) {
    if (time > 1100) time = INT64_MAX;
    fire_log fa = {0}, fb = {0};
    assert_int_equal(tq_advance(a, time, collect_any, &fa, NULL), 0);
    assert_int_equal(tq_advance(b, time, collect_any, &fb, NULL), 0);
    assert_int_equal(fa.n, fb.n);
    for (int i = 0; i < fa.n; i++) {
      assert_int_equal(fa.ts[i], fb.ts[i]);
      assert_int_equal(fa.key[i], fb.key[i]);
    }
    if (time == INT64_MAX) break;
  }
  assert_int_equal(tq_size(a), 0);
  assert_int_equal(tq_size(b), 0);
}

static void checkpoint_encoding_round_trip(void **state) {
  /* Subtask 1 of 2 owns [64, 127]; subtask 1 of 3 owns [43, 85]: groups 64..85 move. */
  timer_queue *a = new_queue(128, 2, 1);
  timer_queue *b = new_queue(128, 3, 1);
  size_t moved = 0;
  for (int64_t k = 0; k < 2000; k++) {
    int g = kg_of(k, 128);
    if (g < 64) continue;
    for (int64_t t = 0; t < 3; t++)
      assert_int_equal(reg(a, 128, 1000 - k + t * 7, k, t ? "w" : NULL), 1);
    if (g <= 85) moved += 3;
  }
  for (int g = 64; g <= 85; g++) {
    /* b holds a timer of its own in the group: a read replaces the group's timers */
    int64_t stale = -1;
    assert_int_equal(tq_register(b, g, -5000, &stale, 8, NULL, 0), 1);
    sp_writer w;
    sp_writer_init(&w);
    sp_put_u32(&w, 0xAB); /* sections before and after: the encoding delimits itself */
    assert_int_equal(tq_write_key_group(a, g, &w), 0);
    sp_put_u32(&w, 0xCD);
    assert_false(w.failed);
    sp_reader r;
    sp_reader_init(&r, w.data, w.len);
    assert_int_equal(sp_get_u32(&r), 0xAB);
    assert_int_equal(tq_read_key_group(b, g, &r), 0);
    assert_int_equal(sp_get_u32(&r), 0xCD);
    assert_true(sp_reader_ok(&r));
    assert_int_equal(r.pos, r.len);
    assert_int_equal(tq_key_group_size(b, g), tq_key_group_size(a, g));
    assert_int_equal(tq_contains(b, g, -5000, &stale, 8, NULL, 0), 0);
    sp_writer_free(&w);
  }
  assert_int_equal(tq_size(b), moved);
  for (int g = 86; g <= 127; g++) assert_int_equal(tq_clear_key_group(a, g), 0);
  fire_all_same(a, b);
  assert_int_equal(tq_size(b), 0);
  /* An empty group is a count of zero; groups outside the range are refused. */
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(tq_write_key_group(a, 64, &w), 0);
  assert_int_equal(w.len, 4);
  sp_reader r;
  sp_reader_init(&r, w.data, w.len);
  assert_int_equal(tq_read_key_group(b, 20, &r), SPATE_EINVAL);
  assert_int_equal(tq_write_key_group(b, 20, &w), SPATE_EINVAL);
  sp_writer_free(&w);
  tq_free(a);
  tq_free(b);
}

/* One key group with timers of several shapes (empty key, empty namespace, long namespace). */
static void corrupt_fixture(timer_queue *q, int g) {
  static const char longns[] = "a namespace longer than the sixteen bytes of a window";
  int64_t k = 7;
  assert_int_equal(tq_register(q, g, 5, &k, 8, "w1", 2), 1);
  assert_int_equal(tq_register(q, g, -3, NULL, 0, "w2", 2), 1);
  assert_int_equal(tq_register(q, g, INT64_MAX, &k, 8, NULL, 0), 1);
  assert_int_equal(tq_register(q, g, INT64_MIN, &k, 8, longns, sizeof longns - 1), 1);
}

static void checkpoint_corrupt_input(void **state) {
  timer_queue *a = new_queue(128, 1, 0);
  corrupt_fixture(a, 9);
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(tq_write_key_group(a, 9, &w), 0);
  timer_queue *b = new_queue(128, 1, 0);
  int64_t mine = 99;
  assert_int_equal(tq_register(b, 9, 1, &mine, 8, NULL, 0), 1);
  /* Every truncation is refused, naming an offset, and leaves the group as it was. */
  for (size_t len = 0; len < w.len; len++) {
    sp_reader r;
    sp_reader_init(&r, w.data, len);
    assert_int_equal(tq_read_key_group(b, 9, &r), SPATE_ECORRUPT);
    assert_false(sp_reader_ok(&r));
    assert_non_null(strstr(r.error, "offset"));
    assert_int_equal(tq_key_group_size(b, 9), 1);
    assert_int_equal(tq_contains(b, 9, 1, &mine, 8, NULL, 0), 1);
  }
  /* A count no input could hold fails at once. */
  uint8_t huge[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  sp_reader r;
  sp_reader_init(&r, huge, sizeof huge);
  assert_int_equal(tq_read_key_group(b, 9, &r), SPATE_ECORRUPT);
  /* Every byte changed: refused, or read into a consistent queue that fires what it holds. */
  uint8_t *copy = malloc(w.len);
  for (size_t i = 0; i < w.len; i++) {
    for (int flip = 0; flip < 2; flip++) {
      memcpy(copy, w.data, w.len);
      copy[i] = flip ? (uint8_t)(copy[i] + 1) : (uint8_t)~copy[i];
      sp_reader_init(&r, copy, w.len);
      int rc = tq_read_key_group(b, 9, &r);
      assert_true(rc == 0 || rc == SPATE_ECORRUPT);
      if (rc == 0) {
        size_t n = tq_key_group_size(b, 9);
        uint64_t fired = 0;
        assert_int_equal(tq_advance(b, INT64_MAX, collect_any, &(fire_log){0}, &fired), 0);
        assert_true(fired <= n);
        assert_int_equal(tq_size(b), n - fired);
        assert_int_equal(tq_clear_key_group(b, 9), 0);
      }
    }
  }
  free(copy);
  /* Allocation failures while reading leave the group empty, never half restored. */
  int failures = 0;
  for (int n = 1;; n++) {
    sp_reader_init(&r, w.data, w.len);
    sp_alloc_fail_after(n, 0);
    int rc = tq_read_key_group(b, 9, &r);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) break;
    assert_int_equal(rc, SPATE_ENOMEM);
    assert_int_equal(tq_key_group_size(b, 9), 0);
    failures++;
  }
  assert_true(failures >= 2); /* a slab for the new size classes, the heap's growth */
  assert_int_equal(tq_key_group_size(b, 9), 4);
  fire_all_same(a, b);
  sp_writer_free(&w);
  tq_free(a);
  tq_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(fires_in_timestamp_order, setup, teardown),
      cmocka_unit_test_setup_teardown(ties_by_key_bytes_of_any_length, setup, teardown),
      cmocka_unit_test_setup_teardown(dedup_and_delete, setup, teardown),
      cmocka_unit_test_setup_teardown(registration_during_advance, setup, teardown),
      cmocka_unit_test_setup_teardown(callback_error_stops_advance, setup, teardown),
      cmocka_unit_test_setup_teardown(random_timers_against_reference, setup, teardown),
      cmocka_unit_test_setup_teardown(deleted_timers_never_fire, setup, teardown),
      cmocka_unit_test_setup_teardown(snapshot_and_restore_key_groups, setup, teardown),
      cmocka_unit_test_setup_teardown(allocation_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(checkpoint_encoding_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(checkpoint_corrupt_input, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
