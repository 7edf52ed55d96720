/*
 * timer_queue.c: key-group partitioned timer heaps with de-duplication (see timer_queue.h).
 *
 * Invariants, per key group g:
 *   - heap[0..size) is a binary min-heap of entries under entry_before;
 *   - the set (base/hash_table.h, keyed by timer_hash) holds exactly the live timers of the
 *     heap; the heap also holds `dead` deleted timers (tq_timer.deleted), which are skipped;
 *   - the heap's top is live (or the heap is empty), and dead <= max(DEAD_SLACK, size / 2);
 * and for the queue:
 *   - heads[0..ngroups) is a binary min-heap of group indexes under group_before (empty groups
 *     compare greater than any non-empty one), and groups[heads[i]].head_pos == i;
 *   - size is the number of live timers.
 * A group's position in the heads heap is repaired whenever its earliest timer changes.
 *
 * Why deletion is lazy: a timer in the heap that knew its own heap index had it written at every
 * sift step that moved it, and the timers lie scattered over memory: that write was the largest
 * cost of firing a window's timers over a million keys (31% of take's samples). A deleted timer
 * now leaves the set at once and the heap when it reaches the top, or when dead timers make up
 * half the heap (the heap is then rebuilt without them), so they hold at most as much memory as
 * the live ones.
 *
 * Why heap entries carry a copy of the order (timestamp and the first 16 key bytes): a window
 * operator's timers mostly share their timestamp (every key's window ends at the same time), so
 * nearly every comparison falls through to the key bytes; with the order inline a sift step
 * compares within the heap array instead of reading two timers scattered over memory. The
 * prefix decides only when it differs (see entry_before), so the order is exactly timer_cmp's.
 *
 * Timers of up to SP_SLAB_MAX bytes live in the queue's slab (base/slab.h), not one allocation
 * each: registering and firing a timer per (key, window) is on the per-record path. Freed
 * timers go back to their size's free list; the slab's chunks are given back when the queue is
 * freed.
 *
 * Checkpoint encoding of one key group (tq_write_key_group):
 *   u32 count, count x (i64 timestamp, blob key, blob namespace)
 * in heap order (the order timers fire in does not depend on it). A read validates the whole
 * run before it replaces the group's timers.
 */
#include "state/timer_queue.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/binary_heap.h"
#include "base/hash.h"
#include "base/hash_table.h"
#include "base/prefetch.h"
#include "base/slab.h"
#include "spate/spate.h"

typedef struct tq_timer {
  int64_t ts;
  uint64_t hash;
  uint32_t deleted; /* deleted but still in the heap */
  uint32_t klen, nslen;
  uint32_t reserved;
  /* key bytes then namespace bytes follow */
} tq_timer;

/* A heap entry: the timer and its order key (timestamp, then the first 16 key bytes as two
 * big-endian words, zero-padded), and the timer's hash, so that the set slot of the next timer
 * to fire can be prefetched without reading the timer (prefetch_next). */
typedef struct tq_entry {
  int64_t ts;
  uint64_t p0, p1;
  tq_timer *t;
  uint64_t hash;
} tq_entry;

typedef struct tq_group {
  tq_entry *heap;
  uint32_t size, cap;
  uint32_t dead; /* deleted timers still in the heap */
  sp_htab set;   /* empty until the first timer */
  uint32_t head_pos;
} tq_group;

struct timer_queue {
  int max_parallelism;
  ks_key_group_range range;
  int ngroups;
  tq_group *groups;
  uint32_t *heads;
  size_t size;
  sp_slab slab; /* timers of up to SP_SLAB_MAX bytes */
};

static const uint8_t no_bytes[1];

static inline const uint8_t *t_key(const tq_timer *t) { return (const uint8_t *)(t + 1); }
static inline const uint8_t *t_ns(const tq_timer *t) { return t_key(t) + t->klen; }

static uint64_t timer_hash(int64_t ts, const void *key, uint32_t klen, const void *ns,
                           uint32_t nslen) {
  uint64_t h = sp_hash64(klen ? key : no_bytes, klen);
  h ^= sp_mix64(sp_hash64(nslen ? ns : no_bytes, nslen) + 0x9e3779b97f4a7c15ULL);
  return sp_mix64(h ^ sp_mix64((uint64_t)ts));
}

static int cmp_bytes(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl) {
  uint32_t n = al < bl ? al : bl;
  int c = n ? memcmp(a, b, n) : 0;
  if (c) return c;
  return al < bl ? -1 : al > bl;
}

/* Total order: timestamp, then key bytes, then namespace bytes. */
static int timer_cmp(const tq_timer *a, const tq_timer *b) {
  if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
  int c = cmp_bytes(t_key(a), a->klen, t_key(b), b->klen);
  return c ? c : cmp_bytes(t_ns(a), a->nslen, t_ns(b), b->nslen);
}

/* ---------------------------------------------------------------------------------------------
 * Per-group heap and set. */

/* The first 16 key bytes, zero-padded, as two big-endian words: where they differ they order
 * as cmp_bytes does (a difference past the shorter key's end is a zero against a non-zero byte
 * of the longer one, which cmp_bytes orders the same way); where they are equal only the timers
 * can tell. */
static void key_prefix(const void *key, uint32_t klen, uint64_t *p0, uint64_t *p1) {
  uint8_t b[16] = {0};
  if (klen) memcpy(b, key, klen < 16 ? klen : 16);
  uint64_t w0, w1;
  memcpy(&w0, b, 8);
  memcpy(&w1, b + 8, 8);
  *p0 = __builtin_bswap64(w0);
  *p1 = __builtin_bswap64(w1);
}

static inline bool entry_before(void *c, tq_entry a, tq_entry b) {
  (void)c;
  if (a.ts != b.ts) return a.ts < b.ts;
  if (a.p0 != b.p0) return a.p0 < b.p0;
  if (a.p1 != b.p1) return a.p1 < b.p1;
  return timer_cmp(a.t, b.t) < 0;
}
#define TIMER_PLACED(c, e, i) ((void)(c), (void)(e), (void)(i))
#define DEAD_SLACK 64u /* dead timers a heap may hold whatever its size */
SP_BINARY_HEAP(timer_heap, tq_entry, void *, entry_before, TIMER_PLACED)

/* ---------------------------------------------------------------------------------------------
 * Timer memory: the slab for small timers, sp_malloc for the rest. */

static size_t timer_bytes(uint32_t klen, uint32_t nslen) {
  return sizeof(tq_timer) + (size_t)klen + nslen;
}

static tq_timer *timer_alloc(timer_queue *q, uint32_t klen, uint32_t nslen) {
  size_t n = timer_bytes(klen, nslen);
  return n <= SP_SLAB_MAX ? sp_slab_alloc(&q->slab, n) : sp_malloc(n);
}

static void timer_free(timer_queue *q, tq_timer *t) {
  size_t n = timer_bytes(t->klen, t->nslen);
  if (n <= SP_SLAB_MAX)
    sp_slab_free(&q->slab, t, n);
  else
    sp_free(t);
}

/* The set's slot holding the timer (ts, key, ns), or NULL. */
static sp_htab_slot *set_find(const tq_group *g, uint64_t hash, int64_t ts, const void *key,
                              uint32_t klen, const void *ns, uint32_t nslen) {
  for (sp_htab_slot *s = sp_htab_first(&g->set, hash); s; s = sp_htab_next(&g->set, s)) {
    const tq_timer *t = s->entry;
    if (t->ts == ts && t->klen == klen && t->nslen == nslen &&
        (klen == 0 || memcmp(t_key(t), key, klen) == 0) &&
        (nslen == 0 || memcmp(t_ns(t), ns, nslen) == 0))
      return s;
  }
  return NULL;
}

/* Makes room for one more timer in heap and set; on failure the group is unchanged. */
static int group_reserve(tq_group *g) {
  if (g->size == g->cap) {
    if (g->cap >= (1u << 29)) return SPATE_ENOMEM;
    uint32_t cap = g->cap ? g->cap * 2 : 8;
    tq_entry *h = sp_realloc(g->heap, (size_t)cap * sizeof *h);
    if (!h) return SPATE_ENOMEM;
    g->heap = h;
    g->cap = cap;
  }
  return sp_htab_reserve(&g->set, 1);
}

/* ---------------------------------------------------------------------------------------------
 * Heads heap over groups. */

/* Empty groups come after every non-empty one. */
static inline bool group_before(const timer_queue *q, uint32_t a, uint32_t b) {
  const tq_group *ga = &q->groups[a], *gb = &q->groups[b];
  if (!ga->size || !gb->size) return ga->size && !gb->size;
  return entry_before(NULL, ga->heap[0], gb->heap[0]);
}
#define GROUP_PLACED(q, gi, i) ((q)->groups[gi].head_pos = (uint32_t)(i))
SP_BINARY_HEAP(heads_heap, uint32_t, timer_queue *, group_before, GROUP_PLACED)

/* Restores the heads heap after group gi's earliest timer changed. */
static void heads_fix(timer_queue *q, uint32_t gi) {
  heads_heap_fix(q, q->heads, (size_t)q->ngroups, q->groups[gi].head_pos);
}

/* ---------------------------------------------------------------------------------------------
 * The queue. */

int tq_new(int max_parallelism, ks_key_group_range range, timer_queue **out) {
  *out = NULL;
  if (max_parallelism < 1 || max_parallelism > 32768 || range.first < 0 ||
      range.last >= max_parallelism || range.last < range.first)
    return SPATE_EINVAL;
  timer_queue *q = sp_calloc(1, sizeof *q);
  if (!q) return SPATE_ENOMEM;
  q->ngroups = ks_key_group_range_size(range);
  q->groups = sp_calloc((size_t)q->ngroups, sizeof *q->groups);
  q->heads = sp_calloc((size_t)q->ngroups, sizeof *q->heads);
  if (!q->groups || !q->heads) {
    sp_free(q->groups);
    sp_free(q->heads);
    sp_free(q);
    return SPATE_ENOMEM;
  }
  q->max_parallelism = max_parallelism;
  q->range = range;
  for (int i = 0; i < q->ngroups; i++) {
    q->heads[i] = (uint32_t)i;
    q->groups[i].head_pos = (uint32_t)i;
  }
  *out = q;
  return 0;
}

static void group_free(timer_queue *q, tq_group *g) {
  for (uint32_t i = 0; i < g->size; i++) timer_free(q, g->heap[i].t);
  sp_free(g->heap);
  sp_htab_free(&g->set);
  uint32_t pos = g->head_pos;
  memset(g, 0, sizeof *g);
  g->head_pos = pos;
}

void tq_free(timer_queue *q) {
  if (!q) return;
  for (int i = 0; i < q->ngroups; i++) group_free(q, &q->groups[i]);
  sp_slab_destroy(&q->slab);
  sp_free(q->groups);
  sp_free(q->heads);
  sp_free(q);
}

static int check_args(const timer_queue *q, int key_group, const void *key, uint32_t klen,
                      const void *ns, uint32_t nslen) {
  if (!ks_key_group_range_contains(q->range, key_group)) return SPATE_EINVAL;
  if ((!key && klen) || (!ns && nslen)) return SPATE_EINVAL;
  if ((uint64_t)klen + nslen > UINT32_MAX - sizeof(tq_timer)) return SPATE_EINVAL;
  return 0;
}

int tq_register(timer_queue *q, int key_group, int64_t timestamp, const void *key, uint32_t key_len,
                const void *ns, uint32_t ns_len) {
  int rc = check_args(q, key_group, key, key_len, ns, ns_len);
  if (rc < 0) return rc;
  uint32_t gi = (uint32_t)(key_group - q->range.first);
  tq_group *g = &q->groups[gi];
  uint64_t h = timer_hash(timestamp, key, key_len, ns, ns_len);
  if (set_find(g, h, timestamp, key, key_len, ns, ns_len)) return 0;
  if (group_reserve(g) < 0) return SPATE_ENOMEM;
  tq_timer *t = timer_alloc(q, key_len, ns_len);
  if (!t) return SPATE_ENOMEM;
  memset(t, 0, sizeof *t);
  t->ts = timestamp;
  t->hash = h;
  t->klen = key_len;
  t->nslen = ns_len;
  if (key_len) memcpy((uint8_t *)(t + 1), key, key_len);
  if (ns_len) memcpy((uint8_t *)(t + 1) + key_len, ns, ns_len);
  sp_htab_insert(&g->set, h, t);
  tq_timer *old_head = g->size ? g->heap[0].t : NULL;
  tq_entry e = {timestamp, 0, 0, t, h};
  key_prefix(key, key_len, &e.p0, &e.p1);
  timer_heap_push(NULL, g->heap, g->size++, e);
  q->size++;
  if (g->heap[0].t != old_head) heads_fix(q, gi);
  return 1;
}

/* The set's slot holding timer t itself (it is in the set). */
static sp_htab_slot *set_slot_of(const tq_group *g, const tq_timer *t) {
  sp_htab_slot *s = sp_htab_first(&g->set, t->hash);
  while (s->entry != t) s = sp_htab_next(&g->set, s);
  return s;
}

/* Pops the dead timers off the top of group g's heap, so that its top is live again. */
static void drop_dead_top(timer_queue *q, tq_group *g) {
  while (g->size && g->heap[0].t->deleted) {
    tq_timer *t = timer_heap_pop(NULL, g->heap, g->size).t;
    g->size--;
    g->dead--;
    timer_free(q, t);
  }
}

/* Rebuilds group g's heap without its dead timers once they are half of it. */
static void compact(timer_queue *q, tq_group *g) {
  if (g->dead <= DEAD_SLACK || g->dead <= g->size / 2) return;
  uint32_t n = 0;
  for (uint32_t i = 0; i < g->size; i++) {
    if (g->heap[i].t->deleted)
      timer_free(q, g->heap[i].t);
    else
      g->heap[n++] = g->heap[i];
  }
  g->size = n;
  g->dead = 0;
  for (uint32_t i = n / 2; i-- > 0;) timer_heap_sift_down(NULL, g->heap, n, i);
}

/* Takes the live timer at the top of group gi out (heap, set, heads); the caller frees it. */
static tq_timer *take_top(timer_queue *q, uint32_t gi) {
  tq_group *g = &q->groups[gi];
  tq_timer *t = g->heap[0].t;
  sp_htab_remove(&g->set, set_slot_of(g, t));
  timer_heap_pop(NULL, g->heap, g->size);
  g->size--;
  q->size--;
  drop_dead_top(q, g);
  heads_fix(q, gi);
  return t;
}

int tq_delete(timer_queue *q, int key_group, int64_t timestamp, const void *key, uint32_t key_len,
              const void *ns, uint32_t ns_len) {
  int rc = check_args(q, key_group, key, key_len, ns, ns_len);
  if (rc < 0) return rc;
  uint32_t gi = (uint32_t)(key_group - q->range.first);
  sp_htab_slot *slot = set_find(&q->groups[gi], timer_hash(timestamp, key, key_len, ns, ns_len),
                                timestamp, key, key_len, ns, ns_len);
  if (!slot) return 0;
  tq_group *g = &q->groups[gi];
  tq_timer *t = slot->entry;
  sp_htab_remove(&g->set, slot);
  t->deleted = 1;
  g->dead++;
  q->size--;
  if (g->heap[0].t == t) {
    drop_dead_top(q, g);
    heads_fix(q, gi); /* the group's earliest timer changed */
  } else {
    compact(q, g); /* the top stays where it is */
  }
  return 1;
}

int tq_contains(const timer_queue *q, int key_group, int64_t timestamp, const void *key,
                uint32_t key_len, const void *ns, uint32_t ns_len) {
  int rc = check_args(q, key_group, key, key_len, ns, ns_len);
  if (rc < 0) return rc;
  const tq_group *g = &q->groups[key_group - q->range.first];
  return set_find(g, timer_hash(timestamp, key, key_len, ns, ns_len), timestamp, key, key_len, ns,
                  ns_len) != NULL;
}

bool tq_peek(const timer_queue *q, int64_t *timestamp) {
  const tq_group *g = &q->groups[q->heads[0]];
  if (!g->size) return false;
  if (timestamp) *timestamp = g->heap[0].ts;
  return true;
}

size_t tq_size(const timer_queue *q) { return q->size; }

static tq_timer_view view_of(const timer_queue *q, uint32_t gi, const tq_timer *t) {
  tq_timer_view v = {t->ts, q->range.first + (int)gi, t_key(t), t->klen, t_ns(t), t->nslen};
  return v;
}

/* Starts loading what taking the queue's next timer will read, if it is due by `time`: the
 * timer and its slot in its group's set. A window operator fires many timers of one timestamp,
 * over keys scattered in memory: each would wait for both at its turn, while the callback of the
 * one before it runs long enough for them to arrive. Only prefetches; reads what the heaps
 * already hold in the cache. */
static void prefetch_next(const timer_queue *q, int64_t time) {
  const tq_group *g = &q->groups[q->heads[0]];
  if (!g->size || g->heap[0].ts > time) return;
  sp_prefetch(g->heap[0].t);
  if (g->set.slots) sp_prefetch(&g->set.slots[(uint32_t)g->heap[0].hash & g->set.mask]);
}

int tq_advance(timer_queue *q, int64_t time, tq_timer_fn fn, void *arg, uint64_t *fired) {
  uint64_t n = 0;
  int rc = 0;
  for (;;) {
    uint32_t gi = q->heads[0];
    tq_group *g = &q->groups[gi];
    if (!g->size || g->heap[0].ts > time) break;
    tq_timer *t = take_top(q, gi);
    prefetch_next(q, time);
    tq_timer_view v = view_of(q, gi, t);
    n++;
    rc = fn(arg, &v);
    timer_free(q, t);
    if (rc != 0) break;
  }
  if (fired) *fired = n;
  return rc;
}

int tq_visit_key_group(const timer_queue *q, int key_group, tq_timer_fn fn, void *arg) {
  if (!ks_key_group_range_contains(q->range, key_group)) return SPATE_EINVAL;
  uint32_t gi = (uint32_t)(key_group - q->range.first);
  const tq_group *g = &q->groups[gi];
  for (uint32_t i = 0; i < g->size; i++) {
    if (g->heap[i].t->deleted) continue;
    tq_timer_view v = view_of(q, gi, g->heap[i].t);
    int rc = fn(arg, &v);
    if (rc != 0) return rc;
  }
  return 0;
}

size_t tq_key_group_size(const timer_queue *q, int key_group) {
  if (!ks_key_group_range_contains(q->range, key_group)) return 0;
  const tq_group *g = &q->groups[key_group - q->range.first];
  return g->size - g->dead;
}

int tq_clear_key_group(timer_queue *q, int key_group) {
  if (!ks_key_group_range_contains(q->range, key_group)) return SPATE_EINVAL;
  uint32_t gi = (uint32_t)(key_group - q->range.first);
  q->size -= q->groups[gi].size - q->groups[gi].dead;
  group_free(q, &q->groups[gi]);
  heads_fix(q, gi);
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Checkpoints. */

#define TIMER_MIN 16u /* timestamp and two length prefixes */

static int encode_timer(void *arg, const tq_timer_view *t) {
  sp_writer *w = arg;
  sp_put_i64(w, t->timestamp);
  sp_put_blob(w, t->key, t->key_len);
  sp_put_blob(w, t->ns, t->ns_len);
  return w->failed ? SPATE_ENOMEM : 0;
}

int tq_write_key_group(const timer_queue *q, int key_group, sp_writer *w) {
  if (!ks_key_group_range_contains(q->range, key_group)) return SPATE_EINVAL;
  sp_put_u32(w, (uint32_t)tq_key_group_size(q, key_group));
  int rc = tq_visit_key_group(q, key_group, encode_timer, w);
  return rc < 0 || w->failed ? SPATE_ENOMEM : 0;
}

/* Reads `count` timers from r; registers them when q is not NULL. */
static int read_timers(timer_queue *q, int key_group, sp_reader *r, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    int64_t ts = sp_get_i64(r);
    uint32_t klen, nslen;
    const void *key = sp_get_blob(r, &klen);
    const void *ns = sp_get_blob(r, &nslen);
    if (!sp_reader_ok(r)) return SPATE_ECORRUPT;
    if (q) {
      int rc = tq_register(q, key_group, ts, key, klen, ns, nslen);
      if (rc < 0) return rc;
    }
  }
  return 0;
}

/* A malformed run (SPATE_ECORRUPT) changes nothing and r carries the error and its offset;
 * running out of memory half way leaves the group without timers rather than half restored. */
int tq_read_key_group(timer_queue *q, int key_group, sp_reader *r) {
  if (!ks_key_group_range_contains(q->range, key_group)) return SPATE_EINVAL;
  if (!sp_reader_ok(r)) return SPATE_ECORRUPT;
  sp_reader v = *r; /* validate first: a corrupt run leaves the group as it was */
  uint32_t count = sp_get_u32(&v);
  if (sp_reader_ok(&v) && count > (v.len - v.pos) / TIMER_MIN) {
    char msg[128];
    snprintf(msg, sizeof msg, "key group %d: %u timers cannot fit in %zu bytes", key_group, count,
             v.len - v.pos);
    sp_reader_fail(&v, msg);
  }
  if (!sp_reader_ok(&v) || read_timers(NULL, key_group, &v, count) < 0) {
    *r = v; /* the error and its offset */
    return SPATE_ECORRUPT;
  }
  tq_clear_key_group(q, key_group);
  sp_get_u32(r);
  int rc = read_timers(q, key_group, r, count);
  if (rc < 0) {
    tq_clear_key_group(q, key_group); /* never half a group */
    sp_reader_fail(r, "out of memory restoring timers");
  }
  return rc;
}
